"""Store: migrations, finding lifecycle across runs, incomplete runs, prune."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auditor.errors import StoreError
from auditor.snapshot import Headers, Page
from auditor.store import Store
from checks.base import Finding, Severity
from tests.pg import fresh_database, postgres_server

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def pg_url():
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path: Path) -> str:
    """The same store tests on both backends."""
    if request.param == "sqlite":
        return str(tmp_path / "s.sqlite")
    return fresh_database(request.getfixturevalue("pg_url"), f"t_{abs(hash(request.node.name)) % 10**8}")


def finding(rule: str, url: str = "https://desa.test/", check: str = "demo") -> Finding:
    return Finding(check=check, rule=rule, severity=Severity.HIGH, title=f"Judul {rule}", url=url)


def scripted_run(store: Store, when: datetime, findings: list[Finding], ok_checks=("demo",),
                 pages: list[Page] | None = None) -> tuple[str, dict[str, str]]:
    run_id = store.start_run("desa", "https://desa.test/", started=when)
    store.save_pages(run_id, "desa", pages or [])
    for name in ok_checks:
        store.save_check(run_id, name, "ok", 0.1, None, [f for f in findings if f.check == name])
    for name in {f.check for f in findings} - set(ok_checks):
        store.save_check(run_id, name, "error", 0.1, "boom", [])
    return run_id, store.finish_run(run_id, finished=when + timedelta(minutes=1))


def test_lifecycle_new_open_fixed_reopened(db_url: str) -> None:
    store = Store(db_url)
    a, b = finding("headers.csp.missing"), finding("tls.cert.expiring")
    _, l1 = scripted_run(store, T0, [a, b])
    assert l1 == {a.fingerprint: "new", b.fingerprint: "new"}
    _, l2 = scripted_run(store, T0 + timedelta(days=1), [a])
    assert l2 == {a.fingerprint: "open"}
    assert {i.fingerprint for i in store.issues(status="fixed")} == {b.fingerprint}
    _, l3 = scripted_run(store, T0 + timedelta(days=2), [a, b])
    assert l3[b.fingerprint] == "reopened"
    issue_b = next(i for i in store.issues() if i.fingerprint == b.fingerprint)
    assert issue_b.status == "open" and issue_b.reopen_count == 1
    assert issue_b.first_seen == T0 + timedelta(minutes=1)


def test_failed_check_does_not_mark_fixed(db_url: str) -> None:
    store = Store(db_url)
    a = finding("tls.cert.expired", check="tls")
    scripted_run(store, T0, [a], ok_checks=("tls",))
    # the tls check errors in the second run: its old finding must stay open, not be declared fixed
    run_id = store.start_run("desa", "https://desa.test/", started=T0 + timedelta(days=1))
    store.save_check(run_id, "tls", "error", 0.1, "RuntimeError: boom", [])
    store.finish_run(run_id)
    assert [i.status for i in store.issues()] == ["open"]


def test_running_run_of_dead_process_becomes_incomplete(db_url: str) -> None:
    path = db_url
    store = Store(path)
    done, _ = scripted_run(store, T0, [finding("x.y")])
    run_id = store.start_run("desa", "https://desa.test/", started=T0 + timedelta(days=1))
    store.db.execute("UPDATE runs SET pid=? WHERE id=?", (2**22 + 12345, run_id))  # no such process
    store.close()
    reopened = Store(path)
    assert reopened.run(run_id).status == "incomplete"
    assert reopened.run(done).status == "complete"
    assert len(reopened.findings(done)) == 1


def test_page_history_and_prune(db_url: str) -> None:
    store = Store(db_url)
    page = Page(url="https://desa.test/", status=200, headers=Headers([("Content-Type", "text/html")]),
                body=b"<html>v1</html>", fetched_at=T0)
    r1, _ = scripted_run(store, T0, [], pages=[page])
    page2 = Page(url="https://desa.test/", status=200, body=b"<html>v2</html>", fetched_at=T0 + timedelta(days=40))
    r2, _ = scripted_run(store, T0 + timedelta(days=40), [], pages=[page2])
    first, changed = store.page_history("desa")["https://desa.test/"]
    assert first == T0 and changed == T0 + timedelta(days=40)
    sha1 = store.run_pages(r1)[0].sha256
    sha2 = store.run_pages(r2)[0].sha256
    assert store.body(sha1) == b"<html>v1</html>"
    result = store.prune(keep_days=30, now=T0 + timedelta(days=41))
    assert result["bodies_dropped"] == 1
    assert store.body(sha1) is None and store.body(sha2) == b"<html>v2</html>"
    assert store.run_pages(r1)[0].sha256 == sha1  # the page record (history) stays


def test_corrupt_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open the history store"):
        Store(path)


def test_newer_schema_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer than this ppid-auditor"):
        Store(path)


def _open_and_close(path: str) -> int:
    store = Store(path)
    version = store.schema_version
    store.close()
    return version


def test_fresh_store_opened_by_several_processes_at_once(tmp_path: Path) -> None:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        for i in range(5):
            path = str(tmp_path / f"race{i}.sqlite")
            versions = pool.map(_open_and_close, [path] * 4)
            assert len(set(versions)) == 1 and versions[0] >= 3
