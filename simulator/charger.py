"""`ChargerSimulator`: the version-neutral facade of one simulated charger.

The websocket, the receive loop and what tests observe of the CSMS's traffic (`received`,
`next_raw`, `wait_for_call`) come from `ChargerLink`; this class adds the charger's state
(connectors, meter, configuration / device model variables) and the primitives. The wire
format is delegated to a protocol layer chosen by `SimulatorConfig.ocpp_version`: 1.6J
(`simulator.v16`) or 2.0.1 / 2.1 (`simulator.v2`). The primitives (`boot`, `status`,
`start_transaction`, ...) speak 1.6 vocabulary and mirror 1.6 messages one to one; in 2.x the
layer translates them (StartTransaction becomes TransactionEvent Started, ...) and they return
the 2.x answers, which carry `.id_tag_info` where the 1.6 answer has one. Scripted behaviour
(`run_session`, `run_forever`) lives in `simulator.scenario`.

Real-charger habits (`SimulatorConfig.habits`, see `simulator.habits`) that concern the whole
charger live here: what a dropped connection keeps (`_on_disconnect`, `reconnect`), the
offline queue (`_send_or_queue`), what a reboot forgets (`restart_state`), the clock
(`timestamp`) and the energy register (`start_transaction`, `reset_energy_register`).
"""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta
import logging
import random
import ssl
import time
from typing import TYPE_CHECKING, Any

from ocpp.exceptions import OCPPError
from websockets.asyncio.client import ClientConnection

from simulator import scenario
from simulator.config import (
    DEFAULT_MEASURANDS,
    DEFAULT_STOP_TXN_MEASURANDS,
    ConfigKey,
    SimulatorConfig,
    format_seconds,
)
from simulator.habits import Habit
from simulator.link import ChargerLink
from simulator.model import (
    IEC_MIN_CURRENT,
    ConnectorState,
    MeterNoise,
    MeterStyle,
    TransactionId,
    sampled_values,
    utc_timestamp,
    wait_event,
)
from simulator.ocmf import signed_sample_16
from simulator.offline import OfflineQueue, Sender
from simulator.schedule import merge_periods
from simulator.security import Credentials as TlsCredentials
from simulator.v2 import V2ChargePoint, V2State, V21ChargePoint, V201ChargePoint
from simulator.v2_variables import default_variables
from simulator.v16 import V16ChargePoint
from simulator.v16_config import default_configuration, parse_csl

if TYPE_CHECKING:
    from collections.abc import Callable

    from simulator.protocol import ProtocolLayer

LOGGER = logging.getLogger(__name__)
# Where the clock of an `unset_clock` charger starts.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Periods a composite schedule reports at most (ChargingScheduleMaxPeriods).
MAX_COMPOSITE_PERIODS = 24


class ChargerSimulator(ChargerLink):
    """One simulated charger connected to a CSMS at `url` (the id is appended to it)."""

    def __init__(self, url: str, config: SimulatorConfig | None = None) -> None:
        """Prepare the simulator; nothing is opened until `connect()`."""
        super().__init__(url, config or SimulatorConfig())
        cfg = self.config
        # The 1.6 configuration keys; present (and kept in step for the intervals) in 2.x too.
        self.configuration: dict[str, ConfigKey] = default_configuration(cfg)
        # The 2.x device model's station-wide variables, keyed "Component.Variable".
        self.variables: dict[str, ConfigKey] = default_variables(cfg)
        # The 1.6 local authorization list (id tag -> idTagInfo) and its version.
        self.local_list: dict[str, dict[str, Any]] = {}
        self.local_list_version = 0
        # Keys ChangeConfiguration (1.6) / SetVariables (2.x, "Component.Variable") must answer
        # Rejected (tests force failures with it).
        self.reject_keys: set[str] = set()
        # Keys whose change answers RebootRequired; the new values take effect at the next
        # reboot (`after_reboot` holds what applies them).
        self.reboot_required_keys: set[str] = set(cfg.reboot_required_keys)
        self.after_reboot: list[Callable[[], None]] = []
        # Smart-charging quirks of real chargers: refuse every profile, or take only some
        # rate units (Huawei and others take only W).
        self.reject_profiles = False
        self.accepted_rate_units: set[str] = {"A", "W"}
        # The latest answer per action the simulator sent (e.g. the StartTransaction idTagInfo).
        self.last_result: dict[str, Any] = {}
        self.boot_status: str | None = None
        self.heartbeat_interval = float(self.configuration["HeartbeatInterval"].value)
        self.meter_interval = cfg.meter_interval
        self.measurands: list[str] = list(DEFAULT_MEASURANDS)
        self.stop_txn_measurands: list[str] = list(DEFAULT_STOP_TXN_MEASURANDS)
        if cfg.is_v2:
            # 2.x has no Temperature measurand: sample what TxUpdated/EndedMeasurands name.
            self.measurands = parse_csl(
                self.variables["SampledDataCtrlr.TxUpdatedMeasurands"].value
            )
            self.stop_txn_measurands = parse_csl(
                self.variables["SampledDataCtrlr.TxEndedMeasurands"].value
            )
        self.authorize_remote_tx = False
        # 2.x: the next TransactionEvent seqNo per transaction id, and a one-shot override of
        # the next seqNo (tests force gaps with it; counting goes on from there).
        self.seq_nos: dict[str, int] = {}
        self.next_seq_no: int | None = None
        self.v2_state = V2State()
        self._connectors = {
            n: ConnectorState(
                n,
                cfg.phases,
                cfg.voltage,
                cfg.max_current,
                cfg.meter_start_wh,
                phase_switching=not cfg.has(Habit.NO_PHASE_SWITCHING),
                min_current=IEC_MIN_CURRENT if cfg.has(Habit.SUSPENDED_BELOW_6A) else 0.0,
            )
            for n in range(cfg.connectors + 1)
        }
        self.meter_style = MeterStyle(
            per_phase_only=cfg.has(Habit.PER_PHASE_ONLY),
            noise=MeterNoise(cfg.charge_point_id) if cfg.has(Habit.NOISY_METER) else None,
        )
        self.offline_queue = OfflineQueue(cfg.charge_point_id)
        # Randomness of the habits (answer delays, register resets), seeded per charger.
        self.rng = random.Random(f"{cfg.charge_point_id}/habits")
        self._clock_origin = time.monotonic()
        # True while a `reset_reboots` reboot has the charger switched off.
        self.powered_off = False
        self._reconnect_lock = asyncio.Lock()
        self._cp: ProtocolLayer | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._accepted = asyncio.Event()
        self._heartbeat_wake = asyncio.Event()
        # Credentials: the Basic auth password, the (1.6) security profile in use, a profile
        # the CSMS set that applies at the next restart, and whether a new password waits
        # for a reconnect.
        self.password = cfg.password
        self.security_profile = cfg.security_profile
        self.pending_security_profile: int | None = None
        self.credentials_changed = False
        self.tls = TlsCredentials(roots=list(cfg.trusted_roots))
        self.secure_url = cfg.secure_url
        # 2.x: network connection profiles by slot (SetNetworkProfile), and the URL and
        # profile of a slot that takes over at the next restart.
        self.network_profiles: dict[int, dict[str, Any]] = {}
        self.pending_network: dict[str, Any] | None = None

    # ------------------------------------------------------------------ connection hooks
    def _attach(self, ws: ClientConnection, disconnected: asyncio.Future[None]) -> Any:
        """Create the protocol layer of `config.ocpp_version` for a new connection."""
        layers = {"1.6": V16ChargePoint, "2.0.1": V201ChargePoint, "2.1": V21ChargePoint}
        layer = layers[self.config.ocpp_version](self, ws, disconnected)
        self._cp = layer
        return layer

    def _endpoint(self) -> tuple[str, ssl.SSLContext | None]:
        """Plain ws up to profile 1; from profile 2 the secure URL with TLS."""
        if self.security_profile < 2 or self.secure_url is None:  # noqa: PLR2004
            return self.url, None
        return self.secure_url, self.tls.tls_context(
            client_certificate=self.security_profile >= 3  # noqa: PLR2004
        )

    def _handshake_headers(self) -> dict[str, str]:
        """Basic auth with the charger id, when the charger uses a password (profiles 1, 2)."""
        if self.password is None or self.security_profile >= 3:  # noqa: PLR2004
            return {}
        if not self.config.is_v2 and self.security_profile < 1:
            return {}
        token = base64.b64encode(f"{self.config.charge_point_id}:{self.password}".encode())
        return {"Authorization": f"Basic {token.decode()}"}

    def _on_disconnect(self) -> None:
        """Forget the registration (a new connection must boot again) and wake sessions.

        2.x: the connector statuses are reported afresh on the next connection. Habit
        `reconnect_without_boot`: the registration survives the drop, as with every real
        charger (only a reboot makes it boot again).
        """
        if not self.config.has(Habit.RECONNECT_WITHOUT_BOOT):
            self._forget_registration()
        self._wake_connectors()

    def _forget_registration(self) -> None:
        self.boot_status = None
        self._accepted.clear()
        for conn in self._connectors.values():
            conn.reported_status = None

    @property
    def keeps_running_offline(self) -> bool:
        """True if sessions go on while the connection is down (habits that reconnect)."""
        return self.config.has(Habit.OFFLINE_QUEUE) or self.config.has(Habit.RECONNECT_WITHOUT_BOOT)

    async def reconnect(self) -> None:
        """Open a new connection after a drop and go on the way the charger's habits say.

        Habit `reconnect_without_boot` (and a registration that was Accepted): no
        BootNotification; the heartbeat restarts and the offline queue is replayed. Otherwise
        the charger registers anew (`scenario.register`: BootNotification until Accepted, the
        queue, transactions cut off by the drop, every idle status).
        """
        async with self._reconnect_lock:
            if self.connected:
                return
            await self.connect()
            if self.config.has(Habit.RECONNECT_WITHOUT_BOOT) and self.boot_status == "Accepted":
                self._start_heartbeat()
                await self.flush_offline_queue()
                return
        await scenario.register(self)

    async def flush_offline_queue(self) -> int:
        """Replay the offline queue now (see `OfflineQueue.flush`); returns how many left it."""
        return await self.offline_queue.flush(self._protocol)

    async def _send_or_queue(self, action: str, send: Sender, *, transactional: bool) -> Any:
        """Send a message now, or keep it while offline as the habits say.

        Habit `offline_queue`: a transaction-related message made while offline (or while
        older ones still wait, or lost with the connection on its way out) joins the offline
        queue and None is returned. A charger that keeps running offline without a queue
        (`reconnect_without_boot` alone) loses it. Otherwise ConnectionError, as without
        habits.
        """
        queue = transactional and self.config.has(Habit.OFFLINE_QUEUE)
        if self.connected and not (queue and len(self.offline_queue)):
            try:
                return await send(self._protocol(), False)
            except ConnectionError:
                if not queue:
                    raise
        elif not queue:  # offline
            if transactional and self.keeps_running_offline and not self.powered_off:
                LOGGER.info("%s: offline, %s lost", self.config.charge_point_id, action)
                return None
            raise ConnectionError(f"{self.config.charge_point_id}: not connected")
        self.offline_queue.append(action, send)
        if self.connected:
            await self.flush_offline_queue()
        return None

    def restart_state(self) -> None:
        """What a reboot does to the charger's memory.

        The registration is gone and changes answered RebootRequired take effect. Habits:
        `forgets_profiles_on_reboot` clears every charging profile (many chargers keep them in
        RAM only); `register_reset` restarts the energy registers near zero (a firmware that
        counts from its own start).
        """
        self._forget_registration()
        if self.pending_security_profile is not None:
            self.security_profile = self.pending_security_profile
            self.pending_security_profile = None
        if self.pending_network is not None:
            self.secure_url = str(self.pending_network["ocpp_csms_url"])
            self.pending_network = None
        for apply in self.after_reboot:
            apply()
        self.after_reboot.clear()
        for n in self.connector_ids():
            conn = self.connector(n)
            conn.charging_state = None
            if self.config.has(Habit.FORGETS_PROFILES_ON_REBOOT):
                for profile_id in list(conn.profiles):
                    conn.drop_profile(profile_id)
            if self.config.has(Habit.REGISTER_RESET):
                self.reset_energy_register(n, float(self.rng.randint(0, 20)))

    def reset_energy_register(
        self, connector_id: int | None = None, energy_wh: float = 0.0
    ) -> None:
        """Restart energy registers (one connector, or all) at `energy_wh`: a meter swap.

        Works without a habit; `register_reset` does it on every reboot.
        """
        targets = self.connector_ids() if connector_id is None else [connector_id]
        for target in targets:
            self.connector(target).set_energy(energy_wh)

    def timestamp(self, when: datetime | None = None) -> str:
        """A timestamp as this charger writes it: `when`, or now by the charger's clock.

        Habit `unset_clock`: the clock was never set, so "now" is in 1970 (the epoch plus the
        time since the simulator started); timestamps a test passes go out unchanged.
        """
        if when is None and self.config.has(Habit.UNSET_CLOCK):
            when = EPOCH + timedelta(seconds=time.monotonic() - self._clock_origin)
        return utc_timestamp(when)

    def _protocol(self) -> ProtocolLayer:
        if self._cp is None or not self.connected:
            raise ConnectionError(f"{self.config.charge_point_id}: not connected")
        return self._cp

    def protocol_layer(self) -> ProtocolLayer:
        """The protocol layer of the open connection (ConnectionError when there is none)."""
        return self._protocol()

    # ------------------------------------------------------------------ state
    def connector_ids(self, *, zero: bool = False) -> list[int]:
        """Connector ids 1..N (with `zero`, 0 for the whole charger first)."""
        return [n for n in self._connectors if zero or n > 0]

    def connector(self, connector_id: int) -> ConnectorState:
        """The state of a connector; ValueError for an id the charger does not have."""
        try:
            return self._connectors[connector_id]
        except KeyError:
            raise ValueError(f"no connector {connector_id}") from None

    def connector_status(self, connector_id: int) -> str:
        """The status last reported for a connector."""
        return self.connector(connector_id).status

    def energy_wh(self, connector_id: int) -> float:
        """Energy register of a connector now (connector 0: the sum of all connectors)."""
        if connector_id == 0:
            return sum(self.connector(n).advance() for n in self.connector_ids())
        return self.connector(connector_id).advance()

    def transaction_id(self, connector_id: int) -> TransactionId | None:
        """The running transaction on a connector, if any (int in 1.6, str in 2.x)."""
        return self.connector(connector_id).transaction_id

    def connector_of_transaction(self, transaction_id: TransactionId) -> int | None:
        """The connector running `transaction_id`, if any."""
        return next(
            (
                n
                for n in self.connector_ids()
                if self._connectors[n].transaction_id == transaction_id
            ),
            None,
        )

    def free_connector(self, connector_id: int | None = None) -> int | None:
        """`connector_id` if a session can start there; without an id, the first free one."""
        candidates = self.connector_ids() if connector_id is None else [connector_id]
        return next(
            (
                n
                for n in candidates
                if n in self._connectors and n > 0 and self._connectors[n].is_free()
            ),
            None,
        )

    def composite_schedule(
        self, connector_id: int, duration: float, unit: str
    ) -> list[tuple[int, float, int]]:
        """The composite schedule: (startPeriod, limit, numberPhases) from now on.

        The limit really applied over the next `duration` seconds, from the stacked profiles
        as they follow their schedules (see `ConnectorState.offered_current`), in A per phase
        or W over the phases in use. Connector 0 reports the charger-wide maximum
        (ChargePointMaxProfile). At most MAX_COMPOSITE_PERIODS periods.
        """
        now = time.time()
        end = now + max(0.0, float(duration))
        conns = (
            [self.connector(connector_id)]
            if connector_id
            else [self.connector(n) for n in self.connector_ids()]
        )
        moments = {now}
        for conn in conns:
            for limit in conn.profiles.values():
                if connector_id or limit.purpose == "ChargePointMaxProfile":
                    moments |= limit.changes(now, end, conn.tx_started_at)
        samples = []
        for moment in sorted(moments):
            if connector_id:
                amps = conns[0].offered_current(moment)
                phases = conns[0].active_phases(moment)
            else:
                amps = min([self.config.max_current, *(c.station_limit(moment) for c in conns)])
                phases = self.config.phases
            value = amps if unit == "A" else amps * phases * self.config.voltage
            samples.append((round(moment - now), round(value, 1), phases))
        merged = merge_periods(samples)[:MAX_COMPOSITE_PERIODS]
        return [(int(offset), limit, phases) for offset, limit, phases in merged]

    def set_power(self, connector_id: int, power_w: float | None) -> None:
        """Set the EV's power demand (None: whatever the charger offers)."""
        self.connector(connector_id).set_demand(power_w)

    def change_availability(self, connector_id: int, *, operative: bool) -> bool:
        """Mark connectors (0: all) operative or not; True if some wait for a transaction."""
        targets = self.connector_ids(zero=True) if connector_id == 0 else [connector_id]
        scheduled = False
        for target in targets:
            conn = self.connector(target)
            if conn.transaction_id is not None or conn.in_session:
                conn.scheduled_operative = operative
                scheduled = True
            else:
                conn.operative = operative
        return scheduled

    def set_heartbeat_interval(self, seconds: float) -> None:
        """Change the Heartbeat interval (0 disables) and restart the heartbeat timer."""
        self.heartbeat_interval = seconds
        if "HeartbeatInterval" in self.configuration:
            self.configuration["HeartbeatInterval"].value = format_seconds(seconds)
        if "OCPPCommCtrlr.HeartbeatInterval" in self.variables:
            self.variables["OCPPCommCtrlr.HeartbeatInterval"].value = format_seconds(seconds)
        self._heartbeat_wake.set()

    def set_meter_interval(self, seconds: float) -> None:
        """Change the MeterValues interval of sessions (0 disables) effective immediately."""
        self.meter_interval = seconds
        if "MeterValueSampleInterval" in self.configuration:
            self.configuration["MeterValueSampleInterval"].value = format_seconds(seconds)
        if "SampledDataCtrlr.TxUpdatedInterval" in self.variables:
            self.variables["SampledDataCtrlr.TxUpdatedInterval"].value = format_seconds(seconds)
        self._wake_connectors()

    def _wake_connectors(self) -> None:
        for conn in self._connectors.values():
            conn.wake.set()

    # ------------------------------------------------------------------ primitives
    async def boot(self, reason: str | None = None) -> Any:
        """Send BootNotification and record the registration status and interval.

        Pending and Rejected answers are returned as they are. An Accepted one adopts the
        interval as HeartbeatInterval and starts the heartbeat loop (if `auto_heartbeat`).
        """
        result = await self._protocol().boot(reason)
        self.last_result["BootNotification"] = result
        self.boot_status = str(result.status)
        if self.boot_status == "Accepted":
            if int(result.interval) > 0:
                self.set_heartbeat_interval(float(result.interval))
            self._accepted.set()
            self._start_heartbeat()
        else:
            self._accepted.clear()
        return result

    def _start_heartbeat(self) -> None:
        """Start the heartbeat loop (if `auto_heartbeat` and it is not running)."""
        if self.config.auto_heartbeat and (self._heartbeat is None or self._heartbeat.done()):
            self._heartbeat = self.spawn(self._heartbeat_loop(), "heartbeat")

    async def wait_accepted(self, timeout: float = 10) -> bool:  # noqa: ASYNC109
        """Wait until a BootNotification (e.g. a triggered re-boot) was Accepted."""
        try:
            async with asyncio.timeout(timeout):
                await self._accepted.wait()
        except TimeoutError:
            return False
        return True

    async def _heartbeat_loop(self) -> None:
        """Send Heartbeat every `heartbeat_interval` seconds while connected."""
        while self.connected:
            interval = self.heartbeat_interval
            if await wait_event(self._heartbeat_wake, interval if interval > 0 else None):
                continue  # interval changed: start a new period
            try:
                await self.heartbeat()
            except (TimeoutError, ConnectionError, OCPPError) as err:
                LOGGER.warning("%s: heartbeat failed: %s", self.config.charge_point_id, err)

    async def heartbeat(self) -> Any:
        """Send Heartbeat."""
        return await self._protocol().heartbeat()

    async def status(
        self,
        connector_id: int,
        status: str,
        error_code: str = "NoError",
        info: str | None = None,
        vendor_error_code: str | None = None,
        timestamp: datetime | None = None,
    ) -> Any:
        """Send StatusNotification; a known connector's local status follows it.

        2.x: see `simulator.v2` (StatusNotification on a change of connectorStatus, a
        TransactionEvent for a new chargingState, NotifyEvent for connector 0); returns the
        last answer, or None when nothing had to be sent. A charger that keeps running
        offline (habits) changes its status locally while the connection is down (or when it
        drops on the way).
        """
        conn = self._connectors.get(connector_id)
        if conn is not None:
            conn.set_status(status)
            conn.error_code = error_code
        offline_ok = self.keeps_running_offline or self.powered_off
        if not self.connected and offline_ok:
            return None
        try:
            return await self._protocol().status_notification(
                connector_id, status, error_code, info, vendor_error_code, self.timestamp(timestamp)
            )
        except ConnectionError:
            if not offline_ok:
                raise
            return None  # lost with the connection; the local status stands

    async def authorize(self, id_tag: str | None = None) -> Any:
        """Send Authorize (default: the configured id tag)."""
        result = await self._protocol().authorize(id_tag or self.config.id_tag)
        self.last_result["Authorize"] = result
        return result

    async def start_transaction(
        self,
        connector_id: int,
        id_tag: str | None = None,
        meter_start_wh: float | None = None,
        timestamp: datetime | None = None,
        *,
        offline: bool = False,
    ) -> TransactionId:
        """Send StartTransaction and return (and remember) the transactionId.

        `meter_start_wh` also sets the connector's energy register; by default the register's
        current value is sent (habit `per_session_register`: the register restarts at 0 for
        every transaction, so meterStart is 0). The full answer is kept in
        `last_result["StartTransaction"]`. 1.6 returns the CSMS's integer id. 2.x sends
        TransactionEvent Started and returns the new UUID string; `offline` (2.x only) flags
        the event as queued while offline.
        """
        tag = id_tag or self.config.id_tag
        conn = self._connectors.get(connector_id)
        if meter_start_wh is None and self.config.has(Habit.PER_SESSION_REGISTER):
            meter_start_wh = 0.0
        if conn is not None and meter_start_wh is not None:
            conn.set_energy(meter_start_wh)
        start = conn.advance() if conn is not None else (meter_start_wh or 0.0)
        transaction_id, result = await self._protocol().start_transaction(
            connector_id, tag, start, self.timestamp(timestamp), offline=offline
        )
        self.last_result["StartTransaction"] = result
        if conn is not None:
            conn.begin_transaction(transaction_id, tag)
        return transaction_id

    async def meter_values(
        self,
        connector_id: int,
        sampled_values: list[dict[str, str]] | None = None,
        transaction_id: TransactionId | None = None,
        timestamp: datetime | None = None,
        *,
        context: str = "Sample.Periodic",
        offline: bool = False,
    ) -> Any:
        """Send MeterValues with one meterValue.

        `sampled_values` are camelCase 1.6 sampledValue dicts; None samples `measurands` from
        the connector's state with `context`. The running transaction's id is added unless
        `transaction_id` is given. 2.x: a TransactionEvent Updated during a transaction
        (`offline` flags it), else MeterValues; samples 2.x cannot carry are dropped
        (`v2.convert_sample`) and ValueError is raised when none is left. Readings of a
        transaction made offline join the offline queue (habit `offline_queue`).
        """
        conn = self._connectors.get(connector_id)
        if sampled_values is None:
            sampled_values = self.sample(connector_id, context=context)
        if transaction_id is None and conn is not None:
            transaction_id = conn.transaction_id
        meter_value = [{"timestamp": self.timestamp(timestamp), "sampledValue": sampled_values}]

        async def send(layer: ProtocolLayer, late: bool) -> Any:
            return await layer.meter_values(
                connector_id, meter_value, transaction_id, offline=offline or late
            )

        return await self._send_or_queue(
            "MeterValues", send, transactional=transaction_id is not None
        )

    def sample(
        self,
        connector_id: int,
        measurands: list[str] | None = None,
        *,
        context: str = "Sample.Periodic",
    ) -> list[dict[str, str]]:
        """The sampledValue list a connector would report now (default: `measurands`)."""
        chosen = self.measurands if measurands is None else measurands
        return sampled_values(self.connector(connector_id), chosen, context, self.meter_style)

    def _signed_transaction_data(
        self,
        conn: ConnectorState,
        stop_wh: float,
        when: str,
        transaction_data: list[dict[str, Any]] | None,
    ) -> list[dict[str, Any]] | None:
        """1.6 transactionData plus the signed begin and end readings (signed_meter_values)."""
        if not self.config.has(Habit.SIGNED_METER_VALUES):
            return transaction_data
        serial = self.config.serial_number
        began = (
            utc_timestamp(datetime.fromtimestamp(conn.tx_started_at, UTC))
            if conn.tx_started_at is not None
            else when
        )
        begin = signed_sample_16(serial, conn.session_start_wh, began, "Transaction.Begin")
        end = signed_sample_16(serial, stop_wh, when, "Transaction.End")
        return [
            *(transaction_data or []),
            {"timestamp": began, "sampledValue": [begin]},
            {"timestamp": when, "sampledValue": [end]},
        ]

    async def stop_transaction(
        self,
        connector_id: int,
        meter_stop_wh: float | None = None,
        reason: str | None = None,
        timestamp: datetime | None = None,
        transaction_data: list[dict[str, Any]] | None = None,
        transaction_id: TransactionId | None = None,
        *,
        offline: bool = False,
    ) -> Any:
        """Send StopTransaction for the connector's transaction (or `transaction_id`).

        The contactor opens first (local status Finishing) so the energy register stops at
        meterStop; the caller still reports Finishing/Available with `status()`. 2.x sends
        TransactionEvent Ended (`offline` flags it); the answer's `.id_tag_info` is None
        unless the idToken went along (reason Local). Made offline, it joins the offline queue
        (habit `offline_queue`; the answer is then None) and the transaction ends locally.
        """
        conn = self._connectors.get(connector_id)
        if transaction_id is None and conn is not None:
            transaction_id = conn.transaction_id
        if transaction_id is None:
            raise ValueError(f"no transaction on connector {connector_id}")
        if conn is not None:
            conn.open_contactor()
            if meter_stop_wh is not None:
                conn.set_energy(meter_stop_wh)
        stop = conn.advance() if conn is not None else (meter_stop_wh or 0.0)
        id_tag = conn.id_tag if conn is not None else None
        when = self.timestamp(timestamp)
        if conn is not None and self.config.ocpp_version == "1.6":
            transaction_data = self._signed_transaction_data(conn, stop, when, transaction_data)

        async def send(layer: ProtocolLayer, late: bool) -> Any:
            return await layer.stop_transaction(
                connector_id,
                transaction_id,
                stop,
                when,
                reason,
                id_tag,
                transaction_data,
                offline=offline or late,
            )

        result = await self._send_or_queue("StopTransaction", send, transactional=True)
        self.last_result["StopTransaction"] = result
        if conn is not None and conn.transaction_id == transaction_id:
            conn.end_transaction()
        return result

    async def data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None
    ) -> Any:
        """Send DataTransfer."""
        return await self._protocol().data_transfer(vendor_id, message_id, data)

    # ------------------------------------------------------------------ 2.x only
    def take_seq_no(self, transaction_id: str) -> int:
        """Allocate the seqNo of the next TransactionEvent of a transaction (2.x).

        Counts from 0 per transaction; `next_seq_no`, when set, is used once instead.
        """
        number = self.seq_nos.get(transaction_id, 0)
        if self.next_seq_no is not None:
            number, self.next_seq_no = self.next_seq_no, None
        self.seq_nos[transaction_id] = number + 1
        return number

    async def transaction_event(
        self,
        event_type: str,
        trigger_reason: str,
        connector_id: int = 1,
        *,
        transaction_id: str | None = None,
        seq_no: int | None = None,
        offline: bool = False,
        timestamp: datetime | None = None,
        **fields: Any,
    ) -> Any:
        """Send one raw TransactionEvent (2.x only; RuntimeError in 1.6).

        Nothing about the connector changes. `transaction_id` defaults to the connector's
        running transaction; `seq_no` bypasses (and does not advance) the counter. `fields`
        are TransactionEvent fields in snake_case, sent as given (meter_value as a 2.x
        camelCase meterValue list, number_of_phases_used, reservation_id, ...), plus the
        shortcuts charging_state, stopped_reason, remote_start_id (into transactionInfo) and
        id_tag (the idToken); see `V2ChargePoint.transaction_event`.
        """
        if not self.config.is_v2:
            raise RuntimeError(f"OCPP {self.config.ocpp_version} has no TransactionEvent")
        if transaction_id is None:
            running = (
                self._connectors[connector_id].transaction_id
                if connector_id in self._connectors
                else None
            )
            if running is None:
                raise ValueError(f"no transaction on connector {connector_id}")
            transaction_id = str(running)
        when = self.timestamp(timestamp)
        chosen_id = transaction_id

        async def send(layer: ProtocolLayer, late: bool) -> Any:
            assert isinstance(layer, V2ChargePoint)
            return await layer.transaction_event(
                event_type,
                trigger_reason,
                connector_id,
                chosen_id,
                seq_no=seq_no,
                offline=offline or late,
                timestamp=when,
                **fields,
            )

        return await self._send_or_queue("TransactionEvent", send, transactional=True)

    # ------------------------------------------------------------------ scripted behaviour
    async def run_session(
        self,
        connector_id: int = 1,
        duration: float = 60,
        power_w: float | None = None,
        suspend_after: float | None = None,
    ) -> None:
        """Run one realistic charging session (see `scenario.run_session`)."""
        await scenario.run_session(self, connector_id, duration, power_w, suspend_after)

    async def run_forever(
        self,
        session_duration: float = 60,
        idle_time: float = 30,
        sessions: int | None = None,
        reconnect_delay: float = 5,
    ) -> None:
        """Connect, boot and loop sessions, reconnecting as needed (see `scenario.run_forever`)."""
        await scenario.run_forever(self, session_duration, idle_time, sessions, reconnect_delay)
