"""The websocket listener: validates charger ids, negotiates the OCPP version, hands off."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from http import HTTPStatus
from typing import Final
from urllib.parse import unquote, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import NegotiationError
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from .const import LOGGER, MAX_CHARGE_POINT_ID_LENGTH, MAX_WEBSOCKET_MESSAGE_BYTES
from .protocol import DEFAULT_VERSION, SUBPROTOCOLS

# Pings find dead TCP connections (chargers on flaky mobile links) within two minutes.
PING_INTERVAL: Final = 60.0
PING_TIMEOUT: Final = 60.0

type ConnectionHandler = Callable[[ServerConnection, str, str], Awaitable[None]]


def charge_point_id_from_path(path: str) -> str | None:
    """Return the charger id (the last path segment, URL-decoded), or None if unacceptable.

    Ids are 1-48 printable characters without "/" or ".." so they are safe in logs, file
    names and HA unique ids.
    """
    segment = urlsplit(path).path.rsplit("/", 1)[-1]
    charge_point_id = unquote(segment, errors="strict") if "%" in segment else segment
    if not 0 < len(charge_point_id) <= MAX_CHARGE_POINT_ID_LENGTH:
        return None
    if "/" in charge_point_id or ".." in charge_point_id or "\\" in charge_point_id:
        return None
    if not charge_point_id.isprintable() or charge_point_id.strip() != charge_point_id:
        return None
    return charge_point_id


def select_subprotocol(offered: Sequence[str], pinned_version: str | None) -> Subprotocol | None:
    """Pick the best OCPP version the charger offers; none offered means OCPP 1.6.

    With a pinned version only that one is accepted. Raises NegotiationError when nothing fits.
    """
    for subprotocol, version in SUBPROTOCOLS.items():
        if subprotocol in offered and pinned_version in (None, version):
            return Subprotocol(subprotocol)
    if offered or pinned_version not in (None, DEFAULT_VERSION):
        raise NegotiationError(f"none of the offered subprotocols {list(offered)} is accepted")
    return None


class CentralServer:
    """One listening socket per central system (config entry)."""

    def __init__(
        self,
        host: str,
        port: int,
        handler: ConnectionHandler,
        pinned_version: Callable[[], str | None],
    ) -> None:
        """Listen on host:port, pass each charger to `handler`; `pinned_version` is read live."""
        self._pinned_version = pinned_version
        self._host = host
        self._port = port
        self._handler = handler
        self._server: Server | None = None

    async def start(self) -> None:
        """Start listening; raises OSError when the address is unavailable."""
        self._server = await serve(
            self._handle,
            self._host,
            self._port,
            process_request=self._process_request,
            select_subprotocol=self._select_subprotocol,
            max_size=MAX_WEBSOCKET_MESSAGE_BYTES,
            # Chargers rarely support permessage-deflate, and it costs CPU per frame.
            compression=None,
            ping_interval=PING_INTERVAL,
            ping_timeout=PING_TIMEOUT,
            logger=LOGGER.getChild("websocket"),
        )

    async def stop(self) -> None:
        """Close every connection and release the port."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    @property
    def port(self) -> int:
        """The bound port (useful when configured as 0)."""
        assert self._server is not None
        return int(next(iter(self._server.sockets)).getsockname()[1])

    def _select_subprotocol(
        self, _connection: ServerConnection, offered: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        try:
            return select_subprotocol(offered, self._pinned_version())
        except NegotiationError as err:
            LOGGER.warning("Refused a charger: %s", err)
            raise

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        try:
            charge_point_id = charge_point_id_from_path(request.path)
        except UnicodeDecodeError:
            charge_point_id = None
        if charge_point_id is None:
            LOGGER.warning(
                "Refused a connection with an invalid charger id in %r", request.path[:100]
            )
            return connection.respond(HTTPStatus.NOT_FOUND, "Invalid charge point id\n")
        return None

    async def _handle(self, connection: ServerConnection) -> None:
        request = connection.request
        assert request is not None
        charge_point_id = charge_point_id_from_path(request.path)
        assert charge_point_id is not None
        version = SUBPROTOCOLS.get(connection.subprotocol or "", DEFAULT_VERSION)
        await self._handler(connection, charge_point_id, version)
