"""Numbers: the current limit of a connector (smart charging)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import math
from typing import Any, override

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfPower,
    UnitOfTime,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import OcppConfigEntry
from .central import CentralSystem
from .charger_config import (
    CONNECTION_TIMEOUT,
    LIGHT_INTENSITY,
    WellKnownSetting,
    as_number,
    async_write,
)
from .control import (
    MIN_CURRENT,
    failsafe_current_for,
    max_current_for,
    supports_power_limits,
    supports_smart_charging,
    watts_for,
)
from .entity import OcppEntity, OcppEntityDescription, async_setup_dynamic_entities
from .errors import translated_errors
from .model import Charger
from .protocol.base import ChargerSettings, CommandStatus
from .solar import ChargingMode

# The highest current a charger's own limits may be set to (A per phase; 63 A is the largest
# three-phase AC wallbox fuse, 80 A single-phase in North America).
MAX_CHARGER_CURRENT = 80

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class OcppNumberEntityDescription(NumberEntityDescription, OcppEntityDescription):
    """A number of a connector."""


@dataclass(frozen=True, kw_only=True)
class OcppChargerLimitDescription(OcppNumberEntityDescription):
    """One of the installer's limits of a charger (its fuse, its failsafe)."""

    value_fn: Callable[[ChargerSettings, Charger], float]
    # Sets the charger's own value through the central system.
    set_fn: Callable[[CentralSystem, Charger, float], None]


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

# What the installer sets per charger; until set, the central system's option applies.
CHARGER_LIMITS: tuple[OcppChargerLimitDescription, ...] = (
    OcppChargerLimitDescription(
        key="max_current",
        translation_key="max_current",
        charger_wide=True,
        entity_category=EntityCategory.CONFIG,
        device_class=NumberDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        native_min_value=MIN_CURRENT,
        native_max_value=MAX_CHARGER_CURRENT,
        native_step=1,
        mode=NumberMode.BOX,
        charger_exists_fn=supports_smart_charging,
        value_fn=max_current_for,
        set_fn=lambda central, charger, value: central.set_charger_limits(
            charger, max_current=value
        ),
    ),
    OcppChargerLimitDescription(
        key="failsafe_current",
        translation_key="failsafe_current",
        charger_wide=True,
        entity_category=EntityCategory.CONFIG,
        device_class=NumberDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        native_min_value=0,
        native_max_value=MAX_CHARGER_CURRENT,
        native_step=1,
        mode=NumberMode.BOX,
        charger_exists_fn=supports_smart_charging,
        value_fn=failsafe_current_for,
        set_fn=lambda central, charger, value: central.set_charger_limits(
            charger, failsafe_current=value
        ),
    ),
)

# The power limit's resolution (W).
POWER_STEP = 100

POWER_LIMIT = OcppNumberEntityDescription(
    key="power_limit",
    translation_key="power_limit",
    # The current limit in W, for those who think in watts.
    entity_registry_enabled_default=False,
    device_class=NumberDeviceClass.POWER,
    native_unit_of_measurement=UnitOfPower.WATT,
    native_step=POWER_STEP,
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
    async_setup_dynamic_entities(hass, entry, CHARGER_LIMITS, OcppChargerLimit, async_add_entities)
    async_setup_dynamic_entities(
        hass, entry, SETTING_NUMBERS, OcppSettingNumber, async_add_entities
    )


class OcppCurrentLimit(OcppEntity, NumberEntity):
    """The current limit of a connector; writes are coalesced and rate-limited."""

    entity_description: OcppNumberEntityDescription

    platform_shows_readings = False

    @property
    @override
    def native_max_value(self) -> float:
        return max_current_for(self.central.settings, self.charger)

    @property
    @override
    def native_value(self) -> float | None:
        # The limit in force for Fast mode: the user's (within the charger's maximum), else
        # the maximum (never unknown).
        maximum = max_current_for(self.central.settings, self.charger)
        limit = self.connector.desired.current_limit
        return maximum if limit is None else min(limit, maximum)

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

    # In W it follows the measured voltage.
    platform_shows_readings = True

    def _watts_per_amp(self) -> float:
        # With the phases the user chose, else the phases in use.
        phases = self.connector.desired.phases
        return float(watts_for(self.charger, self.connector_id, 1.0, phases)) or 1.0

    # Shown in whole steps of POWER_STEP W, and only moved once the limit in W moved by a
    # whole step: the measured voltage moves by a volt or two with every reading, and
    # 11,000 W, 11,100 W, 11,000 W, ... would fill the logbook for a limit that did not change.
    _shown_watts: float | None = None

    @property
    @override
    def native_min_value(self) -> float:
        return math.ceil(MIN_CURRENT * self._watts_per_amp() / POWER_STEP) * POWER_STEP

    @property
    @override
    def native_max_value(self) -> float:
        return (
            math.floor(super().native_max_value * self._watts_per_amp() / POWER_STEP) * POWER_STEP
        )

    @property
    @override
    def native_value(self) -> float | None:
        amps = super().native_value
        if amps is None:
            return None
        watts = amps * self._watts_per_amp()
        if self._shown_watts is None or abs(watts - self._shown_watts) >= POWER_STEP:
            self._shown_watts = round(watts / POWER_STEP) * POWER_STEP
        return min(max(self._shown_watts, self.native_min_value), self.native_max_value)

    @override
    async def async_set_native_value(self, value: float) -> None:
        await super().async_set_native_value(value / self._watts_per_amp())


class OcppChargerLimit(OcppEntity, NumberEntity):
    """The charger's own maximum or failsafe current (configuration, stored with it)."""

    entity_description: OcppChargerLimitDescription

    platform_shows_readings = False

    @property
    @override
    def native_value(self) -> float:
        return self.entity_description.value_fn(self.central.settings, self.charger)

    @override
    def state_fingerprint(self) -> Any:
        return (self.available, self.native_value)

    @override
    async def async_set_native_value(self, value: float) -> None:
        self.entity_description.set_fn(self.central, self.charger, value)


@dataclass(frozen=True, kw_only=True)
class OcppSettingNumberDescription(OcppNumberEntityDescription):
    """A numeric well-known setting of the charger (see `charger_config`)."""

    setting: WellKnownSetting


def _setting_number(
    key: str,
    setting: WellKnownSetting,
    unit: str,
    minimum: float,
    maximum: float,
    device_class: NumberDeviceClass | None = None,
) -> OcppSettingNumberDescription:
    return OcppSettingNumberDescription(
        key=key,
        translation_key=key,
        charger_wide=True,
        entity_category=EntityCategory.CONFIG,
        device_class=device_class,
        native_unit_of_measurement=unit,
        native_min_value=minimum,
        native_max_value=maximum,
        native_step=1,
        mode=NumberMode.BOX,
        # An installer's setting, changed once if ever: enabled by those who need it.
        entity_registry_enabled_default=False,
        setting=setting,
        charger_exists_fn=lambda charger: setting.key_for(charger) is not None,
    )


SETTING_NUMBERS: tuple[OcppSettingNumberDescription, ...] = (
    _setting_number(
        "connection_timeout",
        CONNECTION_TIMEOUT,
        UnitOfTime.SECONDS,
        10,
        600,
        NumberDeviceClass.DURATION,
    ),
    _setting_number("light_intensity", LIGHT_INTENSITY, PERCENTAGE, 0, 100),
)


class OcppSettingNumber(OcppEntity, NumberEntity):
    """A numeric setting stored on the charger (what it reported, or last took)."""

    entity_description: OcppSettingNumberDescription

    platform_shows_readings = False

    @property
    @override
    def native_value(self) -> float | None:
        return as_number(self.entity_description.setting.value(self.charger))

    @override
    def state_fingerprint(self) -> Any:
        return (self.available, self.native_value)

    @override
    async def async_set_native_value(self, value: float) -> None:
        setting = self.entity_description.setting
        with translated_errors(self.entity_description.key):
            session = self.central.accepted_session(self.charger.charge_point_id)
            status = await async_write(session, setting, str(int(value)))
        if status is CommandStatus.REBOOT_REQUIRED:
            key = setting.key_for(self.charger) or setting.v16_key
            self.central.reboot_required(self.charger, key)
