"""Late readings (a charger back from an outage) land in their own hour of the statistics."""

from __future__ import annotations

from datetime import datetime, timedelta
import logging
from typing import Any

from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.models import StatisticMeanType, StatisticMetaData
from homeassistant.components.recorder.statistics import (
    async_import_statistics,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.ocpp_central.const import DOMAIN
from custom_components.ocpp_central.energy_statistics import corrected_rows, hour_start
from simulator.habits import Habit

from .conftest import ALL_VERSIONS
from .helpers import smart_charger, state, wait_until

HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The recorder must start before Home Assistant in this module's tests."""
    # Its SQL statements, logged at info, would bury the tests' own output.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)


def _row(start: datetime, state_kwh: float, sum_kwh: float) -> dict[str, Any]:
    return {"start": start.timestamp(), "state": state_kwh, "sum": sum_kwh}


def test_corrected_rows_spread_the_replay_over_its_hours() -> None:
    """The gap's hours get the readings of their time; the sum stays continuous."""
    now = datetime(2026, 12, 2, 14, 30, tzinfo=dt_util.UTC)
    h = hour_start(now)
    rows = [_row(h - 5 * HOUR, 10.0, 100.0)] + [
        _row(h - n * HOUR, 10.0, 100.0) for n in (4, 3, 2, 1)
    ]
    readings = [
        (h - 4 * HOUR + timedelta(minutes=20), 11.0),
        (h - 4 * HOUR + timedelta(minutes=50), 12.0),
        (h - 2 * HOUR + timedelta(minutes=5), 14.5),
    ]
    assert corrected_rows(readings, rows, now) == [
        (h - 4 * HOUR, 12.0, 102.0),
        (h - 3 * HOUR, 12.0, 102.0),
        (h - 2 * HOUR, 14.5, 104.5),
        (h - 1 * HOUR, 14.5, 104.5),
    ]
    # Rows compiled from live readings after the gap stay as they are.
    rows[-1] = _row(h - HOUR, 16.0, 106.0)
    assert corrected_rows(readings, rows, now)[-1] == (h - 2 * HOUR, 14.5, 104.5)
    # Without a row before the gap the recorder had no statistic yet: nothing to correct.
    assert corrected_rows(readings, rows[2:], now) == []
    assert corrected_rows([], rows, now) == []
    # Rows that already agree are not written again.
    right = [_row(h - 5 * HOUR, 10.0, 100.0), _row(h - 4 * HOUR, 12.0, 102.0)]
    assert corrected_rows(readings[:2], right, h - 3 * HOUR) == []


@ALL_VERSIONS
async def test_offline_readings_are_written_to_their_hours(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    ocpp_version: str,
) -> None:
    """A replay after an outage corrects the Energy dashboard's hours; the sensor adds once."""
    sim = await smart_charger(hass, central, make_simulator, habits={Habit.OFFLINE_QUEUE})
    h = hour_start(dt_util.utcnow())
    await sim.status(1, "Charging")
    await sim.start_transaction(
        1, id_tag="ALICE01", meter_start_wh=10000, timestamp=h - 4 * HOUR + timedelta(minutes=20)
    )
    # The last reading before the outage, four hours ago.
    await sim.meter_values(
        1, [{"value": "10000", "unit": "Wh"}], timestamp=h - 4 * HOUR + timedelta(minutes=30)
    )
    await hass.async_block_till_done()
    energy = state(hass, "sensor", "CP1_1_energy")
    start_kwh = float(energy.state)
    entity_id = energy.entity_id
    assert er.async_get(hass).async_get(entity_id) is not None

    # Months of statistics before the outage: the recorder compiled the gap's hours with the
    # value the sensor kept showing.
    metadata = StatisticMetaData(
        mean_type=StatisticMeanType.NONE,
        has_sum=True,
        name=None,
        source="recorder",
        statistic_id=entity_id,
        unit_class="energy",
        unit_of_measurement="kWh",
    )
    async_import_statistics(
        hass,
        metadata,
        [{"start": h - n * HOUR, "state": start_kwh, "sum": 50.0} for n in (5, 4, 3, 2, 1)],
    )
    await async_wait_recording_done(hass)

    # The charger goes offline for three hours and keeps charging; then it is back.
    await sim.drop_connection()
    for hours_ago, register in ((3, 11000), (2, 12500), (1, 13000)):
        when = h - hours_ago * HOUR + timedelta(minutes=10)
        await sim.meter_values(1, [{"value": str(register), "unit": "Wh"}], timestamp=when)
    await sim.reconnect()
    await wait_until(
        hass, lambda: float(state(hass, "sensor", "CP1_1_energy").state) == start_kwh + 3.0
    )
    await central.runtime_data.energy_backfill.async_flush()
    await async_wait_recording_done(hass)

    rows = await recorder_mock.async_add_executor_job(
        statistics_during_period,
        hass,
        h - 6 * HOUR,
        h,
        {entity_id},
        "hour",
        None,
        {"state", "sum"},
    )
    by_hour = {
        round((row["start"] - h.timestamp()) / 3600): (
            round(row["state"] - start_kwh, 3),
            round(row["sum"], 3),
        )
        for row in rows[entity_id]
    }
    assert by_hour == {
        -5: (0.0, 50.0),
        -4: (0.0, 50.0),
        -3: (1.0, 51.0),
        -2: (2.5, 52.5),
        -1: (3.0, 53.0),
    }
    # The live sensor counted the energy once.
    assert float(state(hass, "sensor", "CP1_1_energy").state) == start_kwh + 3.0


@pytest.mark.parametrize("ocpp_version", ["1.6"])
async def test_live_readings_write_no_statistics(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """Readings of the current hour are left to the recorder; so is a sensor without rows."""
    sim = await smart_charger(hass, central, make_simulator)
    await sim.status(1, "Charging")
    await sim.start_transaction(1, id_tag="ALICE01", meter_start_wh=10000)
    backfill = central.runtime_data.energy_backfill
    await sim.meter_values(1, [{"value": "10500", "unit": "Wh"}])
    await hass.async_block_till_done()
    assert not backfill._pending
    # An old reading of a sensor the recorder has no statistics for yet: nothing to correct.
    old = dt_util.utcnow() - 3 * HOUR
    await sim.meter_values(1, [{"value": "10200", "unit": "Wh"}], timestamp=old)
    await hass.async_block_till_done()
    assert backfill._pending
    await backfill.async_flush()
    await async_wait_recording_done(hass)
    assert not backfill._pending
    entity_id = state(hass, "sensor", "CP1_1_energy").entity_id
    rows = await hass.async_add_executor_job(
        statistics_during_period, hass, old - HOUR, None, {entity_id}, "hour", None, {"sum"}
    )
    assert rows == {}
    assert DOMAIN in hass.config.components
