"""Actions on the session history: list sessions (with totals) and export them (CSV, OCPI CDR).

They work with the charger connected or not: the history is Home Assistant's own record.
Without a device they cover every charger of every central system.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Final

from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .central import CentralSystem
from .const import DOMAIN
from .history import (
    CONF_HOME_CHARGING_COMPENSATION,
    EXPORT_FOLDER,
    SessionFilter,
    SessionRecord,
    to_csv,
    write_export,
)
from .ocpi import site_of
from .ocpi_objects import cdrs_json
from .services_schema import validation_error

SERVICE_LIST_SESSIONS: Final = "list_sessions"
SERVICE_EXPORT_SESSIONS: Final = "export_sessions"
ATTR_START: Final = "start"
ATTR_END: Final = "end"
ATTR_ID_TAG: Final = "id_tag"
ATTR_PERSON: Final = "person"
ATTR_FORMAT: Final = "format"
FORMAT_CSV: Final = "csv"
FORMAT_CDR: Final = "cdr"

_FILTER_FIELDS: Final[dict[vol.Marker, Any]] = {
    vol.Optional(ATTR_DEVICE_ID): cv.string,
    vol.Optional(ATTR_START): cv.datetime,
    vol.Optional(ATTR_END): cv.datetime,
    vol.Optional(ATTR_ID_TAG): cv.string,
    vol.Optional(ATTR_PERSON): cv.entity_id,
}
LIST_SCHEMA: Final = vol.Schema(_FILTER_FIELDS)
EXPORT_SCHEMA: Final = vol.Schema(
    {**_FILTER_FIELDS, vol.Required(ATTR_FORMAT): vol.In([FORMAT_CSV, FORMAT_CDR])}
)


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt_util.get_default_time_zone())


def _selection(call: ServiceCall) -> tuple[list[tuple[CentralSystem, SessionFilter]], str | None]:
    """The central systems to read and the filter; a device narrows both to its charger."""
    charge_point_id = None
    entries = call.hass.config_entries.async_loaded_entries(DOMAIN)
    if (device_id := call.data.get(ATTR_DEVICE_ID)) is not None:
        device = dr.async_get(call.hass).async_get(device_id)
        identifiers = [] if device is None else [i for d, i in device.identifiers if d == DOMAIN]
        if device is None or not identifiers:
            raise validation_error("device_not_found", device_id=device_id)
        entries = [entry for entry in entries if entry.entry_id in device.config_entries]
        # A connector's device (<id>-<n>) stands for its charger (a history outlives it).
        identifier = identifiers[0]
        known = {cpid for entry in entries for cpid in entry.runtime_data.chargers}
        charge_point_id = (
            identifier if identifier in known else identifier.rpartition("-")[0] or identifier
        )
    selection = SessionFilter(
        start=_aware(call.data.get(ATTR_START)),
        end=_aware(call.data.get(ATTR_END)),
        charge_point_id=charge_point_id,
        id_tag=call.data.get(ATTR_ID_TAG),
        person=call.data.get(ATTR_PERSON),
    )
    return [(entry.runtime_data, selection) for entry in entries], charge_point_id


def _records(call: ServiceCall) -> list[tuple[CentralSystem, SessionRecord]]:
    chosen, _charger = _selection(call)
    found = [
        (central, record)
        for central, selection in chosen
        for record in central.history.sessions(selection)
    ]
    found.sort(key=lambda item: item[1].started_at)
    return found


def _totals(records: list[SessionRecord]) -> dict[str, Any]:
    costs = [record.cost for record in records if record.cost is not None]
    return {
        "count": len(records),
        "energy_kwh": round(sum(record.energy_kwh for record in records), 3),
        "cost": round(sum(costs), 2) if costs else None,
    }


def _listed(record: SessionRecord) -> dict[str, Any]:
    """A session as the list action answers it: its summary, and whether it is signed."""
    return {**record.summary(), "signed": bool(record.signed_readings)}


async def _list_sessions(call: ServiceCall) -> ServiceResponse:
    """The sessions in a period, with totals overall and per card."""
    records = [record for _central, record in _records(call)]
    by_tag: dict[str, list[SessionRecord]] = {}
    for record in records:
        by_tag.setdefault(record.tag_name or record.id_tag or "-", []).append(record)
    return {
        "sessions": [_listed(record) for record in records],
        "totals": {**_totals(records), "currency": call.hass.config.currency},
        "by_card": {name: _totals(group) for name, group in sorted(by_tag.items())},
    }


async def _export_sessions(call: ServiceCall) -> ServiceResponse:
    """Write the sessions as CSV or OCPI CDR JSON under <config>/ocpp_central/exports/."""
    hass = call.hass
    found = _records(call)
    records = [record for _central, record in found]
    stamp = dt_util.now().strftime("%Y%m%d-%H%M%S")
    if call.data[ATTR_FORMAT] == FORMAT_CSV:
        name, text = f"sessions-{stamp}.csv", to_csv(records)
    else:
        compensated = any(
            central.entry.options.get(CONF_HOME_CHARGING_COMPENSATION, False)
            for central, _record in found
        )
        # One home: the site (party id, coordinates) of the first central system chosen.
        chosen, _charger = _selection(call)
        name = f"cdrs-{stamp}.json"
        text = (
            cdrs_json(records, site_of(chosen[0][0]), compensated=compensated) if chosen else "[]"
        )
    folder = Path(hass.config.path(EXPORT_FOLDER))
    path = await hass.async_add_executor_job(write_export, folder, name, text)
    return {"path": str(path), "count": len(records)}


def async_setup_history_services(hass: HomeAssistant) -> None:
    """Register the history actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_LIST_SESSIONS,
        _list_sessions,
        schema=LIST_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_EXPORT_SESSIONS,
        _export_sessions,
        schema=EXPORT_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
