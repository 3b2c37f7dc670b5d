"""Switches: charging (start, pause/resume, stop) and availability."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from . import OcppConfigEntry
from .central import CentralSystem
from .charger_config import (
    LOCAL_AUTHORIZE_OFFLINE,
    LOCAL_PRE_AUTHORIZE,
    STOP_ON_EV_DISCONNECT,
    WellKnownSetting,
    as_bool,
    async_write,
)
from .const import DOMAIN
from .control import supports_smart_charging
from .entity import OcppEntity, OcppEntityDescription, async_setup_dynamic_entities
from .errors import ChargerRejectedError, translated_errors
from .model import Charger, Connector, ConnectorStatus
from .protocol.base import CommandStatus
from .session import ChargerSession
from .solar import ChargingMode

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class OcppSwitchEntityDescription(SwitchEntityDescription, OcppEntityDescription):
    """A switch of a charger or connector."""

    is_on_fn: Callable[[Charger, Connector], bool | None]
    turn_fn: Callable[[CentralSystem, ChargerSession, int, bool], Awaitable[None]]


def _charging(charger: Charger, connector: Connector) -> bool:
    """Whether the connector may charge the car: the mode is not Off (it holds 0 A).

    It is the user's choice, so it holds without a car too: the next car charges, or not.
    Chargers without smart charging cannot be held at 0 A: on while a session runs.
    """
    if supports_smart_charging(charger):
        return connector.desired.mode != ChargingMode.OFF
    return connector.transaction is not None


async def _turn_charging(
    central: CentralSystem, session: ChargerSession, connector_id: int, on: bool
) -> None:
    charger = session.charger
    connector = charger.connector(connector_id)
    transaction = connector.transaction
    control = central.control(charger.charge_point_id, connector_id)
    smart = supports_smart_charging(charger)
    if on:
        if smart and connector.desired.mode == ChargingMode.OFF:
            # Charging on in Off mode means charging: Fast, at the user's limit.
            central.solar(charger.charge_point_id, connector_id).manual_override(ChargingMode.FAST)
            await control.async_set_mode(ChargingMode.FAST)
        if transaction is not None:
            return
        if connector.status in (ConnectorStatus.FINISHING, ConnectorStatus.SUSPENDED_EV):
            # Many chargers refuse a new start until the cable was unplugged.
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="charger_finishing"
            )
        sent_at = dt_util.utcnow()
        status = await session.adapter.remote_start(connector_id, central.settings.id_tag)
        if status is not CommandStatus.ACCEPTED:
            raise ChargerRejectedError(status)
        session.expect_change([connector_id], status=True, sent_at=sent_at)
        return
    if smart:
        # Off holds the connector at 0 A: the session stays open (resuming needs no new
        # authorization), and the next session does not start charging either.
        central.solar(charger.charge_point_id, connector_id).manual_override(ChargingMode.OFF)
        await control.async_set_mode(ChargingMode.OFF)
        return
    if transaction is None:
        return
    sent_at = dt_util.utcnow()
    status = await session.adapter.remote_stop(transaction.transaction_id)
    if status is not CommandStatus.ACCEPTED:
        raise ChargerRejectedError(status)
    session.expect_change([connector_id], status=True, sent_at=sent_at)


async def _turn_availability(
    central: CentralSystem, session: ChargerSession, connector_id: int, on: bool
) -> None:
    # Stored, and sent again after the charger reboots or reconnects.
    await central.control(session.charger.charge_point_id, connector_id).async_set_available(on)


def _available(charger: Charger, connector: Connector) -> bool | None:
    """Operative as far as the charger reports; while it has not said, what the user chose."""
    status = charger.shown_status(connector)
    if status is None:
        return connector.desired.operative
    return status is not ConnectorStatus.UNAVAILABLE


def _setting_switch(key: str, setting: WellKnownSetting) -> OcppSwitchEntityDescription:
    """A switch for a well-known boolean setting of the charger (see `charger_config`)."""

    async def turn(
        central: CentralSystem, session: ChargerSession, _connector_id: int, on: bool
    ) -> None:
        status = await async_write(session, setting, "true" if on else "false")
        if status is CommandStatus.REBOOT_REQUIRED:
            key = setting.key_for(session.charger) or setting.v16_key
            central.reboot_required(session.charger, key)

    return OcppSwitchEntityDescription(
        key=key,
        translation_key=key,
        charger_wide=True,
        entity_category=EntityCategory.CONFIG,
        # An installer's setting, changed once if ever: enabled by those who need it.
        entity_registry_enabled_default=False,
        charger_exists_fn=lambda charger: setting.key_for(charger) is not None,
        is_on_fn=lambda charger, _connector: as_bool(setting.value(charger)),
        turn_fn=turn,
    )


SWITCHES: tuple[OcppSwitchEntityDescription, ...] = (
    OcppSwitchEntityDescription(
        key="charging",
        translation_key="charging",
        is_on_fn=_charging,
        turn_fn=_turn_charging,
    ),
    OcppSwitchEntityDescription(
        key="availability",
        translation_key="availability",
        entity_category=EntityCategory.CONFIG,
        is_on_fn=_available,
        turn_fn=_turn_availability,
    ),
    OcppSwitchEntityDescription(
        key="charger_availability",
        translation_key="charger_availability",
        charger_wide=True,
        several_outlets_only=True,
        entity_category=EntityCategory.CONFIG,
        is_on_fn=_available,
        turn_fn=_turn_availability,
    ),
    _setting_switch("local_authorize_offline", LOCAL_AUTHORIZE_OFFLINE),
    _setting_switch("local_pre_authorize", LOCAL_PRE_AUTHORIZE),
    _setting_switch("stop_on_ev_disconnect", STOP_ON_EV_DISCONNECT),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OcppConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up switches for every approved charger, now and as chargers appear."""
    async_setup_dynamic_entities(hass, entry, SWITCHES, OcppSwitch, async_add_entities)


class OcppSwitch(OcppEntity, SwitchEntity):
    """A switch that sends a command to the charger."""

    entity_description: OcppSwitchEntityDescription

    platform_shows_readings = False

    @property
    @override
    def is_on(self) -> bool | None:
        return self.entity_description.is_on_fn(self.charger, self.connector)

    @override
    def state_fingerprint(self) -> Any:
        return (self.available, self.is_on)

    async def _turn(self, on: bool) -> None:
        with translated_errors(self.entity_description.key):
            session = self.central.accepted_session(self.charger.charge_point_id)
            await self.entity_description.turn_fn(self.central, session, self.connector_id, on)

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        await self._turn(True)

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        await self._turn(False)
