"""OCPI 2.2.1 CPO endpoints: tokens, the credentials handshake, modules, envelope, pagination."""

from __future__ import annotations

import base64
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.ocpp_central.const import CONF_AUTO_ACCEPT, CONF_HEARTBEAT_INTERVAL
from custom_components.ocpp_central.ocpi_objects import MAX_LIMIT, paginate
from custom_components.ocpp_central.ocpi_registry import CONF_OCPI_ENABLED, presented_token
from custom_components.ocpp_central.tariff import CONF_PRICE, CONF_SESSION_FEE

from .helpers import smart_charger, wait_until

OPTIONS = {
    CONF_AUTO_ACCEPT: True,
    CONF_HEARTBEAT_INTERVAL: 300,
    CONF_OCPI_ENABLED: True,
    CONF_PRICE: 0.3,
    CONF_SESSION_FEE: 1.0,
}
PLATFORM = "https://platform.example/ocpi"
TOKEN_B = "platform-token-b"
# Fields OCPI 2.2.1 requires of a Location, an EVSE and a Session.
LOCATION_FIELDS = {
    "country_code", "party_id", "id", "publish", "address", "city", "country",
    "coordinates", "time_zone", "last_updated",
}  # fmt: skip
EVSE_FIELDS = {"uid", "status", "connectors", "last_updated"}
SESSION_FIELDS = {
    "country_code", "party_id", "id", "start_date_time", "kwh", "cdr_token", "auth_method",
    "location_id", "evse_uid", "connector_id", "currency", "status", "last_updated",
}  # fmt: skip


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}


def _check_envelope(body: dict[str, Any], code: int = 1000) -> Any:
    assert body["status_code"] == code
    assert body["timestamp"].endswith("Z")
    return body.get("data")


@pytest.mark.parametrize("options", [OPTIONS])
async def test_ocpi_handshake_and_modules(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    hass_client_no_auth: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    options: dict[str, Any],
) -> None:
    """A platform registers with token A, then reads locations, sessions, CDRs and tariffs."""
    client = await hass_client_no_auth()
    base = f"/api/ocpp_central/ocpi/{central.entry_id}"
    token_a = central.runtime_data.ocpi.token_a
    assert len(token_a) >= 24

    # No token, a wrong one: 401 in the OCPI envelope.
    response = await client.get(f"{base}/versions")
    assert response.status == 401
    _check_envelope(await response.json(), 2000)
    response = await client.get(f"{base}/versions", headers=_auth("guess"))
    assert response.status == 401
    # Token A opens versions and credentials, not the modules.
    response = await client.get(f"{base}/versions", headers=_auth(token_a))
    versions = _check_envelope(await response.json())
    assert versions[0]["version"] == "2.2.1"
    response = await client.get(f"{base}/2.2.1", headers=_auth(token_a))
    details = _check_envelope(await response.json())
    identifiers = {endpoint["identifier"] for endpoint in details["endpoints"]}
    assert identifiers == {"credentials", "locations", "sessions", "cdrs", "tariffs"}
    response = await client.get(f"{base}/2.2.1/locations", headers=_auth(token_a))
    assert response.status == 401

    # The handshake: we read the platform's versions with its token B, answer token C.
    aioclient_mock.get(
        f"{PLATFORM}/versions",
        json={"status_code": 1000, "data": [{"version": "2.2.1", "url": f"{PLATFORM}/2.2.1"}]},
    )
    aioclient_mock.get(
        f"{PLATFORM}/2.2.1",
        json={
            "status_code": 1000,
            "data": {
                "version": "2.2.1",
                "endpoints": [
                    {"identifier": "cdrs", "role": "RECEIVER", "url": f"{PLATFORM}/cdrs"}
                ],
            },
        },
    )
    credentials = {
        "token": TOKEN_B,
        "url": f"{PLATFORM}/versions",
        "roles": [
            {
                "role": "EMSP",
                "party_id": "EMP",
                "country_code": "NL",
                "business_details": {"name": "Platform"},
            }
        ],
    }
    response = await client.post(
        f"{base}/2.2.1/credentials", json=credentials, headers=_auth(token_a)
    )
    answer = _check_envelope(await response.json())
    token_c = answer["token"]
    assert token_c != token_a
    assert answer["roles"][0]["role"] == "CPO"
    assert answer["url"].endswith(f"{base}/versions")
    calls = [(str(url), headers) for _method, url, _data, headers in aioclient_mock.mock_calls]
    assert calls[0][0] == f"{PLATFORM}/versions"
    assert presented_token(calls[0][1]["Authorization"]) == TOKEN_B
    registration = central.runtime_data.ocpi.registration
    assert registration is not None
    assert registration.endpoints == {"cdrs": f"{PLATFORM}/cdrs"}
    # Token A no longer works; registering twice is refused.
    response = await client.get(f"{base}/versions", headers=_auth(token_a))
    assert response.status == 401
    response = await client.post(
        f"{base}/2.2.1/credentials", json=credentials, headers=_auth(token_c)
    )
    assert response.status == 405

    # Modules with token C.
    sim = await smart_charger(hass, central, make_simulator)
    await sim.status(1, "Charging")
    transaction_id = await sim.start_transaction(1, meter_start_wh=1000)
    await sim.meter_values(1, [{"value": "3000", "unit": "Wh"}], transaction_id)
    await hass.async_block_till_done()
    response = await client.get(f"{base}/2.2.1/locations", headers=_auth(token_c))
    assert response.headers["X-Total-Count"] == "1"
    [location] = _check_envelope(await response.json())
    assert set(location) >= LOCATION_FIELDS
    [evse] = location["evses"]
    assert set(evse) >= EVSE_FIELDS
    assert evse["status"] == "CHARGING"
    response = await client.get(f"{base}/2.2.1/locations/HOME", headers=_auth(token_c))
    assert _check_envelope(await response.json())["id"] == "HOME"
    response = await client.get(f"{base}/2.2.1/locations/ELSEWHERE", headers=_auth(token_c))
    assert response.status == 404
    _check_envelope(await response.json(), 2003)
    response = await client.get(f"{base}/2.2.1/sessions", headers=_auth(token_c))
    [running] = _check_envelope(await response.json())
    assert set(running) >= SESSION_FIELDS
    assert running["kwh"] == 2.0
    assert running["total_cost"]["excl_vat"] == pytest.approx(2 * 0.3 + 1.0)
    await sim.stop_transaction(1)
    await wait_until(hass, lambda: len(central.runtime_data.history.records) == 1)
    response = await client.get(f"{base}/2.2.1/cdrs", headers=_auth(token_c))
    [cdr] = _check_envelope(await response.json())
    assert cdr["total_energy"] == 2.0
    response = await client.get(f"{base}/2.2.1/tariffs", headers=_auth(token_c))
    [tariff] = _check_envelope(await response.json())
    types = [c["type"] for c in tariff["elements"][0]["price_components"]]
    assert types == ["ENERGY", "FLAT"]
    response = await client.get(
        f"{base}/2.2.1/cdrs", params={"offset": "x"}, headers=_auth(token_c)
    )
    assert response.status == 400
    _check_envelope(await response.json(), 2001)
    response = await client.put(f"{base}/2.2.1/locations", headers=_auth(token_c))
    assert response.status == 405

    # The platform unregisters: a new token A lets it register again.
    response = await client.delete(f"{base}/2.2.1/credentials", headers=_auth(token_c))
    assert response.status == 200
    assert central.runtime_data.ocpi.registration is None
    assert central.runtime_data.ocpi.token_a


def test_pagination_and_filters() -> None:
    """Pages are cut by offset and limit; date_from / date_to filter on last_updated."""
    from datetime import UTC, datetime

    items = [{"id": str(n), "last_updated": f"2026-01-{n + 1:02d}T00:00:00Z"} for n in range(10)]
    page = paginate(items, 2, 3)
    assert [item["id"] for item in page.items] == ["2", "3", "4"]
    assert (page.total, page.next_offset) == (10, 5)
    assert paginate(items, 9, 3).next_offset is None
    assert paginate(items, 0, 10_000).limit == MAX_LIMIT
    since = paginate(items, 0, 50, date_from=datetime(2026, 1, 5, tzinfo=UTC))
    assert [item["id"] for item in since.items] == ["4", "5", "6", "7", "8", "9"]
    until = paginate(items, 0, 50, date_to=datetime(2026, 1, 3, tzinfo=UTC))
    assert [item["id"] for item in until.items] == ["0", "1"]


@pytest.mark.parametrize("options", [OPTIONS])
async def test_pagination_headers(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    hass_client_no_auth: ClientSessionGenerator,
    options: dict[str, Any],
) -> None:
    """A page short of the total links to the next one."""
    runtime = central.runtime_data
    runtime.ocpi.registration = None
    sim = await smart_charger(hass, central, make_simulator)
    for number in range(3):
        await sim.status(1, "Charging")
        transaction_id = await sim.start_transaction(1, meter_start_wh=1000 * number)
        await sim.meter_values(
            1, [{"value": f"{1000 * number + 500}", "unit": "Wh"}], transaction_id
        )
        await sim.stop_transaction(1)
    await wait_until(hass, lambda: len(runtime.history.records) == 3)
    # Register directly (the handshake is tested above).
    from custom_components.ocpp_central.ocpi_registry import Registration

    runtime.ocpi.registration = Registration("b", "token-c", PLATFORM, "NL", "EMP")
    client = await hass_client_no_auth()
    base = f"/api/ocpp_central/ocpi/{central.entry_id}/2.2.1/cdrs"
    response = await client.get(base, params={"limit": "2"}, headers=_auth("token-c"))
    assert response.headers["X-Total-Count"] == "3"
    assert response.headers["X-Limit"] == "2"
    assert 'rel="next"' in response.headers["Link"]
    assert "offset=2" in response.headers["Link"]
    assert len(_check_envelope(await response.json())) == 2
    response = await client.get(
        base, params={"offset": "2", "limit": "2"}, headers=_auth("token-c")
    )
    assert "Link" not in response.headers


async def test_ocpi_off_and_options(
    hass: HomeAssistant, central: MockConfigEntry, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Off by default (404); the options step turns it on and makes a new token."""
    client = await hass_client_no_auth()
    token_a = central.runtime_data.ocpi.token_a
    base = f"/api/ocpp_central/ocpi/{central.entry_id}/versions"
    assert (await client.get(base, headers=_auth(token_a))).status == 404
    result = await hass.config_entries.options.async_init(central.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "ocpi"}
    )
    assert result["description_placeholders"]["token"] == token_a
    assert result["description_placeholders"]["url"].endswith(base)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"ocpi_enabled": True, "ocpi_party_id": "abc", "new_token": True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert central.options["ocpi_party_id"] == "ABC"
    new_token = central.runtime_data.ocpi.token_a
    assert new_token != token_a
    assert (await client.get(base, headers=_auth(token_a))).status == 401
    assert (await client.get(base, headers=_auth(new_token))).status == 200
    assert (await client.get("/api/ocpp_central/ocpi/unknown/versions")).status == 404


@pytest.mark.parametrize("options", [OPTIONS])
async def test_ocpi_refuses_what_the_state_does_not_allow(
    hass: HomeAssistant,
    central: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    options: dict[str, Any],
) -> None:
    """Unknown versions, modules before registering, and credentials calls out of turn."""
    client = await hass_client_no_auth()
    base = f"/api/ocpp_central/ocpi/{central.entry_id}"
    token_a = _auth(central.runtime_data.ocpi.token_a)
    response = await client.get(f"{base}/2.1.1", headers=token_a)
    assert response.status == 404
    _check_envelope(await response.json(), 2000)
    # Token A opens versions and credentials only.
    response = await client.get(f"{base}/2.2.1/cdrs", headers=token_a)
    assert response.status == 401
    response = await client.get(f"{base}/2.2.1/credentials", headers=token_a)
    assert _check_envelope(await response.json())["token"] == (central.runtime_data.ocpi.token_a)
    # Not registered: nothing to unregister or update.
    response = await client.delete(f"{base}/2.2.1/credentials", headers=token_a)
    assert response.status == 405
    response = await client.put(f"{base}/2.2.1/credentials", headers=token_a, json={})
    assert response.status == 405
    # A registration without the platform's token and versions URL is refused, in OCPI terms.
    response = await client.post(f"{base}/2.2.1/credentials", headers=token_a, json={})
    assert response.status == 400
    _check_envelope(await response.json(), 2001)
    response = await client.post(f"{base}/2.2.1/credentials", headers=token_a, data="not json")
    assert response.status == 400
