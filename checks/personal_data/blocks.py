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
from itertools import accumulate, compress
from operator import itemgetter, methodcaller

from checks.personal_data.detectors import BEFORE, Allowlist, Match
from checks.personal_data.institutional import label_reason, public_reason
from checks.personal_data.lexicon import CONTEXT_PHRASES, CONTEXT_WORDS, ENABLING_KINDS, MOBILE_PREFIXES
from checks.personal_data.regions import district_codes
from checks.personal_data.scanner import BARE_COLUMNS, Found, bare_cell, find, kind_bits, last_days
from checks.personal_data.tables import MIN_LEN, CellBlock, Column

# Between two cells scanned as one text: a line break (no number or e-mail runs across it, and the
# words after a value are read up to the line's end) and BEFORE characters that are no context word,
# no letter and no space, so the words before a value are read from its own cell only, as if the cell
# were scanned alone (`tests/test_personal_data_tables.py` checks that it is).
CELL_SEP = "\n" + "\x01" * BEFORE
SEQ = 1 << 32  # matches of one scanned text, at most
_NPWP, _BPJS = kind_bits({"npwp"}), kind_bits({"bpjs"})
_NOT_PLAIN = _NPWP | _BPJS  # context that gives a bare number of some lengths another kind


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
        rest: list[int] = col.cells
        if col.kind in BARE_COLUMNS:
            rest = []
            for idxs, label, extra in _by_label(col, allow):
                rest += _bare(out, col, idxs, label, extra, allow, today)
            rest.sort()
        if not rest:
            continue
        if isinstance(col.extra, int):
            _scanned(out, col, rest, col.extra, allow, today)
            continue
        by_extra: dict[int, list[int]] = {}
        for i in rest:
            by_extra.setdefault(col.extra[i], []).append(i)
        for extra, idxs in by_extra.items():
            _scanned(out, col, idxs, extra, allow, today)
    return out


def _plain(label: str) -> bool:
    """Whether a label makes no number institutional (`label_reason`), whatever its kind."""
    return label_reason(label, False) is None and label_reason(label, True) is None


def _by_label(col: Column, allow: Allowlist | None) -> list[tuple[list[int], str, int]]:
    """The column's cells that are read, by label: (cell indexes, label, kind bits). Labels that give
    the same kind bits and no institutional reason count as one."""
    if isinstance(col.labels, str):
        return [(col.cells, col.labels, col.extra)]  # type: ignore[list-item]
    if isinstance(col.extra, int) and allow is None:
        labels = set(col.labels)
        if all(map(_plain, labels)):
            return [(col.cells, labels.pop(), col.extra)]
    by_label: dict[str, list[int]] = {}
    labels = col.labels
    for i in col.cells:
        by_label.setdefault(labels[i], []).append(i)
    extra = col.extra
    return [(idxs, label, extra if isinstance(extra, int) else extra[idxs[0]]) for label, idxs in by_label.items()]


def _bare(out: BlockHits, col: Column, idxs: list[int], label: str, extra: int, allow: Allowlist | None,
          today: date) -> list[int]:
    """Cells of bare ASCII digits in a typed column, answered by structure; the other cells (index list)
    are left for a scan."""
    texts, column = col.texts, col.kind
    mul = out.width * 2 * SEQ
    base = col.index * 2 * SEQ
    # Without an allowlist or an institutional label, no value needs a check after `bare_cell`, but an
    # NPWP's (institution type codes) and one an NPWP/BPJS context may turn into one.
    if allow is None and _plain(label) and column != "npwp":
        if _bare_bulk(out, col, idxs, extra):
            return []
        if not extra & _NOT_PLAIN:
            return _bare_plain(out, col, idxs, extra, today)
    rest = []
    for i in idxs:
        t = texts[i]
        if not (t.isdigit() and t.isascii()):
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


def _bare_plain(out: BlockHits, col: Column, idxs: list[int], extra: int, today: date) -> list[int]:
    """`_bare` for a NIK, KK, phone or account column with a plain label and no NPWP/BPJS context, one
    cell at a time (`bare_cell` inlined for the usual lengths)."""
    texts, column = col.texts, col.kind
    mul = out.width * 2 * SEQ
    base = col.index * 2 * SEQ
    hits = out.kind(column)  # type: ignore[arg-type]
    keys, values, confs = hits.keys, hits.values, hits.confs
    days, districts = last_days(today), district_codes()
    female, phone, ids = column == "nik", column == "phone", column in ("nik", "kk")
    rest = []
    for i in idxs:
        t = texts[i]
        if not (t.isdigit() and t.isascii()):
            rest.append(i)
            continue
        n = len(t)
        conf = "high"
        if ids:
            if n != 16:
                rest.append(i)  # a BPJS card or an NPWP by context, or nothing: the scan says
                continue
            last = days.get(t[8:12])
            if last is None or t[:6] not in districts or t[12:] == "0000" or not (
                    "01" <= t[6:8] <= last[0] or (female and "41" <= t[6:8] <= last[1])):
                conf = "medium"
        elif n > 16:
            continue
        elif n >= 15 or n == 13:
            got = bare_cell(t, column, extra, today)  # type: ignore[arg-type]
            if got is not None:
                out.kind(got[0]).add(base + i * mul, got[1], got[4])
            continue
        elif phone:
            if t[:2] == "62":
                t = "0" + t[2:]
            if not 10 <= len(t) <= 13 or t[:4] not in MOBILE_PREFIXES:  # `normalise_phone`
                continue
        keys.append(base + i * mul)
        values.append(t)
        confs.append(conf)
    return rest


_PREFIX = itemgetter(slice(0, 4))
_ACCOUNT_LENGTHS = frozenset({8, 9, 10, 11, 12, 14})


def _bare_bulk(out: BlockHits, col: Column, idxs: list[int], extra: int) -> bool:
    """`_bare_plain` in C loops, for a phone column of local mobile numbers or an account column of
    numbers whose length no context can give another kind; False (and nothing done) for any other
    column. (A NIK's region and date take as long to check either way.)"""
    column = col.kind
    if len(idxs) < 64 or column not in ("phone", "account"):
        return False
    cells = list(map(col.texts.__getitem__, idxs))
    joined = "".join(cells)
    if not (joined.isdigit() and joined.isascii()):
        return False
    lens = set(map(len, cells))
    mul = out.width * 2 * SEQ
    keys = list(map((col.index * 2 * SEQ).__add__, map(mul.__mul__, idxs)))
    if column == "phone":  # numbers of 10-13 digits opening with 0 (not 62), as `normalise_phone` takes them
        if not lens <= ({10, 11, 12} if extra & _BPJS else {10, 11, 12, 13}) or not all(
                map(methodcaller("startswith", "0"), cells)):
            return False
        mobile = list(map(MOBILE_PREFIXES.__contains__, map(_PREFIX, cells)))
        cells, keys = list(compress(cells, mobile)), list(compress(keys, mobile))
    elif not lens <= _ACCOUNT_LENGTHS | {n for n, bit in ((13, _BPJS), (15, _NPWP)) if not extra & bit}:
        return False
    hits = out.kind(column)  # type: ignore[arg-type]
    hits.keys += keys
    hits.values += cells
    hits.confs += ["high"] * len(cells)
    return True


_NOT_DIGIT = bytes(b for b in range(256) if not 48 <= b <= 57 and b != 10)
_EIGHT, _TEN = (MIN_LEN - 1).__lt__, (10 - 1).__lt__
_ENABLING = kind_bits(set(ENABLING_KINDS))
_ENABLING_TERM = re.compile("|".join(re.escape(t) for k in ENABLING_KINDS
                                     for t in (*CONTEXT_WORDS[k], *CONTEXT_PHRASES[k])))


def _worth_scanning(texts: Sequence[str], idxs: Sequence[int], column: str | None, extra: int) -> Sequence[int]:
    """The cells of `idxs` that can hold a match, their digits counted in one pass over their ASCII bytes
    (other text is all kept): an '@', or ten digits, or eight when a bank account may be among them.
    Every reported number has eight digits at least, and a number of eight or nine digits can only be a
    bank account: in an account column, or outside any typed column with an NPWP/BPJS/account term in
    the cell or its header and label (`scanner._Scan.near`)."""
    if len(idxs) < 16:
        return idxs
    cells = list(map(texts.__getitem__, idxs))
    joined = "\n".join(cells)
    if not joined.isascii() or joined.count("\n") != len(cells) - 1:
        return idxs
    digits = list(map(len, joined.encode("ascii").translate(None, _NOT_DIGIT).split(b"\n")))
    if column == "account" or (column is None and extra & _ENABLING):
        least = _EIGHT
    elif column is None and _ENABLING_TERM.search(joined.lower()):
        return [i for i, n, t in zip(idxs, digits, cells, strict=True)
                if _TEN(n) or (n >= MIN_LEN and _ENABLING_TERM.search(t.lower())) or "@" in t]
    else:
        least = _TEN
    if "@" not in joined:
        return list(compress(idxs, map(least, digits)))
    return [i for i, n, t in zip(idxs, digits, cells, strict=True) if least(n) or "@" in t]


def _scanned(out: BlockHits, col: Column, idxs: Sequence[int], extra: int, allow: Allowlist | None,
             today: date) -> None:
    """Scan the cells `idxs` of a column (one context) as one text; file their matches."""
    texts, column = col.texts, col.kind
    idxs = _worth_scanning(texts, idxs, column, extra)
    if not idxs:
        return
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
