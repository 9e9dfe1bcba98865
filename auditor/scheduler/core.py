"""The `Scheduler`: daily jobs on the `schedule` package, catch-up, scans with alerts, report delivery."""

from __future__ import annotations

import inspect
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import schedule

from auditor import mail
from auditor.config import Config, SiteConfig
from auditor.lock import SiteBusy, lock_dir_for, site_lock
from auditor.redact import redact_text
from auditor.runner import RunOutcome, run_audit
from auditor.scheduler.state import State, state_path
from auditor.scheduler.timing import (
    REPORT_KINDS,
    Clock,
    Due,
    Shutdown,
    SystemClock,
    at_time,
    last_scan_time,
    latest_due,
    report_due_on,
    report_dues_between,
    schedule_clock,
)
from auditor.store import Store

log = logging.getLogger("ppid_auditor.scheduler")


@dataclass
class Planned:
    when: datetime
    task: str  # "scan" | "monthly" | "semiannual"
    detail: str
    catch_up: bool = False


class Scheduler:
    def __init__(self, cfg: Config, *, clock: Clock | None = None, max_sleep_s: float | None = 60.0):
        self.cfg = cfg
        self.clock: Clock = clock or SystemClock()
        self.max_sleep_s = max_sleep_s  # re-check the wall clock at least this often (suspend, NTP)
        self.stop = threading.Event()
        self.busy = False
        self.state = State(state_path(cfg))
        self.unreachable: set[str] = set()
        self.jobs = schedule.Scheduler()
        with schedule_clock(self.clock):
            self.jobs.every().day.at(cfg.schedule.nightly_scan).do(self._step, self.nightly_scan).tag("scan")
            self.jobs.every().day.at(cfg.schedule.report_time).do(self._step, self.deliver_due_reports) \
                .tag("reports")

    # -- time ------------------------------------------------------------------------------------
    def utcnow(self) -> datetime:
        return self.clock.now().astimezone(UTC)

    def baseline(self) -> datetime:
        return self.state.baseline or self.clock.now()

    def start(self) -> None:
        """Record the first start: reports due before it are not made retroactively."""
        if self.state.baseline is None:
            self.state.data["baseline"] = self.clock.now().isoformat(timespec="seconds")
            self.state.save()
            log.info("first start: reports due from %s on will be delivered", self.state.data["baseline"])

    # -- loop ------------------------------------------------------------------------------------
    def _step(self, fn: Callable[[], Any]) -> None:
        if self.stop.is_set():
            return
        self.busy = True
        try:
            fn()
        except Exception:  # one failing step must not end the daemon; the next day tries again
            log.exception("scheduled step %s failed", getattr(fn, "__name__", fn))
        finally:
            self.busy = False

    def run_pending(self) -> None:
        with schedule_clock(self.clock):
            self.jobs.run_pending()

    def idle_seconds(self) -> float:
        with schedule_clock(self.clock):
            idle = self.jobs.idle_seconds
        return max(0.0, idle if idle is not None else 60.0)

    def run_once(self) -> None:
        """What `--once` does and what a (re)start does first: everything due now, nothing else."""
        self.start()
        self._step(self.deliver_due_reports)
        self._step(self.scan_due_sites)

    def run_forever(self, until: datetime | None = None) -> None:
        self.run_once()
        while not self.stop.is_set():
            now = self.clock.now()
            if until is not None and now >= until:
                break
            self.run_pending()
            wait = self.idle_seconds()
            if self.max_sleep_s is not None:
                wait = min(wait, self.max_sleep_s)
            if until is not None:
                wait = min(wait, max(0.0, (until - self.clock.now()).total_seconds()))
            if wait > 0 and not self.stop.is_set():
                self.clock.sleep(wait, self.stop)
        log.info("scheduler stopped")

    # -- signals ---------------------------------------------------------------------------------
    def install_signal_handlers(self) -> None:
        """First SIGTERM/SIGINT: stop after the current step (a scan gets `stop_grace_s`); second: now."""
        grace = self.cfg.schedule.stop_grace_s

        def on_stop(signum: int, _frame: Any) -> None:
            name = signal.Signals(signum).name
            if self.busy and self.stop.is_set():
                raise Shutdown(f"{name} again: stopping now")
            self.stop.set()
            if not self.busy:
                log.info("%s: stopping", name)
                return
            if grace <= 0:
                raise Shutdown(f"{name}: stopping now")
            log.warning("%s: stopping after the current step (at most %.0f s more)", name, grace)
            signal.setitimer(signal.ITIMER_REAL, grace)

        def on_alarm(_signum: int, _frame: Any) -> None:
            if self.busy:
                raise Shutdown("stop grace period over")

        signal.signal(signal.SIGTERM, on_stop)
        signal.signal(signal.SIGINT, on_stop)
        signal.signal(signal.SIGALRM, on_alarm)

    # -- scans -----------------------------------------------------------------------------------
    def nightly_scan(self) -> None:
        for site in self.cfg.sites:
            if self.stop.is_set():
                break
            self.scan_site(site)

    def sites_due_for_scan(self, now: datetime) -> list[SiteConfig]:
        """Sites with no finished scan since the last nightly scan time (missed while off, or never)."""
        since = last_scan_time(self.cfg.schedule, now).astimezone(UTC)
        store = Store(self.cfg.database_path)
        try:
            return [s for s in self.cfg.sites
                    if not any(r.status in ("complete", "failed")
                               for r in store.runs(site=s.name, since=since, status=None))]
        finally:
            store.close()

    def scan_due_sites(self) -> None:
        for site in self.sites_due_for_scan(self.clock.now()):
            if self.stop.is_set():
                break
            log.info("catching up the scan of %s (none since the last nightly scan time)", site.name)
            self.scan_site(site)

    def scan_site(self, site: SiteConfig) -> RunOutcome | None:
        store = Store(self.cfg.database_path)
        try:
            with site_lock(lock_dir_for(self.cfg.database_path), site.name):
                log.info("scan %s (%s) started", site.name, site.url)
                outcome = run_audit(self.cfg, site, store, now=self.utcnow, quiet=True)
        except SiteBusy as busy:
            log.info("scan %s skipped: another process (pid %s) is scanning it", site.name, busy.holder)
            return None
        finally:
            store.close()
        if not outcome.reachable:
            self.unreachable.add(site.name)
            log.warning("scan %s: site unreachable (run %s)", site.name, outcome.run_id)
            return outcome
        new = sum(1 for v in outcome.lifecycle.values() if v in ("new", "reopened"))
        log.info("scan %s finished: run %s, %d pages, %d findings (%d new)", site.name, outcome.run_id,
                 outcome.site.page_count, len(outcome.findings), new)
        self.alert(site, outcome)
        return outcome

    def suppressed(self, site: str) -> set[str]:
        """Fingerprints a triage decision hides from alerts (false positives, unexpired accepted risks)."""
        from auditor import triage

        store = Store(self.cfg.database_path)
        try:
            return {fp for fp, d in triage.decisions(store, site, self.clock.now()).items() if d.suppressed}
        finally:
            store.close()

    def alert(self, site: SiteConfig, outcome: RunOutcome) -> None:
        found = mail.alert_findings(outcome.findings, outcome.lifecycle, self.cfg.mail.alerts,
                                    suppressed=self.suppressed(site.name))
        if not found:
            return
        for f in found:  # rule and masked URL only: the log is not the place for evidence
            log.warning("ALERT %s: new %s %s at %s", site.name, f.severity.label, f.rule, redact_text(f.url))
        if not self.cfg.mail.enabled:
            return
        try:
            mail.send_alert(self.cfg, site, outcome.run_id, found, outcome.finished)
        except mail.MailError as exc:
            log.error("alert mail for %s not sent: %s", site.name, exc)

    # -- reports ---------------------------------------------------------------------------------
    def due_reports(self, now: datetime | None = None) -> list[Due]:
        """Reports due now and not yet made (or not yet mailed): at most the latest period per kind."""
        now = now or self.clock.now()
        baseline = self.baseline()
        out = []
        for kind in REPORT_KINDS:
            due = latest_due(self.cfg.schedule, kind, now)
            if due is None or due.when < baseline:
                continue
            if self.state.get("reports", kind, due.period) is None or (
                    self.cfg.mail.enabled and self.state.get("mails", kind, due.period) is None):
                out.append(due)
        return out

    def deliver_due_reports(self) -> None:
        now = self.clock.now()
        self._note_skipped(now)
        for due in self.due_reports(now):
            if self.stop.is_set():
                break
            if due.when.date() != now.date():
                log.info("catching up the %s report for %s (was due %s)", due.kind, due.period,
                         due.when.isoformat(sep=" ", timespec="minutes"))
            try:
                self.deliver(due.kind, due.period)
            except Exception:
                log.exception("%s report for %s failed; will retry at the next report time", due.kind, due.period)

    def _note_skipped(self, now: datetime) -> None:
        """Older periods missed during a long downtime are named once in the log, not mailed in bulk."""
        latest = {kind: latest_due(self.cfg.schedule, kind, now) for kind in REPORT_KINDS}
        for due in report_dues_between(self.cfg.schedule, max(self.baseline(), now - timedelta(days=400)), now):
            last = latest[due.kind]
            if last is None or due.period == last.period or self.state.get("reports", due.kind, due.period):
                continue
            self.state.put("reports", due.kind, due.period, {"skipped": True, "noted": now.isoformat()})
            flag = "--month" if due.kind == "monthly" else "--half"
            log.warning("the %s report for %s was missed during downtime and is not made automatically; "
                        "run `ppid-audit report %s %s %s` if it is needed", due.kind, due.period, due.kind,
                        flag, due.period)

    def deliver(self, kind: str, period: str) -> list[Path]:
        record = self.state.get("reports", kind, period)
        files = [Path(p) for p in (record or {}).get("files", [])]
        if record is None or record.get("skipped") or not all(p.is_file() for p in files):
            files = self.render(kind, period)
            self.state.put("reports", kind, period, {"at": self.clock.now().isoformat(timespec="seconds"),
                                                     "files": [str(p) for p in files]})
            log.info("%s report %s written: %s", kind, period, ", ".join(p.name for p in files))
        if self.cfg.mail.enabled and self.state.get("mails", kind, period) is None:
            to = mail.send_report(self.cfg, kind, period, files)
            self.state.put("mails", kind, period, {"at": self.clock.now().isoformat(timespec="seconds"), "to": to})
        return files

    def render(self, kind: str, period: str) -> list[Path]:
        from reports.render import write_report  # heavy (Jinja2, WeasyPrint): only when a report is due

        kw: dict[str, Any] = {"formats": tuple(self.cfg.schedule.report_formats), "lang": self.cfg.reports.language}
        if "now" in inspect.signature(write_report).parameters:
            kw["now"] = self.utcnow()
        store = Store(self.cfg.database_path)
        try:
            written = write_report(self.cfg, store, kind, period, **kw)
        finally:
            store.close()
        return [Path(p) for p in written if Path(p).name != "index.html"]

    # -- dry run ---------------------------------------------------------------------------------
    def plan(self, count: int = 10) -> list[Planned]:
        """What would run now (catch-up) and the next `count` scheduled steps. Changes nothing."""
        now = self.clock.now()
        out = [Planned(now, d.kind, d.period, True) for d in self.due_reports(now)]
        db = self.cfg.database_path
        missed = ([s.name for s in self.sites_due_for_scan(now)] if "://" in db or Path(db).exists()
                  else [s.name for s in self.cfg.sites])  # a dry run creates no database
        if missed:
            out.append(Planned(now, "scan", ", ".join(missed), True))
        upcoming: list[Planned] = []
        sites = ", ".join(s.name for s in self.cfg.sites)
        reports: dict[str, Planned] = {}  # the next report of each kind is always listed
        day = now.date()
        while len(upcoming) < count or len(reports) < len(REPORT_KINDS):
            scan_at = at_time(day, self.cfg.schedule.nightly_scan)
            if scan_at > now:
                upcoming.append(Planned(scan_at, "scan", sites))
            for kind in REPORT_KINDS:
                due = report_due_on(self.cfg.schedule, kind, day)
                if due and due.when > now:
                    upcoming.append(Planned(due.when, kind, due.period))
                    reports.setdefault(kind, upcoming[-1])
            day += timedelta(days=1)
        upcoming.sort(key=lambda p: p.when)
        shown = upcoming[:count]
        shown += sorted((p for p in reports.values() if p not in shown), key=lambda p: p.when)
        return out + shown
