"""Diagnostics of a central system with one charger."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from .scenario import finished_session


async def test_diagnostics(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    """Diagnostics show the model; SIM identifiers are redacted."""
    sim = await finished_session(hass, make_simulator)
    await sim.data_transfer("com.acme", "Hello", "world")
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, central)
    assert diagnostics == snapshot(exclude=props("port", "last_boot", "timestamp"))
