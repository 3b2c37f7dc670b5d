"""Hostile input from the fuzz harness (tests/fuzz_frames.py) never hurts the central system.

For each OCPP version a short, seeded fuzz runs from a charger that booted and was accepted
and from one that never booted, while a well-behaved charger uses the same server. Every CALL
must be answered, never with InternalError; nothing may be logged at ERROR or with a
traceback, and warnings stay few; the store must still be writable; the device registry stays
bounded; the good charger keeps being served.

OCPP_FUZZ_FRAMES sets the frames per run (default 300), OCPP_FUZZ_SEED the seed (default 0).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
import json
import logging
import os
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.json import json_bytes
from hypothesis import HealthCheck, given, settings, strategies as st
from jsonschema import Draft4Validator
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ocpp_central.const import DOMAIN

from .conftest import ALL_VERSIONS, VERSIONS
from .fuzz_frames import (
    CATEGORIES,
    MAX_MESSAGE_ID_LENGTH,
    NO_ID,
    FuzzItem,
    FuzzReport,
    PayloadBuilder,
    answer_server_call,
    generate_frames,
    load_schemas,
    run_fuzz,
)
from .helpers import state, wait_until

FUZZ_FRAMES = int(os.environ.get("OCPP_FUZZ_FRAMES", "300"))
FUZZ_SEED = int(os.environ.get("OCPP_FUZZ_SEED", "0"))
# Loopback answers take milliseconds; this only bounds the wait for one that never comes.
ANSWER_TIMEOUT = 3.0
# Bad input is logged once per charger and kind within a window, not once per frame.
MAX_WARNINGS_PER_RUN = 20
# A charger device and at most 16 connector devices.
MAX_DEVICES_PER_CHARGER = 17
BOOTED = "FUZZ_BOOTED"
NEVER_BOOTED = "FUZZ_NEVER_BOOTED"

# The schema-checked categories and whether their payloads are valid.
_SCHEMA_VALID = {"valid": True, "unsupported_action": True}
_SCHEMA_INVALID = {"wrong_type": False, "missing_required": False, "extra_field": False}


def _report_problems(report: FuzzReport) -> list[str]:
    """What a run did that a central system must never do."""
    problems = []
    name = f"{report.charge_point_id} (OCPP {report.version})"
    if report.aborted:
        problems.append(f"{name}: fuzz aborted: {report.aborted}")
    if report.boot_failures:
        problems.append(f"{name}: {report.boot_failures} BootNotifications got no answer")
    problems += [f"{name}: unanswered CALL:\n{f.line()}" for f in report.unanswered]
    problems += [f"{name}: InternalError answer:\n{f.line()}" for f in report.internal_errors]
    problems += [
        f"{name}: answer to a frame that must not be answered:\n{f.line()}"
        for f in report.unexpected_answers
    ]
    problems += [f"{name}: connection closed:\n{f.line()}" for f in report.unexpected_closes]
    return problems


def _log_problems(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Errors, tracebacks and too many warnings in the log of the fuzz."""
    problems = [
        f"log {record.levelname} {record.name}: {record.getMessage()[:300]!a}"
        for record in caplog.records
        if record.levelno >= logging.ERROR
    ]
    problems += [
        f"log record with a traceback: {record.getMessage()[:200]!a}"
        for record in caplog.records
        if record.exc_info and record.levelno < logging.ERROR
    ]
    if "Traceback" in caplog.text:
        problems.append("a traceback was logged")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    for charge_point_id in (BOOTED, NEVER_BOOTED):
        mine = [r for r in warnings if charge_point_id in r.getMessage()]
        if len(mine) > MAX_WARNINGS_PER_RUN:
            problems.append(
                f"{len(mine)} WARNING lines about {charge_point_id} (at most "
                f"{MAX_WARNINGS_PER_RUN}), e.g. {[r.getMessage()[:120] for r in mine[:8]]!a}"
            )
    if len(warnings) > 2 * MAX_WARNINGS_PER_RUN:
        problems.append(
            f"{len(warnings)} WARNING lines in all (at most {2 * MAX_WARNINGS_PER_RUN}), "
            f"e.g. {[r.getMessage()[:120] for r in warnings[:8]]!a}"
        )
    return problems


async def _keep_alive(good: Any, failures: list[str]) -> None:
    """The good charger's heartbeats while the fuzz runs; failures are collected."""
    while True:
        try:
            async with asyncio.timeout(5):
                await good.heartbeat()
        except Exception as err:
            failures.append(repr(err))
        await asyncio.sleep(0.5)


def _energy(hass: HomeAssistant) -> float | None:
    """The good charger's energy in kWh, None while it is not a number."""
    try:
        return float(state(hass, "sensor", "GOOD_1_energy").state)
    except ValueError:
        return None


@ALL_VERSIONS
@pytest.mark.timeout(max(600, FUZZ_FRAMES))
async def test_fuzz_does_not_hurt_the_central_system(
    hass: HomeAssistant,
    central: MockConfigEntry,
    url: str,
    make_simulator: Any,
    ocpp_version: str,
    caplog: pytest.LogCaptureFixture,
    hass_storage: dict[str, Any],
) -> None:
    good = await make_simulator("GOOD")
    await good.boot()
    await good.meter_values(1, [{"value": "4200", "unit": "Wh"}])
    await hass.async_block_till_done()
    assert _energy(hass) == 4.2
    heartbeat_failures: list[str] = []
    keep_alive = asyncio.create_task(_keep_alive(good, heartbeat_failures))
    try:
        booted = await run_fuzz(
            url,
            ocpp_version,
            generate_frames(ocpp_version, FUZZ_FRAMES, seed=FUZZ_SEED),
            charge_point_id=BOOTED,
            boot_first=True,
            answer_timeout=ANSWER_TIMEOUT,
        )
        never_booted = await run_fuzz(
            url,
            ocpp_version,
            generate_frames(ocpp_version, FUZZ_FRAMES, seed=FUZZ_SEED + 1, allow_boot=False),
            charge_point_id=NEVER_BOOTED,
            boot_first=False,
            answer_timeout=ANSWER_TIMEOUT,
        )
    finally:
        keep_alive.cancel()
        await asyncio.gather(keep_alive, return_exceptions=True)
    await hass.async_block_till_done()
    print(booted.table())
    print(never_booted.table())

    problems = _report_problems(booted) + _report_problems(never_booted)
    problems += [f"good charger heartbeat failed: {failure}" for failure in heartbeat_failures]
    # The good charger is still served: a new reading reaches its energy sensor.
    try:
        await good.meter_values(1, [{"value": "5300", "unit": "Wh"}])
        await wait_until(hass, lambda: _energy(hass) == 5.3)
    except Exception as err:
        problems.append(f"good charger's energy did not update after the fuzz: {err!r}")
    # The store can still be written, and what it holds serialises.
    store = central.runtime_data.store
    try:
        await store.async_save_now()
        saved = hass_storage[f"{DOMAIN}.{central.entry_id}"]
        json.dumps(saved)
        json_bytes(store.as_diagnostics())
    except Exception as err:
        problems.append(f"the store can no longer be written: {err!r}")
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), central.entry_id)
    if len(devices) > 1 + 2 * MAX_DEVICES_PER_CHARGER:
        problems.append(
            f"{len(devices)} devices (at most {1 + 2 * MAX_DEVICES_PER_CHARGER}): "
            f"{sorted(str(d.name)[:40] for d in devices)[:20]!a}"
        )
    problems += _log_problems(caplog)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


# --- the harness itself -------------------------------------------------------------------------


def _check_item(item: FuzzItem, version: str) -> None:
    """An item is what its category says."""
    assert item.category in CATEGORIES
    assert isinstance(item.frame, bytes) == (item.category == "binary")
    if item.message_id not in (None, NO_ID) and item.category != "bad_envelope":
        assert 0 < len(item.message_id) <= MAX_MESSAGE_ID_LENGTH
    if item.category not in _SCHEMA_VALID | _SCHEMA_INVALID:
        return
    message = json.loads(item.frame)
    assert message[:2] == [2, item.message_id]
    schema = load_schemas(version).requests[message[2]]
    errors = list(Draft4Validator(schema).iter_errors(message[3]))
    if item.category in _SCHEMA_VALID:
        assert not errors, (item, errors[0].message)
    else:
        assert errors, item
    if item.category == "valid":
        _check_realistic(message[3])


def _check_realistic(payload: Any) -> None:
    """Timestamps are ISO 8601 UTC and connector / EVSE ids small."""
    if isinstance(payload, list):
        for value in payload:
            _check_realistic(value)
        return
    if not isinstance(payload, dict):
        return
    for key, value in payload.items():
        if key in ("connectorId", "evseId"):
            assert 0 <= value <= 2
        elif key == "timestamp":
            assert datetime.fromisoformat(value).utcoffset() is not None
            assert value.endswith("Z")
        _check_realistic(value)


@given(version=st.sampled_from(VERSIONS), seed=st.integers(0, 2**32 - 1))
@settings(
    max_examples=15,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_fuzz_items_are_what_they_claim(version: str, seed: int) -> None:
    items = list(generate_frames(version, 250, seed=seed))
    assert items == list(generate_frames(version, 250, seed=seed))
    assert {item.category for item in items} == set(CATEGORIES)
    ids = [item.message_id for item in items if item.message_id not in (None, NO_ID)]
    assert len(ids) == len(set(ids))
    for item in items:
        _check_item(item, version)
    assert sum(item.expect_close for item in items) == 1


@ALL_VERSIONS
def test_fuzz_without_boots(ocpp_version: str) -> None:
    items = list(generate_frames(ocpp_version, 400, seed=5, allow_boot=False))
    assert len(items) == 400
    assert not [item for item in items if item.action == "BootNotification"]


@ALL_VERSIONS
def test_fuzzer_answers_server_calls_validly(ocpp_version: str) -> None:
    """The harness's answers to the central system's calls pass the response schemas."""
    import random

    schemas = load_schemas(ocpp_version)
    answered = 0
    for action in schemas.csms_actions:
        request = PayloadBuilder(random.Random(action), schemas.requests[action]).build()
        answer = answer_server_call(ocpp_version, "id1", action, request)
        if answer[0] == 4:
            assert answer[1:3] == ["id1", "NotImplemented"]
            continue
        answered += 1
        errors = list(Draft4Validator(schemas.responses[action]).iter_errors(answer[2]))
        assert not errors, (action, answer, errors[0].message)
    assert answered >= 8
