"""The user's intent is state: mode, limit and phases hold across sessions, reboots and restarts.

Each test drives HA's entities (or actions) and asserts on the limit the simulated charger
really applies (its composite schedule, computed from the profiles it holds), so that "HA
shows Fast, 16 A, Charging" can no longer hide a charger stuck at 0 A.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.button import SERVICE_PRESS
from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.components.select import ATTR_OPTION, SERVICE_SELECT_OPTION
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ocpp_central import control as control_module
from custom_components.ocpp_central.const import DOMAIN
from simulator import ChargerSimulator
from simulator.habits import Habit

from .conftest import ALL_VERSIONS
from .helpers import device_trigger_automations, entity_id, smart_charger, state, wait_until

# A charger that forgets its profiles when it reboots, and really reboots on Reset.
FORGETFUL = frozenset({Habit.RESET_REBOOTS, Habit.FORGETS_PROFILES_ON_REBOOT})


def applied(sim: ChargerSimulator) -> float:
    """The current limit (A) the simulated charger applies on connector 1 right now."""
    return sim.composite_schedule(1, 60, "A")[0][1]


async def _smart(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, **config: Any
) -> ChargerSimulator:
    sim: ChargerSimulator = await smart_charger(hass, central, make_simulator, **config)
    return sim


async def _mode(hass: HomeAssistant, option: str) -> None:
    await hass.services.async_call(
        "select",
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: entity_id(hass, "select", "CP1_1_charging_mode"), ATTR_OPTION: option},
        blocking=True,
    )


async def _limit(hass: HomeAssistant, amps: float) -> None:
    await hass.services.async_call(
        "number",
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: entity_id(hass, "number", "CP1_1_current_limit"), ATTR_VALUE: amps},
        blocking=True,
    )


@pytest.fixture(autouse=True)
def no_rate_limit(central: MockConfigEntry, hass: HomeAssistant) -> None:
    """Writes follow each other within a second: the tests are about what, not how often."""
    hass.config_entries.async_update_entry(
        central, options={**central.options, "limit_interval": 1}
    )


async def _wait_applied(hass: HomeAssistant, sim: ChargerSimulator, amps: float) -> None:
    await wait_until(hass, lambda: applied(sim) == amps)


@ALL_VERSIONS
async def test_off_holds_across_sessions_and_reboots(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """Off is 0 A for the running session, the next one, and after a reboot that forgot it.

    Off used to be a TxProfile that ended with the session: the next session charged at full
    power while Off was shown, and nothing was re-applied after a reboot.
    """
    sim = await _smart(hass, central, make_simulator, habits=FORGETFUL, reboot_delay=0.1)
    full = applied(sim)
    assert full > 0
    await _mode(hass, "off")
    await _wait_applied(hass, sim, 0.0)
    transaction = await sim.start_transaction(1)
    await hass.async_block_till_done()
    assert applied(sim) == 0.0
    await sim.stop_transaction(1, transaction_id=transaction)
    transaction = await sim.start_transaction(1)
    await hass.async_block_till_done()
    assert applied(sim) == 0.0
    assert state(hass, "switch", "CP1_1_charging").state == "off"
    # (2.x chargers reset OnIdle: after the session.)
    await sim.stop_transaction(1, transaction_id=transaction)

    await hass.services.async_call(
        "button",
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: entity_id(hass, "button", "CP1_reset")},
        blocking=True,
    )
    # The charger reboots and forgets every profile; the central system writes Off again.
    await wait_until(hass, lambda: not sim.connector(1).profiles)
    await _wait_applied(hass, sim, 0.0)
    assert state(hass, "select", "CP1_1_charging_mode").state == "off"


@ALL_VERSIONS
async def test_fast_after_off_restores_the_next_session(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """Back to Fast during a session: this session and the next charge at the limit.

    Seen in the demo: a 0 A default written while idle stayed; three sessions delivered 0 kWh
    while HA showed Fast and 16 A, and setting 16 A again sent nothing.
    """
    sim = await _smart(hass, central, make_simulator)
    await _mode(hass, "off")
    await _wait_applied(hass, sim, 0.0)
    transaction = await sim.start_transaction(1)
    await _mode(hass, "fast")
    await _wait_applied(hass, sim, 16.0)
    await sim.stop_transaction(1, transaction_id=transaction)
    await hass.async_block_till_done()
    # Idle again: the default for the next session is the user's limit, not the old 0 A.
    await _wait_applied(hass, sim, 16.0)
    await sim.start_transaction(1)
    await hass.async_block_till_done()
    assert applied(sim) == 16.0
    assert float(state(hass, "number", "CP1_1_current_limit").state) == 16


async def test_limit_keeps_the_chosen_phases(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """Changing the limit keeps one phase if the user chose one (it used to drop it)."""
    sim = await _smart(hass, central, make_simulator)
    await hass.services.async_call(
        "select",
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: entity_id(hass, "select", "CP1_1_phases"), ATTR_OPTION: "1"},
        blocking=True,
    )
    await _limit(hass, 10)
    await wait_until(hass, lambda: sim.composite_schedule(1, 60, "A")[0][1:] == (10.0, 1))
    assert state(hass, "select", "CP1_1_phases").state == "1"


async def test_refused_limit_is_retried_and_raises_a_repair(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A refused write is retried with backoff; three refusals raise a repair issue, which
    goes away once the charger takes the limit."""
    monkeypatch.setattr(control_module, "RETRY_BASE", 0.05)
    monkeypatch.setattr(control_module, "RETRY_MAX", 0.1)
    sim = await _smart(hass, central, make_simulator)
    sim.reject_profiles = True
    with pytest.raises(HomeAssistantError):
        await _limit(hass, 10)
    issue_id = f"limit_refused_{central.entry_id}_CP1_1"
    issues = ir.async_get(hass)
    await wait_until(hass, lambda: issues.async_get_issue(DOMAIN, issue_id) is not None)
    # The user's value is shown although the charger has not taken it yet.
    assert float(state(hass, "number", "CP1_1_current_limit").state) == 10
    sim.reject_profiles = False
    await _wait_applied(hass, sim, 10.0)
    await wait_until(hass, lambda: issues.async_get_issue(DOMAIN, issue_id) is None)


@ALL_VERSIONS
async def test_mode_chosen_before_a_restart_is_sent_on_connect(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """The stored intent is established on a charger that comes back with no profiles."""
    sim = await _smart(hass, central, make_simulator)
    await _mode(hass, "off")
    await _wait_applied(hass, sim, 0.0)
    await sim.close()
    assert await hass.config_entries.async_unload(central.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(central.entry_id)
    await hass.async_block_till_done()

    fresh = await _smart(hass, central, make_simulator)  # a charger that kept nothing
    await _wait_applied(hass, fresh, 0.0)
    assert state(hass, "select", "CP1_1_charging_mode").state == "off"


async def test_charging_switch_in_off_mode_charges(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """Switching charging on while Off means Fast (it used to leave the car at 0 A)."""
    sim = await _smart(hass, central, make_simulator)
    await _mode(hass, "off")
    await sim.start_transaction(1)
    await _wait_applied(hass, sim, 0.0)
    await hass.services.async_call(
        "switch",
        SERVICE_TURN_ON,
        {ATTR_ENTITY_ID: entity_id(hass, "switch", "CP1_1_charging")},
        blocking=True,
    )
    await _wait_applied(hass, sim, 16.0)
    assert state(hass, "select", "CP1_1_charging_mode").state == "fast"
    assert state(hass, "switch", "CP1_1_charging").state == "on"


@ALL_VERSIONS
async def test_stop_session_button(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """The Stop session button ends the session; without one it says so."""
    sim = await _smart(hass, central, make_simulator)
    button = entity_id(hass, "button", "CP1_1_stop_session")
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "button", SERVICE_PRESS, {ATTR_ENTITY_ID: button}, blocking=True
        )
    assert err.value.translation_key == "no_transaction"
    await sim.start_transaction(1)
    await hass.async_block_till_done()
    await hass.services.async_call("button", SERVICE_PRESS, {ATTR_ENTITY_ID: button}, blocking=True)
    await sim.wait_for_call(
        "RemoteStopTransaction" if ocpp_version == "1.6" else "RequestStopTransaction"
    )


@ALL_VERSIONS
async def test_session_events_and_device_triggers(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """Session start and end fire events with who, how much and why; device triggers too."""
    from homeassistant.components.device_automation import (
        DeviceAutomationType,
        async_get_device_automations,
    )
    from homeassistant.helpers import device_registry as dr
    from pytest_homeassistant_custom_component.common import async_capture_events

    sim = await _smart(hass, central, make_simulator)
    device = dr.async_get(hass).async_get_device({(DOMAIN, "CP1")})
    assert device is not None
    triggers = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, [device.id])
    ours = {t["type"] for t in triggers[device.id] if t["domain"] == DOMAIN}
    assert ours == {
        "session_started",
        "session_stopped",
        "booted",
        "firmware_status",
        "fault_raised",
        "fault_cleared",
    }
    await device_trigger_automations(hass, device.id, ["session_started", "session_stopped"])
    started = async_capture_events(hass, "ocpp_central_session_started")
    stopped = async_capture_events(hass, "ocpp_central_session_stopped")
    fired = async_capture_events(hass, "test_session_stopped")
    transaction = await sim.start_transaction(1, meter_start_wh=1000)
    await sim.stop_transaction(1, meter_stop_wh=3500, transaction_id=transaction)
    await hass.async_block_till_done()
    assert len(started) == 1
    assert started[0].data["device_id"] == device.id
    assert started[0].data["id_tag"] == "RFID0001"
    assert len(stopped) == 1
    assert stopped[0].data["energy_kwh"] == 2.5
    assert stopped[0].data["connector_id"] == 1
    assert len(fired) == 1


@ALL_VERSIONS
async def test_availability_is_sent_again_after_a_reboot(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """A connector made unavailable stays so: the choice is repeated after a reboot."""
    from homeassistant.const import SERVICE_TURN_OFF

    sim = await _smart(hass, central, make_simulator, habits=FORGETFUL, reboot_delay=0.1)
    await hass.services.async_call(
        "switch",
        SERVICE_TURN_OFF,
        {ATTR_ENTITY_ID: entity_id(hass, "switch", "CP1_1_availability")},
        blocking=True,
    )

    def availability_calls() -> int:
        return sum(action == "ChangeAvailability" for action, _ in sim.received)

    assert availability_calls() == 1
    await hass.services.async_call(
        "button",
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: entity_id(hass, "button", "CP1_reset")},
        blocking=True,
    )
    await wait_until(hass, lambda: availability_calls() == 2)
    assert central.runtime_data.chargers["CP1"].connector(1).desired.operative is False


async def test_solar_mode_needs_a_grid_sensor(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """Without a grid sensor solar mode is refused with a clear message, not a silent stop."""
    sim = await _smart(hass, central, make_simulator)
    for option in ("solar", "min_solar"):
        with pytest.raises(ServiceValidationError) as err:
            await _mode(hass, option)
        assert err.value.translation_key == "no_grid_sensor"
    assert state(hass, "select", "CP1_1_charging_mode").state == "fast"
    assert not [action for action, _ in sim.received if action == "SetChargingProfile"]


async def _set_number(hass: HomeAssistant, unique_id: str, value: float) -> None:
    await hass.services.async_call(
        "number",
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: entity_id(hass, "number", unique_id), ATTR_VALUE: value},
        blocking=True,
    )


@ALL_VERSIONS
async def test_per_charger_limits(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """A charger's own maximum and failsafe current override the options, and are kept."""
    sim = await _smart(hass, central, make_simulator)
    # Until set, the options apply (16 A maximum, no failsafe).
    assert float(state(hass, "number", "CP1_max_current").state) == 16
    assert float(state(hass, "number", "CP1_failsafe_current").state) == 0

    # This charger sits on a 10 A fuse: Fast charges at 10 A, and no higher limit can be set.
    await _set_number(hass, "CP1_max_current", 10)
    await _wait_applied(hass, sim, 10.0)
    limit = state(hass, "number", "CP1_1_current_limit")
    assert (float(limit.state), limit.attributes["max"]) == (10, 10)
    with pytest.raises(ServiceValidationError):
        await _limit(hass, 12)

    # Its failsafe goes onto the charger (a default for every connector, lowest stack level).
    await _set_number(hass, "CP1_failsafe_current", 8)
    await wait_until(
        hass,
        lambda: any(
            profile.stack_level == 0 and profile.periods[0].limit_a == 8.0
            for profile in sim.connector(1).profiles.values()
        ),
    )
    charger = central.runtime_data.chargers["CP1"]
    stored = central.runtime_data.store.as_diagnostics()["chargers"]["CP1"]
    assert (stored["max_current"], stored["failsafe_current"]) == (10, 8)
    assert charger.limits.max_current == 10

    # Home Assistant restarts: the charger's own limits and its restarts are still known.
    assert await hass.config_entries.async_unload(central.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(central.entry_id)
    await hass.async_block_till_done()
    restored = central.runtime_data.chargers["CP1"]
    assert (restored.limits.max_current, restored.limits.failsafe_current) == (10, 8)
    assert restored.boot_count == 1
    assert restored.last_boot is not None
