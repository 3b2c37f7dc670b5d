"""The websocket listener: validates charger ids, negotiates the OCPP version, hands off."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
import ipaddress
import logging
import ssl
import time
from typing import Any, Final, override
from urllib.parse import unquote, urlsplit
import weakref

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import NegotiationError
from websockets.frames import Frame
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from .const import LOGGER, MAX_CHARGE_POINT_ID_LENGTH, MAX_WEBSOCKET_MESSAGE_BYTES
from .log_throttle import LogThrottle
from .protocol import DEFAULT_VERSION, SUBPROTOCOLS
from .redaction import REDACTED
from .security import (
    Credentials,
    FailedAttempts,
    Refusal,
    SecurityProfile,
    Verdict,
    basic_auth_credentials,
)

# Pings find dead TCP connections (chargers on flaky mobile links) within two minutes.
PING_INTERVAL: Final = 60.0
PING_TIMEOUT: Final = 60.0

type ConnectionHandler = Callable[[ServerConnection, str, str, Verdict], Awaitable[None]]
# Decides whether a connection attempt may go on (see `security.check`).
type Authenticator = Callable[[Credentials], Verdict]

_UNAUTHENTICATED: Final = Verdict(SecurityProfile.NONE)
_REFUSAL_TEXT: Final = {
    Refusal.WRONG_PASSWORD: "Wrong password\n",
    Refusal.PASSWORD_REQUIRED: "This charger must send its password\n",
    Refusal.TLS_REQUIRED: "This charger must connect over TLS (wss)\n",
    Refusal.CERTIFICATE_REQUIRED: "This charger must present its client certificate\n",
    Refusal.BLOCKED: "Too many failed attempts\n",
}


_HEADER_LINES: Final = frozenset({"< %s: %s", "> %s: %s"})
_SECRET_HEADERS: Final = frozenset({"authorization", "cookie", "set-cookie"})
_FRAME_LINES: Final = frozenset({"< %s", "> %s"})


class QuietHandshakeLogger(logging.LoggerAdapter[logging.Logger]):
    """The websockets library's logger, quiet about failures and silent about secrets.

    Failed handshakes go to DEBUG without a traceback: every TCP connection that never
    completes a websocket handshake (port scans, health checks, a charger that gives up)
    would otherwise log an ERROR with a 30-line traceback. Its debug lines show neither
    credentials nor frame contents.
    """

    @override
    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if msg == "opening handshake failed" and level > logging.DEBUG:
            level = logging.DEBUG
            kwargs["exc_info"] = False
        elif msg in _HEADER_LINES and len(args) == 2 and str(args[0]).lower() in _SECRET_HEADERS:  # noqa: PLR2004
            # Basic auth credentials are only base64: never in the log.
            args = (args[0], REDACTED)
        elif msg in _FRAME_LINES and len(args) == 1 and isinstance(args[0], Frame):
            # Frame contents are logged (redacted) by the frames logger; an abridged copy
            # here could show the end of a password.
            frame = args[0]
            args = (f"{frame.opcode.name} [{len(frame.data)} bytes]",)
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


def _client_certificate_names(connection: ServerConnection) -> set[str]:
    """Common names of the verified client certificate of a TLS connection (none: empty)."""
    ssl_object = connection.transport.get_extra_info("ssl_object")
    if not isinstance(ssl_object, ssl.SSLObject | ssl.SSLSocket):
        return set()
    certificate = ssl_object.getpeercert()
    if not certificate:
        return set()
    subject: tuple[tuple[tuple[str, str], ...], ...] = certificate.get("subject", ())  # type: ignore[assignment]
    return {str(value) for rdn in subject for key, value in rdn if key == "commonName"}


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


@dataclass(slots=True)
class Admission:
    """What decides whether a connection may go on; shared by a central system's listeners.

    `pinned_version` and `max_connections_per_address` (0: no limit) are read live, so
    option changes need no restart. `authenticate` decides before the websocket upgrade
    whether a charger may connect. Failed attempts and connections are counted per address
    across the plain and the TLS port, so a guesser cannot double its tries.
    """

    pinned_version: Callable[[], str | None]
    max_connections_per_address: Callable[[], int]
    authenticate: Authenticator
    log_throttle: LogThrottle
    failed_attempts: FailedAttempts = field(default_factory=FailedAttempts)
    connections: Counter[str] = field(default_factory=Counter)


class CentralServer:
    """One listening socket (plain or TLS) of a central system (config entry)."""

    def __init__(
        self,
        host: str,
        port: int,
        handler: ConnectionHandler,
        admission: Admission,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """Listen on host:port (TLS with `ssl_context`), pass each charger to `handler`."""
        self._admission = admission
        self._log_throttle = admission.log_throttle
        self._failed_attempts = admission.failed_attempts
        self._connections = admission.connections
        self._ssl_context = ssl_context
        # The verdict on each accepted handshake, until its handler picks it up.
        self._verdicts: weakref.WeakKeyDictionary[ServerConnection, Verdict] = (
            weakref.WeakKeyDictionary()
        )
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
            ssl=self._ssl_context,
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
            return select_subprotocol(offered, self._admission.pinned_version())
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
        limit = self._admission.max_connections_per_address()
        if limit and self._connections[host] >= limit and not _is_loopback(host):
            self._refused(connection, "opened too many connections", f"the limit is {limit}")
            return connection.respond(
                HTTPStatus.TOO_MANY_REQUESTS, "Too many connections from this address\n"
            )
        return self._check_credentials(connection, request, charge_point_id, host)

    def _check_credentials(
        self, connection: ServerConnection, request: Request, charge_point_id: str, host: str
    ) -> Response | None:
        """Refuse (401, or 429 after repeated failures) before the upgrade, or let it go on."""
        now = time.monotonic()
        if self._failed_attempts.blocked(host, now):
            return self._refuse(connection, charge_point_id, Refusal.BLOCKED)
        user_password = basic_auth_credentials(request.headers.get("Authorization"))
        password = None
        if user_password is not None and user_password[0] == charge_point_id:
            password = user_password[1]
        tls = self._ssl_context is not None
        verdict = self._admission.authenticate(
            Credentials(
                charge_point_id,
                password=password,
                tls=tls,
                client_certificate=tls and charge_point_id in _client_certificate_names(connection),
            )
        )
        if verdict.refusal is not None:
            if self._failed_attempts.failed(host, now):
                self._log_throttle.report(
                    logging.WARNING,
                    f"Connection from {host}",
                    "failed to authenticate too often",
                    "its attempts are refused for 5 minutes",
                )
            return self._refuse(connection, charge_point_id, verdict.refusal)
        if password is not None:
            self._failed_attempts.succeeded(host)
        self._verdicts[connection] = verdict
        return None

    def _refuse(
        self, connection: ServerConnection, charge_point_id: str, refusal: Refusal
    ) -> Response:
        self._refused(connection, f"was refused as charger {charge_point_id}", refusal.value)
        if refusal is Refusal.BLOCKED:
            return connection.respond(HTTPStatus.TOO_MANY_REQUESTS, _REFUSAL_TEXT[refusal])
        response = connection.respond(HTTPStatus.UNAUTHORIZED, _REFUSAL_TEXT[refusal])
        response.headers["WWW-Authenticate"] = 'Basic realm="OCPP", charset="UTF-8"'
        return response

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
        verdict = self._verdicts.pop(connection, _UNAUTHENTICATED)
        host = _remote_host(connection)
        self._connections[host] += 1
        try:
            await self._handler(connection, charge_point_id, version, verdict)
        finally:
            self._connections[host] -= 1
            if self._connections[host] <= 0:
                del self._connections[host]
