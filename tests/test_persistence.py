"""What must survive a Home Assistant restart is written in time, and read back.

Home Assistant does not unload config entries when it stops: what is on disk then is what the
delayed save last wrote. A delayed save that stops after the first immediate one turned one
restart into a 12 → 10 kWh drop of the energy total, which the Energy dashboard took for a
meter reset and counted again.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import time
from typing import Any

from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.ocpp_central import store as store_module
from custom_components.ocpp_central.const import DOMAIN
from custom_components.ocpp_central.store import METER_SAVE_DELAY

from .conftest import ALL_VERSIONS
from .helpers import smart_charger, state


def _stored(hass_storage: dict[str, Any], central: MockConfigEntry) -> dict[str, Any]:
    return dict(hass_storage[f"{DOMAIN}.{central.entry_id}"]["data"])


@ALL_VERSIONS
async def test_meter_saves_keep_coming_after_immediate_saves(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    hass_storage: dict[str, Any],
) -> None:
    """Readings after a session start are saved within the delay, and at HA's final write."""
    sim = await make_simulator("CP1")
    await sim.boot()
    first = await sim.start_transaction(1, meter_start_wh=10_000)
    await sim.meter_values(1, [{"value": "11000", "unit": "Wh"}], transaction_id=first)
    await sim.stop_transaction(1, meter_stop_wh=11_500, transaction_id=first)
    second = await sim.start_transaction(1, meter_start_wh=11_500)
    await sim.meter_values(1, [{"value": "12000", "unit": "Wh"}], transaction_id=second)
    await hass.async_block_till_done()

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=METER_SAVE_DELAY + 1))
    await hass.async_block_till_done()
    assert _stored(hass_storage, central)["chargers"]["CP1"]["energy_wh"]["1"] == 12_000

    await sim.meter_values(1, [{"value": "12500", "unit": "Wh"}], transaction_id=second)
    await hass.async_block_till_done()
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    assert _stored(hass_storage, central)["chargers"]["CP1"]["energy_wh"]["1"] == 12_500


@ALL_VERSIONS
async def test_last_session_and_pending_start_survive_a_restart(
    hass: HomeAssistant, ocpp_version: str, central: MockConfigEntry, make_simulator: Any
) -> None:
    """The last finished session is shown again after a restart; a start meter still pending
    is taken from the first reading after it, not from the whole register."""
    sim = await make_simulator("CP1")
    await sim.boot()
    done = await sim.start_transaction(1, meter_start_wh=1000)
    await sim.stop_transaction(1, meter_stop_wh=3500, transaction_id=done)
    await hass.async_block_till_done()
    charger = central.runtime_data.chargers["CP1"]
    connector = charger.connector(2)
    await sim.close()

    # A 2.x-style session that started without a register reading on a connector never read.
    connector.transaction = None
    from custom_components.ocpp_central.model import Transaction

    connector.transaction = Transaction(
        transaction_id="PENDING1",
        connector_id=2,
        id_tag=None,
        started_at=dt_util.utcnow(),
        meter_start_wh=0.0,
        meter_last_wh=0.0,
        meter_start_pending=True,
    )
    await central.runtime_data.store.async_save_now()

    assert await hass.config_entries.async_unload(central.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(central.entry_id)
    await hass.async_block_till_done()

    restored = central.runtime_data.chargers["CP1"]
    last = restored.connector(1).last_transaction
    assert last is not None
    assert (last.transaction_id, last.energy_wh, last.stopped_at is not None) == (
        done if isinstance(done, str) else str(done),
        2500.0,
        True,
    )
    pending = restored.connector(2).transaction
    assert pending is not None
    assert pending.meter_start_pending

    sim = await make_simulator("CP1")
    await sim.boot()
    await hass.async_block_till_done()
    assert float(state(hass, "sensor", "CP1_1_session_energy").state) == 2.5


@ALL_VERSIONS
async def test_per_session_register_keeps_the_total_growing(
    hass: HomeAssistant, ocpp_version: str, central: MockConfigEntry, make_simulator: Any
) -> None:
    """A charger whose register starts at 0 in every session adds up, across a restart too.

    A widely used simulator (and some wallboxes) send meterStart 0 for every transaction;
    the total used to freeze at the first session's value.
    """
    sim = await make_simulator("CP1")
    await sim.boot()

    async def session(kwh: float) -> None:
        transaction = await sim.start_transaction(1, meter_start_wh=0)
        await sim.meter_values(
            1, [{"value": str(kwh * 1000), "unit": "Wh"}], transaction_id=transaction
        )
        await sim.stop_transaction(1, meter_stop_wh=kwh * 1000, transaction_id=transaction)
        await hass.async_block_till_done()

    await session(5)
    await session(3)
    assert float(state(hass, "sensor", "CP1_1_energy").state) == 8.0
    assert float(state(hass, "sensor", "CP1_1_session_energy").state) == 3.0
    await sim.close()

    assert await hass.config_entries.async_unload(central.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(central.entry_id)
    await hass.async_block_till_done()
    sim = await make_simulator("CP1")
    await sim.boot()
    await session(2)
    assert float(state(hass, "sensor", "CP1_1_energy").state) == 10.0


async def test_a_write_builds_only_the_chargers_that_changed(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    central: MockConfigEntry,
    make_simulator: Any,
) -> None:
    """A site's reconnect storm must not serialise every charger for every transaction."""
    sims = [await smart_charger(hass, central, make_simulator, name) for name in ("CP1", "CP2")]
    store = central.runtime_data.store
    await store.async_save_now()  # everything, once
    built: list[str] = []
    original = store._charger_record

    def counting(charger: Any) -> Any:
        built.append(charger.charge_point_id)
        return original(charger)

    store._charger_record = counting  # type: ignore[method-assign]
    await sims[1].status(1, "Charging")
    await sims[1].start_transaction(1, id_tag="ALICE01", meter_start_wh=500)
    await hass.async_block_till_done()
    assert set(built) == {"CP2"}
    stored = _stored(hass_storage, central)
    assert set(stored["chargers"]) == {"CP1", "CP2"}
    assert stored["chargers"]["CP2"]["transactions"]
    # A change nobody attributed to a charger rebuilds them all.
    built.clear()
    await store.async_save_now()
    assert sorted(built) == ["CP1", "CP2"]


async def test_writes_asked_for_together_are_shared(
    hass: HomeAssistant, hass_storage: dict[str, Any], central: MockConfigEntry
) -> None:
    """A burst of session starts is one write, and each start is on disk when answered."""
    store = central.runtime_data.store
    writes = 0
    original = store._store.async_save

    async def slow_disk(data: Any) -> None:
        nonlocal writes
        writes += 1
        await asyncio.sleep(0.03)  # a large site's document
        await original(data)

    store._store.async_save = slow_disk  # type: ignore[method-assign]

    async def start_session() -> None:
        allocated = store.next_transaction_id()
        await store.async_save_now()
        assert _stored(hass_storage, central)["last_transaction_id"] >= allocated

    await asyncio.gather(*(start_session() for _ in range(20)))
    assert writes == 1
    # The next burst waits its turn (writing takes at most a tenth of the time), then writes.
    await asyncio.gather(*(start_session() for _ in range(5)))
    assert writes == 2
    assert _stored(hass_storage, central)["last_transaction_id"] == store.last_transaction_id


async def test_writes_are_spaced_by_the_cpu_they_take_off_the_loop(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    central: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A costly write spaces the next one; an event loop busy elsewhere does not.

    While many chargers connect the loop is busy; counting that as the write's cost made
    session starts wait for writes that cost next to nothing.
    """
    store = central.runtime_data.store
    original = store._store.async_save
    loop = asyncio.get_running_loop()
    monkeypatch.setattr(store_module, "SPACED_FROM_CHARGERS", 0)  # a large site's store

    async def loop_busy_elsewhere(data: Any) -> None:
        _burn(0.05)  # on the event loop's thread: other work, not the write
        await original(data)

    async def costly_document(data: Any) -> None:
        await hass.async_add_executor_job(_burn, 0.05)  # serialising a large site's document
        await original(data)

    store._store.async_save = loop_busy_elsewhere  # type: ignore[method-assign]
    await store.async_save_now()
    assert store._write_due <= loop.time()

    store._store.async_save = costly_document  # type: ignore[method-assign]
    await store.async_save_now()
    # 0.05 s of CPU at a 10 % share: the next write waits about 0.45 s.
    assert store._write_due - loop.time() > 0.3


async def test_a_small_sites_writes_are_never_spaced(
    hass: HomeAssistant, hass_storage: dict[str, Any], central: MockConfigEntry
) -> None:
    """With few chargers, CPU other threads spend during a write does not delay the next."""
    store = central.runtime_data.store
    original = store._store.async_save

    async def busy_executor(data: Any) -> None:
        await hass.async_add_executor_job(_burn, 0.05)  # HA loading a platform, say
        await original(data)

    store._store.async_save = busy_executor  # type: ignore[method-assign]
    await store.async_save_now()
    assert store._write_due <= asyncio.get_running_loop().time()


def _burn(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass
