"""Version comparison shared by the JS library matcher and the product judgement.

It follows retire.js's `isAtOrAbove` so that our verdicts on its repository data are the same as retire's:
split on `.` and `-`, compare numerically where both parts are numbers, a number beats a word (so
`1.9.0` > `1.9.0b1` and `3.0.0` > `3.0.0-rc1`), a missing part counts as 0.
"""

from __future__ import annotations

import re

_SPLIT = re.compile(r"[.\-]")


def _part(p: str | None) -> int | str:
    if p is None:
        return 0
    return int(p) if p.isdigit() else p


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as `a` is below, equal to or above `b`."""
    va, vb = _SPLIT.split(a), _SPLIT.split(b)
    for i in range(max(len(va), len(vb))):
        pa = _part(va[i] if i < len(va) else None)
        pb = _part(vb[i] if i < len(vb) else None)
        if type(pa) is not type(pb):
            return 1 if isinstance(pa, int) else -1
        if pa > pb:  # type: ignore[operator]
            return 1
        if pa < pb:  # type: ignore[operator]
            return -1
    return 0


def at_or_above(a: str, b: str) -> bool:
    return compare(a, b) >= 0


def in_cycle(version: str, cycle: str) -> bool:
    """`6.1.9` is in cycle `6.1`; `2.4.71` in `2.4`; `5` matches `5.3.1`."""
    return version == cycle or version.startswith(cycle + ".") or version.startswith(cycle + "-")


VERSION_RE = r"[0-9]+(?:\.[0-9]+)+(?:[.\-]?[a-z0-9]+)?"
