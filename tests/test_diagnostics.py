"""Diagnostics of a central system with one charger."""

from __future__ import annotations

import json
from typing import Any

from homeassistant.components.diagnostics import REDACTED
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from .conftest import ALL_VERSIONS
from .helpers import wait_until
from .scenario import finished_session

# The SIM of a charger with a cellular modem, as its BootNotification names it.
ICCID = "89460123456789012345"
IMSI = "240071234567890"


async def test_diagnostics(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    """Diagnostics show the model; SIM identifiers are redacted."""
    sim = await finished_session(hass, make_simulator, iccid=ICCID, imsi=IMSI)
    await sim.data_transfer("com.acme", "Hello", "world")
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, central)
    # Frames carry message ids and times: checked below, not in the snapshot.
    assert diagnostics == snapshot(exclude=props("port", "last_boot", "timestamp", "frames"))
    text = json.dumps(diagnostics)
    assert ICCID not in text
    assert IMSI not in text
    # The session's RFID tag appears nowhere, not even in frames; the charger's address is
    # hidden too.
    assert "TAG42" not in text
    assert diagnostics["chargers"]["SNAP"]["remote_address"] == REDACTED
    frames = diagnostics["chargers"]["SNAP"]["frames"]
    assert {frame["direction"] for frame in frames} == {"in", "out"}
    assert any('"BootNotification"' in frame["frame"] for frame in frames)
    assert any('"idTag":"**REDACTED**"' in frame["frame"] for frame in frames)


async def test_device_diagnostics(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    hass_client: ClientSessionGenerator,
) -> None:
    """A charger's device page downloads that charger's diagnostics, frames included."""
    from homeassistant.helpers import device_registry as dr
    from pytest_homeassistant_custom_component.components.diagnostics import (
        get_diagnostics_for_device,
    )

    from custom_components.ocpp_central.const import DOMAIN

    await finished_session(hass, make_simulator)
    device = dr.async_get(hass).async_get_device({(DOMAIN, "SNAP")})
    assert device is not None
    diagnostics = await get_diagnostics_for_device(hass, hass_client, central, device)
    charger = diagnostics["charger"]
    assert charger["info"]["vendor"] == "Acme"
    assert 0 < len(charger["frames"]) <= 200
    assert "TAG42" not in json.dumps(diagnostics)


@ALL_VERSIONS
async def test_sim_identifiers_are_redacted(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    hass_client: ClientSessionGenerator,
    ocpp_version: str,
) -> None:
    """ICCID and IMSI a charger sends at boot appear nowhere in its diagnostics."""
    sim = await make_simulator("CP1", iccid=ICCID, imsi=IMSI)
    await sim.boot()
    charger = central.runtime_data.chargers["CP1"]
    # The central system did learn them (otherwise there would be nothing to redact).
    await wait_until(hass, lambda: (charger.info.iccid, charger.info.imsi) == (ICCID, IMSI))
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, central)
    text = json.dumps(diagnostics)
    assert ICCID not in text
    assert IMSI not in text
    info = diagnostics["chargers"]["CP1"]["info"]
    assert info["iccid"] == REDACTED
    assert info["imsi"] == REDACTED
    # Only the SIM is hidden: support needs the rest.
    assert info["serial_number"] == sim.config.serial_number
