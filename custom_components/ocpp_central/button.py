"""Buttons: restart a charger, unlock a connector, stop a session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import override

from homeassistant.components.button import ButtonDeviceClass, ButtonEntity, ButtonEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from . import OcppConfigEntry
from .const import DOMAIN
from .entity import OcppEntity, OcppEntityDescription, async_setup_dynamic_entities
from .errors import ChargerRejectedError, translated_errors
from .protocol.base import CommandStatus
from .protocol.commands import ResetKind
from .session import ChargerSession

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class OcppButtonEntityDescription(ButtonEntityDescription, OcppEntityDescription):
    """A button sending one command."""

    press_fn: Callable[[ChargerSession, int], Awaitable[CommandStatus]]
    # Answers that mean the command was taken (a reset may be scheduled after the session).
    success: frozenset[CommandStatus] = frozenset({CommandStatus.ACCEPTED})


async def _stop_session(session: ChargerSession, connector_id: int) -> CommandStatus:
    """End the connector's session (the charging switch only pauses it)."""
    transaction = session.charger.connector(connector_id).transaction
    if transaction is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_transaction",
            translation_placeholders={"charger": session.charger.charge_point_id},
        )
    sent_at = dt_util.utcnow()
    status = await session.adapter.remote_stop(transaction.transaction_id)
    if status is CommandStatus.ACCEPTED:
        session.expect_change([connector_id], status=True, sent_at=sent_at)
    return status


async def _restart(session: ChargerSession, _connector_id: int) -> CommandStatus:
    """Restart the charger when idle (a soft reset; the charger may schedule it)."""
    status = await session.adapter.reset(ResetKind.SOFT)
    if status in (CommandStatus.ACCEPTED, CommandStatus.SCHEDULED):
        session.restart_requested()
    return status


async def _request_diagnostics(session: ChargerSession, _connector_id: int) -> CommandStatus:
    """Have the charger upload its diagnostics into Home Assistant (an event announces it)."""
    result = await session.central.maintenance.async_request_log(session.charger)
    return result.status


BUTTONS: tuple[OcppButtonEntityDescription, ...] = (
    OcppButtonEntityDescription(
        key="reset",
        device_class=ButtonDeviceClass.RESTART,
        entity_category=EntityCategory.CONFIG,
        charger_wide=True,
        press_fn=_restart,
        success=frozenset({CommandStatus.ACCEPTED, CommandStatus.SCHEDULED}),
    ),
    OcppButtonEntityDescription(
        key="request_diagnostics",
        translation_key="request_diagnostics",
        # For support cases only.
        entity_registry_enabled_default=False,
        charger_wide=True,
        entity_category=EntityCategory.DIAGNOSTIC,
        press_fn=_request_diagnostics,
        success=frozenset({CommandStatus.ACCEPTED, CommandStatus.ACCEPTED_CANCELED}),
    ),
    OcppButtonEntityDescription(
        key="unlock",
        translation_key="unlock",
        press_fn=lambda session, connector: session.adapter.unlock_connector(connector),
    ),
    OcppButtonEntityDescription(
        key="stop_session",
        translation_key="stop_session",
        press_fn=_stop_session,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OcppConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up buttons for every approved charger, now and as chargers appear."""
    async_setup_dynamic_entities(hass, entry, BUTTONS, OcppButton, async_add_entities)


class OcppButton(OcppEntity, ButtonEntity):
    """A button that sends a command to the charger."""

    entity_description: OcppButtonEntityDescription

    platform_shows_readings = False

    @override
    async def async_press(self) -> None:
        with translated_errors(self.entity_description.key):
            session = self.central.accepted_session(self.charger.charge_point_id)
            status = await self.entity_description.press_fn(session, self.connector_id)
            if status not in self.entity_description.success:
                raise ChargerRejectedError(status)
