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


@pytest.mark.parametrize(
    ("schema", "valid", "invalid"),
    [
        # Types, and a value of any of several types.
        ({"type": ["string", "integer"]}, ["a", 3], [1.5, None, True]),
        # A string enum with a length limit, and enums beside other keywords.
        ({"type": "string", "enum": ["A", "BB"], "maxLength": 1}, ["A"], ["BB", 1]),
        ({"enum": ["A", "B"], "minLength": 1}, ["A"], ["C", 1]),
        ({"type": "string", "maxLength": 2}, ["ab"], ["abc", 2]),
        ({"type": "string"}, [""], [None]),
        ({"type": "string", "minLength": 2, "maxLength": 3}, ["ab"], ["a", "abcd"]),
        # Numbers: bounds apply to numbers only.
        ({"type": "number", "minimum": 0, "maximum": 10}, [0, 10, 5.5], [-1, 11, "5"]),
        ({"minimum": 0}, ["text", 1], [-1]),
        # Arrays: items and length.
        (
            {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 2},
            [[1], [1, 2]],
            [[], [1, 2, 3], ["1"], "x"],
        ),
        ({"items": {"type": "integer"}}, ["not a list", [1]], [[1.5]]),
        # Objects: required, additional properties, and $ref to definitions.
        (
            {
                "type": "object",
                "properties": {"a": {"$ref": "#/definitions/A"}},
                "required": ["a"],
                "additionalProperties": False,
                "definitions": {"A": {"type": "integer"}},
            },
            [{"a": 1}],
            [{}, {"a": "1"}, {"a": 1, "b": 2}, []],
        ),
        ({"properties": {"a": {"type": "integer"}}}, ["any", {"b": 1}], [{"a": "x"}]),
    ],
)
def test_compiled_checks_agree_with_the_keywords(
    schema: dict[str, Any], valid: list[Any], invalid: list[Any]
) -> None:
    """Each keyword the compiler handles says valid and invalid as draft 4 does."""
    check = compile_schema(schema)
    assert check is not None
    assert all(check(value) for value in valid)
    assert not any(check(value) for value in invalid)


@pytest.mark.parametrize(
    "schema",
    [
        {"$ref": "http://example.com/other.json"},
        {"type": "integer", "exclusiveMinimum": True},
        {"type": "string", "pattern": "^a$"},
        {"enum": [1, 2]},
        {"type": "object", "additionalProperties": {"type": "string"}},
        {"type": "array", "items": [{"type": "string"}]},
    ],
)
def test_what_the_compiler_leaves_to_jsonschema(schema: dict[str, Any]) -> None:
    """Keywords it does not handle make the whole schema go to jsonschema."""
    assert compile_schema(schema) is None


def test_a_plain_string_enum_of_non_strings_is_not_taken_as_strings() -> None:
    """A typed string enum listing a number falls back to the general checks."""
    assert compile_schema({"type": "string", "enum": ["A", 1]}) is None
