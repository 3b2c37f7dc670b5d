"""Security profiles: passwords, refusals before the upgrade, the wizard, failed attempts."""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from custom_components.ocpp_central.access import INSECURE_ISSUE
from custom_components.ocpp_central.const import CONF_HOST, DOMAIN
from custom_components.ocpp_central.redaction import is_secret_setting, redact_frame
from custom_components.ocpp_central.security import (
    MAX_FAILED_ATTEMPTS,
    ChargerSecurity,
    Credentials,
    FailedAttempts,
    PasswordDigest,
    Refusal,
    SecurityProfile,
    accept,
    authorization_key,
    basic_auth_credentials,
    check,
    new_password,
    valid_password,
)

from .conftest import ALL_VERSIONS
from .helpers import smart_charger, wait_until

PASSWORD = "correct-horse-battery"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def _handshake_status(url: str, charge_point_id: str, headers: dict[str, str]) -> int:
    """The HTTP status of a handshake (101 when the upgrade went through)."""
    try:
        async with connect(
            f"{url}/{charge_point_id}", subprotocols=["ocpp1.6"], additional_headers=headers
        ):
            return 101
    except InvalidStatus as err:
        return err.response.status_code


async def _options(hass: HomeAssistant, central: MockConfigEntry, *steps: Any) -> Any:
    result = await hass.config_entries.options.async_init(central.entry_id)
    for step in steps:
        data = {"next_step_id": step} if isinstance(step, str) else step
        result = await hass.config_entries.options.async_configure(result["flow_id"], data)
    return result


# --- the rules ------------------------------------------------------------------------------


def test_password_rules() -> None:
    """Generated passwords fit OCPP; digests compare; 1.6 gets the hex form."""
    password = new_password()
    assert valid_password(password)
    assert len(password) == 20
    assert new_password() != password
    digest = PasswordDigest.of(password)
    assert digest.matches(password)
    assert not digest.matches(password + "x")
    # A 1.6 charger that sends its AuthorizationKey as it got it (hex) gets in too.
    assert digest.matches(authorization_key(password))
    assert digest.matches(authorization_key(password).lower())
    assert not digest.matches("ABC")
    assert not digest.matches("FFFE")
    assert password not in str(digest.as_dict())
    assert PasswordDigest.from_dict(digest.as_dict()) == digest
    assert PasswordDigest.from_dict({"salt": "00"}) is None
    assert authorization_key("OCA_OCTT_admin_test") == "4F43415F4F4354545F61646D696E5F74657374"
    assert not valid_password("short")
    assert not valid_password("a" * 41)
    assert not valid_password("with:colon-xxxxxxxxxxx")


def test_basic_auth_header_parsing() -> None:
    """Only well-formed Basic credentials count."""
    assert basic_auth_credentials(_basic("CP1", "pw:with:colons")) == ("CP1", "pw:with:colons")
    assert basic_auth_credentials(None) is None
    assert basic_auth_credentials("Bearer abc") is None
    assert basic_auth_credentials("Basic !!!") is None
    assert basic_auth_credentials("Basic " + base64.b64encode(b"nocolon").decode()) is None
    assert basic_auth_credentials("Basic " + base64.b64encode(b"\xff\xfe:x").decode()) is None


def test_check_matrix() -> None:
    """No, wrong and right credentials against each stage of a charger's security."""
    security = ChargerSecurity()
    plain = Credentials("CP1")
    right = Credentials("CP1", password=PASSWORD)
    wrong = Credentials("CP1", password="not-the-password")
    # Profile 0: anything without a stored password goes.
    assert check(security, plain).refusal is None
    assert check(security, right).profile is SecurityProfile.NONE
    # A new password, not proven: the old way still works, a wrong password does not.
    security.set_password(PASSWORD, required=SecurityProfile.BASIC_AUTH)
    assert check(security, plain).refusal is None
    assert check(security, wrong).refusal is Refusal.WRONG_PASSWORD
    verdict = check(security, right)
    assert verdict.profile is SecurityProfile.BASIC_AUTH
    assert verdict.current_password
    # The charger proves it: from now on the password is required.
    assert accept(security, verdict)
    assert security.enforced is SecurityProfile.BASIC_AUTH
    assert check(security, plain).refusal is Refusal.PASSWORD_REQUIRED
    assert check(security, right).refusal is None
    # Over TLS the same password amounts to profile 2.
    assert check(security, Credentials("CP1", password=PASSWORD, tls=True)).profile == 2
    # A second new password: the old one still gets in until the new one is used.
    security.set_password("second-password-xyz", required=SecurityProfile.BASIC_AUTH)
    assert check(security, right).refusal is None
    assert not check(security, right).current_password
    newer = check(security, Credentials("CP1", password="second-password-xyz"))
    accept(security, newer)
    assert check(security, right).refusal is Refusal.WRONG_PASSWORD
    # Asking for TLS keeps the password enforced until the charger comes over TLS.
    security.require(SecurityProfile.TLS_BASIC_AUTH)
    assert security.enforced is SecurityProfile.BASIC_AUTH
    tls = check(security, Credentials("CP1", password="second-password-xyz", tls=True))
    accept(security, tls)
    assert security.enforced is SecurityProfile.TLS_BASIC_AUTH
    assert (
        check(security, Credentials("CP1", password="second-password-xyz")).refusal
        is Refusal.TLS_REQUIRED
    )
    # Profile 3: a client certificate proves it; a password alone is no longer enough.
    security.require(SecurityProfile.TLS_CLIENT_CERTIFICATE)
    cert = check(security, Credentials("CP1", tls=True, client_certificate=True))
    accept(security, cert)
    assert (
        check(security, Credentials("CP1", password="second-password-xyz", tls=True)).refusal
        is Refusal.CERTIFICATE_REQUIRED
    )
    # Stored and restored, the state is the same.
    assert ChargerSecurity.from_dict(security.as_dict()) == security
    assert ChargerSecurity.from_dict(None) == ChargerSecurity()
    assert ChargerSecurity.from_dict({"required": 9}).required is SecurityProfile.NONE
    security.remove_password()
    assert check(security, plain).refusal is None


def test_failed_attempts_block_an_address() -> None:
    """Five failures within a minute block the address for five minutes; others go on."""
    attempts = FailedAttempts()
    for n in range(MAX_FAILED_ATTEMPTS - 1):
        assert not attempts.failed("10.0.0.9", float(n))
    assert not attempts.blocked("10.0.0.9", 5.0)
    assert attempts.failed("10.0.0.9", 5.0)
    assert attempts.blocked("10.0.0.9", 6.0)
    assert not attempts.blocked("10.0.0.8", 6.0)
    assert not attempts.blocked("10.0.0.9", 306.0)
    # Failures spread over more than a minute never block.
    for n in range(10):
        assert not attempts.failed("10.0.0.7", n * 30.0)
    attempts.succeeded("10.0.0.7")


def test_configuration_writes_of_secrets_are_redacted() -> None:
    """A password sent to a charger never shows in logs or diagnostics."""
    v16 = '[2,"1","ChangeConfiguration",{"key":"AuthorizationKey","value":"4F43415F"}]'
    assert "4F43415F" not in redact_frame(v16)
    v2 = (
        '[2,"1","SetVariables",{"setVariableData":[{"attributeValue":"secret-password-1",'
        '"component":{"name":"SecurityCtrlr"},"variable":{"name":"BasicAuthPassword"}}]}]'
    )
    assert "secret-password-1" not in redact_frame(v2)
    other = '[2,"1","ChangeConfiguration",{"key":"HeartbeatInterval","value":"300"}]'
    assert redact_frame(other) == other
    assert is_secret_setting("SecurityCtrlr.BasicAuthPassword")
    assert is_secret_setting("AuthorizationKey")
    assert not is_secret_setting("SecurityProfile")


# --- through the server ---------------------------------------------------------------------


@ALL_VERSIONS
async def test_password_is_enforced_once_used(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, url: str, ocpp_version: str
) -> None:
    """A charger with a password: refused without it (401) once it has connected with it."""
    sim = await smart_charger(hass, central, make_simulator)
    runtime = central.runtime_data
    charger = runtime.chargers["CP1"]
    runtime.access.password_set(charger, PASSWORD)
    # Not proven yet: the charger still gets in the old way.
    await sim.drop_connection()
    await sim.reconnect()
    assert sim.connected
    # With the password, it proves it.
    await sim.drop_connection()
    sim.password = PASSWORD
    sim.security_profile = 1
    await sim.reconnect()
    await wait_until(hass, lambda: charger.security.proven is SecurityProfile.BASIC_AUTH)
    assert charger.security.last_profile is SecurityProfile.BASIC_AUTH
    # From now on: no password or a wrong one is refused before the upgrade.
    assert await _handshake_status(url, "CP1", {}) == 401
    assert await _handshake_status(url, "CP1", {"Authorization": _basic("CP1", "wrong")}) == 401
    # The password of another charger's id is no use either.
    assert await _handshake_status(url, "CP1", {"Authorization": _basic("CP2", PASSWORD)}) == 401
    # The charger itself is still connected and served.
    assert sim.connected
    assert (await sim.heartbeat()) is not None


async def test_repeated_failures_are_blocked(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, url: str
) -> None:
    """After five wrong passwords an address gets 429, even with the right one."""
    await smart_charger(hass, central, make_simulator)
    charger = central.runtime_data.chargers["CP1"]
    charger.security.set_password(PASSWORD, required=SecurityProfile.BASIC_AUTH)
    charger.security.proven = SecurityProfile.BASIC_AUTH
    wrong = {"Authorization": _basic("CP1", "guess")}
    statuses = [await _handshake_status(url, "CP1", wrong) for _ in range(MAX_FAILED_ATTEMPTS)]
    assert statuses == [401] * MAX_FAILED_ATTEMPTS
    right = {"Authorization": _basic("CP1", PASSWORD)}
    assert await _handshake_status(url, "CP1", right) == 429


@ALL_VERSIONS
async def test_wizard_gives_a_password(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    url: str,
    ocpp_version: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The wizard sends a password, waits for the reconnect, then shows it once.

    A 1.6 charger on profile 0 is also moved to profile 1 and restarted (whitepaper A02).
    """
    # Chargers here reconnect at once or not at all: no need to wait long for it.
    monkeypatch.setattr("custom_components.ocpp_central.access.PROOF_GRACE", 0.3)
    sim = await smart_charger(hass, central, make_simulator, reboot_delay=0.2)
    charger = central.runtime_data.chargers["CP1"]
    result = await _options(hass, central, "security", {"charger": "CP1"})
    assert result["type"] is FlowResultType.MENU
    assert result["description_placeholders"]["enforced"] == "0"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "give_password"}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await wait_until(hass, lambda: charger.security.proven is SecurityProfile.BASIC_AUTH)
    await hass.async_block_till_done()
    result = await hass.config_entries.options.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "password_given"
    password = result["description_placeholders"]["password"]
    assert valid_password(password)
    assert sim.password == password
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # The charger now connects with it, and nobody gets in without it.
    assert await _handshake_status(url, "CP1", {}) == 401
    await sim.drop_connection()
    await sim.reconnect()
    assert sim.connected
    # The password is stored only as a digest.
    stored = central.runtime_data.store.as_diagnostics()["chargers"]["CP1"]["security"]
    assert password not in str(stored)
    # Rollback: remove it, and the charger may connect without again.
    result = await _options(hass, central, "security", {"charger": "CP1"}, "remove_password", {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert await _handshake_status(url, "CP1", {}) == 101


async def test_wizard_when_the_charger_refuses(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """A charger that refuses the password keeps what it had; the typed password path."""
    sim = await smart_charger(hass, central, make_simulator)
    sim.reject_keys.add("AuthorizationKey")
    charger = central.runtime_data.chargers["CP1"]
    result = await _options(hass, central, "security", {"charger": "CP1"}, "give_password")
    await hass.async_block_till_done()
    result = await hass.config_entries.options.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "password_refused"
    assert charger.security.password is None
    # The installer types the password set on the charger instead.
    result = await _options(
        hass, central, "security", {"charger": "CP1"}, "enter_password", {"password": "short"}
    )
    assert result["errors"] == {"password": "invalid_password"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"password": PASSWORD}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert charger.security.password is not None
    assert charger.security.password.matches(PASSWORD)
    assert charger.security.enforced is SecurityProfile.NONE


async def test_wizard_reports_a_charger_that_does_not_reconnect(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, monkeypatch: Any
) -> None:
    """Not reconnected in time: the password is shown, nothing is enforced."""
    sim = await smart_charger(hass, central, make_simulator)
    monkeypatch.setattr("custom_components.ocpp_central.security_flow.PASSWORD_PROOF_TIMEOUT", 0.2)
    # A 1.6 charger on profile 0 that ignores the new profile keeps connecting without.
    sim.reject_keys.add("SecurityProfile")
    sim.configuration["SecurityProfile"].value = "0"
    charger = central.runtime_data.chargers["CP1"]
    result = await _options(hass, central, "security", {"charger": "CP1"}, "give_password")
    await asyncio.sleep(0.5)
    await hass.async_block_till_done()
    result = await hass.config_entries.options.async_configure(result["flow_id"])
    assert result["step_id"] == "password_not_yet_used"
    assert charger.security.required is SecurityProfile.BASIC_AUTH
    assert charger.security.enforced is SecurityProfile.NONE


async def test_a_new_charger_keeps_its_installer_password(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, url: str
) -> None:
    """A charger that comes with a password is accepted with it, and held to it."""
    sim = await make_simulator("CP9", password=PASSWORD, security_profile=1)
    await sim.boot()
    await wait_until(hass, lambda: "CP9" in central.runtime_data.chargers)
    security = central.runtime_data.chargers["CP9"].security
    assert security.enforced is SecurityProfile.BASIC_AUTH
    assert await _handshake_status(url, "CP9", {}) == 401


async def test_insecure_chargers_repair(
    hass: HomeAssistant, make_simulator: Any, url: str, port: int, options: dict[str, Any]
) -> None:
    """Listening beyond loopback with password-less chargers raises a repair issue."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={CONF_HOST: "0.0.0.0", "port": port},
        options=options,
        unique_id=f"0.0.0.0:{port}",
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    issue_id = f"{INSECURE_ISSUE}_{entry.entry_id}"
    registry = ir.async_get(hass)
    assert registry.async_get_issue(DOMAIN, issue_id) is None
    await smart_charger(hass, entry, make_simulator)
    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"chargers": "CP1"}
    charger = entry.runtime_data.chargers["CP1"]
    charger.security.set_password(PASSWORD, required=SecurityProfile.BASIC_AUTH)
    entry.runtime_data.access.connected(
        charger, check(charger.security, Credentials("CP1", password=PASSWORD))
    )
    assert registry.async_get_issue(DOMAIN, issue_id) is None
    await hass.config_entries.async_unload(entry.entry_id)


async def test_debug_logs_show_no_credentials(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With debug logging on, neither the Basic auth header nor a password frame is logged."""
    caplog.set_level(logging.DEBUG)
    sim = await smart_charger(hass, central, make_simulator, password=PASSWORD, security_profile=1)
    charger = central.runtime_data.chargers["CP1"]
    password = await central.runtime_data.access.async_give_password(charger)
    await wait_until(hass, lambda: charger.security.proven is SecurityProfile.BASIC_AUTH)
    assert sim.password == password
    encoded = base64.b64encode(f"CP1:{password}".encode()).decode()
    # Ours (the simulator, a charger, logs its own side as it likes).
    ours = "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.ocpp_central")
    )
    for secret in (PASSWORD, password, authorization_key(password), encoded, encoded[-12:]):
        assert secret not in ours
    assert "Authorization" in ours  # the header line is there, without its value
