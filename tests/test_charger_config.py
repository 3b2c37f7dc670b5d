"""Well-known charger settings as configuration entities, created from what the charger has."""

from __future__ import annotations

from typing import Any

from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ocpp_central.const import DOMAIN

from .conftest import ALL_VERSIONS
from .helpers import entity_id, smart_charger, state

# The names each generation gives the settings.
KEYS = {
    "1.6": {
        "connection_timeout": "ConnectionTimeOut",
        "local_authorize_offline": "LocalAuthorizeOffline",
    },
    "2.0.1": {
        "connection_timeout": "TxCtrlr.EVConnectionTimeOut",
        "local_authorize_offline": "AuthCtrlr.LocalAuthorizeOffline",
    },
}
KEYS["2.1"] = KEYS["2.0.1"]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@ALL_VERSIONS
async def test_settings_the_charger_has_are_entities(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """Connection timeout and offline authorization: shown, and written to the charger."""
    keys = KEYS[ocpp_version]
    sim = await smart_charger(
        hass, central, make_simulator, reboot_required_keys={keys["connection_timeout"]}
    )
    assert state(hass, "switch", "CP1_local_authorize_offline").state == "on"
    timeout = state(hass, "number", "CP1_connection_timeout")
    assert float(timeout.state) == 60
    # A setting this charger does not have gets no entity.
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("number", DOMAIN, "CP1_light_intensity") is None

    await hass.services.async_call(
        "switch",
        SERVICE_TURN_OFF,
        {ATTR_ENTITY_ID: entity_id(hass, "switch", "CP1_local_authorize_offline")},
        blocking=True,
    )
    assert state(hass, "switch", "CP1_local_authorize_offline").state == "off"
    stored = sim.configuration if ocpp_version == "1.6" else sim.variables
    assert stored[keys["local_authorize_offline"]].value.lower() == "false"

    # A setting that waits for a restart: taken, shown, and the restart is offered.
    await hass.services.async_call(
        "number",
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: entity_id(hass, "number", "CP1_connection_timeout"), ATTR_VALUE: 90},
        blocking=True,
    )
    assert float(state(hass, "number", "CP1_connection_timeout").state) == 90
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"reboot_required_{central.entry_id}_CP1")
    assert issue is not None
