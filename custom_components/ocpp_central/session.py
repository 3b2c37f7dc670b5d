"""One charger's connection: runs its adapter and turns what it reports into model state."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
import logging
import re
from typing import Any, Final

from homeassistant.util import dt as dt_util
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from . import local_list, tariff_sync
from .const import LATE_READING_AFTER, LOGGER
from .control import install_failsafe
from .errors import ChargerCommandError
from .host import SessionHost
from .model import (
    MAX_FINISHED_TRANSACTIONS,
    PLUGGED_IN_STATUSES,
    SESSION_STATUSES,
    BootReason,
    Charger,
    ChargerInfo,
    Connector,
    ConnectorStatus,
    DataTransferRecord,
    ErrorCode,
    Fault,
    FirmwareStatus,
    Measurand,
    SampledValue,
    SignedReading,
    Transaction,
    UploadStatus,
    combined_plug_status,
)
from .protocol import create_adapter
from .protocol.base import (
    AuthorizationStatus,
    BootDecision,
    BootStatus,
    ConfigurationReport,
    EventOrder,
    TriggerKind,
)
from .protocol.commands import CommandAdapter
from .rate_limit import MessageRate
from .validation import InvalidInputError, Violation, safe_text

# A charger that reconnects usually boots within a second or two if it rebooted; one that has
# not booted by then only lost its connection, and is caught up without a boot.
RESUME_GRACE: Final = 5.0
# Diagnostics keep the last few vendor messages, not an unbounded history.
_MAX_DATA_TRANSFERS: Final = 20
# After a command, the charger gets this long to act before we ask it for fresh status and
# readings (a charger asked at once reports the state it is leaving).
REFRESH_DELAY: Final = 2.0
# How long a connector shows "waiting for the charger" at most: a charger that cannot be
# triggered and does not change status by itself is shown as it last reported after that.
AWAIT_STATUS_TIMEOUT: Final = 30.0
# Security event types worth a warning (OCPP 2.0.1 appendix: the critical, hostile ones).
_ALARMING: Final = re.compile(r"Tamper|Attack|Invalid|Failed|Exhaust|Replay")
# A 1.6 charger (which names no reason) that boots this soon after our Reset was reset by us.
RESET_BOOT_WINDOW: Final = timedelta(minutes=10)


# Readings of energy flowing right now. Many chargers send no MeterValues while idle, so once
# a connector stops charging these are set to 0 instead of showing the last session's power.
_FLOW_MEASURANDS: Final = frozenset(
    {
        Measurand.POWER_ACTIVE_IMPORT,
        Measurand.POWER_ACTIVE_EXPORT,
        Measurand.POWER_REACTIVE_IMPORT,
        Measurand.POWER_REACTIVE_EXPORT,
        Measurand.CURRENT_IMPORT,
        Measurand.CURRENT_EXPORT,
    }
)


def _zero_flow_readings(connector: Connector) -> None:
    # The sample keeps its timestamp so that the charger's next reading always replaces it.
    for key, sample in connector.readings.items():
        if sample.measurand in _FLOW_MEASURANDS and sample.value != 0:
            connector.readings[key] = replace(sample, value=0.0)


# What belongs to the car: once it left, these are unknown, not the last car's values.
_VEHICLE_MEASURANDS: Final = frozenset(
    {Measurand.SOC, Measurand.CURRENT_OFFERED, Measurand.POWER_OFFERED}
)


def _forget_vehicle_readings(connector: Connector) -> None:
    for key, sample in list(connector.readings.items()):
        if sample.measurand in _VEHICLE_MEASURANDS or sample.location == "EV":
            del connector.readings[key]


def _is_call(message: str | bytes) -> bool:
    """Whether a frame is a CALL ([2, ...]): only those make work; answers are cheap."""
    head = message[:8] if isinstance(message, str) else message[:8].decode(errors="replace")
    return head.lstrip(" \t\r\n[").startswith("2")


class ChargerSession:
    """A live connection of one charger; implements the adapters' `ChargerEvents`."""

    def __init__(
        self,
        central: SessionHost,
        charger: Charger,
        websocket: ServerConnection,
        ocpp_version: str,
    ) -> None:
        """Bind a charger's model to its websocket and the adapter for its OCPP version."""
        self.central = central
        self.charger = charger
        self._websocket = websocket
        self.log_throttle = central.log_throttle
        self._limits = central.connection_limits
        self.adapter: CommandAdapter = create_adapter(
            ocpp_version, charger.charge_point_id, websocket, self, self._limits
        )
        self.adapter.frame_history = charger.frames
        self._boot_status: BootStatus | None = None
        # We asked this connection to boot: its next boot is no reboot.
        self._boot_requested = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._settings_lock = asyncio.Lock()

    @property
    def has_booted(self) -> bool:
        """Whether the charger sent a BootNotification on this connection."""
        return self._boot_status is not None

    @property
    def accepted(self) -> bool:
        """Whether the charger may operate: it is approved, whatever this connection sent.

        Chargers boot only after a reboot; after a network drop or an HA restart they simply
        reconnect and go on. Approval is a fact about the charger, not about a connection.
        """
        return self.charger.charge_point_id in self.central.chargers

    @property
    def boot_pending(self) -> bool:
        """Whether this connection's last boot was answered Pending (it waits to boot again)."""
        return self._boot_status is BootStatus.PENDING

    async def run(self) -> None:
        """Serve the connection until it closes; nothing the charger sends ends it early."""
        charger = self.charger
        charger.connected = True
        charger.ocpp_version = self.adapter.ocpp_version
        remote = self._websocket.remote_address
        charger.remote_address = str(remote[0]) if remote else None
        charger.notify()
        LOGGER.info(
            "Charger %s connected from %s (OCPP %s)",
            charger.charge_point_id,
            charger.remote_address,
            charger.ocpp_version,
        )
        self._start_task(self._resume_without_boot(), "resume")
        try:
            await self._receive()
        except ConnectionClosed:
            pass
        except TimeoutError:
            LOGGER.info(
                "Charger %s sent nothing for %d s; closing its connection",
                charger.charge_point_id,
                self._limits.idle_timeout,
            )
            await self._websocket.close(code=1000, reason="idle")
        finally:
            self._connection_ended()

    async def _receive(self) -> None:
        """Handle frames one by one; a flood is slowed down, a silent connection times out."""
        loop = asyncio.get_running_loop()
        idle_timeout = self._limits.idle_timeout
        rate = MessageRate(self._limits.max_messages_per_second)
        async with asyncio.timeout(loop.time() + idle_timeout) as idle:
            async for message in self._websocket:
                now = loop.time()
                idle.reschedule(now + idle_timeout)
                if _is_call(message) and (wait := rate.delay(now)) > 0:
                    # Held, never dropped: every frame may carry a transaction or a reading.
                    self.log_throttle.report(
                        logging.WARNING,
                        f"Charger {self.charger.charge_point_id}",
                        "sends more messages than allowed",
                        f"more than {self._limits.max_messages_per_second:g} a second; slowed down",
                    )
                    await asyncio.sleep(wait)
                    idle.reschedule(loop.time() + idle_timeout)
                try:
                    await self.adapter.route_message(message)
                except ConnectionClosed:
                    raise
                except Exception as err:  # noqa: BLE001 - one bad frame must never end the connection
                    self.log_throttle.report(
                        logging.ERROR,
                        f"Charger {self.charger.charge_point_id}",
                        "could not be served",
                        repr(err),
                        exc_info=err,
                    )

    def _connection_ended(self) -> None:
        self.adapter.connection_lost.set()
        for task in self._tasks:
            task.cancel()
        if self.central.sessions.get(self.charger.charge_point_id) is self:
            LOGGER.info("Charger %s disconnected", self.charger.charge_point_id)
            self.charger.connected = False
            self.charger.notify()

    async def close(self, reason: str) -> None:
        """Close the connection (replaced by a newer one, charger removed, or unloading)."""
        await self._websocket.close(code=1000, reason=reason)

    def _start_task(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        """Run follow-up work outside the receive loop (a call awaited there would deadlock)."""
        task = self.central.entry.async_create_background_task(
            self.central.hass, coro, f"ocpp_central {self.charger.charge_point_id} {name}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _resume_without_boot(self) -> None:
        """Catch up with a charger that reconnected and sent no BootNotification.

        An approved charger is learned and configured as after a boot and asked for its
        status; one that is not approved is asked to boot, so that it gets a discovery card.
        A charger that does boot right after connecting is handled by its boot instead.
        """
        await asyncio.sleep(RESUME_GRACE)
        if self.has_booted:
            return
        if not self.accepted:
            await self._trigger_boot()
            return
        LOGGER.debug("Charger %s reconnected without booting", self.charger.charge_point_id)
        self.apply_settings()
        try:
            await self.adapter.trigger_message(TriggerKind.STATUS_NOTIFICATION)
        except ChargerCommandError as err:
            LOGGER.debug(
                "Charger %s did not resend its status: %s", self.charger.charge_point_id, err
            )

    def request_boot(self) -> None:
        """Ask a charger that was Pending to boot again now that it is accepted."""
        self._start_task(self._trigger_boot(), "trigger boot")

    async def _trigger_boot(self) -> None:
        self._boot_requested = True
        try:
            await self.adapter.trigger_message(TriggerKind.BOOT_NOTIFICATION)
        except ChargerCommandError as err:
            # It will boot again by itself after the Pending interval.
            LOGGER.info(
                "Charger %s did not take TriggerMessage: %s", self.charger.charge_point_id, err
            )

    def apply_failsafe(self) -> None:
        """Install (or remove) the charger's failsafe limit again: its value changed."""
        if self.accepted:
            self._start_task(self._apply_failsafe(), "apply failsafe")

    async def _apply_failsafe(self) -> None:
        try:
            await install_failsafe(self.central, self)
        except ChargerCommandError as err:
            LOGGER.warning(
                "Charger %s did not take its failsafe limit: %s", self.charger.charge_point_id, err
            )

    def apply_settings(self) -> None:
        """Push the current options to the charger (after boot or when options change)."""
        if self.accepted:
            self._start_task(self._apply_settings(), "apply settings")

    def sync_tariff(self) -> None:
        """Show the tariff in force on the charger (2.1), in the background."""
        self._start_task(self._sync_tariff(), "tariff")

    async def _sync_tariff(self) -> None:
        async with self._settings_lock:
            await tariff_sync.async_sync(self.central, self)

    async def _apply_settings(self) -> None:
        # One at a time: two option saves in a row must not write the same settings (or the
        # same local list version) twice over each other. A few chargers at once (a site's
        # reconnect storm): the others wait their turn.
        async with self._settings_lock, self.central.configuration_slots:
            await self._apply_settings_now()

    async def _apply_settings_now(self) -> None:
        try:
            await self.adapter.apply_settings(self.central.settings)
            await install_failsafe(self.central, self)
            await local_list.async_sync(self.central, self, self.central.tags)
            await tariff_sync.async_sync(self.central, self)
            # The charger may have forgotten our limits (a reboot, or a reconnect after one):
            # what the user chose is established again, not assumed to be there.
            self.central.reconcile_charger(self.charger.charge_point_id, forget=True)
            await self.central.async_configured(self.charger)
        except ChargerCommandError as err:
            # Throttled: a charger that boots in a loop would otherwise log on every boot.
            self.log_throttle.report(
                logging.WARNING,
                f"Charger {self.charger.charge_point_id}",
                "did not let us read or apply its configuration",
                str(err),
            )

    # --- ChargerEvents ---------------------------------------------------------------------

    async def boot(self, info: ChargerInfo, reason: str | None) -> BootDecision:
        """Record who the charger is and decide whether it may operate."""
        previous_meter = self.charger.info.meter_serial_number
        # What the charger calls itself ends up in HA's device registry and the log.
        self.charger.info = info.printable()
        new_meter = self.charger.info.meter_serial_number
        if previous_meter and new_meter and new_meter != previous_meter:
            LOGGER.info(
                "Charger %s has a new meter (%s, was %s); its energy total continues",
                self.charger.charge_point_id,
                new_meter,
                previous_meter,
            )
            for connector in self.charger.connectors.values():
                connector.energy.new_meter()
        because = self._boot_reason(reason)
        decision = await self.central.async_boot_decision(self)
        self._boot_status = decision.status
        if because is not BootReason.TRIGGERED:
            # A real (re)boot, not one we asked for: the owner sees when and why it restarted.
            charger = self.charger
            charger.last_boot = dt_util.utcnow()
            charger.boot_reason = because
            charger.reset_requested_at = None
            # A restarted charger may have forgotten the tariff it showed.
            charger.tariff_shown = None
            for connector in charger.connectors.values():
                connector.awaiting_status_since = None
            if self.accepted:
                charger.boot_count += 1
                self.central.maintenance.booted(charger)
                self.central.reboot_done(charger)
                self.central.fire_boot_event(charger)
                self.central.store.schedule_save(self.charger)
        self.charger.notify()
        return decision

    def _boot_reason(self, reason: str | None) -> BootReason:
        """Why the charger booted: its own word (2.x), else what we know of it (1.6)."""
        if (because := BootReason.from_ocpp(reason)) is not None:
            return because
        if self._boot_requested:
            self._boot_requested = False
            return BootReason.TRIGGERED
        reset_at = self.charger.reset_requested_at
        if reset_at is not None and dt_util.utcnow() - reset_at <= RESET_BOOT_WINDOW:
            return BootReason.REMOTE_RESET
        return BootReason.UNKNOWN

    def restart_requested(self) -> None:
        """We asked the charger to restart: its next boot (1.6 names no reason) is ours."""
        self.charger.reset_requested_at = dt_util.utcnow()

    def expect_change(
        self, connector_ids: Iterable[int], *, status: bool, sent_at: datetime
    ) -> None:
        """A command sent at `sent_at` changed what connectors do (0: all): refresh them.

        With `status`, a connector shows that it waits for the charger until it reports its
        status (at most AWAIT_STATUS_TIMEOUT), unless it already did after the command went
        out; fresh readings are asked for either way.
        """
        charger = self.charger
        ids = set(connector_ids)
        if 0 in ids:
            ids.update(charger.outlet_ids)
        since = dt_util.utcnow()
        if status:
            for connector_id in sorted(ids):
                connector = charger.connector(connector_id)
                reported = connector.status_received_at
                if reported is None or reported < sent_at:
                    connector.awaiting_status_since = since
                    charger.notify(connector_id)
        self._start_task(self._refresh(sorted(ids), since, status=status), "refresh")

    async def _refresh(self, connector_ids: list[int], since: datetime, *, status: bool) -> None:
        """Ask for the status and readings a command changed, then stop waiting for them."""
        await asyncio.sleep(REFRESH_DELAY)
        if self._can_trigger():
            kinds = (TriggerKind.STATUS_NOTIFICATION, TriggerKind.METER_VALUES)
            # The whole charger (0): one trigger without a connector covers them all.
            targets: list[int | None] = [None] if 0 in connector_ids else [*connector_ids]
            for connector_id in targets:
                for kind in kinds if status else kinds[1:]:
                    try:
                        await self.adapter.trigger_message(kind, connector_id)
                    except ChargerCommandError as err:
                        LOGGER.debug(
                            "Charger %s did not resend %s of connector %s: %s",
                            self.charger.charge_point_id,
                            kind,
                            connector_id,
                            err,
                        )
        if not status:
            return
        await asyncio.sleep(AWAIT_STATUS_TIMEOUT - REFRESH_DELAY)
        for connector_id in connector_ids:
            connector = self.charger.connector(connector_id)
            if connector.awaiting_status_since == since:
                connector.awaiting_status_since = None
                self.charger.notify(connector_id)

    def _can_trigger(self) -> bool:
        """1.6 chargers trigger messages only with the RemoteTrigger profile (2.x always)."""
        profiles = self.charger.feature_profiles
        return not profiles or "RemoteTrigger" in profiles or self.adapter.ocpp_version != "1.6"

    def boot_answered(self) -> None:
        """Start learning and configuring the charger once it knows it is accepted."""
        self.apply_settings()

    def configuration_learned(
        self,
        report: ConfigurationReport,
        *,
        connector_count: int | None,
        feature_profiles: frozenset[str],
    ) -> None:
        """Store the charger's configuration and create the connectors it has."""
        charger = self.charger
        charger.configuration = dict(report.values)
        charger.feature_profiles = feature_profiles
        if connector_count is not None:
            # A charger announcing thousands of connectors gets no more devices than the cap.
            charger.announced_connectors = max(0, min(connector_count, self.central.max_connectors))
            for connector_id in range(1, charger.announced_connectors + 1):
                charger.connector(connector_id)
        # New connectors or capabilities (smart charging) may need entities.
        self.central.structure_changed(charger)
        charger.notify(0)

    def heartbeat(self) -> None:
        """Record the heartbeat."""
        self.charger.last_heartbeat = dt_util.utcnow()
        self.charger.notify(0)

    def status(
        self,
        connector_id: int,
        status: ConnectorStatus | None,
        error_code: ErrorCode | None,
        *,
        info: str | None,
        vendor_error_code: str | None,
        timestamp: datetime,
        plug: int | None = None,
    ) -> None:
        """Record a status notification (of one plug of a 2.x EVSE, if `plug` is given)."""
        connector = self._reported_connector(connector_id)
        if plug is not None:
            # An EVSE with two plugs must not show "Available" because the plug not in use
            # reported last: it shows its plugs combined.
            connector.plugs[plug] = status
            status = combined_plug_status(connector.plugs)
            if ConnectorStatus.FAULTED in connector.plugs.values():
                error_code = ErrorCode.OTHER_ERROR
        if (transaction := connector.transaction) is not None:
            if status in SESSION_STATUSES:
                transaction.charging_state = status
            elif status is ConnectorStatus.OCCUPIED and transaction.charging_state is not None:
                # 2.x: "Occupied" while the session goes on (also after a reconnect) is the
                # session's charging state, not a switch to "plugged in, idle".
                status = transaction.charging_state
        previous = connector.status
        connector.status = status
        connector.status_received_at = dt_util.utcnow()
        connector.awaiting_status_since = None
        connector.error_code = error_code
        connector.info = info
        connector.vendor_error_code = vendor_error_code
        connector.status_timestamp = timestamp
        if status is not ConnectorStatus.CHARGING:
            _zero_flow_readings(connector)
        if status is not None and status not in PLUGGED_IN_STATUSES:
            _forget_vehicle_readings(connector)
        self.charger.notify(connector_id)
        self._track_fault(connector)
        self.central.reservations.status_changed(self.charger, connector, previous)

    def problem(
        self,
        connector_id: int,
        error_code: ErrorCode,
        *,
        active: bool,
        vendor_error_code: str | None,
        info: str | None,
    ) -> None:
        """A 2.x component reported a problem (NotifyEvent), or that it cleared."""
        connector = self._reported_connector(connector_id)
        if active:
            connector.error_code = error_code
            connector.vendor_error_code = vendor_error_code
            connector.info = info
        elif connector.error_code is error_code:
            connector.error_code = ErrorCode.NO_ERROR
            connector.vendor_error_code = None
            connector.info = None
        else:
            return
        self.charger.notify(connector_id)
        self._track_fault(connector)

    def _track_fault(self, connector: Connector) -> None:
        """Open, replace or clear the connector's fault from what it now reports."""
        charger = self.charger
        code = connector.error_code
        active = connector.status is ConnectorStatus.FAULTED or code not in (
            None,
            ErrorCode.NO_ERROR,
        )
        current = charger.open_faults.get(connector.connector_id)
        if active:
            code = ErrorCode.OTHER_ERROR if code in (None, ErrorCode.NO_ERROR) else code
            assert code is not None
            if current is not None and current.same_as(code, connector.vendor_error_code):
                return
            if current is not None:
                self._clear_fault(current)
            fault = Fault(
                connector.connector_id,
                code,
                connector.vendor_error_code,
                connector.info,
                dt_util.utcnow(),
            )
            charger.open_faults[connector.connector_id] = fault
            charger.faults.append(fault)
            if self.accepted:
                self.central.fault_changed(charger, fault)
        elif current is not None:
            self._clear_fault(current)

    def _clear_fault(self, fault: Fault) -> None:
        fault.cleared_at = dt_util.utcnow()
        self.charger.open_faults.pop(fault.connector_id, None)
        if self.accepted:
            self.central.fault_changed(self.charger, fault)

    def authorize(self, id_tag: str) -> AuthorizationStatus:
        """A card presented: the owner's list decides (see `tags`); unapproved chargers none."""
        if not self.accepted:
            return AuthorizationStatus.INVALID
        return self.central.authorize(self.charger, id_tag)

    async def start_transaction(
        self,
        connector_id: int,
        id_tag: str | None,
        meter_start_wh: float | None,
        timestamp: datetime,
        transaction_id: str | None = None,
    ) -> tuple[str, AuthorizationStatus]:
        """Open a transaction (with a new id unless the charger chose one), persisted first."""
        connector = self._reported_connector(connector_id)
        if transaction_id is None:
            transaction_id = str(self.central.store.next_transaction_id())
        # 2.x may start a session without a register reading: the last known register is the
        # baseline then, or, for a charger never read before, the session's first reading.
        start_pending = meter_start_wh is None and connector.energy.raw_wh is None
        if meter_start_wh is None:
            meter_start_wh = connector.energy.raw_wh or 0.0
        if connector.transaction is not None:
            # The charger lost track of its previous session (power loss): close ours too.
            self._finish(connector.transaction, None, timestamp, "Other")
        connector.transaction = Transaction(
            transaction_id=transaction_id,
            connector_id=connector_id,
            id_tag=id_tag,
            started_at=timestamp,
            meter_start_wh=meter_start_wh,
            meter_last_wh=meter_start_wh,
            meter_start_pending=start_pending,
        )
        if not start_pending:
            connector.energy.update(meter_start_wh, self._source(connector_id))
        await self._save_now()
        self.charger.notify(connector_id)
        self.central.fire_session_event(self.charger, connector.transaction)
        self._limit_may_differ(connector_id)
        # 2.x sessions may start before a card is shown: nothing to decide then.
        status = AuthorizationStatus.ACCEPTED if not id_tag else self.authorize(id_tag)
        return transaction_id, status

    def transaction_authorized(self, transaction_id: str, id_tag: str) -> AuthorizationStatus:
        """Record the id tag of a running session; answer whether it may charge."""
        if (transaction := self._running(transaction_id)) is not None:
            transaction.id_tag = id_tag
            self.charger.notify(transaction.connector_id)
        return self.authorize(id_tag)

    def transaction_connector(self, transaction_id: str) -> int | None:
        """The connector of a transaction open here (also one restored after a restart)."""
        transaction = self._running(transaction_id)
        return None if transaction is None else transaction.connector_id

    def transaction_sequence(
        self, transaction_id: str, seq_no: int, timestamp: datetime, *, offline: bool
    ) -> EventOrder:
        """Record a 2.x event's seqNo; say whether it is new, repeated, or after the end.

        An event is a repeat when its seqNo was seen and it is not newer than the latest
        event: a charger that lost our answer sends the same event again, and one back from
        offline may deliver old ones late. A lower seqNo with a newer timestamp is a charger
        that restarted its numbering (after a reboot), and is accounted.
        """
        if transaction_id in self.charger.finished_transaction_ids:
            return EventOrder.FINISHED
        transaction = self._running(transaction_id)
        if transaction is None:
            return EventOrder.UNKNOWN
        previous, previous_at = transaction.last_seq_no, transaction.last_event_at
        if (
            previous is not None
            and seq_no <= previous
            and (previous_at is None or timestamp <= previous_at)
        ):
            return EventOrder.REPEATED
        if previous is not None and seq_no != previous + 1:
            LOGGER.info(
                "Charger %s transaction %s: seqNo %s after %s%s",
                self.charger.charge_point_id,
                transaction_id,
                seq_no,
                previous,
                " (delivered after being offline)" if offline else "",
            )
        transaction.last_seq_no = seq_no
        if previous_at is None or timestamp > previous_at:
            transaction.last_event_at = timestamp
        return EventOrder.NEXT

    def signed_readings(
        self, connector_id: int | None, transaction_id: str | None, readings: list[SignedReading]
    ) -> None:
        """Keep signed readings with their session, for the history and CDRs."""
        if transaction_id is not None:
            transaction = self._running(transaction_id)
        elif connector_id is not None and connector_id in self.charger.connectors:
            transaction = self.charger.connectors[connector_id].transaction
        else:
            transaction = None
        if transaction is None:
            LOGGER.debug(
                "Charger %s: signed readings outside a known session ignored",
                self.charger.charge_point_id,
            )
            return
        for reading in readings:
            transaction.add_signed(reading)

    def charger_cost(self, transaction_id: str, amount: float, currency: str) -> None:
        """Show what the charger says the session costs, when it bills in our currency."""
        transaction = self._running(transaction_id)
        if transaction is None:
            return
        if currency.upper() != self.central.tariff.currency.upper():
            LOGGER.debug(
                "Charger %s reports the cost in %s, not %s; our own price is shown",
                self.charger.charge_point_id,
                currency,
                self.central.tariff.currency,
            )
            return
        transaction.charger_cost = amount
        self.charger.notify(transaction.connector_id)

    def _running(self, transaction_id: str) -> Transaction | None:
        return next(
            (
                connector.transaction
                for connector in self.charger.connectors.values()
                if connector.transaction is not None
                and connector.transaction.transaction_id == transaction_id
            ),
            None,
        )

    async def stop_transaction(
        self,
        transaction_id: str,
        meter_stop_wh: float | None,
        timestamp: datetime,
        reason: str | None,
        id_tag: str | None,
        samples: list[SampledValue],
    ) -> AuthorizationStatus | None:
        """Close a transaction, also one replayed after a reconnect or an HA restart."""
        transaction = self._running(transaction_id)
        if transaction is None:
            LOGGER.info(
                "Charger %s stopped transaction %s, which is not running here; accepted",
                self.charger.charge_point_id,
                transaction_id,
            )
        else:
            if samples:
                self._record_samples(transaction.connector_id, samples, transaction)
            self._finish(transaction, meter_stop_wh, timestamp, reason)
            await self._save_now()
            self.charger.notify(transaction.connector_id)
            self._limit_may_differ(transaction.connector_id)
        return None if id_tag is None else self.authorize(id_tag)

    def _finish(
        self,
        transaction: Transaction,
        meter_stop_wh: float | None,
        timestamp: datetime,
        reason: str | None,
    ) -> None:
        connector = self.charger.connector(transaction.connector_id)
        if meter_stop_wh is not None:
            self._advance(transaction, meter_stop_wh)
            connector.energy.update(meter_stop_wh, self._source(transaction.connector_id))
            if timestamp < dt_util.utcnow() - LATE_READING_AFTER and connector.energy.value_wh:
                # A stop replayed after an outage: its register belongs to its own hour.
                self.central.late_energy(
                    self.charger, transaction.connector_id, timestamp, connector.energy.value_wh
                )
        transaction.meter_stop_wh = transaction.meter_last_wh
        transaction.stopped_at = timestamp
        transaction.stop_reason = reason
        connector.transaction = None
        connector.last_transaction = transaction
        self.central.fire_session_event(self.charger, transaction)
        finished = self.charger.finished_transaction_ids
        finished.append(transaction.transaction_id)
        del finished[:-MAX_FINISHED_TRANSACTIONS]
        _zero_flow_readings(connector)

    def meter_values(
        self, connector_id: int, transaction_id: str | None, samples: list[SampledValue]
    ) -> None:
        """Record readings; in or outside a transaction, never lowering the energy total."""
        connector = self._reported_connector(connector_id)
        transaction = connector.transaction
        if transaction is not None and transaction_id not in (None, transaction.transaction_id):
            # Late readings of an earlier session still move the register, not this session.
            transaction = None
        self._record_samples(connector_id, samples, transaction)
        self.charger.notify(connector_id, readings_only=True)

    def _record_samples(
        self, connector_id: int, samples: list[SampledValue], transaction: Transaction | None
    ) -> None:
        connector = self.charger.connector(connector_id)
        new_kind = False
        energy_changed = False
        late_before = dt_util.utcnow() - LATE_READING_AFTER
        for sample in samples:
            key = (sample.measurand, sample.phase, sample.location)
            previous = connector.readings.get(key)
            register = (
                sample.measurand is Measurand.ENERGY_ACTIVE_IMPORT_REGISTER and sample.phase is None
            )
            if previous is None:
                new_kind = True
            elif previous.timestamp > sample.timestamp:
                # Replayed offline data is older than what we show: do not show it, but its
                # hour of the energy statistics still gets it.
                if register and sample.timestamp < late_before:
                    total_wh = sample.value + connector.energy.offset_wh
                    self.central.late_energy(self.charger, connector_id, sample.timestamp, total_wh)
                continue
            connector.readings[key] = sample
            if register:
                energy_changed |= connector.energy.update(sample.value, self._source(connector_id))
                if transaction is not None:
                    self._advance(transaction, sample.value)
                if sample.timestamp < late_before and connector.energy.value_wh is not None:
                    self.central.late_energy(
                        self.charger, connector_id, sample.timestamp, connector.energy.value_wh
                    )
            elif (
                transaction is not None
                and sample.measurand is Measurand.POWER_ACTIVE_IMPORT
                and sample.phase is None
                and sample.value > (transaction.peak_power_w or 0.0)
            ):
                transaction.peak_power_w = sample.value
        if energy_changed:
            self.central.store.schedule_save(self.charger)
        if new_kind:
            self.central.structure_changed(self.charger)

    def _advance(self, transaction: Transaction, register_wh: float) -> None:
        """A session's register moved: the new energy is priced at today's price."""
        if transaction.meter_start_pending:
            transaction.meter_start_wh = transaction.meter_last_wh = register_wh
            transaction.meter_start_pending = False
        elif register_wh > transaction.meter_last_wh:
            counted = max(transaction.meter_last_wh, transaction.meter_start_wh)
            self.central.tariff.account(transaction, register_wh - counted)
            transaction.meter_last_wh = register_wh

    def reboot_required(self, key: str) -> None:
        """A setting waits for a restart: the owner is offered one (a fixable repair)."""
        if self.accepted:
            self.central.reboot_required(self.charger, key)

    def firmware_status(self, status: str) -> None:
        """A step of a firmware update: shown on the update entity, an event, maybe a repair."""
        parsed = FirmwareStatus.from_ocpp(status)
        if parsed is None or not self.accepted:
            LOGGER.debug(
                "Charger %s firmware status %s ignored", self.charger.charge_point_id, status
            )
            return
        self.central.maintenance.firmware_status(self.charger, parsed)

    def upload_status(self, status: str) -> None:
        """A step of a diagnostics or log upload."""
        parsed = UploadStatus.from_ocpp(status)
        if parsed is None or not self.accepted:
            LOGGER.debug(
                "Charger %s upload status %s ignored", self.charger.charge_point_id, status
            )
            return
        self.central.maintenance.upload_status(self.charger, parsed)

    def reservation_ended(self, reservation_id: int) -> None:
        """2.x ReservationStatusUpdate: the charger removed or expired a reservation."""
        self.central.reservations.ended(self.charger, reservation_id)

    def certificate_requested(self, csr: str) -> bool:
        """A SignCertificate request: signed by our authority if it is for this charger."""
        return self.central.certificate_requested(self.charger, csr)

    def security_event(self, kind: str, tech_info: str | None) -> None:
        """A security event: one log line and an HA event (the text is the charger's)."""
        kind, info = safe_text(kind)[:50], safe_text(tech_info or "")[:255] or None
        # Routine ones (StartupOfTheDevice, SettingSystemTime, ...) at info; attacks,
        # tampering and failed checks at warning.
        level = logging.WARNING if _ALARMING.search(kind) else logging.INFO
        self.log_throttle.report(
            level, f"Charger {self.charger.charge_point_id}", f"security event {kind}", info or "-"
        )
        self.central.fire_security_event(self.charger, kind, info)

    def data_transfer(self, vendor_id: str, message_id: str | None, data: str | None) -> bool:
        """Record the message and fire an HA event; no vendor handlers exist yet."""
        record = DataTransferRecord(vendor_id, message_id, data, dt_util.utcnow())
        transfers = self.charger.data_transfers
        transfers.append(record)
        del transfers[:-_MAX_DATA_TRANSFERS]
        self.central.fire_data_transfer(self.charger, record)
        return False

    def _reported_connector(self, connector_id: int) -> Connector:
        """The connector a charger names, refused unless the charger has it.

        Every connector becomes a device with entities and a stored record, so an id beyond
        what the charger announced (or, before it announced anything, beyond the cap) is
        refused rather than created.
        """
        charger = self.charger
        if (connector := charger.connectors.get(connector_id)) is not None:
            return connector
        announced = charger.announced_connectors
        limit = self.central.max_connectors if announced is None else announced
        if not 0 <= connector_id <= limit:
            raise InvalidInputError(
                Violation.PROPERTY,
                f"Connector {connector_id} does not exist (connectors are 0-{limit})",
            )
        connector = charger.connector(connector_id)
        # A connector first named by a status, a reading or a session needs its entities.
        self.central.structure_changed(charger)
        return connector

    def _limit_may_differ(self, connector_id: int) -> None:
        """A session started or ended: its limit must be what the user wants (in a task)."""
        if self.accepted:
            self.central.control(self.charger.charge_point_id, connector_id).request()

    def _source(self, connector_id: int) -> str:
        return f"{self.charger.charge_point_id} connector {connector_id}"

    async def _save_now(self) -> None:
        # Also for chargers not yet approved: the transaction id counter must never repeat.
        await self.central.store.async_save_now(self.charger)
