"""A deterministic charger scenario shared by the snapshot tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from custom_components.ocpp_central.const import DOMAIN

from .helpers import wait_until

START = datetime(2026, 6, 1, 10, 0, tzinfo=dt_util.UTC)
# The charger boots on a pinned clock, so that "Last restart" is stable in snapshots.
BOOT_AT = datetime(2026, 6, 1, 9, 0, tzinfo=dt_util.UTC)


async def finished_session(hass: HomeAssistant, make_simulator: Any, **config: Any) -> Any:
    """A 3-phase charger that ran one 90-minute session and is now finishing.

    `config`: further SimulatorConfig fields (e.g. the SIM's iccid and imsi).
    """
    sim = await make_simulator(
        "SNAP", vendor="Acme", model="Wallbox 22", serial_number="SN-1", **config
    )
    with patch.object(dt_util, "utcnow", return_value=BOOT_AT):
        await sim.boot()
    # Entities that depend on capabilities appear once the configuration was read.
    central = hass.config_entries.async_entries(DOMAIN)[0].runtime_data
    await wait_until(hass, lambda: "SmartCharging" in central.chargers["SNAP"].feature_profiles)
    await sim.status(0, "Available")
    await sim.status(1, "Preparing")
    transaction_id = await sim.start_transaction(1, "TAG42", meter_start_wh=10000, timestamp=START)
    await sim.status(1, "Charging")
    await sim.meter_values(
        1,
        [
            {"value": "17.5", "measurand": "Energy.Active.Import.Register", "unit": "kWh"},
            {"value": "11000", "measurand": "Power.Active.Import", "unit": "W"},
            {"value": "15.9", "measurand": "Current.Import", "unit": "A", "phase": "L1"},
            {"value": "16.0", "measurand": "Current.Import", "unit": "A", "phase": "L2"},
            {"value": "15.8", "measurand": "Current.Import", "unit": "A", "phase": "L3"},
            {"value": "230.4", "measurand": "Voltage", "unit": "V", "phase": "L1-N"},
            {"value": "16", "measurand": "Current.Offered", "unit": "A"},
            {"value": "71", "measurand": "SoC", "unit": "Percent", "location": "EV"},
            {"value": "31.5", "measurand": "Temperature", "unit": "Celsius", "location": "Body"},
        ],
        transaction_id=transaction_id,
        timestamp=START + timedelta(minutes=80),
    )
    await sim.stop_transaction(
        1, meter_stop_wh=18000, reason="EVDisconnected", timestamp=START + timedelta(minutes=90)
    )
    await sim.status(1, "Finishing")
    await hass.async_block_till_done()
    return sim
