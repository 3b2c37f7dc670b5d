"""What every protocol layer of the simulator shares.

That is: typed routing decorators, the request path and the interface `ChargerSimulator`
drives a layer through (`ProtocolLayer`).

A layer (`simulator.v16`, `simulator.v2`) is an `ocpp` ChargePoint subclass bound to one
websocket connection. It turns the simulator's version-neutral primitives into that version's
messages and answers the CSMS's calls. The primitives' arguments are always in 1.6 vocabulary
(connector ids, 1.6 statuses, 1.6 sampledValue dicts, 1.6 stop reasons); a 2.x layer translates
them.

Handlers answer synchronously and never await a call of their own: the receive loop awaits
each handler before it reads the next frame, so awaiting a CALL's answer inside a handler
would deadlock. Follow-up messages are sent from `@after` hooks through `sim.spawn` (a task
the simulator keeps a reference to and cancels on close).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol
import uuid

from ocpp import routing
from ocpp.charge_point import ChargePoint
from websockets.exceptions import ConnectionClosed

from simulator.habits import Habit
from simulator.link import WIRE_LOGGER

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

    from simulator.charger import ChargerSimulator
    from simulator.model import TransactionId

# How long a repeated message (habit duplicate_after_lost_reply) waits for its second answer.
REPEAT_TIMEOUT = 5.0
# 1.6 vocabulary of the simulator's primitives -> the 2.x TransactionEvent eventType they send.
EVENT_TYPES: dict[str, str] = {"StartTransaction": "Started", "StopTransaction": "Ended"}


def repeats(selector: str, payload: Any) -> bool:
    """True if `payload` (a library call dataclass) is the message `selector` names.

    `selector` is an action name; StartTransaction / StopTransaction also name the 2.x
    TransactionEvent Started / Ended they become.
    """
    action = type(payload).__name__
    if action == selector:
        return True
    return action == "TransactionEvent" and getattr(payload, "event_type", None) == (
        EVENT_TYPES.get(selector)
    )


def is_answer(message: str) -> bool:
    """True for a CALLRESULT or CALLERROR frame ([3, ...] / [4, ...])."""
    return message.lstrip("[ \t\r\n")[:1] in {"3", "4"}


def on[F: Callable[..., Any]](action: str) -> Callable[[F], F]:
    """`ocpp.routing.on`, typed even where mypy runs without the repo's `typings/` stubs."""
    decorator: Callable[[F], F] = routing.on(action)
    return decorator


def after[F: Callable[..., Any]](action: str) -> Callable[[F], F]:
    """`ocpp.routing.after`, typed like `on`."""
    decorator: Callable[[F], F] = routing.after(action)
    return decorator


class ProtocolLayer(Protocol):
    """The calls `ChargerSimulator`'s primitives make on the layer of the current connection.

    Timestamps arrive formatted (`model.utc_timestamp`); energies in Wh as floats (1.6 rounds
    them to its integer fields). Every method returns the CSMS's answer (the library's
    `call_result` dataclass of the message sent, or of the last one when it sends several).
    """

    pending: set[str]

    async def route_message(self, raw_msg: str) -> None:
        """Handle one incoming frame."""

    async def request(self, payload: Any) -> Any:
        """Send any call of the layer's version (see `SimulatorChargePoint.request`)."""

    async def boot(self, reason: str | None) -> Any:
        """BootNotification; `.status` and `.interval` of the answer are read."""

    async def heartbeat(self) -> Any:
        """Heartbeat."""

    async def status_notification(
        self,
        connector_id: int,
        status: str,
        error_code: str,
        info: str | None,
        vendor_error_code: str | None,
        timestamp: str,
    ) -> Any:
        """Report a (1.6) connector status."""

    async def authorize(self, id_tag: str) -> Any:
        """Authorize; the answer carries `.id_tag_info` (a dict with "status")."""

    async def start_transaction(
        self,
        connector_id: int,
        id_tag: str,
        meter_start_wh: float,
        timestamp: str,
        *,
        offline: bool = False,
    ) -> tuple[TransactionId, Any]:
        """Start a transaction; returns its id and the answer (with `.id_tag_info`)."""

    async def meter_values(
        self,
        connector_id: int,
        meter_value: list[dict[str, Any]],
        transaction_id: TransactionId | None,
        *,
        offline: bool = False,
    ) -> Any:
        """Report meter values given as 1.6 meterValue dicts."""

    async def stop_transaction(
        self,
        connector_id: int,
        transaction_id: TransactionId,
        meter_stop_wh: float,
        timestamp: str,
        reason: str | None,
        id_tag: str | None,
        transaction_data: list[dict[str, Any]] | None,
        *,
        offline: bool = False,
    ) -> Any:
        """End a transaction; the answer carries `.id_tag_info` (dict or None)."""

    async def data_transfer(self, vendor_id: str, message_id: str | None, data: str | None) -> Any:
        """DataTransfer."""


class SimulatorChargePoint(ChargePoint):  # type: ignore[misc]  # ocpp ships no type information
    """Base of every layer: binds to the simulator and sends calls that fail fast.

    Concrete layers list a version's ChargePoint (`ocpp.v16.ChargePoint`, ...) as their second
    base, which supplies the version's call modules and schema version.
    """

    def __init__(
        self,
        sim: ChargerSimulator,
        connection: ClientConnection,
        disconnected: asyncio.Future[None],
    ) -> None:
        """Bind to the simulator whose state the handlers use and to its connection."""
        super().__init__(
            sim.config.charge_point_id,
            connection,
            response_timeout=sim.config.response_timeout,
            logger=WIRE_LOGGER,
        )
        self.sim = sim
        # Unique ids of our CALLs still awaiting an answer: the receive loop hands only those
        # answers to the library, so stray ones (e.g. to send_raw) reach next_raw() instead.
        self.pending: set[str] = set()
        self._disconnected = disconnected

    async def request(self, payload: Any) -> Any:
        """Send a CALL and return the parsed CALLRESULT.

        Raises `ocpp.exceptions.OCPPError` for a CALLERROR, `TimeoutError` after the
        response timeout and `ConnectionError` when the connection is or goes down (the
        library alone would wait for the full timeout). Habit `duplicate_after_lost_reply`:
        the message `SimulatorConfig.duplicate_message` names goes out a second time with
        the same message id, as a charger that lost the answer does (see `_repeat`).
        """
        unique_id = str(uuid.uuid4())
        self.pending.add(unique_id)
        pending_call = asyncio.ensure_future(
            self.call(payload, suppress=False, unique_id=unique_id)
        )
        try:
            await asyncio.wait(
                (pending_call, self._disconnected), return_when=asyncio.FIRST_COMPLETED
            )
            if not pending_call.done():
                action = type(payload).__name__
                raise ConnectionError(f"{self.id}: connection closed awaiting {action} answer")
            result = pending_call.result()
            config = self.sim.config
            if config.has(Habit.DUPLICATE_AFTER_LOST_REPLY) and repeats(
                config.duplicate_message, payload
            ):
                repeated = await self._repeat(payload, unique_id)
                result = result if repeated is None else repeated
            return result
        except ConnectionClosed as err:
            # Sending on a closed socket: report it like any other lost connection.
            raise ConnectionError(f"{self.id}: connection closed") from err
        finally:
            self.pending.discard(unique_id)
            pending_call.cancel()

    async def _repeat(self, payload: Any, unique_id: str) -> Any:
        """Send `payload` again with message id `unique_id`; return the second answer or None.

        Charger simulators and firmware in the field that miss the answer (or time out too
        early) repeat the message unchanged, typically the stop of a transaction; the second
        answer, if the CSMS sends one within REPEAT_TIMEOUT, is the one the charger sees.
        A CALLERROR to the repeat counts as no answer.
        """
        repeat = asyncio.ensure_future(self.call(payload, suppress=True, unique_id=unique_id))
        done, _ = await asyncio.wait(
            (repeat, self._disconnected),
            timeout=min(REPEAT_TIMEOUT, self.sim.config.response_timeout),
            return_when=asyncio.FIRST_COMPLETED,
        )
        if repeat in done and repeat.exception() is None:
            return repeat.result()
        repeat.cancel()
        return None

    async def _send(self, message: str) -> None:
        """Write a frame (the library's single write path) and record it in `sent_frames`.

        Habit `slow_answers`: answers to the CSMS's calls wait a delay drawn from
        `SimulatorConfig.answer_delay` first, as real chargers (flash writes, slow modems)
        answer after 100 ms to 3 s. The receive loop waits with them, as a single-threaded
        firmware does.
        """
        config = self.sim.config
        if config.has(Habit.SLOW_ANSWERS) and is_answer(message):
            low, high = config.answer_delay
            await asyncio.sleep(self.sim.rng.uniform(low, high))
        self.sim.sent_frames.append(message)
        await super()._send(message)
