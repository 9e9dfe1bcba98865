"""Scan an extraction, group matches per document, and turn groups into findings.

Values live in memory only while one document is scanned; what leaves this module is a count per
type, a few masked samples, the first locations, and keyed HMACs of the values (never plain hashes: a
plain SHA of a NIK can be brute-forced from the ~10^12 structurally valid NIKs).
"""

from __future__ import annotations

import bisect
import heapq
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from typing import Any

from auditor.catalogue import t
from auditor.redact import keyed_hasher
from checks.base import Finding, Severity
from checks.personal_data.detectors import BEFORE, Allowlist, Match, masked, scan
from checks.personal_data.extract import Extraction
from checks.personal_data.institutional import label_reason, public_reason
from checks.personal_data.limits import Chunk, Note
from checks.personal_data.records import RULEBOOK
from checks.personal_data.scanner import Found, bare_cell, find
from checks.personal_data.tables import CellBlock

SAMPLES = 3
_NEWLINE = re.compile("\n")
LOCATIONS = 5
MAX_HASHES = 1000

# Severity by kind and number of distinct values in one document: first threshold reached wins.
SEVERITY_STEPS: dict[str, tuple[tuple[int, Severity], ...]] = {
    "nik": ((50, Severity.CRITICAL), (1, Severity.HIGH)),
    "kk": ((50, Severity.CRITICAL), (1, Severity.HIGH)),
    "npwp": ((50, Severity.HIGH), (1, Severity.MEDIUM)),
    "bpjs": ((50, Severity.HIGH), (1, Severity.MEDIUM)),
    "phone": ((50, Severity.HIGH), (10, Severity.MEDIUM), (1, Severity.LOW)),
    "email": ((50, Severity.MEDIUM), (1, Severity.LOW)),
    "account": ((10, Severity.MEDIUM), (1, Severity.LOW)),
}

LABELS = {"nik": "NIK", "kk": "No. KK", "npwp": "NPWP", "bpjs": "No. BPJS", "phone": "No. HP",
          "email": "e-mail", "account": "No. rekening"}

@dataclass(repr=False)
class KindGroup:
    values: dict[str, str] = field(default_factory=dict)  # value -> confidence (best seen)
    samples: list[str] = field(default_factory=list)  # masked
    locations: list[str] = field(default_factory=list)

    def __repr__(self) -> str:  # never the values: assertion messages and logs print reprs
        return f"KindGroup(count={len(self.values)}, samples={self.samples}, locations={self.locations})"


@dataclass(repr=False)
class DocumentResult:
    name: str
    fmt: str
    groups: dict[str, KindGroup] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    error_kind: str | None = None  # encrypted, corrupt, unsupported, refused
    error_id: str = ""
    error_en: str = ""
    image_only: bool = False
    pages: int = 0
    public: dict[str, int] = field(default_factory=dict)  # institutional/public identifiers left out, by reason
    ocr: dict[str, Any] | None = None  # what OCR read (pages, cached, mean confidence), when it ran
    cards: list[tuple[str, list[str]]] = field(default_factory=list)  # identity cards: (where, labels)

    def __repr__(self) -> str:
        counts = {k: len(g.values) for k, g in self.groups.items()}
        return f"DocumentResult({self.name!r}, {self.fmt}, counts={counts}, error={self.error_kind})"

    @property
    def readable(self) -> bool:
        return self.error_kind is None

    def count(self, kind: str) -> int:
        g = self.groups.get(kind)
        return len(g.values) if g else 0


_NIK_THEN_KK = re.compile(r"\bnik\b.*\b(?:no\.?\s*)?kk\b", re.I)
_KK_THEN_NIK = re.compile(r"\b(?:no\.?\s*)?kk\b.*\bnik\b", re.I)


def relabel_rows(text: str, matches: list[Match]) -> list[Match]:
    """Text tables (PDF pages, TXT): under a header line naming both NIK and KK columns, a row holding two
    16-digit numbers has them in the header's order. Without this every KK would count as one more NIK."""
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


def _line_loc(starts: list[int], pos: int) -> str:
    return f"baris {bisect.bisect_right(starts, pos)}"


def _record(res: DocumentResult, kind: str, value: str, confidence: str, loc: Callable[[], str]) -> None:
    """Count one match in the document's groups; `loc` names where it is (called only while the kind
    still needs locations)."""
    g = res.groups.get(kind)
    if g is None:
        g = res.groups[kind] = KindGroup()
    prev = g.values.get(value)
    if prev is None:
        if len(g.samples) < SAMPLES:
            g.samples.append(masked(kind, value))
        g.values[value] = confidence
    elif prev != "high" and confidence == "high":
        g.values[value] = "high"
    if len(g.locations) < LOCATIONS:
        where = loc()
        if where and where not in g.locations:
            g.locations.append(where)


def _public(res: DocumentResult, kind: str, value: str, text: str, s: int, e: int, label: str) -> bool:
    """Whether a match is an institutional/public identifier (counted, not reported)."""
    reason = public_reason(kind, value, text, s, e, label)
    if reason is None:
        return False
    res.public[reason] = res.public.get(reason, 0) + 1
    return True


def _scan_chunk(res: DocumentResult, chunk: Chunk, allow: Allowlist | None, today: date) -> None:
    matches: list[Match] = scan(chunk.text, column=chunk.column, context=chunk.context, allow=allow,
                                today=today)
    if not matches:
        return
    matches = [m for m in matches if not _public(res, m.kind, m.value, chunk.text, m.start, m.end, chunk.context)]
    if chunk.column is None and len(matches) > 1 and len(chunk.text) < 200_000:
        matches = relabel_rows(chunk.text, matches)
    starts: list[int] = []
    if chunk.by_line:
        starts = [0] + [nl.end() for nl in _NEWLINE.finditer(chunk.text)]

    def loc(m: Match) -> str:
        if not chunk.by_line:
            return chunk.loc
        line = _line_loc(starts, m.start)
        return f"{chunk.loc} {line}".strip() if chunk.loc and chunk.loc not in ("teks",) else line

    for m in matches:
        _record(res, m.kind, m.value, m.confidence, lambda m=m: loc(m))


# Between two cells scanned as one text: a line break (no number or e-mail runs across it, and the
# words after a value are read up to the line's end) and BEFORE characters that are no context word,
# no letter and no space, so the words before a value are read from its own cell only, as if the cell
# were scanned alone (`tests/test_personal_data_tables.py` checks that it is).
CELL_SEP = "\n" + "\x01" * BEFORE
BARE_COLUMNS = frozenset({"nik", "kk", "npwp", "phone", "account"})


def scan_block(block: CellBlock, allow: Allowlist | None, today: date) -> list[tuple[int, Found]]:
    """Every match of a block of table cells as (cell index, (kind, value, start, end, confidence)),
    offsets within the cell, in the order a scan of each cell in turn gives (cells in reading order;
    in a cell, numbers in the engine's order, then e-mail addresses). Cells that share a column kind and
    context bits are scanned as one text, separated by `CELL_SEP`."""
    out = []
    for key, f, off in _block_hits(block, today):
        if off:
            f = (f[0], f[1], f[2] - off, f[3] - off, f[4])
        out.append((key >> 33, f))
    if allow is not None and (allow.values or allow.domains):
        out = [(i, f) for i, f in out if not allow.allows_value(f[0], f[1])]
    return out


def _block_hits(block: CellBlock, today: date) -> list[tuple[int, Found, int]]:
    """(order key, match with offsets in the group's text, offset of its cell there), sorted. The key
    packs cell index, e-mail or not and the engine's output position into one int, so the sort compares
    ints."""
    groups: dict[tuple[str | None, int], list[int]] = {}
    for i, key in enumerate(zip(block.columns, block.extra, strict=True)):
        g = groups.get(key)
        if g is None:
            groups[key] = [i]
        else:
            g.append(i)
    texts = block.texts
    step = len(CELL_SEP)
    bisect_right = bisect.bisect_right
    hits: list[tuple[int, Found, int]] = []
    append = hits.append
    for (column, extra), all_idxs in groups.items():
        idxs = all_idxs
        if column in BARE_COLUMNS:  # cells of bare digits: their match without a scan
            idxs = []
            for i in all_idxs:
                text = texts[i]
                got = bare_cell(text, column, today) if text.isdigit() and text.isascii() else False
                if got is False:
                    idxs.append(i)
                elif got is not None:
                    append(((i << 33) | len(hits), got, 0))  # type: ignore[arg-type]
            if not idxs:
                continue
        starts = list(accumulate([len(texts[i]) + step for i in idxs[:-1]], initial=0))
        found = find(CELL_SEP.join([texts[i] for i in idxs]), column, today=today, extra=extra)
        for seq, f in enumerate(found, len(hits)):
            k = bisect_right(starts, f[2]) - 1
            append(((idxs[k] << 33) | ((f[0] == "email") << 32) | seq, f, starts[k]))
    hits.sort()
    return hits


def _scan_cells(res: DocumentResult, block: CellBlock, allow: Allowlist | None, today: date) -> None:
    """Count a block's matches: the allowlist, institutional identifiers (`institutional`) and, in a
    free-text cell holding several values, the NIK/KK order of a header line inside it, as `_scan_chunk`
    does for one chunk. One loop over the block's sorted hits; a cell with a single hit (nearly all of
    a dense sheet) takes the inlined path."""
    hits = _block_hits(block, today)
    texts, labels, groups = block.texts, block.labels, res.groups
    allow_on = allow is not None and bool(allow.values or allow.domains)
    n = len(hits)
    k = 0
    while k < n:
        key, f, off = hits[k]
        cell = key >> 33
        if k + 1 < n and hits[k + 1][0] >> 33 == cell:
            j = k + 1
            while j < n and hits[j][0] >> 33 == cell:
                j += 1
            _scan_cell_hits(res, block, cell, [(h[1], h[2]) for h in hits[k:j]], allow if allow_on else None)
            k = j
            continue
        k += 1
        kind, value = f[0], f[1]
        if allow_on and allow.allows_value(kind, value):  # type: ignore[union-attr]
            continue
        text = texts[cell]
        if kind not in ("npwp", "email") and text.isdigit():  # `public_reason`'s path for a bare number
            reason = label_reason(labels[cell], kind == "account")
        else:
            reason = public_reason(kind, value, text, f[2] - off, f[3] - off, labels[cell])
        if reason is not None:
            res.public[reason] = res.public.get(reason, 0) + 1
            continue
        conf = f[4]
        g = groups.get(kind)  # `_record`, inlined: this loop runs once per value of a dense sheet
        if g is None or len(g.locations) < LOCATIONS or len(g.samples) < SAMPLES:
            _record(res, kind, value, conf, lambda cell=cell: block.loc(cell))
            continue
        values = g.values
        prev = values.get(value)
        if prev is None:
            values[value] = conf
        elif prev != "high" and conf == "high":
            values[value] = "high"


def _scan_cell_hits(res: DocumentResult, block: CellBlock, cell: int, found: list[tuple[Found, int]],
                    allow: Allowlist | None) -> None:
    """Several matches in one cell: filtered, then relabelled by a NIK/KK header line when the cell is free
    text (no column kind), then counted."""
    text, label = block.texts[cell], block.labels[cell]
    ms = []
    for f, off in found:
        m = Match(f[0], f[1], f[2] - off, f[3] - off, f[4])
        if allow is not None and allow.allows(m):
            continue
        if not _public(res, m.kind, m.value, text, m.start, m.end, label):
            ms.append(m)
    if block.columns[cell] is None and len(ms) > 1 and len(text) < 200_000:
        ms = relabel_rows(text, ms)
    for m in ms:
        _record(res, m.kind, m.value, m.confidence, lambda: block.loc(cell))


def scan_extraction(ex: Extraction, allow: Allowlist | None = None, today: date | None = None) -> DocumentResult:
    today = today or date.today()
    res = DocumentResult(ex.name, ex.fmt)
    for chunk in ex.chunks:
        if isinstance(chunk, CellBlock):
            _scan_cells(res, chunk, allow, today)
        else:
            _scan_chunk(res, chunk, allow, today)
    res.notes = list(ex.notes)
    if ex.ocr_summary.pages or ex.ocr_summary.skipped:
        res.ocr = ex.ocr_summary.as_json()
    res.cards = list(ex.cards)
    res.pages = ex.budget.pages
    res.image_only = ex.image_only
    if ex.error:
        res.error_kind, res.error_id, res.error_en = ex.error.kind, ex.error.text_id, ex.error.text_en
    return res


def severity_for(kind: str, count: int) -> Severity:
    for threshold, sev in SEVERITY_STEPS[kind]:
        if count >= threshold:
            return sev
    return Severity.INFO


def findings_for(res: DocumentResult, url: str, key: bytes, *, check: str = "personal_data") -> list[Finding]:
    """One finding per personal-data kind in the document, plus `pii.document.unscannable` when it could
    not be read (image-only PDF, encrypted, damaged, refused as a bomb)."""
    out: list[Finding] = []
    hasher = keyed_hasher(key)
    for kind in ("nik", "kk", "npwp", "bpjs", "account", "phone", "email"):
        g = res.groups.get(kind)
        if not g or not g.values:
            continue
        n = len(g.values)
        high = sum(1 for c in g.values.values() if c == "high")
        more = "…" if n > len(g.samples) else ""
        evidence = (f"{n} {LABELS[kind]} ({high} dengan konteks): {', '.join(g.samples)}{more}"
                    f"; lokasi: {', '.join(g.locations)}")
        if res.notes:
            evidence += " (dokumen tidak diperiksa seluruhnya)" if any(
                nt.code.startswith("cap.") for nt in res.notes) else ""
        hashes = heapq.nsmallest(MAX_HASHES, map(hasher, g.values))  # each distinct value hashed once
        out.append(RULEBOOK[f"pii.{kind}"].finding(
            check, severity=severity_for(kind, n), url=url, evidence=evidence,
            # Stable while the document keeps exposing this kind; the values themselves are only ever
            # identified by keyed HMACs (data.value_hashes).
            key=f"pii.{kind}:document",
            confidence="high" if high * 2 >= n else "medium",
            data={"count": n, "with_context": high, "samples": list(g.samples), "locations": list(g.locations),
                  "value_hashes": hashes, "format": res.fmt},
        ))
    if res.cards:
        where = ", ".join(w for w, _labels in res.cards[:LOCATIONS])
        labels = ", ".join(res.cards[0][1])
        out.append(RULEBOOK["pii.id_card_image"].finding(
            check, url=url, evidence=t("id_card_evidence", "id", where=where, labels=labels),
            key="pii.id_card_image:document", confidence="high",
            data={"count": len(res.cards), "locations": [w for w, _l in res.cards[:LOCATIONS]],
                  "labels": res.cards[0][1], "format": res.fmt, "ocr": res.ocr}))
    reason_id = reason_en = ""
    severity = Severity.LOW
    if res.image_only:
        reason_id = "PDF hasil pindaian (hanya gambar, tanpa teks)"
        reason_en = "image-only (scanned) PDF without text"
        severity = Severity.MEDIUM
    elif res.error_kind:
        reason_id, reason_en = res.error_id, res.error_en
    if reason_id:
        out.append(RULEBOOK["pii.document.unscannable"].finding(
            check, severity=severity, url=url, evidence=reason_id, key=f"unscannable:{res.error_kind or 'image'}",
            data={"reason_en": reason_en, "format": res.fmt, "pages": res.pages},
        ))
    return out
