"""Late meter readings into Home Assistant's long-term statistics, at the hour they belong to.

A charger that was offline replays its readings when it is back (1.6 MeterValues and
StopTransaction with their own timestamps, 2.x offline TransactionEvents). The energy sensor
shows them as they arrive, so the recorder puts the whole outage's energy into the hour of the
reconnection. Once the replay is over, this rewrites the hourly statistics rows of the hours the
readings belong to (recorder statistics import, the entity's own statistic), so the Energy
dashboard shows each kWh in its own hour.

Only rows of finished hours before the reconnection are written; the current hour stays with
the recorder, whose running sum already includes the late energy. A rewritten row keeps the sum
continuous: it is the last row before the gap's sum plus what the meter delivered since, so the
hour after the gap gets exactly the energy that really came then. Nothing is counted twice: the
live sensor's state is untouched and each hour's energy is a difference of sums.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_import_statistics,
    get_metadata,
    statistics_during_period,
)
from homeassistant.const import UnitOfEnergy
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import EnergyConverter

from .const import DOMAIN, LATE_READING_AFTER, LOGGER

# A replay arrives as a burst of frames: the rows are written once it has been quiet this long.
FLUSH_DELAY: Final = 10.0
# How far back a replay may reach (chargers keep days of readings, rarely more).
MAX_BACKFILL: Final = timedelta(days=14)
# Late readings held per sensor until the flush (a week of one reading a minute).
MAX_PENDING: Final = 10_000
_ENERGY_UNIT: Final = UnitOfEnergy.KILO_WATT_HOUR
_HOUR: Final = timedelta(hours=1)
# Sums closer than this (kWh) are the same: a row is not rewritten for rounding.
_SAME: Final = 1e-6


def hour_start(moment: datetime) -> datetime:
    """The start of the UTC hour a moment falls in."""
    return dt_util.as_utc(moment).replace(minute=0, second=0, microsecond=0)


def corrected_rows(
    readings: list[tuple[datetime, float]],
    rows: list[dict[str, Any]],
    now: datetime,
) -> list[tuple[datetime, float, float]]:
    """The hourly rows (start, state, sum in kWh) that the late readings change.

    `rows` are the sensor's hourly statistics from before the first late reading's hour up to
    now, as the recorder returns them (start as a UTC timestamp, state and sum in kWh). The row
    before that hour is the baseline; without one there is nothing to correct (the recorder
    had not started the statistic). Rows after the gap that already show at least the replayed
    total were compiled from live readings and are right as they are.
    """
    if not readings:
        return []
    readings = sorted(readings)
    first_hour = hour_start(readings[0][0])
    baseline = [
        row for row in rows if row["start"] < first_hour.timestamp() and row.get("sum") is not None
    ]
    if not baseline or baseline[-1].get("state") is None:
        return []
    base_state, base_sum = float(baseline[-1]["state"]), float(baseline[-1]["sum"])
    existing = {row["start"]: row for row in rows if row["start"] >= first_hour.timestamp()}
    corrected: list[tuple[datetime, float, float]] = []
    state = base_state
    index = 0
    hour = first_hour
    while hour < hour_start(now):
        end = hour + _HOUR
        while index < len(readings) and readings[index][0] < end:
            state = max(state, readings[index][1])
            index += 1
        total = base_sum + (state - base_state)
        row = existing.get(hour.timestamp())
        if row is not None and row.get("state") is not None and row["state"] > state + _SAME:
            # Live readings already reached this hour: it and the later ones are right.
            break
        if row is None or abs(float(row.get("sum") or 0.0) - total) > _SAME:
            corrected.append((hour, state, total))
        hour = end
    return corrected


class EnergyBackfill:
    """Collects late energy readings per sensor and rewrites their hours once a replay ends."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Start with nothing pending."""
        self.hass = hass
        # Sensor unique id -> late (timestamp, total kWh) readings not yet written.
        self._pending: dict[str, list[tuple[datetime, float]]] = {}
        self._cancel_flush: CALLBACK_TYPE | None = None

    @callback
    def reading(self, unique_id: str, timestamp: datetime, total_kwh: float) -> None:
        """An energy total at its own time; kept if it arrived late for its hour."""
        now = dt_util.utcnow()
        if now - timestamp < LATE_READING_AFTER or timestamp >= hour_start(now):
            return
        if now - timestamp > MAX_BACKFILL:
            return
        pending = self._pending.setdefault(unique_id, [])
        if len(pending) < MAX_PENDING:
            pending.append((timestamp, total_kwh))
        if self._cancel_flush is not None:
            self._cancel_flush()
        self._cancel_flush = async_call_later(self.hass, FLUSH_DELAY, self._async_flush)

    @callback
    def async_stop(self) -> None:
        """Forget what is pending (the entry unloads)."""
        if self._cancel_flush is not None:
            self._cancel_flush()
            self._cancel_flush = None
        self._pending.clear()

    async def _async_flush(self, _now: datetime | None = None) -> None:
        self._cancel_flush = None
        await self.async_flush()

    async def async_flush(self) -> None:
        """Write the rows the pending readings correct (also called by tests)."""
        pending, self._pending = self._pending, {}
        if "recorder" not in self.hass.config.components:
            return
        registry = er.async_get(self.hass)
        for unique_id, readings in pending.items():
            entity_id = registry.async_get_entity_id("sensor", DOMAIN, unique_id)
            if entity_id is None:
                continue
            try:
                await self._async_backfill(entity_id, readings)
            except HomeAssistantError as err:
                LOGGER.warning("Energy statistics of %s not corrected: %s", entity_id, err)

    async def _async_backfill(self, entity_id: str, readings: list[tuple[datetime, float]]) -> None:
        instance = get_instance(self.hass)
        metadata = await instance.async_add_executor_job(_metadata, self.hass, entity_id)
        if metadata is None or not metadata["has_sum"]:
            return
        first_hour = hour_start(min(timestamp for timestamp, _ in readings))
        now = dt_util.utcnow()
        rows = await instance.async_add_executor_job(
            _hourly_rows, self.hass, entity_id, first_hour - MAX_BACKFILL, hour_start(now)
        )
        corrected = corrected_rows(readings, rows, now)
        if not corrected:
            return
        unit = metadata["unit_of_measurement"] or _ENERGY_UNIT
        convert: Callable[[float], float] = EnergyConverter.converter_factory(_ENERGY_UNIT, unit)
        async_import_statistics(
            self.hass,
            StatisticMetaData(
                mean_type=StatisticMeanType.NONE,
                has_sum=True,
                name=metadata["name"],
                source="recorder",
                statistic_id=entity_id,
                unit_class=metadata.get("unit_class"),
                unit_of_measurement=unit,
            ),
            [
                StatisticData(start=start, state=convert(state), sum=convert(total))
                for start, state, total in corrected
            ],
        )
        LOGGER.info(
            "%s: %d hour(s) of energy statistics from %s corrected with late readings",
            entity_id,
            len(corrected),
            corrected[0][0].isoformat(),
        )


def _metadata(hass: HomeAssistant, entity_id: str) -> StatisticMetaData | None:
    """The sensor's statistics metadata (recorder thread); None before it has statistics."""
    found = get_metadata(hass, statistic_ids={entity_id})
    return found[entity_id][1] if entity_id in found else None


def _hourly_rows(
    hass: HomeAssistant, entity_id: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """The sensor's hourly rows (state and sum in kWh) in a period (recorder thread)."""
    result = statistics_during_period(
        hass, start, end, {entity_id}, "hour", {"energy": _ENERGY_UNIT}, {"state", "sum"}
    )
    return [dict(row) for row in result.get(entity_id, [])]
