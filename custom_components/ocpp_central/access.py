"""Which connections a central system lets in, and how chargers get their credentials.

The checks themselves are in `security`; this is the central system's side: the verdict on
each handshake, the proof a charger gives by reconnecting with new credentials (what the
upgrade wizard waits for), passwords sent to chargers, and the repair issue that says
plainly when approved chargers connect without any authentication.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from typing import Final

from homeassistant.helpers import issue_registry as ir

from .const import CONF_HOST, DOMAIN, LOGGER
from .errors import ChargerCallError, ChargerCommandError, ChargerRejectedError
from .host import ControlHost
from .model import Charger
from .protocol.base import CommandStatus, TriggerKind
from .protocol.commands import ResetKind
from .secure_port import SecurePort
from .security import (
    ChargerSecurity,
    Credentials,
    PasswordDigest,
    SecurityProfile,
    Verdict,
    accept,
    check,
    new_password,
)
from .tls import csr_common_name

INSECURE_ISSUE: Final = "insecure_chargers"
# How long a 1.6 charger on profile 0 may take to reconnect with a new password by itself
# before it is moved to profile 1.
PROOF_GRACE: Final = 5
# How long a charger has to ask for, and take, its client certificate.
CERTIFICATE_TIMEOUT: Final = 60
# 2.x: the order in which a charger tries its network connection profiles.
NETWORK_PRIORITY_KEY: Final = "OCPPCommCtrlr.NetworkConfigurationPriority"
# 1.6 chargers of the security whitepaper name their profile in this key.
SECURITY_PROFILE_KEY: Final = "SecurityProfile"
_TAKEN: Final = frozenset({CommandStatus.ACCEPTED, CommandStatus.REBOOT_REQUIRED})


def _loopback_only(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class ChargerAccess:
    """Authentication of one central system's chargers."""

    def __init__(self, host: ControlHost, secure_port: SecurePort) -> None:
        """Bind to the central system and its TLS port."""
        self._host = host
        self._secure_port = secure_port
        # Charger id -> waiters for a connection that proves a profile.
        self._proof_waiters: dict[str, list[tuple[SecurityProfile, asyncio.Future[None]]]] = {}
        # Charger id -> waiter for a signed client certificate the charger accepted.
        self._certificate_waiters: dict[str, asyncio.Future[None]] = {}
        # Chargers accepted with "protect with a password", until they are configured.
        self._protect: set[str] = set()

    def authenticate(self, credentials: Credentials) -> Verdict:
        """The verdict on a handshake (runs before the websocket upgrade)."""
        charger = self._host.chargers.get(credentials.charge_point_id)
        verdict = check(None if charger is None else charger.security, credentials)
        if charger is None and credentials.password and verdict.refusal is None:
            # A charger not approved yet, with a password its installer configured: kept
            # with the connection and adopted when the owner accepts it.
            return Verdict(verdict.profile, presented=PasswordDigest.of(credentials.password))
        return verdict

    def connected(self, charger: Charger, verdict: Verdict) -> None:
        """A connection passed the handshake and is now the charger's connection."""
        if charger.charge_point_id not in self._host.chargers:
            if verdict.presented is not None:
                charger.security = ChargerSecurity(
                    required=verdict.profile, proven=verdict.profile, password=verdict.presented
                )
            charger.security.last_profile = verdict.profile
            return
        if accept(charger.security, verdict):
            self._host.store.schedule_save()
            charger.notify()
            self.update_repair()
        waiters = self._proof_waiters.get(charger.charge_point_id, [])
        for profile, waiter in list(waiters):
            if charger.security.proven >= profile and not waiter.done():
                waiter.set_result(None)

    async def async_wait_for_proof(self, charge_point_id: str, profile: SecurityProfile) -> None:
        """Return once the charger has connected with `profile` (callers bound the wait)."""
        charger = self._host.chargers.get(charge_point_id)
        if charger is None or charger.security.proven >= profile:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (profile, waiter)
        self._proof_waiters.setdefault(charge_point_id, []).append(entry)
        try:
            await waiter
        finally:
            waiters = self._proof_waiters[charge_point_id]
            waiters.remove(entry)
            if not waiters:
                del self._proof_waiters[charge_point_id]

    async def async_give_password(self, charger: Charger) -> str:
        """Generate a password, send it to the connected charger and expect it from now on.

        Raises ChargerRejectedError when the charger refuses it (then nothing changes), and
        the command errors when it is not connected or does not answer. Until the charger
        reconnects with the new password, it may still connect as before.
        """
        session = self._host.accepted_session(charger.charge_point_id)
        password = new_password()
        status = await session.adapter.set_password(password)
        if status not in _TAKEN:
            raise ChargerRejectedError(status.value)
        self.password_set(charger, password)
        profile = charger.configuration.get(SECURITY_PROFILE_KEY)
        if profile is None or profile.value != str(int(SecurityProfile.NONE)):
            return password
        # A 1.6 charger on profile 0 ignores its password until it is told to use profile 1,
        # which it does after a restart (security whitepaper A02). One that reconnects with
        # the password at once was on profile 1 already, whatever its key said.
        try:
            async with asyncio.timeout(PROOF_GRACE):
                await self.async_wait_for_proof(charger.charge_point_id, SecurityProfile.BASIC_AUTH)
        except TimeoutError:
            session = self._host.accepted_session(charger.charge_point_id)
            answer = await session.adapter.set_security_profile(
                int(SecurityProfile.BASIC_AUTH), "", None
            )
            if answer in _TAKEN:
                session.restart_requested()
                await session.adapter.reset(ResetKind.HARD)
        return password

    async def async_move_to_tls(self, charger: Charger) -> None:
        """Have a charger with a proven password connect over TLS (profile 2) from its restart.

        The charger gets our root certificate (unless the user supplies the server's own
        certificate) and the wss URL (2.x SetNetworkProfile; 1.6 chargers take it in their
        own settings), then restarts. The password stays enforced until the charger connects
        over TLS. Returns whether the charger took the root certificate. Raises
        ChargerRejectedError when it refuses the new profile (then nothing changed).
        """
        url = self._secure_port.url()
        if url is None or charger.security.proven < SecurityProfile.BASIC_AUTH:
            raise ChargerRejectedError("NotReady")
        session = self._host.accepted_session(charger.charge_point_id)
        if not self._secure_port.uses_own_certificate:
            root = await self._secure_port.async_root_certificate()
            try:
                status = await session.adapter.install_root_certificate(root)
            except ChargerCallError as err:
                status = CommandStatus.NOT_SUPPORTED
                LOGGER.debug("Charger %s: InstallCertificate: %s", charger.charge_point_id, err)
            if status not in _TAKEN:
                LOGGER.info(
                    "Charger %s did not install our root certificate (%s); install it by hand",
                    charger.charge_point_id,
                    status,
                )
        await self._raise_profile(charger, SecurityProfile.TLS_BASIC_AUTH, url)

    async def async_move_to_client_certificate(self, charger: Charger) -> None:
        """Give a charger on TLS a client certificate, then make it use it (profile 3).

        Raises TimeoutError when the charger sends no certificate request or does not take
        the signed certificate, ChargerRejectedError when it refuses.
        """
        url = self._secure_port.url()
        if url is None or charger.security.proven < SecurityProfile.TLS_BASIC_AUTH:
            raise ChargerRejectedError("NotReady")
        session = self._host.accepted_session(charger.charge_point_id)
        waiter = asyncio.get_running_loop().create_future()
        self._certificate_waiters[charger.charge_point_id] = waiter
        try:
            status = await session.adapter.trigger_message(TriggerKind.SIGN_CERTIFICATE)
            if status is not CommandStatus.ACCEPTED:
                raise ChargerRejectedError(status.value)
            async with asyncio.timeout(CERTIFICATE_TIMEOUT):
                await waiter
        finally:
            self._certificate_waiters.pop(charger.charge_point_id, None)
        await self._raise_profile(charger, SecurityProfile.TLS_CLIENT_CERTIFICATE, url)

    async def _raise_profile(self, charger: Charger, profile: SecurityProfile, url: str) -> None:
        """Tell the charger its new profile, require it, and restart the charger."""
        session = self._host.accepted_session(charger.charge_point_id)
        priority = charger.configuration.get(NETWORK_PRIORITY_KEY)
        status = await session.adapter.set_security_profile(
            int(profile), url, None if priority is None else priority.value
        )
        if status not in _TAKEN:
            raise ChargerRejectedError(status.value)
        charger.security.require(profile)
        self._saved(charger)
        session.restart_requested()
        await session.adapter.reset(ResetKind.HARD)

    def certificate_requested(self, charger: Charger, csr: str) -> bool:
        """Sign a charger's certificate request in the background if it is for this charger."""
        charge_point_id = charger.charge_point_id
        if charge_point_id not in self._host.chargers or not self._secure_port.enabled:
            return False
        if csr_common_name(csr) != charge_point_id:
            self._host.log_throttle.report(
                logging.WARNING,
                f"Charger {charge_point_id}",
                "asked for a certificate for another id",
                "refused",
            )
            return False
        self._host.entry.async_create_background_task(
            self._host.hass,
            self._sign_and_send(charger, csr),
            f"ocpp_central {charge_point_id} certificate",
        )
        return True

    async def _sign_and_send(self, charger: Charger, csr: str) -> None:
        charge_point_id = charger.charge_point_id
        try:
            chain = await self._host.hass.async_add_executor_job(
                self._secure_port.authority.sign_request, csr, charge_point_id
            )
            session = self._host.accepted_session(charge_point_id)
            status = await session.adapter.send_signed_certificate(chain)
        except (ValueError, ChargerCommandError) as err:
            LOGGER.warning("Charger %s got no client certificate: %s", charge_point_id, err)
            return
        if status is not CommandStatus.ACCEPTED:
            LOGGER.warning(
                "Charger %s refused its client certificate (%s)", charge_point_id, status
            )
            return
        LOGGER.info("Charger %s installed a client certificate of our authority", charge_point_id)
        waiter = self._certificate_waiters.get(charge_point_id)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def protect_when_configured(self, charge_point_id: str) -> None:
        """Give a newly accepted charger a password once it has taken our settings."""
        self._protect.add(charge_point_id)

    async def async_configured(self, charger: Charger) -> None:
        """A charger took our settings: the password promised at its acceptance goes out."""
        if charger.charge_point_id not in self._protect:
            return
        self._protect.discard(charger.charge_point_id)
        if charger.security.password is not None:
            return
        try:
            await self.async_give_password(charger)
        except ChargerCommandError as err:
            # Not every charger takes a password over OCPP; the wizard offers to type one.
            LOGGER.warning(
                "Charger %s did not take a password (%s); it connects without one",
                charger.charge_point_id,
                err,
            )

    def password_set(self, charger: Charger, password: str) -> None:
        """The charger has (or will have) this password: expect it once the charger uses it."""
        required = max(charger.security.required, SecurityProfile.BASIC_AUTH)
        charger.security.set_password(password, required=required)
        LOGGER.info("Charger %s has a new password", charger.charge_point_id)
        self._saved(charger)

    def remove_password(self, charger: Charger) -> None:
        """Back to no authentication (the wizard's rollback)."""
        charger.security.remove_password()
        LOGGER.info("Charger %s may connect without a password again", charger.charge_point_id)
        self._saved(charger)

    def _saved(self, charger: Charger) -> None:
        self._host.store.schedule_save()
        charger.notify()
        self.update_repair()

    def update_repair(self) -> None:
        """Warn while approved chargers connect without authentication to a reachable port."""
        hass = self._host.hass
        issue_id = f"{INSECURE_ISSUE}_{self._host.entry.entry_id}"
        # Asked at every boot: on loopback, answered without looking at every charger.
        unprotected = (
            []
            if _loopback_only(str(self._host.entry.data[CONF_HOST]))
            else sorted(
                charge_point_id
                for charge_point_id, charger in self._host.chargers.items()
                if charger.security.enforced is SecurityProfile.NONE
            )
        )
        if not unprotected:
            ir.async_delete_issue(hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=INSECURE_ISSUE,
            translation_placeholders={"chargers": ", ".join(unprotected)},
        )
