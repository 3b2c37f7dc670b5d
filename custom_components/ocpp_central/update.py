"""The firmware of each charger as an update entity: installed, offered, installing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.update import (
    UpdateDeviceClass,
    UpdateEntity,
    UpdateEntityDescription,
    UpdateEntityFeature,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import OcppConfigEntry
from .entity import OcppEntity, OcppEntityDescription, async_setup_dynamic_entities
from .errors import translated_errors

PARALLEL_UPDATES = 1

# HA shows at most this much of the release notes as a summary.
_SUMMARY_LENGTH = 255


@dataclass(frozen=True, kw_only=True)
class OcppUpdateEntityDescription(UpdateEntityDescription, OcppEntityDescription):
    """The firmware update entity of a charger."""


FIRMWARE = OcppUpdateEntityDescription(
    key="firmware",
    translation_key="firmware",
    charger_wide=True,
    device_class=UpdateDeviceClass.FIRMWARE,
    entity_category=EntityCategory.CONFIG,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OcppConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up a firmware entity for every approved charger, now and as chargers appear."""
    async_setup_dynamic_entities(hass, entry, (FIRMWARE,), OcppFirmwareUpdate, async_add_entities)


class OcppFirmwareUpdate(OcppEntity, UpdateEntity):
    """Installed firmware from the boot; the latest is what the owner offered."""

    entity_description: OcppUpdateEntityDescription

    platform_shows_readings = False

    _attr_supported_features = UpdateEntityFeature.INSTALL | UpdateEntityFeature.PROGRESS

    @property
    @override
    def installed_version(self) -> str | None:
        return self.charger.info.firmware_version

    @property
    @override
    def latest_version(self) -> str | None:
        offered = self.charger.firmware.offered
        return self.installed_version if offered is None else offered.version

    @property
    @override
    def release_summary(self) -> str | None:
        offered = self.charger.firmware.offered
        if offered is None or not offered.release_notes:
            return None
        return offered.release_notes[:_SUMMARY_LENGTH]

    @property
    @override
    def release_url(self) -> str | None:
        offered = self.charger.firmware.offered
        return None if offered is None else offered.release_url

    @property
    @override
    def in_progress(self) -> bool:
        firmware = self.charger.firmware
        return (
            firmware.installing_version is not None
            and firmware.status is not None
            and firmware.status.in_progress
        )

    @property
    @override
    def update_percentage(self) -> int | None:
        status = self.charger.firmware.status
        return status.progress if status is not None and self.in_progress else None

    @override
    def state_fingerprint(self) -> Any:
        return (
            self.available,
            self.installed_version,
            self.latest_version,
            self.release_summary,
            self.in_progress,
            self.update_percentage,
        )

    @override
    async def async_install(self, version: str | None, backup: bool, **kwargs: Any) -> None:
        """Install the offered firmware (refused while a session runs: use the action)."""
        with translated_errors("install_firmware"):
            await self.central.maintenance.async_install(self.charger)
