"""The HA devices of chargers and connectors (one place, for entities and events)."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo

from .const import DOMAIN
from .model import Charger


def charger_device_info(charger: Charger) -> DeviceInfo:
    """The device of a charger."""
    info = charger.info
    return DeviceInfo(
        identifiers={(DOMAIN, charger.charge_point_id)},
        name=charger.charge_point_id,
        manufacturer=info.vendor,
        model=info.model,
        serial_number=info.serial_number,
        sw_version=info.firmware_version,
    )


def _connector_identifier(charger: Charger, connector_id: int) -> str:
    return f"{charger.charge_point_id}-{connector_id}"


def connector_device_info(charger: Charger, connector_id: int) -> DeviceInfo:
    """The device of a connector: the charger itself when it has only one."""
    if connector_id == 0 or len(charger.outlet_ids) <= 1:
        return charger_device_info(charger)
    return DeviceInfo(
        identifiers={(DOMAIN, _connector_identifier(charger, connector_id))},
        translation_key="connector",
        translation_placeholders={
            "charger": charger.charge_point_id,
            "connector": str(connector_id),
        },
        via_device=(DOMAIN, charger.charge_point_id),
    )
