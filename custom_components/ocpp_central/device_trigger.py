"""Device triggers: a session started or ended on this charger (or connector); it booted."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.homeassistant.triggers import event as event_trigger
from homeassistant.const import (
    CONF_DEVICE_ID,
    CONF_DOMAIN,
    CONF_EVENT_DATA,
    CONF_PLATFORM,
    CONF_TYPE,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType
import voluptuous as vol

from .const import (
    DOMAIN,
    EVENT_CHARGER_BOOTED,
    EVENT_FAULT,
    EVENT_FIRMWARE_STATUS,
    EVENT_SESSION_STARTED,
    EVENT_SESSION_STOPPED,
)

# Trigger type -> the event behind it.
TRIGGER_TYPES: Final = {
    "session_started": EVENT_SESSION_STARTED,
    "session_stopped": EVENT_SESSION_STOPPED,
}
# Only the charger's own device boots, updates and reports faults, not its connectors'.
CHARGER_TRIGGER_TYPES: Final = {
    "booted": EVENT_CHARGER_BOOTED,
    "firmware_status": EVENT_FIRMWARE_STATUS,
    "fault_raised": EVENT_FAULT,
    "fault_cleared": EVENT_FAULT,
}
ALL_TRIGGER_TYPES: Final = TRIGGER_TYPES | CHARGER_TRIGGER_TYPES
# Event data a trigger type matches beyond the device (both fault types share one event).
TRIGGER_DATA: Final = {"fault_raised": {"state": "raised"}, "fault_cleared": {"state": "cleared"}}

TRIGGER_SCHEMA: Final = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {vol.Required(CONF_TYPE): vol.In(ALL_TRIGGER_TYPES)}
)


async def async_get_triggers(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """Session triggers for every device of OCPP Central; boots for chargers."""
    device = dr.async_get(hass).async_get(device_id)
    if device is None or not any(domain == DOMAIN for domain, _ in device.identifiers):
        return []
    kinds = list(TRIGGER_TYPES)
    if device.via_device_id is None:
        kinds += list(CHARGER_TRIGGER_TYPES)
    return [
        {CONF_PLATFORM: "device", CONF_DOMAIN: DOMAIN, CONF_DEVICE_ID: device_id, CONF_TYPE: kind}
        for kind in kinds
    ]


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Listen for the session event of this device."""
    event_config = event_trigger.TRIGGER_SCHEMA(
        {
            CONF_PLATFORM: "event",
            event_trigger.CONF_EVENT_TYPE: ALL_TRIGGER_TYPES[config[CONF_TYPE]],
            CONF_EVENT_DATA: {
                "device_id": config[CONF_DEVICE_ID],
                **TRIGGER_DATA.get(config[CONF_TYPE], {}),
            },
        }
    )
    return await event_trigger.async_attach_trigger(
        hass, event_config, action, trigger_info, platform_type="device"
    )
