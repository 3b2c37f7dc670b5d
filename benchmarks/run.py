"""Load benchmark: N simulated chargers stream MeterValues into a real Home Assistant.

``python benchmarks/run.py [--chargers 50] [--interval 1.0] [--duration 30] [--port 9100]``

Steps (details and the meaning of every figure: ``benchmarks/README.md``):

1. Start Home Assistant in a child process on a temporary config dir (HTTP on 127.0.0.1 and a
   free port, ``skip_pip``), with this repo's ``custom_components/ocpp_central`` symlinked in;
   onboard through the HTTP API and add OCPP Central through the config-flow REST API
   (host 127.0.0.1, ``--port``, option ``auto_accept``). The helpers come from
   ``scripts/demo.py``.
2. Connect N simulators (BENCH0001...), boot them, start a transaction on connector 1, send
   one warm-up MeterValues each (it creates the measurement entities) and wait until the
   central system's post-boot configuration calls are over.
3. Measure Home Assistant's CPU over a quiet window (the idle baseline), then the measuring
   window: every charger sends the simulator's default MeterValues frame every ``--interval``
   seconds for ``--duration`` seconds, staggered evenly. Meanwhile a websocket API client
   counts ``state_changed`` events and a sampler records the RSS of Home Assistant.
4. Print the figures and the targets, stop everything and remove the temporary directory.

Exit code 0 after a measurement (whatever the figures), 1 when the setup failed, 130 when
interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Coroutine, Sequence
import contextlib
from dataclasses import dataclass, field
import importlib.util
import json
import math
import os
from pathlib import Path
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from types import ModuleType
from typing import Any

from ocpp.exceptions import OCPPError
import ocpp.messages as ocpp_messages
import psutil  # type: ignore[import-untyped]
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # `python benchmarks/run.py` puts only benchmarks/ on the path
    sys.path.insert(0, str(REPO))

from simulator import ChargerSimulator, SimulatorConfig  # noqa: E402

DOMAIN = "ocpp_central"
DEMO_SCRIPT = REPO / "scripts" / "demo.py"
USERNAME = "bench"
PASSWORD = "bench-password-1234"
# Targets the figures are compared with.
TARGET_P99_MS = 100.0
TARGET_P99_AT = (50, 1.0)  # chargers, interval in s
TARGET_CPU_PER_1000 = 0.5
# Bounds of the setup phases (seconds).
HASS_START_TIMEOUT = 180.0
HASS_STOP_TIMEOUT = 60.0
ENTRY_LOAD_TIMEOUT = 60.0
SETTLE_QUIET = 2.0
SETTLE_MAX = 60.0
# Events still arriving this long after the last answer are counted in the window.
EVENT_DRAIN = 1.0
SAMPLE_PERIOD = 0.5
MB = 1024 * 1024

CONFIGURATION_YAML = """\
# Written by benchmarks/run.py for one run; removed afterwards.
http:
  server_host: 127.0.0.1
  server_port: {port}
api:
config:
websocket_api:
logger:
  default: warning
{recorder}"""


def log(message: str) -> None:
    """Print a progress line."""
    print(f"[bench] {message}", flush=True)


def load_demo() -> ModuleType:
    """Import scripts/demo.py (not a package) for its Home Assistant helpers."""
    spec = importlib.util.spec_from_file_location("ocpp_central_demo", DEMO_SCRIPT)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {DEMO_SCRIPT}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # Its progress lines would say "[demo]"; route them through ours.
    module.__dict__["log"] = log
    return module


demo = load_demo()


class SetupError(Exception):
    """The benchmark could not be set up; the message says what failed."""


# -------------------------------------------------------------------------------------------
# Home Assistant
# -------------------------------------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare_config(config_dir: Path, http_port: int, recorder: bool, integration: Path) -> None:
    """Write a minimal configuration.yaml and link the integration folder in."""
    (config_dir / "configuration.yaml").write_text(
        CONFIGURATION_YAML.format(port=http_port, recorder="recorder:\n" if recorder else "")
    )
    link = config_dir / "custom_components" / DOMAIN
    link.parent.mkdir()
    link.symlink_to(integration.resolve(), target_is_directory=True)


def start_hass(config_dir: Path) -> Any:
    """Start Home Assistant on `config_dir` in a child process (a `demo.Child`)."""
    return demo.Child(
        "Home Assistant",
        [sys.executable, str(DEMO_SCRIPT), "_run_hass", str(config_dir)],
        config_dir / "hass.stdout.log",
        config_dir,
    )


def hass_log_tail(config_dir: Path, lines: int = 25) -> str:
    """The end of Home Assistant's log file, for error messages."""
    path = config_dir / "home-assistant.log"
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def integration_log_lines(config_dir: Path, lines: int = 15) -> str:
    """The last lines of Home Assistant's log that mention the integration."""
    path = config_dir / "home-assistant.log"
    with contextlib.suppress(OSError):
        text = path.read_text(errors="replace")
        return "\n".join([line for line in text.splitlines() if DOMAIN in line][-lines:])
    return ""


def wait_for_http(api: Any, hass: Any, config_dir: Path) -> None:
    """Wait until Home Assistant answers HTTP (it listens once started)."""
    deadline = time.monotonic() + HASS_START_TIMEOUT
    while time.monotonic() < deadline:
        if (code := hass.poll()) is not None:
            raise SetupError(
                f"Home Assistant exited with code {code} while starting:\n"
                f"{hass.tail()}\n{hass_log_tail(config_dir)}"
            )
        with contextlib.suppress(OSError):
            status, _ = api.request("GET", "/api/onboarding", auth=False, timeout=5)
            if status in (200, 404):
                return
        time.sleep(0.5)
    raise SetupError(f"Home Assistant did not answer within {HASS_START_TIMEOUT:.0f} s")


def set_up_integration(api: Any, ocpp_port: int, interval: float) -> str:
    """Add OCPP Central through the config-flow REST API; return the loaded entry's id."""
    status, result = api.request(
        "POST",
        "/api/config/config_entries/flow",
        json_body={"handler": DOMAIN, "show_advanced_options": False},
    )
    if status != 200:
        raise SetupError(f"cannot start the {DOMAIN} config flow (HTTP {status}): {result}")
    result = demo.run_flow(
        api, "/api/config/config_entries/flow", result, {"host": "127.0.0.1", "port": ocpp_port}
    )
    entry_id = str(result["result"]["entry_id"])
    result = api.call(
        "POST", "/api/config/config_entries/options/flow", json_body={"handler": entry_id}
    )
    if result.get("type") == "menu":  # charger settings, RFID cards, ...: the settings form
        result = api.call(
            "POST",
            f"/api/config/config_entries/options/flow/{result['flow_id']}",
            json_body={"next_step_id": "settings"},
        )
    # The meter interval option is what the central system configures chargers to; the
    # benchmark drives the frames itself, so it only keeps the configuration consistent.
    # The form has sections (new_chargers, metering); flat keys serve a form without them.
    meter_interval = min(3600, max(1, round(interval)))
    options = {
        "auto_accept": True,
        "meter_interval": meter_interval,
        "new_chargers": {"auto_accept": True},
        "metering": {"meter_interval": meter_interval},
    }
    demo.run_flow(api, "/api/config/config_entries/options/flow", result, options)
    deadline = time.monotonic() + ENTRY_LOAD_TIMEOUT
    state = "missing"
    while time.monotonic() < deadline:
        entries = api.call("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
        entry: dict[str, Any] = next((e for e in entries if e["entry_id"] == entry_id), {})
        state = entry.get("state", "missing")
        if state == "loaded":
            return entry_id
        if state not in ("not_loaded", "setup_in_progress"):
            break
        time.sleep(0.5)
    raise SetupError(f"the {DOMAIN} entry is {state!r}, not loaded")


# -------------------------------------------------------------------------------------------
# Websocket API client: counts state_changed events
# -------------------------------------------------------------------------------------------

# unique_id is "<charger>_<key>" or "<charger>_<connector>_<key>"; charger ids have no "_".
_UNIQUE_ID_KEY = re.compile(r"^[^_]+_(?:\d+_)?(.+)$")


class HassEvents:
    """A websocket API connection that counts state_changed events per entity key."""

    def __init__(self, ws: ClientConnection) -> None:
        """Wrap an authenticated connection; `start` begins reading."""
        self._ws = ws
        self._next_id = 1
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._reader: asyncio.Task[None] | None = None
        # entity_id -> entity key (the integration's description key, e.g. "energy").
        self.keys: dict[str, str] = {}
        self.counting = False
        self.counts: Counter[str] = Counter()
        self.other = 0

    @classmethod
    async def open(cls, http_port: int, token: str) -> HassEvents:
        """Connect to /api/websocket and authenticate."""
        ws = await connect(
            f"ws://127.0.0.1:{http_port}/api/websocket",
            max_size=None,
            compression=None,
            open_timeout=10,
        )
        async with asyncio.timeout(10):
            hello = json.loads(await ws.recv())
            if hello.get("type") != "auth_required":
                raise SetupError(f"unexpected websocket greeting {hello}")
            await ws.send(json.dumps({"type": "auth", "access_token": token}))
            answer = json.loads(await ws.recv())
        if answer.get("type") != "auth_ok":
            await ws.close()
            raise SetupError(f"websocket authentication failed: {answer}")
        events = cls(ws)
        events._reader = asyncio.create_task(events._read())
        return events

    async def command(self, payload: dict[str, Any]) -> Any:
        """Send one command and return its result."""
        message_id = self._next_id
        self._next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        await self._ws.send(json.dumps({"id": message_id, **payload}))
        async with asyncio.timeout(30):
            return await future

    async def learn_entities(self) -> int:
        """Map this integration's entity ids to their keys; return how many it has."""
        entries = await self.command({"type": "config/entity_registry/list"})
        for entry in entries:
            if entry.get("platform") == DOMAIN:
                match = _UNIQUE_ID_KEY.match(str(entry.get("unique_id", "")))
                self.keys[entry["entity_id"]] = match.group(1) if match else "?"
        return len(self.keys)

    async def subscribe_state_changed(self) -> None:
        """Start receiving state_changed events."""
        await self.command({"type": "subscribe_events", "event_type": "state_changed"})

    def reset(self) -> None:
        """Forget the counts so far."""
        self.counts.clear()
        self.other = 0

    @property
    def closed(self) -> bool:
        """True once the connection is gone (Home Assistant closed it, or `close`)."""
        return self._reader is None or self._reader.done()

    @property
    def total(self) -> int:
        """state_changed events of this integration's entities counted."""
        return sum(self.counts.values())

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in self._ws:
                decoded = json.loads(frame)
                # Home Assistant batches queued messages into one JSON array.
                for message in decoded if isinstance(decoded, list) else [decoded]:
                    self._handle(message)

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "result":
            future = self._pending.pop(message.get("id", -1), None)
            if future is not None and not future.done():
                if message.get("success"):
                    future.set_result(message.get("result"))
                else:
                    future.set_exception(SetupError(f"websocket command failed: {message}"))
        elif kind == "event" and self.counting:
            entity_id = message.get("event", {}).get("data", {}).get("entity_id")
            if (key := self.keys.get(entity_id)) is not None:
                self.counts[key] += 1
            else:
                self.other += 1

    async def close(self) -> None:
        """Close the connection."""
        await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


# -------------------------------------------------------------------------------------------
# Simulated chargers
# -------------------------------------------------------------------------------------------


class TimedSimulator(ChargerSimulator):
    """A simulator that timestamps its last outgoing and last incoming websocket frame."""

    def __init__(self, url: str, config: SimulatorConfig) -> None:
        """Prepare the simulator (see ChargerSimulator)."""
        super().__init__(url, config)
        self.sent_at = 0.0
        self.received_at = 0.0
        # Sampled values of the last MeterValues sent, by (measurand, phase).
        self.last_frame: dict[tuple[str, str], str] = {}

    def _attach(self, ws: ClientConnection, disconnected: asyncio.Future[None]) -> Any:
        protocol = super()._attach(ws, disconnected)
        send = protocol._send  # the ocpp library's single write path

        async def timed_send(message: str) -> None:
            self.sent_at = time.perf_counter()
            await send(message)

        protocol._send = timed_send
        return protocol

    async def _dispatch(self, wire: Any, text: str) -> None:
        self.received_at = time.perf_counter()
        await super()._dispatch(wire, text)


@dataclass
class LoadResult:
    """What the simulators measured in the window."""

    wire_ms: list[float] = field(default_factory=list)
    call_ms: list[float] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    values_per_frame: int = 0
    sent: int = 0
    errors: int = 0
    timeouts: int = 0
    late: int = 0
    error_samples: list[str] = field(default_factory=list)


def frame_values(samples: list[dict[str, str]]) -> dict[tuple[str, str], str]:
    """Sampled values of a frame by (measurand, phase)."""
    return {(s.get("measurand", ""), s.get("phase", "")): s["value"] for s in samples}


async def set_up_chargers(url: str, count: int) -> list[TimedSimulator]:
    """Connect and boot `count` chargers, start a transaction each and send one warm-up frame."""
    sims = [
        TimedSimulator(
            url,
            SimulatorConfig(
                charge_point_id=f"BENCH{n:04d}",
                serial_number=f"BENCH-{n:04d}",
                auto_heartbeat=False,
            ),
        )
        for n in range(1, count + 1)
    ]

    async def start(sim: TimedSimulator) -> None:
        await sim.connect()
        result = await sim.boot()
        if sim.boot_status != "Accepted":
            raise SetupError(f"{sim.config.charge_point_id} boot answered {result}")
        await sim.status(1, "Preparing")
        await sim.start_transaction(1)
        await sim.status(1, "Charging")
        # The first frame creates the measurement entities: not part of the measurement.
        samples = sim.sample(1)
        await sim.meter_values(1, samples)
        sim.last_frame = frame_values(samples)

    results = await asyncio.gather(*(start(sim) for sim in sims), return_exceptions=True)
    failures = [
        f"{s.config.charge_point_id}: {r!r}" for s, r in zip(sims, results, strict=True) if r
    ]
    if failures:
        await close_chargers(sims)
        raise SetupError(f"{len(failures)} charger(s) failed to start: {failures[:3]}")
    return sims


async def close_chargers(sims: list[TimedSimulator]) -> None:
    """Close every simulator."""
    await asyncio.gather(*(sim.close() for sim in sims), return_exceptions=True)


async def wait_quiet(sims: list[TimedSimulator], minimum: float) -> float:
    """Wait `minimum` seconds and until no charger got a call for a while; return the wait."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    last_count, last_change = -1, start
    while loop.time() - start < SETTLE_MAX:
        count = sum(len(sim.received) for sim in sims)
        now = loop.time()
        if count != last_count:
            last_count, last_change = count, now
        elif now - start >= minimum and now - last_change >= SETTLE_QUIET:
            break
        await asyncio.sleep(0.25)
    return loop.time() - start


async def drive(
    sims: list[TimedSimulator], interval: float, duration: float, result: LoadResult
) -> None:
    """Send MeterValues from every charger every `interval` s for `duration` s, staggered."""
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    end = start + duration

    async def one(index: int, sim: TimedSimulator) -> None:
        when = start + index * interval / len(sims)
        # Nothing is sent after the window, even by a charger behind schedule; each call waits
        # at most the simulator's response timeout, which bounds the window.
        while when < end and loop.time() < end:
            delay = when - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -interval / 2:
                result.late += 1  # the previous answer came too late to keep the pace
            samples = sim.sample(1)
            values = frame_values(samples)
            result.values_per_frame = len(values)
            result.changed.append(sum(sim.last_frame.get(k) != v for k, v in values.items()))
            sim.last_frame = values
            result.sent += 1
            begin = time.perf_counter()
            try:
                await sim.meter_values(1, samples)
            except TimeoutError:
                result.timeouts += 1
            except (OCPPError, ConnectionError, ConnectionClosed) as err:
                result.errors += 1
                if len(result.error_samples) < 3:
                    result.error_samples.append(f"{sim.config.charge_point_id}: {err!r}")
            else:
                done = time.perf_counter()
                result.call_ms.append((done - begin) * 1000)
                result.wire_ms.append((sim.received_at - sim.sent_at) * 1000)
            when += interval

    await asyncio.gather(*(one(i, sim) for i, sim in enumerate(sims)))


# -------------------------------------------------------------------------------------------
# Measurement
# -------------------------------------------------------------------------------------------


# clock_getcpuclockid(pid) as the kernel encodes it: the process-wide CPU clock (CPUCLOCK_SCHED).
_CPUCLOCK_SCHED = 2


def cpu_seconds(proc: psutil.Process) -> float:
    """CPU time of a process (all its threads, ended ones too), in seconds.

    Read from the kernel's CPU clock of the process (`clock_gettime` of
    ``clock_getcpuclockid(pid)``), which counts nanoseconds; psutil's user + system time from
    /proc counts 10 ms ticks, too coarse for the floor's small windows. psutil is the fallback.
    """
    with contextlib.suppress(OSError, OverflowError):
        return time.clock_gettime(((~proc.pid) << 3) | _CPUCLOCK_SCHED)
    times = proc.cpu_times()
    return float(times.user + times.system)


class Sampler:
    """Samples Home Assistant's RSS and the integration store's mtime every 0.5 s."""

    def __init__(self, proc: psutil.Process, store_file: Path) -> None:
        """Watch `proc` and `store_file`."""
        self._proc = proc
        self._store_file = store_file
        self.peak_rss = 0
        self.store_writes = 0
        self._task: asyncio.Task[None] | None = None

    def _mtime(self) -> int:
        try:
            return self._store_file.stat().st_mtime_ns
        except OSError:
            return 0

    async def _run(self) -> None:
        mtime = self._mtime()
        while True:
            self.peak_rss = max(self.peak_rss, self._proc.memory_info().rss)
            if (new := self._mtime()) != mtime:
                mtime = new
                self.store_writes += 1
            await asyncio.sleep(SAMPLE_PERIOD)

    def start(self) -> None:
        """Start sampling."""
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Take a last sample and stop."""
        self.peak_rss = max(self.peak_rss, self._proc.memory_info().rss)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def revision(folder: Path) -> str:
    """The git commit of `folder`, marked "+ local changes" when it differs from it."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        changes = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "not in a git checkout"
    return f"git {commit}" + (" + local changes" if changes else "")


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (NaN for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


@dataclass
class Report:
    """Everything printed at the end (also written with --json)."""

    chargers: int
    interval: float
    duration: float
    window_s: float
    frames_sent: int
    frames_answered: int
    frames_per_s: float
    offered_per_s: float
    wire_ms: dict[str, float]
    slow_frames: int
    call_ms: dict[str, float]
    hass_cpu_s: float
    hass_system_s: float
    hass_cpu_pct: float
    idle_cpu_pct: float
    idle_window_s: float
    cpu_per_1000: float
    cpu_per_1000_net: float
    rss_before_mb: float
    rss_peak_mb: float
    state_changed: int
    state_changed_per_frame: float
    state_changed_by_key: Counter[str]
    other_events: int
    idle_events: int
    values_per_frame: int
    changed_per_frame: float
    errors: int
    timeouts: int
    late: int
    client_cpu_pct: float
    store_writes: int
    entities: int
    subscribed: bool
    recorder: bool
    integration: str
    error_samples: list[str]


def latency_summary(values: list[float]) -> dict[str, float]:
    """p50/p90/p99/max of a list of milliseconds."""
    return {
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "max": max(values) if values else math.nan,
    }


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN when the denominator is 0."""
    return numerator / denominator if denominator else math.nan


def fmt(value: float, digits: int = 2) -> str:
    """Format a figure; n/a for NaN."""
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


def print_report(r: Report) -> None:
    """Print the figures and the targets."""
    w, c = r.wire_ms, r.call_ms
    keys = ", ".join(f"{k} {n}" for k, n in r.state_changed_by_key.most_common()) or "-"
    lines = [
        "",
        "OCPP Central load benchmark",
        f"  chargers                        {r.chargers}",
        f"  meter interval                  {r.interval:g} s per charger",
        f"  measuring window                {r.duration:g} s ({fmt(r.window_s)} s to the last answer)",
        f"  frames sent / answered          {r.frames_sent} / {r.frames_answered}",
        f"  frames/s achieved               {fmt(r.frames_per_s, 1)} (offered {fmt(r.offered_per_s, 1)})",
        f"  round trip p50/p90/p99/max      {fmt(w['p50'])} / {fmt(w['p90'])} / {fmt(w['p99'])} / "
        f"{fmt(w['max'])} ms  (frame sent -> CALLRESULT received)",
        f"  {f'round trips >= {TARGET_P99_MS:g} ms':<32}{r.slow_frames}",
        f"  call latency p50/p90/p99/max    {fmt(c['p50'])} / {fmt(c['p90'])} / {fmt(c['p99'])} / "
        f"{fmt(c['max'])} ms  (sim.meter_values(), with client-side encoding)",
        f"  HA CPU in window                {fmt(r.hass_cpu_s, 3)} s = {fmt(r.hass_cpu_pct, 1)} % of one core "
        f"({fmt(r.hass_system_s, 2)} s of it in the kernel)",
        f"  HA idle baseline                {fmt(r.idle_cpu_pct, 2)} % of one core "
        f"({r.idle_window_s:g} s quiet window, "
        + ("chargers connected)" if r.chargers else "no chargers)"),
        f"  HA CPU per 1000 frames          {fmt(r.cpu_per_1000, 3)} s "
        f"(net of idle baseline: {fmt(r.cpu_per_1000_net, 3)} s)",
        f"  HA RSS before load / peak       {fmt(r.rss_before_mb, 1)} / {fmt(r.rss_peak_mb, 1)} MB",
    ]
    if r.subscribed:
        lines += [
            f"  state_changed events            {r.state_changed} = "
            f"{fmt(r.state_changed_per_frame)} per meter frame "
            f"(other entities: {r.other_events}; quiet window: {r.idle_events})",
            f"    by entity key                 {keys}",
        ]
    else:
        lines.append("  state_changed events            not counted (--no-events)")
    lines += [
        f"  sampled values changed/frame    {fmt(r.changed_per_frame)} of {r.values_per_frame} "
        "(vs. the same charger's previous frame)",
        f"  errors / timeouts               {r.errors} / {r.timeouts}"
        + (f"  e.g. {r.error_samples[0]}" if r.error_samples else ""),
        f"  late sends (> interval/2)       {r.late}",
        f"  integration store writes        {r.store_writes} during the window",
        f"  entities of the integration     {r.entities}",
        f"  benchmark client CPU            {fmt(r.client_cpu_pct, 1)} % of one core",
        f"  recorder                        {'on' if r.recorder else 'off'}",
        f"  integration                     {r.integration}",
        "",
        "Targets",
    ]
    at_target_load = (r.chargers, r.interval) == TARGET_P99_AT
    p99 = w["p99"]
    lines.append(
        f"  round trip p99 < {TARGET_P99_MS:g} ms at 50 chargers x 1 frame/s: "
        f"{fmt(p99)} ms  "
        + (
            verdict(p99 < TARGET_P99_MS, p99)
            if at_target_load
            else "(this run is not at that load: for reference)"
        )
    )
    net = r.cpu_per_1000_net
    lines.append(
        f"  HA CPU <= {TARGET_CPU_PER_1000:g} s per 1000 meter frames (net of idle): "
        f"{fmt(net, 3)} s  {verdict(net <= TARGET_CPU_PER_1000, net)}"
    )
    if r.subscribed:
        writes, changed = r.state_changed_per_frame, r.changed_per_frame
        lines.append(
            "  state writes per frame <= sampled values changed per frame: "
            f"{fmt(writes)} vs {fmt(changed)}  {verdict(writes <= changed, writes - changed)}"
        )
    print("\n".join(lines), flush=True)


def verdict(ok: bool, value: float) -> str:
    """PASS / FAIL, or n/a when there is nothing to judge."""
    if math.isnan(value):
        return "n/a"
    return "PASS" if ok else "FAIL"


# -------------------------------------------------------------------------------------------
# Main
# -------------------------------------------------------------------------------------------


@dataclass
class Window:
    """Resources used during one window."""

    seconds: float  # until the work was done
    cpu_seconds: float  # HA CPU until the work was done plus EVENT_DRAIN
    system_seconds: float  # the kernel's share of cpu_seconds
    measured_seconds: float  # the span cpu_seconds covers
    client_cpu_seconds: float
    rss_before: int
    peak_rss: int
    store_writes: int


async def measure_window(
    hass_proc: psutil.Process, store_file: Path, work: Coroutine[Any, Any, None], drain: float
) -> Window:
    """Run `work` and return what Home Assistant (and this client) used meanwhile."""
    me = psutil.Process()
    sampler = Sampler(hass_proc, store_file)
    rss_before = hass_proc.memory_info().rss
    sampler.start()
    client_cpu = cpu_seconds(me)
    begin, hass_cpu = time.perf_counter(), cpu_seconds(hass_proc)
    hass_system = hass_proc.cpu_times().system
    await work
    seconds = time.perf_counter() - begin
    await asyncio.sleep(drain)  # let the last events reach the websocket client
    hass_cpu = cpu_seconds(hass_proc) - hass_cpu
    hass_system = hass_proc.cpu_times().system - hass_system
    measured = time.perf_counter() - begin
    client_cpu = cpu_seconds(me) - client_cpu
    await sampler.stop()
    return Window(
        seconds,
        hass_cpu,
        hass_system,
        measured,
        client_cpu,
        rss_before,
        sampler.peak_rss,
        sampler.store_writes,
    )


async def measure(
    args: argparse.Namespace, hass_proc: psutil.Process, token: str, store_file: Path
) -> Report:
    """Start the chargers, measure the quiet and the loaded window; return the figures."""
    # Validate inline like the integration does: no thread hop per frame in the client.
    ocpp_messages.ASYNC_VALIDATION = False
    events: HassEvents | None = None
    sims: list[TimedSimulator] = []
    result = LoadResult()
    try:
        if args.chargers:
            log(f"connecting and booting {args.chargers} chargers ...")
            sims = await set_up_chargers(f"ws://127.0.0.1:{args.port}", args.chargers)
        waited = await wait_quiet(sims, args.settle)
        log(f"{len(sims)} chargers charging; settled after {waited:.1f} s")
        if not args.no_events:
            events = await HassEvents.open(args.http_port, token)
            await events.learn_entities()
            await events.subscribe_state_changed()
            events.counting = True

        log(f"quiet window: {args.idle:g} s without frames (idle CPU baseline) ...")
        idle = await measure_window(hass_proc, store_file, asyncio.sleep(args.idle), 0)
        idle_events = events.total + events.other if events is not None else 0
        if events is not None:
            events.reset()

        log(
            f"measuring: {len(sims)} chargers x 1 frame / {args.interval:g} s for {args.duration:g} s"
        )
        work = (
            drive(sims, args.interval, args.duration, result)
            if sims
            else asyncio.sleep(args.duration)
        )
        load = await measure_window(hass_proc, store_file, work, EVENT_DRAIN)
        if events is not None:
            events.counting = False
    finally:
        if events is not None:
            await events.close()
        await close_chargers(sims)
    return build_report(args, idle, load, result, events, idle_events)


def build_report(
    args: argparse.Namespace,
    idle: Window,
    load: Window,
    result: LoadResult,
    events: HassEvents | None,
    idle_events: int,
) -> Report:
    """Turn the raw measurements into the printed figures."""
    answered = len(result.wire_ms)
    idle_rate = idle.cpu_seconds / idle.measured_seconds
    state_changed = events.total if events is not None else 0
    return Report(
        chargers=args.chargers,
        interval=args.interval,
        duration=args.duration,
        window_s=load.seconds,
        frames_sent=result.sent,
        frames_answered=answered,
        frames_per_s=answered / load.seconds,
        offered_per_s=args.chargers / args.interval,
        wire_ms=latency_summary(result.wire_ms),
        slow_frames=sum(ms >= TARGET_P99_MS for ms in result.wire_ms),
        call_ms=latency_summary(result.call_ms),
        hass_cpu_s=load.cpu_seconds,
        hass_system_s=load.system_seconds,
        hass_cpu_pct=100 * load.cpu_seconds / load.measured_seconds,
        idle_cpu_pct=100 * idle_rate,
        idle_window_s=round(idle.measured_seconds, 1),
        cpu_per_1000=ratio(1000 * load.cpu_seconds, answered),
        cpu_per_1000_net=ratio(
            1000 * (load.cpu_seconds - idle_rate * load.measured_seconds), answered
        ),
        rss_before_mb=load.rss_before / MB,
        rss_peak_mb=load.peak_rss / MB,
        state_changed=state_changed,
        state_changed_per_frame=ratio(state_changed, answered),
        state_changed_by_key=Counter(events.counts) if events is not None else Counter(),
        other_events=events.other if events is not None else 0,
        idle_events=idle_events,
        values_per_frame=result.values_per_frame,
        changed_per_frame=ratio(sum(result.changed), len(result.changed)),
        errors=result.errors,
        timeouts=result.timeouts,
        late=result.late,
        client_cpu_pct=100 * load.client_cpu_seconds / load.measured_seconds,
        store_writes=load.store_writes,
        entities=len(events.keys) if events is not None else 0,
        subscribed=events is not None,
        recorder=args.recorder,
        integration=f"{args.integration} ({revision(args.integration)})",
        error_samples=result.error_samples,
    )


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="benchmarks/run.py",
        description="Load benchmark of OCPP Central in a real Home Assistant (loopback only).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--chargers", type=int, default=50, help="simulated chargers (0: idle)")
    parser.add_argument(
        "--interval", type=float, default=1.0, help="seconds between a charger's MeterValues"
    )
    parser.add_argument("--duration", type=float, default=30.0, help="measuring window, s")
    parser.add_argument("--port", type=int, default=9100, help="OCPP port of the central system")
    parser.add_argument(
        "--http-port", type=int, default=0, help="Home Assistant HTTP port (0: a free one)"
    )
    parser.add_argument(
        "--settle", type=float, default=5.0, help="minimum wait after the chargers started, s"
    )
    parser.add_argument(
        "--idle", type=float, default=10.0, help="quiet window for the idle CPU baseline, s"
    )
    parser.add_argument(
        "--no-events",
        action="store_true",
        help="do not subscribe to state_changed (measures HA without a websocket client)",
    )
    parser.add_argument(
        "--recorder", action="store_true", help="also load the recorder (SQLite in the temp dir)"
    )
    parser.add_argument(
        "--integration",
        type=Path,
        default=REPO / "custom_components" / DOMAIN,
        help="the integration folder to link in (e.g. another checkout, for A/B comparisons)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary config dir (its path is printed)"
    )
    parser.add_argument(
        "--suite",
        action="store_true",
        help="run the scenario suite instead (benchmarks/suite.py; its options follow)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="the scenario suite with short windows"
    )
    args = parser.parse_args(argv)
    if args.chargers < 0 or args.interval <= 0 or args.duration <= 0 or args.idle <= 0:
        parser.error("--chargers must be >= 0; --interval, --duration and --idle > 0")
    if not (args.integration / "manifest.json").is_file():
        parser.error(f"{args.integration} has no manifest.json")
    return args


def run_suite(argv: Sequence[str]) -> int:
    """Hand over to benchmarks/suite.py with the remaining arguments (does not return)."""
    suite = Path(__file__).resolve().with_name("suite.py")
    rest = [arg for arg in argv if arg != "--suite"]
    os.execv(sys.executable, [sys.executable, str(suite), *rest])


def main(argv: Sequence[str]) -> int:
    """Run the benchmark; return the exit code."""
    if "--suite" in argv or "--quick" in argv:
        return run_suite(argv)
    args = parse_args(argv)
    if demo.port_in_use(args.port):
        log(f"127.0.0.1:{args.port} is in use; pick another --port")
        return 1
    args.http_port = args.http_port or free_port()
    config_dir = Path(tempfile.mkdtemp(prefix="ocpp-central-bench-"))
    hass: Any = None
    report: Report | None = None
    exit_code = 0
    with demo.stop_signals():
        try:
            prepare_config(config_dir, args.http_port, args.recorder, args.integration)
            log(f"starting Home Assistant on 127.0.0.1:{args.http_port} (config: {config_dir})")
            started = time.monotonic()
            hass = start_hass(config_dir)
            api = demo.Api(args.http_port)
            wait_for_http(api, hass, config_dir)
            log(f"Home Assistant answers after {time.monotonic() - started:.1f} s")
            demo.onboard(api, USERNAME, PASSWORD)
            entry_id = set_up_integration(api, args.port, args.interval)
            log(f"{DOMAIN} loaded, listening on 127.0.0.1:{args.port}")
            store_file = config_dir / ".storage" / f"{DOMAIN}.{entry_id}"
            report = asyncio.run(
                measure(args, psutil.Process(hass.proc.pid), api.token, store_file)
            )
        except (SetupError, demo.DemoError, OSError) as err:
            log(f"SETUP FAILED: {err}")
            if lines := integration_log_lines(config_dir):
                log(f"{DOMAIN} lines of home-assistant.log:\n{lines}")
            exit_code = 1
        except (demo.Stop, KeyboardInterrupt):
            log("interrupted")
            exit_code = 130
        finally:
            if hass is not None:
                log("stopping Home Assistant ...")
                hass.stop(timeout=HASS_STOP_TIMEOUT)
                if hass.proc.returncode not in (0, None):
                    log(f"Home Assistant exited with code {hass.proc.returncode}")
            if args.keep:
                log(f"kept {config_dir}")
            else:
                shutil.rmtree(config_dir, ignore_errors=True)
    if report is not None:
        print_report(report)
        if args.json is not None:
            args.json.write_text(json.dumps(report.__dict__, indent=2, default=str) + "\n")
    return exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
