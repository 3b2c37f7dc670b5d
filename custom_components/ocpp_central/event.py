"""Event entities of each charger: faults raised and cleared, cards presented."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import override

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import OcppConfigEntry
from .central import CentralSystem
from .const import EVENT_CARD, EVENT_FAULT
from .entity import OcppEntity, OcppEntityDescription, async_setup_dynamic_entities
from .model import Charger
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


class BusEventRouter:
    """One bus listener per event type for all chargers, handing each event to its entity.

    A listener per entity would make every fault or card event cost a call per charger.
    """

    def __init__(self) -> None:
        """Start with no entities."""
        self._entities: dict[tuple[str, str], Callable[[Event], None]] = {}

    def add(self, bus_event: str, charge_point_id: str, fired: Callable[[Event], None]) -> None:
        """Route `bus_event`s of a charger to an entity (until `remove`)."""
        self._entities[(bus_event, charge_point_id)] = fired

    def remove(self, bus_event: str, charge_point_id: str) -> None:
        """Stop routing to an entity (it was removed)."""
        self._entities.pop((bus_event, charge_point_id), None)

    @callback
    def route(self, event: Event) -> None:
        """Hand a bus event to its charger's entity, if it has one."""
        key = (str(event.event_type), str(event.data.get("charge_point_id")))
        if (fired := self._entities.get(key)) is not None:
            fired(event)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OcppConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the event entities of every approved charger, now and as chargers appear."""
    router = BusEventRouter()
    for bus_event in {description.bus_event for description in EVENTS}:
        entry.async_on_unload(hass.bus.async_listen(bus_event, router.route))

    def factory(
        central: CentralSystem,
        charger: Charger,
        connector_id: int,
        description: OcppEventEntityDescription,
    ) -> OcppBusEvent:
        return OcppBusEvent(central, charger, connector_id, description, router)

    async_setup_dynamic_entities(hass, entry, EVENTS, factory, async_add_entities)


class OcppBusEvent(OcppEntity, EventEntity):
    """Fires when its charger's bus event does (fault raised / cleared, card presented)."""

    entity_description: OcppEventEntityDescription

    platform_shows_readings = False

    def __init__(
        self,
        central: CentralSystem,
        charger: Charger,
        connector_id: int,
        description: OcppEventEntityDescription,
        router: BusEventRouter,
    ) -> None:
        """An event entity of a charger, fed by the platform's router."""
        super().__init__(central, charger, connector_id, description)
        self._router = router

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        bus_event, charge_point_id = self.entity_description.bus_event, self.charger.charge_point_id
        self._router.add(bus_event, charge_point_id, self._fired)
        self.async_on_remove(lambda: self._router.remove(bus_event, charge_point_id))

    @callback
    def _fired(self, event: Event) -> None:
        data = event.data
        description = self.entity_description
        self._trigger_event(
            data[description.type_field], {key: data.get(key) for key in description.attributes}
        )
        self.async_write_ha_state()
