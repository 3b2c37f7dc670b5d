"""Connection limits (options): message rate, idle timeout, answer timeout, frame size."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ocpp_central.const import (
    CONF_AUTO_ACCEPT,
    CONF_CALL_TIMEOUT,
    CONF_HEARTBEAT_INTERVAL,
    CONF_IDLE_TIMEOUT,
    CONF_MAX_FRAME_KB,
    CONF_MAX_MESSAGE_RATE,
)
from custom_components.ocpp_central.rate_limit import BURST_SECONDS, MessageRate

from .conftest import ALL_VERSIONS
from .helpers import wait_until
from .test_hostile_input import BOOT, FORMAT_VIOLATION, RawCharger, _booted, _open

LIMITED = {
    CONF_AUTO_ACCEPT: True,
    CONF_HEARTBEAT_INTERVAL: 300,
    CONF_MAX_MESSAGE_RATE: 5,
    CONF_IDLE_TIMEOUT: 2,
    CONF_CALL_TIMEOUT: 7,
    CONF_MAX_FRAME_KB: 4,
}


def test_message_rate_bucket() -> None:
    """A burst passes at once; beyond it, each message waits its share of a second."""
    rate = MessageRate(10)
    burst = int(10 * BURST_SECONDS)
    assert [rate.delay(0.0) for _ in range(burst)] == [0.0] * burst
    assert rate.delay(0.0) == pytest.approx(0.1)
    assert rate.delay(0.0) == pytest.approx(0.2)
    # Time refills the bucket.
    assert rate.delay(10.0) == 0.0
    assert MessageRate(0).delay(0.0) == 0.0


@pytest.mark.parametrize("options", [LIMITED])
async def test_a_flood_is_slowed_not_dropped(
    hass: HomeAssistant,
    central: MockConfigEntry,
    url: str,
    options: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Frames sent without waiting beyond the rate are all answered, and it is logged once."""
    ws, _charger = await _booted(url, "1.6", "FLOOD")
    async with ws:
        count = int(5 * BURST_SECONDS) + 5
        for n in range(count):
            await ws.send(json.dumps([2, f"h{n}", "Heartbeat", {}]))
        answered: set[str] = set()
        async with asyncio.timeout(10):
            while len(answered) < count:
                frame = json.loads(await ws.recv())
                if frame[0] == 3:
                    answered.add(frame[1])
        assert answered == {f"h{n}" for n in range(count)}
    warnings = [r for r in caplog.records if "sends more messages than allowed" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING


@pytest.mark.parametrize("options", [LIMITED])
async def test_a_silent_connection_is_closed(
    hass: HomeAssistant, central: MockConfigEntry, url: str, options: dict[str, Any]
) -> None:
    """Nothing received for the idle timeout: the connection is closed (the charger returns)."""
    ws, _charger = await _booted(url, "1.6", "SILENT")
    async with asyncio.timeout(10):
        await ws.wait_closed()
    assert ws.close_code == 1000
    sessions = central.runtime_data.sessions
    await wait_until(hass, lambda: "SILENT" not in sessions)


@ALL_VERSIONS
@pytest.mark.parametrize("options", [LIMITED])
async def test_frame_size_and_answer_timeout_follow_the_options(
    hass: HomeAssistant,
    central: MockConfigEntry,
    url: str,
    options: dict[str, Any],
    ocpp_version: str,
) -> None:
    """A frame above the option's size gets a CALLERROR; calls wait the option's time."""
    ws = await _open(url, ocpp_version, "BIG")
    async with ws:
        charger = RawCharger(ws)
        boot = dict(BOOT[ocpp_version])
        padded = json.dumps(boot)[:-1] + ', "padding": "' + "x" * 5000 + '"}'
        reply = await charger.call("BootNotification", padded)
        assert reply[:3] == [4, "m1", FORMAT_VIOLATION[ocpp_version]]
        reply = await charger.call("BootNotification", boot)
        assert reply[0] == 3
        session = central.runtime_data.sessions["BIG"]
        assert session.adapter.max_frame_bytes == 4 * 1024
        assert session.adapter._response_timeout == 7
