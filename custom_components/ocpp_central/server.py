"""The websocket listener: validates charger ids, negotiates the OCPP version, hands off."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from http import HTTPStatus
import ipaddress
import logging
from typing import Any, Final, override
from urllib.parse import unquote, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import NegotiationError
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from .const import LOGGER, MAX_CHARGE_POINT_ID_LENGTH, MAX_WEBSOCKET_MESSAGE_BYTES
from .log_throttle import LogThrottle
from .protocol import DEFAULT_VERSION, SUBPROTOCOLS

# Pings find dead TCP connections (chargers on flaky mobile links) within two minutes.
PING_INTERVAL: Final = 60.0
PING_TIMEOUT: Final = 60.0

type ConnectionHandler = Callable[[ServerConnection, str, str], Awaitable[None]]


class QuietHandshakeLogger(logging.LoggerAdapter[logging.Logger]):
    """The websockets library's logger, with failed handshakes at DEBUG without a traceback.

    Every TCP connection that never completes a websocket handshake (port scans, health
    checks, a charger that gives up) would otherwise log an ERROR with a 30-line traceback.
    """

    @override
    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if msg == "opening handshake failed" and level > logging.DEBUG:
            level = logging.DEBUG
            kwargs["exc_info"] = False
        super().log(level, msg, *args, **kwargs)

    @override
    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        return msg, kwargs


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _remote_host(connection: ServerConnection) -> str:
    remote = connection.remote_address
    return str(remote[0]) if remote else ""


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
        *,
        log_throttle: LogThrottle,
        max_connections_per_address: Callable[[], int],
    ) -> None:
        """Listen on host:port, pass each charger to `handler`.

        `pinned_version` and `max_connections_per_address` (0: no limit) are read live, so
        option changes need no restart.
        """
        self._pinned_version = pinned_version
        self._log_throttle = log_throttle
        self._max_per_address = max_connections_per_address
        self._connections: Counter[str] = Counter()
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
            logger=QuietHandshakeLogger(LOGGER.getChild("websocket")),
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
        self, connection: ServerConnection, offered: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        try:
            return select_subprotocol(offered, self._pinned_version())
        except NegotiationError as err:
            self._refused(connection, "offered no OCPP version we accept", str(err))
            raise

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        try:
            charge_point_id = charge_point_id_from_path(request.path)
        except UnicodeDecodeError:
            charge_point_id = None
        if charge_point_id is None:
            self._refused(connection, "named an invalid charger id", repr(request.path[:100]))
            return connection.respond(HTTPStatus.NOT_FOUND, "Invalid charge point id\n")
        host = _remote_host(connection)
        limit = self._max_per_address()
        if limit and self._connections[host] >= limit and not _is_loopback(host):
            self._refused(connection, "opened too many connections", f"the limit is {limit}")
            return connection.respond(
                HTTPStatus.TOO_MANY_REQUESTS, "Too many connections from this address\n"
            )
        return None

    def _refused(self, connection: ServerConnection, kind: str, detail: str) -> None:
        self._log_throttle.report(
            logging.WARNING, f"Connection from {_remote_host(connection)}", kind, detail
        )

    async def _handle(self, connection: ServerConnection) -> None:
        request = connection.request
        assert request is not None
        charge_point_id = charge_point_id_from_path(request.path)
        assert charge_point_id is not None
        version = SUBPROTOCOLS.get(connection.subprotocol or "", DEFAULT_VERSION)
        host = _remote_host(connection)
        self._connections[host] += 1
        try:
            await self._handler(connection, charge_point_id, version)
        finally:
            self._connections[host] -= 1
            if self._connections[host] <= 0:
                del self._connections[host]
