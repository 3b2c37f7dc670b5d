"""The whole command set over real websockets, for every OCPP version the central speaks.

A raw websocket charger boots, the test calls a command on the session's adapter, checks the
CALL that arrives (action and exact payload), answers it and checks what the command returns.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
import json
import logging
from typing import Any
from unittest.mock import ANY

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from websockets.asyncio.client import ClientConnection, connect

from custom_components.ocpp_central.errors import ChargerCallError
from custom_components.ocpp_central.protocol import SUBPROTOCOLS, rpc as rpc_module
from custom_components.ocpp_central.protocol.base import AuthorizationStatus, CommandStatus
from custom_components.ocpp_central.protocol.commands import (
    ChargingProfile,
    ClearProfileCriteria,
    CompositeSchedule,
    DataTransferResult,
    FirmwareRequest,
    LocalListEntry,
    LogKind,
    LogRequest,
    LogResult,
    ProfileKind,
    ProfilePurpose,
    RateUnit,
    Recurrency,
    Reservation,
    ResetKind,
    SchedulePeriod,
    UpdateType,
    VariableResult,
)
from custom_components.ocpp_central.protocol.profiles import (
    answer_status,
    parse_schedule,
    parse_time,
    utc_iso,
)

V16 = "1.6"
V2 = "2"  # 2.0.1 and 2.1 send the same payloads for every command
VERSIONS = [version for version in ("1.6", "2.0.1", "2.1") if version in SUBPROTOCOLS.values()]
BOOTS = {
    V16: {"chargePointVendor": "V", "chargePointModel": "M"},
    V2: {"chargingStation": {"vendorName": "V", "model": "M"}, "reason": "PowerUp"},
}

Command = Callable[[Any], Awaitable[Any]]


def _family(version: str) -> str:
    return V16 if version == V16 else V2


# 04:04:05 at UTC+1: goes out as 03:04:05Z.
T0 = datetime(2026, 1, 2, 4, 4, 5, tzinfo=timezone(timedelta(hours=1)))
T0_Z = "2026-01-02T03:04:05Z"
T1 = datetime(2026, 1, 3, 3, 4, 5, tzinfo=UTC)
T1_Z = "2026-01-03T03:04:05Z"

PROFILE = ChargingProfile(
    profile_id=7,
    stack_level=2,
    purpose=ProfilePurpose.TX_DEFAULT,
    kind=ProfileKind.ABSOLUTE,
    unit=RateUnit.AMPERE,
    periods=(SchedulePeriod(0, 16.0, 3), SchedulePeriod(3600, 7.25)),
    start=T0,
    duration=7200,
    valid_from=T0,
    valid_to=T1,
    min_rate=6.0,
)
DAILY_MAX = ChargingProfile(
    profile_id=1,
    stack_level=0,
    purpose=ProfilePurpose.CHARGER_MAX,
    kind=ProfileKind.RECURRING,
    unit=RateUnit.WATT,
    periods=(SchedulePeriod(0, 11000),),
    recurrency=Recurrency.DAILY,
    start=T0,
)
TX_PROFILE = ChargingProfile(
    profile_id=3,
    stack_level=1,
    purpose=ProfilePurpose.TX,
    kind=ProfileKind.RELATIVE,
    unit=RateUnit.AMPERE,
    periods=(SchedulePeriod(0, 10),),
    transaction_id="42",
)
START_PROFILE = ChargingProfile(
    profile_id=4,
    stack_level=0,
    purpose=ProfilePurpose.TX,
    kind=ProfileKind.RELATIVE,
    unit=RateUnit.AMPERE,
    periods=(SchedulePeriod(0, 13),),
)
FIRMWARE = FirmwareRequest(
    "https://fw.example/fw.bin", T0, request_id=3, retries=2, retry_interval=60
)
SIGNED_FIRMWARE = FirmwareRequest(
    "https://fw.example/fw.bin",
    T0,
    request_id=3,
    install_at=T1,
    signing_certificate="CERT",
    signature="SIG",
)
SECURITY_LOG = LogRequest("ftp://logs.example/", kind=LogKind.SECURITY, request_id=5)
TOKEN = {"idToken": "TAG1", "type": "ISO14443"}
PARENT = {"idToken": "PARENT", "type": "ISO14443"}
KEY_2 = "AlignedDataCtrlr[2].Interval[Main]"


def _token(tag: str) -> dict[str, str]:
    return {"idToken": tag, "type": "ISO14443"}


def _variable_result(component: dict[str, Any], variable: str, status: str) -> dict[str, Any]:
    return {"attributeStatus": status, "component": component, "variable": {"name": variable}}


def _schedule_periods() -> list[dict[str, Any]]:
    return [
        {"startPeriod": 0, "limit": 16.0, "numberPhases": 3},
        {"startPeriod": 1800, "limit": 10.5},
    ]


COMPOSITE = CompositeSchedule(
    connector_id=1,
    start=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    duration=3600,
    unit=RateUnit.AMPERE,
    periods=(SchedulePeriod(0, 16.0, 3), SchedulePeriod(1800, 10.5)),
)


class Link:
    """A raw websocket charger and the adapter the central system runs for it."""

    def __init__(self, ws: ClientConnection, adapter: Any, version: str) -> None:
        """Wrap a booted charger."""
        self.ws = ws
        self.adapter = adapter
        self.version = version
        self.family = _family(version)

    async def next_call(self, task: asyncio.Future[Any] | None = None) -> list[Any]:
        """The next CALL; fails at once if `task` ends (e.g. refused by validation) first."""
        receive = asyncio.ensure_future(self.ws.recv())
        waiting: set[asyncio.Future[Any]] = {receive} if task is None else {receive, task}
        done, _ = await asyncio.wait(waiting, timeout=5, return_when=asyncio.FIRST_COMPLETED)
        if receive not in done:
            receive.cancel()
            if task is not None and task.done():
                raise AssertionError(f"command ended without a call: {task.result()!r}")
            raise AssertionError("no call arrived")
        frame = json.loads(receive.result())
        assert frame[0] == 2, frame
        return list(frame)

    async def run(self, command: Command, *steps: tuple[str, Any, Any]) -> Any:
        """Run a command; for each (action, payload, answer) check the CALL and answer it.

        An answer of ("error", code) sends a CALLERROR; a payload of ... is not checked.
        """
        task = asyncio.ensure_future(command(self.adapter))
        for action, payload, answer in steps:
            call = await self.next_call(task)
            assert call[2] == action
            if payload is not ...:
                assert call[3] == payload
            if isinstance(answer, tuple):
                await self.ws.send(json.dumps([4, call[1], answer[1], "refused", {}]))
            else:
                await self.ws.send(json.dumps([3, call[1], answer]))
        async with asyncio.timeout(5):
            return await task


@pytest.fixture
async def link(
    request: pytest.FixtureRequest, hass: HomeAssistant, central: MockConfigEntry, url: str
) -> AsyncGenerator[Link]:
    """A booted charger of the requested OCPP version whose post-boot reading was refused."""
    version: str = request.param
    subprotocol = f"ocpp{version}"
    async with connect(f"{url}/CS", subprotocols=[subprotocol]) as ws:
        assert ws.subprotocol == subprotocol
        await ws.send(json.dumps([2, "boot", "BootNotification", BOOTS[_family(version)]]))
        async with asyncio.timeout(5):
            assert json.loads(await ws.recv())[2]["status"] == "Accepted"
        charger = Link(ws, central.runtime_data.sessions["CS"].adapter, version)
        # GetConfiguration (1.6) / GetBaseReport (2.x): refuse it so commands go out at once.
        call = await charger.next_call()
        assert call[2] in {"GetConfiguration", "GetBaseReport"}
        await ws.send(json.dumps([4, call[1], "NotSupported", "", {}]))
        if call[2] == "GetBaseReport":
            # Without a report, 2.x capabilities are read with GetVariables, and the options
            # are still written: refuse both too.
            for expected in ("GetVariables", "SetVariables"):
                call = await charger.next_call()
                assert call[2] == expected
                await ws.send(json.dumps([4, call[1], "NotSupported", "", {}]))
        yield charger


@dataclass(frozen=True)
class Case:
    """One command, the CALLs it must send, the answers they get and the expected result."""

    name: str
    family: str
    command: Command
    steps: tuple[tuple[str, Any, Any], ...]
    expected: Any


def _accepted(action: str, payload: Any, answer: Any = None) -> tuple[str, Any, Any]:
    return (action, payload, {"status": "Accepted"} if answer is None else answer)


CASES = [
    # --- remote start / stop -----------------------------------------------------------
    Case(
        "remote_start",
        V16,
        lambda a: a.remote_start(1, "TAG1"),
        (_accepted("RemoteStartTransaction", {"connectorId": 1, "idTag": "TAG1"}),),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "remote_start_any_connector_with_profile",
        V16,
        lambda a: a.remote_start(0, "TAG1", START_PROFILE),
        (
            _accepted(
                "RemoteStartTransaction",
                {
                    "idTag": "TAG1",
                    "chargingProfile": {
                        "chargingProfileId": 4,
                        "stackLevel": 0,
                        "chargingProfilePurpose": "TxProfile",
                        "chargingProfileKind": "Relative",
                        "chargingSchedule": {
                            "chargingRateUnit": "A",
                            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 13.0}],
                        },
                    },
                },
            ),
        ),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "remote_start",
        V2,
        lambda a: a.remote_start(1, "TAG1"),
        (
            _accepted(
                "RequestStartTransaction", {"idToken": TOKEN, "remoteStartId": ANY, "evseId": 1}
            ),
        ),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "remote_start_any_evse_with_profile",
        V2,
        lambda a: a.remote_start(None, "TAG1", START_PROFILE),
        (
            _accepted(
                "RequestStartTransaction",
                {
                    "idToken": TOKEN,
                    "remoteStartId": ANY,
                    "chargingProfile": {
                        "id": 4,
                        "stackLevel": 0,
                        "chargingProfilePurpose": "TxProfile",
                        "chargingProfileKind": "Relative",
                        "chargingSchedule": [
                            {
                                "id": 4,
                                "chargingRateUnit": "A",
                                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 13}],
                            }
                        ],
                    },
                },
                {"status": "Accepted", "transactionId": "T-1"},
            ),
        ),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "remote_stop",
        V16,
        lambda a: a.remote_stop("42"),
        (_accepted("RemoteStopTransaction", {"transactionId": 42}),),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "remote_stop",
        V2,
        lambda a: a.remote_stop("T-42"),
        (_accepted("RequestStopTransaction", {"transactionId": "T-42"}),),
        CommandStatus.ACCEPTED,
    ),
    # --- smart charging ----------------------------------------------------------------
    Case(
        "set_charging_profile",
        V16,
        lambda a: a.set_charging_profile(1, PROFILE),
        (
            _accepted(
                "SetChargingProfile",
                {
                    "connectorId": 1,
                    "csChargingProfiles": {
                        "chargingProfileId": 7,
                        "stackLevel": 2,
                        "chargingProfilePurpose": "TxDefaultProfile",
                        "chargingProfileKind": "Absolute",
                        "validFrom": T0_Z,
                        "validTo": T1_Z,
                        "chargingSchedule": {
                            "duration": 7200,
                            "startSchedule": T0_Z,
                            "chargingRateUnit": "A",
                            # 1.6 limits have one decimal.
                            "chargingSchedulePeriod": [
                                {"startPeriod": 0, "limit": 16.0, "numberPhases": 3},
                                {"startPeriod": 3600, "limit": 7.2},
                            ],
                            "minChargingRate": 6.0,
                        },
                    },
                },
            ),
        ),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "set_charging_profile_recurring_charger_max",
        V16,
        lambda a: a.set_charging_profile(0, DAILY_MAX),
        (
            _accepted(
                "SetChargingProfile",
                {
                    "connectorId": 0,
                    "csChargingProfiles": {
                        "chargingProfileId": 1,
                        "stackLevel": 0,
                        "chargingProfilePurpose": "ChargePointMaxProfile",
                        "chargingProfileKind": "Recurring",
                        "recurrencyKind": "Daily",
                        "chargingSchedule": {
                            "startSchedule": T0_Z,
                            "chargingRateUnit": "W",
                            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000}],
                        },
                    },
                },
            ),
        ),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "set_charging_profile_tx",
        V16,
        lambda a: a.set_charging_profile(1, TX_PROFILE),
        (
            _accepted(
                "SetChargingProfile",
                {
                    "connectorId": 1,
                    "csChargingProfiles": {
                        "chargingProfileId": 3,
                        "transactionId": 42,
                        "stackLevel": 1,
                        "chargingProfilePurpose": "TxProfile",
                        "chargingProfileKind": "Relative",
                        "chargingSchedule": {
                            "chargingRateUnit": "A",
                            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10}],
                        },
                    },
                },
            ),
        ),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "set_charging_profile",
        V2,
        lambda a: a.set_charging_profile(1, PROFILE),
        (
            _accepted(
                "SetChargingProfile",
                {
                    "evseId": 1,
                    "chargingProfile": {
                        "id": 7,
                        "stackLevel": 2,
                        "chargingProfilePurpose": "TxDefaultProfile",
                        "chargingProfileKind": "Absolute",
                        "validFrom": T0_Z,
                        "validTo": T1_Z,
                        "chargingSchedule": [
                            {
                                "id": 7,
                                "startSchedule": T0_Z,
                                "duration": 7200,
                                "chargingRateUnit": "A",
                                "chargingSchedulePeriod": [
                                    {"startPeriod": 0, "limit": 16.0, "numberPhases": 3},
                                    {"startPeriod": 3600, "limit": 7.25},
                                ],
                                "minChargingRate": 6.0,
                            }
                        ],
                    },
                },
            ),
        ),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "set_charging_profile_recurring_charger_max",
        V2,
        lambda a: a.set_charging_profile(0, DAILY_MAX),
        (
            _accepted(
                "SetChargingProfile",
                {
                    "evseId": 0,
                    "chargingProfile": {
                        "id": 1,
                        "stackLevel": 0,
                        "chargingProfilePurpose": "ChargingStationMaxProfile",
                        "chargingProfileKind": "Recurring",
                        "recurrencyKind": "Daily",
                        "chargingSchedule": [
                            {
                                "id": 1,
                                "startSchedule": T0_Z,
                                "chargingRateUnit": "W",
                                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000}],
                            }
                        ],
                    },
                },
            ),
        ),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "set_charging_profile_tx",
        V2,
        lambda a: a.set_charging_profile(1, TX_PROFILE),
        (
            _accepted(
                "SetChargingProfile",
                {
                    "evseId": 1,
                    "chargingProfile": {
                        "id": 3,
                        "stackLevel": 1,
                        "chargingProfilePurpose": "TxProfile",
                        "chargingProfileKind": "Relative",
                        "transactionId": "42",
                        "chargingSchedule": [
                            {
                                "id": 3,
                                "chargingRateUnit": "A",
                                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10}],
                            }
                        ],
                    },
                },
            ),
        ),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "clear_charging_profile_all",
        V16,
        lambda a: a.clear_charging_profile(ClearProfileCriteria()),
        (_accepted("ClearChargingProfile", {}),),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "clear_charging_profile",
        V16,
        lambda a: a.clear_charging_profile(
            ClearProfileCriteria(7, 1, ProfilePurpose.TX_DEFAULT, 2, extra={"x": "y"})
        ),
        (
            _accepted(
                "ClearChargingProfile",
                {
                    "id": 7,
                    "connectorId": 1,
                    "chargingProfilePurpose": "TxDefaultProfile",
                    "stackLevel": 2,
                },
            ),
        ),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "clear_charging_profile_all",
        V2,
        lambda a: a.clear_charging_profile(ClearProfileCriteria()),
        (_accepted("ClearChargingProfile", {}),),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "clear_charging_profile",
        V2,
        lambda a: a.clear_charging_profile(
            ClearProfileCriteria(7, 1, ProfilePurpose.CHARGER_MAX, 2)
        ),
        (
            _accepted(
                "ClearChargingProfile",
                {
                    "chargingProfileId": 7,
                    "chargingProfileCriteria": {
                        "evseId": 1,
                        "chargingProfilePurpose": "ChargingStationMaxProfile",
                        "stackLevel": 2,
                    },
                },
            ),
        ),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "clear_charging_profile_by_id",
        V2,
        lambda a: a.clear_charging_profile(ClearProfileCriteria(profile_id=7)),
        (_accepted("ClearChargingProfile", {"chargingProfileId": 7}),),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "get_composite_schedule",
        V16,
        lambda a: a.get_composite_schedule(1, 3600, RateUnit.AMPERE),
        (
            (
                "GetCompositeSchedule",
                {"connectorId": 1, "duration": 3600, "chargingRateUnit": "A"},
                {
                    "status": "Accepted",
                    "connectorId": 1,
                    "scheduleStart": "2026-01-02T03:04:05Z",
                    "chargingSchedule": {
                        "duration": 3600,
                        "chargingRateUnit": "A",
                        "chargingSchedulePeriod": _schedule_periods(),
                    },
                },
            ),
        ),
        COMPOSITE,
    ),
    Case(
        "get_composite_schedule_without_schedule",
        V16,
        lambda a: a.get_composite_schedule(1, 60),
        (_accepted("GetCompositeSchedule", {"connectorId": 1, "duration": 60}),),
        None,
    ),
    Case(
        "get_composite_schedule",
        V2,
        lambda a: a.get_composite_schedule(1, 3600, RateUnit.AMPERE),
        (
            (
                "GetCompositeSchedule",
                {"duration": 3600, "evseId": 1, "chargingRateUnit": "A"},
                {
                    "status": "Accepted",
                    "schedule": {
                        "evseId": 1,
                        "duration": 3600,
                        "scheduleStart": "2026-01-02T03:04:05Z",
                        "chargingRateUnit": "A",
                        "chargingSchedulePeriod": _schedule_periods(),
                    },
                },
            ),
        ),
        COMPOSITE,
    ),
    # --- availability, reset, unlock ---------------------------------------------------
    Case(
        "change_availability_connector",
        V16,
        lambda a: a.change_availability(1, False),
        (_accepted("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}),),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "change_availability_charger",
        V16,
        lambda a: a.change_availability(0, True),
        (_accepted("ChangeAvailability", {"connectorId": 0, "type": "Operative"}),),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "change_availability_evse",
        V2,
        lambda a: a.change_availability(1, False),
        (_accepted("ChangeAvailability", {"operationalStatus": "Inoperative", "evse": {"id": 1}}),),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "change_availability_station",
        V2,
        lambda a: a.change_availability(0, True),
        (_accepted("ChangeAvailability", {"operationalStatus": "Operative"}),),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "reset_soft",
        V16,
        lambda a: a.reset(ResetKind.SOFT),
        (_accepted("Reset", {"type": "Soft"}),),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "reset_hard",
        V16,
        lambda a: a.reset(ResetKind.HARD),
        (_accepted("Reset", {"type": "Hard"}),),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "reset_soft",
        V2,
        lambda a: a.reset(ResetKind.SOFT),
        (_accepted("Reset", {"type": "OnIdle"}),),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "reset_hard",
        V2,
        lambda a: a.reset(ResetKind.HARD),
        (_accepted("Reset", {"type": "Immediate"}),),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "unlock_connector",
        V16,
        lambda a: a.unlock_connector(2),
        (_accepted("UnlockConnector", {"connectorId": 2}, {"status": "Unlocked"}),),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "unlock_connector",
        V2,
        lambda a: a.unlock_connector(2),
        (_accepted("UnlockConnector", {"evseId": 2, "connectorId": 1}, {"status": "Unlocked"}),),
        CommandStatus.ACCEPTED,
    ),
    # --- configuration -----------------------------------------------------------------
    Case(
        "set_variables",
        V16,
        lambda a: a.set_variables({"HeartbeatInterval": "60", "LightIntensity": "50"}),
        (
            _accepted("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"}),
            _accepted(
                "ChangeConfiguration",
                {"key": "LightIntensity", "value": "50"},
                {"status": "RebootRequired"},
            ),
        ),
        [
            VariableResult("HeartbeatInterval", CommandStatus.ACCEPTED),
            VariableResult("LightIntensity", CommandStatus.REBOOT_REQUIRED),
        ],
    ),
    Case(
        "set_variables",
        V2,
        lambda a: a.set_variables({"OCPPCommCtrlr.HeartbeatInterval": "60", KEY_2: "900"}),
        (
            (
                "SetVariables",
                {
                    "setVariableData": [
                        {
                            "component": {"name": "OCPPCommCtrlr"},
                            "variable": {"name": "HeartbeatInterval"},
                            "attributeValue": "60",
                        },
                        {
                            "component": {"name": "AlignedDataCtrlr", "evse": {"id": 2}},
                            "variable": {"name": "Interval", "instance": "Main"},
                            "attributeValue": "900",
                        },
                    ]
                },
                {
                    "setVariableResult": [
                        # Answers name the variables; their order need not be ours.
                        {
                            "attributeStatus": "RebootRequired",
                            "component": {"name": "AlignedDataCtrlr", "evse": {"id": 2}},
                            "variable": {"name": "Interval", "instance": "Main"},
                        },
                        _variable_result(
                            {"name": "OCPPCommCtrlr"}, "HeartbeatInterval", "Accepted"
                        ),
                    ]
                },
            ),
        ),
        [
            VariableResult(KEY_2, CommandStatus.REBOOT_REQUIRED),
            VariableResult("OCPPCommCtrlr.HeartbeatInterval", CommandStatus.ACCEPTED),
        ],
    ),
    # --- firmware and logs -------------------------------------------------------------
    Case(
        "update_firmware",
        V16,
        lambda a: a.update_firmware(FIRMWARE),
        (
            (
                "UpdateFirmware",
                {
                    "location": "https://fw.example/fw.bin",
                    "retrieveDate": T0_Z,
                    "retries": 2,
                    "retryInterval": 60,
                },
                {},
            ),
        ),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "update_firmware_signed",
        V16,
        lambda a: a.update_firmware(SIGNED_FIRMWARE),
        (
            _accepted(
                "SignedUpdateFirmware",
                {
                    "requestId": 3,
                    "firmware": {
                        "location": "https://fw.example/fw.bin",
                        "retrieveDateTime": T0_Z,
                        "installDateTime": T1_Z,
                        "signingCertificate": "CERT",
                        "signature": "SIG",
                    },
                },
            ),
        ),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "update_firmware",
        V2,
        lambda a: a.update_firmware(FIRMWARE),
        (
            _accepted(
                "UpdateFirmware",
                {
                    "requestId": 3,
                    "firmware": {"location": "https://fw.example/fw.bin", "retrieveDateTime": T0_Z},
                    "retries": 2,
                    "retryInterval": 60,
                },
            ),
        ),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "update_firmware_signed",
        V2,
        lambda a: a.update_firmware(SIGNED_FIRMWARE),
        (
            _accepted(
                "UpdateFirmware",
                {
                    "requestId": 3,
                    "firmware": {
                        "location": "https://fw.example/fw.bin",
                        "retrieveDateTime": T0_Z,
                        "installDateTime": T1_Z,
                        "signingCertificate": "CERT",
                        "signature": "SIG",
                    },
                },
            ),
        ),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "get_log_diagnostics",
        V16,
        lambda a: a.get_log(LogRequest("ftp://logs.example/", oldest=T0, latest=T1, retries=1)),
        (
            (
                "GetDiagnostics",
                {
                    "location": "ftp://logs.example/",
                    "retries": 1,
                    "startTime": T0_Z,
                    "stopTime": T1_Z,
                },
                {"fileName": "diag.zip"},
            ),
        ),
        LogResult(CommandStatus.ACCEPTED, "diag.zip"),
    ),
    Case(
        "get_log_diagnostics_none_available",
        V16,
        lambda a: a.get_log(LogRequest("ftp://logs.example/")),
        (("GetDiagnostics", {"location": "ftp://logs.example/"}, {}),),
        LogResult(CommandStatus.REJECTED),
    ),
    Case(
        "get_log_security",
        V16,
        lambda a: a.get_log(SECURITY_LOG),
        (
            _accepted(
                "GetLog",
                {
                    "log": {"remoteLocation": "ftp://logs.example/"},
                    "logType": "SecurityLog",
                    "requestId": 5,
                },
                {"status": "Accepted", "filename": "security.log"},
            ),
        ),
        LogResult(CommandStatus.ACCEPTED, "security.log"),
    ),
    Case(
        "get_log_diagnostics",
        V2,
        lambda a: a.get_log(LogRequest("ftp://logs.example/", oldest=T0, latest=T1, retries=1)),
        (
            _accepted(
                "GetLog",
                {
                    "log": {
                        "remoteLocation": "ftp://logs.example/",
                        "oldestTimestamp": T0_Z,
                        "latestTimestamp": T1_Z,
                    },
                    "logType": "DiagnosticsLog",
                    "requestId": 1,
                    "retries": 1,
                },
                {"status": "Accepted", "filename": "diag.zip"},
            ),
        ),
        LogResult(CommandStatus.ACCEPTED, "diag.zip"),
    ),
    Case(
        "get_log_security",
        V2,
        lambda a: a.get_log(SECURITY_LOG),
        (
            _accepted(
                "GetLog",
                {
                    "log": {"remoteLocation": "ftp://logs.example/"},
                    "logType": "SecurityLog",
                    "requestId": 5,
                },
            ),
        ),
        LogResult(CommandStatus.ACCEPTED),
    ),
    # --- vendor messages ---------------------------------------------------------------
    Case(
        "data_transfer",
        V16,
        lambda a: a.data_transfer("com.example", "ping", "hello"),
        (
            _accepted(
                "DataTransfer",
                {"vendorId": "com.example", "messageId": "ping", "data": "hello"},
                {"status": "Accepted", "data": "pong"},
            ),
        ),
        DataTransferResult(CommandStatus.ACCEPTED, "pong"),
    ),
    Case(
        "data_transfer",
        V2,
        lambda a: a.data_transfer("com.example", "ping", "hello"),
        (
            _accepted(
                "DataTransfer",
                {"vendorId": "com.example", "messageId": "ping", "data": "hello"},
                {"status": "Accepted", "data": "pong"},
            ),
        ),
        DataTransferResult(CommandStatus.ACCEPTED, "pong"),
    ),
    Case(
        "data_transfer_json_answer",
        V2,
        lambda a: a.data_transfer("com.example"),
        (
            _accepted(
                "DataTransfer",
                {"vendorId": "com.example"},
                {"status": "Accepted", "data": {"level": 3}},
            ),
        ),
        DataTransferResult(CommandStatus.ACCEPTED, '{"level": 3}'),
    ),
    # --- reservations ------------------------------------------------------------------
    Case(
        "reserve_now_any_connector",
        V16,
        lambda a: a.reserve_now(Reservation(9, T0, "TAG1", parent_id_tag="PARENT")),
        (
            _accepted(
                "ReserveNow",
                {
                    "connectorId": 0,
                    "expiryDate": T0_Z,
                    "idTag": "TAG1",
                    "reservationId": 9,
                    "parentIdTag": "PARENT",
                },
            ),
        ),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "reserve_now_connector",
        V16,
        lambda a: a.reserve_now(Reservation(9, T0, "TAG1", connector_id=2)),
        (
            _accepted(
                "ReserveNow",
                {"connectorId": 2, "expiryDate": T0_Z, "idTag": "TAG1", "reservationId": 9},
            ),
        ),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "reserve_now_any_evse",
        V2,
        lambda a: a.reserve_now(Reservation(9, T0, "TAG1", parent_id_tag="PARENT")),
        (
            _accepted(
                "ReserveNow",
                {"id": 9, "expiryDateTime": T0_Z, "idToken": TOKEN, "groupIdToken": PARENT},
            ),
        ),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "reserve_now_evse",
        V2,
        lambda a: a.reserve_now(Reservation(9, T0, "TAG1", connector_id=2)),
        (
            _accepted(
                "ReserveNow", {"id": 9, "expiryDateTime": T0_Z, "idToken": TOKEN, "evseId": 2}
            ),
        ),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "cancel_reservation",
        V16,
        lambda a: a.cancel_reservation(9),
        (_accepted("CancelReservation", {"reservationId": 9}),),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "cancel_reservation",
        V2,
        lambda a: a.cancel_reservation(9),
        (_accepted("CancelReservation", {"reservationId": 9}),),
        CommandStatus.ACCEPTED,
    ),
    # --- local authorization list ------------------------------------------------------
    Case(
        "send_local_list_differential",
        V16,
        lambda a: a.send_local_list(
            3,
            [
                LocalListEntry("TAG1", expiry=T0, parent_id_tag="PARENT"),
                LocalListEntry("TAG2", AuthorizationStatus.BLOCKED),
                LocalListEntry("GONE", None),
            ],
            UpdateType.DIFFERENTIAL,
        ),
        (
            _accepted(
                "SendLocalList",
                {
                    "listVersion": 3,
                    "updateType": "Differential",
                    "localAuthorizationList": [
                        {
                            "idTag": "TAG1",
                            "idTagInfo": {
                                "status": "Accepted",
                                "expiryDate": T0_Z,
                                "parentIdTag": "PARENT",
                            },
                        },
                        {"idTag": "TAG2", "idTagInfo": {"status": "Blocked"}},
                        {"idTag": "GONE"},
                    ],
                },
            ),
        ),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "send_local_list_empty_full",
        V16,
        lambda a: a.send_local_list(1, [], UpdateType.FULL),
        (
            _accepted(
                "SendLocalList",
                {"listVersion": 1, "updateType": "Full", "localAuthorizationList": []},
            ),
        ),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "send_local_list_differential",
        V2,
        lambda a: a.send_local_list(
            3,
            [
                LocalListEntry("TAG1", expiry=T0, parent_id_tag="PARENT"),
                LocalListEntry("TAG2", AuthorizationStatus.BLOCKED),
                LocalListEntry("GONE", None),
            ],
            UpdateType.DIFFERENTIAL,
        ),
        (
            _accepted(
                "SendLocalList",
                {
                    "versionNumber": 3,
                    "updateType": "Differential",
                    "localAuthorizationList": [
                        {
                            "idToken": TOKEN,
                            "idTokenInfo": {
                                "status": "Accepted",
                                "cacheExpiryDateTime": T0_Z,
                                "groupIdToken": PARENT,
                            },
                        },
                        {"idToken": _token("TAG2"), "idTokenInfo": {"status": "Blocked"}},
                        {"idToken": _token("GONE")},
                    ],
                },
            ),
        ),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "send_local_list_empty_full",
        V2,
        lambda a: a.send_local_list(1, [], UpdateType.FULL),
        (_accepted("SendLocalList", {"versionNumber": 1, "updateType": "Full"}),),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "get_local_list_version",
        V16,
        lambda a: a.get_local_list_version(),
        (("GetLocalListVersion", {}, {"listVersion": 5}),),
        5,
    ),
    Case(
        "get_local_list_version",
        V2,
        lambda a: a.get_local_list_version(),
        (("GetLocalListVersion", {}, {"versionNumber": 5}),),
        5,
    ),
    Case(
        "clear_cache",
        V16,
        lambda a: a.clear_cache(),
        (_accepted("ClearCache", {}),),
        CommandStatus.ACCEPTED,
    ),
    Case(
        "clear_cache",
        V2,
        lambda a: a.clear_cache(),
        (_accepted("ClearCache", {}),),
        CommandStatus.ACCEPTED,
    ),
]


def _with_versions(items: list[Any], family_of: Callable[[Any], str]) -> list[Any]:
    """Pair every item with each version of its family (indirect `link` parameter)."""
    return [
        pytest.param(version, item, id=f"{version}-{name}")
        for item, name in items
        for version in VERSIONS
        if _family(version) == family_of(item)
    ]


@pytest.mark.parametrize(
    ("link", "case"),
    _with_versions([(case, case.name) for case in CASES], lambda case: case.family),
    indirect=["link"],
)
async def test_command_payload_and_answer(link: Link, case: Case) -> None:
    """Each command sends exactly its version's payload and returns the charger's answer."""
    assert await link.run(case.command, *case.steps) == case.expected


# --- refusals: every status a charger may answer, mapped to CommandStatus --------------------


@dataclass(frozen=True)
class Refusals:
    """A command, how a status goes into its answer and comes out of its result."""

    name: str
    family: str
    command: Command
    action: str
    statuses: dict[str, Any]
    answer: Callable[[str], dict[str, Any]] = lambda status: {"status": status}
    result: Callable[[Any], Any] = lambda result: result


def _set_variable_answer(status: str) -> dict[str, Any]:
    return {"setVariableResult": [_variable_result({"name": "C"}, "V", status)]}


REFUSALS = [
    Refusals(
        "remote_start",
        V16,
        lambda a: a.remote_start(1, "T"),
        "RemoteStartTransaction",
        {"Rejected": CommandStatus.REJECTED},
    ),
    Refusals(
        "remote_start",
        V2,
        lambda a: a.remote_start(1, "T"),
        "RequestStartTransaction",
        {"Rejected": CommandStatus.REJECTED},
    ),
    Refusals(
        "remote_stop",
        V16,
        lambda a: a.remote_stop("1"),
        "RemoteStopTransaction",
        {"Rejected": CommandStatus.REJECTED},
    ),
    Refusals(
        "remote_stop",
        V2,
        lambda a: a.remote_stop("1"),
        "RequestStopTransaction",
        {"Rejected": CommandStatus.REJECTED},
    ),
    Refusals(
        "set_charging_profile",
        V16,
        lambda a: a.set_charging_profile(1, TX_PROFILE),
        "SetChargingProfile",
        {"Rejected": CommandStatus.REJECTED, "NotSupported": CommandStatus.NOT_SUPPORTED},
    ),
    Refusals(
        "set_charging_profile",
        V2,
        lambda a: a.set_charging_profile(1, TX_PROFILE),
        "SetChargingProfile",
        {"Rejected": CommandStatus.REJECTED},
    ),
    *(
        Refusals(
            "clear_charging_profile",
            family,
            lambda a: a.clear_charging_profile(ClearProfileCriteria(profile_id=1)),
            "ClearChargingProfile",
            {"Unknown": CommandStatus.UNKNOWN},
        )
        for family in (V16, V2)
    ),
    *(
        Refusals(
            "get_composite_schedule",
            family,
            lambda a: a.get_composite_schedule(1, 60),
            "GetCompositeSchedule",
            {"Rejected": None},
        )
        for family in (V16, V2)
    ),
    *(
        Refusals(
            "change_availability",
            family,
            lambda a: a.change_availability(1, False),
            "ChangeAvailability",
            {"Rejected": CommandStatus.REJECTED, "Scheduled": CommandStatus.SCHEDULED},
        )
        for family in (V16, V2)
    ),
    Refusals(
        "reset",
        V16,
        lambda a: a.reset(ResetKind.HARD),
        "Reset",
        {"Rejected": CommandStatus.REJECTED},
    ),
    Refusals(
        "reset",
        V2,
        lambda a: a.reset(ResetKind.SOFT),
        "Reset",
        {"Rejected": CommandStatus.REJECTED, "Scheduled": CommandStatus.SCHEDULED},
    ),
    Refusals(
        "unlock_connector",
        V16,
        lambda a: a.unlock_connector(1),
        "UnlockConnector",
        {"UnlockFailed": CommandStatus.FAILED, "NotSupported": CommandStatus.NOT_SUPPORTED},
    ),
    Refusals(
        "unlock_connector",
        V2,
        lambda a: a.unlock_connector(1),
        "UnlockConnector",
        {
            "UnlockFailed": CommandStatus.FAILED,
            "OngoingAuthorizedTransaction": CommandStatus.OCCUPIED,
            "UnknownConnector": CommandStatus.UNKNOWN,
        },
    ),
    Refusals(
        "set_variables",
        V16,
        lambda a: a.set_variables({"K": "1"}),
        "ChangeConfiguration",
        {
            "Rejected": CommandStatus.REJECTED,
            "RebootRequired": CommandStatus.REBOOT_REQUIRED,
            "NotSupported": CommandStatus.NOT_SUPPORTED,
        },
        result=lambda results: results[0].status,
    ),
    Refusals(
        "set_variables",
        V2,
        lambda a: a.set_variables({"C.V": "1"}),
        "SetVariables",
        {
            "Rejected": CommandStatus.REJECTED,
            "RebootRequired": CommandStatus.REBOOT_REQUIRED,
            "UnknownComponent": CommandStatus.NOT_SUPPORTED,
            "UnknownVariable": CommandStatus.NOT_SUPPORTED,
            "NotSupportedAttributeType": CommandStatus.NOT_SUPPORTED,
        },
        answer=_set_variable_answer,
        result=lambda results: results[0].status,
    ),
    *(
        Refusals(
            "update_firmware",
            family,
            lambda a: a.update_firmware(SIGNED_FIRMWARE),
            "SignedUpdateFirmware" if family == V16 else "UpdateFirmware",
            {
                "Rejected": CommandStatus.REJECTED,
                "AcceptedCanceled": CommandStatus.ACCEPTED_CANCELED,
                "InvalidCertificate": CommandStatus.REJECTED,
                "RevokedCertificate": CommandStatus.REJECTED,
            },
        )
        for family in (V16, V2)
    ),
    *(
        Refusals(
            "get_log",
            family,
            lambda a: a.get_log(SECURITY_LOG),
            "GetLog",
            {
                "Rejected": CommandStatus.REJECTED,
                "AcceptedCanceled": CommandStatus.ACCEPTED_CANCELED,
            },
            result=lambda result: result.status,
        )
        for family in (V16, V2)
    ),
    *(
        Refusals(
            "data_transfer",
            family,
            lambda a: a.data_transfer("com.example"),
            "DataTransfer",
            {
                "Rejected": CommandStatus.REJECTED,
                "UnknownMessageId": CommandStatus.NOT_SUPPORTED,
                "UnknownVendorId": CommandStatus.NOT_SUPPORTED,
            },
            result=lambda result: result.status,
        )
        for family in (V16, V2)
    ),
    *(
        Refusals(
            "reserve_now",
            family,
            lambda a: a.reserve_now(Reservation(1, T0, "T")),
            "ReserveNow",
            {
                "Faulted": CommandStatus.FAULTED,
                "Occupied": CommandStatus.OCCUPIED,
                "Rejected": CommandStatus.REJECTED,
                "Unavailable": CommandStatus.UNAVAILABLE,
            },
        )
        for family in (V16, V2)
    ),
    *(
        Refusals(
            "cancel_reservation",
            family,
            lambda a: a.cancel_reservation(1),
            "CancelReservation",
            {"Rejected": CommandStatus.UNKNOWN},
        )
        for family in (V16, V2)
    ),
    Refusals(
        "send_local_list",
        V16,
        lambda a: a.send_local_list(1, [], UpdateType.FULL),
        "SendLocalList",
        {
            "Failed": CommandStatus.FAILED,
            "NotSupported": CommandStatus.NOT_SUPPORTED,
            "VersionMismatch": CommandStatus.VERSION_MISMATCH,
        },
    ),
    Refusals(
        "send_local_list",
        V2,
        lambda a: a.send_local_list(1, [], UpdateType.FULL),
        "SendLocalList",
        {"Failed": CommandStatus.FAILED, "VersionMismatch": CommandStatus.VERSION_MISMATCH},
    ),
    *(
        Refusals(
            "clear_cache",
            family,
            lambda a: a.clear_cache(),
            "ClearCache",
            {"Rejected": CommandStatus.REJECTED},
        )
        for family in (V16, V2)
    ),
]


@pytest.mark.parametrize(
    ("link", "refusals"),
    _with_versions([(item, item.name) for item in REFUSALS], lambda item: item.family),
    indirect=["link"],
)
async def test_refusal_statuses(link: Link, refusals: Refusals) -> None:
    """Every refusal a charger may answer maps to its CommandStatus (one connection each)."""
    for status, expected in refusals.statuses.items():
        result = await link.run(refusals.command, (refusals.action, ..., refusals.answer(status)))
        assert refusals.result(result) == expected, status


@pytest.mark.parametrize("link", VERSIONS, indirect=True)
async def test_callerror_raises(link: Link) -> None:
    """A CALLERROR to any command raises ChargerCallError with the charger's code."""
    for case in CASES:
        if case.family != link.family:
            continue
        action = case.steps[0][0]
        with pytest.raises(ChargerCallError) as err:
            await link.run(case.command, (action, ..., ("error", "NotSupported")))
        assert err.value.code == "NotSupported", case.name


@pytest.mark.parametrize("link", VERSIONS, indirect=True)
async def test_status_outside_the_schema_raises(link: Link) -> None:
    """An answer the version's schema does not allow is the charger's error, not a crash."""
    with pytest.raises(ChargerCallError):
        await link.run(lambda a: a.reset(ResetKind.HARD), ("Reset", ..., {"status": "Maybe"}))
    # The connection keeps working.
    assert (
        await link.run(lambda a: a.clear_cache(), ("ClearCache", {}, {"status": "Accepted"}))
        is CommandStatus.ACCEPTED
    )


@pytest.mark.parametrize("link", VERSIONS, indirect=True)
async def test_valid_calls_and_answers_skip_jsonschema(
    link: Link, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Our CALL and a valid answer pass the compiled checks; jsonschema is for the invalid."""
    asked: list[str] = []
    library_validation = rpc_module.validate_payload

    async def jsonschema(message: Any, version: str) -> None:
        asked.append(message.action)
        await library_validation(message, version)

    monkeypatch.setattr("custom_components.ocpp_central.protocol.rpc.validate_payload", jsonschema)
    assert (
        await link.run(lambda a: a.reset(ResetKind.HARD), ("Reset", ..., {"status": "Accepted"}))
        is CommandStatus.ACCEPTED
    )
    assert asked == []
    with pytest.raises(ChargerCallError):
        await link.run(lambda a: a.reset(ResetKind.HARD), ("Reset", ..., {"status": "Maybe"}))
    assert asked == ["Reset"]  # the answer only: the CALL itself was valid


@pytest.mark.parametrize("link", VERSIONS, indirect=True)
async def test_unknown_status_without_validation_is_rejected(
    link: Link, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """With schema checks out of the way a new status value still maps to REJECTED, logged."""

    async def no_validation(*_args: Any) -> None:
        return None

    monkeypatch.setattr(
        "custom_components.ocpp_central.protocol.rpc.validate_payload", no_validation
    )
    result = await link.run(lambda a: a.reset(ResetKind.HARD), ("Reset", ..., {"status": "New"}))
    assert result is CommandStatus.REJECTED
    assert "Charger CS answered Reset with unknown status 'New'" in caplog.text


def test_answer_status_table_lookup(caplog: pytest.LogCaptureFixture) -> None:
    """Known values map through the table; unknown ones are refusals with a warning."""
    table = {"Accepted": CommandStatus.ACCEPTED}
    with caplog.at_level(logging.WARNING):
        assert answer_status(table, "Accepted", "Reset", "CP") is CommandStatus.ACCEPTED
        assert not caplog.records
        assert answer_status(table, "Later", "Reset", "CP") is CommandStatus.REJECTED
    assert "Charger CP answered Reset with unknown status 'Later'" in caplog.text


@pytest.mark.parametrize("link", [v for v in VERSIONS if v != V16], indirect=True)
async def test_remote_start_ids_are_fresh(link: Link) -> None:
    """Every RequestStartTransaction carries a new remoteStartId."""
    ids = []
    for _ in range(2):
        task = asyncio.ensure_future(link.adapter.remote_start(1, "TAG1"))
        call = await link.next_call(task)
        ids.append(call[3]["remoteStartId"])
        await link.ws.send(json.dumps([3, call[1], {"status": "Accepted"}]))
        await task
    assert isinstance(ids[0], int)
    assert ids[1] == ids[0] + 1


@pytest.mark.parametrize("link", [v for v in VERSIONS if v != V16], indirect=True)
async def test_set_variables_edge_cases(link: Link) -> None:
    """No keys sends nothing; a key without a component is refused before sending."""
    assert await link.adapter.set_variables({}) == []
    with pytest.raises(ValueError, match=r"Component\.Variable"):
        await link.adapter.set_variables({"HeartbeatInterval": "60"})
    # Answers naming variables differently from the request are matched by position.
    result = await link.run(
        lambda a: a.set_variables({"ocppcommctrlr.heartbeatinterval": "60"}),
        (
            "SetVariables",
            ...,
            {
                "setVariableResult": [
                    _variable_result({"name": "OCPPCommCtrlr"}, "HeartbeatInterval", "Accepted")
                ]
            },
        ),
    )
    assert result == [VariableResult("ocppcommctrlr.heartbeatinterval", CommandStatus.ACCEPTED)]


def test_time_and_schedule_conversions() -> None:
    """Naive times are UTC; unreadable ones are None; 2.1 periods without a limit are skipped."""
    assert utc_iso(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05Z"  # noqa: DTZ001
    assert parse_time("2026-01-02T03:04:05") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_time("soon") is None
    assert parse_time(None) is None
    schedule = parse_schedule(
        1,
        None,
        None,
        "W",
        [{"start_period": 0, "setpoint": 3000}, {"start_period": 60, "limit": 7400}],
    )
    assert schedule == CompositeSchedule(1, None, None, RateUnit.WATT, (SchedulePeriod(60, 7400),))
