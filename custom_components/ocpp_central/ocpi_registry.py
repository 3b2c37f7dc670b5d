"""OCPI tokens and the registered platform of a central system (the credentials module's state).

Token A is the one-time registration token the owner hands to a platform; the platform's own
token (B) and the token we issue (C) replace it once it registered. See `ocpi` for the
endpoints.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import asdict, dataclass, field
import secrets
from typing import Any, Final

from aiohttp import ClientError, ClientTimeout
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.storage import Store

from .const import DOMAIN, LOGGER
from .ocpi_objects import VERSION

CONF_OCPI_ENABLED: Final = "ocpi_enabled"
CONF_OCPI_PARTY_ID: Final = "ocpi_party_id"
DEFAULT_PARTY_ID: Final = "OCC"
_TIMEOUT: Final = ClientTimeout(total=15)


@dataclass(slots=True)
class Registration:
    """The platform registered with us (credentials module)."""

    token_b: str
    token_c: str
    versions_url: str
    country_code: str
    party_id: str
    endpoints: dict[str, str] = field(default_factory=dict)


class OcpiHub:
    """Tokens and the registered platform of one central system (stored)."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Nothing loaded yet."""
        self._store: Store[dict[str, Any]] = Store(hass, 1, f"{DOMAIN}.{entry_id}.ocpi")
        self.token_a = ""
        self.registration: Registration | None = None

    async def async_load(self) -> None:
        """Read the tokens; a first start makes a registration token."""
        data = await self._store.async_load() or {}
        self.token_a = str(data.get("token_a") or "")
        stored = data.get("registration")
        self.registration = Registration(**stored) if isinstance(stored, dict) else None
        if not self.token_a and self.registration is None:
            self.new_registration_token()

    def new_registration_token(self) -> str:
        """A new token A (the old one stops working)."""
        self.token_a = secrets.token_urlsafe(24)
        self._save()
        return self.token_a

    def _save(self) -> None:
        self._store.async_delay_save(
            lambda: {
                "token_a": self.token_a,
                "registration": None if self.registration is None else asdict(self.registration),
            },
            1,
        )

    def authenticated(self, token: str | None) -> str | None:
        """Which token was presented: "A", "C", or None when neither."""
        if not token:
            return None
        if self.registration is not None and secrets.compare_digest(
            token, self.registration.token_c
        ):
            return "C"
        if self.token_a and secrets.compare_digest(token, self.token_a):
            return "A"
        return None

    async def async_register(
        self, hass: HomeAssistant, body: dict[str, Any], own: dict[str, Any]
    ) -> dict[str, Any]:
        """Take a platform's credentials, read its endpoints, answer with ours (token C).

        Raises ValueError for malformed credentials and ConnectionError when the platform's
        versions cannot be read with its token.
        """
        token_b = body.get("token")
        url = body.get("url")
        roles = body.get("roles")
        if not isinstance(token_b, str) or not isinstance(url, str) or not roles:
            raise ValueError("token, url and roles are required")
        role = roles[0] if isinstance(roles, list) and isinstance(roles[0], dict) else {}
        endpoints = await _platform_endpoints(hass, url, token_b)
        self.registration = Registration(
            token_b=token_b,
            token_c=secrets.token_urlsafe(24),
            versions_url=url,
            country_code=str(role.get("country_code", ""))[:2],
            party_id=str(role.get("party_id", ""))[:3],
            endpoints=endpoints,
        )
        # Token A is for registering once; from now on only token C opens the modules.
        self.token_a = ""
        self._save()
        LOGGER.info("OCPI platform %s registered", url)
        return {**own, "token": self.registration.token_c}

    def unregister(self) -> bool:
        """Forget the platform (it asked); a new token A allows registering again."""
        if self.registration is None:
            return False
        self.registration = None
        self.new_registration_token()
        return True


async def _platform_endpoints(hass: HomeAssistant, url: str, token: str) -> dict[str, str]:
    """The platform's 2.2.1 endpoints, read with its token B."""
    session = async_get_clientsession(hass)
    headers = {"Authorization": f"Token {_encode(token)}"}
    try:
        async with session.get(url, headers=headers, timeout=_TIMEOUT) as response:
            versions = (await response.json()).get("data") or []
        detail_url = next(str(v["url"]) for v in versions if v.get("version") == VERSION)
        async with session.get(detail_url, headers=headers, timeout=_TIMEOUT) as response:
            details = (await response.json()).get("data") or {}
    except (ClientError, TimeoutError, ValueError, KeyError, StopIteration, AttributeError) as err:
        raise ConnectionError(f"cannot read the platform's versions at {url}: {err!r}") from err
    return {
        str(endpoint["identifier"]): str(endpoint["url"])
        for endpoint in details.get("endpoints", [])
        if isinstance(endpoint, dict) and "identifier" in endpoint and "url" in endpoint
    }


def _encode(token: str) -> str:
    return base64.b64encode(token.encode()).decode()


def presented_token(header: str | None) -> str | None:
    """The token of an `Authorization: Token ...` header (2.2.1 base64, or plain as 2.1.1)."""
    if not header or not header.startswith("Token "):
        return None
    value = header[len("Token ") :].strip()
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return value
    return decoded or value
