"""The charging-mode select drives the solar controller against a simulated grid sensor."""

from __future__ import annotations

from typing import Any

from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.components.select import ATTR_OPTION, SERVICE_SELECT_OPTION
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ocpp_central.const import (
    CONF_GRID_SENSOR,
    CONF_LIMIT_INTERVAL,
    CONF_SOLAR_DISABLE_DELAY,
    CONF_SOLAR_ENABLE_DELAY,
)

from .conftest import ALL_VERSIONS
from .helpers import entity_id, smart_charger, state, wait_until


@pytest.fixture
def options(options: dict[str, Any]) -> dict[str, Any]:
    """A grid sensor, no delays and a short write interval, so a test runs in seconds."""
    return {
        **options,
        CONF_GRID_SENSOR: "sensor.grid",
        CONF_SOLAR_ENABLE_DELAY: 0,
        CONF_SOLAR_DISABLE_DELAY: 0,
        CONF_LIMIT_INTERVAL: 1,
    }


def _limits(sim: Any) -> list[float]:
    limits = []
    for action, payload in sim.received:
        if action != "SetChargingProfile":
            continue
        if "csChargingProfiles" in payload:
            schedule = payload["csChargingProfiles"]["chargingSchedule"]
        else:
            schedule = payload["chargingProfile"]["chargingSchedule"][0]
        limits.append(float(schedule["chargingSchedulePeriod"][0]["limit"]))
    return limits


@ALL_VERSIONS
async def test_solar_mode_follows_surplus(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """Solar mode sets the limit from the export, pauses without surplus; a manual limit wins."""
    hass.states.async_set("sensor.grid", "-5.0", {"unit_of_measurement": "kW"})
    sim = await smart_charger(hass, central, make_simulator)
    charger = central.runtime_data.chargers["CP1"]
    await hass.async_block_till_done()
    await sim.start_transaction(1)
    mode = entity_id(hass, "select", "CP1_1_charging_mode")
    assert hass.states.get(mode).state == "fast"

    await hass.services.async_call(
        "select", SERVICE_SELECT_OPTION, {ATTR_ENTITY_ID: mode, ATTR_OPTION: "solar"}, blocking=True
    )
    await wait_until(hass, lambda: _limits(sim) == [7.2])
    assert hass.states.get(mode).state == "solar"
    assert state(hass, "sensor", "CP1_1_solar_state").state == "charging"
    assert float(state(hass, "sensor", "CP1_1_solar_surplus").state) == 5000

    # Clouds: importing now, nothing to spare: pause through 0 A (after the write interval).
    hass.states.async_set("sensor.grid", "1500", {"unit_of_measurement": "W"})
    await wait_until(hass, lambda: _limits(sim)[-1:] == [0.0])
    assert charger.connector(1).transaction is not None

    # A limit set by hand ends solar mode.
    await hass.services.async_call(
        "number",
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: entity_id(hass, "number", "CP1_1_current_limit"), ATTR_VALUE: 10},
        blocking=True,
    )
    await wait_until(hass, lambda: hass.states.get(mode).state == "fast")


async def test_off_and_fast_modes(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """Off pauses at 0 A, fast charges at the maximum current."""
    sim = await smart_charger(hass, central, make_simulator)
    await hass.async_block_till_done()
    mode = entity_id(hass, "select", "CP1_1_charging_mode")
    await hass.services.async_call(
        "select", SERVICE_SELECT_OPTION, {ATTR_ENTITY_ID: mode, ATTR_OPTION: "off"}, blocking=True
    )
    await wait_until(hass, lambda: _limits(sim) == [0.0])
    await hass.services.async_call(
        "select", SERVICE_SELECT_OPTION, {ATTR_ENTITY_ID: mode, ATTR_OPTION: "fast"}, blocking=True
    )
    await wait_until(hass, lambda: _limits(sim) == [0.0, 16.0])
    assert state(hass, "sensor", "CP1_1_solar_state").state == "fast"


async def _solar(hass: HomeAssistant) -> None:
    await hass.services.async_call(
        "select",
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: entity_id(hass, "select", "CP1_1_charging_mode"), ATTR_OPTION: "solar"},
        blocking=True,
    )


@ALL_VERSIONS
async def test_solar_on_a_one_phase_installation(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """A one-phase charger gets the whole surplus on its one phase.

    Solar mode assumed three phases: a one-phase installation got a third of the surplus and
    needed 4.1 kW of export to start at all.
    """
    from simulator.habits import Habit

    hass.states.async_set("sensor.grid", "-2000", {"unit_of_measurement": "W"})
    sim = await smart_charger(hass, central, make_simulator, habits={Habit.ONE_PHASE})
    await sim.meter_values(1)  # idle readings: one phase has voltage
    await hass.async_block_till_done()
    await sim.start_transaction(1)
    await _solar(hass)
    await wait_until(hass, lambda: bool(_limits(sim)))
    # 2000 W on one phase at 230 V: 8.7 A (three phases would have been 2.9 A: no start).
    assert _limits(sim)[-1] == pytest.approx(8.7, abs=0.1)


@ALL_VERSIONS
async def test_solar_with_per_phase_readings_only(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """The charger's own power counts as surplus also when it reports power only per phase."""
    from simulator.habits import Habit

    hass.states.async_set("sensor.grid", "-1000", {"unit_of_measurement": "W"})
    sim = await smart_charger(hass, central, make_simulator, habits={Habit.PER_PHASE_ONLY})
    await sim.start_transaction(1)
    await sim.status(1, "Charging")
    await sim.meter_values(1)  # 16 A on three phases, reported per phase: 11 kW
    await hass.async_block_till_done()
    assert float(state(hass, "sensor", "CP1_1_power").state) > 10_000
    await _solar(hass)
    await wait_until(hass, lambda: bool(_limits(sim)))
    # Surplus = 1 kW export + the charger's 11 kW: the limit stays at the maximum, where a
    # loop blind to per-phase power would have seen 1 kW and dropped to 6 A or paused.
    assert _limits(sim)[-1] == 16.0


async def test_installation_phases_option(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """The installation's phases can be set where the charger does not reveal them."""
    hass.config_entries.async_update_entry(
        central, options={**central.options, "installation_phases": "1"}
    )
    hass.states.async_set("sensor.grid", "-2000", {"unit_of_measurement": "W"})
    sim = await smart_charger(hass, central, make_simulator)
    await sim.start_transaction(1)
    await _solar(hass)
    await wait_until(hass, lambda: bool(_limits(sim)))
    assert _limits(sim)[-1] == pytest.approx(8.7, abs=0.1)


async def test_solar_waits_for_a_reading_newer_than_its_last_change(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """After a limit change, the loop decides only once the charger reported again.

    The grid sensor is live while the charger's reading may be a meter interval old: deciding
    on the old charging power counts power the car no longer draws, and the loop oscillates.
    """
    import asyncio

    hass.states.async_set("sensor.grid", "-5000", {"unit_of_measurement": "W"})
    # A charger that cannot be asked for fresh readings: it reports on its own interval only.
    sim = await smart_charger(hass, central, make_simulator, habits={"no_trigger_message"})
    await sim.start_transaction(1)
    await sim.status(1, "Charging")
    await sim.meter_values(1)
    await hass.async_block_till_done()
    await _solar(hass)
    await wait_until(hass, lambda: len(_limits(sim)) == 1)

    # The sun goes: but the charger's last reading predates the change just made.
    hass.states.async_set("sensor.grid", "3000", {"unit_of_measurement": "W"})
    await asyncio.sleep(2.5)
    hass.states.async_set("sensor.grid", "3100", {"unit_of_measurement": "W"})
    await asyncio.sleep(0.5)
    await hass.async_block_till_done()
    assert len(_limits(sim)) == 1

    # A fresh reading: the loop decides again.
    await sim.meter_values(1)
    await asyncio.sleep(2.1)
    hass.states.async_set("sensor.grid", "3200", {"unit_of_measurement": "W"})
    await wait_until(hass, lambda: len(_limits(sim)) == 2)
