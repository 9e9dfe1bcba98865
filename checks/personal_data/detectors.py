"""Pure detectors for Indonesian personal data in text: structural validation, not bare regexes.

A number is only reported when its structure holds: NIK/KK region codes exist in the Kemendagri table,
birth/issue dates exist (+40 on the day for women), serials are not 0000, mobile numbers use a real
operator prefix. Context words (or a table column header) raise confidence and decide between types
that share a shape (NIK vs KK, phone vs BPJS card, NPWP 16-digit); bank accounts need context.
The scanning engine lives in `scanner` (built for number-dense documents); this module is the API.

Values in `Match` are the only place where a full value exists; `repr` masks it so a stray log line or
traceback cannot print it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from auditor.redact import mask_email, mask_value
from checks.personal_data.lexicon import CONTEXT_PHRASES, CONTEXT_WORDS, MOBILE_PREFIXES
from checks.personal_data.regions import district_codes
from checks.personal_data.scanner import AFTER, BEFORE, find, normalise_phone

__all__ = [
    "AFTER", "BEFORE", "CONTEXT_PHRASES", "CONTEXT_WORDS", "KINDS", "MOBILE_PREFIXES", "Allowlist", "Match",
    "NikInfo", "district_codes", "kind_of_header", "masked", "normalise_phone", "parse_nik", "scan",
    "valid_kk", "valid_nik",
]

KINDS = ("nik", "kk", "npwp", "bpjs", "phone", "email", "account")

# Column headers that make every cell of the column count (see `kind_of_header`).
_HEADER_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (k, re.compile(p)) for k, p in (
        ("kk", r"\bkk\b|kartu keluarga"),
        ("npwp", r"npwp"),
        ("bpjs", r"bpjs|\bjkn\b|\bkis\b"),
        ("nik", r"\bnik\b|\bktp\b|nomor induk kependudukan|no\.?\s*identitas"),
        ("phone", r"\bhp\b|\btelp?\b|telepon|ponsel|handphone|\bwa\b|whats\s?app|seluler"),
        ("email", r"e-?mail|surel"),
        ("account", r"(?<!kode )rekening|\bno\.?\s*rek\b"),  # "kode rekening": a budget code column
    )
)


@dataclass(frozen=True, slots=True)
class Match:
    kind: str
    value: str  # normalised (digits only, phones as 08..., e-mail lower-cased); never print in full
    start: int
    end: int
    confidence: str = "medium"  # "high" with context/column, "medium" on structure alone

    def __repr__(self) -> str:
        return f"Match({self.kind}, {masked(self.kind, self.value)}, {self.start}-{self.end}, {self.confidence})"


def _matches(found: list[tuple[str, str, int, int, str]]) -> list[Match]:
    """`Match(*f)` for each f, without the generated frozen `__init__` (one `object.__setattr__` call
    per field): a document can hold thousands of values, and this builds each at a third of the cost."""
    new = object.__new__
    set_kind, set_value, set_start, set_end, set_confidence = _SET_FIELDS
    out = []
    for kind, value, start, end, confidence in found:
        m = new(Match)
        set_kind(m, kind)
        set_value(m, value)
        set_start(m, start)
        set_end(m, end)
        set_confidence(m, confidence)
        out.append(m)
    return out


_SET_FIELDS = tuple(Match.__dict__[f].__set__ for f in ("kind", "value", "start", "end", "confidence"))


@dataclass(frozen=True)
class NikInfo:
    """What a 16-digit NIK says about its holder (or why it cannot be a NIK)."""

    digits: str
    region_ok: bool
    date_ok: bool
    serial_ok: bool
    sex: str | None = None  # "L" (laki-laki) or "P" (perempuan)
    birth_date: date | None = None

    @property
    def valid(self) -> bool:
        return self.region_ok and self.date_ok and self.serial_ok

    def __repr__(self) -> str:
        return f"NikInfo({mask_value(self.digits)}, valid={self.valid})"


def _birth_date(dd: int, mm: int, yy: int, today: date) -> date | None:
    """The two-digit year is read as 20yy unless that lies in the future (then 19yy)."""
    for century in (2000, 1900):
        try:
            d = date(century + yy, mm, dd)
        except ValueError:
            continue
        if d <= today:
            return d
    return None


def parse_nik(digits: str, today: date | None = None) -> NikInfo:
    """Structural reading of a NIK: PPRRDD (district) DDMMYY (+40 on DD for women) SSSS (serial)."""
    today = today or date.today()
    if len(digits) != 16 or not digits.isdigit():
        return NikInfo(digits, False, False, False)
    region_ok = digits[:6] in district_codes()
    dd, mm, yy = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    sex = "P" if dd > 40 else "L"
    born = _birth_date(dd - 40 if dd > 40 else dd, mm, yy, today)
    return NikInfo(digits, region_ok, born is not None, digits[12:] != "0000",
                   sex if born else None, born)


def valid_nik(digits: str, today: date | None = None) -> bool:
    return parse_nik(digits, today).valid


def valid_kk(digits: str, today: date | None = None) -> bool:
    """No. KK: same region prefix, then the issue date DDMMYY (no +40) and a serial."""
    if len(digits) != 16 or not digits.isdigit() or digits[12:] == "0000":
        return False
    if digits[:6] not in district_codes():
        return False
    return _birth_date(int(digits[6:8]), int(digits[8:10]), int(digits[10:12]), today or date.today()) is not None


def kind_of_header(header: str) -> str | None:
    """The personal-data kind a table column header announces ("NIK", "No. KK", "No HP/WA"...)."""
    h = header.lower()
    for kind, rx in _HEADER_KINDS:
        if rx.search(h):
            return kind
    return None


def masked(kind: str, value: str) -> str:
    return mask_email(value) if kind == "email" else mask_value(value)


@dataclass
class Allowlist:
    """Values the office publishes on purpose: its own phone, e-mail, bank account. Entries starting with
    `@` allow a whole e-mail domain."""

    values: set[str] = field(default_factory=set)
    domains: set[str] = field(default_factory=set)

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> Allowlist:
        out = cls()
        for raw in entries:
            item = str(raw).strip().lower()
            if not item:
                continue
            if item.startswith("@"):
                out.domains.add(item[1:])
            elif "@" in item:
                out.values.add(item)
            else:
                digits = re.sub(r"\D", "", item)
                if digits:
                    out.values.add(digits)
                    phone = normalise_phone(digits)
                    if phone:
                        out.values.add(phone)
        return out

    def allows(self, m: Match) -> bool:
        return self.allows_value(m.kind, m.value)

    def allows_value(self, kind: str, value: str) -> bool:
        if value in self.values:
            return True
        return kind == "email" and value.rpartition("@")[2] in self.domains


def scan(text: str, *, column: str | None = None, context: str = "", allow: Allowlist | None = None,
         today: date | None = None) -> list[Match]:
    """Every personal-data value in `text`. `column` is the kind announced by a table column header (every
    16-digit cell of a NIK column counts); `context` is extra text read as if it preceded `text` (the
    header, the label cell to the left)."""
    found = _matches(find(text, column, context, today))
    if allow is not None:
        found = [m for m in found if not allow.allows(m)]
    return found
