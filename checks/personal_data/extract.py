"""Text extraction per format, under caps: HTML, PDF, XLSX/XLSM, XLS, CSV, DOCX, ODT/ODS, ZIP, TXT.

`extract(data, name)` sniffs the format from the bytes first (an upload named .pdf may be a ZIP), falls
back on the extension, and returns an `Extraction` whose `chunks` iterator yields text as it is read, so
memory stays bounded by one page/row at a time. Notes and fatal errors are filled in while iterating.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import methodcaller
from typing import TYPE_CHECKING

from checks.personal_data import office, scans
from checks.personal_data.html_text import html_chunks
from checks.personal_data.limits import Budget, Chunk, Limits, Note, StopExtraction, Unreadable
from checks.personal_data.ocr import OcrEngine, OcrSummary
from checks.personal_data.tables import table_chunks

if TYPE_CHECKING:
    from auditor.snapshot import Page

log = logging.getLogger("ppid_auditor.checks.personal_data")
logging.getLogger("pypdf").setLevel(logging.ERROR)  # its recovery warnings are ours to report, as notes

SUPPORTED = ("html", "htm", "pdf", "xlsx", "xlsm", "xls", "csv", "docx", "odt", "ods", "zip", "txt", "doc", "jpg",
             "jpeg", "png", "webp", "tif", "tiff")


@dataclass
class Extraction:
    name: str
    fmt: str
    limits: Limits
    budget: Budget = field(init=False)
    error: Unreadable | None = None  # set when the document (or the rest of it) cannot be read
    _gen: Iterator[Chunk] | None = None
    ocr: OcrEngine | None = None
    ocr_summary: OcrSummary = field(default_factory=OcrSummary)
    cards: list[tuple[str, list[str]]] = field(default_factory=list)  # (where, labels) of identity cards

    def __post_init__(self) -> None:
        self.budget = Budget(self.limits)

    @property
    def notes(self) -> list[Note]:
        return self.budget.notes

    @property
    def image_only(self) -> bool:
        """A PDF whose pages carry images but (almost) no text: a scan nobody can check automatically."""
        b = self.budget
        return self.fmt == "pdf" and b.image_pages > 0 and b.text_pages == 0 and b.ocr_pages == 0

    @property
    def chunks(self) -> Iterator[Chunk]:
        try:
            yield from self._gen or ()
        except StopExtraction:
            return
        except Unreadable as exc:
            self.error = exc
        except Exception as exc:  # a parser bug on odd input must not stop the other documents
            log.debug("extraction of %s failed: %s: %s", self.name, type(exc).__name__, exc)
            self.error = Unreadable("corrupt", f"berkas rusak atau tidak dapat diurai ({type(exc).__name__})",
                                    f"damaged or unparseable file ({type(exc).__name__})")


def sniff(data: bytes, name: str = "", content_type: str = "") -> str:
    """Format from magic bytes, then package contents, then extension/content type."""
    head = data[:1024]
    ext = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if b"%PDF-" in head:
        return "pdf"
    if scans.sniff_image(data):
        return "image"
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        return office.sniff_zip(data, ext)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return office.sniff_ole(data)
    ct = content_type.split(";")[0].strip().lower()
    if ext in ("html", "htm", "php", "asp", "aspx") or ct in ("text/html", "application/xhtml+xml"):
        return "html"
    if ext == "csv" or ct == "text/csv":
        return "csv"
    if ext in ("txt", "text", "md") or ct.startswith("text/plain"):
        return "txt"
    if re.match(rb"\s*(<!doctype html|<html|<head|<body|<div|<table|<p\b)", head, re.I):
        return "html"
    if ext in ("pdf", "xlsx", "xlsm", "docx", "odt", "ods", "zip", "xls", "doc"):
        return "broken-" + ext  # claims a format but has none of its structure
    if _looks_textual(head):
        return "txt"
    return "unknown"


def _looks_textual(head: bytes) -> bool:
    if not head:
        return True
    if b"\x00" in head:
        return False
    printable = sum(1 for b in head if b >= 32 or b in (9, 10, 13))
    return printable / len(head) > 0.95


def decode_text(data: bytes) -> str:
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def extract_page(page: Page, limits: Limits | None = None) -> Extraction:
    """A crawled HTML page's text from its shared tree (`Page.document`): the page is not parsed again."""
    limits = limits or Limits()
    if len(page.body) > limits.max_bytes or page.document is None:
        return extract(page.body, "page.html", content_type="text/html", limits=limits)
    ex = Extraction("page.html", "html", limits)
    ex._gen = html_chunks(page.text, ex.budget, root=page.document)
    return ex


def extract(data: bytes, name: str, *, content_type: str = "", limits: Limits | None = None,
            depth: int = 0, ocr: OcrEngine | None = None) -> Extraction:
    """`ocr`: read images and image-only PDF pages with it (None: images are unsupported, scanned PDFs
    unscannable, as without Tesseract)."""
    limits = limits or Limits()
    fmt = sniff(data, name, content_type)
    ex = Extraction(name, fmt, limits, ocr=ocr)
    if len(data) > limits.max_bytes:
        mb = limits.max_bytes / 1024 / 1024
        ex._gen = _fail(Unreadable("refused", f"berkas lebih besar dari {mb:.0f} MB; tidak diperiksa",
                                   f"file larger than {mb:.0f} MB; not checked"))
        return ex
    ex._gen = _dispatch(fmt, data, ex.budget, depth, ex)
    return ex


def _fail(exc: Unreadable) -> Iterator[Chunk]:
    raise exc
    yield  # pragma: no cover - makes this a generator


def _dispatch(fmt: str, data: bytes, budget: Budget, depth: int, ex: Extraction) -> Iterator[Chunk]:
    if fmt == "pdf":
        return pdf_chunks(data, budget, ex)
    if fmt == "image":
        return scans.image_chunks(data, budget, ex.ocr, ex.ocr_summary, ex.cards)
    if fmt in ("xlsx", "xlsm"):
        return office.xlsx_chunks(data, budget)
    if fmt == "xls":
        return office.xls_chunks(data, budget)
    if fmt == "docx":
        return office.docx_chunks(data, budget)
    if fmt in ("odt", "ods"):
        return office.odf_chunks(data, budget)
    if fmt == "doc":
        return office.doc_chunks(data, budget)
    if fmt == "zip":
        return office.zip_chunks(data, budget, depth, extract)
    if fmt == "html":
        return html_chunks(decode_text(data), budget)
    if fmt == "csv":
        return csv_chunks(decode_text(data), budget)
    if fmt == "txt":
        return text_chunks(decode_text(data), budget)
    if fmt == "ooxml-encrypted":
        return _fail(Unreadable("encrypted", "berkas Office dilindungi kata sandi (terenkripsi)",
                                "password-protected (encrypted) Office file"))
    if fmt.startswith("broken-"):
        ext = fmt.removeprefix("broken-").upper()
        return _fail(Unreadable("corrupt", f"berkas bukan {ext} yang sah (rusak)", f"not a valid {ext} file (damaged)"))
    return _fail(Unreadable("unsupported", "format berkas tidak didukung", "unsupported file format"))


def text_chunks(text: str, budget: Budget) -> Iterator[Chunk]:
    budget.add_text(text)
    yield Chunk(text, "", by_line=True)


def csv_chunks(text: str, budget: Budget) -> Iterator[Chunk]:
    first = text[:4096].split("\n", 1)[0]
    delim = max(",;\t|", key=first.count)
    if first.count(delim) == 0:
        delim = ","
    lines = plain_lines(text)
    if lines is not None:
        yield from table_chunks(map(methodcaller("split", delim), lines),
                                lambda r, c: f"baris {r + 1} kolom {c + 1}", budget, strings=True)
        return
    reader = csv.reader(io.StringIO(text), delimiter=delim)

    def rows() -> Iterator[list[str]]:
        while True:
            try:
                yield next(reader)
            except StopIteration:
                return
            except csv.Error:
                budget.note("csv.row", "ada baris CSV rusak yang dilewati", "a malformed CSV row was skipped")

    yield from table_chunks(rows(), lambda r, c: f"baris {r + 1} kolom {c + 1}", budget, strings=True)


def plain_lines(text: str) -> list[str] | None:
    """The lines of a CSV text that `csv.reader` would read as its lines split at the delimiter (no
    quotes, no carriage returns or NULs, which it reads its own way or refuses, no field over its size
    limit), else None. Splitting gives the same rows at a lower cost (an empty line gives [""] instead
    of [], an empty cell either way); `tests/test_personal_data_formats.py` compares the two."""
    if '"' in text or "\r" in text or "\x00" in text:
        return None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines if max(map(len, lines), default=0) <= csv.field_size_limit() else None


def pdf_chunks(data: bytes, budget: Budget, ex: Extraction | None = None) -> Iterator[Chunk]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # "owner password only" PDFs open with an empty user password
            except Exception:
                opened = 0
            if not opened:
                raise Unreadable("encrypted", "PDF dilindungi kata sandi (terenkripsi)",
                                 "password-protected (encrypted) PDF")
        total = len(reader.pages)
    except Unreadable:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OSError) as exc:
        raise Unreadable("corrupt", f"PDF rusak atau tidak dapat diurai ({type(exc).__name__})",
                         f"damaged or unparseable PDF ({type(exc).__name__})") from None
    limit = budget.limits.max_pages
    if total > limit:
        budget.note("cap.pages", f"PDF berisi {total:,} halaman; hanya {limit:,} halaman pertama yang diperiksa",
                    f"the PDF has {total:,} pages; only the first {limit:,} were checked")
    scanned: list[int] = []  # image-only pages, for OCR
    for i in range(min(total, limit)):
        budget.tick()
        budget.pages += 1
        try:
            page = reader.pages[i]
            text = page.extract_text() or ""
        except Exception as exc:  # one broken page must not hide the others
            budget.note("pdf.page", f"halaman {i + 1} tidak dapat dibaca ({type(exc).__name__})",
                        f"page {i + 1} could not be read ({type(exc).__name__})")
            continue
        if len(text.strip()) >= 16:
            budget.text_pages += 1
            budget.add_text(text)
            yield Chunk(text, f"hal. {i + 1}")
        elif _has_image(page):
            budget.image_pages += 1
            scanned.append(i)
    if scanned and ex is not None and ex.ocr is not None and ex.ocr.available:
        yield from scans.pdf_page_chunks(data, scanned, budget, ex.ocr, ex.ocr_summary, ex.cards)


def _has_image(page: object) -> bool:
    try:
        xobjects = page["/Resources"].get_object().get("/XObject")  # type: ignore[index]
        if not xobjects:
            return False
        return any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.get_object().values())
    except Exception:
        return False
