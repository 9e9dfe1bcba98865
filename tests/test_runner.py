"""Runner + CLI end to end against real loopback servers: plugin isolation, JSON/SARIF, exit codes,
kill -9 mid-scan."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditor import check_procs
from auditor.cli import main
from auditor.config import load_config
from auditor.runner import run_audit
from auditor.store import Store
from tests.plugin_fixture import install_plugin, uninstall_plugin
from tests.servers import serve

HTML = {"Content-Type": "text/html; charset=utf-8"}


def site_routes() -> dict:
    return {
        "/": (200, HTML, '<html><head><title>Beranda PPID</title></head><body>'
                         '<a href="/profil">Profil</a> <a href="/hilang.pdf">APBDes</a>'
                         ' <a href="/rusak">Berita</a></body></html>'),
        "/profil": (200, HTML, "<html><head><title>Profil Kalurahan</title></head><body>ok</body></html>"),
        "/rusak": (500, HTML, "<html><head><title>Error</title></head></html>"),
        "/robots.txt": (200, {"Content-Type": "text/plain"}, "User-agent: *\nAllow: /\n"),
    }


def write_config(tmp_path: Path, url: str, enabled: list[str] | None = None, extra: str = "") -> Path:
    enabled_yaml = f"  enabled: [{', '.join(enabled)}]\n" if enabled is not None else ""
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"sites:\n  - name: desa\n    url: {url}\ncrawl:\n  max_pages: 20\n  timeout_s: 5\n"
                   f"checks:\n{enabled_yaml}{extra}storage:\n  database: {tmp_path / 'db.sqlite'}\n")
    return cfg


@pytest.fixture()
def plugin(tmp_path: Path):
    install_plugin(tmp_path)
    yield
    uninstall_plugin(tmp_path)


def test_failing_check_does_not_stop_the_others(tmp_path: Path, plugin: None) -> None:
    with serve(site_routes()) as srv:
        cfg = load_config(write_config(tmp_path, srv.url, ["boom", "links", "skippy", "titleword", "broken"]))
        store = Store(cfg.database_path)
        outcome = run_audit(cfg, cfg.sites[0], store)
    status = {c.name: c.status for c in outcome.checks}
    assert status == {"boom": "error", "links": "ok", "skippy": "skipped", "titleword": "ok", "broken": "error"}
    errors = {c.name: c.error for c in outcome.checks}
    assert "boom from a broken plugin" in errors["boom"]
    assert "cannot load check" in errors["broken"]
    rules = sorted(f.rule for f in outcome.findings)
    # /hilang.pdf (404) and /rusak (500) are broken; "Profil Kalurahan" lacks the word PPID
    assert rules == ["content.link.broken", "content.link.broken", "test.title.word"]
    assert store.run(outcome.run_id).status == "complete"
    assert {c.name: c.status for c in store.check_runs(outcome.run_id)} == status


def test_scan_json_sarif_and_fail_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with serve(site_routes()) as srv:
        cfg = write_config(tmp_path, srv.url, ["links"])
        out_json, out_sarif = tmp_path / "f.json", tmp_path / "f.sarif"
        rc = main(["scan", "--config", str(cfg), "--json", str(out_json), "--sarif", str(out_sarif), "--quiet"])
        assert rc == 0  # findings never fail without --fail-on
        rc_fail = main(["scan", "--config", str(cfg), "--fail-on", "medium", "--quiet"])
        rc_pass = main(["scan", "--config", str(cfg), "--fail-on", "high", "--quiet"])
    assert (rc_fail, rc_pass) == (1, 0)
    data = json.loads(out_json.read_text())
    assert set(data) == {"tool", "run", "checks", "findings"}
    assert data["tool"]["name"] == "ppid-auditor"
    assert {"id", "site", "url", "started", "finished", "pages", "documents"} <= set(data["run"])
    assert data["checks"] == [{"name": "links", "status": "ok", "duration_s": data["checks"][0]["duration_s"],
                               "error": None}]
    by_url = {f["url"].rsplit("/", 1)[-1]: f for f in data["findings"]}
    assert set(by_url) == {"hilang.pdf", "rusak"}
    pdf = by_url["hilang.pdf"]
    assert pdf["rule"] == "content.link.broken" and pdf["severity"] == "medium" and pdf["check"] == "links"
    for key in ("title", "evidence", "remediation", "references", "fingerprint"):
        assert pdf[key]
    sarif = json.loads(out_sarif.read_text())
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert {r["partialFingerprints"]["ppidFingerprint/v1"] for r in results} == {
        f["fingerprint"] for f in data["findings"]}
    # the rule table comes from the rule record, not from the first finding's text
    [rule] = sarif["runs"][0]["tool"]["driver"]["rules"]
    from checks.content.records import LINKS_RULEBOOK
    record = LINKS_RULEBOOK["content.link.broken"]
    assert rule["id"] == "content.link.broken" and rule["shortDescription"]["text"] == record.summary("id")
    assert rule["properties"]["observes"] == "content" and rule["helpUri"] == record.references[0]
    assert rule["defaultConfiguration"]["level"] == "note"  # the record's default (low), not the pdf's medium
    # the second and third scans saw the same findings: lifecycle "open", not "new"
    store = Store(tmp_path / "db.sqlite")
    runs = store.runs(site="desa")
    assert len(runs) == 3
    assert {s.lifecycle for s in store.findings(runs[-1].id)} == {"open"}


def test_unreachable_site_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with serve({}) as srv:
        port = srv.port
    cfg = write_config(tmp_path, f"http://127.0.0.1:{port}/", ["links"])
    assert main(["scan", "--config", str(cfg), "--quiet"]) == 3
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port}" in err and "connection refused" in err


def test_unknown_site_and_check_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path, "http://127.0.0.1:9/", ["links"])
    assert main(["scan", "--config", str(cfg), "--site", "nope"]) == 2
    assert main(["scan", "--config", str(cfg), "--checks", "nope"]) == 2
    err = capsys.readouterr().err
    assert "--site nope" in err and "--checks: unknown check(s) nope" in err


def test_kill_9_mid_scan_leaves_db_valid(tmp_path: Path) -> None:
    def slow(_h):
        time.sleep(0.3)
        return 200, HTML, "<html><head><title>lambat</title></head><body>ok</body></html>"

    links = "".join(f'<a href="/p{i}">{i}</a>' for i in range(200))
    routes = {"/": (200, HTML, f"<html><head><title>Beranda</title></head><body>{links}</body></html>")}
    with serve(routes) as fast:
        cfg = write_config(tmp_path, fast.url, ["links"])
        assert main(["scan", "--config", str(cfg), "--quiet"]) == 0  # an earlier, complete run
    before = Store(tmp_path / "db.sqlite")
    first = before.runs(site="desa")[0]
    first_findings = [s.fingerprint for s in before.findings(first.id)]
    before.close()
    assert first_findings  # the /pN links answer 404 on the fast server
    with serve(routes, default=slow) as srv:
        cfg = write_config(tmp_path, srv.url, ["links"])
        proc = subprocess.Popen([sys.executable, "-m", "auditor", "scan", "--config", str(cfg), "--quiet"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while srv.stats["requests"] < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    db = sqlite3.connect(tmp_path / "db.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    store = Store(tmp_path / "db.sqlite")
    runs = store.runs(site="desa", status=None)
    assert [r.status for r in runs] == ["complete", "incomplete"]
    assert runs[0].id == first.id
    assert [s.fingerprint for s in store.findings(first.id)] == first_findings
    assert store.check_runs(first.id)[0].status == "ok"


def test_next_run_gets_typed_previous_facts_and_parses_each_page_once(tmp_path: Path, monkeypatch) -> None:
    """Also when content and personal_data run in child processes (`checks.processes`): the spies write to
    files, which every process appends to, so a parse in a child counts too."""
    from auditor import htmldoc
    from checks.content import ContentCheck
    from checks.facts import ContentFacts, LinksFacts

    seen_file, parse_file = tmp_path / "seen.txt", tmp_path / "parses.txt"
    real_run = ContentCheck.run

    def note(path: Path, line: str) -> None:
        with path.open("a") as fh:
            fh.write(line + "\n")

    def spy(self, ctx):
        note(seen_file, f"{os.getpid()} {type(ctx.previous_facts).__name__} "
                        f"{getattr(ctx.previous_facts, 'history_since', None) is not None}")
        return real_run(self, ctx)

    monkeypatch.setattr(ContentCheck, "run", spy)
    real_parse = htmldoc.parse_document

    def counted(text):
        note(parse_file, str(os.getpid()))
        return real_parse(text)

    monkeypatch.setattr(htmldoc, "parse_document", counted)
    with serve(site_routes()) as srv:
        cfg = load_config(write_config(tmp_path, srv.url, ["links", "headers", "content", "personal_data"]))
        store = Store(cfg.database_path)
        first = run_audit(cfg, cfg.sites[0], store, quiet=True)
        html_pages = sum(1 for p in first.site.pages if p.ok and p.parseable)
        assert len(parse_file.read_text().split()) == html_pages == 2  # the crawler's parse served every check
        second = run_audit(cfg, cfg.sites[0], store, quiet=True)
        assert first.site.pages[0]._document is None  # released after the checks
        store.close()
    seen = [line.split() for line in seen_file.read_text().splitlines()]
    assert [s[1:] for s in seen] == [["NoneType", "False"], [ContentFacts.__name__, "True"]]
    assert len(parse_file.read_text().split()) == 4 and second.status == "complete"
    assert isinstance(store_facts(cfg, second.run_id)["links"], LinksFacts)
    if check_procs.processes_for("auto") and check_procs.FORK:
        assert {int(s[0]) for s in seen}.isdisjoint({os.getpid()})  # content ran apart, and still saw all this


def store_facts(cfg, run_id: str) -> dict:
    store = Store(cfg.database_path)
    try:
        return store.typed_facts(run_id)
    finally:
        store.close()
