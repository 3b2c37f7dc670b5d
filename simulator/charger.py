"""`ChargerSimulator`: the version-neutral facade of one simulated charger.

The websocket, the receive loop and what tests observe of the CSMS's traffic (`received`,
`next_raw`, `wait_for_call`) come from `ChargerLink`; this class adds the charger's state
(connectors, meter, configuration) and the primitives. The wire format is delegated to a
protocol module chosen by `SimulatorConfig.ocpp_version`; only 1.6J (`simulator.v16`) exists
today. The primitives (`boot`, `start_transaction`, ...) mirror
1.6 messages one to one and return the ocpp library's 1.6 `call_result` dataclasses; a 2.x
module would add its own counterparts next to them. Scripted behaviour (`run_session`,
`run_forever`) lives in `simulator.scenario`.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
import logging
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
from simulator.link import ChargerLink
from simulator.model import ConnectorState, sampled_values, utc_timestamp, wait_event
from simulator.v16 import V16ChargePoint
from simulator.v16_config import default_configuration

if TYPE_CHECKING:
    from ocpp.v16 import call_result

LOGGER = logging.getLogger(__name__)


class ChargerSimulator(ChargerLink):
    """One simulated charger connected to a CSMS at `url` (the id is appended to it)."""

    def __init__(self, url: str, config: SimulatorConfig | None = None) -> None:
        """Prepare the simulator; nothing is opened until `connect()`."""
        super().__init__(url, config or SimulatorConfig())
        cfg = self.config
        self.configuration: dict[str, ConfigKey] = default_configuration(cfg)
        # Keys ChangeConfiguration must answer Rejected (tests force failures with it).
        self.reject_keys: set[str] = set()
        # The latest answer per action the simulator sent (e.g. the StartTransaction idTagInfo).
        self.last_result: dict[str, Any] = {}
        self.boot_status: str | None = None
        self.heartbeat_interval = float(self.configuration["HeartbeatInterval"].value)
        self.meter_interval = cfg.meter_interval
        self.measurands: list[str] = list(DEFAULT_MEASURANDS)
        self.stop_txn_measurands: list[str] = list(DEFAULT_STOP_TXN_MEASURANDS)
        self.authorize_remote_tx = False
        self._connectors = {
            n: ConnectorState(n, cfg.phases, cfg.voltage, cfg.max_current, cfg.meter_start_wh)
            for n in range(cfg.connectors + 1)
        }
        self._cp: V16ChargePoint | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._accepted = asyncio.Event()
        self._heartbeat_wake = asyncio.Event()

    # ------------------------------------------------------------------ connection hooks
    def _attach(self, ws: ClientConnection, disconnected: asyncio.Future[None]) -> V16ChargePoint:
        """Create the 1.6 protocol object for a new connection.

        A 2.x mode would pick its module here by `config.ocpp_version` (which
        `SimulatorConfig` validates against `SUBPROTOCOLS`).
        """
        self._cp = V16ChargePoint(self, ws, disconnected)
        return self._cp

    def _on_disconnect(self) -> None:
        """Forget the registration (a new connection must boot again) and wake sessions."""
        self.boot_status = None
        self._accepted.clear()
        self._wake_connectors()

    def _protocol(self) -> V16ChargePoint:
        if self._cp is None or not self.connected:
            raise ConnectionError(f"{self.config.charge_point_id}: not connected")
        return self._cp

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

    def transaction_id(self, connector_id: int) -> int | None:
        """The running transaction on a connector, if any."""
        return self.connector(connector_id).transaction_id

    def connector_of_transaction(self, transaction_id: int) -> int | None:
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
        self._heartbeat_wake.set()

    def set_meter_interval(self, seconds: float) -> None:
        """Change the MeterValues interval of sessions (0 disables) effective immediately."""
        self.meter_interval = seconds
        if "MeterValueSampleInterval" in self.configuration:
            self.configuration["MeterValueSampleInterval"].value = format_seconds(seconds)
        self._wake_connectors()

    def _wake_connectors(self) -> None:
        for conn in self._connectors.values():
            conn.wake.set()

    # ------------------------------------------------------------------ primitives
    async def boot(self, reason: str | None = None) -> call_result.BootNotification:
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
            if self.config.auto_heartbeat and (self._heartbeat is None or self._heartbeat.done()):
                self._heartbeat = self.spawn(self._heartbeat_loop(), "heartbeat")
        else:
            self._accepted.clear()
        return result

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

    async def heartbeat(self) -> call_result.Heartbeat:
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
    ) -> call_result.StatusNotification:
        """Send StatusNotification; a known connector's local status follows it."""
        conn = self._connectors.get(connector_id)
        if conn is not None:
            conn.set_status(status)
            conn.error_code = error_code
        return await self._protocol().status_notification(
            connector_id, status, error_code, info, vendor_error_code, utc_timestamp(timestamp)
        )

    async def authorize(self, id_tag: str | None = None) -> call_result.Authorize:
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
    ) -> int:
        """Send StartTransaction and return (and remember) the transactionId.

        `meter_start_wh` also sets the connector's energy register; by default the register's
        current value is sent. The full answer is kept in `last_result["StartTransaction"]`.
        """
        tag = id_tag or self.config.id_tag
        conn = self._connectors.get(connector_id)
        if conn is not None and meter_start_wh is not None:
            conn.set_energy(meter_start_wh)
        start = conn.advance() if conn is not None else (meter_start_wh or 0.0)
        result = await self._protocol().start_transaction(
            connector_id, tag, round(start), utc_timestamp(timestamp)
        )
        self.last_result["StartTransaction"] = result
        transaction_id = int(result.transaction_id)
        if conn is not None:
            conn.begin_transaction(transaction_id, tag)
        return transaction_id

    async def meter_values(
        self,
        connector_id: int,
        sampled_values: list[dict[str, str]] | None = None,
        transaction_id: int | None = None,
        timestamp: datetime | None = None,
        *,
        context: str = "Sample.Periodic",
    ) -> call_result.MeterValues:
        """Send MeterValues with one meterValue.

        `sampled_values` are camelCase 1.6 sampledValue dicts; None samples `measurands` from
        the connector's state with `context`. The running transaction's id is added unless
        `transaction_id` is given.
        """
        conn = self._connectors.get(connector_id)
        if sampled_values is None:
            sampled_values = self.sample(connector_id, context=context)
        if transaction_id is None and conn is not None:
            transaction_id = conn.transaction_id
        meter_value = [{"timestamp": utc_timestamp(timestamp), "sampledValue": sampled_values}]
        return await self._protocol().meter_values(connector_id, meter_value, transaction_id)

    def sample(
        self,
        connector_id: int,
        measurands: list[str] | None = None,
        *,
        context: str = "Sample.Periodic",
    ) -> list[dict[str, str]]:
        """The sampledValue list a connector would report now (default: `measurands`)."""
        chosen = self.measurands if measurands is None else measurands
        return sampled_values(self.connector(connector_id), chosen, context)

    async def stop_transaction(
        self,
        connector_id: int,
        meter_stop_wh: float | None = None,
        reason: str | None = None,
        timestamp: datetime | None = None,
        transaction_data: list[dict[str, Any]] | None = None,
        transaction_id: int | None = None,
    ) -> call_result.StopTransaction:
        """Send StopTransaction for the connector's transaction (or `transaction_id`).

        The contactor opens first (local status Finishing) so the energy register stops at
        meterStop; the caller still reports Finishing/Available with `status()`.
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
        result = await self._protocol().stop_transaction(
            transaction_id, round(stop), utc_timestamp(timestamp), reason, id_tag, transaction_data
        )
        self.last_result["StopTransaction"] = result
        if conn is not None and conn.transaction_id == transaction_id:
            conn.end_transaction()
        return result

    async def data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None
    ) -> call_result.DataTransfer:
        """Send DataTransfer."""
        return await self._protocol().data_transfer(vendor_id, message_id, data)

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
