"""What the six-monthly report says: the monthly picture for each month of the half, aggregated.

Mean time to fix is measured per episode from the replayed history (a finding that was fixed, came back
and was fixed again counts twice), over episodes whose fix falls inside the half.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from auditor.store import Store, StoredFinding
from reports import decisions as dec
from reports.history import History, load_history
from reports.monthly import MonthData, build_month, counted
from reports.periods import Period
from reports.policy import (
    AREAS,
    COMPLIANCE_TARGET,
    MTTF_TARGET_DAYS,
    OTHER,
    RECOMMEND,
    Score,
    area_of,
    score,
)


@dataclass
class AreaSummary:
    area: str
    checked: str | None
    seen: int = 0  # distinct findings seen during the half
    new: int = 0
    fixed: int = 0
    reopened: int = 0
    open_start: int = 0
    open_end: int = 0
    mttf_days: float | None = None


@dataclass
class Recurring:
    title: str
    area: str
    url: str
    severity: str
    times: int  # how often it came back during the half
    open_now: bool


@dataclass
class HalfData:
    period: Period
    site: str
    url: str
    lang: str
    months: list[MonthData]
    month_files: list[dict[str, Any]]  # key, html/pdf names and whether they exist
    areas: list[AreaSummary]
    mttf_days: float | None
    fixed_count: int
    recurring: list[Recurring]
    recommendations: list[str]  # message keys
    end: MonthData  # the last month: state at the end of the half
    score: Score  # of the open findings at the end of the half
    runs: int
    failed_runs: int
    notes: list[str] = field(default_factory=list)
    decision_counts: dict[str, int] = field(default_factory=dict)  # triage in the half (+ "expired")

    @property
    def has_runs(self) -> bool:
        return self.runs > 0

    @property
    def estimate(self) -> Any:
        """The website estimate of the half's last month that had one."""
        return next((m.estimate for m in reversed(self.months) if m.estimate is not None), None)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _recurring(hist: History, period: Period, lang: str, open_end: dict[str, StoredFinding]) -> list[Recurring]:
    last_seen: dict[str, StoredFinding] = {}
    for r in hist.records:
        last_seen.update(r.findings)
    times = Counter(e.fingerprint for e in hist.reopened_in(period.start, period.end))
    out = []
    for fp, n in times.items():
        sf = last_seen.get(fp)
        if sf is None or not counted(sf):
            continue
        title, _ = sf.finding.localized(lang)
        out.append(Recurring(title[:300], area_of(sf.finding.rule), sf.finding.url, sf.finding.severity.label,
                             n, fp in open_end))
    out.sort(key=lambda r: (-r.times, r.area, r.title))
    return out


def _recommendations(areas: list[AreaSummary], end: MonthData, months: list[MonthData],
                     mttf: float | None) -> list[str]:
    keys: list[str] = []
    sev_open: dict[str, int] = {}
    for f in end.followups:
        sev_open[f.area] = max(sev_open.get(f.area, -1), int(f.severity))
    for a in areas:
        min_sev, key = RECOMMEND.get(a.area, RECOMMEND[OTHER])
        if sev_open.get(a.area, -1) >= min_sev or a.reopened:
            keys.append(key)
    rates = [m.compliance for m in months if m.compliance is not None]
    if rates and min(rates) < COMPLIANCE_TARGET and "rec_content" not in keys:
        keys.append("rec_content")
    if mttf is not None and mttf > MTTF_TARGET_DAYS:
        keys.append("rec_mttf")
    if any(not m.has_runs for m in months):
        keys.append("rec_schedule")
    if any(m.coverage.check_errors for m in months):
        keys.append("rec_check_errors")
    keys.append("rec_review")  # always: re-approve the content list and review this plan (SOP A1/B1)
    return keys


def build_half(cfg: Any, store: Store, site: Any, period: Period, lang: str, out_dir: Path,
               monthly_name: Any) -> HalfData:
    hist = load_history(store, site.name, period.end)
    months = [build_month(cfg, store, site, m, lang, hist) for m in period.months]
    start_open = {fp: sf for fp, sf in hist.open_at(period.start).items() if counted(sf)}
    # findings a decision suppresses at the end of the half are left out of every count (as in the months)
    hide = dec.hidden(dec.as_of(store, site.name, dec.moment(period)))
    start_open = {fp: sf for fp, sf in start_open.items() if fp not in hide}
    end_open = {fp: sf for fp, sf in hist.open_at(period.end).items() if counted(sf) and fp not in hide}
    seen = {fp: sf for fp, sf in hist.seen_in(period.start, period.end).items() if counted(sf) and fp not in hide}
    checked = hist.areas_checked(period.start, period.end)
    summaries = {a: AreaSummary(a, checked.get(a)) for a in AREAS}
    fixed_eps = hist.fixed_in(period.start, period.end)
    reopened = Counter(e.fingerprint for e in hist.reopened_in(period.start, period.end))
    everything = {**seen, **start_open}
    for fp, sf in everything.items():
        area = area_of(sf.finding.rule)
        s = summaries.setdefault(area, AreaSummary(area, checked.get(area)))
        s.seen += fp in seen
        s.open_start += fp in start_open
        s.open_end += fp in end_open
        s.new += fp not in start_open and fp in seen
        s.reopened += reopened.get(fp, 0)
    durations: dict[str, list[float]] = {}
    for e in fixed_eps:
        sf = everything.get(e.fingerprint)
        if sf is None or e.fixed is None:
            continue
        area = area_of(sf.finding.rule)
        summaries[area].fixed += 1
        durations.setdefault(area, []).append((e.fixed - e.opened).total_seconds() / 86400)
    for area, values in durations.items():
        summaries[area].mttf_days = _mean(values)
    all_durations = [d for v in durations.values() for d in v]
    mttf = _mean(all_durations)
    areas = [summaries[a] for a in AREAS] + ([summaries[OTHER]] if OTHER in summaries else [])
    files = []
    for m in period.months:
        base = monthly_name(m.key)
        files.append({"key": m.key, "html": base + ".html", "pdf": base + ".pdf",
                      "exists": (out_dir / (base + ".html")).exists() or (out_dir / (base + ".pdf")).exists()})
    end = months[-1]
    return HalfData(
        period=period, site=site.name, url=site.url, lang=lang, months=months, month_files=files,
        areas=areas, mttf_days=mttf, fixed_count=len(all_durations),
        recurring=_recurring(hist, period, lang, end_open),
        recommendations=_recommendations(areas, end, months, mttf), end=end,
        score=score((sf.finding.severity for sf in end_open.values()), scored=any(m.has_runs for m in months)),
        runs=sum(m.coverage.runs for m in months), failed_runs=sum(m.coverage.failed_runs for m in months),
        decision_counts=dec.half_counts(store, site.name, period))


def last_scored(months: list[MonthData]) -> datetime | None:
    scored = [m for m in months if m.has_runs]
    return scored[-1].coverage.last if scored else None
