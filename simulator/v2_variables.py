"""OCPP 2.x device model of the simulator: its variables and the rules for reading and changing them.

Station-wide controller variables live in `ChargerSimulator.variables`, keyed
"Component.Variable" (e.g. "OCPPCommCtrlr.HeartbeatInterval"); `ConfigKey.readonly` is the
mutability ReadOnly. The ChargingStation, EVSE and Connector components describe live state
(availability, power), so their variables are computed from the connectors on every request
and are all read-only. Variable instances and attribute types other than Actual are not
modelled (they are answered UnknownVariable / NotSupportedAttributeType).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ocpp.v21 import enums as v21_enums
from ocpp.v201 import enums as v201_enums

from simulator.config import (
    DEFAULT_MEASURANDS,
    DEFAULT_STOP_TXN_MEASURANDS,
    ConfigKey,
    SimulatorConfig,
    format_seconds,
)
from simulator.habits import Habit
from simulator.model import PER_PHASE, SINGLE_VALUE

if TYPE_CHECKING:
    from simulator.charger import ChargerSimulator

# The MeasurandEnumType of each 2.x version (2.1 adds many, neither has Temperature or RPM).
MEASURANDS: dict[str, frozenset[str]] = {
    "2.0.1": frozenset(m.value for m in v201_enums.MeasurandEnumType),
    "2.1": frozenset(m.value for m in v21_enums.MeasurandEnumType),
}

# 1.6 status -> 2.x ConnectorStatusEnumType. Everything between plug-in and unplug is Occupied;
# the finer 1.6 states become the transaction's chargingState (`CHARGING_STATES`).
CONNECTOR_STATUS: dict[str, str] = {
    "Available": "Available",
    "Preparing": "Occupied",
    "Charging": "Occupied",
    "SuspendedEV": "Occupied",
    "SuspendedEVSE": "Occupied",
    "Finishing": "Occupied",
    "Reserved": "Reserved",
    "Unavailable": "Unavailable",
    "Faulted": "Faulted",
}
CHARGING_STATES: dict[str, str] = {
    "Preparing": "EVConnected",
    "Charging": "Charging",
    "SuspendedEV": "SuspendedEV",
    "SuspendedEVSE": "SuspendedEVSE",
    "Finishing": "EVConnected",
}


def connector_status(status: str, error_code: str = "NoError") -> str:
    """The 2.x connectorStatus for a 1.6 status (2.x names pass through unchanged)."""
    if error_code != "NoError":
        return "Faulted"
    return CONNECTOR_STATUS.get(status, status)


def availability_state(status: str, error_code: str = "NoError") -> str:
    """AvailabilityState of the ChargingStation component for connector 0's 1.6 status."""
    if error_code != "NoError" or status == "Faulted":
        return "Faulted"
    return "Unavailable" if status == "Unavailable" else "Available"


@dataclass(frozen=True)
class Characteristics:
    """variableCharacteristics of a variable (supportsMonitoring is always false)."""

    data_type: str
    unit: str | None = None
    values_list: str | None = None
    max_limit: float | None = None

    def to_wire(self) -> dict[str, Any]:
        """The camelCase VariableCharacteristicsType."""
        wire: dict[str, Any] = {"dataType": self.data_type, "supportsMonitoring": False}
        if self.unit is not None:
            wire["unit"] = self.unit
        if self.values_list is not None:
            wire["valuesList"] = self.values_list
        if self.max_limit is not None:
            wire["maxLimit"] = self.max_limit
        return wire


INTEGER = Characteristics("integer")
SECONDS = Characteristics("integer", unit="s")
BOOLEAN = Characteristics("boolean")
STRING = Characteristics("string")
AVAILABILITY = Characteristics(
    "OptionList", values_list="Available,Occupied,Reserved,Unavailable,Faulted"
)


def _measurand_list(version: str) -> Characteristics:
    """MemberList of the measurands the simulator can sample (and that `version` knows)."""
    modelled = [m for m in (*SINGLE_VALUE, *PER_PHASE) if m in MEASURANDS[version]]
    return Characteristics("MemberList", values_list=",".join(modelled))


def characteristics(key: str, version: str) -> Characteristics:
    """The characteristics of a station-wide variable."""
    if key.endswith("Measurands"):
        return _measurand_list(version)
    return CHARACTERISTICS.get(key, STRING)


# Station-wide variables: key -> (characteristics, read-only). Values come from
# `default_variables`; the characteristics tell how SetVariables validates a new value.
CHARACTERISTICS: dict[str, Characteristics] = {
    "OCPPCommCtrlr.HeartbeatInterval": SECONDS,
    "OCPPCommCtrlr.OfflineThreshold": SECONDS,
    "OCPPCommCtrlr.ResetRetries": INTEGER,
    "OCPPCommCtrlr.WebSocketPingInterval": SECONDS,
    "OCPPCommCtrlr.MessageTimeout": SECONDS,
    "OCPPCommCtrlr.FileTransferProtocols": Characteristics("MemberList", values_list="HTTP,HTTPS"),
    "SampledDataCtrlr.Enabled": BOOLEAN,
    "SampledDataCtrlr.TxUpdatedInterval": SECONDS,
    "SampledDataCtrlr.TxEndedInterval": SECONDS,
    "AlignedDataCtrlr.Enabled": BOOLEAN,
    "AlignedDataCtrlr.Interval": SECONDS,
    "TxCtrlr.EVConnectionTimeOut": SECONDS,
    "TxCtrlr.StopTxOnEVSideDisconnect": BOOLEAN,
    "TxCtrlr.StopTxOnInvalidId": BOOLEAN,
    "TxCtrlr.TxStartPoint": Characteristics(
        "MemberList", values_list="ParkingBayOccupancy,EVConnected,Authorized,PowerPathClosed"
    ),
    "TxCtrlr.TxStopPoint": Characteristics(
        "MemberList", values_list="ParkingBayOccupancy,EVConnected,Authorized,PowerPathClosed"
    ),
    "AuthCtrlr.Enabled": BOOLEAN,
    "AuthCtrlr.AuthorizeRemoteStart": BOOLEAN,
    "AuthCtrlr.LocalAuthorizeOffline": BOOLEAN,
    "AuthCtrlr.LocalPreAuthorize": BOOLEAN,
    "AuthCacheCtrlr.Enabled": BOOLEAN,
    "LocalAuthListCtrlr.Enabled": BOOLEAN,
    "LocalAuthListCtrlr.Entries": INTEGER,
    "LocalAuthListCtrlr.ItemsPerMessage": INTEGER,
    "LocalAuthListCtrlr.BytesPerMessage": INTEGER,
    "SmartChargingCtrlr.Enabled": BOOLEAN,
    "SmartChargingCtrlr.ProfileStackLevel": INTEGER,
    "SmartChargingCtrlr.RateUnit": Characteristics("MemberList", values_list="A,W"),
    "SmartChargingCtrlr.Phases3to1": BOOLEAN,
    "SmartChargingCtrlr.ACPhaseSwitchingSupported": BOOLEAN,
    "SmartChargingCtrlr.PeriodsPerSchedule": INTEGER,
    "ReservationCtrlr.Enabled": BOOLEAN,
    "ReservationCtrlr.NonEvseSpecific": BOOLEAN,
    "SecurityCtrlr.SecurityProfile": INTEGER,
    "SecurityCtrlr.BasicAuthPassword": STRING,
    "OCPPCommCtrlr.NetworkConfigurationPriority": STRING,
}


# 2.0.1 BasicAuthPassword: passwordString of 16-40 characters.
PASSWORD_LENGTHS = range(16, 41)


def default_variables(config: SimulatorConfig) -> dict[str, ConfigKey]:
    """Return the station-wide variables of a freshly booted 2.x simulator.

    Habit `no_phase_switching`: SmartChargingCtrlr.Phases3to1 false, plus
    ACPhaseSwitchingSupported false.
    """
    version = config.ocpp_version if config.is_v2 else "2.0.1"
    measurands = [m for m in DEFAULT_MEASURANDS if m in MEASURANDS[version]]
    ended = [m for m in DEFAULT_STOP_TXN_MEASURANDS if m in MEASURANDS[version]]
    rw = {
        "OCPPCommCtrlr.HeartbeatInterval": "300",
        "OCPPCommCtrlr.OfflineThreshold": "60",
        "OCPPCommCtrlr.ResetRetries": "3",
        "OCPPCommCtrlr.WebSocketPingInterval": "20",
        "OCPPCommCtrlr.MessageTimeout": format_seconds(config.response_timeout),
        "SampledDataCtrlr.Enabled": "true",
        "SampledDataCtrlr.TxStartedMeasurands": "Energy.Active.Import.Register",
        "SampledDataCtrlr.TxUpdatedInterval": format_seconds(config.meter_interval),
        "SampledDataCtrlr.TxUpdatedMeasurands": ",".join(measurands),
        "SampledDataCtrlr.TxEndedInterval": "0",
        "SampledDataCtrlr.TxEndedMeasurands": ",".join(ended),
        "AlignedDataCtrlr.Enabled": "false",
        "AlignedDataCtrlr.Interval": "0",
        "AlignedDataCtrlr.Measurands": "Energy.Active.Import.Register",
        "TxCtrlr.EVConnectionTimeOut": "60",
        "TxCtrlr.StopTxOnEVSideDisconnect": "true",
        "TxCtrlr.StopTxOnInvalidId": "true",
        "TxCtrlr.TxStartPoint": "Authorized",
        "TxCtrlr.TxStopPoint": "EVConnected,Authorized",
        "AuthCtrlr.Enabled": "true",
        "AuthCtrlr.AuthorizeRemoteStart": "false",
        "AuthCtrlr.LocalAuthorizeOffline": "true",
        "AuthCtrlr.LocalPreAuthorize": "false",
        "AuthCacheCtrlr.Enabled": "true",
        "LocalAuthListCtrlr.Enabled": "true",
        "SmartChargingCtrlr.Enabled": "true",
        "ReservationCtrlr.Enabled": "true",
    }
    ro = {
        "OCPPCommCtrlr.FileTransferProtocols": "HTTP,HTTPS",
        "LocalAuthListCtrlr.Entries": "0",
        "LocalAuthListCtrlr.ItemsPerMessage": "100",
        "LocalAuthListCtrlr.BytesPerMessage": "8000",
        "SmartChargingCtrlr.ProfileStackLevel": "8",
        "SmartChargingCtrlr.RateUnit": "A,W",
        "SmartChargingCtrlr.Phases3to1": "true",
        "SmartChargingCtrlr.PeriodsPerSchedule": "24",
        "ReservationCtrlr.NonEvseSpecific": "false",
        "SecurityCtrlr.SecurityProfile": "1",
    }
    if config.has(Habit.NO_PHASE_SWITCHING):
        ro["SmartChargingCtrlr.Phases3to1"] = "false"
        ro["SmartChargingCtrlr.ACPhaseSwitchingSupported"] = "false"
    variables = {key: ConfigKey(value) for key, value in rw.items()}
    variables.update({key: ConfigKey(value, readonly=True) for key, value in ro.items()})
    variables["SecurityCtrlr.BasicAuthPassword"] = ConfigKey("", writeonly=True)
    variables["OCPPCommCtrlr.NetworkConfigurationPriority"] = ConfigKey("1")
    return variables


@dataclass(frozen=True)
class Item:
    """One variable as reports and Get/SetVariables see it."""

    component: str
    variable: str
    value: str
    readonly: bool
    characteristics: Characteristics
    evse_id: int | None = None
    connector_id: int | None = None
    writeonly: bool = False

    @property
    def key(self) -> str:
        """The `variables` and `reject_keys` key: "Component.Variable"."""
        return f"{self.component}.{self.variable}"

    def component_wire(self) -> dict[str, Any]:
        """The camelCase ComponentType."""
        wire: dict[str, Any] = {"name": self.component}
        if self.evse_id is not None:
            evse: dict[str, Any] = {"id": self.evse_id}
            if self.connector_id is not None:
                evse["connectorId"] = self.connector_id
            wire["evse"] = evse
        return wire

    def report_data(self) -> dict[str, Any]:
        """The camelCase ReportDataType (one Actual attribute)."""
        return {
            "component": self.component_wire(),
            "variable": {"name": self.variable},
            "variableAttribute": [
                {"type": "Actual", "mutability": "WriteOnly"}
                if self.writeonly
                else {
                    "type": "Actual",
                    "value": self.value,
                    "mutability": "ReadOnly" if self.readonly else "ReadWrite",
                }
            ],
            "variableCharacteristics": self.characteristics.to_wire(),
        }


def items(sim: ChargerSimulator) -> list[Item]:
    """Every variable of the device model now: live components first, then the controllers."""
    cfg = sim.config
    version = cfg.ocpp_version if cfg.is_v2 else "2.0.1"
    station = sim.connector(0)
    out = [
        Item(
            "ChargingStation",
            "AvailabilityState",
            availability_state(station.status, station.error_code),
            True,
            AVAILABILITY,
        ),
        Item("ChargingStation", "Available", "true", True, BOOLEAN),
        Item("ChargingStation", "Model", cfg.model, True, STRING),
        Item("ChargingStation", "VendorName", cfg.vendor, True, STRING),
        Item("ChargingStation", "SerialNumber", cfg.serial_number, True, STRING),
        Item("ChargingStation", "SupplyPhases", str(cfg.phases), True, INTEGER),
    ]
    max_power = cfg.phases * cfg.voltage * cfg.max_current
    for n in sim.connector_ids():
        conn = sim.connector(n)
        state = connector_status(conn.status, conn.error_code)
        power = Characteristics("decimal", unit="W", max_limit=max_power)
        out += [
            Item("EVSE", "AvailabilityState", state, True, AVAILABILITY, n),
            Item("EVSE", "Available", "true", True, BOOLEAN, n),
            Item("EVSE", "Power", f"{conn.power_w():.1f}", True, power, n),
            Item("EVSE", "SupplyPhases", str(cfg.phases), True, INTEGER, n),
            Item("Connector", "AvailabilityState", state, True, AVAILABILITY, n, 1),
            Item("Connector", "Available", "true", True, BOOLEAN, n, 1),
            Item("Connector", "ConnectorType", "cType2", True, STRING, n, 1),
            Item("Connector", "SupplyPhases", str(cfg.phases), True, INTEGER, n, 1),
        ]
    for key, entry in sim.variables.items():
        component, _, variable = key.partition(".")
        out.append(
            Item(
                component,
                variable,
                entry.value,
                entry.readonly,
                characteristics(key, version),
                writeonly=entry.writeonly,
            )
        )
    return out


def _component_matches(item: Item, component: dict[str, Any]) -> bool:
    """True if a (snake_cased) requested ComponentType names the item's component."""
    if str(component.get("name", "")).lower() != item.component.lower():
        return False
    if component.get("instance") is not None:
        return False
    evse = component.get("evse")
    if item.evse_id is None:
        return evse is None
    if evse is None:
        return False
    if int(evse.get("id", -1)) != item.evse_id:
        return False
    wanted = evse.get("connector_id")
    return wanted is None or item.connector_id is None or int(wanted) == item.connector_id


def find(
    sim: ChargerSimulator, component: dict[str, Any], variable: dict[str, Any]
) -> tuple[str, Item | None]:
    """Look a requested component/variable up.

    Returns ("Accepted", item), ("UnknownComponent", None) or ("UnknownVariable", None).
    """
    candidates = [item for item in items(sim) if _component_matches(item, component)]
    if not candidates:
        return "UnknownComponent", None
    name = str(variable.get("name", "")).lower()
    for item in candidates:
        if item.variable.lower() == name and variable.get("instance") is None:
            return "Accepted", item
    return "UnknownVariable", None


def report(sim: ChargerSimulator, report_base: str) -> list[dict[str, Any]]:
    """ReportData for GetBaseReport: Full, Configuration (writable only) or Summary inventory."""
    chosen = items(sim)
    if report_base == "ConfigurationInventory":
        chosen = [item for item in chosen if not item.readonly]
    elif report_base == "SummaryInventory":
        chosen = [item for item in chosen if item.variable == "AvailabilityState"]
    return [item.report_data() for item in chosen]


def _valid(sim: ChargerSimulator, key: str, value: str) -> str | None:
    """The value to store for `key`, or None when it is not acceptable."""
    version = sim.config.ocpp_version if sim.config.is_v2 else "2.0.1"
    kind = characteristics(key, version)
    match kind.data_type:
        case "integer":
            try:
                number = int(value.strip())
            except ValueError:
                return None
            return str(number) if number >= 0 else None
        case "boolean":
            lowered = value.strip().lower()
            return lowered if lowered in {"true", "false"} else None
        case "MemberList" | "SequenceList":
            members = [item.strip() for item in value.split(",") if item.strip()]
            allowed = set((kind.values_list or "").split(","))
            if key.endswith("Measurands"):
                # Any measurand of the version is accepted; those without a model are skipped.
                allowed = set(MEASURANDS[version])
            return ",".join(members) if all(m in allowed for m in members) else None
        case _:
            return value


def _apply(sim: ChargerSimulator, key: str, value: str) -> None:
    """Make a changed variable take effect on the simulator's behaviour."""
    match key:
        case "OCPPCommCtrlr.HeartbeatInterval":
            sim.set_heartbeat_interval(float(value))
        case "SampledDataCtrlr.TxUpdatedInterval":
            sim.set_meter_interval(float(value))
        case "SampledDataCtrlr.TxUpdatedMeasurands":
            sim.measurands = [m for m in value.split(",") if m]
        case "SampledDataCtrlr.TxEndedMeasurands":
            sim.stop_txn_measurands = [m for m in value.split(",") if m]
        case "AuthCtrlr.AuthorizeRemoteStart":
            sim.authorize_remote_tx = value == "true"
        case _:
            pass


def _set_priority(sim: ChargerSimulator, value: str) -> str:
    """A new slot order: the first slot's profile takes over at the next restart (B09/A05)."""
    slots = [slot.strip() for slot in value.split(",") if slot.strip()]
    if not slots or not all(slot.isdigit() for slot in slots):
        return "Rejected"
    first = sim.network_profiles.get(int(slots[0]))
    if first is None and slots[0] != "1":
        return "Rejected"
    sim.variables["OCPPCommCtrlr.NetworkConfigurationPriority"].value = ",".join(slots)
    if first is not None:
        sim.pending_network = first
        sim.pending_security_profile = int(first["security_profile"])
    return "RebootRequired"


def set_variable(
    sim: ChargerSimulator,
    component: dict[str, Any],
    variable: dict[str, Any],
    value: str,
    attribute_type: str | None,
) -> str:
    """Apply one SetVariableData and return its SetVariableStatusEnumType.

    Read-only variables, keys in `sim.reject_keys` ("Component.Variable") and malformed values
    are Rejected. Keys in `sim.reboot_required_keys` store the value but answer
    RebootRequired: it takes effect at the next reboot (`ChargerSimulator.restart_state`).
    """
    status, item = find(sim, component, variable)
    if item is None:
        return status
    if attribute_type not in {None, "Actual"}:
        return "NotSupportedAttributeType"
    if item.readonly or item.key in sim.reject_keys:
        return "Rejected"
    if item.key == "SecurityCtrlr.BasicAuthPassword":
        # 2.0.1 A01: the charger reconnects with the new password (after the answer).
        if len(value) not in PASSWORD_LENGTHS:
            return "Rejected"
        sim.password = value
        sim.credentials_changed = True
        return "Accepted"
    if item.key == "OCPPCommCtrlr.NetworkConfigurationPriority":
        return _set_priority(sim, value)
    stored = _valid(sim, item.key, value)
    if stored is None:
        return "Rejected"
    sim.variables[item.key].value = stored
    if item.key in sim.reboot_required_keys:
        key = item.key
        sim.after_reboot.append(lambda: _apply(sim, key, stored))
        return "RebootRequired"
    _apply(sim, item.key, stored)
    return "Accepted"
