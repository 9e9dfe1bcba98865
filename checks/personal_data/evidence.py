"""Scan an extraction, group matches per document, and turn groups into findings.

Values live in memory only while one document is scanned; what leaves this module is a count per
type, a few masked samples, the first locations, and keyed HMACs of the values (never plain hashes: a
plain SHA of a NIK can be brute-forced from the ~10^12 structurally valid NIKs).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from datetime import date

from auditor.redact import keyed_hash
from checks.base import Finding, Severity
from checks.personal_data.detectors import Allowlist, Match, masked, scan
from checks.personal_data.extract import Extraction
from checks.personal_data.limits import Note
from checks.personal_data.records import RULEBOOK

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


def _relabel_rows(text: str, matches: list[Match]) -> list[Match]:
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


def scan_extraction(ex: Extraction, allow: Allowlist | None = None, today: date | None = None) -> DocumentResult:
    today = today or date.today()
    res = DocumentResult(ex.name, ex.fmt)
    for chunk in ex.chunks:
        matches: list[Match] = scan(chunk.text, column=chunk.column, context=chunk.context, allow=allow,
                                    today=today)
        if not matches:
            continue
        if chunk.column is None and len(matches) > 1 and len(chunk.text) < 200_000:
            matches = _relabel_rows(chunk.text, matches)
        starts: list[int] = []
        if chunk.by_line:
            starts = [0] + [nl.end() for nl in _NEWLINE.finditer(chunk.text)]
        for m in matches:
            g = res.groups.setdefault(m.kind, KindGroup())
            prev = g.values.get(m.value)
            if prev is None:
                if len(g.samples) < SAMPLES:
                    g.samples.append(masked(m.kind, m.value))
                g.values[m.value] = m.confidence
            elif prev != "high" and m.confidence == "high":
                g.values[m.value] = "high"
            if len(g.locations) < LOCATIONS:
                loc = chunk.loc
                if chunk.by_line:
                    line = _line_loc(starts, m.start)
                    loc = f"{loc} {line}".strip() if loc and loc not in ("teks",) else line
                if loc and loc not in g.locations:
                    g.locations.append(loc)
    res.notes = list(ex.notes)
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
        high = sum(1 for c in g.values.values() if c == "high")
        more = "…" if n > len(g.samples) else ""
        evidence = (f"{n} {LABELS[kind]} ({high} dengan konteks): {', '.join(g.samples)}{more}"
                    f"; lokasi: {', '.join(g.locations)}")
        if res.notes:
            evidence += " (dokumen tidak diperiksa seluruhnya)" if any(
                nt.code.startswith("cap.") for nt in res.notes) else ""
        hashes = sorted(keyed_hash(key, v) for v in g.values)[:MAX_HASHES]
        out.append(RULEBOOK[f"pii.{kind}"].finding(
            check, severity=severity_for(kind, n), url=url, evidence=evidence,
            # Stable while the document keeps exposing this kind; the values themselves are only ever
            # identified by keyed HMACs (data.value_hashes).
            key=f"pii.{kind}:document",
            confidence="high" if high * 2 >= n else "medium",
            data={"count": n, "with_context": high, "samples": list(g.samples), "locations": list(g.locations),
                  "value_hashes": hashes, "format": res.fmt},
        ))
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
