"""Shared fixtures: the real integration, a central system on a free loopback port."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
import socket
from typing import Any
from unittest.mock import PropertyMock, patch

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

# Importing the package first makes HA load this repository's integration rather than
# looking for custom_components in its testing config folder.
import custom_components.ocpp_central  # noqa: F401
from custom_components.ocpp_central.const import (
    CONF_AUTO_ACCEPT,
    CONF_HEARTBEAT_INTERVAL,
    CONF_HOST,
    CONF_MEASURANDS,
    CONF_METER_INTERVAL,
    CONF_PORT,
    DEFAULT_MEASURANDS,
    DOMAIN,
)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let HA load custom integrations in every test."""


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Chargers talk to the central system over real loopback websockets."""


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def port() -> int:
    """The port of the central system under test."""
    return free_port()


@pytest.fixture
def options() -> dict[str, Any]:
    """Options of the central system under test (auto-accept on unless a test says no)."""
    return {
        CONF_AUTO_ACCEPT: True,
        CONF_HEARTBEAT_INTERVAL: 300,
        CONF_METER_INTERVAL: 10,
        CONF_MEASURANDS: list(DEFAULT_MEASURANDS),
    }


@pytest.fixture
def config_entry(port: int, options: dict[str, Any]) -> MockConfigEntry:
    """A central system listening on loopback."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"OCPP Central (port {port})",
        data={CONF_HOST: "127.0.0.1", CONF_PORT: port},
        options=options,
        unique_id=f"127.0.0.1:{port}",
    )


@pytest.fixture
async def central(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> AsyncGenerator[MockConfigEntry]:
    """The central system, set up and unloaded again after the test."""
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    yield config_entry
    if config_entry.state.recoverable:
        await hass.config_entries.async_unload(config_entry.entry_id)
        await hass.async_block_till_done()


@pytest.fixture
def url(port: int) -> str:
    """Base URL chargers connect to."""
    return f"ws://127.0.0.1:{port}/ocpp"


VERSIONS = ("1.6", "2.0.1", "2.1")
# Version-neutral tests run once per OCPP version: the entities must not tell them apart.
ALL_VERSIONS = pytest.mark.parametrize("ocpp_version", VERSIONS)


@pytest.fixture
def ocpp_version() -> str:
    """The OCPP version simulators speak (tests parametrize it with ALL_VERSIONS)."""
    return "1.6"


@pytest.fixture
async def make_simulator(url: str, ocpp_version: str) -> AsyncGenerator[Any]:
    """Factory for connected charger simulators, all closed after the test."""
    from simulator import ChargerSimulator, SimulatorConfig

    created: list[ChargerSimulator] = []

    async def factory(charge_point_id: str = "CP1", **config: Any) -> ChargerSimulator:
        config.setdefault("ocpp_version", ocpp_version)
        sim = ChargerSimulator(
            url, SimulatorConfig(charge_point_id=charge_point_id, auto_heartbeat=False, **config)
        )
        await sim.connect()
        created.append(sim)
        return sim

    yield factory
    for sim in created:
        await sim.close()


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create entities that are disabled by default as enabled (for snapshots)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield
