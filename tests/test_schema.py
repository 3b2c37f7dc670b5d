"""The compiled schema checks agree with jsonschema on valid and broken payloads."""

from __future__ import annotations

from collections.abc import Iterator
import copy
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
import ocpp
import pytest

from custom_components.ocpp_central.protocol.schema import compile_schema

SCHEMAS = Path(ocpp.__file__).parent

METER_16 = {
    "connectorId": 1,
    "transactionId": 5,
    "meterValue": [
        {
            "timestamp": "2026-06-01T10:00:00Z",
            "sampledValue": [
                {"value": "1.5", "measurand": "Energy.Active.Import.Register", "unit": "kWh"},
                {"value": "230", "measurand": "Voltage", "phase": "L1-N", "unit": "V"},
            ],
        }
    ],
}
EVENT_201 = {
    "eventType": "Updated",
    "timestamp": "2026-06-01T10:00:00Z",
    "triggerReason": "MeterValuePeriodic",
    "seqNo": 3,
    "offline": False,
    "transactionInfo": {"transactionId": "tx", "chargingState": "Charging"},
    "evse": {"id": 1, "connectorId": 1},
    "idToken": {"idToken": "TAG", "type": "ISO14443"},
    "meterValue": [
        {
            "timestamp": "2026-06-01T10:00:00Z",
            "sampledValue": [
                {
                    "value": 1.5,
                    "measurand": "Energy.Active.Import.Register",
                    "unitOfMeasure": {"unit": "kWh", "multiplier": 3},
                },
            ],
        }
    ],
}
CASES = [
    ("v16", "MeterValues", METER_16),
    ("v16", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}),
    (
        "v16",
        "StatusNotification",
        {"connectorId": 0, "errorCode": "NoError", "status": "Available"},
    ),
    (
        "v16",
        "StopTransaction",
        {
            "meterStop": 5,
            "timestamp": "x",
            "transactionId": 1,
            "transactionData": METER_16["meterValue"],
        },
    ),
    ("v201", "TransactionEventRequest", EVENT_201),
    ("v21", "TransactionEventRequest", EVENT_201),
    (
        "v201",
        "BootNotificationRequest",
        {"chargingStation": {"model": "M", "vendorName": "V"}, "reason": "PowerUp"},
    ),
]


def _mutations(payload: Any) -> Iterator[Any]:
    """The payload with one thing broken at every place (and a few untouched copies)."""
    yield payload
    if isinstance(payload, dict):
        for key in payload:
            dropped = {k: v for k, v in payload.items() if k != key}
            yield dropped
            for replacement in (None, True, 7, 7.5, "x" * 60, [], {}, "Bogus"):
                yield {**payload, key: replacement}
            for inner in _mutations(payload[key]):
                yield {**payload, key: inner}
        yield {**payload, "extra": 1}
    elif isinstance(payload, list):
        yield []
        for index, item in enumerate(payload):
            for inner in _mutations(item):
                changed = copy.copy(payload)
                changed[index] = inner
                yield changed


@pytest.mark.parametrize(("version", "name", "payload"), CASES)
def test_compiled_check_agrees_with_jsonschema(version: str, name: str, payload: Any) -> None:
    """Every mutation is judged the same by the compiled check and by jsonschema."""
    schema = json.loads((SCHEMAS / version / "schemas" / f"{name}.json").read_text("utf-8-sig"))
    check = compile_schema(schema)
    assert check is not None
    validator = Draft4Validator(schema)
    seen = 0
    for mutated in _mutations(payload):
        assert check(mutated) == validator.is_valid(mutated), mutated
        seen += 1
    assert seen > 10
