"""Protocol adapters, one per OCPP version, behind one version-neutral interface."""

from __future__ import annotations

from typing import Any, Final

from .base import ChargerEvents, ProtocolAdapter
from .v16 import OCPP_VERSION as V16, SUBPROTOCOL as V16_SUBPROTOCOL, V16Adapter

# Websocket subprotocols we speak, best first; the 2.x adapters add theirs here.
SUBPROTOCOLS: Final[dict[str, str]] = {V16_SUBPROTOCOL: V16}
# OCPP-J 1.6 section 3.1.2: a charger that offers no subprotocol speaks 1.6.
DEFAULT_VERSION: Final = V16


def create_adapter(
    ocpp_version: str, charge_point_id: str, connection: Any, events: ChargerEvents
) -> ProtocolAdapter:
    """Create the adapter for a negotiated OCPP version."""
    adapter = V16Adapter(charge_point_id, connection, events)
    adapter.start_requests()
    return adapter


def preload_schemas() -> None:
    """Read every JSON schema once, in an executor: the library opens them lazily (blocking)."""
    from pathlib import Path  # noqa: PLC0415 - only needed here

    from ocpp import messages  # noqa: PLC0415

    # Validation then runs inline: a thread hop per frame costs more than validating.
    messages.ASYNC_VALIDATION = False
    for version in SUBPROTOCOLS.values():
        folder = Path(messages.__file__).parent / f"v{version.replace('.', '')}" / "schemas"
        for schema in folder.glob("*.json"):
            name = schema.stem
            if name.endswith("Response"):
                messages.get_validator(3, name.removesuffix("Response"), version)
            else:
                messages.get_validator(2, name.removesuffix("Request"), version)
