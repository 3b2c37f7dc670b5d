"""Selects: the charging mode of a connector (off, fast, solar, min+solar)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import OcppConfigEntry
from .const import DOMAIN
from .control import phases_in_use, supports_phase_switching, supports_smart_charging
from .entity import OcppEntity, OcppEntityDescription, async_setup_dynamic_entities
from .errors import translated_errors
from .solar import ChargingMode

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class OcppSelectEntityDescription(SelectEntityDescription, OcppEntityDescription):
    """A select of a connector."""


CHARGING_MODE = OcppSelectEntityDescription(
    key="charging_mode",
    translation_key="charging_mode",
    options=[mode.value for mode in ChargingMode],
    charger_exists_fn=supports_smart_charging,
)
PHASES = OcppSelectEntityDescription(
    key="phases",
    translation_key="phases",
    options=["1", "3"],
    charger_exists_fn=supports_phase_switching,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OcppConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up selects for chargers with smart charging, now and as chargers appear."""
    async_setup_dynamic_entities(
        hass, entry, (CHARGING_MODE,), OcppChargingMode, async_add_entities
    )
    async_setup_dynamic_entities(hass, entry, (PHASES,), OcppPhases, async_add_entities)


class OcppChargingMode(OcppEntity, SelectEntity):
    """The charging mode; solar modes run the surplus controller. Stored, survives restarts."""

    entity_description: OcppSelectEntityDescription

    platform_shows_readings = False

    @property
    @override
    def current_option(self) -> str | None:
        return self.central.solar(self.charger.charge_point_id, self.connector_id).mode.value

    @override
    def state_fingerprint(self) -> Any:
        return (self.available, self.current_option)

    @override
    async def async_select_option(self, option: str) -> None:
        mode = ChargingMode(option)
        if mode in (ChargingMode.SOLAR, ChargingMode.MIN_SOLAR) and not (
            self.central.solar_configured
        ):
            # Without a grid sensor there is no surplus to follow: solar mode would quietly
            # stop the car.
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="no_grid_sensor"
            )
        with translated_errors(self.entity_description.key):
            await self.central.solar(
                self.charger.charge_point_id, self.connector_id
            ).async_set_mode(mode)
        self.async_write_ha_state()


class OcppPhases(OcppEntity, SelectEntity):
    """How many phases to charge on (numberPhases in the charging profile)."""

    entity_description: OcppSelectEntityDescription

    @property
    @override
    def current_option(self) -> str | None:
        # The user's choice, else the phases the connector charges on (never unknown).
        return str(self.connector.desired.phases or phases_in_use(self.connector))

    @override
    def state_fingerprint(self) -> Any:
        return (self.available, self.current_option)

    @override
    async def async_select_option(self, option: str) -> None:
        charge_point_id = self.charger.charge_point_id
        # Choosing phases by hand ends solar mode: one writer at a time.
        self.central.solar(charge_point_id, self.connector_id).manual_override(ChargingMode.FAST)
        with translated_errors(self.entity_description.key):
            await self.central.control(charge_point_id, self.connector_id).async_set_phases(
                int(option)
            )
        self.async_write_ha_state()
