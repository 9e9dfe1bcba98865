"""Masking and keyed fingerprints for personal data: nothing personal is stored or printed in full."""

from __future__ import annotations

import hashlib
import heapq
import hmac
import re
from collections.abc import Callable, Iterable
from typing import Any

_DIGIT_RUN = re.compile(r"(?<![\w])\+?\d(?:[\d .\-]{6,}\d)(?![\w])")
_EMAIL = re.compile(r"\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")
# Dates (Y-M-D or D-M-Y with one separator, real month and day ranges) and dotted version strings are kept
# readable. Neither may be glued to other digits (`3403 2025-10-01` stays one number); a date may be
# followed by a time (`2025.10.01 12:30`).
_NOT_GLUED_BEFORE = r"(?<![\w.\-/])(?<!\d\s)"
_DATE = re.compile(
    _NOT_GLUED_BEFORE
    + r"(?:(?:19|20)\d{2}([-./])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])"
    + r"|(?:0?[1-9]|[12]\d|3[01])([-./])(?:0?[1-9]|1[0-2])\2(?:19|20)\d{2})"
    + r"(?!\d)(?![\w.\-/]\w)(?!\s\d(?!\d?:))")
_VERSION = re.compile(_NOT_GLUED_BEFORE + r"v?(\d{1,4}(?:\.\d{1,4}){1,3})(?!\.?\d)(?!-?\d)(?!\w)(?!\s\d)")
_MAX_VERSION_DIGITS = 9  # longer dotted numbers are account or phone numbers written with dots
_KEEP = "\ue000"  # private-use placeholder: never a digit, so masking cannot join across it


def mask_value(value: str, keep_start: int = 4, keep_end: int = 2) -> str:
    """`3403015708900001` -> `3403**********01`; separators are dropped. Short values keep less."""
    compact = re.sub(r"[\s.\-]", "", value)
    n = len(compact)
    if n <= 4:
        return "*" * n
    if n < keep_start + keep_end + 4:
        keep_start, keep_end = 1, 1
    return compact[:keep_start] + "*" * (n - keep_start - keep_end) + compact[n - keep_end:]


def mask_email(value: str) -> str:
    """`budi.santoso@example.id` -> `b***@example.id`."""
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}" if domain else mask_value(value)


def keyed_hash(key: bytes, value: str) -> str:
    """HMAC-SHA256 of the normalised value: stable per store, useless to anyone without the key."""
    norm = value if value.isdigit() else re.sub(r"[\s.\-]", "", value).lower()  # digits: already normal
    return hmac.digest(key, norm.encode("utf-8"), "sha256").hex()[:24]


def keyed_hasher(key: bytes) -> Callable[[str], str]:
    """`keyed_hash` with `key` bound, for hashing many values: the HMAC's inner and outer SHA-256 states
    are keyed once and copied per value (RFC 2104), about a third faster than one HMAC per call."""
    inner, outer = _pads(key)
    sub = re.compile(r"[\s.\-]").sub

    def hash_one(value: str) -> str:
        norm = value if value.isdigit() else sub("", value).lower()
        h = inner.copy()
        h.update(norm.encode("utf-8"))
        o = outer.copy()
        o.update(h.digest())
        return o.hexdigest()[:24]

    return hash_one


def smallest_keyed_hashes(key: bytes, values: Iterable[str], n: int) -> list[str]:
    """`sorted(map(keyed_hasher(key), values))[:n]` without the sort, and with the per-value work in one
    loop that keeps raw digests (hex text only for the `n` kept): a document of 800,000 identifiers is
    fingerprinted in about half the time. Hex keeps the order of the bytes, so the smallest digests are
    the smallest hashes."""
    inner, outer = _pads(key)
    icopy, ocopy = inner.copy, outer.copy
    sub = re.compile(r"[\s.\-]").sub
    digests = []
    append = digests.append
    for value in values:
        h = icopy()
        h.update((value if value.isdigit() else sub("", value).lower()).encode("utf-8"))
        o = ocopy()
        o.update(h.digest())
        append(o.digest())
    return [d[:12].hex() for d in heapq.nsmallest(n, digests)]


def _pads(key: bytes) -> tuple[Any, Any]:
    """The HMAC-SHA256 inner and outer hashes with the key block absorbed."""
    block = key if len(key) <= 64 else hashlib.sha256(key).digest()
    block = block.ljust(64, b"\0")
    return hashlib.sha256(bytes(b ^ 0x36 for b in block)), hashlib.sha256(bytes(b ^ 0x5C for b in block))


def _is_version(groups: list[str]) -> bool:
    """`1.12.4`, `2410.0.0`, `156.0.8078`; not `3403.0157.0890` (every group long), not `0812.3456.7890`."""
    return (sum(map(len, groups)) <= _MAX_VERSION_DIGITS and not (groups[0].startswith("0") and groups[0] != "0")
            and not all(len(g) >= 3 for g in groups))


def _kept_spans(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in _DATE.finditer(text)]
    spans += [m.span() for m in _VERSION.finditer(text) if _is_version(m.group(1).split("."))]
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if not out or start >= out[-1][1]:
            out.append((start, end))
    return out


def redact_text(text: str) -> str:
    """Generic safety net for free text from outside (ZAP evidence, page snippets, logs): masks every run
    of 8+ digits (with separators) and every e-mail address, but keeps dates and version strings (see
    `_DATE`, `_VERSION`). Detection-grade checks use their own validators; this only guarantees nothing
    number-like or e-mail-like leaves in full."""

    def _digits(m: re.Match[str]) -> str:
        raw = m.group(0)
        digits = re.sub(r"\D", "", raw)
        return mask_value(digits) if len(digits) >= 8 else raw

    text = text.replace(_KEEP, "")
    spans = _kept_spans(text)
    kept = [text[a:b] for a, b in spans]
    for a, b in reversed(spans):
        text = text[:a] + _KEEP + text[b:]
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", _DIGIT_RUN.sub(_digits, text))
    parts = text.split(_KEEP)
    return "".join(p + (kept[i] if i < len(kept) else "") for i, p in enumerate(parts))
