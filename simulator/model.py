"""Electrical model of a simulated connector and the meter samples it produces.

The model is deliberately deterministic (no randomness) so tests can predict values: power is
`phases * voltage * current`, the current being the smallest of the EV's demand, the
charger's `max_current` and any smart-charging limit, tapered above 80 % state of charge the way
a real battery management system does. Energy is integrated from power over wall-clock time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
import time

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


@dataclass(frozen=True)
class ChargingLimit:
    """A smart-charging limit installed by the CSMS, already converted to amps per phase."""

    limit_a: float
    purpose: str
    stack_level: int


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
    _last_update: float = field(default_factory=time.monotonic)

    # ----------------------------------------------------------------- electrical quantities
    def offered_current(self) -> float:
        """Current per phase the charger offers the EV (Current.Offered).

        As in 1.6 section 3.13.3: per purpose the highest stack level wins; the result is the
        minimum of ChargePointMaxProfile and TxProfile (or, without one, TxDefaultProfile).
        """
        winners: dict[str, ChargingLimit] = {}
        for profile in self.profiles.values():
            best = winners.get(profile.purpose)
            if best is None or profile.stack_level > best.stack_level:
                winners[profile.purpose] = profile
        amps = self.max_current
        tx_limit = winners.get("TxProfile") or winners.get("TxDefaultProfile")
        for limit in (winners.get("ChargePointMaxProfile"), tx_limit):
            if limit is not None:
                amps = min(amps, limit.limit_a)
        return max(0.0, amps)

    def soc(self) -> float:
        """State of charge of the connected EV in percent."""
        charged = self.energy_register_wh - self.session_start_wh
        return min(100.0, self.soc_start + charged / BATTERY_WH * 100.0)

    def current(self) -> float:
        """Current per phase flowing right now."""
        if self.status not in FLOWING_STATUSES:
            return 0.0
        amps = self.offered_current()
        if self.demand_w is not None:
            amps = min(amps, max(0.0, self.demand_w) / (self.phases * self.voltage))
        soc = self.soc()
        if soc > TAPER_SOC:
            # Constant-voltage phase of the battery: demand falls linearly to zero at 100 %.
            amps *= max(0.0, (100.0 - soc) / (100.0 - TAPER_SOC))
        return amps

    def power_w(self) -> float:
        """Active import power right now."""
        return self.phases * self.voltage * self.current()

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
        """Install (or replace) a charging profile."""
        self.advance()
        self.profiles[profile_id] = limit

    def drop_profile(self, profile_id: int) -> None:
        """Remove a charging profile."""
        self.advance()
        self.profiles.pop(profile_id, None)

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
        self.session_start_wh = self.energy_register_wh

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
    "Power.Offered": ("W", ".1f", "Outlet", lambda c: c.phases * c.voltage * c.offered_current()),
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


def sampled_values(
    conn: ConnectorState,
    measurands: Iterable[str],
    context: str = "Sample.Periodic",
) -> list[dict[str, str]]:
    """Return camelCase 1.6 sampledValue dicts for `measurands` from the connector's state.

    Measurands the model has no value for (e.g. RPM, the *.Interval registers) are skipped, as
    a real charger skips measurands its meter lacks. SoC is only reported during a
    transaction, because only a connected EV can tell it.
    """
    conn.advance()
    out: list[dict[str, str]] = []
    for measurand in measurands:
        if measurand == "SoC" and conn.transaction_id is None:
            continue
        if measurand in PER_PHASE:
            unit, fmt, suffix, read = PER_PHASE[measurand]
            value = format(read(conn), fmt)
            out.extend(
                {
                    "value": value,
                    "context": context,
                    "measurand": measurand,
                    "phase": f"L{n}{suffix}",
                    "location": "Outlet",
                    "unit": unit,
                }
                for n in range(1, conn.phases + 1)
            )
        elif measurand in SINGLE_VALUE:
            maybe_unit, fmt, location, read = SINGLE_VALUE[measurand]
            sample = {
                "value": format(read(conn), fmt),
                "context": context,
                "measurand": measurand,
                "location": location,
            }
            if maybe_unit is not None:
                sample["unit"] = maybe_unit
            out.append(sample)
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
