"""OCPP 2.0.1 and 2.1 layer of the simulator (`ocpp.v201` / `ocpp.v21` ChargePoint subclasses).

The primitives of `ChargerSimulator` keep their 1.6 vocabulary; this module translates them:

* connector N is EVSE N with one connector (evse {id: N, connectorId: 1}); connector 0 is the
  ChargingStation component;
* a 1.6 status becomes a StatusNotification connectorStatus (`v2_variables.CONNECTOR_STATUS`,
  Occupied only sent when it changes) plus, during a transaction, a TransactionEvent Updated
  with the matching chargingState; connector 0's status becomes a NotifyEvent of
  ChargingStation.AvailabilityState;
* StartTransaction / MeterValues during a transaction / StopTransaction become TransactionEvent
  Started / Updated / Ended with a per-transaction seqNo (`ChargerSimulator.take_seq_no`);
* 1.6 sampledValue dicts are converted (`convert_meter_values`); samples 2.x cannot carry are
  dropped (see there).

Both versions share every message used here (field names are identical in the library's 2.0.1
and 2.1 dataclasses), so one class does the work and `self._call` / `self._call_result` pick
the version's modules. Handlers follow the rule of `simulator.protocol`: answer, then act in an
`@after` hook through `sim.spawn`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
import logging
import math
import time
from typing import TYPE_CHECKING, Any
import uuid

from ocpp.exceptions import (
    NotImplementedError as OCPPNotImplementedError,
    NotSupportedError,
    OCPPError,
)
from ocpp.v21 import ChargePoint as V21BaseChargePoint, enums as v21_enums
from ocpp.v201 import ChargePoint as V201BaseChargePoint, enums as v201_enums

from simulator import maintenance, scenario, v2_variables
from simulator.habits import Habit
from simulator.model import utc_timestamp
from simulator.ocmf import signed_meter_value_2x
from simulator.protocol import SimulatorChargePoint, after, on
from simulator.schedule import ChargingLimit, profile_limit

if TYPE_CHECKING:
    from simulator.model import ConnectorState, TransactionId

LOGGER = logging.getLogger(__name__)

# TriggerMessage requests the simulator honours; the others are answered NotImplemented.
TRIGGERABLE = frozenset(
    {
        "BootNotification",
        "Heartbeat",
        "StatusNotification",
        "MeterValues",
        "TransactionEvent",
        "FirmwareStatusNotification",
        "LogStatusNotification",
        "SignChargingStationCertificate",
    }
)
# NotifyReport parts carry at most this many reportData (a base report always has 2+ parts).
REPORT_ITEMS_PER_MESSAGE = 10
ENERGY_REGISTER = "Energy.Active.Import.Register"

# 1.6 stop reasons 2.x's ReasonEnumType lacks; the other 1.6 reasons exist with the same name.
STOP_REASONS: dict[str, str] = {
    "HardReset": "ImmediateReset",
    "SoftReset": "ImmediateReset",
    "UnlockCommand": "Other",
}
# TransactionEvent Ended triggerReason per (1.6 or 2.x) stop reason; default AbnormalCondition.
STOP_TRIGGERS: dict[str, str] = {
    "EVDisconnected": "EVCommunicationLost",
    "Local": "StopAuthorized",
    "MasterPass": "StopAuthorized",
    "Remote": "RemoteStop",
    "DeAuthorized": "Deauthorized",
    "HardReset": "ResetCommand",
    "SoftReset": "ResetCommand",
    "ImmediateReset": "ResetCommand",
    "UnlockCommand": "UnlockCommand",
    "EnergyLimitReached": "EnergyLimitReached",
    "SOCLimitReached": "EnergyLimitReached",
    "TimeLimitReached": "TimeLimitReached",
    "StoppedByEV": "ChargingStateChanged",
}
# The electrical model knows the 1.6 purpose names; 2.x renamed the station-wide one.
MODEL_PURPOSES: dict[str, str] = {"ChargingStationMaxProfile": "ChargePointMaxProfile"}
# transaction_event() shortcuts that go into transactionInfo.
# Readings a signing meter signs (habit signed_meter_values).
SIGNED_CONTEXTS = frozenset({"Transaction.Begin", "Transaction.End"})
TRANSACTION_INFO: dict[str, str] = {
    "charging_state": "chargingState",
    "stopped_reason": "stoppedReason",
    "remote_start_id": "remoteStartId",
}
# 1.6 units that 2.x spells differently (the unit is a free string of the standardized list).
UNITS: dict[str, str] = {"Celcius": "Celsius"}
# 1.6 leaves some measurands without a unit; 2.x has one for them.
DEFAULT_UNITS: dict[str, str] = {"Frequency": "Hz"}


@dataclass
class V2State:
    """2.x state of a simulated charger that outlives a connection."""

    # reservationId -> (connector id, 0 for "any EVSE"; idToken of the reservation).
    reservations: dict[int, tuple[int, str]] = field(default_factory=dict)
    # 2.1: the default tariff the CSMS set (SetDefaultTariff), as sent.
    tariff: dict[str, Any] | None = None
    local_list_version: int = 0
    local_list: dict[str, Any] = field(default_factory=dict)
    # Firmware update / log upload in progress (for triggered status notifications).
    firmware_status: str = "Idle"
    firmware_request_id: int | None = None
    log_status: str = "Idle"
    log_request_id: int | None = None
    # Seconds between the steps of a firmware update or log upload.
    step_delay: float = 0.1
    event_id: int = 0


def id_tag_info(id_token_info: Any) -> dict[str, Any] | None:
    """A 1.6-style idTagInfo dict (snake_case like the library's) from a 2.x idTokenInfo."""
    if not isinstance(id_token_info, dict):
        return None
    info: dict[str, Any] = {"status": id_token_info.get("status")}
    if expiry := id_token_info.get("cache_expiry_date_time"):
        info["expiry_date"] = expiry
    group = id_token_info.get("group_id_token")
    if isinstance(group, dict) and group.get("id_token"):
        info["parent_id_tag"] = group["id_token"]
    return info


def convert_sample(sample: dict[str, Any], measurands: frozenset[str]) -> dict[str, Any] | None:
    """Convert one 1.6 sampledValue dict to a camelCase 2.x SampledValueType, or None.

    Dropped (2.x cannot carry them): non-numeric or non-finite values (2.x `value` is a
    number), "format": "SignedData" samples (their value is the signed blob, not a number),
    and measurands the version does not define (Temperature and RPM in both 2.0.1 and 2.1).
    The unit goes into unitOfMeasure with multiplier 0 ("Celcius" spelled "Celsius").
    """
    if sample.get("format") == "SignedData":
        return None
    try:
        value = float(sample.get("value", ""))
    except (TypeError, ValueError):
        return None
    if not math.isfinite(value):
        return None
    measurand = str(sample.get("measurand") or ENERGY_REGISTER)
    if measurand not in measurands:
        return None
    out: dict[str, Any] = {"value": value}
    for key in ("context", "measurand", "phase", "location"):
        if sample.get(key) is not None:
            out[key] = sample[key]
    unit = sample.get("unit") or DEFAULT_UNITS.get(measurand)
    if unit is not None:
        out["unitOfMeasure"] = {"unit": UNITS.get(unit, unit), "multiplier": 0}
    return out


def convert_meter_values(
    meter_value: list[dict[str, Any]] | None, measurands: frozenset[str]
) -> list[dict[str, Any]]:
    """Convert 1.6 meterValue dicts; entries left without a sample are dropped."""
    out = []
    for entry in meter_value or []:
        samples = [
            converted
            for sample in entry.get("sampledValue") or []
            if (converted := convert_sample(sample, measurands)) is not None
        ]
        if samples:
            out.append(
                {"timestamp": entry.get("timestamp") or utc_timestamp(), "sampledValue": samples}
            )
    return out


def _register_sample(energy_wh: float, context: str, *, kwh: bool = False) -> dict[str, Any]:
    """The energy register as a 2.x SampledValue (in kWh for a `noisy_meter` charger)."""
    return {
        "value": round(energy_wh / 1000.0, 3) if kwh else round(energy_wh, 3),
        "context": context,
        "measurand": ENERGY_REGISTER,
        "location": "Outlet",
        "unitOfMeasure": {"unit": "kWh" if kwh else "Wh", "multiplier": 0},
    }


def _register_in(meter_value: list[dict[str, Any]] | None) -> float | None:
    """The highest energy register reading (Wh) in 2.x wire meterValue, if any."""
    readings = [
        float(sample["value"])
        * 10.0 ** int((sample.get("unitOfMeasure") or {}).get("multiplier", 0))
        * (1000.0 if (sample.get("unitOfMeasure") or {}).get("unit") == "kWh" else 1.0)
        for element in meter_value or []
        for sample in element.get("sampledValue", ())
        if sample.get("measurand", ENERGY_REGISTER) == ENERGY_REGISTER and not sample.get("phase")
    ]
    return max(readings, default=None)


class V2ChargePoint(SimulatorChargePoint):
    """The charger side of one OCPP 2.x connection (concrete: V201/V21ChargePoint)."""

    _enums: Any = v201_enums

    @property
    def measurands(self) -> frozenset[str]:
        """The MeasurandEnumType of this connection's version."""
        return v2_variables.MEASURANDS[self._ocpp_version]

    @property
    def state(self) -> V2State:
        """The 2.x state kept by the simulator."""
        return self.sim.v2_state

    def _conn(self, connector_id: int) -> ConnectorState | None:
        return (
            self.sim.connector(connector_id)
            if connector_id in self.sim.connector_ids(zero=True)
            else None
        )

    async def _handle_call(self, msg: Any) -> Any:
        """Answer every CALL: NotImplemented / NotSupported where no handler exists.

        The library does so itself for 2.0.1, but for "2.1" it sends no answer at all.
        """
        if "_on_action" not in self.route_map.get(msg.action, {}):
            error: OCPPError
            if msg.action in {action.value for action in self._enums.Action}:
                error = OCPPNotImplementedError(
                    details={"cause": f"No handler for {msg.action} registered."}
                )
            else:
                error = NotSupportedError(
                    details={"cause": f"{msg.action} not supported by OCPP{self._ocpp_version}."}
                )
            # Answered here rather than raised: the library would log a traceback for it.
            LOGGER.info("%s: %s answered %s", self.id, msg.action, error.code)
            await self._send(msg.create_call_error(error).to_json())
            return None
        return await super()._handle_call(msg)

    def register_sample(
        self, energy_wh: float, context: str, timestamp: str | None = None
    ) -> dict[str, Any]:
        """The energy register as this charger's meter reports it (see `_register_sample`).

        Habit `signed_meter_values`: a session's begin and end readings are signed (OCMF).
        """
        config = self.sim.config
        sample = _register_sample(energy_wh, context, kwh=config.has(Habit.NOISY_METER))
        if config.has(Habit.SIGNED_METER_VALUES) and context in SIGNED_CONTEXTS:
            sample["signedMeterValue"] = signed_meter_value_2x(
                config.serial_number, energy_wh, timestamp or self.sim.timestamp(), context
            )
        return sample

    def cost_details(
        self, connector_id: int, register_wh: float | None = None
    ) -> dict[str, Any] | None:
        """2.1: the session's cost by the tariff the CSMS set, as the display shows it.

        The cost follows the register the event reports (`register_wh`), else the meter's.
        """
        tariff = self.state.tariff
        conn = self._conn(connector_id)
        if self._ocpp_version != "2.1" or not tariff or conn is None:
            return None
        register = conn.energy_register_wh if register_wh is None else register_wh
        prices = (tariff.get("energy") or {}).get("prices") or [{}]
        fees = (tariff.get("fixed_fee") or {}).get("prices") or [{}]
        new_wh = max(0.0, register - conn.costed_wh)
        conn.energy_cost += new_wh / 1000.0 * float(prices[0].get("price_kwh") or 0.0)
        conn.costed_wh = max(conn.costed_wh, register)
        energy_kwh = max(0.0, register - conn.session_start_wh) / 1000.0
        total = conn.energy_cost + float(fees[0].get("price_fixed") or 0.0)
        started = conn.tx_started_at or time.time()
        return {
            "totalCost": {
                "currency": tariff.get("currency", "EUR"),
                "typeOfCost": "NormalCost",
                "total": {"inclTax": round(total, 4)},
            },
            "totalUsage": {
                "energy": round(energy_kwh * 1000.0, 1),
                "chargingTime": round(time.time() - started),
                "idleTime": 0,
            },
        }

    def id_token(self, id_tag: str) -> dict[str, str]:
        """The camelCase IdTokenType for an id tag."""
        return {"idToken": id_tag, "type": self.sim.config.id_token_type}

    # ---------------------------------------------------------------- charger -> CSMS
    async def boot(self, reason: str | None = None) -> Any:
        """Send BootNotification (reason default PowerUp; the modem when the SIM is known)."""
        cfg = self.sim.config
        station: dict[str, Any] = {
            "model": cfg.model,
            "vendorName": cfg.vendor,
            "serialNumber": cfg.serial_number,
            "firmwareVersion": cfg.firmware_version,
        }
        modem = {key: value for key, value in (("iccid", cfg.iccid), ("imsi", cfg.imsi)) if value}
        if modem:
            station["modem"] = modem
        return await self.request(
            self._call.BootNotification(charging_station=station, reason=reason or "PowerUp")
        )

    async def heartbeat(self) -> Any:
        """Send Heartbeat."""
        return await self.request(self._call.Heartbeat())

    async def notify_event(
        self, component: dict[str, Any], variable: str, actual_value: str, timestamp: str
    ) -> Any:
        """Send a one-part NotifyEvent (trigger Delta) for a variable's new value."""
        self.state.event_id += 1
        event = {
            "eventId": self.state.event_id,
            "timestamp": timestamp,
            "trigger": "Delta",
            "actualValue": actual_value,
            "eventNotificationType": "HardWiredNotification",
            "component": component,
            "variable": {"name": variable},
        }
        return await self.request(
            self._call.NotifyEvent(generated_at=timestamp, seq_no=0, event_data=[event])
        )

    async def send_connector_status(self, connector_id: int, status: str, timestamp: str) -> Any:
        """Send a StatusNotification with a 2.x connectorStatus and remember it."""
        result = await self.request(
            self._call.StatusNotification(
                timestamp=timestamp,
                connector_status=status,
                evse_id=connector_id,
                connector_id=1,
            )
        )
        if (conn := self._conn(connector_id)) is not None:
            conn.reported_status = status
        return result

    async def status_notification(
        self,
        connector_id: int,
        status: str,
        error_code: str,
        info: str | None,
        vendor_error_code: str | None,
        timestamp: str,
    ) -> Any:
        """Translate a 1.6 status (see the module docstring); returns the last answer or None.

        `info` and `vendor_error_code` have no place in 2.x's StatusNotification and are dropped.
        """
        del info, vendor_error_code
        if connector_id == 0:
            state = v2_variables.availability_state(status, error_code)
            return await self.notify_event(
                {"name": "ChargingStation"}, "AvailabilityState", state, timestamp
            )
        conn = self._conn(connector_id)
        connector_status = v2_variables.connector_status(status, error_code)
        result = None
        if connector_status != "Occupied" or conn is None or conn.reported_status != "Occupied":
            result = await self.send_connector_status(connector_id, connector_status, timestamp)
        charging_state = v2_variables.CHARGING_STATES.get(status)
        if (
            conn is not None
            and conn.transaction_id is not None
            and error_code == "NoError"
            and charging_state is not None
            and charging_state != conn.charging_state
        ):
            result = await self.transaction_event(
                "Updated",
                "ChargingStateChanged",
                connector_id,
                conn.transaction_id,
                charging_state=charging_state,
                timestamp=timestamp,
            )
            conn.charging_state = charging_state
        return result

    async def authorize(self, id_tag: str) -> Any:
        """Send Authorize; the answer gains `.id_tag_info` (from idTokenInfo)."""
        result = await self.request(self._call.Authorize(id_token=self.id_token(id_tag)))
        result.id_tag_info = id_tag_info(result.id_token_info)
        return result

    async def transaction_event(
        self,
        event_type: str,
        trigger_reason: str,
        connector_id: int,
        transaction_id: TransactionId,
        *,
        seq_no: int | None = None,
        offline: bool = False,
        timestamp: str | None = None,
        **fields: Any,
    ) -> Any:
        """Send a TransactionEvent; seqNo from the per-transaction counter unless `seq_no`.

        `fields` are TransactionEvent fields in snake_case (meter_value in 2.x wire shape,
        number_of_phases_used, reservation_id, ...) plus four shortcuts: `charging_state`,
        `stopped_reason` and `remote_start_id` go into transactionInfo, `id_tag` becomes the
        idToken. The answer is kept in `sim.last_result["TransactionEvent"]` and gains
        `.id_tag_info`.
        """
        info: dict[str, Any] = {"transactionId": str(transaction_id)}
        for name, wire in TRANSACTION_INFO.items():
            if (value := fields.pop(name, None)) is not None:
                info[wire] = value
        if (id_tag := fields.pop("id_tag", None)) is not None:
            fields["id_token"] = self.id_token(id_tag)
        fields["meter_value"] = fields.get("meter_value") or None
        if event_type != "Started" and "cost_details" not in fields:
            register = _register_in(fields["meter_value"])
            if (cost := self.cost_details(connector_id, register)) is not None:
                fields["cost_details"] = cost
        number = self.sim.take_seq_no(str(transaction_id)) if seq_no is None else seq_no
        result = await self.request(
            self._call.TransactionEvent(
                event_type=event_type,
                timestamp=timestamp or self.sim.timestamp(),
                trigger_reason=trigger_reason,
                seq_no=number,
                transaction_info=info,
                offline=True if offline else None,
                evse={"id": connector_id, "connectorId": 1},
                **fields,
            )
        )
        result.id_tag_info = id_tag_info(result.id_token_info)
        self.sim.last_result["TransactionEvent"] = result
        return result

    async def start_transaction(
        self,
        connector_id: int,
        id_tag: str,
        meter_start_wh: float,
        timestamp: str,
        *,
        offline: bool = False,
    ) -> tuple[TransactionId, Any]:
        """TransactionEvent Started with a new UUID as transactionId.

        triggerReason Authorized, or RemoteStart (with remoteStartId) after a
        RequestStartTransaction; a reservation held for the connector is consumed.
        """
        conn = self._conn(connector_id)
        transaction_id = str(uuid.uuid4())
        remote_start_id = conn.remote_start_id if conn is not None else None
        charging_state = "EVConnected"
        extra: dict[str, Any] = {}
        if conn is not None:
            charging_state = v2_variables.CHARGING_STATES.get(conn.status, charging_state)
            if conn.reservation_id is not None:
                extra["reservation_id"] = conn.reservation_id
                self.state.reservations.pop(conn.reservation_id, None)
                conn.reservation_id = None
            # A 2.x station owns the id: the session exists before the CSMS answers, so a
            # RequestStopTransaction racing the answer finds it.
            conn.begin_transaction(transaction_id, id_tag)
        result = await self.transaction_event(
            "Started",
            "Authorized" if remote_start_id is None else "RemoteStart",
            connector_id,
            transaction_id,
            offline=offline,
            charging_state=charging_state,
            remote_start_id=remote_start_id,
            meter_value=[
                {
                    "timestamp": timestamp,
                    "sampledValue": [
                        self.register_sample(meter_start_wh, "Transaction.Begin", timestamp)
                    ],
                }
            ],
            id_tag=id_tag,
            timestamp=timestamp,
            **extra,
        )
        if result.id_tag_info is None:
            result.id_tag_info = {"status": "Accepted"}
        if conn is not None:
            conn.remote_start_id = None
            conn.charging_state = charging_state
        return transaction_id, result

    async def meter_values(
        self,
        connector_id: int,
        meter_value: list[dict[str, Any]],
        transaction_id: TransactionId | None,
        *,
        offline: bool = False,
    ) -> Any:
        """TransactionEvent Updated during a transaction, else MeterValues.

        The triggerReason follows the first sample's context: Trigger, MeterValueClock for
        Sample.Clock, otherwise MeterValuePeriodic. Raises ValueError when no sample is
        representable in 2.x (see `convert_sample`). An `offline` event carries the time of
        its readings, not the time it is sent.
        """
        converted = convert_meter_values(meter_value, self.measurands)
        if not converted:
            raise ValueError("no sampled value can be expressed in OCPP 2.x (use send_raw)")
        if transaction_id is None:
            return await self.send_meter_values(connector_id, converted)
        context = converted[0]["sampledValue"][0].get("context")
        trigger = {"Trigger": "Trigger", "Sample.Clock": "MeterValueClock"}.get(
            str(context), "MeterValuePeriodic"
        )
        return await self.transaction_event(
            "Updated",
            trigger,
            connector_id,
            transaction_id,
            offline=offline,
            meter_value=converted,
            timestamp=converted[0]["timestamp"] if offline else None,
        )

    async def send_meter_values(self, evse_id: int, meter_value: list[dict[str, Any]]) -> Any:
        """Send MeterValues (2.x wire meterValue)."""
        return await self.request(self._call.MeterValues(evse_id=evse_id, meter_value=meter_value))

    def stopped_reason(self, reason: str | None) -> str:
        """2.x ReasonEnumType for a 1.6 (or 2.x) stop reason; absent means Local."""
        reason = STOP_REASONS.get(reason or "Local", reason or "Local")
        known = {item.value for item in self._enums.ReasonEnumType}
        return reason if reason in known else "Other"

    async def stop_transaction(
        self,
        connector_id: int,
        transaction_id: TransactionId,
        meter_stop_wh: float,
        timestamp: str,
        reason: str | None,
        id_tag: str | None,
        transaction_data: list[dict[str, Any]] | None,
        *,
        offline: bool = False,
    ) -> Any:
        """TransactionEvent Ended with the final register and the converted transactionData.

        The idToken goes along only when it stops the transaction (reason Local / MasterPass:
        triggerReason StopAuthorized), so `.id_tag_info` of the answer may be None.
        """
        trigger = STOP_TRIGGERS.get(reason or "Local", "AbnormalCondition")
        stopped = self.stopped_reason(reason)
        if trigger == "EnergyLimitReached" and stopped == "SOCLimitReached":
            known = {item.value for item in self._enums.TriggerReasonEnumType}
            trigger = "SoCLimitReached" if "SoCLimitReached" in known else trigger
        meter = [
            {
                "timestamp": timestamp,
                "sampledValue": [self.register_sample(meter_stop_wh, "Transaction.End", timestamp)],
            },
            *convert_meter_values(transaction_data, self.measurands),
        ]
        result = await self.transaction_event(
            "Ended",
            trigger,
            connector_id,
            transaction_id,
            offline=offline,
            charging_state="Idle" if stopped == "EVDisconnected" else "EVConnected",
            stopped_reason=stopped,
            meter_value=meter,
            id_tag=id_tag if trigger == "StopAuthorized" else None,
            timestamp=timestamp,
        )
        self.sim.seq_nos.pop(str(transaction_id), None)
        if (conn := self._conn(connector_id)) is not None:
            conn.charging_state = None
        return result

    async def data_transfer(self, vendor_id: str, message_id: str | None, data: str | None) -> Any:
        """Send DataTransfer."""
        return await self.request(
            self._call.DataTransfer(vendor_id=vendor_id, message_id=message_id, data=data)
        )

    async def send_report(self, request_id: int, report_data: list[dict[str, Any]]) -> None:
        """Send NotifyReport parts (seqNo 0.., tbc on all but the last); 2+ parts if possible."""
        size = max(1, min(REPORT_ITEMS_PER_MESSAGE, math.ceil(len(report_data) / 2)))
        parts = [report_data[i : i + size] for i in range(0, len(report_data), size)] or [[]]
        for seq_no, part in enumerate(parts):
            await self.request(
                self._call.NotifyReport(
                    request_id=request_id,
                    generated_at=self.sim.timestamp(),
                    seq_no=seq_no,
                    report_data=part or None,
                    tbc=seq_no < len(parts) - 1,
                )
            )

    # ---------------------------------------------------------------- device model
    @on("GetBaseReport")
    def on_get_base_report(self, request_id: int, report_base: str, **_: Any) -> Any:
        """Accept; the NotifyReport parts follow the answer."""
        del request_id
        data = v2_variables.report(self.sim, report_base)
        return self._call_result.GetBaseReport(status="Accepted" if data else "EmptyResultSet")

    @after("GetBaseReport")
    def after_get_base_report(self, request_id: int, report_base: str, **_: Any) -> None:
        """Send the report."""
        if data := v2_variables.report(self.sim, report_base):
            self.sim.spawn(self.send_report(request_id, data), "NotifyReport")

    def _custom_report(
        self, component_variable: list[dict[str, Any]] | None
    ) -> list[dict[str, Any]]:
        items = v2_variables.items(self.sim)
        if component_variable:
            wanted = []
            for item in items:
                for entry in component_variable:
                    variable = entry.get("variable")
                    if v2_variables._component_matches(item, entry.get("component") or {}) and (
                        variable is None
                        or str(variable.get("name", "")).lower() == item.variable.lower()
                    ):
                        wanted.append(item)
                        break
            items = wanted
        return [item.report_data() for item in items]

    @on("GetReport")
    def on_get_report(
        self, request_id: int, component_variable: list[dict[str, Any]] | None = None, **_: Any
    ) -> Any:
        """Report the requested components/variables (componentCriteria are not evaluated)."""
        del request_id
        data = self._custom_report(component_variable)
        return self._call_result.GetReport(status="Accepted" if data else "EmptyResultSet")

    @after("GetReport")
    def after_get_report(
        self, request_id: int, component_variable: list[dict[str, Any]] | None = None, **_: Any
    ) -> None:
        """Send the report."""
        if data := self._custom_report(component_variable):
            self.sim.spawn(self.send_report(request_id, data), "NotifyReport")

    @on("GetVariables")
    def on_get_variables(self, get_variable_data: list[dict[str, Any]], **_: Any) -> Any:
        """One result per request: Accepted with the value, or why not."""
        results = []
        for entry in get_variable_data:
            component, variable = entry["component"], entry["variable"]
            status, item = v2_variables.find(self.sim, component, variable)
            result: dict[str, Any] = {"component": component, "variable": variable}
            if entry.get("attribute_type") is not None:
                result["attribute_type"] = entry["attribute_type"]
            if item is not None and entry.get("attribute_type") not in {None, "Actual"}:
                status = "NotSupportedAttributeType"
            elif item is not None and item.writeonly:
                status = "Rejected"
            elif item is not None:
                result["attribute_value"] = item.value
            result["attribute_status"] = status
            results.append(result)
        return self._call_result.GetVariables(get_variable_result=results)

    @on("SetVariables")
    def on_set_variables(self, set_variable_data: list[dict[str, Any]], **_: Any) -> Any:
        """Apply each value (see `v2_variables.set_variable`)."""
        results = []
        for entry in set_variable_data:
            component, variable = entry["component"], entry["variable"]
            status = v2_variables.set_variable(
                self.sim,
                component,
                variable,
                str(entry["attribute_value"]),
                entry.get("attribute_type"),
            )
            result: dict[str, Any] = {
                "attribute_status": status,
                "component": component,
                "variable": variable,
            }
            if entry.get("attribute_type") is not None:
                result["attribute_type"] = entry["attribute_type"]
            results.append(result)
        return self._call_result.SetVariables(set_variable_result=results)

    @on("SetDefaultTariff")
    def on_set_default_tariff(self, evse_id: int, tariff: dict[str, Any], **_: Any) -> Any:
        """2.1: show a tariff (kept for tests as the charger's display would show it)."""
        del evse_id
        self.state.tariff = tariff
        return self._call_result.SetDefaultTariff(status="Accepted")

    @on("InstallCertificate")
    def on_install_certificate(self, certificate_type: str, certificate: str, **_: Any) -> Any:
        """Trust a CSMSRootCertificate for TLS."""
        if certificate_type != "CSMSRootCertificate":
            return self._call_result.InstallCertificate(status="Rejected")
        self.sim.tls.roots.append(certificate)
        return self._call_result.InstallCertificate(status="Accepted")

    @on("CertificateSigned")
    def on_certificate_signed(self, certificate_chain: str, **_: Any) -> Any:
        """Take the client certificate if it fits the key of our request."""
        accepted = self.sim.tls.install_signed(certificate_chain)
        return self._call_result.CertificateSigned(status="Accepted" if accepted else "Rejected")

    @on("SetNetworkProfile")
    def on_set_network_profile(
        self, configuration_slot: int, connection_data: dict[str, Any], **_: Any
    ) -> Any:
        """Keep a connection profile in a slot; NetworkConfigurationPriority picks it."""
        self.sim.network_profiles[int(configuration_slot)] = connection_data
        return self._call_result.SetNetworkProfile(status="Accepted")

    @after("SetVariables")
    def after_set_variables(self, **_: Any) -> None:
        """A new password: reconnect with it (after the answer went out)."""
        scenario.reconnect_if_credentials_changed(self.sim)

    # ---------------------------------------------------------------- remote trigger
    def _trigger_status(self, requested_message: str, evse: dict[str, Any] | None) -> str:
        if requested_message not in TRIGGERABLE or self.sim.config.has(Habit.NO_TRIGGER_MESSAGE):
            return "NotImplemented"
        evse_id = None if evse is None else int(evse["id"])
        if evse_id is not None and evse_id not in self.sim.connector_ids(zero=True):
            return "Rejected"
        if requested_message == "BootNotification" and self.sim.boot_status == "Accepted":
            # F06.FR.17: a charger that is already accepted does not boot again on request.
            return "Rejected"
        if requested_message == "StatusNotification" and evse_id == 0:
            return "Rejected"
        if requested_message == "TransactionEvent":
            targets = self.sim.connector_ids() if not evse_id else [evse_id]
            if all(self.sim.connector(n).transaction_id is None for n in targets):
                return "Rejected"
        return "Accepted"

    @on("TriggerMessage")
    def on_trigger_message(
        self, requested_message: str, evse: dict[str, Any] | None = None, **_: Any
    ) -> Any:
        """Accept the messages in TRIGGERABLE (see `_trigger_status` for the rejections)."""
        return self._call_result.TriggerMessage(
            status=self._trigger_status(requested_message, evse)
        )

    @after("TriggerMessage")
    def after_trigger_message(
        self, requested_message: str, evse: dict[str, Any] | None = None, **_: Any
    ) -> None:
        """Send the triggered message only after the TriggerMessage answer went out."""
        if self._trigger_status(requested_message, evse) == "Accepted":
            evse_id = None if evse is None else int(evse["id"])
            self.sim.spawn(
                self.send_triggered(requested_message, evse_id), f"trigger {requested_message}"
            )

    def _trigger_samples(self, connector_id: int) -> list[dict[str, Any]]:
        """A connector's meter now as 2.x meterValue (context Trigger)."""
        samples = self.sim.sample(connector_id, context="Trigger")
        entry = [{"timestamp": self.sim.timestamp(), "sampledValue": samples}]
        return convert_meter_values(entry, self.measurands)

    async def _send_triggered_meters(self, message: str, evse_id: int | None) -> None:
        """Triggered MeterValues (EVSE 0: the station's main meter) or TransactionEvent."""
        sim = self.sim
        targets = sim.connector_ids() if not evse_id else [evse_id]
        if message == "MeterValues" and evse_id == 0:
            total = self.register_sample(sim.energy_wh(0), "Trigger")
            total["location"] = "Inlet"
            await self.send_meter_values(
                0, [{"timestamp": sim.timestamp(), "sampledValue": [total]}]
            )
            return
        for target in targets:
            conn = sim.connector(target)
            if message == "MeterValues":
                if meter_value := self._trigger_samples(target):
                    await self.send_meter_values(target, meter_value)
            elif conn.transaction_id is not None:
                await self.transaction_event(
                    "Updated",
                    "Trigger",
                    target,
                    conn.transaction_id,
                    charging_state=v2_variables.CHARGING_STATES.get(conn.status),
                    meter_value=self._trigger_samples(target),
                )

    async def send_triggered(self, message: str, evse_id: int | None) -> None:
        """Send what a TriggerMessage asked for (meter values with context Trigger)."""
        sim = self.sim
        match message:
            case "BootNotification":
                await sim.boot("Triggered")
            case "Heartbeat":
                await sim.heartbeat()
            case "StatusNotification":
                for target in sim.connector_ids() if not evse_id else [evse_id]:
                    conn = sim.connector(target)
                    status = v2_variables.connector_status(conn.status, conn.error_code)
                    await self.send_connector_status(target, status, sim.timestamp())
            case "MeterValues" | "TransactionEvent":
                await self._send_triggered_meters(message, evse_id)
            case "FirmwareStatusNotification":
                await self.request(
                    self._call.FirmwareStatusNotification(
                        status=self.state.firmware_status,
                        request_id=self.state.firmware_request_id,
                    )
                )
            case "LogStatusNotification":
                await self.request(
                    self._call.LogStatusNotification(
                        status=self.state.log_status, request_id=self.state.log_request_id
                    )
                )
            case "SignChargingStationCertificate":
                csr = sim.tls.certificate_request(sim.config.charge_point_id)
                await self.request(
                    self._call.SignCertificate(
                        csr=csr, certificate_type="ChargingStationCertificate"
                    )
                )
            case _:  # pragma: no cover - excluded by _trigger_status
                LOGGER.warning("cannot trigger %s", message)

    # ---------------------------------------------------------------- transactions
    def _start_connector(self, evse_id: int | None, id_token: str) -> int | None:
        """The connector a remote start would use: free, or reserved for this id token."""
        if (chosen := self.sim.free_connector(evse_id)) is not None:
            return chosen
        candidates = self.sim.connector_ids() if evse_id is None else [evse_id]
        for n in candidates:
            if n not in self.sim.connector_ids():
                continue
            conn = self.sim.connector(n)
            reservation = self.state.reservations.get(conn.reservation_id or -1)
            if (
                reservation is not None
                and reservation[1] == id_token
                and conn.operative
                and not conn.in_session
                and conn.transaction_id is None
            ):
                return n
        return None

    @on("RequestStartTransaction")
    def on_request_start_transaction(
        self,
        id_token: dict[str, Any],
        remote_start_id: int,
        evse_id: int | None = None,
        charging_profile: dict[str, Any] | None = None,
        **_: Any,
    ) -> Any:
        """Accept when a free, operative EVSE exists (and any profile is a TxProfile)."""
        del remote_start_id
        ok = self._start_connector(evse_id, str(id_token["id_token"])) is not None
        if charging_profile is not None:
            ok = ok and charging_profile.get("charging_profile_purpose") == "TxProfile"
        return self._call_result.RequestStartTransaction(status="Accepted" if ok else "Rejected")

    @after("RequestStartTransaction")
    def after_request_start_transaction(
        self,
        id_token: dict[str, Any],
        remote_start_id: int,
        evse_id: int | None = None,
        charging_profile: dict[str, Any] | None = None,
        **_: Any,
    ) -> None:
        """Run the remotely started session (TransactionEvent Started with RemoteStart)."""
        tag = str(id_token["id_token"])
        chosen = self._start_connector(evse_id, tag)
        if chosen is None or (
            charging_profile is not None
            and charging_profile.get("charging_profile_purpose") != "TxProfile"
        ):
            return
        conn = self.sim.connector(chosen)
        conn.remote_start_id = remote_start_id
        if charging_profile is not None and (limit := self._profile_limit(charging_profile)):
            conn.install_profile(int(charging_profile.get("id", 0)), limit)
        scenario.start_remote_session(self.sim, chosen, tag)

    @on("RequestStopTransaction")
    def on_request_stop_transaction(self, transaction_id: str, **_: Any) -> Any:
        """Accept when the transaction is running here."""
        known = self.sim.connector_of_transaction(transaction_id) is not None
        return self._call_result.RequestStopTransaction(status="Accepted" if known else "Rejected")

    @after("RequestStopTransaction")
    def after_request_stop_transaction(self, transaction_id: str, **_: Any) -> None:
        """Stop the transaction with reason Remote."""
        connector_id = self.sim.connector_of_transaction(transaction_id)
        if connector_id is not None:
            scenario.stop_transaction_soon(self.sim, connector_id, "Remote")

    @on("GetTransactionStatus")
    def on_get_transaction_status(self, transaction_id: str | None = None, **_: Any) -> Any:
        """Nothing is ever queued; ongoingIndicator tells whether the transaction runs."""
        ongoing = None
        if transaction_id is not None:
            ongoing = self.sim.connector_of_transaction(transaction_id) is not None
        return self._call_result.GetTransactionStatus(
            messages_in_queue=False, ongoing_indicator=ongoing
        )

    # ---------------------------------------------------------------- smart charging
    def _profile_limit(self, profile: dict[str, Any]) -> ChargingLimit | None:
        """A (snake_cased) 2.x ChargingProfile as the charger keeps it, or None.

        Its first chargingSchedule counts (2.x allows up to three, for different rate units).
        """
        schedules = profile.get("charging_schedule") or []
        if not schedules:
            return None
        schedule = schedules[0]
        periods = schedule.get("charging_schedule_period") or []
        if any(period.get("limit") is None for period in periods):
            return None  # 2.1 setpoint-only periods: not modelled
        purpose = str(profile.get("charging_profile_purpose"))
        cfg = self.sim.config
        return profile_limit(
            {
                "charging_schedule": schedule,
                "charging_profile_purpose": MODEL_PURPOSES.get(purpose, purpose),
                "charging_profile_kind": profile.get("charging_profile_kind"),
                "recurrency_kind": profile.get("recurrency_kind"),
                "valid_from": profile.get("valid_from"),
                "valid_to": profile.get("valid_to"),
                "stack_level": profile.get("stack_level", 0),
            },
            cfg.phases,
            cfg.voltage,
            switching=not cfg.has(Habit.NO_PHASE_SWITCHING),
        )

    def _set_profile_status(self, evse_id: int, profile: dict[str, Any]) -> str:
        sim = self.sim
        purpose = profile.get("charging_profile_purpose")
        if evse_id not in sim.connector_ids(zero=True) or self._profile_limit(profile) is None:
            return "Rejected"
        if sim.variables["SmartChargingCtrlr.Enabled"].value != "true":
            return "Rejected"
        if purpose == "ChargingStationExternalConstraints":
            return "Rejected"  # set by an external system, never by the CSMS
        if purpose == "ChargingStationMaxProfile" and evse_id != 0:
            return "Rejected"
        if purpose == "TxProfile":
            # K01.FR.09 (habit rejects_tx_profile_outside_transaction names this default).
            if evse_id == 0:
                return "Rejected"
            running = sim.connector(evse_id).transaction_id
            wanted = profile.get("transaction_id")
            if running is None or (wanted is not None and wanted != running):
                return "Rejected"
        return "Accepted"

    @on("SetChargingProfile")
    def on_set_charging_profile(
        self, evse_id: int, charging_profile: dict[str, Any], **_: Any
    ) -> Any:
        """Install the profile; its schedule is followed over time (`simulator.schedule`)."""
        schedules = charging_profile.get("charging_schedule") or [{}]
        unit = schedules[0].get("charging_rate_unit")
        if self.sim.reject_profiles or unit not in self.sim.accepted_rate_units:
            return self._call_result.SetChargingProfile(status="Rejected")
        status = self._set_profile_status(evse_id, charging_profile)
        limit = self._profile_limit(charging_profile)
        if status == "Accepted" and limit is not None:
            profile_id = int(charging_profile.get("id", 0))
            targets = self.sim.connector_ids() if evse_id == 0 else [evse_id]
            for target in targets:
                conn = self.sim.connector(target)
                for old_id, old in list(conn.profiles.items()):
                    if (old.purpose, old.stack_level) == (limit.purpose, limit.stack_level):
                        conn.drop_profile(old_id)
                conn.install_profile(profile_id, limit)
        return self._call_result.SetChargingProfile(status=status)

    @on("ClearChargingProfile")
    def on_clear_charging_profile(
        self,
        charging_profile_id: int | None = None,
        charging_profile_criteria: dict[str, Any] | None = None,
        **_: Any,
    ) -> Any:
        """Remove matching profiles: by id alone, else by the criteria."""
        criteria = charging_profile_criteria or {}
        evse_id = criteria.get("evse_id")
        purpose = criteria.get("charging_profile_purpose")
        purpose = MODEL_PURPOSES.get(purpose, purpose) if purpose is not None else None
        stack_level = criteria.get("stack_level")
        removed = False
        targets = [evse_id] if evse_id else self.sim.connector_ids()
        for target in targets:
            if target not in self.sim.connector_ids():
                continue
            conn = self.sim.connector(target)
            for profile_id, limit in list(conn.profiles.items()):
                if charging_profile_id is not None:
                    match = profile_id == charging_profile_id
                else:
                    match = purpose in {None, limit.purpose} and stack_level in {
                        None,
                        limit.stack_level,
                    }
                if match:
                    conn.drop_profile(profile_id)
                    removed = True
        return self._call_result.ClearChargingProfile(status="Accepted" if removed else "Unknown")

    @on("GetCompositeSchedule")
    def on_get_composite_schedule(
        self, duration: int, evse_id: int, charging_rate_unit: str | None = None, **_: Any
    ) -> Any:
        """The limits really applied over `duration` (see `composite_schedule`)."""
        sim = self.sim
        if evse_id not in sim.connector_ids(zero=True):
            return self._call_result.GetCompositeSchedule(status="Rejected")
        unit = charging_rate_unit or "A"
        schedule = {
            "evse_id": evse_id,
            "duration": duration,
            "schedule_start": sim.timestamp(),
            "charging_rate_unit": unit,
            "charging_schedule_period": [
                {"start_period": offset, "limit": limit, "number_phases": phases}
                for offset, limit, phases in sim.composite_schedule(evse_id, duration, unit)
            ],
        }
        return self._call_result.GetCompositeSchedule(status="Accepted", schedule=schedule)

    # ---------------------------------------------------------------- availability, reset
    @on("ChangeAvailability")
    def on_change_availability(
        self, operational_status: str, evse: dict[str, Any] | None = None, **_: Any
    ) -> Any:
        """Apply at once, or answer Scheduled while a transaction runs."""
        target = 0 if evse is None else int(evse["id"])
        if target not in self.sim.connector_ids(zero=True):
            return self._call_result.ChangeAvailability(status="Rejected")
        scheduled = self.sim.change_availability(
            target, operative=operational_status == "Operative"
        )
        return self._call_result.ChangeAvailability(status="Scheduled" if scheduled else "Accepted")

    @after("ChangeAvailability")
    def after_change_availability(self, evse: dict[str, Any] | None = None, **_: Any) -> None:
        """Report the connectors (and the station) whose availability changed."""
        target = 0 if evse is None else int(evse["id"])
        if target in self.sim.connector_ids(zero=True):
            self.sim.spawn(scenario.report_availability(self.sim, target), "availability")

    def _busy(self, evse_id: int | None) -> bool:
        targets = self.sim.connector_ids() if evse_id is None else [evse_id]
        return any(
            self.sim.connector(n).transaction_id is not None or self.sim.connector(n).in_session
            for n in targets
        )

    @on("Reset")
    def on_reset(self, type: str, evse_id: int | None = None, **_: Any) -> Any:
        """Accept; OnIdle while a transaction runs is Scheduled until it ends."""
        if evse_id is not None and evse_id not in self.sim.connector_ids():
            return self._call_result.Reset(status="Rejected")
        scheduled = type == "OnIdle" and self._busy(evse_id)
        return self._call_result.Reset(status="Scheduled" if scheduled else "Accepted")

    @after("Reset")
    def after_reset(self, type: str, evse_id: int | None = None, **_: Any) -> None:
        """Immediate: stop transactions (ImmediateReset) and boot again (RemoteReset)."""
        if evse_id is not None:
            if evse_id in self.sim.connector_ids():
                scenario.stop_transaction_soon(self.sim, evse_id, "ImmediateReset")
            return
        if type == "OnIdle" and self._busy(None):
            self.sim.spawn(self._reset_when_idle(), "reset")
        else:
            self.sim.spawn(scenario.reboot(self.sim, "ImmediateReset"), "reset")

    async def _reset_when_idle(self) -> None:
        while True:
            if not self._busy(None):
                break
            await asyncio.sleep(0.05)
        # B12: a reset that waited for the transactions to end boots with ScheduledReset.
        await scenario.reboot(self.sim, "ImmediateReset", "ScheduledReset")

    @on("UnlockConnector")
    def on_unlock_connector(self, evse_id: int, connector_id: int, **_: Any) -> Any:
        """A charging connector stays locked (F05: OngoingAuthorizedTransaction)."""
        if evse_id not in self.sim.connector_ids() or connector_id != 1:
            status = "UnknownConnector"
        elif self.sim.connector(evse_id).transaction_id is not None:
            status = "OngoingAuthorizedTransaction"
        else:
            status = "Unlocked"
        return self._call_result.UnlockConnector(status=status)

    # ---------------------------------------------------------------- misc
    @on("DataTransfer")
    def on_data_transfer(self, vendor_id: str, **_: Any) -> Any:
        """The simulator knows no vendor extensions."""
        del vendor_id
        return self._call_result.DataTransfer(status="UnknownVendorId")

    @on("ClearCache")
    def on_clear_cache(self, **_: Any) -> Any:
        """There is no cache to clear, which trivially succeeds."""
        return self._call_result.ClearCache(status="Accepted")

    # ---------------------------------------------------------------- local list, reservation
    @on("GetLocalListVersion")
    def on_get_local_list_version(self, **_: Any) -> Any:
        """The version of the last SendLocalList (0: none)."""
        return self._call_result.GetLocalListVersion(version_number=self.state.local_list_version)

    @on("SendLocalList")
    def on_send_local_list(
        self,
        version_number: int,
        update_type: str,
        local_authorization_list: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> Any:
        """Store the list (Full replaces; a Differential update needs a newer version)."""
        state = self.state
        if update_type == "Differential" and version_number <= state.local_list_version:
            return self._call_result.SendLocalList(status="VersionMismatch")
        if update_type == "Full":
            state.local_list.clear()
        for entry in local_authorization_list or []:
            token = str(entry["id_token"]["id_token"])
            if entry.get("id_token_info") is None:
                state.local_list.pop(token, None)
            else:
                state.local_list[token] = entry["id_token_info"]
        state.local_list_version = version_number
        self.sim.variables["LocalAuthListCtrlr.Entries"].value = str(len(state.local_list))
        return self._call_result.SendLocalList(status="Accepted")

    def _reserve_status(self, evse_id: int | None) -> str:
        sim = self.sim
        if sim.variables["ReservationCtrlr.Enabled"].value != "true":
            return "Rejected"
        if evse_id is None or evse_id == 0:
            return "Accepted" if sim.free_connector() is not None else "Occupied"
        if evse_id not in sim.connector_ids():
            return "Rejected"
        conn = sim.connector(evse_id)
        if conn.status == "Faulted" or conn.error_code != "NoError":
            return "Faulted"
        if not conn.operative or conn.status == "Unavailable":
            return "Unavailable"
        if conn.status not in {"Available", "Reserved"} or conn.in_session:
            return "Occupied"
        return "Accepted"

    @on("ReserveNow")
    def on_reserve_now(
        self,
        id: int,
        expiry_date_time: str,
        id_token: dict[str, Any],
        evse_id: int | None = None,
        **_: Any,
    ) -> Any:
        """Reserve an available EVSE (or any, without evseId)."""
        status = self._reserve_status(evse_id)
        if status == "Accepted":
            target = evse_id or 0
            self.state.reservations[id] = (target, str(id_token["id_token"]))
            if target:
                self.sim.connector(target).reservation_id = id
        return self._call_result.ReserveNow(status=status)

    @after("ReserveNow")
    def after_reserve_now(
        self,
        id: int,
        expiry_date_time: str,
        evse_id: int | None = None,
        **_: Any,
    ) -> None:
        """Report the EVSE Reserved and let the reservation expire at its time."""
        if id not in self.state.reservations:
            return
        if evse_id:
            self.sim.spawn(self.sim.status(evse_id, "Reserved"), "reserved")
        self.sim.spawn(self._expire(id, expiry_date_time), f"reservation {id}")

    async def _expire(self, reservation_id: int, expiry: str) -> None:
        try:
            when = datetime.fromisoformat(expiry)
        except ValueError:
            return
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        await asyncio.sleep(max(0.0, (when - datetime.now(UTC)).total_seconds()))
        if self.state.reservations.get(reservation_id) is None:
            return
        await self._release(reservation_id)
        await self.sim.protocol_layer().request(
            self._call.ReservationStatusUpdate(
                reservation_id=reservation_id, reservation_update_status="Expired"
            )
        )

    async def _release(self, reservation_id: int) -> None:
        """Forget a reservation; a Reserved connector becomes available again."""
        target, _ = self.state.reservations.pop(reservation_id, (0, ""))
        if target and (conn := self.sim.connector(target)).reservation_id == reservation_id:
            conn.reservation_id = None
            if conn.status == "Reserved":
                await self.sim.status(target, conn.idle_status())

    @on("CancelReservation")
    def on_cancel_reservation(self, reservation_id: int, **_: Any) -> Any:
        """Accept for a known reservation."""
        known = reservation_id in self.state.reservations
        return self._call_result.CancelReservation(status="Accepted" if known else "Rejected")

    @after("CancelReservation")
    def after_cancel_reservation(self, reservation_id: int, **_: Any) -> None:
        """Release the EVSE."""
        if reservation_id in self.state.reservations:
            self.sim.spawn(self._release(reservation_id), "cancel reservation")

    # ---------------------------------------------------------------- firmware, logs
    @on("UpdateFirmware")
    def on_update_firmware(self, request_id: int, **_: Any) -> Any:
        """Accept; the download and the progress notifications follow."""
        del request_id
        return self._call_result.UpdateFirmware(status="Accepted")

    @after("UpdateFirmware")
    def after_update_firmware(self, request_id: int, firmware: dict[str, Any], **_: Any) -> None:
        """Download from the location, install, reboot (see `maintenance.update_firmware`)."""
        self.sim.spawn(self._firmware_update(request_id, firmware["location"]), "firmware update")

    async def _firmware_update(self, request_id: int, location: str) -> None:
        state = self.state
        state.firmware_request_id = request_id

        async def send(status: str) -> None:
            state.firmware_status = status
            await self.sim.protocol_layer().request(
                self._call.FirmwareStatusNotification(status=status, request_id=request_id)
            )

        try:
            await maintenance.update_firmware(self.sim, location, send, state.step_delay)
        finally:
            state.firmware_status, state.firmware_request_id = "Idle", None

    @on("GetLog")
    def on_get_log(self, log_type: str, request_id: int, **_: Any) -> Any:
        """Accept with the name of the file that will be uploaded."""
        return self._call_result.GetLog(
            status="Accepted", filename=self._log_name(log_type, request_id)
        )

    def _log_name(self, log_type: str, request_id: int) -> str:
        return f"{self.sim.config.charge_point_id}-{log_type}-{request_id}.log"

    @after("GetLog")
    def after_get_log(self, log: dict[str, Any], log_type: str, request_id: int, **_: Any) -> None:
        """Upload (multipart POST) to the remote location, reporting Uploading and the end."""
        name = self._log_name(log_type, request_id)
        self.sim.spawn(self._log_upload(request_id, log["remote_location"], name), "log upload")

    async def _log_upload(self, request_id: int, location: str, name: str) -> None:
        state = self.state
        state.log_request_id = request_id

        async def send(status: str) -> None:
            state.log_status = status
            await self.sim.protocol_layer().request(
                self._call.LogStatusNotification(status=status, request_id=request_id)
            )

        try:
            await maintenance.upload_log(
                self.sim, location, name, send, multipart=True, failed_status="UploadFailure"
            )
        finally:
            state.log_status, state.log_request_id = "Idle", None


class V201ChargePoint(V2ChargePoint, V201BaseChargePoint):  # type: ignore[misc]
    """OCPP 2.0.1 (call modules and schemas of `ocpp.v201`)."""

    _enums = v201_enums


class V21ChargePoint(V2ChargePoint, V21BaseChargePoint):  # type: ignore[misc]
    """OCPP 2.1 (call modules and schemas of `ocpp.v21`)."""

    _enums = v21_enums
