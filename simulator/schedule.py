"""Charging profiles as the simulated charger keeps them: schedules followed over time.

A profile the CSMS installs becomes a `ChargingLimit`: its periods converted to amps per phase,
plus when the schedule starts. The period in force is chosen by startPeriod and the time
elapsed since the schedule's start (1.6 section 3.13, 2.x K01): Absolute schedules start at
startSchedule, Recurring ones too and repeat daily or weekly, Relative ones (and Absolute ones
without startSchedule) start with the transaction, or outside one when the profile arrived.
Outside validFrom/validTo, after its duration or before its first period a profile is not in
force, and the next lower stack level of the same purpose applies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
import math
import time
from typing import Any

# Recurrency periods of Recurring profiles in seconds.
RECURRENCY_S: dict[str, float] = {"Daily": 86_400.0, "Weekly": 604_800.0}
# Default numberPhases of a period that names none (1.6 section 7.13).
DEFAULT_NUMBER_PHASES = 3


def parse_time(value: Any) -> float | None:
    """Epoch seconds of an OCPP dateTime (naive means UTC), None if absent or unreadable."""
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


@dataclass(frozen=True)
class SchedulePeriod:
    """One chargingSchedulePeriod, its limit converted to amps per phase."""

    start_s: float
    limit_a: float
    # numberPhases the period asks for (None: not given).
    number_phases: int | None = None


@dataclass(frozen=True)
class ChargingLimit:
    """A smart-charging profile installed by the CSMS, its limits in amps per phase."""

    purpose: str
    stack_level: int
    periods: tuple[SchedulePeriod, ...]
    # Epoch seconds of startSchedule; None: the schedule starts with the transaction.
    start: float | None = None
    recurrency_s: float | None = None
    duration_s: float | None = None
    valid_from: float | None = None
    valid_to: float | None = None
    installed_at: float = field(default_factory=time.time)

    @classmethod
    def constant(cls, limit_a: float, purpose: str, stack_level: int = 0) -> ChargingLimit:
        """A one-period limit in force from now on (tests, simple cases)."""
        return cls(purpose, stack_level, (SchedulePeriod(0.0, limit_a),))

    def origin(self, tx_start: float | None) -> float:
        """When the schedule starts: startSchedule, else the transaction's or install time."""
        if self.start is not None:
            return self.start
        return tx_start if tx_start is not None else self.installed_at

    def period_at(self, now: float, tx_start: float | None = None) -> SchedulePeriod | None:
        """The period in force at `now` (epoch seconds), or None when the profile is not."""
        if (self.valid_from is not None and now < self.valid_from) or (
            self.valid_to is not None and now >= self.valid_to
        ):
            return None
        elapsed = now - self.origin(tx_start)
        if self.recurrency_s:
            elapsed %= self.recurrency_s
        if elapsed < 0 or (self.duration_s is not None and elapsed >= self.duration_s):
            return None
        in_force = None
        for period in self.periods:
            if period.start_s > elapsed:
                break
            in_force = period
        return in_force

    def changes(self, begin: float, end: float, tx_start: float | None = None) -> set[float]:
        """The moments in (begin, end) at which the period in force may change."""
        origin = self.origin(tx_start)
        starts = [period.start_s for period in self.periods]
        if self.duration_s is not None:
            starts.append(self.duration_s)
        moments = {t for t in (self.valid_from, self.valid_to) if t is not None}
        if self.recurrency_s:
            first = math.floor((begin - origin) / self.recurrency_s)
            last = math.floor((end - origin) / self.recurrency_s)
            for cycle in range(first, last + 1):
                base = origin + cycle * self.recurrency_s
                moments.update(base + offset for offset in starts)
        else:
            moments.update(origin + offset for offset in starts)
        return {t for t in moments if begin < t < end}


def profile_limit(
    profile: dict[str, Any], phases: int, voltage: float, *, switching: bool = True
) -> ChargingLimit | None:
    """Convert a (snake_cased) 1.6-shaped ChargingProfile into a `ChargingLimit`.

    Power limits become amps with the period's numberPhases (default 3 per the spec, capped
    at the charger's `phases`); a charger without phase `switching` ignores numberPhases and
    uses its own phases. Returns None when the schedule has no period.
    """
    schedule = profile.get("charging_schedule") or {}
    raw_periods = sorted(
        schedule.get("charging_schedule_period") or [],
        key=lambda period: float(period.get("start_period", 0)),
    )
    if not raw_periods:
        return None
    periods = []
    for raw in raw_periods:
        # SetChargingProfile/RemoteStartTransaction floats arrive as decimal.Decimal.
        limit = float(raw["limit"])
        asked = raw.get("number_phases")
        number_phases = int(asked) if asked is not None and switching else None
        if schedule.get("charging_rate_unit") == "W":
            used = min(phases, number_phases or (DEFAULT_NUMBER_PHASES if switching else phases))
            limit /= used * voltage
        periods.append(SchedulePeriod(float(raw.get("start_period", 0)), limit, number_phases))
    kind = profile.get("charging_profile_kind")
    duration = schedule.get("duration")
    return ChargingLimit(
        purpose=str(profile.get("charging_profile_purpose")),
        stack_level=int(profile.get("stack_level", 0)),
        periods=tuple(periods),
        start=None if kind == "Relative" else parse_time(schedule.get("start_schedule")),
        recurrency_s=RECURRENCY_S.get(str(profile.get("recurrency_kind")))
        if kind == "Recurring"
        else None,
        duration_s=float(duration) if duration is not None else None,
        valid_from=parse_time(profile.get("valid_from")),
        valid_to=parse_time(profile.get("valid_to")),
    )


def merge_periods(samples: Iterable[tuple[float, float, int]]) -> list[tuple[float, float, int]]:
    """Drop samples (offset, limit, phases) that repeat the one before them."""
    merged: list[tuple[float, float, int]] = []
    for sample in samples:
        if not merged or merged[-1][1:] != sample[1:]:
            merged.append(sample)
    return merged
