"""Device-targeted actions (services) of OCPP Central.

Every action targets one device: a charger, or a connector of a charger with several. A
charger device stands for the whole charger (connector 0), or for its only connector where an
action needs one. Actions speak the version-neutral command set, so they work the same for
OCPP 1.6, 2.0.1 and 2.1 chargers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Coroutine
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util

from .central import CentralSystem
from .const import DOMAIN
from .control import MIN_CURRENT, max_current_for, supports_smart_charging
from .errors import ChargerRejectedError, translated_errors
from .history_services import async_setup_history_services
from .host import ChargerLink
from .model import Charger, OfferedFirmware, Transaction
from .protocol.base import CommandStatus, TriggerKind
from .protocol.commands import (
    CommandAdapter,
    LogKind,
    ProfilePurpose,
    RateUnit,
    ResetKind,
    UpdateType,
)
from .services_schema import (
    ATTR_DATA,
    ATTR_DURATION,
    ATTR_ENTRIES,
    ATTR_FILE,
    ATTR_FORCE,
    ATTR_HARD,
    ATTR_ID_TAG,
    ATTR_KEY,
    ATTR_KEYS,
    ATTR_KIND,
    ATTR_MESSAGE,
    ATTR_MESSAGE_ID,
    ATTR_OPERATIVE,
    ATTR_PROFILE_ID,
    ATTR_PURPOSE,
    ATTR_RELEASE_NOTES,
    ATTR_RELEASE_URL,
    ATTR_RESERVATION_ID,
    ATTR_RETRIEVE_AT,
    ATTR_STATUS,
    ATTR_UNIT,
    ATTR_UPDATE_TYPE,
    ATTR_URL,
    ATTR_VALUE,
    ATTR_VENDOR_ID,
    ATTR_VERSION,
    ATTR_VERSION_NAME,
    SCHEMAS,
    SERVICE_CANCEL_RESERVATION,
    SERVICE_CHANGE_AVAILABILITY,
    SERVICE_CLEAR_CACHE,
    SERVICE_CLEAR_CHARGING_PROFILE,
    SERVICE_DATA_TRANSFER,
    SERVICE_GET_COMPOSITE_SCHEDULE,
    SERVICE_GET_CONFIGURATION,
    SERVICE_GET_LOCAL_LIST_VERSION,
    SERVICE_GET_LOG,
    SERVICE_INSTALL_FIRMWARE,
    SERVICE_OFFER_FIRMWARE,
    SERVICE_REQUEST_DIAGNOSTICS,
    SERVICE_RESERVE_NOW,
    SERVICE_RESET,
    SERVICE_SEND_LOCAL_LIST,
    SERVICE_SET_CHARGING_PROFILE,
    SERVICE_SET_CONFIGURATION,
    SERVICE_SET_CURRENT_LIMIT,
    SERVICE_START_CHARGING,
    SERVICE_STOP_CHARGING,
    SERVICE_TRIGGER_MESSAGE,
    SERVICE_UNLOCK_CONNECTOR,
    SERVICE_UPDATE_FIRMWARE,
    charging_profile,
    check_id_tag,
    clear_criteria,
    configuration_response,
    firmware_request,
    local_list_entries,
    log_request,
    reservation,
    schedule_response,
    validation_error,
)
from .solar import ChargingMode

# What counts as success for most commands; the others name their own success statuses.
_ACCEPTED: Final = frozenset({CommandStatus.ACCEPTED})
_DEFERRED: Final = frozenset({CommandStatus.ACCEPTED, CommandStatus.SCHEDULED})
_REPLACED: Final = frozenset({CommandStatus.ACCEPTED, CommandStatus.ACCEPTED_CANCELED})


@dataclass(frozen=True, slots=True)
class Target:
    """The connected charger an action talks to and the connector it means (None: charger)."""

    central: CentralSystem
    charger: Charger
    connector_id: int | None
    commands: CommandAdapter
    # The connection, told about commands that change what the charger does.
    link: ChargerLink

    @property
    def name(self) -> str:
        """The charger's id, as the user knows it."""
        return self.charger.charge_point_id


def _locate(central: CentralSystem, identifier: str) -> tuple[Charger, int | None] | None:
    """The charger (and connector) of a device identifier: "<id>" or "<id>-<connector>"."""
    if (charger := central.chargers.get(identifier)) is not None:
        return charger, None
    charge_point_id, _, number = identifier.rpartition("-")
    if number.isdigit() and (charger := central.chargers.get(charge_point_id)) is not None:
        return charger, int(number)
    return None


def _resolve(call: ServiceCall) -> Target:
    """The target of an action's device; the charger must be connected and accepted."""
    device_id: str = call.data[ATTR_DEVICE_ID]
    device = dr.async_get(call.hass).async_get(device_id)
    identifiers = [] if device is None else [i for d, i in device.identifiers if d == DOMAIN]
    if device is None or not identifiers:
        raise validation_error("device_not_found", device_id=device_id)
    loaded = False
    for entry in call.hass.config_entries.async_loaded_entries(DOMAIN):
        if entry.entry_id not in device.config_entries:
            continue
        loaded = True
        central: CentralSystem = entry.runtime_data
        for identifier in identifiers:
            if (found := _locate(central, identifier)) is None:
                continue
            charger, connector_id = found
            session = central.sessions.get(charger.charge_point_id)
            if session is None or not session.accepted:
                raise validation_error("charger_offline")
            return Target(central, charger, connector_id, session.adapter, session)
    if loaded:
        # A device left over from a charger the central system no longer knows.
        raise validation_error("device_not_found", device_id=device_id)
    # Our device, but its central system is not running (entry unloaded or failed).
    raise validation_error("charger_offline")


def _check(status: CommandStatus, success: Collection[CommandStatus] = _ACCEPTED) -> CommandStatus:
    """The charger's answer if it means success; a refusal raises (`translated_errors`)."""
    if status not in success:
        raise ChargerRejectedError(status.value)
    return status


def _connector_or_any(target: Target) -> int | None:
    """The connector meant: the target's, else the charger's only one (None: several)."""
    if target.connector_id is not None:
        return target.connector_id
    outlets = target.charger.outlet_ids
    return outlets[0] if len(outlets) == 1 else None


def _needed_connector(target: Target) -> int:
    """The connector an action needs; a charger with several must be targeted by connector."""
    if (connector_id := _connector_or_any(target)) is not None:
        return connector_id
    if target.charger.outlet_ids:
        raise validation_error("connector_required", charger=target.name)
    # Nothing reported yet: every charger has a connector 1.
    return 1


def _running_transaction(target: Target) -> Transaction:
    """The session running on the target connector (or on the charger's only busy one)."""
    ids = [target.connector_id] if target.connector_id else target.charger.outlet_ids
    running = [
        connector.transaction
        for connector_id in ids
        if (connector := target.charger.connectors.get(connector_id)) is not None
        and connector.transaction is not None
    ]
    if not running:
        raise validation_error("no_transaction", charger=target.name)
    if len(running) > 1:
        raise validation_error("connector_required", charger=target.name)
    return running[0]


def _last_id_tag(target: Target) -> str | None:
    """The id tag of the latest session on the target connector (or any of the charger's)."""
    ids = [target.connector_id] if target.connector_id else target.charger.outlet_ids
    sessions = [
        session
        for connector_id in ids
        if (connector := target.charger.connectors.get(connector_id)) is not None
        and (session := connector.session) is not None
        and session.id_tag
    ]
    return max(sessions, key=lambda session: session.started_at).id_tag if sessions else None


# --- actions ---------------------------------------------------------------------------------
# Each runs its command inside `translated_errors`, the integration's one translation of
# failed commands (offline, timeout, CALLERROR, refusal) into HA errors.


async def _start_charging(call: ServiceCall, target: Target) -> ServiceResponse:
    """Start a session; the id tag defaults to the last one used here."""
    id_tag = call.data.get(ATTR_ID_TAG) or _last_id_tag(target) or target.central.settings.id_tag
    id_tag = check_id_tag(id_tag, target.commands.ocpp_version)
    connector_id = _connector_or_any(target)
    sent_at = dt_util.utcnow()
    with translated_errors(call.service):
        _check(await target.commands.remote_start(connector_id, id_tag))
    target.link.expect_change([connector_id or 0], status=True, sent_at=sent_at)
    return None


async def _stop_charging(call: ServiceCall, target: Target) -> ServiceResponse:
    """Stop the session running on the connector."""
    transaction = _running_transaction(target)
    sent_at = dt_util.utcnow()
    with translated_errors(call.service):
        _check(await target.commands.remote_stop(transaction.transaction_id))
    target.link.expect_change([transaction.connector_id], status=True, sent_at=sent_at)
    return None


async def _set_charging_profile(call: ServiceCall, target: Target) -> ServiceResponse:
    """Install a charging profile; returns its id and connector."""
    _require_smart_charging(target)
    purpose = ProfilePurpose(call.data[ATTR_PURPOSE])
    transaction_id: str | None = None
    if purpose is ProfilePurpose.CHARGER_MAX:
        # A charger-wide limit lives on connector 0 (1.6 and 2.x refuse it elsewhere).
        if target.connector_id:
            raise validation_error("charger_max_on_connector", charger=target.name)
        connector_id = 0
    elif purpose is ProfilePurpose.TX:
        transaction = _running_transaction(target)
        connector_id, transaction_id = transaction.connector_id, transaction.transaction_id
    else:
        connector_id = target.connector_id or 0
    profile = charging_profile(call.data, connector_id, transaction_id)
    with translated_errors(call.service):
        _check(await target.commands.set_charging_profile(connector_id, profile))
    target.link.expect_change([connector_id], status=False, sent_at=dt_util.utcnow())
    return {ATTR_PROFILE_ID: profile.profile_id, "connector_id": connector_id}


async def _clear_charging_profile(call: ServiceCall, target: Target) -> ServiceResponse:
    """Remove the charging profiles that match (all of them without criteria)."""
    criteria = clear_criteria(call.data, target.connector_id)
    # UNKNOWN: nothing matched, so nothing is left to clear either; the response tells.
    success = {CommandStatus.ACCEPTED, CommandStatus.UNKNOWN}
    with translated_errors(call.service):
        status = _check(await target.commands.clear_charging_profile(criteria), success)
    return {ATTR_STATUS: status.value}


async def _get_composite_schedule(call: ServiceCall, target: Target) -> ServiceResponse:
    """The limits the charger will apply over the coming seconds."""
    unit = call.data.get(ATTR_UNIT)
    with translated_errors(call.service):
        schedule = await target.commands.get_composite_schedule(
            target.connector_id or 0,
            call.data[ATTR_DURATION],
            None if unit is None else RateUnit(unit),
        )
        if schedule is None:
            # Refused, or answered without a schedule: nothing to show either way.
            raise ChargerRejectedError(CommandStatus.REJECTED.value)
    return schedule_response(schedule)


async def _change_availability(call: ServiceCall, target: Target) -> ServiceResponse:
    """Make the connector (or the whole charger) (in)operative."""
    operative: bool = call.data[ATTR_OPERATIVE]
    sent_at = dt_util.utcnow()
    with translated_errors(call.service):
        command = target.commands.change_availability(target.connector_id or 0, operative)
        status = _check(await command, _DEFERRED)
    if status is CommandStatus.ACCEPTED:
        target.link.expect_change([target.connector_id or 0], status=True, sent_at=sent_at)
    return {ATTR_STATUS: status.value}


async def _reset(call: ServiceCall, target: Target) -> ServiceResponse:
    """Restart the charger, at once (hard) or when idle (soft)."""
    kind = ResetKind.HARD if call.data[ATTR_HARD] else ResetKind.SOFT
    with translated_errors(call.service):
        status = _check(await target.commands.reset(kind), _DEFERRED)
    target.link.restart_requested()
    return {ATTR_STATUS: status.value}


async def _unlock_connector(call: ServiceCall, target: Target) -> ServiceResponse:
    """Release the cable of the connector."""
    connector_id = _needed_connector(target)
    with translated_errors(call.service):
        _check(await target.commands.unlock_connector(connector_id))
    return None


async def _get_configuration(call: ServiceCall, target: Target) -> ServiceResponse:
    """Read configuration keys / variables (all without keys)."""
    with translated_errors(call.service):
        report = await target.commands.get_configuration(call.data.get(ATTR_KEYS) or None)
    return configuration_response(report)


async def _set_configuration(call: ServiceCall, target: Target) -> ServiceResponse:
    """Write one configuration key (1.6) or variable (2.x)."""
    key: str = call.data[ATTR_KEY]
    try:
        with translated_errors(call.service):
            results = await target.commands.set_variables({key: call.data[ATTR_VALUE]})
            status = results[0].status if results else CommandStatus.REJECTED
            _check(status, {CommandStatus.ACCEPTED, CommandStatus.REBOOT_REQUIRED})
        if status is CommandStatus.REBOOT_REQUIRED:
            target.central.reboot_required(target.charger, key)
    except ValueError as err:
        # 2.x variables are named "Component.Variable".
        raise validation_error("invalid_variable_key", key=key) from err
    return {ATTR_STATUS: status.value}


async def _trigger_message(call: ServiceCall, target: Target) -> ServiceResponse:
    """Ask the charger to send a message now."""
    kind = TriggerKind(call.data[ATTR_MESSAGE])
    with translated_errors(call.service):
        _check(await target.commands.trigger_message(kind, target.connector_id))
    return None


async def _data_transfer(call: ServiceCall, target: Target) -> ServiceResponse:
    """Send a vendor-specific message; returns the charger's answer."""
    with translated_errors(call.service):
        result = await target.commands.data_transfer(
            call.data[ATTR_VENDOR_ID], call.data.get(ATTR_MESSAGE_ID), call.data.get(ATTR_DATA)
        )
        _check(result.status)
    return {ATTR_STATUS: result.status.value, ATTR_DATA: result.data}


async def _update_firmware(call: ServiceCall, target: Target) -> ServiceResponse:
    """Have the charger fetch and install firmware."""
    request = firmware_request(call.data)
    with translated_errors(call.service):
        _check(await target.commands.update_firmware(request), _REPLACED)
    return None


async def _get_log(call: ServiceCall, target: Target) -> ServiceResponse:
    """Have the charger upload a log; the answer names the file."""
    request = log_request(call.data)
    with translated_errors(call.service):
        result = await target.commands.get_log(request)
        _check(result.status, _REPLACED)
    return {ATTR_STATUS: result.status.value, "filename": result.filename}


async def _offer_firmware(call: ServiceCall, target: Target) -> ServiceResponse:
    """Offer firmware (a file under the config dir, or a URL); the update entity shows it."""
    target.central.maintenance.offer_firmware(
        target.charger,
        OfferedFirmware(
            version=call.data[ATTR_VERSION_NAME],
            file=call.data.get(ATTR_FILE),
            location=call.data.get(ATTR_URL),
            release_notes=call.data.get(ATTR_RELEASE_NOTES),
            release_url=call.data.get(ATTR_RELEASE_URL),
        ),
    )
    return None


async def _install_firmware(call: ServiceCall, target: Target) -> ServiceResponse:
    """Install the offered firmware now or from a time on; returns the request id."""
    with translated_errors(call.service):
        request_id = await target.central.maintenance.async_install(
            target.charger,
            force=call.data[ATTR_FORCE],
            retrieve_at=call.data.get(ATTR_RETRIEVE_AT),
        )
    return {"request_id": request_id}


async def _request_diagnostics(call: ServiceCall, target: Target) -> ServiceResponse:
    """Have the charger upload its diagnostics (or security log) into Home Assistant."""
    with translated_errors(call.service):
        result = await target.central.maintenance.async_request_log(
            target.charger, LogKind(call.data[ATTR_KIND])
        )
    return {ATTR_STATUS: result.status.value, "filename": result.filename}


async def _reserve_now(call: ServiceCall, target: Target) -> ServiceResponse:
    """Reserve the connector (any, on a charger with several) for an id tag."""
    version = target.commands.ocpp_version
    request = reservation(call.data, _connector_or_any(target), version)
    with translated_errors(call.service):
        _check(await target.commands.reserve_now(request))
    target.central.reservations.made(
        target.charger,
        request.connector_id or 0,
        request.reservation_id,
        request.id_tag,
        request.expiry,
    )
    return {ATTR_RESERVATION_ID: request.reservation_id}


async def _cancel_reservation(call: ServiceCall, target: Target) -> ServiceResponse:
    """Cancel a reservation."""
    reservation_id = call.data[ATTR_RESERVATION_ID]
    with translated_errors(call.service):
        status = await target.commands.cancel_reservation(reservation_id)
    # Unknown to the charger: it is over there too.
    target.central.reservations.ended(target.charger, reservation_id)
    _check(status)
    return None


async def _send_local_list(call: ServiceCall, target: Target) -> ServiceResponse:
    """Replace or change the charger's local authorization list."""
    update_type = UpdateType(call.data[ATTR_UPDATE_TYPE])
    version = target.commands.ocpp_version
    entries = local_list_entries(call.data[ATTR_ENTRIES], update_type, version)
    with translated_errors(call.service):
        command = target.commands.send_local_list(call.data[ATTR_VERSION], entries, update_type)
        _check(await command)
    return None


async def _get_local_list_version(call: ServiceCall, target: Target) -> ServiceResponse:
    """The version of the charger's local authorization list."""
    with translated_errors(call.service):
        return {ATTR_VERSION: await target.commands.get_local_list_version()}


async def _clear_cache(call: ServiceCall, target: Target) -> ServiceResponse:
    """Clear the charger's authorization cache."""
    with translated_errors(call.service):
        _check(await target.commands.clear_cache())
    return None


async def _set_current_limit(call: ServiceCall, target: Target) -> ServiceResponse:
    """Set the connector's current limit like the number entity: rate-limited, 0 pauses."""
    _require_smart_charging(target)
    current: float = call.data["current"]
    maximum = max_current_for(target.central.settings, target.charger)
    if 0 < current < MIN_CURRENT or current > maximum:
        raise validation_error(
            "invalid_current",
            minimum=str(MIN_CURRENT),
            maximum=str(maximum),
        )
    connector_id = _needed_connector(target)
    # A limit set by hand (or by an automation) ends solar mode: one writer at a time.
    target.central.solar(target.name, connector_id).manual_override(ChargingMode.FAST)
    with translated_errors(call.service):
        await target.central.control(target.name, connector_id).async_set_current(
            current, call.data.get("phases")
        )
    return None


def _require_smart_charging(target: Target) -> None:
    # Only a charger known to lack it is refused here; an unknown one decides itself.
    if target.charger.feature_profiles and not supports_smart_charging(target.charger):
        raise validation_error("no_smart_charging")


type _Handler = Callable[[ServiceCall, Target], Awaitable[ServiceResponse]]

_ACTIONS: Final[dict[str, tuple[_Handler, SupportsResponse]]] = {
    SERVICE_START_CHARGING: (_start_charging, SupportsResponse.NONE),
    SERVICE_STOP_CHARGING: (_stop_charging, SupportsResponse.NONE),
    SERVICE_SET_CHARGING_PROFILE: (_set_charging_profile, SupportsResponse.OPTIONAL),
    SERVICE_CLEAR_CHARGING_PROFILE: (_clear_charging_profile, SupportsResponse.OPTIONAL),
    SERVICE_GET_COMPOSITE_SCHEDULE: (_get_composite_schedule, SupportsResponse.ONLY),
    SERVICE_CHANGE_AVAILABILITY: (_change_availability, SupportsResponse.OPTIONAL),
    SERVICE_RESET: (_reset, SupportsResponse.OPTIONAL),
    SERVICE_UNLOCK_CONNECTOR: (_unlock_connector, SupportsResponse.NONE),
    SERVICE_GET_CONFIGURATION: (_get_configuration, SupportsResponse.ONLY),
    SERVICE_SET_CONFIGURATION: (_set_configuration, SupportsResponse.OPTIONAL),
    SERVICE_TRIGGER_MESSAGE: (_trigger_message, SupportsResponse.NONE),
    SERVICE_DATA_TRANSFER: (_data_transfer, SupportsResponse.OPTIONAL),
    SERVICE_UPDATE_FIRMWARE: (_update_firmware, SupportsResponse.NONE),
    SERVICE_OFFER_FIRMWARE: (_offer_firmware, SupportsResponse.NONE),
    SERVICE_INSTALL_FIRMWARE: (_install_firmware, SupportsResponse.OPTIONAL),
    SERVICE_REQUEST_DIAGNOSTICS: (_request_diagnostics, SupportsResponse.OPTIONAL),
    SERVICE_GET_LOG: (_get_log, SupportsResponse.OPTIONAL),
    SERVICE_RESERVE_NOW: (_reserve_now, SupportsResponse.OPTIONAL),
    SERVICE_CANCEL_RESERVATION: (_cancel_reservation, SupportsResponse.NONE),
    SERVICE_SEND_LOCAL_LIST: (_send_local_list, SupportsResponse.NONE),
    SERVICE_GET_LOCAL_LIST_VERSION: (_get_local_list_version, SupportsResponse.ONLY),
    SERVICE_CLEAR_CACHE: (_clear_cache, SupportsResponse.NONE),
    SERVICE_SET_CURRENT_LIMIT: (_set_current_limit, SupportsResponse.NONE),
}


def _targeted(handler: _Handler) -> Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]:
    """Resolve the call's device to its connected charger before running the action."""

    async def run(call: ServiceCall) -> ServiceResponse:
        return await handler(call, _resolve(call))

    return run


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every action of the integration."""
    async_setup_history_services(hass)
    for name, (handler, supports_response) in _ACTIONS.items():
        hass.services.async_register(
            DOMAIN,
            name,
            _targeted(handler),
            schema=SCHEMAS[name],
            supports_response=supports_response,
        )
