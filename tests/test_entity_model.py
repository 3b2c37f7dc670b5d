"""What the owner sees: one of each entity, state fresh after commands, restarts visible.

A one-connector charger shows one Status, Error, Fault and Available, with what the charger
reports for itself (connector 0) folded in; chargers with several connectors keep the
charger-wide twins. After a command the connector says it waits for the charger and asks it
for fresh state, and a restart shows as time, reason and count, with an event.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.button import SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.ocpp_central import session as session_module
from custom_components.ocpp_central.const import DOMAIN, EVENT_CHARGER_BOOTED
from simulator.habits import Habit

from .conftest import ALL_VERSIONS
from .helpers import entity_id, smart_charger, state, wait_until

# Twins of connector entities that describe the charger as a whole.
TWINS = (
    ("sensor", "charger_status"),
    ("sensor", "charger_error_code"),
    ("binary_sensor", "charger_fault"),
    ("switch", "charger_availability"),
)
INVENTORY_CALL = {"1.6": "GetConfiguration", "2.0.1": "GetBaseReport", "2.1": "GetBaseReport"}


def _unique_ids(hass: HomeAssistant) -> set[str]:
    return {entry.unique_id for entry in er.async_get(hass).entities.values()}


@ALL_VERSIONS
async def test_one_connector_charger_has_one_of_each(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """No Charger status beside Status: connector 0 is folded into the only connector."""
    registry = er.async_get(hass)
    # A twin left from an earlier version of the integration is removed.
    registry.async_get_or_create("sensor", DOMAIN, "CP1_charger_status")
    sim = await make_simulator("CP1")
    await sim.boot()
    await sim.wait_for_call(INVENTORY_CALL[ocpp_version])
    await sim.status(1, "Available")
    charger = central.runtime_data.chargers["CP1"]
    await wait_until(hass, lambda: charger.outlet_ids == [1])
    await hass.async_block_till_done()

    ids = _unique_ids(hass)
    for _platform, key in TWINS:
        assert f"CP1_{key}" not in ids
    assert {"CP1_1_status", "CP1_1_error_code", "CP1_1_fault", "CP1_1_availability"} <= ids

    # The charger as a whole becomes unavailable: so does its connector, on the one Status.
    await sim.status(0, "Unavailable")
    await hass.async_block_till_done()
    assert state(hass, "sensor", "CP1_1_status").state == "unavailable"
    assert state(hass, "switch", "CP1_1_availability").state == "off"
    await sim.status(0, "Available")
    await hass.async_block_till_done()
    assert state(hass, "sensor", "CP1_1_status").state == "available"

    # A charger-wide error shows on the connector's Error and Fault.
    await sim.status(0, "Faulted", error_code="InternalError")
    await hass.async_block_till_done()
    assert state(hass, "sensor", "CP1_1_status").state == "faulted"
    # (2.x statuses carry no error code: a fault is "other error" there.)
    expected = "internal_error" if ocpp_version == "1.6" else "other_error"
    assert state(hass, "sensor", "CP1_1_error_code").state == expected
    assert state(hass, "binary_sensor", "CP1_1_fault").state == "on"


async def test_several_connectors_keep_charger_twins(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """A charger with two connectors has a status of its own beside each connector's."""
    sim = await make_simulator("DUO", connectors=2)
    await sim.boot()
    await sim.wait_for_call("GetConfiguration")
    charger = central.runtime_data.chargers["DUO"]
    await wait_until(hass, lambda: len(charger.outlet_ids) == 2)
    await sim.status(0, "Available")
    await sim.status(1, "Charging")
    await hass.async_block_till_done()
    ids = _unique_ids(hass)
    for _platform, key in TWINS:
        assert f"DUO_{key}" in ids
    assert state(hass, "sensor", "DUO_charger_status").state == "available"
    assert state(hass, "sensor", "DUO_1_status").state == "charging"


def _trigger_requests(sim: Any) -> list[str]:
    return [
        payload.get("requestedMessage") or payload.get("requested_message")
        for action, payload in sim.received
        if action == "TriggerMessage"
    ]


@ALL_VERSIONS
async def test_status_waits_for_the_charger_after_a_command(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """Charging off: Status says it waits, the charger is asked, and its answer is shown."""
    from simulator import scenario

    sim = await smart_charger(hass, central, make_simulator, habits={Habit.SUSPENDED_BELOW_6A})
    sim.spawn(scenario.run_session(sim, 1, duration=60), "session")
    await wait_until(hass, lambda: state(hass, "sensor", "CP1_1_status").state == "charging")
    sim.received.clear()
    status_entity = entity_id(hass, "sensor", "CP1_1_status")
    shown: list[str] = []

    # A callback runs in the event loop, in order; a plain function would be run in the
    # executor, where two quick changes may be recorded the wrong way round.
    @callback
    def record(event: Event[EventStateChangedData]) -> None:
        shown.append(event.data["new_state"].state)

    async_track_state_change_event(hass, status_entity, record)

    await hass.services.async_call(
        "switch",
        SERVICE_TURN_OFF,
        {ATTR_ENTITY_ID: entity_id(hass, "switch", "CP1_1_charging")},
        blocking=True,
    )
    # The charger pauses at 0 A and says so (by itself, or asked for its status); until then
    # the connector waits for it, and never shows "charging" again in between.
    await wait_until(hass, lambda: shown[-1:] == ["suspended_evse"])
    assert "charging" not in shown
    assert shown in (["pending", "suspended_evse"], ["suspended_evse"])
    await wait_until(hass, lambda: "MeterValues" in _trigger_requests(sim))
    assert "StatusNotification" in _trigger_requests(sim)
    assert state(hass, "switch", "CP1_1_charging").state == "off"


async def test_waiting_ends_for_a_charger_that_cannot_be_asked(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without TriggerMessage (and no status change) the wait ends after a timeout."""
    monkeypatch.setattr(session_module, "REFRESH_DELAY", 0.05)
    monkeypatch.setattr(session_module, "AWAIT_STATUS_TIMEOUT", 0.3)
    sim = await smart_charger(hass, central, make_simulator, habits={Habit.NO_TRIGGER_MESSAGE})
    await sim.status(1, "Available")
    await hass.async_block_till_done()
    # Available once more: the charger accepts and, nothing having changed, reports nothing.
    await hass.services.async_call(
        "switch",
        SERVICE_TURN_ON,
        {ATTR_ENTITY_ID: entity_id(hass, "switch", "CP1_1_availability")},
        blocking=True,
    )
    assert state(hass, "sensor", "CP1_1_status").state == "pending"
    await wait_until(hass, lambda: state(hass, "sensor", "CP1_1_status").state == "available")
    # 1.6 without RemoteTrigger: it is not even asked.
    assert _trigger_requests(sim) == []


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@ALL_VERSIONS
async def test_restart_is_visible(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """Restart: the charger reboots, and HA shows when, why and how often, with an event."""
    events = async_capture_events(hass, EVENT_CHARGER_BOOTED)
    await smart_charger(
        hass, central, make_simulator, habits={Habit.RESET_REBOOTS}, reboot_delay=0.1
    )
    await hass.async_block_till_done()
    assert state(hass, "sensor", "CP1_boot_count").state == "1"
    assert state(hass, "sensor", "CP1_boot_reason").state == (
        "unknown" if ocpp_version == "1.6" else "power_up"
    )
    first_boot = state(hass, "sensor", "CP1_last_boot").state
    assert len(events) == 1

    await hass.services.async_call(
        "button",
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: entity_id(hass, "button", "CP1_reset")},
        blocking=True,
    )
    await wait_until(hass, lambda: state(hass, "sensor", "CP1_boot_count").state == "2")
    # 1.6 names no reason: a boot right after our Reset was ours.
    assert state(hass, "sensor", "CP1_boot_reason").state == "remote_reset"
    assert state(hass, "sensor", "CP1_last_boot").state >= first_boot
    assert len(events) == 2
    assert events[1].data["reason"] == "remote_reset"
    assert events[1].data["charge_point_id"] == "CP1"
    assert events[1].data["device_id"] is not None

    # Charging enabled is the control; Charging (binary sensor) is what the car does.
    switch_name = state(hass, "switch", "CP1_1_charging").attributes["friendly_name"]
    sensor_name = state(hass, "binary_sensor", "CP1_1_charging").attributes["friendly_name"]
    assert switch_name.endswith("Charging enabled")
    assert sensor_name.endswith(" Charging")


async def test_boot_asked_for_is_no_restart(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """A boot we trigger (to finish an approval) does not count as the charger restarting."""
    from custom_components.ocpp_central.model import BootReason

    sim = await smart_charger(hass, central, make_simulator)
    charger = central.runtime_data.chargers["CP1"]
    session = central.runtime_data.sessions["CP1"]
    assert charger.boot_count == 1
    before = sim.last_result["BootNotification"]
    session.request_boot()
    await wait_until(hass, lambda: sim.last_result["BootNotification"] is not before)
    await hass.async_block_till_done()
    assert charger.boot_count == 1
    assert charger.boot_reason is BootReason.UNKNOWN


async def test_solar_sensors_come_with_a_grid_sensor(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """Without a grid sensor the solar sensors would only ever read Unknown: none exist."""
    await smart_charger(hass, central, make_simulator)
    solar = {"CP1_1_solar_surplus", "CP1_1_solar_state", "CP1_1_solar_next_change"}
    assert not solar & _unique_ids(hass)

    hass.states.async_set("sensor.grid", "-3000", {"unit_of_measurement": "W"})
    hass.config_entries.async_update_entry(
        central, options={**central.options, "grid_power_sensor": "sensor.grid"}
    )
    await hass.async_block_till_done()
    assert solar <= _unique_ids(hass)

    # The grid sensor goes again: the solar sensors leave instead of staying unavailable.
    hass.config_entries.async_update_entry(
        central,
        options={k: v for k, v in central.options.items() if k != "grid_power_sensor"},
    )
    await hass.async_block_till_done()
    assert not solar & _unique_ids(hass)


async def test_offered_current_of_a_per_phase_charger(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """A charger that offers current per phase only still shows what it offers."""
    sim = await smart_charger(hass, central, make_simulator, habits={Habit.PER_PHASE_ONLY})
    await sim.start_transaction(1)
    await sim.status(1, "Charging")
    await sim.meter_values(1)
    await hass.async_block_till_done()
    offered = state(hass, "sensor", "CP1_1_current_offered")
    assert float(offered.state) > 0
    # What the charger applies is read from it although we never set a limit.
    await wait_until(
        hass, lambda: state(hass, "sensor", "CP1_1_active_current_limit").state != "unknown"
    )


async def test_further_measurands_become_sensors(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """Frequency, power factor, offered power, exported energy and fan speed, when sent."""
    sim = await smart_charger(hass, central, make_simulator)
    await sim.meter_values(
        1,
        [
            {"value": "49.98", "measurand": "Frequency", "unit": "Hertz"},
            {"value": "0.97", "measurand": "Power.Factor"},
            {"value": "3.68", "measurand": "Power.Offered", "unit": "kW", "phase": "L1"},
            {"value": "3.68", "measurand": "Power.Offered", "unit": "kW", "phase": "L2"},
            {"value": "12.5", "measurand": "Energy.Active.Export.Register", "unit": "kWh"},
            {"value": "1800", "measurand": "RPM"},
        ],
    )
    await hass.async_block_till_done()
    assert float(state(hass, "sensor", "CP1_1_frequency").state) == 49.98
    assert float(state(hass, "sensor", "CP1_1_power_factor").state) == 0.97
    assert float(state(hass, "sensor", "CP1_1_power_offered").state) == 7360
    assert float(state(hass, "sensor", "CP1_1_energy_export").state) == 12.5
    assert float(state(hass, "sensor", "CP1_1_fan_speed").state) == 1800
