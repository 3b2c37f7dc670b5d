"""Firmware updates and diagnostics uploads, served by Home Assistant itself.

The owner offers a firmware file (under the HA config directory, or a URL); installing it
sends UpdateFirmware with a URL on HA's own HTTP server (see `transfer`), and the charger's
FirmwareStatusNotifications walk the update entity through its steps. A diagnostics request
(1.6 GetDiagnostics, 2.x GetLog) names an upload location on HA's server; the file lands
under the config directory and is announced with an event.
"""

from __future__ import annotations

from datetime import datetime
import logging
from pathlib import Path
import time
from typing import Final

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.util import dt as dt_util

from .const import (
    CONF_MAX_UPLOAD_MB,
    CONF_TRANSFER_URL,
    DEFAULT_MAX_UPLOAD_MB,
    DOMAIN,
    EVENT_FIRMWARE_STATUS,
    EVENT_LOG_RECEIVED,
    LOGGER,
)
from .devices import fire_charger_event
from .errors import ChargerRejectedError
from .host import ControlHost
from .model import Charger, FirmwareStatus, OfferedFirmware, UploadStatus
from .protocol.base import CommandStatus
from .protocol.commands import FirmwareRequest, LogKind, LogRequest, LogResult
from .transfer import FIRMWARE_PATH, UPLOAD_PATH, ReceivedFile, async_get_hub, base_url

# Files kept in the charger's record (the files themselves: see transfer.KEEP_UPLOADS).
MAX_LISTED_FILES: Final = 10
_FIRMWARE_FAILED_ISSUE: Final = "firmware_failed"


class Maintenance:
    """Firmware and diagnostics of the chargers of one central system."""

    def __init__(self, host: ControlHost) -> None:
        """Bind to the central system."""
        self._host = host
        # Request ids must differ between requests, also across HA restarts.
        self._next_request_id = int(time.time()) % 1_000_000

    @property
    def _hass(self) -> HomeAssistant:
        return self._host.hass

    def _request_id(self) -> int:
        self._next_request_id += 1
        return self._next_request_id

    def _base_url(self) -> str:
        try:
            return base_url(self._hass, self._host.entry.options.get(CONF_TRANSFER_URL))
        except NoURLAvailableError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="no_transfer_url"
            ) from err

    # --- firmware ----------------------------------------------------------------------------

    def offer_firmware(self, charger: Charger, offered: OfferedFirmware) -> None:
        """Make firmware available to a charger (the update entity shows it)."""
        if (offered.file is None) == (offered.location is None):
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="firmware_file_or_url"
            )
        if offered.file is not None:
            offered.file = str(self._firmware_path(offered.file))
        charger.firmware.offered = offered
        self._host.store.schedule_save()
        charger.notify(0)

    def _firmware_path(self, name: str) -> Path:
        """The firmware file, which must lie under the HA config directory."""
        config_dir = Path(self._hass.config.config_dir).resolve()
        path = (config_dir / name).resolve()
        if not path.is_relative_to(config_dir) or not path.is_file():
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="firmware_file_not_found",
                translation_placeholders={"file": name},
            )
        return path

    async def async_install(
        self, charger: Charger, *, force: bool = False, retrieve_at: datetime | None = None
    ) -> int:
        """Send the offered firmware to the charger; return the request id.

        Refused while a session runs (an update reboots the charger) unless forced.
        """
        offered = charger.firmware.offered
        if offered is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="no_firmware_offered"
            )
        if not force and any(c.transaction for c in charger.connectors.values()):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="firmware_during_session",
                translation_placeholders={"charger": charger.charge_point_id},
            )
        session = self._host.accepted_session(charger.charge_point_id)
        location = offered.location
        if offered.file is not None:
            path = Path(offered.file)
            token = async_get_hub(self._hass).offer(path)
            location = f"{self._base_url()}{FIRMWARE_PATH}/{token}/{path.name}"
        assert location is not None  # offer_firmware demands a file or a URL
        request_id = self._request_id()
        request = FirmwareRequest(
            location=location, retrieve_at=retrieve_at or dt_util.utcnow(), request_id=request_id
        )
        firmware = charger.firmware
        # Known before the answer: the first progress report may overtake it.
        before = (firmware.request_id, firmware.installing_version)
        firmware.request_id, firmware.installing_version = request_id, offered.version
        ir.async_delete_issue(self._hass, DOMAIN, self._issue_id(charger))
        sent_at = dt_util.utcnow()
        try:
            status = await session.adapter.update_firmware(request)
        except Exception:
            firmware.request_id, firmware.installing_version = before
            raise
        if status not in (CommandStatus.ACCEPTED, CommandStatus.ACCEPTED_CANCELED):
            firmware.request_id, firmware.installing_version = before
            raise ChargerRejectedError(status)
        if firmware.changed_at is None or firmware.changed_at < sent_at:
            # Until the charger reports its first step.
            firmware.status = (
                FirmwareStatus.DOWNLOAD_SCHEDULED
                if retrieve_at is not None and retrieve_at > sent_at
                else FirmwareStatus.DOWNLOADING
            )
            firmware.changed_at = dt_util.utcnow()
            charger.notify(0)
        LOGGER.info(
            "Charger %s: installing firmware %s from %s",
            charger.charge_point_id,
            offered.version,
            location.split("/firmware/")[0] if offered.file else location,
        )
        return request_id

    def firmware_status(self, charger: Charger, status: FirmwareStatus) -> None:
        """The charger reports a step of its update."""
        firmware = charger.firmware
        firmware.status = status
        firmware.changed_at = dt_util.utcnow()
        charger.notify(0)
        fire_charger_event(
            self._hass,
            charger,
            EVENT_FIRMWARE_STATUS,
            {"status": status.value, "version": firmware.installing_version},
        )
        if status.failed and firmware.installing_version is None:
            # Not an update of ours (the charger's own attempt): shown, nothing to repair.
            LOGGER.debug("Charger %s firmware status %s", charger.charge_point_id, status)
        elif status.failed:
            self._host.log_throttle.report(
                logging.WARNING,
                f"Charger {charger.charge_point_id}",
                "firmware update failed",
                status.value,
            )
            ir.async_create_issue(
                self._hass,
                DOMAIN,
                self._issue_id(charger),
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key=_FIRMWARE_FAILED_ISSUE,
                translation_placeholders={
                    "charger": charger.charge_point_id,
                    "version": firmware.installing_version or "-",
                    "status": status.value.replace("_", " "),
                },
            )
        elif status is FirmwareStatus.INSTALLED:
            ir.async_delete_issue(self._hass, DOMAIN, self._issue_id(charger))

    def booted(self, charger: Charger) -> None:
        """After a boot: an update that installed the offered version is done."""
        firmware = charger.firmware
        if (
            firmware.installing_version is not None
            and charger.info.firmware_version == firmware.installing_version
        ):
            firmware.status = FirmwareStatus.INSTALLED
            firmware.installing_version = None
            ir.async_delete_issue(self._hass, DOMAIN, self._issue_id(charger))

    def _issue_id(self, charger: Charger) -> str:
        return f"{_FIRMWARE_FAILED_ISSUE}_{self._host.entry.entry_id}_{charger.charge_point_id}"

    # --- diagnostics -------------------------------------------------------------------------

    async def async_request_log(
        self, charger: Charger, kind: LogKind = LogKind.DIAGNOSTICS
    ) -> LogResult:
        """Ask the charger to upload its diagnostics (or security log) to Home Assistant."""
        session = self._host.accepted_session(charger.charge_point_id)
        hub = async_get_hub(self._hass)
        max_mb = int(self._host.entry.options.get(CONF_MAX_UPLOAD_MB, DEFAULT_MAX_UPLOAD_MB))
        token = hub.expect(
            charger.charge_point_id,
            max_mb * 1024 * 1024,
            lambda received: self._received(charger, received),
            lambda reason: self._refused(charger, reason),
        )
        location = f"{self._base_url()}{UPLOAD_PATH}/{token}"
        request_id = self._request_id()
        try:
            result = await session.adapter.get_log(
                LogRequest(location=location, kind=kind, request_id=request_id)
            )
        except Exception:
            hub.withdraw(token)
            raise
        if result.status not in (CommandStatus.ACCEPTED, CommandStatus.ACCEPTED_CANCELED):
            hub.withdraw(token)
            raise ChargerRejectedError(result.status)
        charger.logs.request_id = request_id
        charger.logs.status = UploadStatus.UPLOADING
        charger.logs.changed_at = dt_util.utcnow()
        charger.notify(0)
        return result

    def upload_status(self, charger: Charger, status: UploadStatus) -> None:
        """The charger reports how its upload goes."""
        charger.logs.status = status
        charger.logs.changed_at = dt_util.utcnow()
        charger.notify(0)
        if status not in (UploadStatus.UPLOADING, UploadStatus.UPLOADED, UploadStatus.IDLE):
            self._host.log_throttle.report(
                logging.WARNING,
                f"Charger {charger.charge_point_id}",
                "log upload failed",
                status.value,
            )

    def _received(self, charger: Charger, received: ReceivedFile) -> None:
        logs = charger.logs
        logs.files.insert(0, (received.name, received.size, received.received_at))
        del logs.files[MAX_LISTED_FILES:]
        self._host.store.schedule_save()
        charger.notify(0)
        LOGGER.info(
            "Charger %s uploaded %s (%d bytes) to %s",
            charger.charge_point_id,
            received.name,
            received.size,
            received.path.parent,
        )
        fire_charger_event(
            self._hass,
            charger,
            EVENT_LOG_RECEIVED,
            {"file": str(received.path), "name": received.name, "size": received.size},
        )

    def _refused(self, charger: Charger, reason: str) -> None:
        self._host.log_throttle.report(
            logging.WARNING,
            f"Charger {charger.charge_point_id}",
            "upload refused; raise the upload size limit in the options",
            reason,
        )
