"""Hostile-input fuzz frames for an OCPP central system, and a runner that sends them.

The frames are built from the OCPP JSON request schemas the `ocpp` package ships (1.6, 2.0.1
and 2.1), for every action of a version, and come in categories: schema-valid payloads with
realistic values, then wrong types, missing and extra fields, extreme numbers, NaN and
Infinity, lone surrogates, impossible dates, absurd connector ids, deep nesting, oversized
and binary frames, broken JSON and envelopes, unknown and unsupported actions and answers
nobody asked for. Every item knows its raw frame, its category and whether it is a CALL the
central system must answer (and with which message id; "-1" when the frame has no readable
id, as OCPP-J 2.0.1 prescribes). Generation is seeded: the same seed gives the same frames.

`run_fuzz` sends the items over one websocket, one at a time, waits (bounded) for the answer
to each CALL, answers the CALLs the central system sends in between, reconnects when the
server closes the socket, and returns a `FuzzReport` with counts per category.

Use it against any running central system (for example the demo of `scripts/demo`)::

    scripts/fuzz                              # 100,000 OCPP 1.6 frames to ws://127.0.0.1:9000/ocpp
    scripts/fuzz --version 2.1 --frames 5000  # later options win
    .venv/bin/python -m tests.fuzz_frames --url ws://host:9000/ocpp --version all --seed 7

The exit status is 1 when a CALL went unanswered, an answer was InternalError, the server
answered a frame that must not be answered, or closed the connection unexpectedly.
tests/test_fuzz.py runs a short fuzz against the integration under test.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
import itertools
import json
from pathlib import Path
import random
import ssl
import sys
import time
from typing import Any, Final, cast
from urllib.parse import quote

import ocpp
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.typing import Subprotocol

VERSIONS: Final = ("1.6", "2.0.1", "2.1")
SUBPROTOCOLS: Final[Mapping[str, str]] = {
    "1.6": "ocpp1.6",
    "2.0.1": "ocpp2.0.1",
    "2.1": "ocpp2.1",
}
_SCHEMA_FOLDERS: Final[Mapping[str, str]] = {"1.6": "v16", "2.0.1": "v201", "2.1": "v21"}

CATEGORIES: Final = (
    "valid",
    "wrong_type",
    "missing_required",
    "extra_field",
    "extreme_number",
    "nan_infinity",
    "lone_surrogate",
    "impossible_date",
    "huge_connector",
    "deep_nesting",
    "oversized",
    "binary",
    "invalid_json",
    "bad_envelope",
    "unknown_action",
    "unsupported_action",
    "stray_answer",
)
# How often each category is drawn for the frames after the covering baseline.
_WEIGHTS: Final[Mapping[str, int]] = {
    "valid": 6,
    "wrong_type": 3,
    "missing_required": 2,
    "extra_field": 2,
    "extreme_number": 3,
    "nan_infinity": 2,
    "lone_surrogate": 3,
    "impossible_date": 2,
    "huge_connector": 2,
    "deep_nesting": 1,
    "oversized": 1,
    "binary": 1,
    "invalid_json": 2,
    "bad_envelope": 2,
    "unknown_action": 1,
    "unsupported_action": 1,
    "stray_answer": 2,
}

# Actions a charging station sends to a CSMS (DataTransfer goes both ways). Every other action
# with a request schema is one a CSMS sends, which a charger never does.
_CHARGER_ACTIONS_16: Final = frozenset(
    {
        "Authorize",
        "BootNotification",
        "DataTransfer",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "MeterValues",
        "StartTransaction",
        "StatusNotification",
        "StopTransaction",
        # The 1.6 security whitepaper's messages.
        "LogStatusNotification",
        "SecurityEventNotification",
        "SignCertificate",
        "SignedFirmwareStatusNotification",
    }
)
_CHARGER_ACTIONS_201: Final = frozenset(
    {
        "Authorize",
        "BootNotification",
        "ClearedChargingLimit",
        "DataTransfer",
        "FirmwareStatusNotification",
        "Get15118EVCertificate",
        "GetCertificateStatus",
        "Heartbeat",
        "LogStatusNotification",
        "MeterValues",
        "NotifyChargingLimit",
        "NotifyCustomerInformation",
        "NotifyDisplayMessages",
        "NotifyEVChargingNeeds",
        "NotifyEVChargingSchedule",
        "NotifyEvent",
        "NotifyMonitoringReport",
        "NotifyReport",
        "PublishFirmwareStatusNotification",
        "ReportChargingProfiles",
        "ReservationStatusUpdate",
        "SecurityEventNotification",
        "SignCertificate",
        "StatusNotification",
        "TransactionEvent",
    }
)
_CHARGER_ACTIONS_21: Final = _CHARGER_ACTIONS_201 | {
    "BatterySwap",
    "ClosePeriodicEventStream",
    "GetCertificateChainStatus",
    "NotifyDERAlarm",
    "NotifyDERStartStop",
    "NotifyPriorityCharging",
    "NotifySettlement",
    "OpenPeriodicEventStream",
    "PullDynamicScheduleUpdate",
    "ReportDERControl",
    "VatNumberValidation",
}
CHARGER_ACTIONS: Final[Mapping[str, frozenset[str]]] = {
    "1.6": _CHARGER_ACTIONS_16,
    "2.0.1": _CHARGER_ACTIONS_201,
    "2.1": _CHARGER_ACTIONS_21,
}
# The messages every CSMS acts on; fuzzed more often than the rarely used rest.
_CORE_ACTIONS_16: Final = (
    "Authorize",
    "BootNotification",
    "DataTransfer",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "StartTransaction",
    "StatusNotification",
    "StopTransaction",
)
_CORE_ACTIONS_2: Final = (
    "Authorize",
    "BootNotification",
    "DataTransfer",
    "FirmwareStatusNotification",
    "Heartbeat",
    "LogStatusNotification",
    "MeterValues",
    "NotifyEvent",
    "NotifyReport",
    "SecurityEventNotification",
    "StatusNotification",
    "TransactionEvent",
)
# The CSMS-to-charger action each version fuzzes first as `unsupported_action`.
_REMOTE_START: Final[Mapping[str, str]] = {
    "1.6": "RemoteStartTransaction",
    "2.0.1": "RequestStartTransaction",
    "2.1": "RequestStartTransaction",
}

EXTREME_NUMBERS: Final = (
    str(10**30),
    str(10**309),
    "-1",
    str(2**63),
    "1e308",
    "1e-320",
)
# More for the random part: beyond 4300 digits Python's json refuses the integer.
_MORE_EXTREME_NUMBERS: Final = (
    str(2**53 + 1),
    str(-(2**63) - 1),
    "-1e308",
    "1e309",
    "0.0000000000000000000001",
    "-0",
    "1" + "0" * 5000,
)
NON_FINITE_TOKENS: Final = ("NaN", "Infinity", "-Infinity")
LONE_SURROGATES: Final = ("\ud800", "\udfff")
IMPOSSIBLE_DATES: Final = (
    "2024-02-30T00:00:00Z",
    "2024-13-01T00:00:00Z",
    "not a date",
    "",
    "0000-00-00T00:00:00Z",
    "2024-01-01T25:61:00+99:00",
)
_MORE_BAD_DATES: Final = (
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "2024-01-01T00:00:00",
    "1700000000",
    "2024-01-01T00:00:00.1234567890123Z",
    "2024-W01-1",
    "T",
    "2024-01-01T00:00:00Z" * 20,
)
HUGE_CONNECTOR_IDS: Final = (10**30, 10**6, 17, -5)
_MORE_CONNECTOR_IDS: Final = (2**31, 2**63, 2**53 + 1, -1, 3, 16, 99)
# Frames larger than the central system reads (over 64 KiB) and than its websocket limit
# (over 1 MiB: the server closes the connection with 1009).
OVERSIZED_FRAME_CHARS: Final = 70_000
HUGE_FRAME_CHARS: Final = 1_100_000
LONG_STRING_CHARS: Final = 10_000
# OCPP-J limits message ids to 36 characters.
MAX_MESSAGE_ID_LENGTH: Final = 36
# The id a CALLERROR carries when the frame it answers has no readable id (OCPP-J 2.0.1).
NO_ID: Final = "-1"

_VENDORS: Final = ("Fuzzco", "ABB", "Alfen BV", "Wallbox", "Easee", "Keba AG")
_MODELS: Final = ("Terra AC", "Eve Single Pro", "Pulsar Plus", "P30 x-series", "Home 11kW")
_UNITS: Final = ("Wh", "kWh", "W", "kW", "A", "V", "Percent", "Celsius", "varh")
_WORDS: Final = ("alpha", "bravo", "charlie", "delta", "echo", "fox", "golf", "hotel")
_BASE_TIME: Final = datetime(2025, 6, 1, tzinfo=UTC)
# Placeholders put into a payload where raw JSON text (NaN, 1e400, ...) replaces them.
_RAW_MARKER: Final = "@@fuzz-raw-{}@@"

_TIMESTAMP_PATHS: Final[Mapping[str, Sequence[tuple[str, tuple[str | int, ...]]]]] = {
    "1.6": (
        ("StatusNotification", ("timestamp",)),
        ("MeterValues", ("meterValue", 0, "timestamp")),
        ("StartTransaction", ("timestamp",)),
        ("StopTransaction", ("timestamp",)),
    ),
    "2": (
        ("StatusNotification", ("timestamp",)),
        ("MeterValues", ("meterValue", 0, "timestamp")),
        ("TransactionEvent", ("timestamp",)),
        ("TransactionEvent", ("meterValue", 0, "timestamp")),
    ),
}
_TEXT_PATHS: Final[Mapping[str, Sequence[tuple[str, tuple[str | int, ...]]]]] = {
    "1.6": (
        ("BootNotification", ("chargePointVendor",)),
        ("BootNotification", ("chargePointModel",)),
        ("BootNotification", ("firmwareVersion",)),
        ("Authorize", ("idTag",)),
        ("DataTransfer", ("vendorId",)),
        ("DataTransfer", ("data",)),
        ("StatusNotification", ("info",)),
    ),
    "2": (
        ("BootNotification", ("chargingStation", "vendorName")),
        ("BootNotification", ("chargingStation", "model")),
        ("BootNotification", ("chargingStation", "firmwareVersion")),
        ("Authorize", ("idToken", "idToken")),
        ("DataTransfer", ("vendorId",)),
        ("DataTransfer", ("data",)),
        ("TransactionEvent", ("transactionInfo", "transactionId")),
    ),
}
_CONNECTOR_PATHS: Final[Mapping[str, Sequence[tuple[str, tuple[str | int, ...]]]]] = {
    "1.6": (
        ("StatusNotification", ("connectorId",)),
        ("MeterValues", ("connectorId",)),
        ("StartTransaction", ("connectorId",)),
    ),
    "2": (
        ("StatusNotification", ("evseId",)),
        ("MeterValues", ("evseId",)),
        ("TransactionEvent", ("evse", "id")),
        ("StatusNotification", ("connectorId",)),
    ),
}


def _family(version: str) -> str:
    """'1.6' or '2': the key of the tables that 2.0.1 and 2.1 share."""
    return "1.6" if version == "1.6" else "2"


# --- schemas -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SchemaSet:
    """The JSON schemas of one OCPP version, by action name."""

    version: str
    requests: Mapping[str, dict[str, Any]]
    responses: Mapping[str, dict[str, Any]]

    @property
    def charger_actions(self) -> tuple[str, ...]:
        """Actions a charger sends to a CSMS, sorted."""
        return tuple(sorted(set(self.requests) & CHARGER_ACTIONS[self.version]))

    @property
    def csms_actions(self) -> tuple[str, ...]:
        """Actions only a CSMS sends (a charger never does), sorted."""
        return tuple(sorted(set(self.requests) - CHARGER_ACTIONS[self.version]))


@cache
def load_schemas(version: str) -> SchemaSet:
    """Read a version's request and response schemas from the `ocpp` package (once).

    1.6 names requests `Action.json`, 2.x `ActionRequest.json`; responses are
    `ActionResponse.json`. 2.1's `NotifyPeriodicEventStream.json` is a SEND message without
    a response and is left out.
    """
    folder = Path(ocpp.__file__).parent / _SCHEMA_FOLDERS[version] / "schemas"
    requests: dict[str, dict[str, Any]] = {}
    responses: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.json")):
        name = path.stem
        schema = json.loads(path.read_text(encoding="utf-8"))
        if name.endswith("Response"):
            responses[name.removesuffix("Response")] = schema
        elif name.endswith("Request"):
            requests[name.removesuffix("Request")] = schema
        elif version == "1.6":
            requests[name] = schema
    return SchemaSet(version, requests, responses)


# --- items and payloads ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FuzzItem:
    """One frame to send, and what the central system must do with it."""

    category: str
    frame: str | bytes
    # The id the answer must carry; None when the frame must not be answered.
    message_id: str | None
    action: str = ""
    # What the variant is ("connectorId=10**30"), for reports.
    note: str = ""
    # Other ids the answer may carry: "-1" where reading the id is optional, or the raw id.
    also_accepts: tuple[str, ...] = ()
    # The server is expected to close the connection (a frame over its websocket limit).
    expect_close: bool = False

    @property
    def must_answer(self) -> bool:
        """Whether this is a CALL (or something like one) that must get an answer."""
        return self.message_id is not None

    @property
    def answer_ids(self) -> tuple[str, ...]:
        """Every id an answer to this frame may carry."""
        if self.message_id is None:
            return ()
        return (self.message_id, *self.also_accepts)

    def snippet(self, limit: int = 160) -> str:
        """The start of the frame, printable, for reports."""
        text = repr(self.frame[:limit]) if isinstance(self.frame, bytes) else self.frame[:limit]
        text = text.encode("ascii", "backslashreplace").decode()
        return text if len(self.frame) <= limit else f"{text}... ({len(self.frame)} long)"


@dataclass(frozen=True, slots=True)
class Slot:
    """One value inside a generated payload: where it is and what its schema says."""

    path: tuple[str | int, ...]
    kind: str
    schema: Mapping[str, Any]
    required: bool

    @property
    def name(self) -> str:
        """The property name of the slot ("" for array items and the payload itself)."""
        last = self.path[-1] if self.path else ""
        return last if isinstance(last, str) else ""


def _kind(schema: Mapping[str, Any]) -> str:
    """The JSON type a schema asks for ("any" when it names none)."""
    declared = schema.get("type")
    if isinstance(declared, list):
        declared = next((name for name in declared if name != "null"), "null")
    return str(declared) if declared else "any"


def _clamp(value: float, schema: Mapping[str, Any]) -> float:
    """Keep a generated number within the schema's minimum and maximum."""
    if (low := schema.get("minimum")) is not None:
        value = max(value, low)
    if (high := schema.get("maximum")) is not None:
        value = min(value, high)
    return value


class PayloadBuilder:
    """Builds schema-valid payloads with realistic values and records every value's slot."""

    def __init__(self, rng: random.Random, root: dict[str, Any]) -> None:
        """Build payloads of the root schema `root` with random choices from `rng`."""
        self._rng = rng
        self._root = root
        self.slots: list[Slot] = []

    def build(self) -> dict[str, Any]:
        """A new payload; `slots` then lists each value in it (the payload itself first)."""
        self.slots = []
        payload = self._value(self._root, (), required=True, depth=0)
        assert isinstance(payload, dict)
        return payload

    def _resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        """Follow `#/definitions/...` references."""
        while "$ref" in schema:
            name = str(schema["$ref"]).removeprefix("#/definitions/")
            schema = self._root["definitions"][name]
        return schema

    def _value(
        self, schema: Mapping[str, Any], path: tuple[str | int, ...], *, required: bool, depth: int
    ) -> Any:
        """A valid value for `schema` at `path`."""
        schema = self._resolve(schema)
        kind = _kind(schema)
        self.slots.append(Slot(path, kind, schema, required))
        if "enum" in schema:
            return self._rng.choice(list(schema["enum"]))
        name = path[-1] if path and isinstance(path[-1], str) else ""
        match kind:
            case "object":
                return self._object(schema, path, depth)
            case "array":
                return self._array(schema, path, depth)
            case "string":
                return self._string(schema, name)
            case "integer":
                return self._integer(schema, name, path)
            case "number":
                return self._number(schema, name)
            case "boolean":
                return self._rng.random() < 0.5
            case "null":
                return None
            case _:
                return self._anything()

    def _object(
        self, schema: Mapping[str, Any], path: tuple[str | int, ...], depth: int
    ) -> dict[str, Any]:
        """An object with its required properties and some optional ones."""
        required = set(schema.get("required") or ())
        result: dict[str, Any] = {}
        for key, sub in (schema.get("properties") or {}).items():
            if key in required or self._include_optional(key, depth):
                result[key] = self._value(
                    sub, (*path, key), required=key in required, depth=depth + 1
                )
        return result

    def _include_optional(self, key: str, depth: int) -> bool:
        """Whether to add an optional property (vendor extensions rarely, deep ones never)."""
        if key == "customData":
            return self._rng.random() < 0.05
        return depth < 4 and self._rng.random() < 0.45

    def _array(
        self, schema: Mapping[str, Any], path: tuple[str | int, ...], depth: int
    ) -> list[Any]:
        """An array of one to three items (within minItems and maxItems)."""
        fewest = int(schema.get("minItems", 0))
        most = schema.get("maxItems")
        upper = fewest + 2 if most is None else min(int(most), fewest + 2)
        count = self._rng.randint(max(fewest, min(1, upper)), upper)
        items = schema.get("items") or {}
        return [
            self._value(items, (*path, index), required=False, depth=depth + 1)
            for index in range(count)
        ]

    def _string(self, schema: Mapping[str, Any], name: str) -> str:
        """A string that looks like what the field holds, within maxLength."""
        is_time = schema.get("format") == "date-time"
        text = self.timestamp() if is_time else self._text(name.lower())
        if (longest := schema.get("maxLength")) is not None:
            text = text[: int(longest)]
        return text

    def timestamp(self) -> str:
        """An ISO 8601 UTC timestamp in 2025."""
        moment = _BASE_TIME + timedelta(seconds=self._rng.randint(0, 180 * 86400))
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def _text(self, name: str) -> str:
        """Realistic text for a string field called `name` (lower case)."""
        rng = self._rng
        if name == "vendorid":
            return "com.example.fuzz"
        if "vendor" in name:
            return rng.choice(_VENDORS)
        if "model" in name:
            return rng.choice(_MODELS)
        if "serial" in name:
            return f"SN{rng.randint(10**6, 10**7 - 1)}"
        if "firmware" in name or name == "version":
            return f"{rng.randint(1, 5)}.{rng.randint(0, 20)}.{rng.randint(0, 99)}"
        if "idtag" in name or "idtoken" in name:
            return f"{rng.getrandbits(32):08X}"
        if name == "value":
            return f"{rng.uniform(0, 50_000):.1f}"
        if name == "unit":
            return rng.choice(_UNITS)
        if name == "transactionid":
            return f"tx-{rng.randint(1, 999)}"
        if name in ("iccid", "imsi"):
            return "".join(rng.choice("0123456789") for _ in range(15))
        if "url" in name or "uri" in name or "location" in name:
            return "https://example.com/firmware.bin"
        return rng.choice(_WORDS)

    def _integer(self, schema: Mapping[str, Any], name: str, path: tuple[str | int, ...]) -> int:
        """A small integer; connector and EVSE ids 0-2."""
        rng = self._rng
        lowered = name.lower()
        if lowered in ("connectorid", "evseid") or (lowered == "id" and "evse" in path):
            value = rng.randint(0, 2)
        elif lowered == "transactionid":
            value = rng.randint(1, 1000)
        elif lowered in ("meterstart", "meterstop"):
            value = rng.randint(0, 100_000)
        elif lowered == "seqno":
            value = rng.randint(0, 50)
        else:
            value = rng.randint(0, 100)
        return int(_clamp(value, schema))

    def _number(self, schema: Mapping[str, Any], name: str) -> float:
        """A number with one decimal (meter readings up to 50 kWh)."""
        top = 50_000.0 if name == "value" else 1000.0
        value = round(self._rng.uniform(0, top), 1)
        if "multipleOf" in schema:
            # Whole numbers are multiples of every multipleOf OCPP uses (0.1), even in floats.
            value = float(round(value))
        return round(_clamp(value, schema), 3)

    def _anything(self) -> Any:
        """A value for a field of any type (2.x DataTransfer data)."""
        options: list[Any] = [
            "hello",
            {"temperature": 21.5, "unit": "C"},
            [1, 2, 3],
            42,
            True,
            None,
        ]
        return self._rng.choice(options)


def _get(payload: Any, path: Sequence[str | int]) -> Any:
    """The value at `path` inside a payload."""
    for part in path:
        payload = payload[part]
    return payload


def _set(payload: Any, path: Sequence[str | int], value: Any) -> None:
    """Set the value at `path`, creating missing objects on the way."""
    target = payload
    for part in path[:-1]:
        if isinstance(target, dict) and part not in target:
            target[part] = {}
        target = target[part]
    target[path[-1]] = value


def _path_text(path: Sequence[str | int]) -> str:
    """A path as text for reports: meterValue[0].timestamp."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".") or "payload"


def _frame(message: list[Any], raw: Mapping[str, str] | None = None) -> str:
    """JSON text of a message; placeholders in `raw` become raw JSON text (NaN, 1e400)."""
    text = json.dumps(message)
    for marker, token in (raw or {}).items():
        text = text.replace(json.dumps(marker), token)
    return text


# --- the generator --------------------------------------------------------------------------


class FrameGenerator:
    """Builds fuzz items of one OCPP version; the same seed gives the same items."""

    def __init__(self, version: str, seed: int = 0, *, allow_boot: bool = True) -> None:
        """Generate for `version`; without `allow_boot` no item is a BootNotification."""
        if version not in VERSIONS:
            raise ValueError(f"unknown OCPP version {version!r}")
        self.version = version
        self.schemas = load_schemas(version)
        self.rng = random.Random(f"ocpp-fuzz:{version}:{seed}")
        self._ids = itertools.count(1)
        self._allow_boot = allow_boot
        excluded = set() if allow_boot else {"BootNotification"}
        self.actions = tuple(a for a in self.schemas.charger_actions if a not in excluded)
        core = _CORE_ACTIONS_16 if version == "1.6" else _CORE_ACTIONS_2
        self.core_actions = tuple(a for a in core if a in self.actions)
        self._makers: Mapping[str, Callable[[], FuzzItem]] = {
            "valid": self.valid,
            "wrong_type": self.wrong_type,
            "missing_required": self.missing_required,
            "extra_field": self.extra_field,
            "extreme_number": self.extreme_number,
            "nan_infinity": self.nan_infinity,
            "lone_surrogate": self.lone_surrogate,
            "impossible_date": self.impossible_date,
            "huge_connector": self.huge_connector,
            "deep_nesting": self.deep_nesting,
            "oversized": self.oversized,
            "binary": self.binary,
            "invalid_json": self.invalid_json,
            "bad_envelope": self.bad_envelope,
            "unknown_action": self.unknown_action,
            "unsupported_action": self.unsupported_action,
            "stray_answer": self.stray_answer,
        }

    # --- plumbing ---------------------------------------------------------------------

    def next_id(self) -> str:
        """A message id not used before by this generator."""
        return f"fz{next(self._ids)}"

    def payload(self, action: str) -> tuple[dict[str, Any], list[Slot]]:
        """A schema-valid payload of `action` and the slots of its values."""
        builder = PayloadBuilder(self.rng, self.schemas.requests[action])
        payload = builder.build()
        return payload, builder.slots

    def pick_action(self) -> str:
        """A charger action, the core ones three times as often as the rest."""
        if self.core_actions and self.rng.random() < 0.75:
            return self.rng.choice(self.core_actions)
        return self.rng.choice(self.actions)

    def _payload_with(
        self,
        accept: Callable[[Slot], bool],
        actions: Sequence[str] = (),
        *,
        allow_root: bool = False,
    ) -> tuple[str, dict[str, Any], Slot]:
        """A payload (of one of `actions`, default any) and one of its slots `accept` takes.

        The payload itself is a slot (path ()) only with `allow_root`.
        """
        for _ in range(200):
            action = self.rng.choice(list(actions)) if actions else self.pick_action()
            payload, slots = self.payload(action)
            candidates = [slot for slot in slots if (slot.path or allow_root) and accept(slot)]
            if candidates:
                return action, payload, self.rng.choice(candidates)
        raise LookupError("no action has a field of the kind wanted")

    def call(
        self,
        category: str,
        action: str,
        payload: Any,
        note: str = "",
        raw: Mapping[str, str] | None = None,
        also_accepts: tuple[str, ...] = (),
    ) -> FuzzItem:
        """A CALL item that must be answered with its own id."""
        message_id = self.next_id()
        return FuzzItem(
            category,
            _frame([2, message_id, action, payload], raw),
            message_id,
            action,
            note,
            also_accepts,
        )

    def _targets(
        self, table: Mapping[str, Sequence[tuple[str, tuple[str | int, ...]]]]
    ) -> list[tuple[str, tuple[str | int, ...]]]:
        """The (action, path) pairs of a table for this version, minus excluded actions."""
        return [(a, p) for a, p in table[_family(self.version)] if a in self.actions]

    def at_path(
        self,
        category: str,
        action: str,
        path: tuple[str | int, ...],
        value: Any,
    ) -> FuzzItem:
        """A valid payload of `action` with `value` put at `path`."""
        payload, _ = self.payload(action)
        self._prepare(action, payload, path)
        _set(payload, path, value)
        return self.call(category, action, payload, f"{_path_text(path)}={value!r}"[:80])

    def _prepare(self, action: str, payload: dict[str, Any], path: tuple[str | int, ...]) -> None:
        """Make sure the object a path points into exists where the schema allows it."""
        if action == "TransactionEvent" and path[0] == "evse":
            payload["eventType"] = "Started"
            payload["evse"] = {"id": 1, "connectorId": 1}
        if path[0] == "meterValue" and "meterValue" not in payload:
            payload["meterValue"] = [self._meter_value(1234.5)]

    def _meter_value(self, value: float, unit: dict[str, Any] | None = None) -> dict[str, Any]:
        """A 2.x meterValue element with one energy register reading."""
        sampled: dict[str, Any] = {"value": value, "measurand": "Energy.Active.Import.Register"}
        if unit is not None:
            sampled["unitOfMeasure"] = unit
        return {"timestamp": PayloadBuilder(self.rng, {}).timestamp(), "sampledValue": [sampled]}

    # --- categories -------------------------------------------------------------------

    def valid(self, action: str | None = None) -> FuzzItem:
        """A schema-valid CALL of a charger action with realistic values."""
        action = action or self.pick_action()
        payload, _ = self.payload(action)
        return self.call("valid", action, payload)

    def wrong_type(self) -> FuzzItem:
        """A valid CALL with one field replaced by a value of another JSON type."""
        action, payload, slot = self._payload_with(lambda slot: slot.kind != "any")
        banned = {slot.kind, "integer"} if slot.kind == "number" else {slot.kind}
        samples: dict[str, Any] = {
            "string": "fuzz",
            "integer": 7,
            "number": 2.5,
            "boolean": True,
            "null": None,
            "object": {"fuzz": 1},
            "array": ["fuzz"],
        }
        kind = self.rng.choice([name for name in samples if name not in banned])
        _set(payload, slot.path, samples[kind])
        return self.call("wrong_type", action, payload, f"{_path_text(slot.path)}: {kind}")

    def missing_required(self) -> FuzzItem:
        """A valid CALL without one of its required fields (at any depth)."""
        action, payload, slot = self._payload_with(
            lambda slot: slot.required and isinstance(slot.path[-1], str)
        )
        del _get(payload, slot.path[:-1])[slot.path[-1]]
        return self.call("missing_required", action, payload, f"no {_path_text(slot.path)}")

    def extra_field(self) -> FuzzItem:
        """A valid CALL with a property its schema does not allow."""
        action, payload, slot = self._payload_with(
            lambda slot: slot.kind == "object" and slot.schema.get("additionalProperties") is False,
            allow_root=True,
        )
        target = _get(payload, slot.path)
        target["fuzzExtra"] = self.rng.choice(["x", 1, {"nested": True}])
        return self.call("extra_field", action, payload, f"{_path_text(slot.path)}.fuzzExtra")

    def extreme_number(self, token: str | None = None, action: str | None = None) -> FuzzItem:
        """A valid CALL with one number replaced by an extreme literal (10**309, 1e-320)."""
        token = token or self.rng.choice(EXTREME_NUMBERS + _MORE_EXTREME_NUMBERS)
        actions = (action,) if action else ()
        action, payload, slot = self._payload_with(
            lambda slot: slot.kind in ("integer", "number"), actions
        )
        marker = _RAW_MARKER.format(0)
        _set(payload, slot.path, marker)
        shown = token if len(token) < 20 else f"{token[:6]}...({len(token)} digits)"
        # Beyond 4300 digits a parser may refuse the frame as a whole.
        also = (NO_ID,) if len(token) > 4300 else ()
        return self.call(
            "extreme_number",
            action,
            payload,
            f"{_path_text(slot.path)}={shown}",
            {marker: token},
            also,
        )

    def multiplier(self, action: str, multiplier: int) -> FuzzItem:
        """2.x: a meter reading whose unitOfMeasure.multiplier is absurd (10**309 Wh)."""
        payload, _ = self.payload(action)
        unit = {"unit": "Wh", "multiplier": multiplier}
        payload["meterValue"] = [self._meter_value(1234.5, unit)]
        if action == "TransactionEvent":
            payload["eventType"] = "Updated"
        return self.call(
            "extreme_number", action, payload, f"meterValue unitOfMeasure.multiplier={multiplier}"
        )

    def sampled_text(self, value: str) -> FuzzItem:
        """1.6: a MeterValues sampledValue.value string that is no finite number."""
        payload, _ = self.payload("MeterValues")
        payload["meterValue"] = [
            {
                "timestamp": PayloadBuilder(self.rng, {}).timestamp(),
                "sampledValue": [
                    {"value": value, "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
                ],
            }
        ]
        shown = value if len(value) < 20 else f"{value[:6]}...({len(value)} chars)"
        return self.call("extreme_number", "MeterValues", payload, f"sampledValue.value={shown!r}")

    def nan_infinity(self, token: str | None = None, action: str | None = None) -> FuzzItem:
        """A valid CALL with the raw token NaN, Infinity or -Infinity in place of a number."""
        token = token or self.rng.choice(NON_FINITE_TOKENS)
        actions = (action,) if action else ()
        action, payload, slot = self._payload_with(
            lambda slot: slot.kind in ("integer", "number"), actions
        )
        marker = _RAW_MARKER.format(0)
        _set(payload, slot.path, marker)
        return self.call(
            "nan_infinity",
            action,
            payload,
            f"{_path_text(slot.path)}={token}",
            {marker: token},
            # Strict JSON parsers refuse these tokens: the frame is then not JSON at all.
            (NO_ID,),
        )

    def lone_surrogate(self) -> FuzzItem:
        """A valid CALL with a lone surrogate escape ("\\ud800") in one of its strings."""
        surrogate = self.rng.choice(LONE_SURROGATES)
        targets = self._targets(_TEXT_PATHS) + self._targets(_TIMESTAMP_PATHS)
        if self.rng.random() < 0.5 and targets:
            action, path = self.rng.choice(targets)
            return self.at_path("lone_surrogate", action, path, self._with_surrogate(surrogate))
        action, payload, slot = self._payload_with(lambda slot: slot.kind == "string")
        _set(payload, slot.path, self._with_surrogate(surrogate))
        return self.call(
            "lone_surrogate", action, payload, f"{_path_text(slot.path)} has {surrogate!r}"
        )

    def _with_surrogate(self, surrogate: str) -> str:
        """The surrogate alone, or inside otherwise ordinary text."""
        return self.rng.choice(
            [surrogate, f"Fuzz{surrogate}", f"2025-06-01T12:00:00{surrogate}Z", surrogate * 3]
        )

    def surrogate_envelope(self, surrogate: str, *, in_action: bool) -> FuzzItem:
        """A lone surrogate in the message id or the action name of a CALL."""
        if in_action:
            message_id = self.next_id()
            frame = json.dumps([2, message_id, f"Heart{surrogate}beat", {}])
            return FuzzItem(
                "lone_surrogate", frame, message_id, "Heartbeat", f"action has {surrogate!r}"
            )
        message_id = f"{self.next_id()}{surrogate}"
        frame = json.dumps([2, message_id, "Heartbeat", {}])
        return FuzzItem(
            "lone_surrogate",
            frame,
            message_id,
            "Heartbeat",
            f"message id has {surrogate!r}",
            (NO_ID,),
        )

    def impossible_date(self, text: str | None = None) -> FuzzItem:
        """A valid CALL with an impossible or malformed timestamp."""
        text = self.rng.choice(IMPOSSIBLE_DATES + _MORE_BAD_DATES) if text is None else text
        targets = self._targets(_TIMESTAMP_PATHS)
        if self.rng.random() < 0.6 and targets:
            action, path = self.rng.choice(targets)
            return self.at_path("impossible_date", action, path, text)
        action, payload, slot = self._payload_with(
            lambda slot: slot.schema.get("format") == "date-time"
        )
        _set(payload, slot.path, text)
        return self.call("impossible_date", action, payload, f"{_path_text(slot.path)}={text!r}")

    def huge_connector(self, value: int | None = None) -> FuzzItem:
        """A StatusNotification, MeterValues or transaction with an absurd connector id."""
        if value is None:
            value = self.rng.choice(HUGE_CONNECTOR_IDS + _MORE_CONNECTOR_IDS)
        action, path = self.rng.choice(self._targets(_CONNECTOR_PATHS))
        return self.at_path("huge_connector", action, path, value)

    def deep_nesting(self, depth: int | None = None, shape: str | None = None) -> FuzzItem:
        """Deeply nested JSON: a bare array, or DataTransfer data nested `depth` deep."""
        depth = depth or self.rng.choice((50, 100, 500, 999, 1000, 1001, 5000, 10_000))
        shape = shape or self.rng.choice(("array", "object", "string", "bare"))
        if shape == "bare":
            frame = "[" * depth + "]" * depth
            return FuzzItem("deep_nesting", frame, NO_ID, "", f"bare array {depth} deep")
        message_id = self.next_id()
        nested = "[" * depth + "]" * depth
        if shape == "object":
            nested = '{"a": ' * depth + "1" + "}" * depth
        if shape == "string":
            # The nesting as text: valid where data must be a string (1.6), never parsed.
            nested = json.dumps(nested)
        frame = (
            f'[2, "{message_id}", "DataTransfer", '
            f'{{"vendorId": "com.example.fuzz", "data": {nested}}}]'
        )
        return FuzzItem(
            "deep_nesting",
            frame,
            message_id,
            "DataTransfer",
            f"data: {shape} {depth} deep",
            # A parser with a depth limit cannot read the id either.
            (NO_ID,),
        )

    def oversized(self, kind: str | None = None) -> FuzzItem:
        """A frame over 64 KiB, a 10,000-character string field, or a frame over 1 MiB."""
        kind = kind or self.rng.choice(("frame", "string"))
        if kind == "string":
            action, payload, slot = self._payload_with(
                lambda slot: slot.kind == "string" and "enum" not in slot.schema
            )
            _set(payload, slot.path, "x" * LONG_STRING_CHARS)
            return self.call(
                "oversized", action, payload, f"{_path_text(slot.path)}: {LONG_STRING_CHARS} chars"
            )
        message_id = self.next_id()
        size = HUGE_FRAME_CHARS if kind == "huge" else OVERSIZED_FRAME_CHARS
        frame = json.dumps(
            [2, message_id, "DataTransfer", {"vendorId": "com.example.fuzz", "data": "x" * size}]
        )
        if kind == "huge":
            return FuzzItem(
                "oversized",
                frame,
                None,
                "DataTransfer",
                f"frame of {len(frame)} bytes",
                expect_close=True,
            )
        return FuzzItem(
            "oversized", frame, message_id, "DataTransfer", f"frame of {len(frame)} bytes", (NO_ID,)
        )

    def binary(self, utf8: bool | None = None) -> FuzzItem:
        """A binary websocket frame: random non-UTF-8 bytes, or a valid CALL as UTF-8."""
        if utf8 is None:
            utf8 = self.rng.random() < 0.5
        if utf8:
            item = self.valid()
            assert isinstance(item.frame, str)
            return FuzzItem(
                "binary", item.frame.encode(), item.message_id, item.action, "UTF-8 JSON CALL"
            )
        # 0xff never occurs in UTF-8.
        noise = b"\xff" + self.rng.randbytes(self.rng.randint(0, 64))
        return FuzzItem("binary", noise, NO_ID, "", f"{len(noise)} non-UTF-8 bytes")

    def invalid_json(self) -> FuzzItem:
        """Text that is not JSON: garbage, or a valid frame cut short."""
        message_id = self.next_id()
        pool = [
            "this is not json",
            "{",
            "[",
            "",
            " ",
            f"[2, '{message_id}', 'Heartbeat', {{}}]",
            f'[2, "{message_id}", "Heartbeat", {{}}] trailing',
            f'[2, "{message_id}", "Heartbeat", {{}},]',
            f'[2, "{message_id}", "Heartbeat", {{"a": 1,}}]',
            "\x00\x01\x02",
            f'[2, "{message_id}", "unterminated',
            f'[2, "{message_id}", "Heartbeat", {{"a": tru}}]',
        ]
        if self.rng.random() < 0.4:
            valid = self.valid()
            assert isinstance(valid.frame, str)
            message_id = valid.message_id or message_id
            frame = valid.frame[: self.rng.randint(1, len(valid.frame) - 1)]
        else:
            frame = self.rng.choice(pool)
        try:
            json.loads(frame)
        except ValueError:
            pass
        else:  # A cut that still parses ("[2", "1"): garbage from the pool instead.
            frame = "this is not json"
        also = (message_id,) if message_id in frame else ()
        return FuzzItem("invalid_json", frame, NO_ID, "", f"{frame[:30]!r}", also)

    def bad_envelope(self, index: int | None = None) -> FuzzItem:
        """Valid JSON that is no proper OCPP-J message (wrong type id, id, length, payload)."""
        envelopes = self._envelopes()
        if index is None:
            index = self.rng.randrange(len(envelopes))
        return envelopes[index % len(envelopes)]

    def envelope_count(self) -> int:
        """How many different bad envelopes there are."""
        return len(self._envelopes())

    def _envelopes(self) -> list[FuzzItem]:
        """Every bad envelope, with fresh ids."""
        i = self.next_id()
        long_id = "x" * (MAX_MESSAGE_ID_LENGTH + 1)

        def item(
            message: Any, answer: str | None, note: str, also: tuple[str, ...] = ()
        ) -> FuzzItem:
            return FuzzItem("bad_envelope", json.dumps(message), answer, "", note, also)

        items = [
            item([7, i, "Heartbeat", {}], i, "message type 7"),
            item([0, i, "Heartbeat", {}], i, "message type 0"),
            item(["2", i, "Heartbeat", {}], i, "message type '2'"),
            item([None, i, "Heartbeat", {}], i, "message type null"),
            item([2, 17, "Heartbeat", {}], NO_ID, "id is a number"),
            item([2, None, "Heartbeat", {}], NO_ID, "id is null"),
            item([2, ["a"], "Heartbeat", {}], NO_ID, "id is a list"),
            item([2, long_id, "Heartbeat", {}], NO_ID, "id of 37 chars", (long_id,)),
            item([2, "", "Heartbeat", {}], NO_ID, "empty id", ("",)),
            item([2, i, "Heartbeat"], i, "CALL of 3 elements"),
            item([2, i, "Heartbeat", {}, {}], i, "CALL of 5 elements"),
            item([2, i, "Heartbeat", []], i, "payload is a list"),
            item([2, i, "Heartbeat", "payload"], i, "payload is a string"),
            item([2, i, "Heartbeat", None], i, "payload is null"),
            item([2, i, 42, {}], i, "action is a number"),
            item([2, i, None, {}], i, "action is null"),
            item({"an": "object"}, NO_ID, "an object"),
            item([], NO_ID, "an empty array"),
            item([2], NO_ID, "[2]"),
            item("a string", NO_ID, "a JSON string"),
            item(42, NO_ID, "a JSON number"),
            item(None, NO_ID, "null"),
        ]
        if self.version == "2.1":
            # 2.1 message types: CALLRESULTERROR answers a CALLRESULT, SEND is never answered.
            items += [
                item([5, i, "GenericError", "", {}], None, "CALLRESULTERROR (2.1)"),
                item([6, i, "NotifyPeriodicEventStream", {}], None, "SEND (2.1)"),
            ]
        else:
            items += [
                item([5, i, "GenericError", "", {}], i, "message type 5"),
                item([6, i, "Heartbeat", {}], i, "message type 6"),
            ]
        return items

    def unknown_action(self) -> FuzzItem:
        """A CALL of an action no OCPP version of this name has."""
        other = "TransactionEvent" if self.version == "1.6" else "StartTransaction"
        action = self.rng.choice(
            ["FooBar", "", "heartbeat", "Heartbeat ", other, "../../etc/passwd", "A" * 200]
        )
        payload: dict[str, Any] = self.rng.choice([{}, {"foo": "bar"}])
        return self.call("unknown_action", action, payload, f"action {action[:30]!r}")

    def unsupported_action(self, action: str | None = None) -> FuzzItem:
        """A schema-valid CALL of a real action only a CSMS sends (RemoteStartTransaction)."""
        action = action or self.rng.choice(self.schemas.csms_actions)
        payload = PayloadBuilder(self.rng, self.schemas.requests[action]).build()
        return self.call("unsupported_action", action, payload)

    def stray_answer(self, index: int | None = None) -> FuzzItem:
        """A CALLRESULT or CALLERROR for a call nobody made; never to be answered."""
        stray = f"stray-{self.rng.getrandbits(64):016x}"
        options: list[tuple[list[Any], str]] = [
            ([3, stray, {"status": "Accepted"}], "CALLRESULT"),
            ([3, stray, {}], "empty CALLRESULT"),
            ([4, stray, "GenericError", "nobody asked", {}], "CALLERROR"),
            ([4, stray, 5, "numeric code", {}], "CALLERROR code 5"),
            ([4, stray, None, "null code", ["a", "list"]], "CALLERROR code null, details list"),
            ([4, stray, "InternalError", None, None], "CALLERROR null description"),
            ([3, stray], "CALLRESULT of 2 elements"),
            ([4, stray, "GenericError"], "CALLERROR of 3 elements"),
            ([3, 17, {}], "CALLRESULT with a numeric id"),
            ([3, stray, []], "CALLRESULT with a list payload"),
        ]
        if index is None:
            index = self.rng.randrange(len(options))
        message, note = options[index % len(options)]
        return FuzzItem("stray_answer", json.dumps(message), None, "", note)

    # --- the sequence ------------------------------------------------------------------

    def baseline(self) -> list[FuzzItem]:
        """Items covering every listed variant of every category once."""
        items = [self.valid(action) for action in self.actions]
        items += [self._makers[name]() for name in ("wrong_type", "missing_required") * 3]
        items += [self.extra_field() for _ in range(3)]
        items += self._number_baseline()
        items += self._text_baseline()
        items += [
            self.at_path("huge_connector", action, path, value)
            for action, path in self._targets(_CONNECTOR_PATHS)
            for value in HUGE_CONNECTOR_IDS
        ]
        items += [
            self.deep_nesting(10_000, "bare"),
            self.deep_nesting(10_000, "array"),
            self.deep_nesting(1000, "object"),
            self.deep_nesting(1000, "array"),
            self.deep_nesting(1000, "string"),
            self.deep_nesting(100, "object"),
            self.deep_nesting(100, "array"),
        ]
        items += [self.oversized("frame"), self.oversized("string"), self.oversized("huge")]
        items += [self.binary(utf8=False), self.binary(utf8=True)]
        items += [self.invalid_json() for _ in range(4)]
        items += [self.bad_envelope(index) for index in range(self.envelope_count())]
        items.append(self.call("unknown_action", "FooBar", {}, "action 'FooBar'"))
        items.append(self.unsupported_action(_REMOTE_START[self.version]))
        items += [self.stray_answer(index) for index in range(10)]
        return items

    def _number_baseline(self) -> list[FuzzItem]:
        """Each extreme number and non-finite token in the main metering messages."""
        numeric: list[str] = [a for a in ("MeterValues", "StatusNotification") if a in self.actions]
        numeric.append("StartTransaction" if self.version == "1.6" else "TransactionEvent")
        items = [
            self.extreme_number(token, action) for token in EXTREME_NUMBERS for action in numeric
        ]
        items += [self.nan_infinity(token, a) for token in NON_FINITE_TOKENS for a in numeric]
        if self.version == "1.6":
            items += [self.sampled_text(value) for value in ("1e309", "NaN", "-Infinity", "1e-320")]
        else:
            items += [
                self.multiplier(action, multiplier)
                for action in ("MeterValues", "TransactionEvent")
                for multiplier in (309, -400)
            ]
        return items

    def _text_baseline(self) -> list[FuzzItem]:
        """Lone surrogates in vendor, model and timestamps; every impossible date."""
        items: list[FuzzItem] = []
        for surrogate in LONE_SURROGATES:
            for action, path in self._targets(_TEXT_PATHS) + self._targets(_TIMESTAMP_PATHS):
                items.append(self.at_path("lone_surrogate", action, path, surrogate))
            items.append(self.surrogate_envelope(surrogate, in_action=False))
            items.append(self.surrogate_envelope(surrogate, in_action=True))
        timestamp_targets = self._targets(_TIMESTAMP_PATHS)
        for index, text in enumerate(IMPOSSIBLE_DATES):
            for offset in (0, 1):
                action, path = timestamp_targets[(2 * index + offset) % len(timestamp_targets)]
                items.append(self.at_path("impossible_date", action, path, text))
        return items

    def random_item(self) -> FuzzItem:
        """One item of a category drawn by weight."""
        names = list(_WEIGHTS)
        category = self.rng.choices(names, weights=[_WEIGHTS[name] for name in names])[0]
        return self._makers[category]()

    def generate(self, count: int) -> Iterator[FuzzItem]:
        """`count` items: the baseline in random order, mixed with random items.

        Lazy, so a run of 100,000 frames does not hold them all in memory. With `count`
        below the baseline's size a random part of the baseline is sent.
        """
        baseline = self.baseline()
        self.rng.shuffle(baseline)
        if count < len(baseline):
            yield from baseline[:count]
            return
        remaining = count
        while remaining > 0:
            if baseline and self.rng.random() < len(baseline) / remaining:
                yield baseline.pop()
            else:
                yield self.random_item()
            remaining -= 1


def generate_frames(
    version: str, count: int, *, seed: int = 0, allow_boot: bool = True
) -> Iterator[FuzzItem]:
    """`count` fuzz items of an OCPP version, the same ones for the same seed.

    Without `allow_boot` no item is a BootNotification (for a charger that must never boot).
    """
    return FrameGenerator(version, seed, allow_boot=allow_boot).generate(count)


# --- answers to the central system's own calls ------------------------------------------------

_CONFIGURATION_16: Final = (
    ("NumberOfConnectors", True, "2"),
    ("SupportedFeatureProfiles", True, "Core,FirmwareManagement"),
    ("HeartbeatInterval", False, "300"),
    ("MeterValueSampleInterval", False, "10"),
)
_STATUS_ANSWERS: Final[Mapping[str, Mapping[str, Any]]] = {
    "ChangeAvailability": {"status": "Accepted"},
    "ChangeConfiguration": {"status": "Accepted"},
    "ClearCache": {"status": "Accepted"},
    "ClearChargingProfile": {"status": "Accepted"},
    "DataTransfer": {"status": "UnknownVendorId"},
    "GetBaseReport": {"status": "NotSupported"},
    "GetChargingProfiles": {"status": "NoProfiles"},
    "GetCompositeSchedule": {"status": "Rejected"},
    "GetReport": {"status": "NotSupported"},
    "RemoteStartTransaction": {"status": "Rejected"},
    "RemoteStopTransaction": {"status": "Rejected"},
    "RequestStartTransaction": {"status": "Rejected"},
    "RequestStopTransaction": {"status": "Rejected"},
    "Reset": {"status": "Rejected"},
    "SetChargingProfile": {"status": "Accepted"},
    "TriggerMessage": {"status": "Rejected"},
    "UnlockConnector": {"status": "Unlocked"},
}


def answer_server_call(
    version: str, message_id: str, action: str, payload: Mapping[str, Any]
) -> list[Any]:
    """What the fuzzing charger answers to a CALL of the central system.

    A plausible CALLRESULT for what central systems ask after a boot (configuration, device
    model, triggers, limits); CALLERROR NotImplemented for anything else.
    """
    result: Any = None
    if version == "1.6" and action == "GetConfiguration":
        wanted = payload.get("key")
        known = [
            {"key": key, "readonly": readonly, "value": value}
            for key, readonly, value in _CONFIGURATION_16
            if not wanted or key in wanted
        ]
        names = {entry["key"] for entry in known}
        unknown = [key for key in wanted or () if key not in names]
        result = {"configurationKey": known, "unknownKey": unknown}
    elif version != "1.6" and action in ("SetVariables", "GetVariables"):
        result = _variables_answer(action, payload)
    elif action in _STATUS_ANSWERS:
        result = dict(_STATUS_ANSWERS[action])
    if result is None:
        return [4, message_id, "NotImplemented", f"The fuzzer does not implement {action}", {}]
    return [3, message_id, result]


def _variables_answer(action: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """2.x SetVariables (all accepted) or GetVariables (all unknown) results."""
    if action == "SetVariables":
        return {
            "setVariableResult": [
                {
                    "attributeStatus": "Accepted",
                    "component": entry.get("component", {"name": "?"}),
                    "variable": entry.get("variable", {"name": "?"}),
                }
                for entry in payload.get("setVariableData") or ()
            ]
        }
    return {
        "getVariableResult": [
            {
                "attributeStatus": "UnknownVariable",
                "component": entry.get("component", {"name": "?"}),
                "variable": entry.get("variable", {"name": "?"}),
            }
            for entry in payload.get("getVariableData") or ()
        ]
    }


def boot_payload(version: str) -> dict[str, Any]:
    """A plain valid BootNotification payload."""
    if version == "1.6":
        return {"chargePointVendor": "Fuzzco", "chargePointModel": "Fuzz-1"}
    return {"reason": "PowerUp", "chargingStation": {"vendorName": "Fuzzco", "model": "Fuzz-1"}}


# --- the report ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """A frame whose outcome a report lists one by one."""

    category: str
    message_id: str | None
    action: str
    note: str
    detail: str
    frame: str

    def line(self) -> str:
        """One line for the report."""
        what = " ".join(
            part for part in (self.action, f"[{self.note}]" if self.note else "") if part
        )
        return f"  {self.category:<18} id={self.message_id!s:<10} {what}: {self.detail}\n      {self.frame}"


@dataclass
class FuzzReport:
    """What the central system did with the fuzz frames of one run, per category."""

    version: str
    charge_point_id: str
    boot_first: bool
    sent: Counter[str] = field(default_factory=Counter)
    results: Counter[str] = field(default_factory=Counter)
    errors: dict[str, Counter[str]] = field(default_factory=dict)
    unanswered: list[Finding] = field(default_factory=list)
    internal_errors: list[Finding] = field(default_factory=list)
    # Answers to frames that must not be answered (stray answers, 2.1 SEND), or late ones.
    unexpected_answers: list[Finding] = field(default_factory=list)
    closed_by_server: Counter[str] = field(default_factory=Counter)
    unexpected_closes: list[Finding] = field(default_factory=list)
    server_calls: Counter[str] = field(default_factory=Counter)
    boots: int = 0
    boot_failures: int = 0
    aborted: str | None = None
    seconds: float = 0.0

    def record_error(self, category: str, code: str) -> None:
        """Count one CALLERROR answer."""
        self.errors.setdefault(category, Counter())[code] += 1

    @property
    def clean(self) -> bool:
        """Nothing a central system must never do happened."""
        return not (
            self.unanswered
            or self.internal_errors
            or self.unexpected_answers
            or self.unexpected_closes
            or self.aborted
            or self.boot_failures
        )

    def table(self, max_findings: int = 25) -> str:
        """The report as a text table, followed by the findings."""
        mode = "booted first" if self.boot_first else "never booted"
        lines = [
            f"OCPP {self.version} fuzz as {self.charge_point_id} ({mode}): "
            f"{sum(self.sent.values())} frames in {self.seconds:.1f} s, {self.boots} boots, "
            f"server calls {dict(self.server_calls) or 'none'}",
            f"{'category':<20}{'sent':>7}{'result':>8}{'error':>7}{'unans':>7}"
            f"{'intern':>8}{'closed':>8}  error codes",
        ]
        unanswered = Counter(f.category for f in self.unanswered)
        internal = Counter(f.category for f in self.internal_errors)
        names = [name for name in CATEGORIES if self.sent[name]]
        names += sorted(set(self.sent) - set(CATEGORIES))
        for name in [*names, "TOTAL"]:
            codes = self.errors.get(name, Counter())
            if name == "TOTAL":
                codes = sum(self.errors.values(), Counter())
            counts = [
                self.sent.total() if name == "TOTAL" else self.sent[name],
                self.results.total() if name == "TOTAL" else self.results[name],
                codes.total(),
                unanswered.total() if name == "TOTAL" else unanswered[name],
                internal.total() if name == "TOTAL" else internal[name],
                self.closed_by_server.total() if name == "TOTAL" else self.closed_by_server[name],
            ]
            shown = ", ".join(f"{code} {n}" for code, n in codes.most_common())
            lines.append(
                f"{name:<20}{counts[0]:>7}{counts[1]:>8}{counts[2]:>7}{counts[3]:>7}"
                f"{counts[4]:>8}{counts[5]:>8}  {shown}"
            )
        if self.aborted:
            lines.append(f"ABORTED: {self.aborted}")
        if self.boot_failures:
            lines.append(f"Boots without an answer: {self.boot_failures}")
        for title, findings in (
            ("Unanswered CALLs", self.unanswered),
            ("InternalError answers", self.internal_errors),
            ("Answers to frames that must not be answered", self.unexpected_answers),
            ("Connections closed unexpectedly", self.unexpected_closes),
        ):
            if findings:
                lines.append(f"{title} ({len(findings)}):")
                lines += [finding.line() for finding in findings[:max_findings]]
                if len(findings) > max_findings:
                    lines.append(f"  ... and {len(findings) - max_findings} more")
        return "\n".join(lines)


def _finding(item: FuzzItem, detail: str) -> Finding:
    """A finding about an item."""
    return Finding(item.category, item.message_id, item.action, item.note, detail, item.snippet())


# --- the runner ------------------------------------------------------------------------------


class FuzzAbortedError(Exception):
    """The central system could not be reached any more."""


class _FuzzLink:
    """One fuzzing charger: its websocket (reopened when closed) and the answers awaited."""

    def __init__(
        self,
        url: str,
        report: FuzzReport,
        *,
        answer_timeout: float,
        boot_first: bool,
        headers: Mapping[str, str] | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """Prepare the link; `open` connects (with `headers` and over `tls` if given)."""
        self._url = url
        self._headers = dict(headers or {})
        self._tls = tls
        self._report = report
        self._version = report.version
        self._timeout = answer_timeout
        self._boot_first = boot_first
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._closed = asyncio.Event()
        self._waiting: dict[str, asyncio.Future[list[Any]]] = {}
        self._last: FuzzItem | None = None
        # The last frame that needs no answer, until the probe after it was answered.
        self._unawaited: FuzzItem | None = None
        self._probe_ids = itertools.count(1)
        # Items without an awaited answer, by id, to name the frame an unexpected answer is for.
        self._recent: OrderedDict[str, FuzzItem] = OrderedDict()
        self._boot_ids = itertools.count(1)

    async def open(self) -> None:
        """Connect (retrying briefly) and boot first if asked to."""
        error: Exception | None = None
        for attempt in range(5):
            try:
                self._ws = await connect(
                    self._url,
                    subprotocols=[Subprotocol(SUBPROTOCOLS[self._version])],
                    max_size=16 * 1024 * 1024,
                    open_timeout=10,
                    close_timeout=2,
                    ping_interval=None,
                    additional_headers=self._headers,
                    ssl=self._tls,
                )
                break
            except (OSError, InvalidHandshake, TimeoutError) as err:
                error = err
                await asyncio.sleep(0.2 * (attempt + 1))
        else:
            raise FuzzAbortedError(f"cannot connect to {self._url}: {error!r}")
        self._closed = asyncio.Event()
        self._reader = asyncio.create_task(self._read(self._ws, self._closed))
        if self._boot_first:
            await self._boot()

    async def _boot(self) -> None:
        """Send a plain BootNotification and wait for its answer."""
        boot_id = f"boot{next(self._boot_ids)}"
        frame = json.dumps([2, boot_id, "BootNotification", boot_payload(self._version)])
        item = FuzzItem("boot", frame, boot_id, "BootNotification")
        answer = await self._exchange(item)
        self._report.boots += 1
        if answer is None:
            self._report.boot_failures += 1

    async def close(self) -> None:
        """Close the websocket and stop reading."""
        ws, reader = self._ws, self._reader
        self._ws = self._reader = None
        if ws is not None:
            self._closed.set()  # Our own close is no server close.
            await ws.close()
        if reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    async def reopen(self) -> None:
        """Replace a closed connection."""
        await self.close()
        await self.open()

    async def send(self, item: FuzzItem) -> None:
        """Send one item, wait for its answer or close as required, and count the outcome."""
        report = self._report
        report.sent[item.category] += 1
        if self._ws is None or self._closed.is_set():
            await self.reopen()
        if item.must_answer:
            answer = await self._exchange(item)
            if answer is not None:
                self._count_answer(item, answer)
            return
        self._remember(item)
        self._unawaited = item
        sent = await self._transmit(item)
        if item.expect_close:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._timeout):
                    await self._closed.wait()
        elif sent:
            await self._probe()
        self._unawaited = None

    async def _probe(self) -> None:
        """A Heartbeat after a frame that needs no answer, awaited before the next frame.

        The central system handles a connection's frames in order, so whatever it answers to
        the unanswerable frame arrives before the probe's answer and is told apart exactly.
        """
        probe_id = f"probe{next(self._probe_ids)}"
        frame = json.dumps([2, probe_id, "Heartbeat", {}])
        await self._exchange(FuzzItem("probe", frame, probe_id, "Heartbeat", "after a frame"))

    async def _transmit(self, item: FuzzItem) -> bool:
        """Send a frame; False when the connection was closed before it went out."""
        self._last = item
        assert self._ws is not None
        try:
            await self._ws.send(item.frame)
        except ConnectionClosed:
            return False
        return True

    async def _exchange(self, item: FuzzItem) -> list[Any] | None:
        """Send a CALL and wait for its answer; None (and a finding) when none came."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Any]] = loop.create_future()
        for answer_id in item.answer_ids:
            self._waiting[answer_id] = future
        closed = self._closed
        try:
            if not await self._transmit(item):
                self._report.unanswered.append(_finding(item, "connection closed before sending"))
                return None
            closed_wait: asyncio.Future[Any] = asyncio.ensure_future(closed.wait())
            try:
                await asyncio.wait(
                    {cast("asyncio.Future[Any]", future), closed_wait},
                    timeout=self._timeout,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                closed_wait.cancel()
            if future.done():
                return future.result()
            reason = "connection closed" if closed.is_set() else f"no answer in {self._timeout} s"
            if item.category != "boot":
                self._report.unanswered.append(_finding(item, reason))
            self._remember(item)
            return None
        finally:
            for answer_id in item.answer_ids:
                if self._waiting.get(answer_id) is future:
                    del self._waiting[answer_id]

    def _remember(self, item: FuzzItem) -> None:
        """Keep the last few unawaited items so late or unexpected answers can be named."""
        for answer_id in (*item.answer_ids, *_ids_in(item)):
            self._recent[answer_id] = item
            self._recent.move_to_end(answer_id)
        while len(self._recent) > 1000:
            self._recent.popitem(last=False)

    def _count_answer(self, item: FuzzItem, answer: list[Any]) -> None:
        """Count a CALLRESULT or CALLERROR answer of an item."""
        report = self._report
        if answer[0] == 3:
            report.results[item.category] += 1
            return
        code = str(answer[2]) if len(answer) > 2 else "(no code)"
        report.record_error(item.category, code)
        if code == "InternalError":
            description = str(answer[3]) if len(answer) > 3 else ""
            report.internal_errors.append(_finding(item, f"InternalError: {description}"))

    async def _read(self, ws: ClientConnection, closed: asyncio.Event) -> None:
        """Read the server's frames until the connection closes."""
        try:
            async for raw in ws:
                await self._on_frame(ws, raw)
        except ConnectionClosed:
            pass
        finally:
            if not closed.is_set():
                self._server_closed(ws)
            closed.set()

    def _server_closed(self, ws: ClientConnection) -> None:
        """Count a close by the server, against the frame sent last."""
        item = self._last or FuzzItem("(connect)", "", None)
        self._report.closed_by_server[item.category] += 1
        if not item.expect_close:
            detail = f"server closed the connection (code {ws.close_code} {ws.close_reason!r})"
            self._report.unexpected_closes.append(_finding(item, detail))

    async def _on_frame(self, ws: ClientConnection, raw: str | bytes) -> None:
        """Route one server frame: an answer we wait for, a call to answer, or neither."""
        try:
            message = json.loads(raw)
        except ValueError:
            message = None
        if not isinstance(message, list) or len(message) < 2:
            self._unexpected(None, f"server sent a malformed frame {raw[:100]!r}")
            return
        kind, message_id = message[0], message[1]
        if kind == 2 and len(message) == 4 and isinstance(message_id, str):
            action = str(message[2])
            self._report.server_calls[action] += 1
            payload = message[3] if isinstance(message[3], dict) else {}
            with contextlib.suppress(ConnectionClosed):
                await ws.send(
                    json.dumps(answer_server_call(self._version, message_id, action, payload))
                )
            return
        future = self._waiting.get(message_id) if isinstance(message_id, str) else None
        if kind in (3, 4) and future is not None and not future.done():
            future.set_result(message)
            return
        self._unexpected(message_id, f"unexpected answer {json.dumps(message)[:120]}")

    def _unexpected(self, message_id: Any, detail: str) -> None:
        """Note an answer nobody waits for, naming the frame it most likely answers."""
        item = self._unawaited if message_id == NO_ID else None
        if item is None and isinstance(message_id, str):
            item = self._recent.get(message_id)
        if item is None and message_id == NO_ID:
            item = self._last
        if item is None:
            item = FuzzItem("(unknown)", "", None)
        if item.must_answer and message_id in item.answer_ids:
            detail = f"late answer: {detail}"
        self._report.unexpected_answers.append(_finding(item, detail))


def _ids_in(item: FuzzItem) -> tuple[str, ...]:
    """The message id a frame that needs no answer carries, if one can be read."""
    if item.must_answer or isinstance(item.frame, bytes):
        return ()
    try:
        message = json.loads(item.frame)
    except ValueError:
        return ()
    if isinstance(message, list) and len(message) > 1 and isinstance(message[1], str):
        return (message[1],)
    return ()


async def run_fuzz(
    url_base: str,
    version: str,
    items: Iterable[FuzzItem],
    *,
    charge_point_id: str,
    boot_first: bool,
    answer_timeout: float = 5.0,
    on_progress: Callable[[int], None] | None = None,
    headers: Mapping[str, str] | None = None,
    tls: ssl.SSLContext | None = None,
) -> FuzzReport:
    """Send fuzz items to the central system at `url_base` as charger `charge_point_id`.

    The websocket is `{url_base}/{charge_point_id}` with the version's subprotocol. With
    `boot_first` a plain BootNotification goes first (and again after each reconnect). Each
    CALL waits up to `answer_timeout` seconds for its answer; the central system's own CALLs
    are answered on the way (`answer_server_call`). A closed connection is reopened.
    """
    report = FuzzReport(version, charge_point_id, boot_first)
    started = time.monotonic()
    url = f"{url_base.rstrip('/')}/{quote(charge_point_id, safe='')}"
    link = _FuzzLink(
        url, report, answer_timeout=answer_timeout, boot_first=boot_first, headers=headers, tls=tls
    )
    try:
        await link.open()
        for count, item in enumerate(items, 1):
            await link.send(item)
            if on_progress is not None:
                on_progress(count)
    except FuzzAbortedError as err:
        report.aborted = str(err)
    finally:
        await link.close()
        report.seconds = time.monotonic() - started
    return report


# --- command line ------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Fuzz a running central system and print the report; 1 when something went wrong."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.fuzz_frames",
        description="Send hostile OCPP frames to a running central system.",
    )
    parser.add_argument("--url", default="ws://127.0.0.1:9000/ocpp", help="base URL of chargers")
    parser.add_argument("--version", choices=[*VERSIONS, "all"], default="1.6")
    parser.add_argument("--frames", type=int, default=1000, help="frames per version")
    parser.add_argument("--seed", type=int, default=0, help="same seed, same frames")
    parser.add_argument("--charge-point-id", default="FUZZ")
    parser.add_argument("--no-boot", action="store_true", help="never send a BootNotification")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait per answer")
    args = parser.parse_args(argv)
    versions = VERSIONS if args.version == "all" else (args.version,)

    def progress(count: int) -> None:
        if count % 1000 == 0 and sys.stderr.isatty():
            print(f"\r{count} frames sent", end="", file=sys.stderr, flush=True)

    clean = True
    for version in versions:
        items = generate_frames(version, args.frames, seed=args.seed, allow_boot=not args.no_boot)
        report = asyncio.run(
            run_fuzz(
                args.url,
                version,
                items,
                charge_point_id=args.charge_point_id,
                boot_first=not args.no_boot,
                answer_timeout=args.timeout,
                on_progress=progress,
            )
        )
        if sys.stderr.isatty():
            print(file=sys.stderr)
        print(report.table())
        clean = clean and report.clean
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
