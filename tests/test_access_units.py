"""Small cases of the tariff, reservations, history records and the security wizard."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ocpp_central.energy_statistics import EnergyBackfill
from custom_components.ocpp_central.history import SessionFilter, SessionRecord
from custom_components.ocpp_central.model import Charger, ConnectorStatus, Transaction
from custom_components.ocpp_central.reservations import Reservations
from custom_components.ocpp_central.tariff import (
    CONF_PRICE,
    CONF_PRICE_SENSOR,
    CONF_SESSION_FEE,
    Tariff,
)


def _transaction() -> Transaction:
    now = dt_util.utcnow()
    return Transaction("7", 1, "TAG", now, meter_start_wh=0, meter_last_wh=0)


async def test_tariff_prices(hass: HomeAssistant) -> None:
    """Sensor units convert; a sensor without a number falls back to the fixed price."""
    options: dict[str, Any] = {}
    tariff = Tariff(hass, lambda: options)
    transaction = _transaction()
    assert not tariff.configured
    assert tariff.price_now() is None
    tariff.account(transaction, 1000)
    assert tariff.session_cost(transaction) is None
    options.update({CONF_PRICE: 0.2, CONF_PRICE_SENSOR: "sensor.price", CONF_SESSION_FEE: 1})
    hass.states.async_set("sensor.price", "100", {"unit_of_measurement": "EUR/MWh"})
    assert tariff.price_now() == pytest.approx(0.1)
    hass.states.async_set("sensor.price", "0.0003", {"unit_of_measurement": "EUR/Wh"})
    assert tariff.price_now() == pytest.approx(0.3)
    hass.states.async_set("sensor.price", "not a number")
    assert tariff.price_now() == 0.2
    hass.states.async_set("sensor.price", "nan")
    assert tariff.price_now() == 0.2
    tariff.account(transaction, 0)
    tariff.account(transaction, 2000)
    assert tariff.session_cost(transaction) == pytest.approx(0.4 + 1)
    tariff.finish(transaction)
    options[CONF_SESSION_FEE] = 5
    # The fee of a finished session stays what it was.
    assert tariff.session_cost(transaction) == pytest.approx(0.4 + 1)


async def test_reservation_bookkeeping(hass: HomeAssistant) -> None:
    """A new reservation replaces the old; leaving Reserved ends it; stop cancels timers."""
    charger = Charger("CP1")
    reservations = Reservations(hass)
    later = dt_util.utcnow() + timedelta(hours=1)
    reservations.made(charger, 1, 1, "A", later)
    reservations.made(charger, 1, 2, "B", later)
    held = charger.connector(1).reservation
    assert held is not None
    assert held.reservation_id == 2
    connector = charger.connector(1)
    connector.status = ConnectorStatus.RESERVED
    assert charger.shown_status(connector) is ConnectorStatus.RESERVED
    connector.status = ConnectorStatus.AVAILABLE
    # Still held: some chargers keep reporting Available.
    assert charger.shown_status(connector) is ConnectorStatus.RESERVED
    reservations.status_changed(charger, connector, ConnectorStatus.RESERVED)
    assert connector.reservation is None
    # A reservation for any connector is used by a session of its card.
    reservations.made(charger, 0, 3, "Card", later)
    reservations.session_started(charger, 1, "CARD")
    assert charger.main.reservation is None
    reservations.made(charger, 1, 4, "C", later)
    reservations.ended(charger, 99)
    assert charger.connector(1).reservation is not None
    reservations.stop()


def test_session_records_and_filters() -> None:
    """Damaged records are skipped; filters select by period, charger, card and person."""
    now = dt_util.utcnow()
    record = SessionRecord(
        "CP1", 1, "7", now - timedelta(hours=2), now - timedelta(hours=1), 2.0, 3600, "TAG",
        "Alice", "person.alice", "Local", 0, 2000, 7400.0, 0.6, "EUR",
    )  # fmt: skip
    assert SessionRecord.from_dict(record.as_dict()) == record
    assert SessionRecord.from_dict({"started_at": "x"}) is None
    assert SessionRecord.from_dict({"started_at": "garbage", "stopped_at": "garbage"}) is None
    assert SessionFilter(id_tag="tag").matches(record)
    assert not SessionFilter(start=now).matches(record)
    assert not SessionFilter(end=now - timedelta(hours=3)).matches(record)
    assert not SessionFilter(charge_point_id="CP2").matches(record)
    assert not SessionFilter(person="person.bob").matches(record)


async def test_security_wizard_without_chargers(
    hass: HomeAssistant, central: MockConfigEntry
) -> None:
    """With no accepted charger there is nothing to protect."""
    result = await hass.config_entries.options.async_init(central.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "security"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_chargers"


async def test_energy_backfill_without_a_recorder(hass: HomeAssistant) -> None:
    """Late readings are held until the flush; without a recorder they are dropped quietly."""
    backfill = EnergyBackfill(hass)
    now = dt_util.utcnow()
    backfill.reading("CP1_1_energy", now, 1.0)  # live: the recorder's own
    backfill.reading("CP1_1_energy", now - timedelta(days=30), 1.0)  # beyond any replay
    assert not backfill._pending
    backfill.reading("CP1_1_energy", now - timedelta(hours=2), 1.0)
    assert backfill._pending
    await backfill.async_flush()
    assert not backfill._pending
    backfill.reading("CP1_1_energy", now - timedelta(hours=2), 1.0)
    backfill.async_stop()
    assert not backfill._pending
