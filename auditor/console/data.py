"""What the console pages show, read from the store (no Flask here, so it is testable and benchmarkable).

Scores and statuses come from `reports/policy.py` (the same tables as the reports); the trend chart from
`reports/charts.py`. A site's current state is its tracked issues (`issues` table, status open).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from markupsafe import Markup

from auditor import triage
from auditor.catalogue import t
from auditor.store import RunRow, Store, parse_iso
from checks.base import Severity
from reports import charts
from reports.i18n import month_name
from reports.monthly import content_items
from reports.policy import AREAS, OTHER, Score, area_of, score

TREND_MONTHS = 12


@dataclass
class SiteSummary:
    site: str
    url: str
    score: Score
    open_by_area: dict[str, int]
    open_by_severity: dict[str, int]
    last_run: RunRow | None
    next_scan: datetime | None
    cert_days_left: int | None
    compliance: float | None
    running: bool = False
    trend: Markup | None = None
    content_items: list[dict[str, Any]] = field(default_factory=list)
    suppressed: int = 0  # open findings a triage decision leaves out of the score


def next_scan(hhmm: str, now: datetime | None = None) -> datetime:
    """Next occurrence of the nightly scan time (local time of this machine)."""
    now = (now or datetime.now(UTC)).astimezone()
    hour, minute = (int(x) for x in hhmm.split(":"))
    at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return at if at > now else at + timedelta(days=1)


def decisions(store: Store, site: str) -> dict[str, triage.Decision]:
    """`triage.decisions` for the findings that have a human event, replayed one by one.

    `triage.decisions` reads the site's whole log, and the scan's own lifecycle events (new, fixed,
    reopened) make that thousands of rows after a year of nightly runs (0.4 s per site measured by
    bench/console.py); people decide on few findings, so finding those first is what keeps pages fast."""
    human = (*triage.ACTIONS, triage.UNDO)
    # No DISTINCT: with it SQLite prefers the (site, fingerprint) index and reads every lifecycle event.
    rows = store.db.execute(f"SELECT fingerprint FROM decision_events WHERE site=? AND kind IN "
                            f"({','.join('?' * len(human))})", (site, *human)).fetchall()
    fps = dict.fromkeys(r["fingerprint"] for r in rows)
    return {fp: triage.current_decision(store, site, fp) for fp in fps}


def _counted(severity: Severity) -> bool:
    return severity > Severity.INFO


def open_issues(store: Store, site: str) -> list[Any]:
    return store.issues(site=site, status="open")


def summary(cfg: Any, store: Store, site: str, *, lang: str, with_trend: bool = False) -> SiteSummary:
    """A site's state now. Findings a triage decision suppresses (false positive, unexpired accepted risk)
    are left out of the score and the counts, as in the reports (auditor/triage.py)."""
    site_cfg = cfg.site(site)
    hidden = {fp for fp, d in decisions(store, site).items() if d.suppressed}
    everything = open_issues(store, site)
    issues = [i for i in everything if i.fingerprint not in hidden]
    last = store.latest_run(site)
    sc = score([i.severity for i in issues], scored=last is not None)
    by_area = Counter(area_of(i.rule) for i in issues if _counted(i.severity))
    by_sev = Counter(i.severity.label for i in issues)
    cert_days = compliance = None
    items: list[dict[str, Any]] = []
    if last is not None:
        facts = store.facts(last.id)
        cert = (facts.get("tls") or {}).get("certificate") or {}
        if isinstance(cert.get("days_left"), int):
            cert_days = cert["days_left"]
            not_after = parse_iso(cert.get("not_after"))
            if not_after:  # recomputed for today: the last scan may be days old
                cert_days = (not_after - datetime.now(UTC)).days
        items, compliance = content_items(facts.get("content") or {})
    running = bool(store.db.execute("SELECT 1 FROM runs WHERE site=? AND status='running' LIMIT 1",
                                    (site,)).fetchone())
    areas = [*AREAS, OTHER] if by_area.get(OTHER) else list(AREAS)
    out = SiteSummary(site, site_cfg.url, sc, {a: by_area.get(a, 0) for a in areas}, dict(by_sev), last, next_scan(cfg.schedule.nightly_scan), cert_days, compliance, running,
                      content_items=items, suppressed=len(everything) - len(issues))
    if with_trend:
        out.trend = trend_chart(store, site, lang)
    return out


def monthly_scores(store: Store, site: str, months: int = TREND_MONTHS,
                   now: datetime | None = None) -> list[tuple[str, int | None]]:
    """(YYYY-MM, score of the month's last complete scan) for the last `months` months, oldest first."""
    now = now or datetime.now(UTC)
    keys = []
    y, m = now.year, now.month
    for _ in range(months):
        keys.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    keys.reverse()
    since = datetime(int(keys[0][:4]), int(keys[0][5:]), 1, tzinfo=UTC)
    last_of_month: dict[str, str] = {}
    for r in store.db.execute("SELECT id, started FROM runs WHERE site=? AND kind='scan' AND status='complete' "
                              "AND started >= ? ORDER BY started", (site, since.isoformat(timespec="seconds"))):
        last_of_month[r["started"][:7]] = r["id"]
    run_ids = list(last_of_month.values())
    sev_by_run: dict[str, list[Severity]] = {rid: [] for rid in run_ids}
    if run_ids:
        marks = ",".join("?" * len(run_ids))
        for r in store.db.execute(f"SELECT run_id, severity, count(*) AS n FROM findings WHERE run_id IN ({marks})"
                                  " GROUP BY run_id, severity", run_ids):
            sev_by_run[r["run_id"]] += [Severity.parse(r["severity"])] * int(r["n"])
    return [(k, score(sev_by_run[last_of_month[k]]).value if k in last_of_month else None) for k in keys]


def trend_chart(store: Store, site: str, lang: str) -> Markup:
    points = monthly_scores(store, site)
    cats = [f"{month_name(int(k[5:]), lang)[:3]} {k[2:4]}" for k, _ in points]
    return charts.line_chart(t("chart_score", lang), cats,
                             [charts.Series(t("col_score", lang), [v for _, v in points])], ymax=100)


def finding_detail(store: Store, site: str, fingerprint: str) -> dict[str, Any] | None:
    """The tracked issue, its latest stored finding (masked evidence, remediation) and its run history."""
    issue = next((i for i in store.issues(site=site) if i.fingerprint == fingerprint), None)
    if issue is None:
        return None
    rows = store.db.execute(
        "SELECT f.run_id, f.lifecycle, r.started FROM findings f JOIN runs r ON r.id = f.run_id "
        "WHERE r.site=? AND f.fingerprint=? ORDER BY r.started DESC LIMIT 60", (site, fingerprint)).fetchall()
    latest = None
    if rows:
        latest = next((s for s in store.findings(rows[0]["run_id"]) if s.fingerprint == fingerprint), None)
    history = [{"run": r["run_id"], "lifecycle": r["lifecycle"] or "", "when": parse_iso(r["started"])}
               for r in rows]
    return {"issue": issue, "finding": latest.finding if latest else None, "history": history,
            "decision": triage.current_decision(store, site, fingerprint),
            "events": triage.events(store, site, fingerprint)}
