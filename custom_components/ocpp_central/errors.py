"""Errors of commands sent to chargers, and their one translation into HA errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from homeassistant.exceptions import HomeAssistantError

from .const import DOMAIN


class ChargerCommandError(Exception):
    """A command to a charger did not complete."""


class ChargerNotConnectedError(ChargerCommandError):
    """The charger is not connected (or the connection closed while waiting)."""


class ChargerTimeoutError(ChargerCommandError):
    """The charger did not answer in time."""


class ChargerCallError(ChargerCommandError):
    """The charger answered with a CALLERROR."""

    def __init__(self, code: str, description: str) -> None:
        """Keep the charger's error code and description."""
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description


class ChargerRejectedError(ChargerCommandError):
    """The charger answered, but refused (any status other than the command's success)."""

    def __init__(self, status: str) -> None:
        """Keep the charger's answer."""
        super().__init__(status)
        self.status = status


@contextmanager
def translated_errors(command: str) -> Iterator[None]:
    """Turn a failed charger command into the translated HA error the user sees."""
    try:
        yield
    except ChargerNotConnectedError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="charger_offline"
        ) from err
    except ChargerTimeoutError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_timeout",
            translation_placeholders={"command": command},
        ) from err
    except ChargerCallError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_failed",
            translation_placeholders={
                "command": command,
                "code": err.code,
                "description": err.description,
            },
        ) from err
    except ChargerRejectedError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_rejected",
            translation_placeholders={"command": command, "status": err.status},
        ) from err
