"""Snapshot of every sensor of a charger after a session."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from .scenario import START, finished_session

# When the central system receives the Heartbeat: 90 minutes after the session started.
HEARTBEAT_AT = START + timedelta(minutes=90)


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
    heartbeat = hass.states.get("sensor.snap_last_heartbeat")
    assert heartbeat is not None
    assert heartbeat.state == "unknown"  # no Heartbeat yet
    # A real Heartbeat, received on a pinned clock so that the snapshot is stable.
    with patch.object(dt_util, "utcnow", return_value=HEARTBEAT_AT):
        await sim.heartbeat()
    await hass.async_block_till_done()
    heartbeat = hass.states.get("sensor.snap_last_heartbeat")
    assert heartbeat is not None
    assert heartbeat.state == HEARTBEAT_AT.isoformat()
    await snapshot_platform(hass, entity_registry, snapshot, central.entry_id)
