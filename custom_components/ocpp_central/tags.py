"""RFID cards (id tags) the owner manages in the UI, and who may charge.

The list lives in the config entry's options (edited in the options flow, no reload). A known
tag is accepted unless blocked or expired; an unknown tag follows the policy: accept, reject,
or accept and remember it so the owner can add it with a name. The default accepts every tag
while the list is empty (a new installation charges) and rejects unknown ones once the owner
has listed cards. OCPP id tags are compared without regard to case (1.6 section 7.29,
2.x IdTokenType).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from homeassistant.util import dt as dt_util

from .protocol.base import AuthorizationStatus

CONF_TAGS: Final = "tags"
CONF_UNKNOWN_TAGS: Final = "unknown_tags"


class UnknownTagPolicy(StrEnum):
    """What happens to a card that is not in the list."""

    # Accept while the list is empty, reject once cards are listed.
    AUTO = "auto"
    ACCEPT = "accept"
    REJECT = "reject"
    # Accept, and remember it so the owner can name it in the options.
    RECORD = "record"


@dataclass(frozen=True, slots=True)
class IdTag:
    """A card of the list."""

    id_tag: str
    name: str | None = None
    # An HA person entity (person.alice), shown with the sessions and card events.
    person: str | None = None
    expiry: datetime | None = None
    blocked: bool = False

    @classmethod
    def from_option(cls, stored: Mapping[str, Any]) -> IdTag:
        """A card as the options store it."""
        expiry = stored.get("expiry")
        return cls(
            id_tag=str(stored["id_tag"]),
            name=stored.get("name") or None,
            person=stored.get("person") or None,
            expiry=dt_util.parse_datetime(expiry) if isinstance(expiry, str) else None,
            blocked=bool(stored.get("blocked", False)),
        )

    def as_option(self) -> dict[str, Any]:
        """The card as the options store it."""
        return {
            "id_tag": self.id_tag,
            "name": self.name,
            "person": self.person,
            "expiry": None if self.expiry is None else self.expiry.isoformat(),
            "blocked": self.blocked,
        }

    def status(self, now: datetime) -> AuthorizationStatus:
        """Whether this card may charge now."""
        if self.blocked:
            return AuthorizationStatus.BLOCKED
        if self.expiry is not None and self.expiry <= now:
            return AuthorizationStatus.EXPIRED
        return AuthorizationStatus.ACCEPTED


@dataclass(frozen=True, slots=True)
class TagDecision:
    """Whether a presented card may charge, and what the owner knows of it."""

    status: AuthorizationStatus
    tag: IdTag | None
    # An unknown card to remember (policy RECORD).
    record: bool = False


@dataclass(frozen=True, slots=True)
class TagList:
    """The owner's cards and the policy for the others."""

    tags: Mapping[str, IdTag]
    policy: UnknownTagPolicy = UnknownTagPolicy.AUTO

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> TagList:
        """The list and policy as the config entry's options hold them."""
        tags = [IdTag.from_option(item) for item in options.get(CONF_TAGS, ())]
        try:
            policy = UnknownTagPolicy(options.get(CONF_UNKNOWN_TAGS, UnknownTagPolicy.AUTO))
        except ValueError:
            policy = UnknownTagPolicy.AUTO
        return cls({tag.id_tag.casefold(): tag for tag in tags}, policy)

    def find(self, id_tag: str) -> IdTag | None:
        """The listed card, whatever the case of the presented id."""
        return self.tags.get(id_tag.casefold())

    def decide(self, id_tag: str, now: datetime | None = None) -> TagDecision:
        """May this card charge?"""
        tag = self.find(id_tag)
        if tag is not None:
            return TagDecision(tag.status(now or dt_util.utcnow()), tag)
        match self.policy:
            case UnknownTagPolicy.ACCEPT:
                return TagDecision(AuthorizationStatus.ACCEPTED, None)
            case UnknownTagPolicy.RECORD:
                return TagDecision(AuthorizationStatus.ACCEPTED, None, record=True)
            case UnknownTagPolicy.REJECT:
                return TagDecision(AuthorizationStatus.INVALID, None)
        status = AuthorizationStatus.INVALID if self.tags else AuthorizationStatus.ACCEPTED
        return TagDecision(status, None)
