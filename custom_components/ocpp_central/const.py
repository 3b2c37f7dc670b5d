"""Constants for OCPP Central."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "ocpp_central"
LOGGER: Final = logging.getLogger(__package__)

# Config entry data (the central system's listening socket).
CONF_HOST: Final = "host"
CONF_PORT: Final = "port"
DEFAULT_HOST: Final = "0.0.0.0"
DEFAULT_PORT: Final = 9000

# Options.
CONF_AUTO_ACCEPT: Final = "auto_accept"
CONF_HEARTBEAT_INTERVAL: Final = "heartbeat_interval"
CONF_METER_INTERVAL: Final = "meter_interval"
CONF_MEASURANDS: Final = "measurands"
CONF_OCPP_VERSION: Final = "ocpp_version"
CONF_ID_TAG: Final = "id_tag"
CONF_MAX_CURRENT: Final = "max_current"
CONF_LIMIT_INTERVAL: Final = "limit_interval"
CONF_FAILSAFE_CURRENT: Final = "failsafe_current"
CONF_GRID_SENSOR: Final = "grid_power_sensor"
CONF_BATTERY_POWER_SENSOR: Final = "battery_power_sensor"
CONF_BATTERY_SOC_SENSOR: Final = "battery_soc_sensor"
CONF_BATTERY_PRIORITY_SOC: Final = "battery_priority_soc"
CONF_SOLAR_ENABLE_DELAY: Final = "solar_enable_delay"
CONF_SOLAR_DISABLE_DELAY: Final = "solar_disable_delay"
CONF_PHASE_SWITCHING: Final = "phase_switching"
CONF_PHASE_SWITCH_DELAY: Final = "phase_switch_delay"
# How many phases the installation feeds the chargers: "auto" learns it from the charger's
# per-phase readings (three when it reports none); "1" or "3" says it.
CONF_INSTALLATION_PHASES: Final = "installation_phases"
INSTALLATION_PHASES_AUTO: Final = "auto"
INSTALLATION_PHASES_CHOICES: Final = (INSTALLATION_PHASES_AUTO, "1", "3")
CONF_PHASE_SWITCH_INTERVAL: Final = "phase_switch_interval"
# A switch between 1 and 3 phases waits two minutes for the surplus to hold, and at most one
# happens per ten minutes: contactors wear, and some cars stop charging after a few switches.
DEFAULT_PHASE_SWITCH_DELAY: Final = 120
DEFAULT_PHASE_SWITCH_INTERVAL: Final = 600
# Start after a minute of surplus, stop after three minutes without: clouds pass, sunsets do not.
DEFAULT_SOLAR_ENABLE_DELAY: Final = 60
DEFAULT_SOLAR_DISABLE_DELAY: Final = 180
# The id tag remote starts use; chargers show it in their session logs.
DEFAULT_ID_TAG: Final = "HomeAssistant"
# A common 11 kW wallbox; users with 22 kW or a smaller fuse set their own.
DEFAULT_MAX_CURRENT: Final = 16
# Chargers write profiles to flash: one write per 15 s is gentle and still follows the sun.
DEFAULT_LIMIT_INTERVAL: Final = 15
# 0: no failsafe profile unless the user asks for one.
DEFAULT_FAILSAFE_CURRENT: Final = 0
# Caps on what the network can make us create (options). A wallbox has 1-2 connectors and
# the largest chargers a handful of EVSEs; 16 leaves room without letting one charger mint
# hundreds of devices.
CONF_MAX_CONNECTORS: Final = "max_connectors"
DEFAULT_MAX_CONNECTORS: Final = 16
# Discovery cards open at once; further unknown chargers wait (Pending) until one is resolved.
CONF_MAX_PENDING_CHARGERS: Final = "max_pending_chargers"
DEFAULT_MAX_PENDING_CHARGERS: Final = 10
# Websocket connections from one address (0: no limit). A home has one or two wallboxes per
# address; loopback is never limited, because a TLS proxy or add-on on the Home Assistant host
# itself forwards every charger from there.
CONF_MAX_CONNECTIONS_PER_ADDRESS: Final = "max_connections_per_address"
DEFAULT_MAX_CONNECTIONS_PER_ADDRESS: Final = 16
# "auto": the newest version the charger offers; otherwise only that version is accepted.
OCPP_VERSION_AUTO: Final = "auto"
# The options form names the versions with slugs (translation keys may not contain dots);
# the stored option keeps the version number.
OCPP_VERSION_FORM_CHOICES: Final = {
    OCPP_VERSION_AUTO: OCPP_VERSION_AUTO,
    "ocpp_2_1": "2.1",
    "ocpp_2_0_1": "2.0.1",
    "ocpp_1_6": "1.6",
}

# A charger's heartbeat is its only proof of life when idle; 5 minutes is what most vendors
# ship and keeps idle traffic negligible.
DEFAULT_HEARTBEAT_INTERVAL: Final = 300
# 60 s sampled data gives a smooth power graph without flooding the recorder.
DEFAULT_METER_INTERVAL: Final = 60
DEFAULT_AUTO_ACCEPT: Final = False
DEFAULT_MEASURANDS: Final = (
    "Energy.Active.Import.Register",
    "Power.Active.Import",
    "Current.Import",
    "Current.Offered",
    "Voltage",
    "SoC",
    "Temperature",
)
# Every measurand OCPP 1.6 defines; the options form offers these.
ALL_MEASURANDS: Final = (
    "Energy.Active.Import.Register",
    "Energy.Active.Export.Register",
    "Energy.Reactive.Import.Register",
    "Energy.Reactive.Export.Register",
    "Energy.Active.Import.Interval",
    "Energy.Active.Export.Interval",
    "Energy.Reactive.Import.Interval",
    "Energy.Reactive.Export.Interval",
    "Power.Active.Import",
    "Power.Active.Export",
    "Power.Reactive.Import",
    "Power.Reactive.Export",
    "Power.Offered",
    "Power.Factor",
    "Current.Import",
    "Current.Export",
    "Current.Offered",
    "Voltage",
    "Frequency",
    "Temperature",
    "SoC",
    "RPM",
)

# Charger ids are the last URL path segment; OCPP 1.6 caps chargeBoxIdentity at 48 characters
# (CiString48), and 2.0.1 station ids likewise.
MAX_CHARGE_POINT_ID_LENGTH: Final = 48
# OCPP frames from real chargers are a few KiB at most; larger ones are refused with a CALLERROR
# so a hostile or broken client cannot make us parse megabytes.
MAX_FRAME_BYTES: Final = 65536
# Hard websocket limit: above this the socket is closed (1009) without reading the frame.
MAX_WEBSOCKET_MESSAGE_BYTES: Final = 1024 * 1024
# How long an outgoing call waits for the charger's answer.
CALL_TIMEOUT: Final = 30.0

# Limits of each charger connection (options of the Connection section).
CONF_MAX_FRAME_KB: Final = "max_frame_kb"
DEFAULT_MAX_FRAME_KB: Final = MAX_FRAME_BYTES // 1024
CONF_MAX_MESSAGE_RATE: Final = "max_messages_per_second"
# A charger sends a few messages a second at most (a session start, an offline replay waits
# for each answer); more is a flood, slowed down rather than dropped.
DEFAULT_MAX_MESSAGE_RATE: Final = 20
CONF_IDLE_TIMEOUT: Final = "idle_timeout"
# 0: automatic, twice the heartbeat interval plus a minute.
DEFAULT_IDLE_TIMEOUT: Final = 0
CONF_CALL_TIMEOUT: Final = "call_timeout"

# Event fired for every DataTransfer a charger sends.
EVENT_DATA_TRANSFER: Final = f"{DOMAIN}_data_transfer"
# Events fired when a charging session starts and ends (also device triggers).
EVENT_SESSION_STARTED: Final = f"{DOMAIN}_session_started"
EVENT_SESSION_STOPPED: Final = f"{DOMAIN}_session_stopped"
# Where chargers reach Home Assistant for firmware downloads and log uploads (default: HA's
# internal URL), and the largest upload taken (MB).
CONF_TRANSFER_URL: Final = "transfer_url"
CONF_MAX_UPLOAD_MB: Final = "max_upload_mb"
DEFAULT_MAX_UPLOAD_MB: Final = 50
# Events of firmware updates and received diagnostics files.
EVENT_FIRMWARE_STATUS: Final = f"{DOMAIN}_firmware_status"
EVENT_LOG_RECEIVED: Final = f"{DOMAIN}_log_received"
EVENT_SECURITY_EVENT: Final = f"{DOMAIN}_security_event"
# Event fired when a card (id tag) is presented, with the decision.
EVENT_CARD: Final = f"{DOMAIN}_card"
# Event fired when a charger raises or clears a fault (also device triggers).
EVENT_FAULT: Final = f"{DOMAIN}_fault"
# Event fired when an approved charger boots (after a restart, a power cut, new firmware).
EVENT_CHARGER_BOOTED: Final = f"{DOMAIN}_charger_booted"

# The TLS port (security profiles 2 and 3; 0: none), its lowest TLS version, and the user's
# own certificate and key files (empty: the local certificate authority's).
CONF_TLS_PORT: Final = "tls_port"
CONF_TLS_MIN_VERSION: Final = "tls_min_version"
CONF_TLS_CERTIFICATE: Final = "tls_certificate"
CONF_TLS_KEY: Final = "tls_key"

# A register reading this old on arrival came late (replayed after an outage): its hour of the
# long-term energy statistics is corrected (energy_statistics).
LATE_READING_AFTER: Final = timedelta(minutes=5)
