"""What must survive a Home Assistant restart, kept in an HA Store (not in entity state)."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import datetime
import time
from typing import Any, Final, NotRequired, TypedDict

from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.json import prepare_save_json
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.json import SerializationError

from .const import DOMAIN, LOGGER
from .control import CAPABILITY_KEYS
from .model import (
    BootReason,
    Charger,
    ChargerInfo,
    ChargerLimits,
    ConfigurationValue,
    ConnectorStatus,
    DesiredCharging,
    FirmwareStatus,
    OfferedFirmware,
    SignedReading,
    Transaction,
)
from .security import ChargerSecurity

STORAGE_VERSION: Final = 1
# At most this share of the time goes to writing the store while writes are asked for
# back to back (see `CentralStore._async_write`).
WRITE_SHARE: Final = 0.1
# Writes that cost less CPU than this (s) are not spaced out at all.
SLOW_WRITE: Final = 0.02
# Nor are the writes of a site with fewer chargers: its document costs milliseconds, and CPU
# other threads spend meanwhile (HA loading platforms as the first chargers arrive) must not
# hold its session starts back.
SPACED_FROM_CHARGERS: Final = 100
# Meter baselines change with every frame; writing them at most every 30 s bounds disk writes
# while an HA crash loses at most 30 s of register history (the register itself is on the
# charger, so nothing is lost for the energy total).
METER_SAVE_DELAY: Final = 30


class StoredTransaction(TypedDict):
    """A running (or the last finished) transaction as stored.

    Keys added after the first release are NotRequired: older stores load unchanged.
    """

    transaction_id: str
    connector_id: int
    id_tag: str | None
    started_at: str
    meter_start_wh: float
    meter_last_wh: float
    # A 2.x session that started without a register reading takes its first one as start.
    meter_start_pending: NotRequired[bool]
    stopped_at: NotRequired[str | None]
    meter_stop_wh: NotRequired[float | None]
    stop_reason: NotRequired[str | None]
    charging_state: NotRequired[str | None]
    last_seq_no: NotRequired[int | None]
    last_event_at: NotRequired[str | None]
    # Cost accounted so far, and the session's peak power.
    energy_cost: NotRequired[float]
    priced: NotRequired[bool]
    peak_power_w: NotRequired[float | None]
    fee: NotRequired[float | None]
    charger_cost: NotRequired[float | None]
    signed_readings: NotRequired[list[StoredSignedReading]]


class StoredSignedReading(TypedDict):
    """A signed meter reading as stored (and as the session history keeps it)."""

    timestamp: str
    context: str | None
    data: str
    encoding: str
    signing_method: str | None
    public_key: str | None


def signed_to_store(reading: SignedReading) -> StoredSignedReading:
    """A signed reading, JSON-ready."""
    return StoredSignedReading(
        timestamp=reading.timestamp.isoformat(),
        context=reading.context,
        data=reading.data,
        encoding=reading.encoding,
        signing_method=reading.signing_method,
        public_key=reading.public_key,
    )


def signed_from_store(stored: Any) -> SignedReading | None:
    """A stored signed reading; None when the record is damaged."""
    if not isinstance(stored, dict):
        return None
    timestamp = dt_util.parse_datetime(str(stored.get("timestamp", "")))
    data = stored.get("data")
    if timestamp is None or not isinstance(data, str):
        return None
    return SignedReading(
        timestamp=timestamp,
        context=stored.get("context"),
        data=data,
        encoding=str(stored.get("encoding") or ""),
        signing_method=stored.get("signing_method"),
        public_key=stored.get("public_key"),
    )


class StoredDesired(TypedDict):
    """A connector's desired charging (the user's intent) as stored."""

    mode: str
    current_limit: float | None
    phases: int | None
    managed: bool
    operative: NotRequired[bool | None]


class StoredCharger(TypedDict):
    """An approved charger as stored."""

    info: dict[str, str | None]
    ocpp_version: str | None
    connector_ids: list[int]
    energy_wh: dict[str, float]
    # The raw registers and the offsets of their restarts (see EnergyRegister).
    energy_raw_wh: NotRequired[dict[str, float]]
    energy_offset_wh: NotRequired[dict[str, float]]
    transactions: list[StoredTransaction]
    # The last finished session per connector: its sensors show it after a restart too.
    last_transactions: NotRequired[list[StoredTransaction]]
    finished_transaction_ids: NotRequired[list[str]]
    desired: NotRequired[dict[str, StoredDesired]]
    # What the charger can do (feature profiles, smart-charging keys, connector count).
    feature_profiles: NotRequired[list[str]]
    capabilities: NotRequired[dict[str, str | None]]
    announced_connectors: NotRequired[int | None]
    failsafe_installed: NotRequired[bool]
    # The charger's reboots and its own limits (None: the option applies).
    last_boot: NotRequired[str | None]
    boot_reason: NotRequired[str | None]
    boot_count: NotRequired[int]
    max_current: NotRequired[float | None]
    failsafe_current: NotRequired[float | None]
    # Firmware the owner offered, the update running, and the diagnostics files received.
    firmware_offered: NotRequired[dict[str, str | None] | None]
    firmware_installing: NotRequired[str | None]
    firmware_status: NotRequired[str | None]
    uploads: NotRequired[list[tuple[str, int, str]]]
    local_list_version: NotRequired[int]
    local_list_cards: NotRequired[dict[str, str] | None]
    # Password digests and the security profile (never the password itself).
    security: NotRequired[dict[str, Any]]


class StoredData(TypedDict):
    """The whole stored document of one central system."""

    last_transaction_id: int
    chargers: dict[str, StoredCharger]


def _transaction_to_store(transaction: Transaction) -> StoredTransaction:
    return StoredTransaction(
        transaction_id=transaction.transaction_id,
        connector_id=transaction.connector_id,
        id_tag=transaction.id_tag,
        started_at=transaction.started_at.isoformat(),
        meter_start_wh=transaction.meter_start_wh,
        meter_last_wh=transaction.meter_last_wh,
        meter_start_pending=transaction.meter_start_pending,
        stopped_at=_iso_or_none(transaction.stopped_at),
        meter_stop_wh=transaction.meter_stop_wh,
        stop_reason=transaction.stop_reason,
        charging_state=transaction.charging_state,
        last_seq_no=transaction.last_seq_no,
        last_event_at=_iso_or_none(transaction.last_event_at),
        energy_cost=transaction.energy_cost,
        priced=transaction.priced,
        peak_power_w=transaction.peak_power_w,
        fee=transaction.fee,
        charger_cost=transaction.charger_cost,
        signed_readings=[signed_to_store(reading) for reading in transaction.signed_readings],
    )


def _transaction_from_store(stored: StoredTransaction) -> Transaction:
    started: datetime = dt_util.parse_datetime(stored["started_at"]) or dt_util.utcnow()
    return Transaction(
        transaction_id=stored["transaction_id"],
        connector_id=stored["connector_id"],
        id_tag=stored["id_tag"],
        started_at=started,
        meter_start_wh=stored["meter_start_wh"],
        meter_last_wh=stored["meter_last_wh"],
        meter_start_pending=stored.get("meter_start_pending", False),
        stopped_at=_datetime_or_none(stored.get("stopped_at")),
        meter_stop_wh=stored.get("meter_stop_wh"),
        stop_reason=stored.get("stop_reason"),
        charging_state=_status_or_none(stored.get("charging_state")),
        last_seq_no=stored.get("last_seq_no"),
        last_event_at=_datetime_or_none(stored.get("last_event_at")),
        energy_cost=stored.get("energy_cost", 0.0),
        priced=stored.get("priced", False),
        peak_power_w=stored.get("peak_power_w"),
        fee=stored.get("fee"),
        charger_cost=stored.get("charger_cost"),
        signed_readings=[
            reading
            for item in stored.get("signed_readings", [])
            if (reading := signed_from_store(item)) is not None
        ],
    )


def _iso_or_none(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _datetime_or_none(value: str | None) -> datetime | None:
    return None if value is None else dt_util.parse_datetime(value)


def _restore_maintenance(charger: Charger, stored: StoredCharger) -> None:
    """Offered firmware, an update in progress and the received files, as stored."""
    if (offered := stored.get("firmware_offered")) is not None:
        version = offered.get("version")
        if version:
            charger.firmware.offered = OfferedFirmware(
                version=version,
                location=offered.get("location"),
                file=offered.get("file"),
                release_notes=offered.get("release_notes"),
                release_url=offered.get("release_url"),
            )
    charger.firmware.installing_version = stored.get("firmware_installing")
    status = stored.get("firmware_status")
    charger.firmware.status = None if status is None else FirmwareStatus.from_ocpp_slug(status)
    charger.logs.files = [
        (name, size, when)
        for name, size, text in stored.get("uploads", [])
        if (when := dt_util.parse_datetime(text)) is not None
    ]


def _status_or_none(value: str | None) -> ConnectorStatus | None:
    try:
        return None if value is None else ConnectorStatus(value)
    except ValueError:
        return None


class CentralStore:
    """Persists approved chargers, running transactions, meter baselines and transaction ids."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Create the store of one central system (config entry)."""
        # Serialised off the event loop: every record written is a snapshot no one changes
        # (built from the model, never updated in place).
        self._store: Store[StoredData] = Store(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry_id}",
            private=True,
            serialize_in_event_loop=False,
        )
        self._hass = hass
        self._issue_id = f"store_failed_{entry_id}"
        self._chargers: dict[str, Charger] = {}
        self.approved: set[str] = set()
        self.last_transaction_id = 0
        self._save_pending = False
        self._cancel_delayed: CALLBACK_TYPE | None = None
        # The shared write callers wait for, and when the next one may start (loop time).
        self._next_write: asyncio.Task[None] | None = None
        self._write_due = 0.0
        self._cancel_final_write: CALLBACK_TYPE | None = None
        # Each charger's last record that serialised (written as it is until the charger
        # changes, and kept in case a later one cannot be serialised).
        self._last_good: dict[str, StoredCharger] = {}
        self._unsaveable: frozenset[str] = frozenset()
        # Chargers whose record must be built again for the next write; everything when a
        # change did not say whose it was. A write costs what changed, not every charger.
        self._changed: set[str] = set()
        self._all_changed = True

    async def async_load(self) -> dict[str, Charger]:
        """Load stored state; returns the approved chargers rebuilt as model objects."""
        data = await self._store.async_load()
        if data is None:
            return {}
        self.last_transaction_id = data["last_transaction_id"]
        chargers: dict[str, Charger] = {}
        for charge_point_id, stored in data["chargers"].items():
            charger = Charger(
                charge_point_id,
                info=ChargerInfo(**stored["info"]),
                ocpp_version=stored["ocpp_version"],
            )
            for connector_id in stored["connector_ids"]:
                charger.connector(connector_id)
            raw = stored.get("energy_raw_wh", {})
            offsets = stored.get("energy_offset_wh", {})
            for stored_id, energy in stored["energy_wh"].items():
                charger.connector(int(stored_id)).energy.restore(
                    energy, raw.get(stored_id), offsets.get(stored_id, 0.0)
                )
            for stored_transaction in stored["transactions"]:
                transaction = _transaction_from_store(stored_transaction)
                charger.connector(transaction.connector_id).transaction = transaction
            charger.finished_transaction_ids = list(stored.get("finished_transaction_ids", []))
            charger.feature_profiles = frozenset(stored.get("feature_profiles", []))
            charger.announced_connectors = stored.get("announced_connectors")
            charger.failsafe_installed = stored.get("failsafe_installed", False)
            charger.last_boot = _datetime_or_none(stored.get("last_boot"))
            reason = stored.get("boot_reason")
            charger.boot_reason = None if reason is None else BootReason(reason)
            charger.boot_count = stored.get("boot_count", 0)
            charger.limits = ChargerLimits(
                max_current=stored.get("max_current"),
                failsafe_current=stored.get("failsafe_current"),
            )
            _restore_maintenance(charger, stored)
            charger.local_list_version = stored.get("local_list_version", 0)
            charger.local_list_cards = stored.get("local_list_cards")
            charger.security = ChargerSecurity.from_dict(stored.get("security"))
            charger.configuration = {
                key: ConfigurationValue(value, readonly=True)
                for key, value in stored.get("capabilities", {}).items()
            }
            for stored_id, desired in stored.get("desired", {}).items():
                charger.connector(int(stored_id)).desired = DesiredCharging(
                    mode=desired["mode"],
                    current_limit=desired["current_limit"],
                    phases=desired["phases"],
                    managed=desired["managed"],
                    operative=desired.get("operative"),
                )
            for stored_transaction in stored.get("last_transactions", []):
                transaction = _transaction_from_store(stored_transaction)
                charger.connector(transaction.connector_id).last_transaction = transaction
            chargers[charge_point_id] = charger
        self.approved = set(chargers)
        self._chargers = chargers
        return chargers

    def track(self, charger: Charger) -> None:
        """Remember an approved charger and save soon."""
        self.approved.add(charger.charge_point_id)
        self._chargers[charger.charge_point_id] = charger
        self._changed.add(charger.charge_point_id)

    def forget(self, charge_point_id: str) -> None:
        """Drop a charger (device removed by the user)."""
        self.approved.discard(charge_point_id)
        self._chargers.pop(charge_point_id, None)

    def next_transaction_id(self) -> int:
        """Allocate a transaction id never handed out before (save before answering)."""
        self.last_transaction_id += 1
        return self.last_transaction_id

    def _mark_changed(self, charger: Charger | None) -> None:
        if charger is None:
            self._all_changed = True
        else:
            self._changed.add(charger.charge_point_id)

    async def async_save_now(self, charger: Charger | None = None) -> None:
        """Write immediately: after approvals, transaction starts and stops.

        `charger`: the only charger that changed (None: any may have). Writes requested
        while one is under way are made together by HA's store (one write for a burst).
        """
        self._mark_changed(charger)
        await self._async_write()

    def schedule_save(self, charger: Charger | None = None) -> None:
        """Write within METER_SAVE_DELAY: after meter readings.

        `charger`: the only charger that changed (None: any may have). A delay that restarted
        on every call would never end under a steady stream of frames; a write already
        scheduled is therefore left alone. HA's final write at shutdown includes it.
        """
        self._mark_changed(charger)
        if self._save_pending:
            return
        self._save_pending = True
        self._cancel_delayed = async_call_later(
            self._hass, METER_SAVE_DELAY, self._async_delayed_write
        )
        if self._cancel_final_write is None:
            self._cancel_final_write = self._hass.bus.async_listen_once(
                EVENT_HOMEASSISTANT_FINAL_WRITE, self._async_final_write
            )

    async def _async_delayed_write(self, _now: datetime) -> None:
        self._cancel_delayed = None
        await self._async_write()

    async def _async_final_write(self, _event: Event) -> None:
        self._cancel_final_write = None
        if self._save_pending:
            await self._async_write()

    async def _async_write(self) -> None:
        """Write soon and return once what changed until now is on disk.

        Writes are shared: whoever asks while one waits for its turn is served by it. A write
        starts at once unless the last one began recently; then it waits until writing has
        taken at most WRITE_SHARE of the time. A site's reconnect storm (a boot and a session
        start per charger) so costs a few writes a second, not one per charger, while a
        single session start is written immediately.
        """
        if self._next_write is None:
            # Not started eagerly: it must be the shared write before it clears that.
            self._next_write = self._hass.async_create_task(
                self._async_write_when_due(), "ocpp_central store write", eager_start=False
            )
        await asyncio.shield(self._next_write)

    async def _async_write_when_due(self) -> None:
        loop = self._hass.loop
        if (wait := self._write_due - loop.time()) > 0:
            await asyncio.sleep(wait)
        # Changes from here on need the next write: this one may have started building.
        self._next_write = None
        # This write includes a delayed one that was scheduled: the next reading schedules
        # again. The document is built here (in the event loop, from the model); HA's store
        # serialises it in its executor thread.
        self._save_pending = False
        if self._cancel_delayed is not None:
            self._cancel_delayed()
            self._cancel_delayed = None
        # What a write costs is the CPU it takes outside the event loop (HA's store
        # serialises and writes in its executor, holding the GIL). Wall time would also
        # count the loop being busy elsewhere, as it is while many chargers connect: it made
        # 20 new chargers' session starts wait 0.3 s for writes that cost a millisecond.
        process_cpu, loop_cpu = time.process_time(), time.thread_time()
        try:
            await self._store.async_save(self._data())
        finally:
            took = (time.process_time() - process_cpu) - (time.thread_time() - loop_cpu)
            # A small site's write is cheap: the next one may start at once (a session start
            # is answered only once written, and the charger waits for that answer).
            spaced = took > SLOW_WRITE and len(self._last_good) >= SPACED_FROM_CHARGERS
            spacing = took * (1 - WRITE_SHARE) / WRITE_SHARE if spaced else 0.0
            self._write_due = loop.time() + spacing

    def _data(self) -> StoredData:
        """The document to write, never one that cannot be written.

        Only the records of chargers that changed are built (and checked) again; the others
        are written as last time. HA's Store logs a document it cannot serialise and drops
        the write, which would stop every later save too (approvals, energy totals, the
        transaction-id counter). What enters the model is validated, so this is a last line
        of defence: a charger whose record does not serialise keeps its last good record, and
        a repair issue names it.
        """
        rebuild = self.approved if self._all_changed else self._changed & self.approved
        self._all_changed = False
        self._changed = set()
        unsaveable = set(self._unsaveable & self.approved)
        for charge_point_id in rebuild:
            record = self._charger_record(self._chargers[charge_point_id])
            try:
                prepare_save_json(dict(record))
            except SerializationError:
                unsaveable.add(charge_point_id)
            else:
                self._last_good[charge_point_id] = record
                unsaveable.discard(charge_point_id)
        for forgotten in self._last_good.keys() - self.approved:
            del self._last_good[forgotten]
        self._set_unsaveable(frozenset(unsaveable))
        chargers = {
            charge_point_id: self._last_good[charge_point_id]
            for charge_point_id in sorted(self._last_good)
        }
        return StoredData(last_transaction_id=self.last_transaction_id, chargers=chargers)

    def _set_unsaveable(self, unsaveable: frozenset[str]) -> None:
        if unsaveable == self._unsaveable:
            return
        self._unsaveable = unsaveable
        if not unsaveable:
            ir.async_delete_issue(self._hass, DOMAIN, self._issue_id)
            return
        names = ", ".join(sorted(unsaveable))
        LOGGER.error(
            "The state of chargers %s cannot be saved; keeping their last saved state", names
        )
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            self._issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="store_failed",
            translation_placeholders={"chargers": names},
        )

    @staticmethod
    def _charger_record(charger: Charger) -> StoredCharger:
        return StoredCharger(
            info=asdict(charger.info),
            ocpp_version=charger.ocpp_version,
            connector_ids=sorted(charger.connectors),
            energy_wh={
                str(connector_id): connector.energy.value_wh
                for connector_id, connector in charger.connectors.items()
                if connector.energy.value_wh is not None
            },
            energy_raw_wh={
                str(connector_id): connector.energy.raw_wh
                for connector_id, connector in charger.connectors.items()
                if connector.energy.raw_wh is not None
            },
            energy_offset_wh={
                str(connector_id): connector.energy.offset_wh
                for connector_id, connector in charger.connectors.items()
                if connector.energy.offset_wh
            },
            transactions=[
                _transaction_to_store(connector.transaction)
                for connector in charger.connectors.values()
                if connector.transaction is not None
            ],
            finished_transaction_ids=list(charger.finished_transaction_ids),
            feature_profiles=sorted(charger.feature_profiles),
            capabilities={
                key: value.value
                for key, value in charger.configuration.items()
                if key in CAPABILITY_KEYS
            },
            announced_connectors=charger.announced_connectors,
            failsafe_installed=charger.failsafe_installed,
            last_boot=_iso_or_none(charger.last_boot),
            boot_reason=charger.boot_reason,
            boot_count=charger.boot_count,
            max_current=charger.limits.max_current,
            failsafe_current=charger.limits.failsafe_current,
            firmware_offered=(
                None if charger.firmware.offered is None else asdict(charger.firmware.offered)
            ),
            firmware_installing=charger.firmware.installing_version,
            firmware_status=charger.firmware.status,
            uploads=[(name, size, when.isoformat()) for name, size, when in charger.logs.files],
            local_list_version=charger.local_list_version,
            # A copy: a written record is reused as it is until the charger changes.
            local_list_cards=(
                None if charger.local_list_cards is None else dict(charger.local_list_cards)
            ),
            security=charger.security.as_dict(),
            desired={
                str(connector_id): StoredDesired(
                    mode=connector.desired.mode,
                    current_limit=connector.desired.current_limit,
                    phases=connector.desired.phases,
                    managed=connector.desired.managed,
                    operative=connector.desired.operative,
                )
                for connector_id, connector in charger.connectors.items()
                if connector.desired != DesiredCharging()
            },
            last_transactions=[
                _transaction_to_store(connector.last_transaction)
                for connector in charger.connectors.values()
                if connector.last_transaction is not None
            ],
        )

    def as_diagnostics(self) -> dict[str, Any]:
        """What the store would write now (for diagnostics)."""
        return dict(self._data())
