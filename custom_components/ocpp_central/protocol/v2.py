"""OCPP 2.0.1 and 2.1 adapters: translate 2.x messages to and from the version-neutral model.

2.1 is a superset of 2.0.1 for everything handled here, so both versions share the handlers;
each adapter class only binds the library's ChargePoint (and with it the call modules and
JSON schemas) of its version.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any, Final

from ocpp.routing import after, on
from ocpp.v21 import ChargePoint as ChargePoint21
from ocpp.v21.enums import Action as Action21, MeasurandEnumType as Measurand21
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201.enums import Action as Action201, MeasurandEnumType as Measurand201

from ..const import LOGGER
from ..errors import ChargerCallError, ChargerCommandError
from ..metering import Readings, normalise, signed_reading
from ..model import (
    ChargerInfo,
    ConfigurationValue,
    ConnectorStatus,
    ErrorCode,
    Measurand,
    SampledValue,
)
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
    EventOrder,
    TriggerKind,
    same_setting_value,
)
from .calls import CallerMixin
from .profiles import iso_now
from .rpc import ERROR_CODES_21, ERROR_CODES_201, FRAME_LOGGER, RobustRouting
from .v2_commands import V2Commands, parse_variable_key
from .v2_report import Inventory, ReportCollector, variable_key

OCPP_201: Final = "2.0.1"
OCPP_21: Final = "2.1"
SUBPROTOCOL_201: Final = "ocpp2.0.1"
SUBPROTOCOL_21: Final = "ocpp2.1"
# A full inventory report of a big charger comes in many parts; give it time.
REPORT_TIMEOUT: Final = 60.0

_REGISTRATION: Final = {
    BootStatus.ACCEPTED: "Accepted",
    BootStatus.PENDING: "Pending",
    BootStatus.REJECTED: "Rejected",
}
_AUTHORIZATION: Final = {
    AuthorizationStatus.ACCEPTED: "Accepted",
    AuthorizationStatus.BLOCKED: "Blocked",
    AuthorizationStatus.EXPIRED: "Expired",
    AuthorizationStatus.INVALID: "Invalid",
    AuthorizationStatus.CONCURRENT_TX: "ConcurrentTx",
}
_CONNECTOR_STATUS: Final = {
    "Available": ConnectorStatus.AVAILABLE,
    "Occupied": ConnectorStatus.OCCUPIED,
    "Reserved": ConnectorStatus.RESERVED,
    "Unavailable": ConnectorStatus.UNAVAILABLE,
    "Faulted": ConnectorStatus.FAULTED,
}
# 2.x reports what 1.6 calls Preparing/Charging/Suspended as the transaction's charging state;
# shown with the same states so entities look the same whatever the version.
_CHARGING_STATE: Final = {
    "Charging": ConnectorStatus.CHARGING,
    "EVConnected": ConnectorStatus.PREPARING,
    # A session authorized before the cable is in: 1.6 shows that as Preparing too.
    "Idle": ConnectorStatus.PREPARING,
    "SuspendedEV": ConnectorStatus.SUSPENDED_EV,
    "SuspendedEVSE": ConnectorStatus.SUSPENDED_EVSE,
}
_TRIGGERS: Final = {
    TriggerKind.BOOT_NOTIFICATION: "BootNotification",
    TriggerKind.HEARTBEAT: "Heartbeat",
    TriggerKind.METER_VALUES: "MeterValues",
    TriggerKind.STATUS_NOTIFICATION: "StatusNotification",
    TriggerKind.FIRMWARE_STATUS: "FirmwareStatusNotification",
    TriggerKind.DIAGNOSTICS_STATUS: "LogStatusNotification",
    TriggerKind.SIGN_CERTIFICATE: "SignChargingStationCertificate",
}
_TRIGGER_STATUS: Final = {
    "Accepted": CommandStatus.ACCEPTED,
    "Rejected": CommandStatus.REJECTED,
    "NotImplemented": CommandStatus.NOT_SUPPORTED,
}
# What the options set, in 2.x device-model names (OCPP 2.0.1 part 2, appendix 3).
KEY_HEARTBEAT_INTERVAL: Final = "OCPPCommCtrlr.HeartbeatInterval"
KEY_METER_INTERVAL: Final = "SampledDataCtrlr.TxUpdatedInterval"
KEY_MEASURANDS: Final = "SampledDataCtrlr.TxUpdatedMeasurands"
# Read one by one when a charger gives no (complete) inventory report.
_CAPABILITY_VARIABLES: Final = (
    "SmartChargingCtrlr.Available",
    "SmartChargingCtrlr.Enabled",
    "SmartChargingCtrlr.RateUnit",
    "SmartChargingCtrlr.ProfileStackLevel",
    "SmartChargingCtrlr.Phases3to1",
    "SmartChargingCtrlr.ACPhaseSwitchingSupported",
    "ReservationCtrlr.Available",
    "ReservationCtrlr.Enabled",
    "LocalAuthListCtrlr.Available",
    "LocalAuthListCtrlr.Enabled",
    KEY_HEARTBEAT_INTERVAL,
    KEY_METER_INTERVAL,
    KEY_MEASURANDS,
)


def parse_meter_values(meter_value: list[dict[str, Any]]) -> Readings:
    """Turn 2.x meterValue elements into normalised samples and the signed readings.

    A signed sample carries its numeric value as usual, with a signedMeterValue beside it.
    """
    readings = Readings([], [])
    for element in meter_value:
        timestamp = parse_timestamp(element.get("timestamp"))
        for sampled in element.get("sampled_value", ()):
            unit = sampled.get("unit_of_measure") or {}
            sample = normalise(
                sampled.get("measurand"),
                sampled.get("value", ""),
                unit.get("unit"),
                timestamp,
                multiplier=int(unit.get("multiplier", 0)),
                phase=sampled.get("phase"),
                context=sampled.get("context"),
                location=sampled.get("location"),
            )
            if sample is not None:
                readings.samples.append(sample)
            if isinstance(signed := sampled.get("signed_meter_value"), dict):
                reading = signed_reading(
                    signed.get("signed_meter_data"),
                    timestamp,
                    sampled.get("context"),
                    encoding=signed.get("encoding_method"),
                    signing_method=signed.get("signing_method"),
                    public_key=signed.get("public_key"),
                )
                if reading is not None:
                    readings.signed.append(reading)
    return readings


def parse_charger_cost(cost_details: Any) -> tuple[float, str] | None:
    """The running or final cost a 2.1 charger calculated (costDetails), with its currency.

    None when absent or when the charger says it failed to calculate. Including tax is what
    the driver pays, so that is taken when both are given.
    """
    if not isinstance(cost_details, dict) or cost_details.get("failure_to_calculate"):
        return None
    total_cost = cost_details.get("total_cost") or {}
    total = total_cost.get("total") or {}
    amount = total.get("incl_tax", total.get("excl_tax"))
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        return None
    return float(amount), str(total_cost.get("currency") or "")


def _register_wh(samples: list[SampledValue]) -> float | None:
    """The last whole-meter energy register reading among samples."""
    readings = [
        s.value
        for s in samples
        if s.measurand is Measurand.ENERGY_ACTIVE_IMPORT_REGISTER and s.phase is None
    ]
    return readings[-1] if readings else None


# NotifyEvent variables that report a component's problem (2.0.1 standardized variables).
_PROBLEM_VARIABLES: Final = frozenset({"Problem", "Tripped"})
# The error code shown for a problem of a standardized component; others are "other error".
_PROBLEM_CODES: Final = {
    "ConnectorPlugRetentionLock": ErrorCode.CONNECTOR_LOCK_FAILURE,
    "RCD": ErrorCode.GROUND_FAILURE,
    "OverCurrentProtection": ErrorCode.OVER_CURRENT_FAILURE,
    "TempSensor": ErrorCode.HIGH_TEMPERATURE,
    "PowerContactor": ErrorCode.POWER_SWITCH_FAILURE,
    "FiscalMetering": ErrorCode.POWER_METER_FAILURE,
    "TokenReader": ErrorCode.READER_FAILURE,
    "ControllerHF": ErrorCode.INTERNAL_ERROR,
    "ChargingStation": ErrorCode.INTERNAL_ERROR,
}


class V2Adapter(V2Commands, CallerMixin, RobustRouting):
    """Handlers and commands shared by the 2.0.1 and 2.1 adapters."""

    ocpp_version: str
    # Measurand names the version defines.
    measurands: frozenset[str]
    _call: Any
    _call_result: Any

    def __init__(
        self,
        charge_point_id: str,
        connection: Any,
        events: ChargerEvents,
        limits: ConnectionLimits = DEFAULT_LIMITS,
    ) -> None:
        """Wrap a websocket connection; `events` receives everything the charger reports."""
        super().__init__(  # type: ignore[call-arg]
            charge_point_id,
            connection,
            response_timeout=limits.call_timeout,
            logger=FRAME_LOGGER,
        )
        self.max_frame_bytes = limits.max_frame_bytes
        self._events = events
        self.log_throttle = events.log_throttle
        self._request_ids = itertools.count(1)
        self._reports: dict[int, ReportCollector] = {}
        # Whether each variable is read-only, as the last base report said.
        self._mutability: dict[str, bool] = {}

    # --- charger -> central system -------------------------------------------------------

    @on("BootNotification")
    async def _on_boot(self, charging_station: dict[str, Any], reason: str, **_kwargs: Any) -> Any:
        modem = charging_station.get("modem") or {}
        info = ChargerInfo(
            vendor=charging_station.get("vendor_name"),
            model=charging_station.get("model"),
            serial_number=charging_station.get("serial_number"),
            firmware_version=charging_station.get("firmware_version"),
            iccid=modem.get("iccid"),
            imsi=modem.get("imsi"),
        )
        decision = await self._events.boot(info, reason)
        return self._call_result.BootNotification(
            current_time=iso_now(),
            interval=decision.interval,
            status=_REGISTRATION[decision.status],
        )

    @after("BootNotification")
    def _after_boot(self, **_kwargs: Any) -> None:
        self._events.boot_answered()

    @on("Heartbeat")
    def _on_heartbeat(self, **_kwargs: Any) -> Any:
        self._events.heartbeat()
        return self._call_result.Heartbeat(current_time=iso_now())

    @on("StatusNotification")
    def _on_status(
        self, timestamp: str, connector_status: str, evse_id: int, **_kwargs: Any
    ) -> Any:
        # "Occupied" during a session is shown as the session's charging state (the model
        # keeps it, so that also holds after a reconnect).
        status = _CONNECTOR_STATUS.get(connector_status)
        self._report_status(
            evse_id, status, parse_timestamp(timestamp), plug=_kwargs.get("connector_id")
        )
        return self._call_result.StatusNotification()

    def _report_status(
        self, evse_id: int, status: ConnectorStatus | None, when: Any, plug: int | None = None
    ) -> None:
        self._events.status(
            evse_id,
            status,
            # 2.x names faults through NotifyEvent, not with the status.
            ErrorCode.OTHER_ERROR if status is ConnectorStatus.FAULTED else ErrorCode.NO_ERROR,
            info=None,
            vendor_error_code=None,
            timestamp=when,
            plug=plug,
        )

    @on("Authorize")
    def _on_authorize(self, id_token: dict[str, Any], **_kwargs: Any) -> Any:
        status = self._events.authorize(str(id_token.get("id_token", "")))
        return self._call_result.Authorize(id_token_info={"status": _AUTHORIZATION[status]})

    @on("TransactionEvent")
    async def _on_transaction_event(
        self,
        event_type: str,
        timestamp: str,
        trigger_reason: str,
        seq_no: int,
        transaction_info: dict[str, Any],
        **kwargs: Any,
    ) -> Any:
        transaction_id = str(transaction_info["transaction_id"])
        when = parse_timestamp(timestamp)
        order = self._events.transaction_sequence(
            transaction_id, seq_no, when, offline=bool(kwargs.get("offline"))
        )
        if order in (EventOrder.REPEATED, EventOrder.FINISHED):
            # Sent again after a lost answer, or late after the session ended: it was
            # accounted already, and must not reopen a finished session.
            return self._call_result.TransactionEvent()
        running_on = self._events.transaction_connector(transaction_id)
        # Only the first event of a transaction must name its EVSE.
        evse_id = int((kwargs.get("evse") or {}).get("id") or running_on or 1)
        readings = parse_meter_values(kwargs.get("meter_value") or [])
        samples = readings.samples
        id_token = kwargs.get("id_token")
        id_tag = str(id_token["id_token"]) if id_token else None
        status: AuthorizationStatus | None = None
        if running_on is None and event_type != "Ended":
            # Started, or an Updated of a session whose start we missed: account it from here.
            _, start_status = await self._events.start_transaction(
                evse_id, id_tag, _register_wh(samples), when, transaction_id
            )
            self._events.transaction_sequence(transaction_id, seq_no, when, offline=False)
            status = start_status if id_tag else None
        elif id_tag is not None and event_type != "Ended":
            status = self._events.transaction_authorized(transaction_id, id_tag)
        if readings.signed:
            self._events.signed_readings(evse_id, transaction_id, readings.signed)
        if (cost := parse_charger_cost(kwargs.get("cost_details"))) is not None:
            self._events.charger_cost(transaction_id, *cost)
        charging_state = transaction_info.get("charging_state")
        charging = _CHARGING_STATE.get(charging_state or "")
        if event_type == "Ended":
            status = await self._events.stop_transaction(
                transaction_id,
                _register_wh(samples),
                when,
                transaction_info.get("stopped_reason"),
                id_tag,
                samples,
            )
            if charging_state == "Idle":
                # The vehicle is gone: the connector is free again.
                self._report_status(evse_id, ConnectorStatus.AVAILABLE, when)
            elif charging_state is not None:
                # Still plugged in after the session: what 1.6 calls Finishing.
                self._report_status(evse_id, ConnectorStatus.FINISHING, when)
        else:
            if samples:
                self._events.meter_values(evse_id, transaction_id, samples)
            if charging is not None:
                self._report_status(evse_id, charging, when)
        if status is None:
            return self._call_result.TransactionEvent()
        return self._call_result.TransactionEvent(id_token_info={"status": _AUTHORIZATION[status]})

    @on("MeterValues")
    def _on_meter_values(
        self, evse_id: int, meter_value: list[dict[str, Any]], **_kwargs: Any
    ) -> Any:
        self._events.meter_values(evse_id, None, parse_meter_values(meter_value).samples)
        return self._call_result.MeterValues()

    @on("NotifyReport")
    def _on_notify_report(self, request_id: int, seq_no: int, **kwargs: Any) -> Any:
        collector = self._reports.get(request_id)
        if collector is not None:
            collector.add(seq_no, kwargs.get("report_data") or [], bool(kwargs.get("tbc")))
        return self._call_result.NotifyReport()

    @on("NotifyEvent")
    def _on_notify_event(self, event_data: list[dict[str, Any]], **_kwargs: Any) -> Any:
        for event in event_data:
            component = event.get("component") or {}
            variable = event.get("variable") or {}
            evse_id = int((component.get("evse") or {}).get("id", 0))
            value = str(event.get("actual_value", ""))
            if variable.get("name") == "AvailabilityState":
                status = _CONNECTOR_STATUS.get(value)
                self._report_status(evse_id, status, parse_timestamp(event.get("timestamp")))
            elif variable.get("name") in _PROBLEM_VARIABLES:
                # A component's problem (2.0.1 part 2, appendix 3): raised with "true" (or an
                # alert that is not cleared), cleared with "false" or `cleared`.
                active = value.lower() not in ("false", "0", "") and not event.get("cleared")
                self._events.problem(
                    evse_id,
                    _PROBLEM_CODES.get(str(component.get("name", "")), ErrorCode.OTHER_ERROR),
                    active=active,
                    vendor_error_code=event.get("tech_code"),
                    info=event.get("tech_info"),
                )
            LOGGER.debug(
                "Charger %s event %s = %s", self.id, variable_key(component, variable), value
            )
        return self._call_result.NotifyEvent()

    @on("SecurityEventNotification")
    def _on_security_event(self, type: str, **kwargs: Any) -> Any:
        self._events.security_event(type, kwargs.get("tech_info"))
        return self._call_result.SecurityEventNotification()

    @on("ReservationStatusUpdate")
    def _on_reservation_status_update(
        self, reservation_id: int, reservation_update_status: str, **_kwargs: Any
    ) -> Any:
        del reservation_update_status  # Expired or Removed: either way it is over.
        self._events.reservation_ended(int(reservation_id))
        return self._call_result.ReservationStatusUpdate()

    @on("SignCertificate")
    def _on_sign_certificate(self, csr: str, **_kwargs: Any) -> Any:
        accepted = self._events.certificate_requested(csr)
        return self._call_result.SignCertificate(status="Accepted" if accepted else "Rejected")

    @on("FirmwareStatusNotification")
    def _on_firmware_status(self, status: str, **_kwargs: Any) -> Any:
        self._events.firmware_status(status)
        return self._call_result.FirmwareStatusNotification()

    @on("LogStatusNotification")
    def _on_log_status(self, status: str, **_kwargs: Any) -> Any:
        self._events.upload_status(status)
        return self._call_result.LogStatusNotification()

    @on("NotifyChargingLimit")
    def _on_charging_limit(self, charging_limit: dict[str, Any], **_kwargs: Any) -> Any:
        LOGGER.debug("Charger %s external charging limit: %s", self.id, charging_limit)
        return self._call_result.NotifyChargingLimit()

    @on("ClearedChargingLimit")
    def _on_cleared_charging_limit(self, **_kwargs: Any) -> Any:
        return self._call_result.ClearedChargingLimit()

    @on("ReportChargingProfiles")
    def _on_report_profiles(self, **_kwargs: Any) -> Any:
        return self._call_result.ReportChargingProfiles()

    @on("ReservationStatusUpdate")
    def _on_reservation_status(self, **_kwargs: Any) -> Any:
        return self._call_result.ReservationStatusUpdate()

    @on("NotifyMonitoringReport")
    def _on_monitoring_report(self, **_kwargs: Any) -> Any:
        return self._call_result.NotifyMonitoringReport()

    @on("NotifyDisplayMessages")
    def _on_display_messages(self, **_kwargs: Any) -> Any:
        return self._call_result.NotifyDisplayMessages()

    @on("NotifyCustomerInformation")
    def _on_customer_information(self, **_kwargs: Any) -> Any:
        return self._call_result.NotifyCustomerInformation()

    @on("PublishFirmwareStatusNotification")
    def _on_publish_firmware_status(self, **_kwargs: Any) -> Any:
        return self._call_result.PublishFirmwareStatusNotification()

    @on("DataTransfer")
    def _on_data_transfer(self, vendor_id: str, **kwargs: Any) -> Any:
        data = kwargs.get("data")
        known = self._events.data_transfer(
            vendor_id, kwargs.get("message_id"), None if data is None else str(data)
        )
        return self._call_result.DataTransfer(status="Accepted" if known else "UnknownVendorId")

    # --- central system -> charger -------------------------------------------------------

    async def get_configuration(self, keys: list[str] | None = None) -> ConfigurationReport:
        """Read variables ("Component.Variable"); all of them through a full base report."""
        if keys is None:
            inventory = await self._base_report()
            return ConfigurationReport(values=dict(inventory.values), unknown=())
        request = []
        for key in keys:
            # "Component[evse].Variable[instance]": the EVSE and instance are part of the name.
            component, variable = parse_variable_key(key)
            request.append({"component": component, "variable": variable})
        result = await self.request(self._call.GetVariables(get_variable_data=request))
        values: dict[str, ConfigurationValue] = {}
        unknown: list[str] = []
        for item in result.get_variable_result:
            key = variable_key(item["component"], item["variable"])
            if item["attribute_status"] == "Accepted":
                # GetVariables does not say whether a variable is writable; the base report
                # (mutability) does, when the charger sent one.
                readonly = self._mutability.get(key, False)
                values[key] = ConfigurationValue(item.get("attribute_value"), readonly=readonly)
            else:
                unknown.append(key)
        return ConfigurationReport(values=values, unknown=tuple(unknown))

    async def change_configuration(self, key: str, value: str) -> CommandStatus:
        """Write one variable."""
        (result,) = await self.set_variables({key: value})
        return result.status

    async def trigger_message(
        self, kind: TriggerKind, connector_id: int | None = None
    ) -> CommandStatus:
        """Ask the charger to send a message now."""
        evse = None if connector_id is None else {"id": connector_id}
        result = await self.request(
            self._call.TriggerMessage(requested_message=_TRIGGERS[kind], evse=evse)
        )
        return _TRIGGER_STATUS.get(str(result.status), CommandStatus.REJECTED)

    async def _base_report(self) -> Inventory:
        """The full inventory, completed with GetVariables where the report falls short.

        Some chargers answer GetBaseReport NotSupported, or never finish the report, but
        answer GetVariables: their capabilities are read variable by variable then. Where
        even that fails, smart charging is offered and learned from the first answer.
        """
        request_id = next(self._request_ids)
        collector = self._reports[request_id] = ReportCollector()
        complete = False
        try:
            result = await self.request(
                self._call.GetBaseReport(request_id=request_id, report_base="FullInventory")
            )
            if result.status == "Accepted":
                try:
                    async with asyncio.timeout(REPORT_TIMEOUT):
                        await collector.done
                    complete = True
                except TimeoutError:
                    LOGGER.warning(
                        "Charger %s did not finish its inventory report; using what arrived",
                        self.id,
                    )
        except ChargerCallError as err:
            LOGGER.info("Charger %s gives no inventory report (%s)", self.id, err.code)
        finally:
            del self._reports[request_id]
        inventory = collector.inventory
        if not complete:
            await self._read_capabilities(inventory)
        self._mutability.update({key: value.readonly for key, value in inventory.values.items()})
        return inventory

    async def _read_capabilities(self, inventory: Inventory) -> None:
        try:
            report = await self.get_configuration(list(_CAPABILITY_VARIABLES))
        except ChargerCommandError as err:
            LOGGER.info("Charger %s did not answer GetVariables either (%s)", self.id, err)
            inventory.capabilities_unknown = True
            return
        for key, value in report.values.items():
            inventory.values.setdefault(key, value)
            inventory.components.add(key.partition(".")[0])

    async def apply_settings(self, settings: ChargerSettings) -> None:
        """Read the inventory (EVSEs, capabilities, variables), then apply the options."""
        inventory = await self._base_report()
        report = ConfigurationReport(values=dict(inventory.values), unknown=())
        self._events.configuration_learned(
            report,
            connector_count=max(inventory.evse_ids) if inventory.evse_ids else None,
            feature_profiles=inventory.feature_profiles,
        )
        desired = {
            KEY_HEARTBEAT_INTERVAL: str(settings.heartbeat_interval),
            KEY_METER_INTERVAL: str(settings.meter_interval),
            # 2.x dropped Temperature and RPM from the measurands; asking for them is refused.
            KEY_MEASURANDS: ",".join(m for m in settings.measurands if m in self.measurands),
        }
        changes = {
            key: value
            for key, value in desired.items()
            if (current := report.values.get(key)) is None
            or not (current.readonly or same_setting_value(current.value, value))
        }
        if not changes:
            return
        for result in await self.set_variables(changes):
            if result.status is CommandStatus.REBOOT_REQUIRED:
                self._events.reboot_required(result.key)
            elif result.status is not CommandStatus.ACCEPTED:
                # The charger decides what it lets us change; no retries, no reboots.
                LOGGER.info("Charger %s answered %s to %s", self.id, result.status, result.key)


class V201Adapter(V2Adapter, ChargePoint201):  # type: ignore[misc]
    """One OCPP 2.0.1 connection."""

    ocpp_version = OCPP_201
    measurands = frozenset(m.value for m in Measurand201)
    error_codes = ERROR_CODES_201
    known_actions = frozenset(action.value for action in Action201)


class V21Adapter(V2Adapter, ChargePoint21):  # type: ignore[misc]
    """One OCPP 2.1 connection."""

    ocpp_version = OCPP_21
    measurands = frozenset(m.value for m in Measurand21)
    error_codes = ERROR_CODES_21
    known_actions = frozenset(action.value for action in Action21)
