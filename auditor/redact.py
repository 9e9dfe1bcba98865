"""Masking and keyed fingerprints for personal data: nothing personal is stored or printed in full."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable

_DIGIT_RUN = re.compile(r"(?<![\w])\+?\d(?:[\d .\-]{6,}\d)(?![\w])")
_EMAIL = re.compile(r"\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")


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
    block = key if len(key) <= 64 else hashlib.sha256(key).digest()
    block = block.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
    sub = re.compile(r"[\s.\-]").sub

    def hash_one(value: str) -> str:
        norm = value if value.isdigit() else sub("", value).lower()
        h = inner.copy()
        h.update(norm.encode("utf-8"))
        o = outer.copy()
        o.update(h.digest())
        return o.hexdigest()[:24]

    return hash_one


def redact_text(text: str) -> str:
    """Generic safety net for free text from outside (ZAP evidence, page snippets, logs): masks every run
    of 8+ digits (with separators) and every e-mail address. Detection-grade checks use their own
    validators; this only guarantees nothing number-like or e-mail-like leaves in full."""

    def _digits(m: re.Match[str]) -> str:
        raw = m.group(0)
        digits = re.sub(r"\D", "", raw)
        return mask_value(digits) if len(digits) >= 8 else raw

    text = _DIGIT_RUN.sub(_digits, text)
    return _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
