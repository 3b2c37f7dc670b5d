"""The actions over real websockets for OCPP 1.6, 2.0.1 and 2.1: calls, answers and errors.

A raw websocket charger checks the exact CALL every action sends and what the action returns;
the simulator runs the flows that need a charger with state (sessions, several connectors).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
import json
from pathlib import Path
import re
from typing import Any
from unittest.mock import ANY

from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, selector
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol
from websockets.asyncio.client import ClientConnection, connect

from custom_components.ocpp_central.const import DOMAIN
from custom_components.ocpp_central.history_services import (
    EXPORT_SCHEMA,
    LIST_SCHEMA,
    SERVICE_EXPORT_SESSIONS,
    SERVICE_LIST_SESSIONS,
)
from custom_components.ocpp_central.services_schema import SCHEMAS

from .conftest import ALL_VERSIONS
from .helpers import wait_until

INTEGRATION = Path(__file__).parent.parent / "custom_components" / DOMAIN
LANGUAGES = ("en", "sv", "de")
V16 = "1.6"
V2 = "2"  # 2.0.1 and 2.1 send the same payloads
INVENTORY_CALL = {V16: "GetConfiguration", V2: "GetBaseReport"}
BOOTS = {
    V16: {"chargePointVendor": "V", "chargePointModel": "M"},
    V2: {"chargingStation": {"vendorName": "V", "model": "M"}, "reason": "PowerUp"},
}
AVAILABLE = {
    V16: {"connectorId": 1, "errorCode": "NoError", "status": "Available"},
    V2: {
        "timestamp": "2026-01-02T03:04:05Z",
        "connectorStatus": "Available",
        "evseId": 1,
        "connectorId": 1,
    },
}
START = {V16: "RemoteStartTransaction", V2: "RequestStartTransaction"}
STOP = {V16: "RemoteStopTransaction", V2: "RequestStopTransaction"}
FUTURE = "2099-01-02T03:04:05+00:00"
FUTURE_Z = "2099-01-02T03:04:05Z"


def _family(version: str) -> str:
    return V16 if version == V16 else V2


def _token(tag: str) -> dict[str, str]:
    return {"idToken": tag, "type": "ISO14443"}


def _device_id(hass: HomeAssistant, identifier: str) -> str:
    device = dr.async_get(hass).async_get_device({(DOMAIN, identifier)})
    assert device is not None, identifier
    return device.id


async def act(hass: HomeAssistant, service: str, device_id: str, **data: Any) -> ServiceResponse:
    """Call one of our actions, asking for its response when it has one."""
    supports = hass.services.supports_response(DOMAIN, service)
    return await hass.services.async_call(
        DOMAIN,
        service,
        {ATTR_DEVICE_ID: device_id, **data},
        blocking=True,
        return_response=supports is not SupportsResponse.NONE,
    )


async def expect_error(
    hass: HomeAssistant,
    service: str,
    device_id: str,
    translation_key: str,
    error: type[HomeAssistantError] = ServiceValidationError,
    /,
    **data: Any,
) -> HomeAssistantError:
    """Call an action that must fail with a translated error."""
    with pytest.raises(error) as caught:
        await act(hass, service, device_id, **data)
    assert caught.value.translation_domain == DOMAIN
    assert caught.value.translation_key == translation_key
    return caught.value


# --- a raw charger: exact CALLs and answers ------------------------------------------------


@dataclass
class RawCharger:
    """A booted charger speaking raw OCPP-J frames; `device_id` is its HA device."""

    ws: ClientConnection
    family: str
    device_id: str = ""
    calls: list[list[Any]] = field(default_factory=list)
    _ids: int = 0

    async def _frame(self) -> list[Any]:
        async with asyncio.timeout(5):
            return list(json.loads(await self.ws.recv()))

    async def request(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send a CALL and return the CALLRESULT payload; CALLs meanwhile are kept."""
        self._ids += 1
        unique_id = f"c{self._ids}"
        await self.ws.send(json.dumps([2, unique_id, action, payload]))
        while True:
            frame = await self._frame()
            if frame[0] == 2:
                self.calls.append(frame)
                continue
            assert frame[:2] == [3, unique_id], frame
            return dict(frame[2])

    async def next_call(self, task: asyncio.Future[Any] | None = None) -> list[Any]:
        """The next CALL; fails at once if `task` (the action) ends first."""
        if self.calls:
            return self.calls.pop(0)
        receive = asyncio.ensure_future(self.ws.recv())
        waiting: set[asyncio.Future[Any]] = {receive} if task is None else {receive, task}
        done, _ = await asyncio.wait(waiting, timeout=5, return_when=asyncio.FIRST_COMPLETED)
        if receive not in done:
            receive.cancel()
            if task is not None and task.done():
                raise AssertionError(f"action ended without a call: {task.result()!r}")
            raise AssertionError("no call arrived")
        frame = json.loads(receive.result())
        assert frame[0] == 2, frame
        return list(frame)

    async def answer(self, call: list[Any], payload: dict[str, Any]) -> None:
        """Answer a CALL with a CALLRESULT."""
        await self.ws.send(json.dumps([3, call[1], payload]))

    async def fail(self, call: list[Any], code: str, description: str) -> None:
        """Answer a CALL with a CALLERROR."""
        await self.ws.send(json.dumps([4, call[1], code, description, {}]))


@pytest.fixture
async def raw(
    hass: HomeAssistant, central: MockConfigEntry, url: str, ocpp_version: str
) -> AsyncGenerator[RawCharger]:
    """A booted raw charger (connector 1 Available) whose configuration reading was refused."""
    family = _family(ocpp_version)
    async with connect(f"{url}/RAW", subprotocols=[f"ocpp{ocpp_version}"]) as ws:
        charger = RawCharger(ws, family)
        assert (await charger.request("BootNotification", BOOTS[family]))["status"] == "Accepted"
        call = await charger.next_call()
        assert call[2] == INVENTORY_CALL[family]
        await charger.fail(call, "NotSupported", "")
        if family == V2:
            # Without a report, capabilities are read with GetVariables and the options are
            # still written: refuse both too.
            for expected in ("GetVariables", "SetVariables"):
                call = await charger.next_call()
                assert call[2] == expected
                await charger.fail(call, "NotSupported", "")
        await charger.request("StatusNotification", AVAILABLE[family])
        chargers = central.runtime_data.chargers
        await wait_until(
            hass,
            lambda: (
                "RAW" in chargers
                and chargers["RAW"].outlet_ids == [1]
                and dr.async_get(hass).async_get_device({(DOMAIN, "RAW")}) is not None
            ),
        )
        charger.device_id = _device_id(hass, "RAW")
        yield charger


@dataclass(frozen=True)
class Case:
    """An action's data, the CALL it must send, the charger's answer and the response."""

    data: dict[str, Any]
    action: str
    payload: dict[str, Any]
    answer: dict[str, Any]
    response: ServiceResponse = None


ACCEPTED = {"status": "Accepted"}
PERIODS = [{"start": 0, "limit": 16}, {"start": 3600, "limit": 10, "phases": 1}]
WIRE_PERIODS = [
    {"startPeriod": 0, "limit": 16.0},
    {"startPeriod": 3600, "limit": 10.0, "numberPhases": 1},
]
DAILY_MAX = {
    "purpose": "charger_max",
    "unit": "W",
    "periods": [{"start": 0, "limit": 11000}],
    "recurrency": "daily",
    "schedule_start": "2026-01-02T00:00:00+00:00",
}
DAILY_MAX_SCHEDULE = {
    "startSchedule": "2026-01-02T00:00:00Z",
    "chargingRateUnit": "W",
    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000.0}],
}
SCHEDULE_PERIODS = [{"startPeriod": 0, "limit": 16.0, "numberPhases": 3}]
SCHEDULE_RESPONSE = {
    "connector_id": 0,
    "start": "2026-01-02T03:04:05+00:00",
    "duration": 3600,
    "unit": "A",
    "periods": [{"start": 0, "limit": 16.0, "phases": 3}],
}
LOCAL_LIST = [
    {"id_tag": "TAG1"},
    {"id_tag": "TAG2", "status": "blocked", "expiry": FUTURE},
    {"id_tag": "TAG3", "status": "remove"},
]

CASES: dict[str, dict[str, Case]] = {
    "start_charging": {
        V16: Case({"id_tag": "TAG1"}, START[V16], {"connectorId": 1, "idTag": "TAG1"}, ACCEPTED),
        V2: Case(
            {"id_tag": "TAG1"},
            START[V2],
            {"idToken": _token("TAG1"), "remoteStartId": ANY, "evseId": 1},
            ACCEPTED,
        ),
    },
    "start_charging_default_tag": {
        V16: Case({}, START[V16], {"connectorId": 1, "idTag": "HomeAssistant"}, ACCEPTED),
        V2: Case(
            {},
            START[V2],
            {"idToken": _token("HomeAssistant"), "remoteStartId": ANY, "evseId": 1},
            ACCEPTED,
        ),
    },
    "set_charging_profile": {
        V16: Case(
            {"periods": PERIODS, "stack_level": 1},
            "SetChargingProfile",
            {
                "connectorId": 0,
                "csChargingProfiles": {
                    "chargingProfileId": 30001,
                    "stackLevel": 1,
                    "chargingProfilePurpose": "TxDefaultProfile",
                    "chargingProfileKind": "Relative",
                    "chargingSchedule": {
                        "chargingRateUnit": "A",
                        "chargingSchedulePeriod": WIRE_PERIODS,
                    },
                },
            },
            ACCEPTED,
            {"profile_id": 30001, "connector_id": 0},
        ),
        V2: Case(
            {"periods": PERIODS, "stack_level": 1},
            "SetChargingProfile",
            {
                "evseId": 0,
                "chargingProfile": {
                    "id": 30001,
                    "stackLevel": 1,
                    "chargingProfilePurpose": "TxDefaultProfile",
                    "chargingProfileKind": "Relative",
                    "chargingSchedule": [
                        {
                            "id": 30001,
                            "chargingRateUnit": "A",
                            "chargingSchedulePeriod": WIRE_PERIODS,
                        }
                    ],
                },
            },
            ACCEPTED,
            {"profile_id": 30001, "connector_id": 0},
        ),
    },
    "set_charging_profile_max_now": {
        V16: Case(
            {"purpose": "charger_max", "periods": [{"start": 0, "limit": 32}], "duration": 600},
            "SetChargingProfile",
            {
                "connectorId": 0,
                "csChargingProfiles": {
                    "chargingProfileId": 20000,
                    "stackLevel": 0,
                    "chargingProfilePurpose": "ChargePointMaxProfile",
                    "chargingProfileKind": "Absolute",
                    "chargingSchedule": {
                        "duration": 600,
                        "startSchedule": ANY,
                        "chargingRateUnit": "A",
                        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 32.0}],
                    },
                },
            },
            ACCEPTED,
            {"profile_id": 20000, "connector_id": 0},
        ),
        V2: Case(
            {"purpose": "charger_max", "periods": [{"start": 0, "limit": 32}], "duration": 600},
            "SetChargingProfile",
            {
                "evseId": 0,
                "chargingProfile": {
                    "id": 20000,
                    "stackLevel": 0,
                    "chargingProfilePurpose": "ChargingStationMaxProfile",
                    "chargingProfileKind": "Absolute",
                    "chargingSchedule": [
                        {
                            "id": 20000,
                            "startSchedule": ANY,
                            "duration": 600,
                            "chargingRateUnit": "A",
                            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 32.0}],
                        }
                    ],
                },
            },
            ACCEPTED,
            {"profile_id": 20000, "connector_id": 0},
        ),
    },
    "set_charging_profile_daily_max": {
        V16: Case(
            DAILY_MAX,
            "SetChargingProfile",
            {
                "connectorId": 0,
                "csChargingProfiles": {
                    "chargingProfileId": 20000,
                    "stackLevel": 0,
                    "chargingProfilePurpose": "ChargePointMaxProfile",
                    "chargingProfileKind": "Recurring",
                    "recurrencyKind": "Daily",
                    "chargingSchedule": DAILY_MAX_SCHEDULE,
                },
            },
            ACCEPTED,
            {"profile_id": 20000, "connector_id": 0},
        ),
        V2: Case(
            DAILY_MAX,
            "SetChargingProfile",
            {
                "evseId": 0,
                "chargingProfile": {
                    "id": 20000,
                    "stackLevel": 0,
                    "chargingProfilePurpose": "ChargingStationMaxProfile",
                    "chargingProfileKind": "Recurring",
                    "recurrencyKind": "Daily",
                    "chargingSchedule": [{"id": 20000, **DAILY_MAX_SCHEDULE}],
                },
            },
            ACCEPTED,
            {"profile_id": 20000, "connector_id": 0},
        ),
    },
    "clear_charging_profile": {
        V16: Case(
            {"profile_id": 30001},
            "ClearChargingProfile",
            {"id": 30001},
            {"status": "Unknown"},
            {"status": "unknown"},
        ),
        V2: Case(
            {"purpose": "tx_default", "stack_level": 1},
            "ClearChargingProfile",
            {
                "chargingProfileCriteria": {
                    "chargingProfilePurpose": "TxDefaultProfile",
                    "stackLevel": 1,
                }
            },
            ACCEPTED,
            {"status": "accepted"},
        ),
    },
    "get_composite_schedule": {
        V16: Case(
            {"duration": 3600, "unit": "A"},
            "GetCompositeSchedule",
            {"connectorId": 0, "duration": 3600, "chargingRateUnit": "A"},
            {
                "status": "Accepted",
                "connectorId": 0,
                "scheduleStart": "2026-01-02T03:04:05Z",
                "chargingSchedule": {
                    "duration": 3600,
                    "chargingRateUnit": "A",
                    "chargingSchedulePeriod": SCHEDULE_PERIODS,
                },
            },
            SCHEDULE_RESPONSE,
        ),
        V2: Case(
            {"duration": 3600, "unit": "A"},
            "GetCompositeSchedule",
            {"duration": 3600, "evseId": 0, "chargingRateUnit": "A"},
            {
                "status": "Accepted",
                "schedule": {
                    "evseId": 0,
                    "duration": 3600,
                    "scheduleStart": "2026-01-02T03:04:05Z",
                    "chargingRateUnit": "A",
                    "chargingSchedulePeriod": SCHEDULE_PERIODS,
                },
            },
            SCHEDULE_RESPONSE,
        ),
    },
    "change_availability": {
        V16: Case(
            {"operative": False},
            "ChangeAvailability",
            {"connectorId": 0, "type": "Inoperative"},
            {"status": "Scheduled"},
            {"status": "scheduled"},
        ),
        V2: Case(
            {"operative": False},
            "ChangeAvailability",
            {"operationalStatus": "Inoperative"},
            {"status": "Scheduled"},
            {"status": "scheduled"},
        ),
    },
    "reset": {
        V16: Case({"hard": True}, "Reset", {"type": "Hard"}, ACCEPTED, {"status": "accepted"}),
        V2: Case({"hard": True}, "Reset", {"type": "Immediate"}, ACCEPTED, {"status": "accepted"}),
    },
    "unlock_connector": {
        V16: Case({}, "UnlockConnector", {"connectorId": 1}, {"status": "Unlocked"}),
        V2: Case({}, "UnlockConnector", {"evseId": 1, "connectorId": 1}, {"status": "Unlocked"}),
    },
    "get_configuration": {
        V16: Case(
            {"keys": ["HeartbeatInterval", "Nope"]},
            "GetConfiguration",
            {"key": ["HeartbeatInterval", "Nope"]},
            {
                "configurationKey": [
                    {"key": "HeartbeatInterval", "readonly": False, "value": "300"}
                ],
                "unknownKey": ["Nope"],
            },
            {
                "configuration": {"HeartbeatInterval": {"value": "300", "readonly": False}},
                "unknown": ["Nope"],
            },
        ),
        V2: Case(
            {"keys": ["OCPPCommCtrlr.HeartbeatInterval", "Foo.Bar"]},
            "GetVariables",
            {
                "getVariableData": [
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "HeartbeatInterval"},
                    },
                    {"component": {"name": "Foo"}, "variable": {"name": "Bar"}},
                ]
            },
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
            {
                "configuration": {
                    "OCPPCommCtrlr.HeartbeatInterval": {"value": "300", "readonly": False}
                },
                "unknown": ["Foo.Bar"],
            },
        ),
    },
    "set_configuration": {
        V16: Case(
            {"key": "HeartbeatInterval", "value": "120"},
            "ChangeConfiguration",
            {"key": "HeartbeatInterval", "value": "120"},
            {"status": "RebootRequired"},
            {"status": "reboot_required"},
        ),
        V2: Case(
            {"key": "OCPPCommCtrlr.HeartbeatInterval", "value": "120"},
            "SetVariables",
            {
                "setVariableData": [
                    {
                        "attributeValue": "120",
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "HeartbeatInterval"},
                    }
                ]
            },
            {
                "setVariableResult": [
                    {
                        "attributeStatus": "Accepted",
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "HeartbeatInterval"},
                    }
                ]
            },
            {"status": "accepted"},
        ),
    },
    "trigger_message": {
        V16: Case(
            {"message": "status_notification"},
            "TriggerMessage",
            {"requestedMessage": "StatusNotification"},
            ACCEPTED,
        ),
        V2: Case(
            {"message": "diagnostics_status"},
            "TriggerMessage",
            {"requestedMessage": "LogStatusNotification"},
            ACCEPTED,
        ),
    },
    "data_transfer": {
        family: Case(
            {"vendor_id": "com.example", "message_id": "ping", "data": "hello"},
            "DataTransfer",
            {"vendorId": "com.example", "messageId": "ping", "data": "hello"},
            {"status": "Accepted", "data": "pong"},
            {"status": "accepted", "data": "pong"},
        )
        for family in (V16, V2)
    },
    "update_firmware": {
        V16: Case(
            {"location": "https://fw.example/fw.bin", "retrieve_at": FUTURE, "retries": 2},
            "UpdateFirmware",
            {"location": "https://fw.example/fw.bin", "retrieveDate": FUTURE_Z, "retries": 2},
            {},
        ),
        V2: Case(
            {"location": "https://fw.example/fw.bin", "retrieve_at": FUTURE, "retries": 2},
            "UpdateFirmware",
            {
                "requestId": ANY,
                "firmware": {"location": "https://fw.example/fw.bin", "retrieveDateTime": FUTURE_Z},
                "retries": 2,
            },
            {"status": "AcceptedCanceled"},
        ),
    },
    "get_log": {
        V16: Case(
            {"location": "ftp://logs.example/"},
            "GetDiagnostics",
            {"location": "ftp://logs.example/"},
            {"fileName": "diag.zip"},
            {"status": "accepted", "filename": "diag.zip"},
        ),
        V2: Case(
            {"location": "ftp://logs.example/", "kind": "security"},
            "GetLog",
            {
                "log": {"remoteLocation": "ftp://logs.example/"},
                "logType": "SecurityLog",
                "requestId": ANY,
            },
            {"status": "Accepted", "filename": "security.log"},
            {"status": "accepted", "filename": "security.log"},
        ),
    },
    "reserve_now": {
        V16: Case(
            {"expiry": FUTURE, "id_tag": "TAG1", "reservation_id": 7},
            "ReserveNow",
            {"connectorId": 1, "expiryDate": FUTURE_Z, "idTag": "TAG1", "reservationId": 7},
            ACCEPTED,
            {"reservation_id": 7},
        ),
        V2: Case(
            {"expiry": FUTURE, "id_tag": "TAG1", "reservation_id": 7},
            "ReserveNow",
            {"id": 7, "expiryDateTime": FUTURE_Z, "idToken": _token("TAG1"), "evseId": 1},
            ACCEPTED,
            {"reservation_id": 7},
        ),
    },
    "cancel_reservation": {
        family: Case({"reservation_id": 7}, "CancelReservation", {"reservationId": 7}, ACCEPTED)
        for family in (V16, V2)
    },
    "send_local_list": {
        V16: Case(
            {"version": 3, "update_type": "differential", "entries": LOCAL_LIST},
            "SendLocalList",
            {
                "listVersion": 3,
                "updateType": "Differential",
                "localAuthorizationList": [
                    {"idTag": "TAG1", "idTagInfo": {"status": "Accepted"}},
                    {"idTag": "TAG2", "idTagInfo": {"status": "Blocked", "expiryDate": FUTURE_Z}},
                    {"idTag": "TAG3"},
                ],
            },
            ACCEPTED,
        ),
        V2: Case(
            {"version": 3, "update_type": "differential", "entries": LOCAL_LIST},
            "SendLocalList",
            {
                "versionNumber": 3,
                "updateType": "Differential",
                "localAuthorizationList": [
                    {"idToken": _token("TAG1"), "idTokenInfo": {"status": "Accepted"}},
                    {
                        "idToken": _token("TAG2"),
                        "idTokenInfo": {"status": "Blocked", "cacheExpiryDateTime": FUTURE_Z},
                    },
                    {"idToken": _token("TAG3")},
                ],
            },
            ACCEPTED,
        ),
    },
    "get_local_list_version": {
        V16: Case({}, "GetLocalListVersion", {}, {"listVersion": 3}, {"version": 3}),
        V2: Case({}, "GetLocalListVersion", {}, {"versionNumber": 3}, {"version": 3}),
    },
    "clear_cache": {family: Case({}, "ClearCache", {}, ACCEPTED) for family in (V16, V2)},
}


# Cases that run an action a second way.
VARIANTS = {
    "start_charging_default_tag": "start_charging",
    "set_charging_profile_daily_max": "set_charging_profile",
    "set_charging_profile_max_now": "set_charging_profile",
}


async def _run(hass: HomeAssistant, raw: RawCharger, service: str, case: Case) -> None:
    task = asyncio.ensure_future(act(hass, service, raw.device_id, **case.data))
    call = await raw.next_call(task)
    assert call[2] == case.action
    assert call[3] == case.payload
    await raw.answer(call, case.answer)
    async with asyncio.timeout(5):
        assert await task == case.response


@ALL_VERSIONS
@pytest.mark.parametrize("name", list(CASES))
async def test_action_sends_call_and_returns_answer(
    hass: HomeAssistant, ocpp_version: str, raw: RawCharger, name: str
) -> None:
    """Every action sends its version's CALL and returns what the charger answered."""
    await _run(hass, raw, VARIANTS.get(name, name), CASES[name][raw.family])


def test_every_action_has_a_case() -> None:
    """The table above covers every action but the two that need a simulator."""
    covered = {VARIANTS.get(name, name) for name in CASES}
    # stop_charging needs a running session and set_current_limit a smart charger: both are
    # covered with the simulator (here and in test_control.py); the firmware and diagnostics
    # actions need HA's HTTP server and are covered end to end in test_maintenance.py.
    assert set(SCHEMAS) - covered == {
        "stop_charging",
        "set_current_limit",
        "offer_firmware",
        "install_firmware",
        "request_diagnostics",
    }


# --- errors a charger causes -----------------------------------------------------------------


@ALL_VERSIONS
async def test_refusal_callerror_timeout_and_lost_connection(
    hass: HomeAssistant,
    ocpp_version: str,
    central: MockConfigEntry,
    raw: RawCharger,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Refusals, CALLERRORs, silence and a dropped connection each have their error."""
    task = asyncio.ensure_future(
        expect_error(hass, "reset", raw.device_id, "command_rejected", HomeAssistantError)
    )
    await raw.answer(await raw.next_call(task), {"status": "Rejected"})
    error = await task
    assert error.translation_placeholders == {"command": "reset", "status": "rejected"}

    # A refusal the action must tell apart from its success statuses.
    task = asyncio.ensure_future(
        expect_error(
            hass, "unlock_connector", raw.device_id, "command_rejected", HomeAssistantError
        )
    )
    await raw.answer(await raw.next_call(task), {"status": "UnlockFailed"})
    assert (await task).translation_placeholders == {
        "command": "unlock_connector",
        "status": "failed",
    }

    task = asyncio.ensure_future(
        expect_error(hass, "clear_cache", raw.device_id, "command_failed", HomeAssistantError)
    )
    await raw.fail(await raw.next_call(task), "InternalError", "boom")
    assert (await task).translation_placeholders == {
        "command": "clear_cache",
        "code": "InternalError",
        "description": "boom",
    }

    # A composite schedule refused has nothing to return.
    task = asyncio.ensure_future(
        expect_error(
            hass,
            "get_composite_schedule",
            raw.device_id,
            "command_rejected",
            HomeAssistantError,
            duration=60,
        )
    )
    await raw.answer(await raw.next_call(task), {"status": "Rejected"})
    await task

    adapter = central.runtime_data.sessions["RAW"].adapter
    monkeypatch.setattr(adapter, "_response_timeout", 0.1)
    task = asyncio.ensure_future(
        expect_error(
            hass,
            "trigger_message",
            raw.device_id,
            "command_timeout",
            HomeAssistantError,
            message="heartbeat",
        )
    )
    await raw.next_call(task)
    assert (await task).translation_placeholders == {"command": "trigger_message"}

    # The connection drops while the charger should be answering.
    task = asyncio.ensure_future(
        expect_error(hass, "clear_cache", raw.device_id, "charger_offline", HomeAssistantError)
    )
    await raw.next_call(task)
    await raw.ws.close()
    error = await task
    assert not isinstance(error, ServiceValidationError)


async def test_unknown_device(hass: HomeAssistant, central: MockConfigEntry) -> None:
    """Devices that do not exist or belong to another integration are refused."""
    await expect_error(hass, "reset", "no-such-device", "device_not_found")
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other", "X1")}
    )
    await expect_error(hass, "reset", device.id, "device_not_found")
    # Ours by domain, but no charger of ours (e.g. forgotten meanwhile).
    stray = dr.async_get(hass).async_get_or_create(
        config_entry_id=central.entry_id, identifiers={(DOMAIN, "GONE")}
    )
    await expect_error(hass, "reset", stray.id, "device_not_found")


@ALL_VERSIONS
async def test_offline_charger(
    hass: HomeAssistant, ocpp_version: str, central: MockConfigEntry, make_simulator: Any
) -> None:
    """Disconnected and unloaded chargers take no commands; a reconnect needs no boot.

    Chargers boot only after a reboot: one that reconnects after a network drop is the same
    approved charger and takes commands at once.
    """
    sim = await make_simulator("CP1")
    await sim.boot()
    sessions = central.runtime_data.sessions
    await wait_until(hass, lambda: "CP1" in sessions)
    device_id = _device_id(hass, "CP1")

    await sim.close()
    await wait_until(hass, lambda: "CP1" not in sessions)
    await expect_error(hass, "reset", device_id, "charger_offline")

    # Connected again without a BootNotification: still the approved charger.
    await sim.connect()
    await wait_until(hass, lambda: "CP1" in sessions)
    await act(hass, "clear_cache", device_id)
    assert [action for action, _ in sim.received if action == "ClearCache"]

    await hass.config_entries.async_unload(central.entry_id)
    await expect_error(hass, "reset", device_id, "charger_offline")


# --- what the user asks for --------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "data", "key"),
    [
        ("set_charging_profile", {"periods": []}, "no_periods"),
        ("set_charging_profile", {"periods": [{"start": 60, "limit": 16}]}, "first_period_start"),
        (
            "set_charging_profile",
            {"periods": [{"start": 0, "limit": 16}, {"start": 0, "limit": 8}]},
            "periods_not_increasing",
        ),
        (
            "set_charging_profile",
            {"unit": "W", "periods": [{"start": 0, "limit": -7400}]},
            "invalid_limit",
        ),
        (
            "set_charging_profile",
            {"unit": "W", "periods": [{"start": 0, "limit": "nan"}]},
            "invalid_limit",
        ),
        (
            "set_charging_profile",
            {
                "periods": [{"start": 0, "limit": 16}, {"start": 86400, "limit": 8}],
                "recurrency": "daily",
            },
            "period_outside_recurrency",
        ),
        ("set_charging_profile", {"purpose": "tx", "periods": PERIODS}, "no_transaction"),
        ("stop_charging", {}, "no_transaction"),
        ("update_firmware", {"location": "fw.bin"}, "invalid_location"),
        ("get_log", {"location": "https://"}, "invalid_location"),
        ("reserve_now", {"expiry": "2020-01-01T00:00:00", "id_tag": "TAG1"}, "expiry_in_past"),
        (
            "send_local_list",
            {"version": 1, "entries": [{"id_tag": "tag1"}, {"id_tag": "TAG1"}]},
            "duplicate_id_tag",
        ),
        (
            "send_local_list",
            {"version": 1, "entries": [{"id_tag": "TAG1", "status": "remove"}]},
            "remove_in_full_update",
        ),
        ("start_charging", {"id_tag": "X" * 21}, "id_tag_too_long"),
    ],
)
async def test_invalid_input(
    hass: HomeAssistant, raw: RawCharger, service: str, data: dict[str, Any], key: str
) -> None:
    """Input that makes no sense is refused before anything goes to the charger."""
    await expect_error(hass, service, raw.device_id, key, **data)
    assert not raw.calls


@ALL_VERSIONS
async def test_id_tag_length_follows_version(
    hass: HomeAssistant, ocpp_version: str, raw: RawCharger
) -> None:
    """Each OCPP version carries id tags up to its own length."""
    longest = {"1.6": 20, "2.0.1": 36, "2.1": 255}[ocpp_version]
    error = await expect_error(
        hass,
        "reserve_now",
        raw.device_id,
        "id_tag_too_long",
        expiry=FUTURE,
        id_tag="T" * (longest + 1),
    )
    assert error.translation_placeholders["max_length"] == str(longest)
    task = asyncio.ensure_future(act(hass, "start_charging", raw.device_id, id_tag="T" * longest))
    call = await raw.next_call(task)
    await raw.answer(call, ACCEPTED)
    await task


async def test_unlock_before_connectors_are_known(
    hass: HomeAssistant, central: MockConfigEntry, raw: RawCharger
) -> None:
    """A charger that reported no connector yet still has connector 1 to unlock."""
    central.runtime_data.chargers["RAW"].connectors.pop(1)
    task = asyncio.ensure_future(act(hass, "unlock_connector", raw.device_id))
    call = await raw.next_call(task)
    assert call[2:] == ["UnlockConnector", {"connectorId": 1}]
    await raw.answer(call, {"status": "Unlocked"})
    await task


@pytest.mark.parametrize("ocpp_version", ["2.0.1", "2.1"])
async def test_variable_names_of_2x(
    hass: HomeAssistant, ocpp_version: str, raw: RawCharger
) -> None:
    """2.x variables are "Component.Variable"; anything else never reaches the charger."""
    await expect_error(
        hass, "set_configuration", raw.device_id, "invalid_variable_key", key="Nope", value="1"
    )
    assert not raw.calls


async def test_schema_rejects_malformed_data(hass: HomeAssistant, raw: RawCharger) -> None:
    """Types and shapes are the schema's business (HA's generic invalid-data error)."""
    with pytest.raises(vol.Invalid):
        await act(hass, "set_charging_profile", raw.device_id, periods=[{"start": 0}])
    with pytest.raises(vol.Invalid):
        await act(
            hass,
            "set_charging_profile",
            raw.device_id,
            periods=[{"start": 0, "limit": 6, "phases": 4}],
        )
    with pytest.raises(vol.Invalid):
        await act(hass, "trigger_message", raw.device_id, message="log_status")
    with pytest.raises(vol.Invalid):
        await act(hass, "reset", raw.device_id, sideways=True)


# --- flows on the simulator ----------------------------------------------------------------


class Calls:
    """The CALLs a simulator receives from now on."""

    def __init__(self, sim: Any) -> None:
        """Remember where "now" is."""
        self.sim = sim
        self.mark = len(sim.received)

    async def get(self, action: str) -> dict[str, Any]:
        """The first `action` CALL since the mark (waiting for it a little)."""
        async with asyncio.timeout(5):
            while True:
                for name, payload in self.sim.received[self.mark :]:
                    if name == action:
                        return dict(payload)
                await asyncio.sleep(0.01)


async def _boot(
    hass: HomeAssistant, central: MockConfigEntry, sim: Any, connectors: int = 1
) -> str:
    """Boot a simulator, report its connectors and let the post-boot configuration finish."""
    await sim.boot()
    for connector_id in range(1, connectors + 1):
        await sim.status(connector_id, "Available")
    charger_id = sim.config.charge_point_id
    chargers = central.runtime_data.chargers
    await wait_until(
        hass,
        lambda: charger_id in chargers and len(chargers[charger_id].outlet_ids) == connectors,
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    return _device_id(hass, charger_id)


@ALL_VERSIONS
async def test_start_profile_and_stop_a_session(
    hass: HomeAssistant, ocpp_version: str, central: MockConfigEntry, make_simulator: Any
) -> None:
    """Start a session, limit it with a TxProfile, stop it, start again with the last tag."""
    family = _family(ocpp_version)
    sim = await make_simulator("CP1")
    device_id = await _boot(hass, central, sim)
    connector = central.runtime_data.chargers["CP1"].connector(1)

    calls = Calls(sim)
    assert await act(hass, "start_charging", device_id, id_tag="TAG9") is None
    payload = await calls.get(START[family])
    if family == V16:
        assert payload == {"connectorId": 1, "idTag": "TAG9"}
    else:
        assert (payload["idToken"], payload["evseId"]) == (_token("TAG9"), 1)
    await wait_until(hass, lambda: connector.transaction is not None)
    assert connector.transaction is not None
    transaction_id = connector.transaction.transaction_id

    calls = Calls(sim)
    response = await act(
        hass, "set_charging_profile", device_id, purpose="tx", periods=[{"start": 0, "limit": 10}]
    )
    assert response == {"profile_id": 40100, "connector_id": 1}
    payload = await calls.get("SetChargingProfile")
    if family == V16:
        assert payload["connectorId"] == 1
        assert payload["csChargingProfiles"]["transactionId"] == int(transaction_id)
    else:
        assert payload["evseId"] == 1
        assert payload["chargingProfile"]["transactionId"] == transaction_id
    assert sim.connector(1).offered_current() == 10

    calls = Calls(sim)
    await act(hass, "stop_charging", device_id)
    payload = await calls.get(STOP[family])
    wire_id = int(transaction_id) if family == V16 else transaction_id
    assert payload == {"transactionId": wire_id}
    await wait_until(hass, lambda: connector.transaction is None)
    assert connector.last_transaction is not None
    assert connector.last_transaction.stop_reason == "Remote"
    await expect_error(hass, "stop_charging", device_id, "no_transaction")

    # Without a tag, the session runs under the tag of the last one.
    await wait_until(hass, lambda: sim.free_connector(1) == 1)
    calls = Calls(sim)
    await act(hass, "start_charging", device_id)
    payload = await calls.get(START[family])
    assert payload.get("idTag", payload.get("idToken", {}).get("idToken")) == "TAG9"


@ALL_VERSIONS
async def test_charger_commands_on_simulator(
    hass: HomeAssistant, ocpp_version: str, central: MockConfigEntry, make_simulator: Any
) -> None:
    """Configuration, triggers, availability, profiles and resets against the simulator."""
    family = _family(ocpp_version)
    sim = await make_simulator("CP1")
    device_id = await _boot(hass, central, sim)
    key = "HeartbeatInterval" if family == V16 else "OCPPCommCtrlr.HeartbeatInterval"

    response = await act(hass, "get_configuration", device_id, keys=[key])
    assert response == {"configuration": {key: {"value": "300", "readonly": False}}, "unknown": []}
    assert await act(hass, "set_configuration", device_id, key=key, value="120") == {
        "status": "accepted"
    }
    assert sim.heartbeat_interval == 120
    sim.reject_keys.add(key)
    await expect_error(
        hass,
        "set_configuration",
        device_id,
        "command_rejected",
        HomeAssistantError,
        key=key,
        value="60",
    )

    calls = Calls(sim)
    await act(hass, "trigger_message", device_id, message="heartbeat")
    assert (await calls.get("TriggerMessage"))["requestedMessage"] == "Heartbeat"

    # The simulator knows no vendor extensions.
    error = await expect_error(
        hass, "data_transfer", device_id, "command_rejected", HomeAssistantError, vendor_id="x"
    )
    assert error.translation_placeholders["status"] == "not_supported"

    assert await act(hass, "clear_cache", device_id) is None
    assert await act(hass, "change_availability", device_id, operative=False) == {
        "status": "accepted"
    }
    assert not sim.connector(1).operative
    assert await act(hass, "clear_charging_profile", device_id) == {"status": "unknown"}
    assert await act(hass, "reset", device_id) == {"status": "accepted"}


@ALL_VERSIONS
async def test_connector_devices(
    hass: HomeAssistant, ocpp_version: str, central: MockConfigEntry, make_simulator: Any
) -> None:
    """A connector device means that connector; a charger with several needs one chosen."""
    family = _family(ocpp_version)
    sim = await make_simulator("DUO", connectors=2)
    charger_id = await _boot(hass, central, sim, connectors=2)
    await wait_until(
        hass, lambda: dr.async_get(hass).async_get_device({(DOMAIN, "DUO-2")}) is not None
    )
    second = _device_id(hass, "DUO-2")

    calls = Calls(sim)
    assert await act(hass, "change_availability", second, operative=False) == {"status": "accepted"}
    payload = await calls.get("ChangeAvailability")
    assert payload == (
        {"connectorId": 2, "type": "Inoperative"}
        if family == V16
        else {"operationalStatus": "Inoperative", "evse": {"id": 2}}
    )
    assert not sim.connector(2).operative
    assert sim.connector(1).operative

    calls = Calls(sim)
    await act(hass, "unlock_connector", second)
    payload = await calls.get("UnlockConnector")
    assert payload == ({"connectorId": 2} if family == V16 else {"evseId": 2, "connectorId": 1})
    await expect_error(hass, "unlock_connector", charger_id, "connector_required")
    await expect_error(
        hass,
        "set_charging_profile",
        second,
        "charger_max_on_connector",
        purpose="charger_max",
        periods=PERIODS,
    )
    await expect_error(hass, "stop_charging", charger_id, "no_transaction")

    # On the charger's device the charger picks the connector.
    calls = Calls(sim)
    await act(hass, "start_charging", charger_id, id_tag="TAG1")
    payload = await calls.get(START[family])
    assert "connectorId" not in payload
    assert "evseId" not in payload
    charger = central.runtime_data.chargers["DUO"]
    await wait_until(hass, lambda: charger.connector(1).transaction is not None)
    await act(hass, "change_availability", second, operative=True)
    await act(hass, "start_charging", second, id_tag="TAG2")
    await wait_until(hass, lambda: charger.connector(2).transaction is not None)
    transaction = charger.connector(2).transaction
    assert transaction is not None
    assert transaction.id_tag == "TAG2"

    # Two sessions: stopping needs the connector.
    await expect_error(hass, "stop_charging", charger_id, "connector_required")
    calls = Calls(sim)
    await act(hass, "stop_charging", second)
    wire_id = int(transaction.transaction_id) if family == V16 else transaction.transaction_id
    assert await calls.get(STOP[family]) == {"transactionId": wire_id}
    await wait_until(hass, lambda: charger.connector(2).transaction is None)
    assert charger.connector(1).transaction is not None


# --- services.yaml, translations and icons ---------------------------------------------------


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _actions() -> dict[str, Any]:
    services = load_yaml_dict(str(INTEGRATION / "services.yaml"))
    return {name: spec for name, spec in services.items() if not name.startswith(".")}


async def test_actions_registered_as_described(
    hass: HomeAssistant, central: MockConfigEntry
) -> None:
    """services.yaml describes exactly the registered actions, their fields and responses."""
    actions = _actions()
    # The charger actions, and the history actions (any charger, or all of them).
    schemas = {
        **SCHEMAS,
        SERVICE_LIST_SESSIONS: LIST_SCHEMA,
        SERVICE_EXPORT_SESSIONS: EXPORT_SCHEMA,
    }
    assert set(actions) == set(hass.services.async_services_for_domain(DOMAIN)) == set(schemas)
    descriptions = (await async_get_all_descriptions(hass))[DOMAIN]
    only = {
        "get_composite_schedule",
        "get_configuration",
        "get_local_list_version",
        SERVICE_LIST_SESSIONS,
    }
    for name, spec in actions.items():
        fields = spec["fields"]
        assert set(fields) == {str(key) for key in schemas[name].schema}, name
        assert set(descriptions[name]["fields"]) == set(fields)
        device = fields[ATTR_DEVICE_ID]
        assert device.get("required", False) is (name in SCHEMAS)
        assert device["selector"]["device"]["filter"] == [{"integration": DOMAIN}]
        for field_name, field_spec in fields.items():
            selector.validate_selector(field_spec["selector"])
            required = field_spec.get("required", False)
            assert required == any(
                str(key) == field_name and isinstance(key, vol.Required)
                for key in schemas[name].schema
            ), (name, field_name)
        supports = hass.services.supports_response(DOMAIN, name)
        assert (supports is SupportsResponse.ONLY) == (name in only), name


def _selector_keys(spec: dict[str, Any]) -> dict[str, set[str]]:
    """Selector translation keys a field uses, with the options or fields they name."""
    found: dict[str, set[str]] = {}
    for kind, maybe_config in spec["selector"].items():
        config = maybe_config or {}
        if "translation_key" in config:
            names = config["options"] if kind == "select" else config["fields"]
            found[config["translation_key"]] = set(names)
        for sub in (config.get("fields") or {}).values():
            found.update(_selector_keys(sub))
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_actions_translated(language: str) -> None:
    """Every action and field has a name and description, every option a label."""
    strings = _load(INTEGRATION / "translations" / f"{language}.json")
    services = strings["services"]
    actions = _actions()
    assert set(services) == set(actions)
    for name, spec in actions.items():
        assert services[name]["name"].strip()
        assert services[name]["description"].strip()
        assert set(services[name]["fields"]) == set(spec["fields"]), name
        for field_name, field_spec in spec["fields"].items():
            text = services[name]["fields"][field_name]
            assert text["name"].strip(), (name, field_name)
            assert text["description"].strip(), (name, field_name)
            for key, names in _selector_keys(field_spec).items():
                labels = strings["selector"][key]
                assert set(labels.get("options", labels.get("fields", {}))) == names, key


def test_action_icons() -> None:
    """icons.json has an icon for every action."""
    icons = _load(INTEGRATION / "icons.json")["services"]
    assert set(icons) == set(_actions())
    for icon in icons.values():
        assert icon["service"].startswith("mdi:")


@pytest.mark.parametrize("language", LANGUAGES)
def test_action_errors_translated(language: str) -> None:
    """Every error key the actions raise has a message in every language."""
    sources = (INTEGRATION / "services.py").read_text(encoding="utf-8") + (
        INTEGRATION / "services_schema.py"
    ).read_text(encoding="utf-8")
    keys = set(re.findall(r'validation_error\(\s*"(\w+)"', sources))
    keys |= {"command_rejected", "command_failed", "command_timeout", "charger_offline"}
    exceptions = _load(INTEGRATION / "translations" / f"{language}.json")["exceptions"]
    assert keys <= set(exceptions), keys - set(exceptions)
    for key in keys:
        assert exceptions[key]["message"].strip()


@ALL_VERSIONS
async def test_set_current_limit_action(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """The limit action writes through the rate-limited control; bad values are refused."""
    sim = await make_simulator("LIM")
    await sim.boot()
    charger = central.runtime_data.chargers["LIM"]
    await wait_until(hass, lambda: "SmartCharging" in charger.feature_profiles)
    device = dr.async_get(hass).async_get_device({(DOMAIN, "LIM")})
    assert device is not None
    await hass.services.async_call(
        DOMAIN, "set_current_limit", {"device_id": device.id, "current": 11}, blocking=True
    )
    await sim.wait_for_call("SetChargingProfile")
    await wait_until(hass, lambda: charger.connector(1).limit.default is not None)
    written = charger.connector(1).limit.default
    assert written is not None
    assert written.amps == 11
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "set_current_limit", {"device_id": device.id, "current": 3}, blocking=True
        )
    assert err.value.translation_key == "invalid_current"
    charger.feature_profiles = frozenset({"Core"})
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "set_current_limit", {"device_id": device.id, "current": 10}, blocking=True
        )
    assert err.value.translation_key == "no_smart_charging"
