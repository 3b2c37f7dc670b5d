"""What charging costs: a fixed price per kWh or an HA price sensor, plus a fee per session.

The energy cost of a session is integrated reading by reading: each increase of the energy
register is priced at the price in force when the reading arrives (a Nord Pool sensor's
hourly price, for example), not the session's energy multiplied by the last price. The fee
is added once per session. The currency is Home Assistant's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
import math
from typing import Any, Final

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant

from .model import Transaction

CONF_PRICE: Final = "price_per_kwh"
CONF_PRICE_SENSOR: Final = "price_sensor"
CONF_SESSION_FEE: Final = "session_fee"
# Prices in a sensor's unit per MWh or per Wh are converted to per kWh.
_PER_KWH: Final = {"/kwh": 1.0, "/mwh": 0.001, "/wh": 1000.0}


@dataclass(frozen=True, slots=True)
class Tariff:
    """The tariff of a central system (options), read live."""

    hass: HomeAssistant
    options: Callable[[], Mapping[str, Any]]

    @property
    def currency(self) -> str:
        """Home Assistant's currency."""
        return self.hass.config.currency

    @property
    def configured(self) -> bool:
        """Whether any price is set (otherwise sessions have no cost)."""
        options = self.options()
        return bool(options.get(CONF_PRICE_SENSOR)) or options.get(CONF_PRICE) is not None

    @property
    def session_fee(self) -> float:
        """The fixed fee per session."""
        return float(self.options().get(CONF_SESSION_FEE) or 0.0)

    def price_now(self) -> float | None:
        """The price per kWh now: the sensor's (when set and valid), else the fixed price."""
        options = self.options()
        if sensor := options.get(CONF_PRICE_SENSOR):
            state = self.hass.states.get(str(sensor))
            if state is not None and state.state not in (STATE_UNAVAILABLE, STATE_UNKNOWN):
                try:
                    value = float(state.state)
                except ValueError:
                    value = math.nan
                if math.isfinite(value):
                    unit = str(state.attributes.get("unit_of_measurement") or "").lower()
                    factor = next(
                        (f for suffix, f in _PER_KWH.items() if unit.endswith(suffix)), 1.0
                    )
                    return value * factor
        price = options.get(CONF_PRICE)
        return None if price is None else float(price)

    def account(self, transaction: Transaction, delivered_wh: float) -> None:
        """Price energy delivered in a session now (called as readings arrive)."""
        if delivered_wh <= 0:
            return
        price = self.price_now()
        if price is not None:
            transaction.energy_cost += delivered_wh / 1000 * price
            transaction.priced = True

    def session_cost(self, transaction: Transaction) -> float | None:
        """A session's cost so far: its energy cost plus the fee (None without any price).

        A 2.1 charger that calculates the cost itself (from the tariff we sent) is believed:
        its figure is what its display showed the driver.
        """
        if transaction.charger_cost is not None:
            return round(transaction.charger_cost, 4)
        if not transaction.priced and not self.configured:
            return None
        fee = self.session_fee if transaction.fee is None else transaction.fee
        return round(transaction.energy_cost + fee, 4)

    def finish(self, transaction: Transaction) -> None:
        """A session ended: its fee is the one in force now."""
        if transaction.fee is None:
            transaction.fee = self.session_fee if (transaction.priced or self.configured) else 0.0
