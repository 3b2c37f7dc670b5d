"""Reservations made from Home Assistant: shown, used by a session, cancelled, expired."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ocpp_central.const import DOMAIN

from .conftest import ALL_VERSIONS
from .helpers import smart_charger, state, wait_until


async def _reserve(hass: HomeAssistant, device_id: str, seconds: float) -> int:
    expiry = (dt_util.utcnow() + timedelta(seconds=seconds)).isoformat()
    response = await hass.services.async_call(
        DOMAIN,
        "reserve_now",
        {"device_id": device_id, "expiry": expiry, "id_tag": "ALICE01"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return int(response["reservation_id"])  # type: ignore[arg-type]


@ALL_VERSIONS
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_reservation_is_shown_until_used_or_cancelled(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """Status reads Reserved with its end time; a session uses it; a cancel ends it."""
    sim = await smart_charger(hass, central, make_simulator)
    await sim.status(1, "Available")
    charger = central.runtime_data.chargers["CP1"]
    device = dr.async_get(hass).async_get_device({(DOMAIN, "CP1")})
    assert device is not None

    reservation_id = await _reserve(hass, device.id, 3600)
    held = charger.connector(1).reservation
    assert held is not None
    assert held.reservation_id == reservation_id
    await wait_until(hass, lambda: state(hass, "sensor", "CP1_1_status").state == "reserved")
    until = state(hass, "sensor", "CP1_1_reserved_until").state
    assert dt_util.parse_datetime(until) == held.expires.replace(microsecond=0)

    # The reserved card starts a session: the reservation is used up.
    await sim.start_transaction(1, id_tag="ALICE01")
    await wait_until(hass, lambda: charger.connector(1).reservation is None)
    assert state(hass, "sensor", "CP1_1_reserved_until").state == "unknown"
    await sim.stop_transaction(1)
    await sim.status(1, "Available")

    # A cancelled reservation ends at once.
    reservation_id = await _reserve(hass, device.id, 3600)
    await hass.services.async_call(
        DOMAIN,
        "cancel_reservation",
        {"device_id": device.id, "reservation_id": reservation_id},
        blocking=True,
    )
    assert charger.connector(1).reservation is None
    await wait_until(hass, lambda: state(hass, "sensor", "CP1_1_status").state == "available")


@ALL_VERSIONS
async def test_reservation_expires(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """At its expiry the reservation ends, in HA and on the charger."""
    sim = await smart_charger(hass, central, make_simulator)
    await sim.status(1, "Available")
    charger = central.runtime_data.chargers["CP1"]
    device = dr.async_get(hass).async_get_device({(DOMAIN, "CP1")})
    assert device is not None
    await _reserve(hass, device.id, 1.5)
    await wait_until(hass, lambda: state(hass, "sensor", "CP1_1_status").state == "reserved")
    await wait_until(hass, lambda: charger.connector(1).reservation is None)
    await wait_until(hass, lambda: state(hass, "sensor", "CP1_1_status").state == "available")
