"""Triage decisions on a real store (SQLite and PostgreSQL): every transition, the ordered log, undo,
refusals that write nothing, prefixes, and the improvement programme."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from auditor import triage
from auditor.store import MIGRATIONS, Store
from checks.base import Finding, Severity
from tests.pg import fresh_database, postgres_server

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def pg_url():
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path: Path):
    if request.param == "sqlite":
        url = str(tmp_path / "s.sqlite")
    else:
        url = fresh_database(request.getfixturevalue("pg_url"), f"tr_{abs(hash(request.node.name)) % 10**8}")
    s = Store(url)
    yield s
    s.close()


def finding(rule: str, url: str = "https://desa.test/", severity: Severity = Severity.HIGH,
            evidence: str = "", key: str | None = None) -> Finding:
    return Finding(check="demo", rule=rule, severity=severity, title=f"Judul {rule}", url=url,
                   evidence=evidence, key=key)


def scan(store: Store, when: datetime, findings: list[Finding]) -> dict[str, str]:
    run_id = store.start_run("desa", "https://desa.test/", started=when)
    store.save_check(run_id, "demo", "ok", 0.1, None, findings)
    return store.finish_run(run_id, finished=when + timedelta(minutes=1))


def count_events(store: Store) -> int:
    return store.db.execute("SELECT count(*) AS n FROM decision_events").fetchone()["n"]


def test_migration_appended_and_applied(store: Store) -> None:
    assert store.schema_version == len(MIGRATIONS)
    # appended once (later issues append after it; the lead renumbers): a SQL step creating the table
    assert sum(1 for m in MIGRATIONS if isinstance(m, str) and "CREATE TABLE decision_events" in m) == 1
    assert count_events(store) == 0


def test_new_assigned_note_fixed_reopened(store: Store) -> None:
    a = finding("headers.csp.missing")
    fp = a.fingerprint
    scan(store, T0, [a])
    triage.decide(store, "desa", fp, triage.ASSIGNED, actor="Kasi", owner="Budi", due=date(2026, 6, 20),
                  now=T0 + DAY)
    triage.decide(store, "desa", fp, triage.NOTE, actor="Budi", note="CSP dipasang di staging", now=T0 + 2 * DAY)
    d = triage.current_decision(store, "desa", fp, now=T0 + 2 * DAY)
    assert (d.kind, d.owner, d.due, d.last_note.note) == ("assigned", "Budi", date(2026, 6, 20),
                                                          "CSP dipasang di staging")
    assert not d.suppressed  # an assignment is follow-up, not a suppression
    scan(store, T0 + 3 * DAY, [])
    assert triage.current_decision(store, "desa", fp, now=T0 + 3 * DAY + DAY).fixed
    lc = scan(store, T0 + 5 * DAY, [a])
    assert lc[fp] == "reopened"
    d = triage.current_decision(store, "desa", fp, now=T0 + 6 * DAY)
    # the old decision is shown, not silently re-applied
    assert d.kind is None and d.reopened and not d.fixed
    assert d.previous is not None and (d.previous.kind, d.previous.owner) == ("assigned", "Budi")
    assert [e.kind for e in triage.events(store, "desa", fp)] == ["new", "assigned", "note", "fixed", "reopened"]
    log = triage.events(store, "desa", fp)
    assert [e.at for e in log] == sorted(e.at for e in log)
    assert log[1].actor == "Kasi" and log[2].actor == "Budi" and log[0].actor == triage.SYSTEM_ACTOR


def test_false_positive_stays_hidden_on_next_scan_and_after_reopen(store: Store) -> None:
    a = finding("pii.nik.exposed", evidence="3403**********01", key="doc-1")
    fp = a.fingerprint
    scan(store, T0, [a])
    triage.decide(store, "desa", fp, triage.FALSE_POSITIVE, actor="Kasi", reason="nomor contoh di formulir",
                  now=T0 + DAY)
    scan(store, T0 + 2 * DAY, [a])
    d = triage.current_decision(store, "desa", fp, now=T0 + 3 * DAY)
    assert d.kind == "false_positive" and d.suppressed and not d.evidence_changed
    scan(store, T0 + 4 * DAY, [])
    scan(store, T0 + 5 * DAY, [a])  # fixed, then back: a false positive stays while the fingerprint matches
    d = triage.current_decision(store, "desa", fp, now=T0 + 6 * DAY)
    assert d.kind == "false_positive" and d.suppressed and d.reopened
    # same fingerprint (check-chosen key), materially different evidence: say so
    changed = finding("pii.nik.exposed", evidence="3403**********77 dan 3403**********12", key="doc-1")
    assert changed.fingerprint == fp
    scan(store, T0 + 7 * DAY, [changed])
    d = triage.current_decision(store, "desa", fp, now=T0 + 8 * DAY)
    assert d.suppressed and d.evidence_changed
    # whitespace and case alone are not a material change
    assert not triage.current_decision(store, "desa", fp, now=T0 + 8 * DAY,
                                       evidence="  3403**********01 ").evidence_changed


def test_accepted_counts_again_after_expiry(store: Store) -> None:
    a = finding("tls.ocsp.stapling", severity=Severity.MEDIUM)
    fp = a.fingerprint
    scan(store, T0, [a])
    triage.decide(store, "desa", fp, triage.ACCEPTED, actor="Kasi", reason="hosting tidak mendukung OCSP",
                  until=date(2026, 7, 31), now=T0 + DAY)
    before = triage.current_decision(store, "desa", fp, now=datetime(2026, 7, 31, 23, 0, tzinfo=UTC))
    assert before.suppressed and not before.expired and before.label == "accepted"
    after = triage.current_decision(store, "desa", fp, now=datetime(2026, 8, 1, 0, 1, tzinfo=UTC))
    assert after.expired and not after.suppressed and after.label == "accepted_expired"
    assert after.until == date(2026, 7, 31) and after.reason == "hosting tidak mendukung OCSP"


def test_undo_restores_previous_state(store: Store) -> None:
    a = finding("headers.hsts.missing")
    fp = a.fingerprint
    scan(store, T0, [a])
    triage.decide(store, "desa", fp, triage.FALSE_POSITIVE, actor="A", reason="r1", now=T0 + DAY)
    triage.decide(store, "desa", fp, triage.ASSIGNED, actor="B", owner="Budi", now=T0 + 2 * DAY)
    assert triage.current_decision(store, "desa", fp, now=T0 + 2 * DAY).kind == "assigned"
    u1 = triage.undo(store, "desa", fp, actor="C", now=T0 + 3 * DAY)
    d = triage.current_decision(store, "desa", fp, now=T0 + 3 * DAY)
    assert d.kind == "false_positive" and d.reason == "r1"
    triage.undo(store, "desa", fp, actor="C", now=T0 + 4 * DAY)
    assert triage.current_decision(store, "desa", fp, now=T0 + 4 * DAY).kind is None
    n = count_events(store)
    with pytest.raises(triage.TriageError, match="nothing|no decision"):
        triage.undo(store, "desa", fp, actor="C", now=T0 + 5 * DAY)
    assert count_events(store) == n
    kinds = [e.kind for e in triage.events(store, "desa", fp)]
    assert kinds == ["new", "false_positive", "assigned", "undo", "undo"]
    assert u1.undo_of == triage.events(store, "desa", fp)[2].id


def test_assignment_defaults_to_policy_due_date(store: Store) -> None:
    a = finding("software.outdated", severity=Severity.MEDIUM)
    scan(store, T0, [a])
    ev = triage.decide(store, "desa", a.fingerprint, triage.ASSIGNED, actor="Kasi", owner="Budi", now=T0 + DAY)
    assert ev.due == (T0 + timedelta(minutes=1) + timedelta(days=30)).date()  # DUE_DAYS[MEDIUM]
    with pytest.raises(triage.TriageError, match="not a configured owner"):
        triage.decide(store, "desa", a.fingerprint, triage.ASSIGNED, actor="Kasi", owner="Siapa",
                      owners=["Budi"], now=T0 + DAY)


@pytest.mark.parametrize("kw, message", [
    ({"action": "accepted", "reason": "x", "until": date(2026, 5, 1)}, "after today"),
    ({"action": "accepted", "reason": "x", "until": date(2027, 6, 3)}, "at most 12 months"),
    ({"action": "accepted", "reason": "x", "until": None}, "expiry date"),
    ({"action": "false_positive", "reason": "   "}, "must not be empty"),
    ({"action": "accepted", "reason": "", "until": date(2026, 7, 1)}, "must not be empty"),
    ({"action": "note", "note": ""}, "must not be empty"),
    ({"action": "assigned", "owner": "Budi", "due": date(2026, 5, 30)}, "in the past"),
    ({"action": "bogus"}, "unknown triage action"),
])
def test_bad_input_refused_and_nothing_written(store: Store, kw: dict, message: str) -> None:
    a = finding("headers.csp.missing")
    scan(store, T0, [a])
    n = count_events(store)
    kw = dict(kw)
    action = kw.pop("action")
    with pytest.raises(triage.TriageError, match=message):
        triage.decide(store, "desa", a.fingerprint, action, actor="Kasi", now=T0 + DAY, **kw)
    assert count_events(store) == n


def test_twelve_months_is_the_limit(store: Store) -> None:
    a = finding("headers.csp.missing")
    scan(store, T0, [a])
    ev = triage.decide(store, "desa", a.fingerprint, "accepted", actor="K", reason="r", until=date(2027, 6, 2),
                       now=T0 + DAY)
    assert ev.until == date(2027, 6, 2)
    assert triage.add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)


def test_unknown_fingerprint_and_prefixes(store: Store) -> None:
    # two findings whose fingerprints share their first 4 characters
    seen: dict[str, Finding] = {}
    pair = None
    for i in range(5000):
        f = finding("links.broken", url=f"https://desa.test/p{i}")
        if f.fingerprint[:4] in seen:
            pair = (seen[f.fingerprint[:4]], f)
            break
        seen[f.fingerprint[:4]] = f
    assert pair is not None
    scan(store, T0, list(pair))
    n = count_events(store)
    with pytest.raises(triage.AmbiguousPrefix) as info:
        triage.resolve_prefix(store, pair[0].fingerprint[:4])
    assert {c[1] for c in info.value.candidates} == {pair[0].fingerprint, pair[1].fingerprint}
    assert "\n" not in str(info.value)
    assert triage.resolve_prefix(store, pair[1].fingerprint[:12].upper()) == ("desa", pair[1].fingerprint)
    with pytest.raises(triage.UnknownFingerprint):
        triage.resolve_prefix(store, "ffffffffffffzz")
    with pytest.raises(triage.UnknownFingerprint):
        triage.decide(store, "desa", "0" * 32, "note", actor="K", note="x", now=T0 + DAY)
    with pytest.raises(triage.TriageError, match="at least"):
        triage.resolve_prefix(store, "ab")
    assert count_events(store) == n


def test_programme_statuses_and_last_note(store: Store) -> None:
    a, b, c = finding("r.a", "https://desa.test/a"), finding("r.b", "https://desa.test/b"), \
        finding("r.c", "https://desa.test/c")
    scan(store, T0, [a, b, c])
    for f, due in ((a, date(2026, 6, 10)), (b, date(2026, 6, 30)), (c, date(2026, 6, 30))):
        triage.decide(store, "desa", f.fingerprint, "assigned", actor="Kasi", owner="Budi", due=due, now=T0 + DAY)
    triage.decide(store, "desa", b.fingerprint, "note", actor="Budi", note="menunggu hosting", now=T0 + 2 * DAY)
    scan(store, T0 + 3 * DAY, [a, b])  # c fixed
    rows = triage.programme(store, "desa", "2026-06", now=datetime(2026, 7, 5, tzinfo=UTC))
    status = {r.rule: r.status for r in rows}
    assert status == {"r.a": "late", "r.b": "on_time", "r.c": "done"}
    assert next(r for r in rows if r.rule == "r.b").last_note.note == "menunggu hosting"
    assert [r.rule for r in rows] == ["r.a", "r.b", "r.c"]
    # the July view leaves out what was done before July began
    assert {r.rule for r in triage.programme(store, "desa", "2026-07",
                                             now=datetime(2026, 7, 5, tzinfo=UTC))} == {"r.a", "r.b"}


@pytest.fixture
def target(request, tmp_path: Path, store: Store):
    """A second, empty store on the same backend as `store`."""
    if store.db.is_pg:
        url = fresh_database(request.getfixturevalue("pg_url"), f"tt_{abs(hash(request.node.name)) % 10**8}")
    else:
        url = str(tmp_path / "target.sqlite")
    s = Store(url)
    yield s
    s.close()


def test_export_import_round_trip_on_both_backends(store: Store, target: Store, tmp_path: Path) -> None:
    from auditor import triage_io

    a, b = finding("headers.csp.missing"), finding("tls.ocsp.stapling", severity=Severity.MEDIUM)
    for s in (store, target):
        scan(s, T0, [a, b])
    triage.decide(store, "desa", a.fingerprint, "assigned", actor="Kasi", owner="Budi", due=date(2026, 6, 30),
                  now=T0 + DAY)
    triage.decide(store, "desa", a.fingerprint, "note", actor="Budi", note="dikerjakan", now=T0 + 2 * DAY)
    triage.decide(store, "desa", b.fingerprint, "accepted", actor="Kasi", reason="hosting", until=date(2026, 9, 1),
                  now=T0 + DAY)
    triage.undo(store, "desa", a.fingerprint, actor="Kasi", now=T0 + 3 * DAY)
    text = triage_io.export_decisions(store, now=T0 + 4 * DAY)
    path = tmp_path / "k.yaml"
    path.write_text(text)
    assert triage_io.import_decisions(path, target) == {"added": 4, "skipped": 0}
    assert triage_io.export_decisions(target, now=T0 + 4 * DAY) == text
    assert triage_io.import_decisions(path, target) == {"added": 0, "skipped": 4}
    for fp in (a.fingerprint, b.fingerprint):
        d1 = triage.current_decision(store, "desa", fp, now=T0 + 5 * DAY)
        d2 = triage.current_decision(target, "desa", fp, now=T0 + 5 * DAY)
        assert (d1.kind, d1.owner, d1.until, [n.note for n in d1.notes]) == \
            (d2.kind, d2.owner, d2.until, [n.note for n in d2.notes])
