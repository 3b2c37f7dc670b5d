"""Fixable repairs: restart a charger whose settings wait for a restart."""

from __future__ import annotations

from typing import Any

from homeassistant import data_entry_flow
from homeassistant.components.repairs import RepairsFlow
from homeassistant.core import HomeAssistant

from .errors import ChargerCommandError
from .protocol.base import CommandStatus
from .protocol.commands import ResetKind


class RestartChargerFlow(RepairsFlow):
    """Confirm, then send a soft Reset (the charger restarts when idle)."""

    def __init__(self, entry_id: str, charge_point_id: str) -> None:
        """Remember which charger of which central system."""
        self._entry_id = entry_id
        self._charge_point_id = charge_point_id

    async def async_step_init(
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        """Start at the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        """Restart the charger once the owner confirms."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        central = getattr(entry, "runtime_data", None)
        if user_input is None:
            charger = None if central is None else central.chargers.get(self._charge_point_id)
            keys = "" if charger is None else ", ".join(sorted(charger.reboot_required_keys))
            return self.async_show_form(
                step_id="confirm",
                description_placeholders={"charger": self._charge_point_id, "keys": keys},
            )
        session = None if central is None else central.sessions.get(self._charge_point_id)
        if session is None or not session.accepted:
            return self.async_abort(reason="charger_offline")
        try:
            status = await session.adapter.reset(ResetKind.SOFT)
        except ChargerCommandError:
            return self.async_abort(reason="restart_failed")
        if status not in (CommandStatus.ACCEPTED, CommandStatus.SCHEDULED):
            return self.async_abort(reason="restart_failed")
        session.restart_requested()
        # The issue goes once the charger has booted again (`CentralSystem.reboot_done`).
        return self.async_create_entry(data={})


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """The fix flow of a reboot_required issue."""
    assert data is not None
    return RestartChargerFlow(str(data["entry_id"]), str(data["charge_point_id"]))
