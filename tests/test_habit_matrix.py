"""The core scenarios across the simulator's real-charger habits, for every OCPP version.

Each run: boot, a current limit, a session with readings, a network drop in the middle of it,
the stop, an HA restart, Off mode and a Reset, after which the status is the charger's own
and a real reboot shows as a restart. The product must give the same answers
whatever habit the charger has: the session and the energy total are right (the total never
falls), the charger stays accepted after reconnecting, and what the user chose is what the
charger applies, also after it rebooted and forgot.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.button import SERVICE_PRESS
from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.components.select import ATTR_OPTION, SERVICE_SELECT_OPTION
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ocpp_central import session as session_module
from simulator import ChargerSimulator
from simulator.habits import REALISTIC_HABITS, Habit

from .conftest import VERSIONS
from .helpers import entity_id, state, wait_until

PROFILES: dict[str, frozenset[Habit]] = {
    "polite": frozenset(),
    **{habit.value: frozenset({habit}) for habit in Habit},
    "realistic": REALISTIC_HABITS,
}


def _energy(hass: HomeAssistant, key: str) -> float:
    return float(state(hass, "sensor", f"CP1_1_{key}").state)


def _applied(sim: ChargerSimulator) -> float:
    return sim.composite_schedule(1, 60, "A")[0][1]


async def _charge(hass: HomeAssistant, sim: ChargerSimulator, wh: float) -> None:
    """The car takes `wh` more, and the charger reports it."""
    connector = sim.connector(1)
    connector.set_energy(sim.energy_wh(1) + wh)
    await sim.meter_values(1)
    await hass.async_block_till_done()


async def _select(hass: HomeAssistant, unique_id: str, option: str) -> None:
    await hass.services.async_call(
        "select",
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: entity_id(hass, "select", unique_id), ATTR_OPTION: option},
        blocking=True,
    )


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("ocpp_version", VERSIONS)
@pytest.mark.parametrize("profile", list(PROFILES))
async def test_core_scenarios(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    ocpp_version: str,
    profile: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Boot, limit, session across a network drop, stop, HA restart, Off and Reset."""
    monkeypatch.setattr(session_module, "RESUME_GRACE", 0.05)
    monkeypatch.setattr(session_module, "REFRESH_DELAY", 0.05)
    monkeypatch.setattr(session_module, "AWAIT_STATUS_TIMEOUT", 0.5)
    hass.config_entries.async_update_entry(
        central, options={**central.options, "limit_interval": 1}
    )
    sim: ChargerSimulator = await make_simulator(
        "CP1", habits=PROFILES[profile], reboot_delay=0.1, answer_delay=(0.0, 0.02)
    )
    await sim.boot()
    charger = central.runtime_data.chargers["CP1"]
    await wait_until(hass, lambda: "SmartCharging" in charger.feature_profiles)
    await hass.async_block_till_done()

    # A limit the charger applies.
    await hass.services.async_call(
        "number",
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: entity_id(hass, "number", "CP1_1_current_limit"), ATTR_VALUE: 10},
        blocking=True,
    )
    await wait_until(hass, lambda: _applied(sim) == 10.0)

    # A session with readings, across a network drop.
    transaction = await sim.start_transaction(1)
    await _charge(hass, sim, 2000)
    await wait_until(hass, lambda: abs(_energy(hass, "session_energy") - 2.0) < 0.01)
    total = _energy(hass, "energy")
    await sim.drop_connection()
    await sim.reconnect()
    await wait_until(hass, lambda: central.runtime_data.sessions.get("CP1") is not None)
    await wait_until(hass, lambda: central.runtime_data.sessions["CP1"].accepted)
    await _charge(hass, sim, 1000)
    assert _energy(hass, "energy") >= total + 0.99
    assert state(hass, "binary_sensor", "CP1_connected").state == "on"
    if sim.transaction_id(1) is not None:
        # The charger kept its session through the drop (a real one does).
        await wait_until(hass, lambda: abs(_energy(hass, "session_energy") - 3.0) < 0.01)
        await sim.stop_transaction(1, transaction_id=transaction)
        await wait_until(hass, lambda: charger.connector(1).transaction is None)
        assert abs(_energy(hass, "session_energy") - 3.0) < 0.01
    else:
        # A charger that rebooted ended the session when it came back: so does HA.
        await wait_until(hass, lambda: charger.connector(1).transaction is None)
        assert abs(_energy(hass, "session_energy") - 2.0) < 0.01
    total = _energy(hass, "energy")

    # Home Assistant restarts; the charger comes back.
    assert await hass.config_entries.async_unload(central.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(central.entry_id)
    await hass.async_block_till_done()
    await wait_until(hass, lambda: not sim.connected)
    await sim.reconnect()
    await wait_until(hass, lambda: central.runtime_data.sessions.get("CP1") is not None)
    charger = central.runtime_data.chargers["CP1"]
    await wait_until(hass, lambda: central.runtime_data.sessions["CP1"].accepted)
    assert _energy(hass, "energy") == total

    # Off holds, also after a Reset that may reboot the charger and make it forget.
    await _select(hass, "CP1_1_charging_mode", "off")
    await wait_until(hass, lambda: _applied(sim) == 0.0)
    boots_before_reset = charger.boot_count
    await hass.services.async_call(
        "button",
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: entity_id(hass, "button", "CP1_reset")},
        blocking=True,
    )
    await wait_until(hass, lambda: sim.connected and _applied(sim) == 0.0)
    await wait_until(hass, lambda: central.runtime_data.sessions.get("CP1") is not None)
    assert state(hass, "select", "CP1_1_charging_mode").state == "off"
    assert _energy(hass, "energy") >= total

    # What HA shows is the charger's own report, never a wait that does not end; a charger
    # that really rebooted shows the restart, ours.
    await wait_until(hass, lambda: state(hass, "sensor", "CP1_1_status").state != "pending")
    if Habit.RESET_REBOOTS in PROFILES[profile]:
        await wait_until(hass, lambda: charger.boot_count > boots_before_reset)
        reason = state(hass, "sensor", "CP1_boot_reason").state
        assert reason in ("remote_reset", "scheduled_reset")
