"""The owner's RFID cards on the chargers themselves (SendLocalList), so they work offline.

A charger with a local authorization list (1.6 LocalAuthListManagement, 2.x
LocalAuthListCtrlr) gets the cards, with a version that only grows, after every connection
and whenever the cards change: the changes alone while it holds our last list, else the
whole list. Nothing is sent until the owner lists a card:
a list the installer put on the charger is left alone until then.
"""

from __future__ import annotations

import logging
from typing import Final

from homeassistant.util import dt as dt_util

from .errors import ChargerCommandError
from .host import ChargerLink, ControlHost
from .protocol.base import CommandStatus
from .protocol.commands import LocalListEntry, UpdateType
from .tags import TagList

LOCAL_LIST_PROFILE: Final = "LocalAuthListManagement"


def list_entries(tags: TagList) -> list[LocalListEntry]:
    """The cards as local list entries, with their state now (blocked, expired)."""
    now = dt_util.utcnow()
    return [
        LocalListEntry(id_tag=tag.id_tag, status=tag.status(now), expiry=tag.expiry)
        for tag in sorted(tags.tags.values(), key=lambda tag: tag.id_tag)
    ]


def _card_state(entry: LocalListEntry) -> str:
    """What the charger holds for one card (compared to tell what changed)."""
    return f"{entry.status}:{entry.expiry}"


async def async_sync(host: ControlHost, link: ChargerLink, tags: TagList) -> None:
    """Bring the charger's local list to the owner's cards, if it has one and they differ.

    When the charger still holds our last list at our version, only the changes go out
    (Differential: changed cards, and removed ones without idTagInfo); otherwise, or when the
    charger refuses the change, the whole list (Full) with a higher version.
    """
    charger = link.charger
    if LOCAL_LIST_PROFILE not in charger.feature_profiles:
        return
    entries = list_entries(tags)
    wanted = {entry.id_tag: _card_state(entry) for entry in entries}
    held = charger.local_list_cards
    if not entries and held is None:
        return  # the owner never listed a card: the installer's list stays
    try:
        version = await link.adapter.get_local_list_version()
        ours = held is not None and version == charger.local_list_version
        if ours and held == wanted:
            return
        status = CommandStatus.REJECTED
        new_version = max(version, charger.local_list_version) + 1
        if ours and held is not None:
            changes = [entry for entry in entries if held.get(entry.id_tag) != wanted[entry.id_tag]]
            changes += [
                LocalListEntry(id_tag, status=None) for id_tag in held if id_tag not in wanted
            ]
            status = await link.adapter.send_local_list(
                new_version, changes, UpdateType.DIFFERENTIAL
            )
        if status is not CommandStatus.ACCEPTED:
            status = await link.adapter.send_local_list(new_version, entries, UpdateType.FULL)
    except ChargerCommandError as err:
        host.log_throttle.report(
            logging.WARNING,
            f"Charger {charger.charge_point_id}",
            "did not take the card list",
            str(err),
        )
        return
    if status is not CommandStatus.ACCEPTED:
        host.log_throttle.report(
            logging.WARNING,
            f"Charger {charger.charge_point_id}",
            "did not take the card list",
            status.value,
        )
        return
    charger.local_list_version = new_version
    charger.local_list_cards = wanted
    host.store.schedule_save()
