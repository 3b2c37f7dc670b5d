"""OCPP 1.6 implementation of the version-neutral command set (`commands.ChargerCommands`)."""

from __future__ import annotations


class V16Commands:
    """Mixin for the 1.6 adapter; uses `self.request` (CallerMixin) to send calls."""
