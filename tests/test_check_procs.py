"""Checks that run apart (`Check.separate_process`, `checks.processes`): the same audit as in one process,
a crash or a hang in a child costs only that check, the child's cache writes reach the store, and the
history the checks see before the pages are saved is the history saving them gives."""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from auditor import check_procs
from auditor.config import load_config
from auditor.demo import DemoServer, build_site, write_demo_config
from auditor.runner import run_audit
from auditor.snapshot import Headers, Page
from auditor.store import Store
from checks.base import Check, CheckResult, LoadedCheck
from tests.servers import serve

pytestmark = pytest.mark.skipif(not check_procs.FORK, reason="fork is POSIX-only; elsewhere every check runs inline")

OFFLINE = ["links", "headers", "software", "content", "personal_data"]


def _untimed(value):
    """Facts without the durations they record (OCR seconds, check seconds): those differ run to run."""
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if k not in ("seconds", "duration_s")}
    if isinstance(value, list):
        return [_untimed(v) for v in value]
    return value


def _demo_audit(tmp: Path, server: DemoServer, today: date, seed: Path, processes: int, runs: int = 1):
    cfg_path = write_demo_config(tmp, server, today)
    raw = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    raw["crawl"]["concurrency"] = 1  # the same order of pages and documents on both sides
    raw.setdefault("checks", {})["processes"] = processes
    cfg_path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    cfg = load_config(cfg_path)
    now = datetime(today.year, today.month, today.day, 9, tzinfo=UTC)
    shutil.copyfile(seed, cfg.database_path)  # the same keyed hashes on both sides
    store = Store(cfg.database_path)
    out = []
    try:
        for i in range(runs):
            res = run_audit(cfg, cfg.sites[0], store, only=OFFLINE, quiet=True, now=lambda i=i: now + timedelta(hours=i))
            facts = {name: f.model_dump(mode="json") for name, f in store.typed_facts(res.run_id).items()}
            facts["content"]["approved_list"]["path"] = Path(facts["content"]["approved_list"]["path"]).name
            facts = _untimed(facts)
            findings = sorted((f.fingerprint, f.rule, f.severity.label, f.url, f.evidence, repr(f.data))
                              for f in res.findings)
            out.append((findings, facts, {c.name: c.status for c in res.checks}, res.lifecycle))
        cached = store.db.execute("SELECT count(*) AS n FROM check_cache").fetchone()["n"]
    finally:
        store.close()
    return out, cached


def test_checks_apart_give_the_same_audit_as_one_process(tmp_path: Path):
    """The demo site audited twice with every check in one process, and twice with content and
    personal_data in child processes: the same findings, facts and lifecycle; the children's OCR cache
    entries reach the store, and the second run's child reads them back (no OCR again)."""
    today = date.today()
    root = tmp_path / "site"
    build_site(root, today)
    seed = tmp_path / "seed.sqlite"
    Store(seed).close()
    with DemoServer(root, cert_dir=tmp_path / "certs") as server:
        inline, cached_inline = _demo_audit(tmp_path / "one", server, today, seed, processes=0, runs=2)
        apart, cached_apart = _demo_audit(tmp_path / "two", server, today, seed, processes=2, runs=2)
    for one, two in zip(inline, apart, strict=True):
        assert one[2] == two[2] and set(one[2].values()) == {"ok"}, (one[2], two[2])
        assert one[0] == two[0]
        assert one[1] == two[1]
        assert one[3] == two[3]
    rules = {f[1] for f in apart[0][0]}
    assert {"pii.nik", "content.item.stale"} <= rules, rules
    pd = [run[1]["personal_data"] for run in apart]
    # With Tesseract (always in CI): the first run read the images, the second took them from the cache.
    if pd[0]["ocr_images"] or os.environ.get("PPID_REQUIRE_INTEGRATION") == "1":
        assert pd[0]["ocr_runs"] > 0 and pd[1]["ocr_runs"] == 0
        assert cached_apart == cached_inline > 0


# --- plugin-like checks that run apart -------------------------------------------------------------


class ApartCheck(Check):
    name = "apart"
    separate_process = True
    area = "test"
    behaviour = "pid"

    def run(self, ctx):
        if self.behaviour == "crash":
            os.abort()
        if self.behaviour == "hang":
            (ctx.base_dir / "hang.pid").write_text(str(os.getpid()))
            while True:  # ignores every budget: only the runner's limit ends it
                time.sleep(0.05)
        if self.behaviour == "unpicklable":
            return CheckResult(facts={"f": lambda: None})
        before = ctx.cache.get("test", "k")
        ctx.cache.put("test", "k", f"{os.getpid()}")
        assert ctx.cache.get("test", "k") == f"{os.getpid()}"  # a child reads its own writes
        return CheckResult(facts={"pid": os.getpid(), "before": before})


class HereCheck(Check):
    name = "here"
    area = "test"

    def run(self, ctx):
        return CheckResult(facts={"pid": os.getpid()})


def _run_plugins(tmp_path: Path, monkeypatch, behaviour: str, extra: str = "", runs: int = 1):
    kind = type(f"Apart_{behaviour}", (ApartCheck,), {"behaviour": behaviour})
    loaded = [LoadedCheck("apart", kind), LoadedCheck("here", HereCheck)]
    monkeypatch.setattr("auditor.runner.select_checks", lambda cfg, only=None: loaded)
    routes = {"/": (200, {"Content-Type": "text/html"}, "<html><head><title>Beranda</title></head></html>")}
    with serve(routes) as srv:
        cfg_file = tmp_path / "config.yaml"
        cfg_file.write_text(f"sites:\n  - name: desa\n    url: {srv.url}\ncrawl:\n  max_pages: 5\n  timeout_s: 5\n"
                            f"checks:\n  processes: 2\n{extra}storage:\n  database: {tmp_path / 'db.sqlite'}\n")
        cfg = load_config(cfg_file)
        store = Store(cfg.database_path)
        try:
            outs = [run_audit(cfg, cfg.sites[0], store, quiet=True) for _ in range(runs)]
            facts = [store.facts(o.run_id) for o in outs]
            cached = store.cache_get("test", "k")
        finally:
            store.close()
    return outs, facts, cached


def test_a_check_apart_runs_in_its_own_process_and_its_cache_writes_are_stored(tmp_path: Path, monkeypatch):
    outs, facts, cached = _run_plugins(tmp_path, monkeypatch, "pid", runs=2)
    assert [c.status for c in outs[0].checks] == ["ok", "ok"]
    first, second = facts
    assert first["here"]["pid"] == os.getpid() != first["apart"]["pid"]
    assert first["apart"]["before"] is None
    assert second["apart"]["before"] == str(first["apart"]["pid"])  # written by the runner, read by a child
    assert cached == str(second["apart"]["pid"])


def test_a_crashing_check_apart_costs_only_that_check(tmp_path: Path, monkeypatch):
    outs, facts, _ = _run_plugins(tmp_path, monkeypatch, "crash")
    st = {c.name: c for c in outs[0].checks}
    assert st["apart"].status == "error" and "ended without a result (signal 6)" in st["apart"].error
    assert st["here"].status == "ok" and outs[0].status == "complete"
    assert facts[0]["here"]["pid"] == os.getpid()


def test_a_hanging_check_apart_is_stopped_at_its_limit(tmp_path: Path, monkeypatch):
    t0 = time.monotonic()
    outs, _, _ = _run_plugins(tmp_path, monkeypatch, "hang", extra="  time_limit_s: 1.5\n")
    took = time.monotonic() - t0
    st = {c.name: c for c in outs[0].checks}
    assert st["apart"].status == "error" and st["apart"].error.startswith("time limit")
    assert st["here"].status == "ok" and outs[0].status == "complete"
    assert took < 30
    pid = int((tmp_path / "hang.pid").read_text())
    with pytest.raises(ProcessLookupError):  # killed and reaped: a thread could only have been abandoned
        os.kill(pid, 0)


def test_a_result_that_cannot_cross_the_pipe_is_the_checks_error(tmp_path: Path, monkeypatch):
    outs, _, _ = _run_plugins(tmp_path, monkeypatch, "unpicklable")
    st = {c.name: c for c in outs[0].checks}
    assert st["apart"].status == "error" and "result not transferable" in st["apart"].error
    assert st["here"].status == "ok"


def test_processes_setting():
    assert check_procs.processes_for(0) == 0 and check_procs.processes_for(3) == 3
    assert check_procs.processes_for("auto") == (min(check_procs.usable_cpus(), 4)
                                                 if check_procs.usable_cpus() >= 2 else 0)


def test_bad_processes_setting_is_a_config_error(tmp_path: Path):
    from auditor.errors import ConfigError

    cfg = tmp_path / "config.yaml"
    cfg.write_text("sites:\n  - name: desa\n    url: http://127.0.0.1:9/\nchecks:\n  processes: -1\n")
    with pytest.raises(ConfigError, match="processes"):
        load_config(cfg)


# --- the history the checks see before the pages are saved ---------------------------------------


def _page(url: str, body: str, when: datetime, status: int = 200) -> Page:
    return Page(url=url, final_url=url, status=status, body=body.encode(), fetched_at=when,
                headers=Headers([("content-type", "text/html")]))


def test_history_of_unsaved_pages_is_what_saving_them_gives(tmp_path: Path):
    """New, changed, unchanged, failing and repeated URLs over three scans: `page_history(site, unsaved)`
    before `save_pages` equals `page_history(site)` after it, every time."""
    store = Store(tmp_path / "h.sqlite")
    t = datetime(2026, 11, 1, 8, tzinfo=UTC)
    scans = [
        [_page("https://d/a", "a1", t), _page("https://d/b", "b1", t), _page("https://d/c", "c1", t, 500)],
        [_page("https://d/a", "a1", t + timedelta(days=1)), _page("https://d/b", "b2", t + timedelta(days=1)),
         _page("https://d/c", "c1", t + timedelta(days=1)), _page("https://d/d", "d1", t + timedelta(days=1))],
        [_page("https://d/a", "a2", t + timedelta(days=2)), _page("https://d/a", "a3", t + timedelta(days=2, hours=1)),
         _page("https://d/b", "b2", t + timedelta(days=2))],
    ]
    try:
        for i, pages in enumerate(scans):
            run = store.start_run("desa", "https://d/", started=t + timedelta(days=i))
            before = store.page_history("desa", pages)
            store.save_pages(run, "desa", pages)
            assert before == store.page_history("desa"), i
        final = store.page_history("desa")
        assert final["https://d/a"] == (t, t + timedelta(days=2, hours=1))
        assert final["https://d/b"] == (t, t + timedelta(days=1))
        assert "https://d/c" in final and final["https://d/d"][0] == t + timedelta(days=1)
    finally:
        store.close()
