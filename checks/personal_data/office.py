"""Office formats and archives: XLSX/XLSM (openpyxl read-only), XLS (xlrd), DOCX and ODT/ODS (zip + lxml
iterparse, no DTDs, no entity expansion), legacy .doc (crude text), ZIP archives.

Every package is vetted before any parser sees it: member count, declared uncompressed sizes and
compression ratios (Python's zipfile never inflates past a member's declared size, so declared sizes
are a safe bound), and an XML prolog check that refuses DOCTYPE/ENTITY declarations (OOXML and ODF never
need them; billion-laughs documents always do).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from checks.personal_data import xlsx
from checks.personal_data.limits import MB, Budget, Chunk, StopExtraction, Unreadable, col_letter
from checks.personal_data.tables import CellBlock, table_chunks

_ROOT_START = re.compile(rb"<[A-Za-z_]")
_DTD = re.compile(rb"<!(doctype|entity)", re.I)


def sniff_zip(data: bytes, ext: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist()[:5000])
            mimetype = zf.read("mimetype")[:100].decode("ascii", "replace") if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError):
        return "broken-" + (ext or "zip")
    if "[Content_Types].xml" in names:
        if any(n.startswith("xl/") for n in names):
            return "xlsm" if ext == "xlsm" else "xlsx"
        if any(n.startswith("word/") for n in names):
            return "docx"
    if "opendocument.spreadsheet" in mimetype:
        return "ods"
    if "opendocument.text" in mimetype:
        return "odt"
    return "zip"


def sniff_ole(data: bytes) -> str:
    """Compound File: XLS, DOC, or an encrypted OOXML package (Office puts password-protected .xlsx/.docx
    in an OLE container with EncryptionInfo/EncryptedPackage streams)."""
    head = data[: 2 * MB]
    if "EncryptedPackage".encode("utf-16-le") in head:
        return "ooxml-encrypted"
    if "Workbook".encode("utf-16-le") in head or "Book".encode("utf-16-le") in head:
        return "xls"
    if "WordDocument".encode("utf-16-le") in head:
        return "doc"
    return "unsupported-ole"


def vet_zip(data: bytes, budget: Budget) -> zipfile.ZipFile:
    """Open a ZIP package after checking it is not a bomb; raise Unreadable("refused") when it is."""
    lim = budget.limits
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Unreadable("corrupt", f"arsip ZIP rusak ({exc})", f"damaged ZIP archive ({exc})") from None
    if len(infos) > lim.max_members:
        raise Unreadable("refused", f"arsip berisi {len(infos):,} entri (batas {lim.max_members}); tidak dibuka",
                         f"archive has {len(infos):,} entries (cap {lim.max_members}); not opened")
    total = sum(i.file_size for i in infos)
    if total > lim.max_unzipped:
        raise Unreadable("refused", f"isi arsip {total / MB:,.0f} MB setelah diekstrak (batas "
                         f"{lim.max_unzipped / MB:.0f} MB); kemungkinan zip bomb, tidak dibuka",
                         f"archive expands to {total / MB:,.0f} MB (cap {lim.max_unzipped / MB:.0f} MB); "
                         "likely a zip bomb, not opened")
    for i in infos:
        ratio = i.file_size / max(i.compress_size, 1)
        if i.file_size > lim.max_member or (i.file_size > MB and ratio > lim.max_ratio):
            raise Unreadable("refused", f"entri {i.filename!r} mengembang {ratio:,.0f}x menjadi "
                             f"{i.file_size / MB:,.0f} MB; kemungkinan zip bomb, tidak dibuka",
                             f"entry {i.filename!r} inflates {ratio:,.0f}x to {i.file_size / MB:,.0f} MB; "
                             "likely a zip bomb, not opened")
    return zf


def vet_xml(zf: zipfile.ZipFile, name: str) -> None:
    """Refuse XML with a DTD before any parser sees it (billion laughs, external entities)."""
    buf = b""
    with zf.open(name) as fh:
        while True:
            chunk = fh.read(65536)
            if not chunk:
                break
            buf += chunk
            m = _ROOT_START.search(buf)
            prolog = buf[: m.start()] if m else buf
            if _DTD.search(prolog):
                raise Unreadable("refused", f"XML {name!r} memuat deklarasi DOCTYPE/ENTITY (kemungkinan XML "
                                 "bomb); tidak dibuka", f"XML {name!r} declares a DOCTYPE/ENTITY (possible XML "
                                 "bomb); not opened")
            if m:
                return
            if len(buf) > MB:
                raise Unreadable("refused", f"XML {name!r} tanpa elemen akar di 1 MB pertama; tidak dibuka",
                                 f"XML {name!r} has no root element in its first 1 MB; not opened")


def _vet_all_xml(zf: zipfile.ZipFile) -> None:
    for info in zf.infolist():
        if info.filename.endswith((".xml", ".rels")) and not info.is_dir():
            vet_xml(zf, info.filename)


def xlsx_chunks(data: bytes, budget: Budget) -> Iterator[Chunk]:
    import openpyxl

    zf = vet_zip(data, budget)
    _vet_all_xml(zf)
    try:
        book = xlsx.open_book(data)
    except Exception:  # openpyxl below says what is wrong, in its words
        book = None
    if book is not None:
        try:
            for sheet in book.sheets:  # hidden and very hidden sheets included
                title = sheet.title + (" (tersembunyi)" if sheet.state != "visible" else "")
                yield from table_chunks(xlsx.sheet_rows(book, sheet),
                                        lambda r, c, t=title: f"{t}!{col_letter(c)}{r + 1}", budget, strings=True)
        except (StopExtraction, Unreadable):
            raise
        except Exception as exc:
            raise Unreadable("corrupt", f"XLSX rusak ({type(exc).__name__})",
                             f"damaged XLSX ({type(exc).__name__})") from None
        return
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:
        raise Unreadable("corrupt", f"XLSX rusak ({type(exc).__name__})", f"damaged XLSX ({type(exc).__name__})") from None
    try:
        for ws in wb.worksheets:  # includes hidden and very hidden sheets
            hidden = getattr(ws, "sheet_state", "visible") != "visible"
            title = ws.title + (" (tersembunyi)" if hidden else "")
            if hasattr(ws, "reset_dimensions"):
                ws.reset_dimensions()  # a lying <dimension> must not pad every row to 16,384 columns
            rows = ws.iter_rows(values_only=True)
            yield from table_chunks(rows, lambda r, c, t=title: f"{t}!{col_letter(c)}{r + 1}", budget)
    finally:
        wb.close()


def xls_chunks(data: bytes, budget: Budget) -> Iterator[Chunk]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True, formatting_info=False)
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise Unreadable("encrypted", "XLS dilindungi kata sandi (terenkripsi)",
                             "password-protected (encrypted) XLS") from None
        raise Unreadable("corrupt", f"XLS rusak ({exc})", f"damaged XLS ({exc})") from None
    except Exception as exc:
        raise Unreadable("corrupt", f"XLS rusak ({type(exc).__name__})", f"damaged XLS ({type(exc).__name__})") from None
    try:
        for idx in range(book.nsheets):
            sheet = book.sheet_by_index(idx)
            hidden = getattr(sheet, "visibility", 0) != 0
            title = sheet.name + (" (tersembunyi)" if hidden else "")
            rows = (sheet.row_values(r) for r in range(sheet.nrows))
            yield from table_chunks(rows, lambda r, c, t=title: f"{t}!{col_letter(c)}{r + 1}", budget)
            book.unload_sheet(idx)
    finally:
        book.release_resources()


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TEXT_NS = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE_NS = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE_NS = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def _iterparse(fh: Any) -> Any:
    from lxml import etree

    return etree.iterparse(fh, events=("start", "end"), resolve_entities=False, no_network=True,
                           huge_tree=False, load_dtd=False, remove_comments=True)


class _Tables:
    """Collects rows of the table being parsed (nested tables flatten into their outer cell)."""

    def __init__(self) -> None:
        self.depth = 0
        self.count = 0
        self.rows: list[list[str]] = []
        self.row: list[str] | None = None
        self.cell: list[str] | None = None


def docx_chunks(data: bytes, budget: Budget) -> Iterator[Chunk]:
    zf = vet_zip(data, budget)
    parts = [n for n in zf.namelist() if re.fullmatch(
        r"word/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml", n)]
    parts.sort(key=lambda n: (n != "word/document.xml", n))
    for part in parts:
        vet_xml(zf, part)
        label = "" if part == "word/document.xml" else part.removeprefix("word/").removesuffix(".xml") + ": "
        with zf.open(part) as fh:
            yield from _ooxml_word(fh, label, budget)


def _ooxml_word(fh: Any, label: str, budget: Budget) -> Iterator[Chunk]:
    t = _Tables()
    para = 0
    for event, el in _iterparse(fh):
        tag = el.tag
        if event == "start":
            if tag == W + "tbl":
                t.depth += 1
                if t.depth == 1:
                    t.count += 1
                    t.rows = []
            elif tag == W + "tr" and t.depth == 1:
                t.row = []
            continue
        if tag == W + "p":
            text = _word_text(el)
            if t.depth:
                if t.cell is None:
                    t.cell = []
                t.cell.append(text)
            elif text.strip():
                para += 1
                budget.add_text(text)
                yield Chunk(text, f"{label}paragraf {para}")
            if not t.depth:
                el.clear()
        elif tag == W + "tc" and t.depth == 1:
            if t.row is not None:
                t.row.append(" ".join(t.cell or []))
            t.cell = None
        elif tag == W + "tr" and t.depth == 1:
            if t.row is not None:
                t.rows.append(t.row)
            t.row = None
            el.clear()
        elif tag == W + "tbl":
            t.depth -= 1
            if t.depth == 0:
                n = t.count
                yield from table_chunks(t.rows, lambda r, c, n=n: f"{label}tabel {n} baris {r + 1}", budget)
                t.rows = []
                el.clear()


_W_BREAKS = (W + "tab", W + "br", W + "cr")


def _word_text(p: Any) -> str:
    # Tabs and breaks become spaces: "NIK<tab>3403..." must not glue the label to the number.
    return "".join(x.text or "" if x.tag == W + "t" else " " for x in p.iter(W + "t", *_W_BREAKS))


_ODF_BREAKS = (TEXT_NS + "s", TEXT_NS + "tab", TEXT_NS + "line-break")


def _odf_text(el: Any) -> str:
    out: list[str] = []

    def walk(x: Any) -> None:
        out.append(" " if x.tag in _ODF_BREAKS else (x.text or ""))
        for child in x:
            walk(child)
            out.append(child.tail or "")

    walk(el)
    return "".join(out)


def odf_chunks(data: bytes, budget: Budget) -> Iterator[Chunk]:
    """ODT paragraphs and tables, ODS sheets (every sheet, repeated rows/columns expanded within caps)."""
    zf = vet_zip(data, budget)
    if "content.xml" not in zf.namelist():
        raise Unreadable("corrupt", "dokumen ODF tanpa content.xml (rusak)", "ODF document without content.xml (damaged)")
    vet_xml(zf, "content.xml")
    with zf.open("content.xml") as fh:
        yield from _odf_content(fh, budget)


def _odf_value(el: Any) -> str:
    if el.get(OFFICE_NS + "value-type") in ("float", "currency", "percentage"):
        raw = el.get(OFFICE_NS + "value") or ""
        try:
            d = Decimal(raw)
            if d == d.to_integral_value() and abs(d) < Decimal("1e17"):
                return str(int(d))
        except InvalidOperation:
            pass
    return "\n".join(_odf_text(p) for p in el.iter(TEXT_NS + "p", TEXT_NS + "h"))


def _odf_content(fh: Any, budget: Budget) -> Iterator[Chunk]:
    depth = 0
    sheet = ""
    rows: list[list[str]] = []
    row: list[str] | None = None
    para = 0
    tables = 0
    for event, el in _iterparse(fh):
        tag = el.tag
        if event == "start":
            if tag == TABLE_NS + "table":
                depth += 1
                if depth == 1:
                    tables += 1
                    sheet = el.get(TABLE_NS + "name") or f"tabel {tables}"
                    rows = []
            elif tag == TABLE_NS + "table-row" and depth == 1:
                row = []
            continue
        if tag in (TEXT_NS + "p", TEXT_NS + "h") and not depth:
            text = _odf_text(el)
            if text.strip():
                para += 1
                budget.add_text(text)
                yield Chunk(text, f"paragraf {para}")
            el.clear()
        elif tag in (TABLE_NS + "table-cell", TABLE_NS + "covered-table-cell") and depth == 1 and row is not None:
            value = _odf_value(el)
            repeat = int(el.get(TABLE_NS + "number-columns-repeated") or 1)
            # Repeats of empty cells pad rows to 1,024 columns in every real file; only values count.
            if value:
                for _ in range(min(repeat, 1024)):
                    budget.add_cell()
                    row.append(value)
            elif len(row) < 1024:
                row.extend([""] * min(repeat, 1024 - len(row)))
            el.clear()
        elif tag == TABLE_NS + "table-row" and depth == 1 and row is not None:
            repeat = int(el.get(TABLE_NS + "number-rows-repeated") or 1)
            if any(row):
                for _ in range(min(repeat, budget.limits.max_rows)):
                    rows.append(row)
                    if len(rows) % 4096 == 0:
                        budget.tick()
                    if len(rows) > budget.limits.max_rows:
                        break
            elif len(rows) < 64:
                rows.append([])  # keep row numbers right near the top; skip long empty stretches
            row = None
            el.clear()
        elif tag == TABLE_NS + "table":
            depth -= 1
            if depth == 0:
                yield from table_chunks(rows, lambda r, c, s=sheet: f"{s}!{col_letter(c)}{r + 1}", budget)
                rows = []
                el.clear()


def doc_chunks(data: bytes, budget: Budget) -> Iterator[Chunk]:
    """Legacy Word .doc: no parser here, so text runs are read straight from the file (UTF-16 and 8-bit)."""
    budget.note("doc.crude", "format .doc lama: teks dibaca secara kasar, simpan sebagai PDF/DOCX untuk "
                "pemeriksaan penuh", "legacy .doc: text read crudely; save as PDF/DOCX for a full check")
    wide = [m.group(0).decode("utf-16-le", "ignore") for m in re.finditer(rb"(?:[\x20-\x7e]\x00){6,}", data)]
    narrow = [m.group(0).decode("latin-1") for m in re.finditer(rb"[\x20-\x7e]{8,}", data)]
    text = "\n".join(wide + narrow)
    budget.add_text(text)
    yield Chunk(text, "", by_line=True)


def zip_chunks(data: bytes, budget: Budget, depth: int,
               extract: Callable[..., Any]) -> Iterator[Chunk]:
    """Every file in a ZIP archive, through the same extractors (archives nest up to `max_depth`)."""
    zf = vet_zip(data, budget)
    for info in zf.infolist():
        if info.is_dir():
            continue
        budget.tick()
        name = info.filename
        if info.flag_bits & 0x1:
            budget.note("zip.encrypted", f"{name}: terenkripsi, tidak diperiksa", f"{name}: encrypted, not checked")
            continue
        ext = name.lower().rsplit(".", 1)[-1] if "." in name else ""
        if ext == "zip" and depth + 1 > budget.limits.max_depth:
            budget.note("zip.depth", f"{name}: arsip bersarang terlalu dalam, tidak diperiksa",
                        f"{name}: archive nested too deep, not checked")
            continue
        try:
            inner_data = zf.read(info)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, ValueError) as exc:
            budget.note("zip.member", f"{name}: tidak dapat dibaca ({exc})", f"{name}: cannot be read ({exc})")
            continue
        inner = extract(inner_data, name, limits=budget.limits, depth=depth + 1)
        if inner.fmt in ("unknown", "unsupported-ole", "image"):
            continue  # images, executables...: nothing to read
        inner.budget.started = budget.started  # one deadline for the whole archive
        for chunk in inner.chunks:
            if isinstance(chunk, CellBlock):
                chunk.prefix = f"{name}: {chunk.prefix}" if chunk.prefix else name
            else:
                chunk.loc = f"{name}: {chunk.loc}" if chunk.loc else name
            yield chunk
        for note in inner.notes:
            budget.note(note.code, f"{name}: {note.text_id}", f"{name}: {note.text_en}")
        if inner.error:
            budget.note(inner.error.kind, f"{name}: {inner.error.text_id}", f"{name}: {inner.error.text_en}")
        if inner.image_only:
            budget.note("pdf.image_only", f"{name}: PDF hasil pindaian (gambar saja), periksa manual",
                        f"{name}: image-only PDF, review by hand")
            budget.image_pages += inner.budget.image_pages
