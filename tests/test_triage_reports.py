"""Reports respect triage decisions: 3 of 10 findings false positive and 2 accepted give a higher score than
the same store without decisions; the 5 decisions are listed with reasons; HTML, PDF text and JSON agree;
an expired acceptance counts again; the follow-up table and the programme show the real owner."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from auditor import triage
from auditor.store import Store
from checks.base import Finding, Severity
from reports.render import write_report
from tests.report_text import html_text, pdf_text
from tests.test_reports_fixture import SITE, URL, make_config

H, M, L = Severity.HIGH, Severity.MEDIUM, Severity.LOW
SEVERITIES = [H, H, M, M, M, M, L, L, L, L]  # penalty 20 + 16 + 4 = 40 -> score 60
FINDINGS = [Finding(check="demo", rule=f"headers.demo.r{i}", severity=sev, title=f"Temuan nomor {i}",
                    url=f"{URL}hal{i}") for i, sev in enumerate(SEVERITIES)]
FP = {0: "contoh di formulir", 2: "header dipasang CDN", 6: "halaman uji lama"}  # high, medium, low
ACCEPT = {1: ("hosting belum mendukung", date(2026, 6, 15)), 3: ("anggaran tahun depan", date(2026, 9, 30))}
DECIDED_AT = datetime(2026, 5, 10, 3, tzinfo=UTC)
NOW = datetime(2026, 7, 3, tzinfo=UTC)


def scan(store: Store, when: datetime) -> None:
    run_id = store.start_run(SITE, URL, started=when)
    store.save_check(run_id, "demo", "ok", 0.1, None, FINDINGS)
    store.finish_run(run_id, finished=when + timedelta(minutes=1))


def build(tmp: Path, decide: bool):
    cfg = make_config(tmp)
    store = Store(cfg.database_path)
    scan(store, datetime(2026, 5, 3, 2, tzinfo=UTC))
    if decide:
        fps = [f.fingerprint for f in FINDINGS]
        for i, reason in FP.items():
            triage.decide(store, SITE, fps[i], triage.FALSE_POSITIVE, actor="Suryani Contoh", reason=reason,
                          now=DECIDED_AT)
        for i, (reason, until) in ACCEPT.items():
            triage.decide(store, SITE, fps[i], triage.ACCEPTED, actor="Suryani Contoh", reason=reason,
                          until=until, now=DECIDED_AT)
        triage.decide(store, SITE, fps[4], triage.ASSIGNED, actor="Suryani Contoh", owner="Budi Operator",
                      due=date(2026, 5, 25), now=DECIDED_AT)
        triage.decide(store, SITE, fps[4], triage.NOTE, actor="Budi Operator", note="menunggu akses hosting",
                      now=DECIDED_AT + timedelta(days=2))
    scan(store, datetime(2026, 5, 20, 2, tzinfo=UTC))
    scan(store, datetime(2026, 6, 20, 2, tzinfo=UTC))
    for month in ("2026-05", "2026-06"):
        write_report(cfg, store, "monthly", month, formats=("html", "pdf", "json"), now=NOW)
    write_report(cfg, store, "semiannual", "2026-H1", formats=("html", "json"), now=NOW)
    store.close()
    return cfg.resolve(cfg.reports.output_dir)


@pytest.fixture(scope="module")
def outs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {"with": build(tmp_path_factory.mktemp("with"), True),
            "without": build(tmp_path_factory.mktemp("without"), False)}


def report(out: Path, stem: str) -> tuple[dict, str, str]:
    data = json.loads((out / f"{stem}.json").read_text())
    pdf = pdf_text(out / f"{stem}.pdf") if (out / f"{stem}.pdf").exists() else ""
    return data, html_text(out / f"{stem}.html"), pdf


def test_decisions_raise_the_score_and_agree_across_formats(outs: dict[str, Path]) -> None:
    plain, plain_html, plain_pdf = report(outs["without"], "laporan-bulanan-2026-05")
    data, html, pdf = report(outs["with"], "laporan-bulanan-2026-05")
    assert plain["score"]["value"] == 60
    # left out: both highs, two mediums, one low -> what counts: 2 medium + 3 low = 8 + 3 -> 89
    assert data["score"]["value"] == 89 > plain["score"]["value"]
    assert data["totals"]["open_end"] == 5 and plain["totals"]["open_end"] == 10
    assert data["suppressed"] == 5
    for text in (html, pdf):
        assert "skor 89 dari 100" in text
        assert "skor 60 dari 100" not in text
    assert "skor 60 dari 100" in plain_html and "skor 60 dari 100" in plain_pdf
    # the five decisions with their reasons, in all three
    rows = data["decisions"]
    assert len(rows) == 5
    assert sorted(r["reason"] for r in rows) == sorted([*FP.values(), *(r for r, _u in ACCEPT.values())])
    assert {r["decision"] for r in rows} == {"false_positive", "accepted"}
    assert all(r["by"] == "Suryani Contoh" for r in rows)
    for text in (html, pdf):
        assert "Keputusan atas temuan" in text
        for reason in [*FP.values(), *(r for r, _u in ACCEPT.values())]:
            assert reason in text
        assert "Positif palsu" in text and "Risiko diterima" in text
        assert text.count("Suryani Contoh") >= 5
    assert "Keputusan atas temuan" in plain_html and "Tidak ada temuan yang dinyatakan positif palsu" in plain_html


def test_followup_and_programme_show_the_owner(outs: dict[str, Path]) -> None:
    data, html, pdf = report(outs["with"], "laporan-bulanan-2026-05")
    owned = [f for f in data["followups"] if f["who"] == "Budi Operator"]
    assert len(owned) == 1 and owned[0]["due"] == "2026-05-25T23:59:59+00:00"  # the end of the due day
    (prog,) = data["programme"]
    assert (prog["owner"], prog["due"], prog["status"]) == ("Budi Operator", "2026-05-25", "late")
    assert prog["last_note"]["text"] == "menunggu akses hosting"
    for text in (html, pdf):
        assert "Program perbaikan" in text and "Budi Operator" in text and "Terlambat" in text
        assert "menunggu akses hosting" in text


def test_expired_acceptance_counts_again(outs: dict[str, Path]) -> None:
    june, html, pdf = report(outs["with"], "laporan-bulanan-2026-06")
    # finding 1 (high) was accepted until 15 June: it counts again -> 89 - 10 = 79
    assert june["score"]["value"] == 79 and june["suppressed"] == 4
    expired = [r for r in june["decisions"] if r["decision"] == "accepted_expired"]
    assert [r["reason"] for r in expired] == ["hosting belum mendukung"]
    for text in (html, pdf):
        assert "Penerimaan risiko berakhir" in text or "penerimaan risiko berakhir" in text
        assert "skor 79 dari 100" in text


def test_six_monthly_counts_decisions_and_expiries(outs: dict[str, Path]) -> None:
    half, html, _ = report(outs["with"], "laporan-semester-2026-H1")
    assert half["decision_counts"] == {"false_positive": 3, "accepted": 2, "assigned": 1, "note": 1, "expired": 1}
    assert half["score"]["value"] == 79
    assert "3 dinyatakan positif palsu, 2 risiko diterima, 1 penugasan, 1 catatan tindak lanjut; " \
           "1 penerimaan risiko berakhir" in html
    plain, _, _ = report(outs["without"], "laporan-semester-2026-H1")
    assert plain["score"]["value"] == 60


def test_english_report_and_fleet_ranking(tmp_path: Path) -> None:
    from reports import i18n, periods
    from reports.fleet.ranking import site_row

    out = build(tmp_path / "en", True)
    cfg = make_config(tmp_path / "en")
    store = Store(cfg.database_path)
    try:
        paths = write_report(cfg, store, "monthly", "2026-05", formats=("html",), lang="en", now=NOW)
        text = html_text(paths[0])
        assert "Decisions on findings" in text and "Improvement programme" in text
        assert "False positive" in text and "Risk accepted" in text and "Keputusan atas temuan" not in text
        # the fleet ranking scores the site as its monthly report does: decisions respected
        row = site_row(store, cfg.sites[0], periods.month("2026-05"), lambda k, **kw: i18n.t(k, "id", **kw),
                       lambda v: i18n.fmt_percent(v, "id"))
        assert row.score.value == json.loads((out / "laporan-bulanan-2026-05.json").read_text())["score"]["value"]
        assert row.score.value == 89
    finally:
        store.close()


def test_triage_catalogue_has_both_languages() -> None:
    import yaml

    entries = yaml.safe_load((Path(__file__).parents[1] / "auditor" / "messages" / "triage.yaml").read_text())
    assert entries and all(set(e) >= {"id", "en"} and e["id"] and e["en"] for e in entries.values())


def test_reopened_finding_shows_the_old_acceptance_but_counts(tmp_path: Path) -> None:
    cfg = make_config(tmp_path)
    store = Store(cfg.database_path)
    x, y = FINDINGS[0], FINDINGS[1]  # both high
    for when, present in ((datetime(2026, 5, 3, 2, tzinfo=UTC), [x, y]), (datetime(2026, 5, 10, 2, tzinfo=UTC), []),
                          (datetime(2026, 5, 15, 2, tzinfo=UTC), [x, y])):
        run_id = store.start_run(SITE, URL, started=when)
        store.save_check(run_id, "demo", "ok", 0.1, None, present)
        store.finish_run(run_id, finished=when + timedelta(minutes=1))
        if not present:
            continue
        if when.day == 3:
            triage.decide(store, SITE, x.fingerprint, "accepted", actor="Suryani Contoh", reason="tunggu migrasi",
                          until=date(2026, 9, 30), now=when + timedelta(hours=1))
            triage.decide(store, SITE, y.fingerprint, "false_positive", actor="Suryani Contoh", reason="salah baca",
                          now=when + timedelta(hours=1))
    (path,) = [p for p in write_report(cfg, store, "monthly", "2026-05", formats=("json", "html"), now=NOW)
               if p.suffix == ".json"]
    data = json.loads(path.read_text())
    store.close()
    # x came back: its acceptance is shown but not re-applied (x counts: 100 - 10); y stays a false positive
    assert data["score"]["value"] == 90 and data["suppressed"] == 1
    kinds = {r["reason"]: r["decision"] for r in data["decisions"]}
    assert kinds == {"tunggu migrasi": "reopened", "salah baca": "false_positive"}
    html = html_text(path.with_suffix(".html"))
    assert "penerimaan risiko lama tidak diterapkan ulang" in html and "tunggu migrasi" in html
