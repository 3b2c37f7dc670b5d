"""What each of the owner's cards charged this month, on any charger (energy and cost).

One "Charging cards" device per central system holds two sensors per card of the list. They
count sessions once they end (the history's records), so a card's month is what an employer
reimburses; the chargers' own month sensors include running sessions. The sensors follow the
list: a card added in the options gets its sensors at once, a removed card loses them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, override

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorEntityDescription
from homeassistant.const import UnitOfEnergy
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_point_in_time
from homeassistant.util import dt as dt_util

from . import OcppConfigEntry
from .central import CentralSystem, signal_cards_changed
from .const import DOMAIN, EVENT_SESSION_STOPPED
from .devices import cards_device_info
from .history import month_start
from .tags import IdTag


@dataclass(frozen=True, kw_only=True)
class CardSensorEntityDescription(SensorEntityDescription):
    """A month total of one card: which figure of (energy kWh, cost) it shows."""

    value_fn: Callable[[tuple[float, float | None]], float | None]


CARD_SENSORS: Final = (
    CardSensorEntityDescription(
        key="card_energy_this_month",
        translation_key="card_energy_this_month",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=1,
        value_fn=lambda totals: totals[0],
    ),
    CardSensorEntityDescription(
        key="card_cost_this_month",
        translation_key="card_cost_this_month",
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        value_fn=lambda totals: None if totals[1] is None else round(totals[1], 2),
    ),
)


def card_unique_id(entry_id: str, id_tag: str, key: str) -> str:
    """Stable per central system, card (case-insensitive as OCPP id tags are) and figure."""
    return f"{entry_id}_card_{id_tag.casefold()}_{key}"


@callback
def async_setup_card_sensors(
    hass: HomeAssistant, entry: OcppConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add the sensors of every card now, and follow changes of the list."""
    central = entry.runtime_data
    registry = er.async_get(hass)
    added: set[str] = set()

    @callback
    def sync_cards() -> None:
        wanted = {
            card_unique_id(entry.entry_id, tag.id_tag, description.key): (tag, description)
            for tag in central.tags.tags.values()
            for description in CARD_SENSORS
        }
        async_add_entities(
            OcppCardSensor(central, tag, description)
            for unique_id, (tag, description) in wanted.items()
            if unique_id not in added
        )
        for unique_id in added - wanted.keys():
            if entity_id := registry.async_get_entity_id("sensor", DOMAIN, unique_id):
                registry.async_remove(entity_id)
        added.clear()
        added.update(wanted)

    sync_cards()
    entry.async_on_unload(
        async_dispatcher_connect(hass, signal_cards_changed(entry.entry_id), sync_cards)
    )


class OcppCardSensor(SensorEntity):
    """Energy or cost of one card's sessions this month."""

    entity_description: CardSensorEntityDescription
    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self, central: CentralSystem, tag: IdTag, description: CardSensorEntityDescription
    ) -> None:
        """A card's figure on the central system's cards device."""
        self.entity_description = description
        self.central = central
        self.id_tag = tag.id_tag
        entry_id = central.entry.entry_id
        self._attr_unique_id = card_unique_id(entry_id, tag.id_tag, description.key)
        self._attr_device_info = cards_device_info(entry_id)
        self._attr_translation_placeholders = {"card": tag.name or tag.id_tag}
        self._month_timer: CALLBACK_TYPE | None = None

    @property
    @override
    def native_value(self) -> float | None:
        totals = self.central.history.card_month_totals(self.id_tag, dt_util.utcnow())
        return self.entity_description.value_fn(totals)

    @property
    @override
    def native_unit_of_measurement(self) -> str | None:
        if self.entity_description.device_class is SensorDeviceClass.MONETARY:
            return self.central.tariff.currency
        return super().native_unit_of_measurement

    @override
    async def async_added_to_hass(self) -> None:
        """Write again when one of the card's sessions ends and when a new month begins."""

        @callback
        def session_stopped(event: Event) -> None:
            if str(event.data.get("id_tag") or "").casefold() == self.id_tag.casefold():
                self.async_write_ha_state()

        self.async_on_remove(self.hass.bus.async_listen(EVENT_SESSION_STOPPED, session_stopped))
        self._schedule_month_change()
        self.async_on_remove(self._cancel_month_change)

    @callback
    def _schedule_month_change(self) -> None:
        now = dt_util.now()
        next_month = month_start(month_start(now).replace(day=28) + _FOUR_DAYS)

        @callback
        def new_month(_now: datetime) -> None:
            self.async_write_ha_state()
            self._schedule_month_change()

        self._month_timer = async_track_point_in_time(self.hass, new_month, next_month)

    @callback
    def _cancel_month_change(self) -> None:
        if self._month_timer is not None:
            self._month_timer()
            self._month_timer = None


# From the 28th, four days always reach the next month.
_FOUR_DAYS: Final = timedelta(days=4)
