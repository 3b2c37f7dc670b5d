"""Firmware updates and log uploads as a charger does them: over real HTTP.

Version-neutral: the 1.6 and 2.x charge points hand in a `send_status` that reports one
step (FirmwareStatusNotification / DiagnosticsStatusNotification / LogStatusNotification).

A firmware image the simulator accepts is `firmware_image(version)`: installing it reboots
the charger with that version (2.x boot reason FirmwareUpdate). Anything else fails
verification, as a real charger refuses an image that is not for it.
`SimulatorConfig.firmware_failure` makes an update fail at one step on purpose.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import logging
from typing import TYPE_CHECKING

import aiohttp

if TYPE_CHECKING:
    from simulator.charger import ChargerSimulator

LOGGER = logging.getLogger(__name__)

FIRMWARE_MAGIC = b"OCPP-SIM-FIRMWARE "
# Statuses an update can be made to fail at (SimulatorConfig.firmware_failure).
FIRMWARE_FAILURES = ("DownloadFailed", "InstallationFailed", "InstallVerificationFailed")
_TIMEOUT = aiohttp.ClientTimeout(total=30)

type SendStatus = Callable[[str], Awaitable[None]]


def firmware_image(version: str) -> bytes:
    """A firmware file the simulator installs, becoming `version`."""
    return FIRMWARE_MAGIC + version.encode() + b"\n" + bytes(range(256)) * 16


def _image_version(data: bytes) -> str | None:
    if not data.startswith(FIRMWARE_MAGIC):
        return None
    version = data[len(FIRMWARE_MAGIC) :].split(b"\n", 1)[0].decode(errors="replace").strip()
    return version or None


async def _download(location: str) -> bytes | None:
    try:
        async with (
            aiohttp.ClientSession(timeout=_TIMEOUT) as session,
            session.get(location) as response,
        ):
            if response.status != 200:  # noqa: PLR2004
                LOGGER.info("firmware download from %s: HTTP %s", location, response.status)
                return None
            return await response.read()
    except Exception as err:  # noqa: BLE001 - any failed download is a DownloadFailed
        LOGGER.info("firmware download from %s failed: %r", location, err)
        return None


async def update_firmware(
    sim: ChargerSimulator,
    location: str,
    send_status: SendStatus,
    step_delay: float,
    *,
    verification_failed: str = "InstallVerificationFailed",
) -> None:
    """Download, verify, install, report every step, then reboot with the new version.

    `verification_failed`: the status of an image that fails verification (plain 1.6 has no
    InstallVerificationFailed and reports InstallationFailed).
    """
    from simulator import scenario  # noqa: PLC0415 - scenario imports the charge points

    failure = sim.config.firmware_failure
    await send_status("Downloading")
    data = await _download(location)
    if data is None or failure == "DownloadFailed":
        await send_status("DownloadFailed")
        return
    await send_status("Downloaded")
    await asyncio.sleep(step_delay)
    version = _image_version(data)
    if version is None or failure == "InstallVerificationFailed":
        await send_status(verification_failed)
        return
    await send_status("Installing")
    await asyncio.sleep(step_delay)
    if failure == "InstallationFailed":
        await send_status("InstallationFailed")
        return
    sim.config.firmware_version = version
    await send_status("Installed")
    await scenario.reboot(sim, "Other", boot_reason="FirmwareUpdate")


def log_contents(sim: ChargerSimulator) -> bytes:
    """What the simulator uploads as its diagnostics: a small, plausible log."""
    cfg = sim.config
    lines = [
        f"charger {cfg.charge_point_id} model {cfg.model} firmware {cfg.firmware_version}",
        f"connectors {cfg.connectors} phases {cfg.phases}",
        *(f"connector {n} status {sim.connector_status(n)}" for n in sim.connector_ids()),
    ]
    return ("\n".join(lines) + "\n").encode()


async def upload_log(
    sim: ChargerSimulator,
    location: str,
    filename: str,
    send_status: SendStatus,
    *,
    multipart: bool,
    failed_status: str,
) -> None:
    """Upload the log to `location` (raw PUT for 1.6, multipart POST for 2.x), reporting it."""
    await send_status("Uploading")
    data = log_contents(sim)
    try:
        async with aiohttp.ClientSession(timeout=_TIMEOUT) as session:
            if multipart:
                form = aiohttp.FormData()
                form.add_field("file", data, filename=filename)
                response = await session.post(location, data=form)
            else:
                response = await session.put(f"{location.rstrip('/')}/{filename}", data=data)
            ok = response.status < 300  # noqa: PLR2004
            response.release()
    except Exception as err:  # noqa: BLE001 - any failed upload is reported as failed
        LOGGER.info("log upload to %s failed: %r", location, err)
        ok = False
    await send_status("Uploaded" if ok else failed_status)
