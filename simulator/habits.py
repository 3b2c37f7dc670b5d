"""Named habits of real chargers that the simulator can be told to show.

By default the simulator is a polite, spec-following charger. Each `Habit` switches on one
behaviour that real wallboxes show and a central system must survive. Habits are chosen with
`SimulatorConfig.habits` (a frozenset; strings are accepted and converted) or on the command
line with ``--habit NAME`` (repeatable) and ``--habits PRESET``. The source of what chargers do
is the project's OCPP notes (users' reports on other integrations, widely used simulators and
firmware); each habit is implemented where the behaviour lives, which `Habit.doc` names.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Habit(StrEnum):
    """One real-charger habit (the value is the command-line name; `doc` says what it does)."""

    RECONNECT_WITHOUT_BOOT = "reconnect_without_boot"
    RESET_REBOOTS = "reset_reboots"
    FORGETS_PROFILES_ON_REBOOT = "forgets_profiles_on_reboot"
    OFFLINE_QUEUE = "offline_queue"
    DUPLICATE_AFTER_LOST_REPLY = "duplicate_after_lost_reply"
    SLOW_ANSWERS = "slow_answers"
    PER_PHASE_ONLY = "per_phase_only"
    ONE_PHASE = "one_phase"
    NO_PHASE_SWITCHING = "no_phase_switching"
    SUSPENDED_BELOW_6A = "suspended_below_6a"
    REJECTS_TX_PROFILE_OUTSIDE_TRANSACTION = "rejects_tx_profile_outside_transaction"
    REGISTER_RESET = "register_reset"
    PER_SESSION_REGISTER = "per_session_register"
    UNSET_CLOCK = "unset_clock"
    NOISY_METER = "noisy_meter"
    NO_TRIGGER_MESSAGE = "no_trigger_message"
    SIGNED_METER_VALUES = "signed_meter_values"

    @property
    def doc(self) -> str:
        """What the habit does, which chargers show it and where the simulator implements it."""
        return DOCS[self]

    @property
    def summary(self) -> str:
        """The first line of `doc`."""
        return DOCS[self].split("\n", 1)[0]


DOCS: dict[Habit, str] = {
    Habit.RECONNECT_WITHOUT_BOOT: """\
After a network drop the charger reconnects and goes on without BootNotification.

Every real charger: BootNotification follows a reboot only, never a websocket drop or a
central-system restart (1.6 section 4.2, 2.x B01); it goes on with Heartbeat,
StatusNotification, MeterValues, StopTransaction. The registration survives the drop
(`ChargerSimulator._on_disconnect`), a running session keeps charging offline
(`scenario._charge`; its readings are lost without `offline_queue`), and
`ChargerSimulator.reconnect` only restarts the heartbeat and replays the offline queue.""",
    Habit.RESET_REBOOTS: """\
Reset really reboots: the socket drops, and a new boot follows after a delay.

Real firmware restarts on Reset instead of booting again on the same socket. The charger is
off for `SimulatorConfig.reboot_delay` seconds. Transactions running then end as at a power
loss: their StopTransaction / TransactionEvent Ended (with the time of the reset) is queued
with `offline_queue`, or else closed with reason Reboot after the new boot. 2.x boot reason
RemoteReset, or ScheduledReset for an OnIdle reset that waited. See `scenario._power_cycle`.""",
    Habit.FORGETS_PROFILES_ON_REBOOT: """\
Charging profiles (and so the composite limit) are gone after a reboot.

Many chargers keep profiles in RAM only (some keep TxDefaultProfile for good): what the
user chose must be re-established by the central system after every boot. See
`ChargerSimulator.restart_state`.""",
    Habit.OFFLINE_QUEUE: """\
Transaction messages made offline are queued and replayed, in order, after reconnecting.

StopTransaction, MeterValues of a transaction and 2.x TransactionEvents keep their original
timestamps (2.x with `offline: true`), as 1.6 section 4.8 and 2.x E04 ask and chargers do
after a network or power loss. Sessions keep charging offline; statuses change locally. See
`ChargerSimulator._send_or_queue` and `simulator.offline`.""",
    Habit.DUPLICATE_AFTER_LOST_REPLY: """\
A message goes out twice with the same message id, as after a lost answer.

`SimulatorConfig.duplicate_message` picks it (default StopTransaction, i.e. TransactionEvent
Ended in 2.x): widely used charger simulators and some firmware repeat the stop of a
transaction. See `SimulatorChargePoint._repeat`.""",
    Habit.SLOW_ANSWERS: """\
Answers to the central system's calls go out only after a delay.

Real chargers answer after 100 ms to 3 s (flash writes, slow modems, busy firmware); the
delay is drawn from `SimulatorConfig.answer_delay`. See `SimulatorChargePoint._send`.""",
    Habit.PER_PHASE_ONLY: """\
Power and current only per phase (L1, L2, L3), never a total.

Many chargers report Power.Active.Import, Power.Offered and Current.Offered per phase
(users' reports on other integrations). See `model.sampled_values`.""",
    Habit.ONE_PHASE: """\
A single-phase installation: one phase, only L1 readings, limits act on one phase.

Home installations are often single-phase. `SimulatorConfig.__post_init__` sets phases 1.""",
    Habit.NO_PHASE_SWITCHING: """\
No 1/3-phase switching: advertised as unsupported, numberPhases is ignored.

Only some chargers can switch. 1.6 ConnectorSwitch3to1PhaseSupported false, 2.x
SmartChargingCtrlr.Phases3to1 and ACPhaseSwitchingSupported false
(`v16_config.default_configuration`, `v2_variables.default_variables`). Without the habit
the simulator advertises switching and charges on the phases a profile asks for
(`model.ConnectorState.active_phases`).""",
    Habit.SUSPENDED_BELOW_6A: """\
Below 6 A the connector reports SuspendedEVSE and delivers nothing.

IEC 61851 lets no EV charge below 6 A: real chargers pause (1.6 SuspendedEVSE, 2.x
chargingState SuspendedEVSE) instead of reporting Charging at 0 A, and resume above it.
See `model.ConnectorState.current` and `scenario._follow_limit`.""",
    Habit.REJECTS_TX_PROFILE_OUTSIDE_TRANSACTION: """\
A TxProfile without a running transaction is Rejected.

What 1.6 section 5.16.3 and 2.x K01.FR.09 demand and most chargers do. The simulator
already does so by default; the habit only names it, for habit sets that want to say so
(`v16.V16ChargePoint.on_set_charging_profile`, `v2.V2ChargePoint._set_profile_status`).""",
    Habit.REGISTER_RESET: """\
The energy register restarts near zero on every reboot.

Some chargers' registers drop to 0 or jump back (firmware restarts, meter swaps; users'
reports). `ChargerSimulator.restart_state`; on demand, without the habit:
`ChargerSimulator.reset_energy_register`.""",
    Habit.PER_SESSION_REGISTER: """\
meterStart is 0 for every transaction: the register counts per session.

A widely used charger simulator does this, and some chargers report session energy in the
register field. See `ChargerSimulator.start_transaction`.""",
    Habit.UNSET_CLOCK: """\
Timestamps are in 1970: the clock was never set.

Chargers without a battery-backed clock start at the epoch until they sync, some never do;
the simulator stays in 1970 for the whole run. See `ChargerSimulator.timestamp`.""",
    Habit.NOISY_METER: """\
A real meter: energy in kWh with decimals, noise on every reading.

Power varies by about 2 %, each phase has its own voltage (225-240 V) and current, and the
energy register goes as "12.345" kWh, as real meters report. See `model.MeterNoise`.""",
    Habit.NO_TRIGGER_MESSAGE: """\
TriggerMessage is not implemented: the charger sends status and readings only by itself.

Cheap firmware leaves out the RemoteTrigger profile: 1.6 SupportedFeatureProfiles lacks it and
every TriggerMessage is answered NotImplemented, as 2.x ones are. What the central system
shows after a command then waits for the charger's own messages.
See `v16.V16ChargePoint._trigger_status`, `v2.V2ChargePoint._trigger_status` and
`v16_config.default_configuration`.""",
    Habit.SIGNED_METER_VALUES: """The meter signs the register at a session's start and end (calibration law, OCMF).

German Eichrecht chargers (and others that sell energy by the kWh) do: 1.6 sends both signed
readings as SampledValues with format SignedData in StopTransaction's transactionData; 2.x adds
a signedMeterValue to the register sample of TransactionEvent Started and Ended. See
`simulator.ocmf`, `ChargerSimulator.stop_transaction` and `v2.V2ChargePoint.register_sample`.""",
}


# The habits most real wallboxes show at once (`--habits realistic`): they reconnect without
# booting, reboot for real and forget their profiles doing so, queue transaction messages while
# offline, report per-phase values only, pause below 6 A, have noisy meters and answer a bit
# slowly (see `SimulatorConfig.answer_delay`).
REALISTIC_HABITS: frozenset[Habit] = frozenset(
    {
        Habit.RECONNECT_WITHOUT_BOOT,
        Habit.RESET_REBOOTS,
        Habit.FORGETS_PROFILES_ON_REBOOT,
        Habit.OFFLINE_QUEUE,
        Habit.PER_PHASE_ONLY,
        Habit.SUSPENDED_BELOW_6A,
        Habit.NOISY_METER,
        Habit.SLOW_ANSWERS,
    }
)

# Named habit sets for `--habits`.
PRESETS: dict[str, frozenset[Habit]] = {
    "none": frozenset(),
    "realistic": REALISTIC_HABITS,
}


def parse_habits(names: Iterable[str | Habit]) -> frozenset[Habit]:
    """Convert habit names (or Habit members) to a frozenset; ValueError names a bad one."""
    habits: set[Habit] = set()
    for name in names:
        try:
            habits.add(Habit(name))
        except ValueError:
            known = ", ".join(habit.value for habit in Habit)
            raise ValueError(f"unknown habit {name!r} (known: {known})") from None
    return frozenset(habits)


def describe() -> str:
    """One line per habit (name and the first line of its docstring) for `--help`."""
    return "\n".join(f"  {habit.value}: {habit.summary}" for habit in Habit)
