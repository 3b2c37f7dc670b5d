"""Every finished session, kept (HA Store) for the time the owner chose; month totals; exports.

A record holds what a homeowner, an employer reimbursing home charging, or an OCPI platform
asks about a session: when, where, how much energy, who (card, its name, the HA person),
why it ended, the meter readings, the peak power and what it cost.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
import io
from pathlib import Path
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .model import SignedReading
from .store import signed_from_store, signed_to_store

STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 10
DEFAULT_KEEP_DAYS: Final = 730
CONF_HISTORY_DAYS: Final = "history_days"
# CDRs say the sessions are home charging an employer compensates (OCPI 2.2.1).
CONF_HOME_CHARGING_COMPENSATION: Final = "home_charging_compensation"
EXPORT_FOLDER: Final = "ocpp_central/exports"


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One finished session."""

    charge_point_id: str
    connector_id: int
    transaction_id: str
    started_at: datetime
    stopped_at: datetime
    energy_kwh: float
    duration_s: int
    id_tag: str | None
    tag_name: str | None
    person: str | None
    stop_reason: str | None
    meter_start_wh: float
    meter_stop_wh: float
    peak_power_w: float | None
    cost: float | None
    currency: str
    # Readings a calibration-law meter signed (OCMF, ...), for the transparency software.
    signed_readings: tuple[SignedReading, ...] = ()

    def summary(self) -> dict[str, Any]:
        """JSON-ready (times in ISO 8601), without the signed data.

        Signed data is kilobytes per reading: it is stored and goes into CDRs, not into
        spreadsheets or action responses.
        """
        data = {field.name: getattr(self, field.name) for field in fields(self)}
        del data["signed_readings"]
        data["started_at"] = self.started_at.isoformat()
        data["stopped_at"] = self.stopped_at.isoformat()
        return data

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, as stored (the summary and the signed readings)."""
        signed = [signed_to_store(reading) for reading in self.signed_readings]
        return {**self.summary(), "signed_readings": signed}

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> SessionRecord | None:
        """From the store; None for a damaged record."""
        try:
            started = dt_util.parse_datetime(stored["started_at"])
            stopped = dt_util.parse_datetime(stored["stopped_at"])
            if started is None or stopped is None:
                return None
            values: dict[str, Any] = {field.name: stored.get(field.name) for field in fields(cls)}
            signed = (signed_from_store(item) for item in stored.get("signed_readings") or ())
            values |= {
                "started_at": started,
                "stopped_at": stopped,
                "signed_readings": tuple(reading for reading in signed if reading is not None),
            }
            return cls(**values)
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True, slots=True)
class SessionFilter:
    """Which sessions to list or export."""

    start: datetime | None = None
    end: datetime | None = None
    charge_point_id: str | None = None
    id_tag: str | None = None
    person: str | None = None

    def matches(self, record: SessionRecord) -> bool:
        """Whether a session is in the period and belongs to the charger, card and person."""
        return (
            (self.start is None or record.stopped_at >= self.start)
            and (self.end is None or record.started_at < self.end)
            and (self.charge_point_id in (None, record.charge_point_id))
            and (self.id_tag is None or (record.id_tag or "").casefold() == self.id_tag.casefold())
            and (self.person in (None, record.person))
        )


def month_start(now: datetime) -> datetime:
    """The first instant of the month of `now`, in Home Assistant's time zone."""
    local = dt_util.as_local(now)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


class SessionHistory:
    """The finished sessions of one central system."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Empty until `async_load`."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.sessions"
        )
        self.records: list[SessionRecord] = []
        self.keep_days = DEFAULT_KEEP_DAYS
        # (charger id or card, month start) -> its totals; sensors read them on every reading.
        self._month_totals: dict[tuple[str, datetime], tuple[float, float | None]] = {}
        self._card_totals: dict[tuple[str, datetime], tuple[float, float | None]] = {}

    async def async_load(self) -> None:
        """Read the stored sessions (damaged records are skipped)."""
        data = await self._store.async_load()
        stored = [] if data is None else data.get("sessions", [])
        self.records = [
            record
            for item in stored
            if isinstance(item, dict) and (record := SessionRecord.from_dict(item)) is not None
        ]

    def add(self, record: SessionRecord) -> None:
        """Keep a finished session (once per charger and transaction id)."""
        key = (record.charge_point_id, record.transaction_id, record.started_at)
        if any(
            (kept.charge_point_id, kept.transaction_id, kept.started_at) == key
            for kept in self.records[-50:]
        ):
            return
        self.records.append(record)
        self._month_totals.clear()
        self._card_totals.clear()
        self._prune()
        self._store.async_delay_save(self._data, SAVE_DELAY)

    def _prune(self) -> None:
        oldest = dt_util.utcnow() - timedelta(days=self.keep_days)
        if self.records and self.records[0].stopped_at < oldest:
            self.records = [record for record in self.records if record.stopped_at >= oldest]

    def _data(self) -> dict[str, Any]:
        return {"sessions": [record.as_dict() for record in self.records]}

    async def async_save_now(self) -> None:
        """Write now (the central system stops)."""
        await self._store.async_save(self._data())

    def sessions(self, selection: SessionFilter) -> list[SessionRecord]:
        """The matching sessions, oldest first."""
        return [record for record in self.records if selection.matches(record)]

    def month_totals(self, charge_point_id: str, now: datetime) -> tuple[float, float | None]:
        """Energy (kWh) and cost of a charger's sessions finished this month."""
        start = month_start(now)
        key = (charge_point_id, start)
        if (cached := self._month_totals.get(key)) is not None:
            return cached
        records = self.sessions(SessionFilter(start=start, charge_point_id=charge_point_id))
        totals = self._month_totals[key] = _totals(records)
        return totals

    def card_month_totals(self, id_tag: str, now: datetime) -> tuple[float, float | None]:
        """Energy (kWh) and cost of a card's sessions finished this month (any charger)."""
        start = month_start(now)
        key = (id_tag.casefold(), start)
        if (cached := self._card_totals.get(key)) is not None:
            return cached
        records = self.sessions(SessionFilter(start=start, id_tag=id_tag))
        totals = self._card_totals[key] = _totals(records)
        return totals


def _totals(records: list[SessionRecord]) -> tuple[float, float | None]:
    """Energy (kWh) and cost (None when no session was priced) of sessions."""
    costs = [record.cost for record in records if record.cost is not None]
    return round(sum(record.energy_kwh for record in records), 3), (
        round(sum(costs), 4) if costs else None
    )


# --- exports ---------------------------------------------------------------------------------

# The columns of a record's summary (no signed data).
CSV_COLUMNS: Final = [
    field.name for field in fields(SessionRecord) if field.name != "signed_readings"
]


def to_csv(records: list[SessionRecord]) -> str:
    """The sessions as CSV (one row each, the record's fields as columns)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(record.summary())
    return buffer.getvalue()


def write_export(folder: Path, name: str, text: str) -> Path:
    """Write an export under the config directory's export folder (blocking)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
