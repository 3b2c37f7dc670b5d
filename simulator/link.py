"""The websocket side of a simulated charger: connection, receive loop, observation helpers.

`ChargerLink` is version-neutral: it only knows OCPP-J framing ([2, id, action, payload] for a
CALL, [3|4, id, ...] for answers). Decoding and answering is left to a protocol object the
subclass creates in `_attach` (for 1.6 an `ocpp.v16.ChargePoint` subclass).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Coroutine
import json
import logging
import ssl
from types import TracebackType
from typing import Any, Protocol, Self
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from simulator.config import SUBPROTOCOLS, SimulatorConfig

LOGGER = logging.getLogger(__name__)
# Frames in and out at INFO (outgoing ones are logged by the ocpp library on the same logger).
WIRE_LOGGER = logging.getLogger("simulator.wire")
# How many incoming frames `raw_frames` keeps (bounded so endless demos do not grow).
RAW_HISTORY = 1000
# Loop turns the receive loop gives a CALL to take its answer before the next frame.
_ANSWER_TURNS = 10
# OCPP-J message type ids.
CALL, CALLRESULT, CALLERROR = 2, 3, 4


class WireProtocol(Protocol):
    """What the receive loop needs from a protocol object."""

    @property
    def pending(self) -> set[str]:
        """Unique ids of our own CALLs that still await an answer."""

    async def route_message(self, raw_msg: str) -> None:
        """Handle one frame (answer a CALL, or hand an answer to the waiting call)."""


class ChargerLink:
    """Websocket connection of one charger plus what tests observe of the CSMS's traffic."""

    def __init__(self, url: str, config: SimulatorConfig) -> None:
        """Store where to connect; nothing is opened until `connect()`."""
        self.url = url
        self.config = config
        # Every CALL the CSMS sent, as (action, camelCase payload), in arrival order.
        self.received: list[tuple[str, dict[str, Any]]] = []
        # The last incoming frames, consumed or not, and the last frames the simulator sent.
        self.raw_frames: deque[str] = deque(maxlen=RAW_HISTORY)
        self.sent_frames: deque[str] = deque(maxlen=RAW_HISTORY)
        self._ws: ClientConnection | None = None
        self._disconnected: asyncio.Future[None] | None = None
        self._receiver: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._unconsumed: asyncio.Queue[str] = asyncio.Queue()
        self._calls_changed = asyncio.Condition()
        self._awaited: dict[str, int] = {}

    def _attach(
        self, ws: ClientConnection, disconnected: asyncio.Future[None]
    ) -> WireProtocol:  # pragma: no cover - always overridden
        """Create the protocol object for a new connection."""
        raise NotImplementedError

    def _on_disconnect(self) -> None:
        """Hook: the connection dropped or was closed."""

    def _handshake_headers(self) -> dict[str, str]:
        """Hook: extra HTTP headers of the websocket handshake (credentials)."""
        return {}

    def _endpoint(self) -> tuple[str, ssl.SSLContext | None]:
        """Hook: the CSMS URL to connect to (the charger id is appended) and its TLS context."""
        return self.url, None

    @property
    def connected(self) -> bool:
        """True while the websocket is open."""
        return self._disconnected is not None and not self._disconnected.done()

    async def connect(self) -> None:
        """Open the websocket (subprotocol per OCPP version) and start the receive loop."""
        if self.connected:
            return
        subprotocol = SUBPROTOCOLS[self.config.ocpp_version]
        base, tls = self._endpoint()
        url = f"{base.rstrip('/')}/{quote(self.config.charge_point_id, safe='')}"
        ws = await connect(
            url,
            ssl=tls,
            subprotocols=[Subprotocol(subprotocol)],
            open_timeout=self.config.response_timeout,
            close_timeout=2,
            # Chargers rarely negotiate permessage-deflate; plain frames are also cheaper in
            # load benchmarks.
            compression=None,
            additional_headers=self._handshake_headers(),
        )
        if ws.subprotocol != subprotocol:
            # OCPP-J section 3.1: without an agreed subprotocol the client must not go on.
            await ws.close()
            raise ConnectionError(f"CSMS did not accept subprotocol {subprotocol}")
        self._ws = ws
        self._disconnected = asyncio.get_running_loop().create_future()
        self._unconsumed = asyncio.Queue()
        wire = self._attach(ws, self._disconnected)
        self._receiver = asyncio.create_task(self._receive_loop(ws, wire, self._disconnected))
        LOGGER.info("%s: connected to %s", self.config.charge_point_id, url)

    async def close(self) -> None:
        """Close the websocket and cancel every task the simulator started."""
        current = asyncio.current_task()
        tasks = [task for task in self._tasks if task is not current]
        for task in tasks:
            task.cancel()
        if self._ws is not None:
            await self._ws.close()
        if self._receiver is not None and self._receiver is not current:
            tasks.append(self._receiver)
            self._receiver.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._ws = self._receiver = None
        self._tasks.clear()
        self._on_disconnect()
        # websockets cancels its keepalive task on close without awaiting it; one loop
        # iteration lets it finish, so callers (and pytest) see no task left running.
        await asyncio.sleep(0)

    async def drop_connection(self) -> None:
        """Cut the connection abruptly, as a network loss or a power cut does.

        The TCP connection is aborted without a websocket close frame. Unlike `close`, the
        simulator's tasks (sessions, timers) are not cancelled: what they do offline depends
        on the charger's habits. Returns once the receive loop has seen the drop.
        """
        ws = self._ws
        if ws is None or not self.connected:
            return
        ws.transport.abort()
        await self.wait_disconnected(5)

    async def __aenter__(self) -> Self:
        """Connect; `async with ChargerSimulator(...) as sim:` closes on exit."""
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close."""
        await self.close()

    async def _receive_loop(
        self, ws: ClientConnection, wire: WireProtocol, disconnected: asyncio.Future[None]
    ) -> None:
        """Read frames until the socket closes; route them and record what tests observe."""
        try:
            async for frame in ws:
                text = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
                WIRE_LOGGER.info("%s: receive %s", self.config.charge_point_id, text)
                self.raw_frames.append(text)
                await self._dispatch(wire, text)
        except ConnectionClosed as err:
            LOGGER.info("%s: connection closed: %s", self.config.charge_point_id, err)
        finally:
            if not disconnected.done():
                disconnected.set_result(None)
            self._on_disconnect()

    async def _dispatch(self, wire: WireProtocol, text: str) -> None:
        """Route one frame.

        CALLs and answers to our pending CALLs go to the protocol object; everything else
        (answers to `send_raw`, garbage) to the `next_raw` queue.
        """
        try:
            msg = json.loads(text)
        except ValueError:
            msg = None
        if not isinstance(msg, list) or len(msg) < 2:  # noqa: PLR2004 - [type, id, ...]
            self._unconsumed.put_nowait(text)
            return
        if msg[0] == CALL:
            try:
                await wire.route_message(text)
            except ConnectionClosed:
                pass  # the answer could not be sent; the loop ends with the connection
            except Exception:
                # The library lets exceptions of @after hooks escape; keep reading anyway.
                LOGGER.exception("%s: error handling %s", self.config.charge_point_id, text)
            action = msg[2] if len(msg) > 2 and isinstance(msg[2], str) else ""  # noqa: PLR2004
            payload = msg[3] if len(msg) > 3 and isinstance(msg[3], dict) else {}  # noqa: PLR2004
            # Recorded after the answer went out, so a test waking up on it sees its effects.
            async with self._calls_changed:
                self.received.append((action, payload))
                self._calls_changed.notify_all()
        elif msg[0] in {CALLRESULT, CALLERROR} and msg[1] in wire.pending:
            await wire.route_message(text)
            # Firmware handles an answer before reading the next frame: a SetChargingProfile
            # right behind a StartTransaction answer already finds the transaction id. The
            # waiting CALL takes a few loop turns to see its answer; bounded, never a hang.
            for _ in range(_ANSWER_TURNS):
                if msg[1] not in wire.pending:
                    break
                await asyncio.sleep(0)
        else:
            self._unconsumed.put_nowait(text)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run `coro` as a task owned by the simulator (cancelled by `close`)."""
        task = asyncio.create_task(coro, name=f"{self.config.charge_point_id} {name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled() or (err := task.exception()) is None:
            return
        if isinstance(err, ConnectionError | ConnectionClosed):
            LOGGER.info("%s: %s aborted: %s", self.config.charge_point_id, task.get_name(), err)
        else:
            LOGGER.error("%s failed", task.get_name(), exc_info=err)

    async def send_raw(self, text: str) -> None:
        """Send an arbitrary text frame, bypassing the ocpp library (bad-input tests)."""
        if self._ws is None or not self.connected:
            raise ConnectionError(f"{self.config.charge_point_id}: not connected")
        self.sent_frames.append(text)
        await self._ws.send(text)

    def sent_calls(self, action: str | None = None) -> list[list[Any]]:
        """The CALLs the simulator sent ([2, id, action, payload]), optionally of one action."""
        calls = []
        for text in self.sent_frames:
            try:
                frame = json.loads(text)
            except ValueError:
                continue
            if (
                isinstance(frame, list)
                and len(frame) == 4  # noqa: PLR2004 - [2, id, action, payload]
                and frame[0] == CALL
                and (action is None or frame[2] == action)
            ):
                calls.append(frame)
        return calls

    async def next_raw(self, timeout: float = 5) -> str:  # noqa: ASYNC109
        """Return the next incoming frame the ocpp library did not consume.

        Those are answers to `send_raw` calls, stray CALLRESULT/CALLERRORs and unparsable
        frames; the CSMS's CALLs are answered by the library and recorded in `received`.
        """
        async with asyncio.timeout(timeout):
            return await self._unconsumed.get()

    async def wait_for_call(self, action: str, timeout: float = 10) -> dict[str, Any]:  # noqa: ASYNC109
        """Return the payload of the next not yet awaited `action` CALL from the CSMS.

        Calls received before this wait count too: the n-th wait for an action returns the
        n-th such call. Raises TimeoutError if none arrives within `timeout` seconds.
        """

        def nth() -> dict[str, Any] | None:
            wanted = self._awaited.get(action, 0)
            matches = [payload for name, payload in self.received if name == action]
            return matches[wanted] if len(matches) > wanted else None

        async with asyncio.timeout(timeout), self._calls_changed:
            await self._calls_changed.wait_for(lambda: nth() is not None)
        payload = nth()
        assert payload is not None
        self._awaited[action] = self._awaited.get(action, 0) + 1
        return payload

    async def wait_disconnected(self, timeout: float | None = None) -> bool:  # noqa: ASYNC109
        """Wait up to `timeout` seconds for the connection to drop; True if it did."""
        if self._disconnected is None:
            return True
        try:
            async with asyncio.timeout(timeout):
                await asyncio.shield(self._disconnected)
        except TimeoutError:
            return False
        return True
