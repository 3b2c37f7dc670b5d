"""The HA devices of chargers and connectors (one place, for entities and events)."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo

from .const import DOMAIN
from .model import Charger


def charger_device_info(charger: Charger) -> DeviceInfo:
    """The device of a charger."""
    info = charger.info
    return DeviceInfo(
        identifiers={(DOMAIN, charger.charge_point_id)},
        name=charger.charge_point_id,
        manufacturer=info.vendor,
        model=info.model,
        serial_number=info.serial_number,
        sw_version=info.firmware_version,
    )


def _connector_identifier(charger: Charger, connector_id: int) -> str:
    return f"{charger.charge_point_id}-{connector_id}"


def connector_device_info(charger: Charger, connector_id: int) -> DeviceInfo:
    """The device of a connector: the charger itself when it has only one."""
    if connector_id == 0 or len(charger.outlet_ids) <= 1:
        return charger_device_info(charger)
    return DeviceInfo(
        identifiers={(DOMAIN, _connector_identifier(charger, connector_id))},
        translation_key="connector",
        translation_placeholders={
            "charger": charger.charge_point_id,
            "connector": str(connector_id),
        },
        via_device=(DOMAIN, charger.charge_point_id),
    )


@callback
def fire_charger_event(
    hass: HomeAssistant, charger: Charger, event_type: str, data: dict[str, Any]
) -> None:
    """Fire an event about a charger: its device (for device triggers), its id, the data."""
    device = dr.async_get(hass).async_get_device(
        identifiers=charger_device_info(charger)["identifiers"]
    )
    hass.bus.async_fire(
        event_type,
        {
            "device_id": device.id if device else None,
            "charge_point_id": charger.charge_point_id,
            **data,
        },
    )


def unique_id_for(charger: Charger, connector_id: int, key: str) -> str:
    """Stable unique id: charger id, connector (when not charger-wide) and entity key."""
    if connector_id == 0:
        return f"{charger.charge_point_id}_{key}"
    return f"{charger.charge_point_id}_{connector_id}_{key}"


def cards_device_info(entry_id: str) -> DeviceInfo:
    """The device of the owner's charging cards (their month totals), one per central system."""
    return DeviceInfo(
        identifiers={(DOMAIN, f"{entry_id}_cards")},
        translation_key="cards",
        entry_type=DeviceEntryType.SERVICE,
    )
