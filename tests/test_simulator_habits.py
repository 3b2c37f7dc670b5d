"""The simulator's real-charger habits, each shown on the wire against the real central system.

These tests assert what the simulator does (the frames it sends, the answers it gives), not
how the central system copes with it: that is what the habits are for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from datetime import UTC, datetime, timedelta
import json
from typing import Any

from homeassistant.core import HomeAssistant
from ocpp.exceptions import OCPPError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ocpp_central.protocol.commands import (
    ChargingProfile,
    ProfileKind,
    ProfilePurpose,
    RateUnit,
    ResetKind,
    SchedulePeriod,
)
from simulator import REALISTIC_HABITS, ChargerSimulator, Habit, SimulatorConfig
from simulator.__main__ import build_parser, config_from_args

from .conftest import ALL_VERSIONS

# Connection errors and refusals the central system may answer a habit with: not asserted.
REFUSALS = (OCPPError, ConnectionError, TimeoutError)
# What readings are taken of (explicitly: the central system may change the sampled set).
MEASURANDS = [
    "Energy.Active.Import.Register",
    "Power.Active.Import",
    "Current.Import",
    "Current.Offered",
    "Voltage",
]


def _v2(sim: ChargerSimulator) -> bool:
    return sim.config.is_v2


def _adapter(central: MockConfigEntry, charge_point_id: str = "CP1") -> Any:
    return central.runtime_data.sessions[charge_point_id].adapter


async def _wait(predicate: Callable[[], bool], timeout: float = 5) -> None:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while True:
            if predicate():
                return
            await asyncio.sleep(0.01)


def _calls(sim: ChargerSimulator, action: str, event_type: str | None = None) -> list[list[Any]]:
    """CALLs of `action` the simulator sent (2.x TransactionEvents of `event_type`)."""
    return [
        frame
        for frame in sim.sent_calls(action)
        if event_type is None or frame[3].get("eventType") == event_type
    ]


def _stops(sim: ChargerSimulator) -> list[list[Any]]:
    """StopTransaction, or 2.x TransactionEvent Ended."""
    return _calls(sim, "TransactionEvent", "Ended") if _v2(sim) else _calls(sim, "StopTransaction")


def _readings(sim: ChargerSimulator) -> list[list[Any]]:
    """MeterValues of a transaction, or 2.x TransactionEvent Updated with readings."""
    if not _v2(sim):
        return _calls(sim, "MeterValues")
    return [f for f in _calls(sim, "TransactionEvent", "Updated") if f[3].get("meterValue")]


def _samples(frame: list[Any]) -> list[dict[str, Any]]:
    """The sampledValues of a MeterValues / TransactionEvent frame."""
    return [sample for entry in frame[3].get("meterValue", []) for sample in entry["sampledValue"]]


def _unit(sample: dict[str, Any]) -> str | None:
    unit = sample.get("unit")
    return sample.get("unitOfMeasure", {}).get("unit") if unit is None else unit


def _values(frame: list[Any], measurand: str) -> dict[str | None, float]:
    """A frame's values of one measurand by phase (None: no phase)."""
    return {
        sample.get("phase"): float(sample["value"])
        for sample in _samples(frame)
        if sample.get("measurand", "Energy.Active.Import.Register") == measurand
    }


async def _read(sim: ChargerSimulator) -> list[Any]:
    """Send MeterValues of MEASURANDS on connector 1; return the frame that went out."""
    await sim.meter_values(1, sim.sample(1, MEASURANDS))
    return _readings(sim)[-1]


def _answer(sim: ChargerSimulator, action: str) -> dict[str, Any]:
    """The simulator's answer to the last `action` CALL of the central system."""
    calls = [json.loads(text) for text in sim.raw_frames if text.startswith("[2")]
    call_id = next(frame[1] for frame in reversed(calls) if frame[2] == action)
    for text in reversed(sim.sent_frames):
        frame = json.loads(text)
        if frame[0] == 3 and frame[1] == call_id:
            return dict(frame[2])
    raise AssertionError(f"no answer to {action}")


def _profile(
    profile_id: int,
    purpose: ProfilePurpose,
    periods: tuple[SchedulePeriod, ...],
    *,
    kind: ProfileKind = ProfileKind.RELATIVE,
    start: datetime | None = None,
    stack_level: int = 0,
    transaction_id: str | None = None,
) -> ChargingProfile:
    return ChargingProfile(
        profile_id=profile_id,
        stack_level=stack_level,
        purpose=purpose,
        kind=kind,
        unit=RateUnit.AMPERE,
        periods=periods,
        start=start,
        transaction_id=transaction_id,
    )


async def _charging(sim: ChargerSimulator) -> None:
    """Boot, start a transaction on connector 1 and report Charging."""
    await sim.boot()
    await sim.start_transaction(1)
    await sim.status(1, "Charging")


async def _booted_again(sim: ChargerSimulator, boots: int = 2) -> None:
    """Wait until the `boots`-th BootNotification went out and connector 1 reported after it."""

    def reported() -> bool:
        calls = sim.sent_calls()
        starts = [i for i, frame in enumerate(calls) if frame[2] == "BootNotification"]
        return len(starts) >= boots and any(
            frame[2] == "StatusNotification"
            and (frame[3].get("connectorId") == 1 or frame[3].get("evseId") == 1)
            for frame in calls[starts[boots - 1] :]
        )

    await _wait(reported)


# ------------------------------------------------------------------------------ connection


@ALL_VERSIONS
async def test_reconnect_without_boot(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """After a drop the charger reconnects and goes on: Heartbeat, readings, stop, no boot."""
    sim = await make_simulator("CP1", habits={Habit.RECONNECT_WITHOUT_BOOT})
    await _charging(sim)
    await sim.drop_connection()
    assert not sim.connected
    assert sim.boot_status == "Accepted"  # the charger still considers itself registered
    before = len(sim.sent_frames)

    await sim.reconnect()
    assert sim.connected
    for step in (sim.heartbeat(), sim.status(1, "Charging"), sim.meter_values(1)):
        with contextlib.suppress(*REFUSALS):
            await step
    with contextlib.suppress(*REFUSALS):
        await sim.stop_transaction(1)

    after = [json.loads(text) for text in list(sim.sent_frames)[before:]]
    actions = [frame[2] for frame in after if frame[0] == 2]
    # No BootNotification of its own (one the central system triggers would be fine).
    triggers = [p for a, p in sim.received if a == "TriggerMessage"]
    asked = sum(p.get("requestedMessage") == "BootNotification" for p in triggers)
    assert actions.count("BootNotification") <= asked
    assert "Heartbeat" in actions
    if sim.connected:  # the central system may refuse an unbooted charger's messages
        assert ("TransactionEvent" if _v2(sim) else "StopTransaction") in actions


async def test_reconnect_boots_without_the_habit(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """The polite default: a reconnect registers anew."""
    sim = await make_simulator("CP1")
    await sim.boot()
    await sim.drop_connection()
    assert sim.boot_status is None
    await sim.reconnect()
    assert len(sim.sent_calls("BootNotification")) == 2


@ALL_VERSIONS
async def test_reset_reboots_and_ends_the_transaction_like_a_power_loss(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """Reset drops the socket, a new boot follows; the cut-off stop is replayed after it."""
    sim = await make_simulator(
        "CP1", habits={Habit.RESET_REBOOTS, Habit.OFFLINE_QUEUE}, reboot_delay=0.2
    )
    await _charging(sim)
    await _adapter(central).reset(ResetKind.HARD)
    assert await sim.wait_disconnected(2)
    reset_at = datetime.now(UTC)
    await _booted_again(sim)

    boots = sim.sent_calls("BootNotification")
    if _v2(sim):
        assert boots[1][3]["reason"] == "RemoteReset"
    stop = _stops(sim)[-1]
    frames = list(sim.sent_calls())
    assert frames.index(stop) > frames.index(boots[1])  # sent after the new boot
    when = datetime.fromisoformat(stop[3]["timestamp"])
    assert when <= reset_at + timedelta(seconds=0.1)  # ... with the time of the reset
    if _v2(sim):
        assert stop[3]["offline"] is True
        assert stop[3]["transactionInfo"]["stoppedReason"] == "ImmediateReset"
    else:
        assert stop[3]["reason"] == "HardReset"
    assert sim.transaction_id(1) is None


@pytest.mark.parametrize("forgets", [True, False])
async def test_forgets_profiles_on_reboot(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, forgets: bool
) -> None:
    """With the habit a reboot clears the profiles and the composite limit; without, not."""
    habits = {Habit.FORGETS_PROFILES_ON_REBOOT} if forgets else set()
    sim = await make_simulator("CP1", habits=habits)
    await sim.boot()
    limit = _profile(77, ProfilePurpose.TX_DEFAULT, (SchedulePeriod(0, 8.0),), stack_level=3)
    await _adapter(central).set_charging_profile(1, limit)
    assert _answer(sim, "SetChargingProfile") == {"status": "Accepted"}
    assert sim.composite_schedule(1, 60, "A")[0][1] == 8.0

    await _adapter(central).reset(ResetKind.SOFT)
    await _booted_again(sim)
    assert (77 in sim.connector(1).profiles) is not forgets


@ALL_VERSIONS
async def test_offline_queue(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """Readings and the stop made offline go out after the boot, in order, with old times."""
    sim = await make_simulator("CP1", habits={Habit.OFFLINE_QUEUE})
    await _charging(sim)
    await sim.drop_connection()
    assert await sim.meter_values(1) is None
    await asyncio.sleep(0.05)
    assert await sim.stop_transaction(1) is None
    assert sim.offline_queue.actions() == [
        "MeterValues",
        "StopTransaction",
    ]
    assert sim.transaction_id(1) is None  # ended locally at once
    before = len(sim.sent_calls())
    reconnected_at = datetime.now(UTC)

    await sim.reconnect()
    assert len(sim.offline_queue) == 0
    after = sim.sent_calls()[before:]
    boot = next(i for i, frame in enumerate(after) if frame[2] == "BootNotification")
    reading, stop = _readings(sim)[-1], _stops(sim)[-1]
    assert boot < after.index(reading) < after.index(stop)
    reading_time = reading[3]["meterValue"][0]["timestamp"]
    assert datetime.fromisoformat(reading_time) < reconnected_at
    assert datetime.fromisoformat(stop[3]["timestamp"]) < reconnected_at
    if _v2(sim):
        assert reading[3]["offline"] is True
        assert stop[3]["offline"] is True
        assert reading[3]["timestamp"] == reading_time


@ALL_VERSIONS
async def test_duplicate_after_lost_reply(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """The stop goes out twice with the same message id and payload."""
    sim = await make_simulator("CP1", habits={Habit.DUPLICATE_AFTER_LOST_REPLY})
    await _charging(sim)
    with contextlib.suppress(*REFUSALS):
        await sim.stop_transaction(1)
    first, second = _stops(sim)
    assert first == second
    assert len(sim.sent_calls("BootNotification")) == 1  # only the configured message


async def test_slow_answers(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """Every answer to the central system waits at least the configured delay."""
    sim = await make_simulator("CP1", habits={Habit.SLOW_ANSWERS}, answer_delay=(0.15, 0.2))
    await sim.boot()
    await sim.wait_for_call("GetConfiguration")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await _adapter(central).reset(ResetKind.SOFT)
    assert loop.time() - started >= 0.15


async def test_realistic_preset_survives_a_drop_in_a_session(
    hass: HomeAssistant, central: MockConfigEntry, url: str
) -> None:
    """The realistic preset: a session goes on through a drop; the charger reconnects alone."""
    sim = ChargerSimulator(
        url,
        SimulatorConfig(
            charge_point_id="CP1",
            habits=REALISTIC_HABITS,
            answer_delay=(0.01, 0.03),
            meter_interval=0.1,
            auto_heartbeat=False,
        ),
    )
    sim.reject_keys = {"MeterValueSampleInterval"}  # keep sampling every 0.1 s
    run = asyncio.create_task(
        sim.run_forever(session_duration=2, idle_time=0, sessions=1, reconnect_delay=0.5)
    )
    try:
        await _wait(lambda: sim.connected and bool(_readings(sim)))
        await sim.drop_connection()
        dropped_at = datetime.now(UTC)
        await _wait(lambda: sim.connected)  # by itself, after reconnect_delay
        back_at = datetime.now(UTC)
        await asyncio.wait_for(asyncio.shield(run), 10)
    finally:
        run.cancel()
        await sim.close()
    assert len(sim.sent_calls("BootNotification")) == 1  # reconnected without booting
    assert len(sim.offline_queue) == 0
    late = [
        frame
        for frame in _readings(sim)
        if dropped_at < datetime.fromisoformat(frame[3]["meterValue"][0]["timestamp"]) < back_at
    ]
    assert late  # readings made offline, sent once connected again
    assert _stops(sim)
    phases = {s.get("phase") for f in _readings(sim) for s in _samples(f)}
    assert {"L1", "L2", "L3"} <= phases


# ------------------------------------------------------------------------------ meter, phases


@ALL_VERSIONS
async def test_per_phase_only(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """Power and current go out per phase only, never as a total."""
    sim = await make_simulator("CP1", habits={Habit.PER_PHASE_ONLY})
    await _charging(sim)
    frame = await _read(sim)
    for measurand in ("Power.Active.Import", "Current.Import", "Current.Offered"):
        assert set(_values(frame, measurand)) == {"L1", "L2", "L3"}, measurand
    assert sum(_values(frame, "Power.Active.Import").values()) == pytest.approx(3 * 230 * 16)


@ALL_VERSIONS
async def test_one_phase(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """A single-phase installation reports L1 only; its power is one phase's."""
    sim = await make_simulator("CP1", habits={Habit.ONE_PHASE})
    assert sim.config.phases == 1
    await _charging(sim)
    frame = await _read(sim)
    assert set(_values(frame, "Voltage")) == {"L1-N"}
    assert set(_values(frame, "Current.Import")) == {"L1"}
    assert _values(frame, "Power.Active.Import")[None] == pytest.approx(230 * 16)


@ALL_VERSIONS
@pytest.mark.parametrize("switching", [True, False])
async def test_phase_switching(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    ocpp_version: str,
    switching: bool,
) -> None:
    """numberPhases 1 switches to one phase, unless the charger cannot switch (habit)."""
    habits = set() if switching else {Habit.NO_PHASE_SWITCHING}
    sim = await make_simulator("CP1", habits=habits)
    await _charging(sim)
    if ocpp_version == "1.6":
        await sim.wait_for_call("GetConfiguration")
        keys = {k["key"]: k["value"] for k in _answer(sim, "GetConfiguration")["configurationKey"]}
        assert keys["ConnectorSwitch3to1PhaseSupported"] == str(switching).lower()
    else:
        await _wait(lambda: bool(sim.sent_calls("NotifyReport")))
        await _wait(lambda: not sim.sent_calls("NotifyReport")[-1][3].get("tbc"))
        phases3to1 = [
            item["variableAttribute"][0]["value"]
            for frame in sim.sent_calls("NotifyReport")
            for item in frame[3].get("reportData", [])
            if item["variable"]["name"] in {"Phases3to1", "ACPhaseSwitchingSupported"}
        ]
        assert phases3to1
        assert set(phases3to1) == {str(switching).lower()}

    one_phase = _profile(5, ProfilePurpose.TX_DEFAULT, (SchedulePeriod(0, 10.0, 1),))
    await _adapter(central).set_charging_profile(1, one_phase)
    assert _answer(sim, "SetChargingProfile") == {"status": "Accepted"}
    frame = await _read(sim)
    currents = _values(frame, "Current.Import")
    power = _values(frame, "Power.Active.Import")[None]
    if switching:
        assert currents == {"L1": 10.0, "L2": 0.0, "L3": 0.0}
        assert power == pytest.approx(230 * 10)
    else:
        assert currents == {"L1": 10.0, "L2": 10.0, "L3": 10.0}
        assert power == pytest.approx(3 * 230 * 10)


@ALL_VERSIONS
async def test_suspended_below_6a(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """Below 6 A the session reports SuspendedEVSE with no power, and resumes above it."""
    sim = await make_simulator("CP1", habits={Habit.SUSPENDED_BELOW_6A})
    await sim.boot()
    session = asyncio.create_task(sim.run_session(1, duration=30))
    await _wait(lambda: sim.connector_status(1) == "Charging" and sim.transaction_id(1))
    adapter = _adapter(central)
    await adapter.set_charging_profile(
        1, _profile(9, ProfilePurpose.TX_DEFAULT, (SchedulePeriod(0, 4.0),))
    )
    await _wait(lambda: sim.connector_status(1) == "SuspendedEVSE")

    def suspended_sent() -> bool:
        if _v2(sim):
            states = [
                f[3]["transactionInfo"].get("chargingState")
                for f in _calls(sim, "TransactionEvent")
            ]
            return "SuspendedEVSE" in states
        return any(f[3]["status"] == "SuspendedEVSE" for f in sim.sent_calls("StatusNotification"))

    await _wait(suspended_sent)
    frame = await _read(sim)
    assert _values(frame, "Power.Active.Import")[None] == 0.0
    assert _values(frame, "Current.Offered")[None] == 4.0

    await adapter.set_charging_profile(
        1, _profile(9, ProfilePurpose.TX_DEFAULT, (SchedulePeriod(0, 10.0),))
    )
    await _wait(lambda: sim.connector_status(1) == "Charging")
    sim.connector(1).request_stop("Local")
    await asyncio.wait_for(session, 5)


@ALL_VERSIONS
async def test_rejects_tx_profile_outside_transaction(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """A TxProfile for a connector without a transaction is answered Rejected."""
    sim = await make_simulator("CP1", habits={Habit.REJECTS_TX_PROFILE_OUTSIDE_TRANSACTION})
    await sim.boot()
    profile = _profile(
        3, ProfilePurpose.TX, (SchedulePeriod(0, 10.0),), stack_level=1, transaction_id="42"
    )
    with contextlib.suppress(*REFUSALS):
        await _adapter(central).set_charging_profile(1, profile)
    assert _answer(sim, "SetChargingProfile") == {"status": "Rejected"}


@ALL_VERSIONS
async def test_register_reset(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """After a reboot the energy register restarts near zero; on demand too."""
    sim = await make_simulator("CP1", habits={Habit.REGISTER_RESET}, meter_start_wh=54321.0)
    await sim.boot()
    await _adapter(central).reset(ResetKind.SOFT)
    await _booted_again(sim)
    await sim.start_transaction(1)
    if _v2(sim):
        started = _calls(sim, "TransactionEvent", "Started")[-1]
        meter_start = _values(started, "Energy.Active.Import.Register")[None]
    else:
        meter_start = sim.sent_calls("StartTransaction")[-1][3]["meterStart"]
    assert meter_start < 100

    sim.reset_energy_register(1, 5.0)
    assert sim.energy_wh(1) == 5.0


@ALL_VERSIONS
async def test_per_session_register(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """Every transaction starts at meterStart 0 and counts from there."""
    sim = await make_simulator("CP1", habits={Habit.PER_SESSION_REGISTER}, meter_start_wh=5000.0)
    await sim.boot()
    for _ in range(2):
        await sim.start_transaction(1)
        await sim.status(1, "Charging")
        await asyncio.sleep(0.05)
        await sim.stop_transaction(1)
        await sim.status(1, "Available")
    if _v2(sim):
        starts = [
            _values(frame, "Energy.Active.Import.Register")[None]
            for frame in _calls(sim, "TransactionEvent", "Started")
        ]
        stops = [_values(frame, "Energy.Active.Import.Register")[None] for frame in _stops(sim)]
    else:
        starts = [frame[3]["meterStart"] for frame in sim.sent_calls("StartTransaction")]
        stops = [frame[3]["meterStop"] for frame in _stops(sim)]
    assert starts == [0, 0]
    assert all(0 <= stop < 100 for stop in stops)  # counted from 0, not from 5000 Wh


@ALL_VERSIONS
async def test_unset_clock(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """Every timestamp the charger writes is in 1970."""
    sim = await make_simulator("CP1", habits={Habit.UNSET_CLOCK})
    await _charging(sim)
    await sim.meter_values(1)
    await sim.stop_transaction(1)

    def timestamps(value: Any) -> list[str]:
        if isinstance(value, dict):
            found = [v for k, v in value.items() if k == "timestamp"]
            return found + [t for v in value.values() for t in timestamps(v)]
        if isinstance(value, list):
            return [t for v in value for t in timestamps(v)]
        return []

    found = timestamps([frame[3] for frame in sim.sent_calls()])
    assert len(found) >= 4
    assert all(stamp.startswith("1970-01-01T") for stamp in found), found


@ALL_VERSIONS
async def test_noisy_meter(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """kWh with decimals, power within 2 %, phases with their own voltage and current."""
    sim = await make_simulator("CP1", habits={Habit.NOISY_METER})
    await _charging(sim)
    first, second = await _read(sim), await _read(sim)
    energy = next(
        s for s in _samples(first) if s.get("measurand") == "Energy.Active.Import.Register"
    )
    assert _unit(energy) == "kWh"
    assert 1.0 <= float(energy["value"]) < 1.1  # 1000 Wh at the start
    if not _v2(sim):
        assert len(energy["value"].split(".")[1]) == 3
    for frame in (first, second):
        volts = _values(frame, "Voltage")
        assert all(225 <= v <= 240 for v in volts.values())
        assert len(set(volts.values())) == 3
        assert len(set(_values(frame, "Current.Import").values())) == 3
        power = _values(frame, "Power.Active.Import")[None]
        assert power == pytest.approx(3 * 230 * 16, rel=0.021)
    assert _values(first, "Power.Active.Import") != _values(second, "Power.Active.Import")
    assert _values(first, "Voltage") != _values(second, "Voltage")


# ------------------------------------------------------------------------------ smart charging


@ALL_VERSIONS
async def test_schedule_period_in_force_and_composite_schedule(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """The period in force follows the clock; the composite stacks station and connector."""
    sim = await make_simulator("CP1")
    await sim.boot()
    adapter = _adapter(central)
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    absolute = _profile(
        11,
        ProfilePurpose.TX_DEFAULT,
        (SchedulePeriod(0, 16.0), SchedulePeriod(20, 12.0), SchedulePeriod(600, 7.0)),
        kind=ProfileKind.ABSOLUTE,
        start=started,
        stack_level=1,
    )
    await adapter.set_charging_profile(1, absolute)
    assert _answer(sim, "SetChargingProfile") == {"status": "Accepted"}
    assert sim.connector(1).offered_current() == 12.0  # the second period, not the first
    station = _profile(12, ProfilePurpose.CHARGER_MAX, (SchedulePeriod(0, 10.0),))
    await adapter.set_charging_profile(0, station)
    assert _answer(sim, "SetChargingProfile") == {"status": "Accepted"}

    with contextlib.suppress(*REFUSALS):
        await adapter.get_composite_schedule(1, 900, RateUnit.AMPERE)
    answer = _answer(sim, "GetCompositeSchedule")
    schedule = answer["chargingSchedule"] if "chargingSchedule" in answer else answer["schedule"]
    periods = [(p["startPeriod"], p["limit"]) for p in schedule["chargingSchedulePeriod"]]
    # 10 A (station) until the absolute schedule's third period, 7 A from 570 s on.
    assert periods[0] == (0, 10.0)
    assert periods[1][1] == 7.0
    assert 569 <= periods[1][0] <= 571


@ALL_VERSIONS
async def test_reboot_required_keys(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """A listed key answers RebootRequired and takes effect with the next reboot."""
    key = "AuthorizeRemoteTxRequests" if ocpp_version == "1.6" else "AuthCtrlr.AuthorizeRemoteStart"
    sim = await make_simulator("CP1", reboot_required_keys={key})
    await sim.boot()
    with contextlib.suppress(*REFUSALS):
        await _adapter(central).change_configuration(key, "true")
    if ocpp_version == "1.6":
        assert _answer(sim, "ChangeConfiguration") == {"status": "RebootRequired"}
    else:
        results = _answer(sim, "SetVariables")["setVariableResult"]
        assert results[0]["attributeStatus"] == "RebootRequired"
    assert sim.authorize_remote_tx is False
    await _adapter(central).reset(ResetKind.SOFT)
    await _booted_again(sim)
    assert sim.authorize_remote_tx is True


# ------------------------------------------------------------------------------ configuration


def test_habits_from_the_command_line() -> None:
    """--habit is repeatable, --habits realistic selects the preset; names are checked."""
    args = build_parser().parse_args(
        [
            "--habits",
            "none",
            "--habit",
            "one_phase",
            "--habit",
            "unset_clock",
            "--answer-delay",
            "0.05",
            "0.2",
        ]
    )
    config = config_from_args(args)
    assert config.habits == {Habit.ONE_PHASE, Habit.UNSET_CLOCK}
    assert config.answer_delay == (0.05, 0.2)
    assert config.phases == 1
    realistic = config_from_args(
        build_parser().parse_args(["--habits", "realistic", "--habit", "unset_clock"])
    )
    assert realistic.habits == REALISTIC_HABITS | {Habit.UNSET_CLOCK}
    # On its own the simulator behaves like a real wallbox; "none" is the polite one.
    assert config_from_args(build_parser().parse_args([])).habits == REALISTIC_HABITS
    assert config_from_args(build_parser().parse_args(["--habits", "none"])).habits == frozenset()
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--habit", "polite"])
    with pytest.raises(ValueError, match="unknown habit"):
        SimulatorConfig(habits=frozenset({"polite"}))  # type: ignore[arg-type]
    assert SimulatorConfig(habits=frozenset({"noisy_meter"})).habits == {Habit.NOISY_METER}  # type: ignore[arg-type]
    assert all(habit.doc for habit in Habit)
