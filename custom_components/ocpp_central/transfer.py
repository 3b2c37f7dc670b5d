"""Files between chargers and Home Assistant over HA's own HTTP server.

Chargers fetch firmware from a URL and upload diagnostics to one (OCPP has no file transfer
of its own). Instead of making the owner host files and run an upload server, OCPP Central
serves both from Home Assistant: each transfer gets an unguessable token in its URL that
expires, and that is the only authorization (a charger cannot log in to Home Assistant).

- A firmware file is offered for download a few times (chargers retry, some probe with
  HEAD first) until it expires.
- An upload location takes one file (HTTP POST or PUT, raw or multipart), up to a size limit,
  and stores it under the HA config directory, keeping the newest files per charger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http import HTTPStatus
from pathlib import Path
import re
import secrets
import time
from typing import Final

from aiohttp import BodyPartReader, MultipartReader, web
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER

DATA_TRANSFERS: HassKey[TransferHub] = HassKey(f"{DOMAIN}_transfers")
FIRMWARE_PATH: Final = f"/api/{DOMAIN}/firmware"
UPLOAD_PATH: Final = f"/api/{DOMAIN}/upload"
ROOT_CERTIFICATE_PATH: Final = f"/api/{DOMAIN}/root_certificate"
# How long a firmware URL and an upload location stay valid.
OFFER_LIFETIME: Final = timedelta(hours=24)
# Downloads of one offered file (a charger retries, or probes with HEAD first).
MAX_DOWNLOADS: Final = 5
# Uploaded files kept per charger; older ones are deleted.
KEEP_UPLOADS: Final = 10
# Where uploads go, under the HA config directory.
UPLOAD_DIR: Final = f"{DOMAIN}/uploads"
_CHUNK: Final = 64 * 1024
_SAFE_NAME: Final = re.compile(r"[^A-Za-z0-9._-]+")


def safe_file_name(name: str, fallback: str) -> str:
    """A file name that cannot leave its directory (the charger chose it)."""
    cleaned = _SAFE_NAME.sub("_", Path(name).name).strip("._")[:100]
    return cleaned or fallback


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    """A file a charger uploaded."""

    charge_point_id: str
    name: str
    path: Path
    size: int
    received_at: datetime


@dataclass(slots=True)
class _Offer:
    path: Path
    expires: float
    downloads_left: int = MAX_DOWNLOADS


@dataclass(slots=True)
class _Expectation:
    charge_point_id: str
    max_bytes: int
    expires: float
    on_received: Callable[[ReceivedFile], None]
    on_refused: Callable[[str], None]
    done: bool = False


@dataclass(slots=True)
class TransferHub:
    """The tokens of all transfers of this Home Assistant (views are registered once)."""

    hass: HomeAssistant
    offers: dict[str, _Offer] = field(default_factory=dict)
    expectations: dict[str, _Expectation] = field(default_factory=dict)

    def offer(self, path: Path) -> str:
        """Serve a file for download; return the token of its URL."""
        self._expire()
        token = secrets.token_urlsafe(24)
        self.offers[token] = _Offer(path, time.monotonic() + OFFER_LIFETIME.total_seconds())
        return token

    def expect(
        self,
        charge_point_id: str,
        max_bytes: int,
        on_received: Callable[[ReceivedFile], None],
        on_refused: Callable[[str], None],
    ) -> str:
        """Take one upload from a charger; return the token of its location."""
        self._expire()
        token = secrets.token_urlsafe(24)
        self.expectations[token] = _Expectation(
            charge_point_id,
            max_bytes,
            time.monotonic() + OFFER_LIFETIME.total_seconds(),
            on_received,
            on_refused,
        )
        return token

    def withdraw(self, token: str) -> None:
        """End an offer or an expected upload (the charger is done with it)."""
        self.offers.pop(token, None)
        self.expectations.pop(token, None)

    def _expire(self) -> None:
        now = time.monotonic()
        for tokens in (self.offers, self.expectations):
            for token in [t for t, item in tokens.items() if item.expires < now]:
                del tokens[token]

    def download(self, token: str) -> Path | None:
        """The file of a valid download token (counting the download), else None."""
        self._expire()
        offer = self.offers.get(token)
        if offer is None or not offer.path.is_file():
            return None
        offer.downloads_left -= 1
        if offer.downloads_left <= 0:
            del self.offers[token]
        return offer.path

    def expectation(self, token: str) -> _Expectation | None:
        """The expected upload of a valid token, else None."""
        self._expire()
        expectation = self.expectations.get(token)
        return None if expectation is None or expectation.done else expectation


@callback
def async_get_hub(hass: HomeAssistant) -> TransferHub:
    """The transfer hub, with its views registered on first use."""
    if (hub := hass.data.get(DATA_TRANSFERS)) is None:
        hub = hass.data[DATA_TRANSFERS] = TransferHub(hass)
        hass.http.register_view(FirmwareView())
        hass.http.register_view(UploadView())
        hass.http.register_view(RootCertificateView())
    return hub


def base_url(hass: HomeAssistant, configured: str | None) -> str:
    """Where chargers reach Home Assistant: the option, else HA's internal URL.

    Raises NoURLAvailableError when neither is known.
    """
    if configured:
        return configured.rstrip("/")
    return get_url(hass, allow_external=False, allow_cloud=False, prefer_external=False)


def known_base_url(hass: HomeAssistant, configured: str | None) -> str:
    """Like `base_url`, but empty when neither is known (for texts and host names)."""
    try:
        return base_url(hass, configured)
    except NoURLAvailableError:
        return ""


class FirmwareView(HomeAssistantView):
    """GET (or HEAD) a firmware file by its token; the file name in the URL is cosmetic."""

    url = FIRMWARE_PATH + "/{token}/{name}"
    name = f"api:{DOMAIN}:firmware"
    # Chargers cannot log in: the unguessable, expiring token is the authorization.
    requires_auth = False

    async def get(self, request: web.Request, token: str, name: str) -> web.StreamResponse:
        """Send the file, or 404 for an unknown, used-up or expired token."""
        hub = request.app[KEY_HASS].data.get(DATA_TRANSFERS)
        path = None if hub is None else hub.download(token)
        if path is None:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        LOGGER.info("Firmware %s fetched by %s", path.name, request.remote)
        return web.FileResponse(path)


class UploadView(HomeAssistantView):
    """POST or PUT one file (raw body or multipart) to an upload location's token."""

    url = UPLOAD_PATH + "/{token}"
    extra_urls = [UPLOAD_PATH + "/{token}/{name}"]  # noqa: RUF012 - HA's view API
    name = f"api:{DOMAIN}:upload"
    requires_auth = False

    async def post(self, request: web.Request, token: str, name: str = "") -> web.Response:
        """Store the upload; 404 for a bad token, 413 beyond the size limit."""
        hass = request.app[KEY_HASS]
        hub = hass.data.get(DATA_TRANSFERS)
        expectation = None if hub is None else hub.expectation(token)
        if hub is None or expectation is None:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        if (request.content_length or 0) > expectation.max_bytes:
            expectation.on_refused("too_large")
            return web.Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        received_at = dt_util.utcnow()
        fallback = f"{expectation.charge_point_id}-{received_at:%Y%m%d-%H%M%S}.log"
        directory = Path(
            hass.config.path(UPLOAD_DIR, safe_file_name(expectation.charge_point_id, "charger"))
        )
        try:
            stored = await _receive(hass, request, directory, name, fallback, expectation.max_bytes)
        except _TooLarge:
            expectation.on_refused("too_large")
            return web.Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        if stored is None:
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        path, size = stored
        expectation.done = True
        hub.withdraw(token)
        await hass.async_add_executor_job(_prune, directory, KEEP_UPLOADS)
        expectation.on_received(
            ReceivedFile(expectation.charge_point_id, path.name, path, size, received_at)
        )
        return web.Response(status=HTTPStatus.OK)

    put = post


class _TooLarge(Exception):
    """The upload passed its size limit."""


async def _receive(
    hass: HomeAssistant,
    request: web.Request,
    directory: Path,
    name: str,
    fallback: str,
    max_bytes: int,
) -> tuple[Path, int] | None:
    """Stream the body (or its first file part) to a file; None when there is no file."""
    part: BodyPartReader | None = None
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        part = await _first_file(reader)
        if part is None:
            return None
        name = part.filename or name
    file_name = safe_file_name(name, fallback)
    await hass.async_add_executor_job(lambda: directory.mkdir(parents=True, exist_ok=True))
    path = directory / file_name
    if path.exists():
        path = directory / f"{path.stem}-{int(time.time())}{path.suffix}"
    size = 0
    handle = await hass.async_add_executor_job(path.open, "wb")
    try:
        while chunk := await (part.read_chunk(_CHUNK) if part else request.content.read(_CHUNK)):
            size += len(chunk)
            if size > max_bytes:
                break
            await hass.async_add_executor_job(handle.write, chunk)
    finally:
        await hass.async_add_executor_job(handle.close)
    if size > max_bytes:
        # A body without Content-Length (chunked) that grew beyond the limit.
        await hass.async_add_executor_job(path.unlink)
        raise _TooLarge
    return path, size


async def _first_file(reader: MultipartReader) -> BodyPartReader | None:
    while (part := await reader.next()) is not None:
        if isinstance(part, BodyPartReader) and (part.filename or part.name in ("file", None)):
            return part
    return None


def _prune(directory: Path, keep: int) -> None:
    """Keep the newest `keep` files of a charger's upload directory."""
    files = sorted(directory.iterdir(), key=lambda path: path.stat().st_mtime, reverse=True)
    for old in files[keep:]:
        old.unlink(missing_ok=True)


class RootCertificateView(HomeAssistantView):
    """GET the root certificate chargers must trust for the TLS port (public, not secret)."""

    url = ROOT_CERTIFICATE_PATH + "/{entry_id}"
    name = f"api:{DOMAIN}:root_certificate"
    # A root certificate is public; installers fetch it from the charger's own web interface.
    requires_auth = False

    async def get(self, request: web.Request, entry_id: str) -> web.Response:
        """The PEM file, or 404 for an unknown central system."""
        hass = request.app[KEY_HASS]
        entry = hass.config_entries.async_get_entry(entry_id)
        secure_port = getattr(getattr(entry, "runtime_data", None), "secure_port", None)
        if entry is None or entry.domain != DOMAIN or secure_port is None:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        pem: str = await secure_port.async_root_certificate()
        return web.Response(
            text=pem,
            content_type="application/x-pem-file",
            headers={"Content-Disposition": 'attachment; filename="ocpp-central-root.pem"'},
        )
