"""Electrical model of a simulated connector and the meter samples it produces.

The model is deterministic by default so tests can predict values: power is
`phases * voltage * current` (the phases in use, see `ConnectorState.active_phases`), the
current being the smallest of the EV's demand, the charger's `max_current` and the
smart-charging limit in force, tapered above 80 % state of charge the way a real battery
management system does. Energy is integrated from power over wall-clock time. Only the
`noisy_meter` habit adds (seeded) noise to what is reported (`MeterNoise`), never to the model.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
import random
import time

from simulator.schedule import ChargingLimit, SchedulePeriod

# Usable capacity of the simulated EV battery; only used to derive a plausible SoC.
BATTERY_WH = 60_000.0
# SoC at which the simulated EV starts tapering and the SoC of every new session.
TAPER_SOC = 80.0
START_SOC = 30.0
# Statuses in which energy flows (the EV draws whatever the model allows).
FLOWING_STATUSES = frozenset({"Charging"})
# Statuses in which a connector can take a new session.
IDLE_STATUSES = frozenset({"Available", "Preparing", "Finishing"})

# Transaction ids: integers the CSMS assigns in 1.6, UUID strings the charger makes up in 2.x.
type TransactionId = int | str


def utc_timestamp(when: datetime | None = None) -> str:
    """Return `when` (default: now) as UTC ISO 8601 with a trailing "Z", as OCPP expects.

    Naive datetimes are taken to be UTC already.
    """
    if when is None:
        when = datetime.now(UTC)
    elif when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# IEC 61851-1: the smallest current a charger may offer an EV (below it the EV must pause).
IEC_MIN_CURRENT = 6.0


@dataclass
class ConnectorState:
    """Live state of one connector: status, transaction and its meter.

    Connector 0 is the charger as a whole; it carries a status but no meter of its own.
    """

    connector_id: int
    phases: int
    voltage: float
    max_current: float
    energy_register_wh: float
    status: str = "Available"
    error_code: str = "NoError"
    transaction_id: TransactionId | None = None
    id_tag: str | None = None
    # Power the EV asks for; None means "as much as the charger offers".
    demand_w: float | None = None
    # Installed charging profiles by chargingProfileId.
    profiles: dict[int, ChargingLimit] = field(default_factory=dict)
    # Availability (ChangeAvailability); `scheduled_operative` applies once the transaction ends.
    operative: bool = True
    scheduled_operative: bool | None = None
    soc_start: float = START_SOC
    session_start_wh: float = 0.0
    # True while a scripted or remote session drives this connector.
    in_session: bool = False
    # Why the running session must end (e.g. "Remote"); set by CSMS commands.
    stop_reason: str | None = None
    # Set to interrupt a session's wait (stop request, new interval, lost connection).
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    # 2.x only: the connectorStatus and the transaction's chargingState last reported (the 1.6
    # status is translated and only changes are sent), the RequestStartTransaction id the next
    # TransactionEvent Started refers to, and the reservation holding the connector.
    reported_status: str | None = None
    charging_state: str | None = None
    remote_start_id: int | None = None
    reservation_id: int | None = None
    # Whether profiles' numberPhases switch the phases in use (habit no_phase_switching: no),
    # and the current below which the EV draws nothing (habit suspended_below_6a: 6 A).
    phase_switching: bool = True
    min_current: float = 0.0
    # Wall-clock start of the running transaction (Relative schedules count from it).
    tx_started_at: float | None = None
    # 2.1 with a tariff: the session's energy cost so far and the register it counts up to
    # (each new kWh is priced at the tariff of its time, as a charger's display does).
    energy_cost: float = 0.0
    costed_wh: float = 0.0
    _last_update: float = field(default_factory=time.monotonic)

    # ----------------------------------------------------------------- electrical quantities
    def _in_force(self, now: float) -> tuple[SchedulePeriod | None, SchedulePeriod | None]:
        """The periods in force of the station-wide and of the transaction limit.

        As in 1.6 section 3.13.3: per purpose the highest stack level with a period in force
        wins; the transaction limit is the TxProfile or, without one, the TxDefaultProfile.
        """
        winners: dict[str, tuple[int, SchedulePeriod]] = {}
        for profile in self.profiles.values():
            period = profile.period_at(now, self.tx_started_at)
            best = winners.get(profile.purpose)
            if period is not None and (best is None or profile.stack_level > best[0]):
                winners[profile.purpose] = (profile.stack_level, period)
        station = winners.get("ChargePointMaxProfile")
        tx_limit = winners.get("TxProfile") or winners.get("TxDefaultProfile")
        return (
            None if station is None else station[1],
            None if tx_limit is None else tx_limit[1],
        )

    def offered_current(self, at: float | None = None) -> float:
        """Current per phase the charger offers the EV (Current.Offered) now or `at`.

        The minimum of `max_current`, the station-wide limit and the transaction limit in
        force (see `_in_force`); `at` is in epoch seconds.
        """
        amps = self.max_current
        for period in self._in_force(time.time() if at is None else at):
            if period is not None:
                amps = min(amps, period.limit_a)
        return max(0.0, amps)

    def station_limit(self, at: float | None = None) -> float:
        """The charger-wide limit in force (ChargePointMaxProfile), at most `max_current`."""
        station, _ = self._in_force(time.time() if at is None else at)
        return self.max_current if station is None else min(self.max_current, station.limit_a)

    def active_phases(self, at: float | None = None) -> int:
        """The phases in use: the numberPhases in force (capped at the supply), else all.

        A charger without phase switching always uses its supply phases.
        """
        if not self.phase_switching:
            return self.phases
        station, tx_limit = self._in_force(time.time() if at is None else at)
        for period in (tx_limit, station):
            if period is not None and period.number_phases:
                return max(1, min(self.phases, period.number_phases))
        return self.phases

    def below_minimum(self) -> bool:
        """True when the offered current is below `min_current` (the EV must pause)."""
        return self.offered_current() < self.min_current

    def soc(self) -> float:
        """State of charge of the connected EV in percent."""
        charged = self.energy_register_wh - self.session_start_wh
        return min(100.0, self.soc_start + charged / BATTERY_WH * 100.0)

    def current(self) -> float:
        """Current per phase flowing right now."""
        if self.status not in FLOWING_STATUSES or self.below_minimum():
            return 0.0
        amps = self.offered_current()
        if self.demand_w is not None:
            amps = min(amps, max(0.0, self.demand_w) / (self.active_phases() * self.voltage))
        soc = self.soc()
        if soc > TAPER_SOC:
            # Constant-voltage phase of the battery: demand falls linearly to zero at 100 %.
            amps *= max(0.0, (100.0 - soc) / (100.0 - TAPER_SOC))
        return amps

    def phase_current(self, phase: int) -> float:
        """Current on phase `phase` (1..phases): 0 on phases not in use."""
        return self.current() if phase <= self.active_phases() else 0.0

    def power_w(self) -> float:
        """Active import power right now."""
        return self.active_phases() * self.voltage * self.current()

    def power_offered_w(self) -> float:
        """Power the charger offers on the phases in use."""
        return self.active_phases() * self.voltage * self.offered_current()

    def temperature(self) -> float:
        """Body temperature: ambient plus self-heating proportional to power."""
        return 22.0 + self.power_w() / 1000.0 * 0.8

    # ------------------------------------------------------------------------ state changes
    def advance(self, now: float | None = None) -> float:
        """Integrate energy up to `now` (monotonic seconds) and return the register in Wh."""
        now = time.monotonic() if now is None else now
        elapsed = max(0.0, now - self._last_update)
        self.energy_register_wh += self.power_w() * elapsed / 3600.0
        self._last_update = now
        return self.energy_register_wh

    def set_status(self, status: str) -> None:
        """Change status, integrating energy first so the old power applies until now."""
        self.advance()
        self.status = status

    def set_energy(self, energy_wh: float) -> None:
        """Overwrite the energy register (e.g. a test's explicit meterStart)."""
        self.advance()
        self.energy_register_wh = energy_wh

    def set_demand(self, demand_w: float | None) -> None:
        """Change the EV's power demand (None = take what is offered)."""
        self.advance()
        self.demand_w = demand_w

    def install_profile(self, profile_id: int, limit: ChargingLimit) -> None:
        """Install (or replace) a charging profile; a running session re-evaluates."""
        self.advance()
        self.profiles[profile_id] = limit
        self.wake.set()

    def drop_profile(self, profile_id: int) -> None:
        """Remove a charging profile."""
        self.advance()
        self.profiles.pop(profile_id, None)
        self.wake.set()

    def idle_status(self) -> str:
        """Return the status after a session: Available, or Unavailable if made inoperative.

        A ChangeAvailability answered "Scheduled" during the transaction takes effect here.
        """
        if self.scheduled_operative is not None:
            self.operative = self.scheduled_operative
            self.scheduled_operative = None
        return "Available" if self.operative else "Unavailable"

    def is_free(self) -> bool:
        """True if a new session may start on this connector."""
        return (
            self.operative
            and not self.in_session
            and self.transaction_id is None
            and self.status in IDLE_STATUSES
        )

    def begin_transaction(self, transaction_id: TransactionId, id_tag: str) -> None:
        """Remember a started transaction and start a new EV battery curve."""
        self.advance()
        self.transaction_id = transaction_id
        self.id_tag = id_tag
        self.session_start_wh = self.costed_wh = self.energy_register_wh
        self.energy_cost = 0.0
        self.tx_started_at = time.time()

    def open_contactor(self) -> None:
        """Stop the energy flow before a StopTransaction: the local status becomes Finishing.

        The EV is still plugged in, hence Finishing; the register then stays at meterStop.
        """
        if self.status in FLOWING_STATUSES or self.status.startswith("Suspended"):
            self.set_status("Finishing")

    def end_transaction(self) -> None:
        """Forget the transaction; TxProfiles die with it (1.6 section 3.13.2)."""
        self.advance()
        self.transaction_id = None
        self.id_tag = None
        self.tx_started_at = None
        for profile_id, limit in list(self.profiles.items()):
            if limit.purpose == "TxProfile":
                del self.profiles[profile_id]

    def request_stop(self, reason: str) -> None:
        """Ask the session driving this connector to stop with `reason`."""
        self.stop_reason = reason
        self.wake.set()


# How each modelled measurand is reported: unit (None: the spec's implied default), number
# format, location and the value read from the connector. 1.6's UnitOfMeasure has no Hertz,
# so Frequency goes without a unit, as does the dimensionless Power.Factor.
type Reading = Callable[[ConnectorState], float]
SINGLE_VALUE: dict[str, tuple[str | None, str, str, Reading]] = {
    "Energy.Active.Import.Register": ("Wh", ".1f", "Outlet", lambda c: c.energy_register_wh),
    "Energy.Active.Export.Register": ("Wh", ".1f", "Outlet", lambda _: 0.0),
    "Power.Active.Import": ("W", ".1f", "Outlet", ConnectorState.power_w),
    "Power.Active.Export": ("W", ".1f", "Outlet", lambda _: 0.0),
    "Power.Offered": ("W", ".1f", "Outlet", ConnectorState.power_offered_w),
    "Power.Factor": (None, ".2f", "Outlet", lambda c: 0.99 if c.power_w() else 1.0),
    "Current.Offered": ("A", ".1f", "Outlet", ConnectorState.offered_current),
    "Frequency": (None, ".2f", "Outlet", lambda _: 50.0),
    "SoC": ("Percent", ".0f", "EV", ConnectorState.soc),
    "Temperature": ("Celsius", ".1f", "Body", ConnectorState.temperature),
}
# Per-phase measurands: unit, format, suffix of the phase name ("L1" / "L1-N"), value.
PER_PHASE: dict[str, tuple[str, str, str, Reading]] = {
    "Current.Import": ("A", ".2f", "", ConnectorState.current),
    "Voltage": ("V", ".1f", "-N", lambda c: c.voltage),
}
# Measurands a `per_phase_only` charger splits into phases instead of reporting a total.
PHASE_SPLIT = frozenset({"Power.Active.Import", "Power.Offered", "Current.Offered"})
# Relative noise of `noisy_meter` readings per measurand (others are reported as modelled).
NOISE: dict[str, float] = {
    "Power.Active.Import": 0.02,
    "Power.Factor": 0.005,
    "Frequency": 0.0006,
    "Temperature": 0.015,
}
ENERGY_REGISTERS = frozenset({"Energy.Active.Import.Register", "Energy.Active.Export.Register"})
# Where `noisy_meter` phase voltages stay (EN 50160 allows more; a healthy grid stays here).
VOLTAGE_RANGE = (225.0, 240.0)


class MeterNoise:
    """Measurement noise of one charger's meter (the `noisy_meter` habit).

    Real meters never repeat a value: power wobbles by about 2 %, each phase has its own
    voltage (225-240 V) and its own current. Seeded per charger, so a run is reproducible.
    Only reported values are noisy; the energy register is integrated from the model.
    """

    def __init__(self, seed: str) -> None:
        """Draw the phases' own voltage level and current imbalance."""
        self.rng = random.Random(seed)
        low, high = VOLTAGE_RANGE
        self._voltage = [self.rng.uniform(low + 2.0, high - 2.0) for _ in range(3)]
        self._imbalance = [self.rng.uniform(-0.03, 0.03) for _ in range(3)]

    def scale(self, value: float, spread: float) -> float:
        """`value` off by up to `spread` (relative); 0 stays 0."""
        return value * (1.0 + self.rng.uniform(-spread, spread)) if value else value

    def voltage(self, phase: int) -> float:
        """The voltage of phase 1..3 now."""
        low, high = VOLTAGE_RANGE
        level = self._voltage[(phase - 1) % 3] + self.rng.uniform(-1.5, 1.5)
        return min(high, max(low, level))

    def current(self, amps: float, phase: int) -> float:
        """A phase current with the phase's imbalance and some jitter."""
        return self.scale(amps * (1.0 + self._imbalance[(phase - 1) % 3]), 0.01)


@dataclass(frozen=True)
class MeterStyle:
    """How a charger's meter reports, per habits: phases only, noise and kWh."""

    per_phase_only: bool = False
    noise: MeterNoise | None = None


PLAIN_METER = MeterStyle()


def _phase_value(conn: ConnectorState, measurand: str, phase: int, style: MeterStyle) -> float:
    """The reading of a per-phase measurand on phase `phase` (0 on phases not in use)."""
    noise = style.noise
    volts = conn.voltage if noise is None else noise.voltage(phase)
    amps = conn.phase_current(phase)
    if noise is not None:
        amps = noise.current(amps, phase)
    offered = conn.offered_current() if phase <= conn.active_phases() else 0.0
    match measurand:
        case "Voltage":
            return volts
        case "Current.Import":
            return amps
        case "Current.Offered":
            return offered
        case "Power.Offered":
            return volts * offered
        case _:  # Power.Active.Import
            return volts * amps


def _phase_samples(
    conn: ConnectorState, measurand: str, context: str, style: MeterStyle
) -> list[dict[str, str]]:
    if measurand in PER_PHASE:
        unit, fmt, suffix, _ = PER_PHASE[measurand]
    else:
        maybe_unit, fmt, _, _ = SINGLE_VALUE[measurand]
        unit, suffix = maybe_unit or "", ""
    return [
        {
            "value": format(_phase_value(conn, measurand, n, style), fmt),
            "context": context,
            "measurand": measurand,
            "phase": f"L{n}{suffix}",
            "location": "Outlet",
            "unit": unit,
        }
        for n in range(1, conn.phases + 1)
    ]


def _single_sample(
    conn: ConnectorState, measurand: str, context: str, style: MeterStyle
) -> dict[str, str]:
    maybe_unit, fmt, location, read = SINGLE_VALUE[measurand]
    value = read(conn)
    if style.noise is not None:
        if measurand in ENERGY_REGISTERS:
            # Meters that count in kWh report decimals ("12.345"), not Wh.
            value, fmt, maybe_unit = value / 1000.0, ".3f", "kWh"
        elif measurand in NOISE:
            value = style.noise.scale(value, NOISE[measurand])
    sample = {
        "value": format(value, fmt),
        "context": context,
        "measurand": measurand,
        "location": location,
    }
    if maybe_unit is not None:
        sample["unit"] = maybe_unit
    return sample


def sampled_values(
    conn: ConnectorState,
    measurands: Iterable[str],
    context: str = "Sample.Periodic",
    style: MeterStyle = PLAIN_METER,
) -> list[dict[str, str]]:
    """Return camelCase 1.6 sampledValue dicts for `measurands` from the connector's state.

    Measurands the model has no value for (e.g. RPM, the *.Interval registers) are skipped, as
    a real charger skips measurands its meter lacks. SoC is only reported during a
    transaction, because only a connected EV can tell it. Per-phase measurands go out for
    every supply phase (0 on phases not in use). `style` applies the meter habits
    (`per_phase_only`: power and offered current split into phases; `noisy_meter`).
    """
    conn.advance()
    out: list[dict[str, str]] = []
    for measurand in measurands:
        if measurand == "SoC" and conn.transaction_id is None:
            continue
        if measurand in PER_PHASE or (style.per_phase_only and measurand in PHASE_SPLIT):
            out.extend(_phase_samples(conn, measurand, context, style))
        elif measurand in SINGLE_VALUE:
            out.append(_single_sample(conn, measurand, context, style))
    return out


async def wait_event(event: asyncio.Event, seconds: float | None) -> bool:
    """Wait up to `seconds` (None: forever) for `event`.

    Returns True (and clears the event) if it was set, False on timeout.
    """
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    event.clear()
    return True
