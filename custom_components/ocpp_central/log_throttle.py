"""Logging of what outsiders send, bounded: nothing sent to us may flood Home Assistant's log.

Bad frames, refused connections and handler failures are logged once per source (a charger
id or an address) and kind within a window; repeats are counted and reported with the next
line after the window. A global budget per window caps the lines of all sources together, so
a flood of new ids or addresses cannot get around the per-source limit either.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
import logging
import time
from typing import Final

from .validation import safe_text

# Ten minutes: a misbehaving charger shows up once per window with how often it misbehaved.
WINDOW_SECONDS: Final = 600.0
# Lines of all sources together per window; beyond it, one line says that logging paused.
LINES_PER_WINDOW: Final = 60
# Sources remembered at once; the least recently seen are forgotten first (an id flood must
# not grow memory either).
MAX_TRACKED: Final = 512
# Log lines quote at most this much of what was sent.
MAX_DETAIL: Final = 200


@dataclass(slots=True)
class _Episode:
    """One source and kind: when its window began and how many repeats it swallowed."""

    started: float
    suppressed: int = 0


class LogThrottle:
    """Rate-limits log lines about outside input, per (source, kind) and overall."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        window: float = WINDOW_SECONDS,
        lines_per_window: int = LINES_PER_WINDOW,
        max_tracked: int = MAX_TRACKED,
    ) -> None:
        """Log through `logger`; the limits are arguments so tests can shrink them."""
        self._logger = logger
        self._window = window
        self._lines_per_window = lines_per_window
        self._max_tracked = max_tracked
        self._episodes: OrderedDict[tuple[str, str], _Episode] = OrderedDict()
        self._budget_started = time.monotonic()
        self._budget_used = 0
        self._budget_suppressed = 0

    def report(
        self,
        level: int,
        source: str,
        kind: str,
        detail: str,
        *,
        exc_info: BaseException | None = None,
    ) -> bool:
        """Log `source` sent `kind` (with `detail`) unless throttled; return whether logged.

        `exc_info` adds a traceback, for failures of our own code, only to lines logged.
        """
        if not self._logger.isEnabledFor(level):
            return False
        now = time.monotonic()
        key = (source, kind)
        episode = self._episodes.get(key)
        repeats = 0
        if episode is not None:
            self._episodes.move_to_end(key)
            if now - episode.started < self._window:
                episode.suppressed += 1
                return False
            repeats = episode.suppressed
            episode.started, episode.suppressed = now, 0
        else:
            self._episodes[key] = _Episode(started=now)
            while len(self._episodes) > self._max_tracked:
                self._episodes.popitem(last=False)
        if not self._take_budget(now):
            return False
        message = "%s: %s (%s)"
        args: tuple[object, ...] = (
            safe_text(source, 100),
            kind,
            safe_text(detail, MAX_DETAIL),
        )
        if repeats:
            message += "; %d more times in the last %d minutes"
            args = (*args, repeats, round(self._window / 60))
        self._logger.log(level, message, *args, exc_info=exc_info)
        return True

    def _take_budget(self, now: float) -> bool:
        if now - self._budget_started >= self._window:
            if self._budget_suppressed:
                self._logger.warning(
                    "%d more reports of bad input were not logged in the last %d minutes",
                    self._budget_suppressed,
                    round(self._window / 60),
                )
            self._budget_started, self._budget_used, self._budget_suppressed = now, 0, 0
        if self._budget_used < self._lines_per_window:
            self._budget_used += 1
            return True
        if self._budget_suppressed == 0:
            self._logger.warning(
                "Too much bad input from the network; not logging more for %d minutes",
                round(self._window / 60),
            )
        self._budget_suppressed += 1
        return False
