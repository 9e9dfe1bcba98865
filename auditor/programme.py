"""The improvement programme ("program perbaikan", SOP B1-B3) for the monthly evaluation (SOP C2): the
assigned findings with owner, due date, status (on time / late / done) and the last follow-up note.
Public entry point: `auditor.triage.programme`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from auditor.store import Store
from auditor.triage import ASSIGNED, Event, decisions, events, utc_now
from checks.base import Severity


@dataclass
class ProgrammeRow:
    site: str
    fingerprint: str
    rule: str
    severity: Severity
    title: str
    url: str
    owner: str
    due: date | None
    assigned_by: str
    assigned_at: datetime
    status: str  # "done" (the scan no longer sees it) | "late" (due date passed) | "on_time"
    last_note: Event | None


def build_programme(store: Store, site: str, month: str | None = None,
                    now: datetime | None = None) -> list[ProgrammeRow]:
    """Assigned findings with owner, due date, status and last note, as they stood at the end of `month`
    ("YYYY-MM"; default: now). Findings done before the month began are left out. Most urgent first."""
    when = utc_now(now)
    start = None
    if month:
        from reports.periods import month as month_period  # the one YYYY-MM parser (InputError on bad input)

        period = month_period(month)
        start, when = period.start, min(when, period.end - timedelta(seconds=1))
    issues = {r["fingerprint"]: r for r in store.db.execute("SELECT * FROM issues WHERE site=?", (site,))}
    rows = []
    for fp, d in decisions(store, site, when).items():
        issue = issues.get(fp)
        if d.kind != ASSIGNED or issue is None or d.event is None:
            continue
        if d.fixed:
            fixed = [e for e in events(store, site, fp, kinds=("fixed",)) if e.at <= when]
            if start and fixed and fixed[-1].at < start:
                continue
            status = "done"
        else:
            status = "late" if d.due and when.date() > d.due else "on_time"
        rows.append(ProgrammeRow(site, fp, issue["rule"], Severity.parse(issue["severity"]), issue["title"],
                                 issue["url"] or "", d.owner, d.due, d.actor, d.event.at, status, d.last_note))
    order = {"late": 0, "on_time": 1, "done": 2}
    rows.sort(key=lambda r: (order[r.status], r.due or date.max, -r.severity, r.rule))
    return rows
