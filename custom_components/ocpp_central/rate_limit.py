"""A token bucket: how long to wait before handling the next message of a flooding charger."""

from __future__ import annotations

from typing import Final

# A burst of this many seconds' worth of messages passes without delay (a boot, a session
# start and an offline replay come in bursts).
BURST_SECONDS: Final = 5.0


class MessageRate:
    """Messages per second of one connection; `delay` says how long to hold the next one."""

    def __init__(self, per_second: float) -> None:
        """`per_second` 0 or less: no limit."""
        self._rate = per_second
        self._capacity = max(1.0, per_second * BURST_SECONDS)
        self._tokens = self._capacity
        self._updated: float | None = None

    def delay(self, now: float) -> float:
        """Take one message; the seconds to wait before handling it (0: at once)."""
        if self._rate <= 0:
            return 0.0
        if self._updated is not None:
            self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
        self._updated = now
        self._tokens -= 1.0
        if self._tokens >= 0:
            return 0.0
        return -self._tokens / self._rate
