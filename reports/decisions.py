"""Triage decisions as the reports see them (auditor/triage.py; docs/triage.md).

A report replays the decision log up to the end of its period, like it replays the runs: a false positive
and an accepted risk that has not expired by then are left out of the score, the status, the per-area
counts and the follow-up table, and are listed instead in "Keputusan atas temuan" with the reason, who
decided and the expiry. An acceptance that expired in the period counts again and is listed as
"penerimaan risiko berakhir". An assignment puts the real owner and due date in the follow-up table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from auditor import triage
from auditor.store import Store, StoredFinding
from checks.base import Severity
from reports.periods import Period
from reports.policy import area_of


def moment(period: Period) -> datetime:
    """The last instant inside the period: decisions are taken as they stood then."""
    return period.end - timedelta(seconds=1)


def as_of(store: Store, site: str, when: datetime,
          findings: dict[str, StoredFinding] | None = None) -> dict[str, triage.Decision]:
    """fingerprint -> decision at `when`, with the evidence change flag for the given findings."""
    evidence = {fp: sf.finding.evidence for fp, sf in (findings or {}).items()}
    return triage.decisions(store, site, when, evidence=evidence)


def hidden(decided: dict[str, triage.Decision]) -> set[str]:
    """Fingerprints suppressed at that moment (false positive, unexpired accepted risk)."""
    return {fp for fp, d in decided.items() if d.suppressed}


def unsuppressed(store: Store, site: str, period: Period, findings: list[StoredFinding]) -> list[StoredFinding]:
    """The findings that still count at the end of the period."""
    out = hidden(as_of(store, site, moment(period)))
    return [sf for sf in findings if sf.fingerprint not in out]


@dataclass
class DecisionRow:
    """One line of "Keputusan atas temuan"."""

    fingerprint: str
    severity: Severity
    rule: str
    area: str
    title: str
    url: str
    kind: str  # false_positive | accepted | accepted_expired | reopened (an old acceptance, not re-applied)
    reason: str
    by: str
    at: datetime | None
    until: date | None
    evidence_changed: bool


def decision_rows(decided: dict[str, triage.Decision], open_end: dict[str, StoredFinding],
                  lang: str) -> list[DecisionRow]:
    """False positives and accepted risks (expired ones too) among the findings open at the period end."""
    rows = []
    for fp, sf in open_end.items():
        d = decided.get(fp)
        if d is not None and d.kind is None and d.previous and d.previous.kind == triage.ACCEPTED:
            d, kind = d.previous, "reopened"  # came back after a fix: the old acceptance is shown, not applied
        elif d is None or d.kind not in (triage.FALSE_POSITIVE, triage.ACCEPTED):
            continue
        else:
            kind = d.label
        title, _ = sf.finding.localized(lang)
        rows.append(DecisionRow(fp, sf.finding.severity, sf.finding.rule, area_of(sf.finding.rule), title[:300],
                                sf.finding.url, kind, d.reason, d.actor, d.at, d.until, d.evidence_changed))
    order = {"accepted_expired": 0, "reopened": 1, "accepted": 2, "false_positive": 3}
    rows.sort(key=lambda r: (order[r.kind], -r.severity, r.rule, r.url))
    return rows


def half_counts(store: Store, site: str, period: Period) -> dict[str, int]:
    """Decisions made in the half (by kind, undone ones left out) and acceptances that expired in it."""
    log = triage.events(store, site)
    undone = {e.undo_of for e in log if e.kind == triage.UNDO}
    counts: Counter[str] = Counter()
    for e in log:
        if e.id in undone or e.kind not in triage.ACTIONS:
            continue
        if period.start <= e.at < period.end:
            counts[e.kind] += 1
        # the day after `until` the risk counts again: an expiry of the half when that day falls in it
        if e.kind == triage.ACCEPTED and e.until and \
                period.start.date() <= e.until + timedelta(days=1) < period.end.date():
            day_after = datetime.combine(e.until + timedelta(days=1), datetime.min.time(), tzinfo=period.start.tzinfo)
            d = triage.current_decision(store, site, e.fingerprint, now=day_after)
            if d.expired and d.event is not None and d.event.id == e.id:  # still the decision when it ran out
                counts["expired"] += 1
    return {k: counts.get(k, 0) for k in (*triage.ACTIONS, "expired")}


def assignment(d: triage.Decision | None) -> tuple[str, datetime | None]:
    """(owner, last second of the due day) of an assigned finding, else ("", None)."""
    if d is None or d.kind != triage.ASSIGNED or not d.owner:
        return "", None
    due = datetime.combine(d.due, datetime.max.time().replace(microsecond=0), tzinfo=UTC) if d.due else None
    return d.owner, due


def json_rows(rows: list[DecisionRow]) -> list[dict[str, Any]]:
    return [{"fingerprint": r.fingerprint, "rule": r.rule, "severity": r.severity.label, "decision": r.kind,
             "reason": r.reason, "by": r.by, "at": r.at.isoformat(timespec="seconds") if r.at else None,
             "until": r.until.isoformat() if r.until else None, "evidence_changed": r.evidence_changed}
            for r in rows]
