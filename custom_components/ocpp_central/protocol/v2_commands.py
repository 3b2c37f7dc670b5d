"""OCPP 2.0.1 / 2.1 implementation of the version-neutral command set.

Payloads are built with `self._call`, the call module of the adapter's version, so one mixin
serves both. Every message and field used here has the same shape in 2.0.1 and 2.1 (2.1 only
adds optional fields and enum values), so nothing branches on the version. 1.6 connector ids
map to 2.x EVSE ids: a 2.x EVSE is what 1.6 calls a connector.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from typing import TYPE_CHECKING, Any, Final

from ocpp.v201.enums import (
    CancelReservationStatusEnumType as CancelReservationStatus,
    ChangeAvailabilityStatusEnumType as AvailabilityStatus,
    ChargingProfileStatusEnumType as ChargingProfileStatus,
    ClearCacheStatusEnumType as ClearCacheStatus,
    ClearChargingProfileStatusEnumType as ClearChargingProfileStatus,
    DataTransferStatusEnumType as DataTransferStatus,
    GenericStatusEnumType as GenericStatus,
    LogStatusEnumType as LogStatus,
    RequestStartStopStatusEnumType as RequestStartStopStatus,
    ReserveNowStatusEnumType as ReserveNowStatus,
    ResetStatusEnumType as ResetStatus,
    SendLocalListStatusEnumType as SendLocalListStatus,
    SetVariableStatusEnumType as SetVariableStatus,
    UnlockStatusEnumType as UnlockStatus,
    UpdateFirmwareStatusEnumType as UpdateFirmwareStatus,
)

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
from .profiles import AUTHORIZATION, PURPOSE_2, answer_status, parse_schedule, profile_2, utc_iso
from .v2_report import variable_key

# The 2.1 enums carry the same values (and the library validates answers against the
# negotiated version's schema), so tables keyed by the 2.0.1 enums serve both versions.
# SetNetworkProfile, InstallCertificate and CertificateSigned answer Accepted / Rejected (2.0.1
# InstallCertificate also Failed).
_GENERIC: Final = {
    "Accepted": CommandStatus.ACCEPTED,
    "Rejected": CommandStatus.REJECTED,
    "Failed": CommandStatus.FAILED,
}
# SetDefaultTariff's refusals say why; all of them mean the charger shows no price.
_TARIFF: Final = {
    **_GENERIC,
    "TooManyElements": CommandStatus.REJECTED,
    "ConditionNotSupported": CommandStatus.REJECTED,
    "DuplicateTariffId": CommandStatus.REJECTED,
}
_START_STOP: Final = {
    RequestStartStopStatus.accepted: CommandStatus.ACCEPTED,
    RequestStartStopStatus.rejected: CommandStatus.REJECTED,
}
_PROFILE: Final = {
    ChargingProfileStatus.accepted: CommandStatus.ACCEPTED,
    ChargingProfileStatus.rejected: CommandStatus.REJECTED,
}
_CLEAR_PROFILE: Final = {
    ClearChargingProfileStatus.accepted: CommandStatus.ACCEPTED,
    ClearChargingProfileStatus.unknown: CommandStatus.UNKNOWN,
}
_COMPOSITE: Final = {
    GenericStatus.accepted: CommandStatus.ACCEPTED,
    GenericStatus.rejected: CommandStatus.REJECTED,
}
_AVAILABILITY: Final = {
    AvailabilityStatus.accepted: CommandStatus.ACCEPTED,
    AvailabilityStatus.rejected: CommandStatus.REJECTED,
    AvailabilityStatus.scheduled: CommandStatus.SCHEDULED,
}
_RESET: Final = {
    ResetStatus.accepted: CommandStatus.ACCEPTED,
    ResetStatus.rejected: CommandStatus.REJECTED,
    ResetStatus.scheduled: CommandStatus.SCHEDULED,
}
_RESET_TYPE: Final = {ResetKind.SOFT: "OnIdle", ResetKind.HARD: "Immediate"}
_UNLOCK: Final = {
    UnlockStatus.unlocked: CommandStatus.ACCEPTED,
    UnlockStatus.unlock_failed: CommandStatus.FAILED,
    # A running, authorized session holds the cable; stop the session first.
    UnlockStatus.ongoing_authorized_transaction: CommandStatus.OCCUPIED,
    UnlockStatus.unknown_connector: CommandStatus.UNKNOWN,
}
# Unknown components and variables answer like 1.6's NotSupported for an unknown key, so the
# same mistake gives the same status whatever the charger's version.
_SET_VARIABLE: Final = {
    SetVariableStatus.accepted: CommandStatus.ACCEPTED,
    SetVariableStatus.rejected: CommandStatus.REJECTED,
    SetVariableStatus.reboot_required: CommandStatus.REBOOT_REQUIRED,
    SetVariableStatus.unknown_component: CommandStatus.NOT_SUPPORTED,
    SetVariableStatus.unknown_variable: CommandStatus.NOT_SUPPORTED,
    SetVariableStatus.not_supported_attribute_type: CommandStatus.NOT_SUPPORTED,
}
_FIRMWARE: Final = {
    UpdateFirmwareStatus.accepted: CommandStatus.ACCEPTED,
    UpdateFirmwareStatus.rejected: CommandStatus.REJECTED,
    UpdateFirmwareStatus.accepted_canceled: CommandStatus.ACCEPTED_CANCELED,
    UpdateFirmwareStatus.invalid_certificate: CommandStatus.REJECTED,
    UpdateFirmwareStatus.revoked_certificate: CommandStatus.REJECTED,
}
_LOG: Final = {
    LogStatus.accepted: CommandStatus.ACCEPTED,
    LogStatus.rejected: CommandStatus.REJECTED,
    LogStatus.accepted_canceled: CommandStatus.ACCEPTED_CANCELED,
}
_LOG_TYPE: Final = {LogKind.DIAGNOSTICS: "DiagnosticsLog", LogKind.SECURITY: "SecurityLog"}
_DATA_TRANSFER: Final = {
    DataTransferStatus.accepted: CommandStatus.ACCEPTED,
    DataTransferStatus.rejected: CommandStatus.REJECTED,
    DataTransferStatus.unknown_message_id: CommandStatus.NOT_SUPPORTED,
    DataTransferStatus.unknown_vendor_id: CommandStatus.NOT_SUPPORTED,
}
_RESERVATION: Final = {
    ReserveNowStatus.accepted: CommandStatus.ACCEPTED,
    ReserveNowStatus.faulted: CommandStatus.FAULTED,
    ReserveNowStatus.occupied: CommandStatus.OCCUPIED,
    ReserveNowStatus.rejected: CommandStatus.REJECTED,
    ReserveNowStatus.unavailable: CommandStatus.UNAVAILABLE,
}
# 2.0.1 part 2 H02: Rejected means "no reservation with this id".
_CANCEL_RESERVATION: Final = {
    CancelReservationStatus.accepted: CommandStatus.ACCEPTED,
    CancelReservationStatus.rejected: CommandStatus.UNKNOWN,
}
_LOCAL_LIST: Final = {
    SendLocalListStatus.accepted: CommandStatus.ACCEPTED,
    SendLocalListStatus.failed: CommandStatus.FAILED,
    SendLocalListStatus.version_mismatch: CommandStatus.VERSION_MISMATCH,
}
_UPDATE_TYPE: Final = {UpdateType.FULL: "Full", UpdateType.DIFFERENTIAL: "Differential"}
_CLEAR_CACHE: Final = {
    ClearCacheStatus.accepted: CommandStatus.ACCEPTED,
    ClearCacheStatus.rejected: CommandStatus.REJECTED,
}
# Our id tags are what chargers read from RFID cards; a remote start or a local list entry
# must carry the same type as the card for the charger to treat it as the same token.
ID_TOKEN_TYPE: Final = "ISO14443"
# "Component[evse].Variable[instance]", the names `v2_report.variable_key` gives variables.
_VARIABLE_KEY: Final = re.compile(
    r"(?P<component>[^.\[\]]+)(?:\[(?P<evse>\d+)\])?"
    r"\.(?P<variable>[^\[\]]+)(?:\[(?P<instance>[^\]]+)\])?"
)
# Chargers echo remoteStartId in their TransactionEvents; starting from the clock keeps ids
# unique across restarts of Home Assistant.
_REMOTE_START_IDS: Final = itertools.count(int(time.time()))


def _id_token(id_tag: str) -> dict[str, str]:
    return {"id_token": id_tag, "type": ID_TOKEN_TYPE}


def parse_variable_key(key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The component and variable of "Component[evse].Variable[instance]" (brackets optional)."""
    if (match := _VARIABLE_KEY.fullmatch(key)) is None:
        raise ValueError(f"{key!r} is not a 2.x variable name (Component.Variable)")
    component: dict[str, Any] = {"name": match["component"]}
    if match["evse"] is not None:
        component["evse"] = {"id": int(match["evse"])}
    variable: dict[str, Any] = {"name": match["variable"]}
    if match["instance"] is not None:
        variable["instance"] = match["instance"]
    return component, variable


class V2Commands:
    """Mixin for the 2.x adapters; uses `self.request` and `self._call` (the version's calls)."""

    if TYPE_CHECKING:
        id: str
        ocpp_version: str
        _call: Any

        async def request(self, payload: Any) -> Any:
            """Provided by `CallerMixin`."""

    def _status(self, table: dict[Any, CommandStatus], value: Any, action: str) -> CommandStatus:
        return answer_status(table, value, action, self.id)

    async def remote_start(
        self, connector_id: int | None, id_tag: str, profile: ChargingProfile | None = None
    ) -> CommandStatus:
        """RequestStartTransaction; EVSE None or 0 lets the charger choose."""
        result = await self.request(
            self._call.RequestStartTransaction(
                id_token=_id_token(id_tag),
                remote_start_id=next(_REMOTE_START_IDS),
                evse_id=connector_id or None,
                charging_profile=None if profile is None else profile_2(profile),
            )
        )
        return self._status(_START_STOP, result.status, "RequestStartTransaction")

    async def remote_stop(self, transaction_id: str) -> CommandStatus:
        """RequestStopTransaction."""
        result = await self.request(
            self._call.RequestStopTransaction(transaction_id=transaction_id)
        )
        return self._status(_START_STOP, result.status, "RequestStopTransaction")

    async def set_charging_profile(
        self, connector_id: int, profile: ChargingProfile
    ) -> CommandStatus:
        """SetChargingProfile on an EVSE (0: the whole charger)."""
        result = await self.request(
            self._call.SetChargingProfile(evse_id=connector_id, charging_profile=profile_2(profile))
        )
        return self._status(_PROFILE, result.status, "SetChargingProfile")

    async def clear_charging_profile(self, criteria: ClearProfileCriteria) -> CommandStatus:
        """ClearChargingProfile; `criteria.extra` has no 2.x field and is not sent."""
        fields = {
            "evse_id": criteria.connector_id,
            "charging_profile_purpose": (
                None if criteria.purpose is None else PURPOSE_2[criteria.purpose]
            ),
            "stack_level": criteria.stack_level,
        }
        result = await self.request(
            self._call.ClearChargingProfile(
                charging_profile_id=criteria.profile_id,
                charging_profile_criteria=(
                    fields if any(value is not None for value in fields.values()) else None
                ),
            )
        )
        return self._status(_CLEAR_PROFILE, result.status, "ClearChargingProfile")

    async def get_composite_schedule(
        self, connector_id: int, duration: int, unit: RateUnit | None = None
    ) -> CompositeSchedule | None:
        """GetCompositeSchedule; None when refused or answered without a schedule."""
        result = await self.request(
            self._call.GetCompositeSchedule(
                duration=duration,
                evse_id=connector_id,
                charging_rate_unit=None if unit is None else unit.value,
            )
        )
        status = self._status(_COMPOSITE, result.status, "GetCompositeSchedule")
        schedule = result.schedule
        if status is not CommandStatus.ACCEPTED or not schedule:
            return None
        return parse_schedule(
            int(schedule.get("evse_id", connector_id)),
            schedule.get("schedule_start"),
            schedule.get("duration"),
            schedule["charging_rate_unit"],
            schedule["charging_schedule_period"],
        )

    async def change_availability(self, connector_id: int, operative: bool) -> CommandStatus:
        """ChangeAvailability of an EVSE, or of the whole charger for 0."""
        result = await self.request(
            self._call.ChangeAvailability(
                operational_status="Operative" if operative else "Inoperative",
                evse={"id": connector_id} if connector_id else None,
            )
        )
        return self._status(_AVAILABILITY, result.status, "ChangeAvailability")

    async def reset(self, kind: ResetKind) -> CommandStatus:
        """Reset OnIdle (soft) / Immediate (hard); may answer SCHEDULED."""
        result = await self.request(self._call.Reset(type=_RESET_TYPE[kind]))
        return self._status(_RESET, result.status, "Reset")

    async def unlock_connector(self, connector_id: int) -> CommandStatus:
        """UnlockConnector of an EVSE's first connector (our connectors are 2.x EVSEs)."""
        result = await self.request(
            self._call.UnlockConnector(evse_id=connector_id, connector_id=1)
        )
        return self._status(_UNLOCK, result.status, "UnlockConnector")

    async def set_variables(self, values: dict[str, str]) -> list[VariableResult]:
        """One SetVariables for all "Component[evse].Variable[instance]" keys."""
        if not values:
            return []
        keys = list(values)
        data = []
        by_name: dict[str, str] = {}
        for key, value in values.items():
            component, variable = parse_variable_key(key)
            by_name[variable_key(component, variable)] = key
            data.append({"component": component, "variable": variable, "attribute_value": value})
        result = await self.request(self._call.SetVariables(set_variable_data=data))
        outcome = []
        for index, item in enumerate(result.set_variable_result):
            name = variable_key(item["component"], item["variable"])
            # A charger may spell the names differently (case); its answers come in order.
            key = by_name.get(name) or (keys[index] if index < len(keys) else name)
            outcome.append(
                VariableResult(
                    key, self._status(_SET_VARIABLE, item["attribute_status"], "SetVariables")
                )
            )
        return outcome

    async def update_firmware(self, request: FirmwareRequest) -> CommandStatus:
        """UpdateFirmware."""
        result = await self.request(
            self._call.UpdateFirmware(
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
        return self._status(_FIRMWARE, result.status, "UpdateFirmware")

    async def get_log(self, request: LogRequest) -> LogResult:
        """GetLog of the diagnostics or the security log."""
        result = await self.request(
            self._call.GetLog(
                log={
                    "remote_location": request.location,
                    "oldest_timestamp": utc_iso(request.oldest),
                    "latest_timestamp": utc_iso(request.latest),
                },
                log_type=_LOG_TYPE[request.kind],
                request_id=request.request_id,
                retries=request.retries,
                retry_interval=request.retry_interval,
            )
        )
        return LogResult(self._status(_LOG, result.status, "GetLog"), result.filename)

    async def data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None
    ) -> DataTransferResult:
        """DataTransfer; UnknownVendorId / UnknownMessageId count as NOT_SUPPORTED."""
        result = await self.request(
            self._call.DataTransfer(vendor_id=vendor_id, message_id=message_id, data=data)
        )
        answer = result.data
        if answer is not None and not isinstance(answer, str):
            # 2.x data may be any JSON value; the neutral result carries text.
            answer = json.dumps(answer)
        return DataTransferResult(
            self._status(_DATA_TRANSFER, result.status, "DataTransfer"), answer
        )

    async def reserve_now(self, reservation: Reservation) -> CommandStatus:
        """ReserveNow of an EVSE, or of any EVSE for None / 0."""
        result = await self.request(
            self._call.ReserveNow(
                id=reservation.reservation_id,
                expiry_date_time=utc_iso(reservation.expiry),
                id_token=_id_token(reservation.id_tag),
                evse_id=reservation.connector_id or None,
                group_id_token=(
                    None
                    if reservation.parent_id_tag is None
                    else _id_token(reservation.parent_id_tag)
                ),
            )
        )
        return self._status(_RESERVATION, result.status, "ReserveNow")

    async def cancel_reservation(self, reservation_id: int) -> CommandStatus:
        """CancelReservation; UNKNOWN when the charger has no such reservation."""
        result = await self.request(self._call.CancelReservation(reservation_id=reservation_id))
        return self._status(_CANCEL_RESERVATION, result.status, "CancelReservation")

    async def send_local_list(
        self, version: int, entries: list[LocalListEntry], update_type: UpdateType
    ) -> CommandStatus:
        """SendLocalList; an entry without status goes out without idTokenInfo (removal)."""
        result = await self.request(
            self._call.SendLocalList(
                version_number=version,
                update_type=_UPDATE_TYPE[update_type],
                # The schema wants at least one entry when the list is present at all.
                local_authorization_list=[_authorization_data(entry) for entry in entries] or None,
            )
        )
        return self._status(_LOCAL_LIST, result.status, "SendLocalList")

    async def get_local_list_version(self) -> int:
        """GetLocalListVersion (0: no list)."""
        result = await self.request(self._call.GetLocalListVersion())
        return int(result.version_number)

    async def set_password(self, password: str) -> CommandStatus:
        """SecurityCtrlr.BasicAuthPassword (2.0.1 A01); the charger reconnects with it."""
        [result] = await self.set_variables({"SecurityCtrlr.BasicAuthPassword": password})
        return result.status

    async def set_security_profile(
        self, profile: int, csms_url: str, current_priority: str | None
    ) -> CommandStatus:
        """A new network profile in a free slot, tried first from the next restart (A05)."""
        slots = [slot.strip() for slot in (current_priority or "").split(",") if slot.strip()]
        slot = next(
            candidate for candidate in range(1, len(slots) + 2) if str(candidate) not in slots
        )
        result = await self.request(
            self._call.SetNetworkProfile(
                configuration_slot=slot,
                connection_data={
                    "ocpp_version": "OCPP21" if self.ocpp_version == "2.1" else "OCPP20",
                    "ocpp_transport": "JSON",
                    "ocpp_csms_url": csms_url,
                    "message_timeout": 30,
                    "security_profile": profile,
                    "ocpp_interface": "Wired0",
                },
            )
        )
        status = self._status(_GENERIC, result.status, "SetNetworkProfile")
        if status is not CommandStatus.ACCEPTED:
            return status
        # The new slot first; the old ones stay as the fallback if it cannot connect.
        priority = ",".join([str(slot), *slots])
        [written] = await self.set_variables(
            {"OCPPCommCtrlr.NetworkConfigurationPriority": priority}
        )
        return written.status

    async def install_root_certificate(self, certificate_pem: str) -> CommandStatus:
        """InstallCertificate of a CSMSRootCertificate."""
        result = await self.request(
            self._call.InstallCertificate(
                certificate_type="CSMSRootCertificate", certificate=certificate_pem
            )
        )
        return self._status(_GENERIC, result.status, "InstallCertificate")

    async def send_signed_certificate(self, certificate_chain_pem: str) -> CommandStatus:
        """CertificateSigned of a ChargingStationCertificate."""
        result = await self.request(
            self._call.CertificateSigned(
                certificate_chain=certificate_chain_pem,
                certificate_type="ChargingStationCertificate",
            )
        )
        return self._status(_GENERIC, result.status, "CertificateSigned")

    async def set_default_tariff(self, tariff: DefaultTariff) -> CommandStatus:
        """2.1 SetDefaultTariff for the whole station (EVSE 0); 2.0.1 has no tariffs."""
        if self.ocpp_version != "2.1":
            return CommandStatus.NOT_SUPPORTED
        data: dict[str, Any] = {"tariff_id": tariff.tariff_id, "currency": tariff.currency}
        if tariff.price_kwh is not None:
            data["energy"] = {"prices": [{"price_kwh": round(tariff.price_kwh, 4)}]}
        if tariff.fixed_fee:
            data["fixed_fee"] = {"prices": [{"price_fixed": round(tariff.fixed_fee, 4)}]}
        result = await self.request(self._call.SetDefaultTariff(evse_id=0, tariff=data))
        return self._status(_TARIFF, result.status, "SetDefaultTariff")

    async def clear_cache(self) -> CommandStatus:
        """ClearCache."""
        result = await self.request(self._call.ClearCache())
        return self._status(_CLEAR_CACHE, result.status, "ClearCache")


def _authorization_data(entry: LocalListEntry) -> dict[str, Any]:
    if entry.status is None:
        # 2.0.1 part 2 D01: in a differential update, an entry without idTokenInfo is removed.
        return {"id_token": _id_token(entry.id_tag)}
    return {
        "id_token": _id_token(entry.id_tag),
        "id_token_info": {
            "status": AUTHORIZATION[entry.status],
            "cache_expiry_date_time": utc_iso(entry.expiry),
            "group_id_token": (
                None if entry.parent_id_tag is None else _id_token(entry.parent_id_tag)
            ),
        },
    }
