"""OCPP 1.6J layer of the simulator: an `ocpp.v16.ChargePoint` subclass.

It builds the outgoing 1.6 messages for `ChargerSimulator`'s primitives and answers the
CSMS's calls. Behaviour shared with other protocol versions (sessions, the electrical model)
lives in `scenario` and `model`; this module only translates between them and 1.6 payloads.
The rules every layer follows (no awaited call inside a handler) are in `simulator.protocol`.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
import logging
from typing import TYPE_CHECKING, Any

from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action

from simulator import maintenance, scenario
from simulator.habits import Habit
from simulator.protocol import SimulatorChargePoint, after, on
from simulator.schedule import ChargingLimit, profile_limit
from simulator.v16_config import canonical_key, change_configuration

if TYPE_CHECKING:
    from simulator.model import TransactionId

LOGGER = logging.getLogger(__name__)

# TriggerMessage requests the simulator honours; the others are answered NotImplemented.
TRIGGERABLE = frozenset({"BootNotification", "Heartbeat", "StatusNotification", "MeterValues"})


class V16ChargePoint(SimulatorChargePoint, ChargePoint):  # type: ignore[misc]  # untyped ocpp
    """The charger side of one 1.6J websocket connection."""

    def _limit(self, profile: dict[str, Any]) -> ChargingLimit | None:
        """A 1.6 profile as the charger keeps it (see `schedule.profile_limit`)."""
        cfg = self.sim.config
        return profile_limit(
            profile,
            cfg.phases,
            cfg.voltage,
            switching=not cfg.has(Habit.NO_PHASE_SWITCHING),
        )

    # ---------------------------------------------------------------- charger -> CSMS
    async def boot(self, reason: str | None = None) -> Any:
        """Send BootNotification (1.6 has no boot reason; `reason` is for 2.x modes)."""
        del reason
        cfg = self.sim.config
        return await self.request(
            call.BootNotification(
                charge_point_model=cfg.model,
                charge_point_vendor=cfg.vendor,
                charge_point_serial_number=cfg.serial_number,
                firmware_version=cfg.firmware_version,
                iccid=cfg.iccid,
                imsi=cfg.imsi,
            )
        )

    async def heartbeat(self) -> Any:
        """Send Heartbeat."""
        return await self.request(call.Heartbeat())

    async def status_notification(
        self,
        connector_id: int,
        status: str,
        error_code: str,
        info: str | None,
        vendor_error_code: str | None,
        timestamp: str,
    ) -> Any:
        """Send StatusNotification."""
        return await self.request(
            call.StatusNotification(
                connector_id=connector_id,
                error_code=error_code,
                status=status,
                timestamp=timestamp,
                info=info,
                vendor_error_code=vendor_error_code,
            )
        )

    async def authorize(self, id_tag: str) -> Any:
        """Send Authorize."""
        return await self.request(call.Authorize(id_tag=id_tag))

    async def start_transaction(
        self,
        connector_id: int,
        id_tag: str,
        meter_start_wh: float,
        timestamp: str,
        *,
        offline: bool = False,
    ) -> tuple[TransactionId, Any]:
        """Send StartTransaction (meterStart is integer Wh in 1.6; 1.6 has no offline flag)."""
        del offline
        conn = (
            self.sim.connector(connector_id) if connector_id in self.sim.connector_ids() else None
        )
        reservation_id = None
        if conn is not None and conn.reservation_id is not None:
            # A session on a reserved connector uses the reservation (1.6 section 5.13).
            reservation_id, conn.reservation_id = conn.reservation_id, None
        result = await self.request(
            call.StartTransaction(
                connector_id=connector_id,
                id_tag=id_tag,
                meter_start=round(meter_start_wh),
                timestamp=timestamp,
                reservation_id=reservation_id,
            )
        )
        return int(result.transaction_id), result

    async def meter_values(
        self,
        connector_id: int,
        meter_value: list[dict[str, Any]],
        transaction_id: TransactionId | None,
        *,
        offline: bool = False,
    ) -> Any:
        """Send MeterValues; `meter_value` is already in camelCase wire shape."""
        del offline
        return await self.request(
            call.MeterValues(
                connector_id=connector_id, meter_value=meter_value, transaction_id=transaction_id
            )
        )

    async def stop_transaction(
        self,
        connector_id: int,
        transaction_id: TransactionId,
        meter_stop_wh: float,
        timestamp: str,
        reason: str | None,
        id_tag: str | None,
        transaction_data: list[dict[str, Any]] | None,
        *,
        offline: bool = False,
    ) -> Any:
        """Send StopTransaction (the connector is implied by the transaction in 1.6)."""
        del connector_id, offline
        return await self.request(
            call.StopTransaction(
                meter_stop=round(meter_stop_wh),
                timestamp=timestamp,
                transaction_id=transaction_id,
                reason=reason,
                id_tag=id_tag,
                transaction_data=transaction_data,
            )
        )

    async def data_transfer(self, vendor_id: str, message_id: str | None, data: str | None) -> Any:
        """Send DataTransfer."""
        return await self.request(
            call.DataTransfer(vendor_id=vendor_id, message_id=message_id, data=data)
        )

    # ---------------------------------------------------------------- CSMS -> charger
    @on(Action.get_configuration)
    def on_get_configuration(self, key: list[str] | None = None, **_: Any) -> Any:
        """Report all keys, or the requested ones plus the unknown ones in unknownKey."""
        config = self.sim.configuration
        names = list(config) if not key else [canonical_key(config, k) for k in key]
        known = [
            {"key": name, "readonly": config[name].readonly, "value": config[name].value}
            for name in names
            if name is not None and not config[name].writeonly
        ]
        unknown = [k for k, name in zip(key or [], names, strict=False) if name is None]
        return call_result.GetConfiguration(
            configuration_key=known or None, unknown_key=unknown or None
        )

    @on(Action.change_configuration)
    def on_change_configuration(self, key: str, value: str, **_: Any) -> Any:
        """Change a key and apply it (see `v16_config.change_configuration`)."""
        return call_result.ChangeConfiguration(status=change_configuration(self.sim, key, value))

    @on(Action.install_certificate)
    def on_install_certificate(self, certificate_type: str, certificate: str, **_: Any) -> Any:
        """Trust a CentralSystemRootCertificate for TLS (security whitepaper)."""
        if certificate_type != "CentralSystemRootCertificate":
            return call_result.InstallCertificate(status="Rejected")
        self.sim.tls.roots.append(certificate)
        return call_result.InstallCertificate(status="Accepted")

    @on(Action.extended_trigger_message)
    def on_extended_trigger_message(self, requested_message: str, **_: Any) -> Any:
        """Only SignChargePointCertificate: a new certificate request follows."""
        status = (
            "Accepted" if requested_message == "SignChargePointCertificate" else "NotImplemented"
        )
        return call_result.ExtendedTriggerMessage(status=status)

    @after(Action.extended_trigger_message)
    def after_extended_trigger_message(self, requested_message: str, **_: Any) -> None:
        """Send SignCertificate after the answer."""
        if requested_message == "SignChargePointCertificate":
            csr = self.sim.tls.certificate_request(self.sim.config.charge_point_id)
            self.sim.spawn(self.request(call.SignCertificate(csr=csr)), "SignCertificate")

    @on(Action.certificate_signed)
    def on_certificate_signed(self, certificate_chain: str, **_: Any) -> Any:
        """Take the client certificate if it fits the key of our request."""
        accepted = self.sim.tls.install_signed(certificate_chain)
        return call_result.CertificateSigned(status="Accepted" if accepted else "Rejected")

    @after(Action.change_configuration)
    def after_change_configuration(self, **_: Any) -> None:
        """A new password: reconnect with it (after the answer went out)."""
        scenario.reconnect_if_credentials_changed(self.sim)

    def _trigger_status(self, requested_message: str, connector_id: int | None) -> str:
        if requested_message not in TRIGGERABLE or self.sim.config.has(Habit.NO_TRIGGER_MESSAGE):
            return "NotImplemented"
        if connector_id is not None and connector_id not in self.sim.connector_ids(zero=True):
            return "Rejected"
        return "Accepted"

    @on(Action.trigger_message)
    def on_trigger_message(
        self, requested_message: str, connector_id: int | None = None, **_: Any
    ) -> Any:
        """Accept the four triggers the simulator can send (1.6 section 5.17)."""
        return call_result.TriggerMessage(
            status=self._trigger_status(requested_message, connector_id)
        )

    @after(Action.trigger_message)
    def after_trigger_message(
        self, requested_message: str, connector_id: int | None = None, **_: Any
    ) -> None:
        """Send the triggered message only after the TriggerMessage answer went out."""
        if self._trigger_status(requested_message, connector_id) == "Accepted":
            self.sim.spawn(
                scenario.send_triggered(self.sim, requested_message, connector_id),
                f"trigger {requested_message}",
            )

    @on(Action.reserve_now)
    def on_reserve_now(
        self, connector_id: int, expiry_date: str, id_tag: str, reservation_id: int, **_: Any
    ) -> Any:
        """Reserve an available connector (connector 0 is not supported, like most chargers)."""
        del expiry_date, id_tag
        sim = self.sim
        if connector_id not in sim.connector_ids():
            return call_result.ReserveNow(status="Rejected")
        conn = sim.connector(connector_id)
        if conn.status == "Faulted":
            return call_result.ReserveNow(status="Faulted")
        if conn.status == "Unavailable":
            return call_result.ReserveNow(status="Unavailable")
        if conn.status not in {"Available", "Reserved"} or conn.in_session:
            return call_result.ReserveNow(status="Occupied")
        conn.reservation_id = reservation_id
        return call_result.ReserveNow(status="Accepted")

    @after(Action.reserve_now)
    def after_reserve_now(
        self, connector_id: int, expiry_date: str, reservation_id: int, **_: Any
    ) -> None:
        """Report Reserved, and Available again when the reservation expires unused."""
        sim = self.sim
        if connector_id not in sim.connector_ids():
            return
        if sim.connector(connector_id).reservation_id != reservation_id:
            return
        sim.spawn(sim.status(connector_id, "Reserved"), "reserved")
        sim.spawn(self._expire(connector_id, reservation_id, expiry_date), "reservation expiry")

    async def _expire(self, connector_id: int, reservation_id: int, expiry: str) -> None:
        when = datetime.fromisoformat(expiry)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        await asyncio.sleep(max(0.0, (when - datetime.now(UTC)).total_seconds()))
        await self._release(connector_id, reservation_id)

    async def _release(self, connector_id: int, reservation_id: int) -> None:
        conn = self.sim.connector(connector_id)
        if conn.reservation_id != reservation_id:
            return
        conn.reservation_id = None
        if conn.status == "Reserved":
            await self.sim.status(connector_id, conn.idle_status())

    def _reserved_connector(self, reservation_id: int) -> int | None:
        return next(
            (
                n
                for n in self.sim.connector_ids()
                if self.sim.connector(n).reservation_id == reservation_id
            ),
            None,
        )

    @on(Action.cancel_reservation)
    def on_cancel_reservation(self, reservation_id: int, **_: Any) -> Any:
        """Accepted for a reservation the charger holds."""
        known = self._reserved_connector(reservation_id) is not None
        return call_result.CancelReservation(status="Accepted" if known else "Rejected")

    @after(Action.cancel_reservation)
    def after_cancel_reservation(self, reservation_id: int, **_: Any) -> None:
        """Release the connector."""
        if (connector_id := self._reserved_connector(reservation_id)) is not None:
            self.sim.spawn(self._release(connector_id, reservation_id), "cancel reservation")

    @on(Action.remote_start_transaction)
    def on_remote_start_transaction(
        self,
        id_tag: str,
        connector_id: int | None = None,
        charging_profile: dict[str, Any] | None = None,
        **_: Any,
    ) -> Any:
        """Accept when a free, operative connector exists (and any profile is a TxProfile)."""
        ok = self.sim.free_connector(connector_id) is not None
        if charging_profile is not None:
            ok = ok and charging_profile.get("charging_profile_purpose") == "TxProfile"
        return call_result.RemoteStartTransaction(status="Accepted" if ok else "Rejected")

    @after(Action.remote_start_transaction)
    def after_remote_start_transaction(
        self,
        id_tag: str,
        connector_id: int | None = None,
        charging_profile: dict[str, Any] | None = None,
        **_: Any,
    ) -> None:
        """Run the remotely started session: Preparing, StartTransaction, Charging, ..."""
        chosen = self.sim.free_connector(connector_id)
        if chosen is None:
            return
        if charging_profile is not None:
            limit = self._limit(charging_profile)
            if limit is not None:
                profile_id = int(charging_profile.get("charging_profile_id", 0))
                self.sim.connector(chosen).install_profile(profile_id, limit)
        scenario.start_remote_session(self.sim, chosen, id_tag)

    @on(Action.remote_stop_transaction)
    def on_remote_stop_transaction(self, transaction_id: int, **_: Any) -> Any:
        """Accept when the transaction is running here."""
        known = self.sim.connector_of_transaction(transaction_id) is not None
        return call_result.RemoteStopTransaction(status="Accepted" if known else "Rejected")

    @after(Action.remote_stop_transaction)
    def after_remote_stop_transaction(self, transaction_id: int, **_: Any) -> None:
        """Stop the transaction with reason Remote."""
        connector_id = self.sim.connector_of_transaction(transaction_id)
        if connector_id is not None:
            scenario.stop_transaction_soon(self.sim, connector_id, "Remote")

    @on(Action.reset)
    def on_reset(self, type: str, **_: Any) -> Any:
        """Always accept a reset."""
        del type
        return call_result.Reset(status="Accepted")

    @after(Action.reset)
    def after_reset(self, type: str, **_: Any) -> None:
        """Stop transactions (reason Hard/SoftReset) and boot again (see `scenario.reboot`)."""
        self.sim.spawn(scenario.reboot(self.sim, f"{type}Reset"), "reset")

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self, **_: Any) -> Any:
        """The version of the local list (0: empty)."""
        return call_result.GetLocalListVersion(list_version=self.sim.local_list_version)

    @on(Action.send_local_list)
    def on_send_local_list(
        self,
        list_version: int,
        update_type: str,
        local_authorization_list: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> Any:
        """Replace (Full) or change (Differential) the list (1.6 section 5.15)."""
        sim = self.sim
        if update_type == "Differential" and list_version <= sim.local_list_version:
            return call_result.SendLocalList(status="VersionMismatch")
        if update_type == "Full":
            sim.local_list.clear()
        for entry in local_authorization_list or ():
            info = entry.get("id_tag_info")
            if info is None:
                sim.local_list.pop(entry["id_tag"], None)
            else:
                sim.local_list[entry["id_tag"]] = info
        sim.local_list_version = list_version
        return call_result.SendLocalList(status="Accepted")

    @on(Action.update_firmware)
    def on_update_firmware(self, location: str, **_: Any) -> Any:
        """Take the request (UpdateFirmware has an empty answer)."""
        del location
        return call_result.UpdateFirmware()

    @after(Action.update_firmware)
    def after_update_firmware(self, location: str, **_: Any) -> None:
        """Download, install, reboot (see `maintenance.update_firmware`)."""

        async def send(status: str) -> None:
            await self.sim.protocol_layer().request(call.FirmwareStatusNotification(status=status))

        self.sim.spawn(
            maintenance.update_firmware(
                self.sim, location, send, 0.1, verification_failed="InstallationFailed"
            ),
            "firmware update",
        )

    @on(Action.get_diagnostics)
    def on_get_diagnostics(self, location: str, **_: Any) -> Any:
        """Answer the name of the file that will be uploaded."""
        del location
        return call_result.GetDiagnostics(file_name=self._diagnostics_name())

    def _diagnostics_name(self) -> str:
        return f"{self.sim.config.charge_point_id}-diagnostics.log"

    @after(Action.get_diagnostics)
    def after_get_diagnostics(self, location: str, **_: Any) -> None:
        """Upload (raw PUT of location/file name), reporting Uploading and the end."""

        async def send(status: str) -> None:
            await self.sim.protocol_layer().request(
                call.DiagnosticsStatusNotification(status=status)
            )

        self.sim.spawn(
            maintenance.upload_log(
                self.sim,
                location,
                self._diagnostics_name(),
                send,
                multipart=False,
                failed_status="UploadFailed",
            ),
            "diagnostics upload",
        )

    @on(Action.unlock_connector)
    def on_unlock_connector(self, connector_id: int, **_: Any) -> Any:
        """Unlock a real connector; connector 0 or unknown ids cannot be unlocked."""
        ok = connector_id in self.sim.connector_ids()
        return call_result.UnlockConnector(status="Unlocked" if ok else "NotSupported")

    @after(Action.unlock_connector)
    def after_unlock_connector(self, connector_id: int, **_: Any) -> None:
        """Unlocking ends a running transaction with reason UnlockCommand (1.6 section 5.18)."""
        if connector_id in self.sim.connector_ids():
            scenario.stop_transaction_soon(self.sim, connector_id, "UnlockCommand")

    @on(Action.change_availability)
    def on_change_availability(self, connector_id: int, type: str, **_: Any) -> Any:
        """Apply at once, or answer Scheduled while a transaction runs (1.6 section 5.2)."""
        if connector_id not in self.sim.connector_ids(zero=True):
            return call_result.ChangeAvailability(status="Rejected")
        scheduled = self.sim.change_availability(connector_id, operative=type == "Operative")
        return call_result.ChangeAvailability(status="Scheduled" if scheduled else "Accepted")

    @after(Action.change_availability)
    def after_change_availability(self, connector_id: int, **_: Any) -> None:
        """Report the connectors whose availability changed."""
        if connector_id in self.sim.connector_ids(zero=True):
            self.sim.spawn(scenario.report_availability(self.sim, connector_id), "availability")

    @on(Action.set_charging_profile)
    def on_set_charging_profile(
        self, connector_id: int, cs_charging_profiles: dict[str, Any], **_: Any
    ) -> Any:
        """Install a profile as a current limit (1.6 section 5.16)."""
        sim = self.sim
        unit = (cs_charging_profiles.get("charging_schedule") or {}).get("charging_rate_unit")
        if sim.reject_profiles or unit not in sim.accepted_rate_units:
            return call_result.SetChargingProfile(status="Rejected")
        limit = self._limit(cs_charging_profiles)
        if limit is None or connector_id not in sim.connector_ids(zero=True):
            return call_result.SetChargingProfile(status="Rejected")
        # ChargePointMaxProfile only on connector 0; a TxProfile needs a running transaction
        # (section 5.16.3; habit rejects_tx_profile_outside_transaction names this default).
        if limit.purpose == "ChargePointMaxProfile" and connector_id != 0:
            return call_result.SetChargingProfile(status="Rejected")
        if limit.purpose == "TxProfile" and (
            connector_id == 0 or sim.connector(connector_id).transaction_id is None
        ):
            return call_result.SetChargingProfile(status="Rejected")
        profile_id = int(cs_charging_profiles.get("charging_profile_id", 0))
        targets = sim.connector_ids() if connector_id == 0 else [connector_id]
        for target in targets:
            conn = sim.connector(target)
            # Same purpose and stack level replaces the existing profile (section 3.13.2).
            for old_id, old in list(conn.profiles.items()):
                if (old.purpose, old.stack_level) == (limit.purpose, limit.stack_level):
                    conn.drop_profile(old_id)
            conn.install_profile(profile_id, limit)
        return call_result.SetChargingProfile(status="Accepted")

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(
        self, connector_id: int, duration: int, charging_rate_unit: str | None = None, **_: Any
    ) -> Any:
        """The limits really applied over `duration` (1.6 section 5.7; see `composite_schedule`)."""
        sim = self.sim
        if connector_id not in sim.connector_ids():
            return call_result.GetCompositeSchedule(status="Rejected")
        unit = charging_rate_unit or "A"
        start = sim.timestamp()
        periods = [
            {"startPeriod": offset, "limit": limit, "numberPhases": phases}
            for offset, limit, phases in sim.composite_schedule(connector_id, duration, unit)
        ]
        schedule = {
            "duration": duration,
            "startSchedule": start,
            "chargingRateUnit": unit,
            "chargingSchedulePeriod": periods,
        }
        return call_result.GetCompositeSchedule(
            status="Accepted",
            connector_id=connector_id,
            schedule_start=start,
            charging_schedule=schedule,
        )

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(
        self,
        id: int | None = None,
        connector_id: int | None = None,
        charging_profile_purpose: str | None = None,
        stack_level: int | None = None,
        **_: Any,
    ) -> Any:
        """Remove matching profiles: by id alone, else by the other criteria."""
        removed = False
        targets = [connector_id] if connector_id else self.sim.connector_ids()
        for target in targets:
            if target not in self.sim.connector_ids():
                continue
            conn = self.sim.connector(target)
            for profile_id, limit in list(conn.profiles.items()):
                if id is not None:
                    match = profile_id == id
                else:
                    match = charging_profile_purpose in {None, limit.purpose} and stack_level in {
                        None,
                        limit.stack_level,
                    }
                if match:
                    conn.drop_profile(profile_id)
                    removed = True
        return call_result.ClearChargingProfile(status="Accepted" if removed else "Unknown")

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, **_: Any) -> Any:
        """The simulator knows no vendor extensions."""
        del vendor_id
        return call_result.DataTransfer(status="UnknownVendorId")

    @on(Action.clear_cache)
    def on_clear_cache(self, **_: Any) -> Any:
        """There is no cache to clear, which trivially succeeds."""
        return call_result.ClearCache(status="Accepted")
