"""Diagnostics: the model of every charger, as the central system sees it, and its frames.

Secrets and what identifies people are redacted: SIM identifiers, id tags (RFID cards),
network addresses, passwords, keys and certificates, also inside the recorded OCPP frames.
Serial numbers are kept: support needs them.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, Final

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntry

from . import OcppConfigEntry
from .central import CentralSystem
from .const import CONF_TRANSFER_URL, DOMAIN
from .model import Charger, Transaction
from .redaction import REDACTED, is_secret_setting, redact_frame
from .validation import safe_text

TO_REDACT: Final = {
    "iccid",
    "imsi",
    "id_tag",
    "remote_address",
    CONF_TRANSFER_URL,
}
# 2.x carries an id token as {"idToken": "...", "type": ...}: the value is the string above.


def _asdict(transaction: Transaction | None) -> dict[str, Any] | None:
    return None if transaction is None else asdict(transaction)


def _charger(charger: Charger, connected_version: str | None) -> dict[str, Any]:
    return {
        "info": async_redact_data(
            {k: getattr(charger.info, k) for k in charger.info.__dataclass_fields__}, TO_REDACT
        ),
        "ocpp_version": charger.ocpp_version,
        "connected": charger.connected,
        "session_version": connected_version,
        "remote_address": charger.remote_address,
        "last_boot": charger.last_boot,
        "last_heartbeat": charger.last_heartbeat,
        "feature_profiles": sorted(charger.feature_profiles),
        "configuration": {
            key: {
                "value": REDACTED if is_secret_setting(key) else value.value,
                "readonly": value.readonly,
            }
            for key, value in sorted(charger.configuration.items())
        },
        "connectors": {
            connector_id: {
                "status": connector.status,
                "error_code": connector.error_code,
                "vendor_error_code": connector.vendor_error_code,
                "info": connector.info,
                "energy_wh": connector.energy.value_wh,
                "current_limit": asdict(connector.limit),
                "desired": asdict(connector.desired),
                "solar": None if connector.solar is None else asdict(connector.solar),
                "transaction": _asdict(connector.transaction),
                "last_transaction": _asdict(connector.last_transaction),
                "readings": [
                    {
                        "measurand": sample.measurand,
                        "phase": sample.phase,
                        "location": sample.location,
                        "context": sample.context,
                        "value": sample.value,
                        "unit": sample.unit,
                        "timestamp": sample.timestamp,
                    }
                    for sample in connector.readings.values()
                ],
            }
            for connector_id, connector in sorted(charger.connectors.items())
        },
        "data_transfers": [asdict(record) for record in charger.data_transfers],
        "limits": asdict(charger.limits),
        "boots": {"count": charger.boot_count, "last_reason": charger.boot_reason},
        "firmware": asdict(charger.firmware),
        "uploads": asdict(charger.logs),
        "faults": [asdict(fault) for fault in charger.faults],
        # The profile, never the password digests.
        "security": {
            "required": charger.security.required,
            "proven": charger.security.proven,
            "last_profile": charger.security.last_profile,
            "has_password": charger.security.password is not None,
        },
        "frames": _frames(charger),
    }


def _frames(charger: Charger) -> list[dict[str, str]]:
    """The charger's last frames, oldest first, with secrets redacted."""
    return [
        {
            "time": datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds"),
            "direction": direction,
            "frame": redact_frame(safe_text(text, 4096)),
        }
        for at, direction, text in charger.frames
    ]


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: OcppConfigEntry
) -> dict[str, Any]:
    """Return diagnostics of a central system."""
    central = entry.runtime_data
    return {
        "entry": async_redact_data(
            {"data": dict(entry.data), "options": dict(entry.options)}, TO_REDACT
        ),
        "chargers": {
            charge_point_id: _redacted_charger(central, charger)
            for charge_point_id, charger in sorted(central.chargers.items())
        },
        "waiting_for_approval": sorted(
            charge_point_id
            for charge_point_id in central.sessions
            if charge_point_id not in central.chargers
        ),
    }


def _redacted_charger(central: CentralSystem, charger: Charger) -> dict[str, Any]:
    session = central.sessions.get(charger.charge_point_id)
    data = _charger(charger, session.adapter.ocpp_version if session else None)
    return dict(async_redact_data(data, TO_REDACT))


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: OcppConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    """Return diagnostics of one charger (a connector device shows its charger)."""
    central = entry.runtime_data
    for domain, identifier in device.identifiers:
        if domain != DOMAIN:
            continue
        charge_point_id = identifier
        if charge_point_id not in central.chargers:
            charge_point_id = identifier.rpartition("-")[0]
        if (charger := central.chargers.get(charge_point_id)) is not None:
            return {"charger": _redacted_charger(central, charger)}
    return {"charger": None}
