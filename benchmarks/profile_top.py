"""Top entries of a py-spy raw profile (collapsed stacks), by own and by cumulative time.

``python benchmarks/profile_top.py PROFILE.txt [--top 15] [--all]``

`suite.py --py-spy DIR` writes one raw profile of Home Assistant per phase (``<N>x<S>-connect``,
``-best``, ``-noise``). Each line of such a file is ``frame;frame;...;frame COUNT`` with frames
like ``handle (custom_components/ocpp_central/server.py:123)``. Functions are keyed by name and
file (line numbers dropped); "own" counts samples in which the function is the innermost frame,
"cumulative" samples in which it is anywhere on the stack (once per sample). By default only
functions of ``custom_components/ocpp_central``, ``ocpp``, ``websockets``, ``homeassistant`` and
``asyncio`` are listed (``--all``: every function).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
import re
import sys

INTERESTING = ("ocpp_central/", "ocpp/", "websockets/", "homeassistant/", "asyncio/")
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::\d+)?\)$")
_PREFIXES = ("custom_components/", "site-packages/", "lib/python3.13/")


def short_file(path: str) -> str:
    """The path from the package on (custom_components/..., ocpp/..., asyncio/...)."""
    for prefix in _PREFIXES:
        if prefix in path:
            return path.split(prefix, 1)[1]
    return path


def key(frame: str) -> str:
    """ "function (file)" without the line number."""
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    return f"{match['func']} ({short_file(match['file'])})"


def load(path: Path) -> tuple[Counter[str], Counter[str], int]:
    """Own and cumulative sample counts per function, and the number of samples."""
    own: Counter[str] = Counter()
    cumulative: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [key(frame) for frame in stack.split(";") if frame]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for name in set(frames):
            cumulative[name] += count
    return own, cumulative, total


def report(path: Path, top: int, show_all: bool) -> str:
    """The two top lists of one profile as text."""
    own, cumulative, total = load(path)
    lines = [f"{path} ({total} samples)"]
    for title, counts in (("own", own), ("cumulative", cumulative)):
        lines.append(f"  top {top} by {title} time")
        shown = 0
        for name, count in counts.most_common():
            if not show_all and not any(part in name for part in INTERESTING):
                continue
            lines.append(f"    {100 * count / max(total, 1):5.1f} %  {name}")
            shown += 1
            if shown == top:
                break
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """Print the top lists of each profile given."""
    parser = argparse.ArgumentParser(prog="benchmarks/profile_top.py", description=__doc__)
    parser.add_argument("profiles", nargs="+", type=Path, help="py-spy --format raw files")
    parser.add_argument("--top", type=int, default=15, help="entries per list")
    parser.add_argument("--all", action="store_true", help="list every function, not a filter")
    args = parser.parse_args(argv)
    for path in args.profiles:
        print(report(path, args.top, args.all), end="\n\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
