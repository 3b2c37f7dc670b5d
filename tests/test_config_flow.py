"""Config flow: central system setup, reconfigure, options and charger discovery cards."""

from __future__ import annotations

import socket
from typing import Any

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ocpp_central.const import (
    CONF_AUTO_ACCEPT,
    CONF_HEARTBEAT_INTERVAL,
    CONF_HOST,
    CONF_MEASURANDS,
    CONF_METER_INTERVAL,
    CONF_PORT,
    DOMAIN,
)

from .conftest import free_port


async def test_user_flow_creates_entry(hass: HomeAssistant, port: int) -> None:
    """Choosing a free port creates the central system, which listens on it."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_HOST: "127.0.0.1", CONF_PORT: port}
    assert result["result"].unique_id == f"127.0.0.1:{port}"
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.runtime_data.port == port
    await hass.config_entries.async_unload(entry.entry_id)


async def test_user_flow_port_in_use_then_recovers(hass: HomeAssistant) -> None:
    """A taken port shows port_in_use; another port then works."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: busy}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": "port_in_use"}
        port = free_port()
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: port}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(result["result"].entry_id)


@pytest.mark.parametrize("host", ["192.0.2.1", "not a host name"])
async def test_user_flow_cannot_bind(hass: HomeAssistant, host: str) -> None:
    """An address that is not this machine's shows cannot_bind."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: host, CONF_PORT: free_port()}
    )
    assert result["errors"] == {"base": "cannot_bind"}


async def test_user_flow_already_configured(
    hass: HomeAssistant, central: MockConfigEntry, port: int
) -> None:
    """The same address and port cannot be added twice."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reconfigure_moves_the_server(
    hass: HomeAssistant, central: MockConfigEntry, port: int
) -> None:
    """Reconfigure to the same port works (our own socket is not 'in use'); a new one too."""
    result = await central.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()

    new_port = free_port()
    result = await central.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: new_port}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert central.data[CONF_PORT] == new_port
    assert central.unique_id == f"127.0.0.1:{new_port}"
    assert central.runtime_data.port == new_port


async def test_reconfigure_to_busy_port(hass: HomeAssistant, central: MockConfigEntry) -> None:
    """Moving onto a taken port shows port_in_use and keeps the entry as it was."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = await central.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: taken.getsockname()[1]}
        )
    assert result["errors"] == {"base": "port_in_use"}


async def test_options_flow(hass: HomeAssistant, central: MockConfigEntry) -> None:
    """The options form groups settings in sections and stores them as flat options."""
    result = await hass.config_entries.options.async_init(central.entry_id)
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "settings"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "settings"
    sections = list(result["data_schema"].schema)
    assert [str(key) for key in sections] == [
        "limits",
        "solar",
        "costs",
        "metering",
        "new_chargers",
        "connection",
    ]
    form: dict[str, Any] = {
        "limits": {
            "max_current": 32,
            "failsafe_current": 10,
            "limit_interval": 30,
            "id_tag": "GARAGE",
        },
        "solar": {
            "solar_enable_delay": 30,
            "solar_disable_delay": 120,
            "installation_phases": "1",
            "phase_switching": True,
            "phase_switch_delay": 60,
            "phase_switch_interval": 900,
        },
        "costs": {
            "price_per_kwh": 0.25,
            "session_fee": 1.0,
            "history_days": 365,
            "home_charging_compensation": True,
        },
        "metering": {
            CONF_METER_INTERVAL: 15,
            # Measurands have human labels in the form: their keys are slugs.
            CONF_MEASURANDS: ["energy_active_import_register", "power_active_import"],
        },
        "new_chargers": {
            CONF_AUTO_ACCEPT: False,
            "max_pending_chargers": 3,
            "max_connectors": 4,
        },
        "connection": {
            CONF_HEARTBEAT_INTERVAL: 120,
            "ocpp_version": "ocpp_2_1",
            "max_connections_per_address": 0,
            "transfer_url": "http://192.168.1.10:8123",
            "max_upload_mb": 20,
            "max_messages_per_second": 50,
            "idle_timeout": 0,
            "call_timeout": 45,
            "max_frame_kb": 128,
            "tls_port": 0,
            "tls_min_version": "tls_1_2",
        },
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], form)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    flat = {key: value for group in form.values() for key, value in group.items()}
    # The options keep OCPP's names: the version number and the measurand names.
    assert central.options == {
        **flat,
        "ocpp_version": "2.1",
        CONF_MEASURANDS: ["Energy.Active.Import.Register", "Power.Active.Import"],
    }
    result = await hass.config_entries.options.async_init(central.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "settings"}
    )
    suggested = {
        str(key): key.description["suggested_value"]
        for group in result["data_schema"].schema.values()
        for key in group.schema.schema
        if key.description and "suggested_value" in key.description
    }
    assert suggested["ocpp_version"] == "ocpp_2_1"
    assert suggested[CONF_MEASURANDS] == ["energy_active_import_register", "power_active_import"]
    assert suggested["max_current"] == 32
    # The running central system uses the new caps without a reload.
    assert central.runtime_data.max_connectors == 4
    assert central.runtime_data.max_pending_chargers == 3
    limits = central.runtime_data.connection_limits
    assert limits.call_timeout == 45
    assert limits.max_frame_bytes == 128 * 1024
    # Automatic idle timeout: twice the heartbeat interval plus a minute.
    assert limits.idle_timeout == 2 * 120 + 60


async def _discover(hass: HomeAssistant, entry_id: str, charge_point_id: str) -> Any:
    return await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data={
            "entry_id": entry_id,
            "charge_point_id": charge_point_id,
            "vendor": "Acme",
            "model": "Box",
            "serial_number": "",
            "firmware_version": "2.0",
            "remote_address": "127.0.0.1",
            "ocpp_version": "1.6",
        },
    )


async def test_discovery_card_accepts_absent_charger(
    hass: HomeAssistant, central: MockConfigEntry
) -> None:
    """The card shows the charger; accepting works even after it went away."""
    result = await _discover(hass, central.entry_id, "GONE")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "accept_charger"
    placeholders = result["description_placeholders"]
    assert placeholders["vendor"] == "Acme"
    assert placeholders["serial_number"] == "-"
    assert placeholders["ocpp_version"] == "1.6"
    # The same charger does not get a second card.
    duplicate = await _discover(hass, central.entry_id, "GONE")
    assert duplicate["type"] is FlowResultType.ABORT
    assert duplicate["reason"] == "already_in_progress"

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "charger_accepted"
    charger = central.runtime_data.chargers["GONE"]
    assert charger.info.vendor == "Acme"
    assert charger.info.serial_number is None


async def test_discovery_card_puts_the_charger_in_an_area(
    hass: HomeAssistant, central: MockConfigEntry
) -> None:
    """The card asks where the charger is; its device is created in that area."""
    from homeassistant.helpers import area_registry as ar, device_registry as dr

    garage = ar.async_get(hass).async_create("Garage")
    result = await _discover(hass, central.entry_id, "WALL")
    assert [str(key) for key in result["data_schema"].schema] == ["area", "protect"]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"area": garage.id})
    assert result["reason"] == "charger_accepted"
    device = dr.async_get(hass).async_get_device({(DOMAIN, "WALL")})
    assert device is not None
    assert device.area_id == garage.id
    assert (device.manufacturer, device.model) == ("Acme", "Box")


async def test_discovery_card_for_unloaded_central(
    hass: HomeAssistant, central: MockConfigEntry
) -> None:
    """Accepting after the central system was unloaded explains why it cannot."""
    result = await _discover(hass, central.entry_id, "LATE")
    await hass.config_entries.async_unload(central.entry_id)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "central_not_loaded"


async def test_ignored_charger_is_not_offered_again(
    hass: HomeAssistant, central: MockConfigEntry
) -> None:
    """A charger the user ignored does not come back as a card."""
    MockConfigEntry(
        domain=DOMAIN,
        source="ignore",
        unique_id=f"charger:{central.entry_id}:NOPE",
    ).add_to_hass(hass)
    result = await _discover(hass, central.entry_id, "NOPE")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
