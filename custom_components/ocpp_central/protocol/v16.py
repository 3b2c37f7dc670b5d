"""OCPP 1.6J adapter: translates 1.6 messages to and from the version-neutral model."""

from __future__ import annotations

from typing import Any, Final

from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.datatypes import IdTagInfo
from ocpp.v16.enums import (
    Action,
    ConfigurationStatus,
    DataTransferStatus,
    MessageTrigger,
    RegistrationStatus,
    TriggerMessageStatus,
)

from ..const import LOGGER
from ..metering import Readings, normalise, signed_reading
from ..model import ChargerInfo, ConfigurationValue, ConnectorStatus, ErrorCode
from ..validation import parse_timestamp
from .base import (
    DEFAULT_LIMITS,
    AuthorizationStatus,
    BootStatus,
    ChargerEvents,
    ChargerSettings,
    CommandStatus,
    ConfigurationReport,
    ConnectionLimits,
    TriggerKind,
    same_setting_value,
)
from .calls import CallerMixin
from .profiles import iso_now
from .rpc import ERROR_CODES_16, FRAME_LOGGER, RobustRouting
from .v16_commands import V16Commands

OCPP_VERSION: Final = "1.6"
SUBPROTOCOL: Final = "ocpp1.6"

_REGISTRATION: Final = {
    BootStatus.ACCEPTED: RegistrationStatus.accepted,
    BootStatus.PENDING: RegistrationStatus.pending,
    BootStatus.REJECTED: RegistrationStatus.rejected,
}
_AUTHORIZATION: Final = {
    AuthorizationStatus.ACCEPTED: "Accepted",
    AuthorizationStatus.BLOCKED: "Blocked",
    AuthorizationStatus.EXPIRED: "Expired",
    AuthorizationStatus.INVALID: "Invalid",
    AuthorizationStatus.CONCURRENT_TX: "ConcurrentTx",
}
_STATUS: Final = {
    "Available": ConnectorStatus.AVAILABLE,
    "Preparing": ConnectorStatus.PREPARING,
    "Charging": ConnectorStatus.CHARGING,
    "SuspendedEV": ConnectorStatus.SUSPENDED_EV,
    "SuspendedEVSE": ConnectorStatus.SUSPENDED_EVSE,
    "Finishing": ConnectorStatus.FINISHING,
    "Reserved": ConnectorStatus.RESERVED,
    "Unavailable": ConnectorStatus.UNAVAILABLE,
    "Faulted": ConnectorStatus.FAULTED,
}
_ERROR_CODES: Final = {
    "NoError": ErrorCode.NO_ERROR,
    "ConnectorLockFailure": ErrorCode.CONNECTOR_LOCK_FAILURE,
    "EVCommunicationError": ErrorCode.EV_COMMUNICATION_ERROR,
    "GroundFailure": ErrorCode.GROUND_FAILURE,
    "HighTemperature": ErrorCode.HIGH_TEMPERATURE,
    "InternalError": ErrorCode.INTERNAL_ERROR,
    "LocalListConflict": ErrorCode.LOCAL_LIST_CONFLICT,
    "OtherError": ErrorCode.OTHER_ERROR,
    "OverCurrentFailure": ErrorCode.OVER_CURRENT_FAILURE,
    "OverVoltage": ErrorCode.OVER_VOLTAGE,
    "PowerMeterFailure": ErrorCode.POWER_METER_FAILURE,
    "PowerSwitchFailure": ErrorCode.POWER_SWITCH_FAILURE,
    "ReaderFailure": ErrorCode.READER_FAILURE,
    "ResetFailure": ErrorCode.RESET_FAILURE,
    "UnderVoltage": ErrorCode.UNDER_VOLTAGE,
    "WeakSignal": ErrorCode.WEAK_SIGNAL,
}
_CONFIGURATION_STATUS: Final = {
    ConfigurationStatus.accepted: CommandStatus.ACCEPTED,
    ConfigurationStatus.rejected: CommandStatus.REJECTED,
    ConfigurationStatus.reboot_required: CommandStatus.REBOOT_REQUIRED,
    ConfigurationStatus.not_supported: CommandStatus.NOT_SUPPORTED,
}
_TRIGGER_STATUS: Final = {
    TriggerMessageStatus.accepted: CommandStatus.ACCEPTED,
    TriggerMessageStatus.rejected: CommandStatus.REJECTED,
    TriggerMessageStatus.not_implemented: CommandStatus.NOT_SUPPORTED,
}
_TRIGGERS: Final = {
    TriggerKind.BOOT_NOTIFICATION: MessageTrigger.boot_notification,
    TriggerKind.HEARTBEAT: MessageTrigger.heartbeat,
    TriggerKind.METER_VALUES: MessageTrigger.meter_values,
    TriggerKind.STATUS_NOTIFICATION: MessageTrigger.status_notification,
    TriggerKind.FIRMWARE_STATUS: MessageTrigger.firmware_status_notification,
    TriggerKind.DIAGNOSTICS_STATUS: MessageTrigger.diagnostics_status_notification,
    TriggerKind.SIGN_CERTIFICATE: MessageTrigger.sign_charge_point_certificate,
}
# Standard 1.6 configuration keys (OCPP 1.6 chapter 9) the adapter reads or writes.
KEY_NUMBER_OF_CONNECTORS: Final = "NumberOfConnectors"
KEY_FEATURE_PROFILES: Final = "SupportedFeatureProfiles"
KEY_HEARTBEAT_INTERVAL: Final = "HeartbeatInterval"
KEY_METER_INTERVAL: Final = "MeterValueSampleInterval"
KEY_SAMPLED_DATA: Final = "MeterValuesSampledData"
KEY_SAMPLED_DATA_MAX_LENGTH: Final = "MeterValuesSampledDataMaxLength"


def parse_meter_values(meter_value: list[dict[str, Any]]) -> Readings:
    """Turn 1.6 meterValue elements into normalised samples and the signed readings.

    A SignedData sample's value is the signed data (OCMF, ...); other values that are not
    numeric are skipped.
    """
    readings = Readings([], [])
    for element in meter_value:
        timestamp = parse_timestamp(element.get("timestamp"))
        for sampled in element.get("sampled_value", ()):
            if sampled.get("format") == "SignedData":
                signed = signed_reading(sampled.get("value"), timestamp, sampled.get("context"))
                if signed is not None:
                    readings.signed.append(signed)
                continue
            sample = normalise(
                sampled.get("measurand"),
                sampled.get("value", ""),
                sampled.get("unit"),
                timestamp,
                phase=sampled.get("phase"),
                context=sampled.get("context"),
                location=sampled.get("location"),
            )
            if sample is not None:
                readings.samples.append(sample)
    return readings


class V16Adapter(V16Commands, CallerMixin, RobustRouting, ChargePoint):  # type: ignore[misc]
    """One OCPP 1.6J connection."""

    ocpp_version = OCPP_VERSION
    error_codes = ERROR_CODES_16
    known_actions = frozenset(action.value for action in Action)

    def __init__(
        self,
        charge_point_id: str,
        connection: Any,
        events: ChargerEvents,
        limits: ConnectionLimits = DEFAULT_LIMITS,
    ) -> None:
        """Wrap a websocket connection; `events` receives everything the charger reports."""
        super().__init__(
            charge_point_id,
            connection,
            response_timeout=limits.call_timeout,
            logger=FRAME_LOGGER,
        )
        self.max_frame_bytes = limits.max_frame_bytes
        self._events = events
        self.log_throttle = events.log_throttle

    # --- charger -> central system -------------------------------------------------------

    @on(Action.boot_notification)
    async def _on_boot(
        self,
        charge_point_vendor: str,
        charge_point_model: str,
        **kwargs: Any,
    ) -> call_result.BootNotification:
        info = ChargerInfo(
            vendor=charge_point_vendor,
            model=charge_point_model,
            serial_number=kwargs.get("charge_point_serial_number")
            or kwargs.get("charge_box_serial_number"),
            firmware_version=kwargs.get("firmware_version"),
            meter_type=kwargs.get("meter_type"),
            meter_serial_number=kwargs.get("meter_serial_number"),
            iccid=kwargs.get("iccid"),
            imsi=kwargs.get("imsi"),
        )
        decision = await self._events.boot(info, None)
        return call_result.BootNotification(
            current_time=iso_now(),
            interval=decision.interval,
            status=_REGISTRATION[decision.status],
        )

    @after(Action.boot_notification)
    def _after_boot(self, **_kwargs: Any) -> None:
        self._events.boot_answered()

    @on(Action.heartbeat)
    def _on_heartbeat(self, **_kwargs: Any) -> call_result.Heartbeat:
        self._events.heartbeat()
        return call_result.Heartbeat(current_time=iso_now())

    @on(Action.status_notification)
    def _on_status(
        self, connector_id: int, error_code: str, status: str, **kwargs: Any
    ) -> call_result.StatusNotification:
        self._events.status(
            connector_id,
            _STATUS.get(status),
            _ERROR_CODES.get(error_code),
            info=kwargs.get("info"),
            vendor_error_code=kwargs.get("vendor_error_code"),
            timestamp=parse_timestamp(kwargs.get("timestamp")),
        )
        return call_result.StatusNotification()

    @on(Action.authorize)
    def _on_authorize(self, id_tag: str, **_kwargs: Any) -> call_result.Authorize:
        status = self._events.authorize(id_tag)
        return call_result.Authorize(id_tag_info=IdTagInfo(status=_AUTHORIZATION[status]))

    @on(Action.start_transaction)
    async def _on_start_transaction(
        self, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **_kwargs: Any
    ) -> call_result.StartTransaction:
        transaction_id, status = await self._events.start_transaction(
            connector_id, id_tag, float(meter_start), parse_timestamp(timestamp)
        )
        return call_result.StartTransaction(
            transaction_id=int(transaction_id),
            id_tag_info=IdTagInfo(status=_AUTHORIZATION[status]),
        )

    @on(Action.stop_transaction)
    async def _on_stop_transaction(
        self, meter_stop: int, timestamp: str, transaction_id: int, **kwargs: Any
    ) -> call_result.StopTransaction:
        id_tag = kwargs.get("id_tag")
        readings = parse_meter_values(kwargs.get("transaction_data") or [])
        if readings.signed:
            self._events.signed_readings(None, str(transaction_id), readings.signed)
        status = await self._events.stop_transaction(
            str(transaction_id),
            float(meter_stop),
            parse_timestamp(timestamp),
            kwargs.get("reason"),
            id_tag,
            readings.samples,
        )
        if status is None:
            return call_result.StopTransaction()
        return call_result.StopTransaction(id_tag_info=IdTagInfo(status=_AUTHORIZATION[status]))

    @on(Action.meter_values)
    def _on_meter_values(
        self, connector_id: int, meter_value: list[dict[str, Any]], **kwargs: Any
    ) -> call_result.MeterValues:
        transaction_id = kwargs.get("transaction_id")
        transaction = None if transaction_id is None else str(transaction_id)
        readings = parse_meter_values(meter_value)
        self._events.meter_values(connector_id, transaction, readings.samples)
        if readings.signed:
            self._events.signed_readings(connector_id, transaction, readings.signed)
        return call_result.MeterValues()

    @on(Action.data_transfer)
    def _on_data_transfer(self, vendor_id: str, **kwargs: Any) -> call_result.DataTransfer:
        known = self._events.data_transfer(vendor_id, kwargs.get("message_id"), kwargs.get("data"))
        return call_result.DataTransfer(
            status=DataTransferStatus.accepted if known else DataTransferStatus.unknown_vendor_id
        )

    @on(Action.firmware_status_notification)
    def _on_firmware_status(
        self, status: str, **_kwargs: Any
    ) -> call_result.FirmwareStatusNotification:
        self._events.firmware_status(status)
        return call_result.FirmwareStatusNotification()

    @on(Action.signed_firmware_status_notification)
    def _on_signed_firmware_status(
        self, status: str, **_kwargs: Any
    ) -> call_result.SignedFirmwareStatusNotification:
        # The security extension's signed updates (SignedUpdateFirmware) report here.
        self._events.firmware_status(status)
        return call_result.SignedFirmwareStatusNotification()

    @on(Action.diagnostics_status_notification)
    def _on_diagnostics_status(
        self, status: str, **_kwargs: Any
    ) -> call_result.DiagnosticsStatusNotification:
        self._events.upload_status(status)
        return call_result.DiagnosticsStatusNotification()

    @on(Action.log_status_notification)
    def _on_log_status(self, status: str, **_kwargs: Any) -> call_result.LogStatusNotification:
        # The security extension's GetLog (security logs) reports here.
        self._events.upload_status(status)
        return call_result.LogStatusNotification()

    @on(Action.security_event_notification)
    def _on_security_event(self, type: str, **kwargs: Any) -> call_result.SecurityEventNotification:
        self._events.security_event(type, kwargs.get("tech_info"))
        return call_result.SecurityEventNotification()

    @on(Action.sign_certificate)
    def _on_sign_certificate(self, csr: str, **_kwargs: Any) -> call_result.SignCertificate:
        accepted = self._events.certificate_requested(csr)
        return call_result.SignCertificate(status="Accepted" if accepted else "Rejected")

    # --- central system -> charger -------------------------------------------------------

    async def get_configuration(self, keys: list[str] | None = None) -> ConfigurationReport:
        """Read configuration keys (all when keys is None)."""
        result = await self.request(call.GetConfiguration(key=keys))
        values = {
            item["key"]: ConfigurationValue(value=item.get("value"), readonly=item["readonly"])
            for item in result.configuration_key or ()
        }
        return ConfigurationReport(values=values, unknown=tuple(result.unknown_key or ()))

    async def change_configuration(self, key: str, value: str) -> CommandStatus:
        """Write one configuration key."""
        result = await self.request(call.ChangeConfiguration(key=key, value=value))
        return _CONFIGURATION_STATUS[ConfigurationStatus(result.status)]

    async def trigger_message(
        self, kind: TriggerKind, connector_id: int | None = None
    ) -> CommandStatus:
        """Ask the charger to send a message now."""
        if kind is TriggerKind.SIGN_CERTIFICATE:
            # Only the security extension's ExtendedTriggerMessage knows this one.
            request: Any = call.ExtendedTriggerMessage(
                requested_message=_TRIGGERS[kind], connector_id=connector_id
            )
        else:
            request = call.TriggerMessage(
                requested_message=_TRIGGERS[kind], connector_id=connector_id
            )
        result = await self.request(request)
        return _TRIGGER_STATUS.get(str(result.status), CommandStatus.REJECTED)

    async def apply_settings(self, settings: ChargerSettings) -> None:
        """Learn connectors and feature profiles, then apply the user's meter settings."""
        report = await self.get_configuration()
        self._events.configuration_learned(
            report,
            connector_count=_int_or_none(report.values.get(KEY_NUMBER_OF_CONNECTORS)),
            feature_profiles=frozenset(
                profile.strip()
                for profile in (
                    (
                        report.values.get(KEY_FEATURE_PROFILES) or ConfigurationValue(None, True)
                    ).value
                    or ""
                ).split(",")
                if profile.strip()
            ),
        )
        measurands = list(settings.measurands)
        if (max_length := _int_or_none(report.values.get(KEY_SAMPLED_DATA_MAX_LENGTH))) is not None:
            measurands = measurands[: max(1, max_length)]
        desired = {
            KEY_HEARTBEAT_INTERVAL: str(settings.heartbeat_interval),
            KEY_METER_INTERVAL: str(settings.meter_interval),
            KEY_SAMPLED_DATA: ",".join(measurands),
        }
        for key, value in desired.items():
            current = report.values.get(key)
            if current is not None and (
                current.readonly or same_setting_value(current.value, value)
            ):
                continue
            status = await self.change_configuration(key, value)
            if status is CommandStatus.REBOOT_REQUIRED:
                self._events.reboot_required(key)
            elif status is not CommandStatus.ACCEPTED:
                # Chargers refuse keys they manage themselves; that is theirs to decide, and
                # retrying or rebooting would only annoy them.
                LOGGER.info("Charger %s answered %s to %s=%s", self.id, status, key, value)


def _int_or_none(value: ConfigurationValue | None) -> int | None:
    if value is None or value.value is None:
        return None
    try:
        return int(value.value.strip())
    except ValueError:
        return None
