"""The owner's RFID cards on the chargers themselves (SendLocalList), so they work offline.

A charger with a local authorization list (1.6 LocalAuthListManagement, 2.x
LocalAuthListCtrlr) gets the cards as a full list, with a version that only grows, after
every connection and whenever the cards change. Nothing is sent until the owner lists a card:
a list the installer put on the charger is left alone until then.
"""

from __future__ import annotations

import hashlib
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


def fingerprint(entries: list[LocalListEntry]) -> str:
    """What the list holds, to tell whether the charger has it already."""
    text = "|".join(f"{e.id_tag}:{e.status}:{e.expiry}" for e in entries)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


async def async_sync(host: ControlHost, link: ChargerLink, tags: TagList) -> None:
    """Bring the charger's local list to the owner's cards, if it has one and they differ."""
    charger = link.charger
    if LOCAL_LIST_PROFILE not in charger.feature_profiles:
        return
    entries = list_entries(tags)
    wanted = fingerprint(entries)
    if not entries and charger.local_list_fingerprint is None:
        return  # the owner never listed a card: the installer's list stays
    try:
        version = await link.adapter.get_local_list_version()
        if wanted == charger.local_list_fingerprint and version == charger.local_list_version:
            return
        new_version = max(version, charger.local_list_version) + 1
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
    charger.local_list_fingerprint = wanted
    host.store.schedule_save()
