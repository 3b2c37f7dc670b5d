"""Numbers: the current limit of a connector (smart charging)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import UnitOfElectricCurrent, UnitOfPower
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import OcppConfigEntry
from .control import MIN_CURRENT, supports_power_limits, supports_smart_charging, watts_for
from .entity import OcppEntity, OcppEntityDescription, async_setup_dynamic_entities
from .errors import translated_errors
from .solar import ChargingMode

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class OcppNumberEntityDescription(NumberEntityDescription, OcppEntityDescription):
    """A number of a connector."""


NUMBERS: tuple[OcppNumberEntityDescription, ...] = (
    OcppNumberEntityDescription(
        key="current_limit",
        translation_key="current_limit",
        device_class=NumberDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        native_min_value=MIN_CURRENT,
        native_step=1,
        mode=NumberMode.SLIDER,
        charger_exists_fn=supports_smart_charging,
    ),
)

POWER_LIMIT = OcppNumberEntityDescription(
    key="power_limit",
    translation_key="power_limit",
    device_class=NumberDeviceClass.POWER,
    native_unit_of_measurement=UnitOfPower.WATT,
    native_step=100,
    mode=NumberMode.BOX,
    charger_exists_fn=supports_power_limits,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OcppConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up numbers for chargers with smart charging, now and as chargers appear."""
    async_setup_dynamic_entities(hass, entry, NUMBERS, OcppCurrentLimit, async_add_entities)
    async_setup_dynamic_entities(hass, entry, (POWER_LIMIT,), OcppPowerLimit, async_add_entities)


class OcppCurrentLimit(OcppEntity, NumberEntity):
    """The current limit of a connector; writes are coalesced and rate-limited."""

    entity_description: OcppNumberEntityDescription

    @property
    @override
    def native_max_value(self) -> float:
        return self.central.settings.max_current

    @property
    @override
    def native_value(self) -> float | None:
        # The limit in force for Fast mode: the user's, else the maximum (never unknown).
        limit = self.connector.desired.current_limit
        return self.central.settings.max_current if limit is None else limit

    @override
    def state_fingerprint(self) -> Any:
        return (self.available, self.native_value)

    @override
    async def async_set_native_value(self, value: float) -> None:
        charge_point_id = self.charger.charge_point_id
        # A limit set by hand ends solar mode: one writer at a time.
        self.central.solar(charge_point_id, self.connector_id).manual_override(ChargingMode.FAST)
        with translated_errors(self.entity_description.key):
            await self.central.control(
                self.charger.charge_point_id, self.connector_id
            ).async_set_current(value)


class OcppPowerLimit(OcppCurrentLimit):
    """The limit as power: converted to current with the measured voltage and phases."""

    def _watts_per_amp(self) -> float:
        # With the phases the user chose, else the phases in use.
        phases = self.connector.desired.phases
        return float(watts_for(self.charger, self.connector_id, 1.0, phases)) or 1.0

    @property
    @override
    def native_min_value(self) -> float:
        return round(MIN_CURRENT * self._watts_per_amp())

    @property
    @override
    def native_max_value(self) -> float:
        return round(self.central.settings.max_current * self._watts_per_amp())

    @property
    @override
    def native_value(self) -> float | None:
        amps = super().native_value
        return None if amps is None else round(amps * self._watts_per_amp())

    @override
    async def async_set_native_value(self, value: float) -> None:
        await super().async_set_native_value(value / self._watts_per_amp())
