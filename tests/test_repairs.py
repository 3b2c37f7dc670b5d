"""A setting that needs a restart: a fixable repair that restarts the charger."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.ocpp_central.const import DOMAIN
from simulator.habits import Habit

from .conftest import ALL_VERSIONS
from .helpers import wait_until

# The key (1.6) or variable (2.x) the central system writes at boot that needs a restart.
METER_KEY = {
    "1.6": "MeterValueSampleInterval",
    "2.0.1": "SampledDataCtrlr.TxUpdatedInterval",
    "2.1": "SampledDataCtrlr.TxUpdatedInterval",
}


@ALL_VERSIONS
async def test_reboot_required_is_a_fixable_repair(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    hass_client: ClientSessionGenerator,
    ocpp_version: str,
) -> None:
    """RebootRequired raises a repair; fixing it restarts the charger; the boot clears it."""
    assert await async_setup_component(hass, "repairs", {})
    sim = await make_simulator(
        "CP1",
        meter_interval=60,
        reboot_required_keys={METER_KEY[ocpp_version]},
        habits={Habit.RESET_REBOOTS},
        reboot_delay=0.1,
    )
    await sim.boot()
    issue_id = f"reboot_required_{central.entry_id}_CP1"
    registry = ir.async_get(hass)
    await wait_until(hass, lambda: registry.async_get_issue(DOMAIN, issue_id) is not None)
    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert METER_KEY[ocpp_version].split(".")[-1] in issue.translation_placeholders["keys"]

    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    assert response.status == HTTPStatus.OK
    flow = await response.json()
    assert flow["step_id"] == "confirm"
    assert flow["description_placeholders"]["charger"] == "CP1"
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert response.status == HTTPStatus.OK
    assert (await response.json())["type"] == "create_entry"
    assert any(action == "Reset" for action, _ in sim.received)
    # The charger restarts and boots: the repair is gone.
    charger = central.runtime_data.chargers["CP1"]
    await wait_until(hass, lambda: charger.boot_count >= 2)
    await wait_until(hass, lambda: registry.async_get_issue(DOMAIN, issue_id) is None)
