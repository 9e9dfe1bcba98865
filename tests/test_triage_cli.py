"""`ppid-audit triage`, `findings --decision` and `programme` through the real CLI on a real store:
decisions, refusals (one line, exit 2, nothing written), export/import round trip."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from auditor import triage
from auditor.cli import main
from auditor.store import Store
from checks.base import Finding, Severity

NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()


def finding(rule: str, url: str, severity: Severity = Severity.MEDIUM) -> Finding:
    return Finding(check="demo", rule=rule, severity=severity, title=f"Judul {rule}", url=url)


def colliding_pair() -> tuple[Finding, Finding]:
    """Two findings whose fingerprints share the first 4 characters (for the ambiguous-prefix refusal)."""
    seen: dict[str, Finding] = {}
    for i in range(5000):
        f = finding("links.broken", f"https://desa.test/p{i}")
        if f.fingerprint[:4] in seen:
            return seen[f.fingerprint[:4]], f
        seen[f.fingerprint[:4]] = f
    raise AssertionError("no collision")


PAIR = colliding_pair()
A = finding("headers.csp.missing", "https://desa.test/", Severity.HIGH)
B = finding("tls.ocsp.stapling", "https://desa.test/")
FINDINGS = [A, B, *PAIR]


def make_site(tmp_path: Path, name: str, findings: list[Finding]) -> Path:
    db = tmp_path / f"{name}.sqlite"
    store = Store(db)
    when = NOW - timedelta(days=2)
    run_id = store.start_run("desa", "https://desa.test/", started=when)
    store.save_check(run_id, "demo", "ok", 0.1, None, findings)
    store.finish_run(run_id, finished=when + timedelta(minutes=1))
    store.close()
    cfg = tmp_path / f"{name}.yaml"
    cfg.write_text(yaml.safe_dump({
        "sites": [{"name": "desa", "url": "https://desa.test/"}], "storage": {"database": str(db)},
        "reports": {"signatories": {"kepala_seksi": {"name": "Suryani"}}},
        "triage": {"owners": ["Budi", "Penyedia hosting"]}}))
    return cfg


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    return make_site(tmp_path, "a", FINDINGS)


def store_of(cfg: Path) -> Store:
    return Store(yaml.safe_load(cfg.read_text())["storage"]["database"])


def event_count(cfg: Path) -> int:
    store = store_of(cfg)
    try:
        return len(triage.events(store, kinds=(*triage.ACTIONS, triage.UNDO)))
    finally:
        store.close()


def cli(cfg: Path, *args: str) -> int:
    try:
        return main([args[0], "--config", str(cfg), *args[1:]])
    except SystemExit as exc:  # argparse's own usage errors (one line, exit 2)
        return int(exc.code)


def test_decide_list_filter_programme(cfg: Path, capsys) -> None:
    a, b = A.fingerprint, B.fingerprint
    assert cli(cfg, "triage", a[:8], "--assign", "Budi", "--due", (TODAY + timedelta(days=10)).isoformat(),
               "--by", "Suryani") == 0
    assert "Ditugaskan: Budi" in capsys.readouterr().out
    assert cli(cfg, "triage", a[:8], "--note", "CSP diuji di staging", "--by", "Budi") == 0
    assert cli(cfg, "triage", b, "--accept", "--until", (TODAY + timedelta(days=90)).isoformat(),
               "--reason", "hosting tidak mendukung OCSP", "--by", "Suryani") == 0
    capsys.readouterr()
    assert cli(cfg, "findings", "--status", "open", "--decision", "assigned") == 0
    out = capsys.readouterr().out
    assert "headers.csp.missing" in out and "tls.ocsp.stapling" not in out
    assert cli(cfg, "findings", "--decision", "accepted", "--lang", "en") == 0
    out = capsys.readouterr().out
    assert "tls.ocsp.stapling" in out and "Risk accepted" in out and "headers.csp" not in out
    assert cli(cfg, "findings", "--decision", "none") == 0
    out = capsys.readouterr().out
    assert "links.broken" in out and "headers.csp" not in out
    assert cli(cfg, "programme") == 0
    out = capsys.readouterr().out
    assert "Budi" in out and "Sesuai jadwal" in out and "CSP diuji" in out
    assert cli(cfg, "triage", a[:8]) == 0  # show: the log in order
    out = capsys.readouterr().out
    assert "[headers.csp.missing]" in out  # people's and rule text is never read as markup
    log = out[out.index("#"):]
    assert log.index("Temuan baru") < log.index("Ditugaskan") < log.index("Tindak lanjut")


def test_false_positive_then_undo(cfg: Path, capsys) -> None:
    a = A.fingerprint
    assert cli(cfg, "triage", a, "--false-positive", "--reason", "CSP dipasang lewat meta", "--by", "K") == 0
    assert cli(cfg, "findings", "--decision", "false_positive") == 0
    assert "headers.csp.missing" in capsys.readouterr().out
    assert cli(cfg, "triage", a, "--undo", "--by", "K", "--lang", "en") == 0
    assert "Undone" in capsys.readouterr().out
    store = store_of(cfg)
    assert triage.current_decision(store, "desa", a).kind is None
    store.close()


def test_assign_refuses_unconfigured_owner(cfg: Path, capsys) -> None:
    assert cli(cfg, "triage", A.fingerprint, "--assign", "Suryani", "--by", "K") == 0  # a signatory
    capsys.readouterr()
    n = event_count(cfg)
    assert cli(cfg, "triage", A.fingerprint, "--assign", "Orang Lain", "--by", "K") == 2
    err = capsys.readouterr().err
    assert "not a configured owner" in err and err.count("\n") == 1
    assert event_count(cfg) == n


BAD = [
    (["0123456789abcdef", "--false-positive", "--reason", "x"], "no tracked finding"),
    ([A.fingerprint, "--accept", "--until", (TODAY - timedelta(days=1)).isoformat(), "--reason", "x"], "after today"),
    ([A.fingerprint, "--accept", "--until", (TODAY + timedelta(days=400)).isoformat(), "--reason", "x"],
     "at most 12 months"),
    ([A.fingerprint, "--false-positive", "--reason", " "], "must not be empty"),
    ([A.fingerprint, "--false-positive"], "must not be empty"),
    ([PAIR[0].fingerprint[:4], "--false-positive", "--reason", "x"], "matches 2 findings"),
    ([A.fingerprint, "--accept", "--until", "31-12-2026", "--reason", "x"], "expected a date"),
    ([A.fingerprint, "--assign", "Budi", "--reason", "x"], "--reason: only with"),
    ([A.fingerprint, "--note", "x", "--due", "2030-01-01"], "--due: only with"),
]


@pytest.mark.parametrize("args, message", BAD, ids=[m for _a, m in BAD])
def test_bad_input_one_line_exit_2_nothing_written(cfg: Path, capsys, args: list[str], message: str) -> None:
    before = event_count(cfg)
    assert cli(cfg, "triage", *args, "--by", "K") == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert event_count(cfg) == before


def test_ambiguous_prefix_lists_both(cfg: Path, capsys) -> None:
    assert cli(cfg, "triage", PAIR[0].fingerprint[:4], "--note", "x", "--by", "K") == 2
    err = capsys.readouterr().err
    assert PAIR[0].fingerprint in err and PAIR[1].fingerprint in err


def test_export_import_round_trip(tmp_path: Path, cfg: Path, capsys) -> None:
    a, b = A.fingerprint, B.fingerprint
    until = (TODAY + timedelta(days=60)).isoformat()
    assert cli(cfg, "triage", a, "--assign", "Budi", "--by", "Suryani") == 0
    assert cli(cfg, "triage", a, "--note", "sedang dikerjakan: ü, “kutip”", "--by", "Budi") == 0
    assert cli(cfg, "triage", b, "--accept", "--until", until, "--reason", "hosting: belum bisa", "--by", "S") == 0
    assert cli(cfg, "triage", PAIR[0].fingerprint, "--false-positive", "--reason", "salah deteksi", "--by", "S") == 0
    assert cli(cfg, "triage", PAIR[0].fingerprint, "--undo", "--by", "S") == 0
    exported = tmp_path / "keputusan.yaml"
    assert cli(cfg, "triage", "--export", str(exported)) == 0
    other = make_site(tmp_path, "b", FINDINGS)
    assert cli(other, "triage", "--import", str(exported)) == 0
    again = tmp_path / "again.yaml"
    assert cli(other, "triage", "--export", str(again)) == 0

    def body(p: Path) -> list[str]:
        return [line for line in p.read_text().splitlines() if not line.startswith("exported_at:")]

    assert body(again) == body(exported)
    # idempotent: a second import adds nothing
    n = event_count(other)
    capsys.readouterr()
    assert cli(other, "triage", "--import", str(exported), "--lang", "en") == 0
    assert "0 events added, 5 already present" in capsys.readouterr().out
    assert event_count(other) == n
    # and the decisions replay the same in both stores
    s1, s2 = store_of(cfg), store_of(other)
    for fp in (a, b, PAIR[0].fingerprint):
        d1, d2 = triage.current_decision(s1, "desa", fp), triage.current_decision(s2, "desa", fp)
        assert (d1.kind, d1.reason, d1.owner, d1.due, d1.until, [n.note for n in d1.notes]) == \
            (d2.kind, d2.reason, d2.owner, d2.due, d2.until, [n.note for n in d2.notes])
    assert triage.current_decision(s2, "desa", b).until == date.fromisoformat(until)
    s1.close()
    s2.close()


def test_import_refuses_unknown_fingerprint_and_writes_nothing(tmp_path: Path, cfg: Path, capsys) -> None:
    assert cli(cfg, "triage", A.fingerprint, "--note", "catatan", "--by", "K") == 0
    assert cli(cfg, "triage", B.fingerprint, "--note", "catatan", "--by", "K") == 0
    exported = tmp_path / "x.yaml"
    assert cli(cfg, "triage", "--export", str(exported)) == 0
    lacking = make_site(tmp_path, "c", [A])  # B was never seen here
    capsys.readouterr()
    assert cli(lacking, "triage", "--import", str(exported)) == 2
    err = capsys.readouterr().err
    assert B.fingerprint in err and err.count("\n") == 1
    assert event_count(lacking) == 0  # not even A's note: all or nothing


def test_import_bad_file(tmp_path: Path, cfg: Path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: ppid-audit-triage/1\nsites:\n  desa:\n    - fingerprint: " + A.fingerprint +
                   "\n      events:\n        - {kind: accepted, by: K, at: '2026-01-01T00:00:00+00:00'}\n")
    assert cli(cfg, "triage", "--import", str(bad)) == 2
    err = capsys.readouterr().err
    assert "events.0.reason" in err and err.count("\n") == 1
    bad.write_text("format: ppid-audit-triage/1\nsites: [unclosed\n")
    assert cli(cfg, "triage", "--import", str(bad)) == 2
    assert "not valid YAML" in capsys.readouterr().err
    assert event_count(cfg) == 0


def test_owners_come_from_config_signatories_and_the_approved_list(tmp_path: Path) -> None:
    from auditor.config import load_config

    cfg_path = make_site(tmp_path, "o", [A])
    store = store_of(cfg_path)
    run_id = store.start_run("desa", "https://desa.test/", started=NOW - timedelta(days=1))
    store.save_check(run_id, "content", "ok", 0.1, None, [],
                     facts={"items": [{"id": "apbdes", "responsible": "Sri (bendahara)"}, {"id": "x"}]})
    store.finish_run(run_id, finished=NOW - timedelta(days=1) + timedelta(minutes=1))
    owners = triage.allowed_owners(load_config(cfg_path), store, "desa")
    store.close()
    assert owners == ["Budi", "Penyedia hosting", "Suryani", "Sri (bendahara)"]
    assert cli(cfg_path, "triage", A.fingerprint, "--assign", "Sri (bendahara)", "--by", "K") == 0
