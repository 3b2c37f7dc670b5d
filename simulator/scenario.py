"""Scripted charger behaviour: sessions, reactions to CSMS commands and the endless demo loop.

Everything here talks to the CSMS only through `ChargerSimulator`'s primitives, so it is
independent of the OCPP version.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from typing import TYPE_CHECKING, Any

from ocpp.exceptions import OCPPError
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from simulator.habits import Habit
from simulator.model import ConnectorState, sampled_values, wait_event

if TYPE_CHECKING:
    from simulator.charger import ChargerSimulator

LOGGER = logging.getLogger(__name__)
# Errors after which the demo loop reconnects (OSError covers refused connections, timeouts
# and our own ConnectionError for a socket that dropped mid-call).
CONNECTION_ERRORS = (OSError, ConnectionClosed, InvalidHandshake)
# BootNotification retry delay when a Pending/Rejected answer carries interval 0.
DEFAULT_BOOT_RETRY = 10.0
# Demo sessions cycle through these: (EV power demand in W or None for "all offered",
# share of the session duration, share after which the EV suspends or None).
SESSION_PLANS: tuple[tuple[float | None, float, float | None], ...] = (
    (None, 1.0, None),
    (7400.0, 0.8, None),
    (3700.0, 1.2, 0.7),
    (11000.0, 1.0, None),
    (None, 0.6, 0.5),
)


def _accepted(id_tag_info: Any) -> bool:
    """True if an idTagInfo (the library leaves it a snake_case dict) says Accepted."""
    status = id_tag_info.get("status") if isinstance(id_tag_info, dict) else None
    return status == "Accepted"


async def _finish(sim: ChargerSimulator, conn: ConnectorState, reason: str) -> None:
    """StopTransaction (with StopTxnSampledData as transactionData), Finishing, idle status."""
    if conn.transaction_id is not None:
        data = None
        if sim.stop_txn_measurands and (
            samples := sampled_values(
                conn, sim.stop_txn_measurands, "Transaction.End", sim.meter_style
            )
        ):
            data = [{"timestamp": sim.timestamp(), "sampledValue": samples}]
        await sim.stop_transaction(conn.connector_id, reason=reason, transaction_data=data)
    await sim.status(conn.connector_id, "Finishing")
    await sim.status(conn.connector_id, conn.idle_status())


async def _charge(
    sim: ChargerSimulator, conn: ConnectorState, duration: float | None, suspend_after: float | None
) -> str:
    """Charge until `duration` elapses or a stop is requested; return the stop reason.

    Sends MeterValues at once and then every `sim.meter_interval` (re-read after every wake,
    so a ChangeConfiguration takes effect immediately), and SuspendedEV when the EV pauses
    (after `suspend_after` seconds or at 100 % SoC). A lost connection ends the session unless
    the charger keeps running offline (habits `offline_queue`, `reconnect_without_boot`).
    Habit `suspended_below_6a`: SuspendedEVSE while the limit is below 6 A, Charging again
    above it (`_follow_limit`).
    """
    loop = asyncio.get_running_loop()
    start = loop.time()
    end = math.inf if duration is None else start + duration
    suspend_at = math.inf if suspend_after is None else start + suspend_after
    suspended = False
    last_sample = -math.inf
    while True:
        if not sim.connected and not sim.keeps_running_offline:
            raise ConnectionError(f"{sim.config.charge_point_id}: connection lost in session")
        if conn.stop_reason is not None:
            return conn.stop_reason
        now = loop.time()
        if now >= end:
            return "EVDisconnected" if suspended else "Local"
        if not suspended and (now >= suspend_at or conn.soc() >= 100.0):  # noqa: PLR2004
            await sim.status(conn.connector_id, "SuspendedEV")
            suspended = True
        if not suspended:
            await _follow_limit(sim, conn)
        interval = sim.meter_interval
        next_sample = last_sample + interval if interval > 0 else math.inf
        if now >= next_sample and sim.measurands:
            if samples := sim.sample(conn.connector_id):
                await sim.meter_values(conn.connector_id, samples)
            last_sample, next_sample = now, now + interval
        deadline = min(end, next_sample, math.inf if suspended else suspend_at)
        await wait_event(conn.wake, None if deadline == math.inf else deadline - loop.time())


async def _follow_limit(sim: ChargerSimulator, conn: ConnectorState) -> None:
    """Habit `suspended_below_6a`: pause (SuspendedEVSE) below 6 A, resume (Charging) above.

    IEC 61851 lets no EV charge below 6 A; real chargers report SuspendedEVSE and deliver
    nothing instead of Charging at 0 A (2.x: chargingState SuspendedEVSE).
    """
    if not sim.config.has(Habit.SUSPENDED_BELOW_6A):
        return
    below = conn.below_minimum()
    if below and conn.status == "Charging":
        await sim.status(conn.connector_id, "SuspendedEVSE")
    elif not below and conn.status == "SuspendedEVSE":
        await sim.status(conn.connector_id, "Charging")


async def run_session(
    sim: ChargerSimulator,
    connector_id: int = 1,
    duration: float = 60,
    power_w: float | None = None,
    suspend_after: float | None = None,
) -> None:
    """Run one local session from plug-in to unplug.

    Preparing, Authorize, StartTransaction, Charging with MeterValues, optionally SuspendedEV,
    StopTransaction (Local, or EVDisconnected after a suspension), Finishing, Available. A
    rejected id tag ends it at Available without a transaction.
    """
    conn = sim.connector(connector_id)
    if conn.in_session:
        raise RuntimeError(f"connector {connector_id} is already in a session")
    conn.in_session, conn.stop_reason = True, None
    try:
        conn.set_demand(power_w)
        await sim.status(connector_id, "Preparing")
        tag = sim.config.id_tag
        if not _accepted((await sim.authorize(tag)).id_tag_info):
            await sim.status(connector_id, conn.idle_status())
            return
        await _start_and_charge(sim, conn, tag, duration, suspend_after)
    finally:
        conn.in_session = False


async def _start_and_charge(
    sim: ChargerSimulator,
    conn: ConnectorState,
    tag: str,
    duration: float | None,
    suspend_after: float | None,
) -> None:
    """StartTransaction, Charging, charge loop, and the finish sequence."""
    await sim.start_transaction(conn.connector_id, tag)
    if not _accepted(sim.last_result["StartTransaction"].id_tag_info):
        # StopTransactionOnInvalidId: the CSMS refused the tag after all.
        await _finish(sim, conn, "DeAuthorized")
        return
    await sim.status(conn.connector_id, "Charging")
    reason = await _charge(sim, conn, duration, suspend_after)
    conn.stop_reason = None
    await _finish(sim, conn, reason)


async def _remote_session(sim: ChargerSimulator, conn: ConnectorState, id_tag: str) -> None:
    """A RemoteStartTransaction session: runs until stopped (RemoteStop, unlock, reset)."""
    try:
        conn.set_demand(None)
        if conn.status != "Preparing":
            await sim.status(conn.connector_id, "Preparing")
        # AuthorizeRemoteTxRequests=true: the tag must be authorized like a local one.
        if sim.authorize_remote_tx and not _accepted((await sim.authorize(id_tag)).id_tag_info):
            await sim.status(conn.connector_id, conn.idle_status())
            return
        await _start_and_charge(sim, conn, id_tag, None, None)
    finally:
        conn.in_session = False


def start_remote_session(sim: ChargerSimulator, connector_id: int, id_tag: str) -> None:
    """Reserve the connector at once (so a second request cannot take it) and start."""
    conn = sim.connector(connector_id)
    conn.in_session, conn.stop_reason = True, None
    sim.spawn(_remote_session(sim, conn, id_tag), f"remote session {connector_id}")


def stop_transaction_soon(sim: ChargerSimulator, connector_id: int, reason: str) -> None:
    """End the connector's transaction with `reason`.

    A running session is told to stop and finishes on its own; a transaction a test started
    with the primitives is finished here (StopTransaction, Finishing, Available).
    """
    conn = sim.connector(connector_id)
    if conn.in_session:
        conn.request_stop(reason)
    elif conn.transaction_id is not None:
        sim.spawn(_finish(sim, conn, reason), f"stop {connector_id}")


async def report_availability(sim: ChargerSimulator, connector_id: int) -> None:
    """Send the StatusNotifications a ChangeAvailability caused (idle connectors only)."""
    targets = sim.connector_ids(zero=True) if connector_id == 0 else [connector_id]
    for target in targets:
        conn = sim.connector(target)
        if conn.in_session or conn.transaction_id is not None:
            continue  # Scheduled: applies when the transaction ends
        if conn.operative == (conn.status == "Unavailable"):
            await sim.status(target, conn.idle_status())


async def send_triggered(sim: ChargerSimulator, message: str, connector_id: int | None) -> None:
    """Send the message a 1.6 TriggerMessage asked for (context Trigger for MeterValues).

    The 2.x layer has its own (`V2ChargePoint.send_triggered`): its triggered messages differ.
    """
    match message:
        case "BootNotification":
            await sim.boot("Triggered")
        case "Heartbeat":
            await sim.heartbeat()
        case "StatusNotification":
            targets = sim.connector_ids(zero=True) if connector_id is None else [connector_id]
            for target in targets:
                conn = sim.connector(target)
                await sim.status(target, conn.status, conn.error_code)
        case "MeterValues" if connector_id == 0:
            # Connector 0 is the charger's main meter: the sum of all connectors.
            total = {
                "value": f"{sim.energy_wh(0):.1f}",
                "measurand": "Energy.Active.Import.Register",
                "unit": "Wh",
                "context": "Trigger",
                "location": "Inlet",
            }
            await sim.meter_values(0, [total])
        case "MeterValues":
            targets = sim.connector_ids() if connector_id is None else [connector_id]
            for target in targets:
                if samples := sim.sample(target, context="Trigger"):
                    await sim.meter_values(target, samples)
        case _:
            LOGGER.warning("cannot trigger %s", message)


async def reboot(sim: ChargerSimulator, reason: str, boot_reason: str = "RemoteReset") -> None:
    """Simulate a Reset: stop transactions with `reason`, boot again, report every status.

    `boot_reason` is the BootNotification reason (2.x only). What the reboot forgets is in
    `ChargerSimulator.restart_state`. Habit `reset_reboots`: the charger really restarts
    (`_power_cycle`) instead of booting again on the same connection.
    """
    if sim.config.has(Habit.RESET_REBOOTS) or sim.pending_security_profile is not None:
        # A new security profile means a new connection (1.6 security whitepaper A02).
        await _power_cycle(sim, reason, boot_reason)
        return
    for target in sim.connector_ids():
        conn = sim.connector(target)
        if conn.in_session:
            conn.request_stop(reason)
        elif conn.transaction_id is not None:
            await _finish(sim, conn, reason)
    await _wait_sessions_ended(sim)
    sim.restart_state()
    await register(sim, boot_reason)


def reconnect_if_credentials_changed(sim: ChargerSimulator) -> None:
    """After a new password: drop the connection and connect with it (whitepaper A01)."""
    if not sim.credentials_changed:
        return
    sim.credentials_changed = False

    async def reconnect() -> None:
        await sim.drop_connection()
        await sim.reconnect()

    sim.spawn(reconnect(), "reconnect with new credentials")


async def _wait_sessions_ended(sim: ChargerSimulator) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + sim.config.response_timeout * 2
    while any(sim.connector(n).in_session for n in sim.connector_ids()):
        if loop.time() > deadline:
            break
        await asyncio.sleep(0.05)


async def _power_cycle(sim: ChargerSimulator, reason: str, boot_reason: str) -> None:
    """Habit `reset_reboots`: drop the connection, stay off `reboot_delay` s, boot anew.

    Transactions running at that moment end as at a power loss: their StopTransaction (2.x
    TransactionEvent Ended) with `reason` and the time of the reset joins the offline queue
    (habit `offline_queue`), or is lost and the transaction closed with reason Reboot after
    the new boot (`register`).
    """
    sim.powered_off = True
    try:
        await sim.drop_connection()
        for target in sim.connector_ids():
            conn = sim.connector(target)
            if conn.in_session:
                conn.request_stop(reason)
            elif conn.transaction_id is not None:
                # Without a queue the StopTransaction fails: closed (Reboot) after the boot.
                with contextlib.suppress(ConnectionError):
                    await _finish(sim, conn, reason)
        await _wait_sessions_ended(sim)
        sim.restart_state()
        await asyncio.sleep(sim.config.reboot_delay)
    finally:
        sim.powered_off = False
    await sim.connect()
    await register(sim, boot_reason)


async def register(sim: ChargerSimulator, reason: str | None = None) -> None:
    """Boot until Accepted, replay the offline queue, close cut-off transactions, report status.

    After Pending/Rejected the boot is retried after the answer's interval, or sooner when the
    CSMS triggers a BootNotification that is Accepted. `reason` is the boot reason (2.x).
    """
    while True:
        result = await sim.boot(reason)
        if result.status == "Accepted":
            break
        retry = float(result.interval) or DEFAULT_BOOT_RETRY
        LOGGER.info(
            "%s: BootNotification %s; retrying in %g s",
            sim.config.charge_point_id,
            result.status,
            retry,
        )
        if await sim.wait_accepted(timeout=retry):
            break
    await sim.flush_offline_queue()
    for target in sim.connector_ids():
        conn = sim.connector(target)
        if conn.transaction_id is not None and not conn.in_session:
            # A transaction cut off by the connection loss ends with the "reboot".
            await sim.stop_transaction(target, reason="Reboot")
    # After a (re)boot every connector that is not charging reports its idle state.
    for target in sim.connector_ids(zero=True):
        conn = sim.connector(target)
        if not conn.in_session:
            await sim.status(target, conn.idle_status())


async def _keep_connected(sim: ChargerSimulator, reconnect_delay: float) -> None:
    """Reconnect in the background, for a charger whose sessions go on offline (habits).

    A reboot (`_power_cycle`) reconnects by itself.
    """
    while True:
        await asyncio.sleep(reconnect_delay)
        if sim.connected or sim.powered_off:
            continue
        try:
            await sim.reconnect()
        except (*CONNECTION_ERRORS, OCPPError, TimeoutError) as err:
            LOGGER.info(
                "%s: reconnect failed (%s); retrying in %g s",
                sim.config.charge_point_id,
                str(err) or type(err).__name__,
                reconnect_delay,
            )


async def _close_leftovers(sim: ChargerSimulator) -> None:
    """End transactions no session drives any more (cut off by a lost connection)."""
    for target in sim.connector_ids():
        conn = sim.connector(target)
        if conn.transaction_id is not None and not conn.in_session:
            await _finish(sim, conn, "Other")


async def run_forever(
    sim: ChargerSimulator,
    session_duration: float = 60,
    idle_time: float = 30,
    sessions: int | None = None,
    reconnect_delay: float = 5,
) -> None:
    """Demo loop: connect, register, then alternate sessions and idle pauses forever.

    Sessions rotate over the connectors and over `SESSION_PLANS` (different power, length
    and suspension). A refused or lost connection is retried every `reconnect_delay`
    seconds (`ChargerSimulator.reconnect`: booting again or not, as the habits say); a
    charger that keeps charging offline reconnects in the background. With `sessions` set,
    returns after that many sessions. Closes the simulator on the way out, including on
    cancellation (Ctrl-C).
    """
    done = 0
    registered = False
    try:
        while sessions is None or done < sessions:
            try:
                if sim.powered_off:
                    await asyncio.sleep(0.1)  # a Reset reboot reconnects by itself
                    continue
                if not sim.connected:
                    if registered:
                        await sim.reconnect()
                    else:
                        await sim.connect()
                        await register(sim)
                        registered = True
                        if sim.keeps_running_offline:
                            sim.spawn(_keep_connected(sim, reconnect_delay), "reconnect")
                ids = sim.connector_ids()
                connector_id = sim.free_connector(ids[done % len(ids)]) or sim.free_connector()
                if connector_id is None:
                    await _close_leftovers(sim)
                    await sim.wait_disconnected(idle_time)
                    continue
                power_w, share, suspend_share = SESSION_PLANS[done % len(SESSION_PLANS)]
                duration = session_duration * share
                suspend_after = None if suspend_share is None else duration * suspend_share
                await sim.run_session(connector_id, duration, power_w, suspend_after)
                done += 1
                if sessions is None or done < sessions:
                    await sim.wait_disconnected(idle_time)
            except CONNECTION_ERRORS as err:
                LOGGER.warning(
                    "%s: no connection (%s); retrying in %g s",
                    sim.config.charge_point_id,
                    str(err) or type(err).__name__,
                    reconnect_delay,
                )
                if not (sim.keeps_running_offline or sim.powered_off):
                    await sim.close()
                await asyncio.sleep(reconnect_delay)
            except OCPPError as err:
                LOGGER.warning(
                    "%s: CSMS answered with an error: %s", sim.config.charge_point_id, err
                )
                await asyncio.sleep(reconnect_delay)
    finally:
        await sim.close()
