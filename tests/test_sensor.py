"""Snapshot of every sensor of a charger after a session."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from .scenario import finished_session


@pytest.fixture(autouse=True)
def only_sensors() -> Any:
    """Load only this platform."""
    with patch("custom_components.ocpp_central.PLATFORMS", [Platform.SENSOR]):
        yield


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_sensors(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Sensor entities, their registry entries and states stay as designed."""
    sim = await finished_session(hass, make_simulator)
    await sim.heartbeat()
    await hass.async_block_till_done()
    heartbeat = hass.states.get("sensor.snap_last_heartbeat")
    assert heartbeat is not None
    # The heartbeat time is now; everything else in the scenario has fixed timestamps.
    hass.states.async_set(heartbeat.entity_id, "2026-06-01T11:30:00+00:00", heartbeat.attributes)
    await snapshot_platform(hass, entity_registry, snapshot, central.entry_id)
