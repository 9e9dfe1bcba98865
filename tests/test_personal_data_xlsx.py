"""`checks/personal_data/xlsx.py` (sheets read with lxml, cell by cell as openpyxl would) against openpyxl's
read-only mode itself, the reader it stands in for: the same sheets, states and rows of cell texts, on
workbooks written by openpyxl (shared strings, styles, dates, formulas, hidden sheets; inline strings
in write-only mode) and on sheets written by hand with what other producers do (rows and cells without
references, missing rows, cells out of order, rich and phonetic text, errors, ISO dates, booleans,
dates out of range, a 1904 date system)."""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile

import pytest

from checks.personal_data.limits import cell_text
from checks.personal_data.xlsx import open_book, sheet_rows

openpyxl = pytest.importorskip("openpyxl")

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def openpyxl_rows(data: bytes) -> list[tuple[str, str, list[list[str]]]]:
    """What `office.xlsx_chunks` read before: every worksheet, dimensions reset, values as text."""
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    out = []
    for ws in wb.worksheets:
        ws.reset_dimensions()
        out.append((ws.title, ws.sheet_state, [[cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]))
    wb.close()
    return out


def fast_rows(data: bytes) -> list[tuple[str, str, list[list[str]]]]:
    book = open_book(data)
    return [(s.title, s.state, list(sheet_rows(book, s))) for s in book.sheets]


def _value(rng: random.Random):
    return rng.choice([
        None, "", "teks", "3403015708900001", "0812 3456 7890", 3403015708900001, 81234567890, 12.5, 1e20, -7,
        3.0, True, False, dt.date(2024, 3, 1), dt.datetime(1999, 12, 31, 23, 59), dt.time(7, 30),
        "=SUM(A1:A2)", " spasi ", "a&b <c>", "baris\nbaru", "İstanbul", "0" * 20, "1.250.000"])


def test_workbooks_written_by_openpyxl():
    rng = random.Random(4)
    for write_only in (False, True):
        wb = openpyxl.Workbook(write_only=write_only)
        if not write_only:
            wb.remove(wb.active)
        for n in range(3):
            ws = wb.create_sheet(f"Data {n}")
            if n == 2:
                ws.sheet_state = "hidden"
            for _ in range(rng.randint(0, 60)):
                ws.append([_value(rng) for _ in range(rng.randint(0, 9))])
            if not write_only:
                ws.cell(row=80, column=3, value="3403015708900001")  # rows missing in between
                ws["B5"].number_format = "dd/mm/yyyy"  # a number styled as a date
                ws["B5"] = 45000
        buf = io.BytesIO()
        wb.save(buf)
        assert fast_rows(buf.getvalue()) == openpyxl_rows(buf.getvalue())


def _with_sheet(sheet_xml: str | None, date1904: bool = False) -> bytes:
    """An openpyxl workbook whose first sheet is replaced by `sheet_xml` (None: kept), with a table of
    shared strings: its styles keep a date and a time style (`_styles`)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["A2"], ws["A3"] = 1, dt.date(2020, 1, 1), dt.time(1, 2)
    ws["A3"].number_format = "[h]:mm:ss"
    ws["A4"] = "shared"
    wb.epoch = openpyxl.utils.datetime.MAC_EPOCH if date1904 else wb.epoch
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml" and sheet_xml is not None:
                body = sheet_xml.encode()
            elif info.filename == "[Content_Types].xml":
                body = body.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            zf.writestr(info, body)
        zf.writestr("xl/sharedStrings.xml", SHARED)
    return out.getvalue()


SHARED = f"""<sst xmlns="{MAIN}" count="3" uniqueCount="3"><si><t>shared</t></si>
<si><r><t>3403 0157</t></r><r><rPr><i/></rPr><t xml:space="preserve"> 0890 0001</t></r><rPh sb="0" eb="1"><t>furi</t></rPh></si>
<si><t/></si></sst>"""


def _styles() -> tuple[int, int]:
    """The style ids of `_with_sheet`'s date and time cells, as read back by openpyxl."""
    wb = openpyxl.load_workbook(io.BytesIO(_with_sheet(None)))
    return wb.active["A2"].style_id, wb.active["A3"].style_id


HAND_ROWS = """
<row r="1"><c r="A1" t="inlineStr"><is><t>NIK</t></is></c><c r="C1" t="inlineStr"><is><r><t>No. </t></r><r><rPr><b/></rPr><t>HP</t></r><rPh sb="0" eb="1"><t>x</t></rPh></is></c></row>
<row r="2"><c r="A2" t="str"><v>3403015708900001</v></c><c r="B2" t="e"><v>#N/A</v></c><c r="C2" t="b"><v>1</v></c><c r="D2" t="d"><v>2024-03-01T00:00:00</v></c></row>
<row r="5" spans="1:4"><c r="D5"><v>3403015708900001</v></c><c r="B5"><v>081234567890</v></c><c><v>7</v></c></row>
<row><c><v>12.0</v></c><c/><c r="F6" s="{date}"><v>45000</v></c><c r="G6" s="{time}"><v>0.5</v></c><c r="H6" s="{date}"><v>99999999</v></c></row>
<row r="7"/>
<row r="9"><c r="b9" t="inlineStr"><is><t xml:space="preserve"> a.n. Budi </t></is></c><c r="C9" t="inlineStr"/><c r="D9"><v></v></c><c r="E9" t="s"><v>0</v></c></row>
<row r="8"><c r="A8"><v>1</v></c><c r="B8" t="s"><v>1</v></c><c r="C8" t="s"><v>2</v></c></row>
<row r="10"><c r="A10" t="weird"><v>3403 0157 0890 0001</v></c><c r="B10"><f>A1</f><v>6281234567890</v></c><c r="C10" t="inlineStr"><is/></c></row>
"""


@pytest.mark.parametrize("date1904", [False, True])
def test_sheets_written_by_hand(date1904):
    date_style, time_style = _styles()
    assert date_style != time_style and 0 not in (date_style, time_style)
    rows = HAND_ROWS.replace("{date}", str(date_style)).replace("{time}", str(time_style))
    data = _with_sheet(f'<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>', date1904)
    got = fast_rows(data)
    assert got == openpyxl_rows(data)
    texts = {t for _title, _state, rows in got for row in rows for t in row}
    assert {"No. HP", "#N/A", "3403015708900001", "#VALUE!", " a.n. Budi ", "shared", "6281234567890",
            "3403 0157 0890 0001"} <= texts


def test_broken_cells_fail_in_both_readers():
    for cell in ('<c r="A1" t="s"><v>99</v></c>', '<c r="A1" t="b"><v>x</v></c>', '<c r="1A"><v>1</v></c>',
                 '<c r="A1" s="x"><v>1</v></c>'):
        data = _with_sheet(f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">{cell}</row></sheetData></worksheet>')
        with pytest.raises(Exception):  # noqa: B017 - whatever openpyxl raises, the fast reader must fail too
            fast_rows(data)
        with pytest.raises(Exception):  # noqa: B017
            openpyxl_rows(data)
