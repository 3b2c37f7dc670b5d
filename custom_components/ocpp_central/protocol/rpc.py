"""OCPP-J framing: parse frames, validate payloads and answer bad input with the right CALLERROR.

The `ocpp` library's own receive path drops unparseable frames silently, swaps the meaning of
NotImplemented and NotSupported, leaves OCPP 2.1 calls without a handler unanswered and hops to
a thread for every schema validation. `RobustRouting` replaces that path for every protocol
version; the adapters only add their `@on` handlers.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
import inspect
import json
import logging
import re
import time
from typing import Any, ClassVar, Final

from jsonschema.exceptions import ValidationError as SchemaValidationError
from ocpp.charge_point import (
    camel_to_snake_case,
    remove_nones,
    serialize_as_dict,
    snake_to_camel_case,
)
from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallError, CallResult, MessageType, get_validator, validate_payload

from ..const import LOGGER, MAX_FRAME_BYTES
from ..log_throttle import LogThrottle
from ..redaction import FrameRedactionFilter
from ..validation import (
    InvalidInputError,
    Violation,
    check_parsed_frame,
    reject_constant,
    safe_text,
)
from .schema import Check, compile_schema

# Elements of each OCPP-J message array: [type, id, action, payload], [type, id, payload] and
# [type, id, code, description, details].
_CALL_LENGTH: Final = 4
_CALLRESULT_LENGTH: Final = 3
_CALLERROR_LENGTH: Final = 5
# OCPP-J limits message ids to 36 characters (a UUID).
_MAX_UNIQUE_ID_LENGTH: Final = 36
# The `frames` logger shows this much of each incoming frame.
MAX_LOGGED_FRAME: Final = 4096
# Every frame in and out at INFO (off unless the user turns it on), without secrets.
FRAME_LOGGER: Final = LOGGER.getChild("frames")
FRAME_LOGGER.addFilter(FrameRedactionFilter())
# Diagnostics keep this much of each recent frame (a MeterValues frame is about 1 KiB).
MAX_KEPT_FRAME: Final = 2048
# Finds the message id of a frame too large or too broken to parse as a whole.
_UNIQUE_ID_PATTERN: Final = re.compile(r'^\s*\[\s*2\s*,\s*"([^"\\]{1,36})"')
# Recognises a CALLRESULT or CALLERROR too broken to parse.
_ANSWER_PATTERN: Final = re.compile(r"^\s*\[\s*[34]\s*,")


# Compiled validity checks per (OCPP version, message type, action); None where jsonschema
# must decide.
_FAST_CHECKS: dict[tuple[str, int, str], Check | None] = {}


def _passes_fast_check(message: Call | CallResult, ocpp_version: str) -> bool:
    """Whether the compiled check finds the payload valid (False: ask jsonschema).

    Raises OSError when the version has no schema for the action.
    """
    key = (ocpp_version, message.message_type_id, message.action)
    if key not in _FAST_CHECKS:
        validator = get_validator(message.message_type_id, message.action, ocpp_version)
        _FAST_CHECKS[key] = compile_schema(validator.schema)
    check = _FAST_CHECKS[key]
    return check is not None and check(message.payload)


@lru_cache(maxsize=4096)
def _snake_key(key: str) -> str:
    return str(next(iter(camel_to_snake_case({key: None}))))


def snake_case_keys(data: Any) -> Any:
    """The library's camelCase to snake_case conversion of payload keys, cached per key.

    The library's version runs several regular expressions per key of every frame.
    """
    if isinstance(data, dict):
        return {_snake_key(key): snake_case_keys(value) for key, value in data.items()}
    if isinstance(data, list):
        return [snake_case_keys(value) for value in data]
    return data


class RpcError(OCPPError):
    """An OCPP CALLERROR with a code chosen at run time (the library's classes fix it)."""

    # The library maps received CALLERRORs to classes by this attribute; no code matches it.
    code = "\x00run-time"

    def __init__(self, code: str, description: str, details: dict[str, Any] | None = None) -> None:
        """Create an error answered to the charger as `code`."""
        super().__init__(description=description, details=details or {})
        self.code = code


@dataclass(frozen=True, slots=True)
class ErrorCodes:
    """CALLERROR codes whose names differ between OCPP versions."""

    format_violation: str
    occurrence_violation: str
    message_type_not_supported: str
    rpc_framework: str
    # Message types that are never answered besides CALLRESULT and CALLERROR: OCPP-J 2.1's
    # CALLRESULTERROR (5, a charger's complaint about our answer) and SEND (6, unconfirmed).
    unanswered_message_types: frozenset[int] = frozenset()


# OCPP-J 1.6 spells these "FormationViolation" and "OccurenceConstraintViolation" (errata 5.1,
# 5.2: kept as is) and has no dedicated framework or message-type codes.
ERROR_CODES_16: Final = ErrorCodes(
    format_violation="FormationViolation",
    occurrence_violation="OccurenceConstraintViolation",
    message_type_not_supported="FormationViolation",
    rpc_framework="FormationViolation",
)
ERROR_CODES_201: Final = ErrorCodes(
    format_violation="FormatViolation",
    occurrence_violation="OccurenceConstraintViolation",
    message_type_not_supported="MessageTypeNotSupported",
    rpc_framework="RpcFrameworkError",
)
ERROR_CODES_21: Final = ErrorCodes(
    format_violation="FormatViolation",
    occurrence_violation="OccurrenceConstraintViolation",
    message_type_not_supported="MessageTypeNotSupported",
    rpc_framework="RpcFrameworkError",
    unanswered_message_types=frozenset({5, 6}),
)


class FrameError(Exception):
    """A frame that cannot be routed; answered with a CALLERROR when it has a message id.

    `answer_to` is the message id of a broken CALLRESULT or CALLERROR, which is never
    answered but fails our own call with that id.
    """

    def __init__(
        self, code: str, description: str, unique_id: str | None, answer_to: str | None = None
    ) -> None:
        """Describe why the frame was refused."""
        super().__init__(description)
        self.code = code
        self.description = description
        self.unique_id = unique_id
        self.answer_to = answer_to


def _guess_unique_id(raw: str) -> str | None:
    """Message id of a CALL too broken to parse; "-1" when none can be found (OCPP-J 2.0.1).

    None for what looks like a broken answer: answers are never answered.
    """
    head = raw[:200]
    if _ANSWER_PATTERN.match(head):
        return None
    match = _UNIQUE_ID_PATTERN.match(head)
    return match.group(1) if match else "-1"


def _decode(raw: str | bytes, codes: ErrorCodes, max_bytes: int) -> tuple[str, Any]:
    """Decode a frame's text and JSON, refusing what is not UTF-8, too large or not JSON."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode()
        except UnicodeDecodeError:
            raise FrameError(codes.rpc_framework, "Frame is not UTF-8 text", "-1") from None
    if len(raw) > max_bytes or len(raw.encode(errors="replace")) > max_bytes:
        raise FrameError(
            codes.format_violation,
            f"Frame exceeds {max_bytes} bytes",
            _guess_unique_id(raw),
        )
    try:
        frame = json.loads(raw, parse_constant=reject_constant)
    except InvalidInputError as err:
        # NaN or Infinity: JSON otherwise, with an id worth answering.
        raise FrameError(codes.format_violation, err.description, _guess_unique_id(raw)) from None
    except ValueError:
        # OCPP-J: the id of a frame that is not JSON cannot be trusted; answer "-1".
        raise FrameError(
            codes.rpc_framework,
            "Frame is not valid JSON",
            None if _ANSWER_PATTERN.match(raw[:200]) else "-1",
        ) from None
    except RecursionError:
        raise FrameError(
            codes.format_violation, "Frame is nested too deeply", _guess_unique_id(raw)
        ) from None
    return raw, frame


def parse_frame(
    raw: str | bytes, codes: ErrorCodes, max_bytes: int = MAX_FRAME_BYTES
) -> Call | CallResult | CallError:
    """Parse one OCPP-J frame or raise FrameError saying what is wrong with it.

    Besides the OCPP-J envelope, the frame's content passes the validation layer here, once
    for every action: no lone surrogates, no deep nesting, no numbers out of range.
    """
    raw, frame = _decode(raw, codes, max_bytes)
    if not isinstance(frame, list) or len(frame) < _CALLRESULT_LENGTH:
        # Answers are never answered, not even broken ones: only a CALL may get a CALLERROR.
        is_answer = isinstance(frame, list) and bool(frame) and _is_answer(frame[0], codes)
        raise FrameError(
            codes.rpc_framework, "Frame is not an OCPP-J message array", None if is_answer else "-1"
        )
    message_type, unique_id = frame[0], frame[1]
    is_call = message_type == Call.message_type_id
    is_answer = _is_answer(message_type, codes)
    if not isinstance(unique_id, str) or not 0 < len(unique_id) <= _MAX_UNIQUE_ID_LENGTH:
        raise FrameError(
            codes.rpc_framework,
            "Message id must be a string of 1-36 characters",
            None if is_answer else "-1",
        )
    try:
        check_parsed_frame(raw, frame)
    except InvalidInputError as err:
        raise FrameError(
            _error_code(err.violation, codes),
            err.description,
            unique_id if is_call else None,
            None if is_call else unique_id,
        ) from None
    if is_call:
        if (
            len(frame) != _CALL_LENGTH
            or not isinstance(frame[2], str)
            or not isinstance(frame[3], dict)
        ):
            raise FrameError(
                codes.format_violation,
                "A CALL is [2, messageId, action, {payload}]",
                unique_id,
            )
        return Call(unique_id, frame[2], frame[3])
    if message_type == CallResult.message_type_id:
        if len(frame) != _CALLRESULT_LENGTH or not isinstance(frame[2], dict):
            raise FrameError(codes.format_violation, "Malformed CALLRESULT", None, unique_id)
        return CallResult(unique_id, frame[2])
    if message_type == CallError.message_type_id:
        if (
            len(frame) != _CALLERROR_LENGTH
            or not isinstance(frame[2], str)
            or not isinstance(frame[3], str)
            or not isinstance(frame[4], dict)
        ):
            raise FrameError(codes.format_violation, "Malformed CALLERROR", None, unique_id)
        return CallError(unique_id, frame[2], frame[3], frame[4])
    raise FrameError(
        codes.message_type_not_supported,
        f"Message type {message_type!r} is not supported",
        None if is_answer else unique_id,
    )


def _is_answer(message_type: Any, codes: ErrorCodes) -> bool:
    """Whether a message type is one never answered (answers, and 2.1's SEND)."""
    return (
        isinstance(message_type, int)
        and not isinstance(message_type, bool)
        and (
            message_type in (CallResult.message_type_id, CallError.message_type_id)
            or message_type in codes.unanswered_message_types
        )
    )


def _error_code(violation: Violation, codes: ErrorCodes) -> str:
    """The CALLERROR code of a validation-layer violation, in the version's spelling."""
    match violation:
        case Violation.FORMAT:
            return codes.format_violation
        case Violation.TYPE:
            return "TypeConstraintViolation"
        case Violation.PROPERTY:
            return "PropertyConstraintViolation"
        case Violation.OCCURRENCE:
            return codes.occurrence_violation


def schema_error(error: SchemaValidationError, codes: ErrorCodes) -> RpcError:
    """Map a JSON-schema violation onto the CALLERROR code the OCPP-J specification names."""
    path = "/".join(str(part) for part in error.absolute_path) or "payload"
    description = f"{path}: {error.message}"[:255]
    match error.validator:
        case "required":
            # 1.6: "ProtocolError: Payload for Action is incomplete".
            return RpcError(
                "ProtocolError" if codes is ERROR_CODES_16 else codes.occurrence_violation,
                description,
            )
        case "type" | "maxLength":
            # CiStringNType and numeric types are data types: a too-long string violates its type.
            return RpcError("TypeConstraintViolation", description)
        case "enum" | "minimum" | "maximum" | "minLength" | "pattern" | "format":
            return RpcError("PropertyConstraintViolation", description)
        case "minItems" | "maxItems":
            return RpcError(codes.occurrence_violation, description)
        case _:
            return RpcError(codes.format_violation, description)


class RobustRouting:
    """Mixin placed before an `ocpp` ChargePoint class: our receive path for every version.

    Subclasses set `error_codes` and `known_actions` (every action name of their version, so an
    action we have no handler for is told apart from a name that does not exist).
    """

    error_codes: ClassVar[ErrorCodes]
    known_actions: ClassVar[frozenset[str]]
    # Set by the library's ChargePoint.__init__; declared here for the type checker.
    id: str
    route_map: dict[str, dict[str, Any]]
    logger: logging.Logger
    _ocpp_version: str
    _response_queue: Any
    _response_timeout: float
    _unique_id_generator: Callable[[], Any]
    _call_result: Any
    _call_lock: Any
    _connection: Any
    validate_schemas: bool = True
    # Shared by every connection of a central system: logging stays bounded across
    # reconnects and across a flood of charger ids.
    log_throttle: LogThrottle
    _sent_call_id: str | None = None
    # The largest frame answered normally (the option; larger ones get a CALLERROR).
    max_frame_bytes: int = MAX_FRAME_BYTES
    # The charger's recent frames (time, "in"/"out", text) for diagnostics; None: not kept.
    frame_history: deque[tuple[float, str, str]] | None = None

    async def route_message(self, raw_msg: str | bytes) -> None:
        """Route one incoming frame; never raises for anything the charger sent."""
        if self.frame_history is not None:
            # Kept as received (cheap on every frame); diagnostics clean it when shown.
            kept = raw_msg[:MAX_KEPT_FRAME]
            text = kept if isinstance(kept, str) else kept.decode(errors="replace")
            self.frame_history.append((time.time(), "in", text))
        if self.logger.isEnabledFor(logging.INFO):
            self.logger.info("%s: receive %s", self.id, safe_text(raw_msg, MAX_LOGGED_FRAME))
        try:
            message = parse_frame(raw_msg, self.error_codes, self.max_frame_bytes)
        except FrameError as err:
            self.report_bad_input("malformed frames", err.description)
            if err.unique_id is not None:
                reply = CallError(err.unique_id, err.code, err.description, {})
                await self._send(reply.to_json())
            elif err.answer_to is not None and err.answer_to == self._pending_call_id:
                # A broken answer to the call we wait for: fail it now, not after a timeout.
                self._response_queue.put_nowait(
                    CallError(err.answer_to, self.error_codes.format_violation, err.description, {})
                )
            return
        if isinstance(message, Call):
            try:
                await self._handle_call(message)
            except OCPPError as err:
                self.report_bad_input(
                    "calls we refused", f"{message.action}: {err.code} {err.description}"
                )
                await self._send(message.create_call_error(err).to_json())
        elif message.unique_id == self._pending_call_id:
            self._response_queue.put_nowait(message)
        else:
            # Nobody waits for it: queueing it would hand a stale answer to our next call.
            self.report_bad_input("answers to no pending call", str(message.unique_id))

    def report_bad_input(self, kind: str, detail: str) -> None:
        """Log what the charger sent wrong: a warning once per kind within the window.

        The kinds are few and coarse, so a charger's log lines stay few whatever it sends;
        debug logging shows every bad frame.
        """
        if self.logger.isEnabledFor(logging.DEBUG):
            self.logger.debug("%s: bad input (%s): %s", self.id, kind, safe_text(detail))
        self.log_throttle.report(logging.WARNING, f"Charger {self.id}", f"sent {kind}", detail)

    @property
    def _pending_call_id(self) -> str | None:
        """The message id of our CALL waiting for its answer (one at a time, OCPP-J)."""
        return self._sent_call_id if self._call_lock.locked() else None

    async def _send(self, message: str) -> None:
        """Send a frame, remembering the id of our own CALLs to match their answers."""
        if message.startswith("[2,"):
            self._sent_call_id = json.loads(message)[1]
        if self.frame_history is not None:
            self.frame_history.append((time.time(), "out", message[:MAX_KEPT_FRAME]))
        self.logger.info("%s: send %s", self.id, message)
        await self._connection.send(message)

    async def _get_specific_response(self, unique_id: str, timeout: float) -> Any:  # noqa: ASYNC109 - the library's signature
        """Wait for the answer to our CALL (replaces the library's recursive version)."""
        async with asyncio.timeout(timeout):
            while True:
                response = await self._response_queue.get()
                if response.unique_id == unique_id:
                    return response
                self.report_bad_input("answers to no pending call", str(response.unique_id))

    async def call(
        self,
        payload: Any,
        suppress: bool = True,
        unique_id: str | None = None,
        skip_schema_validation: bool = False,
    ) -> Any:
        """Send a CALL and return the answer as the version's call_result object.

        The library's `call`, checked with the compiled schemas first: a charger's first
        minute is mostly our calls (configuration reads and writes), and jsonschema's
        interpreter made those the largest share of it. A payload the compiled check does not
        pass still goes through the library's validation, which raises for what is invalid.
        """
        action = type(payload).__name__
        call = Call(
            unique_id=unique_id if unique_id is not None else str(self._unique_id_generator()),
            action=action,
            payload=remove_nones(snake_to_camel_case(serialize_as_dict(payload))),
        )
        if not skip_schema_validation:
            await self._validate_ours(call)
        async with self._call_lock:
            await self._send(call.to_json())
            try:
                response = await self._get_specific_response(call.unique_id, self._response_timeout)
            except TimeoutError:
                raise TimeoutError(
                    f"Waited {self._response_timeout}s for the answer to {action}"
                ) from None
        if response.message_type_id == MessageType.CallError:
            # Raised to the caller, which reports it where it matters (logged there once).
            self.logger.debug("Received a CALLERROR: %s", response)
            if suppress:
                return None
            raise response.to_exception()
        if not skip_schema_validation:
            response.action = action
            await self._validate_ours(response)
        return getattr(self._call_result, action)(**snake_case_keys(response.payload))

    async def _validate_ours(self, message: Call | CallResult) -> None:
        """Validate our CALL, or the charger's answer to it (the library's error if invalid)."""
        try:
            if _passes_fast_check(message, self._ocpp_version):
                return
        except OSError:
            pass  # no schema: the library decides, as it always did
        await validate_payload(message, self._ocpp_version)

    def validate(self, message: Call) -> None:
        """Validate a CALL's payload against the version's JSON schema."""
        try:
            if _passes_fast_check(message, self._ocpp_version):
                return
        except OSError:
            # Every known action has a schema; a missing one means the action is unknown.
            raise RpcError("NotImplemented", f"Unknown action {message.action}") from None
        # Invalid (or not compiled): jsonschema names the violation for the CALLERROR.
        validator = get_validator(message.message_type_id, message.action, self._ocpp_version)
        error = next(iter(validator.iter_errors(message.payload)), None)
        if error is not None:
            raise schema_error(error, self.error_codes)

    async def _handle_call(self, msg: Call) -> None:
        """Run the handler for a CALL and send its answer, then the `@after` hook."""
        handlers = self.route_map.get(msg.action, {})
        handler = handlers.get("_on_action")
        if handler is None:
            if msg.action in self.known_actions:
                raise RpcError("NotSupported", f"{msg.action} is not supported by this CSMS")
            raise RpcError("NotImplemented", f"Unknown action {msg.action!r}")
        if self.validate_schemas and not handlers.get("_skip_schema_validation", False):
            self.validate(msg)
        kwargs = snake_case_keys(msg.payload)
        try:
            response = handler(**kwargs)
            if inspect.isawaitable(response):
                response = await response
        except OCPPError:
            raise
        except InvalidInputError as err:
            raise RpcError(_error_code(err.violation, self.error_codes), err.description) from None
        except Exception as err:
            # A bug of ours, not the charger's: with a traceback, but throttled like the rest
            # because the charger can repeat the frame that triggers it.
            self.log_throttle.report(
                logging.ERROR,
                f"Charger {self.id}",
                f"{msg.action} could not be processed",
                repr(err),
                exc_info=err,
            )
            raise RpcError("InternalError", f"{msg.action} could not be processed") from err
        payload = snake_to_camel_case(remove_nones(serialize_as_dict(response)))
        await self._send(msg.create_call_result(payload).to_json())
        if (after := handlers.get("_after_action")) is not None:
            after(**kwargs)
