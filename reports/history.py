"""Replays a site's stored runs to know which findings were open at any moment.

The store's `issues` table only keeps each finding's latest state; a report about a past month needs the
state at that month's end, so the runs are replayed in order with the store's own rule: a finding missing
from a run is fixed only when its check ran cleanly in that run (a failed check proves nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from auditor.store import CheckRunRow, RunRow, Store, StoredFinding
from checks.base import check_areas
from checks.facts import (
    AccessibilityFacts,
    ContentFacts,
    HeadersFacts,
    PersonalDataFacts,
    SoftwareFacts,
    TlsFacts,
)
from reports.policy import area_of

T = TypeVar("T")


def aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


@dataclass
class Episode:
    """One stretch of time a finding was open: from the run that saw it to the run that no longer did."""

    fingerprint: str
    opened: datetime
    fixed: datetime | None = None
    reopened: bool = False  # an earlier episode of the same finding was fixed before


@dataclass
class RunRecord:
    run: RunRow
    findings: dict[str, StoredFinding]
    checks: list[CheckRunRow]
    open_after: dict[str, StoredFinding]  # the effective open set after this run


@dataclass
class History:
    site: str
    records: list[RunRecord] = field(default_factory=list)
    episodes: list[Episode] = field(default_factory=list)
    check_areas: dict[str, set[str]] = field(default_factory=dict)

    # -- queries ----------------------------------------------------------------------------------------
    def runs_in(self, start: datetime, end: datetime) -> list[RunRecord]:
        return [r for r in self.records if start <= aware(r.run.started) < end]

    def open_at(self, when: datetime) -> dict[str, StoredFinding]:
        """Open findings after every run started before `when` (empty before the first run)."""
        state: dict[str, StoredFinding] = {}
        for r in self.records:
            if aware(r.run.started) >= when:
                break
            state = r.open_after
        return state

    def seen_in(self, start: datetime, end: datetime) -> dict[str, StoredFinding]:
        seen: dict[str, StoredFinding] = {}
        for r in self.runs_in(start, end):
            seen.update(r.findings)
        return seen

    def fixed_in(self, start: datetime, end: datetime) -> list[Episode]:
        return [e for e in self.episodes if e.fixed and start <= e.fixed < end]

    def reopened_in(self, start: datetime, end: datetime) -> list[Episode]:
        return [e for e in self.episodes if e.reopened and start <= e.opened < end]

    def first_seen(self, fp: str) -> datetime | None:
        return next((e.opened for e in self.episodes if e.fingerprint == fp), None)

    def current_episode(self, fp: str, before: datetime) -> Episode | None:
        eps = [e for e in self.episodes if e.fingerprint == fp and e.opened < before]
        return eps[-1] if eps else None

    def areas_checked(self, start: datetime, end: datetime) -> dict[str, str]:
        """area -> "ok" | "error" | "skipped" (see `area_status`)."""
        return {area: status for area, (status, _why) in self.area_status(start, end).items()}

    def area_status(self, start: datetime, end: datetime) -> dict[str, tuple[str, str]]:
        """area -> (status, reason) over the period's runs, whatever their order: "ok" when a check of the
        area ran cleanly at least once; else "error" when one really failed; else "skipped" (the check
        declined to run, e.g. ZAP not running). The reason is the latest such check's "name: message"."""
        rank = {"ok": 3, "error": 2, "skipped": 1}
        out: dict[str, tuple[str, str]] = {}
        for r in self.runs_in(start, end):
            for c in r.checks:
                status = c.status if c.status in rank else "error"
                why = "" if status == "ok" else f"{c.name}: {c.error}" if c.error else c.name
                for area in self.check_areas.get(c.name, set()):
                    if area not in out or rank[status] >= rank[out[area][0]]:
                        out[area] = (status, why)
        return out

    def latest_facts(self, store: Store, start: datetime, end: datetime) -> dict[str, tuple[RunRow, Any]]:
        """check name -> (run, typed facts) from the newest run in the period that stored facts for it
        (`Store.typed_facts`: built-in checks' facts come back as their models)."""
        out: dict[str, tuple[RunRow, Any]] = {}
        for r in reversed(self.runs_in(start, end)):
            for name, facts in store.typed_facts(r.run.id).items():
                out.setdefault(name, (r.run, facts))
        return out

    def site_facts(self, store: Store, start: datetime, end: datetime) -> SiteFacts:
        return SiteFacts.of(self.latest_facts(store, start, end))


def _typed(model: type[T], value: Any) -> T | None:
    return value if isinstance(value, model) else None


@dataclass
class SiteFacts:
    """The newest facts of a period that the reports read, each through its check's model (None: that
    check stored no readable facts in the period)."""

    tls: TlsFacts | None = None
    headers: HeadersFacts | None = None
    software: SoftwareFacts | None = None
    personal_data: PersonalDataFacts | None = None
    content: ContentFacts | None = None
    accessibility: AccessibilityFacts | None = None
    when: dict[str, datetime] = field(default_factory=dict)  # check name -> when its facts were made

    @classmethod
    def of(cls, latest: dict[str, tuple[RunRow, Any]]) -> SiteFacts:
        got = {name: facts for name, (_run, facts) in latest.items()}
        return cls(tls=_typed(TlsFacts, got.get("tls")), headers=_typed(HeadersFacts, got.get("headers")),
                   software=_typed(SoftwareFacts, got.get("software")),
                   personal_data=_typed(PersonalDataFacts, got.get("personal_data")),
                   content=_typed(ContentFacts, got.get("content")),
                   accessibility=_typed(AccessibilityFacts, got.get("accessibility")),
                   when={name: when_of(run) for name, (run, _f) in latest.items()})


def when_of(run: RunRow) -> datetime:
    return aware(run.finished or run.started)


def load_history(store: Store, site: str, until: datetime) -> History:
    hist = History(site)
    for name, area in check_areas().items():
        hist.check_areas.setdefault(name, set()).add(area)
    state: dict[str, StoredFinding] = {}
    open_ep: dict[str, Episode] = {}
    fixed_before: set[str] = set()
    for run in store.runs(site=site, until=until, status="complete", kind="scan"):
        current = {sf.fingerprint: sf for sf in store.findings(run.id)}
        checks = store.check_runs(run.id)
        ok = {c.name for c in checks if c.status == "ok"}
        when = when_of(run)
        for sf in current.values():
            hist.check_areas.setdefault(sf.finding.check, set()).add(area_of(sf.finding.rule))
        state = dict(state)
        for fp in [fp for fp, sf in state.items() if fp not in current and sf.finding.check in ok]:
            del state[fp]
            ep = open_ep.pop(fp, None)
            if ep:
                ep.fixed = when
                fixed_before.add(fp)
        for fp, sf in current.items():
            if fp not in open_ep:
                ep = Episode(fp, when, reopened=fp in fixed_before)
                open_ep[fp] = ep
                hist.episodes.append(ep)
            state[fp] = sf
        hist.records.append(RunRecord(run, current, checks, state))
    return hist
