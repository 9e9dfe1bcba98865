"""Tables (sheets, CSV, HTML/DOCX/ODT tables) to blocks of rows that know their column headers.

A column headed "NIK" makes every 16-digit cell below it count, even where the region or date would
not validate; a label cell on the left ("NIK", "No. HP") is context for the value next to it.

Rows travel in blocks (`CellBlock`), turned into columns: an aid-recipient sheet has hundreds of
thousands of cells, and a column is where the work can be shared. Down a column the header is the same
and the cell on the left usually says nothing (a row number, a NIK) or one of a few things (a hamlet, a
bank), so a cell's context is worked out once per distinct left-hand cell, not once per cell, and
`blocks.block_hits` scans a column's cells as one text or, for bare numbers in a typed column, by
structure alone. What a cell's scan depends on is its text, its column kind and the kind bits of its
context, so those are all a block keeps; cell names ("Data!B4") are only made for the few matches that
are reported with a location.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import compress, zip_longest
from typing import Any

from checks.personal_data.detectors import kind_of_header
from checks.personal_data.limits import Budget, StopExtraction, cell_text
from checks.personal_data.scanner import context_bits

HEADER_SCAN_ROWS = 10  # a header row is looked for among the first rows of a table
MIN_LEN = 8  # shorter cells cannot hold any reported value (unless they hold an '@')
BLOCK_CELLS = 65_536  # cells (rows x width) per block: per-block costs vanish, memory stays small
BLOCK_ROWS = 256  # and at least this many rows, so that per-column costs vanish in a very wide sheet
LABEL_MAX = 40  # a cell on the left longer than this is content, not a label
_CACHE_MAX = 50_000
_CANDIDATE = re.compile(r"[\d@]")  # any Unicode digit, as the scanner's runs
_LONG = (MIN_LEN - 1).__lt__  # len(text) -> whether it is at least MIN_LEN


@dataclass
class Column:
    """The cells of one column of a block, top to bottom ("" where a row is shorter), the kind its header
    announces (None), and each cell's context as read (header + label on the left, see `_ContextBits`)
    with its kind bits: one `label`/`extra` for the whole column, or one per cell."""

    index: int
    kind: str | None
    texts: Sequence[str]
    labels: str | list[str]
    extra: int | list[int]

    def label(self, i: int) -> str:
        return self.labels if isinstance(self.labels, str) else self.labels[i]


@dataclass
class CellBlock:
    """Consecutive rows of a table: `rows[i]` is the table row (0-based) of the block's i-th row; only the
    columns with a digit or an '@' somewhere are kept."""

    where: Callable[[int, int], str]  # (row, col), 0-based -> "baris 3 kolom 2", "Data!B4"
    rows: list[int]
    columns: list[Column]
    prefix: str = ""  # archive member name(s), "a.zip: b.xlsx"

    def loc(self, i: int, col: int) -> str:
        loc = self.where(self.rows[i], col)
        return f"{self.prefix}: {loc}" if self.prefix else loc


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
    """Blocks of rows to scan, with header kinds and context bits. `where(row, col)` names a cell
    (0-based); `strings`: every row is a list of str already (CSV). Caps stop at the same cell as reading
    the table cell by cell would: a cap reached inside a block still hands over the cells before it."""
    headers: dict[int, tuple[str | None, str]] = {}
    bits_of = _ContextBits()
    batch: list[Sequence[str]] = []
    ids: list[int] = []
    cells = 0
    r = -1
    for r, row in enumerate(rows):
        texts = row if strings else [v if type(v) is str else cell_text(v) for v in row]
        if r < HEADER_SCAN_ROWS and not headers:
            kinds = {c: kind_of_header(t) for c, t in enumerate(texts) if t and len(t) < 60}
            if any(kinds.values()):  # rows above the header are read without one
                if batch:
                    yield from _flush(batch, ids, headers, where, budget, bits_of)
                    batch, ids, cells = [], [], 0
                budget.add_row()
                headers = {c: (kinds.get(c), texts[c]) for c in kinds}
                continue
        batch.append(texts)
        ids.append(r)
        cells += len(texts)
        if cells >= BLOCK_CELLS and len(batch) >= BLOCK_ROWS:
            yield from _flush(batch, ids, headers, where, budget, bits_of)
            batch, ids, cells = [], [], 0
    if batch:
        yield from _flush(batch, ids, headers, where, budget, bits_of)


def _flush(batch: list[Sequence[str]], ids: list[int], headers: dict[int, tuple[str | None, str]],
           where: Callable[[int, int], str], budget: Budget, bits_of: _ContextBits) -> Iterator[CellBlock]:
    """Charge a batch of rows to the budget and hand it over as a block; at a cap, the part before the
    cell (or row) where reading stops, then StopExtraction."""
    budget.tick()
    limits = budget.limits
    room = limits.max_rows - budget.rows
    stop: Callable[[], None] | None = None
    if len(batch) > room:  # the row cap falls inside this batch
        batch, ids = batch[:room], ids[:room]
        stop = budget.add_row
    budget.rows += len(batch)
    cols = _transpose(batch)
    joined = ["\x00".join(col) for col in cols]
    lens = [list(map(len, col)) for col in cols]
    kept = [_kept(col, ln, j) for col, ln, j in zip(cols, lens, joined, strict=True)]
    n_cells = sum(sum(k) for k in kept)
    n_chars = sum(sum(compress(ln, k)) for ln, k in zip(lens, kept, strict=True))
    if budget.cells + n_cells > limits.max_cells or budget.chars + n_chars > limits.max_chars:
        at = _cap_cell(cols, kept, budget)  # the cell where reading stops, in reading order
        if at is not None:
            i, c = at
            batch, ids = [*batch[:i], batch[i][:c]], ids[:i + 1]
            cols = _transpose(batch)
            joined = ["\x00".join(col) for col in cols]
            stop = _raise_stop
    else:
        budget.cells += n_cells
        budget.chars += n_chars
    block = CellBlock(where, ids, _columns(cols, joined, headers, bits_of))
    if block.columns:
        yield block
    if stop is not None:
        stop()


def _raise_stop() -> None:
    raise StopExtraction("cap")


def _transpose(batch: list[Sequence[str]]) -> list[tuple[str, ...]]:
    width = max(map(len, batch), default=0)
    if all(len(row) == width for row in batch):
        return list(zip(*batch, strict=True))
    return list(zip_longest(*batch, fillvalue=""))


def _kept(col: Sequence[str], lens: list[int], joined: str) -> list[bool]:
    """Per cell, whether it is read (counted against the caps): MIN_LEN characters or an '@'."""
    if "@" in joined:
        return [n >= MIN_LEN or "@" in t for t, n in zip(col, lens, strict=True)]
    return list(map(_LONG, lens))


def _cap_cell(cols: list[tuple[str, ...]], kept: list[list[bool]], budget: Budget) -> tuple[int, int] | None:
    """Count the cells one by one in reading order; (row in block, column) of the cell that hits a cap
    (the budget has noted it), or None."""
    for i in range(len(cols[0]) if cols else 0):
        for c, col in enumerate(cols):
            if kept[c][i]:
                try:
                    budget.add_cell()
                    budget.add_text(col[i])
                except StopExtraction:
                    return i, c
    return None


def _columns(cols: list[tuple[str, ...]], joined: list[str], headers: dict[int, tuple[str | None, str]],
             bits_of: _ContextBits) -> list[Column]:
    """The columns worth scanning (a digit or an '@' somewhere, `joined` being their cells joined) with
    each cell's context. A cell shorter than MIN_LEN without an '@' is scanned too: it cannot hold a
    match, so it changes nothing."""
    out = []
    for c, col in enumerate(cols):
        if not _CANDIDATE.search(joined[c]) or (len(joined[c]) < MIN_LEN and "@" not in joined[c]):
            continue
        kind, header = headers.get(c, _NO_HEADER)
        left = cols[c - 1] if c else ()
        if not left or not any(left):
            label, bits = bits_of(header, "")
            out.append(Column(c, kind, col, label, bits))
            continue
        lens = list(map(len, left))
        if min(lens) > 0 and max(lens) < LABEL_MAX and not any(map(str.islower, map(str.lower, left))):
            label, bits = bits_of(header, "0")  # every label is a number or a date: they say the same
            out.append(Column(c, kind, col, label, bits))
            continue
        table = {v: bits_of(header, v) for v in dict.fromkeys(left)}
        pairs = set(table.values())
        if len(pairs) == 1:
            label, bits = pairs.pop()
            out.append(Column(c, kind, col, label, bits))
            continue
        got = list(map(table.__getitem__, left))
        out.append(Column(c, kind, col, [p[0] for p in got], [p[1] for p in got]))
    return out


_NO_HEADER: tuple[str | None, str] = (None, "")
