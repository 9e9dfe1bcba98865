"""Per-check time limits: a third-party check that sleeps forever is abandoned at its limit and reported
`error: time limit`; the other checks, the JSON/SARIF files, the store and the monthly report are all there."""

from __future__ import annotations

import importlib
import json
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.config import load_config
from auditor.errors import ConfigError
from auditor.store import Store
from tests.servers import serve

HTML = {"Content-Type": "text/html; charset=utf-8"}
LIMIT_S = 2.0

SLEEPY_SRC = textwrap.dedent('''
    import threading, time
    from checks.base import Check

    RELEASE = threading.Event()
    AFTER_LIMIT = []

    class SleepyCheck(Check):
        name = "sleepy"
        description = "sleeps forever"
        def run(self, ctx):
            time.sleep(%(after)s)  # past its limit: the runner has stopped waiting by now
            AFTER_LIMIT.append(ctx.http.fetch(ctx.site.url))
            while not RELEASE.wait(0.5):  # "forever" (released at the end of the test)
                pass
            return []
''')


@pytest.fixture()
def sleepy(tmp_path: Path):
    root = tmp_path / "sleepy_site"
    root.mkdir()
    (root / "ppid_sleepy_plugin.py").write_text(SLEEPY_SRC % {"after": LIMIT_S + 0.5})
    dist = root / "ppid_sleepy_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ppid-sleepy-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[ppid_auditor.checks]\nsleepy = ppid_sleepy_plugin:SleepyCheck\n")
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    yield
    mod = sys.modules.get("ppid_sleepy_plugin")
    if mod is not None:
        mod.RELEASE.set()
    sys.path.remove(str(root))
    sys.modules.pop("ppid_sleepy_plugin", None)
    importlib.invalidate_caches()


def write_config(tmp_path: Path, url: str, limits: str) -> Path:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"sites:\n  - name: desa\n    url: {url}\ncrawl:\n  max_pages: 10\n  timeout_s: 5\n"
                   f"checks:\n  enabled: [sleepy, links]\n{limits}"
                   f"storage:\n  database: {tmp_path / 'db.sqlite'}\nreports:\n  output_dir: {tmp_path / 'out'}\n")
    return cfg


def test_check_sleeping_forever_is_reported_time_limit(tmp_path: Path, sleepy: None) -> None:
    routes = {"/": (200, HTML, '<html><head><title>PPID</title></head><body><a href="/hilang">x</a></body></html>')}
    with serve(routes) as srv:
        cfg = write_config(tmp_path, srv.url, f"  time_limits:\n    sleepy: {LIMIT_S}\n")
        out_json, out_sarif = tmp_path / "f.json", tmp_path / "f.sarif"
        started = time.monotonic()
        rc = main(["scan", "--config", str(cfg), "--json", str(out_json), "--sarif", str(out_sarif), "--quiet"])
        took = time.monotonic() - started
        time.sleep(1.0)  # let the abandoned check wake up and try the network after its limit
        mod = sys.modules["ppid_sleepy_plugin"]
        after = list(mod.AFTER_LIMIT)
    print(f"scan with a check sleeping forever: {took:.2f} s")
    assert rc == 0
    data = json.loads(out_json.read_text())
    checks = {c["name"]: c for c in data["checks"]}
    assert checks["sleepy"]["status"] == "error" and checks["sleepy"]["error"].startswith("time limit")
    assert checks["sleepy"]["duration_s"] <= LIMIT_S + 2
    assert checks["links"]["status"] == "ok"
    assert [f["rule"] for f in data["findings"]] == ["content.link.broken"]  # the others report normally
    assert data["run"]["status"] == "complete"
    assert json.loads(out_sarif.read_text())["runs"]
    store = Store(load_config(cfg).database_path)
    stored = {c.name: c for c in store.check_runs(data["run"]["id"])}
    assert stored["sleepy"].status == "error" and "time limit" in stored["sleepy"].error
    # The abandoned thread can no longer reach the network through its context.
    assert after and after[0].error and "time limit" in after[0].error
    # The monthly report names the check that timed out.
    month = datetime.now(UTC).strftime("%Y-%m")
    assert main(["report", "monthly", "--config", str(cfg), "--month", month, "--format", "html"]) == 0
    html = "".join(p.read_text() for p in (tmp_path / "out").rglob("*.html"))
    assert "sleepy" in html and "time limit: stopped after 2 s" in html


def test_time_limits_config_is_validated(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, "http://127.0.0.1:1/", "  time_limits:\n    nosuch: 5\n")
    cfg.write_text(cfg.read_text().replace("enabled: [sleepy, links]", "enabled: [links]"))
    with pytest.raises(ConfigError, match=r"checks\.time_limits\.nosuch: unknown check"):
        load_config(cfg)
    cfg.write_text(cfg.read_text().replace("nosuch: 5", "links: 0"))
    with pytest.raises(ConfigError, match=r"checks\.time_limits: links: must be > 0"):
        load_config(cfg)
    cfg.write_text(cfg.read_text().replace("  time_limits:\n    links: 0\n", "  time_limit_s: -1\n"))
    with pytest.raises(ConfigError, match=r"checks\.time_limit_s: must be > 0"):
        load_config(cfg)
