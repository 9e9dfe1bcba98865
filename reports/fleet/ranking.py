"""What the fleet ranking says, computed from the store (no HTML here).

A site's score is the monthly report's score (reports.policy.score over the findings open at the end of
the month, replayed by reports.history), so a village sees the same number in its own monthly report
and in the regency's ranking. Each area cell is a short verdict plus a level (ok / warn / bad / na).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auditor.store import StoredFinding
from checks.base import Severity
from checks.facts import HeadersFacts, TlsFacts
from reports.decisions import unsuppressed
from reports.history import load_history, when_of
from reports.monthly import content_items, counted
from reports.periods import Period
from reports.policy import STATUS_ORDER, Score, score

# Which open findings count as "outdated software" in the ranking (the rest of software.* is exposure).
OUTDATED_RULES = frozenset({"software.cms.outdated", "software.cms.eol", "software.server.outdated",
                            "software.php.eol", "software.js.vulnerable"})
# Headers grade letter -> level; compliance share thresholds -> level (tables, not branches).
GRADE_LEVEL = {"A": "ok", "B": "warn", "C": "warn", "D": "bad", "F": "bad"}
COMPLIANCE_LEVELS: tuple[tuple[float, str], ...] = ((0.8, "ok"), (0.5, "warn"), (0.0, "bad"))
LEVEL_ORDER = ("ok", "warn", "bad")


@dataclass(frozen=True)
class Cell:
    text: str
    level: str  # ok | warn | bad | na


@dataclass
class FleetRow:
    site: str
    url: str
    score: Score
    runs: int
    last_scan: datetime | None
    tls: Cell
    headers: Cell
    software: Cell
    pii: Cell
    content: Cell
    open_by_severity: dict[str, int] = field(default_factory=dict)
    rank: int | None = None


@dataclass
class FleetData:
    period: Period
    rows: list[FleetRow]
    by_status: dict[str, int]
    mean_score: float | None
    not_scanned: list[str]


def _severity_level(sev: Severity | None) -> str:
    if sev is None:
        return "ok"
    return "bad" if sev >= Severity.HIGH else "warn"


def count_cell(found: list[StoredFinding], checked: bool, t: Callable[..., str]) -> Cell:
    if not checked:
        return Cell("—", "na")
    if not found:
        return Cell(t("cell_none"), "ok")
    worst = max(sf.finding.severity for sf in found)
    return Cell(t("cell_count", n=len(found), sev=t(f"sev_{worst.label}")), _severity_level(worst))


def tls_cell(open_: list[StoredFinding], facts: TlsFacts | None, checked: bool, t: Callable[..., str]) -> Cell:
    if checked and facts is not None and facts.https.available is False:
        return Cell(t("cell_no_https"), "bad")
    return count_cell([sf for sf in open_ if sf.finding.rule.startswith("tls.")], checked, t)


def headers_cell(open_: list[StoredFinding], facts: HeadersFacts | None, checked: bool,
                 t: Callable[..., str]) -> Cell:
    grade = facts.grade if facts is not None else None
    if grade is not None and grade.grade:
        return Cell(f"{grade.grade} ({grade.score if grade.score is not None else '?'})",
                    GRADE_LEVEL.get(grade.grade[:1], "warn"))
    return count_cell([sf for sf in open_ if sf.finding.rule.startswith("headers.")], checked, t)


def compliance_cell(share: float | None, checked: bool, t: Callable[..., str], fmt_percent: Callable) -> Cell:
    if share is None:
        return Cell(t("cell_no_list") if checked else "—", "na")
    level = next(lv for minimum, lv in COMPLIANCE_LEVELS if share >= minimum)
    return Cell(fmt_percent(share), level)


def rank_rows(rows: list[FleetRow]) -> list[FleetRow]:
    """Best score first; sites without a scan last. Ties share a rank (1, 2, 2, 4)."""
    rows.sort(key=lambda r: (r.score.value is None, -(r.score.value or 0),
                             STATUS_ORDER.index(r.score.status) if r.score.status in STATUS_ORDER else 9,
                             r.site))
    prev: tuple[int | None, str] | None = None
    for i, r in enumerate(rows, 1):
        if r.score.value is None:
            r.rank = None
            continue
        key = (r.score.value, r.score.status)
        r.rank = rows[i - 2].rank if prev == key else i
        prev = key
    return rows


def site_row(store: Any, site: Any, period: Period, t: Callable[..., str], fmt_percent: Callable) -> FleetRow:
    hist = load_history(store, site.name, period.end)
    runs = hist.runs_in(period.start, period.end)
    open_all = [sf for sf in hist.open_at(period.end).values() if counted(sf)]
    open_all = unsuppressed(store, site.name, period, open_all)  # false positives / accepted risks never rank
    # a column is judged only when its own check ran cleanly in the month (`links` also covers the
    # content area, but says nothing about the approved list)
    checked = {c.name: "ok" for r in runs for c in r.checks if c.status == "ok"}
    facts = hist.site_facts(store, period.start, period.end)
    _items, share = content_items(facts.content)
    sc = score((sf.finding.severity for sf in open_all), scored=bool(runs))  # = the monthly score
    sev_counts: dict[str, int] = {}
    for sf in open_all:
        sev_counts[sf.finding.severity.label] = sev_counts.get(sf.finding.severity.label, 0) + 1
    last = when_of(runs[-1].run) if runs else None
    return FleetRow(
        site=site.name, url=site.url, score=sc, runs=len(runs), last_scan=last,
        tls=tls_cell(open_all, facts.tls, checked.get("tls") == "ok", t),
        headers=headers_cell(open_all, facts.headers, checked.get("headers") == "ok", t),
        software=count_cell([sf for sf in open_all if sf.finding.rule in OUTDATED_RULES],
                             checked.get("software") == "ok", t),
        pii=count_cell([sf for sf in open_all if sf.finding.rule.startswith("pii.")],
                        checked.get("personal_data") == "ok", t),
        content=compliance_cell(share, checked.get("content") == "ok", t, fmt_percent),
        open_by_severity=sev_counts)


def build_fleet(cfg: Any, store: Any, period: Period, t: Callable[..., str], fmt_percent: Callable) -> FleetData:
    rows = []
    for site in cfg.sites:
        try:
            rows.append(site_row(store, site, period, t, fmt_percent))
        except Exception as exc:  # one site's odd history must not take the regency's table down
            na = Cell("—", "na")
            rows.append(FleetRow(site.name, site.url, score([], scored=False), 0, None, na, na, na, na,
                                 Cell(f"{type(exc).__name__}", "na")))
    rank_rows(rows)
    by_status = {s: 0 for s in (*STATUS_ORDER, "tidak_dinilai")}
    for r in rows:
        by_status[r.score.status] = by_status.get(r.score.status, 0) + 1
    scored = [r.score.value for r in rows if r.score.value is not None]
    return FleetData(period, rows, by_status, (sum(scored) / len(scored)) if scored else None,
                     [r.site for r in rows if r.score.value is None])
