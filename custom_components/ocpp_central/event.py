"""Event entities of each charger: faults raised and cleared, cards presented."""

from __future__ import annotations

from dataclasses import dataclass
from typing import override

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import OcppConfigEntry
from .const import EVENT_CARD, EVENT_FAULT
from .entity import OcppEntity, OcppEntityDescription, async_setup_dynamic_entities
from .protocol.base import AuthorizationStatus

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class OcppEventEntityDescription(EventEntityDescription, OcppEntityDescription):
    """An event entity that shows one HA bus event of its charger."""

    # The bus event, the field of its data that names the event type, and the fields shown.
    bus_event: str
    type_field: str
    attributes: tuple[str, ...]


EVENTS: tuple[OcppEventEntityDescription, ...] = (
    OcppEventEntityDescription(
        key="fault_event",
        translation_key="fault_event",
        charger_wide=True,
        event_types=["raised", "cleared"],
        bus_event=EVENT_FAULT,
        type_field="state",
        attributes=("connector_id", "error_code", "vendor_error_code", "info"),
    ),
    OcppEventEntityDescription(
        key="card",
        translation_key="card",
        charger_wide=True,
        event_types=[status.value for status in AuthorizationStatus],
        bus_event=EVENT_CARD,
        type_field="result",
        attributes=("id_tag", "name", "person"),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OcppConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the event entities of every approved charger, now and as chargers appear."""
    async_setup_dynamic_entities(hass, entry, EVENTS, OcppBusEvent, async_add_entities)


class OcppBusEvent(OcppEntity, EventEntity):
    """Fires when its charger's bus event does (fault raised / cleared, card presented)."""

    entity_description: OcppEventEntityDescription

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(
            self.hass.bus.async_listen(self.entity_description.bus_event, self._fired)
        )

    @callback
    def _fired(self, event: Event) -> None:
        data = event.data
        if data.get("charge_point_id") != self.charger.charge_point_id:
            return
        description = self.entity_description
        self._trigger_event(
            data[description.type_field], {key: data.get(key) for key in description.attributes}
        )
        self.async_write_ha_state()
