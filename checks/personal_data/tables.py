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
from itertools import compress, islice, zip_longest
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
    """The cells of one column of a block, top to bottom ("" where a row is shorter), the indexes of the
    cells that are read (`MIN_LEN` characters or an '@': no shorter cell can hold a match), the kind the
    header announces (None), and each cell's context as read (header + label on the left, see
    `_ContextBits`) and its kind bits: one `labels`/`extra` for the whole column, or one per cell."""

    index: int
    kind: str | None
    texts: Sequence[str]
    cells: list[int]
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
    it = iter(rows)
    batch: list[Sequence[str]] = []
    r = 0
    for row in islice(it, HEADER_SCAN_ROWS):  # a header row is looked for among the first rows
        texts = row if strings else _texts(row)
        kinds = {c: kind_of_header(t) for c, t in enumerate(texts) if t and len(t) < 60}
        if any(kinds.values()):  # the rows above it are read without one
            if batch:
                yield from _flush(batch, range(r - len(batch), r), headers, where, budget, bits_of)
                batch = []
            budget.add_row()
            headers = {c: (kinds.get(c), texts[c]) for c in kinds}
            r += 1
            break
        batch.append(texts)
        r += 1
    width = max(map(len, batch), default=len(headers) or 1)
    r -= len(batch)  # the table row of batch[0]
    while True:
        batch += islice(it, max(BLOCK_ROWS, BLOCK_CELLS // max(width, 1)) - len(batch))
        if not batch:
            return
        if not strings:
            batch = [_texts(row) for row in batch]
        width = max(map(len, batch))
        yield from _flush(batch, range(r, r + len(batch)), headers, where, budget, bits_of)
        r += len(batch)
        batch = []


def _texts(row: Sequence[Any]) -> list[str]:
    return [v if type(v) is str else cell_text(v) for v in row]


def _flush(batch: list[Sequence[str]], ids: Sequence[int], headers: dict[int, tuple[str | None, str]],
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
    stats = [_ColumnStats(col) for col in cols]
    n_cells = sum(len(st.kept) for st in stats)
    n_chars = sum(st.chars for st in stats)
    if budget.cells + n_cells > limits.max_cells or budget.chars + n_chars > limits.max_chars:
        at = _cap_cell(cols, [st.kept for st in stats], budget)  # where reading stops, in reading order
        if at is not None:
            i, c = at
            batch, ids = [*batch[:i], batch[i][:c]], ids[:i + 1]
            cols = _transpose(batch)
            stats = [_ColumnStats(col) for col in cols]
            stop = _raise_stop
    else:
        budget.cells += n_cells
        budget.chars += n_chars
    block = CellBlock(where, list(ids), _columns(cols, stats, headers, bits_of))
    if block.columns:
        yield block
    if stop is not None:
        stop()


def _raise_stop() -> None:
    raise StopExtraction("cap")


def _transpose(batch: list[Sequence[str]]) -> list[tuple[str, ...]]:
    if len(set(map(len, batch))) <= 1:
        return list(zip(*batch, strict=True))
    return list(zip_longest(*batch, fillvalue=""))


class _ColumnStats:
    """What a block needs to know of a column before scanning it, in C loops: its cells joined, their
    lengths, the indexes of the cells that are read (MIN_LEN characters or an '@'; counted against the
    caps) and their characters."""

    __slots__ = ("joined", "lens", "kept", "chars")

    def __init__(self, col: Sequence[str]):
        self.joined = "\x00".join(col)
        self.lens = lens = list(map(len, col))
        if "@" in self.joined:
            self.kept = [i for i, t in enumerate(col) if len(t) >= MIN_LEN or "@" in t]
            self.chars = sum(map(lens.__getitem__, self.kept))
        else:
            self.kept = list(compress(range(len(col)), map(_LONG, lens)))
            self.chars = sum(filter(_LONG, lens))


def _cap_cell(cols: list[tuple[str, ...]], kept: list[list[int]], budget: Budget) -> tuple[int, int] | None:
    """Count the cells one by one in reading order; (row in block, column) of the cell that hits a cap
    (the budget has noted it), or None."""
    for i, c in sorted((i, c) for c, k in enumerate(kept) for i in k):
        try:
            budget.add_cell()
            budget.add_text(cols[c][i])
        except StopExtraction:
            return i, c
    return None


def _columns(cols: list[tuple[str, ...]], stats: list[_ColumnStats], headers: dict[int, tuple[str | None, str]],
             bits_of: _ContextBits) -> list[Column]:
    """The columns worth scanning (a cell that is read, and a digit or an '@') with each cell's context."""
    out = []
    for c, col in enumerate(cols):
        st = stats[c]
        if not st.kept or not _CANDIDATE.search(st.joined):
            continue
        kind, header = headers.get(c, _NO_HEADER)
        left = cols[c - 1] if c else ()
        lens = stats[c - 1].lens if c else []
        if not left or not max(lens):
            label, bits = bits_of(header, "")
            out.append(Column(c, kind, col, st.kept, label, bits))
            continue
        if min(lens) > 0 and max(lens) < LABEL_MAX and _uncased(left, stats[c - 1].joined):
            label, bits = bits_of(header, "0")  # every label is a number or a date: they say the same
            out.append(Column(c, kind, col, st.kept, label, bits))
            continue
        table = {v: bits_of(header, v) for v in dict.fromkeys(left)}
        labels = {p[0] for p in table.values()}
        extras = {p[1] for p in table.values()}
        got = list(map(table.__getitem__, left))
        out.append(Column(c, kind, col, st.kept, labels.pop() if len(labels) == 1 else [p[0] for p in got],
                          extras.pop() if len(extras) == 1 else [p[1] for p in got]))
    return out


_ASCII_LETTER = re.compile(r"[A-Za-z]")


def _uncased(cells: Sequence[str], joined: str) -> bool:
    """Whether no cell has a cased character (`str.lower().islower()`, the label test of `_ContextBits`)."""
    if joined.isascii():
        return _ASCII_LETTER.search(joined) is None
    return not any(map(str.islower, map(str.lower, cells)))


_NO_HEADER: tuple[str | None, str] = (None, "")
