"""Stable fingerprints for site-level findings (issue 16): one finding per rule per site keeps its
identity while the set of affected pages grows and shrinks; an old store's issues are carried over."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auditor.config import load_config
from auditor.runner import run_audit
from auditor.store import MIGRATIONS, Store
from auditor.store_migrations import HEADERS_SITE_LEVEL_RULES, site_level_fingerprints
from checks.base import fingerprint
from checks.headers.texts import RULEBOOK
from tests.pg import fresh_database, postgres_server
from tests.servers import serve

RULE = "headers.xcto.missing"
HTML = "text/html; charset=utf-8"


def _routes(affected: set[str]) -> dict:
    """Four linked pages; those in `affected` lack X-Content-Type-Options."""

    def page(path: str):
        def route(_handler):
            headers = {"Content-Type": HTML}
            if path not in affected:
                headers["X-Content-Type-Options"] = "nosniff"
            links = "".join(f'<a href="{p}">{p}</a> ' for p in ("/a", "/b", "/c"))
            return 200, headers, f"<html><head><title>PPID {path}</title></head><body>{links}</body></html>"
        return route

    return {p: page(p) for p in ("/", "/a", "/b", "/c")}


def test_site_level_finding_stays_one_open_issue_as_pages_change(tmp_path: Path):
    affected: set[str] = set()
    with serve(_routes(affected)) as srv:
        cfg_path = tmp_path / "config.yaml"
        cfg_path.write_text(f"sites:\n  - name: desa\n    url: {srv.url}\ncrawl:\n  max_pages: 10\n  timeout_s: 5\n"
                            f"checks:\n  enabled: [headers]\nstorage:\n  database: {tmp_path / 'db.sqlite'}\n")
        cfg = load_config(cfg_path)
        store = Store(cfg.database_path)
        seen = []
        # the smallest affected URL moves every time: /b, then /a (grown), then /c (shrunk and moved)
        for i, pages in enumerate(({"/b"}, {"/a", "/b"}, {"/c"})):
            affected.clear()
            affected.update(pages)
            t0 = datetime(2026, 6, 1, tzinfo=UTC) + timedelta(days=i)
            outcome = run_audit(cfg, cfg.sites[0], store, quiet=True, now=lambda t0=t0: t0)
            [f] = [f for f in outcome.findings if f.rule == RULE]
            assert sorted(u.rsplit("/", 1)[-1] for u in f.data["urls"]) == sorted(p.strip("/") for p in pages)
            seen.append((f.fingerprint, outcome.lifecycle[f.fingerprint], f.url))
    fps = {fp for fp, _, _ in seen}
    assert len(fps) == 1, seen
    assert [state for _, state, _ in seen] == ["new", "open", "open"]
    assert len({url for _, _, url in seen}) == 3  # the example URL moved every time: it is not the identity
    issues = [i for i in store.issues(site="desa") if i.rule == RULE]
    assert len(issues) == 1 and issues[0].status == "open" and issues[0].reopen_count == 0
    assert not [i for i in store.issues(site="desa", status="fixed") if i.check == "headers"]


def test_site_level_rules_are_the_migrated_ones():
    """The migration's frozen list is exactly today's site-level headers records."""
    assert set(HEADERS_SITE_LEVEL_RULES) == {rid for rid, r in RULEBOOK.items() if r.site_level}
    assert not RULEBOOK["headers.grade"].site_level


# -- the store migration --------------------------------------------------------------------------------

def _old_fp(rule: str, url: str) -> str:
    return fingerprint("headers", rule, url, "site")  # the formula before issue 16: smallest URL included


def _old_store(store: Store) -> None:
    """Write what today's code minus issue 16 wrote: headers findings keyed by their smallest URL, and the
    fixed + new issues that produced (run 1 on /b, run 2 on /a), plus an unrelated tls issue."""
    db = store.db
    rows = [("r1", "2026-05-01T00:00:00+00:00", "https://desa.test/b"),
            ("r2", "2026-05-02T00:00:00+00:00", "https://desa.test/a")]
    with store.tx():
        for run_id, when, url in rows:
            db.execute("INSERT INTO runs (id, site, url, kind, started, finished, status) VALUES (?,?,?,?,?,?,?)",
                       (run_id, "desa", "https://desa.test/", "scan", when, when, "complete"))
            db.execute("INSERT INTO findings (run_id, fingerprint, check_name, rule, severity, title, url,"
                       " lifecycle) VALUES (?,?,?,?,?,?,?,?)",
                       (run_id, _old_fp(RULE, url), "headers", RULE, "low", "t", url, "new"))
        db.execute("INSERT INTO issues (site, fingerprint, check_name, rule, severity, title, url, status,"
                   " first_run, first_seen, last_run, last_seen, fixed_run, fixed_at, reopen_count)"
                   " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   ("desa", _old_fp(RULE, "https://desa.test/b"), "headers", RULE, "low", "t",
                    "https://desa.test/b", "fixed", "r1", rows[0][1], "r1", rows[0][1], "r2", rows[1][1], 0))
        db.execute("INSERT INTO issues (site, fingerprint, check_name, rule, severity, title, url, status,"
                   " first_run, first_seen, last_run, last_seen, reopen_count) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   ("desa", _old_fp(RULE, "https://desa.test/a"), "headers", RULE, "low", "t",
                    "https://desa.test/a", "open", "r2", rows[1][1], "r2", rows[1][1], 0))
        db.execute("INSERT INTO issues (site, fingerprint, check_name, rule, severity, title, url, status,"
                   " first_run, first_seen, last_run, last_seen, reopen_count) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   ("desa", "tlsfp", "tls", "tls.cert.expiring", "low", "t", "https://desa.test/", "open", "r1",
                    rows[0][1], "r2", rows[1][1], 0))
        # as if written before this migration
        before = MIGRATIONS.index(site_level_fingerprints)  # the version a store had before this step
        if db.is_pg:
            db.execute("DELETE FROM ppid_schema WHERE version > ?", (before,))
        else:
            db.set_schema_version(before)


def _check_migrated(store: Store) -> None:
    new = fingerprint("headers", RULE, "", "site")
    issues = {i.fingerprint: i for i in store.issues(site="desa")}
    assert set(issues) == {new, "tlsfp"}
    merged = issues[new]
    assert merged.status == "open" and merged.first_seen == datetime(2026, 5, 1, tzinfo=UTC)
    assert merged.last_seen == datetime(2026, 5, 2, tzinfo=UTC) and merged.fixed_at is None
    assert [sf.fingerprint for sf in store.findings("r1")] == [new]
    assert [sf.fingerprint for sf in store.findings("r2")] == [new]
    assert store.schema_version == len(MIGRATIONS)


def _downgrade_then_reopen(url: str) -> Store:
    """Roll the schema back to before this migration on a store created with today's code, fill it the old
    way, and open it again (which runs the migration)."""
    store = Store(url)
    _old_store(store)
    store.close()
    return Store(url)  # runs the last migration


def test_old_fingerprints_migrate_sqlite(tmp_path: Path):
    store = _downgrade_then_reopen(str(tmp_path / "old.sqlite"))
    _check_migrated(store)
    con = sqlite3.connect(tmp_path / "old.sqlite")
    assert con.execute("SELECT COUNT(*) FROM issues WHERE check_name='headers'").fetchone() == (1,)


@pytest.fixture(scope="module")
def pg_url():
    with postgres_server() as url:
        yield url


def test_old_fingerprints_migrate_postgresql(pg_url: str):
    store = _downgrade_then_reopen(fresh_database(pg_url, "t_fp_migration"))
    _check_migrated(store)
