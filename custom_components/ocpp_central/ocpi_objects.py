"""OCPI 2.2.1 objects of a home charging site, built from the model (CPO role, read only).

One Location per central system (Home Assistant's home: its name, coordinates, time zone),
an EVSE per connector with its live status, the running sessions, the finished sessions as
CDRs (`cdr`) and the tariff. Times are UTC with a Z; field rules follow the
OCPI 2.2.1 specification (string lengths, enumerations).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
import json
from typing import Any, Final

from homeassistant.util import dt as dt_util

from .history import SessionRecord
from .model import Charger, Connector, ConnectorStatus, SignedReading, Transaction

VERSION: Final = "2.2.1"
# OCPI status codes (part 4 "Status codes").
SUCCESS: Final = 1000
CLIENT_ERROR: Final = 2000
INVALID_PARAMETERS: Final = 2001
UNKNOWN_LOCATION: Final = 2003
# Page size when the platform asks for none, and the most we send at once.
DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 100

# OCPI wants a location's country as ISO 3166-1 alpha-3; Home Assistant knows alpha-2.
ALPHA_3: Final = {
    "AT": "AUT",
    "BE": "BEL",
    "CH": "CHE",
    "CZ": "CZE",
    "DE": "DEU",
    "DK": "DNK",
    "EE": "EST",
    "ES": "ESP",
    "FI": "FIN",
    "FR": "FRA",
    "GB": "GBR",
    "HU": "HUN",
    "IE": "IRL",
    "IS": "ISL",
    "IT": "ITA",
    "LT": "LTU",
    "LU": "LUX",
    "LV": "LVA",
    "NL": "NLD",
    "NO": "NOR",
    "PL": "POL",
    "PT": "PRT",
    "SE": "SWE",
    "SI": "SVN",
    "SK": "SVK",
    "US": "USA",
    "CA": "CAN",
    "AU": "AUS",
    "NZ": "NZL",
}
_EVSE_STATUS: Final = {
    ConnectorStatus.AVAILABLE: "AVAILABLE",
    ConnectorStatus.PREPARING: "CHARGING",
    ConnectorStatus.CHARGING: "CHARGING",
    ConnectorStatus.SUSPENDED_EV: "CHARGING",
    ConnectorStatus.SUSPENDED_EVSE: "CHARGING",
    ConnectorStatus.FINISHING: "CHARGING",
    ConnectorStatus.OCCUPIED: "CHARGING",
    ConnectorStatus.RESERVED: "RESERVED",
    ConnectorStatus.UNAVAILABLE: "INOPERATIVE",
    ConnectorStatus.FAULTED: "OUTOFORDER",
}


def ocpi_time(value: datetime) -> str:
    """An OCPI DateTime: UTC, seconds, Z."""
    return dt_util.as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(data: Any, status_code: int = SUCCESS, message: str = "Success") -> dict[str, Any]:
    """The OCPI response format around `data`."""
    body: dict[str, Any] = {
        "status_code": status_code,
        "status_message": message,
        "timestamp": ocpi_time(dt_util.utcnow()),
    }
    if data is not None:
        body["data"] = data
    return body


@dataclass(frozen=True, slots=True)
class Site:
    """Who runs the chargers (OCPI party) and where they are."""

    country_code: str
    party_id: str
    location_id: str
    name: str
    latitude: float
    longitude: float
    time_zone: str
    currency: str


def evse_uid(charger: Charger, connector_id: int) -> str:
    """The EVSE uid of a connector (unique within the site)."""
    return f"{charger.charge_point_id}-{connector_id}"[:36]


def _evse(charger: Charger, connector: Connector, now: datetime) -> dict[str, Any]:
    status = charger.shown_status(connector) if charger.connected else None
    updated = connector.status_received_at or charger.last_boot or now
    return {
        "uid": evse_uid(charger, connector.connector_id),
        "evse_id": f"{charger.charge_point_id}*{connector.connector_id}"[:48],
        "status": "UNKNOWN" if status is None else _EVSE_STATUS.get(status, "UNKNOWN"),
        "connectors": [
            {
                "id": "1",
                "standard": "IEC_62196_T2",
                "format": "SOCKET",
                "power_type": "AC_3_PHASE",
                "max_voltage": 230,
                "max_amperage": 32,
                "last_updated": ocpi_time(updated),
            }
        ],
        "last_updated": ocpi_time(updated),
    }


def _place(site: Site) -> dict[str, Any]:
    """Where the site is, as a Location and a CDR's location both say it.

    Home Assistant has no street address: address and city read "-".
    """
    return {
        "name": site.name[:255],
        "address": "-",
        "city": "-",
        "country": ALPHA_3.get(site.country_code, site.country_code),
        "coordinates": {
            "latitude": f"{site.latitude:.6f}",
            "longitude": f"{site.longitude:.6f}",
        },
    }


def location(site: Site, chargers: Iterable[Charger]) -> dict[str, Any]:
    """The site's Location with an EVSE per connector of every charger."""
    now = dt_util.utcnow()
    evses = [
        _evse(charger, charger.connector(connector_id), now)
        for charger in sorted(chargers, key=lambda c: c.charge_point_id)
        for connector_id in charger.outlet_ids
    ]
    updated = max((evse["last_updated"] for evse in evses), default=ocpi_time(now))
    return {
        "country_code": site.country_code,
        "party_id": site.party_id,
        "id": site.location_id,
        "publish": False,
        **_place(site),
        "evses": evses,
        "time_zone": site.time_zone,
        "last_updated": updated,
    }


def session(
    site: Site, charger: Charger, transaction: Transaction, cost: float | None
) -> dict[str, Any]:
    """A running session as an OCPI Session."""
    token = transaction.id_tag or "HOMEASSISTANT"
    return {
        "country_code": site.country_code,
        "party_id": site.party_id,
        "id": f"{charger.charge_point_id}-{transaction.transaction_id}"[:36],
        "start_date_time": ocpi_time(transaction.started_at),
        "kwh": round(transaction.energy_wh / 1000, 3),
        "cdr_token": {
            "country_code": site.country_code,
            "party_id": site.party_id,
            "uid": token[:36],
            "type": "RFID" if transaction.id_tag else "OTHER",
            "contract_id": token[:36],
        },
        "auth_method": "WHITELIST",
        "location_id": site.location_id,
        "evse_uid": evse_uid(charger, transaction.connector_id),
        "connector_id": "1",
        "currency": site.currency,
        "total_cost": {"excl_vat": round(cost or 0.0, 2)},
        "status": "ACTIVE",
        "last_updated": ocpi_time(transaction.last_event_at or transaction.started_at),
    }


def tariff(site: Site, price: float | None, fee: float, updated: datetime) -> dict[str, Any]:
    """The site's tariff: an energy price per kWh and a flat fee per session."""
    components = []
    if price is not None:
        components.append({"type": "ENERGY", "price": round(price, 4), "step_size": 1})
    if fee:
        components.append({"type": "FLAT", "price": round(fee, 4), "step_size": 1})
    return {
        "country_code": site.country_code,
        "party_id": site.party_id,
        "id": "HOME",
        "currency": site.currency,
        "elements": [{"price_components": components}] if components else [],
        "last_updated": ocpi_time(updated),
    }


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list, and what the headers say about it."""

    items: list[dict[str, Any]]
    total: int
    offset: int
    limit: int

    @property
    def next_offset(self) -> int | None:
        """Where the next page starts, None on the last page."""
        following = self.offset + len(self.items)
        return following if following < self.total else None


def paginate(
    items: list[dict[str, Any]],
    offset: int,
    limit: int,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
) -> Page:
    """Filter by last_updated (from inclusive, to exclusive) and cut out one page."""
    if date_from is not None or date_to is not None:
        kept = []
        for item in items:
            updated = dt_util.parse_datetime(str(item["last_updated"]))
            if updated is None:
                continue
            if date_from is not None and updated < date_from:
                continue
            if date_to is not None and updated >= date_to:
                continue
            kept.append(item)
        items = kept
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    return Page(items[offset : offset + limit], len(items), offset, limit)


_SIGNED_NATURE: Final = {"Transaction.Begin": "Start", "Transaction.End": "End"}
# OCPI 2.2.1 SignedValue.signed_data is a string(5000), plain_data a string(512).
_OCPI_SIGNED_DATA_MAX: Final = 5000
_OCPI_PLAIN_DATA_MAX: Final = 512


def _plain_data(reading: SignedReading) -> str:
    """What was signed, readable: an OCMF string's payload section, else the reading's time."""
    # OCMF is "OCMF|{payload}|{signature}".
    sections = reading.data.split("|", 2)
    if reading.encoding == "OCMF" and len(sections) == len(("OCMF", "payload", "signature")):
        payload = sections[1]
        if len(payload) <= _OCPI_PLAIN_DATA_MAX:
            return payload
    return f"{reading.context or 'Sample'} {ocpi_time(reading.timestamp)}"


def signed_data(readings: tuple[SignedReading, ...]) -> dict[str, Any] | None:
    """OCPI SignedData of a session's signed readings (None when there are none to give).

    One SignedData names one encoding and one public key: the first reading's, which the
    others share on every meter seen (one meter signs a session).
    """
    usable = [r for r in readings if len(r.data) <= _OCPI_SIGNED_DATA_MAX]
    if not usable:
        return None
    first = usable[0]
    data: dict[str, Any] = {
        "encoding_method": (first.encoding or "UNKNOWN")[:36],
        "signed_values": [
            {
                "nature": _SIGNED_NATURE.get(reading.context or "", "Intermediate"),
                "plain_data": _plain_data(reading),
                "signed_data": reading.data,
            }
            for reading in usable
            if reading.encoding == first.encoding
        ],
    }
    if first.public_key and len(first.public_key) <= _OCPI_PLAIN_DATA_MAX:
        data["public_key"] = first.public_key
    return data


def cdr(record: SessionRecord, site: Site, *, compensated: bool) -> dict[str, Any]:
    """One finished session as an OCPI 2.2.1 CDR object (module cdrs).

    `compensated`: the sessions are home charging an employer pays back (OCPI 2.2.1
    home_charging_compensation).
    """
    hours = record.duration_s / 3600
    cost = record.cost if record.cost is not None else 0.0
    cdr_id = (
        f"{record.charge_point_id}-{record.transaction_id}-{int(record.started_at.timestamp())}"
    )
    cdr: dict[str, Any] = {
        "country_code": site.country_code,
        "party_id": site.party_id,
        "id": cdr_id[:39],
        "start_date_time": ocpi_time(record.started_at),
        "end_date_time": ocpi_time(record.stopped_at),
        "session_id": record.transaction_id[:36],
        "cdr_token": {
            "country_code": site.country_code,
            "party_id": site.party_id,
            "uid": (record.id_tag or "HOMEASSISTANT")[:36],
            "type": "RFID" if record.id_tag else "OTHER",
            "contract_id": (record.id_tag or "HOMEASSISTANT")[:36],
        },
        "auth_method": "WHITELIST",
        "cdr_location": {
            "id": site.location_id,
            **_place(site),
            "evse_uid": f"{record.charge_point_id}-{record.connector_id}",
            "evse_id": f"{record.charge_point_id}*{record.connector_id}",
            "connector_id": str(record.connector_id),
            "connector_standard": "IEC_62196_T2",
            "connector_format": "SOCKET",
            "connector_power_type": "AC_3_PHASE",
        },
        "currency": record.currency,
        "charging_periods": [
            {
                "start_date_time": ocpi_time(record.started_at),
                "dimensions": [
                    {"type": "ENERGY", "volume": round(record.energy_kwh, 3)},
                    {"type": "TIME", "volume": round(hours, 4)},
                ],
            }
        ],
        "total_cost": {"excl_vat": round(cost, 2)},
        "total_energy": round(record.energy_kwh, 3),
        "total_time": round(hours, 4),
        "last_updated": ocpi_time(record.stopped_at),
        "home_charging_compensation": compensated,
    }
    if (signed := signed_data(record.signed_readings)) is not None:
        cdr["signed_data"] = signed
    return cdr


def cdrs_json(records: list[SessionRecord], site: Site, *, compensated: bool) -> str:
    """Finished sessions as a JSON array of OCPI CDRs (the export file)."""
    return json.dumps([cdr(record, site, compensated=compensated) for record in records], indent=2)
