"""Evaluation reports from a scripted six-month history: numbers in the HTML and in the PDF text."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import lxml.html
import pytest

from auditor.cli import main
from auditor.errors import InputError
from auditor.store import Store
from checks.base import Finding, Severity
from reports import periods, policy
from reports.render import write_report
from tests.report_text import html_text, norm, pdf_text
from tests.test_reports_fixture import PLAN, SITE, URL, fill_store, finding_specs, make_config

NOW = datetime(2026, 7, 5, tzinfo=UTC)
MAY_START, JUNE_START = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)


# -- an independent oracle over the scripted plan ------------------------------------------------------
def open_before(t: datetime) -> set[str]:
    done = [p for p in PLAN if p[3] == "complete" and p[0] < t]
    return set(done[-1][1]) - {"G"} if done else set()


def seen_between(a: datetime, b: datetime) -> set[str]:
    return {k for when, present, _ok, st in PLAN if st == "complete" and a <= when < b for k in present} - {"G"}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("reports")
    cfg = make_config(tmp)
    store = Store(cfg.database_path)
    fill_store(store)
    paths = write_report(cfg, store, "monthly", "2026-05", now=NOW)
    paths += write_report(cfg, store, "semiannual", "2026-H1", now=NOW)
    yield {"cfg": cfg, "store": store, "out": cfg.resolve(cfg.reports.output_dir), "paths": paths}
    store.close()


def test_files_written_atomically_with_index(rendered: dict) -> None:
    out: Path = rendered["out"]
    names = sorted(p.name for p in out.iterdir())
    assert names == ["index.html", "laporan-bulanan-2026-05.html", "laporan-bulanan-2026-05.pdf",
                     "laporan-semester-2026-H1.html", "laporan-semester-2026-H1.pdf"]  # no temp files left
    assert (out / "laporan-bulanan-2026-05.pdf").read_bytes().startswith(b"%PDF")
    index = lxml.html.fromstring((out / "index.html").read_bytes())
    hrefs = set(index.xpath("//a/@href"))
    assert hrefs == {n for n in names if n != "index.html"}
    assert "Mei 2026" in index.text_content() and "Semester I" in index.text_content()


@pytest.mark.parametrize("fmt", ["html", "pdf"])
def test_monthly_numbers(rendered: dict, fmt: str) -> None:
    path = rendered["out"] / f"laporan-bulanan-2026-05.{fmt}"
    text = html_text(path) if fmt == "html" else pdf_text(path)
    before, end = open_before(MAY_START), open_before(JUNE_START)
    seen = seen_between(MAY_START, JUNE_START)
    specs = finding_specs(False)
    new, fixed = end - before, (seen | before) - end
    runs = sum(1 for p in PLAN if p[3] == "complete" and MAY_START <= p[0] < JUNE_START)
    sev = [specs[k].severity for k in end]
    high = sum(1 for s in sev if s == Severity.HIGH)
    crit = sum(1 for s in sev if s == Severity.CRITICAL)
    assert (f"dipindai {runs} kali. Pada akhir bulan terdapat {len(end)} temuan yang masih terbuka "
            f"({crit} kritis, {high} tinggi); {len(new)} temuan baru muncul dan {len(fixed)} temuan sudah "
            f"diperbaiki") in text
    sc, prev = policy.score(sev), policy.score(specs[k].severity for k in before)
    assert f"skor {sc.value} dari 100" in text and f"bulan lalu {prev.value}" in text
    assert "PERLU PERBAIKAN" in text  # a high finding is open: never "Baik"
    # certificate days left from the newest May run's facts (not_after 1 July)
    last_may = max(p[0] for p in PLAN if p[3] == "complete" and p[0] < JUNE_START)
    assert f"{(datetime(2026, 7, 1, tzinfo=UTC) - last_may).days} hari (berlaku s.d. 1 Juli 2026" in text
    assert "Tingkat kepatuhan (butir mutakhir dibanding butir wajib terbit): 50%" in text
    assert "2 halaman/dokumen ditambah, 2 diubah, 1 dihapus" in text
    assert "Pemindaian gagal / tidak selesai 1" in text
    # follow-up: the approved list names who owns LKPJ; the NIK finding is overdue (seen 3 May, high = 7 days)
    assert "Sukiman Contoh" in text and "10 Mei 2026 terlambat" in text
    for name in ("Suryani Contoh", "Bambang Rekaan", "Sutarno Rekaan", "NIP. 19700101 199003 1 001"):
        assert name in text
    assert "SOP Keamanan Pengelolaan Website PPID, C2 (evaluasi bulanan oleh Atasan PPID)" in text
    if fmt == "pdf":
        assert "Halaman 1 dari" in text


def test_monthly_area_table(rendered: dict) -> None:
    doc = lxml.html.fromstring((rendered["out"] / "laporan-bulanan-2026-05.html").read_bytes())
    table = doc.xpath("//h2[contains(., 'Temuan per bidang')]/following::table[1]")[0]
    rows = {norm(r[0].text_content()): [norm(c.text_content()) for c in r[1:]] for r in table.xpath(".//tbody/tr")}
    before, end = open_before(MAY_START), open_before(JUNE_START)
    seen = seen_between(MAY_START, JUNE_START)
    specs = finding_specs(False)
    labels = {"tls": "TLS / HTTPS", "headers": "Header keamanan", "software": "Perangkat lunak",
              "pii": "Data pribadi", "content": "Kesegaran konten", "zap": "Pemindaian ZAP"}
    for area, label in labels.items():
        keys = {k for k, s in specs.items() if policy.area_of(s.rule) == area and s.severity > Severity.INFO}
        b, e, s = before & keys, end & keys, seen & keys
        assert rows[label][1] == str(len(b)) and rows[label][2] == str(len(e - b))
        assert rows[label][3] == str(len(e & b)) and rows[label][4] == str(len((s | b) - e))
        assert rows[label][6] == str(len(e))
    assert rows["TLS / HTTPS"][5] == "1"  # fixed in March, back in May
    assert rows["Pemindaian ZAP"][0] == "tidak tersedia"  # no ZAP check ran in May


@pytest.mark.parametrize("fmt", ["html", "pdf"])
def test_semiannual_numbers(rendered: dict, fmt: str) -> None:
    path = rendered["out"] / f"laporan-semester-2026-H1.{fmt}"
    text = html_text(path) if fmt == "html" else pdf_text(path)
    complete = [p for p in PLAN if p[3] == "complete"]
    # fix episodes inside the half: (opened, fixed) per finding from the oracle
    durations, open_since, back = [], {}, 0
    fixed_once: set[str] = set()
    for when, present, _ok, _st in complete:
        done = when + timedelta(minutes=5)
        cur = set(present) - {"G"}
        for k in list(open_since):
            if k not in cur:
                durations.append((done - open_since.pop(k)).total_seconds() / 86400)
                fixed_once.add(k)
        for k in cur - set(open_since):
            back += k in fixed_once
            open_since[k] = done
    mttf = sum(durations) / len(durations)
    months_with_runs = len({p[0].month for p in complete})
    assert (f"dipindai {len(complete)} kali dalam {months_with_runs} bulan. Pada akhir semester terdapat "
            f"{len(open_since)} temuan yang masih terbuka; {len(durations)} temuan diperbaiki dengan rata-rata "
            f"waktu perbaikan {f'{mttf:.1f}'.replace('.', ',')} hari, dan {back} temuan muncul kembali") in text
    # April had no run: no numbers, no score (a table cell may wrap in the PDF)
    assert "April 2026 0 – – – – Tidak dapat" in text
    for n, m in enumerate(("Januari", "Februari", "Maret", "April", "Mei", "Juni"), start=1):
        assert f"{m} 2026 laporan-bulanan-2026-{n:02d}.pdf" in text
    assert "laporan-bulanan-2026-05.pdf ada" in text and "laporan-bulanan-2026-04.pdf belum dibuat" in text
    assert "ada bulan tanpa pemindaian" in text  # April had no run
    assert "Perbaiki pemeriksaan yang gagal" in text  # ZAP failed in June
    assert "Sertifikat HTTPS akan habis masa berlakunya" in text  # the recurring finding is listed
    if fmt == "html":
        raw = path.read_text(encoding="utf-8")
        assert raw.count("<svg") >= 4 and "<script" not in raw.lower()  # emblem + three charts, no JS


def test_english_catalogue(rendered: dict, tmp_path: Path) -> None:
    cfg = rendered["cfg"].model_copy(deep=True)
    cfg.reports = cfg.reports.model_copy(update={"output_dir": tmp_path})
    paths = write_report(cfg, rendered["store"], "monthly", "2026-05", formats=("html",), lang="en", now=NOW)
    text = html_text(paths[0])
    assert "Monthly Evaluation Report" in text and "Needs improvement".upper() in text
    assert "Finding A" in text and "Fix A." in text  # title_en / remediation_en
    assert "Tingkat kepatuhan" not in text and "Compliance rate" in text
    assert [p.name for p in paths] == ["laporan-bulanan-2026-05.html", "index.html"]


def test_period_without_runs_still_reports(rendered: dict, tmp_path: Path) -> None:
    cfg = rendered["cfg"].model_copy(deep=True)
    cfg.reports = cfg.reports.model_copy(update={"output_dir": tmp_path})
    paths = write_report(cfg, rendered["store"], "monthly", "2026-04", now=NOW)
    for p in paths[:2]:
        text = html_text(p) if p.suffix == ".html" else pdf_text(p)
        assert "Tidak ada pemindaian yang selesai pada April 2026" in text
        assert "TIDAK DAPAT DINILAI" in text
        assert f"Temuan yang tercatat terbuka sebelum periode ini: {len(open_before(datetime(2026, 4, 1, tzinfo=UTC)))}" in text
    empty = Store(tmp_path / "empty.sqlite")
    try:
        paths = write_report(cfg, empty, "semiannual", "2025-H2", now=NOW)
        assert "Tidak ada pemindaian yang selesai pada Semester II (Juli–Desember) 2025" in pdf_text(paths[1])
    finally:
        empty.close()


def test_any_subset_of_checks(tmp_path: Path) -> None:
    """Only a third-party check ran: its area shows as "Lainnya", every missing fact as "tidak tersedia"."""
    cfg = make_config(tmp_path)
    store = Store(cfg.database_path)
    when = datetime(2026, 3, 3, tzinfo=UTC)
    run = store.start_run(SITE, URL, started=when)
    f = Finding(check="acme", rule="acme.widget.broken", severity=Severity.CRITICAL, title="Widget rusak", url=URL)
    store.save_check(run, "acme", "ok", 0.1, None, [f])
    store.finish_run(run, finished=when + timedelta(minutes=1))
    paths = write_report(cfg, store, "monthly", "2026-03", formats=("html",), now=NOW)
    store.close()
    text = html_text(paths[0])
    assert "Lainnya ya 0 1 0 0 0 1" in text and "BURUK" in text  # a critical finding caps the status
    assert "Sisa masa berlaku sertifikat tidak tersedia" in text
    assert "Nilai header keamanan tidak tersedia" in text
    assert "Data kepatuhan konten tidak tersedia" in text
    assert "TLS / HTTPS tidak tersedia" in text


def test_several_sites_get_a_suffix(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, sites=2)
    store = Store(cfg.database_path)
    fill_store(store)
    paths = write_report(cfg, store, "monthly", "2026-05", formats=("html",), now=NOW)
    store.close()
    assert [p.name for p in paths] == ["laporan-bulanan-2026-05-katongan.html", "laporan-bulanan-2026-05-desa1.html",
                                       "index.html"]
    assert "Tidak ada pemindaian" in html_text(paths[1]) and "dipindai 2 kali" in html_text(paths[0])
    index = html_text(paths[2])
    assert "katongan" in index and "desa1" in index


def test_score_table() -> None:
    assert policy.score([]).value == 100 and policy.score([]).status == "baik"
    assert policy.score([Severity.LOW] * 50).value == 100 - policy.PENALTY[Severity.LOW][1]
    assert policy.score([Severity.CRITICAL]).status == "buruk"
    assert policy.score([Severity.HIGH]).status == "perlu_perbaikan"
    assert policy.score([Severity.MEDIUM] * 3).status == "baik"
    assert policy.score([Severity.INFO] * 9).value == 100
    assert policy.score([], scored=False).status == "tidak_dinilai"


def test_periods() -> None:
    assert periods.month("2026-01").previous().key == "2025-12"
    assert periods.half("2026-H1").previous().key == "2025-H2"
    assert [m.key for m in periods.half("2026-H2").months][0] == "2026-07"
    assert periods.default_key("monthly", datetime(2026, 1, 15).date()) == "2025-12"
    assert periods.default_key("semiannual", datetime(2026, 7, 5).date()) == "2026-H1"
    for bad in ("2026-13", "26-01", "2026-1"):
        with pytest.raises(InputError):
            periods.month(bad)
    with pytest.raises(InputError):
        periods.half("2026-H3")


def test_cli(rendered: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg_file = rendered["cfg"].base_dir / "config.yaml"
    cfg_file.write_text(f"sites: [{{name: {SITE}, url: '{URL}'}}]\nstorage: {{database: var/store.sqlite}}\n")
    out = tmp_path / "cli"
    assert main(["report", "monthly", "--config", str(cfg_file), "--month", "2026-05", "--format", "html",
                 "--out", str(out), "--lang", "en"]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(out / "laporan-bulanan-2026-05.html"), str(out / "index.html")]
    assert main(["report", "monthly", "--config", str(cfg_file), "--month", "2026-5"]) == 2
    assert main(["report", "semiannual", "--config", str(cfg_file), "--format", "docx"]) == 2
    assert re.search(r"--format docx", capsys.readouterr().err)


SOP_TEXT = Path(__file__).resolve().parents[1] / "docs" / "sop" / "sop-keamanan-pengelolaan-website.txt"


def _sop_rows() -> dict[str, str]:
    """Step id ("A1", "C1", ...) -> the row's text, from the SOP's activity table (tab-separated)."""
    rows, section = {}, ""
    for line in SOP_TEXT.read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if len(cells) > 1 and cells[0].strip() in ("A", "B", "C"):
            section = cells[0].strip()
        elif len(cells) > 1 and section and cells[0].strip().isdigit():
            rows[section + cells[0].strip()] = " ".join(cells[1:])
    return rows


def test_each_report_cites_the_sop_step_it_serves(rendered: dict) -> None:
    """One table (reports.policy.SOP_STEPS) decides which SOP step each document cites; the table agrees
    with the SOP itself (C1 = the Kepala Seksi's evaluation at least every six months -> the six-monthly
    report; the monthly report is the Atasan PPID's evaluation, C2), and the rendered reports print it."""
    from reports.policy import SOP_STEPS

    rows = _sop_rows()
    assert "Kepala Seksi" in rows["C1"] and "1 x 6 bulan" in rows["C1"]
    assert "C1" in SOP_STEPS["semiannual"] and "C1" not in SOP_STEPS["monthly"]
    assert SOP_STEPS["monthly"] == ("C2",)
    assert all(step in rows for step in SOP_STEPS["gate"])  # B3-B5: the staged-change steps exist
    assert "di periksa oleh Ketua PPID" in rows["B4"]  # (sic) the SOP's own spelling
    out = rendered["out"]
    monthly = html_text(out / "laporan-bulanan-2026-05.html")
    half = html_text(out / "laporan-semester-2026-H1.html")
    assert "SOP Keamanan Pengelolaan Website PPID, C2 (evaluasi bulanan oleh Atasan PPID)" in monthly
    assert "SOP Keamanan Pengelolaan Website PPID, C1 dan B1" in half
    assert "C1" not in monthly.split("SOP Keamanan")[1][:40] and "C2" not in half.split("SOP Keamanan")[1][:40]
