"""The version-neutral contract between protocol adapters and the rest of the integration.

An adapter turns incoming OCPP calls into calls on `ChargerEvents` and implements the command
methods of `ProtocolAdapter` with its version's messages. Nothing outside `protocol/` imports
an `ocpp.vXX` module.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final, Protocol

from ..log_throttle import LogThrottle
from ..model import (
    ChargerInfo,
    ConfigurationValue,
    ConnectorStatus,
    ErrorCode,
    SampledValue,
    SignedReading,
)


class BootStatus(StrEnum):
    """Answer to a charger's boot."""

    ACCEPTED = "accepted"
    PENDING = "pending"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class BootDecision:
    """How to answer a boot and when the charger should next contact us (seconds)."""

    status: BootStatus
    interval: int


class AuthorizationStatus(StrEnum):
    """Whether an id tag may charge."""

    ACCEPTED = "accepted"
    BLOCKED = "blocked"
    EXPIRED = "expired"
    INVALID = "invalid"
    CONCURRENT_TX = "concurrent_tx"


class CommandStatus(StrEnum):
    """Outcome of a command the charger answered (one vocabulary for every command)."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    REBOOT_REQUIRED = "reboot_required"
    NOT_SUPPORTED = "not_supported"
    # Availability change or reset deferred until a running transaction ends.
    SCHEDULED = "scheduled"
    # Local list update failed, unlock failed, and similar.
    FAILED = "failed"
    # Reservation refused because the connector is occupied, faulted or unavailable.
    OCCUPIED = "occupied"
    FAULTED = "faulted"
    UNAVAILABLE = "unavailable"
    # Nothing matched (ClearChargingProfile, CancelReservation, unknown connector).
    UNKNOWN = "unknown"
    VERSION_MISMATCH = "version_mismatch"
    # Log upload accepted after cancelling an earlier one.
    ACCEPTED_CANCELED = "accepted_canceled"


class EventOrder(StrEnum):
    """Where a 2.x TransactionEvent stands in its transaction's sequence (seqNo)."""

    # A transaction not running here (its first event, or one whose start we missed).
    UNKNOWN = "unknown"
    # The next event of a running transaction (gaps are fine: events may be lost).
    NEXT = "next"
    # A seqNo already seen: sent again after a lost answer, or delivered late.
    REPEATED = "repeated"
    # An event of a transaction that already ended here.
    FINISHED = "finished"


class TriggerKind(StrEnum):
    """Messages the central system can ask a charger to send now."""

    BOOT_NOTIFICATION = "boot_notification"
    HEARTBEAT = "heartbeat"
    METER_VALUES = "meter_values"
    STATUS_NOTIFICATION = "status_notification"
    FIRMWARE_STATUS = "firmware_status"
    DIAGNOSTICS_STATUS = "diagnostics_status"
    # A new client certificate request (security profile 3): 1.6 ExtendedTriggerMessage
    # SignChargePointCertificate, 2.x SignChargingStationCertificate.
    SIGN_CERTIFICATE = "sign_certificate"


@dataclass(frozen=True, slots=True)
class ChargerSettings:
    """What the user asked chargers to do, from the config entry options."""

    heartbeat_interval: int
    meter_interval: int
    measurands: tuple[str, ...]
    # Control: the id tag of remote starts, the highest current users may set, the least
    # time between two limit writes, and the limit chargers keep when HA is gone (0: none).
    id_tag: str = "HomeAssistant"
    max_current: float = 16.0
    limit_interval: float = 15.0
    failsafe_current: float = 0.0


def same_setting_value(current: str | None, wanted: str) -> bool:
    """Compare configuration values the way chargers format them (spaces, case in lists)."""
    if current is None:
        return False
    return _split_list(current) == _split_list(wanted)


def _split_list(text: str) -> list[str]:
    return [part.strip().lower() for part in text.split(",")]


@dataclass(frozen=True, slots=True)
class ConfigurationReport:
    """Result of reading configuration: known keys and the names the charger did not know."""

    values: dict[str, ConfigurationValue]
    unknown: tuple[str, ...]


class ChargerEvents(Protocol):
    """What adapters tell the version-neutral side; implemented by the charger session."""

    # Where adapters report bad input: shared by the central system's connections.
    log_throttle: LogThrottle

    async def boot(self, info: ChargerInfo, reason: str | None) -> BootDecision:
        """A charger booted; decide how to answer."""

    def boot_answered(self) -> None:
        """The answer to a boot went out; follow-up calls may start now."""

    def configuration_learned(
        self,
        report: ConfigurationReport,
        *,
        connector_count: int | None,
        feature_profiles: frozenset[str],
    ) -> None:
        """The charger's configuration, number of connectors and feature profiles."""

    def heartbeat(self) -> None:
        """The charger is alive."""

    def status(
        self,
        connector_id: int,
        status: ConnectorStatus | None,
        error_code: ErrorCode | None,
        *,
        info: str | None,
        vendor_error_code: str | None,
        timestamp: datetime,
        plug: int | None = None,
    ) -> None:
        """A connector (0 = charger) changed status; 2.x names the EVSE's plug too."""

    def authorize(self, id_tag: str) -> AuthorizationStatus:
        """May this id tag charge?"""

    async def start_transaction(
        self,
        connector_id: int,
        id_tag: str | None,
        meter_start_wh: float | None,
        timestamp: datetime,
        transaction_id: str | None = None,
    ) -> tuple[str, AuthorizationStatus]:
        """A session started; return its transaction id and the tag's status.

        1.6 chargers leave the id to us (None: allocate one); 2.x chargers bring their own.
        """

    def transaction_authorized(self, transaction_id: str, id_tag: str) -> AuthorizationStatus:
        """A running session got (another) id tag: 2.x sessions may start before it."""

    def transaction_connector(self, transaction_id: str) -> int | None:
        """The connector of a transaction open here, None if it is not running."""

    def transaction_sequence(
        self, transaction_id: str, seq_no: int, timestamp: datetime, *, offline: bool
    ) -> EventOrder:
        """Record a 2.x event's seqNo; say whether it is new, repeated, or after the end."""

    async def stop_transaction(
        self,
        transaction_id: str,
        meter_stop_wh: float | None,
        timestamp: datetime,
        reason: str | None,
        id_tag: str | None,
        samples: list[SampledValue],
    ) -> AuthorizationStatus | None:
        """A session ended; return the stopping tag's status if a tag was given."""

    def meter_values(
        self, connector_id: int, transaction_id: str | None, samples: list[SampledValue]
    ) -> None:
        """New readings for a connector (0 = charger main meter)."""

    def signed_readings(
        self, connector_id: int | None, transaction_id: str | None, readings: list[SignedReading]
    ) -> None:
        """Signed meter readings of a session (by its id, else the connector's running one)."""

    def charger_cost(self, transaction_id: str, amount: float, currency: str) -> None:
        """What a 2.1 charger says a session costs so far (costDetails)."""

    def data_transfer(self, vendor_id: str, message_id: str | None, data: str | None) -> bool:
        """A vendor message; return whether we know the vendor."""

    def problem(
        self,
        connector_id: int,
        error_code: ErrorCode,
        *,
        active: bool,
        vendor_error_code: str | None,
        info: str | None,
    ) -> None:
        """A 2.x component reports a problem on an EVSE (0: the station), or its end."""

    def reboot_required(self, key: str) -> None:
        """A setting was taken but applies only after the charger restarts."""

    def firmware_status(self, status: str) -> None:
        """A step of a firmware update (FirmwareStatusNotification, also 1.6 signed)."""

    def upload_status(self, status: str) -> None:
        """A step of a diagnostics or log upload (1.6 DiagnosticsStatus, LogStatus)."""

    def security_event(self, kind: str, tech_info: str | None) -> None:
        """A SecurityEventNotification (1.6 security extension, 2.x)."""

    def certificate_requested(self, csr: str) -> bool:
        """A SignCertificate request; True when it will be signed (sent back later)."""

    def reservation_ended(self, reservation_id: int) -> None:
        """2.x ReservationStatusUpdate: a reservation expired or was removed."""


class ProtocolAdapter(Protocol):
    """Commands every version implements; raise `ChargerCommandError` subclasses on failure."""

    ocpp_version: str
    # Set when the websocket closed: pending and later calls fail at once.
    connection_lost: asyncio.Event
    # Where the adapter keeps the charger's recent frames (time, direction, text).
    frame_history: deque[tuple[float, str, str]] | None

    def start_requests(self) -> None:
        """Prepare outgoing calls (creates `connection_lost`); once, when connected."""

    async def route_message(self, raw_msg: str | bytes) -> None:
        """Handle one frame from the charger."""

    async def get_configuration(self, keys: list[str] | None = None) -> ConfigurationReport:
        """Read configuration keys / variables (all when keys is None)."""

    async def change_configuration(self, key: str, value: str) -> CommandStatus:
        """Write one configuration key / variable."""

    async def trigger_message(
        self, kind: TriggerKind, connector_id: int | None = None
    ) -> CommandStatus:
        """Ask the charger to send a message now."""

    async def apply_settings(self, settings: ChargerSettings) -> None:
        """Learn the charger's capabilities and apply the user's settings after a boot."""


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """What one charger connection may do (the Connection options).

    `max_messages_per_second` (0: no limit) slows a flooding charger down instead of
    dropping its frames; `idle_timeout` closes a connection over which nothing arrived for
    that long (a charger that hung without closing its socket); `call_timeout` is how long
    our calls wait for an answer; larger frames than `max_frame_bytes` get a CALLERROR.
    """

    max_messages_per_second: float = 20.0
    idle_timeout: float = 660.0
    call_timeout: float = 30.0
    max_frame_bytes: int = 65536


DEFAULT_LIMITS: Final = ConnectionLimits()
