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

from simulator.link import WIRE_LOGGER

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

    from simulator.charger import ChargerSimulator
    from simulator.model import TransactionId


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
        library alone would wait for the full timeout).
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
            return pending_call.result()
        except ConnectionClosed as err:
            # Sending on a closed socket: report it like any other lost connection.
            raise ConnectionError(f"{self.id}: connection closed") from err
        finally:
            self.pending.discard(unique_id)
            pending_call.cancel()
