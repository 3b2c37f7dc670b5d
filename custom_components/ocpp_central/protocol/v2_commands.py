"""OCPP 2.0.1 / 2.1 implementation of the version-neutral command set."""

from __future__ import annotations


class V2Commands:
    """Mixin for the 2.x adapters; uses `self.request` and `self._call` (the version's calls)."""
