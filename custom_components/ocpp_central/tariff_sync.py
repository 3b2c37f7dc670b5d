"""The tariff on 2.1 chargers' displays (SetDefaultTariff), so the driver sees the price.

Sent after every boot and whenever the price or the fee changes (a price sensor's new hour
included); nothing is sent while the charger already shows the same tariff, nor to 1.6 and
2.0.1 chargers, which have no tariffs.
"""

from __future__ import annotations

import hashlib
import logging

from .errors import ChargerCommandError
from .host import ChargerLink, SessionHost
from .protocol.base import CommandStatus
from .protocol.commands import DefaultTariff


async def async_sync(host: SessionHost, link: ChargerLink) -> None:
    """Give a 2.1 charger the tariff in force, if it differs from what it shows."""
    tariff = host.tariff
    charger = link.charger
    if link.adapter.ocpp_version != "2.1" or not tariff.configured:
        return
    price = tariff.price_now()
    content = f"{tariff.currency}:{price}:{tariff.session_fee}"
    fingerprint = hashlib.sha256(content.encode()).hexdigest()[:12]
    if charger.tariff_shown == fingerprint:
        return
    request = DefaultTariff(
        tariff_id=f"HA-{fingerprint}",
        currency=tariff.currency,
        price_kwh=price,
        fixed_fee=tariff.session_fee,
    )
    try:
        status = await link.adapter.set_default_tariff(request)
    except ChargerCommandError as err:
        status = CommandStatus.FAILED
        detail = str(err)
    else:
        detail = status.value
    if status is CommandStatus.ACCEPTED:
        charger.tariff_shown = fingerprint
        return
    host.log_throttle.report(
        logging.INFO, f"Charger {charger.charge_point_id}", "did not take the tariff", detail
    )
