"""Current limits of one connector: the only writer of charging profiles to a charger.

Automations may set a limit every second; chargers store profiles in flash and some fail on
floods. So the last requested value wins, changes smaller than a step are dropped, and at most
one profile is written per interval. While a session runs the limit is a TxProfile (it ends
with the session); otherwise a TxDefaultProfile. ChargePointMaxProfile is never written.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import logging
import time
from typing import Final

from homeassistant.util import dt as dt_util

from .const import LOGGER
from .errors import (
    ChargerCallError,
    ChargerCommandError,
    ChargerNotConnectedError,
    ChargerRejectedError,
)
from .host import ChargerLink, ControlHost
from .model import Charger, Connector, CurrentLimit, DesiredCharging, Measurand, WrittenLimit
from .protocol.base import ChargerSettings, CommandStatus
from .protocol.commands import (
    ChargingProfile,
    ClearProfileCriteria,
    ProfileKind,
    ProfilePurpose,
    RateUnit,
    SchedulePeriod,
)
from .solar import ChargingMode

# Chargers take limits in 0.1 A steps at best; smaller changes are noise from automations.
CURRENT_STEP: Final = 0.1
# IEC 61851: below 6 A a vehicle may not charge; 0 A pauses the session.
MIN_CURRENT: Final = 6.0
DEFAULT_VOLTAGE: Final = 230.0
DEFAULT_PHASES: Final = 3
# A phase carrying less current than this (A) is not in use.
_ACTIVE_PHASE_CURRENT: Final = 0.5
# Profile ids of our own profiles, per connector: replacing by id keeps one profile each.
_PROFILE_ID_BASE: Final = 1000
_FAILSAFE_PROFILE_ID: Final = 999
# Stack level when the charger does not say how many it has.
_DEFAULT_STACK_LEVEL: Final = 1
# How far ahead the active limit is read back from the charger.
_READBACK_SECONDS: Final = 300
# A write that failed is retried after 30 s, then twice as long each time, at most every
# 10 minutes; after three refusals in a row the user gets a repair issue.
RETRY_BASE: Final = 30.0
RETRY_MAX: Final = 600.0
REFUSALS_BEFORE_REPAIR: Final = 3
# CALLERRORs of a charger that has no smart charging at all (its controls go unavailable).
_UNSUPPORTED_CODES: Final = frozenset({"NotSupported", "NotImplemented"})

# Configuration keys (1.6) and variables (2.x) describing a charger's smart charging.
_RATE_UNIT_KEYS: Final = ("ChargingScheduleAllowedChargingRateUnit", "SmartChargingCtrlr.RateUnit")
_STACK_LEVEL_KEYS: Final = ("ChargeProfileMaxStackLevel", "SmartChargingCtrlr.ProfileStackLevel")


# 1.6 names it once; 2.x has both the 3-to-1 switch and on-load phase switching.
_PHASE_SWITCH_KEYS: Final = (
    "ConnectorSwitch3to1PhaseSupported",
    "SmartChargingCtrlr.Phases3to1",
    "SmartChargingCtrlr.ACPhaseSwitchingSupported",
)
# What a charger's control entities depend on: stored, so that they exist right after an HA
# restart instead of only once the charger was read again.
CAPABILITY_KEYS: Final = frozenset(_RATE_UNIT_KEYS + _STACK_LEVEL_KEYS + _PHASE_SWITCH_KEYS)


def supports_phase_switching(charger: Charger) -> bool:
    """Whether profiles may ask for 1 or 3 phases (numberPhases)."""
    return supports_smart_charging(charger) and any(
        (value := charger.configuration.get(key)) is not None
        and (value.value or "").strip().lower() == "true"
        for key in _PHASE_SWITCH_KEYS
    )


def supports_power_limits(charger: Charger) -> bool:
    """Whether the charger takes limits in W (then a power limit entity makes sense)."""
    allowed = (_configured(charger, _RATE_UNIT_KEYS) or "").replace(" ", "").lower()
    return supports_smart_charging(charger) and bool(set(allowed.split(",")) & {"w", "power"})


def supports_smart_charging(charger: Charger) -> bool:
    """Whether the charger announced smart charging (1.6 profile, 2.x controller)."""
    return "SmartCharging" in charger.feature_profiles


def _configured(charger: Charger, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if (value := charger.configuration.get(key)) is not None and value.value:
            return value.value
    return None


def rate_unit(charger: Charger) -> RateUnit:
    """Amperes unless the charger only accepts watts (Huawei and some others)."""
    allowed = (_configured(charger, _RATE_UNIT_KEYS) or "A").replace(" ", "").lower()
    units = set(allowed.split(","))
    if units & {"a", "current"}:
        return RateUnit.AMPERE
    return RateUnit.WATT


def stack_level(charger: Charger) -> int:
    """The highest stack level the charger allows: our limit wins over installer profiles."""
    try:
        return max(0, int(_configured(charger, _STACK_LEVEL_KEYS) or _DEFAULT_STACK_LEVEL))
    except ValueError:
        return _DEFAULT_STACK_LEVEL


def phases_in_use(connector: Connector) -> int:
    """Phases a connector charges on: those carrying current, else those with voltage.

    A one-phase installation reports one phase; a charger that reports nothing per phase is
    taken to be three-phase, as most wallboxes are.
    """
    currents = [
        c
        for c in connector.phase_values(Measurand.CURRENT_IMPORT).values()
        if c > _ACTIVE_PHASE_CURRENT
    ]
    voltages = [v for v in connector.phase_voltages() if v > 0]
    return len(currents) or len(voltages) or DEFAULT_PHASES


def watts_for(charger: Charger, connector_id: int, amps: float, phases: int | None = None) -> float:
    """Convert a per-phase current to power with the measured voltage and phase count.

    `phases` overrides the measured phase count (a profile asking for 1 or 3 phases).
    """
    connector = charger.connector(connector_id)
    voltages = [v for v in connector.phase_voltages() if v > 0]
    voltage = connector.reading(Measurand.VOLTAGE) or (
        sum(voltages) / len(voltages) if voltages else DEFAULT_VOLTAGE
    )
    return round(amps * voltage * (phases or phases_in_use(connector)))


def limit_profile(
    charger: Charger,
    connector_id: int,
    amps: float,
    *,
    profile_id: int,
    stack: int,
    transaction_id: str | None,
    phases: int | None = None,
) -> ChargingProfile:
    """A one-period profile limiting a connector to `amps` (in the unit the charger takes)."""
    unit = rate_unit(charger)
    limit = amps if unit is RateUnit.AMPERE else watts_for(charger, connector_id, amps, phases)
    return ChargingProfile(
        profile_id=profile_id,
        stack_level=stack,
        purpose=ProfilePurpose.TX if transaction_id else ProfilePurpose.TX_DEFAULT,
        # Absolute from now: some chargers (Autel) accept nothing else.
        kind=ProfileKind.ABSOLUTE,
        start=dt_util.utcnow().replace(microsecond=0),
        unit=unit,
        periods=(SchedulePeriod(start_period=0, limit=limit, number_phases=phases),),
        transaction_id=transaction_id,
    )


def max_current_for(settings: ChargerSettings, charger: Charger) -> float:
    """The highest current of a charger: its own limit, else the central system's option."""
    own = charger.limits.max_current
    return settings.max_current if own is None else own


def failsafe_current_for(settings: ChargerSettings, charger: Charger) -> float:
    """The failsafe limit of a charger: its own, else the central system's option (0: none)."""
    own = charger.limits.failsafe_current
    return settings.failsafe_current if own is None else own


async def install_failsafe(host: ControlHost, session: ChargerLink) -> None:
    """Install the failsafe default limit (stack level 0) that outlives Home Assistant.

    Our own limits sit on higher stack levels and win while HA runs; TxProfiles end with
    their session, so between sessions and after a charger reboot this limit applies. Set back
    to none, a failsafe installed earlier is removed again.
    """
    charger = session.charger
    current = failsafe_current_for(host.settings, charger)
    if not supports_smart_charging(charger):
        return
    if current <= 0:
        if charger.failsafe_installed:
            status = await session.adapter.clear_charging_profile(
                ClearProfileCriteria(profile_id=_FAILSAFE_PROFILE_ID)
            )
            if status in (CommandStatus.ACCEPTED, CommandStatus.UNKNOWN):
                charger.failsafe_installed = False
                host.store.schedule_save()
        return
    profile = limit_profile(
        charger, 0, current, profile_id=_FAILSAFE_PROFILE_ID, stack=0, transaction_id=None
    )
    status = await session.adapter.set_charging_profile(0, profile)
    if status is not CommandStatus.ACCEPTED:
        LOGGER.warning(
            "Charger %s refused the failsafe limit of %s A: %s",
            charger.charge_point_id,
            current,
            status,
        )
        return
    if not charger.failsafe_installed:
        charger.failsafe_installed = True
        host.store.schedule_save()


@dataclass(frozen=True, slots=True)
class LimitTarget:
    """The limit a connector should have now: A per phase and the phases to use."""

    amps: float
    phases: int | None

    def matches(self, written: WrittenLimit | None) -> bool:
        """Whether what the charger has is this target (within one 0.1 A step)."""
        return (
            written is not None
            and abs(written.amps - self.amps) < CURRENT_STEP / 2
            and written.phases == self.phases
        )


class ConnectorControl:
    """Brings one connector's limit to what the user wants, and keeps it there.

    The user's intent is the connector's `DesiredCharging` (mode, limit, phases); together
    with the solar decision it gives a target. `reconcile` compares the target with what the
    charger was last confirmed to have and writes only the difference: a TxProfile during a
    session, a TxDefaultProfile otherwise (so that the next session starts right). It runs
    whenever the two may have drifted apart: a change of intent, a boot or reconnect (the
    charger may have forgotten), a session start or end, a failed write (retried with
    backoff). Writes are coalesced and rate-limited; the newest target wins.
    """

    def __init__(self, central: ControlHost, charge_point_id: str, connector_id: int) -> None:
        """Control one connector (0: the whole charger)."""
        self._central = central
        self._charge_point_id = charge_point_id
        self.connector_id = connector_id
        self._last_write = -float("inf")
        self._pending: asyncio.Task[None] | None = None
        # Whether the pending task is a retry after a failure (backoff), not a rate-limit wait.
        self._retrying = False
        self._failures = 0

    @property
    def interval(self) -> float:
        """Minimum seconds between two profile writes (option)."""
        return self._central.settings.limit_interval

    @property
    def charger(self) -> Charger:
        """The charger this connector belongs to."""
        return self._central.chargers[self._charge_point_id]

    @property
    def connector(self) -> Connector:
        """The connector in the model."""
        return self.charger.connector(self.connector_id)

    @property
    def state(self) -> CurrentLimit:
        """What the charger was last confirmed to have."""
        return self.connector.limit

    @property
    def desired(self) -> DesiredCharging:
        """What the user wants of this connector."""
        return self.connector.desired

    @property
    def phases(self) -> int | None:
        """The phase count the user asked for (None: the charger decides)."""
        return self.desired.phases

    def target(self) -> LimitTarget | None:
        """The limit the connector should have now; None leaves the charger's own."""
        if self.connector_id == 0:
            # The charger as a whole has an availability of ours, never a limit.
            return None
        desired = self.desired
        max_current = max_current_for(self._central.settings, self.charger)
        match desired.mode:
            case ChargingMode.OFF:
                return LimitTarget(0.0, desired.phases)
            case ChargingMode.SOLAR | ChargingMode.MIN_SOLAR:
                decision = self.connector.solar
                if decision is None:
                    return None
                switching = self._central.phase_switching_allowed and supports_phase_switching(
                    self.charger
                )
                phases = decision.phases if switching else None
                return LimitTarget(round(min(decision.current, max_current), 1), phases)
        if not desired.managed and self.charger.limits.max_current is None:
            # Neither a limit nor the charger's own maximum was ever set here: the charger
            # keeps what its installer configured.
            return None
        amps = max_current if desired.current_limit is None else desired.current_limit
        return LimitTarget(round(min(amps, max_current), 1), desired.phases)

    async def async_set_current(self, amps: float, phases: int | None = None) -> None:
        """The user's limit (and phases, if given): written now if the interval allows.

        Errors of a write made now raise; a coalesced write is retried until it holds.
        """
        desired = self.desired
        desired.current_limit = round(amps, 1)  # CURRENT_STEP: chargers take 0.1 A at best
        if phases is not None:
            desired.phases = phases
        await self._desired_changed()

    async def async_set_phases(self, phases: int) -> None:
        """Charge on 1 or 3 phases at the user's limit."""
        self.desired.phases = phases
        await self._desired_changed()

    async def async_set_mode(self, mode: ChargingMode) -> None:
        """Off holds the connector at 0 A (also for the next session); fast at the limit."""
        self.desired.mode = mode.value
        await self._desired_changed()

    async def _desired_changed(self) -> None:
        self.desired.managed = True
        self._failures = 0
        self._cancel_retry()
        self.charger.notify(self.connector_id)
        self._central.desired_changed()
        await self.async_reconcile(raise_errors=True)

    async def async_set_available(self, operative: bool) -> None:
        """Make the connector (0: the charger) operative or not, and keep it so."""
        self.desired.operative = operative
        self._central.desired_changed()
        session = self._central.accepted_session(self._charge_point_id)
        sent_at = dt_util.utcnow()
        status = await session.adapter.change_availability(self.connector_id, operative)
        if status not in (CommandStatus.ACCEPTED, CommandStatus.SCHEDULED):
            raise ChargerRejectedError(status)
        if status is CommandStatus.ACCEPTED:
            session.expect_change([self.connector_id], status=True, sent_at=sent_at)

    async def _restore_availability(self) -> None:
        """After a boot or reconnect: the availability the user chose, once more."""
        operative = self.desired.operative
        if operative is None:
            return
        try:
            session = self._central.accepted_session(self._charge_point_id)
            await session.adapter.change_availability(self.connector_id, operative)
        except ChargerCommandError as err:
            LOGGER.debug(
                "Charger %s did not take the availability of connector %s again: %s",
                self._charge_point_id,
                self.connector_id,
                err,
            )

    def request(self, *, forget: bool = False) -> None:
        """Reconcile soon, in the background (after charger events; never raises).

        `forget`: the charger may have lost our profiles and availability (boot, reconnect).
        """
        if forget:
            self.state.forget()
            if self.desired.operative is not None:
                self._central.entry.async_create_background_task(
                    self._central.hass,
                    self._restore_availability(),
                    f"ocpp_central {self._charge_point_id} availability",
                )
        # A new connection or session: try now rather than at the end of a backoff.
        self._cancel_retry()
        self._schedule(0.0)

    def _schedule(self, delay: float, *, retry: bool = False) -> None:
        """Reconcile after `delay` in one background task; one already pending absorbs it."""
        if self._pending is None:
            self._retrying = retry
            self._pending = self._central.entry.async_create_background_task(
                self._central.hass,
                self._reconcile_later(delay),
                f"ocpp_central {self._charge_point_id} limit",
            )

    async def async_reconcile(self, *, raise_errors: bool = False) -> None:
        """Write what differs from the target now, or after the rate limit's interval."""
        target = self.target()
        if target is None or target.matches(self._in_force()):
            return
        wait = self._last_write + self.interval - time.monotonic()
        if wait > 0 or self._pending is not None:
            self._schedule(max(wait, 0.0))
            return
        try:
            await self._write(target)
        except ChargerCommandError as err:
            self._failed(err)
            if raise_errors:
                raise

    def _in_force(self) -> WrittenLimit | None:
        transaction = self.connector.transaction
        return self.state.in_force(transaction.transaction_id if transaction else None)

    async def _reconcile_later(self, delay: float) -> None:
        try:
            await asyncio.sleep(delay)
            self._pending = None
            if self._charge_point_id not in self._central.sessions:
                # Not connected: the next connection reconciles.
                return
            target = self.target()
            if target is None:
                await self._read_unmanaged()
                return
            if target.matches(self._in_force()):
                return
            wait = self._last_write + self.interval - time.monotonic()
            if wait > 0:
                self._schedule(wait)
                return
            await self._write(target)
        except ChargerCommandError as err:
            self._failed(err)
            self._central.log_throttle.report(
                logging.WARNING,
                f"Charger {self._charge_point_id}",
                f"did not take the limit for connector {self.connector_id}",
                str(err),
            )
        finally:
            if self._pending is asyncio.current_task():
                self._pending = None
                self._retrying = False

    def _failed(self, err: ChargerCommandError) -> None:
        """Retry with backoff; a charger that keeps refusing gets a repair issue.

        A charger that went away is not retried: its next connection reconciles.
        """
        if isinstance(err, ChargerNotConnectedError):
            return
        self._failures += 1
        if self._failures >= REFUSALS_BEFORE_REPAIR:
            self._central.limit_refused(self._charge_point_id, self.connector_id, refused=True)
        self._schedule(min(RETRY_MAX, RETRY_BASE * 2 ** (self._failures - 1)), retry=True)

    def _cancel_retry(self) -> None:
        if self._retrying and self._pending is not None:
            self._pending.cancel()
            self._pending = None
            self._retrying = False

    async def _write(self, target: LimitTarget) -> None:
        session = self._central.accepted_session(self._charge_point_id)
        charger = self.charger
        transaction = self.connector.transaction
        transaction_id = transaction.transaction_id if transaction else None
        unit = rate_unit(charger)
        before = self._in_force()
        profile = limit_profile(
            charger,
            self.connector_id,
            target.amps,
            profile_id=_PROFILE_ID_BASE + self.connector_id * 10 + (1 if transaction else 2),
            stack=stack_level(charger),
            transaction_id=transaction_id,
            phases=target.phases,
        )
        self._last_write = time.monotonic()
        sent_at = dt_util.utcnow()
        try:
            status = await session.adapter.set_charging_profile(self.connector_id, profile)
        except ChargerCallError as err:
            if err.code in _UNSUPPORTED_CODES:
                self._central.smart_charging_unsupported(self._charge_point_id, err.code)
            raise
        if status is not CommandStatus.ACCEPTED:
            raise ChargerRejectedError(status)
        written = WrittenLimit(target.amps, target.phases, transaction_id)
        self.state.changed_at = dt_util.utcnow()
        if transaction_id is None:
            self.state.default = written
        else:
            self.state.session = written
        if self._failures:
            self._failures = 0
            self._central.limit_refused(self._charge_point_id, self.connector_id, refused=False)
        self.charger.notify(self.connector_id)
        # Pausing (0 A) or resuming changes what the session does: show that we wait for the
        # charger to say so; any other change shows in the next readings.
        paused_before = before is not None and before.amps == 0
        session.expect_change(
            [self.connector_id],
            status=transaction is not None and paused_before != (target.amps == 0),
            sent_at=sent_at,
        )
        await self._read_back(session, unit)

    async def _read_unmanaged(self) -> None:
        """A connector we set no limit on: show the limit its installer's profiles give it.

        Read once per connection or session (when reconciling finds nothing to write), so
        that "Active current limit" is known without us ever writing.
        """
        if (
            self.connector_id == 0
            or self.state.active is not None
            or not supports_smart_charging(self.charger)
        ):
            return
        session = self._central.accepted_session(self._charge_point_id)
        await self._read_back(session, rate_unit(self.charger))

    async def _read_back(self, session: ChargerLink, unit: RateUnit) -> None:
        """Show what the charger really applies (its composite schedule), if it tells."""
        try:
            schedule = await session.adapter.get_composite_schedule(
                self.connector_id, _READBACK_SECONDS, unit
            )
        except ChargerCommandError as err:
            LOGGER.debug("Charger %s has no composite schedule: %s", self._charge_point_id, err)
            return
        if (
            schedule is None
            or not schedule.periods
            or self._charge_point_id not in self._central.chargers
        ):
            # Nothing to show, or the charger was removed while we asked.
            return
        limit = schedule.periods[0].limit
        if schedule.unit is RateUnit.WATT:
            per_amp = watts_for(self.charger, self.connector_id, 1.0) or 1.0
            limit = limit / per_amp
        self.state.active = round(limit, 1)
        self.charger.notify(self.connector_id)

    def cancel(self) -> None:
        """Drop a pending write (unload)."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
