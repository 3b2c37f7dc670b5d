"""Solar surplus charging: a pure, deterministic current controller.

The controller turns grid, charger and home battery readings into a per-phase current limit.
It never reads a clock and touches no Home Assistant state: the caller passes monotonic time in
`SolarInputs.now`, so a whole day can be replayed in a test in milliseconds, and the same
sequence of inputs always yields the same sequence of decisions.

Surplus (W) is what the EV may draw without importing from the grid:

    surplus = max(charger draw, 0) - grid power        (grid export is negative)
              + battery charging power                  (only when the EV has priority)
              + battery discharging power (negative)    (always: a battery is not the sun)

Thresholds are minimum powers, `min_current * voltage * phases`. Time hysteresis keeps passing
clouds from toggling the charger: a start needs the surplus at or above the threshold for
`enable_delay` without interruption, a stop needs it below for `disable_delay`, a phase switch
needs its condition for `phase_switch_delay` and `min_phase_switch_interval` since the last one.
While a countdown runs the EV keeps the minimum current on the phases it has, so a short cloud
costs a little grid power instead of a stop, a start or a switch.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import math
from typing import Final

# Charging schedule limits take at most one decimal (OCPP 1.6 ChargingSchedulePeriod.limit), so
# the controller speaks in 0.1 A steps; rounding down keeps the EV from drawing beyond the surplus.
CURRENT_STEP: Final = 0.1
# Float noise (7.3 / 0.1 = 72.99999...) must not cost a whole step when rounding down.
_ROUNDING_EPSILON: Final = 1e-9
# Measured voltages outside this range are meter artefacts: idle meters report 0 V and some
# report line-to-line 400 V; 90-290 V covers 110/120 V and 230/240 V grids with tolerance.
PLAUSIBLE_VOLTAGE: Final = (90.0, 290.0)
# Phase counts: the switch is between single phase and all three.
ONE_PHASE: Final = 1
THREE_PHASES: Final = 3
# State of charge is a percentage.
_FULL_SOC: Final = 100.0


class ChargingMode(StrEnum):
    """What the user asked for."""

    OFF = "off"
    FAST = "fast"
    SOLAR = "solar"
    MIN_SOLAR = "min_solar"


class ControllerState(StrEnum):
    """Why the controller decided what it decided (for a sensor and for debugging)."""

    OFF = "off"
    FAST = "fast"
    WAITING_FOR_SURPLUS = "waiting_for_surplus"
    # The battery takes power that would have started the EV.
    BATTERY_PRIORITY = "battery_priority"
    STARTING = "starting"
    CHARGING = "charging"
    STOPPING = "stopping"
    SWITCHING_PHASES = "switching_phases"


@dataclass(frozen=True, kw_only=True)
class SolarSettings:
    """How the installation and the user want surplus charging to behave."""

    min_current: float = 6.0  # A per phase; IEC 61851 minimum
    max_current: float = 16.0
    voltage: float = 230.0  # V per phase when no measurement is given
    phases: int = 3  # phases the installation provides
    phase_switching: bool = False  # may switch between 1 and 3 phases
    enable_delay: float = 60.0  # s surplus must stay >= minimum power before starting
    disable_delay: float = 180.0  # s surplus must stay below before stopping
    phase_switch_delay: float = 120.0
    min_phase_switch_interval: float = 600.0  # s between two switches (contactor wear, EVs)
    battery_priority_soc: float | None = None  # charge the home battery first up to this SoC

    def __post_init__(self) -> None:
        """Reject settings that would make the arithmetic meaningless."""
        if not 0 < self.min_current <= self.max_current:
            raise ValueError("need 0 < min_current <= max_current")
        if not self.voltage > 0:
            raise ValueError("voltage must be positive")
        if self.phases not in (1, 2, 3):
            raise ValueError("phases must be 1, 2 or 3")
        delays = (
            self.enable_delay,
            self.disable_delay,
            self.phase_switch_delay,
            self.min_phase_switch_interval,
        )
        if any(not delay >= 0 for delay in delays):
            raise ValueError("delays must not be negative")
        if (
            self.battery_priority_soc is not None
            and not 0 <= self.battery_priority_soc <= _FULL_SOC
        ):
            raise ValueError("battery_priority_soc is a percentage")

    @property
    def can_switch_phases(self) -> bool:
        """Switching needs three phases to switch between."""
        return self.phase_switching and self.phases == THREE_PHASES


@dataclass(frozen=True, kw_only=True)
class SolarInputs:
    """One set of readings, taken at `now`."""

    now: float  # monotonic seconds
    grid_power_w: float  # export negative
    charger_power_w: float  # what the charger draws now (W)
    battery_power_w: float | None = None  # home battery, charging positive
    battery_soc: float | None = None
    voltage: float | None = None  # measured per-phase voltage if known


@dataclass(frozen=True, kw_only=True)
class SolarDecision:
    """What to offer the charger now, and why."""

    current: float  # A per phase to set; 0.0 = pause (keep the transaction)
    phases: int
    state: ControllerState
    surplus_w: float  # power available for the EV (W), never negative
    seconds_to_start: float | None = None
    seconds_to_stop: float | None = None
    seconds_to_phase_switch: float | None = None


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


@dataclass(frozen=True, kw_only=True)
class _Surplus:
    power: float  # W available to the EV
    held_back: float  # W the battery keeps because it has priority


class SolarController:
    """Turns surplus into a current limit, with delays against clouds and contactor wear."""

    def __init__(self, settings: SolarSettings) -> None:
        """Start paused, on the installation's phases, with no timers running."""
        self._settings = settings
        self.reset()

    def reconfigure(self, settings: SolarSettings) -> None:
        """New settings (a charger's maximum current, say), keeping the running countdowns."""
        self._settings = settings

    def reset(self) -> None:
        """Forget everything (new session, changed settings, restart)."""
        self._mode: ChargingMode | None = None
        # Whether the controller currently offers current; the EV may still draw nothing.
        self._charging = False
        self._phases = self._settings.phases
        # Moments a condition started to hold without interruption (None: it does not hold).
        self._surplus_since: float | None = None
        self._deficit_since: float | None = None
        self._switch_since: float | None = None
        self._last_switch: float | None = None

    def update(self, mode: ChargingMode, inputs: SolarInputs) -> SolarDecision:
        """Decide the current for `mode` given fresh readings."""
        # Select entities hand over plain strings; identity checks below need the member.
        mode = ChargingMode(mode)
        if mode is not self._mode:
            # A new mode starts its own countdowns. `_charging` carries over, so FAST -> SOLAR
            # keeps charging until the disable delay says otherwise instead of stopping at once.
            self._mode = mode
            self._surplus_since = self._deficit_since = self._switch_since = None
        voltage = self._voltage(inputs)
        surplus = self._surplus(inputs)
        if mode is ChargingMode.OFF:
            self._charging = False
            return self._decision(0.0, ControllerState.OFF, surplus)
        if mode is ChargingMode.FAST:
            # The user asked for speed: all phases at once, even inside the switch interval.
            self._set_phases(self._settings.phases, inputs.now)
            self._charging = True
            return self._decision(self._settings.max_current, ControllerState.FAST, surplus)
        if not self._charging:
            if mode is ChargingMode.MIN_SOLAR:
                # Minimum current is charged regardless of the sun, so no enable delay.
                self._start(surplus.power, voltage, inputs.now)
            else:
                return self._idle(surplus, voltage, inputs.now)
        return self._charge(mode, surplus, voltage, inputs.now)

    # -- steps ------------------------------------------------------------------------------

    def _idle(self, surplus: _Surplus, voltage: float, now: float) -> SolarDecision:
        """SOLAR while paused: start once the surplus has sufficed for the enable delay."""
        threshold = self._min_power(self._start_phases(surplus.power, voltage, now), voltage)
        if surplus.power < threshold:
            self._surplus_since = None
            blocked = surplus.held_back > 0 and surplus.power + surplus.held_back >= threshold
            state = (
                ControllerState.BATTERY_PRIORITY if blocked else ControllerState.WAITING_FOR_SURPLUS
            )
            return self._decision(0.0, state, surplus)
        if self._surplus_since is None:
            self._surplus_since = now
        remaining = self._settings.enable_delay - (now - self._surplus_since)
        if remaining > 0:
            return self._decision(
                0.0, ControllerState.STARTING, surplus, seconds_to_start=remaining
            )
        self._start(surplus.power, voltage, now)
        return self._charge(ChargingMode.SOLAR, surplus, voltage, now)

    def _start(self, surplus_w: float, voltage: float, now: float) -> None:
        # While no current flows a phase change costs no contactor wear under load, so the
        # start picks the phase count the surplus supports instead of waiting for a switch.
        self._set_phases(self._start_phases(surplus_w, voltage, now), now)
        self._charging = True
        self._surplus_since = self._deficit_since = self._switch_since = None

    def _charge(
        self, mode: ChargingMode, surplus: _Surplus, voltage: float, now: float
    ) -> SolarDecision:
        """SOLAR or MIN_SOLAR while charging: follow the surplus, switch phases, maybe stop."""
        to_switch = self._phase_step(mode, surplus.power, voltage, now)
        to_stop: float | None = None
        if mode is ChargingMode.SOLAR:
            # A phase switch, if still allowed, rescues a surplus between the one- and three-phase
            # minimum; only below the lowest reachable minimum is stopping the remedy.
            lowest = ONE_PHASE if self._switch_allowed(now) else self._phases
            if surplus.power >= self._min_power(lowest, voltage):
                self._deficit_since = None
            else:
                if self._deficit_since is None:
                    self._deficit_since = now
                to_stop = self._settings.disable_delay - (now - self._deficit_since)
                if to_stop <= 0:
                    self._charging = False
                    self._deficit_since = self._switch_since = None
                    return self._idle(surplus, voltage, now)
        current = self._current(surplus.power, voltage)
        if to_stop is not None and (to_switch is None or to_stop <= to_switch):
            state = ControllerState.STOPPING
        elif to_switch is not None:
            state = ControllerState.SWITCHING_PHASES
        else:
            state = ControllerState.CHARGING
        return self._decision(
            current, state, surplus, seconds_to_stop=to_stop, seconds_to_phase_switch=to_switch
        )

    def _phase_step(
        self, mode: ChargingMode, surplus_w: float, voltage: float, now: float
    ) -> float | None:
        """Run the phase switch countdown; switch when due. Returns the seconds left, if any."""
        if not self._settings.can_switch_phases:
            return None
        three = self._min_power(THREE_PHASES, voltage)
        if self._phases == THREE_PHASES:
            # In SOLAR a surplus below even the one-phase minimum is the stop timer's business;
            # switching just before stopping would waste the interval. MIN_SOLAR never stops,
            # and one phase at minimum current imports less than three.
            one = self._min_power(ONE_PHASE, voltage)
            wanted = surplus_w < three and (mode is ChargingMode.MIN_SOLAR or surplus_w >= one)
            target = ONE_PHASE
        else:
            wanted = surplus_w >= three
            target = THREE_PHASES
        if not wanted:
            self._switch_since = None
            return None
        if self._switch_since is None:
            self._switch_since = now
        remaining = max(
            self._settings.phase_switch_delay - (now - self._switch_since),
            self._interval_left(now),
        )
        if remaining > 0:
            return remaining
        self._set_phases(target, now)
        self._switch_since = None
        return None

    # -- arithmetic -------------------------------------------------------------------------

    def _surplus(self, inputs: SolarInputs) -> _Surplus:
        # A negative charger reading is a sign convention gone wrong, not generation.
        charger = max(_finite(inputs.charger_power_w) or 0.0, 0.0)
        # An unknown grid reading counts as balanced: the surplus is what the EV draws now, so
        # a charging EV holds its current and a paused one stays paused.
        grid = _finite(inputs.grid_power_w) or 0.0
        power = charger - grid
        held_back = 0.0
        battery = _finite(inputs.battery_power_w)
        if battery is not None and battery < 0:
            # A discharging battery is feeding the house or the EV; that is not sunshine.
            power += battery
        elif battery is not None and battery > 0:
            if self._battery_first(inputs.battery_soc):
                # The export already excludes what the battery takes, so it simply stays there.
                held_back = battery
            else:
                # The battery would take this power otherwise; the EV gets it instead.
                power += battery
        return _Surplus(power=max(power, 0.0), held_back=held_back)

    def _battery_first(self, soc: float | None) -> bool:
        limit = self._settings.battery_priority_soc
        if limit is None:
            return False
        soc = _finite(soc)
        # Priority was asked for; without a SoC it cannot be shown to be satisfied.
        return soc is None or soc < limit

    def _voltage(self, inputs: SolarInputs) -> float:
        measured = _finite(inputs.voltage)
        low, high = PLAUSIBLE_VOLTAGE
        if measured is not None and low <= measured <= high:
            return measured
        return self._settings.voltage

    def _min_power(self, phases: int, voltage: float) -> float:
        return self._settings.min_current * voltage * phases

    def _current(self, surplus_w: float, voltage: float) -> float:
        """Surplus spread over the phases in use, rounded down to a step, clamped to limits."""
        raw = surplus_w / (voltage * self._phases)
        stepped = math.floor(raw / CURRENT_STEP + _ROUNDING_EPSILON) * CURRENT_STEP
        # round() strips float noise (7.300000000000001) so chargers get a clean decimal.
        stepped = round(stepped, 1)
        return min(max(stepped, self._settings.min_current), self._settings.max_current)

    def _start_phases(self, surplus_w: float, voltage: float, now: float) -> int:
        if not self._switch_allowed(now):
            return self._phases
        if surplus_w >= self._min_power(THREE_PHASES, voltage):
            return THREE_PHASES
        return ONE_PHASE

    def _switch_allowed(self, now: float) -> bool:
        return self._settings.can_switch_phases and self._interval_left(now) <= 0

    def _interval_left(self, now: float) -> float:
        if self._last_switch is None:
            return 0.0
        return self._settings.min_phase_switch_interval - (now - self._last_switch)

    def _set_phases(self, phases: int, now: float) -> None:
        if phases != self._phases:
            self._phases = phases
            self._last_switch = now

    def _decision(
        self,
        current: float,
        state: ControllerState,
        surplus: _Surplus,
        *,
        seconds_to_start: float | None = None,
        seconds_to_stop: float | None = None,
        seconds_to_phase_switch: float | None = None,
    ) -> SolarDecision:
        return SolarDecision(
            current=current,
            phases=self._phases,
            state=state,
            surplus_w=surplus.power,
            seconds_to_start=seconds_to_start,
            seconds_to_stop=seconds_to_stop,
            seconds_to_phase_switch=seconds_to_phase_switch,
        )
