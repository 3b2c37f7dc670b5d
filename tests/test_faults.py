"""Faults: raised and cleared as events, a repair issue when they last, history in diagnostics."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.ocpp_central import central as central_module
from custom_components.ocpp_central.const import DOMAIN, EVENT_FAULT

from .helpers import device_trigger_automations, smart_charger, state


@pytest.fixture(autouse=True)
def quick_repairs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fault counts as lasting after 0.2 s instead of a minute."""
    monkeypatch.setattr(central_module, "FAULT_REPAIR_DELAY", 0.2)


async def test_fault_raised_repair_and_cleared(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """A 1.6 ground fault: event, event entity, repair that explains it, gone when cleared."""
    import asyncio

    events = async_capture_events(hass, EVENT_FAULT)
    sim = await smart_charger(hass, central, make_simulator)
    await sim.status(1, "Faulted", error_code="GroundFailure", vendor_error_code="RCD-30mA")
    await hass.async_block_till_done()
    assert [event.data["state"] for event in events] == ["raised"]
    assert events[0].data["error_code"] == "ground_failure"
    assert events[0].data["vendor_error_code"] == "RCD-30mA"
    fault_event = state(hass, "event", "CP1_fault_event")
    assert fault_event.attributes["event_type"] == "raised"
    assert fault_event.attributes["connector_id"] == 1

    issue_id = f"fault_{central.entry_id}_CP1_1"
    await asyncio.sleep(0.3)
    await hass.async_block_till_done()
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "fault_ground_failure"
    assert issue.translation_placeholders["vendor_code"] == "RCD-30mA"

    # The same fault reported again is no new fault.
    await sim.status(1, "Faulted", error_code="GroundFailure", vendor_error_code="RCD-30mA")
    await sim.status(1, "Available")
    await hass.async_block_till_done()
    assert [event.data["state"] for event in events] == ["raised", "cleared"]
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    charger = central.runtime_data.chargers["CP1"]
    assert [fault.cleared_at is not None for fault in charger.faults] == [True]


async def test_short_fault_is_only_an_event(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """A glitch that clears before the delay raises no repair issue."""
    import asyncio

    sim = await smart_charger(hass, central, make_simulator)
    await sim.status(1, "Available", error_code="EVCommunicationError")
    await sim.status(1, "Available")
    await asyncio.sleep(0.3)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"fault_{central.entry_id}_CP1_1") is None


@pytest.mark.parametrize("ocpp_version", ["2.0.1", "2.1"])
async def test_2x_component_problem_is_a_fault(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """A 2.x RCD that tripped (NotifyEvent Problem) shows as a ground failure, then clears."""
    events = async_capture_events(hass, EVENT_FAULT)
    sim = await smart_charger(hass, central, make_simulator)

    from ocpp.v201 import call

    async def problem(value: str, event_id: int) -> None:
        await sim.protocol_layer().request(
            call.NotifyEvent(
                generated_at="2026-06-01T10:00:00Z",
                seq_no=0,
                event_data=[
                    {
                        "event_id": event_id,
                        "timestamp": "2026-06-01T10:00:00Z",
                        "trigger": "Alerting",
                        "actual_value": value,
                        "tech_code": "E-RCD",
                        "event_notification_type": "HardWiredNotification",
                        "component": {"name": "RCD", "evse": {"id": 1}},
                        "variable": {"name": "Problem"},
                    }
                ],
            )
        )

    await problem("true", 1)
    await hass.async_block_till_done()
    assert state(hass, "sensor", "CP1_1_error_code").state == "ground_failure"
    assert state(hass, "binary_sensor", "CP1_1_fault").state == "on"
    await problem("false", 2)
    await hass.async_block_till_done()
    assert state(hass, "sensor", "CP1_1_error_code").state == "no_error"
    assert [(e.data["state"], e.data["error_code"]) for e in events] == [
        ("raised", "ground_failure"),
        ("cleared", "ground_failure"),
    ]


async def test_fault_device_triggers(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """ "Fault raised" and "Fault cleared" automations fire once each, for their own state."""
    from homeassistant.helpers import device_registry as dr

    sim = await smart_charger(hass, central, make_simulator)
    device = dr.async_get(hass).async_get_device({(DOMAIN, "CP1")})
    assert device is not None
    await device_trigger_automations(hass, device.id, ["fault_raised", "fault_cleared"])
    raised = async_capture_events(hass, "test_fault_raised")
    cleared = async_capture_events(hass, "test_fault_cleared")
    await sim.status(1, "Available", error_code="HighTemperature")
    await hass.async_block_till_done()
    assert (len(raised), len(cleared)) == (1, 0)
    await sim.status(1, "Available")
    await hass.async_block_till_done()
    assert (len(raised), len(cleared)) == (1, 1)
