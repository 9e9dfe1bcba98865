"""The content update log (Form daftar update konten): pure diffing, then through the store and the CLI."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from auditor.cli import main
from auditor.contentlog import build_log, diff_runs, month_bounds
from auditor.snapshot import Document, Headers, Page
from auditor.store import Store

BASE = "http://127.0.0.1:8080"


@dataclass
class R:
    id: str
    site: str
    started: datetime


@dataclass
class P:
    url: str
    kind: str = "page"
    status: int | None = 200
    sha256: str | None = "a"
    title: str = ""


def test_diff_added_changed_removed():
    when = datetime(2026, 8, 3, tzinfo=UTC)
    prev = [P("/a", sha256="1"), P("/b", sha256="2"), P("/gone"), P("/404", status=404), P("/doc.pdf", "document")]
    cur = [P("/a", sha256="1"), P("/b", sha256="3", title="B baru"), P("/new", title="Baru"),
           P("/doc.pdf", "document", status=410), P("/404", status=404), P("/unknown", status=None)]
    got = {(e.url, e.action, e.kind) for e in diff_runs(prev, cur, site="s", when=when)}
    assert got == {("/b", "changed", "page"), ("/new", "added", "page"), ("/gone", "removed", "page"),
                   ("/doc.pdf", "removed", "document")}


def test_missing_hash_is_not_a_change():
    when = datetime(2026, 8, 3, tzinfo=UTC)
    assert diff_runs([P("/a", sha256=None)], [P("/a", sha256="x")], site="s", when=when) == []


def test_build_log_uses_the_run_before_the_period_as_baseline():
    t = datetime(2026, 7, 30, 2, tzinfo=UTC)
    history = [
        (R("r1", "s", t), [P("/a", sha256="1")]),  # July: baseline only
        (R("r2", "s", t + timedelta(days=3)), [P("/a", sha256="2"), P("/b")]),  # 2 Aug
        (R("r3", "s", t + timedelta(days=10)), [P("/a", sha256="2")]),  # 9 Aug: /b removed
        (R("r4", "s", t + timedelta(days=40)), [P("/c")]),  # September: outside
        (R("o1", "other", t + timedelta(days=5)), [P("/x")]),  # another site, first run in period
    ]
    start, end = month_bounds("2026-08")
    log = build_log(history, start, end)
    got = [(e.site, e.url, e.action, e.when.day) for e in log.entries]
    assert got == [("s", "/b", "added", 2), ("s", "/a", "changed", 2), ("s", "/b", "removed", 9)]
    assert log.runs == 2 and log.counts() == {"added": 1, "changed": 1, "removed": 1}
    assert any("other" in n and "baseline" in n for n in log.notes)
    assert json.loads(json.dumps(log.to_json()))["counts"]["added"] == 1


@pytest.mark.parametrize("month,start,end", [("2026-02", (2026, 2, 1), (2026, 3, 1)),
                                             ("2026-12", (2026, 12, 1), (2027, 1, 1))])
def test_month_bounds(month, start, end):
    s, e = month_bounds(month)
    assert (s.year, s.month, s.day) == start and (e.year, e.month, e.day) == end


@pytest.mark.parametrize("bad", ["2026-13", "08-2026", "2026/08", "x"])
def test_month_bounds_rejects(bad):
    with pytest.raises(ValueError):
        month_bounds(bad)


# --- through the store and the CLI ---------------------------------------------------------------------

def page(path: str, body: str, when: datetime, status: int = 200) -> Page:
    return Page(url=BASE + path, final_url=BASE + path, status=status,
                headers=Headers([("Content-Type", "text/html")]), body=body.encode(), title=path.strip("/") or "home",
                fetched_at=when)


def scan(store: Store, when: datetime, resources: list[Page]) -> str:
    run_id = store.start_run("sukamaju", BASE + "/", started=when)
    store.save_pages(run_id, "sukamaju", resources)
    store.finish_run(run_id, finished=when + timedelta(minutes=2))
    return run_id


@pytest.fixture
def config_with_history(tmp_path: Path) -> Path:
    db = tmp_path / "audit.sqlite"
    store = Store(db)
    t1, t2, t3 = (datetime(2026, 7, 28, 2, tzinfo=UTC), datetime(2026, 8, 5, 2, tzinfo=UTC),
                  datetime(2026, 8, 19, 2, tzinfo=UTC))
    doc = Document(url=BASE + "/apbdes.pdf", final_url=BASE + "/apbdes.pdf", status=200,
                   headers=Headers([("Content-Type", "application/pdf")]), body=b"%PDF-1.4 v1", fetched_at=t2)
    scan(store, t1, [page("/", "v1", t1), page("/berita", "b1", t1), page("/lama", "x", t1)])
    scan(store, t2, [page("/", "v1", t2), page("/berita", "b2", t2), page("/lama", "x", t2), doc])
    scan(store, t3, [page("/", "v1", t3), page("/berita", "b2", t3), page("/lama", "", t3, status=404), doc])
    # an incomplete run never counts
    rid = store.start_run("sukamaju", BASE + "/", started=t3 + timedelta(hours=1))
    store.save_pages(rid, "sukamaju", [page("/", "broken", t3)])
    store.finish_run(rid, status="incomplete")
    store.close()
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump({"sites": [{"name": "sukamaju", "url": BASE + "/"}],
                                   "storage": {"database": str(db)}}))
    return cfg


def test_cli_content_log_month(config_with_history, capsys, tmp_path):
    out = tmp_path / "log.json"
    rc = main(["content", "log", "--config", str(config_with_history), "--month", "2026-08", "--json", str(out)])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "Form daftar update konten 2026-08-01 s.d. 2026-08-31" in printed
    data = json.loads(out.read_text())
    got = {(e["url"].removeprefix(BASE), e["action"], e["kind"]) for e in data["entries"]}
    assert got == {("/berita", "changed", "page"), ("/apbdes.pdf", "added", "document"),
                   ("/lama", "removed", "page")}
    assert data["runs"] == 2
    assert "ditambah" in printed and "dihapus" in printed


def test_cli_content_log_empty_month_and_errors(config_with_history, capsys):
    assert main(["content", "log", "--config", str(config_with_history), "--month", "2026-05", "--lang", "en"]) == 0
    assert "No content changes" in capsys.readouterr().out
    assert main(["content", "log", "--config", str(config_with_history), "--month", "2026-13"]) == 2
    assert main(["content", "log", "--config", str(config_with_history), "--site", "nope"]) == 2
    err = capsys.readouterr().err
    assert "YYYY-MM" in err and "nope" in err and "Traceback" not in err
