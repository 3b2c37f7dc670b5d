"""OCPP 1.6 configuration keys of the simulator and the rules for changing them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.config import (
    DEFAULT_MEASURANDS,
    DEFAULT_STOP_TXN_MEASURANDS,
    ConfigKey,
    SimulatorConfig,
    format_seconds,
)
from simulator.habits import Habit

if TYPE_CHECKING:
    from simulator.charger import ChargerSimulator

# The 1.6 Measurand enumeration (schemas/MeterValues.json); *SampledData keys take a CSL of these.
MEASURANDS = frozenset(
    {
        "Energy.Active.Export.Register",
        "Energy.Active.Import.Register",
        "Energy.Reactive.Export.Register",
        "Energy.Reactive.Import.Register",
        "Energy.Active.Export.Interval",
        "Energy.Active.Import.Interval",
        "Energy.Reactive.Export.Interval",
        "Energy.Reactive.Import.Interval",
        "Power.Active.Export",
        "Power.Active.Import",
        "Power.Offered",
        "Power.Reactive.Export",
        "Power.Reactive.Import",
        "Power.Factor",
        "Current.Import",
        "Current.Export",
        "Current.Offered",
        "Voltage",
        "Frequency",
        "Temperature",
        "SoC",
        "RPM",
    }
)

FEATURE_PROFILES = (
    "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger"
)

INTEGER_KEYS = frozenset(
    {
        "HeartbeatInterval",
        "MeterValueSampleInterval",
        "ClockAlignedDataInterval",
        "ConnectionTimeOut",
        "ResetRetries",
        "TransactionMessageAttempts",
        "TransactionMessageRetryInterval",
        "WebSocketPingInterval",
        "MinimumStatusDuration",
        "SecurityProfile",
    }
)
BOOLEAN_KEYS = frozenset(
    {
        "AuthorizeRemoteTxRequests",
        "AuthorizationCacheEnabled",
        "LocalAuthorizeOffline",
        "LocalPreAuthorize",
        "LocalAuthListEnabled",
        "StopTransactionOnEVSideDisconnect",
        "StopTransactionOnInvalidId",
        "UnlockConnectorOnEVSideDisconnect",
    }
)
MEASURAND_KEYS = frozenset(
    {
        "MeterValuesSampledData",
        "MeterValuesAlignedData",
        "StopTxnSampledData",
        "StopTxnAlignedData",
    }
)


def default_configuration(config: SimulatorConfig) -> dict[str, ConfigKey]:
    """Return the 1.6 configuration keys of a freshly booted simulator.

    Read-only flags follow the accessibility column of the 1.6 specification (section 9).
    Habit `no_phase_switching`: ConnectorSwitch3to1PhaseSupported is false.
    """
    rw = {
        "HeartbeatInterval": "300",
        "MeterValueSampleInterval": format_seconds(config.meter_interval),
        "MeterValuesSampledData": ",".join(DEFAULT_MEASURANDS),
        "ClockAlignedDataInterval": "0",
        "MeterValuesAlignedData": "Energy.Active.Import.Register",
        "StopTxnSampledData": ",".join(DEFAULT_STOP_TXN_MEASURANDS),
        "StopTxnAlignedData": "",
        "AuthorizeRemoteTxRequests": "false",
        "AuthorizationCacheEnabled": "true",
        "ConnectionTimeOut": "60",
        "LocalAuthorizeOffline": "true",
        "LocalPreAuthorize": "false",
        "LocalAuthListEnabled": "true",
        "ResetRetries": "3",
        "StopTransactionOnEVSideDisconnect": "true",
        "StopTransactionOnInvalidId": "true",
        "TransactionMessageAttempts": "3",
        "TransactionMessageRetryInterval": "60",
        "UnlockConnectorOnEVSideDisconnect": "true",
        "WebSocketPingInterval": "20",
        "MinimumStatusDuration": "0",
    }
    ro = {
        "NumberOfConnectors": str(config.connectors),
        "SupportedFeatureProfiles": (
            FEATURE_PROFILES.removesuffix(",RemoteTrigger")
            if config.has(Habit.NO_TRIGGER_MESSAGE)
            else FEATURE_PROFILES
        ),
        "GetConfigurationMaxKeys": "100",
        "MeterValuesSampledDataMaxLength": str(len(MEASURANDS)),
        "StopTxnSampledDataMaxLength": str(len(MEASURANDS)),
        "ChargeProfileMaxStackLevel": "8",
        "ChargingScheduleAllowedChargingRateUnit": "Current,Power",
        "ConnectorSwitch3to1PhaseSupported": str(not config.has(Habit.NO_PHASE_SWITCHING)).lower(),
        "ChargingScheduleMaxPeriods": "24",
        "MaxChargingProfilesInstalled": "8",
        "LocalAuthListMaxLength": "100",
        "SendLocalListMaxLength": "100",
        "ReserveConnectorZeroSupported": "false",
    }
    rw["SecurityProfile"] = str(config.security_profile)
    keys = {key: ConfigKey(value) for key, value in rw.items()}
    keys["AuthorizationKey"] = ConfigKey("", writeonly=True)
    keys.update({key: ConfigKey(value, readonly=True) for key, value in ro.items()})
    return keys


def canonical_key(configuration: dict[str, ConfigKey], key: str) -> str | None:
    """Return the stored spelling of `key`; keys are CiString50, so case-insensitive."""
    if key in configuration:
        return key
    lowered = key.lower()
    return next((name for name in configuration if name.lower() == lowered), None)


def parse_csl(value: str) -> list[str]:
    """Split a comma-separated list as 1.6 configuration values use them."""
    return [item.strip() for item in value.split(",") if item.strip()]


def _normalise(key: str, value: str) -> str | None:
    """Return the value to store for `key`, or None when the value is invalid for it."""
    if key in INTEGER_KEYS:
        try:
            number = int(value.strip())
        except ValueError:
            return None
        return str(number) if number >= 0 else None
    if key in BOOLEAN_KEYS:
        lowered = value.strip().lower()
        return lowered if lowered in {"true", "false"} else None
    if key in MEASURAND_KEYS:
        items = parse_csl(value)
        return ",".join(items) if all(item in MEASURANDS for item in items) else None
    return value


def _apply(sim: ChargerSimulator, key: str, value: str) -> None:
    """Make a changed key take effect on the simulator's behaviour."""
    match key:
        case "HeartbeatInterval":
            sim.set_heartbeat_interval(float(value))
        case "MeterValueSampleInterval":
            sim.set_meter_interval(float(value))
        case "MeterValuesSampledData":
            sim.measurands = parse_csl(value)
        case "StopTxnSampledData":
            sim.stop_txn_measurands = parse_csl(value)
        case "AuthorizeRemoteTxRequests":
            sim.authorize_remote_tx = value == "true"
        case _:
            pass


HIGHEST_SECURITY_PROFILE = 3
_SECURITY_KEYS = frozenset({"AuthorizationKey", "SecurityProfile"})
# AuthorizationKey: 16-20 bytes, hex encoded (1.6 security whitepaper).
_KEY_HEX_DIGITS = range(32, 41, 2)


def _change_security(sim: ChargerSimulator, name: str, value: str) -> str:
    """The 1.6 security whitepaper's keys.

    A new AuthorizationKey is the password from now on: a charger on profile 1 or higher
    reconnects with it at once. SecurityProfile can only rise and takes effect at the next
    restart.
    """
    if name == "AuthorizationKey":
        try:
            password = bytes.fromhex(value).decode() if len(value) in _KEY_HEX_DIGITS else None
        except ValueError:
            password = None
        if password is None:
            return "Rejected"
        sim.password = password
        sim.credentials_changed = sim.security_profile >= 1
        return "Accepted"
    try:
        profile = int(value)
    except ValueError:
        return "Rejected"
    if profile not in range(sim.security_profile, HIGHEST_SECURITY_PROFILE + 1):
        return "Rejected"
    sim.configuration[name].value = str(profile)
    sim.pending_security_profile = profile
    return "Accepted"


def change_configuration(sim: ChargerSimulator, key: str, value: str) -> str:
    """Apply ChangeConfiguration.req and return its ConfigurationStatus.

    Unknown keys are NotSupported, read-only keys, keys in `sim.reject_keys` and malformed
    values Rejected (the 1.6 answer for "value not acceptable"). Keys in
    `sim.reboot_required_keys` store the value but answer RebootRequired: it takes effect at
    the next reboot (`ChargerSimulator.restart_state`).
    """
    name = canonical_key(sim.configuration, key)
    if name is None:
        return "NotSupported"
    entry = sim.configuration[name]
    if entry.readonly or name in sim.reject_keys or key in sim.reject_keys:
        return "Rejected"
    if name in _SECURITY_KEYS:
        return _change_security(sim, name, value)
    normalised = _normalise(name, value)
    if normalised is None:
        return "Rejected"
    entry.value = normalised
    if name in sim.reboot_required_keys or key in sim.reboot_required_keys:
        sim.after_reboot.append(lambda: _apply(sim, name, normalised))
        return "RebootRequired"
    _apply(sim, name, normalised)
    return "Accepted"
