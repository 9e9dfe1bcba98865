"""Clocks and due times: the injectable clock, its contained hand-over to `schedule`, and the pure
functions that say when a report is due."""

from __future__ import annotations

import datetime as _dt
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

import schedule

from auditor.config import ScheduleConfig
from reports import periods

REPORT_KINDS = ("monthly", "semiannual")


class Shutdown(BaseException):
    """Raised in the main thread when a stop cannot wait any longer; the runner marks the run incomplete."""


# -- clocks -------------------------------------------------------------------------------------------
class Clock(Protocol):
    def now(self) -> datetime: ...  # naive local wall time

    def sleep(self, seconds: float, stop: threading.Event) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now()

    def sleep(self, seconds: float, stop: threading.Event) -> None:
        stop.wait(max(0.0, seconds))  # a stop request (signal) ends the wait at once


class SimulatedClock:
    """Time moves only when the scheduler sleeps (or the test calls `advance`)."""

    def __init__(self, start: datetime):
        self.current = start

    def now(self) -> datetime:
        return self.current

    def sleep(self, seconds: float, stop: threading.Event) -> None:
        self.advance(timedelta(seconds=max(0.0, seconds)))

    def advance(self, delta: timedelta) -> None:
        self.current += delta


_SHIM_LOCK = threading.RLock()


@contextmanager
def schedule_clock(clock: Clock) -> Iterator[None]:
    """While inside, `schedule` reads `clock` instead of the system time."""

    class ClockDatetime(_dt.datetime):
        @classmethod
        def now(cls, tz: _dt.tzinfo | None = None) -> _dt.datetime:  # type: ignore[override]
            t = clock.now()
            return t if tz is None else t.astimezone(tz)

    shim = types.SimpleNamespace(**{n: getattr(_dt, n) for n in dir(_dt) if not n.startswith("__")})
    shim.datetime = ClockDatetime
    with _SHIM_LOCK:
        saved = schedule.datetime
        schedule.datetime = shim  # type: ignore[assignment]
        try:
            yield
        finally:
            schedule.datetime = saved


# -- when things are due (pure) ----------------------------------------------------------------------
@dataclass(frozen=True)
class Due:
    when: datetime  # naive local
    kind: str  # "monthly" | "semiannual"
    period: str  # "2026-05" | "2026-H1"


def at_time(day: date, hhmm: str) -> datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m)


def report_due_on(sched: ScheduleConfig, kind: str, day: date) -> Due | None:
    """The report of `kind` due on `day`, if any (for the period that ended before it)."""
    if kind == "monthly":
        hit = day.day == sched.monthly_report_day
    else:
        hit = f"{day.month:02d}-{day.day:02d}" in sched.semiannual_report_days
    return Due(at_time(day, sched.report_time), kind, periods.default_key(kind, day)) if hit else None


def latest_due(sched: ScheduleConfig, kind: str, now: datetime) -> Due | None:
    """The most recent due time <= now (within a year and a bit), or None."""
    day = now.date()
    for _ in range(400):
        due = report_due_on(sched, kind, day)
        if due and due.when <= now:
            return due
        day -= timedelta(days=1)
    return None


def report_dues_between(sched: ScheduleConfig, start: datetime, end: datetime) -> list[Due]:
    """Every report due time in (start, end], oldest first."""
    out: list[Due] = []
    day = start.date()
    while day <= end.date():
        for kind in REPORT_KINDS:
            due = report_due_on(sched, kind, day)
            if due and start < due.when <= end:
                out.append(due)
        day += timedelta(days=1)
    return out


def last_scan_time(sched: ScheduleConfig, now: datetime) -> datetime:
    """The latest nightly scan time <= now."""
    today = at_time(now.date(), sched.nightly_scan)
    return today if today <= now else today - timedelta(days=1)


