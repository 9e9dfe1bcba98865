"""`links` check: broken internal links and documents, through the real crawler and loopback servers."""

from __future__ import annotations

import time
from pathlib import Path

from auditor.config import load_config
from auditor.runner import run_audit
from auditor.store import Store
from checks.links import describe_problem
from tests.servers import serve

HTML = {"Content-Type": "text/html; charset=utf-8"}


def test_describe_problem_table() -> None:
    assert describe_problem(200, None) is None
    assert describe_problem(301, None) is None
    assert describe_problem(404, None)["key"] == "http4xx"
    assert describe_problem(503, None)["key"] == "http5xx"
    assert describe_problem(None, "timed out")["key"] == "timeout"
    assert describe_problem(None, "connection refused")["key"] == "noresponse"
    assert describe_problem(302, "redirect loop")["key"] == "redirect"
    assert describe_problem(302, "redirect loop", report_loops=False) is None


def test_broken_links_loops_and_timeouts_with_referrers(tmp_path: Path) -> None:
    def slow(_h):
        time.sleep(3)
        return 200, HTML, "<html>late</html>"

    routes = {
        "/": (200, HTML, "<html><head><title>Beranda</title></head><body>"
                         "<a href='/ok'>ok</a> <a href='/hilang'>hilang</a> <a href='/putar'>putar</a>"
                         "<a href='/lambat'>lambat</a> <a href='/apbdes.pdf'>APBDes</a></body></html>"),
        "/ok": (200, HTML, "<html><body><a href='/hilang'>lagi</a></body></html>"),
        "/putar": (302, {"Location": "/putar2"}, ""),
        "/putar2": (302, {"Location": "/putar"}, ""),
        "/lambat": slow,
    }
    with serve(routes) as srv:
        cfg_path = tmp_path / "config.yaml"
        cfg_path.write_text(f"sites:\n  - name: desa\n    url: {srv.url}\ncrawl:\n  timeout_s: 1\n"
                            f"checks:\n  enabled: [links]\nstorage:\n  database: {tmp_path / 'db.sqlite'}\n")
        cfg = load_config(cfg_path)
        outcome = run_audit(cfg, cfg.sites[0], Store(cfg.database_path))
    by_path = {f.url.replace(srv.url, "/"): f for f in outcome.findings}
    assert set(by_path) == {"/hilang", "/putar", "/lambat", "/apbdes.pdf"}
    assert by_path["/apbdes.pdf"].severity.label == "medium"  # a missing document weighs more than a page
    assert by_path["/hilang"].severity.label == "low"
    assert sorted(by_path["/hilang"].data["referrers"]) == [srv.url, srv.url + "ok"]
    assert "redirect loop" in by_path["/putar"].evidence
    assert by_path["/lambat"].data["error"] == "timed out"
    assert all(f.rule == "content.link.broken" for f in outcome.findings)
