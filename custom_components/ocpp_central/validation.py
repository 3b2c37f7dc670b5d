"""The one validation layer between what arrives from the network and the model.

Anything on the home network can open a websocket to the central system, and chargers' own
firmware sends garbage too. Before a value reaches a parser, the model, the store, HA's
registries or the log it passes here: text is valid Unicode of bounded size, nesting is
shallow, numbers are finite and fit what JSON, the store and the frontend can hold, and
timestamps are parsed by code that cannot crash. A violation raises `InvalidInputError`,
which the protocol layer answers with the CALLERROR its `Violation` names.

This module imports nothing from the rest of the integration, so every layer may use it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
import math
import re
from typing import Any, Final

from homeassistant.util import dt as dt_util

# The deepest OCPP schema (2.1 charging needs and profiles inside a frame array) nests about
# ten levels; vendors' DataTransfer data rarely more. Python's own recursion limit is 1000.
MAX_NESTING_DEPTH: Final = 32
# Integers beyond 2^53 are not exact as floats (what HA's frontend and the energy maths use),
# and beyond 2^63 HA's store cannot serialise them at all. No OCPP quantity comes near it
# (2^53 Wh is 9 PWh), so it bounds every number.
MAX_SAFE_NUMBER: Final = 2**53
# An ISO 8601 timestamp with nanoseconds and an offset is 35 characters.
MAX_TIMESTAMP_LENGTH: Final = 40
# Device registry fields and log lines get at most this much of a charger's text.
MAX_TEXT_LENGTH: Final = 255

# A frame has more brackets than this before its depth is worth measuring: ordinary frames
# (a MeterValues of 8 sampled values has about 20) skip the walk.
_BRACKETS_BEFORE_DEPTH_CHECK: Final = 2 * MAX_NESTING_DEPTH
# Only these can produce numbers out of range: a long digit run (a huge integer) or an
# exponent (1e400 parses as infinity). Frames without them skip the number walk.
_NUMBER_HINT: Final = re.compile(r"\d{16}|\d[eE][+-]?\d")
# A lone surrogate can only arrive as a JSON escape: the websocket layer decodes text frames
# as strict UTF-8, which cannot carry one.
_ESCAPE_HINT: Final = "\\u"


class Violation(StrEnum):
    """Which OCPP-J CALLERROR a violation is answered with (each version spells them)."""

    FORMAT = "format"
    TYPE = "type"
    PROPERTY = "property"
    OCCURRENCE = "occurrence"


class InvalidInputError(Exception):
    """A value a charger sent that the central system refuses, and why."""

    def __init__(self, violation: Violation, description: str) -> None:
        """Name the kind of violation and what was wrong."""
        super().__init__(description)
        self.violation = violation
        self.description = description


def reject_constant(name: str) -> float:
    """`json.loads` hook: NaN and Infinity are not JSON, although Python accepts them."""
    raise InvalidInputError(Violation.FORMAT, f"{name} is not a JSON number")


def check_parsed_frame(raw: str, frame: Any) -> None:
    """Refuse a parsed frame with lone surrogates, deep nesting or numbers out of range.

    Cheap substring tests on the raw text decide whether the parsed frame needs a walk, so
    ordinary frames cost almost nothing here.
    """
    check_text = _ESCAPE_HINT in raw
    check_numbers = _NUMBER_HINT.search(raw) is not None
    check_depth = raw.count("[") + raw.count("{") > _BRACKETS_BEFORE_DEPTH_CHECK
    if check_text or check_numbers or check_depth:
        _walk(frame, check_text=check_text, check_numbers=check_numbers)


def _walk(frame: Any, *, check_text: bool, check_numbers: bool) -> None:
    """Check every value of a parsed frame without recursion (its depth is the question)."""
    stack: list[tuple[Any, int]] = [(frame, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_NESTING_DEPTH:
                raise _too_deep()
            for key, item in value.items():
                if check_text:
                    _check_string(key)
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            if depth > MAX_NESTING_DEPTH:
                raise _too_deep()
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            if check_text:
                _check_string(value)
        elif check_numbers and isinstance(value, int | float) and not isinstance(value, bool):
            check_number(value)


def _too_deep() -> InvalidInputError:
    return InvalidInputError(
        Violation.FORMAT, f"Frame is nested deeper than {MAX_NESTING_DEPTH} levels"
    )


def _check_string(value: str) -> None:
    if value.isascii():
        return
    try:
        value.encode()
    except UnicodeEncodeError:
        raise InvalidInputError(
            Violation.FORMAT, "Text contains a lone surrogate, which is not Unicode text"
        ) from None


def check_number(value: float) -> float:
    """Return a number if it is finite and within the safe range, else refuse it."""
    # NaN fails every comparison, so it is refused here too.
    if -MAX_SAFE_NUMBER <= value <= MAX_SAFE_NUMBER:
        return value
    raise InvalidInputError(Violation.PROPERTY, f"Number out of range: {_clip(value)}")


def _clip(value: object) -> str:
    text = str(value) if not isinstance(value, int) else f"an integer of {_digits(value)} digits"
    return text[:40]


def _digits(value: int) -> int:
    # Fewer digits than str() would have to produce for a huge integer.
    return max(1, math.ceil(value.bit_length() * math.log10(2)))


def parse_timestamp(value: str | None) -> datetime:
    """Parse an OCPP dateTime; an absent one means now.

    HA's fast ISO 8601 parser is a C extension that must only ever see short ASCII text (a
    lone surrogate crashes the whole process). Impossible dates (30 February, offsets beyond a
    day) are refused, not guessed. A timestamp without an offset is taken as UTC, which is what
    OCPP requires chargers to send.
    """
    if value is None:
        return dt_util.utcnow()
    if not value.isascii() or not 0 < len(value) <= MAX_TIMESTAMP_LENGTH:
        raise InvalidInputError(Violation.PROPERTY, f"Not an OCPP dateTime: {value[:40]!r}")
    try:
        parsed = dt_util.parse_datetime(value, raise_on_error=True)
    except (ValueError, OverflowError):
        raise InvalidInputError(Violation.PROPERTY, f"Not an OCPP dateTime: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def safe_text(value: object, limit: int = MAX_TEXT_LENGTH) -> str:
    """A charger's text made fit for HA's registries and logs.

    Control and other unprintable characters (terminal escapes, line breaks that forge log
    lines) become spaces; the result is bounded and valid Unicode.
    """
    text = str(value)[:limit]
    if text.isprintable():
        return text
    # Lone surrogates are unprintable too, so none gets through.
    return "".join(char if char.isprintable() else " " for char in text)
