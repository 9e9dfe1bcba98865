"""Tables (sheets, CSV, HTML/DOCX/ODT tables) to blocks of cells that know their column header.

A column headed "NIK" makes every 16-digit cell below it count, even where the region or date would
not validate; a label cell on the left ("NIK", "No. HP") is context for the value next to it.

Cells travel in blocks of consecutive rows (`CellBlock`), not one chunk each: an aid-recipient sheet has
hundreds of thousands of cells, and `evidence.scan_block` scans all cells of a block that share a column
kind and context as one text, mapping each match back to its cell. What a cell's scan depends on is its
text, its column kind and the kind bits of its context, so those are all a block keeps per cell; cell
names ("Data!B4") are only made for the few matches that are reported with a location.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from checks.personal_data.detectors import kind_of_header
from checks.personal_data.limits import Budget, StopExtraction, cell_text
from checks.personal_data.scanner import context_bits

HEADER_SCAN_ROWS = 10  # a header row is looked for among the first rows of a table
MIN_LEN = 8  # shorter cells cannot hold any reported value
BLOCK_CELLS = 16_384  # cells per block: large enough that per-scan costs vanish, small enough for memory
LABEL_MAX = 40  # a cell on the left longer than this is content, not a label
_CACHE_MAX = 50_000
_CANDIDATE = re.compile(r"[\d@]")  # any Unicode digit, as the scanner's runs


@dataclass
class CellBlock:
    """Cells of consecutive table rows, in reading order: text, row, column, the kind announced by the
    column header (None) and the kind bits of the cell's context (header text + label on the left)."""

    where: Callable[[int, int], str]  # (row, col), 0-based -> "baris 3 kolom 2", "Data!B4"
    texts: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    cols: list[int] = field(default_factory=list)
    columns: list[str | None] = field(default_factory=list)
    extra: list[int] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # header + left label as read (see `_ContextBits`)
    prefix: str = ""  # archive member name(s), "a.zip: b.xlsx"

    def loc(self, i: int) -> str:
        loc = self.where(self.rows[i], self.cols[i])
        return f"{self.prefix}: {loc}" if self.prefix else loc

    def __len__(self) -> int:
        return len(self.texts)


class _ContextBits:
    """Kind bits of "header + label" contexts, cached. A label without any cased character (a number, a
    date) cannot add a context word or complete a phrase, except that the space joining it to the header
    can end one (" a.n "), so such labels share the bits of `header + " "`."""

    def __init__(self) -> None:
        self.cache: dict[str, int] = {}

    def __call__(self, header: str, left: str) -> tuple[str, int]:
        """(context as read, its kind bits)."""
        if len(left) >= LABEL_MAX:
            left = ""
        if left and left.lower().islower():
            context = f"{header} {left}" if header else left
        else:
            context = f"{header} " if header and left else header
        bits = self.cache.get(context)
        if bits is None:
            if len(self.cache) > _CACHE_MAX:
                self.cache.clear()
            bits = self.cache[context] = context_bits(context)
        return context, bits


def table_chunks(rows: Iterable[Sequence[Any]], where: Callable[[int, int], str], budget: Budget,
                 strings: bool = False) -> Iterator[CellBlock]:
    """Cells worth scanning, with header kind and context bits, in blocks. `where(row, col)` names a
    cell (0-based); `strings`: every row is a list of str already (CSV). A cap reached inside a block
    still hands over the cells read before it."""
    headers: dict[int, tuple[str | None, str]] = {}
    header_found = False
    bits_of = _ContextBits()
    block = CellBlock(where)
    limits = budget.limits
    candidate = _CANDIDATE.search  # no digit and no '@': no number run or e-mail address can be in it
    plain: dict[int, tuple[str, int]] = {}  # per column: context with an uncased (or no) label on the left
    try:
        for r, row in enumerate(rows):
            budget.add_row()
            texts = row if strings else [v if type(v) is str else cell_text(v) for v in row]
            if not header_found and r < HEADER_SCAN_ROWS:
                kinds = {c: kind_of_header(t) for c, t in enumerate(texts) if t and len(t) < 60}
                if any(kinds.values()):
                    header_found = True
                    headers = {c: (kinds.get(c), texts[c]) for c in kinds}
                    plain.clear()
                    continue
            keep = [c for c, text in enumerate(texts) if len(text) >= MIN_LEN or "@" in text]
            if not keep:
                continue
            chars = sum([len(texts[c]) for c in keep])
            if budget.cells + len(keep) > limits.max_cells or budget.chars + chars > limits.max_chars:
                for c in keep:  # near a cap: count cell by cell so it stops at the same cell
                    budget.add_cell()
                    budget.add_text(texts[c])
                    if candidate(texts[c]):
                        _add(block, texts, r, c, headers, bits_of)
            else:
                budget.cells += len(keep)
                budget.chars += chars
                add_text, add_row, add_col, add_column, add_extra, add_label = (
                    block.texts.append, block.rows.append, block.cols.append, block.columns.append,
                    block.extra.append, block.labels.append)
                for c in keep:  # `_add`, inlined: once per cell of a dense sheet
                    if not candidate(texts[c]):
                        continue
                    kind, header = headers.get(c, _NO_HEADER)
                    add_text(texts[c])
                    add_row(r)
                    add_col(c)
                    add_column(kind)
                    left = texts[c - 1] if c else ""
                    if not left or len(left) >= LABEL_MAX:
                        pk = c  # no label on the left: the header alone
                    elif left.lower().islower():
                        pk = -1
                    else:
                        pk = ~c  # a number or date on the left: the header and the joining space
                    if pk == -1:
                        label, bits = bits_of(header, left)
                    else:
                        got = plain.get(pk)
                        if got is None:
                            got = plain[pk] = bits_of(header, "0" if pk < 0 else "")
                        label, bits = got
                    add_extra(bits)
                    add_label(label)
            if len(block.texts) >= BLOCK_CELLS:
                yield block
                block = CellBlock(where)
    except StopExtraction:
        if block.texts:
            yield block
        raise
    if block.texts:
        yield block


_NO_HEADER: tuple[str | None, str] = (None, "")


def _add(block: CellBlock, texts: list[str], r: int, c: int, headers: dict[int, tuple[str | None, str]],
         bits_of: _ContextBits) -> None:
    kind, header = headers.get(c, _NO_HEADER)
    block.texts.append(texts[c])
    block.rows.append(r)
    block.cols.append(c)
    block.columns.append(kind)
    label, bits = bits_of(header, texts[c - 1] if c > 0 else "")
    block.extra.append(bits)
    block.labels.append(label)
