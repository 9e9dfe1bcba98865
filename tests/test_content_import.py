"""`content import` / `content export` on differently laid-out spreadsheets generated with openpyxl."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook

from auditor.cli import main
from checks.content.daftar import load_daftar
from checks.content.importer import DaftarImportError, import_file

# One truth for every layout: (title, category, cadence, responsible)
ITEMS = [
    ("Profil Desa", "berkala", "annual", "Sekretaris Desa"),
    ("APBDes Tahun Berjalan", "berkala", "annual", "Kaur Keuangan"),
    ("Laporan Realisasi APBDes", "berkala", "semiannual", "Kaur Keuangan"),
    ("Berita Kegiatan Desa", "berkala", "monthly", "Operator"),
    ("Pengumuman Bencana", "serta_merta", "once", "Kasi Pemerintahan"),
    ("Daftar Aset Desa", "setiap_saat", "quarterly", "Kaur Umum"),
]
# Ways offices write the same category / cadence (rotated per layout).
CAT_WORDS = {"berkala": ["Berkala", "Informasi Berkala", "IB", "berkala"],
             "serta_merta": ["Serta Merta", "Serta-merta", "ISM", "Informasi Serta Merta"],
             "setiap_saat": ["Setiap Saat", "Tersedia Setiap Saat", "ISS", "setiap saat"]}
CAD_WORDS = {"monthly": ["Bulanan", "Setiap bulan", "1 x 1 bulan", "Sebulan sekali"],
             "quarterly": ["Triwulan", "3 bulan sekali", "1 x 3 bulan", "Per tiga bulan"],
             "semiannual": ["Semester", "6 bulan", "1 x 6 bulan", "Per semester"],
             "annual": ["Tahunan", "Setiap tahun", "1 x 1 tahun", "Setahun sekali"],
             "once": ["Sekali", "Satu kali", "Tidak berkala", "Setiap ada perubahan"]}


def words(table: dict, key: str, variant: int) -> str:
    opts = table[key]
    return opts[variant % len(opts)]


def assert_items(daftar, *, with_responsible: bool = True) -> None:
    got = [(i.title, i.category, i.cadence) for i in daftar.items]
    assert got == [(t, c, k) for t, c, k, _ in ITEMS]
    if with_responsible:
        assert [i.responsible for i in daftar.items] == [r for *_, r in ITEMS]
    assert len({i.id for i in daftar.items}) == len(ITEMS)


def save(wb: Workbook, tmp_path: Path, name: str) -> Path:
    p = tmp_path / name
    wb.save(p)
    return p


def layout_simple(tmp_path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(["No", "Jenis Informasi", "Kategori", "Jangka Waktu Pembaruan", "Penanggung Jawab", "URL"])
    for n, (t, c, k, r) in enumerate(ITEMS, 1):
        ws.append([n, t, words(CAT_WORDS, c, 0), words(CAD_WORDS, k, 0), r, ""])
    return save(wb, tmp_path, "simple.xlsx")


def layout_official_dip(tmp_path: Path) -> Path:
    """Title rows, a merged two-row header, a retention column, column numbers, section rows, signature."""
    wb = Workbook()
    ws = wb.active
    ws.append(["DAFTAR INFORMASI PUBLIK"])
    ws.merge_cells("A1:H1")
    ws.append(["PEMERINTAH DESA SUKAMAJU TAHUN 2026"])
    ws.merge_cells("A2:H2")
    ws.append([])
    ws.append(["No", "Ringkasan Isi Informasi", "Penanggung Jawab Pembuatan atau Penerbitan Informasi",
               "Waktu dan Tempat Pembuatan Informasi", "Bentuk Informasi", None,
               "Jangka Waktu Penyimpanan atau Retensi Arsip", "Jangka Waktu Pembaruan"])
    ws.append([None, None, None, None, "Softcopy", "Hardcopy", None, None])
    for col in "ABCDGH":
        ws.merge_cells(f"{col}4:{col}5")
    ws.merge_cells("E4:F4")
    ws.append([1, 2, 3, 4, 5, 6, 7, 8])
    sections = {"berkala": "I. INFORMASI YANG WAJIB DISEDIAKAN DAN DIUMUMKAN SECARA BERKALA",
                "serta_merta": "II. INFORMASI YANG WAJIB DIUMUMKAN SECARA SERTA MERTA",
                "setiap_saat": "III. INFORMASI YANG WAJIB TERSEDIA SETIAP SAAT"}
    current = None
    n = 0
    for t, c, k, r in ITEMS:
        if c != current:
            ws.append([sections[c]])
            ws.merge_cells(f"A{ws.max_row}:H{ws.max_row}")
            current = c
        n += 1
        ws.append([n, t, r, "Kantor Desa, 2026", "Ada", "Ada", "5 tahun", words(CAD_WORDS, k, 1)])
    ws.append([])
    ws.append([])
    ws.append([None, None, None, None, None, "Sukamaju, 2 Juli 2026"])
    ws.append([None, None, None, None, None, "Ketua PPID Desa Sukamaju"])
    ws.append([])
    ws.append([])
    ws.append([None, None, None, None, None, "BUDI SANTOSO"])
    return save(wb, tmp_path, "dip-resmi.xlsx")


def layout_reordered(tmp_path: Path) -> Path:
    """Different order, a Kode column, abbreviations, blank rows, keywords."""
    wb = Workbook()
    ws = wb.active
    ws.title = "DIP"
    ws.append(["Kode", "Klasifikasi", "Frekuensi Pembaruan", "Judul Informasi", "PJ", "Kata Kunci"])
    for n, (t, c, k, r) in enumerate(ITEMS):
        ws.append([f"D-{n + 1:02d}", words(CAT_WORDS, c, 2), words(CAD_WORDS, k, 2), t, r, f"{t.lower()}; alt {n}"])
        if n % 2:
            ws.append([])
    return save(wb, tmp_path, "reordered.xlsx")


def layout_offset_repeated_header(tmp_path: Path) -> Path:
    """Table starting at column C row 4, header repeated after a page break, approval cells with a real date."""
    wb = Workbook()
    ws = wb.active
    ws["C1"] = "Daftar konten yang akan dipublikasikan"
    ws["C2"] = "Disetujui oleh: Hj. Siti Aminah, Atasan PPID"
    ws["C3"] = "Tanggal penetapan:"
    ws["D3"] = datetime(2026, 6, 30)
    header = ["No.", "Nama Informasi", "Sifat Informasi", "Pemutakhiran", "Pejabat/Unit yang Menguasai Informasi"]
    ws.append([])
    for c, v in enumerate(header, 3):
        ws.cell(4, c, v)
    row = 5
    for n, (t, c, k, r) in enumerate(ITEMS, 1):
        if n == 4:
            for ci, v in enumerate(header, 3):
                ws.cell(row, ci, v)
            row += 1
        for ci, v in enumerate([n, t, words(CAT_WORDS, c, 3), words(CAD_WORDS, k, 3), r], 3):
            ws.cell(row, ci, v)
        row += 1
    return save(wb, tmp_path, "offset.xlsx")


def layout_csv_semicolon(tmp_path: Path) -> Path:
    """Indonesian-locale Excel CSV: semicolons, cp1252, a title line."""
    lines = ["Daftar Informasi Publik Desa Sukamaju;;;;", ";;;;",
             "No.;Judul;Kategori Informasi;Jangka Waktu Pembaruan;Penanggung Jawab"]
    for n, (t, c, k, r) in enumerate(ITEMS, 1):
        lines.append(f"{n};{t};{words(CAT_WORDS, c, 1)};{words(CAD_WORDS, k, 0)};{r}")
    lines += [";;;;", "Ditetapkan tanggal 15 Juli 2026;;;;"]
    p = tmp_path / "dip.csv"
    p.write_bytes("\r\n".join(lines).encode("cp1252"))
    return p


LAYOUTS = [layout_simple, layout_official_dip, layout_reordered, layout_offset_repeated_header,
           layout_csv_semicolon]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda f: f.__name__)
def test_layouts_import_to_the_same_items(tmp_path, layout):
    daftar = import_file(layout(tmp_path))
    assert_items(daftar)


def test_official_layout_reads_approval_and_skips_retention_column(tmp_path):
    daftar = import_file(layout_official_dip(tmp_path))
    assert daftar.approved_on == date(2026, 7, 2)
    assert daftar.approved_by and "BUDI SANTOSO" in daftar.approved_by and "Ketua PPID" in daftar.approved_by
    # "5 tahun" (retention) must not have been read as the cadence
    assert daftar.items[0].cadence == "annual" and daftar.items[3].cadence == "monthly"


def test_reordered_layout_keeps_ids_and_keywords(tmp_path):
    daftar = import_file(layout_reordered(tmp_path))
    assert [i.id for i in daftar.items] == [f"d-{n:02d}" for n in range(1, len(ITEMS) + 1)]
    assert daftar.items[0].match == ["profil desa", "alt 0"]


def test_offset_layout_reads_approval_cells(tmp_path):
    daftar = import_file(layout_offset_repeated_header(tmp_path))
    assert daftar.approved_on == date(2026, 6, 30)
    assert daftar.approved_by.startswith("Hj. Siti Aminah")


def test_csv_reads_approval_date(tmp_path):
    assert import_file(layout_csv_semicolon(tmp_path)).approved_on == date(2026, 7, 15)


# --- broken tables -------------------------------------------------------------------------------------

def broken(tmp_path: Path, row_values: list, name: str) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(["Daftar Informasi Publik"])
    ws.append(["No", "Jenis Informasi", "Kategori", "Jangka Waktu Pembaruan"])
    ws.append([1, "Profil Desa", "Berkala", "Tahunan"])
    ws.append(row_values)
    return save(wb, tmp_path, name)


@pytest.mark.parametrize("values,col,header,needle", [
    ([2, "APBDes", "Umum", "Tahunan"], "C", "Kategori", "'Umum'"),
    ([2, "APBDes", "Berkala", "kadang-kadang"], "D", "Jangka Waktu Pembaruan", "'kadang-kadang'"),
    ([2, "APBDes", "", "Tahunan"], "C", "Kategori", "kosong"),
    ([2, "APBDes", "Berkala", ""], "D", "Jangka Waktu Pembaruan", "kosong"),
])
def test_bad_cells_name_row_and_column(tmp_path, values, col, header, needle):
    path = broken(tmp_path, values, "bad.xlsx")
    with pytest.raises(DaftarImportError) as exc:
        import_file(path)
    msg = exc.value.message("id")
    assert exc.value.row == 4 and exc.value.col == col
    assert f"baris 4, kolom {col} ({header})" in msg and needle in msg
    assert f"row 4, column {col} ({header})" in exc.value.message("en")


def test_cli_import_error_exits_2_with_one_line(tmp_path, capsys):
    path = broken(tmp_path, [2, "APBDes", "Umum", "Tahunan"], "bad.xlsx")
    out = tmp_path / "daftar.yaml"
    assert main(["content", "import", str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "baris 4, kolom C (Kategori)" in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("content,needle", [
    (b"PK\x03\x04 this is not really a workbook", "tidak dapat dibaca"),
    (None, "tidak menemukan baris judul"),
])
def test_unreadable_or_headerless(tmp_path, capsys, content, needle):
    path = tmp_path / "x.xlsx"
    if content is None:
        wb = Workbook()
        wb.active.append(["a", "b", "c"])
        wb.active.append([1, 2, 3])
        wb.save(path)
    else:
        path.write_bytes(content)
    assert main(["content", "import", str(path), "-o", str(tmp_path / "d.yaml")]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_cli_missing_file_and_bad_format(tmp_path, capsys):
    assert main(["content", "import", str(tmp_path / "nope.xlsx")]) == 2
    (tmp_path / "x.ods").write_bytes(b"x")
    assert main(["content", "import", str(tmp_path / "x.ods")]) == 2
    err = capsys.readouterr().err
    assert "tidak ditemukan" in err and "format tidak didukung" in err


# --- CLI round trip ------------------------------------------------------------------------------------

def test_cli_import_export_round_trip(tmp_path, capsys):
    out = tmp_path / "daftar.yaml"
    assert main(["content", "import", str(layout_official_dip(tmp_path)), "-o", str(out), "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert "6 items imported" in printed and "Profil Desa" in printed
    first = load_daftar(out)
    raw = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert raw["approved_on"] == "2026-07-02" and raw["items"][0]["category"] == "berkala"
    xlsx = tmp_path / "export.xlsx"
    assert main(["content", "export", str(out), "-o", str(xlsx)]) == 0
    again = tmp_path / "again.yaml"
    assert main(["content", "import", str(xlsx), "-o", str(again), "--quiet"]) == 0
    second = load_daftar(again)
    assert second.model_dump() == first.model_dump()


def test_cli_approval_options_override(tmp_path):
    out = tmp_path / "daftar.yaml"
    assert main(["content", "import", str(layout_simple(tmp_path)), "-o", str(out), "--quiet",
                 "--approved-on", "2026-08-01", "--approved-by", "Kepala Desa"]) == 0
    d = load_daftar(out)
    assert d.approved_on == date(2026, 8, 1) and d.approved_by == "Kepala Desa"
    assert main(["content", "import", str(layout_simple(tmp_path)), "--approved-on", "1/8/2026"]) == 2
