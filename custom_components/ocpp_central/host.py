"""What the parts of a central system need from it: narrow interfaces, no import cycles.

The central system (`central.py`) creates the connections (`session.py`), the connector
controls (`control.py`) and the solar loops (`solar_runtime.py`). They reach back to it only
through these protocols, so none of them imports the central system or each other's higher
layer: the central system depends on them, never the other way round.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .log_throttle import LogThrottle
from .model import Charger, DataTransferRecord, Fault, FirmwareStatus, Transaction, UploadStatus
from .protocol.base import AuthorizationStatus, BootDecision, ChargerSettings, ConnectionLimits
from .protocol.commands import CommandAdapter, LogKind, LogResult
from .reservations import Reservations
from .solar import ChargingMode
from .tags import TagList
from .tariff import Tariff


class StateStore(Protocol):
    """The store, as far as the parts use it."""

    def next_transaction_id(self) -> int:
        """A transaction id never handed out before."""

    def schedule_save(self, charger: Charger | None = None) -> None:
        """Write within the store's delay (`charger`: the only one that changed)."""

    async def async_save_now(self, charger: Charger | None = None) -> None:
        """Write now (`charger`: the only one that changed)."""


class ChargerLink(Protocol):
    """A charger's live connection that takes commands."""

    charger: Charger
    adapter: CommandAdapter

    def expect_change(
        self, connector_ids: Iterable[int], *, status: bool, sent_at: datetime
    ) -> None:
        """A command changed what connectors do (0: all of them): refresh their state."""

    def restart_requested(self) -> None:
        """We asked the charger to restart."""


class LimitControl(Protocol):
    """A connector's control, as the solar loop and the central system use it."""

    async def async_set_mode(self, mode: ChargingMode) -> None:
        """Set the charging mode (part of the desired state) and write what differs."""

    def request(self, *, forget: bool = False) -> None:
        """Reconcile soon, in the background."""


class ControlHost(Protocol):
    """What connector controls and solar loops need from their central system."""

    hass: HomeAssistant
    entry: ConfigEntry[Any]
    chargers: dict[str, Charger]
    log_throttle: LogThrottle

    @property
    def store(self) -> StateStore:
        """Where state that must survive a restart goes."""

    @property
    def sessions(self) -> Mapping[str, object]:
        """The live connections, by charger id."""

    @property
    def settings(self) -> ChargerSettings:
        """What chargers should be configured to (the options)."""

    @property
    def phase_switching_allowed(self) -> bool:
        """Whether the user lets solar mode switch phases."""

    def accepted_session(self, charge_point_id: str) -> ChargerLink:
        """The connection of a charger that may take commands (else an error)."""

    def control(self, charge_point_id: str, connector_id: int) -> LimitControl:
        """The control of a connector."""

    def desired_changed(self) -> None:
        """The user's intent changed: save it."""

    def limit_refused(self, charge_point_id: str, connector_id: int, *, refused: bool) -> None:
        """Raise or clear the repair issue of a charger refusing our limit."""

    def smart_charging_unsupported(self, charge_point_id: str, code: str) -> None:
        """The charger said it has no smart charging."""


class ChargerConnection(Protocol):
    """A connection as the central system's approval sees it."""

    charger: Charger


class MaintenanceHandler(Protocol):
    """What a connection tells the firmware and diagnostics side."""

    def firmware_status(self, charger: Charger, status: FirmwareStatus) -> None:
        """A step of a firmware update."""

    def upload_status(self, charger: Charger, status: UploadStatus) -> None:
        """A step of a log upload."""

    def booted(self, charger: Charger) -> None:
        """The charger booted (maybe with new firmware)."""

    async def async_request_log(self, charger: Charger, kind: LogKind = ...) -> LogResult:
        """Have the charger upload its diagnostics (or security log) to Home Assistant."""


class SessionHost(ControlHost, Protocol):
    """What a charger's connection needs from its central system."""

    @property
    def max_connectors(self) -> int:
        """Connector ids a charger may use before it announces its count."""

    @property
    def configuration_slots(self) -> asyncio.Semaphore:
        """Chargers configured at once after their boot (the rest wait their turn)."""

    @property
    def connection_limits(self) -> ConnectionLimits:
        """What a connection may do (message rate, idle and call timeouts, frame size)."""

    async def async_boot_decision(self, session: ChargerConnection) -> BootDecision:
        """How to answer a boot."""

    def structure_changed(self, charger: Charger) -> None:
        """A charger may need new entities."""

    def reconcile_charger(self, charge_point_id: str, *, forget: bool = False) -> None:
        """Bring every connector of a charger to its desired state."""

    def fire_session_event(self, charger: Charger, transaction: Transaction) -> None:
        """A session started or ended."""

    def fire_data_transfer(self, charger: Charger, record: DataTransferRecord) -> None:
        """A vendor message arrived."""

    def late_energy(
        self, charger: Charger, connector_id: int, timestamp: datetime, total_wh: float
    ) -> None:
        """An energy total that arrived late for its hour (replayed after an outage)."""

    def fire_boot_event(self, charger: Charger) -> None:
        """An approved charger (re)booted."""

    def fire_security_event(self, charger: Charger, kind: str, tech_info: str | None) -> None:
        """A charger reported a security event."""

    def certificate_requested(self, charger: Charger, csr: str) -> bool:
        """A charger asks for a client certificate; True when it will be signed."""

    async def async_configured(self, charger: Charger) -> None:
        """A charger took our settings after a boot."""

    @property
    def reservations(self) -> Reservations:
        """Reservations made from Home Assistant."""

    @property
    def tariff(self) -> Tariff:
        """What charging costs."""

    @property
    def tags(self) -> TagList:
        """The owner's cards and the policy for others."""

    def authorize(self, charger: Charger, id_tag: str) -> AuthorizationStatus:
        """Whether a card may charge (the owner's list), announced as a card event."""

    def fault_changed(self, charger: Charger, fault: Fault) -> None:
        """A fault was raised or cleared (`fault.cleared_at`)."""

    def reboot_required(self, charger: Charger, key: str) -> None:
        """A setting applies only after the charger restarts."""

    def reboot_done(self, charger: Charger) -> None:
        """The charger restarted: settings that waited for it apply now."""

    @property
    def maintenance(self) -> MaintenanceHandler:
        """Firmware updates and log uploads."""
