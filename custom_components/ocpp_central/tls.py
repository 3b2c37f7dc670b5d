"""TLS for chargers (security profiles 2 and 3): a local certificate authority, or your own files.

The authority lives in `<config>/ocpp_central/tls/` and is created on first use: a root
certificate (the one chargers must trust; downloadable, or sent with InstallCertificate), a
server certificate for the names and addresses chargers reach Home Assistant at, and it signs
the client certificates chargers ask for (SignCertificate) for profile 3. Everything here
reads or writes files: call it in the executor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import ipaddress
import os
from pathlib import Path
import ssl
from typing import Final
import warnings

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .const import LOGGER

TLS_FOLDER: Final = "ocpp_central/tls"
_CA_NAME: Final = "OCPP Central local authority"
_CA_YEARS: Final = 20
_SERVER_YEARS: Final = 2
_CLIENT_YEARS: Final = 2
# A server certificate this close to its end is replaced at the next start.
_RENEW_BEFORE: Final = timedelta(days=60)


class TlsVersion:
    """The lowest TLS version chargers may use (option)."""

    TLS_1_2 = "tls_1_2"
    TLS_1_3 = "tls_1_3"
    # TLS 1.0 and 1.1, only for old chargers: warned about with a repair issue.
    LEGACY = "legacy"


@dataclass(frozen=True, slots=True)
class OwnCertificate:
    """Certificate and key files the user supplies instead of the local authority's."""

    certificate: Path
    key: Path


def _now() -> datetime:
    return datetime.now(UTC)


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    """Write a private key (PEM, PKCS 8) readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )


def _san_entries(hostnames: set[str]) -> list[x509.GeneralName]:
    entries: list[x509.GeneralName] = []
    for name in sorted(hostnames):
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return entries


class LocalAuthority:
    """The local certificate authority of one central system."""

    def __init__(self, folder: Path) -> None:
        """Files under `folder` (created on first use)."""
        self.folder = folder
        self.ca_certificate_path = folder / "ca.pem"
        self._ca_key_path = folder / "ca.key"
        self.server_certificate_path = folder / "server.pem"
        self.server_key_path = folder / "server.key"

    # --- the authority ------------------------------------------------------------------------

    def _ca(self) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        """Load the root certificate and key, creating them the first time."""
        if self.ca_certificate_path.is_file() and self._ca_key_path.is_file():
            certificate = x509.load_pem_x509_certificate(self.ca_certificate_path.read_bytes())
            key = serialization.load_pem_private_key(self._ca_key_path.read_bytes(), None)
            if isinstance(key, ec.EllipticCurvePrivateKey):
                return certificate, key
        LOGGER.info("Creating the local certificate authority in %s", self.folder)
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, _CA_NAME)])
        now = _now()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=365 * _CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(key, hashes.SHA256())
        )
        _write_key(self._ca_key_path, key)
        self.ca_certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        # A new authority makes every server certificate it did not sign useless.
        self.server_certificate_path.unlink(missing_ok=True)
        return certificate, key

    def root_certificate_pem(self) -> str:
        """The root certificate chargers must trust (PEM)."""
        certificate, _key = self._ca()
        return certificate.public_bytes(serialization.Encoding.PEM).decode()

    # --- the server certificate ----------------------------------------------------------------

    def ensure_server_certificate(self, hostnames: set[str]) -> None:
        """A server certificate for these names and addresses, valid for a while yet."""
        ca_certificate, ca_key = self._ca()
        if self._server_certificate_fits(ca_certificate, hostnames):
            return
        key = ec.generate_private_key(ec.SECP256R1())
        now = _now()
        first = sorted(hostnames)[0] if hostnames else "ocpp-central"
        certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, first)]))
            .issuer_name(ca_certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=365 * _SERVER_YEARS))
            .add_extension(x509.SubjectAlternativeName(_san_entries(hostnames)), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        _write_key(self.server_key_path, key)
        self.server_certificate_path.write_bytes(
            certificate.public_bytes(serialization.Encoding.PEM)
        )

    def _server_certificate_fits(self, ca: x509.Certificate, hostnames: set[str]) -> bool:
        if not (self.server_certificate_path.is_file() and self.server_key_path.is_file()):
            return False
        certificate = x509.load_pem_x509_certificate(self.server_certificate_path.read_bytes())
        if certificate.issuer != ca.subject:
            return False
        if certificate.not_valid_after_utc - _now() < _RENEW_BEFORE:
            return False
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        return set(names.value) == set(_san_entries(hostnames))

    # --- client certificates (profile 3) -------------------------------------------------------

    def sign_request(self, csr_pem: str, charge_point_id: str) -> str:
        """Sign a charger's certificate request; returns the chain (its certificate + ours).

        Raises ValueError when the request is malformed, not signed by its own key, or not
        for this charger (its common name must be the charger id, 2.0.1 A00.FR.511).
        """
        request = x509.load_pem_x509_csr(csr_pem.encode())
        if not request.is_signature_valid:
            raise ValueError("the request's signature is invalid")
        names = request.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        if [name.value for name in names] != [charge_point_id]:
            raise ValueError("the request is not for this charger id")
        ca_certificate, ca_key = self._ca()
        now = _now()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(request.subject)
            .issuer_name(ca_certificate.subject)
            .public_key(request.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=365 * _CLIENT_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        return (
            certificate.public_bytes(serialization.Encoding.PEM)
            + ca_certificate.public_bytes(serialization.Encoding.PEM)
        ).decode()


def csr_common_name(csr_pem: str) -> str | None:
    """The common name a certificate request asks for (None when it is malformed)."""
    try:
        request = x509.load_pem_x509_csr(csr_pem.encode())
    except ValueError:
        return None
    names = request.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if len(names) == 1 else None


def server_context(
    authority: LocalAuthority,
    hostnames: set[str],
    min_version: str,
    own: OwnCertificate | None = None,
) -> ssl.SSLContext:
    """The TLS context of the secure port (blocking: reads and maybe writes files).

    Client certificates are asked for but optional: profile 3 chargers present one signed by
    the local authority, profile 2 chargers authenticate with their password.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if min_version == TlsVersion.LEGACY:
        # Deprecated, and chosen explicitly for an old charger (a repair issue says so).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
        # OpenSSL refuses TLS 1.0/1.1 at its default security level.
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    elif min_version == TlsVersion.TLS_1_3:
        context.minimum_version = ssl.TLSVersion.TLSv1_3
    else:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    if own is not None:
        context.load_cert_chain(own.certificate, own.key)
    else:
        authority.ensure_server_certificate(hostnames)
        context.load_cert_chain(authority.server_certificate_path, authority.server_key_path)
    authority.root_certificate_pem()
    context.load_verify_locations(authority.ca_certificate_path)
    context.verify_mode = ssl.CERT_OPTIONAL
    return context
