"""Reservations made from Home Assistant: held on the connector until used, ended or expired.

The charger enforces a reservation itself; this keeps what Home Assistant shows in step:
Status reads "Reserved" (also on chargers that go on reporting Available) and the Reserved
until sensor the expiry, until a session starts on the connector, the reservation is
cancelled, the charger ends it (2.x ReservationStatusUpdate, a 1.6 connector going from
Reserved to another state without a session), or it expires.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_utc_time

from .const import LOGGER
from .model import Charger, Connector, ConnectorStatus, HeldReservation


class Reservations:
    """The reservations of one central system's chargers."""

    def __init__(self, hass: HomeAssistant) -> None:
        """No reservation yet."""
        self._hass = hass
        # (charger id, reservation id) -> cancels the expiry timer.
        self._expiry: dict[tuple[str, int], Callable[[], None]] = {}

    @callback
    def made(
        self,
        charger: Charger,
        connector_id: int,
        reservation_id: int,
        id_tag: str,
        expires: datetime,
    ) -> None:
        """The charger accepted a reservation (connector 0: any connector)."""
        connector = charger.connector(connector_id)
        if connector.reservation is not None:
            self._clear(charger, connector)
        connector.reservation = HeldReservation(reservation_id, id_tag, expires)
        key = (charger.charge_point_id, reservation_id)

        @callback
        def expired(_now: datetime) -> None:
            self._expiry.pop(key, None)
            LOGGER.info("Reservation %s on %s expired", reservation_id, charger.charge_point_id)
            self.ended(charger, reservation_id)

        self._expiry[key] = async_track_point_in_utc_time(self._hass, expired, expires)
        charger.notify(connector_id)

    @callback
    def ended(self, charger: Charger, reservation_id: int) -> None:
        """A reservation was cancelled, used, removed or expired."""
        for connector in charger.connectors.values():
            held = connector.reservation
            if held is not None and held.reservation_id == reservation_id:
                self._clear(charger, connector)

    @callback
    def session_started(self, charger: Charger, connector_id: int, id_tag: str | None) -> None:
        """A session on a connector uses its reservation (or one for any connector)."""
        connector = charger.connector(connector_id)
        if connector.reservation is not None:
            self._clear(charger, connector)
        held = charger.main.reservation
        if held is not None and id_tag is not None and held.id_tag.casefold() == id_tag.casefold():
            self._clear(charger, charger.main)

    @callback
    def status_changed(
        self, charger: Charger, connector: Connector, previous: ConnectorStatus | None
    ) -> None:
        """A 1.6 connector left Reserved without a session: the charger ended it."""
        if (
            connector.reservation is not None
            and previous is ConnectorStatus.RESERVED
            and connector.status is not ConnectorStatus.RESERVED
            and connector.transaction is None
        ):
            self._clear(charger, connector)

    def _clear(self, charger: Charger, connector: Connector) -> None:
        held = connector.reservation
        if held is None:
            return
        connector.reservation = None
        if (
            cancel := self._expiry.pop((charger.charge_point_id, held.reservation_id), None)
        ) is not None:
            cancel()
        charger.notify(connector.connector_id)

    @callback
    def stop(self) -> None:
        """Cancel every expiry timer (the central system stops)."""
        for cancel in self._expiry.values():
            cancel()
        self._expiry.clear()
