"""Scan an extraction, group matches per document, and turn groups into findings.

Values live in memory only while one document is scanned; what leaves this module is a count per
type, a few masked samples, the first locations, and keyed HMACs of the values (never plain hashes: a
plain SHA of a NIK can be brute-forced from the ~10^12 structurally valid NIKs).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from itertools import compress, filterfalse, repeat
from typing import Any

from auditor.catalogue import t
from auditor.redact import smallest_keyed_hashes
from checks.base import Finding, Severity
from checks.personal_data.blocks import block_hits, relabel_rows
from checks.personal_data.detectors import Allowlist, Match, masked, scan
from checks.personal_data.extract import Extraction
from checks.personal_data.institutional import public_reason
from checks.personal_data.limits import Chunk, Note
from checks.personal_data.records import RULEBOOK
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


def _scan_cells(res: DocumentResult, block: CellBlock, allow: Allowlist | None, today: date) -> None:
    """Count a block's matches (`blocks.block_hits`). A kind whose first samples and locations are all
    taken only needs its values and confidences, which do not depend on the order the matches come in;
    the others are counted in reading order."""
    hits = block_hits(block, allow, today)
    for reason, n in hits.public.items():
        res.public[reason] = res.public.get(reason, 0) + n
    for kind, kh in hits.kinds.items():
        g = res.groups.get(kind)
        if g is not None and len(g.samples) >= SAMPLES and len(g.locations) >= LOCATIONS:
            _count(g.values, kh.values, kh.confs)
            continue
        keys, values, confs = kh.keys, kh.values, kh.confs
        for j in sorted(range(len(keys)), key=keys.__getitem__):
            _record(res, kind, values[j], confs[j], lambda key=keys[j]: block.loc(*hits.where(key)))


def _count(best: dict[str, str], values: list[str], confs: list[str]) -> None:
    """Add values with their confidences to `best` (value -> best confidence seen), in C loops."""
    if "medium" in confs:
        medium = compress(values, map("medium".__eq__, confs))
        best.update(zip(filterfalse(best.__contains__, medium), repeat("medium")))
        values = list(compress(values, map("high".__eq__, confs)))
    best.update(dict.fromkeys(values, "high"))


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
    for kind in ("nik", "kk", "npwp", "bpjs", "account", "phone", "email"):
        g = res.groups.get(kind)
        if not g or not g.values:
            continue
        n = len(g.values)
        high = list(g.values.values()).count("high")
        more = "…" if n > len(g.samples) else ""
        evidence = (f"{n} {LABELS[kind]} ({high} dengan konteks): {', '.join(g.samples)}{more}"
                    f"; lokasi: {', '.join(g.locations)}")
        if res.notes:
            evidence += " (dokumen tidak diperiksa seluruhnya)" if any(
                nt.code.startswith("cap.") for nt in res.notes) else ""
        hashes = smallest_keyed_hashes(key, g.values, MAX_HASHES)  # each distinct value hashed once
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
