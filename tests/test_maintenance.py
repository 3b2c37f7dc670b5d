"""Firmware updates and diagnostics uploads end to end, over HA's real HTTP server.

The simulator downloads the firmware from the URL Home Assistant serves, walks the status
sequence (or fails at a step), reboots with the new version; it uploads its diagnostics to
the location Home Assistant hands out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.components.button import SERVICE_PRESS
from homeassistant.components.update import SERVICE_INSTALL
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.ocpp_central.const import DOMAIN, EVENT_FIRMWARE_STATUS, EVENT_LOG_RECEIVED
from custom_components.ocpp_central.model import FirmwareStatus
from simulator.maintenance import firmware_image

from .conftest import ALL_VERSIONS
from .helpers import entity_id, smart_charger, state, wait_until


@pytest.fixture
async def served(
    hass: HomeAssistant, central: MockConfigEntry, hass_client_no_auth: Any, tmp_path: Path
) -> Any:
    """HA's HTTP server on a real port, the options pointing chargers at it, and a config
    directory of the test's own (firmware files and uploads are written there)."""
    hass.config.config_dir = str(tmp_path)
    client = await hass_client_no_auth()
    hass.config_entries.async_update_entry(
        central, options={**central.options, "transfer_url": str(client.make_url(""))}
    )
    return client


def _device_id(hass: HomeAssistant, charge_point_id: str = "CP1") -> str:
    device = dr.async_get(hass).async_get_device({(DOMAIN, charge_point_id)})
    assert device is not None
    return device.id


async def _offer(hass: HomeAssistant, version: str, content: bytes) -> None:
    folder = Path(hass.config.path("firmware"))
    await hass.async_add_executor_job(lambda: folder.mkdir(exist_ok=True))
    await hass.async_add_executor_job((folder / f"wallbox-{version}.bin").write_bytes, content)
    await hass.services.async_call(
        DOMAIN,
        "offer_firmware",
        {
            "device_id": _device_id(hass),
            "version": version,
            "file": f"firmware/wallbox-{version}.bin",
            "release_notes": "Faster solar mode.",
        },
        blocking=True,
    )


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@ALL_VERSIONS
async def test_firmware_update_from_a_file(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    served: Any,
    ocpp_version: str,
) -> None:
    """Offer a file, install from the update entity, see each step, end on the new version."""
    events = async_capture_events(hass, EVENT_FIRMWARE_STATUS)
    sim = await smart_charger(hass, central, make_simulator)
    update = entity_id(hass, "update", "CP1_firmware")
    assert state(hass, "update", "CP1_firmware").state == "off"  # nothing offered yet

    await _offer(hass, "2.0.0", firmware_image("2.0.0"))
    offered = state(hass, "update", "CP1_firmware")
    assert offered.state == "on"
    assert offered.attributes["installed_version"] == "1.0.0"
    assert offered.attributes["latest_version"] == "2.0.0"
    assert offered.attributes["release_summary"] == "Faster solar mode."

    await hass.services.async_call(
        "update", SERVICE_INSTALL, {ATTR_ENTITY_ID: update}, blocking=True
    )
    # The charger downloads from HA, installs, reboots and boots with the new version.
    await wait_until(hass, lambda: sim.config.firmware_version == "2.0.0")
    charger = central.runtime_data.chargers["CP1"]
    await wait_until(hass, lambda: charger.info.firmware_version == "2.0.0")
    done = state(hass, "update", "CP1_firmware")
    assert done.state == "off"
    assert done.attributes["installed_version"] == "2.0.0"
    assert done.attributes["in_progress"] is False
    statuses = [event.data["status"] for event in events]
    assert statuses == ["downloading", "downloaded", "installing", "installed"]
    assert events[0].data["version"] == "2.0.0"
    assert state(hass, "sensor", "CP1_firmware_version").state == "2.0.0"


@pytest.mark.parametrize(
    ("ocpp_version", "failure", "status"),
    [
        ("1.6", "DownloadFailed", "download_failed"),
        ("1.6", "InstallationFailed", "installation_failed"),
        ("2.0.1", "InstallVerificationFailed", "install_verification_failed"),
        ("2.1", "InstallationFailed", "installation_failed"),
    ],
)
async def test_failed_update_raises_a_repair(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    served: Any,
    failure: str,
    status: str,
) -> None:
    """A failed step ends the update with a repair issue that names what failed."""
    await smart_charger(hass, central, make_simulator, firmware_failure=failure)
    await _offer(hass, "2.0.0", firmware_image("2.0.0"))
    await hass.services.async_call(
        DOMAIN, "install_firmware", {"device_id": _device_id(hass)}, blocking=True
    )
    charger = central.runtime_data.chargers["CP1"]
    await wait_until(hass, lambda: charger.firmware.status is FirmwareStatus(status))
    issue_id = f"firmware_failed_{central.entry_id}_CP1"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {
        "charger": "CP1",
        "version": "2.0.0",
        "status": status.replace("_", " "),
    }
    update = state(hass, "update", "CP1_firmware")
    assert update.attributes["in_progress"] is False
    assert update.attributes["installed_version"] == "1.0.0"


async def test_not_a_firmware_image_and_an_unknown_url(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, served: Any
) -> None:
    """A file that is not for this charger fails verification; used-up URLs are gone."""
    await smart_charger(hass, central, make_simulator)
    await _offer(hass, "9.9.9", b"not firmware")
    await hass.services.async_call(
        DOMAIN, "install_firmware", {"device_id": _device_id(hass)}, blocking=True
    )
    charger = central.runtime_data.chargers["CP1"]
    # (Plain 1.6 has no verification status: it reports an installation failure.)
    await wait_until(hass, lambda: charger.firmware.status is FirmwareStatus.INSTALLATION_FAILED)
    response = await served.get("/api/ocpp_central/firmware/not-a-token/x.bin")
    assert response.status == 404


async def test_install_is_guarded(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, served: Any
) -> None:
    """No install without an offer, none during a session unless forced, files stay inside."""
    sim = await smart_charger(hass, central, make_simulator)
    device_id = _device_id(hass)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "install_firmware", {"device_id": device_id}, blocking=True
        )
    assert err.value.translation_key == "no_firmware_offered"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "offer_firmware",
            {"device_id": device_id, "version": "2", "file": "../../etc/passwd"},
            blocking=True,
        )
    assert err.value.translation_key == "firmware_file_not_found"

    await _offer(hass, "2.0.0", firmware_image("2.0.0"))
    await sim.start_transaction(1)
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "install_firmware", {"device_id": device_id}, blocking=True
        )
    assert err.value.translation_key == "firmware_during_session"
    response = await hass.services.async_call(
        DOMAIN,
        "install_firmware",
        {"device_id": device_id, "force": True},
        blocking=True,
        return_response=True,
    )
    assert isinstance(response["request_id"], int)
    await wait_until(hass, lambda: sim.config.firmware_version == "2.0.0")


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@ALL_VERSIONS
async def test_diagnostics_upload_into_home_assistant(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    served: Any,
    ocpp_version: str,
) -> None:
    """The button has the charger upload its log to HA; the file is stored and announced."""
    events = async_capture_events(hass, EVENT_LOG_RECEIVED)
    await smart_charger(hass, central, make_simulator)
    await hass.services.async_call(
        "button",
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: entity_id(hass, "button", "CP1_request_diagnostics")},
        blocking=True,
    )
    await wait_until(hass, lambda: len(events) == 1)
    path = Path(events[0].data["file"])
    assert path.is_relative_to(Path(hass.config.path("ocpp_central", "uploads", "CP1")))
    content = await hass.async_add_executor_job(path.read_text)
    assert "charger CP1" in content
    assert events[0].data["size"] == len(content.encode())
    charger = central.runtime_data.chargers["CP1"]
    await wait_until(hass, lambda: charger.logs.status is not None)
    await wait_until(hass, lambda: str(charger.logs.status) == "uploaded")
    assert charger.logs.files[0][0] == path.name


async def test_upload_tokens_and_size_limit(
    hass: HomeAssistant, central: MockConfigEntry, served: Any
) -> None:
    """A bad token is 404, an upload over the limit 413, a token takes one file, and the
    charger's file name cannot leave the charger's upload folder."""
    import aiohttp

    from custom_components.ocpp_central.transfer import async_get_hub

    received: list[Any] = []
    refused: list[str] = []
    hub = async_get_hub(hass)
    token = hub.expect("CP1", 1024, received.append, refused.append)
    assert (await served.post("/api/ocpp_central/upload/wrong", data=b"x")).status == 404
    too_big = await served.put(f"/api/ocpp_central/upload/{token}/big.log", data=b"x" * 2048)
    assert too_big.status == 413
    assert refused == ["too_large"]
    form = aiohttp.FormData()
    form.add_field("file", b"fine", filename="../../evil.log")
    ok = await served.post(f"/api/ocpp_central/upload/{token}", data=form)
    assert ok.status == 200
    folder = Path(hass.config.path("ocpp_central", "uploads", "CP1"))
    assert received[-1].path.parent == folder
    assert received[-1].path.name.endswith("evil.log")
    assert received[-1].size == 4
    again = await served.put(f"/api/ocpp_central/upload/{token}/second.log", data=b"ok")
    assert again.status == 404


async def test_offer_and_uploads_survive_a_restart(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, served: Any
) -> None:
    """The offered firmware and the list of received files are kept across HA restarts."""
    await smart_charger(hass, central, make_simulator)
    await _offer(hass, "2.0.0", firmware_image("2.0.0"))
    await hass.services.async_call(
        DOMAIN,
        "request_diagnostics",
        {"device_id": _device_id(hass)},
        blocking=True,
        return_response=True,
    )
    charger = central.runtime_data.chargers["CP1"]
    await wait_until(hass, lambda: bool(charger.logs.files))
    assert await hass.config_entries.async_unload(central.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(central.entry_id)
    await hass.async_block_till_done()
    restored = central.runtime_data.chargers["CP1"]
    assert restored.firmware.offered is not None
    assert restored.firmware.offered.version == "2.0.0"
    assert [name for name, _size, _when in restored.logs.files] == [
        name for name, _size, _when in charger.logs.files
    ]
