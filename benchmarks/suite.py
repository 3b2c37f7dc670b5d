"""Scenario suite of the load benchmark: the table issue 13 asks for, floor included.

``python benchmarks/suite.py [--quick] [--scenarios 1x1,20x1,200x10,1000x10]``
(also ``python benchmarks/run.py --suite`` / ``--quick``)

Each scenario (N chargers x one MeterValues every S seconds) gets a fresh Home Assistant:

1. Start, onboard, add OCPP Central (auto_accept) like `run.py`; restart and time the start
   until the core state is RUNNING (startup with no known charger).
2. Lag probe (`lag_probe.py`, a child process) pings HA's websocket API every 100 ms.
3. Connect phase: all N chargers connect, boot, report Preparing, start a transaction and
   report Charging at once (or spread over `--connect-spread` seconds), then send meter
   frames at the pacing; the phase lasts at least `--connect` seconds (the minute in which a
   site comes back).
4. Connected: settle, an idle window (CPU baseline), then two measuring windows with the
   issue's 8-value frame (energy register, power, current L1-L3, voltage L1-L3): "best" (a
   plain meter: only the register and power can change) and "noise" (`noisy_meter`: every
   measurand jitters, as real meters report).
5. Reconnect storm: every connection is cut, the chargers reconnect within `--storm-spread`
   seconds without BootNotification (habit `reconnect_without_boot`) and send MeterValues of
   their running transaction; then every transaction is stopped.
6. Restart HA with the N known chargers and time it again; stop it.
7. Floor: `floor_server.py` (bare `websockets` + `json`) in a child process, the same N
   chargers, the same pacing, the same two windows; its CPU is measured like HA's.

The figures are printed per scenario and as one table at the end. The meaning of every figure:
``benchmarks/README.md`` ("Scenario suite").
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import contextlib
from dataclasses import asdict, dataclass, field
import json
import math
import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any, Final

from ocpp.exceptions import OCPPError
import ocpp.messages as ocpp_messages
import psutil  # type: ignore[import-untyped]
from websockets.exceptions import ConnectionClosed, InvalidHandshake

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # `python benchmarks/suite.py` puts only benchmarks/ on the path
    sys.path.insert(0, str(REPO))

from benchmarks import run as bench  # noqa: E402
from simulator import Habit, SimulatorConfig  # noqa: E402
from simulator.model import MeterNoise, MeterStyle  # noqa: E402

HERE = Path(__file__).resolve().parent
# The frame: energy register, power, current L1-L3, voltage L1-N..L3-N (8 values).
MEASURANDS = ["Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage"]
FRAME_KINDS = ("best", "noise")
DEFAULT_SCENARIOS = "1x1,20x1,200x10,1000x10"
# Targets of issue 13 (printed next to the figures, never enforced).
TARGET_RATIO_20 = 1.5
TARGET_FLAT = 0.2
TARGET_P99_MS = {200: 50.0, 1000: 100.0}
TARGET_LAG_P99_MS = 20.0
TARGET_RSS_MB = 0.2
TARGET_STARTUP_S = 5.0
TARGET_STORM_S = 60.0
# Charger-side bounds (seconds): a call waits this long for its answer (the connect minute of
# a large site is slow; a timeout would hide how slow), the storm's deadline.
CALL_TIMEOUT = 90.0
STORM_DEADLINE = 60.0
PORT_WAIT = 30.0
LOST_TRANSACTION_LOG = "which is not running here"
# py-spy stops by itself after this many seconds if nobody stops it.
PY_SPY_MAX = 900


def log(message: str) -> None:
    """Print a progress line."""
    bench.log(message)


# -------------------------------------------------------------------------------------------
# Scenarios and options
# -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """N chargers, each sending MeterValues every `interval` seconds."""

    chargers: int
    interval: float

    @property
    def name(self) -> str:
        """E.g. "200 x 10 s"."""
        return f"{self.chargers} x {self.interval:g} s"


def parse_scenarios(text: str) -> list[Scenario]:
    """Parse "1x1,20x1,200x10" (chargers x interval in seconds)."""
    scenarios = []
    for part in text.split(","):
        count, _, interval = part.strip().lower().partition("x")
        scenario = Scenario(int(count), float(interval or 1))
        if scenario.chargers < 1 or scenario.interval <= 0:
            raise ValueError(f"bad scenario {part!r}")
        scenarios.append(scenario)
    return scenarios


@dataclass(frozen=True)
class Timing:
    """Lengths of the phases (seconds)."""

    window: float  # each measuring window (see window_for)
    connect: float  # minimum length of the connect phase
    connect_spread: float  # chargers arrive evenly over this many seconds (0: all at once)
    idle: float
    settle: float
    storm_spread: float
    min_frames: int  # a window is made longer (up to max_window) to get this many frames
    max_window: float

    def window_for(self, scenario: Scenario) -> float:
        """`window`, but at least 3 frames per charger and `min_frames` (up to max_window)."""
        rate = scenario.chargers / scenario.interval
        return max(self.window, 3 * scenario.interval, min(self.max_window, self.min_frames / rate))


# -------------------------------------------------------------------------------------------
# Chargers that time every round trip
# -------------------------------------------------------------------------------------------


@dataclass
class RoundTrips:
    """Every CALL the chargers sent and got an answer to: (sent, round trip ms, action)."""

    samples: list[tuple[float, float, str]] = field(default_factory=list)

    def between(self, start: float, end: float, action: str | None = None) -> list[float]:
        """Round trips (ms) of CALLs sent in [start, end), optionally of one action."""
        return [
            ms
            for sent, ms, name in self.samples
            if start <= sent < end and (action is None or name == action)
        ]


class BenchSimulator(bench.TimedSimulator):
    """A simulator that records the round trip of each of its CALLs by message id.

    The time runs from writing the CALL to the websocket (the ocpp library's `_send`) until its
    CALLRESULT or CALLERROR frame arrived (before it is parsed), on `time.monotonic()`.
    """

    def __init__(self, url: str, config: SimulatorConfig, trips: RoundTrips) -> None:
        """Prepare the simulator (see ChargerSimulator)."""
        super().__init__(url, config)
        self.trips = trips
        self._in_flight: dict[str, tuple[float, str]] = {}
        self.up_at = math.nan

    def _attach(self, ws: Any, disconnected: asyncio.Future[None]) -> Any:
        protocol = super()._attach(ws, disconnected)
        send = protocol._send
        in_flight = self._in_flight

        async def recorded_send(message: str) -> None:
            if message.startswith("[2,"):  # a CALL: [2,"<id>","<Action>",{...}]
                parts = message.split('"', 4)
                in_flight[parts[1]] = (time.monotonic(), parts[3])
            await send(message)

        protocol._send = recorded_send
        return protocol

    async def _dispatch(self, wire: Any, text: str) -> None:
        if text.lstrip("[ ")[:1] in ("3", "4"):  # CALLRESULT / CALLERROR: [3,"<id>",...]
            sent = self._in_flight.pop(text.split('"', 2)[1], None)
            if sent is not None:
                self.trips.samples.append((sent[0], (time.monotonic() - sent[0]) * 1000, sent[1]))
        await super()._dispatch(wire, text)

    def use_frames(self, kind: str) -> None:
        """Report plain ("best") or noisy ("noise") meter readings from now on."""
        noise = MeterNoise(self.config.charge_point_id) if kind == "noise" else None
        self.meter_style = MeterStyle(noise=noise)


def make_chargers(url: str, count: int, trips: RoundTrips) -> list[BenchSimulator]:
    """`count` 1.6 chargers BENCH0001...; they reconnect without BootNotification."""
    return [
        BenchSimulator(
            url,
            SimulatorConfig(
                charge_point_id=f"BENCH{n:04d}",
                serial_number=f"BENCH-{n:04d}",
                auto_heartbeat=False,
                response_timeout=CALL_TIMEOUT,
                habits=frozenset({Habit.RECONNECT_WITHOUT_BOOT}),
            ),
            trips,
        )
        for n in range(1, count + 1)
    ]


async def bring_up(sim: BenchSimulator) -> None:
    """Connect, boot (must be Accepted), Preparing, StartTransaction, Charging."""
    await sim.connect()
    result = await sim.boot()
    if sim.boot_status != "Accepted":
        raise bench.SetupError(f"{sim.config.charge_point_id} boot answered {result}")
    await sim.status(1, "Preparing")
    await sim.start_transaction(1)
    await sim.status(1, "Charging")
    sim.up_at = time.monotonic()


@dataclass
class FrameStats:
    """MeterValues sent in one phase."""

    sent: int = 0
    answered: int = 0
    errors: int = 0
    timeouts: int = 0
    values: int = 0
    changed: list[int] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)


async def send_frame(sim: BenchSimulator, stats: FrameStats) -> None:
    """Send one 8-value MeterValues of the running transaction and count the outcome."""
    samples = sim.sample(1, MEASURANDS)
    values = bench.frame_values(samples)
    stats.values = len(values)
    if sim.last_frame:
        stats.changed.append(sum(sim.last_frame.get(k) != v for k, v in values.items()))
    sim.last_frame = values
    stats.sent += 1
    try:
        result = await sim.meter_values(1, samples)
    except TimeoutError:
        stats.timeouts += 1
    except (OCPPError, ConnectionError, ConnectionClosed) as err:
        stats.errors += 1
        if len(stats.error_samples) < 3:
            stats.error_samples.append(f"{sim.config.charge_point_id}: {err!r}")
    else:
        if result is None:  # offline: the simulator dropped it
            stats.errors += 1
        else:
            stats.answered += 1


async def paced(
    sims: Sequence[BenchSimulator],
    interval: float,
    duration: float,
    stats: FrameStats,
) -> None:
    """Every charger sends a frame every `interval` s for `duration` s, staggered evenly."""
    start = time.monotonic() + 0.05
    end = start + duration

    async def one(index: int, sim: BenchSimulator) -> None:
        when = start + index * interval / len(sims)
        while when < end and time.monotonic() < end:
            await asyncio.sleep(max(0.0, when - time.monotonic()))
            await send_frame(sim, stats)
            when += interval

    await asyncio.gather(*(one(i, sim) for i, sim in enumerate(sims)))


# -------------------------------------------------------------------------------------------
# Phases
# -------------------------------------------------------------------------------------------


def samples_in_spans(path: Path, spans: Sequence[tuple[float, float]]) -> list[float]:
    """The values of a "<monotonic time> <value>" file whose time is in a [start, end) span.

    Other processes write these files (the lag probe, Home Assistant's collection log);
    `time.monotonic()` is the same clock in every process. A missing file or a line cut off
    by a writer that was stopped is skipped.
    """
    values = []
    with contextlib.suppress(OSError):
        for line in path.read_text().splitlines():
            at, _, value = line.partition(" ")
            with contextlib.suppress(ValueError):
                if any(start <= float(at) < end for start, end in spans):
                    values.append(float(value))
    return values


@dataclass
class FullCollections:
    """Home Assistant's full garbage collections in some time spans (the loop stops for each)."""

    count: int = 0
    longest_ms: float = math.nan
    total_ms: float = 0.0

    @classmethod
    def read(cls, path: Path, spans: Sequence[tuple[float, float]]) -> FullCollections:
        """The collections `demo.py` noted in `path` that ended within the spans."""
        pauses = samples_in_spans(path, spans)
        return cls(len(pauses), max(pauses, default=math.nan), sum(pauses))

    def __str__(self) -> str:
        """For the report."""
        if not self.count:
            return "none"
        return (
            f"{self.count}, longest {f2(self.longest_ms, 0)} ms, {f2(self.total_ms, 0)} ms in all"
        )


@dataclass
class ConnectFigures:
    """The connect phase."""

    seconds: float = 0.0
    all_up_s: float = math.nan
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    rtt_ms: dict[str, float] = field(default_factory=dict)
    start_transaction_ms: dict[str, float] = field(default_factory=dict)
    boot_ms: dict[str, float] = field(default_factory=dict)
    frames: FrameStats = field(default_factory=FrameStats)
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    lag_ms: dict[str, float] = field(default_factory=dict)
    full_gc: FullCollections = field(default_factory=FullCollections)


async def connect_phase(
    sims: list[BenchSimulator],
    interval: float,
    minimum: float,
    trips: RoundTrips,
    spread: float = 0.0,
) -> tuple[ConnectFigures, list[BenchSimulator], float, float]:
    """Bring all chargers up; each sends frames at the pacing once it is Charging.

    They arrive at once, or evenly over `spread` seconds (as chargers whose reconnect
    back-off differs come back after a restart).

    Returns the figures (without CPU and lag), the chargers that came up and the phase's
    start and end on `time.monotonic()`.
    """
    figures = ConnectFigures()
    start = time.monotonic()
    end_at_least = start + minimum

    async def one(index: int, sim: BenchSimulator) -> None:
        await asyncio.sleep(index * spread / len(sims))
        await bring_up(sim)
        # At least one frame each: the first one creates the measurement entities, which
        # belongs to the connect phase, not to a measuring window.
        when = time.monotonic()
        while True:
            await asyncio.sleep(max(0.0, when - time.monotonic()))
            await send_frame(sim, figures.frames)
            when += interval
            if when >= end_at_least:
                break

    results = await asyncio.gather(
        *(one(index, sim) for index, sim in enumerate(sims)), return_exceptions=True
    )
    end = time.monotonic()
    up = []
    for sim, result in zip(sims, results, strict=True):
        if isinstance(result, BaseException) or math.isnan(sim.up_at):
            figures.failed += 1
            if len(figures.failures) < 3:
                figures.failures.append(f"{sim.config.charge_point_id}: {result!r}")
            await sim.close()
        else:
            up.append(sim)
    figures.seconds = end - start
    if up:
        figures.all_up_s = max(sim.up_at for sim in up) - start
    figures.rtt_ms = bench.latency_summary(trips.between(start, end))
    figures.boot_ms = bench.latency_summary(trips.between(start, end, "BootNotification"))
    figures.start_transaction_ms = bench.latency_summary(
        trips.between(start, end, "StartTransaction")
    )
    return figures, up, start, end


@dataclass
class LoadFigures:
    """One measuring window (HA or the floor)."""

    kind: str
    seconds: float = 0.0
    start: float = 0.0  # the window on time.monotonic() (send times of its frames)
    end: float = 0.0
    frames: int = 0
    cpu_s: float = 0.0
    cpu_per_1000: float = math.nan
    cpu_per_1000_net: float = math.nan
    writes: int = 0
    writes_per_frame: float = math.nan
    writes_by_key: dict[str, int] = field(default_factory=dict)
    changed_per_frame: float = math.nan
    values: int = 0
    errors: int = 0
    timeouts: int = 0
    rtt_ms: dict[str, float] = field(default_factory=dict)
    lag_ms: dict[str, float] = field(default_factory=dict)
    client_cpu_pct: float = math.nan


# Home Assistant counts as quiet once a second of it took less CPU than this (% of one core),
# twice in a row; the wait ends after AFTER_WORK_MAX seconds regardless.
QUIET_CPU_PCT: Final = 5.0
AFTER_WORK_MAX: Final = 60.0
# Home Assistant saves its entity and device registries this long after their last change
# (`homeassistant.helpers.registry.SAVE_DELAY`, 10 s), plus a margin.
REGISTRY_SAVE_AFTER: Final = 12.0


async def wait_cpu_quiet(proc: psutil.Process, since: float) -> float:
    """Wait until the work the connect phase left behind is done; return how long it took.

    New chargers leave Home Assistant work for after their last call: its entity and device
    registries are saved 10 s after their last change (43 entries per charger, seconds of
    CPU at 1000 chargers). Landing in the idle window, it would inflate the baseline that
    the windows' net CPU subtracts; landing in a window, that window's CPU. So the wait lasts
    at least until REGISTRY_SAVE_AFTER has passed since `since` (the connect phase's end, on
    `time.monotonic()`), and then until HA is quiet.
    """
    start = time.monotonic()
    await asyncio.sleep(max(0.0, since + REGISTRY_SAVE_AFTER - start))
    quiet_seconds = 0
    while quiet_seconds < 2 and time.monotonic() - start < AFTER_WORK_MAX:
        before = bench.cpu_seconds(proc)
        await asyncio.sleep(1.0)
        busy_pct = 100 * (bench.cpu_seconds(proc) - before)
        quiet_seconds = quiet_seconds + 1 if busy_pct < QUIET_CPU_PCT else 0
    return time.monotonic() - start


async def switch_frames(sims: list[BenchSimulator], kind: str, interval: float) -> None:
    """One frame of `kind` per charger, at the normal pacing, outside any window.

    It switches every charger's readings over (noise changes every value once), so a window
    counts changes from then on; paced rather than all at once, so no backlog of a burst
    reaches into the window (and no client subscribed to state_changed has to take it).
    """
    for sim in sims:
        sim.use_frames(kind)
        sim.last_frame = {}
    await paced(sims, interval, interval, FrameStats())
    await asyncio.sleep(1.0)


async def load_window(
    kind: str,
    sims: list[BenchSimulator],
    proc: psutil.Process,
    interval: float,
    duration: float,
    trips: RoundTrips,
    *,
    events: bench.HassEvents | None = None,
    idle_rate: float = 0.0,
    store_file: Path = Path("/nonexistent"),
) -> LoadFigures:
    """Drive one window of `kind` frames and measure `proc` (HA or the floor) meanwhile.

    The chargers must have been switched to `kind` (`switch_frames`) before.
    """
    if events is not None:
        events.reset()
    stats = FrameStats()
    begin = time.monotonic()
    window = await bench.measure_window(
        proc, store_file, paced(sims, interval, duration, stats), bench.EVENT_DRAIN
    )
    end = begin + window.seconds
    figures = LoadFigures(kind, window.measured_seconds, begin, end)
    figures.frames, figures.cpu_s = stats.answered, window.cpu_seconds
    figures.cpu_per_1000 = bench.ratio(1000 * window.cpu_seconds, stats.answered)
    figures.cpu_per_1000_net = bench.ratio(
        1000 * (window.cpu_seconds - idle_rate * window.measured_seconds), stats.answered
    )
    if events is not None:
        figures.writes = events.total
        figures.writes_per_frame = bench.ratio(events.total, stats.answered)
        figures.writes_by_key = dict(events.counts.most_common())
    figures.changed_per_frame = bench.ratio(sum(stats.changed), len(stats.changed))
    figures.values = stats.values
    figures.errors, figures.timeouts = stats.errors, stats.timeouts
    figures.rtt_ms = bench.latency_summary(trips.between(begin, end, "MeterValues"))
    figures.client_cpu_pct = 100 * window.client_cpu_seconds / window.measured_seconds
    return figures


@dataclass
class StormFigures:
    """The reconnect storm."""

    chargers: int = 0
    served: int = 0
    all_served_s: float = math.nan
    served_p50_s: float = math.nan
    stop_accepted: int = 0
    stop_failed: int = 0
    lost_transactions: int = 0
    lag_ms: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


async def reconnect_storm(sims: list[BenchSimulator], spread: float) -> tuple[StormFigures, float]:
    """Cut every connection; reconnect all within `spread` s; wait until each is served.

    "Served" is a MeterValues of the charger's running transaction answered after it
    reconnected. Returns the figures (lost transactions are counted by the caller) and the
    storm's start on `time.monotonic()`.
    """
    figures = StormFigures(chargers=len(sims))
    await asyncio.gather(*(sim.drop_connection() for sim in sims), return_exceptions=True)
    start = time.monotonic()
    deadline = start + STORM_DEADLINE
    served: list[float] = []

    async def back(index: int, sim: BenchSimulator) -> None:
        await asyncio.sleep(index * spread / len(sims))
        last: BaseException | None = None
        while time.monotonic() < deadline:
            try:
                async with asyncio.timeout(max(0.1, deadline - time.monotonic())):
                    await sim.reconnect()
                    samples = sim.sample(1, MEASURANDS)
                    sim.last_frame = bench.frame_values(samples)
                    if await sim.meter_values(1, samples) is not None:
                        served.append(time.monotonic() - start)
                        return
            except (OSError, TimeoutError, OCPPError, ConnectionClosed, InvalidHandshake) as err:
                last = err
            await asyncio.sleep(1.0)
        if len(figures.failures) < 3:
            figures.failures.append(f"{sim.config.charge_point_id} not served: {last!r}")

    await asyncio.gather(*(back(i, sim) for i, sim in enumerate(sims)))
    figures.served = len(served)
    if served:
        figures.served_p50_s = bench.percentile(served, 50)
        if len(served) == len(sims):
            figures.all_served_s = max(served)
    return figures, start


async def stop_all(sims: list[BenchSimulator], figures: StormFigures) -> None:
    """StopTransaction on every charger; count the Accepted answers."""

    async def one(sim: BenchSimulator) -> None:
        try:
            result = await sim.stop_transaction(1)
        except (OSError, TimeoutError, OCPPError, ConnectionClosed, ValueError) as err:
            figures.stop_failed += 1
            if len(figures.failures) < 3:
                figures.failures.append(f"{sim.config.charge_point_id} stop: {err!r}")
            return
        info = getattr(result, "id_tag_info", None) or {}
        if info.get("status") == "Accepted":
            figures.stop_accepted += 1
        else:
            figures.stop_failed += 1

    await asyncio.gather(*(one(sim) for sim in sims))


# -------------------------------------------------------------------------------------------
# Helpers around the processes
# -------------------------------------------------------------------------------------------


class LagProbe:
    """`lag_probe.py` in a child process; its samples are read back by time range."""

    def __init__(self, http_port: int, token: str, out: Path) -> None:
        """Start the probe and wait until it is authenticated."""
        self.out = out
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "lag_probe.py"), str(http_port), str(out)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(token + "\n")
        self.proc.stdin.close()
        if self.proc.stdout.readline().strip() != "ready":
            self.stop()
            raise bench.SetupError("the lag probe did not start")

    def stop(self) -> None:
        """Stop the probe."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def lag(self, spans: Sequence[tuple[float, float]]) -> dict[str, float]:
        """p50/p90/p99/max of the pong latency (ms) of pings sent in the [start, end) spans."""
        samples = samples_in_spans(self.out, spans)
        summary = bench.latency_summary(samples)
        summary["n"] = float(len(samples))
        return summary


class PySpy:
    """py-spy sampling a process during a phase (raw collapsed stacks into a file)."""

    def __init__(self, pid: int, out: Path) -> None:
        """Start sampling `pid` (100 Hz, non-blocking: the process is not paused)."""
        exe = Path(sys.executable).with_name("py-spy")
        self.out = out
        self.proc = subprocess.Popen(
            [
                *(str(exe), "record", "--pid", str(pid), "--duration", str(PY_SPY_MAX)),
                *("--rate", "100", "--format", "raw", "--nonblocking", "-o", str(out)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        """End the sampling (SIGINT makes py-spy write the profile) and wait for the file."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        log(f"profile written to {self.out}")


def maybe_py_spy(opts: Options, pid: int, name: str) -> PySpy | None:
    """Start py-spy if `--py-spy DIR` was given."""
    if opts.py_spy is None:
        return None
    opts.py_spy.mkdir(parents=True, exist_ok=True)
    return PySpy(pid, opts.py_spy / f"{name}.txt")


def gc_log(config_dir: Path) -> Path:
    """Where Home Assistant notes its full garbage collections (`demo.GC_LOG_ENV`)."""
    return config_dir / "gc.txt"


def start_timed(config_dir: Path, api: Any) -> tuple[Any, float]:
    """Start HA on `config_dir`; return it and the seconds until its core state is RUNNING.

    Timed from spawning the process (Python imports included) until ``GET /api/config``
    reports ``"state": "RUNNING"``, polled every 0.1 s.
    """
    started = time.monotonic()
    hass = bench.start_hass(config_dir)
    deadline = started + bench.HASS_START_TIMEOUT
    while time.monotonic() < deadline:
        if (code := hass.poll()) is not None:
            raise bench.SetupError(f"Home Assistant exited with code {code}:\n{hass.tail()}")
        with contextlib.suppress(OSError):
            status, body = api.request("GET", "/api/config", timeout=5)
            if status == 200 and isinstance(body, dict) and body.get("state") == "RUNNING":
                return hass, time.monotonic() - started
            if status == 401:
                api.token = api.login(bench.USERNAME, bench.PASSWORD)
        time.sleep(0.1)
    hass.stop(timeout=bench.HASS_STOP_TIMEOUT)
    raise bench.SetupError(f"Home Assistant was not RUNNING within {bench.HASS_START_TIMEOUT} s")


async def wait_port(port: int) -> None:
    """Wait until something listens on 127.0.0.1:`port`."""
    deadline = time.monotonic() + PORT_WAIT
    while not bench.demo.port_in_use(port):
        if time.monotonic() > deadline:
            raise bench.SetupError(f"nothing listens on 127.0.0.1:{port}")
        await asyncio.sleep(0.2)


def rss_mb(proc: psutil.Process) -> float:
    """Resident memory of a process in MB."""
    return float(proc.memory_info().rss) / bench.MB


# -------------------------------------------------------------------------------------------
# One scenario
# -------------------------------------------------------------------------------------------


@dataclass
class Options:
    """What every scenario shares."""

    timing: Timing
    port: int
    integration: Path
    keep: bool
    py_spy: Path | None
    no_floor: bool
    no_storm: bool


@dataclass
class ScenarioResult:
    """Everything measured for one scenario."""

    scenario: str
    chargers: int
    interval: float
    window_s: float
    startup_empty_s: float = math.nan
    startup_known_s: float = math.nan
    rss_empty_mb: float = math.nan
    rss_connected_mb: float = math.nan
    rss_per_charger_mb: float = math.nan
    idle_cpu_pct: float = math.nan
    entities: int = 0
    connect: ConnectFigures = field(default_factory=ConnectFigures)
    load: dict[str, LoadFigures] = field(default_factory=dict)
    floor: dict[str, LoadFigures] = field(default_factory=dict)
    floor_connect_rtt_ms: dict[str, float] = field(default_factory=dict)
    after_work_s: float = math.nan  # HA busy after the connect phase (`wait_cpu_quiet`)
    storm: StormFigures | None = None
    connected_lag_ms: dict[str, float] = field(default_factory=dict)
    connected_full_gc: FullCollections = field(default_factory=FullCollections)
    connected_rtt_ms: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def ratio(self, kind: str) -> float:
        """HA CPU per 1000 frames (net of idle) / the floor's, for one frame kind."""
        ha, floor = self.load.get(kind), self.floor.get(kind)
        if ha is None or floor is None:
            return math.nan
        return bench.ratio(ha.cpu_per_1000_net, floor.cpu_per_1000)


@dataclass
class Hass:
    """A running Home Assistant as the phases see it."""

    proc: psutil.Process
    http_port: int
    token: str
    store_file: Path
    config_dir: Path


async def hass_phases(
    scenario: Scenario, opts: Options, result: ScenarioResult, hass: Hass
) -> None:
    """Connect phase, idle and measuring windows, reconnect storm (HA is running)."""
    ocpp_messages.ASYNC_VALIDATION = False  # validate inline, like the integration
    trips = RoundTrips()
    probe = LagProbe(hass.http_port, hass.token, hass.config_dir / "lag.txt")
    sims = make_chargers(f"ws://127.0.0.1:{opts.port}", scenario.chargers, trips)
    try:
        await wait_port(opts.port)
        await asyncio.sleep(3.0)  # let the start's after-work pass before the empty RSS
        result.rss_empty_mb = rss_mb(hass.proc)
        up = await run_connect_phase(scenario, opts, result, hass, sims, trips, probe)
        connect_end = time.monotonic()
        waited = await bench.wait_quiet(list(up), opts.timing.settle)
        log(f"settled after {waited:.1f} s")
        result.after_work_s = await wait_cpu_quiet(hass.proc, connect_end)
        log(f"Home Assistant quiet after {result.after_work_s:.1f} s more")
        await run_connected(scenario, opts, result, hass, up, trips, probe)
        if not opts.no_storm:
            await run_storm(opts, result, hass, up, probe)
    finally:
        await bench.close_chargers(list(sims))
        probe.stop()


async def run_connect_phase(
    scenario: Scenario,
    opts: Options,
    result: ScenarioResult,
    hass: Hass,
    sims: list[BenchSimulator],
    trips: RoundTrips,
    probe: LagProbe,
) -> list[BenchSimulator]:
    """The connect phase with HA's CPU, peak RSS and loop lag; returns the chargers up."""
    timing = opts.timing
    arrival = f"over {timing.connect_spread:g} s" if timing.connect_spread else "at once"
    log(f"connect phase: {scenario.chargers} chargers {arrival} (>= {timing.connect:g} s)")
    cpu0 = bench.cpu_seconds(hass.proc)
    spy = maybe_py_spy(opts, hass.proc.pid, f"{slug(scenario)}-connect")
    sampler = bench.Sampler(hass.proc, hass.store_file)
    sampler.start()
    connect, up, start, end = await connect_phase(
        sims, scenario.interval, timing.connect, trips, timing.connect_spread
    )
    await sampler.stop()
    connect.cpu_s = bench.cpu_seconds(hass.proc) - cpu0
    connect.peak_rss_mb = sampler.peak_rss / bench.MB
    connect.lag_ms = probe.lag([(start, end)])
    connect.full_gc = FullCollections.read(gc_log(hass.config_dir), [(start, end)])
    result.connect = connect
    if spy is not None:
        spy.stop()
    log(
        f"{len(up)} chargers up after {connect.all_up_s:.1f} s "
        f"({connect.failed} failed); phase {connect.seconds:.1f} s"
    )
    if not up:
        raise bench.SetupError(f"no charger came up: {connect.failures}")
    return up


async def run_connected(
    scenario: Scenario,
    opts: Options,
    result: ScenarioResult,
    hass: Hass,
    up: list[BenchSimulator],
    trips: RoundTrips,
    probe: LagProbe,
) -> None:
    """Idle window (CPU baseline), then one measuring window per frame kind; RSS after.

    Each window gets its own websocket client counting state_changed (opened and closed
    outside the window), so a connection Home Assistant closed cannot spoil the next window.
    """
    idle = await bench.measure_window(
        hass.proc, hass.store_file, asyncio.sleep(opts.timing.idle), 0.0
    )
    idle_rate = idle.cpu_seconds / idle.measured_seconds
    result.idle_cpu_pct = 100 * idle_rate
    window = opts.timing.window_for(scenario)
    for kind in FRAME_KINDS:
        await switch_frames(up, kind, scenario.interval)
        log(f"measuring window ({kind} frames): {window:g} s")
        events = await bench.HassEvents.open(hass.http_port, hass.token)
        try:
            result.entities = await events.learn_entities()
            await events.subscribe_state_changed()
            events.counting = True
            await asyncio.sleep(1.0)  # the registry listing must not reach into the window
            spy = maybe_py_spy(opts, hass.proc.pid, f"{slug(scenario)}-{kind}")
            figures = await load_window(
                kind,
                up,
                hass.proc,
                scenario.interval,
                window,
                trips,
                events=events,
                idle_rate=idle_rate,
                store_file=hass.store_file,
            )
            if events.closed:
                log(f"the websocket client was disconnected during the {kind} window")
                figures.writes_per_frame = math.nan
        finally:
            await events.close()
        figures.lag_ms = probe.lag([(figures.start, figures.end)])
        result.load[kind] = figures
        if spy is not None:
            spy.stop()
    spans = [(w.start, w.end) for w in result.load.values()]
    result.connected_lag_ms = probe.lag(spans)
    result.connected_full_gc = FullCollections.read(gc_log(hass.config_dir), spans)
    result.connected_rtt_ms = bench.latency_summary(
        [ms for start, end in spans for ms in trips.between(start, end, "MeterValues")]
    )
    result.rss_connected_mb = rss_mb(hass.proc)
    result.rss_per_charger_mb = (result.rss_connected_mb - result.rss_empty_mb) / len(up)


async def run_storm(
    opts: Options,
    result: ScenarioResult,
    hass: Hass,
    up: list[BenchSimulator],
    probe: LagProbe,
) -> None:
    """The reconnect storm, then StopTransaction everywhere; counts lost transactions."""
    spread = opts.timing.storm_spread
    log(f"reconnect storm: {len(up)} chargers drop and reconnect within {spread:g} s")
    storm, start = await reconnect_storm(up, spread)
    storm.lag_ms = probe.lag([(start, time.monotonic())])
    await log_transactions_at_info(hass)
    before = count_log(hass.config_dir, LOST_TRANSACTION_LOG)
    await stop_all(up, storm)
    await asyncio.sleep(1.0)
    storm.lost_transactions = count_log(hass.config_dir, LOST_TRANSACTION_LOG) - before
    result.storm = storm
    log(
        f"storm: {storm.served}/{storm.chargers} served, all after "
        f"{bench.fmt(storm.all_served_s, 1)} s; lost transactions {storm.lost_transactions}"
    )


async def log_transactions_at_info(hass: Hass) -> None:
    """Let the integration log at INFO, so a stop of an unknown transaction shows in the log.

    Through the logger integration's ``set_level`` service, after the measurements: a
    StopTransaction of a transaction the integration does not know is accepted but logged
    ("... which is not running here; accepted").
    """
    events = await bench.HassEvents.open(hass.http_port, hass.token)
    try:
        await events.command(
            {
                "type": "call_service",
                "domain": "logger",
                "service": "set_level",
                "service_data": {f"custom_components.{bench.DOMAIN}": "info"},
            }
        )
    finally:
        await events.close()


def count_log(config_dir: Path, text: str) -> int:
    """Lines of home-assistant.log that contain `text`."""
    with contextlib.suppress(OSError):
        content = (config_dir / "home-assistant.log").read_text(errors="replace")
        return sum(text in line for line in content.splitlines())
    return 0


async def floor_phases(
    scenario: Scenario, opts: Options, result: ScenarioResult, work: Path
) -> None:
    """The same chargers, pacing and windows against `floor_server.py`."""
    port = bench.free_port()
    floor = bench.demo.Child(
        "floor server",
        [sys.executable, str(HERE / "floor_server.py"), str(port)],
        work / "floor.log",
        work,
    )
    trips = RoundTrips()
    sims = make_chargers(f"ws://127.0.0.1:{port}", scenario.chargers, trips)
    try:
        await wait_port(port)
        start = time.monotonic()
        spread = opts.timing.connect_spread

        async def arrive(index: int, sim: BenchSimulator) -> None:
            await asyncio.sleep(index * spread / len(sims))
            await bring_up(sim)

        results = await asyncio.gather(
            *(arrive(index, sim) for index, sim in enumerate(sims)), return_exceptions=True
        )
        up = [s for s, r in zip(sims, results, strict=True) if not isinstance(r, BaseException)]
        # What N chargers arriving like HA's cost any server on this transport (bring-up only).
        result.floor_connect_rtt_ms = bench.latency_summary(trips.between(start, time.monotonic()))
        if len(up) < len(sims):
            result.errors.append(f"floor: {len(sims) - len(up)} chargers did not come up")
        await asyncio.sleep(2.0)
        proc = psutil.Process(floor.proc.pid)
        window = opts.timing.window_for(scenario)
        for kind in FRAME_KINDS:
            await switch_frames(up, kind, scenario.interval)
            log(f"floor window ({kind} frames): {window:g} s")
            result.floor[kind] = await load_window(kind, up, proc, scenario.interval, window, trips)
    finally:
        await bench.close_chargers(list(sims))
        floor.stop(timeout=10)


def slug(scenario: Scenario) -> str:
    """A file-name friendly scenario name, e.g. "200x10"."""
    return f"{scenario.chargers}x{scenario.interval:g}"


def run_scenario(scenario: Scenario, opts: Options) -> ScenarioResult:
    """One scenario with a fresh Home Assistant (see the module docstring)."""
    result = ScenarioResult(
        scenario.name, scenario.chargers, scenario.interval, opts.timing.window_for(scenario)
    )
    config_dir = Path(tempfile.mkdtemp(prefix="ocpp-central-bench-"))
    http_port = bench.free_port()
    hass: Any = None
    try:
        bench.prepare_config(config_dir, http_port, False, opts.integration)
        # Inherited by the Home Assistant processes this scenario starts.
        os.environ[bench.demo.GC_LOG_ENV] = str(gc_log(config_dir))
        log(f"[{scenario.name}] starting Home Assistant (config: {config_dir})")
        hass = bench.start_hass(config_dir)
        api = bench.demo.Api(http_port)
        bench.wait_for_http(api, hass, config_dir)
        bench.demo.onboard(api, bench.USERNAME, bench.PASSWORD)
        entry_id = bench.set_up_integration(api, opts.port, scenario.interval)
        store_file = config_dir / ".storage" / f"{bench.DOMAIN}.{entry_id}"
        hass.stop(timeout=bench.HASS_STOP_TIMEOUT)
        hass, result.startup_empty_s = start_timed(config_dir, api)
        log(f"[{scenario.name}] RUNNING after {result.startup_empty_s:.2f} s (no charger known)")
        running = Hass(
            psutil.Process(hass.proc.pid), http_port, str(api.token), store_file, config_dir
        )
        asyncio.run(hass_phases(scenario, opts, result, running))
        log(f"[{scenario.name}] restarting Home Assistant with {scenario.chargers} known chargers")
        hass.stop(timeout=bench.HASS_STOP_TIMEOUT)
        hass, result.startup_known_s = start_timed(config_dir, api)
        log(f"[{scenario.name}] RUNNING after {result.startup_known_s:.2f} s")
        hass.stop(timeout=bench.HASS_STOP_TIMEOUT)
        hass = None
        if not opts.no_floor:
            asyncio.run(floor_phases(scenario, opts, result, config_dir))
    except (bench.SetupError, bench.demo.DemoError, OSError, ConnectionClosed) as err:
        result.errors.append(str(err))
        log(f"[{scenario.name}] FAILED: {err}")
        if lines := bench.integration_log_lines(config_dir):
            log(f"{bench.DOMAIN} lines of home-assistant.log:\n{lines}")
    finally:
        if hass is not None:
            hass.stop(timeout=bench.HASS_STOP_TIMEOUT)
        if opts.keep:
            log(f"kept {config_dir}")
        else:
            shutil.rmtree(config_dir, ignore_errors=True)
    return result


# -------------------------------------------------------------------------------------------
# Report
# -------------------------------------------------------------------------------------------


def f2(value: float, digits: int = 2) -> str:
    """Format a figure (n/a for NaN)."""
    return bench.fmt(value, digits)


def pair(a: float, b: float, digits: int = 2, unit: str = "") -> str:
    """ "a / b" with a unit."""
    return f"{f2(a, digits)} / {f2(b, digits)}{unit}"


def summary_ms(s: dict[str, float]) -> str:
    """p50 / p99 / max in ms."""
    return f"{f2(s.get('p50', math.nan))} / {f2(s.get('p99', math.nan))} / {f2(s.get('max', math.nan))} ms"


def print_scenario(r: ScenarioResult) -> None:
    """The details of one scenario."""
    c = r.connect
    lines = [
        "",
        f"Scenario {r.scenario} (window {r.window_s:g} s per frame kind)",
        f"  startup to RUNNING                {f2(r.startup_empty_s)} s with no charger known, "
        f"{f2(r.startup_known_s)} s with {r.chargers} known "
        f"(+{f2(r.startup_known_s - r.startup_empty_s)} s)",
        f"  connect phase                     {f2(c.seconds, 1)} s; all charging after "
        f"{f2(c.all_up_s, 1)} s; {c.failed} failed"
        + (f" e.g. {c.failures[0]}" if c.failures else ""),
        f"    round trip p50/p99/max          {summary_ms(c.rtt_ms)} (every CALL)"
        + (
            f"; floor {summary_ms(r.floor_connect_rtt_ms)} (bring-up)"
            if r.floor_connect_rtt_ms
            else ""
        ),
        f"    BootNotification                {summary_ms(c.boot_ms)}",
        f"    StartTransaction                {summary_ms(c.start_transaction_ms)}",
        f"    meter frames answered           {c.frames.answered} of {c.frames.sent} "
        f"({c.frames.timeouts} timeouts)",
        f"    HA CPU                          {f2(c.cpu_s)} s; peak RSS {f2(c.peak_rss_mb, 1)} MB",
        f"    event-loop lag p50/p99/max      {summary_ms(c.lag_ms)} "
        f"({int(c.lag_ms.get('n', 0))} pings)",
        f"    full garbage collections        {c.full_gc}",
        f"    after-work                      {f2(r.after_work_s, 1)} s waited after the phase "
        "until HA was quiet (its registry saves)",
        f"  connected                         idle baseline {f2(r.idle_cpu_pct)} % of one core; "
        f"{r.entities} entities",
        f"    event-loop lag p50/p99/max      {summary_ms(r.connected_lag_ms)} "
        f"({int(r.connected_lag_ms.get('n', 0))} pings)",
        f"    full garbage collections        {r.connected_full_gc}",
        f"  RSS                               {f2(r.rss_empty_mb, 1)} MB before, "
        f"{f2(r.rss_connected_mb, 1)} MB connected = {f2(r.rss_per_charger_mb, 3)} MB per charger",
    ]
    for kind in FRAME_KINDS:
        ha, floor = r.load.get(kind), r.floor.get(kind)
        if ha is None:
            continue
        keys = ", ".join(f"{k} {n}" for k, n in ha.writes_by_key.items()) or "-"
        lines += [
            f"  window '{kind}'",
            f"    frames answered                 {ha.frames} ({ha.errors} errors, "
            f"{ha.timeouts} timeouts); client CPU {f2(ha.client_cpu_pct, 1)} % of one core",
            f"    HA CPU per 1000 frames          {f2(ha.cpu_per_1000, 3)} s "
            f"(net of idle {f2(ha.cpu_per_1000_net, 3)} s)",
            "    floor CPU per 1000 frames       "
            + (f"{f2(floor.cpu_per_1000, 3)} s; ratio {f2(r.ratio(kind))}" if floor else "n/a"),
            f"    round trip p50/p99/max          {summary_ms(ha.rtt_ms)}"
            + (f" (floor {summary_ms(floor.rtt_ms)})" if floor else ""),
            f"    event-loop lag p50/p99/max      {summary_ms(ha.lag_ms)}",
            f"    state writes per frame          {f2(ha.writes_per_frame)}; values changed per "
            f"frame {f2(ha.changed_per_frame)} of {ha.values}",
            f"    writes by entity key            {keys}",
        ]
    if (s := r.storm) is not None:
        lines += [
            f"  reconnect storm                   {s.served}/{s.chargers} served again; all after "
            f"{f2(s.all_served_s, 1)} s (p50 {f2(s.served_p50_s, 1)} s)",
            f"    StopTransaction accepted        {s.stop_accepted} ({s.stop_failed} failed); "
            f"lost transactions {s.lost_transactions}",
            f"    event-loop lag p50/p99/max      {summary_ms(s.lag_ms)}",
        ]
        lines += [f"    {failure}" for failure in s.failures]
    lines += [f"  ERROR {error}" for error in r.errors]
    print("\n".join(lines), flush=True)


def print_table(results: list[ScenarioResult]) -> None:
    """The two summary tables."""
    load_header = (
        f"{'scenario':<14}{'HA CPU/1k best/noise':>22}{'floor best/noise':>18}"
        f"{'ratio best/noise':>18}{'writes/frame':>14}{'changed/frame':>15}"
        f"{'RTT p50/p99 ms':>18}{'lag p99/max ms':>17}"
    )
    rows = []
    for r in results:
        best, noise = r.load.get("best"), r.load.get("noise")
        fb, fn = r.floor.get("best"), r.floor.get("noise")
        na = math.nan
        rows.append(
            f"{r.scenario:<14}"
            f"{pair(best.cpu_per_1000_net if best else na, noise.cpu_per_1000_net if noise else na, 3):>22}"
            f"{pair(fb.cpu_per_1000 if fb else na, fn.cpu_per_1000 if fn else na, 3):>18}"
            f"{pair(r.ratio('best'), r.ratio('noise')):>18}"
            f"{pair(best.writes_per_frame if best else na, noise.writes_per_frame if noise else na, 1):>14}"
            f"{pair(best.changed_per_frame if best else na, noise.changed_per_frame if noise else na, 1):>15}"
            f"{pair(r.connected_rtt_ms.get('p50', na), r.connected_rtt_ms.get('p99', na), 1):>18}"
            f"{pair(r.connected_lag_ms.get('p99', na), r.connected_lag_ms.get('max', na), 1):>17}"
        )
    connect_header = (
        f"{'scenario':<14}{'all up s':>10}{'RTT p50/p99 ms':>22}{'floor p50/p99':>18}"
        f"{'StartTx p50 ms':>16}"
        f"{'lag p99/max ms':>20}{'RSS MB/charger':>16}{'startup +s':>12}"
        f"{'storm served s':>16}{'lost tx':>9}"
    )
    connect_rows = []
    for r in results:
        c, s = r.connect, r.storm
        na = math.nan
        connect_rows.append(
            f"{r.scenario:<14}{f2(c.all_up_s, 1):>10}"
            f"{pair(c.rtt_ms.get('p50', na), c.rtt_ms.get('p99', na), 1):>22}"
            f"{pair(r.floor_connect_rtt_ms.get('p50', na), r.floor_connect_rtt_ms.get('p99', na), 1):>18}"
            f"{f2(c.start_transaction_ms.get('p50', na), 1):>16}"
            f"{pair(c.lag_ms.get('p99', na), c.lag_ms.get('max', na), 1):>20}"
            f"{f2(r.rss_per_charger_mb, 3):>16}"
            f"{f2(r.startup_known_s - r.startup_empty_s):>12}"
            f"{(f2(s.all_served_s, 1) if s else 'n/a'):>16}"
            f"{(str(s.lost_transactions) if s else 'n/a'):>9}"
        )
    print(
        "\n".join(
            [
                "",
                "Connected (8-value frames; CPU in s per 1000 frames, HA net of its idle "
                "baseline; ratio = HA / floor; RTT of MeterValues and loop lag over both windows)",
                load_header,
                *rows,
                "",
                "Connect phase (chargers arriving at once or over --connect-spread, incl. their "
                "first frames; floor: the "
                "bare server's round trips while the same chargers come up), memory, startup, "
                "reconnect storm",
                connect_header,
                *connect_rows,
                "",
                "Targets (issue 13): ratio <= 1.5 at 20 x 1 s and within 20 % of it at 200 x 10 s "
                "and 1000 x 10 s; writes/frame <= changed/frame; RTT p99 < 50 ms at 200 x 10 s, "
                "< 100 ms at 1000 x 10 s (connect phase included); lag p99 < 20 ms; RSS <= 0.2 "
                "MB per charger; startup +5 s at most with 1000 chargers; storm: all served "
                "within 60 s, no transaction lost.",
            ]
        ),
        flush=True,
    )


# -------------------------------------------------------------------------------------------
# Main
# -------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="benchmarks/suite.py",
        description="OCPP Central scenario suite: HA vs. a bare websockets floor (loopback).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--scenarios",
        default=DEFAULT_SCENARIOS,
        help="comma-separated CHARGERSxINTERVAL (seconds), run one after another",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="short phases (windows 10-30 s, connect phase 20 s, idle 5 s, settle 2 s)",
    )
    parser.add_argument(
        "--window",
        type=float,
        help="each measuring window, s (default 30, longer for few frames: up to 60)",
    )
    parser.add_argument(
        "--connect", type=float, help="minimum length of the connect phase, s (default 60)"
    )
    parser.add_argument(
        "--connect-spread",
        type=float,
        default=0.0,
        help="chargers arrive evenly over this many seconds in the connect phase (0: at once)",
    )
    parser.add_argument("--idle", type=float, help="idle window for the CPU baseline, s (10)")
    parser.add_argument(
        "--storm-spread", type=float, default=10.0, help="reconnect storm spread, s"
    )
    parser.add_argument("--port", type=int, default=9100, help="OCPP port of the central system")
    parser.add_argument(
        "--integration",
        type=Path,
        default=bench.REPO / "custom_components" / bench.DOMAIN,
        help="the integration folder to link in",
    )
    parser.add_argument("--no-floor", action="store_true", help="skip the floor measurement")
    parser.add_argument("--no-storm", action="store_true", help="skip the reconnect storm")
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="DIR",
        help="profile HA with py-spy (raw stacks) in the connect phase and each window",
    )
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary config dirs")
    args = parser.parse_args(argv)
    try:
        args.scenario_list = parse_scenarios(args.scenarios)
    except ValueError as err:
        parser.error(str(err))
    if not (args.integration / "manifest.json").is_file():
        parser.error(f"{args.integration} has no manifest.json")
    return args


def main(argv: Sequence[str]) -> int:
    """Run the scenarios one after another; print the details and the table."""
    args = parse_args(argv)
    if bench.demo.port_in_use(args.port):
        log(f"127.0.0.1:{args.port} is in use; pick another --port")
        return 1
    quick = args.quick
    timing = Timing(
        window=args.window or (10.0 if quick else 30.0),
        connect=args.connect or (20.0 if quick else 60.0),
        connect_spread=args.connect_spread,
        idle=args.idle or (5.0 if quick else 10.0),
        settle=2.0 if quick else 5.0,
        storm_spread=args.storm_spread,
        min_frames=150 if quick else 600,
        max_window=30.0 if quick else 60.0,
    )
    opts = Options(
        timing, args.port, args.integration, args.keep, args.py_spy, args.no_floor, args.no_storm
    )
    results: list[ScenarioResult] = []
    began = time.monotonic()
    with bench.demo.stop_signals():
        try:
            for scenario in args.scenario_list:
                result = run_scenario(scenario, opts)
                results.append(result)
                print_scenario(result)
        except (bench.demo.Stop, KeyboardInterrupt):
            log("interrupted")
            return 130
    print_table(results)
    log(
        f"suite took {time.monotonic() - began:.0f} s; integration "
        f"{args.integration} ({bench.revision(args.integration)}); load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2, default=str) + "\n")
    return 0 if all(not r.errors for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
