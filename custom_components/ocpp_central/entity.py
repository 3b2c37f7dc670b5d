"""Base entity and dynamic entity creation shared by all platforms."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, override

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import async_get_current_platform

from . import PLATFORMS, OcppConfigEntry
from .central import CentralSystem, signal_charger_removed
from .const import DOMAIN
from .devices import connector_device_info, unique_id_for
from .model import Charger, Connector

# Sentinel for "no state written yet", distinct from any real value including None.
_UNSET: Any = object()


@dataclass(frozen=True, kw_only=True)
class OcppEntityDescription(EntityDescription):
    """Fields every platform's descriptions share."""

    # True: one entity per charger (connector 0); False: one per connector 1..N.
    charger_wide: bool = False
    # A charger-wide twin of a connector entity (charger status beside connector status): only
    # for chargers with several connectors; one connector shows the charger's values folded in.
    several_outlets_only: bool = False
    # Shows what the solar modes do: only once a grid power sensor makes them possible.
    solar_only: bool = False
    # Shows what charging costs: only once a price is set.
    tariff_only: bool = False
    exists_fn: Callable[[Connector], bool] = lambda _connector: True
    # Whether what it shows can change with a meter reading (see `OcppEntity.shows_readings`).
    follows_readings: bool = True
    # Capabilities of the charger the entity needs (smart charging for limits).
    charger_exists_fn: Callable[[Charger], bool] = lambda _charger: True


class OcppEntity(Entity):
    """An entity that reads one charger or connector of the model and writes only changes."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    # False for classes whose entities never show a reading (see `shows_readings`).
    platform_shows_readings: ClassVar[bool] = True
    entity_description: OcppEntityDescription

    def __init__(
        self,
        central: CentralSystem,
        charger: Charger,
        connector_id: int,
        description: OcppEntityDescription,
    ) -> None:
        """Bind the entity to one charger and connector."""
        self.central = central
        self.charger = charger
        self.connector_id = connector_id
        self.entity_description = description
        self._attr_unique_id = unique_id_for(charger, connector_id, description.key)
        self._written: Any = _UNSET

    @property
    @override
    def device_info(self) -> DeviceInfo:
        # Built when Home Assistant asks (once, when adding the entity) instead of kept by
        # every entity: with the charger's current firmware, and no copy per entity.
        return connector_device_info(self.charger, self.connector_id)

    @property
    def connector(self) -> Connector:
        """The connector (0 = charger) this entity shows."""
        return self.charger.connector(self.connector_id)

    @property
    @override
    def available(self) -> bool:
        # A control for a capability the charger turned out not to have is unavailable.
        return self.charger.connected and self.entity_description.charger_exists_fn(self.charger)

    def state_fingerprint(self) -> Any:
        """What the written state depends on; subclasses add their value."""
        return self.available

    @property
    def shows_readings(self) -> bool:
        """Whether a meter frame can change what it shows (else frames do not wake it).

        Statuses, settings, commands and events never follow a reading; their classes say so
        with `platform_shows_readings`, sensors of a status in their description.
        """
        return self.platform_shows_readings and self.entity_description.follows_readings

    @override
    async def async_added_to_hass(self) -> None:
        self._written = self.state_fingerprint()
        readings = self.shows_readings
        self.async_on_remove(
            self.charger.add_listener(self.connector_id, self._model_changed, readings=readings)
        )
        if self.connector_id != 0:
            # Availability follows the charger's connection, announced on connector 0.
            self.async_on_remove(
                self.charger.add_listener(0, self._model_changed, readings=readings)
            )

    @callback
    def _model_changed(self) -> None:
        """Write state only when what it shows changed: one meter frame, few writes."""
        fingerprint = self.state_fingerprint()
        if fingerprint != self._written:
            self._written = fingerprint
            self.async_write_ha_state()


type EntityFactory = Callable[[CentralSystem, Charger, int, Any], OcppEntity]


@callback
def async_setup_dynamic_entities(
    hass: HomeAssistant,
    entry: OcppConfigEntry,
    descriptions: Iterable[OcppEntityDescription],
    factory: EntityFactory,
    add_entities: Callable[[list[OcppEntity]], None],
) -> None:
    """Add entities for every approved charger now and whenever a charger needs more.

    Entities appear when what they show exists: connectors once reported, temperature or SoC
    once measured. A charger that turns out to have several connectors gets a child device per
    connector; entities created before that are moved onto connector 1's device.
    """
    central = entry.runtime_data
    descriptions = tuple(descriptions)
    added: set[str] = set()
    domain = async_get_current_platform().domain
    entity_registry = er.async_get(hass)

    def disabled(unique_id: str) -> bool:
        """Disabled by the user or by default: HA would only build it to throw it away.

        Enabling it reloads the config entry, which creates it then. With hundreds of
        chargers, skipping them saves a tenth of the start.
        """
        entity_id = entity_registry.async_get_entity_id(domain, DOMAIN, unique_id)
        return entity_id is not None and entity_registry.entities[entity_id].disabled

    def new_for(charge_point_id: str) -> list[OcppEntity]:
        charger = central.chargers.get(charge_point_id)
        if charger is None:
            return []
        _async_move_to_connector_devices(hass, entry, charger)
        _async_remove_excluded(hass, central, charger, descriptions, added)
        new: list[OcppEntity] = []
        for description in descriptions:
            if not description.charger_exists_fn(charger) or _excluded(
                central, charger, description
            ):
                continue
            connector_ids = [0] if description.charger_wide else charger.outlet_ids
            for connector_id in connector_ids:
                unique_id = unique_id_for(charger, connector_id, description.key)
                if unique_id in added or not description.exists_fn(charger.connector(connector_id)):
                    continue
                added.add(unique_id)
                if disabled(unique_id):
                    continue
                new.append(factory(central, charger, connector_id, description))
        return new

    @callback
    def add_for(charge_point_id: str) -> None:
        if new := new_for(charge_point_id):
            add_entities(new)

    @callback
    def forget(charge_point_id: str) -> None:
        prefix = f"{charge_point_id}_"
        added.difference_update({uid for uid in added if uid.startswith(prefix)})

    # The known chargers' entities in one call: Home Assistant adds them in one task instead
    # of one per charger, which with hundreds of chargers shortens the start.
    if known := [entity for cp_id in list(central.chargers) for entity in new_for(cp_id)]:
        add_entities(known)
    entry.async_on_unload(central.entity_queue.register(add_for))
    entry.async_on_unload(
        async_dispatcher_connect(hass, signal_charger_removed(entry.entry_id), forget)
    )


def _excluded(central: CentralSystem, charger: Charger, description: OcppEntityDescription) -> bool:
    """Whether an entity has nothing to show on this charger, by design, not by chance."""
    if description.several_outlets_only and charger.single_outlet:
        return True
    if description.tariff_only and not central.tariff.configured:
        return True
    return description.solar_only and not central.solar_configured


@callback
def _async_remove_excluded(
    hass: HomeAssistant,
    central: CentralSystem,
    charger: Charger,
    descriptions: Iterable[OcppEntityDescription],
    added: set[str],
) -> None:
    """Remove entities left from before they were excluded (see `_excluded`).

    A charger learned to have one connector (its charger-wide twins are folded in), or the
    grid sensor is gone (the solar sensors could only read Unknown): their registry entries
    would otherwise stay behind as unavailable entities.
    """
    if not charger.outlet_ids:
        return  # connectors not known yet: nothing is decided
    entity_registry = er.async_get(hass)
    for description in descriptions:
        if not _excluded(central, charger, description):
            continue
        connector_ids = [0] if description.charger_wide else charger.outlet_ids
        for connector_id in connector_ids:
            unique_id = unique_id_for(charger, connector_id, description.key)
            # Created again should it be included once more.
            added.discard(unique_id)
            # The description does not know its platform; these keys are unique across them.
            for platform in PLATFORMS:
                if entity_id := entity_registry.async_get_entity_id(platform, DOMAIN, unique_id):
                    entity_registry.async_remove(entity_id)


@callback
def _async_move_to_connector_devices(
    hass: HomeAssistant, entry: OcppConfigEntry, charger: Charger
) -> None:
    """Move connector 1's entities off the charger device once a second connector shows up."""
    if len(charger.outlet_ids) <= 1:
        return
    device_registry = dr.async_get(hass)
    charger_device = device_registry.async_get_device({(DOMAIN, charger.charge_point_id)})
    if charger_device is None:
        return
    entity_registry = er.async_get(hass)
    first = charger.outlet_ids[0]
    prefix = f"{charger.charge_point_id}_{first}_"
    for entity_entry in er.async_entries_for_device(entity_registry, charger_device.id):
        if entity_entry.unique_id.startswith(prefix):
            device = device_registry.async_get_or_create(
                config_entry_id=entry.entry_id, **connector_device_info(charger, first)
            )
            entity_registry.async_update_entity(entity_entry.entity_id, device_id=device.id)
