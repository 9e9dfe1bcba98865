"""What the monthly report says, computed from the store (no HTML here).

Counts per area compare the open findings at the end of the previous month (the baseline) with those at
the end of this month: *new* = open now but not then, *still open* = open then and now, *fixed* = open then
or seen during the month, and no longer open. Informational findings are listed but never counted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from auditor import contentlog
from auditor.store import RunRow, Store, StoredFinding
from checks.base import Severity
from reports import decisions as dec
from reports import estimate as estimate_mod
from reports.history import History, aware, load_history, when_of
from reports.periods import Period
from reports.policy import AREA_ROLE, AREAS, DUE_DAYS, OTHER, Score, area_of, score

TOP_PER_AREA = 5  # important findings shown per area
MAX_FOLLOWUPS = 60
MAX_LOG_ROWS = 80
EVIDENCE_CHARS = 240


@dataclass
class FindingRow:
    severity: Severity
    rule: str
    area: str
    title: str
    url: str
    evidence: str
    remediation: str
    state: str  # "new" | "open" | "reopened"
    first_seen: datetime | None
    who: str  # a name from the approved list, or "" (then the template shows the role for the area)
    due: datetime | None
    overdue: bool


@dataclass
class AreaRow:
    area: str
    checked: str | None  # "ok" | "error" | "skipped" | None (no check of this area ran in the period)
    checked_why: str = ""  # for "error"/"skipped": which check and why
    before: int = 0
    new: int = 0
    still_open: int = 0
    fixed: int = 0
    reopened: int = 0
    open_end: int = 0
    by_severity: dict[str, int] = field(default_factory=dict)
    top: list[FindingRow] = field(default_factory=list)
    info: int = 0


@dataclass
class Coverage:
    runs: int = 0
    failed_runs: int = 0
    first: datetime | None = None
    last: datetime | None = None
    pages: int = 0
    documents: int = 0
    max_pages: int = 0
    check_errors: list[tuple[str, str]] = field(default_factory=list)  # (check, error), deduplicated
    check_skipped: list[tuple[str, str]] = field(default_factory=list)  # (check, reason)
    checks_run: list[str] = field(default_factory=list)


@dataclass
class GateLine:
    """One pre-publish gate of the month (SOP B3-B5), for the development section."""

    created: datetime
    passed: bool
    reachable: bool
    fail_on: str
    introduced: int
    blocking: int  # introduced at or above fail_on
    fixed: int
    unchanged: int
    pages_added: int
    pages_removed: int
    record_html: str | None  # file names in the report folder, when written
    record_pdf: str | None

    @property
    def record_stem(self) -> str:
        return (self.record_pdf or self.record_html or "").rsplit(".", 1)[0]

    @property
    def verdict(self) -> str:
        return "tidak_dinilai" if not self.reachable else "lulus" if self.passed else "tidak_lulus"


@dataclass
class MonthData:
    period: Period
    site: str
    url: str
    lang: str
    coverage: Coverage
    score: Score
    previous_score: Score
    areas: list[AreaRow]
    followups: list[FindingRow]
    followups_more: int
    open_by_severity: dict[str, int]
    totals: dict[str, int]
    facts: dict[str, Any]  # check name -> facts from the newest run of the month
    facts_when: dict[str, datetime]
    content_items: list[dict[str, Any]]
    content_list: dict[str, Any] | None
    compliance: float | None
    content_log: contentlog.ContentLog | None
    content_log_error: str | None
    notes: list[str] = field(default_factory=list)
    gates: list[GateLine] = field(default_factory=list)
    gates_error: str | None = None
    # triage (issue 18): "Keputusan atas temuan" and the improvement programme (SOP C2)
    decisions: list[dec.DecisionRow] = field(default_factory=list)
    suppressed: int = 0  # open findings left out of the score by a decision
    programme: list[Any] = field(default_factory=list)  # auditor.triage.ProgrammeRow
    estimate: estimate_mod.Estimate | None = None  # "Perkiraan indikator keterbukaan informasi pada situs"

    @property
    def has_runs(self) -> bool:
        return self.coverage.runs > 0


def counted(sf: StoredFinding) -> bool:
    return sf.finding.severity > Severity.INFO


def _short(text: str, n: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def responsible_by_item(content_facts: Any) -> dict[str, str]:
    items = content_facts.get("items") if isinstance(content_facts, dict) else None
    return {str(i.get("id")): str(i.get("responsible")) for i in items or []
            if isinstance(i, dict) and i.get("responsible")}


def finding_row(sf: StoredFinding, hist: History, lang: str, state: str, end: datetime,
                responsible: dict[str, str], decided: dict[str, Any] | None = None) -> FindingRow:
    f = sf.finding
    title, remediation = f.localized(lang)
    ep = hist.current_episode(sf.fingerprint, end)
    opened = ep.opened if ep else None
    due = opened + timedelta(days=DUE_DAYS[f.severity]) if opened else None
    item = f.data.get("item") if isinstance(f.data, dict) else None
    who = responsible.get(str(item), "") if item is not None else ""
    owner, owner_due = dec.assignment((decided or {}).get(sf.fingerprint))
    if owner:  # an assignment (ppid-audit triage --assign) names the real owner and due date
        who, due = owner, owner_due
    return FindingRow(f.severity, f.rule, area_of(f.rule), _short(title, 300), f.url,
                      _short(f.evidence, EVIDENCE_CHARS), _short(remediation, 600), state, opened,
                      who, due, bool(due and due < end))


def coverage(store: Store, hist: History, period: Period) -> Coverage:
    runs = hist.runs_in(period.start, period.end)
    cov = Coverage(runs=len(runs))
    every = store.runs(site=hist.site, since=period.start, until=period.end, status=None, kind="scan")
    cov.failed_runs = sum(1 for r in every if r.status != "complete" and r.status != "running")
    if runs:
        cov.first, cov.last = aware(runs[0].run.started), aware(runs[-1].run.started)
        cov.pages, cov.documents = runs[-1].run.pages, runs[-1].run.documents
        cov.max_pages = max(r.run.pages for r in runs)
    errors: dict[str, str] = {}
    skipped: dict[str, str] = {}
    names: set[str] = set()
    for r in runs:
        for c in r.checks:
            names.add(c.name)
            if c.status == "error":
                errors.setdefault(c.name, _short(c.error or "", 160))
            elif c.status == "skipped":
                skipped.setdefault(c.name, _short(c.error or "", 160))
    cov.check_errors = sorted(errors.items())
    cov.check_skipped = sorted(skipped.items())
    cov.checks_run = sorted(names)
    return cov


def area_rows(hist: History, period: Period, lang: str, responsible: dict[str, str],
              decided: dict[str, Any] | None = None) -> tuple[list[AreaRow], list[FindingRow], dict[str, StoredFinding]]:
    """Per-area counts and the follow-up rows. `decided`: triage decisions at the period end; the findings
    they suppress are left out of every count (one set for the whole table, so nothing looks "fixed")."""
    start, end = period.start, period.end
    hide = dec.hidden(decided or {})
    before = {fp: sf for fp, sf in hist.open_at(start).items() if counted(sf) and fp not in hide}
    after_all = hist.open_at(end)
    after = {fp: sf for fp, sf in after_all.items() if counted(sf) and fp not in hide}
    seen = {fp: sf for fp, sf in hist.seen_in(start, end).items() if counted(sf) and fp not in hide}
    reopened = {e.fingerprint for e in hist.reopened_in(start, end)}
    checked = hist.area_status(start, end)

    def new_row(area: str) -> AreaRow:
        status, why = checked.get(area, (None, ""))
        return AreaRow(area, status, _short(why, 160))

    rows = {a: new_row(a) for a in AREAS}
    followups: list[FindingRow] = []
    for fp, sf in after.items():
        area = area_of(sf.finding.rule)
        row = rows.get(area) or rows.setdefault(area, new_row(area))
        row.open_end += 1
        row.by_severity[sf.finding.severity.label] = row.by_severity.get(sf.finding.severity.label, 0) + 1
        state = "reopened" if fp in reopened else ("open" if fp in before else "new")
        if fp in before:
            row.still_open += 1
        else:
            row.new += 1
        followups.append(finding_row(sf, hist, lang, state, end, responsible, decided))
    for sf in after_all.values():
        if not counted(sf):
            rows.setdefault(area_of(sf.finding.rule), new_row(area_of(sf.finding.rule))).info += 1
    for fp, sf in {**seen, **before}.items():
        row = rows.setdefault(area_of(sf.finding.rule), new_row(area_of(sf.finding.rule)))
        if fp in before:
            row.before += 1
        if fp not in after:
            row.fixed += 1
        if fp in reopened:
            row.reopened += 1
    followups.sort(key=lambda r: (-r.severity, r.area, r.rule, r.url))
    for row in rows.values():
        row.top = [f for f in followups if f.area == row.area][:TOP_PER_AREA]
    ordered = [rows[a] for a in AREAS] + ([rows[OTHER]] if OTHER in rows else [])
    return ordered, followups, before


def content_items(facts: Any) -> tuple[list[dict[str, Any]], float | None]:
    items = [i for i in (facts.get("items") or []) if isinstance(i, dict)] if isinstance(facts, dict) else []
    statuses = Counter(str(i.get("status")) for i in items)
    due = sum(statuses[s] for s in ("ok", "stale", "missing", "unknown"))
    return items, (statuses["ok"] / due if due else None)


def build_month(cfg: Any, store: Store, site: Any, period: Period, lang: str,
                hist: History | None = None) -> MonthData:
    hist = hist or load_history(store, site.name, period.end)
    latest = hist.latest_facts(store, period.start, period.end)
    facts = {name: f for name, (_run, f) in latest.items()}
    facts_when = {name: when_of(run) for name, (run, _f) in latest.items()}
    content_facts: Any = facts.get("content")
    responsible = responsible_by_item(content_facts)
    cov = coverage(store, hist, period)
    open_end = hist.open_at(period.end)
    decided = dec.as_of(store, site.name, dec.moment(period), open_end)
    areas, followups, _before = area_rows(hist, period, lang, responsible, decided)
    # the previous score as the previous month's report showed it (its own decisions)
    hide_start = dec.hidden(dec.as_of(store, site.name, period.start - timedelta(seconds=1)))
    before = {fp: sf for fp, sf in hist.open_at(period.start).items() if counted(sf) and fp not in hide_start}
    open_sev = Counter(f.severity.label for f in followups)
    prev_runs = [r for r in hist.records if aware(r.run.started) < period.start]
    items, compliance = content_items(content_facts)
    log, log_error = None, None
    if cov.runs:
        try:
            log = contentlog.load_log(store, start=period.start, end=period.end, site=site.name)
        except Exception as exc:  # the log is one section; the rest of the report must still come out
            log_error = f"{type(exc).__name__}: {exc}"
    gates, gates_error = [], None
    try:
        gates = gate_lines(store, site.name, period, cfg.resolve(cfg.reports.output_dir))
    except Exception as exc:  # one section; the rest of the report must still come out
        gates_error = f"{type(exc).__name__}: {exc}"
    totals = {k: sum(getattr(a, k) for a in areas) for k in ("before", "new", "still_open", "fixed",
                                                               "reopened", "open_end")}
    content_list = content_facts.get("list") if isinstance(content_facts, dict) else None
    return MonthData(
        period=period, site=site.name, url=site.url, lang=lang, coverage=cov,
        score=score((f.severity for f in followups), scored=cov.runs > 0),
        previous_score=score((sf.finding.severity for sf in before.values()), scored=bool(prev_runs)),
        areas=areas, followups=followups[:MAX_FOLLOWUPS], followups_more=max(0, len(followups) - MAX_FOLLOWUPS),
        open_by_severity=dict(open_sev), totals=totals, facts=facts, facts_when=facts_when,
        content_items=items, content_list=content_list if isinstance(content_list, dict) else None,
        compliance=compliance, content_log=log, content_log_error=log_error, gates=gates, gates_error=gates_error,
        decisions=dec.decision_rows(decided, {fp: sf for fp, sf in open_end.items() if counted(sf)}, lang),
        suppressed=sum(1 for fp, sf in open_end.items() if counted(sf) and fp in dec.hidden(decided)),
        programme=programme_rows(store, site.name, period),
        estimate=estimate_mod.build(facts))


def programme_rows(store: Store, site: str, period: Period) -> list[Any]:
    """The improvement programme as it stood at the month's end (auditor.triage.programme)."""
    from auditor import triage

    return triage.programme(store, site, period.key, now=period.end)


def _sev(value: Any) -> Severity:
    try:
        return Severity.parse(value)
    except ValueError:
        return Severity.HIGH  # the gate's default threshold


def gate_lines(store: Store, site: str, period: Period, out_dir: Path) -> list[GateLine]:
    """The month's gate records, oldest first, with the Berita Acara files found in the report folder."""
    from reports.gate import file_stem  # reports.gate is the writer; this only needs its file names

    lines = []
    for g in store.gates(site=site, since=period.start, until=period.end):
        summary = g.get("summary") if isinstance(g.get("summary"), dict) else {}
        fail_on = _sev(g.get("fail_on"))
        introduced = [f for f in summary.get("introduced") or [] if isinstance(f, dict)]
        stem = file_stem(site, g["created"])
        stored = {Path(f).suffix.lstrip("."): Path(f) for f in g.get("files") or []}

        def found(ext: str, _stem: str = stem, _stored: dict[str, Path] = stored) -> str | None:
            # linked by name: the monthly report lives in the same folder as the Berita Acara
            if (out_dir / f"{_stem}.{ext}").is_file():
                return f"{_stem}.{ext}"
            path = _stored.get(ext)
            return path.name if path and path.parent == out_dir and path.is_file() else None

        lines.append(GateLine(
            created=aware(g["created"]), passed=bool(g.get("passed")),
            reachable=summary.get("staging_reachable", True) is not False, fail_on=fail_on.label,
            introduced=len(introduced), blocking=sum(1 for f in introduced if _sev(f.get("severity")) >= fail_on),
            fixed=len(summary.get("fixed") or []), unchanged=int(summary.get("unchanged") or 0),
            pages_added=len(summary.get("pages_added") or []), pages_removed=len(summary.get("pages_removed") or []),
            record_html=found("html"), record_pdf=found("pdf")))
    return lines


def role_key(area: str) -> str:
    return AREA_ROLE.get(area, AREA_ROLE[OTHER])


def run_label(run: RunRow) -> str:
    return aware(run.started).strftime("%Y-%m-%d %H:%M UTC")
