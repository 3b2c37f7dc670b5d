"""Conversions the 1.6 and 2.x command sets share: profiles, schedules, times, answer statuses.

Payloads are built as snake_case dicts; the `ocpp` library camel-cases them and validates them
against the version's JSON schema before they go out.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from homeassistant.util import dt as dt_util

from ..const import LOGGER
from .base import AuthorizationStatus, CommandStatus
from .commands import (
    ChargingProfile,
    CompositeSchedule,
    ProfileKind,
    ProfilePurpose,
    RateUnit,
    Recurrency,
    SchedulePeriod,
)

PURPOSE_16: Final = {
    ProfilePurpose.CHARGER_MAX: "ChargePointMaxProfile",
    ProfilePurpose.TX_DEFAULT: "TxDefaultProfile",
    ProfilePurpose.TX: "TxProfile",
}
PURPOSE_2: Final = {
    ProfilePurpose.CHARGER_MAX: "ChargingStationMaxProfile",
    ProfilePurpose.TX_DEFAULT: "TxDefaultProfile",
    ProfilePurpose.TX: "TxProfile",
}
_KIND: Final = {
    ProfileKind.ABSOLUTE: "Absolute",
    ProfileKind.RECURRING: "Recurring",
    ProfileKind.RELATIVE: "Relative",
}
_RECURRENCY: Final = {Recurrency.DAILY: "Daily", Recurrency.WEEKLY: "Weekly"}
# 1.6 AuthorizationStatus and 2.x AuthorizationStatusEnumType share these names.
AUTHORIZATION: Final = {
    AuthorizationStatus.ACCEPTED: "Accepted",
    AuthorizationStatus.BLOCKED: "Blocked",
    AuthorizationStatus.EXPIRED: "Expired",
    AuthorizationStatus.INVALID: "Invalid",
    AuthorizationStatus.CONCURRENT_TX: "ConcurrentTx",
}


def utc_iso(value: datetime | None) -> str | None:
    """An OCPP timestamp: UTC, ISO 8601, "Z" suffix (a naive time is taken as UTC)."""
    return None if value is None else _ocpp_time(value)


def _ocpp_time(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt_util.UTC)
    return value.astimezone(dt_util.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def iso_now() -> str:
    """Now, as an OCPP timestamp."""
    return _ocpp_time(dt_util.utcnow())


def parse_time(value: str | None) -> datetime | None:
    """An OCPP timestamp from a charger; None when absent or unreadable."""
    if not value or (parsed := dt_util.parse_datetime(value)) is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt_util.UTC)


def answer_status(
    table: Mapping[Any, CommandStatus], value: Any, action: str, charger: str
) -> CommandStatus:
    """Map a charger's answer status; a value the table lacks counts as a refusal."""
    status = table.get(value)
    if status is None:
        LOGGER.warning(
            "Charger %s answered %s with unknown status %r; taken as rejected",
            charger,
            action,
            value,
        )
        return CommandStatus.REJECTED
    return status


def _periods(profile: ChargingProfile, *, one_decimal: bool) -> list[dict[str, Any]]:
    return [
        {
            # 1.6 schemas declare limits "multipleOf 0.1"; anything finer fails validation.
            "start_period": period.start_period,
            "limit": round(period.limit, 1) if one_decimal else period.limit,
            "number_phases": period.number_phases,
        }
        for period in profile.periods
    ]


def _min_rate(profile: ChargingProfile, *, one_decimal: bool) -> float | None:
    if profile.min_rate is None or not one_decimal:
        return profile.min_rate
    return round(profile.min_rate, 1)


def profile_16(profile: ChargingProfile) -> dict[str, Any]:
    """A 1.6 csChargingProfiles / chargingProfile element."""
    transaction_id = None
    if profile.purpose is ProfilePurpose.TX and profile.transaction_id is not None:
        # 1.6 transaction ids are integers (we hand them out in StartTransaction).
        transaction_id = int(profile.transaction_id)
    return {
        "charging_profile_id": profile.profile_id,
        "transaction_id": transaction_id,
        "stack_level": profile.stack_level,
        "charging_profile_purpose": PURPOSE_16[profile.purpose],
        "charging_profile_kind": _KIND[profile.kind],
        "recurrency_kind": _RECURRENCY[profile.recurrency] if profile.recurrency else None,
        "valid_from": utc_iso(profile.valid_from),
        "valid_to": utc_iso(profile.valid_to),
        "charging_schedule": {
            "duration": profile.duration,
            "start_schedule": utc_iso(profile.start),
            "charging_rate_unit": profile.unit.value,
            "charging_schedule_period": _periods(profile, one_decimal=True),
            "min_charging_rate": _min_rate(profile, one_decimal=True),
        },
    }


def profile_2(profile: ChargingProfile) -> dict[str, Any]:
    """A 2.0.1 / 2.1 ChargingProfileType (the same fields in both versions)."""
    return {
        "id": profile.profile_id,
        "stack_level": profile.stack_level,
        "charging_profile_purpose": PURPOSE_2[profile.purpose],
        "charging_profile_kind": _KIND[profile.kind],
        "recurrency_kind": _RECURRENCY[profile.recurrency] if profile.recurrency else None,
        "valid_from": utc_iso(profile.valid_from),
        "valid_to": utc_iso(profile.valid_to),
        "transaction_id": (
            profile.transaction_id if profile.purpose is ProfilePurpose.TX else None
        ),
        # 2.x profiles carry up to three schedules, each with its own id; ours has one, and
        # the profile's id is unique enough for it.
        "charging_schedule": [
            {
                "id": profile.profile_id,
                "start_schedule": utc_iso(profile.start),
                "duration": profile.duration,
                "charging_rate_unit": profile.unit.value,
                "charging_schedule_period": _periods(profile, one_decimal=False),
                "min_charging_rate": _min_rate(profile, one_decimal=False),
            }
        ],
    }


def parse_schedule(
    connector_id: int,
    start: str | None,
    duration: int | None,
    unit: str,
    periods: list[dict[str, Any]],
) -> CompositeSchedule:
    """A composite schedule from its fields (snake_case, as the library hands them back)."""
    return CompositeSchedule(
        connector_id=connector_id,
        start=parse_time(start),
        duration=duration,
        # The schemas allow only "A" and "W".
        unit=RateUnit(unit),
        periods=tuple(
            SchedulePeriod(
                start_period=int(period["start_period"]),
                # The 1.6 library parses these limits as Decimal.
                limit=float(period["limit"]),
                number_phases=period.get("number_phases"),
            )
            for period in periods
            # 2.1 periods may carry only setpoints and no limit; they limit nothing.
            if period.get("limit") is not None
        ),
    )
