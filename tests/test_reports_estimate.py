"""The monthly and six-monthly reports' "Perkiraan indikator keterbukaan informasi pada situs": numbers
agree with the estimate computed from the stored facts, in HTML and PDF text, and every qualification name
printed carries "perkiraan"."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from auditor.store import Store
from reports import estimate
from reports.render import write_report
from tests.report_text import html_text, pdf_text
from tests.test_reports_fixture import SITE, URL, make_config

NOW = datetime(2026, 7, 5, tzinfo=UTC)
QUALS = ("Informatif", "Menuju Informatif", "Cukup Informatif", "Kurang Informatif", "Tidak Informatif")
MANDATORY = [{"id": f"item-{i}", "status": "ok" if i < 13 else "missing"} for i in range(18)] + [
    {"id": "formulir-permohonan", "status": "ok"}, {"id": "formulir-keberatan", "status": "missing"}]
CONTENT = {"mandatory": MANDATORY, "summary": {"ok": 6, "stale": 3, "missing": 1, "unknown": 2},
           "latest_update": {"date": "2026-06-20", "stale": False},
           "ppid_menu": {"ppid_url": URL + "ppid/", "unreached": ["sop-ppid"], "status": "incomplete"},
           "annual_report": {"year": 2025, "status": "late"}, "items": []}
A11Y = {"pages_checked": 40, "counts": {"a11y.lang.missing": 0, "a11y.title.missing": 0, "a11y.img.alt_missing": 12,
                                         "a11y.link.name_missing": 3, "a11y.form.label_missing": 0,
                                         "a11y.heading.order": 5, "a11y.table.headers_missing": 0}}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("estimate")
    cfg = make_config(tmp)
    store = Store(cfg.database_path)
    when = datetime(2026, 6, 28, 2, tzinfo=UTC)
    run = store.start_run(SITE, URL, started=when)
    store.save_check(run, "content", "ok", 0.1, None, [], CONTENT)
    store.save_check(run, "accessibility", "ok", 0.1, None, [], A11Y)
    store.finish_run(run, finished=when + timedelta(minutes=1))
    paths = write_report(cfg, store, "monthly", "2026-06", now=NOW)
    paths += write_report(cfg, store, "semiannual", "2026-H1", now=NOW)
    store.close()
    return {"out": cfg.resolve(cfg.reports.output_dir)}


def expected() -> estimate.Estimate:
    e = estimate.build({"content": CONTENT, "accessibility": A11Y})
    assert e is not None and e.score is not None
    return e


def test_estimate_from_facts_by_hand() -> None:
    e = expected()
    by = {g.key: g for g in e.groups}
    assert by["jenis_informasi"].ratio == pytest.approx(14 / 20)  # 13 items + the request form
    assert by["kualitas"].ratio == pytest.approx((6 / 10 + 1.0) / 2)
    assert by["sarana"].ratio == pytest.approx((1 - 1 / 5 + 4 / 7) / 2)
    assert by["digitalisasi"].ratio == pytest.approx((1 + 0 + 0.5) / 3)
    score = 100 * sum(g.weight * g.ratio for g in e.groups) / 100
    assert e.score == pytest.approx(round(score, 1))
    assert e.qualification == next(q for m, q in estimate.BANDS if e.score >= m)


def test_without_content_facts_there_is_no_estimate() -> None:
    assert estimate.build({"accessibility": A11Y}) is None


@pytest.mark.parametrize("name", ["laporan-bulanan-2026-06", "laporan-semester-2026-H1"])
@pytest.mark.parametrize("fmt", ["html", "pdf"])
def test_report_prints_the_estimate(reports: dict, name: str, fmt: str) -> None:
    path = reports["out"] / f"{name}.{fmt}"
    text = html_text(path) if fmt == "html" else pdf_text(path)
    e = expected()
    score = f"{e.score:.1f}".replace(".", ",")
    assert "Perkiraan indikator keterbukaan informasi pada situs" in text
    assert f"Nilai perkiraan situs: {score} dari 100" in text
    for g in e.groups:
        assert f"{g.points:.1f}".replace(".", ",") in text
    assert "BUKAN hasil resmi" in text
    # every qualification name printed is labelled as an estimate
    for q in QUALS:
        for m in re.finditer(rf"(?<![A-Za-z]){re.escape(q)}\b", text):
            if q == "Informatif" and text[max(0, m.start() - 7):m.start()].rstrip().endswith(("Menuju", "Cukup",
                                                                                             "Kurang", "Tidak")):
                continue
            assert text[m.end():m.end() + 13].startswith(" (perkiraan)"), (q, text[m.start() - 20:m.end() + 20])
    assert text.count("(perkiraan)") >= 6  # the result and the five bands
