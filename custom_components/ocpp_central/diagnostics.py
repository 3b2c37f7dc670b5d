"""Diagnostics: the model of every charger, as the central system sees it."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from . import OcppConfigEntry
from .model import Charger, Transaction

# SIM identifiers identify a person's contract; serial numbers are kept (support needs them).
TO_REDACT = {"iccid", "imsi"}


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
            key: {"value": value.value, "readonly": value.readonly}
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
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: OcppConfigEntry
) -> dict[str, Any]:
    """Return diagnostics of a central system."""
    central = entry.runtime_data
    return {
        "entry": {"data": dict(entry.data), "options": dict(entry.options)},
        "chargers": {
            charge_point_id: _charger(
                charger,
                central.sessions[charge_point_id].adapter.ocpp_version
                if charge_point_id in central.sessions
                else None,
            )
            for charge_point_id, charger in sorted(central.chargers.items())
        },
        "waiting_for_approval": sorted(
            charge_point_id
            for charge_point_id in central.sessions
            if charge_point_id not in central.chargers
        ),
    }
