"""Institutional and public identifiers: numbers the detectors find that are not a resident's data.

A village publishes its own NPWP, its treasury account (Rekening Kas Desa), budget codes (kode
rekening), officials' NIPs in signature blocks, business numbers (NIB) and letter/register numbers; many
of these must be published. `public_reason` says why a match is one of them (None: personal data),
from structure first (NPWP type code, budget-code shape, NIP date structure, a 16-digit piece of a
longer number, a number inside a letter number), then from the words around it. The tables, with their
sources, are in `institutional.yaml`.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from auditor.catalogue import SAFE_LOADER

DATA_FILE = Path(__file__).with_name("institutional.yaml")
BEFORE, AFTER = 48, 32  # the detector's context window
REASONS = ("npwp_institution", "budget_code", "nip", "nib", "register", "longer_number", "account_institution",
           "email_institution")


@lru_cache(maxsize=1)
def tables() -> dict[str, Any]:
    return yaml.load(DATA_FILE.read_text(encoding="utf-8"), Loader=SAFE_LOADER)


def _words_rx(words: list[str], phrases: list[str]) -> re.Pattern[str]:
    alts = [r"(?<![^\W\d_])" + re.escape(w) + r"(?![^\W\d_])" for w in words] + [re.escape(p) for p in phrases]
    return re.compile("|".join(sorted(alts, key=len, reverse=True)))


@lru_cache(maxsize=1)
def _compiled() -> tuple[frozenset[str], re.Pattern[str], dict[str, re.Pattern[str]]]:
    t = tables()
    holder = _words_rx(t["institution_holder_words"], t["institution_holder_phrases"])
    labels = {}
    for reason, words in t["public_label_words"].items():
        rx = _words_rx(words, t["public_label_phrases"].get(reason, []))
        # the label names this very number: only separators (and "No."/"Nomor") between them
        labels[reason] = re.compile(r"(?:" + rx.pattern + r")[\s.:#]*(?:(?:no|nomor)[\s.:#]*)?$")
    return frozenset(t["npwp_institution_codes"]), holder, labels


_RUN_CHARS = "0123456789 .-"


@lru_cache(maxsize=1)
def _email_suffixes() -> tuple[str, ...]:
    return tuple(tables()["email_institution_suffixes"])
_BUDGET = re.compile(r"^\d\.\d(?:\.\d{1,4}){2,}$")
_NIP = re.compile(r"^(\d{8}) ?(\d{6}) ?([12]) ?(\d{3})$")


def _run(text: str, s: int, e: int) -> tuple[int, int]:
    """The digits-and-separators stretch around [s, e): the whole number a match was cut from."""
    n = len(text)
    while s > 0 and text[s - 1] in _RUN_CHARS and (text[s - 1].isdigit() or (s > 1 and text[s - 2].isdigit())):
        s -= 1
    while e < n and text[e] in _RUN_CHARS and (text[e].isdigit() or (e + 1 < n and text[e + 1].isdigit())):
        e += 1
    return s, e


def is_nip(raw: str, today: date | None = None) -> bool:
    """An 18-digit NIP: birth date YYYYMMDD, appointment YYYYMM, sex 1/2, serial not 000."""
    m = _NIP.match(raw.strip())
    if not m:
        return False
    born, tmt, _sex, serial = m.groups()
    try:
        b = date(int(born[:4]), int(born[4:6]), int(born[6:]))
    except ValueError:
        return False
    year, month = int(tmt[:4]), int(tmt[4:])
    latest = (today or date.today()).year
    return 1940 <= b.year and b.year + 15 <= year <= latest and 1 <= month <= 12 and serial != "000"


def _glued(text: str, s: int, e: int) -> bool:
    """Whether [s, e) continues into more digits through a dot or dash (2024.3403...): a piece of a
    longer number."""
    return (s >= 2 and text[s - 1] in ".-" and text[s - 2].isdigit()) or (
        e + 1 < len(text) and text[e] in ".-" and text[e + 1].isdigit())


def public_reason(kind: str, value: str, text: str, s: int, e: int, label: str = "") -> str | None:
    """Why the match `value` of `kind` at text[s:e] is institutional or public, or None (personal
    data). `label` is text read as if it preceded `text` (a table cell's header and left label)."""
    codes, holder, labels = _compiled()
    if kind == "npwp" and ((len(value) == 15 and value[:2] in codes)
                           or (len(value) == 16 and value[0] == "0" and value[1:3] in codes)):
        return "npwp_institution"
    if kind == "email":
        return "email_institution" if value.endswith(_email_suffixes()) else None
    if text.isdigit():  # a table cell holding just the number: only its label can say more
        return label_reason(label, kind == "account")
    rs, re_ = _run(text, s, e)
    run = text[rs:re_].strip(" .-")
    if "." in run and _BUDGET.match(run):
        return "budget_code"
    if kind in ("nik", "kk") and _glued(text, s, e):
        return "longer_number"
    if (rs > 0 and text[rs - 1] == "/") or (re_ < len(text) and text[re_] == "/"):
        return "register"
    if len(run) >= 18 and is_nip(run):
        return "nip"
    head = text[max(0, rs - BEFORE):rs].lower()
    if not head.strip(" .:#"):
        head = label.lower()
    for reason, rx in labels.items():
        if rx.search(head):
            return reason
    if kind == "account":
        nl = text.rfind("\n", max(0, s - BEFORE), s)
        window = text[nl + 1 if nl != -1 else max(0, s - BEFORE):s] + " " + text[e:e + AFTER].split("\n", 1)[0]
        if holder.search((label + " " + window).lower()):
            return "account_institution"
    return None


@lru_cache(maxsize=8192)
def label_reason(label: str, account: bool = False) -> str | None:
    """The reason a table header / left label gives the number in its cell ("NIP", "Kode Rekening", "NIB",
    "Nomor Surat"; for a bank account, "Rekening Kas Desa"), or None."""
    if not label:
        return None
    _codes, holder, labels = _compiled()
    low = label.lower().strip()
    for reason, rx in labels.items():
        if rx.search(low):
            return reason
    if account and holder.search(low):
        return "account_institution"
    return None
