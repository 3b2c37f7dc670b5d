"""Hostile input: nothing sent over the network may take Home Assistant down or stop it saving.

Each test here is one of the failures seen with a hostile-frame campaign against a running
Home Assistant: a frame that crashed the process, poisoned the store, broke HA's registries,
answered InternalError with a traceback, recursed until Python gave up, flooded the log, or
opened unbounded discovery cards.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.json import json_bytes
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from custom_components.ocpp_central.const import (
    CONF_AUTO_ACCEPT,
    CONF_MAX_CONNECTIONS_PER_ADDRESS,
    CONF_MAX_PENDING_CHARGERS,
    DOMAIN,
)
from custom_components.ocpp_central.errors import ChargerCallError
from custom_components.ocpp_central.log_throttle import LogThrottle

from .conftest import ALL_VERSIONS
from .helpers import state, wait_until

SUBPROTOCOL = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1", "2.1": "ocpp2.1"}
FORMAT_VIOLATION = {
    "1.6": "FormationViolation",
    "2.0.1": "FormatViolation",
    "2.1": "FormatViolation",
}
BOOT = {
    "1.6": {"chargePointVendor": "V", "chargePointModel": "M"},
    "2.0.1": {"chargingStation": {"vendorName": "V", "model": "M"}, "reason": "PowerUp"},
    "2.1": {"chargingStation": {"vendorName": "V", "model": "M"}, "reason": "PowerUp"},
}


def status_notification(version: str, timestamp: str, connector_id: int = 1) -> dict[str, Any]:
    """A StatusNotification payload of the version, with the given timestamp and connector."""
    if version == "1.6":
        return {
            "connectorId": connector_id,
            "errorCode": "NoError",
            "status": "Available",
            "timestamp": timestamp,
        }
    return {
        "timestamp": timestamp,
        "connectorStatus": "Available",
        "evseId": connector_id,
        "connectorId": 1,
    }


def meter_values(version: str, connector_id: int, **sampled: Any) -> dict[str, Any]:
    """A MeterValues payload with one energy reading."""
    value: dict[str, Any] = {"value": "1000"} if version == "1.6" else {"value": 1000}
    value.update(sampled)
    key = "connectorId" if version == "1.6" else "evseId"
    return {
        key: connector_id,
        "meterValue": [{"timestamp": "2024-01-01T00:00:00Z", "sampledValue": [value]}],
    }


class RawCharger:
    """A websocket speaking raw OCPP-J frames, answering the central system's own calls."""

    def __init__(self, ws: ClientConnection) -> None:
        """Wrap an open connection."""
        self.ws = ws
        self._count = 0

    async def call(self, action: str, payload: dict[str, Any] | str) -> list[Any]:
        """Send a CALL (a payload given as text is sent verbatim) and return its answer."""
        self._count += 1
        message_id = f"m{self._count}"
        body = payload if isinstance(payload, str) else json.dumps(payload)
        await self.ws.send(f'[2, "{message_id}", "{action}", {body}]')
        return await self.answer_to(message_id)

    async def answer_to(self, message_id: str) -> list[Any]:
        """Wait for the answer to one of our CALLs, answering the server's CALLs meanwhile."""
        async with asyncio.timeout(5):
            while True:
                frame = json.loads(await self.ws.recv())
                if frame[0] == 2:
                    # The central system asks for configuration after a boot; not here.
                    await self.ws.send(json.dumps([4, frame[1], "NotImplemented", "", {}]))
                elif frame[1] == message_id:
                    return list(frame)


async def _open(url: str, version: str, charge_point_id: str) -> ClientConnection:
    return await connect(
        f"{url}/{charge_point_id}", subprotocols=[SUBPROTOCOL[version]], max_size=None
    )


async def _booted(
    url: str, version: str, charge_point_id: str
) -> tuple[ClientConnection, RawCharger]:
    ws = await _open(url, version, charge_point_id)
    charger = RawCharger(ws)
    reply = await charger.call("BootNotification", BOOT[version])
    assert reply[2]["status"] == "Accepted"
    return ws, charger


def _assert_no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [r.getMessage() for r in bad]


@ALL_VERSIONS
async def test_lone_surrogates_are_refused_before_any_parser(
    hass: HomeAssistant,
    central: MockConfigEntry,
    url: str,
    ocpp_version: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A lone surrogate (timestamp, vendor) is refused; HA's parsers and registries never see it.

    HA's C datetime parser crashed the whole process on "\\ud800", and the device registry
    could no longer be saved once a vendor name carried one.
    """
    ws = await _open(url, ocpp_version, "SURR")
    async with ws:
        charger = RawCharger(ws)
        frame = json.dumps(status_notification(ocpp_version, "2024-01-01T00:00:00Z"))
        hostile = frame.replace("2024-01-01T00:00:00Z", "\\ud800")
        reply = await charger.call("StatusNotification", hostile)
        assert reply[:3] == [4, "m1", FORMAT_VIOLATION[ocpp_version]]
        boot = json.dumps(BOOT[ocpp_version]).replace('"V"', '"Evil\\udfffCorp"')
        reply = await charger.call("BootNotification", boot)
        assert reply[2] == FORMAT_VIOLATION[ocpp_version]
        # A surrogate pair is fine: it is one real character.
        boot = json.dumps(BOOT[ocpp_version]).replace('"V"', '"Volt \\ud83d\\udd0c"')
        reply = await charger.call("BootNotification", boot)
        assert reply[0] == 3
    device = dr.async_get(hass).async_get_device({(DOMAIN, "SURR")})
    assert device is not None
    assert device.manufacturer == "Volt \N{ELECTRIC PLUG}"
    _assert_no_errors_logged(caplog)


async def test_control_characters_are_kept_out_of_the_registry(
    hass: HomeAssistant, central: MockConfigEntry, url: str
) -> None:
    """Terminal escapes and line breaks in what a charger calls itself become spaces."""
    ws = await _open(url, "1.6", "CTRL")
    async with ws:
        charger = RawCharger(ws)
        reply = await charger.call(
            "BootNotification",
            {"chargePointVendor": "Acme\x1b[31m", "chargePointModel": "Box\nFAKE LOG LINE"},
        )
        assert reply[0] == 3
    device = dr.async_get(hass).async_get_device({(DOMAIN, "CTRL")})
    assert device is not None
    assert (device.manufacturer, device.model) == ("Acme [31m", "Box FAKE LOG LINE")


@ALL_VERSIONS
@pytest.mark.parametrize(
    "timestamp",
    ["2024-02-30T00:00:00Z", "2024-13-01T00:00:00Z", "not a date", "", "0000-00-00T00:00:00Z"],
)
async def test_impossible_dates_are_refused(
    hass: HomeAssistant,
    central: MockConfigEntry,
    url: str,
    ocpp_version: str,
    timestamp: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A timestamp that is no date is a PropertyConstraintViolation, never an InternalError."""
    ws, charger = await _booted(url, ocpp_version, "DATES")
    async with ws:
        reply = await charger.call(
            "StatusNotification", status_notification(ocpp_version, timestamp)
        )
        assert reply[2] == "PropertyConstraintViolation"
        # A clock that was never set is a real date: accepted.
        reply = await charger.call(
            "StatusNotification", status_notification(ocpp_version, "1970-01-01T00:00:00Z")
        )
        assert reply[0] == 3
    _assert_no_errors_logged(caplog)


@ALL_VERSIONS
async def test_numbers_out_of_range_are_refused(
    hass: HomeAssistant,
    central: MockConfigEntry,
    url: str,
    ocpp_version: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Huge integers, 1e400 and NaN never reach the model, the store or HA's statistics."""
    ws, charger = await _booted(url, ocpp_version, "NUMS")
    async with ws:
        reading = json.dumps(meter_values(ocpp_version, 1))
        number = '"1000"' if ocpp_version == "1.6" else "1000"
        if ocpp_version == "1.6":
            # 1.6 readings are strings; a huge meterStart is the integer way in.
            reply = await charger.call(
                "StartTransaction",
                '{"connectorId": 1, "idTag": "T", "timestamp": "2024-01-01T00:00:00Z",'
                ' "meterStart": 1' + "0" * 309 + "}",
            )
            assert reply[2] == "PropertyConstraintViolation"
            reply = await charger.call("MeterValues", meter_values("1.6", 1, value="1e400"))
            assert reply[2] == "PropertyConstraintViolation"
        else:
            huge = reading.replace(number, "1" + "0" * 309)
            reply = await charger.call("MeterValues", huge)
            assert reply[2] == "PropertyConstraintViolation"
            payload = meter_values(ocpp_version, 1, unitOfMeasure={"unit": "Wh", "multiplier": 309})
            reply = await charger.call("MeterValues", payload)
            assert reply[2] == "PropertyConstraintViolation"
        for literal in ("1e400", "NaN", "-Infinity"):
            reply = await charger.call("MeterValues", reading.replace(number, literal))
            assert reply[0] == 4, literal
        # The charger is still served, and its energy total is untouched by all of the above.
        reply = await charger.call("MeterValues", reading)
        assert reply[0] == 3
        await hass.async_block_till_done()
        assert float(state(hass, "sensor", "NUMS_1_energy").state) == 1.0
    json_bytes(central.runtime_data.store.as_diagnostics())
    _assert_no_errors_logged(caplog)


@ALL_VERSIONS
async def test_connector_ids_are_bounded(
    hass: HomeAssistant,
    central: MockConfigEntry,
    url: str,
    ocpp_version: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Connector ids beyond the cap or the announced count create nothing and save fine.

    10^30 used to stop every save of the store; 120 ids made 120 devices.
    """
    ws, charger = await _booted(url, ocpp_version, "CONN")
    async with ws:
        for connector_id in (10**30, 10**6, 17, -5):
            reply = await charger.call(
                "StatusNotification",
                status_notification(ocpp_version, "2024-01-01T00:00:00Z", connector_id),
            )
            assert reply[2] == "PropertyConstraintViolation", connector_id
            reply = await charger.call("MeterValues", meter_values(ocpp_version, connector_id))
            assert reply[2] == "PropertyConstraintViolation", connector_id
        # Within the cap (16 by default) while the charger has not said how many it has.
        reply = await charger.call(
            "StatusNotification", status_notification(ocpp_version, "2024-01-01T00:00:00Z", 2)
        )
        assert reply[0] == 3
    await hass.async_block_till_done()
    charger_model = central.runtime_data.chargers["CONN"]
    assert set(charger_model.connectors) <= {0, 1, 2}
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), central.entry_id)
    assert len(devices) <= 3
    await central.runtime_data.store.async_save_now()
    json_bytes(central.runtime_data.store.as_diagnostics())
    _assert_no_errors_logged(caplog)


async def test_announced_connector_count_bounds_ids(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """Once a charger says it has two connectors, a third is refused."""
    sim = await make_simulator("TWO", connectors=2)
    await sim.boot()
    await wait_until(hass, lambda: central.runtime_data.chargers["TWO"].announced_connectors == 2)
    await sim.status(2, "Available")
    from ocpp.exceptions import OCPPError

    with pytest.raises(OCPPError) as err:
        await sim.status(3, "Available")
    assert err.value.code == "PropertyConstraintViolation"
    assert 3 not in central.runtime_data.chargers["TWO"].connectors


@ALL_VERSIONS
async def test_deep_nesting_is_refused(
    hass: HomeAssistant,
    central: MockConfigEntry,
    url: str,
    ocpp_version: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nesting 10,000 deep (the parser's recursion) or 1000 deep (ours) gets a CALLERROR."""
    ws, charger = await _booted(url, ocpp_version, "DEEP")
    async with ws:
        deep = "[" * 10_000 + "]" * 10_000
        await ws.send(f'[2, "d1", "DataTransfer", {{"vendorId": "v", "data": {deep}}}]')
        reply = await charger.answer_to("d1")
        assert reply[2] == FORMAT_VIOLATION[ocpp_version]
        nested = '{"a": ' * 1000 + "1" + "}" * 1000
        reply = await charger.call("DataTransfer", f'{{"vendorId": "v", "data": {nested}}}')
        assert reply[2] == FORMAT_VIOLATION[ocpp_version]
        reply = await charger.call("Heartbeat", {})
        assert reply[0] == 3
    _assert_no_errors_logged(caplog)


async def _pending_read(
    hass: HomeAssistant, central: MockConfigEntry, ws: ClientConnection, charge_point_id: str
) -> tuple[asyncio.Task[Any], list[Any]]:
    """Have the central system read a key and return its task and the CALL, unanswered."""
    adapter = central.runtime_data.sessions[charge_point_id].adapter
    task = hass.async_create_task(adapter.get_configuration(["HeartbeatInterval"]))
    async with asyncio.timeout(5):
        while True:
            frame = json.loads(await ws.recv())
            if frame[0] == 2 and frame[2] == "GetConfiguration" and frame[3].get("key"):
                return task, frame
            if frame[0] == 2:
                # The reading after the boot: not this one.
                await ws.send(json.dumps([4, frame[1], "NotImplemented", "", {}]))


async def test_stray_answers_do_not_break_our_calls(
    hass: HomeAssistant,
    central: MockConfigEntry,
    url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A flood of answers with unknown ids while we wait neither recurses nor loses the call.

    A CALLERROR whose code is not text is dropped as malformed, not raised in a task.
    """
    ws, charger = await _booted(url, "1.6", "STRAY")
    async with ws:
        task, frame = await _pending_read(hass, central, ws, "STRAY")
        for number in range(1500):
            await ws.send(json.dumps([3, f"unknown-{number}", {}]))
        await ws.send(json.dumps([4, "unknown", 42, None, []]))
        answer = {
            "configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "5"}]
        }
        await ws.send(json.dumps([3, frame[1], answer]))
        report = await task
        assert report.values["HeartbeatInterval"].value == "5"
        reply = await charger.call("Heartbeat", {})
        assert reply[0] == 3
    _assert_no_errors_logged(caplog)
    # The whole flood is one warning (per kind) within the window.
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert sum("answers to no pending call" in r.getMessage() for r in warnings) <= 1


async def test_failed_handshakes_log_no_errors(
    hass: HomeAssistant,
    central: MockConfigEntry,
    port: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Port scans and half-open connections are debug noise, not ERROR tracebacks."""
    for probe in (b"", b"GET / HTTP/1.1\r\n\r\n", b"\x16\x03\x01\x02\x00garbage", b"HELLO\r\n\r\n"):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(probe)
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        del reader
    await asyncio.sleep(0.2)
    _assert_no_errors_logged(caplog)
    assert "opening handshake failed" not in caplog.text or all(
        r.levelno == logging.DEBUG
        for r in caplog.records
        if r.getMessage() == "opening handshake failed"
    )


@pytest.mark.parametrize(
    "options",
    [{CONF_AUTO_ACCEPT: False, CONF_MAX_PENDING_CHARGERS: 3}],
)
async def test_discovery_cards_are_capped(
    hass: HomeAssistant,
    central: MockConfigEntry,
    url: str,
    options: dict[str, Any],
) -> None:
    """Many new ids get Pending, but only a capped number of discovery cards.

    Accepting one card opens the next for a charger still waiting.
    """
    sockets = []
    for number in range(12):
        ws = await _open(url, "1.6", f"NEW{number}")
        sockets.append(ws)
        reply = await RawCharger(ws).call("BootNotification", BOOT["1.6"])
        assert reply[2]["status"] == "Pending"
    await hass.async_block_till_done()

    def cards() -> list[Any]:
        return hass.config_entries.flow.async_progress_by_handler(
            DOMAIN, match_context={"source": SOURCE_INTEGRATION_DISCOVERY}
        )

    assert len(cards()) == 3
    first = cards()[0]
    await hass.config_entries.flow.async_configure(first["flow_id"], {})
    await hass.async_block_till_done()
    assert len(cards()) == 3
    assert len(central.runtime_data.chargers) == 1
    for ws in sockets:
        await ws.close()


async def test_unsaveable_charger_keeps_last_good_record_and_raises_repair(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """If a charger's record ever cannot be serialised, the rest is still saved.

    The validation layer keeps such values out; this is the last line of defence, and the
    user learns about it from a repair issue that goes away once saving works again.
    """
    good = await make_simulator("FINE")
    await good.boot()
    bad = await make_simulator("BROKEN")
    await bad.boot()
    await hass.async_block_till_done()
    store = central.runtime_data.store
    await store.async_save_now()
    broken = central.runtime_data.chargers["BROKEN"]
    broken.connector(1).energy.value_wh = 10**30  # type: ignore[assignment]
    central.runtime_data.chargers["FINE"].connector(1).energy.value_wh = 4200.0
    await store.async_save_now()
    saved = store.as_diagnostics()
    json_bytes(saved)
    assert saved["chargers"]["FINE"]["energy_wh"]["1"] == 4200.0
    assert "1" not in saved["chargers"]["BROKEN"]["energy_wh"]
    issue_id = f"store_failed_{central.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"chargers": "BROKEN"}
    broken.connector(1).energy.value_wh = 5.0
    await store.async_save_now()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_broken_answer_fails_our_call_at_once(
    hass: HomeAssistant, central: MockConfigEntry, url: str
) -> None:
    """A malformed answer to the call we wait for fails it now, not after the 30 s timeout."""
    ws, _charger = await _booted(url, "1.6", "BROKENANSWER")
    async with ws:
        task, frame = await _pending_read(hass, central, ws, "BROKENANSWER")
        await ws.send(json.dumps([4, frame[1], None, "", {}]))
        with pytest.raises(ChargerCallError) as err:
            async with asyncio.timeout(5):
                await task
        assert err.value.code == "FormationViolation"


def test_log_throttle_counts_repeats_and_caps_everything() -> None:
    """Once per source and kind within a window, with a count; a global budget on top."""
    logger = logging.getLogger("tests.throttle")
    logger.setLevel(logging.INFO)
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = Collect()
    logger.addHandler(handler)
    try:
        throttle = LogThrottle(logger, window=0.05, lines_per_window=5, max_tracked=3)
        for _ in range(100):
            throttle.report(logging.WARNING, "Charger A", "sent garbage", "x")
        assert records == ["Charger A: sent garbage (x)"]
        import time

        time.sleep(0.06)
        throttle.report(logging.WARNING, "Charger A", "sent garbage", "y")
        assert records[-1] == "Charger A: sent garbage (y); 99 more times in the last 0 minutes"
        # A flood of sources: at most the budget, then one line saying logging paused.
        for number in range(1000):
            throttle.report(logging.WARNING, f"Charger {number}", "sent garbage", "x")
        assert len(records) <= 2 + 5 + 1
        assert "not logging more" in records[-1]
    finally:
        logger.removeHandler(handler)


@pytest.mark.parametrize(
    "options",
    [{CONF_AUTO_ACCEPT: True, CONF_MAX_CONNECTIONS_PER_ADDRESS: 2}],
)
async def test_connections_per_address_are_capped(
    hass: HomeAssistant,
    central: MockConfigEntry,
    url: str,
    options: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Past the cap an address gets HTTP 429; a closed connection frees its slot.

    Loopback is exempt in real use (a proxy on the HA host forwards every charger), so the
    test makes loopback count like any other address.
    """
    from custom_components.ocpp_central import server

    monkeypatch.setattr(server, "_is_loopback", lambda _address: False)
    first = await _open(url, "1.6", "ADDR1")
    second = await _open(url, "1.6", "ADDR2")
    for ws in (first, second):
        assert (await RawCharger(ws).call("Heartbeat", {}))[0] == 3
    for number in range(5):
        with pytest.raises(InvalidStatus) as err:
            await _open(url, "1.6", f"ADDR-EXTRA{number}")
        assert err.value.response.status_code == 429
    await first.close()
    await wait_until(hass, lambda: "ADDR1" not in central.runtime_data.sessions)
    async with await _open(url, "1.6", "ADDR3") as third:
        reply = await RawCharger(third).call("Heartbeat", {})
        assert reply[0] == 3
    await second.close()
    # Five refusals, one log line.
    assert caplog.text.count("opened too many connections") == 1
