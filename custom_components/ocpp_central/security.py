"""Who may connect under a charger's id: OCPP security profiles, passwords, failed attempts.

OCPP's security profiles (1.6 security whitepaper, 2.0.1 part 2 A00):
  0: plain ws, no authentication (not in the standard; what most homes run today);
  1: plain ws, HTTP Basic auth with the charger's id and a password;
  2: wss (TLS), Basic auth;
  3: wss with a client certificate signed by our certificate authority.

The owner chooses the lowest profile a charger must use (`required`). It is enforced only
up to the profile the charger has proven by connecting with it (`proven`), so setting up a
password or TLS never locks a charger out: until it reconnects with the new credentials,
it may still connect as before.

Passwords are generated here (20 random letters and digits, about 119 bits) and stored only
as salted SHA-256 digests. A slow hash would buy nothing against secrets of that entropy,
and the check runs on the event loop for every connection of a reconnect storm.
"""

from __future__ import annotations

import base64
import binascii
from collections import deque
from dataclasses import dataclass
from enum import IntEnum, StrEnum
import hashlib
import hmac
import secrets
import string
from typing import Any, Final

PASSWORD_LENGTH: Final = 20
# OCPP's rule for Basic auth passwords (1.6 AuthorizationKey: 16-20 bytes; 2.0.1
# BasicAuthPassword: 16-40 characters).
MIN_PASSWORD_LENGTH: Final = 16
MAX_PASSWORD_LENGTH: Final = 40
_PASSWORD_ALPHABET: Final = string.ascii_letters + string.digits

# Failed authentications per address: this many within the window block the address.
MAX_FAILED_ATTEMPTS: Final = 5
FAILED_ATTEMPT_WINDOW: Final = 60.0
BLOCKED_FOR: Final = 300.0
# Addresses tracked at once (a scan from many addresses cannot grow memory without bound).
MAX_TRACKED_ADDRESSES: Final = 1024


class SecurityProfile(IntEnum):
    """How a connection was authenticated (the OCPP security profile it amounts to)."""

    NONE = 0
    BASIC_AUTH = 1
    TLS_BASIC_AUTH = 2
    TLS_CLIENT_CERTIFICATE = 3


class Refusal(StrEnum):
    """Why a connection was refused before the websocket upgrade."""

    WRONG_PASSWORD = "wrong_password"
    PASSWORD_REQUIRED = "password_required"
    TLS_REQUIRED = "tls_required"
    CERTIFICATE_REQUIRED = "certificate_required"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class PasswordDigest:
    """A stored password: salt and SHA-256 of salt + password, both hex."""

    salt: str
    digest: str

    @classmethod
    def of(cls, password: str) -> PasswordDigest:
        """Digest a password with a fresh salt."""
        salt = secrets.token_bytes(16)
        return cls(salt.hex(), _digest(salt, password))

    def matches(self, password: str) -> bool:
        """Compare in constant time; the hex form of the password counts too.

        Some 1.6 chargers send the AuthorizationKey as they got it (hex) instead of the
        password it encodes.
        """
        salt = bytes.fromhex(self.salt)
        if hmac.compare_digest(self.digest, _digest(salt, password)):
            return True
        decoded = _from_hex(password)
        return decoded is not None and hmac.compare_digest(self.digest, _digest(salt, decoded))

    def as_dict(self) -> dict[str, str]:
        """For the store."""
        return {"salt": self.salt, "digest": self.digest}

    @classmethod
    def from_dict(cls, stored: Any) -> PasswordDigest | None:
        """From the store; None when absent or malformed."""
        if isinstance(stored, dict) and {"salt", "digest"} <= stored.keys():
            return cls(str(stored["salt"]), str(stored["digest"]))
        return None


def _from_hex(text: str) -> str | None:
    """The text a hex string encodes (None when it is not hex of UTF-8 text)."""
    if len(text) % 2 or not text:
        return None
    try:
        return bytes.fromhex(text).decode()
    except ValueError:
        return None


def _digest(salt: bytes, password: str) -> str:
    return hashlib.sha256(salt + password.encode()).hexdigest()


def new_password() -> str:
    """A password every OCPP version takes: 20 letters and digits."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def valid_password(password: str) -> bool:
    """Whether a password someone typed fits OCPP's rules (16-40 printable ASCII characters)."""
    return (
        MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH
        and password.isascii()
        and password.isprintable()
        and ":" not in password
    )


def authorization_key(password: str) -> str:
    """The 1.6 AuthorizationKey value: the password's bytes, hex encoded (security whitepaper)."""
    return password.encode().hex().upper()


def basic_auth_credentials(header: str | None) -> tuple[str, str] | None:
    """(user, password) of an HTTP Basic Authorization header; None when absent or malformed."""
    if not header:
        return None
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


@dataclass(slots=True)
class ChargerSecurity:
    """A charger's credentials and the profile the owner asked for (stored)."""

    required: SecurityProfile = SecurityProfile.NONE
    # The highest profile the charger has connected with since `required` was raised.
    proven: SecurityProfile = SecurityProfile.NONE
    password: PasswordDigest | None = None
    # The password before the latest change, accepted until the charger proves the new one
    # (a charger that did not take the change still gets in).
    previous_password: PasswordDigest | None = None
    # The profile of the latest connection (what the owner sees).
    last_profile: SecurityProfile | None = None

    @property
    def enforced(self) -> SecurityProfile:
        """The lowest profile a connection must have now."""
        return min(self.required, self.proven)

    @property
    def waiting_for_proof(self) -> bool:
        """The owner raised the profile and the charger has not connected with it yet."""
        return self.proven < self.required

    def set_password(self, password: str, *, required: SecurityProfile) -> None:
        """A new password (the charger was told or will be told); proven at its next use."""
        if self.password is not None and self.proven >= SecurityProfile.BASIC_AUTH:
            self.previous_password = self.password
        self.password = PasswordDigest.of(password)
        self.required = max(required, SecurityProfile.BASIC_AUTH)
        self.proven = min(self.proven, SecurityProfile.NONE)

    def remove_password(self) -> None:
        """Back to profile 0: no password, nothing required."""
        self.required = self.proven = SecurityProfile.NONE
        self.password = self.previous_password = None

    def require(self, profile: SecurityProfile) -> None:
        """Raise (or lower) the profile the owner asks for."""
        self.required = profile
        self.proven = min(self.proven, profile)

    def as_dict(self) -> dict[str, Any]:
        """For the store."""
        return {
            "required": int(self.required),
            "proven": int(self.proven),
            "password": self.password.as_dict() if self.password else None,
            "previous_password": (
                self.previous_password.as_dict() if self.previous_password else None
            ),
            "last_profile": None if self.last_profile is None else int(self.last_profile),
        }

    @classmethod
    def from_dict(cls, stored: Any) -> ChargerSecurity:
        """From the store (an absent or damaged record is profile 0)."""
        if not isinstance(stored, dict):
            return cls()

        def profile(key: str) -> SecurityProfile:
            try:
                return SecurityProfile(int(stored.get(key) or 0))
            except ValueError:
                return SecurityProfile.NONE

        last = stored.get("last_profile")
        return cls(
            required=profile("required"),
            proven=profile("proven"),
            password=PasswordDigest.from_dict(stored.get("password")),
            previous_password=PasswordDigest.from_dict(stored.get("previous_password")),
            last_profile=None if last is None else profile("last_profile"),
        )


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a connection attempt presented."""

    charge_point_id: str
    # The Basic auth password, when the user name was the charger's id.
    password: str | None = None
    # Whether the connection is TLS, and whether it showed a client certificate of our
    # authority issued to this charger id.
    tls: bool = False
    client_certificate: bool = False


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of checking a connection attempt."""

    profile: SecurityProfile
    refusal: Refusal | None = None
    # The presented password is the charger's current one (it proves it).
    current_password: bool = False
    # The password a charger not approved yet presented (adopted when it is accepted).
    presented: PasswordDigest | None = None


def check(security: ChargerSecurity | None, credentials: Credentials) -> Verdict:
    """Decide whether a connection may go on, and what profile it amounts to.

    `security` is None for a charger not approved yet: any connection may ask for approval,
    and a password it presents is what the installer configured (adopted on approval).
    """
    tls = credentials.tls
    if credentials.client_certificate and tls:
        return Verdict(SecurityProfile.TLS_CLIENT_CERTIFICATE, current_password=False)
    password_profile = SecurityProfile.TLS_BASIC_AUTH if tls else SecurityProfile.BASIC_AUTH
    if security is None:
        profile = password_profile if credentials.password else SecurityProfile.NONE
        return Verdict(profile)
    current = False
    profile = SecurityProfile.NONE
    if credentials.password is not None and security.password is not None:
        current = security.password.matches(credentials.password)
        if current or (
            security.previous_password is not None
            and security.previous_password.matches(credentials.password)
        ):
            profile = password_profile
        else:
            return Verdict(SecurityProfile.NONE, Refusal.WRONG_PASSWORD)
    enforced = security.enforced
    if profile >= enforced:
        return Verdict(profile, current_password=current)
    if enforced >= SecurityProfile.TLS_CLIENT_CERTIFICATE:
        refusal = Refusal.CERTIFICATE_REQUIRED
    elif enforced >= SecurityProfile.TLS_BASIC_AUTH and not tls:
        refusal = Refusal.TLS_REQUIRED
    else:
        refusal = Refusal.PASSWORD_REQUIRED
    return Verdict(profile, refusal)


def accept(security: ChargerSecurity, verdict: Verdict) -> bool:
    """Record an accepted connection's proof; True when something worth saving changed."""
    changed = security.last_profile != verdict.profile
    security.last_profile = verdict.profile
    proves = verdict.profile >= SecurityProfile.TLS_CLIENT_CERTIFICATE or verdict.current_password
    if proves and verdict.profile > security.proven:
        security.proven = verdict.profile
        changed = True
    if verdict.current_password and security.previous_password is not None:
        # The charger uses the new password: the old one stops working.
        security.previous_password = None
        changed = True
    return changed


class FailedAttempts:
    """Failed authentications per address; too many in a minute block the address."""

    def __init__(self) -> None:
        """Nothing failed yet."""
        self._failures: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}

    def blocked(self, address: str, now: float) -> bool:
        """Whether attempts from this address are refused without a check."""
        until = self._blocked_until.get(address)
        if until is None:
            return False
        if now < until:
            return True
        del self._blocked_until[address]
        return False

    def failed(self, address: str, now: float) -> bool:
        """Count a failure; True when it blocked the address."""
        failures = self._failures.get(address)
        if failures is None:
            if len(self._failures) >= MAX_TRACKED_ADDRESSES:
                # Forget the address that failed longest ago.
                del self._failures[next(iter(self._failures))]
            failures = self._failures[address] = deque(maxlen=MAX_FAILED_ATTEMPTS)
        failures.append(now)
        if len(failures) == MAX_FAILED_ATTEMPTS and now - failures[0] <= FAILED_ATTEMPT_WINDOW:
            del self._failures[address]
            self._blocked_until[address] = now + BLOCKED_FOR
            if len(self._blocked_until) > MAX_TRACKED_ADDRESSES:
                del self._blocked_until[next(iter(self._blocked_until))]
            return True
        return False

    def succeeded(self, address: str) -> None:
        """An address authenticated: its earlier failures no longer count."""
        self._failures.pop(address, None)
