"""Protocol adapters, one per OCPP version, behind one version-neutral interface."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from .base import DEFAULT_LIMITS, ChargerEvents, ConnectionLimits
from .commands import CommandAdapter
from .v2 import OCPP_21, OCPP_201, SUBPROTOCOL_21, SUBPROTOCOL_201, V21Adapter, V201Adapter
from .v16 import OCPP_VERSION as V16, SUBPROTOCOL as V16_SUBPROTOCOL, V16Adapter

# Websocket subprotocols we speak, best first: a charger offering several gets the newest.
SUBPROTOCOLS: Final[dict[str, str]] = {
    SUBPROTOCOL_21: OCPP_21,
    SUBPROTOCOL_201: OCPP_201,
    V16_SUBPROTOCOL: V16,
}
_ADAPTERS: Final[
    dict[str, Callable[[str, Any, ChargerEvents, ConnectionLimits], CommandAdapter]]
] = {
    OCPP_21: V21Adapter,
    OCPP_201: V201Adapter,
    V16: V16Adapter,
}
# OCPP-J 1.6 section 3.1.2: a charger that offers no subprotocol speaks 1.6.
DEFAULT_VERSION: Final = V16


# The library validates these 1.6 payloads with Decimal numbers (their limits are "multipleOf
# 0.1"); a validator cached with float numbers fails on them with a TypeError.
_DECIMAL_SCHEMAS_16: Final = frozenset(
    {"SetChargingProfile", "RemoteStartTransaction", "GetCompositeScheduleResponse"}
)


def create_adapter(
    ocpp_version: str,
    charge_point_id: str,
    connection: Any,
    events: ChargerEvents,
    limits: ConnectionLimits = DEFAULT_LIMITS,
) -> CommandAdapter:
    """Create the adapter for a negotiated OCPP version."""
    adapter = _ADAPTERS[ocpp_version](charge_point_id, connection, events, limits)
    adapter.start_requests()
    return adapter


def preload_schemas(version: str) -> None:
    """Read a version's JSON schemas, in an executor: the library opens them lazily (blocking)."""
    from decimal import Decimal  # noqa: PLC0415 - only needed here
    from pathlib import Path  # noqa: PLC0415

    from ocpp import messages  # noqa: PLC0415

    # Validation then runs inline: a thread hop per frame costs more than validating.
    messages.ASYNC_VALIDATION = False
    folder = Path(messages.__file__).parent / f"v{version.replace('.', '')}" / "schemas"
    for schema in folder.glob("*.json"):
        name = schema.stem
        message_type = 3 if name.endswith("Response") else 2
        action = name.removesuffix("Response").removesuffix("Request")
        decimal = version == V16 and name in _DECIMAL_SCHEMAS_16
        try:
            messages.get_validator(
                message_type, action, version, parse_float=Decimal if decimal else float
            )
        except OSError:
            # A few 2.1 schema files do not follow the library's naming; it never asks for
            # those names either.
            continue
