"""Outgoing calls with every failure surfaced as a version-neutral error."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from ocpp.exceptions import OCPPError, UnknownCallErrorCodeError
from websockets.exceptions import ConnectionClosed

from ..errors import ChargerCallError, ChargerNotConnectedError, ChargerTimeoutError


class CallerMixin:
    """Adds `request`: the library's `call` without its silent failure modes.

    The library returns None on a CALLERROR unless told otherwise and keeps waiting for an
    answer after the socket closed; here a CALLERROR, a timeout or a lost connection each raise
    their own error at once.
    """

    connection_lost: asyncio.Event

    if TYPE_CHECKING:
        # Provided by `RobustRouting` (the `ocpp` library's `call`, validated faster).
        call: Callable[..., Coroutine[Any, Any, Any]]

    def start_requests(self) -> None:
        """Create the connection-lost flag; called once the connection is up."""
        self.connection_lost = asyncio.Event()

    async def request(self, payload: Any) -> Any:
        """Send a CALL and return the charger's CALLRESULT payload object."""
        if self.connection_lost.is_set():
            raise ChargerNotConnectedError
        call_task = asyncio.ensure_future(self.call(payload, suppress=False))
        # A call cancelled because the socket closed may still end with the socket's error.
        call_task.add_done_callback(_consume_exception)
        lost_task = asyncio.ensure_future(self.connection_lost.wait())
        try:
            await asyncio.wait({call_task, lost_task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost_task.cancel()
        if not call_task.done():
            call_task.cancel()
            raise ChargerNotConnectedError
        try:
            return call_task.result()
        except OCPPError as err:
            raise ChargerCallError(err.code, err.description) from err
        except UnknownCallErrorCodeError as err:
            raise ChargerCallError("Unknown", str(err)) from err
        except TimeoutError as err:
            raise ChargerTimeoutError from err
        except ConnectionClosed as err:
            raise ChargerNotConnectedError from err


def _consume_exception(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()
