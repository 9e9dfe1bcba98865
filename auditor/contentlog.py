"""The content update log ("Form daftar update konten"): pages and documents added, changed and removed in a
period, derived from crawl history.

Pure functions over `(run, pages)` pairs do the work (`build_log`); `load_log` only wires the store in.
A resource counts as removed when a later run finds it gone (404/410) or no longer reachable by the
crawl; a crawl that hit its page limit can make a page look removed, which the log says in `notes`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

ACTIONS = ("added", "changed", "removed")
# Their labels are the catalogue's `content_action_*` keys (auditor/messages/content.yaml).


class RunLike(Protocol):
    id: Any
    site: str
    started: datetime


class PageLike(Protocol):
    url: str
    kind: str
    status: int | None
    sha256: str | None
    title: str | None


@dataclass(frozen=True)
class LogEntry:
    when: datetime  # start of the run that observed the change
    site: str
    url: str
    kind: str  # "page" | "document"
    action: str  # "added" | "changed" | "removed"
    title: str = ""
    run_id: str = ""

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["when"] = self.when.isoformat()
        return d


@dataclass
class ContentLog:
    start: datetime
    end: datetime  # exclusive
    entries: list[LogEntry] = field(default_factory=list)
    runs: int = 0
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {a: sum(1 for e in self.entries if e.action == a) for a in ACTIONS}

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "runs": self.runs,
                "counts": self.counts(), "entries": [e.to_json() for e in self.entries], "notes": self.notes}


def month_bounds(month: str | None, today: date | None = None) -> tuple[datetime, datetime]:
    """`YYYY-MM` -> [first day, first day of next month) in UTC; None -> the current month."""
    if month is None:
        today = today or datetime.now(UTC).date()
        y, m = today.year, today.month
    else:
        mt = re.fullmatch(r"(\d{4})-(\d{2})", month.strip())
        if not mt or not 1 <= int(mt.group(2)) <= 12:
            raise ValueError(f"--month {month}: expected YYYY-MM")
        y, m = int(mt.group(1)), int(mt.group(2))
    start = datetime(y, m, 1, tzinfo=UTC)
    end = datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=UTC)
    return start, end


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _alive(p: PageLike) -> bool:
    return p.status is not None and 200 <= p.status < 400


def diff_runs(prev: Sequence[PageLike], cur: Sequence[PageLike], *, site: str, when: datetime,
              run_id: str = "") -> list[LogEntry]:
    """What changed between two consecutive runs of one site."""
    before = {p.url: p for p in prev if _alive(p)}
    after = {p.url: p for p in cur}
    out: list[LogEntry] = []
    for url, p in after.items():
        if not _alive(p):
            continue
        old = before.get(url)
        if old is None:
            out.append(LogEntry(when, site, url, p.kind, "added", p.title or "", run_id))
        elif p.sha256 and old.sha256 and p.sha256 != old.sha256:
            out.append(LogEntry(when, site, url, p.kind, "changed", p.title or old.title or "", run_id))
    for url, old in before.items():
        now = after.get(url)
        if now is None or (now.status is not None and now.status in (404, 410)):
            out.append(LogEntry(when, site, url, old.kind, "removed", old.title or "", run_id))
    return out


def build_log(history: Iterable[tuple[RunLike, Sequence[PageLike]]], start: datetime, end: datetime) -> ContentLog:
    """`history`: complete runs with their pages, any order, any sites. Each run inside [start, end) is
    compared with the previous run of the same site (which may lie before `start`)."""
    start, end = _aware(start), _aware(end)
    log = ContentLog(start, end)
    by_site: dict[str, list[tuple[RunLike, Sequence[PageLike]]]] = {}
    for run, pages in history:
        by_site.setdefault(run.site, []).append((run, pages))
    for site, runs in by_site.items():
        runs.sort(key=lambda rp: _aware(rp[0].started))
        for (_prev_run, prev_pages), (run, pages) in zip(runs, runs[1:], strict=False):
            when = _aware(run.started)
            if not (start <= when < end):
                continue
            log.runs += 1
            log.entries += diff_runs(prev_pages, pages, site=site, when=when, run_id=str(run.id))
        first_in = [r for r, _ in runs if start <= _aware(r.started) < end]
        if first_in and runs[0][0] is first_in[0]:
            log.notes.append(f"{site}: no run before {first_in[0].started:%Y-%m-%d}; the first run in the period is "
                             "the baseline (its pages are not listed as added)")
    if log.entries and any(e.action == "removed" for e in log.entries):
        log.notes.append("'removed' also covers pages the crawl no longer reached (crawl limits, broken links)")
    log.entries.sort(key=lambda e: (e.when, e.site, e.action, e.url))
    return log


def load_log(store: Any, *, start: datetime, end: datetime, site: str | None = None) -> ContentLog:
    """The log from the store: complete runs up to `end`, plus the last run before `start` as baseline."""
    runs = store.runs(site=site, until=end, status="complete")
    keep: list[Any] = []
    by_site: dict[str, list[Any]] = {}
    for r in runs:
        by_site.setdefault(r.site, []).append(r)
    for site_runs in by_site.values():
        site_runs.sort(key=lambda r: _aware(r.started))
        before = [r for r in site_runs if _aware(r.started) < _aware(start)]
        keep += before[-1:] + [r for r in site_runs if _aware(start) <= _aware(r.started) < _aware(end)]
    return build_log(((r, store.run_pages(r.id)) for r in keep), start, end)
