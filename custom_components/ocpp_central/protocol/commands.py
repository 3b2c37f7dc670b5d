"""Version-neutral types of the commands a central system sends to chargers.

Every adapter implements `ChargerCommands` with its own version's messages, so entities and
actions never know which OCPP version a charger speaks. Failures raise the errors of
`errors.py` (not connected, timeout, CALLERROR); an answer the charger gave, even a refusal,
is returned as a status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from .base import AuthorizationStatus, CommandStatus, ProtocolAdapter


class ResetKind(StrEnum):
    """How to restart a charger: soft (1.6 Soft, 2.x OnIdle) or hard (1.6 Hard, 2.x Immediate)."""

    SOFT = "soft"
    HARD = "hard"


class RateUnit(StrEnum):
    """Unit of a charging schedule's limits."""

    AMPERE = "A"
    WATT = "W"


class ProfilePurpose(StrEnum):
    """What a charging profile limits (1.6 ChargePointMaxProfile = 2.x ChargingStationMax)."""

    CHARGER_MAX = "charger_max"
    TX_DEFAULT = "tx_default"
    TX = "tx"


class ProfileKind(StrEnum):
    """How a schedule's periods are anchored in time."""

    ABSOLUTE = "absolute"
    RECURRING = "recurring"
    RELATIVE = "relative"


class Recurrency(StrEnum):
    """Repetition of a recurring profile."""

    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True, slots=True)
class SchedulePeriod:
    """From `start_period` seconds after the schedule start, limit to `limit`."""

    start_period: int
    limit: float
    number_phases: int | None = None


@dataclass(frozen=True, slots=True)
class ChargingProfile:
    """A charging profile in version-neutral form."""

    profile_id: int
    stack_level: int
    purpose: ProfilePurpose
    kind: ProfileKind
    unit: RateUnit
    periods: tuple[SchedulePeriod, ...]
    transaction_id: str | None = None
    start: datetime | None = None
    duration: int | None = None
    recurrency: Recurrency | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    min_rate: float | None = None


@dataclass(frozen=True, slots=True)
class CompositeSchedule:
    """The limits a charger will actually apply, as it computed them."""

    connector_id: int
    start: datetime | None
    duration: int | None
    unit: RateUnit
    periods: tuple[SchedulePeriod, ...]


class LogKind(StrEnum):
    """Which log to upload."""

    DIAGNOSTICS = "diagnostics"
    SECURITY = "security"


@dataclass(frozen=True, slots=True)
class LogRequest:
    """Where and what to upload."""

    location: str
    kind: LogKind = LogKind.DIAGNOSTICS
    request_id: int = 1
    oldest: datetime | None = None
    latest: datetime | None = None
    retries: int | None = None
    retry_interval: int | None = None


@dataclass(frozen=True, slots=True)
class LogResult:
    """A charger's answer to a log request; `filename` when it names the upload."""

    status: CommandStatus
    filename: str | None = None


@dataclass(frozen=True, slots=True)
class FirmwareRequest:
    """Where to fetch firmware from and when to install it."""

    location: str
    retrieve_at: datetime
    request_id: int = 1
    retries: int | None = None
    retry_interval: int | None = None
    install_at: datetime | None = None
    signing_certificate: str | None = None
    signature: str | None = None


@dataclass(frozen=True, slots=True)
class LocalListEntry:
    """An id tag of the charger's local authorization list; status None removes it."""

    id_tag: str
    status: AuthorizationStatus | None = AuthorizationStatus.ACCEPTED
    expiry: datetime | None = None
    parent_id_tag: str | None = None


class UpdateType(StrEnum):
    """Whether a local list replaces the charger's list or changes it."""

    FULL = "full"
    DIFFERENTIAL = "differential"


@dataclass(frozen=True, slots=True)
class DataTransferResult:
    """A charger's answer to a vendor message."""

    status: CommandStatus
    data: str | None = None


@dataclass(frozen=True, slots=True)
class Reservation:
    """Reserve a connector (0/None: any) for an id tag until `expiry`."""

    reservation_id: int
    expiry: datetime
    id_tag: str
    connector_id: int | None = None
    parent_id_tag: str | None = None


@dataclass(frozen=True, slots=True)
class VariableResult:
    """The outcome of setting one configuration key / variable."""

    key: str
    status: CommandStatus


@dataclass(slots=True)
class ClearProfileCriteria:
    """Which profiles to clear; all None clears every profile."""

    profile_id: int | None = None
    connector_id: int | None = None
    purpose: ProfilePurpose | None = None
    stack_level: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DefaultTariff:
    """The price a charger shows: per kWh and a fixed fee per session, in `currency`."""

    tariff_id: str
    currency: str
    price_kwh: float | None
    fixed_fee: float


class ChargerCommands(Protocol):
    """The commands every adapter implements (in addition to `ProtocolAdapter`'s)."""

    async def remote_start(
        self, connector_id: int | None, id_tag: str, profile: ChargingProfile | None = None
    ) -> CommandStatus:
        """Start a session (1.6 RemoteStartTransaction, 2.x RequestStartTransaction)."""

    async def remote_stop(self, transaction_id: str) -> CommandStatus:
        """Stop a session (1.6 RemoteStopTransaction, 2.x RequestStopTransaction)."""

    async def set_charging_profile(
        self, connector_id: int, profile: ChargingProfile
    ) -> CommandStatus:
        """Install a charging profile on a connector (0: the whole charger)."""

    async def clear_charging_profile(self, criteria: ClearProfileCriteria) -> CommandStatus:
        """Remove charging profiles (ACCEPTED, or UNKNOWN when none matched)."""

    async def get_composite_schedule(
        self, connector_id: int, duration: int, unit: RateUnit | None = None
    ) -> CompositeSchedule | None:
        """The schedule the charger will apply (None when it has none or refuses)."""

    async def change_availability(self, connector_id: int, operative: bool) -> CommandStatus:
        """Make a connector (0: the charger) (in)operative; may answer SCHEDULED."""

    async def reset(self, kind: ResetKind) -> CommandStatus:
        """Restart the charger."""

    async def unlock_connector(self, connector_id: int) -> CommandStatus:
        """Release the cable (ACCEPTED = unlocked, FAILED = could not, NOT_SUPPORTED = no lock)."""

    async def set_variables(self, values: dict[str, str]) -> list[VariableResult]:
        """Write configuration keys (1.6) / variables (2.x, "Component.Variable")."""

    async def update_firmware(self, request: FirmwareRequest) -> CommandStatus:
        """Ask the charger to fetch and install firmware."""

    async def get_log(self, request: LogRequest) -> LogResult:
        """Ask the charger to upload a log."""

    async def data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None
    ) -> DataTransferResult:
        """Send a vendor message."""

    async def reserve_now(self, reservation: Reservation) -> CommandStatus:
        """Reserve a connector."""

    async def cancel_reservation(self, reservation_id: int) -> CommandStatus:
        """Cancel a reservation."""

    async def send_local_list(
        self, version: int, entries: list[LocalListEntry], update_type: UpdateType
    ) -> CommandStatus:
        """Replace or change the charger's local authorization list."""

    async def get_local_list_version(self) -> int:
        """Version of the charger's local authorization list (0: none, -1: unsupported)."""

    async def clear_cache(self) -> CommandStatus:
        """Clear the charger's authorization cache."""

    async def set_password(self, password: str) -> CommandStatus:
        """Give the charger a new Basic auth password; it reconnects with it."""

    async def set_security_profile(
        self, profile: int, csms_url: str, current_priority: str | None
    ) -> CommandStatus:
        """Make the charger connect with a higher security profile after its next restart.

        `csms_url` is where it connects then (2.x SetNetworkProfile; 1.6 has no standard
        key for it); `current_priority` is the 2.x NetworkConfigurationPriority it has now.
        """

    async def install_root_certificate(self, certificate_pem: str) -> CommandStatus:
        """Make the charger trust our certificate authority for TLS (InstallCertificate)."""

    async def send_signed_certificate(self, certificate_chain_pem: str) -> CommandStatus:
        """Give the charger the client certificate signed for its request (CertificateSigned)."""

    async def set_default_tariff(self, tariff: DefaultTariff) -> CommandStatus:
        """Show the tariff on the charger (2.1 SetDefaultTariff; NOT_SUPPORTED before 2.1)."""


class CommandAdapter(ProtocolAdapter, ChargerCommands, Protocol):
    """A protocol adapter with the whole command set: what a charger session holds."""
