"""How entities are built: the queue that adds new chargers' entities a platform at a time
(`entity_queue.py`), and disabled entities left unbuilt."""

from __future__ import annotations

import asyncio
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ocpp_central import sensor as sensor_module
from custom_components.ocpp_central.const import DOMAIN
from custom_components.ocpp_central.entity_queue import EntityQueue


class Platforms:
    """A queue with a sensor and a switch platform that record what they are asked to add."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Create the queue and register both platforms."""
        entry = MockConfigEntry(domain=DOMAIN)
        entry.add_to_hass(hass)
        self.queue = EntityQueue(hass, entry)
        self.calls: list[str] = []
        self.queue.register(lambda charge_point_id: self.calls.append(f"sensor {charge_point_id}"))
        self.unregister_switch = self.queue.register(
            lambda charge_point_id: self.calls.append(f"switch {charge_point_id}")
        )


async def test_platforms_take_turns_with_other_work(hass: HomeAssistant) -> None:
    """Between two platforms' additions the event loop serves other work (a charger's frame)."""
    platforms = Platforms(hass)
    queue, calls = platforms.queue, platforms.calls

    async def frame() -> None:
        calls.append("frame")

    queue.request("CP1")
    queue.request("CP2")
    queue.request("CP1")  # asked twice before its turn: added once
    await asyncio.sleep(0)  # the queue's task starts
    hass.async_create_task(frame())
    await hass.async_block_till_done()
    assert calls == ["sensor CP1", "frame", "switch CP1", "sensor CP2", "switch CP2"]


async def test_forgotten_chargers_and_unloaded_platforms_are_skipped(hass: HomeAssistant) -> None:
    """A charger removed while it waits gets nothing; an unloaded platform is not called."""
    platforms = Platforms(hass)
    queue, calls = platforms.queue, platforms.calls
    queue.request("GONE")
    queue.request("CP1")
    queue.forget("GONE")
    platforms.unregister_switch()
    await hass.async_block_till_done()
    assert calls == ["sensor CP1"]
    queue.request("CP2")  # the task ended with the queue; a new request starts another
    await hass.async_block_till_done()
    assert calls == ["sensor CP1", "sensor CP2"]


async def test_disabled_entities_are_not_built_until_enabled(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """A disabled entity is skipped at setup (it would be thrown away); enabled, it comes back."""
    sim = await make_simulator("CP1")
    await sim.boot()
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id("sensor", DOMAIN, "CP1_last_heartbeat")
    assert entity_id is not None
    built: list[str] = []
    original = sensor_module.OcppSensor.__init__

    def counting_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        built.append(self.entity_description.key)

    with patch.object(sensor_module.OcppSensor, "__init__", counting_init):
        assert await hass.config_entries.async_reload(central.entry_id)
        await hass.async_block_till_done()
        assert "last_heartbeat" not in built
        assert "status" in built  # enabled ones are built as before
        assert hass.states.get(entity_id) is None

        registry.async_update_entity(entity_id, disabled_by=None)
        assert await hass.config_entries.async_reload(central.entry_id)
        await hass.async_block_till_done()
    assert "last_heartbeat" in built
    assert hass.states.get(entity_id) is not None
