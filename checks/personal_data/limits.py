"""Caps and the shared bookkeeping of one extraction: notes, fatal errors, deadlines.

Every extractor works under these caps so a hostile upload (zip bomb, billion-laughs XML, a PDF with
10,000 pages, a sheet with a million rows) costs bounded time and memory, and each cap hit leaves a
note the operator can read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50 * MB  # one document (or archive member) as given
    max_pages: int = 500  # PDF pages read
    max_rows: int = 200_000  # table rows read per document, all sheets together
    max_cells: int = 2_000_000  # non-empty cells read per document
    max_chars: int = 60_000_000  # extracted text per document (a CSV/TXT under max_bytes is read whole)
    max_members: int = 500  # entries in a ZIP archive / OOXML / ODF package
    max_unzipped: int = 300 * MB  # declared uncompressed size of a package, all members
    max_member: int = 100 * MB  # one member, uncompressed
    max_ratio: float = 200.0  # compression ratio of a member larger than 1 MB
    max_depth: int = 2  # archives inside archives
    time_budget_s: float = 60.0  # wall time per document


@dataclass
class Note:
    """Something the operator should know about one document (a cap hit, a part not read)."""

    code: str  # cap.pages, cap.rows, zip.bomb, xml.entities, encrypted, corrupt, unsupported, ...
    text_id: str
    text_en: str

    def text(self, lang: str = "id") -> str:
        return self.text_en if lang == "en" else self.text_id


class Unreadable(Exception):
    """Nothing (more) of the document can be read. `kind`: encrypted, corrupt, unsupported, refused."""

    def __init__(self, kind: str, text_id: str, text_en: str):
        super().__init__(text_en)
        self.kind, self.text_id, self.text_en = kind, text_id, text_en


class StopExtraction(Exception):
    """A per-document cap was reached: keep what was read so far."""


@dataclass
class Chunk:
    """A piece of extracted text and where it came from."""

    text: str
    loc: str  # "hal. 3", "Data!B4", "tabel 1 baris 3", "" (then per-line locations)
    column: str | None = None  # personal-data kind announced by the column header
    context: str = ""  # header / label text, read as if it preceded the text
    by_line: bool = False  # locate matches as "baris N" inside the text


@dataclass
class Budget:
    """Running totals against `Limits`; raises StopExtraction once, after adding a note."""

    limits: Limits
    notes: list[Note] = field(default_factory=list)
    rows: int = 0
    cells: int = 0
    chars: int = 0
    pages: int = 0
    image_pages: int = 0
    text_pages: int = 0
    ocr_pages: int = 0  # image-only PDF pages read by OCR
    started: float = field(default_factory=time.monotonic)

    def note(self, code: str, text_id: str, text_en: str) -> None:
        if not any(n.code == code and n.text_en == text_en for n in self.notes):
            self.notes.append(Note(code, text_id, text_en))

    def _stop(self, code: str, text_id: str, text_en: str) -> None:
        self.note(code, text_id, text_en)
        raise StopExtraction(code)

    def tick(self) -> None:
        if time.monotonic() - self.started > self.limits.time_budget_s:
            s = self.limits.time_budget_s
            self._stop("cap.time", f"batas waktu {s:.0f} detik tercapai; sisa dokumen tidak diperiksa",
                       f"time budget of {s:.0f} s reached; the rest of the document was not checked")

    def add_row(self) -> None:
        self.rows += 1
        if self.rows > self.limits.max_rows:
            n = self.limits.max_rows
            self._stop("cap.rows", f"hanya {n:,} baris pertama yang diperiksa (batas baris)",
                       f"only the first {n:,} rows were checked (row cap)")
        if self.rows % 512 == 0:
            self.tick()

    def add_cell(self) -> None:
        self.cells += 1
        if self.cells > self.limits.max_cells:
            n = self.limits.max_cells
            self._stop("cap.cells", f"hanya {n:,} sel pertama yang diperiksa (batas sel)",
                       f"only the first {n:,} cells were checked (cell cap)")

    def add_text(self, text: str) -> None:
        self.chars += len(text)
        if self.chars > self.limits.max_chars:
            n = self.limits.max_chars
            self._stop("cap.chars", f"hanya {n:,} karakter teks pertama yang diperiksa",
                       f"only the first {n:,} characters of text were checked")


def cell_text(value: Any) -> str:
    """Spreadsheet values as text; integral floats lose their `.0` (NIKs stored as numbers)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e17:
            return str(int(value))
        return repr(value)
    if isinstance(value, str):
        return value
    return ""  # dates, times, errors: never personal numbers


def col_letter(idx: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    out = ""
    idx += 1
    while idx:
        idx, rem = divmod(idx - 1, 26)
        out = chr(65 + rem) + out
    return out
