"""Solar surplus controller: a simulated day, the delays, batteries, edge cases; the blueprint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
import itertools
import math
from pathlib import Path
from typing import Any

import pytest

from custom_components.ocpp_central.solar import (
    ChargingMode,
    ControllerState,
    SolarController,
    SolarDecision,
    SolarInputs,
    SolarSettings,
)

BLUEPRINT = (
    Path(__file__).parent.parent / "blueprints/automation/ocpp_central/solar_surplus_charging.yaml"
)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """The controller is pure: no Home Assistant instance for the tests that do not ask."""


@pytest.fixture(autouse=True)
def loopback_sockets() -> None:
    """Nothing here talks over a socket."""


# -- the simulated day -----------------------------------------------------------------------

HOUSE_W = 500.0
PEAK_W = 11000.0  # chosen so no threshold crossing falls exactly on a 10 s sample
STEP = 10  # s between updates
V = 230.0
P1 = 6 * V  # 1380 W: one phase at the minimum
P3 = 3 * P1  # 4140 W


def hms(text: str) -> int:
    """Seconds since midnight of "HH:MM:SS" (time doubles as the monotonic clock)."""
    hours, minutes, seconds = (int(part) for part in text.split(":"))
    return hours * 3600 + minutes * 60 + seconds


def clock(t: float) -> str:
    t = int(t)
    return f"{t // 3600:02}:{t % 3600 // 60:02}:{t % 60:02}"


@dataclass(frozen=True)
class Cloud:
    start: str
    end: str  # exclusive
    pv_w: float  # what the panels make under it

    def covers(self, t: int) -> bool:
        return hms(self.start) <= t < hms(self.end)


def clear_sky(t: int) -> float:
    """Sunrise 07:00, peak 12:00-14:00, sunset 20:00; linear in between."""
    if t < hms("07:00:00") or t >= hms("20:00:00"):
        return 0.0
    if t < hms("12:00:00"):
        return PEAK_W * (t - hms("07:00:00")) / (5 * 3600)
    if t < hms("14:00:00"):
        return PEAK_W
    return PEAK_W * (hms("20:00:00") - t) / (6 * 3600)


@dataclass
class Day:
    """A grid connection with a house, panels and an EV that takes what it is offered."""

    clouds: tuple[Cloud, ...] = ()
    voltage: float | None = None
    ev_w: float = 0.0
    log: list[tuple[int, SolarDecision]] = field(default_factory=list)

    def pv(self, t: int) -> float:
        for cloud in self.clouds:
            if cloud.covers(t):
                return min(cloud.pv_w, clear_sky(t))
        return clear_sky(t)

    def surplus(self, t: int) -> float:
        """The truth the controller should see: the EV's draw cancels out."""
        return max(self.pv(t) - HOUSE_W, 0.0)

    def run(
        self,
        controller: SolarController,
        mode: ChargingMode | Callable[[int], ChargingMode],
        start: str = "00:00:00",
        end: str = "23:59:50",
    ) -> list[tuple[int, SolarDecision]]:
        for t in range(hms(start), hms(end) + 1, STEP):
            grid = HOUSE_W + self.ev_w - self.pv(t)
            decision = controller.update(
                mode(t) if callable(mode) else mode,
                SolarInputs(now=t, grid_power_w=grid, charger_power_w=self.ev_w),
            )
            # The EV follows the new limit before the next sample.
            self.ev_w = decision.current * V * decision.phases
            self.log.append((t, decision))
        return self.log

    def at(self, time: str) -> SolarDecision:
        return next(d for t, d in self.log if t == hms(time))

    def first_sample(self, condition: Callable[[float], bool], after: str) -> int:
        """First sample at or after `after` where the surplus meets `condition`."""
        return next(
            t for t in range(hms(after), hms("23:59:50"), STEP) if condition(self.surplus(t))
        )


def expected_current(surplus_w: float, phases: int) -> float:
    """Surplus over the phases, down to 0.1 A, within [6, 16] A."""
    amps = math.floor(surplus_w / (V * phases) * 10 + 1e-6) / 10
    return min(max(amps, 6.0), 16.0)


def charging_edges(log: list[tuple[int, SolarDecision]]) -> list[tuple[str, bool]]:
    edges, was = [], False
    for t, decision in log:
        if (now := decision.current > 0) != was:
            edges.append((clock(t), now))
            was = now
    return edges


def phase_edges(log: list[tuple[int, SolarDecision]]) -> list[tuple[str, int]]:
    edges, was = [], log[0][1].phases
    for t, decision in log:
        if decision.phases != was:
            edges.append((clock(t), decision.phases))
            was = decision.phases
    return edges


# Short dips (60, 120, 170 s: all under the 180 s disable delay) and one long one (10 min).
CLOUDS = (
    Cloud("10:00:00", "10:01:00", 800.0),
    Cloud("10:30:00", "10:32:00", 800.0),
    Cloud("11:00:00", "11:02:50", 800.0),
    Cloud("13:00:00", "13:10:00", 800.0),
)


def test_solar_day_three_phases() -> None:
    day = Day(clouds=CLOUDS)
    log = day.run(SolarController(SolarSettings()), ChargingMode.SOLAR)

    sufficient = day.first_sample(lambda s: s >= P3, "05:00:00")
    assert clock(sufficient) == "09:06:40"
    sunset = day.first_sample(lambda s: s < P3, "14:00:00")
    assert clock(sunset) == "17:28:10"
    assert charging_edges(log) == [
        ("09:07:40", True),  # enable delay (60 s) after the surplus first sufficed
        ("13:03:00", False),  # disable delay (180 s) into the long dip
        ("13:11:00", True),  # enable delay after it
        ("17:31:10", False),  # disable delay after sunset took the surplus
    ]

    # Countdowns while waiting to start.
    starting = day.at("09:07:10")
    assert starting.state is ControllerState.STARTING
    assert starting.seconds_to_start == 30
    assert starting.current == 0
    assert day.at("09:06:30").state is ControllerState.WAITING_FOR_SURPLUS
    assert day.at("09:06:30").seconds_to_start is None

    # Short clouds only start the stop countdown.
    assert day.at("11:02:40").state is ControllerState.STOPPING
    assert day.at("11:02:40").seconds_to_stop == 20
    assert day.at("11:02:40").current == 6.0
    assert day.at("11:02:50").state is ControllerState.CHARGING
    assert day.at("11:02:50").seconds_to_stop is None

    # While charging the limit follows the surplus, within [6, 16] A, on three phases.
    charging = [(t, d) for t, d in log if d.current > 0]
    assert len(charging) > 2000
    for t, decision in charging:
        assert decision.phases == 3
        assert 6.0 <= decision.current <= 16.0
        assert decision.surplus_w == pytest.approx(day.surplus(t))
        assert decision.current == expected_current(day.surplus(t), 3), clock(t)
    assert day.at("09:30:00").current == 7.2  # 5000 W / 690 W/A = 7.25 A, rounded down
    assert day.at("12:30:00").current == 15.2  # the peak: 10.5 kW / 690 W/A = 15.22 A
    assert day.at("13:02:50").state is ControllerState.STOPPING
    assert day.at("13:03:00").state is ControllerState.WAITING_FOR_SURPLUS
    assert day.at("23:00:00").state is ControllerState.WAITING_FOR_SURPLUS
    assert all(d.current == 0 for t, d in log if t < hms("09:07:40"))


def test_solar_day_with_phase_switching() -> None:
    day = Day(
        clouds=(
            # Thin clouds: surplus between the one- and three-phase minimum.
            Cloud("11:00:00", "11:03:20", 3500.0),
            Cloud("11:30:00", "11:31:40", 3500.0),  # shorter than the switch delay
            Cloud("13:00:00", "13:10:00", 800.0),  # below even one phase: stop
        )
    )
    controller = SolarController(SolarSettings(phase_switching=True))
    log = day.run(controller, ChargingMode.SOLAR)

    one_phase_morning = day.first_sample(lambda s: s >= P1, "05:00:00")
    three_phase_morning = day.first_sample(lambda s: s >= P3, "05:00:00")
    below_three = day.first_sample(lambda s: s < P3, "14:00:00")
    below_one = day.first_sample(lambda s: s < P1, "14:00:00")
    assert [clock(t) for t in (one_phase_morning, three_phase_morning)] == [
        "07:51:20",
        "09:06:40",
    ]
    assert [clock(t) for t in (below_three, below_one)] == ["17:28:10", "18:58:30"]

    assert phase_edges(log) == [
        ("07:52:20", 1),  # starts on one phase: no wait for a switch while paused
        ("09:08:40", 3),  # phase_switch_delay (120 s) after three phases became possible
        ("11:02:00", 1),  # 120 s into the thin cloud
        ("11:12:00", 3),  # sun back 11:03:20, but the 600 s interval since 11:02:00 holds
        ("17:30:10", 1),  # 120 s after sunset left less than three phases need
    ]
    switches = [hms(t) for t, _ in phase_edges(log)]
    assert all(b - a >= 600 for a, b in itertools.pairwise(switches))
    assert charging_edges(log) == [
        ("07:52:20", True),
        ("13:03:00", False),  # the dark cloud: below one phase too
        ("13:11:00", True),  # restarts directly on three phases
        ("19:01:30", False),  # 180 s after even one phase was no longer covered
    ]

    assert day.at("07:51:50").seconds_to_start == 30
    assert day.at("07:51:50").phases == 3
    assert day.at("09:07:40").state is ControllerState.SWITCHING_PHASES
    assert day.at("09:07:40").seconds_to_phase_switch == 60
    assert day.at("09:07:40").current == 16.0  # one phase, at most 16 A
    # Thin cloud, still on three phases: minimum current while the switch is pending.
    assert day.at("11:01:00").state is ControllerState.SWITCHING_PHASES
    assert day.at("11:01:00").current == 6.0
    assert day.at("11:02:00").current == 13.0  # 3000 W on one phase: 13.04 A
    assert day.at("11:02:00").state is ControllerState.CHARGING
    # Back in the sun, the interval makes the switch wait: 11:12:00 - 11:06:00.
    assert day.at("11:06:00").seconds_to_phase_switch == 360
    assert day.at("11:06:00").current == 16.0
    assert day.at("11:31:30").state is ControllerState.SWITCHING_PHASES
    assert day.at("11:31:40").state is ControllerState.CHARGING
    assert day.at("13:11:00").phases == 3

    for t, decision in log:
        if decision.current > 0:
            assert decision.current == expected_current(day.surplus(t), decision.phases), clock(t)


def test_min_solar_day_never_below_minimum() -> None:
    day = Day(clouds=CLOUDS)
    log = day.run(SolarController(SolarSettings()), ChargingMode.MIN_SOLAR)
    assert all(d.current >= 6.0 for _, d in log)
    assert all(d.state is ControllerState.CHARGING for _, d in log)
    assert day.at("03:00:00").current == 6.0
    assert day.at("13:05:00").current == 6.0  # long cloud: no stop in MIN_SOLAR
    assert day.at("09:00:00").current == 6.0  # 3.9 kW: 5.65 A, raised to the minimum
    assert day.at("09:30:00").current == 7.2  # 5.0 kW: the surplus above the minimum is used
    assert day.at("12:30:00").current == 15.2
    for t, decision in log:
        assert decision.current == expected_current(day.surplus(t), 3)


def test_min_solar_switches_to_one_phase_in_the_dark() -> None:
    day = Day()
    log = day.run(SolarController(SolarSettings(phase_switching=True)), ChargingMode.MIN_SOLAR)
    assert log[0][1].phases == 1  # starts on one phase: no surplus at all
    assert phase_edges(log) == [
        ("09:08:40", 3),
        # MIN_SOLAR never stops, so it switches down below the three-phase minimum.
        ("17:30:10", 1),
    ]
    assert all(d.current >= 6.0 for _, d in log)


def test_modes_off_and_fast() -> None:
    controller = SolarController(SolarSettings(phase_switching=True))
    night = SolarInputs(now=0, grid_power_w=300, charger_power_w=0)
    off = controller.update(ChargingMode.OFF, night)
    assert (off.current, off.phases, off.state) == (0.0, 3, ControllerState.OFF)

    fast = controller.update(ChargingMode.FAST, night)
    assert (fast.current, fast.phases, fast.state) == (16.0, 3, ControllerState.FAST)

    # FAST -> SOLAR without surplus: charging goes on at the minimum until the disable delay.
    inputs = SolarInputs(now=10, grid_power_w=11_000, charger_power_w=11_040)
    first = controller.update(ChargingMode.SOLAR, inputs)
    assert (first.current, first.state) == (6.0, ControllerState.STOPPING)
    assert first.seconds_to_stop == 180
    later = controller.update(
        ChargingMode.SOLAR, SolarInputs(now=190, grid_power_w=4000, charger_power_w=4140)
    )
    assert (later.current, later.state) == (0.0, ControllerState.WAITING_FOR_SURPLUS)

    # OFF always pauses, even in full sun; leaving it restarts the enable delay.
    sun = SolarInputs(now=200, grid_power_w=-8000, charger_power_w=0)
    assert controller.update(ChargingMode.OFF, sun).current == 0.0
    back = controller.update(
        ChargingMode.SOLAR, SolarInputs(now=210, grid_power_w=-8000, charger_power_w=0)
    )
    assert back.state is ControllerState.STARTING
    assert back.seconds_to_start == 60


def test_fast_restores_three_phases_at_once() -> None:
    controller = SolarController(SolarSettings(phase_switching=True))
    controller.update(ChargingMode.MIN_SOLAR, SolarInputs(now=0, grid_power_w=0, charger_power_w=0))
    fast = controller.update(
        ChargingMode.FAST, SolarInputs(now=10, grid_power_w=1380, charger_power_w=1380)
    )
    assert (fast.phases, fast.current) == (3, 16.0)
    # ... and the next solar switch still respects the interval counted from that one.
    back = controller.update(
        ChargingMode.MIN_SOLAR, SolarInputs(now=20, grid_power_w=11_000, charger_power_w=11_040)
    )
    assert back.phases == 3
    assert back.state is ControllerState.SWITCHING_PHASES
    assert back.seconds_to_phase_switch == 590


def test_blocked_switch_lets_the_stop_win() -> None:
    controller = SolarController(SolarSettings(phase_switching=True))
    controller.update(ChargingMode.MIN_SOLAR, SolarInputs(now=0, grid_power_w=0, charger_power_w=0))
    controller.update(ChargingMode.FAST, SolarInputs(now=10, grid_power_w=0, charger_power_w=0))

    def solar(now: float) -> SolarDecision:
        # 3 kW of surplus: one phase would do, three need 4140 W.
        return controller.update(
            ChargingMode.SOLAR, SolarInputs(now=now, grid_power_w=-3000, charger_power_w=0)
        )

    # The switch to one phase must wait for the interval (until 610 s); the stop comes first.
    first = solar(20)
    assert (first.state, first.current, first.phases) == (ControllerState.STOPPING, 6.0, 3)
    assert (first.seconds_to_stop, first.seconds_to_phase_switch) == (180, 590)
    assert solar(200).state is ControllerState.WAITING_FOR_SURPLUS
    assert solar(600).state is ControllerState.WAITING_FOR_SURPLUS
    # Once a switch is allowed again, one phase is enough to start.
    assert solar(610).state is ControllerState.STARTING
    resumed = solar(670)
    assert (resumed.state, resumed.current, resumed.phases) == (ControllerState.CHARGING, 13.0, 1)


# -- battery ---------------------------------------------------------------------------------


def battery_inputs(now: float, soc: float | None, charging_w: float = 4000) -> SolarInputs:
    """1 kW goes to the grid, 4 kW into the home battery, the EV is paused."""
    return SolarInputs(
        now=now,
        grid_power_w=-1000,
        charger_power_w=0,
        battery_power_w=charging_w,
        battery_soc=soc,
    )


def test_battery_priority_below_soc_the_ev_waits() -> None:
    controller = SolarController(SolarSettings(battery_priority_soc=80))
    for now in range(0, 600, 10):
        decision = controller.update(ChargingMode.SOLAR, battery_inputs(now, soc=50))
        assert decision.current == 0.0
        assert decision.state is ControllerState.BATTERY_PRIORITY
        assert decision.surplus_w == 1000

    # Above the SoC the battery's 4 kW are the EV's: 5 kW, started after the enable delay.
    decisions = [
        controller.update(ChargingMode.SOLAR, battery_inputs(now, soc=85))
        for now in range(600, 700, 10)
    ]
    assert [d.state for d in decisions[:6]] == [ControllerState.STARTING] * 6
    assert decisions[6].state is ControllerState.CHARGING
    assert decisions[6].surplus_w == 5000
    assert decisions[6].current == 7.2  # 5000 / 690 = 7.25


def test_battery_priority_leaves_the_overflow_to_the_ev() -> None:
    controller = SolarController(SolarSettings(battery_priority_soc=80, enable_delay=0))
    # The battery charges at its limit and 5 kW still go to the grid: the EV may have those.
    decision = controller.update(
        ChargingMode.SOLAR,
        SolarInputs(
            now=0, grid_power_w=-5000, charger_power_w=0, battery_power_w=3000, battery_soc=40
        ),
    )
    assert (decision.state, decision.current) == (ControllerState.CHARGING, 7.2)


def test_battery_without_priority_counts_as_surplus() -> None:
    controller = SolarController(SolarSettings(enable_delay=0))
    decision = controller.update(ChargingMode.SOLAR, battery_inputs(0, soc=20))
    assert (decision.surplus_w, decision.current) == (5000, 7.2)


def test_battery_priority_without_soc_keeps_the_battery_first() -> None:
    controller = SolarController(SolarSettings(battery_priority_soc=50, enable_delay=0))
    decision = controller.update(ChargingMode.SOLAR, battery_inputs(0, soc=None))
    assert decision.state is ControllerState.BATTERY_PRIORITY
    assert decision.surplus_w == 1000


def test_discharging_battery_is_no_surplus() -> None:
    controller = SolarController(SolarSettings(enable_delay=0))
    # 4.5 kW exported, 1 kW of it from the battery: 3.5 kW real surplus, under 3 x 6 A.
    decision = controller.update(
        ChargingMode.SOLAR,
        SolarInputs(now=0, grid_power_w=-4500, charger_power_w=0, battery_power_w=-1000),
    )
    assert (decision.surplus_w, decision.state) == (3500, ControllerState.WAITING_FOR_SURPLUS)
    # Charging: the battery covering the EV's draw does not keep it going.
    charging = SolarController(SolarSettings(enable_delay=0))
    charging.update(ChargingMode.FAST, SolarInputs(now=0, grid_power_w=0, charger_power_w=0))
    decision = charging.update(
        ChargingMode.SOLAR,
        SolarInputs(now=10, grid_power_w=0, charger_power_w=6000, battery_power_w=-6000),
    )
    assert (decision.surplus_w, decision.state) == (0, ControllerState.STOPPING)


# -- edge cases ------------------------------------------------------------------------------


def started(settings: SolarSettings | None = None) -> SolarController:
    """A controller already charging in SOLAR mode."""
    controller = SolarController(settings or SolarSettings(enable_delay=0))
    controller.update(
        ChargingMode.SOLAR, SolarInputs(now=0, grid_power_w=-10_000, charger_power_w=0)
    )
    return controller


def test_voltage_measured_defaulted_or_ignored() -> None:
    def current(voltage: float | None) -> float:
        return (
            started()
            .update(
                ChargingMode.SOLAR,
                SolarInputs(now=10, grid_power_w=-6000, charger_power_w=0, voltage=voltage),
            )
            .current
        )

    assert current(None) == 8.6  # 6000 / (230 * 3) = 8.69
    assert current(240.0) == 8.3  # 6000 / 720 = 8.33
    assert current(0.0) == 8.6  # idle meters report 0 V
    assert current(400.0) == 8.6  # line-to-line reading
    assert current(math.nan) == 8.6
    # A higher measured voltage raises the start threshold: 6 A * 240 V * 3 = 4320 W.
    controller = SolarController(SolarSettings(enable_delay=0))
    below = controller.update(
        ChargingMode.SOLAR,
        SolarInputs(now=0, grid_power_w=-4200, charger_power_w=0, voltage=240),
    )
    assert below.state is ControllerState.WAITING_FOR_SURPLUS


def test_charger_drawing_more_than_the_surplus_is_turned_down() -> None:
    controller = started()
    # 11 kW drawn, 3 kW of it imported: 8 kW of surplus, 11.59 A.
    decision = controller.update(
        ChargingMode.SOLAR, SolarInputs(now=10, grid_power_w=3000, charger_power_w=11_000)
    )
    assert (decision.surplus_w, decision.current) == (8000, 11.5)


def test_negative_and_missing_readings() -> None:
    controller = started()
    # A negative charger reading is a sign error, not generation.
    decision = controller.update(
        ChargingMode.SOLAR, SolarInputs(now=10, grid_power_w=-5000, charger_power_w=-2000)
    )
    assert (decision.surplus_w, decision.current) == (5000, 7.2)
    # Importing with the EV paused: no surplus, reported as 0 rather than negative.
    idle = SolarController(SolarSettings()).update(
        ChargingMode.SOLAR, SolarInputs(now=0, grid_power_w=700, charger_power_w=0)
    )
    assert (idle.surplus_w, idle.current) == (0.0, 0.0)
    # An unknown grid reading holds what the EV draws now.
    held = controller.update(
        ChargingMode.SOLAR, SolarInputs(now=20, grid_power_w=math.nan, charger_power_w=5000)
    )
    assert (held.surplus_w, held.current, held.state) == (5000, 7.2, ControllerState.CHARGING)


def test_rounding_and_clamping() -> None:
    def current(surplus: float) -> float:
        return (
            started()
            .update(
                ChargingMode.SOLAR,
                SolarInputs(now=10, grid_power_w=-surplus, charger_power_w=0),
            )
            .current
        )

    assert current(4829) == 6.9  # 6.9986 A: rounded down, never up
    assert current(5037) == 7.3  # exactly 7.3 A survives float noise
    assert current(20_000) == 16.0
    assert current(4200) == 6.0
    assert current(1000) == 6.0  # below the minimum: minimum until the disable delay


def test_single_phase_installation() -> None:
    controller = SolarController(SolarSettings(phases=1, phase_switching=True, enable_delay=0))
    decision = controller.update(
        ChargingMode.SOLAR, SolarInputs(now=0, grid_power_w=-2000, charger_power_w=0)
    )
    assert (decision.phases, decision.current) == (1, 8.6)
    assert decision.seconds_to_phase_switch is None


def test_surplus_must_hold_without_interruption() -> None:
    controller = SolarController(SolarSettings())
    sun = {"grid_power_w": -5000.0, "charger_power_w": 0.0}
    assert controller.update(ChargingMode.SOLAR, SolarInputs(now=0, **sun)).seconds_to_start == 60
    assert controller.update(ChargingMode.SOLAR, SolarInputs(now=50, **sun)).seconds_to_start == 10
    cloud = controller.update(
        ChargingMode.SOLAR, SolarInputs(now=55, grid_power_w=-1000, charger_power_w=0)
    )
    assert cloud.state is ControllerState.WAITING_FOR_SURPLUS
    assert controller.update(ChargingMode.SOLAR, SolarInputs(now=60, **sun)).seconds_to_start == 60


def test_reset_and_determinism() -> None:
    first, second = Day(clouds=CLOUDS), Day(clouds=CLOUDS)
    controller = SolarController(SolarSettings(phase_switching=True))
    first.run(controller, ChargingMode.SOLAR, end="12:00:00")
    controller.reset()
    first.ev_w = 0.0
    first.log.clear()
    first.run(controller, ChargingMode.SOLAR, end="12:00:00")
    second.run(
        SolarController(SolarSettings(phase_switching=True)), ChargingMode.SOLAR, end="12:00:00"
    )
    assert first.log == second.log


def test_mode_given_as_string() -> None:
    controller = SolarController(SolarSettings())
    inputs = SolarInputs(now=0, grid_power_w=0, charger_power_w=0)
    assert controller.update("fast", inputs).state is ControllerState.FAST  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_current": 0},
        {"min_current": 10, "max_current": 8},
        {"voltage": 0},
        {"phases": 4},
        {"enable_delay": -1},
        {"min_phase_switch_interval": math.nan},
        {"battery_priority_soc": 120},
    ],
)
def test_invalid_settings(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        SolarSettings(**kwargs)


# -- the blueprint ---------------------------------------------------------------------------


def load_blueprint() -> Any:
    from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
    from homeassistant.components.blueprint.models import Blueprint
    from homeassistant.util.yaml import load_yaml_dict

    return Blueprint(
        load_yaml_dict(BLUEPRINT),
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )


def test_blueprint_is_valid() -> None:
    blueprint = load_blueprint()
    assert blueprint.validate() is None
    assert set(blueprint.inputs) == {
        "grid_power_sensor",
        "current_limit",
        "charging_switch",
        "charger_power_sensor",
        "min_current",
        "max_current",
        "phases",
        "voltage",
        "enable_delay",
        "disable_delay",
    }
    limit = blueprint.inputs["current_limit"]["selector"]["entity"]["filter"][0]
    assert limit == {"domain": ["number"], "integration": "ocpp_central"}


async def setup_blueprint(hass, inputs: dict[str, Any]) -> list[Any]:
    """Instantiate the blueprint as an automation; return the captured number.set_value calls."""
    from homeassistant.components.blueprint.models import BlueprintInputs
    from homeassistant.setup import async_setup_component
    from pytest_homeassistant_custom_component.common import async_mock_service

    calls = async_mock_service(hass, "number", "set_value")
    instance = BlueprintInputs(
        load_blueprint(), {"use_blueprint": {"path": "x.yaml", "input": inputs}}
    )
    instance.validate()
    config = instance.async_substitute()
    assert await async_setup_component(hass, "automation", {"automation": [config]})
    await hass.async_block_till_done()
    return calls


GRID = "sensor.grid_power"
LIMIT = "number.wallbox_current_limit"
LIMIT_ATTRIBUTES = {"min": 0, "max": 32, "step": 0.1, "unit_of_measurement": "A"}


async def test_blueprint_follows_the_surplus(hass, freezer) -> None:
    from homeassistant.util import dt as dt_util
    from pytest_homeassistant_custom_component.common import async_fire_time_changed

    freezer.move_to("2026-06-01 10:00:30+00:00")

    async def set_grid(value: str, unit: str = "W") -> None:
        hass.states.async_set(GRID, value, {"unit_of_measurement": unit})
        await hass.async_block_till_done()

    def set_limit(value: float) -> None:
        # number.set_value is mocked: play the integration's part.
        hass.states.async_set(LIMIT, str(value), LIMIT_ATTRIBUTES)

    async def advance(seconds: float) -> None:
        freezer.tick(timedelta(seconds=seconds))
        async_fire_time_changed(hass, dt_util.utcnow())
        await hass.async_block_till_done()

    await set_grid("500")
    set_limit(0)
    calls = await setup_blueprint(hass, {"grid_power_sensor": GRID, "current_limit": LIMIT})

    # Paused: the minute tick does not start charging, only the delayed start trigger does.
    await advance(40)  # 10:01:10
    await set_grid("-5000")
    await advance(59)  # 10:02:09, past a minute tick
    assert calls == []
    await advance(2)  # the 60 s start delay is over
    assert [call.data["value"] for call in calls] == [7.2]  # 5000 W / 690 W/A = 7.25 A
    set_limit(7.2)

    # Charging, the draw estimated from the limit: 7.2 A * 690 + 1 kW export = 5968 W.
    await set_grid("-1.0", "kW")
    await advance(60)  # 10:03:11
    assert calls[-1].data["value"] == 8.6
    set_limit(8.6)

    # A cloud: 5934 W drawn, 3 kW imported. Minimum current now, paused after the stop delay.
    await set_grid("3000")
    await advance(60)  # 10:04:11
    assert calls[-1].data["value"] == 6.0
    set_limit(6.0)
    await advance(60)
    await advance(59)  # 10:06:10: minute ticks leave an unchanged limit alone
    assert len(calls) == 3
    await advance(2)  # 180 s since the cloud came
    assert calls[-1].data["value"] == 0.0
    assert len(calls) == 4


async def test_blueprint_measured_charger_power(hass, freezer) -> None:
    from homeassistant.util import dt as dt_util
    from pytest_homeassistant_custom_component.common import async_fire_time_changed

    freezer.move_to("2026-06-01 10:00:30+00:00")
    hass.states.async_set(GRID, "-1000", {"unit_of_measurement": "W"})
    hass.states.async_set(LIMIT, "16", LIMIT_ATTRIBUTES)
    # The EV takes less than offered: 5 kW, not the 11 kW a 16 A estimate would assume.
    hass.states.async_set("sensor.wallbox_power", "5.0", {"unit_of_measurement": "kW"})
    calls = await setup_blueprint(
        hass,
        {
            "grid_power_sensor": GRID,
            "current_limit": LIMIT,
            "charger_power_sensor": "sensor.wallbox_power",
            "phases": 1,
            "max_current": 32,
        },
    )
    freezer.tick(timedelta(seconds=30))
    async_fire_time_changed(hass, dt_util.utcnow())
    await hass.async_block_till_done()
    assert [call.data["value"] for call in calls] == [26.0]  # 6000 W / 230 V = 26.09 A


async def test_blueprint_pauses_with_the_charging_switch(hass, freezer) -> None:
    from homeassistant.util import dt as dt_util
    from pytest_homeassistant_custom_component.common import (
        async_fire_time_changed,
        async_mock_service,
    )

    freezer.move_to("2026-06-01 10:00:30+00:00")
    switch = "switch.wallbox_charging"
    # Like OCPP Central's own entity: 6-16 A in whole amperes, no value while paused.
    attributes = {"min": 6, "max": 16, "step": 1, "unit_of_measurement": "A"}
    hass.states.async_set(GRID, "500", {"unit_of_measurement": "W"})
    hass.states.async_set(LIMIT, "unknown", attributes)
    hass.states.async_set(switch, "off")
    turned_on = async_mock_service(hass, "switch", "turn_on")
    turned_off = async_mock_service(hass, "switch", "turn_off")
    calls = await setup_blueprint(
        hass, {"grid_power_sensor": GRID, "current_limit": LIMIT, "charging_switch": switch}
    )

    async def advance(seconds: float) -> None:
        freezer.tick(timedelta(seconds=seconds))
        async_fire_time_changed(hass, dt_util.utcnow())
        await hass.async_block_till_done()

    hass.states.async_set(GRID, "-5000", {"unit_of_measurement": "W"})
    await hass.async_block_till_done()
    await advance(61)
    assert [call.data["entity_id"] for call in turned_on] == [[switch]]
    assert [call.data["value"] for call in calls] == [7.0]  # 7.25 A, whole amperes
    hass.states.async_set(switch, "on")
    hass.states.async_set(LIMIT, "7", attributes)

    # 7 A * 690 drawn, 2 kW imported: 2830 W, below 4140 W. 6 A, then paused by the switch.
    hass.states.async_set(GRID, "2000", {"unit_of_measurement": "W"})
    await hass.async_block_till_done()
    await advance(60)
    assert calls[-1].data["value"] == 6.0
    hass.states.async_set(LIMIT, "6", attributes)
    await advance(119)
    assert turned_off == []
    await advance(2)
    assert [call.data["entity_id"] for call in turned_off] == [[switch]]
    assert len(calls) == 2
