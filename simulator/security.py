"""A simulated charger's credentials: trusted roots, its client certificate, its TLS context.

Like a real charger, it trusts only the root certificates the CSMS installed (or it was
configured with), makes its own key and certificate request when asked (SignCertificate),
and uses the signed certificate for security profile 3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
import ssl
import tempfile
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Credentials:
    """What the charger holds for TLS."""

    # PEM root certificates the charger trusts for the CSMS's server certificate.
    roots: list[str] = field(default_factory=list)
    # Its key while a certificate request is open, then with the signed chain.
    pending_key: ec.EllipticCurvePrivateKey | None = None
    key: ec.EllipticCurvePrivateKey | None = None
    chain: str | None = None

    def certificate_request(self, charge_point_id: str) -> str:
        """A new key and a PEM request for a certificate with the charger id as common name."""
        self.pending_key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, charge_point_id),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "OCPP Central simulator"),
            ]
        )
        request = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(subject)
            .sign(self.pending_key, hashes.SHA256())
        )
        return request.public_bytes(serialization.Encoding.PEM).decode()

    def install_signed(self, chain: str) -> bool:
        """Take the signed chain if its first certificate matches the pending key."""
        if self.pending_key is None:
            return False
        try:
            certificate = x509.load_pem_x509_certificates(chain.encode())[0]
        except (ValueError, IndexError):
            return False
        ours = self.pending_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        theirs = certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if ours != theirs:
            return False
        self.key, self.chain, self.pending_key = self.pending_key, chain, None
        return True

    def tls_context(self, *, client_certificate: bool) -> ssl.SSLContext:
        """The client TLS context: the trusted roots, and the certificate for profile 3."""
        context = ssl.create_default_context(cadata="\n".join(self.roots) or None)
        if client_certificate and self.key is not None and self.chain is not None:
            # The ssl module loads certificates from files only.
            folder = Path(tempfile.mkdtemp(prefix="ocpp-sim-"))
            (folder / "chain.pem").write_text(self.chain)
            (folder / "key.pem").write_bytes(
                self.key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            context.load_cert_chain(folder / "chain.pem", folder / "key.pem")
        return context


def credentials_state(sim: Any) -> dict[str, Any]:
    """What a charger keeps in flash about its connection: password, profile, certificates."""
    tls: Credentials = sim.tls
    return {
        "password": sim.password,
        "security_profile": sim.security_profile,
        "secure_url": sim.secure_url,
        "roots": list(tls.roots),
        "chain": tls.chain,
        "key": None
        if tls.key is None
        else tls.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
    }


def restore_credentials(sim: Any, state: dict[str, Any]) -> None:
    """Put what `credentials_state` saved back into a simulator."""
    sim.password = state.get("password")
    sim.security_profile = int(state.get("security_profile") or 0)
    if "SecurityProfile" in sim.configuration:
        sim.configuration["SecurityProfile"].value = str(sim.security_profile)
    sim.secure_url = state.get("secure_url") or sim.secure_url
    sim.tls.roots = list(state.get("roots") or [])
    sim.tls.chain = state.get("chain")
    key = state.get("key")
    if key:
        loaded = serialization.load_pem_private_key(key.encode(), None)
        if isinstance(loaded, ec.EllipticCurvePrivateKey):
            sim.tls.key = loaded
