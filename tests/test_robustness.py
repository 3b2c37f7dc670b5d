"""Robustness across the security profiles: fuzzing, guessing, storms, duplicate ids.

The fuzz harness (tests/fuzz_frames.py) runs through each security profile as an
authenticated charger; unauthenticated clients throw malformed and wrong credentials at the
handshake; a storm of chargers drops and reconnects at once with sessions running; a second
connection under an approved id tries to take its place. Nothing may crash, answer
InternalError, log an error, or lose a session. Each test prints its counts.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
from pathlib import Path
import random
import ssl
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake, InvalidStatus

from custom_components.ocpp_central.const import (
    CONF_AUTO_ACCEPT,
    CONF_HEARTBEAT_INTERVAL,
    CONF_TLS_PORT,
)
from custom_components.ocpp_central.security import MAX_FAILED_ATTEMPTS, SecurityProfile
from simulator.habits import Habit

from .conftest import free_port
from .fuzz_frames import generate_frames, run_fuzz
from .helpers import smart_charger, wait_until
from .test_fuzz import ANSWER_TIMEOUT, _report_problems
from .test_tls import _client_certificate, _client_context

PASSWORD = "robust-password-0123"
TLS_PORT = free_port()
OPTIONS = {CONF_AUTO_ACCEPT: True, CONF_HEARTBEAT_INTERVAL: 300, CONF_TLS_PORT: TLS_PORT}
FRAMES_PER_PROFILE = int(os.environ.get("OCPP_ROBUST_FRAMES", "200"))
GUESSES = 60
STORM_CHARGERS = 12
# Profile -> the OCPP version its fuzz speaks (every version gets a secured run).
PROFILE_VERSIONS = {0: "1.6", 1: "2.0.1", 2: "2.1", 3: "1.6"}


@pytest.fixture(autouse=True)
def config_dir(hass: HomeAssistant, tmp_path: Path) -> None:
    """The certificate authority's files go to a temporary config directory."""
    hass.config.config_dir = str(tmp_path)


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{record.levelname}: {record.getMessage()[:200]}"
        for record in caplog.records
        if record.levelno >= logging.ERROR or record.exc_info
    ]


@pytest.mark.parametrize("profile", [0, 1, 2, 3])
@pytest.mark.parametrize("options", [OPTIONS])
@pytest.mark.timeout(300)
async def test_fuzz_through_each_security_profile(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    options: dict[str, Any],
    profile: int,
) -> None:
    """An authenticated charger sends hostile frames; the server stays whole."""
    version = PROFILE_VERSIONS[profile]
    runtime = central.runtime_data
    sim = await make_simulator("FUZZ", ocpp_version=version)
    await sim.boot()
    await wait_until(hass, lambda: "FUZZ" in runtime.chargers)
    await sim.close()
    security = runtime.chargers["FUZZ"].security
    headers: dict[str, str] = {}
    tls = None
    base = url
    if profile >= SecurityProfile.BASIC_AUTH:
        security.set_password(PASSWORD, required=SecurityProfile(profile))
        security.proven = SecurityProfile(profile)
        headers = _basic("FUZZ", PASSWORD)
    if profile >= SecurityProfile.TLS_BASIC_AUTH:
        base = f"wss://127.0.0.1:{TLS_PORT}"
        tls = ssl.create_default_context(
            cafile=str(runtime.secure_port.authority.ca_certificate_path)
        )
    if profile == SecurityProfile.TLS_CLIENT_CERTIFICATE:
        authority = runtime.secure_port.authority
        certificate = _client_certificate(tmp_path, "FUZZ", authority)
        tls = _client_context(authority.ca_certificate_path, certificate)
        headers = {}
    report = await run_fuzz(
        base,
        version,
        generate_frames(version, FRAMES_PER_PROFILE, seed=profile),
        charge_point_id="FUZZ",
        boot_first=True,
        answer_timeout=ANSWER_TIMEOUT,
        headers=headers,
        tls=tls,
    )
    await hass.async_block_till_done()
    problems = _report_problems(report) + _errors(caplog)
    print(
        f"ROBUSTNESS fuzz profile={profile} version={version} frames={FRAMES_PER_PROFILE} "
        f"problems={len(problems)}"
    )
    assert not problems, "\n".join(problems)
    assert security.last_profile is SecurityProfile(profile)


@pytest.mark.parametrize("options", [OPTIONS])
async def test_unauthenticated_guessing(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    url: str,
    caplog: pytest.LogCaptureFixture,
    options: dict[str, Any],
) -> None:
    """Malformed and wrong credentials get 401 (then 429); the real charger goes on."""
    sim = await smart_charger(hass, central, make_simulator)
    security = central.runtime_data.chargers["CP1"].security
    security.set_password(PASSWORD, required=SecurityProfile.BASIC_AUTH)
    security.proven = SecurityProfile.BASIC_AUTH
    rng = random.Random(7)
    statuses: list[int] = []
    ca = str(central.runtime_data.secure_port.authority.ca_certificate_path)
    for attempt in range(GUESSES):
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
        header = rng.choice(
            [
                "Basic " + base64.b64encode(junk).decode(),
                "Basic " + base64.b64encode(b"CP1:" + junk).decode(errors="replace"),
                "Basic !!!" + junk.hex(),
                "Bearer " + junk.hex(),
                "Basic " + base64.b64encode(b"CP1:" + PASSWORD.encode() + b"x").decode(),
                "",
            ]
        )
        secure = attempt % 2 == 1
        target = f"wss://127.0.0.1:{TLS_PORT}/CP1" if secure else f"{url}/CP1"
        try:
            async with connect(
                target,
                subprotocols=["ocpp1.6"],
                additional_headers={"Authorization": header} if header else {},
                ssl=ssl.create_default_context(cafile=ca) if secure else None,
            ):
                statuses.append(101)
        except InvalidStatus as err:
            statuses.append(err.response.status_code)
        except InvalidHandshake:
            statuses.append(0)
    counts = {status: statuses.count(status) for status in set(statuses)}
    print(f"ROBUSTNESS guesses={GUESSES} statuses={counts}")
    assert 101 not in counts
    assert set(counts) <= {401, 429}
    assert counts.get(401, 0) == MAX_FAILED_ATTEMPTS
    # The charger itself was never disturbed.
    assert sim.connected
    assert (await sim.heartbeat()) is not None
    assert not _errors(caplog)
    blocked = [r for r in caplog.records if "failed to authenticate too often" in r.getMessage()]
    assert len(blocked) == 1


@pytest.mark.parametrize("options", [OPTIONS])
@pytest.mark.timeout(120)
async def test_reconnect_storm_loses_no_session(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    caplog: pytest.LogCaptureFixture,
    options: dict[str, Any],
) -> None:
    """Chargers with running sessions and passwords all drop and reconnect at once."""
    runtime = central.runtime_data
    sims = []
    for number in range(STORM_CHARGERS):
        # A network drop, not a reboot: the sessions go on and the charger does not boot.
        sim = await make_simulator(
            f"STORM{number}",
            password=PASSWORD,
            security_profile=1,
            habits=frozenset({Habit.RECONNECT_WITHOUT_BOOT}),
        )
        await sim.boot()
        await sim.status(1, "Charging")
        await sim.start_transaction(1)
        sims.append(sim)
    await wait_until(hass, lambda: len(runtime.chargers) == STORM_CHARGERS)
    for number in range(STORM_CHARGERS):
        # Adopted at acceptance: the installer's password is required from now on.
        assert runtime.chargers[f"STORM{number}"].security.enforced is SecurityProfile.BASIC_AUTH
    await asyncio.gather(*(sim.drop_connection() for sim in sims))
    await asyncio.gather(*(sim.reconnect() for sim in sims))
    await wait_until(hass, lambda: all(c.connected for c in runtime.chargers.values()))
    lost = 0
    for number, sim in enumerate(sims):
        charger = runtime.chargers[f"STORM{number}"]
        if charger.connector(1).transaction is None:
            lost += 1
        await sim.meter_values(1, [{"value": "2500", "unit": "Wh"}], sim.transaction_id(1))
        await sim.stop_transaction(1)
    await hass.async_block_till_done()
    finished = sum(
        1
        for charger in runtime.chargers.values()
        if charger.connector(1).last_transaction is not None
        and charger.connector(1).transaction is None
    )
    print(f"ROBUSTNESS storm chargers={STORM_CHARGERS} lost={lost} finished={finished}")
    assert lost == 0
    assert finished == STORM_CHARGERS
    assert not _errors(caplog)


@pytest.mark.parametrize("options", [OPTIONS])
async def test_second_connection_needs_the_password(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    url: str,
    options: dict[str, Any],
) -> None:
    """An impostor without the password cannot replace a charger's connection; the charger can."""
    sim = await smart_charger(hass, central, make_simulator, password=PASSWORD, security_profile=1)
    runtime = central.runtime_data
    session = runtime.sessions["CP1"]
    with pytest.raises(InvalidStatus):
        async with connect(f"{url}/CP1", subprotocols=["ocpp1.6"]):
            pass
    assert runtime.sessions["CP1"] is session
    assert sim.connected
    twin = await make_simulator("CP1", password=PASSWORD, security_profile=1)
    assert await sim.wait_disconnected(5)
    await twin.boot()
    assert runtime.sessions["CP1"] is not session


@pytest.mark.parametrize("options", [OPTIONS])
async def test_restart_mid_session_keeps_credentials_and_session(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    url: str,
    options: dict[str, Any],
) -> None:
    """Home Assistant restarts during a session of a charger with a password."""
    sim = await make_simulator(
        "CP1",
        password=PASSWORD,
        security_profile=1,
        habits=frozenset({Habit.RECONNECT_WITHOUT_BOOT, Habit.OFFLINE_QUEUE}),
    )
    await sim.boot()
    await sim.status(1, "Charging")
    await sim.start_transaction(1)
    await wait_until(hass, lambda: "CP1" in central.runtime_data.chargers)
    assert await hass.config_entries.async_unload(central.entry_id)
    await sim.wait_disconnected(5)
    # While HA is down the session goes on; its readings wait in the charger's queue.
    await sim.meter_values(1, [{"value": "3100", "unit": "Wh"}], sim.transaction_id(1))
    assert await hass.config_entries.async_setup(central.entry_id)
    await hass.async_block_till_done()
    runtime = central.runtime_data
    charger = runtime.chargers["CP1"]
    assert charger.security.enforced is SecurityProfile.BASIC_AUTH
    with pytest.raises(InvalidStatus):
        async with connect(f"{url}/CP1", subprotocols=["ocpp1.6"]):
            pass
    await sim.reconnect()
    await wait_until(hass, lambda: charger.connected)
    transaction = charger.connector(1).transaction
    assert transaction is not None
    await wait_until(hass, lambda: charger.connector(1).energy.value_wh == 3100)
    await sim.stop_transaction(1)
    await wait_until(hass, lambda: charger.connector(1).transaction is None)
    last = charger.connector(1).last_transaction
    assert last is not None
    assert last.transaction_id == transaction.transaction_id
