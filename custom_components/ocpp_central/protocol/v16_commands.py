"""OCPP 1.6 implementation of the version-neutral command set (`commands.ChargerCommands`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from ocpp.v16 import call
from ocpp.v16.enums import (
    AvailabilityStatus,
    AvailabilityType,
    CancelReservationStatus,
    CertificateUse,
    ChargingProfileStatus,
    ClearCacheStatus,
    ClearChargingProfileStatus,
    DataTransferStatus,
    GetCompositeScheduleStatus,
    Log,
    LogStatus,
    RemoteStartStopStatus,
    ReservationStatus,
    ResetStatus,
    ResetType,
    UnlockStatus,
    UpdateFirmwareStatus,
    UpdateStatus,
    UpdateType as UpdateType16,
)

from ..const import LOGGER
from ..security import authorization_key
from .base import CommandStatus
from .commands import (
    ChargingProfile,
    ClearProfileCriteria,
    CompositeSchedule,
    DataTransferResult,
    DefaultTariff,
    FirmwareRequest,
    LocalListEntry,
    LogKind,
    LogRequest,
    LogResult,
    RateUnit,
    Reservation,
    ResetKind,
    UpdateType,
    VariableResult,
)
from .profiles import AUTHORIZATION, PURPOSE_16, answer_status, parse_schedule, profile_16, utc_iso

_START_STOP: Final = {
    RemoteStartStopStatus.accepted: CommandStatus.ACCEPTED,
    RemoteStartStopStatus.rejected: CommandStatus.REJECTED,
}
_PROFILE: Final = {
    ChargingProfileStatus.accepted: CommandStatus.ACCEPTED,
    ChargingProfileStatus.rejected: CommandStatus.REJECTED,
    ChargingProfileStatus.not_supported: CommandStatus.NOT_SUPPORTED,
}
_CLEAR_PROFILE: Final = {
    ClearChargingProfileStatus.accepted: CommandStatus.ACCEPTED,
    ClearChargingProfileStatus.unknown: CommandStatus.UNKNOWN,
}
_COMPOSITE: Final = {
    GetCompositeScheduleStatus.accepted: CommandStatus.ACCEPTED,
    GetCompositeScheduleStatus.rejected: CommandStatus.REJECTED,
}
_AVAILABILITY: Final = {
    AvailabilityStatus.accepted: CommandStatus.ACCEPTED,
    AvailabilityStatus.rejected: CommandStatus.REJECTED,
    AvailabilityStatus.scheduled: CommandStatus.SCHEDULED,
}
_RESET: Final = {
    ResetStatus.accepted: CommandStatus.ACCEPTED,
    ResetStatus.rejected: CommandStatus.REJECTED,
}
_RESET_TYPE: Final = {ResetKind.SOFT: ResetType.soft, ResetKind.HARD: ResetType.hard}
_UNLOCK: Final = {
    UnlockStatus.unlocked: CommandStatus.ACCEPTED,
    UnlockStatus.unlock_failed: CommandStatus.FAILED,
    UnlockStatus.not_supported: CommandStatus.NOT_SUPPORTED,
}
# Security whitepaper: SignedUpdateFirmware.
_SIGNED_FIRMWARE: Final = {
    UpdateFirmwareStatus.accepted: CommandStatus.ACCEPTED,
    UpdateFirmwareStatus.rejected: CommandStatus.REJECTED,
    UpdateFirmwareStatus.accepted_canceled: CommandStatus.ACCEPTED_CANCELED,
    UpdateFirmwareStatus.invalid_certificate: CommandStatus.REJECTED,
    UpdateFirmwareStatus.revoked_certificate: CommandStatus.REJECTED,
}
# Security whitepaper: GetLog (security logs; diagnostics go through GetDiagnostics).
_LOG: Final = {
    LogStatus.accepted: CommandStatus.ACCEPTED,
    LogStatus.rejected: CommandStatus.REJECTED,
    LogStatus.accepted_canceled: CommandStatus.ACCEPTED_CANCELED,
}
_DATA_TRANSFER: Final = {
    DataTransferStatus.accepted: CommandStatus.ACCEPTED,
    DataTransferStatus.rejected: CommandStatus.REJECTED,
    DataTransferStatus.unknown_message_id: CommandStatus.NOT_SUPPORTED,
    DataTransferStatus.unknown_vendor_id: CommandStatus.NOT_SUPPORTED,
}
_RESERVATION: Final = {
    ReservationStatus.accepted: CommandStatus.ACCEPTED,
    ReservationStatus.faulted: CommandStatus.FAULTED,
    ReservationStatus.occupied: CommandStatus.OCCUPIED,
    ReservationStatus.rejected: CommandStatus.REJECTED,
    ReservationStatus.unavailable: CommandStatus.UNAVAILABLE,
}
# 1.6 section 7.7: Rejected means "no reservation with this id".
_CANCEL_RESERVATION: Final = {
    CancelReservationStatus.accepted: CommandStatus.ACCEPTED,
    CancelReservationStatus.rejected: CommandStatus.UNKNOWN,
}
_LOCAL_LIST: Final = {
    UpdateStatus.accepted: CommandStatus.ACCEPTED,
    UpdateStatus.failed: CommandStatus.FAILED,
    UpdateStatus.not_supported: CommandStatus.NOT_SUPPORTED,
    UpdateStatus.version_mismatch: CommandStatus.VERSION_MISMATCH,
}
_UPDATE_TYPE: Final = {
    UpdateType.FULL: UpdateType16.full,
    UpdateType.DIFFERENTIAL: UpdateType16.differential,
}
_CLEAR_CACHE: Final = {
    ClearCacheStatus.accepted: CommandStatus.ACCEPTED,
    ClearCacheStatus.rejected: CommandStatus.REJECTED,
}


_CERTIFICATE: Final = {
    "Accepted": CommandStatus.ACCEPTED,
    "Rejected": CommandStatus.REJECTED,
    "Failed": CommandStatus.FAILED,
}


class V16Commands:
    """Mixin for the 1.6 adapter; uses `self.request` (CallerMixin) to send calls."""

    if TYPE_CHECKING:
        id: str

        async def request(self, payload: Any) -> Any:
            """Provided by `CallerMixin`."""

        async def change_configuration(self, key: str, value: str) -> CommandStatus:
            """Provided by the adapter."""

    def _status(self, table: dict[Any, CommandStatus], value: Any, action: str) -> CommandStatus:
        return answer_status(table, value, action, self.id)

    async def remote_start(
        self, connector_id: int | None, id_tag: str, profile: ChargingProfile | None = None
    ) -> CommandStatus:
        """RemoteStartTransaction; connector None or 0 lets the charger choose."""
        result = await self.request(
            call.RemoteStartTransaction(
                id_tag=id_tag,
                # 1.6 section 5.11: connectorId must be > 0 when given.
                connector_id=connector_id or None,
                charging_profile=None if profile is None else profile_16(profile),
            )
        )
        return self._status(_START_STOP, result.status, "RemoteStartTransaction")

    async def remote_stop(self, transaction_id: str) -> CommandStatus:
        """RemoteStopTransaction (1.6 transaction ids are integers)."""
        result = await self.request(call.RemoteStopTransaction(transaction_id=int(transaction_id)))
        return self._status(_START_STOP, result.status, "RemoteStopTransaction")

    async def set_charging_profile(
        self, connector_id: int, profile: ChargingProfile
    ) -> CommandStatus:
        """SetChargingProfile."""
        result = await self.request(
            call.SetChargingProfile(
                connector_id=connector_id, cs_charging_profiles=profile_16(profile)
            )
        )
        return self._status(_PROFILE, result.status, "SetChargingProfile")

    async def clear_charging_profile(self, criteria: ClearProfileCriteria) -> CommandStatus:
        """ClearChargingProfile; `criteria.extra` has no 1.6 field and is not sent."""
        result = await self.request(
            call.ClearChargingProfile(
                id=criteria.profile_id,
                connector_id=criteria.connector_id,
                charging_profile_purpose=(
                    None if criteria.purpose is None else PURPOSE_16[criteria.purpose]
                ),
                stack_level=criteria.stack_level,
            )
        )
        return self._status(_CLEAR_PROFILE, result.status, "ClearChargingProfile")

    async def get_composite_schedule(
        self, connector_id: int, duration: int, unit: RateUnit | None = None
    ) -> CompositeSchedule | None:
        """GetCompositeSchedule; None when refused or answered without a schedule."""
        result = await self.request(
            call.GetCompositeSchedule(
                connector_id=connector_id,
                duration=duration,
                charging_rate_unit=None if unit is None else unit.value,
            )
        )
        status = self._status(_COMPOSITE, result.status, "GetCompositeSchedule")
        schedule = result.charging_schedule
        if status is not CommandStatus.ACCEPTED or not schedule:
            return None
        return parse_schedule(
            connector_id if result.connector_id is None else result.connector_id,
            result.schedule_start or schedule.get("start_schedule"),
            schedule.get("duration"),
            schedule["charging_rate_unit"],
            schedule["charging_schedule_period"],
        )

    async def change_availability(self, connector_id: int, operative: bool) -> CommandStatus:
        """ChangeAvailability Operative / Inoperative."""
        result = await self.request(
            call.ChangeAvailability(
                connector_id=connector_id,
                type=AvailabilityType.operative if operative else AvailabilityType.inoperative,
            )
        )
        return self._status(_AVAILABILITY, result.status, "ChangeAvailability")

    async def reset(self, kind: ResetKind) -> CommandStatus:
        """Reset Soft / Hard."""
        result = await self.request(call.Reset(type=_RESET_TYPE[kind]))
        return self._status(_RESET, result.status, "Reset")

    async def unlock_connector(self, connector_id: int) -> CommandStatus:
        """UnlockConnector: ACCEPTED unlocked, FAILED could not, NOT_SUPPORTED no lock."""
        result = await self.request(call.UnlockConnector(connector_id=connector_id))
        return self._status(_UNLOCK, result.status, "UnlockConnector")

    async def set_variables(self, values: dict[str, str]) -> list[VariableResult]:
        """One ChangeConfiguration per key (1.6 has no batch write)."""
        return [
            VariableResult(key=key, status=await self.change_configuration(key, value))
            for key, value in values.items()
        ]

    async def update_firmware(self, request: FirmwareRequest) -> CommandStatus:
        """UpdateFirmware, or SignedUpdateFirmware when a certificate and signature come along.

        Plain UpdateFirmware has an empty answer; the charger reports progress through
        FirmwareStatusNotification, so an answer at all is ACCEPTED.
        """
        if request.signing_certificate and request.signature:
            result = await self.request(
                call.SignedUpdateFirmware(
                    request_id=request.request_id,
                    firmware={
                        "location": request.location,
                        "retrieve_date_time": utc_iso(request.retrieve_at),
                        "install_date_time": utc_iso(request.install_at),
                        "signing_certificate": request.signing_certificate,
                        "signature": request.signature,
                    },
                    retries=request.retries,
                    retry_interval=request.retry_interval,
                )
            )
            return self._status(_SIGNED_FIRMWARE, result.status, "SignedUpdateFirmware")
        await self.request(
            call.UpdateFirmware(
                location=request.location,
                retrieve_date=utc_iso(request.retrieve_at),
                retries=request.retries,
                retry_interval=request.retry_interval,
            )
        )
        return CommandStatus.ACCEPTED

    async def get_log(self, request: LogRequest) -> LogResult:
        """GetDiagnostics for diagnostics, the security extension's GetLog for security logs.

        GetDiagnostics has no status: 1.6 section 6.29 leaves out the file name when "no
        diagnostic information is available", so no name means nothing will be uploaded
        (REJECTED).
        """
        if request.kind is LogKind.SECURITY:
            result = await self.request(
                call.GetLog(
                    log={
                        "remote_location": request.location,
                        "oldest_timestamp": utc_iso(request.oldest),
                        "latest_timestamp": utc_iso(request.latest),
                    },
                    log_type=Log.security_log,
                    request_id=request.request_id,
                    retries=request.retries,
                    retry_interval=request.retry_interval,
                )
            )
            return LogResult(self._status(_LOG, result.status, "GetLog"), result.filename)
        result = await self.request(
            call.GetDiagnostics(
                location=request.location,
                retries=request.retries,
                retry_interval=request.retry_interval,
                start_time=utc_iso(request.oldest),
                stop_time=utc_iso(request.latest),
            )
        )
        if not result.file_name:
            LOGGER.info("Charger %s has no diagnostics to upload", self.id)
            return LogResult(CommandStatus.REJECTED)
        return LogResult(CommandStatus.ACCEPTED, result.file_name)

    async def data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None
    ) -> DataTransferResult:
        """DataTransfer; UnknownVendorId / UnknownMessageId count as NOT_SUPPORTED."""
        result = await self.request(
            call.DataTransfer(vendor_id=vendor_id, message_id=message_id, data=data)
        )
        return DataTransferResult(
            self._status(_DATA_TRANSFER, result.status, "DataTransfer"), result.data
        )

    async def reserve_now(self, reservation: Reservation) -> CommandStatus:
        """ReserveNow; connector 0 reserves any connector."""
        result = await self.request(
            call.ReserveNow(
                connector_id=reservation.connector_id or 0,
                expiry_date=utc_iso(reservation.expiry),
                id_tag=reservation.id_tag,
                reservation_id=reservation.reservation_id,
                parent_id_tag=reservation.parent_id_tag,
            )
        )
        return self._status(_RESERVATION, result.status, "ReserveNow")

    async def cancel_reservation(self, reservation_id: int) -> CommandStatus:
        """CancelReservation; UNKNOWN when the charger has no such reservation."""
        result = await self.request(call.CancelReservation(reservation_id=reservation_id))
        return self._status(_CANCEL_RESERVATION, result.status, "CancelReservation")

    async def send_local_list(
        self, version: int, entries: list[LocalListEntry], update_type: UpdateType
    ) -> CommandStatus:
        """SendLocalList; an entry without status goes out without idTagInfo (removal)."""
        result = await self.request(
            call.SendLocalList(
                list_version=version,
                update_type=_UPDATE_TYPE[update_type],
                local_authorization_list=[_authorization_data(entry) for entry in entries],
            )
        )
        return self._status(_LOCAL_LIST, result.status, "SendLocalList")

    async def get_local_list_version(self) -> int:
        """GetLocalListVersion (0: no list, -1: the charger has no local list support)."""
        result = await self.request(call.GetLocalListVersion())
        return int(result.list_version)

    async def set_password(self, password: str) -> CommandStatus:
        """AuthorizationKey: the password's bytes, hex encoded (1.6 security whitepaper)."""
        return await self.change_configuration("AuthorizationKey", authorization_key(password))

    async def set_security_profile(
        self, profile: int, csms_url: str, current_priority: str | None
    ) -> CommandStatus:
        """SecurityProfile; the charger switches at its next restart (whitepaper A02).

        1.6 has no standard key for the central system's URL: the installer changes ws:// to
        wss:// in the charger's own settings.
        """
        return await self.change_configuration("SecurityProfile", str(profile))

    async def install_root_certificate(self, certificate_pem: str) -> CommandStatus:
        """InstallCertificate of a CentralSystemRootCertificate (security whitepaper)."""
        result = await self.request(
            call.InstallCertificate(
                certificate_type=CertificateUse.central_system_root_certificate,
                certificate=certificate_pem,
            )
        )
        return self._status(_CERTIFICATE, result.status, "InstallCertificate")

    async def send_signed_certificate(self, certificate_chain_pem: str) -> CommandStatus:
        """CertificateSigned with the charger's new client certificate."""
        result = await self.request(call.CertificateSigned(certificate_chain=certificate_chain_pem))
        return self._status(_CERTIFICATE, result.status, "CertificateSigned")

    async def set_default_tariff(self, tariff: DefaultTariff) -> CommandStatus:
        """1.6 has no tariffs."""
        del tariff
        return CommandStatus.NOT_SUPPORTED

    async def clear_cache(self) -> CommandStatus:
        """ClearCache."""
        result = await self.request(call.ClearCache())
        return self._status(_CLEAR_CACHE, result.status, "ClearCache")


def _authorization_data(entry: LocalListEntry) -> dict[str, Any]:
    if entry.status is None:
        # 1.6 section 5.15: in a differential update, an entry without idTagInfo is removed.
        return {"id_tag": entry.id_tag}
    return {
        "id_tag": entry.id_tag,
        "id_tag_info": {
            "status": AUTHORIZATION[entry.status],
            "expiry_date": utc_iso(entry.expiry),
            "parent_id_tag": entry.parent_id_tag,
        },
    }
