"""OCPI 2.2.1 CPO endpoints served by Home Assistant (read only): a platform sees the chargers.

An eMSP or roaming platform gets the versions URL and a registration token (token A) from the
options (Configure > OCPI). It registers with the credentials module: it sends its own token
(B) and versions URL, we read its endpoints with token B and answer with token C, which it
uses from then on; token A stops working. Modules: versions, credentials, locations,
sessions, cdrs, tariffs; every answer is in the OCPI envelope, lists are paginated (offset,
limit, date_from, date_to; Link, X-Total-Count and X-Limit headers).
"""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .history import CONF_HOME_CHARGING_COMPENSATION, SessionFilter
from .ocpi_objects import (
    CLIENT_ERROR,
    DEFAULT_LIMIT,
    INVALID_PARAMETERS,
    UNKNOWN_LOCATION,
    VERSION,
    Site,
    cdr,
    envelope,
    location,
    paginate,
    session,
    tariff,
)
from .ocpi_registry import CONF_OCPI_ENABLED, CONF_OCPI_PARTY_ID, DEFAULT_PARTY_ID, presented_token

if TYPE_CHECKING:
    from .central import CentralSystem

OCPI_PATH: Final = f"/api/{DOMAIN}/ocpi"
MODULES: Final = ("credentials", "locations", "sessions", "cdrs", "tariffs")


def _json(data: Any, status: HTTPStatus = HTTPStatus.OK, **kwargs: Any) -> web.Response:
    return web.json_response(envelope(data, **kwargs), status=status)


def _error(status: HTTPStatus, code: int, message: str) -> web.Response:
    return web.json_response(envelope(None, code, message), status=status)


class OcpiView(HomeAssistantView):
    """Every OCPI module of every central system, under /api/ocpp_central/ocpi/<entry>/."""

    url = OCPI_PATH + "/{entry_id}/{path:.*}"
    name = f"api:{DOMAIN}:ocpi"
    # OCPI authenticates with its own tokens, not Home Assistant's.
    requires_auth = False

    async def get(self, request: web.Request, entry_id: str, path: str) -> web.Response:
        """Versions, version details and the read modules."""
        return await self._handle(request, entry_id, path, "GET")

    async def post(self, request: web.Request, entry_id: str, path: str) -> web.Response:
        """Credentials: register."""
        return await self._handle(request, entry_id, path, "POST")

    async def put(self, request: web.Request, entry_id: str, path: str) -> web.Response:
        """Credentials: update (new token C)."""
        return await self._handle(request, entry_id, path, "PUT")

    async def delete(self, request: web.Request, entry_id: str, path: str) -> web.Response:
        """Credentials: unregister."""
        return await self._handle(request, entry_id, path, "DELETE")

    async def _handle(
        self, request: web.Request, entry_id: str, path: str, method: str
    ) -> web.Response:
        hass = request.app[KEY_HASS]
        entry = hass.config_entries.async_get_entry(entry_id)
        central: CentralSystem | None = getattr(entry, "runtime_data", None)
        if entry is None or entry.domain != DOMAIN or central is None:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        if not entry.options.get(CONF_OCPI_ENABLED, False):
            return web.Response(status=HTTPStatus.NOT_FOUND)
        hub = central.ocpi
        which = hub.authenticated(presented_token(request.headers.get("Authorization")))
        if which is None:
            return _error(HTTPStatus.UNAUTHORIZED, CLIENT_ERROR, "Invalid or missing token")
        base = str(request.url.with_path(f"{OCPI_PATH}/{entry_id}").with_query(None))
        parts = [part for part in path.strip("/").split("/") if part]
        if parts in ([], ["versions"]):
            return _json([{"version": VERSION, "url": f"{base}/{VERSION}"}])
        if parts[0] != VERSION:
            return _error(HTTPStatus.NOT_FOUND, CLIENT_ERROR, "Unknown version")
        if len(parts) == 1:
            return _json(
                {
                    "version": VERSION,
                    "endpoints": [
                        {
                            "identifier": module,
                            "role": "SENDER",
                            "url": f"{base}/{VERSION}/{module}",
                        }
                        for module in MODULES
                    ],
                }
            )
        module = parts[1]
        if module == "credentials":
            return await self._credentials(request, central, base, method)
        if which != "C":
            # Token A only opens versions and credentials.
            return _error(HTTPStatus.UNAUTHORIZED, CLIENT_ERROR, "Register first")
        if method != "GET" or module not in MODULES:
            return _error(HTTPStatus.METHOD_NOT_ALLOWED, CLIENT_ERROR, "Not supported")
        return self._module(request, central, module, parts[2:])

    async def _credentials(
        self, request: web.Request, central: CentralSystem, base: str, method: str
    ) -> web.Response:
        hub = central.ocpi
        own = _own_credentials(central, base)
        if method == "GET":
            if hub.registration is None:
                return _json({**own, "token": hub.token_a})
            return _json({**own, "token": hub.registration.token_c})
        if method == "DELETE":
            if not hub.unregister():
                return _error(HTTPStatus.METHOD_NOT_ALLOWED, CLIENT_ERROR, "Not registered")
            return _json(None)
        if method == "POST" and hub.registration is not None:
            return _error(HTTPStatus.METHOD_NOT_ALLOWED, CLIENT_ERROR, "Already registered")
        if method == "PUT" and hub.registration is None:
            return _error(HTTPStatus.METHOD_NOT_ALLOWED, CLIENT_ERROR, "Not registered")
        try:
            body = await request.json()
            answer = await hub.async_register(central.hass, body, own)
        except ValueError as err:
            return _error(HTTPStatus.BAD_REQUEST, INVALID_PARAMETERS, str(err))
        except ConnectionError as err:
            return _error(HTTPStatus.BAD_REQUEST, 3001, str(err))
        return _json(answer)

    def _module(
        self, request: web.Request, central: CentralSystem, module: str, rest: list[str]
    ) -> web.Response:
        site = site_of(central)
        if module == "locations":
            found = location(site, central.chargers.values())
            if rest:
                if rest[0] != site.location_id:
                    return _error(HTTPStatus.NOT_FOUND, UNKNOWN_LOCATION, "Unknown location")
                return _json(found)
            items = [found]
        elif module == "sessions":
            items = [
                session(site, charger, c.transaction, central.tariff.session_cost(c.transaction))
                for charger in central.chargers.values()
                for c in charger.connectors.values()
                if c.transaction is not None
            ]
        elif module == "cdrs":
            compensated = bool(central.entry.options.get(CONF_HOME_CHARGING_COMPENSATION, False))
            items = [
                cdr(record, site, compensated=compensated)
                for record in central.history.sessions(SessionFilter())
            ]
        else:
            items = [
                tariff(
                    site,
                    central.tariff.price_now(),
                    central.tariff.session_fee,
                    dt_util.utcnow().replace(minute=0, second=0, microsecond=0),
                )
            ]
        return _page(request, items)


def _page(request: web.Request, items: list[dict[str, Any]]) -> web.Response:
    query = request.query
    try:
        offset = int(query.get("offset", 0))
        limit = int(query.get("limit", DEFAULT_LIMIT))
        date_from = _parse(query.get("date_from"))
        date_to = _parse(query.get("date_to"))
    except ValueError:
        return _error(HTTPStatus.BAD_REQUEST, INVALID_PARAMETERS, "Invalid parameters")
    page = paginate(items, offset, limit, date_from, date_to)
    response = _json(page.items)
    response.headers["X-Total-Count"] = str(page.total)
    response.headers["X-Limit"] = str(page.limit)
    if (following := page.next_offset) is not None:
        url = request.url.update_query({"offset": str(following), "limit": str(page.limit)})
        response.headers["Link"] = f'<{url}>; rel="next"'
    return response


def _parse(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = dt_util.parse_datetime(value)
    if parsed is None:
        raise ValueError(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt_util.UTC)


def site_of(central: CentralSystem) -> Site:
    """The OCPI party and location of a central system (Home Assistant's home)."""
    config = central.hass.config
    return Site(
        country_code=(config.country or "ZZ").upper()[:2],
        party_id=str(central.entry.options.get(CONF_OCPI_PARTY_ID) or DEFAULT_PARTY_ID)[:3],
        location_id="HOME",
        name=config.location_name,
        latitude=config.latitude,
        longitude=config.longitude,
        time_zone=config.time_zone,
        currency=central.tariff.currency,
    )


def _own_credentials(central: CentralSystem, base: str) -> dict[str, Any]:
    site = site_of(central)
    return {
        "url": f"{base}/versions",
        "roles": [
            {
                "role": "CPO",
                "party_id": site.party_id,
                "country_code": site.country_code,
                "business_details": {"name": site.name[:100]},
            }
        ],
    }
