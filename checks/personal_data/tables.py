"""Tables (sheets, CSV, HTML/DOCX/ODT tables) to cell chunks that know their column header.

A column headed "NIK" makes every 16-digit cell below it count, even where the region or date would
not validate; a label cell on the left ("NIK", "No. HP") is context for the value next to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from checks.personal_data.detectors import kind_of_header
from checks.personal_data.limits import Budget, Chunk, cell_text

HEADER_SCAN_ROWS = 10  # a header row is looked for among the first rows of a table
MIN_LEN = 8  # shorter cells cannot hold any reported value


def table_chunks(rows: Iterable[Sequence[Any]], where: Callable[[int, int], str], budget: Budget,
                 ) -> Iterator[Chunk]:
    """Cells worth scanning, with header kind and context. `where(row, col)` names a cell (0-based)."""
    headers: dict[int, tuple[str | None, str]] = {}
    header_found = False
    for r, row in enumerate(rows):
        budget.add_row()
        texts = [cell_text(v) for v in row]
        if not header_found and r < HEADER_SCAN_ROWS:
            kinds = {c: kind_of_header(t) for c, t in enumerate(texts) if t and len(t) < 60}
            if any(kinds.values()):
                header_found = True
                headers = {c: (kinds.get(c), texts[c]) for c in kinds}
                continue
        for c, text in enumerate(texts):
            if len(text) < MIN_LEN and "@" not in text:
                continue
            budget.add_cell()
            budget.add_text(text)
            kind, header = headers.get(c, (None, ""))
            left = texts[c - 1] if c > 0 else ""
            context = " ".join(x for x in (header, left if len(left) < 40 else "") if x)
            yield Chunk(text, where(r, c), column=kind, context=context)
