"""The TLS port of a central system (wss://, security profiles 2 and 3), beside the plain one.

Chargers move to it one by one (the security wizard), so the plain port stays open for the
others. Its certificate comes from the local authority (`tls`) unless the user gives their
own files; it restarts when its options change, without touching the plain port.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
import socket
from typing import Any, Final
from urllib.parse import urlsplit

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import (
    CONF_HOST,
    CONF_TLS_CERTIFICATE,
    CONF_TLS_KEY,
    CONF_TLS_MIN_VERSION,
    CONF_TLS_PORT,
    CONF_TRANSFER_URL,
    DOMAIN,
    LOGGER,
)
from .server import Admission, CentralServer, ConnectionHandler
from .tls import TLS_FOLDER, LocalAuthority, OwnCertificate, TlsVersion, server_context
from .transfer import known_base_url

WEAK_TLS_ISSUE: Final = "weak_tls"
TLS_UNAVAILABLE_ISSUE: Final = "tls_unavailable"
_TLS_OPTIONS: Final = (CONF_TLS_PORT, CONF_TLS_MIN_VERSION, CONF_TLS_CERTIFICATE, CONF_TLS_KEY)


class SecurePort:
    """The wss listener of one central system and the authority behind it."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        options: Callable[[], Mapping[str, Any]],
        data: Mapping[str, Any],
        handler: ConnectionHandler,
        admission: Admission,
    ) -> None:
        """Nothing listens until `async_start`."""
        self._hass = hass
        self._entry_id = entry_id
        self._options = options
        self._data = data
        self._handler = handler
        self._admission = admission
        self.authority = LocalAuthority(Path(hass.config.path(TLS_FOLDER)) / entry_id)
        self._server: CentralServer | None = None
        self._started_with: tuple[Any, ...] | None = None

    @property
    def enabled(self) -> bool:
        """Whether a TLS port is configured."""
        return bool(self._options().get(CONF_TLS_PORT))

    @property
    def port(self) -> int | None:
        """The bound TLS port, None when off."""
        return None if self._server is None else self._server.port

    @property
    def uses_own_certificate(self) -> bool:
        """Whether the user supplies the server certificate (chargers then trust its CA)."""
        return bool(self._options().get(CONF_TLS_CERTIFICATE))

    def _settings(self) -> tuple[Any, ...]:
        options = self._options()
        return tuple(options.get(key) for key in _TLS_OPTIONS)

    def host_for_chargers(self) -> str:
        """The host name or address chargers reach Home Assistant at."""
        url = known_base_url(self._hass, self._options().get(CONF_TRANSFER_URL))
        host = urlsplit(url).hostname
        if host:
            return host
        configured = str(self._data[CONF_HOST])
        return configured if configured not in ("0.0.0.0", "::") else "127.0.0.1"

    def url(self) -> str | None:
        """The wss URL chargers connect to (their id appended), None when off."""
        port = self.port
        return None if port is None else f"wss://{self.host_for_chargers()}:{port}/"

    def _hostnames(self) -> set[str]:
        """Names the server certificate must be valid for."""
        names = {"localhost", "127.0.0.1", socket.gethostname(), self.host_for_chargers()}
        configured = str(self._data[CONF_HOST])
        if configured not in ("0.0.0.0", "::"):
            names.add(configured)
        return {name for name in names if name}

    async def async_start(self) -> None:
        """Listen on the TLS port if one is set (a failure is a repair issue, not fatal)."""
        self._started_with = settings = self._settings()
        port, min_version, certificate, key = settings
        self._update_weak_tls_issue(min_version)
        if not port:
            ir.async_delete_issue(self._hass, DOMAIN, self._issue_id(TLS_UNAVAILABLE_ISSUE))
            return
        own = OwnCertificate(Path(certificate), Path(key)) if certificate and key else None
        try:
            context = await self._hass.async_add_executor_job(
                server_context,
                self.authority,
                self._hostnames(),
                str(min_version or TlsVersion.TLS_1_2),
                own,
            )
            server = CentralServer(
                str(self._data[CONF_HOST]), int(port), self._handler, self._admission, context
            )
            await server.start()
        except (OSError, ValueError) as err:
            LOGGER.error("Cannot listen for TLS connections on port %s: %s", port, err)
            ir.async_create_issue(
                self._hass,
                DOMAIN,
                self._issue_id(TLS_UNAVAILABLE_ISSUE),
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key=TLS_UNAVAILABLE_ISSUE,
                translation_placeholders={"port": str(port), "error": str(err)},
            )
            return
        ir.async_delete_issue(self._hass, DOMAIN, self._issue_id(TLS_UNAVAILABLE_ISSUE))
        self._server = server
        LOGGER.info("Listening for TLS charger connections on port %s", server.port)

    async def async_stop(self) -> None:
        """Close the TLS port."""
        if self._server is not None:
            await self._server.stop()
            self._server = None

    async def async_options_updated(self) -> None:
        """Restart the TLS port when its options changed."""
        if self._settings() == self._started_with:
            return
        await self.async_stop()
        await self.async_start()

    async def async_root_certificate(self) -> str:
        """The local authority's root certificate (created on first use)."""
        return await self._hass.async_add_executor_job(self.authority.root_certificate_pem)

    def _issue_id(self, kind: str) -> str:
        return f"{kind}_{self._entry_id}"

    def _update_weak_tls_issue(self, min_version: Any) -> None:
        issue_id = self._issue_id(WEAK_TLS_ISSUE)
        if min_version != TlsVersion.LEGACY:
            ir.async_delete_issue(self._hass, DOMAIN, issue_id)
            return
        LOGGER.warning("TLS 1.0 and 1.1 are allowed for chargers; they are no longer secure")
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=WEAK_TLS_ISSUE,
        )
