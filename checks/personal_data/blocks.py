"""The matches of a block of table cells (`tables.CellBlock`), found column by column.

A dense sheet is mostly bare numbers in typed columns (a NIK column of 16-digit cells), whose answer
needs no scan: the structure (`scanner.bare_cell`, inlined below for the common kinds) and the column's
context say it all, and the institutional label check (`institutional.label_reason`) is one per label,
not one per cell. Every other cell is scanned with the cells of its column that share its context, as
one text (`CELL_SEP` between cells keeps them apart), and its matches are mapped back by bisection.

The result is, per kind, the values with their confidences and a key that sorts them into the order a
scan of each cell in turn would give (rows, then columns; in a cell, numbers in the engine's order, then
e-mail addresses): `evidence` only needs that order for the first few samples and locations of a kind.
`tests/test_personal_data_tables.py` checks the whole path against one reference scan per cell.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate

from checks.personal_data.detectors import BEFORE, Allowlist, Match
from checks.personal_data.institutional import label_reason, public_reason
from checks.personal_data.lexicon import MOBILE_PREFIXES
from checks.personal_data.regions import district_codes
from checks.personal_data.scanner import BARE_COLUMNS, Found, bare_cell, find, kind_bits, last_days
from checks.personal_data.tables import CellBlock, Column

# Between two cells scanned as one text: a line break (no number or e-mail runs across it, and the
# words after a value are read up to the line's end) and BEFORE characters that are no context word,
# no letter and no space, so the words before a value are read from its own cell only, as if the cell
# were scanned alone (`tests/test_personal_data_tables.py` checks that it is).
CELL_SEP = "\n" + "\x01" * BEFORE
SEQ = 1 << 32  # matches of one scanned text, at most
_NOT_PLAIN = kind_bits({"npwp", "bpjs"})  # context that gives a bare number of some lengths another kind


@dataclass
class KindHits:
    """Matches of one kind: parallel lists of order keys, values and confidences."""

    keys: list[int] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    confs: list[str] = field(default_factory=list)

    def add(self, key: int, value: str, conf: str) -> None:
        self.keys.append(key)
        self.values.append(value)
        self.confs.append(conf)


@dataclass
class BlockHits:
    """What a block holds: matches per kind (allowlisted and institutional values left out) and the
    institutional ones counted by reason. `where(key)` is the (block row, column) of a match."""

    width: int
    kinds: dict[str, KindHits] = field(default_factory=dict)
    public: dict[str, int] = field(default_factory=dict)

    def kind(self, kind: str) -> KindHits:
        got = self.kinds.get(kind)
        if got is None:
            got = self.kinds[kind] = KindHits()
        return got

    def where(self, key: int) -> tuple[int, int]:
        return divmod(key // (2 * SEQ), self.width)

    def count_public(self, reason: str, n: int = 1) -> None:
        self.public[reason] = self.public.get(reason, 0) + n


def block_hits(block: CellBlock, allow: Allowlist | None, today: date) -> BlockHits:
    out = BlockHits(max((col.index for col in block.columns), default=0) + 1)
    allow = allow if allow is not None and (allow.values or allow.domains) else None
    for col in block.columns:
        for idxs, label, extra in _groups(col):
            rest = idxs
            if col.kind in BARE_COLUMNS:
                rest = _bare(out, col, idxs, label, extra, allow, today)
            if rest:
                _scanned(out, col, rest, extra, allow, today)
    return out


def _groups(col: Column) -> list[tuple[Sequence[int], str, int]]:
    """The column's cells by context: (cell indexes, label, kind bits)."""
    if isinstance(col.labels, str):
        return [(range(len(col.texts)), col.labels, col.extra)]  # type: ignore[list-item]
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(col.labels):
        got = by_label.get(label)
        if got is None:
            by_label[label] = [i]
        else:
            got.append(i)
    extra = col.extra
    return [(idxs, label, extra[idxs[0]]) for label, idxs in by_label.items()]  # type: ignore[index]


def _bare(out: BlockHits, col: Column, idxs: Sequence[int], label: str, extra: int, allow: Allowlist | None,
          today: date) -> list[int]:
    """Cells of bare ASCII digits in a typed column, answered by structure; the other cells (index list)
    are left for a scan."""
    texts, column = col.texts, col.kind
    mul = out.width * 2 * SEQ
    base = col.index * 2 * SEQ
    rest: list[int] = []
    # Without an allowlist or an institutional label, a NIK/KK column's 16-digit cells and a phone or
    # account column's cells (but those whose length lets an NPWP/BPJS context change their kind) need no
    # per-value check after `bare_cell`.
    plain = allow is None and label_reason(label, False) is None
    if plain and column in ("nik", "kk"):  # the bulk of a dense sheet: `bare_cell`, inlined
        hits = out.kind(column)
        keys, values, confs = hits.keys, hits.values, hits.confs
        days, districts = last_days(today), district_codes()
        female = column == "nik"
        for i in idxs:
            t = texts[i]
            if len(t) == 16 and t.isdigit() and t.isascii():
                last = days.get(t[8:12])
                ok = last is not None and t[:6] in districts and t[12:] != "0000"
                if ok:
                    dd = t[6:8]
                    ok = "01" <= dd <= last[0] or (female and "41" <= dd <= last[1])  # type: ignore[index]
                keys.append(base + i * mul)
                values.append(t)
                confs.append("high" if ok else "medium")
            elif len(t) >= 8 or "@" in t:
                rest.append(i)
        return rest
    if plain and column in ("phone", "account") and not extra & _NOT_PLAIN and label_reason(label, True) is None:
        hits = out.kind(column)
        keys, values, confs = hits.keys, hits.values, hits.confs
        phone = column == "phone"
        for i in idxs:
            t = texts[i]
            n = len(t)
            if n < 8 or not t.isdigit() or not t.isascii():
                if n >= 8 or "@" in t:
                    rest.append(i)
                continue
            if n > 16:
                continue
            if n == 13 or n >= 15:
                got = bare_cell(t, column, extra, today)
                if got is not None:
                    out.kind(got[0]).add(base + i * mul, got[1], got[4])
                continue
            if phone:
                d = "0" + t[2:] if t[:2] == "62" else t
                if not 10 <= len(d) <= 13 or d[:4] not in MOBILE_PREFIXES:  # `normalise_phone`
                    continue
                t = d
            keys.append(base + i * mul)
            values.append(t)
            confs.append("high")
        return rest
    for i in idxs:
        t = texts[i]
        if not (t.isdigit() and t.isascii()):
            if len(t) >= 8 or "@" in t:
                rest.append(i)
            continue
        got = bare_cell(t, column, extra, today)  # type: ignore[arg-type]
        if got is None or (allow is not None and allow.allows_value(got[0], got[1])):
            continue
        reason = public_reason(got[0], got[1], t, 0, len(t), label)
        if reason is not None:
            out.count_public(reason)
        else:
            out.kind(got[0]).add(base + i * mul, got[1], got[4])
    return rest


def _scanned(out: BlockHits, col: Column, idxs: Sequence[int], extra: int, allow: Allowlist | None,
             today: date) -> None:
    """Scan the cells `idxs` of a column (one context) as one text; file their matches."""
    texts, column = col.texts, col.kind
    step = len(CELL_SEP)
    starts = list(accumulate([len(texts[i]) + step for i in idxs[:-1]], initial=0))
    found = find(CELL_SEP.join([texts[i] for i in idxs]), column, today=today, extra=extra)
    if not found:
        return
    by_cell: dict[int, list[tuple[int, Found]]] = {}
    for seq, f in enumerate(found):
        k = bisect.bisect_right(starts, f[2]) - 1
        got = by_cell.get(k)
        if got is None:
            by_cell[k] = [((f[0] == "email") * SEQ + seq, f)]
        else:
            got.append(((f[0] == "email") * SEQ + seq, f))
    mul = out.width * 2 * SEQ
    base = col.index * 2 * SEQ
    for k, hits in by_cell.items():
        i = idxs[k]
        off = starts[k]
        text, label = texts[i], col.label(i)
        hits.sort()
        ms = []
        for _order, f in hits:
            if allow is not None and allow.allows_value(f[0], f[1]):
                continue
            reason = public_reason(f[0], f[1], text, f[2] - off, f[3] - off, label)
            if reason is not None:
                out.count_public(reason)
                continue
            ms.append(Match(f[0], f[1], f[2] - off, f[3] - off, f[4]))
        if column is None and len(ms) > 1 and len(text) < 200_000:
            ms = relabel_rows(text, ms)
        key = base + i * mul
        for j, m in enumerate(ms):
            out.kind(m.kind).add(key + j, m.value, m.confidence)


_NIK_THEN_KK = re.compile(r"\bnik\b.*\b(?:no\.?\s*)?kk\b", re.I)
_KK_THEN_NIK = re.compile(r"\b(?:no\.?\s*)?kk\b.*\bnik\b", re.I)


def relabel_rows(text: str, matches: list[Match]) -> list[Match]:
    """Text tables (PDF pages, TXT, a cell of free text): under a header line naming both NIK and KK
    columns, a row holding two 16-digit numbers has them in the header's order. Without this every KK
    would count as one more NIK."""
    order: list[str] | None = None
    for line in text.splitlines()[:40]:
        if _NIK_THEN_KK.search(line):
            order = ["nik", "kk"]
            break
        if _KK_THEN_NIK.search(line):
            order = ["kk", "nik"]
            break
    if order is None:
        return matches
    by_line: dict[int, list[int]] = {}
    for i, m in enumerate(matches):
        if m.kind in ("nik", "kk") and len(m.value) == 16:
            by_line.setdefault(text.count("\n", 0, m.start), []).append(i)
    out = list(matches)
    for idxs in by_line.values():
        if len(idxs) == 2:
            for kind, i in zip(order, sorted(idxs, key=lambda k: matches[k].start), strict=True):
                m = matches[i]
                out[i] = Match(kind, m.value, m.start, m.end, "high")
    return out
