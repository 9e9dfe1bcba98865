"""Report periods: a month `YYYY-MM` or a half year `YYYY-H1|H2`, as half-open UTC intervals.

The store keeps UTC timestamps, so periods are cut in UTC (as `auditor.contentlog.month_bounds` does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from auditor.errors import InputError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_HALF = re.compile(r"^(\d{4})-[Hh]([12])$")


@dataclass(frozen=True)
class Period:
    kind: str  # "monthly" | "semiannual"
    key: str  # "2026-05" | "2026-H1"
    start: datetime
    end: datetime  # exclusive

    @property
    def months(self) -> list[Period]:
        """The months inside the period, in order (a month contains only itself)."""
        if self.kind == "monthly":
            return [self]
        first = self.start.month
        return [month(f"{self.start.year}-{m:02d}") for m in range(first, first + 6)]

    def previous(self) -> Period:
        if self.kind == "monthly":
            y, m = self.start.year, self.start.month
            return month(f"{y - (m == 1)}-{(m - 2) % 12 + 1:02d}")
        y, h = self.start.year, 1 if self.start.month == 1 else 2
        return half(f"{y - 1}-H2" if h == 1 else f"{y}-H1")


def _month_start(y: int, m: int) -> datetime:
    return datetime(y + (m - 1) // 12, (m - 1) % 12 + 1, 1, tzinfo=UTC)


def month(key: str) -> Period:
    mt = _MONTH.match(key.strip())
    if not mt or not 1 <= int(mt.group(2)) <= 12 or int(mt.group(1)) < 1970:
        raise InputError(f"--month {key}: expected YYYY-MM (e.g. 2026-05)")
    y, m = int(mt.group(1)), int(mt.group(2))
    return Period("monthly", f"{y:04d}-{m:02d}", _month_start(y, m), _month_start(y, m + 1))


def half(key: str) -> Period:
    mt = _HALF.match(key.strip())
    if not mt or int(mt.group(1)) < 1970:
        raise InputError(f"--half {key}: expected YYYY-H1 or YYYY-H2 (e.g. 2026-H1)")
    y, h = int(mt.group(1)), int(mt.group(2))
    first = 1 if h == 1 else 7
    return Period("semiannual", f"{y:04d}-H{h}", _month_start(y, first), _month_start(y, first + 6))


def parse(kind: str, key: str) -> Period:
    if kind == "monthly":
        return month(key)
    if kind == "semiannual":
        return half(key)
    raise InputError(f"unknown report kind {kind!r} (expected monthly or semiannual)")


def default_key(kind: str, today: date | None = None) -> str:
    """The last completed period: the previous month, or the previous half year."""
    today = today or datetime.now(UTC).date()
    if kind == "monthly":
        return month(f"{today.year:04d}-{today.month:02d}").previous().key
    return half(f"{today.year:04d}-H{1 if today.month <= 6 else 2}").previous().key
