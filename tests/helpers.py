"""Test helpers: find entities of a charger and wait for the central system."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er

from custom_components.ocpp_central.const import DOMAIN


def entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    """Entity id of one of our entities by its unique id (fails if it does not exist)."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert found is not None, f"no {platform} entity with unique id {unique_id}"
    return found


def state(hass: HomeAssistant, platform: str, unique_id: str) -> State:
    """Current state of one of our entities by its unique id."""
    found = hass.states.get(entity_id(hass, platform, unique_id))
    assert found is not None
    return found


async def wait_until(hass: HomeAssistant, predicate: Callable[[], bool]) -> None:
    """Let the loop run until predicate() holds (things arriving over the network)."""
    async with asyncio.timeout(5):
        while True:
            await hass.async_block_till_done()
            if predicate():
                return
            await asyncio.sleep(0.01)


async def smart_charger(
    hass: HomeAssistant,
    central: Any,
    make_simulator: Any,
    charge_point_id: str = "CP1",
    **config: Any,
) -> Any:
    """A booted simulator whose smart charging the central system has learned."""
    sim = await make_simulator(charge_point_id, **config)
    await sim.boot()
    charger = central.runtime_data.chargers[charge_point_id]
    await wait_until(hass, lambda: "SmartCharging" in charger.feature_profiles)
    await hass.async_block_till_done()
    return sim


async def device_trigger_automations(hass: HomeAssistant, device_id: str, kinds: list[str]) -> None:
    """One automation per device trigger type of OCPP Central, firing `test_<type>`."""
    from homeassistant.components import automation
    from homeassistant.setup import async_setup_component

    from custom_components.ocpp_central.const import DOMAIN

    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: [
                {
                    "trigger": {
                        "platform": "device",
                        "domain": DOMAIN,
                        "device_id": device_id,
                        "type": kind,
                    },
                    "action": {"event": f"test_{kind}"},
                }
                for kind in kinds
            ]
        },
    )
