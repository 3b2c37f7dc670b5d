"""The security wizard of the options: move one charger from profile 0 up to 3, one step at a time.

Each step changes the charger, then waits for it to reconnect the new way; what it requires
is enforced only once the charger has done so (see `security`), so a charger that does not
follow is never locked out. The outcome is shown at the end: done, or not yet (with what
the installer can do by hand).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .const import CONF_TRANSFER_URL
from .errors import ChargerCommandError, ChargerNotConnectedError, ChargerRejectedError
from .model import Charger
from .security import SecurityProfile, valid_password
from .transfer import ROOT_CERTIFICATE_PATH, known_base_url

if TYPE_CHECKING:
    from .central import CentralSystem

# The forms' fields; how long the wizard waits for a charger to come back the new way (a
# profile change includes a restart).
CONF_CHARGER: Final = "charger"
CONF_PASSWORD: Final = "password"
PASSWORD_PROOF_TIMEOUT: Final = 90
PROFILE_PROOF_TIMEOUT: Final = 180


@dataclass(slots=True)
class Outcome:
    """What a wizard step achieved."""

    proven: bool
    password: str | None = None


def charger_label(charger: Charger) -> str:
    """A charger as a list shows it: its model or vendor, and its id."""
    name = charger.info.model or charger.info.vendor
    return f"{name} ({charger.charge_point_id})" if name else charger.charge_point_id


class SecuritySteps(OptionsFlow):
    """The options flow's security steps."""

    def __init__(self) -> None:
        """No charger chosen yet."""
        self._securing: str | None = None
        self._task: asyncio.Task[Outcome] | None = None
        self._outcome: Outcome | None = None
        self._failure: str | None = None

    def _central(self) -> CentralSystem | None:
        return getattr(self.config_entry, "runtime_data", None)

    def _secured_charger(self) -> Charger | None:
        central = self._central()
        if central is None or self._securing is None:
            return None
        return central.chargers.get(self._securing)

    def _unchanged(self) -> ConfigFlowResult:
        """End the flow; the options stay as they are (security lives with the charger)."""
        return self.async_create_entry(data=dict(self.config_entry.options))

    async def async_step_security(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the charger whose connection to protect."""
        central = self._central()
        if central is None or not central.chargers:
            return self.async_abort(reason="no_chargers")
        if user_input is not None:
            self._securing = user_input[CONF_CHARGER]
            return await self.async_step_charger_security()
        choices = [
            SelectOptionDict(value=charge_point_id, label=charger_label(charger))
            for charge_point_id, charger in sorted(central.chargers.items())
        ]
        return self.async_show_form(
            step_id="security",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_CHARGER): SelectSelector(
                        SelectSelectorConfig(options=choices, mode=SelectSelectorMode.LIST)
                    )
                }
            ),
        )

    async def async_step_charger_security(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """What the charger uses now, and the next steps open to it."""
        charger = self._secured_charger()
        central = self._central()
        if charger is None or central is None:
            return self.async_abort(reason="charger_not_found")
        security = charger.security
        options = ["give_password", "enter_password"]
        tls = central.secure_port.enabled
        if tls and security.proven >= SecurityProfile.BASIC_AUTH:
            options.append("use_tls")
        if tls and security.proven >= SecurityProfile.TLS_BASIC_AUTH:
            options.append("use_certificate")
        if security.password is not None:
            options.append("remove_password")
        last = security.last_profile
        return self.async_show_menu(
            step_id="charger_security",
            menu_options=options,
            description_placeholders={
                "charger": charger.charge_point_id,
                "last_profile": "-" if last is None else str(int(last)),
                "required": str(int(security.required)),
                "enforced": str(int(security.enforced)),
            },
        )

    # --- steps that wait for the charger ------------------------------------------------------

    async def _progress(
        self,
        step_id: str,
        work: Callable[[Charger, CentralSystem], Coroutine[Any, Any, Outcome]],
        refused: str,
    ) -> ConfigFlowResult:
        """Run `work` as a progress step; then show its outcome or why it failed."""
        if self._task is None:
            charger, central = self._secured_charger(), self._central()
            if charger is None or central is None:
                return self.async_abort(reason="charger_not_found")
            self._task = self.hass.async_create_task(work(charger, central))
        if not self._task.done():
            return self.async_show_progress(
                step_id=step_id, progress_action=step_id, progress_task=self._task
            )
        try:
            self._outcome = self._task.result()
        except ChargerRejectedError:
            self._failure = refused
        except ChargerCommandError:
            self._failure = "charger_not_reachable"
        except TimeoutError:
            self._failure = "certificate_not_requested"
        finally:
            self._task = None
        if self._failure is not None:
            return self.async_show_progress_done(next_step_id="step_failed")
        return self.async_show_progress_done(next_step_id=f"{step_id}_result")

    async def async_step_step_failed(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The charger did not take the change; nothing changed."""
        return self.async_abort(reason=self._failure or "charger_not_reachable")

    def _result_form(self, done: str, not_yet: str, **placeholders: str) -> ConfigFlowResult:
        proven = self._outcome is not None and self._outcome.proven
        return self.async_show_form(
            step_id=done if proven else not_yet,
            data_schema=vol.Schema({}),
            description_placeholders={"charger": self._securing or "", **placeholders},
            last_step=True,
        )

    @staticmethod
    async def _proof(central: CentralSystem, charger: Charger, profile: SecurityProfile) -> bool:
        """Whether the charger comes back with `profile` in time."""
        timeout = (
            PASSWORD_PROOF_TIMEOUT
            if profile is SecurityProfile.BASIC_AUTH
            else PROFILE_PROOF_TIMEOUT
        )
        try:
            async with asyncio.timeout(timeout):
                await central.access.async_wait_for_proof(charger.charge_point_id, profile)
        except TimeoutError:
            return False
        return True

    # Profile 1: a password.

    async def async_step_give_password(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Send a new password to the charger and wait for it to reconnect with it."""

        async def work(charger: Charger, central: CentralSystem) -> Outcome:
            if charger.charge_point_id not in central.sessions:
                raise ChargerNotConnectedError
            password = await central.access.async_give_password(charger)
            proven = await self._proof(central, charger, SecurityProfile.BASIC_AUTH)
            return Outcome(proven=proven, password=password)

        return await self._progress("give_password", work, "password_refused")

    async def async_step_give_password_result(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the password once, and whether the charger already uses it."""
        if user_input is not None or self._outcome is None:
            return self._unchanged()
        return self._result_form(
            "password_given", "password_not_yet_used", password=self._outcome.password or ""
        )

    async_step_password_given = async_step_give_password_result
    async_step_password_not_yet_used = async_step_give_password_result

    async def async_step_enter_password(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The installer set a password in the charger's own settings: type it here."""
        charger = self._secured_charger()
        central = self._central()
        if charger is None or central is None:
            return self.async_abort(reason="charger_not_found")
        errors: dict[str, str] = {}
        if user_input is not None:
            password = str(user_input[CONF_PASSWORD])
            if valid_password(password):
                central.access.password_set(charger, password)
                return self._unchanged()
            errors[CONF_PASSWORD] = "invalid_password"
        return self.async_show_form(
            step_id="enter_password",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_PASSWORD): TextSelector(
                        TextSelectorConfig(type=TextSelectorType.PASSWORD)
                    )
                }
            ),
            errors=errors,
            description_placeholders={"charger": charger.charge_point_id},
        )

    async def async_step_remove_password(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the charger connect without a password again (after a confirmation)."""
        charger = self._secured_charger()
        central = self._central()
        if charger is None or central is None:
            return self.async_abort(reason="charger_not_found")
        if user_input is not None:
            central.access.remove_password(charger)
            return self._unchanged()
        return self.async_show_form(
            step_id="remove_password",
            data_schema=vol.Schema({}),
            description_placeholders={"charger": charger.charge_point_id},
        )

    # Profile 2: TLS.

    async def async_step_use_tls(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Give the charger our root certificate and the wss address; wait for it over TLS."""

        async def work(charger: Charger, central: CentralSystem) -> Outcome:
            await central.access.async_move_to_tls(charger)
            proven = await self._proof(central, charger, SecurityProfile.TLS_BASIC_AUTH)
            return Outcome(proven=proven)

        return await self._progress("use_tls", work, "profile_refused")

    async def async_step_use_tls_result(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Connected over TLS, or what the installer must set on the charger."""
        central = self._central()
        if user_input is not None or self._outcome is None or central is None:
            return self._unchanged()
        # Without a known address, the path still tells the installer where to look.
        address = known_base_url(self.hass, self.config_entry.options.get(CONF_TRANSFER_URL))
        root_url = address + ROOT_CERTIFICATE_PATH
        return self._result_form(
            "tls_done",
            "tls_not_yet",
            url=central.secure_port.url() or "",
            root_certificate=f"{root_url}/{self.config_entry.entry_id}",
        )

    async_step_tls_done = async_step_use_tls_result
    async_step_tls_not_yet = async_step_use_tls_result

    # Profile 3: a client certificate.

    async def async_step_use_certificate(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Have the charger ask for a certificate, sign it, and wait for it to use it."""

        async def work(charger: Charger, central: CentralSystem) -> Outcome:
            await central.access.async_move_to_client_certificate(charger)
            proven = await self._proof(central, charger, SecurityProfile.TLS_CLIENT_CERTIFICATE)
            return Outcome(proven=proven)

        return await self._progress("use_certificate", work, "profile_refused")

    async def async_step_use_certificate_result(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Connected with its certificate, or not yet."""
        if user_input is not None or self._outcome is None:
            return self._unchanged()
        return self._result_form("certificate_done", "certificate_not_yet")

    async_step_certificate_done = async_step_use_certificate_result
    async_step_certificate_not_yet = async_step_use_certificate_result
