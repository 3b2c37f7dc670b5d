"""Binary sensors: connection, vehicle plugged in, charging and fault."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import OcppConfigEntry
from .entity import OcppEntity, OcppEntityDescription, async_setup_dynamic_entities
from .model import PLUGGED_IN_STATUSES, Charger, Connector, ConnectorStatus, ErrorCode

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class OcppBinarySensorEntityDescription(BinarySensorEntityDescription, OcppEntityDescription):
    """A binary sensor of a charger or connector."""

    is_on_fn: Callable[[Charger, Connector], bool | None]


def _has_fault(charger: Charger, connector: Connector) -> bool | None:
    """Faulted, or an error reported (the charger's own folded into its connectors')."""
    status, error = charger.shown_status(connector), charger.shown_error(connector)
    if status is None and error is None:
        return None
    return status is ConnectorStatus.FAULTED or error not in (None, ErrorCode.NO_ERROR)


def _status_in(statuses: frozenset[ConnectorStatus]) -> Callable[[Charger, Connector], bool | None]:
    def is_on(charger: Charger, connector: Connector) -> bool | None:
        status = charger.shown_status(connector)
        return None if status is None else status in statuses

    return is_on


BINARY_SENSORS: tuple[OcppBinarySensorEntityDescription, ...] = (
    OcppBinarySensorEntityDescription(
        key="connected",
        charger_wide=True,
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=lambda charger, _connector: charger.connected,
    ),
    OcppBinarySensorEntityDescription(
        key="charger_fault",
        translation_key="charger_fault",
        charger_wide=True,
        several_outlets_only=True,
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=_has_fault,
    ),
    OcppBinarySensorEntityDescription(
        key="plugged_in",
        translation_key="plugged_in",
        device_class=BinarySensorDeviceClass.PLUG,
        is_on_fn=_status_in(PLUGGED_IN_STATUSES),
    ),
    OcppBinarySensorEntityDescription(
        key="charging",
        translation_key="charging",
        device_class=BinarySensorDeviceClass.BATTERY_CHARGING,
        is_on_fn=_status_in(frozenset({ConnectorStatus.CHARGING})),
    ),
    OcppBinarySensorEntityDescription(
        key="fault",
        translation_key="fault",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=_has_fault,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OcppConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up binary sensors for every approved charger, now and as chargers appear."""
    async_setup_dynamic_entities(hass, entry, BINARY_SENSORS, OcppBinarySensor, async_add_entities)


class OcppBinarySensor(OcppEntity, BinarySensorEntity):
    """A binary sensor of one charger or connector."""

    entity_description: OcppBinarySensorEntityDescription

    platform_shows_readings = False

    @property
    @override
    def available(self) -> bool:
        # The connectivity sensor must say "off" while disconnected, not "unavailable".
        return self.entity_description.key == "connected" or super().available

    @property
    @override
    def is_on(self) -> bool | None:
        return self.entity_description.is_on_fn(self.charger, self.connector)

    @override
    def state_fingerprint(self) -> Any:
        return (self.available, self.is_on)
