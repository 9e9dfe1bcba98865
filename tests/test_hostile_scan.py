"""A whole scan (CLI, default checks) of a site with ten dripping URLs: the issue's nightly scan that never
finished. With `time_budget_s: 60` it must end within 75 s, the drips recorded as timed out, every other
page fetched and every check reported."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from auditor.cli import main
from tests.servers import serve

HTML = {"Content-Type": "text/html; charset=utf-8"}
DRIPS = [f"/lambat/{i}" for i in range(10)]
PAGES = [f"/berita/{i}" for i in range(20)]

pytestmark = pytest.mark.timeout(150)


def drip(handler) -> None:
    """200 and honest headers, then one byte every two seconds (the issue's hostile page)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    handler.wfile.write(b"<html>")
    handler.wfile.flush()
    for _ in range(100000):
        time.sleep(2)
        handler.wfile.write(b"x")
        handler.wfile.flush()


def test_scan_with_ten_dripping_urls_completes_within_budget(tmp_path: Path, capsys) -> None:
    links = "".join(f'<a href="{d}">lambat</a> <a href="{p}">berita</a> ' for d, p in zip(DRIPS, PAGES[:len(DRIPS)], strict=True))
    links += "".join(f'<a href="{p}">berita</a> ' for p in PAGES[len(DRIPS):])
    routes = {"/": (200, HTML, f"<html><head><title>Beranda PPID</title></head><body>{links}</body></html>"),
              "/robots.txt": (200, {"Content-Type": "text/plain"}, "User-agent: *\nAllow: /\n")}
    routes.update({p: (200, HTML, f"<html><head><title>Berita {p}</title></head><body>ok</body></html>")
                   for p in PAGES})
    routes.update({d: drip for d in DRIPS})
    with serve(routes) as srv:
        cfg = tmp_path / "config.yaml"
        cfg.write_text(f"sites:\n  - name: desa\n    url: {srv.url}\ncrawl:\n  time_budget_s: 60\n"
                       f"storage:\n  database: {tmp_path / 'db.sqlite'}\n")
        out = tmp_path / "f.json"
        started = time.monotonic()
        rc = main(["scan", "--config", str(cfg), "--json", str(out), "--quiet"])
        took = time.monotonic() - started
    print(f"scan with ten dripping URLs: {took:.1f} s")
    assert took <= 75, f"{took:.1f} s"
    assert rc == 0
    data = json.loads(out.read_text())
    assert data["run"]["status"] == "complete"
    checks = {c["name"]: c for c in data["checks"]}
    assert checks and all(c["status"] in ("ok", "skipped") for c in checks.values()), checks
    from auditor.config import load_config
    from auditor.store import Store

    store = Store(load_config(cfg).database_path)
    pages = {urlpath(p.url): p for p in store.run_pages(data["run"]["id"])}
    for d in DRIPS:
        assert pages[d].error and pages[d].error.startswith("timed out"), (d, pages[d].error)
    for p in ["/", *PAGES]:
        assert pages[p].status == 200 and not pages[p].error, p


def urlpath(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path or "/"
