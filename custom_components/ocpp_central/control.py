"""Current limits of one connector: the only writer of charging profiles to a charger.

Automations may set a limit every second; chargers store profiles in flash and some fail on
floods. So the last requested value wins, changes smaller than a step are dropped, and at most
one profile is written per interval. While a session runs the limit is a TxProfile (it ends
with the session); otherwise a TxDefaultProfile. ChargePointMaxProfile is never written.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Final

from homeassistant.util import dt as dt_util

from .const import LOGGER
from .errors import ChargerCommandError, ChargerRejectedError
from .model import Charger, CurrentLimit, Measurand
from .protocol.base import CommandStatus
from .protocol.commands import (
    ChargingProfile,
    ProfileKind,
    ProfilePurpose,
    RateUnit,
    SchedulePeriod,
)

if TYPE_CHECKING:
    from .central import CentralSystem
    from .session import ChargerSession

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

# Configuration keys (1.6) and variables (2.x) describing a charger's smart charging.
_RATE_UNIT_KEYS: Final = ("ChargingScheduleAllowedChargingRateUnit", "SmartChargingCtrlr.RateUnit")
_STACK_LEVEL_KEYS: Final = ("ChargeProfileMaxStackLevel", "SmartChargingCtrlr.ProfileStackLevel")


_PHASE_SWITCH_KEYS: Final = ("ConnectorSwitch3to1PhaseSupported", "SmartChargingCtrlr.Phases3to1")


def supports_phase_switching(charger: Charger) -> bool:
    """Whether profiles may ask for 1 or 3 phases (numberPhases)."""
    return supports_smart_charging(charger) and (
        (_configured(charger, _PHASE_SWITCH_KEYS) or "").strip().lower() == "true"
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


def watts_for(charger: Charger, connector_id: int, amps: float, phases: int | None = None) -> float:
    """Convert a per-phase current to power with the measured voltage and phase count.

    `phases` overrides the measured phase count (a profile asking for 1 or 3 phases).
    """
    connector = charger.connector(connector_id)
    voltages = [v for v in connector.phase_voltages() if v > 0]
    voltage = connector.reading(Measurand.VOLTAGE) or (
        sum(voltages) / len(voltages) if voltages else DEFAULT_VOLTAGE
    )
    currents = [
        c
        for c in connector.phase_values(Measurand.CURRENT_IMPORT).values()
        if c > _ACTIVE_PHASE_CURRENT
    ]
    phases = phases or len(currents) or len(voltages) or DEFAULT_PHASES
    return round(amps * voltage * phases)


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


async def install_failsafe(session: ChargerSession) -> None:
    """Install the failsafe default limit (stack level 0) that outlives Home Assistant.

    Our own limits sit on higher stack levels and win while HA runs; TxProfiles end with
    their session, so between sessions and after a charger reboot this limit applies.
    """
    current = session.central.settings.failsafe_current
    charger = session.charger
    if current <= 0 or not supports_smart_charging(charger):
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


class ConnectorControl:
    """Rate-limited, coalescing writer of one connector's current limit."""

    def __init__(self, central: CentralSystem, charge_point_id: str, connector_id: int) -> None:
        """Control one connector (0: the whole charger)."""
        self._central = central
        self._charge_point_id = charge_point_id
        self.connector_id = connector_id
        self._last_write = -float("inf")
        self._phases: int | None = None
        self._written_phases: int | None = None
        self._pending: asyncio.Task[None] | None = None

    @property
    def interval(self) -> float:
        """Minimum seconds between two profile writes (option)."""
        return self._central.settings.limit_interval

    @property
    def charger(self) -> Charger:
        """The charger this connector belongs to."""
        return self._central.chargers[self._charge_point_id]

    @property
    def state(self) -> CurrentLimit:
        """The connector's limit as the model keeps it."""
        return self.charger.connector(self.connector_id).limit

    async def async_set_current(self, amps: float, phases: int | None = None) -> None:
        """Ask for a limit; written now if the interval allows (errors raise), else coalesced.

        `phases` asks the charger to use 1 or 3 phases (numberPhases); None leaves it be.
        """
        amps = round(amps, 1)  # CURRENT_STEP: chargers take 0.1 A steps at best
        self.state.requested = amps
        self._phases = phases
        self.charger.notify(self.connector_id)
        reference = self.state.written
        if (
            reference is not None
            and abs(reference - amps) < CURRENT_STEP / 2
            and phases == self._written_phases
        ):
            return
        wait = self._last_write + self.interval - time.monotonic()
        if wait <= 0 and self._pending is None:
            await self._write(amps)
            return
        if self._pending is None:
            self._pending = self._central.entry.async_create_background_task(
                self._central.hass,
                self._write_later(max(wait, 0.0)),
                f"ocpp_central {self._charge_point_id} limit",
            )

    @property
    def phases(self) -> int | None:
        """The phase count last asked for (None: the charger decides)."""
        return self._phases

    async def async_set_phases(self, phases: int) -> None:
        """Charge on 1 or 3 phases at the current limit (the maximum if none was set)."""
        amps = self.state.requested or self._central.settings.max_current
        await self.async_set_current(amps, phases)

    async def _write_later(self, delay: float) -> None:
        try:
            await asyncio.sleep(delay)
            self._pending = None
            amps = self.state.requested
            if amps is not None and (
                amps != self.state.written or self._phases != self._written_phases
            ):
                await self._write(amps)
        except ChargerCommandError as err:
            LOGGER.warning(
                "Charger %s did not take the limit for connector %s: %s",
                self._charge_point_id,
                self.connector_id,
                err,
            )
        finally:
            self._pending = None

    async def _write(self, amps: float) -> None:
        session = self._central.accepted_session(self._charge_point_id)
        charger = self.charger
        transaction = charger.connector(self.connector_id).transaction
        unit = rate_unit(charger)
        phases = self._phases
        profile = limit_profile(
            charger,
            self.connector_id,
            amps,
            profile_id=_PROFILE_ID_BASE + self.connector_id * 10 + (1 if transaction else 2),
            stack=stack_level(charger),
            transaction_id=transaction.transaction_id if transaction else None,
            phases=phases,
        )
        self._last_write = time.monotonic()
        status = await session.adapter.set_charging_profile(self.connector_id, profile)
        if status is not CommandStatus.ACCEPTED:
            raise ChargerRejectedError(status)
        self.state.written = amps
        self._written_phases = phases
        self.charger.notify(self.connector_id)
        await self._read_back(session, unit)

    async def _read_back(self, session: ChargerSession, unit: RateUnit) -> None:
        """Show what the charger really applies (its composite schedule), if it tells."""
        try:
            schedule = await session.adapter.get_composite_schedule(
                self.connector_id, _READBACK_SECONDS, unit
            )
        except ChargerCommandError as err:
            LOGGER.debug("Charger %s has no composite schedule: %s", self._charge_point_id, err)
            return
        if schedule is None or not schedule.periods:
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
