"""Generated documents of every supported format, and hostile documents, through the extractors."""

from __future__ import annotations

import io
import random
import time
import tracemalloc
import zipfile
from datetime import date

import pytest

from checks.personal_data.detectors import valid_nik
from checks.personal_data.evidence import findings_for, scan_extraction
from checks.personal_data.extract import extract
from checks.personal_data.limits import Limits
from tests.pii_synth import make_kk, make_nik, make_phone

KEY = b"k" * 32
TODAY = date(2026, 11, 25)


def people(n: int, seed: int = 1) -> list[tuple[str, str, str, str]]:
    rng = random.Random(seed)
    return [(f"Warga {i}", make_nik(rng), make_kk(rng), make_phone(rng)) for i in range(n)]


HEADER = ["No", "Nama", "NIK", "No. KK", "No. HP"]


def rows_of(ppl: list[tuple[str, str, str, str]]) -> list[list[str]]:
    return [[str(i + 1), name, nik, kk, hp] for i, (name, nik, kk, hp) in enumerate(ppl)]


# -- builders -----------------------------------------------------------------------------------------

def make_xlsx(ppl, *, hidden: bool = False, as_numbers: bool = True) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Penerima"
    ws.append(["Daftar penerima BLT Dana Desa 2024"])
    ws.append(HEADER)
    for row in rows_of(ppl):
        ws.append([int(row[0]), row[1], int(row[2]) if as_numbers else row[2], row[3], row[4]])
    if hidden:
        ws2 = wb.create_sheet("Arsip")
        ws2.sheet_state = "hidden"
        ws2.append(["NIK"])
        ws2.append([ppl[0][1]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def make_xls(ppl) -> bytes:
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("Penerima")
    for c, h in enumerate(HEADER):
        ws.write(0, c, h)
    for r, row in enumerate(rows_of(ppl), 1):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def make_csv(ppl) -> bytes:
    lines = [";".join(HEADER)] + [";".join(r) for r in rows_of(ppl)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def make_docx(ppl) -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph(f"Surat keterangan untuk {ppl[0][0]}, NIK {ppl[0][1]}, HP {ppl[0][3]}.")
    t = d.add_table(rows=1, cols=len(HEADER))
    for c, h in enumerate(HEADER):
        t.rows[0].cells[c].text = h
    for row in rows_of(ppl[1:]):
        cells = t.add_row().cells
        for c, v in enumerate(row):
            cells[c].text = v
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def make_odt(ppl) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import P

    doc = OpenDocumentText()
    doc.text.addElement(P(text=f"Pemohon {ppl[0][0]} NIK {ppl[0][1]}"))
    table = Table(name="Daftar")
    table.addElement(TableColumn(numbercolumnsrepeated=len(HEADER)))
    for row in [HEADER, *rows_of(ppl[1:])]:
        tr = TableRow()
        for v in row:
            tc = TableCell()
            tc.addElement(P(text=v))
            tr.addElement(tc)
        table.addElement(tr)
    doc.text.addElement(table)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def make_ods(ppl, *, hidden_sheet: bool = True) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Penerima")
    for r, row in enumerate([HEADER, *rows_of(ppl)]):
        tr = TableRow()
        for c, v in enumerate(row):
            if r > 0 and c == 2:  # NIK stored as a number, displayed in scientific notation
                tc = TableCell(valuetype="float", value=v)
                tc.addElement(P(text=f"{int(v):.5E}"))
            else:
                tc = TableCell()
                tc.addElement(P(text=v))
            tr.addElement(tc)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    if hidden_sheet:
        t2 = Table(name="Lampiran")
        tr = TableRow()
        tc = TableCell()
        tc.addElement(P(text=f"KK {ppl[-1][2]}"))
        tr.addElement(tc)
        t2.addElement(tr)
        doc.spreadsheet.addElement(t2)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def make_pdf(ppl, pages: int = 2) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=9)
    per = max(1, len(ppl) // pages)
    for p in range(pages):
        pdf.add_page()
        pdf.cell(0, 6, "No  Nama  NIK  No. KK  No. HP", new_x="LMARGIN", new_y="NEXT")
        for i, (name, nik, kk, hp) in enumerate(ppl[p * per:(p + 1) * per if p < pages - 1 else None]):
            pdf.cell(0, 6, f"{p * per + i + 1}  {name}  {nik}  {kk}  {hp}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def make_image_pdf() -> bytes:
    from fpdf import FPDF

    png = io.BytesIO()
    _tiny_png(png)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(png, x=10, y=10, w=100)
    return bytes(pdf.output())


def _tiny_png(out: io.BytesIO) -> None:
    import struct
    import zlib

    w = h = 8
    raw = b"".join(b"\x00" + b"\x80\x80\x80" * w for _ in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    out.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
              + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    out.seek(0)


def make_html(ppl) -> bytes:
    rows = "".join(f"<tr><td>{i + 1}</td><td>{n}</td><td>{nik}</td><td>{kk}</td><td>{hp}</td></tr>"
                   for i, (n, nik, kk, hp) in enumerate(ppl[2:]))
    return (f"<html><head><title>BLT</title><script>var x='{ppl[0][1]}x';</script></head><body>"
            f"<p>Pengumuman penerima. Kontak: <a href='mailto:warga.satu@gmail.com'>surel</a></p>"
            f"<img src='ktp.jpg' alt='KTP {ppl[0][0]} NIK {ppl[0][1]}'>"
            f"<!-- cadangan: NIK {ppl[1][1]} -->"
            f"<table><tr><th>No</th><th>Nama</th><th>NIK</th><th>No. KK</th><th>No. HP</th></tr>{rows}</table>"
            f"</body></html>").encode()


def make_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def run_doc(data: bytes, name: str, limits: Limits | None = None):
    ex = extract(data, name, limits=limits)
    return scan_extraction(ex, today=TODAY)


# -- every format ---------------------------------------------------------------------------------------

PPL = people(60)


@pytest.mark.parametrize("fmt,builder,expect_nik,expect_kk,expect_phone", [
    ("xlsx", lambda: make_xlsx(PPL, hidden=True), 60, 60, 60),
    ("xls", lambda: make_xls(PPL), 60, 60, 60),
    ("csv", lambda: make_csv(PPL), 60, 60, 60),
    ("docx", lambda: make_docx(PPL), 60, 59, 60),
    ("odt", lambda: make_odt(PPL), 60, 59, 59),
    ("ods", lambda: make_ods(PPL), 60, 60, 60),
    ("html", lambda: make_html(PPL), 60, 58, 58),
])
def test_every_table_format_counts_every_person(fmt, builder, expect_nik, expect_kk, expect_phone):
    res = run_doc(builder(), f"daftar.{fmt}")
    assert res.readable, (fmt, res.error_en)
    assert res.fmt == fmt
    assert res.count("nik") == expect_nik
    # Column headers decide NIK vs KK in tables: the KK column is counted as KK, not as more NIKs.
    assert res.count("kk") == expect_kk
    assert res.count("phone") == expect_phone
    locs = res.groups["nik"].locations
    assert locs and all(loc for loc in locs)


def test_xlsx_hidden_sheet_and_numbers_stored_as_numbers():
    ppl = people(5, seed=3)
    res = run_doc(make_xlsx(ppl, hidden=True), "x.xlsx")
    assert res.count("nik") == 5
    assert any("Penerima!C3" == loc for loc in res.groups["nik"].locations)
    only_hidden = run_doc(make_xlsx(people(1, seed=4), hidden=True), "x.xlsx")
    assert only_hidden.count("nik") == 1  # the same person in the hidden sheet: one distinct NIK


def test_xlsm_is_read_like_xlsx():
    data = make_xlsx(people(4, seed=5))
    res = run_doc(data, "makro.xlsm")
    assert res.fmt == "xlsm" and res.count("nik") == 4


def test_pdf_pages_are_located():
    res = run_doc(make_pdf(PPL, pages=3), "blt.pdf")
    assert res.readable and res.count("nik") == 60
    assert {"hal. 1", "hal. 2"} <= set(res.groups["nik"].locations)
    assert res.pages == 3


def test_image_only_pdf_is_unscannable():
    res = run_doc(make_image_pdf(), "scan.pdf")
    assert res.readable and res.image_only
    fs = findings_for(res, "https://desa.example/scan.pdf", KEY)
    assert [f.rule for f in fs] == ["pii.document.unscannable"]


def test_zip_archive_members_and_nesting():
    inner = make_zip({"dalam.csv": make_csv(people(3, seed=8))})
    data = make_zip({"a.csv": make_csv(people(4, seed=6)), "b.docx": make_docx(people(2, seed=7)),
                     "foto.jpg": b"\xff\xd8\xff" + b"\x00" * 100, "arsip.zip": inner})
    res = run_doc(data, "lampiran.zip")
    assert res.count("nik") == 4 + 2 + 3
    assert any(loc.startswith("a.csv: ") for loc in res.groups["nik"].locations)


def test_txt_lines_are_located():
    nik = people(1, seed=9)[0][1]
    res = run_doc(f"judul\n\nNIK pemohon: {nik}\n".encode(), "catatan.txt")
    assert res.count("nik") == 1 and res.groups["nik"].locations == ["baris 3"]


# -- hostile documents -----------------------------------------------------------------------------------

def _bounded(fn, seconds: float, mb: float):
    tracemalloc.start()
    t0 = time.monotonic()
    try:
        out = fn()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    elapsed = time.monotonic() - t0
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    assert peak < mb * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"
    return out


def test_zip_bomb_xlsx_is_refused_quickly():
    good = make_xlsx(people(2, seed=10))
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        with dst.open("xl/worksheets/sheet2.xml", "w") as fh:
            block = b" " * (1 << 20)
            for _ in range(400):  # 400 MB of whitespace, ~400 KB compressed
                fh.write(block)
    data = buf.getvalue()
    assert len(data) < 2_000_000
    res = _bounded(lambda: run_doc(data, "bom.xlsx"), 10, 50)
    assert res.error_kind == "refused" and "zip bomb" in res.error_en


def test_xml_bomb_docx_is_refused():
    lol = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
           + ']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
           '<w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>')
    good = make_docx(people(1, seed=11))
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, lol if item.filename == "word/document.xml" else src.read(item))
    res = _bounded(lambda: run_doc(buf.getvalue(), "bom.docx"), 5, 50)
    assert res.error_kind == "refused" and "DOCTYPE" in res.error_en


def _many_page_pdf(n: int) -> bytes:
    """A valid PDF with `n` pages sharing one small content stream (a few hundred KB)."""
    nik = people(1, seed=12)[0][1]
    content = f"BT /F1 10 Tf 72 720 Td (NIK {nik}) Tj ET".encode()
    objs: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b"",
                         b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
                         b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"]
    first_page = len(objs) + 1
    kids = " ".join(f"{first_page + i} 0 R" for i in range(n))
    objs[1] = f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode()
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 3 0 R >> >> >>"
    objs.extend([page] * n)
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


@pytest.mark.slow
def test_ten_thousand_page_pdf_is_capped():
    data = _many_page_pdf(10_000)
    res = _bounded(lambda: run_doc(data, "tebal.pdf", Limits(max_pages=50)), 45, 400)
    assert res.readable and res.count("nik") == 1 and res.pages == 50
    assert any(n.code == "cap.pages" and "10,000" in n.text_en for n in res.notes)


def test_malformed_pdf_is_corrupt():
    """Each damaged PDF is reported unreadable as `corrupt`; the intact original (the control) is read."""
    good = make_pdf(people(3, seed=13), pages=1)
    control = run_doc(good, "utuh.pdf")
    assert control.readable and control.count("nik") == 3
    for data in (b"%PDF-1.7\n1 0 obj << /Type /Catalog", good[: len(good) // 3], b"%PDF-" + bytes(range(256)) * 10):
        res = _bounded(lambda d=data: run_doc(d, "rusak.pdf"), 10, 100)
        assert not res.readable and res.error_kind == "corrupt" and res.count("nik") == 0


def _encrypted_pdf(seed: int, user_password: str) -> bytes:
    """A one-page PDF of three people, AES-encrypted (an empty user password opens it without asking)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(make_pdf(people(3, seed=seed), pages=1))).pages:
        writer.add_page(page)
    writer.encrypt(user_password=user_password, owner_password="pemilik", algorithm="AES-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_password_protected_pdf_is_encrypted():
    data = _encrypted_pdf(14, "rahasia")
    res = _bounded(lambda: run_doc(data, "terkunci.pdf"), 10, 100)
    assert res.error_kind == "encrypted" and "password" in res.error_en


def test_owner_password_only_pdf_is_still_read():
    assert run_doc(_encrypted_pdf(15, ""), "izin.pdf").count("nik") == 3


def test_huge_sheet_hits_the_row_cap_with_a_note():
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Besar")
    ws.append(["NIK"])
    rng = random.Random(16)
    for _ in range(1500):
        ws.append([make_nik(rng)])
    buf = io.BytesIO()
    wb.save(buf)
    res = run_doc(buf.getvalue(), "besar.xlsx", Limits(max_rows=500))
    assert res.readable and 490 <= res.count("nik") <= 500
    assert any(n.code == "cap.rows" for n in res.notes)


def test_ods_repeated_rows_bomb_is_capped():
    nik = people(1, seed=17)[0][1]
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
               '<table:table table:name="S"><table:table-row table:number-rows-repeated="1000000">'
               f'<table:table-cell table:number-columns-repeated="16384"><text:p>{nik}</text:p></table:table-cell>'
               '</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>')
    data = make_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": content.encode()})
    res = _bounded(lambda: run_doc(data, "ulang.ods", Limits(max_rows=5000, max_cells=20000)), 20, 300)
    assert res.count("nik") == 1
    assert any(n.code.startswith("cap.") for n in res.notes)


def test_encrypted_office_file_and_unsupported_and_truncated():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 600
    assert run_doc(ole, "rahasia.xlsx").error_kind == "encrypted"
    assert run_doc(b"\x7fELF\x02\x01\x01" + bytes(300), "program.bin").error_kind == "unsupported"
    full = make_xlsx(people(3, seed=18))
    assert run_doc(full[: len(full) // 2], "potong.xlsx").error_kind == "corrupt"


def test_masked_samples_never_hold_full_values():
    ppl = people(10, seed=19)
    res = run_doc(make_csv(ppl), "d.csv")
    fs = findings_for(res, "https://desa.example/d.csv", KEY)
    blob = repr([f.to_json() for f in fs])
    for _name, nik, kk, hp in ppl:
        assert nik not in blob and kk not in blob and hp not in blob
    assert all(valid_nik(p[1], TODAY) for p in ppl)
