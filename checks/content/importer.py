"""`content import`: the office's signed table (XLSX/XLS/CSV) -> `Daftar`.

Tolerant of layout (title rows above the table, merged header cells, two-row headers, Indonesian column
names, numbering columns and "1 2 3 4" column-number rows, blank rows, section rows such as
"I. INFORMASI BERKALA", a signature block below) and strict about content: an unknown category or cadence
is an error naming the row and the column.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from checks.content.daftar import CADENCES, CATEGORIES, Daftar, DaftarError, Item
from checks.content.dates import parse_date, parse_machine_date

# Header synonyms as data: field -> regexes over the normalised header text (first field wins).
COLUMN_PATTERNS: list[tuple[str, str]] = [
    ("no", r"^(no|nomor|no urut|nomor urut)$"),
    ("id", r"^(id|kode|kode informasi|id item)$"),
    ("url", r"^(url|link|tautan|alamat web|alamat url|lokasi web|tautan web|link dokumen)\b"),
    ("match", r"kata kunci|^match$|^pola"),
    ("cadence", r"jangka waktu pembaruan|jangka waktu pembaharuan|waktu pembaruan|pembaruan|pembaharuan|"
                r"pemutakhiran|frekuensi|periode update|jadwal update|^update$|cadence|berkala update"),
    ("category", r"^kategori|klasifikasi|sifat informasi|^jenis$|^golongan"),
    ("responsible", r"penanggung ?jawab|^pj$|^pic$|menguasai informasi|^pejabat|^unit kerja|^pengelola"),
    ("title", r"jenis informasi|judul|nama informasi|ringkasan isi|^informasi( publik)?$|nama dokumen|"
              r"^uraian|^konten|^title$|daftar informasi"),
]
# Never the update cadence, even though they say "jangka waktu".
_NOT_CADENCE = re.compile(r"penyimpanan|retensi|simpan")

CATEGORY_PATTERNS: list[tuple[str, str]] = [
    ("serta_merta", r"serta\s*-?\s*merta|^ism$|^sm$"),
    ("setiap_saat", r"setiap\s*-?\s*saat|^iss$|^ss$"),
    ("dikecualikan", r"dikecualikan|^idk$|^ik$|^rahasia$"),
    ("berkala", r"berkala|^ib$|^iwb$|^ibk$"),
]
CADENCE_PATTERNS: list[tuple[str, str]] = [
    ("monthly", r"bulanan|\b(setiap|tiap|per|sekali)\s+bulan\b|sebulan|^1\s*(x\s*)?(1\s*)?bulan|monthly"),
    ("quarterly", r"triwulan|kuartal|\b(3|tiga)\s*bulan|quarterly"),
    ("semiannual", r"semester|\b(6|enam)\s*bulan|setengah tahun|semiannual|semi annual"),
    ("annual", r"tahunan|\b(setiap|tiap|per|sekali)\s+tahun\b|setahun|^1\s*(x\s*)?(1\s*)?tahun|annual|yearly"),
    ("once", r"sekali|satu kali|tidak berkala|sewaktu|insidental|ada perubahan|^once$|^-$"),
]
_APPROVAL_LABEL = re.compile(r"ditetapkan|disetujui|disahkan|mengetahui|tanda tangan|\bttd\b|tanggal penetapan",
                             re.I)
_ROLE = re.compile(r"(atasan ppid|ketua ppid|kepala desa|kepala seksi|pejabat pengelola)", re.I)
_SECTION = re.compile(r"^([ivx]+|[a-h]|\d{1,2})[.)]\s+\S")


class DaftarImportError(DaftarError):
    """An invalid row or table; `message(lang)` says where in both languages."""

    def __init__(self, source: str, msg_id: str, msg_en: str, row: int | None = None,
                 col: str | None = None, header: str | None = None):
        self.source, self.msg_id, self.msg_en, self.row, self.col, self.header = \
            source, msg_id, msg_en, row, col, header
        super().__init__(self.message("id"))

    def message(self, lang: str = "id") -> str:
        where = ""
        if self.row is not None:
            where = f"baris {self.row}" if lang != "en" else f"row {self.row}"
            if self.col:
                where += (", kolom " if lang != "en" else ", column ") + self.col
                if self.header:
                    where += f" ({self.header})"
            where += ": "
        return f"{self.source}: {where}{self.msg_en if lang == 'en' else self.msg_id}"


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return " ".join(re.sub(r"[^0-9a-z/+\-]+", " ", text).replace("/", " ").split())


def col_letter(idx: int) -> str:
    s, n = "", idx + 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _cell_str(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return " ".join(str(v).split())


# --- reading ----------------------------------------------------------------------------------------

def read_grid(path: Path, sheet: str | None = None) -> list[list[str]]:
    """Cells as strings; merged ranges filled with their top-left value."""
    suffix = path.suffix.lower()
    src = str(path)
    try:
        if suffix in (".xlsx", ".xlsm"):
            return _read_xlsx(path, sheet)
        if suffix == ".xls":
            return _read_xls(path, sheet)
        if suffix in (".csv", ".txt"):
            return _read_csv(path)
    except DaftarError:
        raise
    except FileNotFoundError:
        raise DaftarImportError(src, "berkas tidak ditemukan", "file not found") from None
    except Exception as exc:  # corrupt or encrypted workbook: one clear line, no traceback
        raise DaftarImportError(src, f"tidak dapat dibaca: {type(exc).__name__}: {exc}",
                                f"cannot be read: {type(exc).__name__}: {exc}") from None
    raise DaftarImportError(src, "format tidak didukung (gunakan .xlsx, .xls atau .csv)",
                            "unsupported format (use .xlsx, .xls or .csv)")


def _read_xlsx(path: Path, sheet: str | None) -> list[list[str]]:
    from openpyxl import load_workbook

    wb = load_workbook(str(path), data_only=True)
    if sheet is not None and sheet not in wb.sheetnames:
        raise DaftarImportError(str(path), f"lembar {sheet!r} tidak ada ({', '.join(wb.sheetnames)})",
                                f"no sheet {sheet!r} ({', '.join(wb.sheetnames)})")
    ws = wb[sheet] if sheet else next((w for w in wb.worksheets if w.max_row > 1), wb.worksheets[0])
    grid = [[_cell_str(c) for c in row] for row in ws.iter_rows(values_only=True)]
    for rng in ws.merged_cells.ranges:
        top = _cell_str(ws.cell(rng.min_row, rng.min_col).value)
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                if r - 1 < len(grid) and c - 1 < len(grid[r - 1]):
                    grid[r - 1][c - 1] = top
    return grid


def _read_xls(path: Path, sheet: str | None) -> list[list[str]]:
    import xlrd

    book = xlrd.open_workbook(str(path), formatting_info=False)
    ws = book.sheet_by_name(sheet) if sheet else book.sheet_by_index(0)
    grid = []
    for r in range(ws.nrows):
        row = []
        for c in range(ws.ncols):
            cell = ws.cell(r, c)
            if cell.ctype == xlrd.XL_CELL_DATE:
                row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode).date().isoformat())
            else:
                row.append(_cell_str(cell.value))
        grid.append(row)
    return grid


def _read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    return [[_cell_str(c) for c in row] for row in csv.reader(io.StringIO(text), dialect)]


# --- header detection -------------------------------------------------------------------------------

def map_header(cells: list[str]) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for idx, cell in enumerate(cells):
        text = _norm(cell)
        if not text:
            continue
        for fld, rx in COLUMN_PATTERNS:
            if fld in mapping:
                continue
            if fld == "cadence" and _NOT_CADENCE.search(text):
                continue
            if re.search(rx, text):
                mapping[fld] = idx
                break
    return mapping


@dataclass
class Header:
    row: int  # 0-based index of the last header row
    columns: dict[str, int]
    names: dict[int, str]


def find_header(grid: list[list[str]], source: str) -> Header:
    best: Header | None = None
    best_score = 0
    for r in range(min(len(grid), 40)):
        for span in (1, 2):
            if r + span > len(grid):
                continue
            width = max(len(grid[i]) for i in range(r, r + span))
            cells = []
            for c in range(width):
                parts = []
                for i in range(r, r + span):
                    v = grid[i][c] if c < len(grid[i]) else ""
                    if v and v not in parts:
                        parts.append(v)
                cells.append(" ".join(parts))
            mapping = map_header(cells)
            score = len(mapping) + (0 if span == 1 else -0.5)
            if "title" in mapping and score > best_score:
                best_score = score
                best = Header(r + span - 1, mapping, {i: c for i, c in enumerate(cells)})
    if best is None or best_score < 2:
        raise DaftarImportError(source, "tidak menemukan baris judul tabel (kolom 'Jenis Informasi', 'Kategori', "
                                        "'Jangka Waktu Pembaruan' ...)",
                                "no table header found (columns such as 'Jenis Informasi', 'Kategori', "
                                "'Jangka Waktu Pembaruan')")
    return best


def parse_category(value: str) -> str | None:
    text = _norm(value).replace("_", " ")
    if text.replace(" ", "_") in CATEGORIES:
        return text.replace(" ", "_")
    for cat, rx in CATEGORY_PATTERNS:
        if re.search(rx, text):
            return cat
    return None


def parse_cadence(value: str) -> str | None:
    text = _norm(value)
    if text in CADENCES:
        return text
    for cad, rx in CADENCE_PATTERNS:
        if re.search(rx, text):
            return cad
    return None


def _slug(title: str) -> str:
    text = _norm(title)
    return "-".join(text.split())[:40].strip("-") or "item"


def _is_number_row(values: list[str]) -> bool:
    nums = [v for v in values if v]
    return len(nums) >= 3 and all(re.fullmatch(r"\(?\d{1,2}\)?", v) for v in nums)


# --- approval metadata ------------------------------------------------------------------------------

def find_approval(grid: list[list[str]], skip_rows: set[int]) -> tuple[str | None, date | None]:
    """Approval date and approver from the cells outside the table: labelled cells first ("Disetujui oleh:",
    "Tanggal penetapan:", "Sukamaju, 2 Juli 2026"), then the name under a role ("Ketua PPID ...")."""
    approved_on: date | None = None
    approved_by: str | None = None
    cells = [(r, c, v, row) for r, row in enumerate(grid) if r not in skip_rows for c, v in enumerate(row) if v]
    for _r, c, cell, row in cells:
        right = next((v for v in row[c + 1:] if v and v != cell), "")
        if approved_on is None and (_APPROVAL_LABEL.search(cell) or re.search(r"\btanggal\b", cell, re.I)):
            approved_on = parse_date(cell) or parse_machine_date(right) or parse_date(right)
        if approved_on is None and re.fullmatch(r"[A-Za-z .'-]{2,40},\s*.+", cell):
            approved_on = parse_date(cell)  # "Sukamaju, 12 Agustus 2026" above the signature
        if approved_by is None and re.search(r"(disetujui|ditetapkan)\s+oleh", cell, re.I):
            after = cell.split(":", 1)[1].strip() if ":" in cell else ""
            approved_by = after or right or None
    if approved_by is None:
        for r, c, cell, _row in cells:
            if not (_ROLE.match(cell) and len(cell) <= 60):
                continue
            for below in range(r + 1, min(r + 7, len(grid))):
                v = grid[below][c] if c < len(grid[below]) else ""
                if v and v != cell and not re.search(r"\bnip\b|ttd|\d{4}", v, re.I) and len(v) <= 60:
                    approved_by = f"{v} ({cell})"
                    break
            if approved_by:
                break
    return approved_by, approved_on


# --- rows -> items ----------------------------------------------------------------------------------

def import_grid(grid: list[list[str]], source: str) -> Daftar:
    header = find_header(grid, source)
    cols = header.columns

    def cell(row: list[str], fld: str) -> str:
        i = cols.get(fld)
        return row[i] if i is not None and i < len(row) else ""

    def err(r: int, fld: str, msg_id: str, msg_en: str) -> DaftarImportError:
        idx = cols[fld]
        return DaftarImportError(source, msg_id, msg_en, r + 1, col_letter(idx), header.names.get(idx) or None)

    items: list[Item] = []
    used_ids: set[str] = set()
    table_rows: set[int] = {header.row}
    section: str | None = None
    blank_run = 0
    for r in range(header.row + 1, len(grid)):
        row = grid[r]
        values = [v for v in row if v]
        if not values:
            blank_run += 1
            if items and blank_run >= 2:
                break  # the table has ended; below is the signature block
            continue
        blank_run = 0
        if len(map_header(row)) >= 2 or _is_number_row(row):
            table_rows.add(r)
            continue  # repeated header (page break) or "1 2 3 4 5" column numbering
        title = cell(row, "title")
        if _APPROVAL_LABEL.search(" ".join(values)) and not cell(row, "category") and not cell(row, "cadence"):
            break  # the signature block below the table
        if len(set(values)) == 1:
            cat = parse_category(values[0])
            if cat or _SECTION.match(values[0]) or values[0].isupper() or not title:
                section = cat or section
                table_rows.add(r)
                continue
        if not title:
            continue  # a numbering-only row
        table_rows.add(r)
        raw_cat = cell(row, "category")
        if raw_cat:
            category = parse_category(raw_cat)
            if category is None:
                raise err(r, "category", f"kategori tidak dikenal {raw_cat!r} (gunakan: berkala, serta merta, "
                                         "setiap saat, dikecualikan)",
                          f"unknown category {raw_cat!r} (use: berkala, serta merta, setiap saat, dikecualikan)")
        elif section:
            category = section
        elif "category" in cols:
            raise err(r, "category", "kategori kosong", "category is empty")
        else:
            raise DaftarImportError(source, "kategori tidak diketahui: tidak ada kolom 'Kategori' dan tidak ada "
                                            "baris bagian (mis. 'I. Informasi Berkala')",
                                    "category unknown: no 'Kategori' column and no section row", r + 1)
        raw_cad = cell(row, "cadence")
        if raw_cad:
            cadence = parse_cadence(raw_cad)
            if cadence is None:
                raise err(r, "cadence", f"jangka waktu pembaruan tidak dikenal {raw_cad!r} (gunakan: bulanan, "
                                        "triwulan, semester, tahunan, sekali)",
                          f"unknown cadence {raw_cad!r} (use: bulanan, triwulan, semester, tahunan, sekali)")
        elif category in ("serta_merta", "dikecualikan"):
            cadence = "once"
        elif "cadence" in cols:
            raise err(r, "cadence", "jangka waktu pembaruan kosong", "cadence is empty")
        else:
            raise DaftarImportError(source, "tidak ada kolom 'Jangka Waktu Pembaruan'", "no cadence column", r + 1)
        item_id = _slug(cell(row, "id") or title)
        base, n = item_id, 2
        while item_id in used_ids:
            item_id, n = f"{base}-{n}", n + 1
        used_ids.add(item_id)
        match = [m.strip() for m in re.split(r"[;\n]", cell(row, "match")) if m.strip()]
        items.append(Item(id=item_id, title=title, category=category, cadence=cadence,
                          url=cell(row, "url") or None, match=match,
                          responsible=cell(row, "responsible") or None))
    if not items:
        raise DaftarImportError(source, "tabel tidak berisi satu pun informasi", "the table has no items")
    approved_by, approved_on = find_approval(grid, table_rows)
    return Daftar(approved_by=approved_by, approved_on=approved_on, items=items)


def import_file(path: str | Path, *, sheet: str | None = None) -> Daftar:
    p = Path(path)
    if not p.is_file():
        raise DaftarImportError(str(p), "berkas tidak ditemukan", "file not found")
    return import_grid(read_grid(p, sheet), str(p))
