"""Control entities: current limit, charging switch (start/pause/resume), availability, buttons."""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.components.button import SERVICE_PRESS
from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ocpp_central.const import CONF_LIMIT_INTERVAL
from custom_components.ocpp_central.control import watts_for
from simulator import ConfigKey

from .conftest import ALL_VERSIONS
from .helpers import entity_id, smart_charger, state, wait_until


def _profile(ocpp_version: str, payload: dict[str, Any]) -> tuple[str, str, float, int]:
    """(purpose, unit, limit, stack level) of a SetChargingProfile the charger received."""
    if ocpp_version == "1.6":
        profile = payload["csChargingProfiles"]
        schedule = profile["chargingSchedule"]
    else:
        profile = payload["chargingProfile"]
        schedule = profile["chargingSchedule"][0]
    period = schedule["chargingSchedulePeriod"][0]
    return (
        profile["chargingProfilePurpose"],
        schedule["chargingRateUnit"],
        float(period["limit"]),
        int(profile["stackLevel"]),
    )


def _number_phases(payload: dict[str, Any]) -> int | None:
    """numberPhases of the first period of a SetChargingProfile (None: not asked for)."""
    profile = payload.get("csChargingProfiles") or payload["chargingProfile"]
    schedule = profile["chargingSchedule"]
    schedule = schedule if isinstance(schedule, dict) else schedule[0]
    phases = schedule["chargingSchedulePeriod"][0].get("numberPhases")
    return None if phases is None else int(phases)


def _profiles(sim: Any, ocpp_version: str) -> list[tuple[str, str, float, int]]:
    """Every SetChargingProfile the charger received so far, as `_profile` tuples."""
    return [
        _profile(ocpp_version, payload)
        for action, payload in sim.received
        if action == "SetChargingProfile"
    ]


def _last_profile(sim: Any, ocpp_version: str) -> tuple[str, str, float] | None:
    """(purpose, unit, limit) of the newest SetChargingProfile the charger received."""
    profiles = _profiles(sim, ocpp_version)
    return profiles[-1][:3] if profiles else None


def _short_interval(hass: HomeAssistant, central: MockConfigEntry) -> None:
    """At most one profile write a second, so tests see the rate-limited writes happen."""
    hass.config_entries.async_update_entry(
        central, options={**central.options, CONF_LIMIT_INTERVAL: 1}
    )


async def _set_limit(hass: HomeAssistant, value: float) -> None:
    await hass.services.async_call(
        "number",
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: entity_id(hass, "number", "CP1_1_current_limit"), ATTR_VALUE: value},
        blocking=True,
    )


@ALL_VERSIONS
async def test_current_limit_profiles(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """TxDefaultProfile while idle, TxProfile during a session, at the highest stack level."""
    _short_interval(hass, central)
    sim = await smart_charger(hass, central, make_simulator)
    number = state(hass, "number", "CP1_1_current_limit")
    assert number.attributes["min"] == 6
    assert number.attributes["max"] == 16
    await _set_limit(hass, 10)
    purpose, unit, limit, stack = _profile(
        ocpp_version, await sim.wait_for_call("SetChargingProfile")
    )
    assert (purpose, unit, limit, stack) == ("TxDefaultProfile", "A", 10.0, 8)
    assert float(state(hass, "number", "CP1_1_current_limit").state) == 10
    await wait_until(
        hass, lambda: state(hass, "sensor", "CP1_1_active_current_limit").state == "10.0"
    )

    await sim.start_transaction(1)
    # The default profile already holds the new session at 10 A: nothing to write for it.
    assert sim.composite_schedule(1, 60, "A") == [(0, 10.0, 3)]
    await _set_limit(hass, 12)
    # A session's own limit is a TxProfile, written once the interval allows.
    await wait_until(hass, lambda: len(_profiles(sim, ocpp_version)) == 2)
    purpose, unit, limit, _ = _profiles(sim, ocpp_version)[-1]
    assert (purpose, unit, limit) == ("TxProfile", "A", 12.0)
    assert sim.composite_schedule(1, 60, "A") == [(0, 12.0, 3)]
    await wait_until(
        hass, lambda: state(hass, "sensor", "CP1_1_active_current_limit").state == "12.0"
    )


@ALL_VERSIONS
async def test_watt_only_charger(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """A charger taking only W gets the limit converted with voltage and phases."""
    sim = await make_simulator("CP1")
    sim.accepted_rate_units = {"W"}
    if ocpp_version == "1.6":
        sim.configuration["ChargingScheduleAllowedChargingRateUnit"] = ConfigKey("Power")
    else:
        sim.variables["SmartChargingCtrlr.RateUnit"] = ConfigKey("W")
    await sim.boot()
    charger = central.runtime_data.chargers["CP1"]
    await wait_until(hass, lambda: "SmartCharging" in charger.feature_profiles)
    await hass.async_block_till_done()
    await _set_limit(hass, 10)
    _, unit, limit, _ = _profile(ocpp_version, await sim.wait_for_call("SetChargingProfile"))
    assert unit == "W"
    assert limit == 10 * 230 * 3


def test_watts_follow_measured_voltage_and_phases() -> None:
    """A↔W: measured voltage and the phases carrying current decide the conversion."""
    from homeassistant.util import dt as dt_util

    from custom_components.ocpp_central.metering import normalise
    from custom_components.ocpp_central.model import Charger

    charger = Charger("X")
    connector = charger.connector(1)
    assert watts_for(charger, 1, 10) == 6900
    now = dt_util.utcnow()
    for sample in (
        normalise("Voltage", "240", "V", now, phase="L1-N"),
        normalise("Current.Import", "9.8", "A", now, phase="L1"),
        normalise("Current.Import", "0", "A", now, phase="L2"),
    ):
        assert sample is not None
        connector.readings[(sample.measurand, sample.phase, sample.location)] = sample
    assert watts_for(charger, 1, 10) == 2400
    # A profile asking for 3 phases still uses the measured voltage.
    assert watts_for(charger, 1, 10, phases=3) == 7200


async def test_rate_limit_last_value_wins(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """100 writes in a burst: one now, one after the interval with the last value."""
    hass.config_entries.async_update_entry(
        central, options={**central.options, CONF_LIMIT_INTERVAL: 1}
    )
    sim = await smart_charger(hass, central, make_simulator)
    control = central.runtime_data.control("CP1", 1)
    for step in range(100):
        await control.async_set_current(6 + (step % 10))
    await control.async_set_current(13)
    await control.async_set_current(13.02)  # below one step: no new write

    def profiles() -> list[dict[str, Any]]:
        return [p for action, p in sim.received if action == "SetChargingProfile"]

    await wait_until(hass, lambda: len(profiles()) == 2)
    # Nothing else follows: the burst was coalesced into these two writes.
    await asyncio.sleep(1.2)
    assert len(profiles()) == 2
    first, second = profiles()
    assert _profile("1.6", first)[2] == 6.0
    assert _profile("1.6", second)[2] == 13.0


@ALL_VERSIONS
async def test_charging_switch_start_pause_resume(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """On starts a session; off pauses it through 0 A; on resumes it; nothing ends it."""
    _short_interval(hass, central)
    sim = await smart_charger(hass, central, make_simulator)
    switch = entity_id(hass, "switch", "CP1_1_charging")
    await sim.status(1, "Preparing")
    await hass.services.async_call(
        "switch", SERVICE_TURN_ON, {ATTR_ENTITY_ID: switch}, blocking=True
    )
    start = await sim.wait_for_call(
        "RemoteStartTransaction" if ocpp_version == "1.6" else "RequestStartTransaction"
    )
    tag = start["idTag"] if ocpp_version == "1.6" else start["idToken"]["idToken"]
    assert tag == "HomeAssistant"
    await wait_until(hass, lambda: hass.states.get(switch).state == "on")

    await hass.services.async_call(
        "switch", SERVICE_TURN_OFF, {ATTR_ENTITY_ID: switch}, blocking=True
    )
    # Paused: the running session is held at 0 A by a TxProfile (written once the interval
    # allows), and the charger really applies it.
    await wait_until(hass, lambda: _last_profile(sim, ocpp_version) == ("TxProfile", "A", 0.0))
    assert sim.composite_schedule(1, 60, "A")[0][1] == 0.0
    assert hass.states.get(switch).state == "off"
    assert sim.transaction_id(1) is not None
    assert central.runtime_data.chargers["CP1"].connector(1).transaction is not None

    await hass.services.async_call(
        "switch", SERVICE_TURN_ON, {ATTR_ENTITY_ID: switch}, blocking=True
    )
    await wait_until(hass, lambda: _last_profile(sim, ocpp_version) == ("TxProfile", "A", 16.0))
    assert sim.composite_schedule(1, 60, "A")[0][1] == 16.0
    assert hass.states.get(switch).state == "on"
    assert sim.transaction_id(1) is not None


async def test_charging_switch_explains_finishing(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """A charger still Finishing gets a clear error instead of a silent rejection."""
    sim = await smart_charger(hass, central, make_simulator)
    await sim.status(1, "Finishing")
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "switch",
            SERVICE_TURN_ON,
            {ATTR_ENTITY_ID: entity_id(hass, "switch", "CP1_1_charging")},
            blocking=True,
        )
    assert err.value.translation_key == "charger_finishing"


async def test_rejected_limit_is_reported(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """A charger refusing profiles makes the limit action fail with a translated error."""
    sim = await smart_charger(hass, central, make_simulator)
    sim.reject_profiles = True
    with pytest.raises(HomeAssistantError) as err:
        await _set_limit(hass, 10)
    assert err.value.translation_key == "command_rejected"
    assert err.value.translation_placeholders == {"command": "current_limit", "status": "rejected"}


@ALL_VERSIONS
async def test_availability_and_buttons(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """Availability switches, reset and unlock buttons send their commands."""
    sim = await smart_charger(hass, central, make_simulator)
    await sim.status(1, "Available")
    await hass.async_block_till_done()
    await hass.services.async_call(
        "switch",
        SERVICE_TURN_OFF,
        {ATTR_ENTITY_ID: entity_id(hass, "switch", "CP1_1_availability")},
        blocking=True,
    )
    payload = await sim.wait_for_call("ChangeAvailability")
    assert "Inoperative" in payload.values()
    await hass.services.async_call(
        "button",
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: entity_id(hass, "button", "CP1_1_unlock")},
        blocking=True,
    )
    await sim.wait_for_call("UnlockConnector")
    await hass.services.async_call(
        "button",
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: entity_id(hass, "button", "CP1_reset")},
        blocking=True,
    )
    payload = await sim.wait_for_call("Reset")
    assert payload["type"] == ("Soft" if ocpp_version == "1.6" else "OnIdle")


async def test_commands_on_offline_charger(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """Entities of a disconnected charger are unavailable and refuse commands."""
    sim = await smart_charger(hass, central, make_simulator)
    await sim.close()
    await wait_until(hass, lambda: state(hass, "button", "CP1_reset").state == "unavailable")
    control = central.runtime_data.control("CP1", 1)
    from custom_components.ocpp_central.errors import ChargerNotConnectedError

    with pytest.raises(ChargerNotConnectedError):
        await control.async_set_current(10)


async def test_failsafe_profile_after_boot(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """With a failsafe current set, every boot installs it as a stack level 0 default."""
    hass.config_entries.async_update_entry(
        central, options={**central.options, "failsafe_current": 8}
    )
    sim = await make_simulator("CP1")
    await sim.boot()
    payload = await sim.wait_for_call("SetChargingProfile")
    assert payload["connectorId"] == 0
    assert _profile("1.6", payload) == ("TxDefaultProfile", "A", 8.0, 0)
    assert 999 in sim.connector(1).profiles  # connector 0: installed on every connector

    # Set back to none: the next configuration pass removes it from the charger again.
    hass.config_entries.async_update_entry(
        central, options={**central.options, "failsafe_current": 0}
    )
    await hass.async_block_till_done()
    cleared = await sim.wait_for_call("ClearChargingProfile")
    assert cleared["id"] == 999
    await wait_until(hass, lambda: not central.runtime_data.chargers["CP1"].failsafe_installed)
    assert 999 not in sim.connector(1).profiles


async def test_no_limit_entities_without_smart_charging(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """A charger without SmartCharging gets no limit entities."""
    sim = await make_simulator("CP1")
    sim.configuration["SupportedFeatureProfiles"] = ConfigKey("Core,RemoteTrigger", readonly=True)
    await sim.boot()
    charger = central.runtime_data.chargers["CP1"]
    await wait_until(hass, lambda: "Core" in charger.feature_profiles)
    await hass.async_block_till_done()
    from homeassistant.helpers import entity_registry as er

    registry = er.async_get(hass)
    assert registry.async_get_entity_id("number", "ocpp_central", "CP1_1_current_limit") is None
    assert registry.async_get_entity_id("switch", "ocpp_central", "CP1_1_charging") is not None


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@ALL_VERSIONS
async def test_phases_and_power_limit(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """The phases select asks for numberPhases; the power limit converts W with those phases."""
    _short_interval(hass, central)
    sim = await smart_charger(hass, central, make_simulator)
    power = entity_id(hass, "number", "CP1_1_power_limit")
    # In whole 100 W: 16 A x 230 V x 3 = 11,040 W.
    assert hass.states.get(power).attributes["max"] == 11000
    await hass.services.async_call(
        "select",
        "select_option",
        {ATTR_ENTITY_ID: entity_id(hass, "select", "CP1_1_phases"), "option": "1"},
        blocking=True,
    )
    payload = await sim.wait_for_call("SetChargingProfile")
    assert _number_phases(payload) == 1
    assert _profile(ocpp_version, payload)[1:3] == ("A", 16.0)
    # The charger charges on one phase now.
    assert sim.composite_schedule(1, 60, "A") == [(0, 16.0, 1)]
    assert state(hass, "select", "CP1_1_phases").state == "1"

    # On one phase a watt is W / (V x 1): 16 A at most is 3680 W, and 2300 W is 10 A (on
    # three phases it would be 3.3 A, below the minimum).
    # 6 A x 230 V = 1,380 W and 16 A x 230 V = 3,680 W, in whole 100 W inside the range.
    assert hass.states.get(power).attributes["min"] == 1400
    assert hass.states.get(power).attributes["max"] == 3600
    assert float(hass.states.get(power).state) == 3600
    await hass.services.async_call(
        "number", SERVICE_SET_VALUE, {ATTR_ENTITY_ID: power, ATTR_VALUE: 2300}, blocking=True
    )
    # Written once the interval after the phase change allows.
    payload = await sim.wait_for_call("SetChargingProfile")
    _, unit, limit, _ = _profile(ocpp_version, payload)
    assert (unit, limit) == ("A", 10.0)
    assert _number_phases(payload) == 1
    assert sim.composite_schedule(1, 60, "A") == [(0, 10.0, 1)]
    assert float(state(hass, "number", "CP1_1_current_limit").state) == 10
    assert float(hass.states.get(power).state) == 2300

    # The measured voltage jitters: the limit in W stays put until it moved by a whole step.
    async def voltage(volts: float) -> float:
        await sim.meter_values(1, [{"value": f"{volts}", "unit": "V", "measurand": "Voltage"}])
        await hass.async_block_till_done()
        return float(hass.states.get(power).state)

    assert await voltage(234.0) == 2300  # 2340 W
    assert await voltage(226.0) == 2300  # 2260 W
    assert await voltage(246.0) == 2500  # 2460 W: more than a step away


def test_phase_switching_support_from_any_key() -> None:
    """1.6 ConnectorSwitch3to1PhaseSupported, 2.x Phases3to1 or ACPhaseSwitchingSupported."""
    from custom_components.ocpp_central.control import supports_phase_switching
    from custom_components.ocpp_central.model import Charger, ConfigurationValue

    charger = Charger("X", feature_profiles=frozenset({"SmartCharging"}))
    assert not supports_phase_switching(charger)
    charger.configuration = {
        "SmartChargingCtrlr.Phases3to1": ConfigurationValue("false", readonly=True),
        "SmartChargingCtrlr.ACPhaseSwitchingSupported": ConfigurationValue("true", readonly=True),
    }
    assert supports_phase_switching(charger)
    charger.configuration = {
        "ConnectorSwitch3to1PhaseSupported": ConfigurationValue("TRUE ", readonly=True)
    }
    assert supports_phase_switching(charger)
    charger.feature_profiles = frozenset({"Core"})
    assert not supports_phase_switching(charger)
