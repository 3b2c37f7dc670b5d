"""The Fault event entity of each charger: fires when a fault is raised or cleared."""

from __future__ import annotations

from dataclasses import dataclass
from typing import override

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import OcppConfigEntry
from .const import EVENT_FAULT
from .entity import OcppEntity, OcppEntityDescription, async_setup_dynamic_entities

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class OcppEventEntityDescription(EventEntityDescription, OcppEntityDescription):
    """An event entity of a charger."""


FAULT = OcppEventEntityDescription(
    key="fault_event",
    translation_key="fault_event",
    charger_wide=True,
    event_types=["raised", "cleared"],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OcppConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the fault event entity of every approved charger, now and as chargers appear."""
    async_setup_dynamic_entities(hass, entry, (FAULT,), OcppFaultEvent, async_add_entities)


class OcppFaultEvent(OcppEntity, EventEntity):
    """Fault raised / cleared, with the connector, the error code and the vendor's code."""

    entity_description: OcppEventEntityDescription

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self.hass.bus.async_listen(EVENT_FAULT, self._fault))

    @callback
    def _fault(self, event: Event) -> None:
        data = event.data
        if data.get("charge_point_id") != self.charger.charge_point_id:
            return
        self._trigger_event(
            data["state"],
            {
                "connector_id": data["connector_id"],
                "error_code": data["error_code"],
                "vendor_error_code": data["vendor_error_code"],
                "info": data["info"],
            },
        )
        self.async_write_ha_state()
