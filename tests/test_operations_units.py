"""Small cases of the card list, charger settings, transfers and maintenance."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
import time
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ocpp_central import transfer
from custom_components.ocpp_central.charger_config import (
    CONNECTION_TIMEOUT,
    LIGHT_INTENSITY,
    as_bool,
    as_number,
    async_write,
)
from custom_components.ocpp_central.const import DOMAIN
from custom_components.ocpp_central.errors import ChargerRejectedError
from custom_components.ocpp_central.model import ConfigurationValue
from custom_components.ocpp_central.protocol.base import AuthorizationStatus
from custom_components.ocpp_central.tags import IdTag, TagList, UnknownTagPolicy

from .helpers import smart_charger, wait_until


def test_tag_policies() -> None:
    """Each policy for unknown cards, a bad stored policy, and listed cards' states."""
    now = dt_util.utcnow()
    listed = {"tags": [IdTag("A", expiry=now + timedelta(days=1)).as_option()]}
    assert TagList.from_options({**listed, "unknown_tags": "nonsense"}).policy is (
        UnknownTagPolicy.AUTO
    )
    for policy, status in (
        ("accept", AuthorizationStatus.ACCEPTED),
        ("reject", AuthorizationStatus.INVALID),
        ("record", AuthorizationStatus.ACCEPTED),
        ("auto", AuthorizationStatus.INVALID),
    ):
        decision = TagList.from_options({**listed, "unknown_tags": policy}).decide("B", now)
        assert decision.status is status, policy
        assert decision.record is (policy == "record")
    assert TagList.from_options(listed).decide("a", now).status is AuthorizationStatus.ACCEPTED
    later = now + timedelta(days=2)
    assert TagList.from_options(listed).decide("A", later).status is AuthorizationStatus.EXPIRED
    assert TagList.from_options({}).decide("X").status is AuthorizationStatus.ACCEPTED


def test_setting_values() -> None:
    """Booleans and numbers as chargers write them; nonsense is unknown."""
    assert as_bool(None) is None
    assert as_bool(" TRUE ") is True
    assert as_number(None) is None
    assert as_number("12") == 12
    assert as_number("twelve") is None


async def test_setting_writes_refused(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """A setting the charger lacks, or refuses, raises instead of pretending."""
    sim = await smart_charger(hass, central, make_simulator)
    link = central.runtime_data.sessions["CP1"]
    with pytest.raises(ChargerRejectedError):
        await async_write(link, LIGHT_INTENSITY, "50")
    sim.reject_keys.add("ConnectionTimeOut")
    with pytest.raises(ChargerRejectedError):
        await async_write(link, CONNECTION_TIMEOUT, "90")
    charger = central.runtime_data.chargers["CP1"]
    assert charger.configuration["ConnectionTimeOut"] == ConfigurationValue("60", False)


def test_transfer_tokens_expire_and_uploads_are_pruned(tmp_path: Path, hass: Any) -> None:
    """Tokens die after their lifetime; a charger's upload folder keeps the newest files."""
    hub = transfer.TransferHub(hass)
    file = tmp_path / "fw.bin"
    file.write_bytes(b"x")
    token = hub.offer(file)
    for _ in range(transfer.MAX_DOWNLOADS):
        assert hub.download(token) == file
    assert hub.download(token) is None
    token = hub.offer(file)
    hub.offers[token].expires = time.monotonic() - 1
    assert hub.download(token) is None
    for index in range(5):
        (tmp_path / f"log{index}.txt").write_text("x")
    transfer._prune(tmp_path, 3)
    assert len(list(tmp_path.iterdir())) == 3
    assert transfer.safe_file_name("../..", "fallback") == "fallback"


async def test_firmware_from_a_url_and_without_an_address(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A URL offer is sent as it is; a file needs an address chargers reach HA at."""
    sim = await smart_charger(hass, central, make_simulator)
    device = dr.async_get(hass).async_get_device({(DOMAIN, "CP1")})
    assert device is not None
    base = {"device_id": device.id, "version": "2.0.0"}
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "offer_firmware", base, blocking=True)
    assert err.value.translation_key == "firmware_file_or_url"
    await hass.services.async_call(
        DOMAIN,
        "offer_firmware",
        {**base, "url": "http://127.0.0.1:9/fw.bin"},
        blocking=True,
    )
    await hass.services.async_call(
        DOMAIN, "install_firmware", {"device_id": device.id}, blocking=True
    )
    payload = await sim.wait_for_call("UpdateFirmware")
    assert payload["location"] == "http://127.0.0.1:9/fw.bin"

    # A file, but Home Assistant has no address chargers could reach it at.
    from homeassistant.helpers.network import NoURLAvailableError

    def no_url(*_args: Any, **_kwargs: Any) -> str:
        raise NoURLAvailableError

    monkeypatch.setattr(transfer, "get_url", no_url)
    folder = Path(hass.config.path("firmware-test"))
    await hass.async_add_executor_job(lambda: folder.mkdir(exist_ok=True))
    await hass.async_add_executor_job((folder / "fw.bin").write_bytes, b"x")
    try:
        await hass.services.async_call(
            DOMAIN, "offer_firmware", {**base, "file": "firmware-test/fw.bin"}, blocking=True
        )
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                DOMAIN, "install_firmware", {"device_id": device.id}, blocking=True
            )
        assert err.value.translation_key == "no_transfer_url"
    finally:
        await hass.async_add_executor_job((folder / "fw.bin").unlink)
        await hass.async_add_executor_job(folder.rmdir)


async def test_restart_repair_for_an_offline_charger(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """The restart fix explains that an offline charger restarts by itself later."""
    from custom_components.ocpp_central.repairs import RestartChargerFlow

    sim = await smart_charger(hass, central, make_simulator)
    await sim.close()
    await wait_until(hass, lambda: "CP1" not in central.runtime_data.sessions)
    flow = RestartChargerFlow(central.entry_id, "CP1")
    flow.hass = hass
    result = await flow.async_step_confirm({})
    assert result["reason"] == "charger_offline"
