"""Berita Acara Pemeriksaan Pembaruan Website (one A4 page) and the monthly report's development section.

One real gate against two loopback sites (through the CLI, which writes the record), then scripted gate
records for the edge cases: 200 introduced findings, hostile text, a passing and an unreachable gate.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from auditor.cli import main
from auditor.config import load_config
from auditor.demo.fakedata import make_people
from auditor.errors import InputError
from auditor.store import Store
from reports import gate as gate_report
from reports.render import write_gate_report, write_report
from tests.report_text import html_text, norm, pdf_pages
from tests.servers import serve
from tests.test_gate import SECURE, build_production, build_staging, static_routes, write_config
from tests.test_reports_fixture import HOSTILE, SITE, URL, fill_store, make_config
from tests.test_reports_layout import chars_inside, page_margins_mm

NOW = datetime(2026, 7, 5, tzinfo=UTC)
GATE_DAY = datetime(2026, 5, 12, 9, 30, 15, tzinfo=UTC)


def table_rows(path: Path, heading: str) -> list[list[str]]:
    """Body rows of the first table in the section under the h2 containing `heading` ([] if it has none)."""
    doc = lxml.html.fromstring(path.read_bytes())
    el = doc.xpath(f"//h2[contains(., '{heading}')]")[0].getnext()
    while el is not None and el.tag != "h2":
        if el.tag == "table":
            return [[norm(c.text_content()) for c in r] for r in el.xpath("./tbody/tr")]
        el = el.getnext()
    return []


# -- a real gate: production and a staged copy on loopback, run through the CLI ---------------------------
@pytest.fixture(scope="module")
def real_gate(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("realgate")
    prod, stage = tmp / "prod", tmp / "stage"
    build_production(prod)
    build_staging(prod, stage)
    with serve({}, default=static_routes(prod, SECURE + [("X-Content-Type-Options", "nosniff")])) as p_srv, \
         serve({}, default=static_routes(stage, SECURE)) as s_srv:
        cfg_path = write_config(tmp, p_srv.url, f"staging_url: {s_srv.url}")
        assert main(["scan", "--config", str(cfg_path), "--quiet"]) == 0
        rc = main(["gate", "--config", str(cfg_path), "--quiet"])
    store = Store(tmp / "db.sqlite")
    record = store.gates(site="contoh")[-1]
    yield {"rc": rc, "record": record, "store": store, "cfg_path": cfg_path, "out": tmp / "out"}
    store.close()


def test_real_gate_record_is_one_page_with_its_numbers(real_gate: dict[str, Any]) -> None:
    rec, out = real_gate["record"], real_gate["out"]
    s = rec["summary"]
    assert real_gate["rc"] == 1 and rec["passed"] is False and s["introduced"], (
        [f["rule"] for f in s["introduced"]], s["checks"])
    stem = f"berita-acara-gate-contoh-{rec['created'].astimezone(UTC):%Y%m%d-%H%M%S}"
    assert rec["files"] == [str(out / f"{stem}.html"), str(out / f"{stem}.pdf")]  # stored with the gate
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # atomic writes leave no temp file
    pages = pdf_pages(out / f"{stem}.pdf")
    assert len(pages) == 1
    html = html_text(out / f"{stem}.html")
    blocking = sum(1 for f in s["introduced"] if f["severity"] in ("high", "critical"))
    for text in (pages[0], html):
        assert "Berita Acara" in text and "TIDAK LULUS" in text
        assert (f"Temuan baru: {len(s['introduced'])}; diperbaiki: {len(s['fixed'])}; tidak berubah: "
                f"{s['unchanged']}. Halaman/dokumen ditambah: {len(s['pages_added'])}; dihapus: "
                f"{len(s['pages_removed'])}.") in text
        assert f"perubahan menambah {blocking} temuan berkeparahan tinggi atau lebih" in text
        assert "ambang --fail-on: tinggi" in text
        assert rec["production_run"] in text
        assert all(person.nik not in text for person in make_people(40))  # NIKs only masked
    assert rec["staging_url"] in html
    # every introduced and fixed finding is listed (few enough to fit): rule ids in the tables
    intro = table_rows(out / f"{stem}.html", "Temuan baru akibat perubahan")
    fixed = table_rows(out / f"{stem}.html", "Temuan yang diperbaiki")
    assert sorted(r[3] for r in intro) == sorted(f["rule"] for f in s["introduced"])
    assert sorted(r[3] for r in fixed) == sorted(f["rule"] for f in s["fixed"])
    for path in s["pages_added"]:
        assert path in html
    assert "lainnya" not in html  # nothing truncated
    index = lxml.html.fromstring((out / "index.html").read_bytes())
    assert {f"{stem}.html", f"{stem}.pdf"} <= set(index.xpath("//a/@href"))
    assert "Berita Acara Pemeriksaan Pembaruan Website" in index.text_content()


def test_monthly_report_lists_the_gate(real_gate: dict[str, Any], tmp_path: Path) -> None:
    rec, out = real_gate["record"], real_gate["out"]
    cfg = load_config(real_gate["cfg_path"])
    month = rec["created"].astimezone(UTC).strftime("%Y-%m")
    html_path = write_report(cfg, real_gate["store"], "monthly", month, formats=("html",))[0]
    rows = table_rows(html_path, "Pengembangan website")
    assert len(rows) == 1
    row = rows[0]
    s = rec["summary"]
    blocking = sum(1 for f in s["introduced"] if f["severity"] in ("high", "critical"))
    assert row[2].startswith("TIDAK LULUS") and "tinggi" in row[2]
    assert row[3:7] == [str(len(s["introduced"])), str(blocking), str(len(s["fixed"])), str(s["unchanged"])]
    assert row[7] == f"+{len(s['pages_added'])} / −{len(s['pages_removed'])}"
    doc = lxml.html.fromstring(html_path.read_bytes())
    links = doc.xpath("//h2[contains(., 'Pengembangan website')]/following::table[1]//a/@href")
    assert sorted(links) == sorted(Path(f).name for f in rec["files"])
    assert all((out / name).is_file() for name in links)
    # the month before has no gate, and says so
    first = rec["created"].astimezone(UTC).replace(day=1)
    previous = (first - timedelta(days=1)).strftime("%Y-%m")
    other = write_report(cfg, real_gate["store"], "monthly", previous, formats=("html",))[0]
    assert "Tidak ada pemeriksaan pembaruan website (ppid-audit gate)" in html_text(other)
    assert table_rows(other, "Pengembangan website") == []


# -- scripted gate records ---------------------------------------------------------------------------------
def scripted_store(tmp: Path, *, hostile: bool = False) -> tuple[Any, Store]:
    cfg = make_config(tmp, hostile=hostile)
    store = Store(cfg.database_path)
    fill_store(store, hostile=hostile)
    return cfg, store


def save_gate(store: Store, gate_id: str, *, introduced: int, fixed: int, pages: int, hostile: bool = False,
              passed: bool | None = None, reachable: bool = True, when: datetime = GATE_DAY,
              sevs: tuple[str, ...] = ("critical", "high", "medium", "low")) -> dict[str, Any]:
    h = (" " + HOSTILE) if hostile else ""
    niks = [p.nik for p in make_people(8)]
    summary = {
        "introduced": [{"rule": "pii.nik", "severity": sevs[i % len(sevs)], "title": f"NIK terbuka {i}{h}",
                        "title_en": f"NIK exposed {i}", "url": f"/dokumen/data-{i}.xlsx" + ("x" * 300 if hostile else ""),
                        # full NIKs on purpose: the record must mask them even if a check did not
                        "evidence": f"baris {i}: {niks[i % 8]}{h}"} for i in range(introduced)],
        "fixed": [{"rule": "content.link.broken", "severity": "low", "title": f"Tautan rusak {i}{h}",
                   "title_en": f"Broken link {i}", "url": f"/lama/{i}", "evidence": ""} for i in range(fixed)],
        "unchanged": 11, "pages_added": [f"/berita/{i}/" + ("y" * 200 if hostile else "") for i in range(pages)],
        "pages_removed": ["/dokumen/lama.pdf"], "staging_reachable": reachable,
        "checks": [{"name": "zap", "status": "skipped", "duration_s": 0.1,
                    "error": "ZAP API at http://127.0.0.1:8090 is not reachable" + h}],
    }
    prod = store.latest_run(SITE)
    assert prod is not None
    staging = store.start_run(SITE, "http://127.0.0.1:8081/", kind="staging", started=when - timedelta(minutes=4))
    store.finish_run(staging, finished=when - timedelta(minutes=1))
    ok = not any(f["severity"] in ("critical", "high") for f in summary["introduced"]) if passed is None else passed
    store.save_gate(gate_id, SITE, when, "http://127.0.0.1:8081/", staging, prod.id, "high", ok, summary)
    return {"summary": summary, "staging_run": staging, "niks": niks}


@pytest.mark.parametrize("hostile", [False, True], ids=["plain", "hostile"])
def test_long_lists_keep_one_page(tmp_path: Path, hostile: bool) -> None:
    cfg, store = scripted_store(tmp_path, hostile=hostile)
    try:
        g = save_gate(store, "gate-long", introduced=200, fixed=40, pages=300, hostile=hostile)
        html_path, pdf_path = write_gate_report(cfg, store, "gate-long", now=NOW)
    finally:
        store.close()
    assert html_path.name == "berita-acara-gate-katongan-20260512-093015.html"
    pages = pdf_pages(pdf_path)
    assert len(pages) == 1, "the Berita Acara must be exactly one page"
    assert chars_inside(pdf_path, page_margins_mm()) > 300  # and nothing is drawn outside it
    text = pages[0]
    intro = table_rows(html_path, "Temuan baru akibat perubahan")
    fixed = table_rows(html_path, "Temuan yang diperbaiki")
    assert 1 <= len(intro) < 200 and len(intro) + len(fixed) <= gate_report.MAX_ROWS
    html = html_text(html_path)
    for t in (html, text):
        assert "Temuan baru: 200; diperbaiki: 40; tidak berubah: 11. Halaman/dokumen ditambah: 300; dihapus: 1." in t
        assert f"… dan {200 - len(intro)} lainnya." in t and f"… dan {40 - len(fixed)} lainnya." in t
        assert "daftar lengkap: ppid-audit findings --run " + g["staging_run"] in t
        assert "perubahan menambah 100 temuan berkeparahan tinggi atau lebih" in t
        assert all(nik not in t for nik in g["niks"])
    # the most severe findings are the ones shown
    assert all(r[1].startswith("kritis") for r in intro)
    m = re.search(r"Ditambah \(300\)(.*?)… dan (\d+) lainnya\.", html)
    assert m, html
    listed = m.group(1).count("/berita/")
    assert listed + int(m.group(2)) == 300
    if hostile:
        raw = html_path.read_text(encoding="utf-8")
        assert "<script" not in raw.lower() and "&lt;script&gt;alert(" in raw
        doc = lxml.html.fromstring(raw)
        assert not doc.xpath("//*[@onload or @onerror or @onclick]")
        assert "{{ 7*7 }}" in " ".join(doc.itertext())  # template syntax in data stays data


def test_passing_gate_signatories_and_english(tmp_path: Path) -> None:
    cfg, store = scripted_store(tmp_path)
    try:
        save_gate(store, "gate-ok", introduced=2, fixed=1, pages=1, sevs=("medium", "low"))
        ind = write_gate_report(cfg, store, "gate-ok", formats=("pdf",), now=NOW)
        eng = write_gate_report(cfg, store, "gate-ok", lang="en", formats="html", now=NOW)
    finally:
        store.close()
    assert [p.suffix for p in ind] == [".pdf"] and [p.suffix for p in eng] == [".html"]
    text = pdf_pages(ind[0])
    assert len(text) == 1
    assert "Hasil: LULUS — perubahan tidak menambah temuan berkeparahan tinggi atau lebih" in text[0]
    assert "Temuan baru: 2; diperbaiki: 1" in text[0]
    # sign-off: the Ketua PPID from reports.signatories, a line for the operator who prepared the change
    for piece in ("Diperiksa oleh, Carik, Ketua PPID", "Bambang Rekaan", "NIP. 19700101 199003 1 001",
                  "Yang menyiapkan perubahan, Operator Website", "Keputusan Ketua PPID",
                  "SOP Keamanan Pengelolaan Website PPID, B3–B5", "PPID Kalurahan Katongan"):
        assert piece in text[0], piece
    en = html_text(eng[0])
    assert "Result: PASSED" in en and "Introduced findings: 2; fixed: 1; unchanged: 11" in en
    assert "NIK exposed 0" in en  # title_en
    assert "Temuan baru" not in en


def test_unreachable_staging_and_unknown_gate(tmp_path: Path) -> None:
    cfg, store = scripted_store(tmp_path)
    try:
        save_gate(store, "gate-down", introduced=0, fixed=0, pages=0, passed=True, reachable=False)
        paths = write_gate_report(cfg, store, "gate-down", formats=("html",), now=NOW)
        with pytest.raises(InputError, match="no such gate"):
            write_gate_report(cfg, store, "gate-missing", now=NOW)
    finally:
        store.close()
    text = html_text(paths[0])
    assert "Hasil: TIDAK DAPAT DINILAI" in text and "tidak dapat dijangkau" in text
    assert "Tidak ada temuan baru." in text and "LULUS —" not in text


def test_monthly_development_section_scripted(tmp_path: Path) -> None:
    cfg, store = scripted_store(tmp_path)
    try:
        save_gate(store, "gate-a", introduced=3, fixed=2, pages=4)
        save_gate(store, "gate-b", introduced=0, fixed=1, pages=0, when=GATE_DAY + timedelta(days=3))
        written = write_gate_report(cfg, store, "gate-a", now=NOW)  # gate-b's record was never written
        may = write_report(cfg, store, "monthly", "2026-05", now=NOW)
    finally:
        store.close()
    rows = table_rows(may[0], "Pengembangan website")
    assert [r[0] for r in rows] == ["1", "2"]
    assert rows[0][1] == "12 Mei 2026 09:30" and rows[0][2].startswith("TIDAK LULUS")
    assert rows[0][3:8] == ["3", "2", "2", "11", "+4 / −1"]
    doc = lxml.html.fromstring(may[0].read_bytes())
    table = doc.xpath("//h2[contains(., 'Pengembangan website')]/following::table[1]")[0]
    links = [r.xpath(".//a/@href") for r in table.xpath("./tbody/tr")]
    assert links == [[p.name for p in written if p.suffix == ".pdf"] + [p.name for p in written if p.suffix == ".html"],
                     []]
    assert rows[0][8] == f"{written[0].stem}PDF · HTML"  # the name, then the links (<br> between)
    assert rows[1][2].startswith("LULUS") and rows[1][3:5] == ["0", "0"] and rows[1][8] == "belum dibuat"
    text = " ".join(pdf_pages(may[1]))
    assert "Pengembangan website (SOP B3–B5)" in text and "TIDAK LULUS" in text


# -- the area table: a skipped check is not a failed one ----------------------------------------------------
def test_skipped_check_reads_dilewati_with_reason(tmp_path: Path) -> None:
    cfg = make_config(tmp_path)
    store = Store(cfg.database_path)
    zap_why = "ZAP API at http://127.0.0.1:8090 is not reachable; start ZAP as a daemon"
    # (check, status) per run, in order: the result must not depend on the order of the runs
    plan = [
        {"headers": "ok", "zap": "skipped", "tls": "error", "software": "skipped"},
        {"headers": "ok", "zap": "skipped", "tls": "skipped", "software": "error"},
    ]
    try:
        for i, statuses in enumerate(plan):
            when = datetime(2026, 3, 3 + i, tzinfo=UTC)
            run = store.start_run(SITE, URL, started=when)
            for name, status in statuses.items():
                error = {"skipped": zap_why if name == "zap" else f"{name} skipped on purpose",
                         "error": f"RuntimeError: {name} broke"}.get(status)
                store.save_check(run, name, status, 0.1, error, [])
            store.finish_run(run, finished=when + timedelta(minutes=1))
        en = write_report(cfg, store, "monthly", "2026-03", formats=("html",), lang="en", now=NOW)
        en_rows = {r[0]: r[1] for r in table_rows(en[0], "Findings per area")}
        paths = write_report(cfg, store, "monthly", "2026-03", now=NOW)  # same file name, in Indonesian
    finally:
        store.close()
    rows = {r[0]: r[1] for r in table_rows(paths[0], "Temuan per bidang")}
    assert rows["Pemindaian ZAP"].startswith("dilewati") and "gagal" not in rows["Pemindaian ZAP"]
    assert rows["TLS / HTTPS"].startswith("gagal") and rows["Perangkat lunak"].startswith("gagal")
    assert rows["Header keamanan"] == "ya" and rows["Data pribadi"] == "tidak tersedia"
    text = html_text(paths[0])
    assert f"Pemindaian ZAP — dilewati: zap: {zap_why}" in text
    assert "TLS / HTTPS — gagal: tls: RuntimeError: tls broke" in text
    assert "Perangkat lunak — gagal: software: RuntimeError: software broke" in text
    pdf = " ".join(pdf_pages(paths[1]))
    assert "dilewati: zap: ZAP API at" in pdf
    assert en_rows["ZAP scan"].startswith("skipped") and en_rows["TLS / HTTPS"].startswith("failed")
