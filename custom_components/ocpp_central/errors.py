"""Errors of commands sent to chargers, independent of the OCPP version."""

from __future__ import annotations


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
