"""Schemas of the OCPP Central actions and conversions between action data and commands.

Voluptuous checks types and shapes (its errors are HA's generic "invalid data"); what only
makes sense once the values are known (an empty schedule, a tag too long for the charger's
OCPP version) raises a translated `ServiceValidationError` here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
import itertools
import math
import time
from typing import Any, Final
from urllib.parse import urlparse

from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import ServiceResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import DOMAIN
from .protocol.base import AuthorizationStatus, ConfigurationReport, TriggerKind
from .protocol.commands import (
    ChargingProfile,
    ClearProfileCriteria,
    CompositeSchedule,
    FirmwareRequest,
    LocalListEntry,
    LogKind,
    LogRequest,
    ProfileKind,
    ProfilePurpose,
    RateUnit,
    Recurrency,
    Reservation,
    SchedulePeriod,
    UpdateType,
)

SERVICE_START_CHARGING: Final = "start_charging"
SERVICE_STOP_CHARGING: Final = "stop_charging"
SERVICE_SET_CHARGING_PROFILE: Final = "set_charging_profile"
SERVICE_CLEAR_CHARGING_PROFILE: Final = "clear_charging_profile"
SERVICE_GET_COMPOSITE_SCHEDULE: Final = "get_composite_schedule"
SERVICE_CHANGE_AVAILABILITY: Final = "change_availability"
SERVICE_RESET: Final = "reset"
SERVICE_UNLOCK_CONNECTOR: Final = "unlock_connector"
SERVICE_GET_CONFIGURATION: Final = "get_configuration"
SERVICE_SET_CONFIGURATION: Final = "set_configuration"
SERVICE_TRIGGER_MESSAGE: Final = "trigger_message"
SERVICE_DATA_TRANSFER: Final = "data_transfer"
SERVICE_UPDATE_FIRMWARE: Final = "update_firmware"
SERVICE_GET_LOG: Final = "get_log"
SERVICE_RESERVE_NOW: Final = "reserve_now"
SERVICE_CANCEL_RESERVATION: Final = "cancel_reservation"
SERVICE_SEND_LOCAL_LIST: Final = "send_local_list"
SERVICE_GET_LOCAL_LIST_VERSION: Final = "get_local_list_version"
SERVICE_CLEAR_CACHE: Final = "clear_cache"
SERVICE_SET_CURRENT_LIMIT: Final = "set_current_limit"
SERVICE_OFFER_FIRMWARE: Final = "offer_firmware"
SERVICE_INSTALL_FIRMWARE: Final = "install_firmware"
SERVICE_REQUEST_DIAGNOSTICS: Final = "request_diagnostics"
ATTR_VERSION_NAME: Final = "version"
ATTR_FILE: Final = "file"
ATTR_URL: Final = "url"
ATTR_RELEASE_NOTES: Final = "release_notes"
ATTR_RELEASE_URL: Final = "release_url"
ATTR_FORCE: Final = "force"

ATTR_ID_TAG: Final = "id_tag"
ATTR_PURPOSE: Final = "purpose"
ATTR_UNIT: Final = "unit"
ATTR_PERIODS: Final = "periods"
ATTR_RECURRENCY: Final = "recurrency"
ATTR_SCHEDULE_START: Final = "schedule_start"
ATTR_DURATION: Final = "duration"
ATTR_STACK_LEVEL: Final = "stack_level"
ATTR_PROFILE_ID: Final = "profile_id"
ATTR_OPERATIVE: Final = "operative"
ATTR_HARD: Final = "hard"
ATTR_KEYS: Final = "keys"
ATTR_KEY: Final = "key"
ATTR_VALUE: Final = "value"
ATTR_MESSAGE: Final = "message"
ATTR_VENDOR_ID: Final = "vendor_id"
ATTR_MESSAGE_ID: Final = "message_id"
ATTR_DATA: Final = "data"
ATTR_LOCATION: Final = "location"
ATTR_RETRIEVE_AT: Final = "retrieve_at"
ATTR_RETRIES: Final = "retries"
ATTR_KIND: Final = "kind"
ATTR_EXPIRY: Final = "expiry"
ATTR_RESERVATION_ID: Final = "reservation_id"
ATTR_VERSION: Final = "version"
ATTR_UPDATE_TYPE: Final = "update_type"
ATTR_ENTRIES: Final = "entries"
ATTR_STATUS: Final = "status"
# Fields of one schedule period.
ATTR_START: Final = "start"
ATTR_LIMIT: Final = "limit"
ATTR_PHASES: Final = "phases"

# A local list entry with this status is taken off the charger's list (differential update).
STATUS_REMOVE: Final = "remove"
# Longest id tag each version carries (1.6 CiString20, 2.0.1 and 2.1 idToken).
ID_TAG_MAX_LENGTH: Final = {"1.6": 20, "2.0.1": 36, "2.1": 255}
# Highest stack level the default profile ids leave room for.
MAX_STACK_LEVEL: Final = 99
_RECURRENCY_SECONDS: Final = {Recurrency.DAILY: 86400, Recurrency.WEEKLY: 7 * 86400}
# Default profile ids per purpose, clear of the ids the limit control uses (1000-1999); one id
# per purpose, connector and stack level, so setting a profile again replaces it.
_PROFILE_ID_BASE: Final = {
    ProfilePurpose.CHARGER_MAX: 20000,
    ProfilePurpose.TX_DEFAULT: 30000,
    ProfilePurpose.TX: 40000,
}
# Request and reservation ids: from the clock, so they stay unique across restarts.
_REQUEST_IDS: Final = itertools.count(int(time.time()))

_NON_NEGATIVE_INT: Final = vol.All(vol.Coerce(int), vol.Range(min=0))
_POSITIVE_INT: Final = vol.All(vol.Coerce(int), vol.Range(min=1))
_TEXT: Final = vol.All(cv.string, vol.Length(min=1))

_PERIOD: Final = vol.Schema(
    {
        vol.Required(ATTR_START): _NON_NEGATIVE_INT,
        vol.Required(ATTR_LIMIT): vol.Coerce(float),
        vol.Optional(ATTR_PHASES): vol.All(vol.Coerce(int), vol.In((1, 2, 3))),
    }
)
_ENTRY: Final = vol.Schema(
    {
        vol.Required(ATTR_ID_TAG): _TEXT,
        vol.Optional(ATTR_STATUS, default=AuthorizationStatus.ACCEPTED.value): vol.In(
            [*(status.value for status in AuthorizationStatus), STATUS_REMOVE]
        ),
        vol.Optional(ATTR_EXPIRY): cv.datetime,
    }
)


def _schema(fields: Mapping[Any, Any] | None = None) -> vol.Schema:
    """An action schema: the target device plus the action's fields."""
    return vol.Schema({vol.Required(ATTR_DEVICE_ID): cv.string, **(fields or {})})


SCHEMAS: Final[dict[str, vol.Schema]] = {
    SERVICE_START_CHARGING: _schema({vol.Optional(ATTR_ID_TAG): _TEXT}),
    SERVICE_STOP_CHARGING: _schema(),
    SERVICE_SET_CHARGING_PROFILE: _schema(
        {
            vol.Optional(ATTR_PURPOSE, default=ProfilePurpose.TX_DEFAULT.value): vol.In(
                [purpose.value for purpose in ProfilePurpose]
            ),
            vol.Optional(ATTR_UNIT, default=RateUnit.AMPERE.value): vol.In(
                [unit.value for unit in RateUnit]
            ),
            vol.Required(ATTR_PERIODS): vol.All(cv.ensure_list, [_PERIOD]),
            vol.Optional(ATTR_RECURRENCY): vol.In([kind.value for kind in Recurrency]),
            vol.Optional(ATTR_SCHEDULE_START): cv.datetime,
            vol.Optional(ATTR_DURATION): _POSITIVE_INT,
            vol.Optional(ATTR_STACK_LEVEL, default=0): vol.All(
                vol.Coerce(int), vol.Range(min=0, max=MAX_STACK_LEVEL)
            ),
            vol.Optional(ATTR_PROFILE_ID): _POSITIVE_INT,
        }
    ),
    SERVICE_CLEAR_CHARGING_PROFILE: _schema(
        {
            vol.Optional(ATTR_PROFILE_ID): _POSITIVE_INT,
            vol.Optional(ATTR_PURPOSE): vol.In([purpose.value for purpose in ProfilePurpose]),
            vol.Optional(ATTR_STACK_LEVEL): _NON_NEGATIVE_INT,
        }
    ),
    SERVICE_GET_COMPOSITE_SCHEDULE: _schema(
        {
            vol.Required(ATTR_DURATION): _POSITIVE_INT,
            vol.Optional(ATTR_UNIT): vol.In([unit.value for unit in RateUnit]),
        }
    ),
    SERVICE_CHANGE_AVAILABILITY: _schema({vol.Required(ATTR_OPERATIVE): cv.boolean}),
    SERVICE_RESET: _schema({vol.Optional(ATTR_HARD, default=False): cv.boolean}),
    SERVICE_UNLOCK_CONNECTOR: _schema(),
    SERVICE_GET_CONFIGURATION: _schema({vol.Optional(ATTR_KEYS): vol.All(cv.ensure_list, [_TEXT])}),
    SERVICE_SET_CONFIGURATION: _schema(
        {vol.Required(ATTR_KEY): _TEXT, vol.Required(ATTR_VALUE): cv.string}
    ),
    SERVICE_TRIGGER_MESSAGE: _schema(
        {vol.Required(ATTR_MESSAGE): vol.In([kind.value for kind in TriggerKind])}
    ),
    SERVICE_DATA_TRANSFER: _schema(
        {
            vol.Required(ATTR_VENDOR_ID): vol.All(cv.string, vol.Length(min=1, max=255)),
            vol.Optional(ATTR_MESSAGE_ID): vol.All(cv.string, vol.Length(max=50)),
            vol.Optional(ATTR_DATA): cv.string,
        }
    ),
    SERVICE_UPDATE_FIRMWARE: _schema(
        {
            vol.Required(ATTR_LOCATION): _TEXT,
            vol.Optional(ATTR_RETRIEVE_AT): cv.datetime,
            vol.Optional(ATTR_RETRIES): _NON_NEGATIVE_INT,
        }
    ),
    SERVICE_GET_LOG: _schema(
        {
            vol.Required(ATTR_LOCATION): _TEXT,
            vol.Optional(ATTR_KIND, default=LogKind.DIAGNOSTICS.value): vol.In(
                [kind.value for kind in LogKind]
            ),
        }
    ),
    SERVICE_OFFER_FIRMWARE: _schema(
        {
            vol.Required(ATTR_VERSION_NAME): _TEXT,
            vol.Exclusive(ATTR_FILE, "source"): _TEXT,
            vol.Exclusive(ATTR_URL, "source"): vol.Url(),
            vol.Optional(ATTR_RELEASE_NOTES): cv.string,
            vol.Optional(ATTR_RELEASE_URL): vol.Url(),
        }
    ),
    SERVICE_INSTALL_FIRMWARE: _schema(
        {
            vol.Optional(ATTR_FORCE, default=False): cv.boolean,
            vol.Optional(ATTR_RETRIEVE_AT): cv.datetime,
        }
    ),
    SERVICE_REQUEST_DIAGNOSTICS: _schema(
        {
            vol.Optional(ATTR_KIND, default=LogKind.DIAGNOSTICS.value): vol.In(
                [kind.value for kind in LogKind]
            ),
        }
    ),
    SERVICE_RESERVE_NOW: _schema(
        {
            vol.Required(ATTR_EXPIRY): cv.datetime,
            vol.Required(ATTR_ID_TAG): _TEXT,
            vol.Optional(ATTR_RESERVATION_ID): _POSITIVE_INT,
        }
    ),
    SERVICE_CANCEL_RESERVATION: _schema({vol.Required(ATTR_RESERVATION_ID): _POSITIVE_INT}),
    SERVICE_SEND_LOCAL_LIST: _schema(
        {
            vol.Required(ATTR_VERSION): _POSITIVE_INT,
            vol.Optional(ATTR_UPDATE_TYPE, default=UpdateType.FULL.value): vol.In(
                [kind.value for kind in UpdateType]
            ),
            vol.Optional(ATTR_ENTRIES, default=list): vol.All(cv.ensure_list, [_ENTRY]),
        }
    ),
    SERVICE_GET_LOCAL_LIST_VERSION: _schema(),
    SERVICE_CLEAR_CACHE: _schema(),
    SERVICE_SET_CURRENT_LIMIT: _schema(
        {
            vol.Required("current"): vol.All(vol.Coerce(float), vol.Range(min=0, max=80)),
            vol.Optional("phases"): vol.All(vol.Coerce(int), vol.In([1, 3])),
        }
    ),
}


def validation_error(translation_key: str, /, **placeholders: str) -> ServiceValidationError:
    """A translated error about what the user asked for."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=translation_key,
        translation_placeholders=placeholders or None,
    )


def next_request_id() -> int:
    """A fresh id for a firmware, log or reservation request."""
    return next(_REQUEST_IDS)


def local_time(value: datetime) -> datetime:
    """An aware time; a time without zone (what the UI sends) is in HA's time zone."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt_util.get_default_time_zone())
    return value


def check_id_tag(id_tag: str, ocpp_version: str) -> str:
    """The id tag, if the charger's OCPP version can carry it."""
    limit = ID_TAG_MAX_LENGTH.get(ocpp_version, ID_TAG_MAX_LENGTH["1.6"])
    if len(id_tag) > limit:
        raise validation_error("id_tag_too_long", id_tag=id_tag, max_length=str(limit))
    return id_tag


def check_location(location: str) -> str:
    """An upload or download location: an absolute URL (http, https, ftp, ...)."""
    parsed = urlparse(location)
    if not parsed.scheme or not parsed.netloc:
        raise validation_error("invalid_location", location=location)
    return location


def future_time(value: datetime) -> datetime:
    """A time that has not passed yet."""
    value = local_time(value)
    if value <= dt_util.utcnow():
        raise validation_error("expiry_in_past", expiry=value.isoformat())
    return value


def _periods(
    periods: list[dict[str, Any]], recurrency: Recurrency | None
) -> tuple[SchedulePeriod, ...]:
    """Schedule periods as OCPP wants them: first at 0, then strictly later, sane limits."""
    if not periods:
        raise validation_error("no_periods")
    if (first := periods[0][ATTR_START]) != 0:
        raise validation_error("first_period_start", start=str(first))
    result: list[SchedulePeriod] = []
    for period in periods:
        start, limit = period[ATTR_START], period[ATTR_LIMIT]
        if result and start <= result[-1].start_period:
            raise validation_error("periods_not_increasing", start=str(start))
        if not math.isfinite(limit) or limit < 0:
            raise validation_error("invalid_limit", limit=str(limit))
        if recurrency is not None and start >= _RECURRENCY_SECONDS[recurrency]:
            raise validation_error("period_outside_recurrency", start=str(start))
        result.append(SchedulePeriod(start, limit, period.get(ATTR_PHASES)))
    return tuple(result)


def charging_profile(
    data: Mapping[str, Any], connector_id: int, transaction_id: str | None
) -> ChargingProfile:
    """The profile `set_charging_profile` asks for.

    Recurring with a recurrency (from `schedule_start`, default today's midnight), absolute
    with a start time or for the charger maximum (1.6 allows nothing else there), otherwise
    relative to the start of each session.
    """
    purpose = ProfilePurpose(data[ATTR_PURPOSE])
    recurrency = Recurrency(data[ATTR_RECURRENCY]) if ATTR_RECURRENCY in data else None
    periods = _periods(data[ATTR_PERIODS], recurrency)
    start = local_time(data[ATTR_SCHEDULE_START]) if ATTR_SCHEDULE_START in data else None
    if recurrency is not None:
        kind = ProfileKind.RECURRING
        start = start or dt_util.start_of_local_day()
    elif start is not None or purpose is ProfilePurpose.CHARGER_MAX:
        kind = ProfileKind.ABSOLUTE
        start = start or dt_util.utcnow().replace(microsecond=0)
    else:
        kind = ProfileKind.RELATIVE
    stack_level: int = data[ATTR_STACK_LEVEL]
    profile_id: int = data.get(ATTR_PROFILE_ID) or (
        _PROFILE_ID_BASE[purpose] + connector_id * 100 + stack_level
    )
    return ChargingProfile(
        profile_id=profile_id,
        stack_level=stack_level,
        purpose=purpose,
        kind=kind,
        unit=RateUnit(data[ATTR_UNIT]),
        periods=periods,
        transaction_id=transaction_id,
        start=start,
        duration=data.get(ATTR_DURATION),
        recurrency=recurrency,
    )


def local_list_entries(
    entries: Iterable[Mapping[str, Any]], update_type: UpdateType, ocpp_version: str
) -> list[LocalListEntry]:
    """Entries of a local list update; "remove" only makes sense in a differential one."""
    result: list[LocalListEntry] = []
    seen: set[str] = set()
    for entry in entries:
        id_tag = check_id_tag(entry[ATTR_ID_TAG], ocpp_version)
        if id_tag.lower() in seen:
            # Id tags are case insensitive in OCPP.
            raise validation_error("duplicate_id_tag", id_tag=id_tag)
        seen.add(id_tag.lower())
        status: AuthorizationStatus | None = None
        if entry[ATTR_STATUS] == STATUS_REMOVE:
            if update_type is UpdateType.FULL:
                raise validation_error("remove_in_full_update", id_tag=id_tag)
        else:
            status = AuthorizationStatus(entry[ATTR_STATUS])
        expiry = local_time(entry[ATTR_EXPIRY]) if ATTR_EXPIRY in entry else None
        result.append(LocalListEntry(id_tag, status, expiry))
    return result


def clear_criteria(data: Mapping[str, Any], connector_id: int | None) -> ClearProfileCriteria:
    """What `clear_charging_profile` removes; a charger device clears on every connector."""
    purpose = data.get(ATTR_PURPOSE)
    return ClearProfileCriteria(
        profile_id=data.get(ATTR_PROFILE_ID),
        connector_id=connector_id,
        purpose=None if purpose is None else ProfilePurpose(purpose),
        stack_level=data.get(ATTR_STACK_LEVEL),
    )


def firmware_request(data: Mapping[str, Any]) -> FirmwareRequest:
    """What `update_firmware` asks for; without a time, the charger fetches it now."""
    retrieve_at = data.get(ATTR_RETRIEVE_AT)
    return FirmwareRequest(
        location=check_location(data[ATTR_LOCATION]),
        retrieve_at=dt_util.utcnow() if retrieve_at is None else local_time(retrieve_at),
        request_id=next_request_id(),
        retries=data.get(ATTR_RETRIES),
    )


def log_request(data: Mapping[str, Any]) -> LogRequest:
    """What `get_log` asks for."""
    return LogRequest(
        location=check_location(data[ATTR_LOCATION]),
        kind=LogKind(data[ATTR_KIND]),
        request_id=next_request_id(),
    )


def reservation(
    data: Mapping[str, Any], connector_id: int | None, ocpp_version: str
) -> Reservation:
    """What `reserve_now` asks for; without an id, a new one."""
    return Reservation(
        reservation_id=data.get(ATTR_RESERVATION_ID) or next_request_id(),
        expiry=future_time(data[ATTR_EXPIRY]),
        id_tag=check_id_tag(data[ATTR_ID_TAG], ocpp_version),
        connector_id=connector_id,
    )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def schedule_response(schedule: CompositeSchedule) -> ServiceResponse:
    """The response of `get_composite_schedule`."""
    return {
        "connector_id": schedule.connector_id,
        "start": _iso(schedule.start),
        "duration": schedule.duration,
        "unit": schedule.unit.value,
        "periods": [
            {
                ATTR_START: period.start_period,
                ATTR_LIMIT: period.limit,
                ATTR_PHASES: period.number_phases,
            }
            for period in schedule.periods
        ],
    }


def configuration_response(report: ConfigurationReport) -> ServiceResponse:
    """The response of `get_configuration`: known keys with value and access, unknown keys."""
    return {
        "configuration": {
            key: {"value": value.value, "readonly": value.readonly}
            for key, value in sorted(report.values.items())
        },
        "unknown": list(report.unknown),
    }
