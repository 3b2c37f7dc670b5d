"""New entities for chargers, added one platform at a time so frames are served in between.

Adding a charger's entities costs Home Assistant tens of milliseconds (registry entries,
device lookups, event tracking, the first state write). When a site comes back after a power
cut, hundreds of new chargers boot within seconds; adding their entities inside the frame
handlers would hold the event loop for seconds and every charger's answers would wait. So a
charger that needs entities is queued, and one task adds them a platform at a time, yielding
to the event loop after each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback

type EntityAdder = Callable[[str], None]


class EntityQueue:
    """Chargers waiting for entities, and the platforms that add them."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Start empty; platforms register their adders when they are set up."""
        self._hass = hass
        self._entry = entry
        self._adders: list[EntityAdder] = []
        # An ordered set: chargers get their entities in the order they asked.
        self._waiting: dict[str, None] = {}
        self._task: asyncio.Task[None] | None = None

    @callback
    def register(self, adder: EntityAdder) -> Callable[[], None]:
        """Let a platform add entities for queued chargers; returns the unregister call."""
        self._adders.append(adder)
        return lambda: self._adders.remove(adder)

    @callback
    def request(self, charge_point_id: str) -> None:
        """Queue a charger that may need new entities (new charger, connector, measurand)."""
        self._waiting[charge_point_id] = None
        if self._task is None:
            # A tracked task: `async_block_till_done` (and unloading) waits for it.
            self._task = self._entry.async_create_task(
                self._hass, self._add_waiting(), "ocpp_central add entities", eager_start=False
            )

    @callback
    def forget(self, charge_point_id: str) -> None:
        """A removed charger needs no entities any more."""
        self._waiting.pop(charge_point_id, None)

    async def _add_waiting(self) -> None:
        try:
            while self._waiting:
                charge_point_id = next(iter(self._waiting))
                del self._waiting[charge_point_id]
                for adder in list(self._adders):
                    if adder in self._adders:  # not unloaded meanwhile
                        adder(charge_point_id)
                        await asyncio.sleep(0)
        finally:
            self._task = None
