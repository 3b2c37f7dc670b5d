"""Setup, unload and retry of the central system."""

from __future__ import annotations

import socket
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry
from websockets.asyncio.client import connect

from custom_components.ocpp_central.const import DOMAIN


async def test_unload_releases_port_and_connections(
    hass: HomeAssistant, central: MockConfigEntry, port: int, make_simulator: Any
) -> None:
    """Unloading closes every charger connection and frees the port; nothing lingers."""
    sim = await make_simulator("CP1")
    await sim.boot()
    assert await hass.config_entries.async_unload(central.entry_id)
    await hass.async_block_till_done()
    assert central.state is ConfigEntryState.NOT_LOADED
    assert await sim.wait_disconnected(5)
    with socket.socket() as probe:
        # Closed connections linger in TIME_WAIT; servers bind with SO_REUSEADDR, as ours does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
    try:
        await connect(f"ws://127.0.0.1:{port}/ocpp/CP1", open_timeout=2)
    except OSError:
        pass
    else:  # pragma: no cover - reaching here is the failure
        raise AssertionError("server still listening after unload")


async def test_port_in_use_retries_setup(
    hass: HomeAssistant, config_entry: MockConfigEntry, port: int
) -> None:
    """A port taken by another program makes setup retry later instead of failing hard."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        config_entry.add_to_hass(hass)
        assert not await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()
        assert config_entry.state is ConfigEntryState.SETUP_RETRY
        assert "Cannot listen on port" in (config_entry.reason or "")
        issue = ir.async_get(hass).async_get_issue(DOMAIN, f"cannot_listen_{config_entry.entry_id}")
        assert issue is not None
        assert issue.translation_placeholders["port"] == str(port)
    # Once the port is free the retry succeeds and the repair disappears.
    await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"cannot_listen_{config_entry.entry_id}") is None
    )
    await hass.config_entries.async_unload(config_entry.entry_id)
