"""The scheduler driven by an injected clock through a simulated half year with real scans of a loopback
site, real reports and a real SMTP server; catch-up after downtime exactly once; alerts after scans;
clean shutdown on SIGTERM with real processes; --once, --dry-run, the scheduler lock, log rotation."""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import signal
import subprocess
import sys
import time
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import schedule
import yaml

from auditor.cli import main
from auditor.config import config_from_dict, load_config
from auditor.lock import lock_dir_for, site_lock
from auditor.scheduler import (
    Scheduler,
    SimulatedClock,
    State,
    latest_due,
    report_due_on,
    report_dues_between,
    schedule_clock,
    state_path,
)
from auditor.store import Store
from reports import periods
from tests.servers import serve
from tests.test_mail import smtp_sink

HTML = {"Content-Type": "text/html"}
ATASAN, KETUA = "lurah@desa.example", "carik@desa.example"


def raw_config(tmp_path: Path, url: str, **extra: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "sites": [{"name": "desa", "url": url}],
        "crawl": {"max_pages": 5, "concurrency": 1, "timeout_s": 5, "respect_robots": False},
        "checks": {"enabled": ["links"]},
        "storage": {"database": str(tmp_path / "var" / "db.sqlite")},
        "reports": {"output_dir": str(tmp_path / "out"),
                    "signatories": {"atasan_ppid": {"email": ATASAN}, "ketua_ppid": {"email": KETUA}}},
        "schedule": {"nightly_scan": "02:00", "monthly_report_day": 1, "semiannual_report_days": ["01-05", "07-05"],
                     "report_time": "08:00", "report_formats": ["html"]},
    }
    raw.update(extra)
    return raw


def local(ts: datetime) -> datetime:
    return ts.astimezone().replace(tzinfo=None)


def scan_starts(db: Path) -> list[datetime]:
    store = Store(db)
    try:
        runs = store.runs(site="desa", status=None)
        assert all(r.status == "complete" for r in runs), [r.status for r in runs]
        return [local(r.started) for r in runs]
    finally:
        store.close()


def nightly(first: dt.date, last: dt.date, hhmm: str) -> list[datetime]:
    h, m = map(int, hhmm.split(":"))
    return [datetime(d.year, d.month, d.day, h, m) for d in
            (first + timedelta(days=i) for i in range((last - first).days + 1))]


def expected_reports(sched_cfg, start: datetime, end: datetime) -> dict[tuple[str, str], datetime]:
    return {(d.kind, d.period): d.when for d in report_dues_between(sched_cfg, start, end)}


def delivered(state_file: Path) -> dict[tuple[str, str], datetime]:
    data = State(state_file).data
    return {(kind, period): datetime.fromisoformat(rec["at"])
            for kind, recs in data["reports"].items() for period, rec in recs.items() if not rec.get("skipped")}


# -- pure parts ---------------------------------------------------------------------------------------
def test_schedule_package_reads_the_injected_clock_only_inside() -> None:
    fake = SimulatedClock(datetime(2031, 3, 4, 5, 6))
    with schedule_clock(fake):
        assert schedule.datetime.datetime.now() == datetime(2031, 3, 4, 5, 6)
        assert dt.datetime.now().year != 2031  # the rest of the process keeps the real time
        job = schedule.Scheduler().every().day.at("02:00").do(lambda: None)
    assert job.next_run == datetime(2031, 3, 5, 2, 0)
    assert schedule.datetime is dt and schedule.datetime.datetime.now().year != 2031


def test_due_times_follow_the_config() -> None:
    cfg = config_from_dict({"sites": [{"name": "a", "url": "http://127.0.0.1/"}],
                            "schedule": {"monthly_report_day": 3, "semiannual_report_days": ["01-10", "07-10"],
                                         "report_time": "07:30"}}).schedule
    assert report_due_on(cfg, "monthly", dt.date(2026, 3, 3)).period == "2026-02"
    assert report_due_on(cfg, "monthly", dt.date(2026, 1, 3)).period == "2025-12"
    assert report_due_on(cfg, "monthly", dt.date(2026, 3, 4)) is None
    assert report_due_on(cfg, "semiannual", dt.date(2026, 1, 10)).period == "2025-H2"
    assert report_due_on(cfg, "semiannual", dt.date(2026, 7, 10)).period == "2026-H1"
    # before the report time on the day, the previous occurrence is the latest one
    assert latest_due(cfg, "monthly", datetime(2026, 3, 3, 7, 29)).period == "2026-01"
    assert latest_due(cfg, "monthly", datetime(2026, 3, 3, 7, 30)).when == datetime(2026, 3, 3, 7, 30)
    dues = report_dues_between(cfg, datetime(2026, 1, 1), datetime(2026, 12, 31, 23, 59))
    assert [d.period for d in dues if d.kind == "monthly"] == [periods.default_key("monthly", dt.date(2026, m, 3))
                                                               for m in range(1, 13)]
    assert [d.period for d in dues if d.kind == "semiannual"] == ["2025-H2", "2026-H1"]


# -- the simulated half year -------------------------------------------------------------------------
@pytest.mark.slow
def test_simulated_half_year_with_downtime(tmp_path: Path) -> None:
    site = {"/": (200, HTML, "<html><head><title>Desa</title></head><body>Profil desa</body></html>")}
    with serve(site) as srv, smtp_sink() as (sink, port):
        raw = raw_config(tmp_path, srv.url, mail={"enabled": True, "sender": "ppid@desa.example",
                                                  "smtp": {"host": "127.0.0.1", "port": port, "security": "none"}})
        cfg = config_from_dict(raw, base_dir=tmp_path)
        db, sf = Path(cfg.database_path), state_path(cfg)

        # Phase 1: first start on 2 Jan, runs until 20 Apr.
        start1, stop1 = datetime(2026, 1, 2, 10, 0), datetime(2026, 4, 20, 12, 0)
        Scheduler(cfg, clock=SimulatedClock(start1), max_sleep_s=None).run_forever(until=stop1)
        want_scans = [start1] + nightly(dt.date(2026, 1, 3), dt.date(2026, 4, 20), "02:00")
        assert scan_starts(db) == want_scans  # never scanned: once at start, then every night
        want = expected_reports(cfg.schedule, start1, stop1)  # due before the first start: not made
        assert delivered(sf) == want and ("monthly", "2025-12") not in want
        assert {k for k, _ in want} == {"monthly", "semiannual"}
        mails_phase1 = len(sink.received)
        assert mails_phase1 == len(want)

        # Downtime: off from 20 Apr to 3 May, so the report due on 1 May is missed; restart catches it up.
        start2, stop2 = datetime(2026, 5, 3, 9, 0), datetime(2026, 7, 6, 12, 0)
        Scheduler(cfg, clock=SimulatedClock(start2), max_sleep_s=None).run_forever(until=stop2)
        want_scans += [start2] + nightly(dt.date(2026, 5, 4), dt.date(2026, 7, 6), "02:00")
        assert scan_starts(db) == want_scans
        missed = expected_reports(cfg.schedule, stop1, start2)
        assert list(missed) == [("monthly", "2026-04")]
        want.update({key: start2 for key in missed})  # made once, at the restart
        want.update(expected_reports(cfg.schedule, start2, stop2))
        assert ("semiannual", "2026-H1") in want
        assert delivered(sf) == want

        # A third start right after: nothing is due, nothing is made or mailed twice.
        before = len(sink.received)
        Scheduler(cfg, clock=SimulatedClock(stop2 + timedelta(hours=1)), max_sleep_s=None).run_once()
        assert scan_starts(db) == want_scans and delivered(sf) == want
        assert len(sink.received) == before == len(want)

    # Monthly reports to the Atasan PPID, six-monthly to the Ketua PPID, each with its report attached.
    state = State(sf).data
    for got in sink.received:
        msg = got.message
        names = [p.get_filename() for p in msg.iter_attachments()]
        kind = "monthly" if "Bulanan" in msg["Subject"] else "semiannual"
        assert got.rcpt_tos == ([ATASAN] if kind == "monthly" else [KETUA])
        period = next(p for p in state["reports"][kind] if all(p in n for n in names))
        assert names == [Path(f).name for f in state["reports"][kind][period]["files"]]
        assert all(Path(f).is_file() for f in state["reports"][kind][period]["files"])
    assert sorted(k for k in want if k[0] == "monthly") == sorted(
        ("monthly", p) for p in state["mails"]["monthly"])


def test_long_downtime_makes_only_the_latest_report_and_names_the_rest(tmp_path: Path, caplog) -> None:
    cfg = config_from_dict(raw_config(tmp_path, "http://127.0.0.1:9/"), base_dir=tmp_path)
    state = State(state_path(cfg))
    state.data["baseline"] = "2026-01-02T10:00:00"
    state.save()
    sched = Scheduler(cfg, clock=SimulatedClock(datetime(2026, 9, 15, 12, 0)), max_sleep_s=None)
    with caplog.at_level(logging.WARNING, logger="ppid_auditor.scheduler"):
        sched.deliver_due_reports()
        sched.deliver_due_reports()  # the same day again: nothing more
    got = delivered(state_path(cfg))
    assert set(got) == {("monthly", "2026-08"), ("semiannual", "2026-H1")}
    skipped = sorted(p for p, rec in State(state_path(cfg)).data["reports"]["monthly"].items() if rec.get("skipped"))
    assert skipped == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07"]
    warned = [r.getMessage() for r in caplog.records if "missed during downtime" in r.getMessage()]
    assert len(warned) == len(skipped) + 1  # + the six-monthly 2025-H2 due on 5 Jan
    assert any("ppid-audit report monthly --month 2026-03" in w for w in warned)


# -- alerts after a scan -----------------------------------------------------------------------------
def test_alert_mail_only_when_a_critical_finding_is_new(tmp_path: Path) -> None:
    broken = {"on": True}

    def doc(_h):
        return (404, HTML, "hilang") if broken["on"] else (200, HTML, "<html><body>ada</body></html>")

    site = {"/": (200, HTML, '<html><body><a href="/laporan.html">Laporan</a></body></html>'), "/laporan.html": doc}
    with serve(site) as srv, smtp_sink() as (sink, port):
        raw = raw_config(tmp_path, srv.url, mail={
            "enabled": True, "smtp": {"host": "127.0.0.1", "port": port, "security": "none"},
            "recipients": {"alerts": ["operator@desa.example"]},
            "alerts": {"rules": ["content.link.*"]}})
        cfg = config_from_dict(raw, base_dir=tmp_path)
        clock = SimulatedClock(datetime(2026, 2, 1, 2, 0))
        sched = Scheduler(cfg, clock=clock, max_sleep_s=None)
        counts = []
        for state in (True, True, False, True):  # new, still open, fixed, reopened
            broken["on"] = state
            sched.scan_site(cfg.sites[0])
            counts.append(len(sink.received))
            clock.advance(timedelta(days=1))
        with site_lock(lock_dir_for(cfg.database_path), "desa"):  # a cron scan holds the site
            assert sched.scan_site(cfg.sites[0]) is None
    assert counts == [1, 1, 1, 2]
    assert all(m.rcpt_tos == ["operator@desa.example"] for m in sink.received)
    assert "content.link.broken" in sink.received[0].message.get_body().get_content()
    assert len(Store(cfg.database_path).runs(site="desa", status=None)) == 4


# -- the command: --once, lock, --dry-run, signals, logs ---------------------------------------------
def write_config(tmp_path: Path, url: str, **extra: Any) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw_config(tmp_path, url, **extra)))
    return path


def test_dry_run_lists_catch_up_and_next_steps_without_side_effects(tmp_path: Path) -> None:
    cfg_path = write_config(tmp_path, "http://127.0.0.1:9/")
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["schedule", "--config", str(cfg_path), "--dry-run", "--next", "3", "--lang", "en"]) == 0
    text = out.getvalue()
    assert "now (catch-up)" in text  # never scanned
    now = datetime.now()
    cfg = load_config(cfg_path)
    for kind, label in (("monthly", "monthly report"), ("semiannual", "six-monthly report")):
        nxt = next(d for d in report_dues_between(cfg.schedule, now, now + timedelta(days=370)) if d.kind == kind)
        assert nxt.when.strftime("%Y-%m-%d %H:%M") in text and nxt.period in text and label in text
    assert not (tmp_path / "var").exists()  # nothing was created


def test_once_respects_the_scheduler_lock(tmp_path: Path) -> None:
    cfg_path = write_config(tmp_path, "http://127.0.0.1:9/")
    with site_lock(lock_dir_for(str(tmp_path / "var" / "db.sqlite")), "_scheduler"):
        proc = subprocess.run([sys.executable, "-m", "auditor", "schedule", "--once", "--config", str(cfg_path)],
                              capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and f"pid {os.getpid()}" in proc.stderr
    assert not (tmp_path / "var" / "db.sqlite").exists()
    proc = subprocess.run([sys.executable, "-m", "auditor", "schedule", "--once", "--quiet", "--config",
                           str(cfg_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3  # the site (port 9) is unreachable, as with `scan`
    log = (tmp_path / "var" / "schedule.log").read_text()
    assert "catching up the scan of desa" in log and "unreachable" in log


def slow_site() -> dict[str, Any]:
    def slow(_h):
        time.sleep(0.25)
        return 200, HTML, "<html><body>halaman</body></html>"

    links = "".join(f'<a href="/p{i}">{i}</a>' for i in range(8))
    return {"/": (200, HTML, f"<html><body>{links}</body></html>"), **{f"/p{i}": slow for i in range(8)}}


def start_daemon(tmp_path: Path, url: str, grace: float) -> subprocess.Popen:
    raw = raw_config(tmp_path, url)
    raw["schedule"]["stop_grace_s"] = grace
    raw["crawl"]["max_pages"] = 20
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    return subprocess.Popen([sys.executable, "-m", "auditor", "schedule", "--config", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until(cond, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cond()


def run_statuses(tmp_path: Path) -> list[str]:
    return [r.status for r in Store(tmp_path / "var" / "db.sqlite").runs(site="desa", status=None)]


@pytest.mark.slow
def test_sigterm_lets_the_current_scan_finish(tmp_path: Path) -> None:
    with serve(slow_site()) as srv:
        proc = start_daemon(tmp_path, srv.url, grace=60)
        wait_until(lambda: srv.stats["requests"] >= 3)  # the start-up scan is under way
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "stopping after the current step" in err
    assert run_statuses(tmp_path) == ["complete"]
    (run,) = Store(tmp_path / "var" / "db.sqlite").runs(site="desa")
    assert run.pages == len(slow_site())  # the whole site was scanned before exiting


@pytest.mark.slow
def test_second_signal_stops_now_and_the_run_is_incomplete(tmp_path: Path) -> None:
    with serve(slow_site()) as srv:
        proc = start_daemon(tmp_path, srv.url, grace=60)
        wait_until(lambda: srv.stats["requests"] >= 3)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        took = time.monotonic() - started
    assert proc.returncode == 0, err
    assert took < 5 and "incomplete" in err
    assert run_statuses(tmp_path) == ["incomplete"]


@pytest.mark.slow
def test_scan_longer_than_the_grace_period_is_marked_incomplete(tmp_path: Path) -> None:
    with serve(slow_site()) as srv:
        proc = start_daemon(tmp_path, srv.url, grace=0.5)
        wait_until(lambda: srv.stats["requests"] >= 2)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "grace period over" in err
    assert run_statuses(tmp_path) == ["incomplete"]


def test_idle_daemon_stops_at_once_on_sigterm(tmp_path: Path) -> None:
    site = {"/": (200, HTML, "<html><body>ok</body></html>")}
    with serve(site) as srv:
        proc = start_daemon(tmp_path, srv.url, grace=60)
        log = tmp_path / "var" / "schedule.log"
        wait_until(lambda: log.exists() and "scan desa finished" in log.read_text())
        time.sleep(0.3)  # now sleeping until the next job
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == 0 and time.monotonic() - started < 5
    assert run_statuses(tmp_path) == ["complete"]


def test_log_file_rotates(tmp_path: Path) -> None:
    from auditor.commands.schedule import setup_logging

    raw = raw_config(tmp_path, "http://127.0.0.1:9/")
    raw["schedule"].update(log_file="logs/sched.log", log_max_kb=1, log_backups=2)
    cfg = config_from_dict(raw, base_dir=tmp_path)
    undo = setup_logging(cfg, quiet=True, verbose=False)
    try:
        for i in range(200):
            logging.getLogger("ppid_auditor.scheduler").info("line %d %s", i, "x" * 40)
    finally:
        undo()
    files = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert files == ["sched.log", "sched.log.1", "sched.log.2"]
    assert all((tmp_path / "logs" / f).stat().st_size <= 1024 + 200 for f in files)
    assert "line 199" in (tmp_path / "logs" / "sched.log").read_text()
    assert logging.getLogger("ppid_auditor").propagate  # undone


def test_utc_store_times_match_the_local_clock(tmp_path: Path) -> None:
    site = {"/": (200, HTML, "<html><body>ok</body></html>")}
    with serve(site) as srv:
        cfg = config_from_dict(raw_config(tmp_path, srv.url), base_dir=tmp_path)
        clock = SimulatedClock(datetime(2026, 3, 1, 2, 0))
        Scheduler(cfg, clock=clock).scan_site(cfg.sites[0])
    (run,) = Store(cfg.database_path).runs(site="desa")
    assert run.started.tzinfo is not None and run.started == datetime(2026, 3, 1, 2, 0).astimezone(UTC)
