"""The central system of one config entry: server, chargers, approvals and persistence."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import datetime
import itertools
import logging
import time
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, discovery_flow, issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later, async_track_state_change_event
from homeassistant.util import dt as dt_util
from websockets.asyncio.server import ServerConnection

from .access import ChargerAccess
from .const import (
    CALL_TIMEOUT,
    CONF_AUTO_ACCEPT,
    CONF_CALL_TIMEOUT,
    CONF_FAILSAFE_CURRENT,
    CONF_GRID_SENSOR,
    CONF_HEARTBEAT_INTERVAL,
    CONF_HOST,
    CONF_ID_TAG,
    CONF_IDLE_TIMEOUT,
    CONF_LIMIT_INTERVAL,
    CONF_MAX_CONNECTIONS_PER_ADDRESS,
    CONF_MAX_CONNECTORS,
    CONF_MAX_CURRENT,
    CONF_MAX_FRAME_KB,
    CONF_MAX_MESSAGE_RATE,
    CONF_MAX_PENDING_CHARGERS,
    CONF_MEASURANDS,
    CONF_METER_INTERVAL,
    CONF_OCPP_VERSION,
    CONF_PHASE_SWITCHING,
    CONF_PORT,
    DEFAULT_AUTO_ACCEPT,
    DEFAULT_FAILSAFE_CURRENT,
    DEFAULT_HEARTBEAT_INTERVAL,
    DEFAULT_ID_TAG,
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_LIMIT_INTERVAL,
    DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
    DEFAULT_MAX_CONNECTORS,
    DEFAULT_MAX_CURRENT,
    DEFAULT_MAX_FRAME_KB,
    DEFAULT_MAX_MESSAGE_RATE,
    DEFAULT_MAX_PENDING_CHARGERS,
    DEFAULT_MEASURANDS,
    DEFAULT_METER_INTERVAL,
    DOMAIN,
    EVENT_CARD,
    EVENT_CHARGER_BOOTED,
    EVENT_DATA_TRANSFER,
    EVENT_FAULT,
    EVENT_SECURITY_EVENT,
    EVENT_SESSION_STARTED,
    EVENT_SESSION_STOPPED,
    LOGGER,
    OCPP_VERSION_AUTO,
)
from .control import ConnectorControl
from .devices import charger_device_info, connector_device_info, fire_charger_event, unique_id_for
from .energy_statistics import EnergyBackfill
from .entity_queue import EntityQueue
from .errors import ChargerNotConnectedError
from .history import CONF_HISTORY_DAYS, DEFAULT_KEEP_DAYS, SessionHistory, SessionRecord
from .host import ChargerConnection
from .log_throttle import LogThrottle
from .maintenance import Maintenance
from .model import Charger, ChargerInfo, DataTransferRecord, Fault, Transaction
from .ocpi_registry import OcpiHub
from .protocol import preload_schemas
from .protocol.base import (
    AuthorizationStatus,
    BootDecision,
    BootStatus,
    ChargerSettings,
    ConnectionLimits,
)
from .reservations import Reservations
from .secure_port import SecurePort
from .security import Credentials, Verdict
from .server import Admission, CentralServer
from .session import ChargerSession
from .solar_runtime import SolarRunner
from .store import CentralStore
from .tags import TagList
from .tariff import CONF_PRICE_SENSOR, Tariff

if TYPE_CHECKING:
    from . import OcppConfigEntry

# Flows start in a task; a card asked for within this many seconds counts as open even before
# HA lists its flow.
CARD_START_GRACE: Final = 10.0
# Unknown cards remembered for the options (policy "accept and record").
MAX_UNKNOWN_TAGS_SEEN: Final = 20
# One card event per card and charger within this many seconds.
CARD_EVENT_INTERVAL: Final = 60.0
MAX_CARD_EVENT_KEYS: Final = 1024
# A fault still there after this long (s) gets a repair issue; shorter ones are events only.
FAULT_REPAIR_DELAY: Final = 60.0
# A Pending charger boots again after this many seconds (unless we trigger it sooner). One
# whose discovery card is open asks every 10 s, so accepting it feels immediate also where it
# cannot be triggered; one waiting without a card (too many are waiting) asks every minute.
PENDING_RETRY_INTERVAL: Final = 60
PENDING_RETRY_WITH_CARD: Final = 10


def discovery_unique_id(entry_id: str, charge_point_id: str) -> str:
    """Unique id of the discovery card of a charger (one card per charger and central)."""
    return f"charger:{entry_id}:{charge_point_id}"


# Chargers whose settings, cards, tariff and limits are written at the same time.
CONCURRENT_CONFIGURATIONS: Final = 16


def signal_cards_changed(entry_id: str) -> str:
    """Dispatcher signal: the owner's list of cards may have changed (options)."""
    return f"{DOMAIN}_{entry_id}_cards_changed"


def signal_charger_removed(entry_id: str) -> str:
    """Dispatcher signal: a charger was forgotten."""
    return f"{DOMAIN}_{entry_id}_charger_removed"


class CentralSystem:
    """Runtime object of a config entry (`entry.runtime_data`)."""

    def __init__(self, hass: HomeAssistant, entry: OcppConfigEntry) -> None:
        """Create the central system; `async_start` brings it up."""
        self.hass = hass
        self.entry = entry
        self.store = CentralStore(hass, entry.entry_id)
        # Approved chargers, connected or not. Chargers waiting for approval live only in
        # their session until the user accepts them.
        self.chargers: dict[str, Charger] = {}
        self.entity_queue = EntityQueue(hass, entry)
        self.sessions: dict[str, ChargerSession] = {}
        # After a power cut every charger of a site boots at once; configuring a few at a
        # time keeps the event loop free for their boots and readings in between.
        self.configuration_slots = asyncio.Semaphore(CONCURRENT_CONFIGURATIONS)
        self.log_throttle = LogThrottle(LOGGER)
        # Charger id -> when its discovery card was asked for: flows start in a task, so a
        # card asked for a moment ago may not be in HA's flow list yet.
        self._cards_requested: dict[str, float] = {}
        # One load per OCPP version; chargers arriving meanwhile wait for the same one.
        self._schemas_loading: dict[str, asyncio.Future[None]] = {}
        # Connections are numbered as they arrive; per charger, the newest one is served.
        self._connection_generations = itertools.count()
        self._newest_connection: dict[str, int] = {}
        self._controls: dict[tuple[str, int], ConnectorControl] = {}
        self._solar: dict[tuple[str, int], SolarRunner] = {}
        self.maintenance = Maintenance(self)
        self.reservations = Reservations(hass)
        self.tariff = Tariff(hass, lambda: self.entry.options)
        self.history = SessionHistory(hass, entry.entry_id)
        self.energy_backfill = EnergyBackfill(hass)
        self._settings: tuple[Mapping[str, Any], ChargerSettings] | None = None
        self.ocpi = OcpiHub(hass, entry.entry_id)
        self._price_unsub: Callable[[], None] | None = None
        self._tags: TagList | None = None
        # Unknown cards presented under the "accept and record" policy (newest last).
        self.unknown_tags_seen: OrderedDict[str, datetime] = OrderedDict()
        # (charger, tag) -> when its card event last fired (Authorize then StartTransaction
        # announce one card once).
        self._card_events: dict[tuple[str, str], float] = {}
        # Repair issue id -> the timer that raises it if the fault lasts.
        self._fault_timers: dict[str, Callable[[], None]] = {}
        self._admission = Admission(
            pinned_version=self._pinned_version,
            max_connections_per_address=lambda: self._option_int(
                CONF_MAX_CONNECTIONS_PER_ADDRESS, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS
            ),
            authenticate=self._authenticate,
            log_throttle=self.log_throttle,
        )
        self._server = CentralServer(
            entry.data[CONF_HOST], entry.data[CONF_PORT], self._serve, self._admission
        )
        self.secure_port = SecurePort(
            hass,
            entry.entry_id,
            lambda: self.entry.options,
            entry.data,
            self._serve,
            self._admission,
        )
        self.access = ChargerAccess(self, self.secure_port)

    def _authenticate(self, credentials: Credentials) -> Verdict:
        # The access object is created after the listeners it decides for.
        return self.access.authenticate(credentials)

    @property
    def settings(self) -> ChargerSettings:
        """What chargers should be configured to, from the entry options.

        Read for every entity on every meter frame: built again only when the options
        mapping is a new one (HA replaces it on every change).
        """
        options = self.entry.options
        if self._settings is None or self._settings[0] is not options:
            self._settings = (options, self._settings_from(options))
        return self._settings[1]

    @staticmethod
    def _settings_from(options: Mapping[str, Any]) -> ChargerSettings:
        return ChargerSettings(
            heartbeat_interval=int(
                options.get(CONF_HEARTBEAT_INTERVAL, DEFAULT_HEARTBEAT_INTERVAL)
            ),
            meter_interval=int(options.get(CONF_METER_INTERVAL, DEFAULT_METER_INTERVAL)),
            measurands=tuple(options.get(CONF_MEASURANDS, DEFAULT_MEASURANDS)),
            id_tag=str(options.get(CONF_ID_TAG, DEFAULT_ID_TAG)),
            max_current=float(options.get(CONF_MAX_CURRENT, DEFAULT_MAX_CURRENT)),
            limit_interval=float(options.get(CONF_LIMIT_INTERVAL, DEFAULT_LIMIT_INTERVAL)),
            failsafe_current=float(options.get(CONF_FAILSAFE_CURRENT, DEFAULT_FAILSAFE_CURRENT)),
        )

    @property
    def connection_limits(self) -> ConnectionLimits:
        """What each charger connection may do (options; new connections use new values)."""
        heartbeat = self._option_int(CONF_HEARTBEAT_INTERVAL, DEFAULT_HEARTBEAT_INTERVAL)
        idle = self._option_int(CONF_IDLE_TIMEOUT, DEFAULT_IDLE_TIMEOUT)
        return ConnectionLimits(
            max_messages_per_second=self._option_int(
                CONF_MAX_MESSAGE_RATE, DEFAULT_MAX_MESSAGE_RATE
            ),
            # Automatic: a charger heartbeats at least this often, with room for one miss.
            idle_timeout=idle or 2 * heartbeat + 60,
            call_timeout=self._option_int(CONF_CALL_TIMEOUT, int(CALL_TIMEOUT)),
            max_frame_bytes=self._option_int(CONF_MAX_FRAME_KB, DEFAULT_MAX_FRAME_KB) * 1024,
        )

    def solar(self, charge_point_id: str, connector_id: int) -> SolarRunner:
        """The charging mode and solar loop of a connector (one per connector)."""
        key = (charge_point_id, connector_id)
        if (found := self._solar.get(key)) is None:
            found = self._solar[key] = SolarRunner(self, charge_point_id, connector_id)
        return found

    def control(self, charge_point_id: str, connector_id: int) -> ConnectorControl:
        """The limit writer of a connector (one per connector, kept across reconnects)."""
        key = (charge_point_id, connector_id)
        if (found := self._controls.get(key)) is None:
            found = self._controls[key] = ConnectorControl(self, charge_point_id, connector_id)
        return found

    def _option_int(self, key: str, default: int) -> int:
        return int(self.entry.options.get(key, default))

    @property
    def max_connectors(self) -> int:
        """The most connectors (EVSEs) a charger may have before it announces its count."""
        return self._option_int(CONF_MAX_CONNECTORS, DEFAULT_MAX_CONNECTORS)

    @property
    def max_pending_chargers(self) -> int:
        """How many discovery cards for new chargers may be open at once."""
        return self._option_int(CONF_MAX_PENDING_CHARGERS, DEFAULT_MAX_PENDING_CHARGERS)

    @property
    def phase_switching_allowed(self) -> bool:
        """Whether the user lets solar mode switch between 1 and 3 phases (option)."""
        return bool(self.entry.options.get(CONF_PHASE_SWITCHING, False))

    def reconcile_charger(self, charge_point_id: str, *, forget: bool = False) -> None:
        """Bring every connector of a charger to its desired state (after connect or boot).

        `forget`: the charger may have lost our profiles; write them again where needed.
        """
        charger = self.chargers.get(charge_point_id)
        if charger is None:
            return
        # Connector 0 too: the charger's own availability is part of what the user chose.
        for connector_id in (0, *charger.outlet_ids):
            self.control(charge_point_id, connector_id).request(forget=forget)

    @callback
    def smart_charging_unsupported(self, charge_point_id: str, code: str) -> None:
        """The charger answered that it has no smart charging: its limit controls go away."""
        charger = self.chargers.get(charge_point_id)
        if charger is None or "SmartCharging" not in charger.feature_profiles:
            return
        LOGGER.warning(
            "Charger %s has no smart charging (it answered %s); its limit controls are unavailable",
            charge_point_id,
            code,
        )
        charger.feature_profiles = charger.feature_profiles - {"SmartCharging"}
        self.store.schedule_save()
        charger.notify()

    @callback
    def set_charger_limits(
        self,
        charger: Charger,
        *,
        max_current: float | None = None,
        failsafe_current: float | None = None,
    ) -> None:
        """The installer's limits of one charger: stored, and in force at once."""
        limits = charger.limits
        if max_current is not None:
            limits.max_current = max_current
            self.reconcile_charger(charger.charge_point_id)
            for connector_id in charger.outlet_ids:
                self.solar(charger.charge_point_id, connector_id).settings_changed()
        if failsafe_current is not None:
            limits.failsafe_current = failsafe_current
            if (session := self.sessions.get(charger.charge_point_id)) is not None:
                session.apply_failsafe()
        self.store.schedule_save()
        charger.notify()

    @callback
    def desired_changed(self) -> None:
        """The user's intent changed: it is saved like everything else that must survive."""
        self.store.schedule_save()

    @callback
    def limit_refused(self, charge_point_id: str, connector_id: int, *, refused: bool) -> None:
        """Raise (or clear) the repair issue of a charger that keeps refusing our limit."""
        issue_id = f"limit_refused_{self.entry.entry_id}_{charge_point_id}_{connector_id}"
        if not refused:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="limit_refused",
            translation_placeholders={"charger": charge_point_id, "connector": str(connector_id)},
        )

    @property
    def auto_accept(self) -> bool:
        """Whether unknown chargers are accepted without asking."""
        return bool(self.entry.options.get(CONF_AUTO_ACCEPT, DEFAULT_AUTO_ACCEPT))

    def _pinned_version(self) -> str | None:
        """The only OCPP version new connections may use, or None for the newest offered."""
        version = str(self.entry.options.get(CONF_OCPP_VERSION, OCPP_VERSION_AUTO))
        return None if version == OCPP_VERSION_AUTO else version

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return self._server.port

    @callback
    def _track_price(self) -> None:
        """Follow the price sensor: 2.1 chargers show the new price (a new hour's, say)."""
        if self._price_unsub is not None:
            self._price_unsub()
            self._price_unsub = None
        if sensor := self.entry.options.get(CONF_PRICE_SENSOR):

            @callback
            def price_changed(_event: Event[EventStateChangedData]) -> None:
                for session in self.sessions.values():
                    if session.accepted and session.adapter.ocpp_version == "2.1":
                        session.sync_tariff()

            self._price_unsub = async_track_state_change_event(
                self.hass, [str(sensor)], price_changed
            )

    async def async_start(self) -> None:
        """Load stored chargers and start listening (OSError if the port is taken)."""
        self.chargers = await self.store.async_load()
        self.history.keep_days = self._option_int(CONF_HISTORY_DAYS, DEFAULT_KEEP_DAYS)
        await self.history.async_load()
        self._track_price()
        await self.ocpi.async_load()
        for charge_point_id, charger in self.chargers.items():
            for connector_id in charger.outlet_ids:
                # Solar modes chosen before the restart follow the sun again.
                self.solar(charge_point_id, connector_id).resume()
        await self._server.start()
        await self.secure_port.async_start()
        self.access.update_repair()
        LOGGER.debug("OCPP central system listening on port %s", self._server.port)

    async def async_stop(self) -> None:
        """Close every charger connection, release the port and write the store."""
        for runner in self._solar.values():
            runner.stop()
        for control in self._controls.values():
            control.cancel()
        for cancel_timer in self._fault_timers.values():
            cancel_timer()
        self._fault_timers.clear()
        self.reservations.stop()
        if self._price_unsub is not None:
            self._price_unsub()
            self._price_unsub = None
        await self._server.stop()
        await self.secure_port.async_stop()
        # Closing the server closed the sockets; let the sessions finish their cleanup.
        await asyncio.sleep(0)
        self.sessions.clear()
        await self.store.async_save_now()
        await self.history.async_save_now()
        self.energy_backfill.async_stop()

    async def _serve(
        self, websocket: ServerConnection, charge_point_id: str, version: str, verdict: Verdict
    ) -> None:
        """Serve one charger connection; a newer connection with the same id replaces it.

        Only the newest connection of a charger may change its state: a connection that
        waited (for the schemas to load) while a newer one arrived is closed, never
        registered over the newer one.
        """
        generation = next(self._connection_generations)
        self._newest_connection[charge_point_id] = generation
        if (loading := self._schemas_loading.get(version)) is None:
            loading = self._schemas_loading[version] = self.hass.async_add_executor_job(
                preload_schemas, version
            )
        if not loading.done():
            # The first chargers of a version wait for it (once per version and process).
            await asyncio.shield(loading)
        if self._newest_connection.get(charge_point_id) != generation:
            await websocket.close(code=1000, reason="replaced by a new connection")
            return
        charger = self.chargers.get(charge_point_id) or Charger(charge_point_id)
        self.access.connected(charger, verdict)
        session = ChargerSession(self, charger, websocket, version)
        previous = self.sessions.get(charge_point_id)
        self.sessions[charge_point_id] = session
        if previous is not None:
            LOGGER.info("Charger %s reconnected; closing its previous connection", charge_point_id)
            self.entry.async_create_background_task(
                self.hass,
                previous.close("replaced by a new connection"),
                f"ocpp_central {charge_point_id} close replaced connection",
            )
        try:
            await session.run()
        finally:
            if self.sessions.get(charge_point_id) is session:
                del self.sessions[charge_point_id]
            if self._newest_connection.get(charge_point_id) == generation:
                del self._newest_connection[charge_point_id]

    def accepted_session(self, charge_point_id: str) -> ChargerSession:
        """The connection of a charger that may take commands, else ChargerNotConnectedError."""
        session = self.sessions.get(charge_point_id)
        if session is None or not session.accepted:
            raise ChargerNotConnectedError
        return session

    # --- approval --------------------------------------------------------------------------

    async def async_boot_decision(self, session: ChargerConnection) -> BootDecision:
        """Accept known chargers, accept or ask about new ones."""
        charger = session.charger
        charge_point_id = charger.charge_point_id
        if charge_point_id in self.chargers:
            self._update_device(charger)
            self.store.schedule_save(charger)
            return BootDecision(BootStatus.ACCEPTED, self.settings.heartbeat_interval)
        if self.auto_accept:
            await self.async_approve(charger)
            return BootDecision(BootStatus.ACCEPTED, self.settings.heartbeat_interval)
        self._start_discovery(session)
        # With its card open, the charger asks again soon, so that accepting it takes effect
        # within seconds even where it cannot be triggered to boot.
        has_card = charge_point_id in self._open_cards()
        return BootDecision(
            BootStatus.PENDING, PENDING_RETRY_WITH_CARD if has_card else PENDING_RETRY_INTERVAL
        )

    def _update_device(self, charger: Charger) -> None:
        """Show what the charger said at boot (new firmware, say) on its device."""
        registry = dr.async_get(self.hass)
        device = registry.async_get_device({(DOMAIN, charger.charge_point_id)})
        if device is not None:
            info = charger.info
            registry.async_update_device(
                device.id,
                manufacturer=info.vendor,
                model=info.model,
                serial_number=info.serial_number,
                sw_version=info.firmware_version,
            )

    def _start_discovery(self, session: ChargerConnection) -> None:
        """Show a discovery card for a new charger, unless too many cards are open already.

        Anyone on the network can invent charger ids; past the cap, a new charger stays
        Pending without a card and gets one when it boots again after a card was resolved.
        """
        charger = session.charger
        charge_point_id = charger.charge_point_id
        open_cards = self._open_cards()
        if charge_point_id in open_cards:
            return
        if len(open_cards) >= self.max_pending_chargers:
            self.log_throttle.report(
                logging.WARNING,
                f"Charger {charge_point_id}",
                "waits for approval without a discovery card",
                f"{len(open_cards)} new chargers already wait for approval",
            )
            return
        self._cards_requested[charge_point_id] = time.monotonic()
        info = charger.info
        discovery_flow.async_create_flow(
            self.hass,
            DOMAIN,
            context={"source": SOURCE_INTEGRATION_DISCOVERY},
            data={
                "entry_id": self.entry.entry_id,
                "charge_point_id": charge_point_id,
                "vendor": info.vendor or "",
                "model": info.model or "",
                "serial_number": info.serial_number or "",
                "firmware_version": info.firmware_version or "",
                "remote_address": charger.remote_address or "",
                "ocpp_version": charger.ocpp_version or "",
            },
        )

    def _open_cards(self) -> set[str]:
        """Ids of chargers whose discovery card is open (or about to open)."""
        prefix = discovery_unique_id(self.entry.entry_id, "")
        in_progress = {
            unique_id.removeprefix(prefix)
            for flow in self.hass.config_entries.flow.async_progress_by_handler(
                DOMAIN,
                include_uninitialized=True,
                match_context={"source": SOURCE_INTEGRATION_DISCOVERY},
            )
            if (unique_id := str(flow["context"].get("unique_id") or "")).startswith(prefix)
        }
        now = time.monotonic()
        self._cards_requested = {
            charge_point_id: asked
            for charge_point_id, asked in self._cards_requested.items()
            if charge_point_id not in in_progress and now - asked < CARD_START_GRACE
        }
        # An accepted charger's card is closing: it no longer counts.
        return (in_progress | set(self._cards_requested)) - self.chargers.keys()

    def _offer_waiting_cards(self) -> None:
        """After a card was resolved, show cards for connected chargers still waiting."""
        for session in list(self.sessions.values()):
            if (
                session.charger.charge_point_id not in self.chargers
                and session.has_booted
                and len(self._open_cards()) < self.max_pending_chargers
            ):
                self._start_discovery(session)

    async def async_approve(self, charger: Charger) -> None:
        """Make a charger a device of this central system (and persist that)."""
        self.chargers[charger.charge_point_id] = charger
        self.store.track(charger)
        await self.store.async_save_now(charger)
        self._cards_requested.pop(charger.charge_point_id, None)
        self.structure_changed(charger)
        self.access.update_repair()
        self._offer_waiting_cards()

    async def async_accept(
        self,
        charge_point_id: str,
        info: ChargerInfo,
        area_id: str | None = None,
        *,
        protect: bool = False,
    ) -> None:
        """Accept a charger from its discovery card, connected or not, into an area.

        A connected charger is asked to boot again so it becomes Accepted at once; one that
        went away is accepted when it next boots (`info` is what its card showed). With
        `protect`, it gets a password once it has taken our settings (security profile 1).
        """
        session = self.sessions.get(charge_point_id)
        charger = session.charger if session else Charger(charge_point_id, info=info)
        # The device exists from now on (its entities follow), in the area the user chose.
        registry = dr.async_get(self.hass)
        device = registry.async_get_or_create(
            config_entry_id=self.entry.entry_id, **charger_device_info(charger)
        )
        if area_id is not None:
            registry.async_update_device(device.id, area_id=area_id)
        if protect and charger.security.password is None:
            self.access.protect_when_configured(charge_point_id)
        await self.async_approve(charger)
        if session is not None and session.boot_pending:
            session.request_boot()

    async def async_forget(self, charge_point_id: str) -> None:
        """Forget a charger whose device the user removed; it must be accepted again."""
        self.store.forget(charge_point_id)
        self.chargers.pop(charge_point_id, None)
        self.entity_queue.forget(charge_point_id)
        # Its limit writers and solar controllers must not wake up for a charger now gone.
        for key in [key for key in self._controls if key[0] == charge_point_id]:
            self._controls.pop(key).cancel()
        for key in [key for key in self._solar if key[0] == charge_point_id]:
            self._solar.pop(key).stop()
        await self.store.async_save_now()
        async_dispatcher_send(
            self.hass, signal_charger_removed(self.entry.entry_id), charge_point_id
        )
        if (session := self.sessions.pop(charge_point_id, None)) is not None:
            await session.close("charger removed")

    # --- notifications -----------------------------------------------------------------------

    @callback
    def structure_changed(self, charger: Charger) -> None:
        """Let the platforms add entities an approved charger now needs."""
        if charger.charge_point_id in self.chargers:
            self.store.schedule_save(charger)
            self.entity_queue.request(charger.charge_point_id)

    @callback
    def fire_session_event(self, charger: Charger, transaction: Transaction) -> None:
        """Fire session started / stopped for automations (and the device triggers)."""
        if charger.charge_point_id not in self.chargers:
            return
        registry = dr.async_get(self.hass)
        identifier = connector_device_info(charger, transaction.connector_id)["identifiers"]
        device = registry.async_get_device(identifiers=identifier)
        data: dict[str, Any] = {
            "device_id": device.id if device else None,
            "charge_point_id": charger.charge_point_id,
            "connector_id": transaction.connector_id,
            "transaction_id": transaction.transaction_id,
            "id_tag": transaction.id_tag,
            "started_at": transaction.started_at.isoformat(),
        }
        if transaction.stopped_at is None:
            self.reservations.session_started(charger, transaction.connector_id, transaction.id_tag)
            self.hass.bus.async_fire(EVENT_SESSION_STARTED, data)
            return
        self.tariff.finish(transaction)
        record = self._session_record(charger, transaction, transaction.stopped_at)
        self.history.add(record)
        charger.notify(0)
        data |= {
            "stopped_at": transaction.stopped_at.isoformat(),
            "energy_kwh": record.energy_kwh,
            "duration_s": record.duration_s,
            "reason": transaction.stop_reason,
            "cost": record.cost,
            "currency": record.currency,
        }
        self.hass.bus.async_fire(EVENT_SESSION_STOPPED, data)

    def _session_record(
        self, charger: Charger, transaction: Transaction, stopped_at: datetime
    ) -> SessionRecord:
        """A finished session as the history keeps it (card name and person as of now)."""
        tag = self.tags.find(transaction.id_tag) if transaction.id_tag else None
        return SessionRecord(
            charge_point_id=charger.charge_point_id,
            connector_id=transaction.connector_id,
            transaction_id=transaction.transaction_id,
            started_at=transaction.started_at,
            stopped_at=stopped_at,
            energy_kwh=round(transaction.energy_wh / 1000, 3),
            duration_s=round(transaction.duration_seconds(stopped_at)),
            id_tag=transaction.id_tag,
            tag_name=None if tag is None else tag.name,
            person=None if tag is None else tag.person,
            stop_reason=transaction.stop_reason,
            meter_start_wh=transaction.meter_start_wh,
            meter_stop_wh=transaction.meter_stop_wh or transaction.meter_last_wh,
            peak_power_w=transaction.peak_power_w,
            cost=self.tariff.session_cost(transaction),
            currency=self.tariff.currency,
            signed_readings=tuple(transaction.signed_readings),
        )

    @callback
    def fire_boot_event(self, charger: Charger) -> None:
        """Fire charger booted for automations (and the device trigger)."""
        fire_charger_event(
            self.hass,
            charger,
            EVENT_CHARGER_BOOTED,
            {
                "reason": charger.boot_reason,
                "boot_count": charger.boot_count,
                "firmware_version": charger.info.firmware_version,
            },
        )

    @property
    def tags(self) -> TagList:
        """The owner's cards and the policy for others (from the options)."""
        if self._tags is None:
            self._tags = TagList.from_options(self.entry.options)
        return self._tags

    @callback
    def authorize(self, charger: Charger, id_tag: str) -> AuthorizationStatus:
        """Whether a presented card may charge; fired as a card event (once per minute)."""
        if id_tag.casefold() == self.settings.id_tag.casefold():
            # Sessions started from Home Assistant use this tag.
            return AuthorizationStatus.ACCEPTED
        decision = self.tags.decide(id_tag)
        if decision.record:
            self.unknown_tags_seen[id_tag] = dt_util.utcnow()
            self.unknown_tags_seen.move_to_end(id_tag)
            while len(self.unknown_tags_seen) > MAX_UNKNOWN_TAGS_SEEN:
                self.unknown_tags_seen.popitem(last=False)
        now = time.monotonic()
        if len(self._card_events) > MAX_CARD_EVENT_KEYS:
            # A charger inventing card ids must not grow this without bound.
            self._card_events = {
                key: at for key, at in self._card_events.items() if now - at < CARD_EVENT_INTERVAL
            }
        last = self._card_events.get((charger.charge_point_id, id_tag))
        if last is None or now - last >= CARD_EVENT_INTERVAL:
            self._card_events[(charger.charge_point_id, id_tag)] = now
            tag = decision.tag
            fire_charger_event(
                self.hass,
                charger,
                EVENT_CARD,
                {
                    "id_tag": id_tag,
                    "name": None if tag is None else tag.name,
                    "person": None if tag is None else tag.person,
                    "result": decision.status.value,
                },
            )
        return decision.status

    @callback
    def fault_changed(self, charger: Charger, fault: Fault) -> None:
        """Fire the fault event; a fault that lasts gets a repair issue, cleared with it."""
        raised = fault.cleared_at is None
        fire_charger_event(
            self.hass,
            charger,
            EVENT_FAULT,
            {
                "connector_id": fault.connector_id,
                "state": "raised" if raised else "cleared",
                "error_code": fault.error_code.value,
                "vendor_error_code": fault.vendor_error_code,
                "info": fault.info,
            },
        )
        issue_id = f"fault_{self.entry.entry_id}_{charger.charge_point_id}_{fault.connector_id}"
        if (pending := self._fault_timers.pop(issue_id, None)) is not None:
            pending()
        if not raised:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        # Throttled: a broken charger may raise faults by the second.
        self.log_throttle.report(
            logging.WARNING,
            f"Charger {charger.charge_point_id}",
            "reports a fault",
            f"connector {fault.connector_id}: {fault.error_code.value}"
            + (f" ({fault.vendor_error_code})" if fault.vendor_error_code else ""),
        )

        @callback
        def still_faulted(_now: object) -> None:
            self._fault_timers.pop(issue_id, None)
            if charger.open_faults.get(fault.connector_id) is not fault:
                return
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=f"fault_{fault.error_code.value}",
                translation_placeholders={
                    "charger": charger.charge_point_id,
                    "connector": str(fault.connector_id),
                    "vendor_code": fault.vendor_error_code or "-",
                    "info": fault.info or "-",
                },
            )

        # A fault that clears within a minute (a car's glitch) is an event, not a repair.
        self._fault_timers[issue_id] = async_call_later(
            self.hass, FAULT_REPAIR_DELAY, still_faulted
        )

    @callback
    def reboot_required(self, charger: Charger, key: str) -> None:
        """Offer the owner a restart for settings that wait for one (a fixable repair)."""
        charger.reboot_required_keys.add(key)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._reboot_issue_id(charger),
            is_fixable=True,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="reboot_required",
            translation_placeholders={
                "charger": charger.charge_point_id,
                "keys": ", ".join(sorted(charger.reboot_required_keys)),
            },
            data={"entry_id": self.entry.entry_id, "charge_point_id": charger.charge_point_id},
        )

    @callback
    def reboot_done(self, charger: Charger) -> None:
        """The charger restarted: nothing waits for a restart any more."""
        if charger.reboot_required_keys:
            charger.reboot_required_keys.clear()
            ir.async_delete_issue(self.hass, DOMAIN, self._reboot_issue_id(charger))

    def _reboot_issue_id(self, charger: Charger) -> str:
        return f"reboot_required_{self.entry.entry_id}_{charger.charge_point_id}"

    @callback
    def fire_security_event(self, charger: Charger, kind: str, tech_info: str | None) -> None:
        """Fire security event for automations."""
        fire_charger_event(
            self.hass, charger, EVENT_SECURITY_EVENT, {"type": kind, "tech_info": tech_info}
        )

    async def async_configured(self, charger: Charger) -> None:
        """A charger took our settings after a boot (a new one may now get its password)."""
        await self.access.async_configured(charger)

    @callback
    def certificate_requested(self, charger: Charger, csr: str) -> bool:
        """A charger asks for a client certificate (security profile 3)."""
        return self.access.certificate_requested(charger, csr)

    @callback
    def late_energy(
        self, charger: Charger, connector_id: int, timestamp: datetime, total_wh: float
    ) -> None:
        """A late energy total goes to its hour of the sensor's long-term statistics."""
        if charger.charge_point_id in self.chargers:
            unique_id = unique_id_for(charger, connector_id, "energy")
            self.energy_backfill.reading(unique_id, timestamp, total_wh / 1000)

    @callback
    def fire_data_transfer(self, charger: Charger, record: DataTransferRecord) -> None:
        """Fire an HA event for a charger's DataTransfer so automations can react."""
        data = asdict(record)
        data["timestamp"] = record.timestamp.isoformat()
        data["charge_point_id"] = charger.charge_point_id
        self.hass.bus.async_fire(EVENT_DATA_TRANSFER, data)

    @callback
    def async_options_updated(self) -> None:
        """Push changed options to every accepted, connected charger (no reload)."""
        self._tags = None
        async_dispatcher_send(self.hass, signal_cards_changed(self.entry.entry_id))
        self.history.keep_days = self._option_int(CONF_HISTORY_DAYS, DEFAULT_KEEP_DAYS)
        self._track_price()
        self.entry.async_create_background_task(
            self.hass, self.secure_port.async_options_updated(), "ocpp_central TLS port"
        )
        # Applying the settings also sends changed cards to chargers with a local list.
        for session in self.sessions.values():
            session.apply_settings()
        for charger in self.chargers.values():
            # Card names may have changed: entities showing them are written again if so.
            charger.notify()
            # A grid sensor set for the first time brings the solar entities.
            self.structure_changed(charger)

    @property
    def solar_configured(self) -> bool:
        """Whether the solar modes can work: a grid power sensor is set in the options."""
        return bool(self.entry.options.get(CONF_GRID_SENSOR))
