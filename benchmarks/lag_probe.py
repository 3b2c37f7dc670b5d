"""Event-loop lag probe: pings Home Assistant's websocket API every 100 ms.

``python benchmarks/lag_probe.py HTTP_PORT OUT_FILE [PERIOD]`` (the access token on stdin)

Home Assistant answers ``{"id": n, "type": "ping"}`` with a pong straight from its event loop
(no executor, no state machine): the time to the pong is the time a cheap piece of work waits
for the loop, plus two loopback hops (well under 1 ms). One ping is in flight at a time; the
next goes out on the next 100 ms tick (at once if the pong came later). Every pong appends
``<send time, time.monotonic()> <latency in ms>`` to OUT_FILE (line-buffered), so
`benchmarks/suite.py` can cut the samples by phase (CLOCK_MONOTONIC is the same in every
process). Runs in its own process, so the benchmark client's busy event loop does not add to
the figures; it runs until SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
import signal
import sys
import time
from typing import TextIO

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed


def answered(decoded: object, message_id: int) -> bool:
    """True if `decoded` (a message, or a batch of them) holds the pong to `message_id`."""
    batch = decoded if isinstance(decoded, list) else [decoded]
    return any(isinstance(m, dict) and m.get("id") == message_id for m in batch)


async def probe(http_port: int, token: str, out: Path, period: float) -> None:
    """Authenticate, then ping every `period` seconds until cancelled.

    A connection Home Assistant closes is opened again (the close is reported on stderr); the
    pings it would have carried are missing from OUT_FILE.
    """
    ready = False
    with out.open("a", buffering=1) as lines:
        while True:
            try:
                async with connect(
                    f"ws://127.0.0.1:{http_port}/api/websocket", compression=None, max_size=None
                ) as ws:
                    await ws.recv()  # auth_required
                    await ws.send(json.dumps({"type": "auth", "access_token": token}))
                    reply = json.loads(await ws.recv())
                    if reply.get("type") != "auth_ok":
                        raise SystemExit(f"lag probe: authentication failed: {reply}")
                    if not ready:
                        print("ready", flush=True)
                        ready = True
                    await ping_loop(ws, lines, period)
            except (ConnectionClosed, OSError) as err:
                print(f"lag probe: connection lost ({err!r}); reconnecting", file=sys.stderr)
                await asyncio.sleep(0.5)


async def ping_loop(ws: ClientConnection, lines: TextIO, period: float) -> None:
    """Ping on one connection until it closes."""
    message_id = 0
    next_tick = time.monotonic()
    while True:
        message_id += 1
        sent = time.monotonic()
        await ws.send(json.dumps({"id": message_id, "type": "ping"}))
        while not answered(json.loads(await ws.recv()), message_id):
            pass  # nothing is subscribed; skip whatever else comes
        lines.write(f"{sent:.6f} {(time.monotonic() - sent) * 1000:.3f}\n")
        next_tick += period
        await asyncio.sleep(max(0.0, next_tick - time.monotonic()))
        next_tick = max(next_tick, time.monotonic() - period)


async def main(http_port: int, out: Path, period: float) -> None:
    """Run the probe until SIGTERM or SIGINT."""
    token = sys.stdin.readline().strip()
    task = asyncio.create_task(probe(http_port, token, out, period))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


if __name__ == "__main__":
    asyncio.run(
        main(int(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else 0.1)
    )
