"""Snapshot of every binary sensor of a charger after a session."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from .helpers import state
from .scenario import finished_session


@pytest.fixture(autouse=True)
def only_binary_sensors() -> Any:
    """Load only this platform."""
    with patch("custom_components.ocpp_central.PLATFORMS", [Platform.BINARY_SENSOR]):
        yield


async def test_binary_sensors(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Binary sensor entities, their registry entries and states stay as designed."""
    await finished_session(hass, make_simulator)
    await snapshot_platform(hass, entity_registry, snapshot, central.entry_id)


async def test_fault_follows_error_code(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """A connector error or a Faulted charger turns the one fault sensor on, and off again."""
    sim = await make_simulator("CP1")
    await sim.boot()
    await sim.status(1, "Available", error_code="GroundFailure", vendor_error_code="E42")
    await hass.async_block_till_done()
    assert state(hass, "binary_sensor", "CP1_1_fault").state == "on"
    assert central.runtime_data.chargers["CP1"].connector(1).vendor_error_code == "E42"
    await sim.status(1, "Available")
    await hass.async_block_till_done()
    assert state(hass, "binary_sensor", "CP1_1_fault").state == "off"
    # The charger as a whole (connector 0) faults: its only connector shows it.
    await sim.status(0, "Faulted", error_code="InternalError")
    await hass.async_block_till_done()
    assert state(hass, "binary_sensor", "CP1_1_fault").state == "on"
    await sim.status(0, "Available")
    await hass.async_block_till_done()
    assert state(hass, "binary_sensor", "CP1_1_fault").state == "off"
