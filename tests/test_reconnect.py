"""Chargers reconnect all the time: acceptance and the session belong to the charger.

A charger sends BootNotification only after it reboots. After a Wi-Fi drop or a Home
Assistant restart it simply reconnects and goes on; a charger retrying quickly may even open a
second connection before the first one is served.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from custom_components.ocpp_central import central as central_module, session as session_module
from custom_components.ocpp_central.const import CONF_AUTO_ACCEPT

from .conftest import ALL_VERSIONS
from .helpers import state, wait_until
from .test_hostile_input import BOOT, SUBPROTOCOL, RawCharger

AUTHORIZE = {
    "1.6": {"idTag": "RFID1"},
    "2.0.1": {"idToken": {"idToken": "RFID1", "type": "ISO14443"}},
    "2.1": {"idToken": {"idToken": "RFID1", "type": "ISO14443"}},
}


def _authorization_status(version: str, reply: list[Any]) -> str:
    info = reply[2]["idTagInfo" if version == "1.6" else "idTokenInfo"]
    return str(info["status"])


@pytest.fixture
def quick_resume(monkeypatch: pytest.MonkeyPatch) -> None:
    """Catch up with a charger that did not boot after 50 ms instead of seconds."""
    monkeypatch.setattr(session_module, "RESUME_GRACE", 0.05)


@ALL_VERSIONS
async def test_reconnect_without_boot_keeps_the_charger_accepted(
    hass: HomeAssistant,
    central: MockConfigEntry,
    url: str,
    ocpp_version: str,
    quick_resume: None,
) -> None:
    """Tags, sessions and readings of a charger that reconnected without booting are served.

    It used to be treated as not accepted until it happened to reboot: tags Invalid, every
    control "not connected". It is also asked for its status and configured again.
    """
    first = await connect(f"{url}/RC", subprotocols=[SUBPROTOCOL[ocpp_version]])
    charger = RawCharger(first)
    await charger.call("BootNotification", BOOT[ocpp_version])
    await first.close()
    await wait_until(hass, lambda: "RC" not in central.runtime_data.sessions)

    async with connect(f"{url}/RC", subprotocols=[SUBPROTOCOL[ocpp_version]]) as again:
        asked: list[str] = []
        # The central system catches up: configuration, then a fresh StatusNotification.
        async with asyncio.timeout(5):
            while "TriggerMessage" not in asked:
                frame = json.loads(await again.recv())
                assert frame[0] == 2
                asked.append(frame[2])
                await again.send(json.dumps([4, frame[1], "NotSupported", "", {}]))
        assert asked[0] in {"GetConfiguration", "GetBaseReport"}
        charger = RawCharger(again)
        reply = await charger.call("Authorize", AUTHORIZE[ocpp_version])
        assert _authorization_status(ocpp_version, reply) == "Accepted"
        assert central.runtime_data.sessions["RC"].accepted
        assert state(hass, "binary_sensor", "RC_connected").state == "on"


async def test_unapproved_charger_without_boot_is_asked_to_boot(
    hass: HomeAssistant,
    central: MockConfigEntry,
    url: str,
    quick_resume: None,
) -> None:
    """A charger nobody accepted yet that connects without booting gets TriggerMessage."""
    async with connect(f"{url}/STRANGER", subprotocols=["ocpp1.6"]) as ws:
        async with asyncio.timeout(5):
            frame = json.loads(await ws.recv())
        assert frame[2:] == ["TriggerMessage", {"requestedMessage": "BootNotification"}]
        await ws.send(json.dumps([3, frame[1], {"status": "Accepted"}]))
        reply = await RawCharger(ws).call("Authorize", AUTHORIZE["1.6"])
        assert _authorization_status("1.6", reply) == "Invalid"


@ALL_VERSIONS
async def test_newest_connection_wins_while_schemas_load(
    hass: HomeAssistant,
    central: MockConfigEntry,
    url: str,
    ocpp_version: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A second connection that arrives while the first waits is the one that is served.

    The first connection used to take over the session after its wait, and when it ended it
    removed the second one's session: the charger stayed connected but detached.
    """
    loaded = central_module.preload_schemas

    def slow_preload(version: str) -> None:
        time.sleep(0.3)
        loaded(version)

    monkeypatch.setattr(central_module, "preload_schemas", slow_preload)
    central.runtime_data._schemas_loading.clear()
    subprotocols = [SUBPROTOCOL[ocpp_version]]
    first = await connect(f"{url}/TWICE", subprotocols=subprotocols)
    second = await connect(f"{url}/TWICE", subprotocols=subprotocols)
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(5):
            await first.recv()
    async with second:
        charger = RawCharger(second)
        reply = await charger.call("BootNotification", BOOT[ocpp_version])
        assert reply[2]["status"] == "Accepted"
        await asyncio.sleep(0.1)
        session = central.runtime_data.sessions["TWICE"]
        assert session.charger.connected
        assert (await charger.call("Heartbeat", {}))[0] == 3
        assert central.runtime_data.sessions["TWICE"] is session


async def test_chargers_arriving_together_load_the_schemas_once(
    hass: HomeAssistant, central: MockConfigEntry, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A site coming back at once loads each version's schemas once, not once per charger."""
    loaded = central_module.preload_schemas
    loads: list[str] = []

    def slow_preload(version: str) -> None:
        loads.append(version)
        time.sleep(0.2)
        loaded(version)

    monkeypatch.setattr(central_module, "preload_schemas", slow_preload)
    central.runtime_data._schemas_loading.clear()
    sockets = [
        await connect(f"{url}/TOGETHER{number}", subprotocols=["ocpp1.6"]) for number in range(5)
    ]
    replies = [await RawCharger(ws).call("BootNotification", BOOT["1.6"]) for ws in sockets]
    for ws in sockets:
        await ws.close()
    assert [reply[2]["status"] for reply in replies] == ["Accepted"] * 5
    assert loads == ["1.6"]


@pytest.mark.parametrize("options", [{CONF_AUTO_ACCEPT: False}])
async def test_pending_interval_is_short_while_its_card_is_open(
    hass: HomeAssistant, central: MockConfigEntry, url: str, options: dict[str, Any]
) -> None:
    """A new charger with a discovery card asks again within seconds, not a minute."""
    async with connect(f"{url}/NEWBOX", subprotocols=["ocpp1.6"]) as ws:
        reply = await RawCharger(ws).call("BootNotification", BOOT["1.6"])
    assert reply[2]["status"] == "Pending"
    assert reply[2]["interval"] == central_module.PENDING_RETRY_WITH_CARD


def _transaction_event(
    event_type: str, seq_no: int, charging_state: str | None = None, **extra: Any
) -> dict[str, Any]:
    info: dict[str, Any] = {"transactionId": "TX-1"}
    if charging_state is not None:
        info["chargingState"] = charging_state
    return {
        "eventType": event_type,
        "timestamp": "2024-05-01T10:00:00Z",
        "triggerReason": "ChargingStateChanged",
        "seqNo": seq_no,
        "transactionInfo": info,
        "evse": {"id": 1, "connectorId": 1},
        **extra,
    }


def _power(watts: float) -> dict[str, Any]:
    return {
        "meterValue": [
            {
                "timestamp": "2024-05-01T10:00:00Z",
                "sampledValue": [{"value": watts, "measurand": "Power.Active.Import"}],
            }
        ]
    }


@pytest.mark.parametrize("ocpp_version", ["2.0.1", "2.1"])
async def test_charging_state_survives_a_reconnect(
    hass: HomeAssistant, central: MockConfigEntry, url: str, ocpp_version: str
) -> None:
    """After a reconnect, "Occupied" during a session keeps showing Charging and the power.

    The charging state used to live in the connection, so the next StatusNotification
    Occupied switched charging off and zeroed the power mid-session.
    """
    subprotocols = [SUBPROTOCOL[ocpp_version]]
    async with connect(f"{url}/EV2", subprotocols=subprotocols) as ws:
        charger = RawCharger(ws)
        await charger.call("BootNotification", BOOT[ocpp_version])
        await charger.call("TransactionEvent", _transaction_event("Started", 0, "Charging"))
        await charger.call(
            "TransactionEvent", _transaction_event("Updated", 1, "Charging", **_power(7400))
        )
    async with connect(f"{url}/EV2", subprotocols=subprotocols) as ws:
        charger = RawCharger(ws)
        reply = await charger.call(
            "StatusNotification",
            {
                "timestamp": "2024-05-01T10:01:00Z",
                "connectorStatus": "Occupied",
                "evseId": 1,
                "connectorId": 1,
            },
        )
        assert reply[0] == 3
        await hass.async_block_till_done()
        assert state(hass, "sensor", "EV2_1_status").state == "charging"
        assert float(state(hass, "sensor", "EV2_1_power").state) == 7400


@pytest.mark.parametrize("ocpp_version", ["2.0.1", "2.1"])
async def test_repeated_and_late_events_change_nothing(
    hass: HomeAssistant, central: MockConfigEntry, url: str, ocpp_version: str
) -> None:
    """A repeated seqNo is ignored; an Updated after Ended does not reopen the session."""
    async with connect(f"{url}/EV3", subprotocols=[SUBPROTOCOL[ocpp_version]]) as ws:
        charger = RawCharger(ws)
        await charger.call("BootNotification", BOOT[ocpp_version])
        await charger.call("TransactionEvent", _transaction_event("Started", 0, "Charging"))
        await charger.call("TransactionEvent", _transaction_event("Updated", 1, "SuspendedEV"))
        # The same event again (its answer was lost): already accounted.
        await charger.call("TransactionEvent", _transaction_event("Updated", 1, "Charging"))
        await hass.async_block_till_done()
        assert state(hass, "sensor", "EV3_1_status").state == "suspended_ev"
        await charger.call("TransactionEvent", _transaction_event("Ended", 2, "EVConnected"))
        # Sent again, and a late Updated: neither reopens the session.
        await charger.call("TransactionEvent", _transaction_event("Ended", 3, "EVConnected"))
        await charger.call("TransactionEvent", _transaction_event("Updated", 2, "Charging"))
        await hass.async_block_till_done()
        connector = central.runtime_data.chargers["EV3"].connector(1)
        assert connector.transaction is None
        assert connector.last_transaction is not None
        assert connector.last_transaction.transaction_id == "TX-1"
        assert state(hass, "sensor", "EV3_1_status").state == "finishing"


async def _serve_inventoryless(ws: Any, *, get_variables: bool, seen: list[str]) -> None:
    """A 2.0.1 station without GetBaseReport (and optionally without GetVariables)."""
    async for raw in ws:
        frame = json.loads(raw)
        if frame[0] != 2:
            continue
        action, payload = frame[2], frame[3]
        seen.append(action)
        if action == "GetVariables" and get_variables:
            results = [
                {
                    "attributeStatus": "Accepted"
                    if item["component"]["name"] == "SmartChargingCtrlr"
                    else "UnknownComponent",
                    "attributeValue": "true",
                    "component": item["component"],
                    "variable": item["variable"],
                }
                for item in payload["getVariableData"]
            ]
            await ws.send(json.dumps([3, frame[1], {"getVariableResult": results}]))
        else:
            await ws.send(json.dumps([4, frame[1], "NotSupported", "", {}]))


@pytest.mark.parametrize("get_variables", [True, False])
async def test_station_without_inventory_report_keeps_its_controls(
    hass: HomeAssistant, central: MockConfigEntry, url: str, get_variables: bool
) -> None:
    """GetBaseReport NotSupported: capabilities come from GetVariables, or are offered and
    learned from the first answer (a control then goes unavailable)."""
    from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
    from homeassistant.const import ATTR_ENTITY_ID
    from homeassistant.exceptions import HomeAssistantError

    from .helpers import entity_id

    async with connect(f"{url}/NOREPORT", subprotocols=["ocpp2.0.1"]) as ws:
        raw = RawCharger(ws)
        reply = await raw.call("BootNotification", BOOT["2.0.1"])
        assert reply[2]["status"] == "Accepted"
        await raw.call(
            "StatusNotification",
            {
                "timestamp": "2024-05-01T10:00:00Z",
                "connectorStatus": "Available",
                "evseId": 1,
                "connectorId": 1,
            },
        )
        seen: list[str] = []
        task = asyncio.ensure_future(
            _serve_inventoryless(ws, get_variables=get_variables, seen=seen)
        )
        try:
            charger = central.runtime_data.chargers["NOREPORT"]
            await wait_until(hass, lambda: "SmartCharging" in charger.feature_profiles)
            await wait_until(hass, lambda: "GetVariables" in seen)
            await hass.async_block_till_done()
            number = entity_id(hass, "number", "NOREPORT_1_current_limit")
            if get_variables:
                return
            with pytest.raises(HomeAssistantError):
                await hass.services.async_call(
                    "number",
                    SERVICE_SET_VALUE,
                    {ATTR_ENTITY_ID: number, ATTR_VALUE: 10},
                    blocking=True,
                )
            await hass.async_block_till_done()
            assert "SmartCharging" not in charger.feature_profiles
            assert hass.states.get(number).state == "unavailable"
        finally:
            task.cancel()


@pytest.mark.parametrize("ocpp_version", ["2.0.1", "2.1"])
async def test_evse_with_two_plugs_shows_the_one_in_use(
    hass: HomeAssistant, central: MockConfigEntry, url: str, ocpp_version: str
) -> None:
    """A status of the idle plug does not make a charging EVSE look free (or faulted)."""
    async with connect(f"{url}/TWOPLUG", subprotocols=[SUBPROTOCOL[ocpp_version]]) as ws:
        charger = RawCharger(ws)
        await charger.call("BootNotification", BOOT[ocpp_version])

        async def plug(connector_id: int, status: str) -> None:
            reply = await charger.call(
                "StatusNotification",
                {
                    "timestamp": "2024-05-01T10:00:00Z",
                    "connectorStatus": status,
                    "evseId": 1,
                    "connectorId": connector_id,
                },
            )
            assert reply[0] == 3
            await hass.async_block_till_done()

        await plug(1, "Occupied")
        await plug(2, "Available")
        assert state(hass, "sensor", "TWOPLUG_1_status").state == "occupied"
        await plug(2, "Faulted")
        assert state(hass, "sensor", "TWOPLUG_1_status").state == "occupied"
        await plug(1, "Available")
        # The other plug can still charge: free, with the fault reported.
        assert state(hass, "sensor", "TWOPLUG_1_status").state == "available"
        assert state(hass, "binary_sensor", "TWOPLUG_1_fault").state == "on"
        assert central.runtime_data.chargers["TWOPLUG"].connector(1).plugs == {
            1: "available",
            2: "faulted",
        }
