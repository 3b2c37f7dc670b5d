"""Session history and cost: recorded sessions, a changing price, totals, exports."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
import io
import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from syrupy.assertion import SnapshotAssertion

from custom_components.ocpp_central.const import (
    CONF_AUTO_ACCEPT,
    CONF_HEARTBEAT_INTERVAL,
    CONF_METER_INTERVAL,
    DOMAIN,
)
from custom_components.ocpp_central.history import (
    CONF_HOME_CHARGING_COMPENSATION,
    SessionRecord,
    to_csv,
)
from custom_components.ocpp_central.model import SignedReading
from custom_components.ocpp_central.ocpi_objects import Site, cdrs_json
from custom_components.ocpp_central.tags import CONF_TAGS
from custom_components.ocpp_central.tariff import CONF_PRICE, CONF_PRICE_SENSOR, CONF_SESSION_FEE

from .conftest import ALL_VERSIONS
from .helpers import smart_charger, state, wait_until

PRICED = {
    CONF_AUTO_ACCEPT: True,
    CONF_HEARTBEAT_INTERVAL: 300,
    CONF_METER_INTERVAL: 10,
    CONF_PRICE: 0.30,
    CONF_PRICE_SENSOR: "sensor.electricity_price",
    CONF_SESSION_FEE: 0.5,
    CONF_HOME_CHARGING_COMPENSATION: True,
    CONF_TAGS: [{"id_tag": "ALICE01", "name": "Alice", "person": "person.alice"}],
}
# The fields every OCPI 2.2.1 CDR must have.
CDR_REQUIRED = {
    "country_code",
    "party_id",
    "id",
    "start_date_time",
    "end_date_time",
    "cdr_token",
    "auth_method",
    "cdr_location",
    "currency",
    "charging_periods",
    "total_cost",
    "total_energy",
    "total_time",
    "last_updated",
}


@pytest.fixture(autouse=True)
def config_dir(hass: HomeAssistant, tmp_path: Path) -> None:
    """Exports go to a temporary configuration folder."""
    hass.config.config_dir = str(tmp_path)


async def _charge(sim: Any, start_wh: float, *steps_wh: float) -> None:
    """A session from `start_wh` with readings at each step, then stopped at the last one."""
    await sim.status(1, "Charging")
    transaction_id = await sim.start_transaction(1, id_tag="ALICE01", meter_start_wh=start_wh)
    for value in steps_wh:
        await sim.meter_values(
            1,
            [{"value": f"{value:.0f}", "unit": "Wh", "context": "Sample.Periodic"}],
            transaction_id,
        )
    await sim.stop_transaction(1)


async def _tariff_shown(hass: HomeAssistant, sim: Any, ocpp_version: str, price: float) -> None:
    """On 2.1, wait until the charger's display shows `price` per kWh."""
    if ocpp_version != "2.1":
        return
    shown = sim.protocol_layer().state

    def prices() -> list[dict[str, float]]:
        return [] if shown.tariff is None else shown.tariff["energy"]["prices"]

    await wait_until(hass, lambda: prices() == [{"price_kwh": price}])


@ALL_VERSIONS
@pytest.mark.parametrize("options", [PRICED])
async def test_sessions_are_recorded_and_priced_as_they_charge(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    options: dict[str, Any],
    ocpp_version: str,
) -> None:
    """Each kWh is priced at the price of its time; the fee comes once; the card's name too."""
    hass.states.async_set("sensor.electricity_price", "0.10", {"unit_of_measurement": "EUR/kWh"})
    sim = await smart_charger(hass, central, make_simulator)
    runtime = central.runtime_data
    # A 2.1 charger prices the session itself (costDetails) by the tariff it was given.
    await _tariff_shown(hass, sim, ocpp_version, 0.1)
    await sim.status(1, "Charging")
    transaction_id = await sim.start_transaction(1, id_tag="ALICE01", meter_start_wh=10000)
    await sim.meter_values(1, [{"value": "11000", "unit": "Wh"}], transaction_id)
    await wait_until(hass, lambda: state(hass, "sensor", "CP1_1_session_cost").state == "0.6")
    # The price changes (a new hour): the next kWh costs more.
    hass.states.async_set("sensor.electricity_price", "500", {"unit_of_measurement": "EUR/MWh"})
    await _tariff_shown(hass, sim, ocpp_version, 0.5)
    await sim.meter_values(1, [{"value": "12000", "unit": "Wh"}], transaction_id)
    await sim.stop_transaction(1)
    await wait_until(hass, lambda: len(runtime.history.records) == 1)
    record = runtime.history.records[0]
    assert record.energy_kwh == 2.0
    assert record.cost == pytest.approx(0.10 + 0.50 + 0.5)
    assert record.currency == hass.config.currency
    assert (record.tag_name, record.person, record.id_tag) == ("Alice", "person.alice", "ALICE01")
    assert (record.meter_start_wh, record.meter_stop_wh) == (10000, 12000)
    assert float(state(hass, "sensor", "CP1_energy_this_month").state) == 2.0
    assert float(state(hass, "sensor", "CP1_cost_this_month").state) == pytest.approx(1.1)
    # Without the sensor's value the fixed price applies.
    hass.states.async_set("sensor.electricity_price", "unavailable")
    await _charge(sim, 12000, 13000)
    await wait_until(hass, lambda: len(runtime.history.records) == 2)
    assert runtime.history.records[1].cost == pytest.approx(0.30 + 0.5)

    # Kept across a restart of Home Assistant.
    assert await hass.config_entries.async_unload(central.entry_id)
    assert await hass.config_entries.async_setup(central.entry_id)
    await hass.async_block_till_done()
    assert [r.transaction_id for r in central.runtime_data.history.records] == [
        r.transaction_id for r in runtime.history.records
    ]


@pytest.mark.parametrize("options", [PRICED])
async def test_list_and_export_sessions(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    options: dict[str, Any],
    tmp_path: Path,
) -> None:
    """The actions list sessions with totals per card and write CSV and OCPI CDRs."""
    hass.states.async_set("sensor.electricity_price", "0.20", {"unit_of_measurement": "EUR/kWh"})
    sim = await smart_charger(hass, central, make_simulator)
    await _charge(sim, 1000, 3000)
    await sim.status(1, "Charging")
    transaction_id = await sim.start_transaction(1, id_tag="GUEST", meter_start_wh=3000)
    await sim.meter_values(1, [{"value": "3500", "unit": "Wh"}], transaction_id)
    await sim.stop_transaction(1)
    await wait_until(hass, lambda: len(central.runtime_data.history.records) == 2)
    device = dr.async_get(hass).async_get_device({(DOMAIN, "CP1")})
    assert device is not None

    listed = await hass.services.async_call(
        DOMAIN, "list_sessions", {"device_id": device.id}, blocking=True, return_response=True
    )
    assert listed is not None
    assert len(listed["sessions"]) == 2  # type: ignore[arg-type]
    assert listed["totals"]["energy_kwh"] == 2.5  # type: ignore[index]
    assert listed["by_card"]["Alice"]["energy_kwh"] == 2.0  # type: ignore[index]
    assert listed["by_card"]["GUEST"]["count"] == 1  # type: ignore[index]
    alice = await hass.services.async_call(
        DOMAIN, "list_sessions", {"person": "person.alice"}, blocking=True, return_response=True
    )
    assert alice is not None
    assert [s["id_tag"] for s in alice["sessions"]] == ["ALICE01"]  # type: ignore[union-attr, index]
    later = await hass.services.async_call(
        DOMAIN,
        "list_sessions",
        {"start": "2099-01-01T00:00:00"},
        blocking=True,
        return_response=True,
    )
    assert later is not None
    assert later["sessions"] == []

    exported = await hass.services.async_call(
        DOMAIN, "export_sessions", {"format": "csv"}, blocking=True, return_response=True
    )
    assert exported is not None
    path = Path(str(exported["path"]))
    assert path.parent == tmp_path / "ocpp_central" / "exports"
    text = await hass.async_add_executor_job(path.read_text)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["id_tag"] for row in rows] == ["ALICE01", "GUEST"]
    assert rows[0]["energy_kwh"] == "2.0"

    exported = await hass.services.async_call(
        DOMAIN, "export_sessions", {"format": "cdr"}, blocking=True, return_response=True
    )
    assert exported is not None
    cdrs = json.loads(await hass.async_add_executor_job(Path(str(exported["path"])).read_text))
    assert len(cdrs) == 2
    for cdr in cdrs:
        assert set(cdr) >= CDR_REQUIRED
        assert len(cdr["party_id"]) == 3
        assert len(cdr["country_code"]) == 2
        assert cdr["start_date_time"].endswith("Z")
        assert cdr["home_charging_compensation"] is True
    assert cdrs[0]["total_energy"] == 2.0
    assert cdrs[0]["total_cost"]["excl_vat"] == pytest.approx(0.9)
    assert cdrs[0]["cdr_token"]["uid"] == "ALICE01"


@pytest.mark.parametrize("ocpp_version", ["2.1"])
@pytest.mark.parametrize("options", [PRICED])
async def test_2_1_chargers_show_the_tariff(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    options: dict[str, Any],
    ocpp_version: str,
) -> None:
    """2.1 chargers get SetDefaultTariff at boot and when the price changes."""
    hass.states.async_set("sensor.electricity_price", "0.25", {"unit_of_measurement": "EUR/kWh"})
    sim = await smart_charger(hass, central, make_simulator)
    state_ = sim.protocol_layer().state
    await wait_until(hass, lambda: state_.tariff is not None)
    assert state_.tariff["energy"]["prices"] == [{"price_kwh": 0.25}]
    assert state_.tariff["fixed_fee"]["prices"] == [{"price_fixed": 0.5}]
    assert state_.tariff["currency"] == hass.config.currency
    first_id = state_.tariff["tariff_id"]
    # A new hour's price is shown too; the same price is not sent again.
    hass.states.async_set("sensor.electricity_price", "0.40", {"unit_of_measurement": "EUR/kWh"})
    await wait_until(hass, lambda: state_.tariff["energy"]["prices"] == [{"price_kwh": 0.4}])
    assert state_.tariff["tariff_id"] != first_id
    sent = len([a for a, _p in sim.received if a == "SetDefaultTariff"])
    hass.states.async_set(
        "sensor.electricity_price", "0.40", {"unit_of_measurement": "EUR/kWh", "x": 1}
    )
    await hass.async_block_till_done()
    assert len([a for a, _p in sim.received if a == "SetDefaultTariff"]) == sent


@pytest.mark.parametrize("options", [PRICED])
async def test_older_chargers_get_no_tariff(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, options: dict[str, Any]
) -> None:
    """1.6 has no tariffs: nothing is sent."""
    sim = await smart_charger(hass, central, make_simulator)
    await hass.async_block_till_done()
    assert not [a for a, _p in sim.received if a == "SetDefaultTariff"]


@ALL_VERSIONS
@pytest.mark.parametrize("options", [PRICED])
async def test_signed_meter_readings_are_kept_and_exported(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    options: dict[str, Any],
    ocpp_version: str,
) -> None:
    """A calibration-law meter's signed begin and end readings reach the history and the CDR."""
    sim = await smart_charger(hass, central, make_simulator, habits={"signed_meter_values"})
    runtime = central.runtime_data
    await sim.status(1, "Charging")
    await sim.start_transaction(1, id_tag="ALICE01", meter_start_wh=20000)
    sim.connector(1).set_energy(21500)
    await sim.stop_transaction(1)
    await wait_until(hass, lambda: len(runtime.history.records) == 1)
    signed = runtime.history.records[0].signed_readings
    assert [reading.context for reading in signed] == ["Transaction.Begin", "Transaction.End"]
    assert {reading.encoding for reading in signed} == {"OCMF"}
    if ocpp_version != "1.6":
        # 2.x carries the signing method and key beside the data (base64 of the OCMF string).
        assert all(reading.public_key and reading.signing_method for reading in signed)

    # Kept across a restart, and exported in the CDR for the transparency software.
    assert await hass.config_entries.async_unload(central.entry_id)
    assert await hass.config_entries.async_setup(central.entry_id)
    await hass.async_block_till_done()
    assert central.runtime_data.history.records[0].signed_readings == signed
    response = await hass.services.async_call(
        DOMAIN, "export_sessions", {"format": "cdr"}, blocking=True, return_response=True
    )
    assert response is not None
    cdr_file = Path(str(response["path"]))
    cdr = json.loads(await hass.async_add_executor_job(cdr_file.read_text))[0]
    values = cdr["signed_data"]["signed_values"]
    assert cdr["signed_data"]["encoding_method"] == "OCMF"
    assert [value["nature"] for value in values] == ["Start", "End"]
    assert all(len(value["signed_data"]) <= 5000 for value in values)
    if ocpp_version == "1.6":
        # The OCMF payload is the plain data: the driver can read the register it signs.
        assert json.loads(values[-1]["plain_data"])["RD"][0]["RV"] == pytest.approx(21.5, abs=0.01)
    listed = await hass.services.async_call(
        DOMAIN, "list_sessions", {}, blocking=True, return_response=True
    )
    assert listed is not None
    assert listed["sessions"][0]["signed"] is True
    assert "signed_readings" not in listed["sessions"][0]
    # A spreadsheet gets no signed data.
    response = await hass.services.async_call(
        DOMAIN, "export_sessions", {"format": "csv"}, blocking=True, return_response=True
    )
    assert response is not None
    csv_file = Path(str(response["path"]))
    header = (await hass.async_add_executor_job(csv_file.read_text)).splitlines()[0]
    assert "signed" not in header


@pytest.mark.parametrize("ocpp_version", ["2.1"])
@pytest.mark.parametrize("options", [PRICED])
async def test_2_1_charger_cost_is_what_its_display_showed(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    options: dict[str, Any],
    ocpp_version: str,
) -> None:
    """costDetails in our currency is the session's cost; another currency is not taken."""
    sim = await smart_charger(hass, central, make_simulator)
    layer = sim.protocol_layer()
    runtime = central.runtime_data
    await sim.status(1, "Charging")
    transaction_id = await sim.start_transaction(1, id_tag="ALICE01", meter_start_wh=1000)

    async def report(amount: float, currency: str) -> None:
        await layer.transaction_event(
            "Updated",
            "MeterValuePeriodic",
            1,
            transaction_id,
            cost_details={
                "totalCost": {
                    "currency": currency,
                    "typeOfCost": "NormalCost",
                    "total": {"exclTax": amount - 1, "inclTax": amount},
                },
                "totalUsage": {"energy": 0, "chargingTime": 1, "idleTime": 0},
            },
        )

    await report(4.2, hass.config.currency)
    await wait_until(hass, lambda: state(hass, "sensor", "CP1_1_session_cost").state == "4.2")
    await report(9.9, "XYZ")
    await hass.async_block_till_done()
    assert state(hass, "sensor", "CP1_1_session_cost").state == "4.2"
    # A charger that failed to calculate says so: nothing is taken from it.
    await layer.transaction_event(
        "Updated",
        "MeterValuePeriodic",
        1,
        transaction_id,
        cost_details={
            "failureToCalculate": True,
            "totalCost": {"currency": "EUR", "typeOfCost": "NormalCost", "total": {}},
            "totalUsage": {"energy": 0, "chargingTime": 1, "idleTime": 0},
        },
    )
    await hass.async_block_till_done()
    assert state(hass, "sensor", "CP1_1_session_cost").state == "4.2"
    # The charger's final figure (Ended) is the recorded cost.
    await sim.stop_transaction(1)
    await wait_until(hass, lambda: len(runtime.history.records) == 1)
    expected = sim.protocol_layer().state.tariff["fixed_fee"]["prices"][0]["price_fixed"]
    assert runtime.history.records[0].cost == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("ocpp_version", ["1.6"])
@pytest.mark.parametrize("options", [PRICED])
async def test_each_card_has_its_month(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    options: dict[str, Any],
    ocpp_version: str,
) -> None:
    """Energy and cost per card this month; the sensors follow the list of cards."""
    registry = er.async_get(hass)

    def card_state(id_tag: str, key: str) -> Any:
        entity_id = registry.async_get_entity_id(
            "sensor", DOMAIN, f"{central.entry_id}_card_{id_tag.casefold()}_{key}"
        )
        return None if entity_id is None else hass.states.get(entity_id)

    energy = card_state("ALICE01", "card_energy_this_month")
    assert energy is not None
    assert energy.name == "Charging cards Alice energy this month"
    assert float(energy.state) == 0.0
    assert card_state("ALICE01", "card_cost_this_month").state == "unknown"
    device = dr.async_get(hass).async_get(registry.async_get(energy.entity_id).device_id)
    assert device is not None
    assert device.entry_type is dr.DeviceEntryType.SERVICE

    sim = await smart_charger(hass, central, make_simulator)
    await _charge(sim, 10000, 12000)
    await wait_until(
        hass, lambda: float(card_state("ALICE01", "card_energy_this_month").state) == 2.0
    )
    assert float(card_state("ALICE01", "card_cost_this_month").state) == pytest.approx(1.1)
    # A new month: the sensors are written again and wait for the month after.
    first_of_next = (dt_util.now().replace(day=28) + timedelta(days=4)).replace(
        day=1, hour=0, minute=0, second=1
    )
    async_fire_time_changed(hass, first_of_next)
    await hass.async_block_till_done()
    assert card_state("ALICE01", "card_energy_this_month") is not None

    # A new card gets its sensors; a removed one loses them.
    hass.config_entries.async_update_entry(
        central, options={**central.options, CONF_TAGS: [{"id_tag": "BOB02", "name": "Bob"}]}
    )
    await hass.async_block_till_done()
    assert card_state("BOB02", "card_energy_this_month") is not None
    assert card_state("ALICE01", "card_energy_this_month") is None


def test_exports_snapshot(snapshot: SnapshotAssertion) -> None:
    """The CSV and the OCPI CDR of a fixed session, signed readings included."""
    began = datetime(2026, 6, 1, 18, 0, tzinfo=UTC)
    ended = datetime(2026, 6, 1, 20, 30, tzinfo=UTC)
    signed = tuple(
        SignedReading(
            timestamp=moment,
            context=context,
            data=f'OCMF|{{"RD":[{{"RV":{value}}}]}}|{{"SD":"00"}}',
            encoding="OCMF",
            signing_method="ECDSA-secp256r1-SHA256",
            public_key="3059",
        )
        for moment, context, value in (
            (began, "Transaction.Begin", 10.0),
            (ended, "Transaction.End", 21.5),
        )
    )
    record = SessionRecord(
        charge_point_id="CP1",
        connector_id=1,
        transaction_id="42",
        started_at=began,
        stopped_at=ended,
        energy_kwh=11.5,
        duration_s=9000,
        id_tag="ALICE01",
        tag_name="Alice",
        person="person.alice",
        stop_reason="EVDisconnected",
        meter_start_wh=10000.0,
        meter_stop_wh=21500.0,
        peak_power_w=11000.0,
        cost=3.95,
        currency="EUR",
        signed_readings=signed,
    )
    site = Site(
        country_code="SE",
        party_id="HAS",
        location_id="HOME",
        name="Home",
        latitude=59.33,
        longitude=18.06,
        time_zone="Europe/Stockholm",
        currency="EUR",
    )
    assert to_csv([record]) == snapshot(name="csv")
    assert json.loads(cdrs_json([record], site, compensated=True)) == snapshot(name="cdr")
