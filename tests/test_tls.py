"""Security profiles 2 and 3: the TLS port, the local authority, client certificates."""

from __future__ import annotations

import base64
import json
from pathlib import Path
import ssl
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake, InvalidStatus

from custom_components.ocpp_central.const import (
    CONF_AUTO_ACCEPT,
    CONF_HEARTBEAT_INTERVAL,
    CONF_TLS_MIN_VERSION,
    CONF_TLS_PORT,
    CONF_TRANSFER_URL,
    DOMAIN,
)
from custom_components.ocpp_central.secure_port import WEAK_TLS_ISSUE
from custom_components.ocpp_central.security import SecurityProfile
from custom_components.ocpp_central.tls import LocalAuthority, TlsVersion
from simulator import ChargerSimulator
from simulator.security import credentials_state, restore_credentials

from .conftest import ALL_VERSIONS, free_port
from .helpers import smart_charger, wait_until

PASSWORD = "tls-password-0123456"
TLS_PORT = free_port()
TLS_OPTIONS = {CONF_AUTO_ACCEPT: True, CONF_HEARTBEAT_INTERVAL: 300, CONF_TLS_PORT: TLS_PORT}


@pytest.fixture(autouse=True)
def config_dir(hass: HomeAssistant, tmp_path: Path) -> None:
    """The authority's files go to a temporary config directory."""
    hass.config.config_dir = str(tmp_path)


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _client_context(ca: Path, certificate: tuple[Path, Path] | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca))
    if certificate is not None:
        context.load_cert_chain(*certificate)
    return context


def _client_certificate(
    folder: Path, charge_point_id: str, authority: LocalAuthority | None
) -> tuple[Path, Path]:
    """A key and a certificate for `charge_point_id`, signed by `authority` (None: self-signed)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, charge_point_id)])
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    if authority is not None:
        chain = authority.sign_request(
            csr.public_bytes(serialization.Encoding.PEM).decode(), charge_point_id
        )
    else:
        rogue = LocalAuthority(folder / "rogue")
        chain = rogue.sign_request(
            csr.public_bytes(serialization.Encoding.PEM).decode(), charge_point_id
        )
    certificate_path = folder / f"{charge_point_id}-{id(key)}.pem"
    key_path = folder / f"{charge_point_id}-{id(key)}.key"
    certificate_path.write_text(chain)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate_path, key_path


async def _status(
    charge_point_id: str, context: ssl.SSLContext, headers: dict[str, str] | None = None
) -> int:
    """HTTP status of a wss handshake (101 when upgraded)."""
    try:
        async with connect(
            f"wss://127.0.0.1:{TLS_PORT}/{charge_point_id}",
            subprotocols=["ocpp1.6"],
            additional_headers=headers or {},
            ssl=context,
        ):
            return 101
    except InvalidStatus as err:
        return err.response.status_code


@pytest.mark.parametrize("options", [TLS_OPTIONS])
async def test_profile_2_and_3_matrix(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    tmp_path: Path,
    options: dict[str, Any],
) -> None:
    """No, wrong and right credentials over TLS; client certificates missing, foreign, right."""
    runtime = central.runtime_data
    secure = runtime.secure_port
    assert secure.port == TLS_PORT
    # Chargers are told HA's internal address (the test harness's 10.10.10.10).
    assert secure.url() == f"wss://{secure.host_for_chargers()}:{TLS_PORT}/"
    ca = secure.authority.ca_certificate_path
    assert ca.is_file()
    sim = await make_simulator("CP1")
    await sim.boot()
    await wait_until(hass, lambda: "CP1" in runtime.chargers)
    charger = runtime.chargers["CP1"]
    runtime.access.password_set(charger, PASSWORD)
    charger.security.require(SecurityProfile.TLS_BASIC_AUTH)
    trusted = _client_context(ca)

    # The server's certificate is checked against our root: a client without it gives up.
    with pytest.raises(ssl.SSLCertVerificationError):
        await _status("CP1", ssl.create_default_context())
    # Not proven yet: plain and password-less connections still work.
    assert await _status("CP1", trusted) == 101
    assert await _status("CP1", trusted, _basic("CP1", "wrong-password-000")) == 401
    # The password over TLS proves profile 2; afterwards only that is accepted.
    assert await _status("CP1", trusted, _basic("CP1", PASSWORD)) == 101
    await wait_until(hass, lambda: charger.security.proven is SecurityProfile.TLS_BASIC_AUTH)
    assert await _status("CP1", trusted) == 401
    await sim.drop_connection()
    sim.password, sim.security_profile = PASSWORD, 1
    with pytest.raises(InvalidStatus):
        # The password over plain ws is no longer enough.
        await sim.connect()

    # Profile 3: a certificate of our authority for this charger id.
    charger.security.require(SecurityProfile.TLS_CLIENT_CERTIFICATE)
    right = _client_certificate(tmp_path, "CP1", secure.authority)
    assert await _status("CP1", _client_context(ca, right)) == 101
    await wait_until(
        hass, lambda: charger.security.proven is SecurityProfile.TLS_CLIENT_CERTIFICATE
    )
    # Missing certificate: refused even with the password.
    assert await _status("CP1", trusted, _basic("CP1", PASSWORD)) == 401
    # A certificate of our authority for another id does not count.
    other = _client_certificate(tmp_path, "CP2", secure.authority)
    assert await _status("CP1", _client_context(ca, other)) == 401
    # A certificate of another authority fails the TLS handshake itself (with TLS 1.3 the
    # client learns it only when the server closes instead of answering).
    foreign = _client_certificate(tmp_path, "CP1", None)
    with pytest.raises((ssl.SSLError, ConnectionError, OSError, InvalidHandshake)):
        await _status("CP1", _client_context(ca, foreign))


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
@pytest.mark.parametrize("options", [TLS_OPTIONS])
async def test_old_tls_versions_are_refused(
    hass: HomeAssistant, central: MockConfigEntry, options: dict[str, Any]
) -> None:
    """TLS 1.2 is the minimum: a client that offers only TLS 1.1 gets no connection."""
    ca = central.runtime_data.secure_port.authority.ca_certificate_path
    old = _client_context(ca)
    old.set_ciphers("DEFAULT:@SECLEVEL=0")
    old.minimum_version = ssl.TLSVersion.TLSv1
    old.maximum_version = ssl.TLSVersion.TLSv1_1
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        await _status("CP1", old)
    assert await _status("CP1", _client_context(ca)) == 101


@pytest.mark.parametrize("options", [{**TLS_OPTIONS, CONF_TLS_MIN_VERSION: TlsVersion.LEGACY}])
async def test_legacy_tls_raises_a_repair(
    hass: HomeAssistant, central: MockConfigEntry, options: dict[str, Any]
) -> None:
    """The explicit option for old chargers is warned about with a repair issue."""
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"{WEAK_TLS_ISSUE}_{central.entry_id}")
    assert issue is not None
    ca = central.runtime_data.secure_port.authority.ca_certificate_path
    assert await _status("CP1", _client_context(ca)) == 101


@pytest.mark.parametrize("options", [TLS_OPTIONS])
async def test_root_certificate_download(
    hass: HomeAssistant,
    central: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    options: dict[str, Any],
) -> None:
    """Installers download the root certificate (public) from Home Assistant."""
    client = await hass_client_no_auth()
    response = await client.get(f"/api/ocpp_central/root_certificate/{central.entry_id}")
    assert response.status == 200
    text = await response.text()
    assert text == central.runtime_data.secure_port.authority.ca_certificate_path.read_text()
    assert "PRIVATE" not in text
    missing = await client.get("/api/ocpp_central/root_certificate/unknown")
    assert missing.status == 404


async def test_authority_files(tmp_path: Path) -> None:
    """The authority is created once and kept; server certificates follow the names."""
    authority = LocalAuthority(tmp_path / "tls")
    root = authority.root_certificate_pem()
    assert authority.root_certificate_pem() == root
    authority.ensure_server_certificate({"127.0.0.1", "ha.local"})
    first = authority.server_certificate_path.read_bytes()
    authority.ensure_server_certificate({"127.0.0.1", "ha.local"})
    assert authority.server_certificate_path.read_bytes() == first
    authority.ensure_server_certificate({"127.0.0.1", "other.local"})
    assert authority.server_certificate_path.read_bytes() != first
    assert (tmp_path / "tls" / "ca.key").stat().st_mode & 0o077 == 0
    # Requests must be for the charger's own id and signed by their key.
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CP7")]))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
        .decode()
    )
    with pytest.raises(ValueError, match="not for this charger"):
        authority.sign_request(csr, "CP8")
    chain = authority.sign_request(csr, "CP7")
    assert chain.count("BEGIN CERTIFICATE") == 2


async def _wizard(hass: HomeAssistant, entry: MockConfigEntry, step: str) -> Any:
    """Open the security wizard for CP1 and start `step` (a progress step)."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    for data in ({"next_step_id": "security"}, {"charger": "CP1"}, {"next_step_id": step}):
        result = await hass.config_entries.options.async_configure(result["flow_id"], data)
    return result


async def _finish(hass: HomeAssistant, result: Any) -> Any:
    """Let a progress step end and return the result form."""
    await hass.async_block_till_done()
    return await hass.config_entries.options.async_configure(result["flow_id"])


@ALL_VERSIONS
@pytest.mark.parametrize("options", [{**TLS_OPTIONS, CONF_TRANSFER_URL: "http://127.0.0.1:8123"}])
async def test_wizard_walks_a_charger_up_to_profile_3(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    options: dict[str, Any],
    ocpp_version: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Password, then TLS, then a client certificate: each proven before it is enforced."""
    # Chargers here reconnect at once or not at all: no need to wait long for it.
    monkeypatch.setattr("custom_components.ocpp_central.access.PROOF_GRACE", 0.3)
    sim = await smart_charger(
        hass,
        central,
        make_simulator,
        reboot_delay=0.2,
        # 1.6 has no standard key for the URL: the installer set the wss address.
        secure_url=f"wss://127.0.0.1:{TLS_PORT}/",
    )
    charger = central.runtime_data.chargers["CP1"]
    security = charger.security

    result = await _wizard(hass, central, "give_password")
    await wait_until(hass, lambda: security.proven is SecurityProfile.BASIC_AUTH)
    result = await _finish(hass, result)
    assert result["step_id"] == "password_given"
    await hass.config_entries.options.async_configure(result["flow_id"], {})

    result = await _wizard(hass, central, "use_tls")
    await wait_until(hass, lambda: security.proven is SecurityProfile.TLS_BASIC_AUTH)
    result = await _finish(hass, result)
    assert result["step_id"] == "tls_done"
    assert result["description_placeholders"]["url"] == f"wss://127.0.0.1:{TLS_PORT}/"
    await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert sim.security_profile == 2
    assert security.enforced is SecurityProfile.TLS_BASIC_AUTH

    result = await _wizard(hass, central, "use_certificate")
    await wait_until(hass, lambda: security.proven is SecurityProfile.TLS_CLIENT_CERTIFICATE)
    result = await _finish(hass, result)
    assert result["step_id"] == "certificate_done"
    assert sim.security_profile == 3
    assert sim.tls.chain is not None
    assert security.enforced is SecurityProfile.TLS_CLIENT_CERTIFICATE
    assert charger.security.last_profile is SecurityProfile.TLS_CLIENT_CERTIFICATE
    # The charger keeps working on its new connection.
    assert sim.connected
    assert (await sim.heartbeat()) is not None
    # What the simulator keeps "in flash" (the demo's --state-file) brings it back as it was.
    saved = json.loads(json.dumps(credentials_state(sim)))
    await sim.close()
    fresh = ChargerSimulator(sim.url, sim.config)
    restore_credentials(fresh, saved)
    assert credentials_state(fresh) == saved
    await fresh.connect()
    await wait_until(hass, lambda: charger.connected)
    assert security.last_profile is SecurityProfile.TLS_CLIENT_CERTIFICATE
    await fresh.close()


@pytest.mark.parametrize("options", [TLS_OPTIONS])
async def test_tls_step_needs_a_password_first(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, options: dict[str, Any]
) -> None:
    """Without a proven password the TLS step is not offered."""
    await smart_charger(hass, central, make_simulator)
    result = await hass.config_entries.options.async_init(central.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "security"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"charger": "CP1"}
    )
    assert "use_tls" not in result["menu_options"]
    assert "use_certificate" not in result["menu_options"]


async def test_tls_port_problems_are_repairs(
    hass: HomeAssistant, make_simulator: Any, port: int, tmp_path: Path
) -> None:
    """A TLS port in use is a repair issue, not a failed setup; own files replace the CA's."""
    import socket

    from custom_components.ocpp_central.const import CONF_HOST, CONF_TLS_CERTIFICATE, CONF_TLS_KEY
    from custom_components.ocpp_central.secure_port import TLS_UNAVAILABLE_ISSUE

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    taken = busy.getsockname()[1]
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={CONF_HOST: "127.0.0.1", "port": port},
        options={**TLS_OPTIONS, CONF_TLS_PORT: taken},
        unique_id=f"127.0.0.1:{port}",
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    issue_id = f"{TLS_UNAVAILABLE_ISSUE}_{entry.entry_id}"
    registry = ir.async_get(hass)
    assert registry.async_get_issue(DOMAIN, issue_id) is not None
    assert entry.runtime_data.secure_port.port is None
    assert entry.runtime_data.secure_port.url() is None
    busy.close()

    # Own certificate files (here: made by another authority) on a free port.
    other = LocalAuthority(tmp_path / "own")
    await hass.async_add_executor_job(other.ensure_server_certificate, {"127.0.0.1"})
    hass.config_entries.async_update_entry(
        entry,
        options={
            **entry.options,
            CONF_TLS_PORT: TLS_PORT,
            CONF_TLS_CERTIFICATE: str(other.server_certificate_path),
            CONF_TLS_KEY: str(other.server_key_path),
        },
    )
    await hass.async_block_till_done()
    await wait_until(hass, lambda: entry.runtime_data.secure_port.port == TLS_PORT)
    assert registry.async_get_issue(DOMAIN, issue_id) is None
    assert entry.runtime_data.secure_port.uses_own_certificate
    assert await _status("CP1", _client_context(other.ca_certificate_path)) == 101
    await hass.config_entries.async_unload(entry.entry_id)
