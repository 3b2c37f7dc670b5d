"""OCPP 2.0.1 / 2.1 specifics, with raw frames: EVSE mapping, reports, seqNo, offline events."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from websockets.asyncio.client import ClientConnection, connect

from custom_components.ocpp_central.const import EVENT_DATA_TRANSFER

from .helpers import state

BOOT = {
    "chargingStation": {
        "vendorName": "Acme",
        "model": "Station 2",
        "serialNumber": "S2",
        "firmwareVersion": "4.2",
    },
    "reason": "PowerUp",
}

VERSIONS = pytest.mark.parametrize("subprotocol", ["ocpp2.0.1", "ocpp2.1"])


class RawStation:
    """A scripted 2.x charging station speaking raw OCPP-J frames."""

    def __init__(self, ws: ClientConnection) -> None:
        """Wrap a connected websocket."""
        self.ws = ws
        self.calls: list[list[Any]] = []
        self._ids = 0

    async def call(self, action: str, payload: dict[str, Any]) -> list[Any]:
        """Send a CALL and return its answer, answering the CSMS's own calls meanwhile."""
        self._ids += 1
        unique_id = f"c{self._ids}"
        await self.ws.send(json.dumps([2, unique_id, action, payload]))
        async with asyncio.timeout(5):
            while True:
                frame = json.loads(await self.ws.recv())
                if frame[0] == 2:
                    self.calls.append(frame)
                    continue
                if frame[1] == unique_id:
                    return list(frame)

    async def next_call(self) -> list[Any]:
        """The next CALL from the CSMS (already received ones first)."""
        if self.calls:
            return self.calls.pop(0)
        async with asyncio.timeout(5):
            while True:
                frame = json.loads(await self.ws.recv())
                if frame[0] == 2:
                    return list(frame)

    async def answer(self, call: list[Any], payload: dict[str, Any]) -> None:
        """Answer a CSMS CALL."""
        await self.ws.send(json.dumps([3, call[1], payload]))


def _energy(wh: float, context: str = "Sample.Periodic") -> list[dict[str, Any]]:
    return [
        {
            "timestamp": "2026-06-01T10:00:00Z",
            "sampledValue": [
                {
                    "value": wh / 1000,
                    "measurand": "Energy.Active.Import.Register",
                    "context": context,
                    "unitOfMeasure": {"unit": "kWh"},
                },
                {"value": 7.2, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "kW"}},
            ],
        }
    ]


async def _station(url: str, charge_point_id: str, subprotocol: str) -> RawStation:
    ws = await connect(f"{url}/{charge_point_id}", subprotocols=[subprotocol])
    assert ws.subprotocol == subprotocol
    station = RawStation(ws)
    reply = await station.call("BootNotification", BOOT)
    assert reply[2]["status"] == "Accepted"
    return station


async def _answer_inventory(station: RawStation, evses: int = 2) -> None:
    """Answer GetBaseReport and send the inventory in two parts, last part first."""
    call = await station.next_call()
    assert call[2] == "GetBaseReport"
    assert call[3]["reportBase"] == "FullInventory"
    request_id = call[3]["requestId"]
    await station.answer(call, {"status": "Accepted"})
    evse_items = [
        {
            "component": {"name": "EVSE", "evse": {"id": evse}},
            "variable": {"name": "AvailabilityState"},
            "variableAttribute": [
                {"type": "Actual", "value": "Available", "mutability": "ReadOnly"}
            ],
        }
        for evse in range(1, evses + 1)
    ]
    controllers = [
        {
            "component": {"name": "SmartChargingCtrlr"},
            "variable": {"name": "Enabled"},
            "variableAttribute": [{"type": "Actual", "value": "true", "mutability": "ReadWrite"}],
        },
        {
            "component": {"name": "SampledDataCtrlr"},
            "variable": {"name": "TxUpdatedInterval"},
            "variableAttribute": [{"type": "Actual", "value": "300", "mutability": "ReadWrite"}],
        },
    ]
    for seq_no, items, tbc in ((1, controllers, False), (0, evse_items, True)):
        reply = await station.call(
            "NotifyReport",
            {
                "requestId": request_id,
                "generatedAt": "2026-06-01T10:00:00Z",
                "seqNo": seq_no,
                "tbc": tbc,
                "reportData": items,
            },
        )
        assert reply[0] == 3


@VERSIONS
async def test_inventory_and_settings(
    hass: HomeAssistant, central: MockConfigEntry, url: str, subprotocol: str
) -> None:
    """A multi-part inventory creates the EVSEs; the options are applied with SetVariables."""
    station = await _station(url, "ST1", subprotocol)
    await _answer_inventory(station, evses=2)
    call = await station.next_call()
    assert call[2] == "SetVariables"
    written = {
        f"{item['component']['name']}.{item['variable']['name']}": item["attributeValue"]
        for item in call[3]["setVariableData"]
    }
    assert written["SampledDataCtrlr.TxUpdatedInterval"] == "10"
    assert written["OCPPCommCtrlr.HeartbeatInterval"] == "300"
    assert written["SampledDataCtrlr.TxUpdatedMeasurands"].startswith("Energy.Active.Import")
    await station.answer(
        call,
        {
            "setVariableResult": [
                {
                    "attributeStatus": "Accepted",
                    "component": item["component"],
                    "variable": item["variable"],
                }
                for item in call[3]["setVariableData"]
            ]
        },
    )
    charger = central.runtime_data.chargers["ST1"]
    for _ in range(100):
        if charger.outlet_ids == [1, 2]:
            break
        await asyncio.sleep(0.01)
    assert charger.outlet_ids == [1, 2]
    assert "SmartCharging" in charger.feature_profiles
    assert charger.ocpp_version == subprotocol.removeprefix("ocpp")
    await hass.async_block_till_done()
    assert state(hass, "sensor", "ST1_2_status").state == "unknown"
    await station.ws.close()


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@VERSIONS
async def test_transaction_events(
    hass: HomeAssistant, central: MockConfigEntry, url: str, subprotocol: str
) -> None:
    """Started/Updated/Ended map to the same sessions, states and energy as 1.6."""
    station = await _station(url, "ST2", subprotocol)
    await station.call(
        "StatusNotification",
        {
            "timestamp": "2026-06-01T10:00:00Z",
            "connectorStatus": "Occupied",
            "evseId": 1,
            "connectorId": 1,
        },
    )
    reply = await station.call(
        "TransactionEvent",
        {
            "eventType": "Started",
            "timestamp": "2026-06-01T10:00:00Z",
            "triggerReason": "Authorized",
            "seqNo": 0,
            "transactionInfo": {"transactionId": "tx-1", "chargingState": "EVConnected"},
            "idToken": {"idToken": "TAG9", "type": "ISO14443"},
            "evse": {"id": 1, "connectorId": 1},
            "meterValue": _energy(5000, "Transaction.Begin"),
        },
    )
    assert reply[2]["idTokenInfo"]["status"] == "Accepted"
    await hass.async_block_till_done()
    assert state(hass, "sensor", "ST2_1_status").state == "preparing"
    assert state(hass, "sensor", "ST2_1_id_tag").state == "TAG9"

    await station.call(
        "TransactionEvent",
        {
            "eventType": "Updated",
            "timestamp": "2026-06-01T10:10:00Z",
            "triggerReason": "ChargingStateChanged",
            "seqNo": 1,
            "transactionInfo": {"transactionId": "tx-1", "chargingState": "Charging"},
            "meterValue": _energy(6200),
        },
    )
    await hass.async_block_till_done()
    assert state(hass, "sensor", "ST2_1_status").state == "charging"
    assert state(hass, "binary_sensor", "ST2_1_charging").state == "on"
    assert float(state(hass, "sensor", "ST2_1_power").state) == 7200.0
    assert float(state(hass, "sensor", "ST2_1_session_energy").state) == 1.2
    # A repeated Occupied status does not hide that it is charging.
    await station.call(
        "StatusNotification",
        {
            "timestamp": "2026-06-01T10:11:00Z",
            "connectorStatus": "Occupied",
            "evseId": 1,
            "connectorId": 1,
        },
    )
    await hass.async_block_till_done()
    assert state(hass, "sensor", "ST2_1_status").state == "charging"

    reply = await station.call(
        "TransactionEvent",
        {
            "eventType": "Ended",
            "timestamp": "2026-06-01T10:30:00Z",
            "triggerReason": "EVCommunicationLost",
            "seqNo": 2,
            "transactionInfo": {
                "transactionId": "tx-1",
                "chargingState": "EVConnected",
                "stoppedReason": "EVDisconnected",
            },
            "meterValue": _energy(7000, "Transaction.End"),
        },
    )
    assert reply[0] == 3
    await hass.async_block_till_done()
    assert state(hass, "sensor", "ST2_1_status").state == "finishing"
    assert float(state(hass, "sensor", "ST2_1_energy").state) == 7.0
    assert float(state(hass, "sensor", "ST2_1_session_energy").state) == 2.0
    assert float(state(hass, "sensor", "ST2_1_power").state) == 0.0
    session = central.runtime_data.chargers["ST2"].connector(1).last_transaction
    assert session is not None
    assert session.stop_reason == "EVDisconnected"
    await station.ws.close()


@VERSIONS
async def test_offline_events_and_seqno_gaps(
    hass: HomeAssistant,
    central: MockConfigEntry,
    url: str,
    subprotocol: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A session replayed after being offline, out of order and with a gap, is accounted."""
    station = await _station(url, "ST3", subprotocol)
    base = {"triggerReason": "MeterValuePeriodic", "offline": True}
    # The Updated event arrives first (the Started one was lost).
    await station.call(
        "TransactionEvent",
        {
            **base,
            "eventType": "Updated",
            "timestamp": "2026-06-01T09:10:00Z",
            "seqNo": 3,
            "transactionInfo": {"transactionId": "off-1", "chargingState": "Charging"},
            "evse": {"id": 1},
            "meterValue": _energy(1500),
        },
    )
    await station.call(
        "TransactionEvent",
        {
            **base,
            "eventType": "Ended",
            "timestamp": "2026-06-01T09:20:00Z",
            "seqNo": 7,
            "transactionInfo": {"transactionId": "off-1", "stoppedReason": "Local"},
            "meterValue": _energy(2500, "Transaction.End"),
        },
    )
    await hass.async_block_till_done()
    assert "seqNo 7 after 3 (delivered after being offline)" in caplog.text
    assert float(state(hass, "sensor", "ST3_1_energy").state) == 2.5
    session = central.runtime_data.chargers["ST3"].connector(1).last_transaction
    assert session is not None
    assert session.transaction_id == "off-1"
    assert session.energy_wh == 1000.0
    await station.ws.close()


def _availability_event(event_id: int, value: str, evse: int | None = None) -> dict[str, Any]:
    """A NotifyEvent: AvailabilityState of the station (or of an EVSE) changed to `value`."""
    component: dict[str, Any] = {"name": "ChargingStation"}
    if evse is not None:
        component = {"name": "EVSE", "evse": {"id": evse}}
    return {
        "generatedAt": "2026-06-01T10:00:00Z",
        "seqNo": 0,
        "eventData": [
            {
                "eventId": event_id,
                "timestamp": "2026-06-01T10:00:00Z",
                "trigger": "Delta",
                "actualValue": value,
                "eventNotificationType": "HardWiredNotification",
                "component": component,
                "variable": {"name": "AvailabilityState"},
            }
        ],
    }


@VERSIONS
async def test_standalone_meter_values_and_events(
    hass: HomeAssistant,
    central: MockConfigEntry,
    url: str,
    subprotocol: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """MeterValues outside transactions, NotifyEvent availability and other notifications."""
    caplog.set_level(logging.DEBUG, logger="custom_components.ocpp_central")
    events = async_capture_events(hass, EVENT_DATA_TRANSFER)
    station = await _station(url, "ST4", subprotocol)
    await station.call("MeterValues", {"evseId": 1, "meterValue": _energy(9000)})
    await hass.async_block_till_done()
    assert float(state(hass, "sensor", "ST4_1_energy").state) == 9.0

    # AvailabilityState of the station is the charger's status, of an EVSE its own; a station
    # with one EVSE shows both on one status (the station's Unavailable holds for the EVSE,
    # the EVSE's own Faulted wins). The entities stay available all along.
    steps = (
        ("Unavailable", None, "unavailable"),
        ("Faulted", 1, "faulted"),
        ("Available", None, "faulted"),
        ("Available", 1, "available"),
    )
    for event_id, (value, evse, shown) in enumerate(steps, 1):
        reply = await station.call("NotifyEvent", _availability_event(event_id, value, evse))
        assert reply[0] == 3
        await hass.async_block_till_done()
        assert state(hass, "sensor", "ST4_1_status").state == shown, (value, evse)
        if evse is None and value == "Unavailable":
            assert state(hass, "sensor", "ST4_1_energy").state == "9.0"
    assert "Charger ST4 event EVSE[1].AvailabilityState = Faulted" in caplog.text

    # A Heartbeat is the charger's last heartbeat (its sensor is disabled by default).
    charger = central.runtime_data.chargers["ST4"]
    assert charger.last_heartbeat is None
    before = dt_util.utcnow()
    reply = await station.call("Heartbeat", {})
    assert reply[0] == 3
    assert dt_util.parse_datetime(reply[2]["currentTime"]) is not None
    assert charger.last_heartbeat is not None
    assert before <= charger.last_heartbeat <= dt_util.utcnow()

    # Firmware and log progress reach the charger's model (the update entity, events).
    for action, payload in (
        ("FirmwareStatusNotification", {"status": "Installing"}),
        ("LogStatusNotification", {"status": "Uploading"}),
    ):
        reply = await station.call(action, payload)
        assert reply[0] == 3, (action, reply)
    assert str(charger.firmware.status) == "installing"
    assert str(charger.logs.status) == "uploading"

    # These reach the log (routine security events at info, once, and as an HA event).
    for action, payload, logged, level in (
        (
            "SecurityEventNotification",
            {
                "type": "StartupOfTheDevice",
                "timestamp": "2026-06-01T10:00:00Z",
                "techInfo": "cold start",
            },
            "Charger ST4: security event StartupOfTheDevice (cold start)",
            logging.INFO,
        ),
        (
            "NotifyChargingLimit",
            {"chargingLimit": {"chargingLimitSource": "EMS"}},
            "Charger ST4 external charging limit: {'charging_limit_source': 'EMS'}",
            logging.DEBUG,
        ),
    ):
        reply = await station.call(action, payload)
        assert reply[0] == 3, (action, reply)
        assert reply[2] == {}, (action, reply)
        assert [record.levelno for record in caplog.records if record.getMessage() == logged] == [
            level
        ], logged

    # A DataTransfer of an unknown vendor is answered so, recorded and fired as an event.
    reply = await station.call("DataTransfer", {"vendorId": "com.acme", "data": {"x": 1}})
    assert reply[2]["status"] == "UnknownVendorId"
    reply = await station.call("DataTransfer", {"vendorId": "com.acme"})
    assert reply[2]["status"] == "UnknownVendorId"
    await hass.async_block_till_done()
    assert [(e.data["charge_point_id"], e.data["vendor_id"]) for e in events] == [
        ("ST4", "com.acme"),
        ("ST4", "com.acme"),
    ]
    assert events[0].data["data"] == str({"x": 1})
    assert events[1].data["data"] is None
    # A 2.x action we do not take from stations, and one that does not exist.
    reply = await station.call(
        "RequestStartTransaction",
        {"idToken": {"idToken": "x", "type": "Central"}, "remoteStartId": 1},
    )
    assert reply[:3] == [4, reply[1], "NotSupported"]
    reply = await station.call("FooBar", {})
    assert reply[2] == "NotImplemented"
    reply = await station.call("Heartbeat", {"bogus": 1})
    assert reply[2] == "FormatViolation"
    await station.ws.close()


@VERSIONS
async def test_token_of_unaccepted_station_is_rejected(
    hass: HomeAssistant, central: MockConfigEntry, url: str, subprotocol: str
) -> None:
    """A station waiting for approval gets its tokens refused."""
    hass.config_entries.async_update_entry(
        central, options={**central.options, "auto_accept": False}
    )
    ws = await connect(f"{url}/NEW2", subprotocols=[subprotocol])
    station = RawStation(ws)
    reply = await station.call("BootNotification", BOOT)
    assert reply[2]["status"] == "Pending"
    reply = await station.call("Authorize", {"idToken": {"idToken": "TAG", "type": "ISO14443"}})
    assert reply[2]["idTokenInfo"]["status"] == "Invalid"
    await ws.close()


async def test_newest_version_is_chosen(
    hass: HomeAssistant, central: MockConfigEntry, url: str
) -> None:
    """Offered several versions, the charger gets the newest we speak."""
    async with connect(f"{url}/MULTI2", subprotocols=["ocpp1.6", "ocpp2.0.1", "ocpp2.1"]) as ws:
        assert ws.subprotocol == "ocpp2.1"
    async with connect(f"{url}/MULTI3", subprotocols=["ocpp1.6", "ocpp2.0.1"]) as ws:
        assert ws.subprotocol == "ocpp2.0.1"


async def test_pinned_version(hass: HomeAssistant, central: MockConfigEntry, url: str) -> None:
    """A pinned version is the only one accepted, also for chargers offering no subprotocol."""
    from websockets.exceptions import InvalidStatus

    hass.config_entries.async_update_entry(
        central, options={**central.options, "ocpp_version": "2.0.1"}
    )
    async with connect(f"{url}/PIN1", subprotocols=["ocpp1.6", "ocpp2.0.1", "ocpp2.1"]) as ws:
        assert ws.subprotocol == "ocpp2.0.1"
    with pytest.raises(InvalidStatus):
        await connect(f"{url}/PIN2", subprotocols=["ocpp1.6"])
    with pytest.raises(InvalidStatus):
        await connect(f"{url}/PIN3")
    hass.config_entries.async_update_entry(
        central, options={**central.options, "ocpp_version": "1.6"}
    )
    async with connect(f"{url}/PIN4") as ws:
        assert ws.subprotocol is None


@pytest.mark.parametrize(
    ("subprotocol", "occurrence"),
    [("ocpp2.0.1", "OccurenceConstraintViolation"), ("ocpp2.1", "OccurrenceConstraintViolation")],
)
@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        ("this is not json", ["-1", "RpcFrameworkError"]),
        ("[2]", ["-1", "RpcFrameworkError"]),
        ('[7, "m1", "Heartbeat", {}]', ["m1", "MessageTypeNotSupported"]),
        ('[2, "m2", "Heartbeat"]', ["m2", "FormatViolation"]),
        ('[2, "m3", "FooBar", {}]', ["m3", "NotImplemented"]),
        ('[2, "m4", "GetVariables", {"getVariableData": []}]', ["m4", "NotSupported"]),
        ('[2, "m5", "BootNotification", {"reason": "PowerUp"}]', ["m5", "OCCURRENCE"]),
        (
            '[2, "m6", "StatusNotification", {"timestamp": "2026-01-01T00:00:00Z",'
            ' "connectorStatus": "Sleeping", "evseId": 1, "connectorId": 1}]',
            ["m6", "PropertyConstraintViolation"],
        ),
        (
            '[2, "m7", "StatusNotification", {"timestamp": "2026-01-01T00:00:00Z",'
            ' "connectorStatus": "Available", "evseId": "one", "connectorId": 1}]',
            ["m7", "TypeConstraintViolation"],
        ),
        ('[2, "m8", "Heartbeat", {"colour": "red"}]', ["m8", "FormatViolation"]),
    ],
)
async def test_bad_frames_2x(
    hass: HomeAssistant,
    central: MockConfigEntry,
    url: str,
    subprotocol: str,
    occurrence: str,
    frame: str,
    expected: list[str],
) -> None:
    """2.x gets its own CALLERROR codes (RpcFrameworkError, FormatViolation, ...)."""
    expected = [occurrence if code == "OCCURRENCE" else code for code in expected]
    async with connect(f"{url}/BAD2", subprotocols=[subprotocol]) as ws:
        await ws.send(frame)
        async with asyncio.timeout(5):
            reply = json.loads(await ws.recv())
        assert reply[0] == 4
        assert reply[1:3] == expected
        station = RawStation(ws)
        assert (await station.call("BootNotification", BOOT))[0] == 3


@VERSIONS
async def test_other_notifications_and_reads(
    hass: HomeAssistant, central: MockConfigEntry, url: str, subprotocol: str
) -> None:
    """Every notification a CSMS takes is answered; variables are read and triggers sent."""
    station = await _station(url, "ST5", subprotocol)
    # No report, no GetVariables, no SetVariables: refused, so the reads below come next.
    for expected in ("GetBaseReport", "GetVariables", "SetVariables"):
        call = await station.next_call()
        assert call[2] == expected
        await station.ws.send(json.dumps([4, call[1], "NotSupported", "", {}]))
    for action, payload in (
        ("ClearedChargingLimit", {"chargingLimitSource": "EMS"}),
        (
            "ReportChargingProfiles",
            {
                "requestId": 1,
                "chargingLimitSource": "CSO",
                "evseId": 1,
                "chargingProfile": [
                    {
                        "id": 1,
                        "stackLevel": 0,
                        "chargingProfilePurpose": "TxDefaultProfile",
                        "chargingProfileKind": "Relative",
                        "chargingSchedule": [
                            {
                                "id": 1,
                                "chargingRateUnit": "A",
                                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}],
                            }
                        ],
                    }
                ],
            },
        ),
        ("ReservationStatusUpdate", {"reservationId": 1, "reservationUpdateStatus": "Expired"}),
        (
            "NotifyMonitoringReport",
            {"requestId": 1, "seqNo": 0, "generatedAt": "2026-06-01T10:00:00Z"},
        ),
        ("NotifyDisplayMessages", {"requestId": 1}),
        (
            "NotifyCustomerInformation",
            {"data": "x", "seqNo": 0, "generatedAt": "2026-06-01T10:00:00Z", "requestId": 1},
        ),
        ("PublishFirmwareStatusNotification", {"status": "Idle"}),
    ):
        # The central system takes these but does nothing with them yet: no entity, event or
        # log line to observe, so the (empty) CALLRESULT is all there is to check.
        reply = await station.call(action, payload)
        assert reply[0] == 3, (action, reply)
        assert reply[2] == {}, (action, reply)

    adapter = central.runtime_data.sessions["ST5"].adapter
    task = asyncio.ensure_future(
        adapter.get_configuration(["OCPPCommCtrlr.HeartbeatInterval", "Foo.Bar"])
    )
    call = await station.next_call()
    assert call[2] == "GetVariables"
    await station.answer(
        call,
        {
            "getVariableResult": [
                {
                    "attributeStatus": "Accepted",
                    "attributeValue": "300",
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                },
                {
                    "attributeStatus": "UnknownComponent",
                    "component": {"name": "Foo"},
                    "variable": {"name": "Bar"},
                },
            ]
        },
    )
    report = await task
    assert report.values["OCPPCommCtrlr.HeartbeatInterval"].value == "300"
    assert report.unknown == ("Foo.Bar",)

    from custom_components.ocpp_central.protocol.base import CommandStatus, TriggerKind

    task = asyncio.ensure_future(adapter.trigger_message(TriggerKind.STATUS_NOTIFICATION, 1))
    call = await station.next_call()
    assert call[2:] == [
        "TriggerMessage",
        {"requestedMessage": "StatusNotification", "evse": {"id": 1}},
    ]
    await station.answer(call, {"status": "Rejected"})
    assert await task is CommandStatus.REJECTED
    await station.ws.close()


@VERSIONS
async def test_session_on_second_evse_survives_restart(
    hass: HomeAssistant, central: MockConfigEntry, url: str, subprotocol: str
) -> None:
    """Later events without an EVSE land on the session's EVSE, also after an HA restart."""
    station = await _station(url, "ST6", subprotocol)
    await station.call(
        "TransactionEvent",
        {
            "eventType": "Started",
            "timestamp": "2026-06-01T10:00:00Z",
            "triggerReason": "CablePluggedIn",
            "seqNo": 0,
            "transactionInfo": {"transactionId": "tx-evse2", "chargingState": "Charging"},
            "evse": {"id": 2, "connectorId": 1},
            "meterValue": _energy(1000, "Transaction.Begin"),
        },
    )
    await station.ws.close()
    assert await hass.config_entries.async_unload(central.entry_id)
    assert await hass.config_entries.async_setup(central.entry_id)
    await hass.async_block_till_done()

    station = await _station(url, "ST6", subprotocol)
    await station.call(
        "TransactionEvent",
        {
            "eventType": "Updated",
            "timestamp": "2026-06-01T10:20:00Z",
            "triggerReason": "MeterValuePeriodic",
            "seqNo": 1,
            "transactionInfo": {"transactionId": "tx-evse2"},
            "meterValue": _energy(1800),
        },
    )
    await hass.async_block_till_done()
    charger = central.runtime_data.chargers["ST6"]
    session = charger.connector(2).transaction
    assert session is not None
    assert session.energy_wh == 800.0
    assert charger.connector(1).transaction is None
    await station.ws.close()


@pytest.mark.parametrize("ocpp_version", ["2.0.1"])
async def test_get_configuration_names_evse_variables_and_their_access(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """An EVSE's variable is asked for on that EVSE; read-only ones are reported so."""
    from homeassistant.helpers import device_registry as dr

    from custom_components.ocpp_central.const import DOMAIN as OCPP_DOMAIN

    from .helpers import smart_charger

    await smart_charger(hass, central, make_simulator)
    device = dr.async_get(hass).async_get_device({(OCPP_DOMAIN, "CP1")})
    assert device is not None
    response = await hass.services.async_call(
        OCPP_DOMAIN,
        "get_configuration",
        {
            "device_id": device.id,
            "keys": ["EVSE[1].AvailabilityState", "SampledDataCtrlr.TxUpdatedInterval"],
        },
        blocking=True,
        return_response=True,
    )
    configuration = response["configuration"]
    assert configuration["EVSE[1].AvailabilityState"]["readonly"] is True
    assert configuration["SampledDataCtrlr.TxUpdatedInterval"]["readonly"] is False
    assert response["unknown"] == []
