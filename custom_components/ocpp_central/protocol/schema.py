"""A compiled yes/no check of OCPP JSON schemas, for the hot path.

The `ocpp` library validates with jsonschema's pure-Python interpreter, which costs about
0.8 ms for an ordinary MeterValues frame: the largest share of the CPU a charger costs.
Valid frames are the normal case, so each schema is compiled once into nested closures that
only answer "valid or not"; only an invalid frame goes through jsonschema, which then names
the violation for the CALLERROR. The checks follow draft 4 as jsonschema implements it
(integers exclude floats and booleans, keywords apply only to their own JSON types). A
schema with a keyword not handled here is not compiled and always goes to jsonschema.
"""

from __future__ import annotations

from collections.abc import Callable
import numbers
from typing import Any, Final

type Check = Callable[[Any], bool]

# Keywords that never affect validity (annotations), or that the library itself does not
# check ("format": it validates without a format checker).
_IGNORED: Final = frozenset(
    {
        "$schema",
        "$id",
        "id",
        "title",
        "description",
        "comment",
        "javaType",
        "tsEnumNames",
        "definitions",
        "default",
        "format",
        # Only meaningful when "items" is a list, which no OCPP schema uses.
        "additionalItems",
    }
)
_HANDLED: Final = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "enum",
        "maxLength",
        "minLength",
        "minimum",
        "maximum",
        "items",
        "minItems",
        "maxItems",
    }
)


class UnsupportedSchemaError(Exception):
    """The schema uses a keyword this compiler leaves to jsonschema."""


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


_TYPES: Final[dict[str, Check]] = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "number": _is_number,
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
}


def compile_schema(schema: dict[str, Any]) -> Check | None:
    """Compile a root schema; None when it uses something only jsonschema handles."""
    try:
        return _compile(schema, schema)
    except UnsupportedSchemaError:
        return None


def _compile(schema: dict[str, Any], root: dict[str, Any]) -> Check:
    if "$ref" in schema:
        # Draft 4: a $ref replaces every sibling keyword.
        reference = str(schema["$ref"])
        if not reference.startswith("#/definitions/"):
            raise UnsupportedSchemaError(reference)
        target = root["definitions"][reference.removeprefix("#/definitions/")]
        return _compile(target, root)
    unknown = set(schema) - _IGNORED - _HANDLED
    if unknown or schema.get("exclusiveMinimum") or schema.get("exclusiveMaximum"):
        raise UnsupportedSchemaError(unknown)
    if (string := _plain_string(schema)) is not None:
        return string
    checks: list[Check] = []
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        type_checks = [_TYPES[name] for name in types]
        if len(type_checks) == 1:
            checks.append(type_checks[0])
        else:
            checks.append(lambda value: any(check(value) for check in type_checks))
    if "enum" in schema:
        options = schema["enum"]
        if not all(isinstance(option, str) for option in options):
            raise UnsupportedSchemaError("enum")
        allowed = frozenset(options)
        checks.append(lambda value: isinstance(value, str) and value in allowed)
    checks.extend(_string_checks(schema))
    checks.extend(_number_checks(schema))
    checks.extend(_object_checks(schema, root))
    checks.extend(_array_checks(schema, root))
    if len(checks) == 1:
        return checks[0]

    def check_all(value: Any) -> bool:
        # Loops, not all(...): no generator per call on the hot path.
        for check in checks:  # noqa: SIM110
            if not check(value):
                return False
        return True

    return check_all


def _plain_string(schema: dict[str, Any]) -> Check | None:
    """One closure for the most common schema: a string with an enum or a maximum length."""
    if schema.get("type") != "string" or set(schema) - _IGNORED - {"type", "enum", "maxLength"}:
        return None
    if "enum" in schema:
        allowed = frozenset(schema["enum"])
        if not all(isinstance(option, str) for option in allowed):
            return None
        if (limit := schema.get("maxLength")) is None:
            return lambda value: value.__class__ is str and value in allowed
        most = int(limit)
        return lambda value: value.__class__ is str and value in allowed and len(value) <= most
    if (longest := schema.get("maxLength")) is not None:
        return lambda value: value.__class__ is str and len(value) <= longest
    return lambda value: value.__class__ is str


def _string_checks(schema: dict[str, Any]) -> list[Check]:
    checks: list[Check] = []
    if (longest := schema.get("maxLength")) is not None:
        checks.append(lambda value: not isinstance(value, str) or len(value) <= longest)
    if (shortest := schema.get("minLength")) is not None:
        checks.append(lambda value: not isinstance(value, str) or len(value) >= shortest)
    return checks


def _number_checks(schema: dict[str, Any]) -> list[Check]:
    checks: list[Check] = []
    if (low := schema.get("minimum")) is not None:
        checks.append(lambda value: not _is_number(value) or value >= low)
    if (high := schema.get("maximum")) is not None:
        checks.append(lambda value: not _is_number(value) or value <= high)
    return checks


def _object_checks(schema: dict[str, Any], root: dict[str, Any]) -> list[Check]:
    checks: list[Check] = []
    properties = {
        name: _compile(sub, root) for name, sub in (schema.get("properties") or {}).items()
    }
    required = tuple(schema.get("required") or ())
    additional = schema.get("additionalProperties", True)
    if not isinstance(additional, bool):
        raise UnsupportedSchemaError("additionalProperties")
    if properties or required or not additional:
        known = frozenset(properties)

        def check_object(value: Any) -> bool:
            if value.__class__ is not dict:
                return True
            for name in required:
                if name not in value:
                    return False
            get = properties.get
            for name, item in value.items():
                sub = get(name)
                if sub is None:
                    if not additional and name not in known:
                        return False
                elif not sub(item):
                    return False
            return True

        checks.append(check_object)
    return checks


def _array_checks(schema: dict[str, Any], root: dict[str, Any]) -> list[Check]:
    checks: list[Check] = []
    if "items" in schema:
        if not isinstance(schema["items"], dict):
            raise UnsupportedSchemaError("items")
        item_check = _compile(schema["items"], root)

        def check_items(value: Any) -> bool:
            if value.__class__ is not list:
                return True
            for item in value:  # noqa: SIM110 - see check_all
                if not item_check(item):
                    return False
            return True

        checks.append(check_items)
    if (fewest := schema.get("minItems")) is not None:
        checks.append(lambda value: not isinstance(value, list) or len(value) >= fewest)
    if (most := schema.get("maxItems")) is not None:
        checks.append(lambda value: not isinstance(value, list) or len(value) <= most)
    return checks
