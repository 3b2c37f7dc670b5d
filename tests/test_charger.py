"""A simulated charger over real websockets: boot, sessions, meters, devices and persistence."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.ocpp_central.const import (
    CONF_AUTO_ACCEPT,
    CONF_METER_INTERVAL,
    DOMAIN,
    EVENT_DATA_TRANSFER,
)
from custom_components.ocpp_central.security import SecurityProfile
from simulator import ConfigKey

from .conftest import ALL_VERSIONS
from .helpers import state, wait_until

# What each version sends first after an accepted boot to learn the charger.
INVENTORY_CALL = {"1.6": "GetConfiguration", "2.0.1": "GetBaseReport", "2.1": "GetBaseReport"}


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@ALL_VERSIONS
async def test_boot_creates_device_and_entities(
    hass: HomeAssistant, ocpp_version: str, central: MockConfigEntry, make_simulator: Any
) -> None:
    """An auto-accepted charger becomes a device whose entities follow the connection."""
    sim = await make_simulator("CP1", vendor="Acme", model="Wallbox 11", serial_number="SN42")
    result = await sim.boot()
    assert result.status == "Accepted"
    assert result.interval == 300
    await hass.async_block_till_done()

    device = dr.async_get(hass).async_get_device({(DOMAIN, "CP1")})
    assert device is not None
    assert (device.manufacturer, device.model, device.serial_number, device.sw_version) == (
        "Acme",
        "Wallbox 11",
        "SN42",
        "1.0.0",
    )
    assert state(hass, "binary_sensor", "CP1_connected").state == "on"
    assert state(hass, "sensor", "CP1_firmware_version").state == "1.0.0"

    await sim.status(0, "Available")
    await sim.status(1, "Available")
    await hass.async_block_till_done()
    assert state(hass, "sensor", "CP1_1_status").state == "available"
    assert state(hass, "binary_sensor", "CP1_1_plugged_in").state == "off"

    await sim.close()
    await wait_until(hass, lambda: state(hass, "binary_sensor", "CP1_connected").state == "off")
    assert state(hass, "sensor", "CP1_1_status").state == STATE_UNAVAILABLE


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@ALL_VERSIONS
async def test_charging_session(
    hass: HomeAssistant, ocpp_version: str, central: MockConfigEntry, make_simulator: Any
) -> None:
    """A full session shows status, power, energy, session energy, duration and id tag."""
    sim = await make_simulator("CP1")
    await sim.boot()
    await sim.status(1, "Preparing")
    assert (await sim.authorize("TAG1")).id_tag_info["status"] == "Accepted"
    start = dt_util.utcnow() - timedelta(minutes=10)
    transaction_id = await sim.start_transaction(1, "TAG1", meter_start_wh=5000, timestamp=start)
    started = sim.last_result["StartTransaction"]
    if ocpp_version == "1.6":
        assert started.id_tag_info["status"] == "Accepted"
    else:
        # The simulator fills `.id_tag_info` in when the answer has none: read the real one.
        assert started.id_token_info == {"status": "Accepted"}
    await sim.status(1, "Charging")
    await sim.meter_values(
        1,
        [
            {"value": "5.75", "measurand": "Energy.Active.Import.Register", "unit": "kWh"},
            {"value": "7.2", "measurand": "Power.Active.Import", "unit": "kW"},
            {"value": "10.5", "measurand": "Current.Import", "unit": "A", "phase": "L1"},
            {"value": "10.4", "measurand": "Current.Import", "unit": "A", "phase": "L2"},
            {"value": "10.3", "measurand": "Current.Import", "unit": "A", "phase": "L3"},
            {"value": "231", "measurand": "Voltage", "unit": "V", "phase": "L1-N"},
            {"value": "229", "measurand": "Voltage", "unit": "V", "phase": "L2-N"},
            {"value": "16", "measurand": "Current.Offered", "unit": "A"},
            {"value": "55", "measurand": "SoC", "unit": "Percent", "location": "EV"},
            {"value": "308.15", "measurand": "Temperature", "unit": "K", "location": "Body"},
        ],
        transaction_id=transaction_id,
    )
    await hass.async_block_till_done()

    assert state(hass, "sensor", "CP1_1_status").state == "charging"
    assert state(hass, "binary_sensor", "CP1_1_charging").state == "on"
    assert state(hass, "binary_sensor", "CP1_1_plugged_in").state == "on"
    assert float(state(hass, "sensor", "CP1_1_power").state) == 7200.0
    assert float(state(hass, "sensor", "CP1_1_energy").state) == 5.75
    assert float(state(hass, "sensor", "CP1_1_session_energy").state) == 0.75
    assert float(state(hass, "sensor", "CP1_1_current_l1").state) == 10.5
    assert float(state(hass, "sensor", "CP1_1_current_l3").state) == 10.3
    assert float(state(hass, "sensor", "CP1_1_voltage").state) == 230.0
    assert float(state(hass, "sensor", "CP1_1_current_offered").state) == 16.0
    assert float(state(hass, "sensor", "CP1_1_soc").state) == 55
    if ocpp_version == "1.6":
        # OCPP 2.x has no Temperature measurand.
        assert float(state(hass, "sensor", "CP1_1_temperature").state) == 35.0
    assert state(hass, "sensor", "CP1_1_id_tag").state == "TAG1"
    duration = float(state(hass, "sensor", "CP1_1_session_duration").state)
    assert 570 <= duration <= 660  # seconds: a one-minute session no longer reads "0m"

    result = await sim.stop_transaction(
        1,
        meter_stop_wh=6250,
        reason="EVDisconnected",
        transaction_data=[
            {
                "timestamp": dt_util.utcnow().isoformat(),
                "sampledValue": [
                    {"value": "6200", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
                ],
            }
        ],
    )
    if ocpp_version == "1.6":
        # The session's idTag goes along with the stop: it is answered.
        assert result.id_tag_info == {"status": "Accepted"}
    else:
        # 2.x sends the id token with a stop only when a token stopped the session (not
        # here: the EV left), and idTokenInfo answers a token only.
        assert result.id_tag_info is None
    await sim.status(1, "Finishing")
    await hass.async_block_till_done()
    assert float(state(hass, "sensor", "CP1_1_energy").state) == 6.25
    assert float(state(hass, "sensor", "CP1_1_session_energy").state) == 1.25
    assert state(hass, "binary_sensor", "CP1_1_charging").state == "off"
    # Still plugged in (1.6 Finishing): the car's charge is still known. Gone: it is not the
    # car's any more.
    if ocpp_version == "1.6":
        assert float(state(hass, "sensor", "CP1_1_soc").state) == 55
    await sim.status(1, "Available")
    await hass.async_block_till_done()
    assert state(hass, "sensor", "CP1_1_soc").state == "unknown"
    assert state(hass, "sensor", "CP1_1_current_offered").state == "unknown"
    # The session's energy is not offered to the Energy dashboard next to the total.
    session_energy = state(hass, "sensor", "CP1_1_session_energy")
    assert "state_class" not in session_energy.attributes
    assert state(hass, "sensor", "CP1_1_energy").attributes["state_class"] == "total_increasing"
    transaction = central.runtime_data.chargers["CP1"].connector(1).last_transaction
    assert transaction is not None
    assert transaction.stop_reason == "EVDisconnected"
    assert transaction.transaction_id == str(transaction_id)


@ALL_VERSIONS
async def test_energy_total_never_goes_backwards(
    hass: HomeAssistant,
    ocpp_version: str,
    central: MockConfigEntry,
    make_simulator: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The total never falls: restarts continue it, glitches and jumps back are ignored.

    A register that restarts near zero (a firmware reset, a new meter, a register counting
    from 0 in every session) used to freeze the total until it passed the old value, losing
    that energy from the Energy dashboard.
    """
    sim = await make_simulator("CP1")
    await sim.boot()

    async def register(wh: str) -> float:
        await sim.meter_values(1, [{"value": wh, "unit": "Wh"}])
        await hass.async_block_till_done()
        return float(state(hass, "sensor", "CP1_1_energy").state)

    assert await register("12000") == 12.0
    # A glitch to 0 and straight back.
    assert await register("0") == 12.0
    assert await register("12010") == 12.01
    # A jump back that is no restart: ignored (and logged once) until passed again.
    assert await register("11000") == 12.01
    assert await register("11500") == 12.01
    assert await register("12500") == 12.5
    assert caplog.text.count("energy register went back") == 1
    # Whole Wh against fractional readings is no drop, and no warning.
    assert await register("12499.6") == 12.5
    assert caplog.text.count("energy register went back") == 1
    # A real restart: the total goes on with the new register.
    assert await register("0") == 12.5
    assert await register("500") == 13.0
    assert await register("1500") == 14.0
    assert "energy register restarted" in caplog.text


@ALL_VERSIONS
async def test_meter_values_outside_transaction_and_odd_values(
    hass: HomeAssistant, ocpp_version: str, central: MockConfigEntry, make_simulator: Any
) -> None:
    """Values without a transaction count; signed and unparsable values are skipped."""
    sim = await make_simulator("CP1")
    await sim.boot()
    await sim.meter_values(
        1,
        [
            {"value": "1.5", "measurand": "Energy.Active.Import.Register", "unit": "kWh"},
            {"value": "abc", "measurand": "Power.Active.Import", "unit": "W"},
            {"value": "ZmFrZQ==", "format": "SignedData", "measurand": "Voltage"},
            {"value": "2300", "measurand": "Power.Active.Import", "unit": "W", "phase": "L1"},
            {"value": "2200", "measurand": "Power.Active.Import", "unit": "W", "phase": "L2"},
            {"value": "50", "measurand": "Frequency", "unit": "Hertz"},
        ],
    )
    await hass.async_block_till_done()
    assert float(state(hass, "sensor", "CP1_1_energy").state) == 1.5
    assert float(state(hass, "sensor", "CP1_1_power").state) == 4500.0
    assert state(hass, "sensor", "CP1_1_session_energy").state == "unknown"


@ALL_VERSIONS
async def test_multi_connector_charger_gets_child_devices(
    hass: HomeAssistant, ocpp_version: str, central: MockConfigEntry, make_simulator: Any
) -> None:
    """Each connector of a multi-connector charger is a child device of the charger."""
    sim = await make_simulator("DUO", connectors=2)
    await sim.boot()
    await sim.status(1, "Available")
    # The inventory (1.6 NumberOfConnectors, 2.x EVSEs) is read after the boot answer.
    await sim.wait_for_call(INVENTORY_CALL[ocpp_version])
    await wait_until(hass, lambda: len(central.runtime_data.chargers["DUO"].outlet_ids) == 2)
    await sim.status(2, "Preparing")
    await hass.async_block_till_done()

    registry = dr.async_get(hass)
    charger = registry.async_get_device({(DOMAIN, "DUO")})
    assert charger is not None
    for connector_id in (1, 2):
        device = registry.async_get_device({(DOMAIN, f"DUO-{connector_id}")})
        assert device is not None
        assert device.via_device_id == charger.id
    # 2.x reports a plugged-in connector without a session as Occupied.
    expected = "preparing" if ocpp_version == "1.6" else "occupied"
    assert state(hass, "sensor", "DUO_2_status").state == expected
    # Connector 1's entities were created before the second connector was known and moved.
    connector_1 = registry.async_get_device({(DOMAIN, "DUO-1")})
    assert connector_1 is not None
    from homeassistant.helpers import entity_registry as er

    entry = er.async_get(hass).async_get(state(hass, "sensor", "DUO_1_status").entity_id)
    assert entry is not None
    assert entry.device_id == connector_1.id


async def test_configuration_learned_and_applied(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """After boot the charger is asked for its configuration and given the user's settings."""
    sim = await make_simulator("CP1", meter_interval=60)
    sim.configuration["MeterValuesSampledData"] = ConfigKey("Energy.Active.Import.Register")
    sim.reject_keys.add("MeterValuesSampledData")
    await sim.boot()
    await sim.wait_for_call("GetConfiguration")
    changes = {}
    for _ in range(2):
        payload = await sim.wait_for_call("ChangeConfiguration")
        changes[payload["key"]] = payload["value"]
    assert changes["MeterValueSampleInterval"] == "10"
    assert changes["MeterValuesSampledData"].startswith("Energy.Active.Import.Register")
    charger = central.runtime_data.chargers["CP1"]
    await wait_until(hass, lambda: "SmartCharging" in charger.feature_profiles)
    assert charger.configuration["NumberOfConnectors"].value == "1"
    # The rejection is accepted as the charger's decision: nothing is retried.
    await hass.async_block_till_done()
    assert sum(1 for action, _ in sim.received if action == "ChangeConfiguration") == 2
    assert not any(action == "Reset" for action, _ in sim.received)


async def _meter_interval_written(sim: Any, ocpp_version: str) -> str:
    """The meter interval the central system writes next (1.6 key or 2.x variable)."""
    if ocpp_version == "1.6":
        payload = await sim.wait_for_call("ChangeConfiguration")
        assert payload["key"] == "MeterValueSampleInterval"
        return str(payload["value"])
    payload = await sim.wait_for_call("SetVariables")
    values = {
        f"{item['component']['name']}.{item['variable']['name']}": item["attributeValue"]
        for item in payload["setVariableData"]
    }
    return str(values["SampledDataCtrlr.TxUpdatedInterval"])


@ALL_VERSIONS
async def test_options_apply_without_reload(
    hass: HomeAssistant, ocpp_version: str, central: MockConfigEntry, make_simulator: Any
) -> None:
    """Changing options pushes the new interval to connected chargers; nothing reloads."""
    sim = await make_simulator("CP1", meter_interval=60)
    await sim.boot()
    assert await _meter_interval_written(sim, ocpp_version) == "10"
    runtime = central.runtime_data

    hass.config_entries.async_update_entry(
        central, options={**central.options, CONF_METER_INTERVAL: 30}
    )
    await hass.async_block_till_done()
    assert await _meter_interval_written(sim, ocpp_version) == "30"
    assert central.runtime_data is runtime
    assert sim.connected


@ALL_VERSIONS
async def test_pending_charger_accepted_from_discovery(
    hass: HomeAssistant,
    ocpp_version: str,
    central: MockConfigEntry,
    make_simulator: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without auto-accept a new charger waits (Pending) until the user accepts its card."""
    # Chargers here reconnect at once or not at all: no need to wait long for it.
    monkeypatch.setattr("custom_components.ocpp_central.access.PROOF_GRACE", 0.3)
    hass.config_entries.async_update_entry(
        central, options={**central.options, CONF_AUTO_ACCEPT: False}
    )
    sim = await make_simulator("NEW1", vendor="Acme", reboot_delay=0.2)
    result = await sim.boot()
    assert result.status == "Pending"
    await hass.async_block_till_done()

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    flow = flows[0]
    assert flow["context"]["source"] == SOURCE_INTEGRATION_DISCOVERY
    assert flow["step_id"] == "accept_charger"
    # The card says who the charger is, not only its id.
    assert flow["context"]["title_placeholders"] == {"name": "NEW1 (Acme Simulated Wallbox)"}
    assert dr.async_get(hass).async_get_device({(DOMAIN, "NEW1")}) is None
    # Booting again while waiting does not create a second card.
    await sim.boot()
    await hass.async_block_till_done()
    assert len(hass.config_entries.flow.async_progress_by_handler(DOMAIN)) == 1

    done = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    assert done["type"] is FlowResultType.ABORT
    assert done["reason"] == "charger_accepted"
    # Accepted without a power cycle: the central system triggers a new boot.
    assert (await sim.wait_for_call("TriggerMessage"))["requestedMessage"] == "BootNotification"
    assert await sim.wait_accepted()
    await hass.async_block_till_done()
    assert dr.async_get(hass).async_get_device({(DOMAIN, "NEW1")}) is not None
    assert state(hass, "binary_sensor", "NEW1_connected").state == "on"
    # "Protect it with a password" (on by default): once set up, the charger gets one and
    # reconnects with it (a 1.6 charger after moving to security profile 1).
    security = central.runtime_data.chargers["NEW1"].security
    await wait_until(hass, lambda: security.proven is SecurityProfile.BASIC_AUTH)
    assert sim.password is not None
    assert security.password is not None
    assert security.password.matches(sim.password)
    await wait_until(hass, lambda: sim.connected)


@ALL_VERSIONS
async def test_second_connection_replaces_first(
    hass: HomeAssistant, ocpp_version: str, central: MockConfigEntry, make_simulator: Any
) -> None:
    """A charger reconnecting with the same id replaces its old connection."""
    first = await make_simulator("CP1")
    await first.boot()
    second = await make_simulator("CP1")
    assert await first.wait_disconnected(5)
    await second.boot()
    await second.status(1, "Available")
    await hass.async_block_till_done()
    assert state(hass, "binary_sensor", "CP1_connected").state == "on"
    assert state(hass, "sensor", "CP1_1_status").state == "available"


@ALL_VERSIONS
async def test_session_survives_restart(
    hass: HomeAssistant, ocpp_version: str, central: MockConfigEntry, make_simulator: Any
) -> None:
    """A session running across an HA restart continues without jumps; ids never repeat."""
    sim = await make_simulator("CP1")
    await sim.boot()
    transaction_id = await sim.start_transaction(1, meter_start_wh=1000)
    await sim.meter_values(1, [{"value": "1500", "unit": "Wh"}])
    await sim.close()

    assert await hass.config_entries.async_unload(central.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(central.entry_id)
    await hass.async_block_till_done()
    # Before the charger is back, its entities exist (unavailable) with their last values.
    assert state(hass, "sensor", "CP1_1_energy").state == STATE_UNAVAILABLE

    sim = await make_simulator("CP1", meter_start_wh=1500)
    await sim.boot()
    await sim.meter_values(1, [{"value": "1800", "unit": "Wh"}], transaction_id=transaction_id)
    await hass.async_block_till_done()
    assert float(state(hass, "sensor", "CP1_1_session_energy").state) == 0.8
    assert float(state(hass, "sensor", "CP1_1_energy").state) == 1.8
    await sim.stop_transaction(1, meter_stop_wh=2000, transaction_id=transaction_id)
    await hass.async_block_till_done()
    assert float(state(hass, "sensor", "CP1_1_session_energy").state) == 1.0

    next_id = await sim.start_transaction(1)
    if ocpp_version == "1.6":
        # Ids the central system hands out grow across restarts; 2.x chargers pick their own.
        assert next_id > transaction_id
    assert next_id != transaction_id


@ALL_VERSIONS
async def test_stop_of_unknown_transaction_is_accepted(
    hass: HomeAssistant, ocpp_version: str, central: MockConfigEntry, make_simulator: Any
) -> None:
    """A replayed stop for a session we never saw is accepted, not refused."""
    sim = await make_simulator("CP1")
    await sim.boot()
    # Without a token the answer is an empty CALLRESULT (no idTagInfo / idTokenInfo).
    result = await sim.stop_transaction(1, meter_stop_wh=3000, transaction_id=987654)
    assert result.id_tag_info is None
    # Stopped with a token (reason Local: 2.x sends the idToken too), the token is accepted.
    result = await sim.protocol_layer().stop_transaction(
        1, 987655, 3100, sim.timestamp(), "Local", "TAG1", None
    )
    if ocpp_version == "1.6":
        assert result.id_tag_info == {"status": "Accepted"}
    else:
        assert result.id_token_info == {"status": "Accepted"}
        assert result.id_tag_info == {"status": "Accepted"}
    # Neither invented a session.
    connector = central.runtime_data.chargers["CP1"].connector(1)
    assert connector.transaction is None


@ALL_VERSIONS
async def test_data_transfer_fires_event(
    hass: HomeAssistant, ocpp_version: str, central: MockConfigEntry, make_simulator: Any
) -> None:
    """DataTransfer is recorded, fired as an event and answered UnknownVendorId."""
    events = async_capture_events(hass, EVENT_DATA_TRANSFER)
    sim = await make_simulator("CP1")
    await sim.boot()
    result = await sim.data_transfer("com.acme", "Ping", '{"a": 1}')
    assert result.status == "UnknownVendorId"
    await hass.async_block_till_done()
    assert len(events) == 1
    assert events[0].data["vendor_id"] == "com.acme"
    assert events[0].data["message_id"] == "Ping"
    assert events[0].data["data"] == '{"a": 1}'
    assert events[0].data["charge_point_id"] == "CP1"


@ALL_VERSIONS
async def test_heartbeat_recorded(
    hass: HomeAssistant, ocpp_version: str, central: MockConfigEntry, make_simulator: Any
) -> None:
    """Heartbeats update the charger's last-heartbeat time."""
    sim = await make_simulator("CP1")
    await sim.boot()
    await sim.heartbeat()
    assert central.runtime_data.chargers["CP1"].last_heartbeat is not None


@ALL_VERSIONS
async def test_removed_device_is_forgotten(
    hass: HomeAssistant,
    ocpp_version: str,
    central: MockConfigEntry,
    make_simulator: Any,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Removing a charger's device forgets it: it must be accepted again next time."""
    assert await async_setup_component(hass, "config", {})
    sim = await make_simulator("CP1")
    await sim.boot()
    await hass.async_block_till_done()
    device = dr.async_get(hass).async_get_device({(DOMAIN, "CP1")})
    assert device is not None

    client = await hass_ws_client(hass)
    response = await client.remove_device(device.id, central.entry_id)
    assert response["success"]
    await hass.async_block_till_done()
    assert "CP1" not in central.runtime_data.chargers
    assert await sim.wait_disconnected(5)

    hass.config_entries.async_update_entry(
        central, options={**central.options, CONF_AUTO_ACCEPT: False}
    )
    again = await make_simulator("CP1")
    assert (await again.boot()).status == "Pending"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@ALL_VERSIONS
async def test_new_firmware_updates_device(
    hass: HomeAssistant, ocpp_version: str, central: MockConfigEntry, make_simulator: Any
) -> None:
    """A charger booting with new firmware shows it on its device and sensor."""
    sim = await make_simulator("CP1")
    await sim.boot()
    await sim.close()
    sim = await make_simulator("CP1", firmware_version="2.0.0")
    await sim.boot()
    await hass.async_block_till_done()
    device = dr.async_get(hass).async_get_device({(DOMAIN, "CP1")})
    assert device is not None
    assert device.sw_version == "2.0.0"
    assert state(hass, "sensor", "CP1_firmware_version").state == "2.0.0"


@ALL_VERSIONS
async def test_simulated_session_end_to_end(
    hass: HomeAssistant, ocpp_version: str, central: MockConfigEntry, make_simulator: Any
) -> None:
    """The simulator's scripted session (also used by the demo) is accounted in full."""
    sim = await make_simulator("CP1", meter_interval=0.2)
    await sim.boot()
    await sim.status(1, "Available")
    await sim.run_session(1, duration=1.0, power_w=11000, suspend_after=0.6)
    await hass.async_block_till_done()
    connector = central.runtime_data.chargers["CP1"].connector(1)
    transaction = connector.last_transaction
    assert transaction is not None
    assert transaction.stopped_at is not None
    # 11 kW for about a second is about 3 Wh; the register and the session agree.
    assert 1.0 < transaction.energy_wh < 10.0
    assert connector.energy.value_wh == pytest.approx(sim.energy_wh(1), abs=1.0)
    assert state(hass, "sensor", "CP1_1_status").state == "available"
    assert float(state(hass, "sensor", "CP1_1_power").state) == 0.0
    assert float(state(hass, "sensor", "CP1_1_session_energy").state) == round(
        transaction.energy_wh / 1000, 2
    )
