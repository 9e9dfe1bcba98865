"""The rows of an XLSX workbook as cell texts: the values openpyxl's read-only mode gives, faster.

openpyxl reads a sheet with ElementTree's Python-level event handlers and builds a dict per cell, about
15 microseconds a cell; before that it parses a sheet without a `<dimension>` element (openpyxl's own
write-only output, some web exporters) once more just to size it, a size `office.xlsx_chunks` throws
away (a lying dimension must not hide rows). Here openpyxl still reads what is small and subtle (the
package manifest, the workbook and its sheets, shared strings, which cell styles are dates and the
date epoch); the sheets themselves go through lxml's C parser, one `<row>` at a time, and each cell
becomes its text as `openpyxl.worksheet._reader.WorkSheetParser.parse_cell` (data only) and
`limits.cell_text` together would make it: a number styled as a date is a date (no text), a shared
string is its text, a row is as wide as its last cell, and a missing row is an empty one.
`tests/test_personal_data_xlsx.py` compares both readers on sheets with every kind of cell.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from checks.personal_data.limits import cell_text

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
ROW, VALUE, INLINE, TEXT = NS + "row", NS + "v", NS + "is", NS + "t"


@dataclass
class Sheet:
    title: str
    state: str  # visible, hidden, veryHidden
    path: str  # of its XML in the package


@dataclass
class Book:
    archive: zipfile.ZipFile
    sheets: list[Sheet]
    strings: list[str]
    date_styles: frozenset[int]
    timedelta_styles: frozenset[int]
    epoch: Any


def open_book(data: bytes) -> Book:
    """The workbook's sheets, shared strings and date styles, read by openpyxl as `load_workbook` does
    (any error is the one it would raise)."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    reader.read_manifest()
    reader.read_strings()
    reader.read_workbook()
    wb = reader.wb
    apply_stylesheet(reader.archive, wb)
    names = set(reader.valid_files)
    sheets = [Sheet(sheet.name, sheet.state or "visible", rel.target)
              for sheet, rel in reader.parser.find_sheets()
              if rel.target in names and "chartsheet" not in rel.Type]
    return Book(reader.archive, sheets, reader.shared_strings, frozenset(wb._date_formats), frozenset(wb._timedelta_formats),
                wb.epoch)


def sheet_rows(book: Book, sheet: Sheet) -> Iterator[list[str]]:
    """The sheet's rows from the first, as lists of cell texts ("" for an empty cell)."""
    from lxml import etree

    with book.archive.open(sheet.path) as fh:
        events = etree.iterparse(fh, events=("end",), tag=ROW, resolve_entities=False, no_network=True,
                                 huge_tree=True)
        counter = 1  # the next row to hand over
        number = 0  # the last row read
        for _event, el in events:
            r = el.get("r")
            number = _row_number(r) if r is not None else number + 1
            row = _row(el, book)
            el.clear()
            while el.getprevious() is not None:
                del el.getparent()[0]
            while counter < number:  # rows missing in the file
                counter += 1
                yield []
            if counter <= number:
                counter += 1
                yield row


def _row_number(r: str) -> int:
    try:
        return int(r)
    except ValueError:
        val = float(r)
        if val.is_integer():
            return int(val)
        raise ValueError(f"{r} is not a valid row number") from None


def _row(el: Any, book: Book) -> list[str]:
    """One `<row>`: every child is a cell, placed by its reference (or after the previous one); the row
    is as wide as its last cell, and a cell placed beyond that is dropped."""
    cells: list[tuple[int, str]] = []
    col = 0
    columns = _COLUMNS
    for c in el:
        ref = c.get("r")
        if ref:
            letters = ref.rstrip(_DIGITS)  # "AB12" -> "AB"; anything odd goes to openpyxl, which may refuse it
            got = columns.get(letters) if len(letters) < len(ref) else None
            col = got if got is not None else _openpyxl_column(ref)
        else:
            col += 1
        cells.append((col, _text(c, book)))
    if not cells:
        return []
    width = cells[-1][0]
    row = [""] * width
    for col, text in cells:
        if 1 <= col <= width:
            row[col - 1] = text
    return row


_DIGITS = "0123456789"
_COLUMNS: dict[str, int] = {}  # "A" -> 1 ... "XFD" -> 16384, filled from openpyxl on first use


def _openpyxl_column(ref: str) -> int:
    """The column of a cell reference as openpyxl reads it (failing as it does); plain ones ("AB12") are
    remembered by their letters."""
    from openpyxl.utils.cell import coordinate_to_tuple

    col = coordinate_to_tuple(ref)[1]
    letters = ref.rstrip(_DIGITS)
    if letters.isalpha() and letters.isascii():
        _COLUMNS[letters] = col
    return col


def _text(c: Any, book: Book) -> str:
    kind = c.get("t", "n")
    style = c.get("s")
    style_id = int(style) if style else 0  # as openpyxl, which fails on a bad one in any cell
    if kind == "inlineStr":
        box = c.find(INLINE)
        if box is None:
            return ""
        if len(box) == 1 and box[0].tag == TEXT:
            return box[0].text or ""
        from openpyxl.cell.text import Text

        return Text.from_tree(box).content
    value = c.findtext(VALUE) or None
    if value is None:
        return ""
    if kind == "n":
        number = cast_number(value)
        if style_id in book.date_styles:
            return _date_text(number, style_id, book)
        return cell_text(number)
    if kind == "s":
        return cell_text(book.strings[int(value)])
    if kind == "b":
        bool(int(value))  # as openpyxl, which fails on anything else
        return ""
    if kind == "d":
        from openpyxl.utils.datetime import from_ISO8601

        from_ISO8601(value)
        return ""
    return value  # "str", "e" (an error such as #N/A) and any other type: the text as it is


def cast_number(value: str) -> int | float:
    """A numeric cell's text as openpyxl's reader casts it (a float when it has a point or an exponent)."""
    return float(value) if "." in value or "e" in value or "E" in value else int(value)


def _date_text(number: float, style: int, book: Book) -> str:
    """A number styled as a date or time: no text, but "#VALUE!" where openpyxl cannot convert it."""
    from openpyxl.utils.datetime import from_excel

    try:
        from_excel(number, book.epoch, timedelta=style in book.timedelta_styles)
    except (OverflowError, ValueError):
        return "#VALUE!"
    return ""

