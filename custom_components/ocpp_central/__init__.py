"""OCPP Central: an OCPP central system inside Home Assistant."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    issue_registry as ir,
)
from homeassistant.helpers.typing import ConfigType

from .central import CentralSystem
from .const import CONF_PORT, DOMAIN
from .ocpi import OcpiView
from .services import async_setup_services
from .transfer import async_get_hub

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.UPDATE,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

type OcppConfigEntry = ConfigEntry[CentralSystem]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions and file-transfer views (before any entry loads).

    HA's HTTP server takes new routes only until it starts, so the views chargers download
    firmware from and upload diagnostics to are registered here, not on first use.
    """
    async_setup_services(hass)
    async_get_hub(hass)
    hass.http.register_view(OcpiView())
    return True


async def async_setup_entry(hass: HomeAssistant, entry: OcppConfigEntry) -> bool:
    """Start the central system of this entry."""
    central = CentralSystem(hass, entry)
    issue_id = f"cannot_listen_{entry.entry_id}"
    try:
        await central.async_start()
    except OSError as err:
        # Retried by HA; the repair tells the user why no charger can connect meanwhile.
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="cannot_listen",
            translation_placeholders={"port": str(entry.data[CONF_PORT]), "error": str(err)},
        )
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_listen",
            translation_placeholders={"port": str(entry.data[CONF_PORT]), "error": str(err)},
        ) from err
    ir.async_delete_issue(hass, DOMAIN, issue_id)
    entry.runtime_data = central
    entry.async_on_unload(central.async_stop)
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def _async_options_updated(hass: HomeAssistant, entry: OcppConfigEntry) -> None:
    """Apply new options to connected chargers without reloading anything."""
    entry.runtime_data.async_options_updated()


async def async_unload_entry(hass: HomeAssistant, entry: OcppConfigEntry) -> bool:
    """Unload platforms; the server stops through async_on_unload."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: OcppConfigEntry, device_entry: dr.DeviceEntry
) -> bool:
    """Let the user remove a charger; it is forgotten and must be accepted again.

    The cards device stays while the options list cards: its sensors would come back.
    """
    central = entry.runtime_data
    if (DOMAIN, f"{entry.entry_id}_cards") in device_entry.identifiers:
        return not central.tags.tags
    for domain, identifier in device_entry.identifiers:
        if domain == DOMAIN and identifier in central.chargers:
            await central.async_forget(identifier)
    return True
