"""Calls to chargers: CALLERRORs, timeouts and lost connections surface, never hang."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from websockets.asyncio.client import ClientConnection, connect

from custom_components.ocpp_central.errors import (
    ChargerCallError,
    ChargerNotConnectedError,
    ChargerTimeoutError,
)
from custom_components.ocpp_central.protocol.base import CommandStatus, TriggerKind

BOOT = {"chargePointVendor": "V", "chargePointModel": "M"}


async def _booted(url: str, charge_point_id: str) -> ClientConnection:
    ws = await connect(f"{url}/{charge_point_id}", subprotocols=["ocpp1.6"])
    await ws.send(json.dumps([2, "boot", "BootNotification", BOOT]))
    async with asyncio.timeout(5):
        assert json.loads(await ws.recv())[2]["status"] == "Accepted"
    return ws


async def _next_call(ws: ClientConnection) -> list[Any]:
    async with asyncio.timeout(5):
        frame = json.loads(await ws.recv())
    assert frame[0] == 2
    return list(frame)


async def test_callerror_to_configuration_is_logged(
    hass: HomeAssistant,
    central: MockConfigEntry,
    url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A charger refusing GetConfiguration is logged once and keeps working."""
    async with await _booted(url, "ERR1") as ws:
        call = await _next_call(ws)
        assert call[2] == "GetConfiguration"
        await ws.send(json.dumps([4, call[1], "NotSupported", "nope", {}]))
        await asyncio.sleep(0.1)
        await hass.async_block_till_done()
        assert "Charger ERR1: did not let us read or apply its configuration" in caplog.text
        await ws.send(json.dumps([2, "hb", "Heartbeat", {}]))
        async with asyncio.timeout(5):
            assert json.loads(await ws.recv())[:2] == [3, "hb"]


async def test_command_errors_are_typed(
    hass: HomeAssistant,
    central: MockConfigEntry,
    url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CALLERROR, timeout and a dropped connection each raise their own error."""
    async with await _booted(url, "ERR2") as ws:
        # Let the post-boot GetConfiguration fail quickly so commands below go out at once.
        call = await _next_call(ws)
        await ws.send(json.dumps([4, call[1], "GenericError", "", {}]))
        adapter = central.runtime_data.sessions["ERR2"].adapter

        task = asyncio.ensure_future(adapter.trigger_message(TriggerKind.HEARTBEAT))
        call = await _next_call(ws)
        assert call[2:] == ["TriggerMessage", {"requestedMessage": "Heartbeat"}]
        await ws.send(json.dumps([3, call[1], {"status": "NotImplemented"}]))
        assert await task is CommandStatus.NOT_SUPPORTED

        task = asyncio.ensure_future(adapter.change_configuration("Foo", "1"))
        call = await _next_call(ws)
        await ws.send(json.dumps([4, call[1], "InternalError", "broken", {}]))
        with pytest.raises(ChargerCallError) as err:
            await task
        assert err.value.code == "InternalError"

        task = asyncio.ensure_future(adapter.change_configuration("Foo", "1"))
        call = await _next_call(ws)
        await ws.send(json.dumps([4, call[1], "MadeUpError", "?", {}]))
        with pytest.raises(ChargerCallError):
            await task

        monkeypatch.setattr(adapter, "_response_timeout", 0.1)
        task = asyncio.ensure_future(adapter.change_configuration("Foo", "1"))
        await _next_call(ws)
        with pytest.raises(ChargerTimeoutError):
            await task

        task = asyncio.ensure_future(adapter.get_configuration(["Foo"]))
        await _next_call(ws)
    # The socket closed while the call waited for its answer.
    with pytest.raises(ChargerNotConnectedError):
        await task
    with pytest.raises(ChargerNotConnectedError):
        await adapter.get_configuration()


async def test_triggered_boot_refused(
    hass: HomeAssistant,
    central: MockConfigEntry,
    url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A charger that refuses TriggerMessage after approval is accepted at its next boot."""
    hass.config_entries.async_update_entry(
        central, options={**central.options, "auto_accept": False}
    )
    async with await connect(f"{url}/SHY", subprotocols=["ocpp1.6"]) as ws:
        await ws.send(json.dumps([2, "boot", "BootNotification", BOOT]))
        async with asyncio.timeout(5):
            assert json.loads(await ws.recv())[2]["status"] == "Pending"
        await hass.async_block_till_done()
        flow = hass.config_entries.flow.async_progress_by_handler("ocpp_central")[0]
        await hass.config_entries.flow.async_configure(flow["flow_id"], {})
        call = await _next_call(ws)
        assert call[2] == "TriggerMessage"
        await ws.send(json.dumps([4, call[1], "NotImplemented", "", {}]))
        await asyncio.sleep(0.1)
        assert "did not take TriggerMessage" in caplog.text
        await ws.send(json.dumps([2, "boot2", "BootNotification", BOOT]))
        async with asyncio.timeout(5):
            assert json.loads(await ws.recv())[2]["status"] == "Accepted"


async def test_firmware_and_diagnostics_status_answered(
    hass: HomeAssistant, central: MockConfigEntry, url: str
) -> None:
    """Status notifications of firmware and diagnostics uploads get their empty answer."""
    async with await _booted(url, "FW1") as ws:
        await ws.send(
            json.dumps([2, "fw", "FirmwareStatusNotification", {"status": "Downloading"}])
        )
        await ws.send(
            json.dumps([2, "dg", "DiagnosticsStatusNotification", {"status": "Uploading"}])
        )
        answers = {}
        async with asyncio.timeout(5):
            while len(answers) < 2:
                frame = json.loads(await ws.recv())
                if frame[0] == 3:
                    answers[frame[1]] = frame[2]
        assert answers == {"fw": {}, "dg": {}}
