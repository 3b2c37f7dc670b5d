"""Sensors: status, errors, meter readings and session figures of chargers and connectors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    REVOLUTIONS_PER_MINUTE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfPower,
    UnitOfTemperature,
    UnitOfTime,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from . import OcppConfigEntry
from .card_sensors import async_setup_card_sensors
from .central import CentralSystem
from .control import supports_smart_charging
from .entity import OcppEntity, OcppEntityDescription, async_setup_dynamic_entities
from .model import (
    ANY_CONNECTOR,
    BootReason,
    Charger,
    Connector,
    ConnectorStatus,
    ErrorCode,
    Measurand,
    Transaction,
)
from .solar import ControllerState

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class OcppSensorEntityDescription(SensorEntityDescription, OcppEntityDescription):
    """A sensor reading one value of a charger or connector."""

    value_fn: Callable[[Charger, Connector], StateType | datetime]


def _measured(measurand: Measurand, phase: str | None = None) -> Callable[[Connector], bool]:
    """exists_fn: the connector has reported this measurand (for this phase)."""
    return lambda connector: any(
        m is measurand and (phase is None or p == phase) for m, p, _loc in connector.readings
    )


def _power(connector: Connector) -> float | None:
    """Active import power in W (see Connector.active_power)."""
    power = connector.active_power()
    return None if power is None else round(power, 1)


def _voltage(connector: Connector) -> float | None:
    """Voltage in V: the unphased value, else the mean of the phase-to-neutral values."""
    value = connector.reading(Measurand.VOLTAGE)
    if value is not None:
        return round(value, 1)
    phases = connector.phase_voltages()
    return round(sum(phases) / len(phases), 1) if phases else None


def _rounded(measurand: Measurand, phase: str | None = None, digits: int = 1) -> Any:
    def value(_charger: Charger, connector: Connector) -> float | None:
        reading = connector.reading(measurand, phase)
        return None if reading is None else round(reading, digits)

    return value


def _offered_current(connector: Connector) -> float | None:
    """Current offered to the car per phase: unphased, else the highest phase's."""
    value = connector.reading(Measurand.CURRENT_OFFERED)
    if value is None and (phases := connector.phase_values(Measurand.CURRENT_OFFERED)):
        # Chargers that report per phase only offer the same on each phase in use.
        value = max(phases.values())
    return None if value is None else round(value, 1)


def _total_or_phases(connector: Connector, measurand: Measurand) -> float | None:
    """A measurand's total, else the sum of its phases (chargers that report per phase)."""
    value = connector.reading(measurand)
    if value is None and (phases := connector.phase_values(measurand)):
        value = sum(phases.values())
    return None if value is None else round(value, 1)


def _kwh(wh: float | None) -> float | None:
    return None if wh is None else round(wh / 1000.0, 3)


def _energy_kwh(_charger: Charger, connector: Connector) -> float | None:
    value = connector.energy.value_wh
    return None if value is None else round(value / 1000.0, 3)


def _session_energy_kwh(_charger: Charger, connector: Connector) -> float | None:
    # To 10 Wh, as it is shown: Energy total carries the Wh (it changes on every frame).
    session = connector.session
    return None if session is None else round(session.energy_wh / 1000.0, 2)


def _session_duration(_charger: Charger, connector: Connector) -> int | None:
    """Whole minutes while the session runs, the exact seconds once it ended.

    A running duration is read when the connector changes (a meter frame): in seconds it
    would be a state write on every frame for a figure shown in minutes anyway.
    """
    session = connector.session
    if session is None:
        return None
    seconds = int(session.duration_seconds(dt_util.utcnow()))
    return seconds if session.stopped_at is not None else seconds - seconds % 60


def _solar_state(connector: Connector) -> str | None:
    """What the solar controller does; in Off and Fast modes simply the mode."""
    if connector.solar is not None:
        return connector.solar.state.value
    if connector.desired.mode in (ControllerState.OFF, ControllerState.FAST):
        return connector.desired.mode
    return None


def _next_change(connector: Connector) -> datetime | None:
    """When the solar controller will start, stop or switch phases (a timestamp)."""
    decision = connector.solar
    if decision is None:
        return None
    countdowns = [
        value
        for value in (
            decision.seconds_to_start,
            decision.seconds_to_stop,
            decision.seconds_to_phase_switch,
        )
        if value is not None
    ]
    if not countdowns:
        return None
    # Whole seconds, so that the timestamp stays put while the countdown runs.
    return (dt_util.utcnow() + timedelta(seconds=min(countdowns))).replace(microsecond=0)


# The status while a command waits for the charger to report what it now does.
PENDING: Final = "pending"
STATUS_OPTIONS: Final = [*(status.value for status in ConnectorStatus), PENDING]


def _status(charger: Charger, connector: Connector) -> str | None:
    """What the connector does (the charger's status folded in), or that we wait to hear it."""
    if connector.awaiting_status_since is not None:
        return PENDING
    status = charger.shown_status(connector)
    return None if status is None else status.value


def _error(charger: Charger, connector: Connector) -> str | None:
    code = charger.shown_error(connector)
    return None if code is None else code.value


SENSORS: tuple[OcppSensorEntityDescription, ...] = (
    OcppSensorEntityDescription(
        key="charger_status",
        follows_readings=False,
        translation_key="charger_status",
        charger_wide=True,
        several_outlets_only=True,
        device_class=SensorDeviceClass.ENUM,
        options=STATUS_OPTIONS,
        value_fn=_status,
    ),
    OcppSensorEntityDescription(
        key="charger_error_code",
        follows_readings=False,
        translation_key="charger_error_code",
        charger_wide=True,
        several_outlets_only=True,
        device_class=SensorDeviceClass.ENUM,
        options=[code.value for code in ErrorCode],
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_error,
    ),
    OcppSensorEntityDescription(
        key="reserved_until",
        follows_readings=False,
        translation_key="reserved_until",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_registry_enabled_default=False,
        value_fn=lambda _charger, connector: (
            None if connector.reservation is None else connector.reservation.expires
        ),
    ),
    OcppSensorEntityDescription(
        key="last_boot",
        follows_readings=False,
        translation_key="last_boot",
        charger_wide=True,
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda charger, _c: charger.last_boot,
    ),
    OcppSensorEntityDescription(
        key="boot_reason",
        follows_readings=False,
        translation_key="boot_reason",
        # Diagnostic detail; the Charger restarted trigger and event carry it too.
        entity_registry_enabled_default=False,
        charger_wide=True,
        device_class=SensorDeviceClass.ENUM,
        options=[reason.value for reason in BootReason],
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda charger, _c: charger.boot_reason,
    ),
    OcppSensorEntityDescription(
        key="boot_count",
        follows_readings=False,
        translation_key="boot_count",
        # Diagnostic detail: few owners count restarts.
        entity_registry_enabled_default=False,
        charger_wide=True,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda charger, _c: charger.boot_count,
    ),
    OcppSensorEntityDescription(
        key="last_heartbeat",
        follows_readings=False,
        translation_key="last_heartbeat",
        charger_wide=True,
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda charger, _c: charger.last_heartbeat,
    ),
    OcppSensorEntityDescription(
        key="firmware_version",
        follows_readings=False,
        translation_key="firmware_version",
        # The device page and the Firmware update entity show the version already.
        entity_registry_enabled_default=False,
        charger_wide=True,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda charger, _c: charger.info.firmware_version,
    ),
    OcppSensorEntityDescription(
        key="status",
        follows_readings=False,
        translation_key="status",
        device_class=SensorDeviceClass.ENUM,
        options=STATUS_OPTIONS,
        value_fn=_status,
    ),
    OcppSensorEntityDescription(
        key="error_code",
        follows_readings=False,
        translation_key="error_code",
        device_class=SensorDeviceClass.ENUM,
        options=[code.value for code in ErrorCode],
        value_fn=_error,
    ),
    OcppSensorEntityDescription(
        key="power",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        value_fn=lambda _charger, connector: _power(connector),
    ),
    OcppSensorEntityDescription(
        key="energy",
        translation_key="energy",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=_energy_kwh,
    ),
    *(
        OcppSensorEntityDescription(
            key=f"current_{phase.lower()}",
            translation_key="current_phase",
            translation_placeholders={"phase": phase},
            # Detail for diagnosing a car or the wiring; Power tells the everyday story. As in
            # Home Assistant's own wallbox integrations they start disabled, which also spares
            # every meter frame three state writes.
            entity_category=EntityCategory.DIAGNOSTIC,
            entity_registry_enabled_default=False,
            device_class=SensorDeviceClass.CURRENT,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
            suggested_display_precision=1,
            exists_fn=_measured(Measurand.CURRENT_IMPORT, phase),
            value_fn=_rounded(Measurand.CURRENT_IMPORT, phase, 2),
        )
        for phase in ("L1", "L2", "L3")
    ),
    OcppSensorEntityDescription(
        key="current",
        translation_key="current",
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        suggested_display_precision=1,
        exists_fn=lambda connector: connector.reading(Measurand.CURRENT_IMPORT) is not None,
        value_fn=_rounded(Measurand.CURRENT_IMPORT, None, 2),
    ),
    OcppSensorEntityDescription(
        key="voltage",
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        device_class=SensorDeviceClass.VOLTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        suggested_display_precision=0,
        exists_fn=_measured(Measurand.VOLTAGE),
        value_fn=lambda _charger, connector: _voltage(connector),
    ),
    OcppSensorEntityDescription(
        key="current_offered",
        translation_key="current_offered",
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        suggested_display_precision=1,
        exists_fn=_measured(Measurand.CURRENT_OFFERED),
        value_fn=lambda _charger, connector: _offered_current(connector),
    ),
    OcppSensorEntityDescription(
        key="active_current_limit",
        follows_readings=False,
        translation_key="active_current_limit",
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        suggested_display_precision=1,
        charger_exists_fn=supports_smart_charging,
        value_fn=lambda _charger, connector: connector.limit.active,
    ),
    OcppSensorEntityDescription(
        key="solar_surplus",
        follows_readings=False,
        translation_key="solar_surplus",
        solar_only=True,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        charger_exists_fn=supports_smart_charging,
        value_fn=lambda _charger, connector: (
            round(connector.solar.surplus_w) if connector.solar else None
        ),
    ),
    OcppSensorEntityDescription(
        key="solar_state",
        follows_readings=False,
        translation_key="solar_state",
        solar_only=True,
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in ControllerState],
        charger_exists_fn=supports_smart_charging,
        value_fn=lambda _charger, connector: _solar_state(connector),
    ),
    OcppSensorEntityDescription(
        key="solar_next_change",
        follows_readings=False,
        translation_key="solar_next_change",
        solar_only=True,
        device_class=SensorDeviceClass.TIMESTAMP,
        charger_exists_fn=supports_smart_charging,
        value_fn=lambda _charger, connector: _next_change(connector),
    ),
    OcppSensorEntityDescription(
        key="session_energy",
        translation_key="session_energy",
        device_class=SensorDeviceClass.ENERGY,
        # No state class: the Energy dashboard offers only "Energy total", which never falls;
        # a per-session value beside it would be counted twice.
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=_session_energy_kwh,
    ),
    OcppSensorEntityDescription(
        key="session_duration",
        translation_key="session_duration",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_display_precision=0,
        value_fn=_session_duration,
    ),
    OcppSensorEntityDescription(
        key="id_tag",
        follows_readings=False,
        translation_key="id_tag",
        # Charged by names the card; the raw id is for automations that need it.
        entity_registry_enabled_default=False,
        value_fn=lambda _charger, connector: (
            connector.session.id_tag if connector.session else None
        ),
    ),
    OcppSensorEntityDescription(
        key="temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=1,
        exists_fn=_measured(Measurand.TEMPERATURE),
        value_fn=_rounded(Measurand.TEMPERATURE),
    ),
    # Further measurands, created when the charger reports them.
    OcppSensorEntityDescription(
        key="frequency",
        device_class=SensorDeviceClass.FREQUENCY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfFrequency.HERTZ,
        suggested_display_precision=2,
        exists_fn=_measured(Measurand.FREQUENCY),
        value_fn=_rounded(Measurand.FREQUENCY, None, 2),
    ),
    OcppSensorEntityDescription(
        key="power_factor",
        device_class=SensorDeviceClass.POWER_FACTOR,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        exists_fn=_measured(Measurand.POWER_FACTOR),
        value_fn=_rounded(Measurand.POWER_FACTOR, None, 3),
    ),
    OcppSensorEntityDescription(
        key="power_offered",
        translation_key="power_offered",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        exists_fn=_measured(Measurand.POWER_OFFERED),
        value_fn=lambda _charger, connector: _total_or_phases(connector, Measurand.POWER_OFFERED),
    ),
    OcppSensorEntityDescription(
        key="energy_export",
        translation_key="energy_export",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        exists_fn=_measured(Measurand.ENERGY_ACTIVE_EXPORT_REGISTER),
        value_fn=lambda _charger, connector: _kwh(
            connector.reading(Measurand.ENERGY_ACTIVE_EXPORT_REGISTER)
        ),
    ),
    OcppSensorEntityDescription(
        key="fan_speed",
        translation_key="fan_speed",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=REVOLUTIONS_PER_MINUTE,
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=_measured(Measurand.RPM),
        value_fn=_rounded(Measurand.RPM, None, 0),
    ),
    OcppSensorEntityDescription(
        key="soc",
        translation_key="soc",
        # No battery class: it is the car's charge, not the wallbox's own battery (HA shows a
        # device's battery in its header).
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        exists_fn=_measured(Measurand.SOC),
        value_fn=_rounded(Measurand.SOC, None, 0),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OcppConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up sensors for every approved charger, now and as chargers appear."""
    async_setup_dynamic_entities(hass, entry, SENSORS, OcppSensor, async_add_entities)
    async_setup_dynamic_entities(
        hass, entry, (CHARGED_BY,), OcppChargedBySensor, async_add_entities
    )
    async_setup_dynamic_entities(hass, entry, COST_SENSORS, OcppCostSensor, async_add_entities)
    async_setup_card_sensors(hass, entry, async_add_entities)


class OcppSensor(OcppEntity, SensorEntity):
    """A sensor of one charger or connector."""

    entity_description: OcppSensorEntityDescription

    @property
    @override
    def native_value(self) -> StateType | datetime:
        return self.entity_description.value_fn(self.charger, self.connector)

    @override
    def state_fingerprint(self) -> Any:
        return (self.available, self.native_value)


# Who charges (or charged last): the card's name from the owner's list, else its person,
# else the raw id tag.
CHARGED_BY = OcppSensorEntityDescription(
    key="charged_by",
    follows_readings=False,
    translation_key="charged_by",
    value_fn=lambda _charger, connector: connector.session.id_tag if connector.session else None,
)


class OcppChargedBySensor(OcppSensor):
    """The name of whoever's card started the running (or last) session."""

    @property
    @override
    def native_value(self) -> StateType | datetime:
        id_tag = self.entity_description.value_fn(self.charger, self.connector)
        if not isinstance(id_tag, str) or not id_tag:
            return None
        if id_tag.casefold() == self.central.settings.id_tag.casefold():
            return "Home Assistant"
        tag = self.central.tags.find(id_tag)
        if tag is None:
            return id_tag
        if tag.name:
            return tag.name
        person = self.hass.states.get(tag.person) if tag.person else None
        return person.name if person is not None else id_tag


@dataclass(frozen=True, kw_only=True)
class OcppCostSensorEntityDescription(OcppSensorEntityDescription):
    """A sensor of what a charger delivered and cost, from the tariff and the history."""

    central_value_fn: Callable[[CentralSystem, Charger, Connector], float | None]
    value_fn: Callable[[Charger, Connector], StateType | datetime] = lambda _ch, _co: None


def _session_cost(central: CentralSystem, _charger: Charger, connector: Connector) -> float | None:
    session = connector.session
    if session is None:
        return None
    cost = central.tariff.session_cost(session)
    return None if cost is None else round(cost, 2)


def _running(charger: Charger) -> list[Transaction]:
    return [c.transaction for c in charger.connectors.values() if c.transaction is not None]


def _energy_this_month(central: CentralSystem, charger: Charger, _connector: Connector) -> float:
    """Sessions finished this month plus the energy of those running now."""
    finished, _cost = central.history.month_totals(charger.charge_point_id, dt_util.utcnow())
    running = sum(transaction.energy_wh for transaction in _running(charger)) / 1000
    # Shown to 0.1 kWh: finer, a running session would rewrite it on every meter frame.
    return round(finished + running, 1)


def _cost_this_month(
    central: CentralSystem, charger: Charger, _connector: Connector
) -> float | None:
    _energy, finished = central.history.month_totals(charger.charge_point_id, dt_util.utcnow())
    costs = [central.tariff.session_cost(transaction) for transaction in _running(charger)]
    known = [cost for cost in (finished, *costs) if cost is not None]
    return round(sum(known), 2) if known else None


COST_SENSORS: Final = (
    OcppCostSensorEntityDescription(
        key="session_cost",
        translation_key="session_cost",
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        tariff_only=True,
        central_value_fn=_session_cost,
    ),
    OcppCostSensorEntityDescription(
        key="energy_this_month",
        translation_key="energy_this_month",
        charger_wide=True,
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=1,
        central_value_fn=_energy_this_month,
    ),
    OcppCostSensorEntityDescription(
        key="cost_this_month",
        translation_key="cost_this_month",
        charger_wide=True,
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        tariff_only=True,
        central_value_fn=_cost_this_month,
    ),
)


class OcppCostSensor(OcppSensor):
    """Energy and cost from the tariff and the session history (money in HA's currency)."""

    entity_description: OcppCostSensorEntityDescription

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        if self.entity_description.charger_wide:
            # The month's totals include every connector's running session.
            self.async_on_remove(self.charger.add_listener(ANY_CONNECTOR, self._model_changed))

    @property
    @override
    def native_value(self) -> StateType | datetime:
        return self.entity_description.central_value_fn(self.central, self.charger, self.connector)

    @property
    @override
    def native_unit_of_measurement(self) -> str | None:
        if self.entity_description.device_class is SensorDeviceClass.MONETARY:
            return self.central.tariff.currency
        return super().native_unit_of_measurement
