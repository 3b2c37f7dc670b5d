"""Version-neutral state of chargers, connectors, transactions and meter readings.

Protocol adapters translate OCPP messages into these types; entities read only these types.
Nothing in this module knows which OCPP version a charger speaks.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import partial
import time
from typing import Final

from .const import LOGGER
from .security import ChargerSecurity
from .solar import SolarDecision
from .validation import safe_text


class ConnectorStatus(StrEnum):
    """Operational status of a charger or connector (HA enum sensor states)."""

    AVAILABLE = "available"
    PREPARING = "preparing"
    CHARGING = "charging"
    SUSPENDED_EV = "suspended_ev"
    SUSPENDED_EVSE = "suspended_evse"
    FINISHING = "finishing"
    RESERVED = "reserved"
    UNAVAILABLE = "unavailable"
    FAULTED = "faulted"
    OCCUPIED = "occupied"


# States in which a vehicle is connected to the connector (OCPP 1.6 section 4.9; 2.x "Occupied").
PLUGGED_IN_STATUSES = frozenset(
    {
        ConnectorStatus.PREPARING,
        ConnectorStatus.CHARGING,
        ConnectorStatus.SUSPENDED_EV,
        ConnectorStatus.SUSPENDED_EVSE,
        ConnectorStatus.FINISHING,
        ConnectorStatus.OCCUPIED,
    }
)


class ErrorCode(StrEnum):
    """Error a charger reports with its status (HA enum sensor states)."""

    NO_ERROR = "no_error"
    CONNECTOR_LOCK_FAILURE = "connector_lock_failure"
    EV_COMMUNICATION_ERROR = "ev_communication_error"
    GROUND_FAILURE = "ground_failure"
    HIGH_TEMPERATURE = "high_temperature"
    INTERNAL_ERROR = "internal_error"
    LOCAL_LIST_CONFLICT = "local_list_conflict"
    OTHER_ERROR = "other_error"
    OVER_CURRENT_FAILURE = "over_current_failure"
    OVER_VOLTAGE = "over_voltage"
    POWER_METER_FAILURE = "power_meter_failure"
    POWER_SWITCH_FAILURE = "power_switch_failure"
    READER_FAILURE = "reader_failure"
    RESET_FAILURE = "reset_failure"
    UNDER_VOLTAGE = "under_voltage"
    WEAK_SIGNAL = "weak_signal"


class Measurand(StrEnum):
    """Quantities a charger can measure (the OCPP measurand names, shared by 1.6 and 2.x)."""

    ENERGY_ACTIVE_IMPORT_REGISTER = "Energy.Active.Import.Register"
    ENERGY_ACTIVE_EXPORT_REGISTER = "Energy.Active.Export.Register"
    ENERGY_REACTIVE_IMPORT_REGISTER = "Energy.Reactive.Import.Register"
    ENERGY_REACTIVE_EXPORT_REGISTER = "Energy.Reactive.Export.Register"
    ENERGY_ACTIVE_IMPORT_INTERVAL = "Energy.Active.Import.Interval"
    ENERGY_ACTIVE_EXPORT_INTERVAL = "Energy.Active.Export.Interval"
    ENERGY_REACTIVE_IMPORT_INTERVAL = "Energy.Reactive.Import.Interval"
    ENERGY_REACTIVE_EXPORT_INTERVAL = "Energy.Reactive.Export.Interval"
    POWER_ACTIVE_IMPORT = "Power.Active.Import"
    POWER_ACTIVE_EXPORT = "Power.Active.Export"
    POWER_REACTIVE_IMPORT = "Power.Reactive.Import"
    POWER_REACTIVE_EXPORT = "Power.Reactive.Export"
    POWER_OFFERED = "Power.Offered"
    POWER_FACTOR = "Power.Factor"
    CURRENT_IMPORT = "Current.Import"
    CURRENT_EXPORT = "Current.Export"
    CURRENT_OFFERED = "Current.Offered"
    VOLTAGE = "Voltage"
    FREQUENCY = "Frequency"
    TEMPERATURE = "Temperature"
    SOC = "SoC"
    RPM = "RPM"


@dataclass(frozen=True, slots=True)
class SampledValue:
    """One measured value, normalised to W, Wh, A, V, var, varh, VA, °C, %, Hz."""

    measurand: Measurand
    value: float
    unit: str
    timestamp: datetime
    phase: str | None = None
    context: str | None = None
    location: str | None = None


type ReadingKey = tuple[Measurand, str | None, str | None]
"""Latest readings are kept per (measurand, phase, location)."""


@dataclass(frozen=True, slots=True)
class SignedReading:
    """A meter reading signed by a calibration-law meter (OCMF, EDL, ...), kept as sent.

    Nobody here can check the signature: the driver or the employer checks it with the meter
    maker's transparency software. So it is stored untouched, with what that software needs.
    """

    timestamp: datetime
    # Transaction.Begin, Transaction.End, Sample.Periodic, ... (None when not given).
    context: str | None
    # The signed data as the charger sent it (an OCMF string, or 2.x base64 signedMeterData).
    data: str
    # OCMF, EDL, ... ("" when the charger did not say and the data does not show it).
    encoding: str
    signing_method: str | None = None
    public_key: str | None = None


# Signed readings kept per session: the begin and end ones matter; a charger signing every
# periodic sample must not grow a session without bound.
MAX_SIGNED_READINGS: Final = 10


@dataclass(slots=True)
class Transaction:
    """A charging session, as far as the central system knows it."""

    transaction_id: str
    connector_id: int
    id_tag: str | None
    started_at: datetime
    meter_start_wh: float
    meter_last_wh: float
    stopped_at: datetime | None = None
    meter_stop_wh: float | None = None
    stop_reason: str | None = None
    # True until the first register reading of a session that started without one.
    meter_start_pending: bool = False
    # What the vehicle does in this session (Charging, SuspendedEV, ...): 2.x reports it with
    # the transaction and only "Occupied" as the connector status.
    charging_state: ConnectorStatus | None = None
    # The highest 2.x TransactionEvent seqNo accounted; repeats and late events are ignored.
    last_seq_no: int | None = None
    last_event_at: datetime | None = None
    # The energy priced so far (the tariff's currency; the session fee comes on top), whether
    # any price was known, and the highest total power seen.
    energy_cost: float = 0.0
    priced: bool = False
    peak_power_w: float | None = None
    # The session fee, fixed when the session ends (None while it runs).
    fee: float | None = None
    # What the charger itself says the session costs (2.1 costDetails, our currency only).
    charger_cost: float | None = None
    signed_readings: list[SignedReading] = field(default_factory=list)

    def add_signed(self, reading: SignedReading) -> None:
        """Keep a signed reading: the first ones and the latest, never more than the bound."""
        if reading in self.signed_readings:
            return
        if len(self.signed_readings) >= MAX_SIGNED_READINGS:
            # Keep the begin reading(s); the newest replaces the newest but one.
            del self.signed_readings[-1]
        self.signed_readings.append(reading)

    @property
    def energy_wh(self) -> float:
        """Energy delivered in this session so far (never negative)."""
        end = self.meter_stop_wh if self.meter_stop_wh is not None else self.meter_last_wh
        return max(0.0, end - self.meter_start_wh)

    def duration_seconds(self, now: datetime) -> float:
        """Seconds from start to stop (or to now while running)."""
        end = self.stopped_at or now
        return max(0.0, (end - self.started_at).total_seconds())


# States a connector shows while a session's vehicle is connected; 2.x reports them as the
# transaction's charging state.
SESSION_STATUSES = frozenset(
    {
        ConnectorStatus.PREPARING,
        ConnectorStatus.CHARGING,
        ConnectorStatus.SUSPENDED_EV,
        ConnectorStatus.SUSPENDED_EVSE,
    }
)
# How an EVSE with several plugs shows them together: the plug in use first, then a
# reservation, then one that is free; faulted or unavailable only when no plug can charge.
_PLUG_PRECEDENCE: Final = (
    ConnectorStatus.CHARGING,
    ConnectorStatus.SUSPENDED_EVSE,
    ConnectorStatus.SUSPENDED_EV,
    ConnectorStatus.PREPARING,
    ConnectorStatus.FINISHING,
    ConnectorStatus.OCCUPIED,
    ConnectorStatus.RESERVED,
    ConnectorStatus.AVAILABLE,
    ConnectorStatus.FAULTED,
    ConnectorStatus.UNAVAILABLE,
)


# Statuses of connector 0 that hold for every connector of the charger.
_WHOLE_CHARGER_STATUSES: Final = frozenset({ConnectorStatus.UNAVAILABLE, ConnectorStatus.FAULTED})


def combined_plug_status(plugs: dict[int, ConnectorStatus | None]) -> ConnectorStatus | None:
    """The status of an EVSE from the statuses of its plugs."""
    present = set(plugs.values())
    return next((status for status in _PLUG_PRECEDENCE if status in present), None)


# Faults a charger's diagnostics show (raised and cleared).
MAX_KEPT_FAULTS: Final = 50
# Frames a charger's diagnostics show (both directions): the boot and a few minutes of
# readings. Each is kept as text (a meter frame is most of a kilobyte), per charger, so this
# is most of what a connected charger costs in memory beside its entities.
MAX_KEPT_FRAMES: Final = 60
# How many finished transaction ids a charger remembers.
MAX_FINISHED_TRANSACTIONS: Final = 32
# A register that keeps dropping and recovering (a broken meter, or a charger that wants to
# fill the log) is reported at most this often (seconds).
REGISTER_WARNING_INTERVAL: Final = 600.0
# Chargers report meterStart/meterStop in whole Wh and readings with decimals: a reading this
# much below the last one is the same reading, not a drop.
REGISTER_TOLERANCE_WH: Final = 1.0
# A register that falls to at most this (or to a tenth of what it was) restarted: a firmware
# reset, a new meter, or a charger whose register starts at 0 with every session.
REGISTER_RESTART_WH: Final = 1000.0
REGISTER_RESTART_FRACTION: Final = 0.1
# The reading right after a restart that is back at 90 % of the old register or more means the
# restart was a glitch.
REGISTER_GLITCH_FRACTION: Final = 0.9


@dataclass(slots=True)
class EnergyRegister:
    """A lifetime energy total that never goes backwards, built from a charger's register.

    Home Assistant's Energy dashboard treats any decrease of a total_increasing sensor as a
    meter reset and counts the whole register again. Registers do restart, though: firmware
    resets, meter swaps, and chargers that count from 0 in every session. A restart (a fall
    to near zero) is continued as an offset, so the total keeps growing with the new register;
    a reading right after a restart that is back at the old register means the fall was a
    glitch, and the offset is taken back. Any other fall is ignored until the register passes
    its last value again.
    """

    # The total shown: offset + raw register, never lower than before.
    value_wh: float | None = None
    # Added to the raw register for every restart it went through.
    offset_wh: float = 0.0
    # The last raw register reading.
    raw_wh: float | None = None
    # The raw register before the restart detected with the last reading (glitch check).
    _restarted_from_wh: float | None = None
    # The next reading is the first of a new meter: it sets the baseline, it adds nothing.
    _new_meter: bool = False
    _rejecting: bool = False
    _warned_at: float | None = None

    def update(self, reading_wh: float, source: str) -> bool:
        """Account a raw register reading; return True when the total changed."""
        if self._new_meter:
            self._new_meter = False
            self.raw_wh = reading_wh
            self.offset_wh = (self.value_wh or 0.0) - reading_wh
            return False
        raw = self.raw_wh
        restarted_from, self._restarted_from_wh = self._restarted_from_wh, None
        if raw is not None and reading_wh < raw - REGISTER_TOLERANCE_WH:
            if reading_wh > max(REGISTER_RESTART_WH, raw * REGISTER_RESTART_FRACTION):
                self._warn_drop(source, raw, reading_wh)
                return False
            self.offset_wh += raw
            self._restarted_from_wh = raw
            LOGGER.info(
                "%s: energy register restarted (%.0f Wh after %.0f Wh); the total continues",
                source,
                reading_wh,
                raw,
            )
        elif restarted_from is not None and reading_wh >= restarted_from * REGISTER_GLITCH_FRACTION:
            # Back near the old register right after the fall (no wallbox charges that much
            # between two readings): the fall was a glitch, not a restart.
            self.offset_wh -= restarted_from
        elif raw is not None and reading_wh < raw:
            # Within the tolerance: the same reading, rounded differently.
            return False
        self._rejecting = False
        self.raw_wh = reading_wh
        total = self.offset_wh + reading_wh
        if self.value_wh is not None and total <= self.value_wh:
            return False
        self.value_wh = total
        return True

    def restore(self, total_wh: float, raw_wh: float | None, offset_wh: float) -> None:
        """Take the stored state back after a restart of Home Assistant."""
        self.value_wh = total_wh
        self.offset_wh = offset_wh
        # Stores without the raw register: the total is the register then.
        self.raw_wh = total_wh - offset_wh if raw_wh is None else raw_wh

    def new_meter(self) -> None:
        """The charger reports a new meter: the total goes on from its first reading."""
        self._new_meter = self.value_wh is not None

    def _warn_drop(self, source: str, raw: float, reading_wh: float) -> None:
        now = time.monotonic()
        if not self._rejecting and (
            self._warned_at is None or now - self._warned_at >= REGISTER_WARNING_INTERVAL
        ):
            self._warned_at = now
            LOGGER.warning(
                "%s: energy register went back from %.0f Wh to %.0f Wh; ignoring"
                " readings below the last total",
                source,
                raw,
                reading_wh,
            )
        self._rejecting = True


_PHASE_TO_NEUTRAL = frozenset({"L1-N", "L2-N", "L3-N", "L1", "L2", "L3"})


@dataclass(frozen=True, slots=True)
class WrittenLimit:
    """A limit profile of ours the charger accepted: A per phase, phases, its transaction."""

    amps: float
    phases: int | None
    # The transaction of a TxProfile; None for the TxDefaultProfile.
    transaction_id: str | None = None


@dataclass(slots=True)
class CurrentLimit:
    """What the charger was last confirmed to have of our limits, and what it really applies.

    Both profiles are facts about the charger: a reboot or a reconnect makes them unknown
    (None) again, because many chargers forget profiles on reboot.
    """

    # The TxDefaultProfile (idle, and every new session) and the running session's TxProfile.
    default: WrittenLimit | None = None
    session: WrittenLimit | None = None
    # What GetCompositeSchedule says the charger applies (A per phase).
    active: float | None = None
    # When the charger last took a new limit from us.
    changed_at: datetime | None = None

    def in_force(self, transaction_id: str | None) -> WrittenLimit | None:
        """Our limit that applies now: the session's own profile, else the default."""
        if (
            transaction_id is not None
            and self.session is not None
            and self.session.transaction_id == transaction_id
        ):
            return self.session
        return self.default

    def forget(self) -> None:
        """The charger may have lost our profiles (it rebooted or reconnected)."""
        self.default = None
        self.session = None
        # What it applies is read again (after our next write, or once if we write none).
        self.active = None


@dataclass(slots=True)
class DesiredCharging:
    """What the user wants of a connector: state that holds across sessions and restarts.

    Entities, actions and the solar loop change it; the connector's control brings the
    charger to it whenever the two may have drifted apart.
    """

    # The charging mode (ChargingMode values: off, fast, solar, min_solar).
    mode: str = "fast"
    # The user's current limit (A per phase); None: the maximum of the options.
    current_limit: float | None = None
    # 1 or 3 phases, where the charger can switch; None: the charger decides.
    phases: int | None = None
    # Whether a limit of ours was ever set on this connector: until then the charger is left
    # as its installer configured it.
    managed: bool = False
    # Operative (True) or made unavailable (False) by the user; None: never chosen.
    operative: bool | None = None


@dataclass(frozen=True, slots=True)
class HeldReservation:
    """A reservation the charger accepted: for whom, until when."""

    reservation_id: int
    id_tag: str
    expires: datetime


@dataclass(slots=True)
class Connector:
    """A connector (1.6) or EVSE (2.x); id 0 is the charger as a whole."""

    connector_id: int
    status: ConnectorStatus | None = None
    error_code: ErrorCode | None = None
    vendor_error_code: str | None = None
    info: str | None = None
    status_timestamp: datetime | None = None
    readings: dict[ReadingKey, SampledValue] = field(default_factory=dict)
    energy: EnergyRegister = field(default_factory=EnergyRegister)
    transaction: Transaction | None = None
    last_transaction: Transaction | None = None
    limit: CurrentLimit = field(default_factory=CurrentLimit)
    # 2.x: the status of each plug (connectorId) of this EVSE; the EVSE shows them combined.
    plugs: dict[int, ConnectorStatus | None] = field(default_factory=dict)
    desired: DesiredCharging = field(default_factory=DesiredCharging)
    # What the solar controller last decided (solar modes only).
    solar: SolarDecision | None = None
    # Since when a command that changes what the connector does (pause, resume, start, stop,
    # availability, restart) waits for the charger to report its status; None: not waiting.
    awaiting_status_since: datetime | None = None
    # When the charger last reported this connector's status (our clock, not the charger's).
    status_received_at: datetime | None = None
    # A reservation made from Home Assistant that has not ended yet (connector 0: any).
    reservation: HeldReservation | None = None

    def reading(
        self, measurand: Measurand, phase: str | None = None, location: str | None = None
    ) -> float | None:
        """Return the latest value of a measurand for one phase, any location if not given."""
        if location is not None:
            sample = self.readings.get((measurand, phase, location))
            return sample.value if sample else None
        for (m, p, _loc), sample in self.readings.items():
            if m is measurand and p == phase:
                return sample.value
        return None

    def phase_values(self, measurand: Measurand) -> dict[str, float]:
        """Return the latest per-phase values of a measurand (phase -> value)."""
        return {
            p: sample.value
            for (m, p, _loc), sample in self.readings.items()
            if m is measurand and p is not None
        }

    def phase_voltages(self) -> list[float]:
        """Latest phase-to-neutral voltages (chargers name the phases L1-N.. or L1..)."""
        return [
            value
            for phase, value in self.phase_values(Measurand.VOLTAGE).items()
            if phase in _PHASE_TO_NEUTRAL
        ]

    def active_power(self) -> float | None:
        """Active import power in W: the total if reported, else the sum of the phases.

        Many chargers report power only per phase, and some only current and voltage per
        phase; the power is then their products' sum.
        """
        total = self.reading(Measurand.POWER_ACTIVE_IMPORT)
        if total is not None:
            return total
        phases = self.phase_values(Measurand.POWER_ACTIVE_IMPORT)
        if phases:
            return sum(phases.values())
        currents = self.phase_values(Measurand.CURRENT_IMPORT)
        voltages = {
            phase.removesuffix("-N"): volts
            for phase, volts in self.phase_values(Measurand.VOLTAGE).items()
            if phase in _PHASE_TO_NEUTRAL
        }
        products = [amps * voltages[phase] for phase, amps in currents.items() if phase in voltages]
        return sum(products) if products else None

    def power_sample_time(self) -> datetime | None:
        """When the newest power (or per-phase current) reading was taken."""
        times = [
            sample.timestamp
            for sample in self.readings.values()
            if sample.measurand in (Measurand.POWER_ACTIVE_IMPORT, Measurand.CURRENT_IMPORT)
        ]
        return max(times) if times else None

    @property
    def session(self) -> Transaction | None:
        """The running session, else the last finished one."""
        return self.transaction or self.last_transaction


class BootReason(StrEnum):
    """Why a charger booted (2.x BootReasonEnumType; 1.6 reports none)."""

    APPLICATION_RESET = "application_reset"
    FIRMWARE_UPDATE = "firmware_update"
    LOCAL_RESET = "local_reset"
    POWER_UP = "power_up"
    REMOTE_RESET = "remote_reset"
    SCHEDULED_RESET = "scheduled_reset"
    TRIGGERED = "triggered"
    UNKNOWN = "unknown"
    WATCHDOG = "watchdog"

    @classmethod
    def from_ocpp(cls, reason: str | None) -> BootReason | None:
        """The reason from its OCPP name (PowerUp -> power_up); None when not given."""
        if reason is None:
            return None
        try:
            return cls(_from_camel(reason))
        except ValueError:
            return cls.UNKNOWN


def _from_camel(name: str) -> str:
    """OCPP's CamelCase enum values as slugs: DownloadFailed -> download_failed."""
    return "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in name).lstrip("_")


class FirmwareStatus(StrEnum):
    """Where a firmware update stands (1.6 with its security extension, and 2.x alike)."""

    IDLE = "idle"
    DOWNLOAD_SCHEDULED = "download_scheduled"
    DOWNLOADING = "downloading"
    DOWNLOAD_PAUSED = "download_paused"
    DOWNLOADED = "downloaded"
    SIGNATURE_VERIFIED = "signature_verified"
    INSTALL_SCHEDULED = "install_scheduled"
    INSTALLING = "installing"
    INSTALL_REBOOTING = "install_rebooting"
    INSTALLED = "installed"
    DOWNLOAD_FAILED = "download_failed"
    INSTALLATION_FAILED = "installation_failed"
    INSTALL_VERIFICATION_FAILED = "install_verification_failed"
    INVALID_SIGNATURE = "invalid_signature"

    @classmethod
    def from_ocpp(cls, status: str) -> FirmwareStatus | None:
        """The status from its OCPP name; None for one no version defines."""
        try:
            return cls(_from_camel(status))
        except ValueError:
            return None

    @classmethod
    def from_ocpp_slug(cls, status: str) -> FirmwareStatus | None:
        """The status from its stored value; None for one this version does not know."""
        try:
            return cls(status)
        except ValueError:
            return None

    @property
    def failed(self) -> bool:
        """The update ended without the new firmware."""
        return self in _FIRMWARE_FAILURES

    @property
    def in_progress(self) -> bool:
        """The update runs (or waits for its scheduled time)."""
        return self not in _FIRMWARE_FAILURES and self not in (
            FirmwareStatus.IDLE,
            FirmwareStatus.INSTALLED,
        )

    @property
    def progress(self) -> int | None:
        """A rough percentage of the way through an update, for HA's update entity."""
        return _FIRMWARE_PROGRESS.get(self)


_FIRMWARE_FAILURES: Final = frozenset(
    {
        FirmwareStatus.DOWNLOAD_FAILED,
        FirmwareStatus.INSTALLATION_FAILED,
        FirmwareStatus.INSTALL_VERIFICATION_FAILED,
        FirmwareStatus.INVALID_SIGNATURE,
    }
)
# Chargers report steps, not bytes: each step is a share of the whole update.
_FIRMWARE_PROGRESS: Final = {
    FirmwareStatus.DOWNLOAD_SCHEDULED: 0,
    FirmwareStatus.DOWNLOADING: 10,
    FirmwareStatus.DOWNLOAD_PAUSED: 10,
    FirmwareStatus.DOWNLOADED: 40,
    FirmwareStatus.SIGNATURE_VERIFIED: 50,
    FirmwareStatus.INSTALL_SCHEDULED: 50,
    FirmwareStatus.INSTALLING: 60,
    FirmwareStatus.INSTALL_REBOOTING: 90,
}


class UploadStatus(StrEnum):
    """Where a diagnostics or log upload stands (1.6 DiagnosticsStatus, 2.x UploadLogStatus)."""

    IDLE = "idle"
    UPLOADING = "uploading"
    UPLOADED = "uploaded"
    UPLOAD_FAILURE = "upload_failure"
    BAD_MESSAGE = "bad_message"
    NOT_SUPPORTED_OPERATION = "not_supported_operation"
    PERMISSION_DENIED = "permission_denied"
    ACCEPTED_CANCELED = "accepted_canceled"

    @classmethod
    def from_ocpp(cls, status: str) -> UploadStatus | None:
        """The status from its OCPP name (1.6 UploadFailed is an upload failure)."""
        if status == "UploadFailed":
            return cls.UPLOAD_FAILURE
        try:
            return cls(_from_camel(status))
        except ValueError:
            return None


@dataclass(slots=True)
class OfferedFirmware:
    """Firmware the owner provided for a charger: what it is and where the charger gets it."""

    version: str
    # A URL the charger fetches; for a file under the config dir, HA serves it (`file`).
    location: str | None = None
    file: str | None = None
    release_notes: str | None = None
    release_url: str | None = None


@dataclass(slots=True)
class FirmwareUpdate:
    """A charger's firmware: what is offered, and how the last update went."""

    offered: OfferedFirmware | None = None
    status: FirmwareStatus | None = None
    request_id: int | None = None
    # The version the running (or last) update installs.
    installing_version: str | None = None
    changed_at: datetime | None = None


@dataclass(slots=True)
class LogUpload:
    """A charger's diagnostics / log uploads: the last status and the files received."""

    status: UploadStatus | None = None
    request_id: int | None = None
    changed_at: datetime | None = None
    # Newest first, bounded (see transfer.KEEP_UPLOADS); file name, size and time.
    files: list[tuple[str, int, datetime]] = field(default_factory=list)


@dataclass(slots=True)
class ChargerInfo:
    """What a charger tells about itself at boot."""

    vendor: str | None = None
    model: str | None = None
    serial_number: str | None = None
    firmware_version: str | None = None
    meter_type: str | None = None
    meter_serial_number: str | None = None
    iccid: str | None = None
    imsi: str | None = None

    def printable(self) -> ChargerInfo:
        """A copy fit for HA's device registry and logs (no control characters)."""
        return ChargerInfo(
            **{
                name: None if value is None else safe_text(value)
                for name, value in asdict(self).items()
            }
        )


@dataclass(slots=True)
class ConfigurationValue:
    """One configuration key (1.6) or variable (2.x) as the charger reported it."""

    value: str | None
    readonly: bool


@dataclass(slots=True)
class Fault:
    """A fault a charger reported on a connector (0: the charger), until it cleared."""

    connector_id: int
    error_code: ErrorCode
    vendor_error_code: str | None
    info: str | None
    raised_at: datetime
    cleared_at: datetime | None = None

    def same_as(self, error_code: ErrorCode, vendor_error_code: str | None) -> bool:
        """Whether a report repeats this fault (rather than naming another)."""
        return (self.error_code, self.vendor_error_code) == (error_code, vendor_error_code)


@dataclass(slots=True)
class ChargerLimits:
    """The installer's limits of one charger; None: the central system's option applies."""

    # The highest current users and the solar controller may set (A per phase).
    max_current: float | None = None
    # The limit the charger keeps when HA is gone (0: none).
    failsafe_current: float | None = None


@dataclass(slots=True)
class Charger:
    """A charger known to the central system, connected or not."""

    charge_point_id: str
    info: ChargerInfo = field(default_factory=ChargerInfo)
    ocpp_version: str | None = None
    connected: bool = False
    remote_address: str | None = None
    last_heartbeat: datetime | None = None
    last_boot: datetime | None = None
    boot_reason: BootReason | None = None
    # Boots seen since the charger was approved (a boot we triggered is not a reboot).
    boot_count: int = 0
    # When we last asked it to restart (1.6 boots name no reason; not stored).
    reset_requested_at: datetime | None = None
    connectors: dict[int, Connector] = field(default_factory=dict)
    # How many connectors (1.6) or EVSEs (2.x) the charger said it has, once it said so.
    announced_connectors: int | None = None
    feature_profiles: frozenset[str] = frozenset()
    configuration: dict[str, ConfigurationValue] = field(default_factory=dict)
    data_transfers: list[DataTransferRecord] = field(default_factory=list)
    # Whether our failsafe profile is on the charger (removed when the option goes back to 0).
    failsafe_installed: bool = False
    limits: ChargerLimits = field(default_factory=ChargerLimits)
    # The owner's cards as last sent to the charger's local list (version, what it held).
    local_list_version: int = 0
    # Per card, what the charger holds of it (None: we never sent a list).
    local_list_cards: dict[str, str] | None = None
    # The tariff a 2.1 charger shows (a fingerprint; not stored: sent again after a restart).
    tariff_shown: str | None = None
    # Who may connect under this id (password, TLS, client certificate).
    security: ChargerSecurity = field(default_factory=ChargerSecurity)
    # Faults raised and cleared, newest last (bounded); the open one of each connector.
    faults: deque[Fault] = field(default_factory=lambda: deque(maxlen=MAX_KEPT_FAULTS), repr=False)
    open_faults: dict[int, Fault] = field(default_factory=dict, repr=False)
    # Settings the charger took but applies only after a restart (not stored: a restart of
    # Home Assistant does not tell whether the charger restarted meanwhile).
    reboot_required_keys: set[str] = field(default_factory=set, repr=False)
    # The last frames in both directions (time, "in"/"out", text), for diagnostics.
    frames: deque[tuple[float, str, str]] = field(
        default_factory=lambda: deque(maxlen=MAX_KEPT_FRAMES), repr=False
    )
    firmware: FirmwareUpdate = field(default_factory=FirmwareUpdate)
    logs: LogUpload = field(default_factory=LogUpload)
    # Ids of the latest finished transactions (bounded): a late or repeated event of one of
    # them must not open a phantom session.
    finished_transaction_ids: list[str] = field(default_factory=list)
    _listeners: dict[int, list[Callable[[], None]]] = field(default_factory=dict, repr=False)
    # The listeners of `_listeners` that show readings (see `add_listener`).
    _reading_listeners: dict[int, list[Callable[[], None]]] = field(
        default_factory=dict, repr=False
    )

    @property
    def main(self) -> Connector:
        """The charger-wide pseudo connector (id 0)."""
        return self.connector(0)

    def connector(self, connector_id: int) -> Connector:
        """Return a connector, creating it on first mention."""
        if (found := self.connectors.get(connector_id)) is None:
            found = self.connectors[connector_id] = Connector(connector_id)
        return found

    @property
    def outlet_ids(self) -> list[int]:
        """Ids of the real connectors (1..N), sorted."""
        return sorted(cid for cid in self.connectors if cid > 0)

    @property
    def single_outlet(self) -> bool:
        """One connector (or EVSE): the charger and its connector are shown as one."""
        return len(self.outlet_ids) <= 1 and (self.announced_connectors or 1) <= 1

    def shown_status(self, connector: Connector) -> ConnectorStatus | None:
        """A connector's status with the charger's folded in.

        A charger that is unavailable or faulted as a whole (connector 0) is so for each of
        its connectors, whatever they last reported.
        """
        whole = self.main.status if connector.connector_id else None
        if whole in _WHOLE_CHARGER_STATUSES and connector.status is not ConnectorStatus.FAULTED:
            return whole
        if connector.reservation is not None and connector.status is ConnectorStatus.AVAILABLE:
            # Some chargers keep reporting Available while holding a reservation.
            return ConnectorStatus.RESERVED
        return connector.status

    def shown_error(self, connector: Connector) -> ErrorCode | None:
        """A connector's error, else the charger's (connector 0) when it has one."""
        own = connector.error_code
        whole = self.main.error_code if connector.connector_id else None
        if own in (None, ErrorCode.NO_ERROR) and whole not in (None, ErrorCode.NO_ERROR):
            return whole
        return own

    def add_listener(
        self, connector_id: int, listener: Callable[[], None], *, readings: bool = True
    ) -> Callable[[], None]:
        """Call listener when the given connector (0 = charger) changes; returns remover.

        `ANY_CONNECTOR` listens to every connector (totals over the charger's sessions).
        `readings=False`: the listener shows nothing a meter reading changes (a status, a
        setting), so a meter frame, the most frequent change by far, does not call it.
        """
        self._listeners.setdefault(connector_id, []).append(listener)
        if readings:
            self._reading_listeners.setdefault(connector_id, []).append(listener)
        # A partial, not a closure over a list of groups: every entity holds two of these,
        # and a site with a thousand chargers has tens of thousands of entities.
        return partial(self._remove_listener, connector_id, listener, readings)

    def _remove_listener(
        self, connector_id: int, listener: Callable[[], None], readings: bool
    ) -> None:
        self._listeners[connector_id].remove(listener)
        if readings:
            self._reading_listeners[connector_id].remove(listener)

    def notify(self, connector_id: int | None = None, *, readings_only: bool = False) -> None:
        """Tell listeners that state changed: one connector's, or everything (None).

        `readings_only`: only meter readings (and what follows from them) changed.
        """
        if connector_id is None:
            targets = [cb for group in self._listeners.values() for cb in group]
        else:
            listeners = self._reading_listeners if readings_only else self._listeners
            targets = [*listeners.get(connector_id, ()), *listeners.get(ANY_CONNECTOR, ())]
        for listener in targets:
            listener()


# Listeners of this key hear every connector's changes (see `Charger.add_listener`).
ANY_CONNECTOR: Final = -1


@dataclass(frozen=True, slots=True)
class DataTransferRecord:
    """A DataTransfer a charger sent, kept for diagnostics."""

    vendor_id: str
    message_id: str | None
    data: str | None
    timestamp: datetime
