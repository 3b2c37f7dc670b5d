"""Bad input gets the right CALLERROR or a refused connection, and never hurts other chargers."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus, NegotiationError

from custom_components.ocpp_central.const import MAX_FRAME_BYTES

from .helpers import state


async def _raw(url: str, charge_point_id: str = "RAW1", **kwargs: Any) -> ClientConnection:
    kwargs.setdefault("subprotocols", ["ocpp1.6"])
    return await connect(f"{url}/{charge_point_id}", **kwargs)


async def _exchange(ws: ClientConnection, frame: str) -> list[Any]:
    await ws.send(frame)
    async with asyncio.timeout(5):
        return list(json.loads(await ws.recv()))


BOOT = {"chargePointVendor": "V", "chargePointModel": "M"}


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        ("this is not json", ["-1", "FormationViolation"]),
        ('{"an": "object"}', ["-1", "FormationViolation"]),
        ("[2]", ["-1", "FormationViolation"]),
        ('[2, 17, "Heartbeat", {}]', ["-1", "FormationViolation"]),
        ('[2, "m1", "Heartbeat"]', ["m1", "FormationViolation"]),
        ('[2, "m2", "Heartbeat", []]', ["m2", "FormationViolation"]),
        ('[7, "m3", "Heartbeat", {}]', ["m3", "FormationViolation"]),
        ('[2, "m4", "FooBar", {}]', ["m4", "NotImplemented"]),
        # A real 1.6 action the central system does not take from chargers.
        ('[2, "m5", "RemoteStartTransaction", {"idTag": "x"}]', ["m5", "NotSupported"]),
        ('[2, "m6", "BootNotification", {"chargePointVendor": "V"}]', ["m6", "ProtocolError"]),
        (
            '[2, "m7", "BootNotification", {"chargePointVendor": 5, "chargePointModel": "M"}]',
            ["m7", "TypeConstraintViolation"],
        ),
        (
            '[2, "m8", "StatusNotification", {"connectorId": 1, "errorCode": "NoError",'
            ' "status": "Sleeping"}]',
            ["m8", "PropertyConstraintViolation"],
        ),
        (
            '[2, "m9", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M",'
            ' "colour": "red"}]',
            ["m9", "FormationViolation"],
        ),
        (
            '[2, "m10", "BootNotification", {"chargePointVendor": "' + "V" * 21 + '",'
            ' "chargePointModel": "M"}]',
            ["m10", "TypeConstraintViolation"],
        ),
        (
            '[2, "m11", "DataTransfer", {"vendorId": "v", "data": "'
            + "x" * MAX_FRAME_BYTES
            + '"}]',
            ["m11", "FormationViolation"],
        ),
    ],
)
async def test_bad_frames_get_callerrors(
    hass: HomeAssistant,
    central: MockConfigEntry,
    url: str,
    frame: str,
    expected: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each malformed or invalid frame gets the CALLERROR the OCPP-J spec names."""
    async with await _raw(url) as ws:
        reply = await _exchange(ws, frame)
        assert reply[0] == 4
        assert reply[1:3] == expected
        assert isinstance(reply[3], str)
        assert reply[3]
        # The connection keeps working afterwards.
        reply = await _exchange(ws, json.dumps([2, "ok", "BootNotification", BOOT]))
        assert reply[:2] == [3, "ok"]
    # One log line for the bad frame.
    assert caplog.text.count("Charger RAW1: sent") == 1


async def test_stray_answers_are_ignored(
    hass: HomeAssistant, central: MockConfigEntry, url: str
) -> None:
    """CALLRESULTs and CALLERRORs nobody waits for are dropped, never answered."""
    async with await _raw(url) as ws:
        await ws.send('[3, "nobody-asked", {}]')
        await ws.send('[4, "nobody-asked", "GenericError", "", {}]')
        await ws.send('[3, "broken"]')
        reply = await _exchange(ws, json.dumps([2, "hb", "Heartbeat", {}]))
        assert reply[:2] == [3, "hb"]


async def test_garbage_flood_is_logged_briefly(
    hass: HomeAssistant,
    central: MockConfigEntry,
    url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A charger flooding garbage is answered but not allowed to flood the log."""
    async with await _raw(url) as ws:
        for _ in range(50):
            await ws.send("garbage")
        for _ in range(50):
            async with asyncio.timeout(5):
                await ws.recv()
        reply = await _exchange(ws, json.dumps([2, "hb", "Heartbeat", {}]))
        assert reply[:2] == [3, "hb"]
    # Once per charger and kind within the window; repeats are counted, not logged.
    assert caplog.text.count("Charger RAW1: sent malformed frames") == 1


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/ocpp/",
        "/ocpp/" + "x" * 49,
        "/ocpp/a%2Fb",
        "/ocpp/..",
        "/ocpp/a..b",
        "/ocpp/bad%00id",
        "/ocpp/tab%09id",
        "/ocpp/%20padded",
        "/ocpp/%ff%fe",
    ],
)
async def test_hostile_ids_are_refused(
    hass: HomeAssistant, central: MockConfigEntry, port: int, path: str
) -> None:
    """Ids that are empty, too long, or carry path or control characters are refused."""
    with pytest.raises(InvalidStatus) as err:
        await connect(f"ws://127.0.0.1:{port}{path}", subprotocols=["ocpp1.6"])
    assert err.value.response.status_code == 404


async def test_long_prefix_and_encoded_ids_are_accepted(
    hass: HomeAssistant, central: MockConfigEntry, port: int
) -> None:
    """Any path prefix works; the id is the URL-decoded last segment."""
    async with await connect(
        f"ws://127.0.0.1:{port}/steve/websocket/CentralSystemService/My%20Box",
        subprotocols=["ocpp1.6"],
    ) as ws:
        reply = await _exchange(ws, json.dumps([2, "b", "BootNotification", BOOT]))
        assert reply[2]["status"] == "Accepted"
    assert "My Box" in central.runtime_data.chargers


async def test_subprotocol_negotiation(
    hass: HomeAssistant, central: MockConfigEntry, url: str
) -> None:
    """No subprotocol means 1.6; only unknown subprotocols are refused."""
    async with await _raw(url, "NOPROTO", subprotocols=None) as ws:
        assert ws.subprotocol is None
        reply = await _exchange(ws, json.dumps([2, "b", "BootNotification", BOOT]))
        assert reply[2]["status"] == "Accepted"
    async with await _raw(url, "MULTI", subprotocols=["ocpp0.9", "ocpp1.6"]) as ws:
        assert ws.subprotocol == "ocpp1.6"
    with pytest.raises((InvalidStatus, NegotiationError)):
        await _raw(url, "WRONG", subprotocols=["ocpp0.9"])


async def test_bad_charger_does_not_disturb_others(
    hass: HomeAssistant, central: MockConfigEntry, url: str, make_simulator: Any
) -> None:
    """While one connection sends garbage and oversized frames, another is served."""
    good = await make_simulator("GOOD")
    await good.boot()
    async with await _raw(url, "EVIL") as evil:
        for frame in ("{", "[2]", "x" * (MAX_FRAME_BYTES + 10), '[2,"a","FooBar",{}]'):
            await evil.send(frame)
        await good.meter_values(1, [{"value": "4200", "unit": "Wh"}])
        await hass.async_block_till_done()
        assert float(state(hass, "sensor", "GOOD_1_energy").state) == 4.2
    # A frame over the websocket limit closes only that connection.
    async with await _raw(url, "HUGE") as huge:
        await huge.send("x" * (2 * 1024 * 1024))
        async with asyncio.timeout(5):
            await huge.wait_closed()
        assert huge.close_code == 1009
    await good.heartbeat()
    assert good.connected


async def test_binary_frames(hass: HomeAssistant, central: MockConfigEntry, url: str) -> None:
    """A UTF-8 binary frame is read like text; a non-UTF-8 one is a framework error."""
    async with await _raw(url) as ws:
        await ws.send(json.dumps([2, "bin", "Heartbeat", {}]).encode())
        async with asyncio.timeout(5):
            assert json.loads(await ws.recv())[:2] == [3, "bin"]
        reply = await _exchange_bytes(ws, b"\xff\xfe")
        assert reply[:3] == [4, "-1", "FormationViolation"]


async def _exchange_bytes(ws: ClientConnection, frame: bytes) -> list[Any]:
    await ws.send(frame)
    async with asyncio.timeout(5):
        return list(json.loads(await ws.recv()))


async def test_handler_crash_answers_internal_error(
    hass: HomeAssistant,
    central: MockConfigEntry,
    url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bug in a handler answers InternalError and keeps the connection serving."""
    from custom_components.ocpp_central.session import ChargerSession

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(ChargerSession, "heartbeat", broken)
    async with await _raw(url) as ws:
        reply = await _exchange(ws, json.dumps([2, "hb", "Heartbeat", {}]))
        assert reply[:3] == [4, "hb", "InternalError"]
        reply = await _exchange(ws, json.dumps([2, "b", "BootNotification", BOOT]))
        assert reply[:2] == [3, "b"]
