"""Pure detectors for Indonesian personal data in text: structural validation, not bare regexes.

A number is only reported when its structure holds: NIK/KK region codes exist in the Kemendagri table,
birth/issue dates exist (+40 on the day for women), serials are not 0000, mobile numbers use a real
operator prefix. Context words (or a table column header) raise confidence and decide between types
that share a shape (NIK vs KK, phone vs BPJS card, NPWP 16-digit); bank accounts need context.

Values in `Match` are the only place where a full value exists; `repr` masks it so a stray log line or
traceback cannot print it.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from auditor.redact import mask_email, mask_value
from checks.personal_data.regions import district_codes

KINDS = ("nik", "kk", "npwp", "bpjs", "phone", "email", "account")

# Mobile operator prefixes (the four digits after the leading 0), as allocated to Telkomsel, Indosat,
# XL/Axis, Tri and Smartfren. Landlines (0274..., 021...) are office numbers, never reported.
MOBILE_PREFIXES = frozenset(
    "0811 0812 0813 0821 0822 0823 0851 0852 0853"  # Telkomsel (incl. by.U)
    " 0814 0815 0816 0855 0856 0857 0858"  # Indosat Ooredoo
    " 0817 0818 0819 0859 0877 0878 0879"  # XL
    " 0831 0832 0833 0838"  # Axis
    " 0895 0896 0897 0898 0899"  # Tri
    " 0881 0882 0883 0884 0885 0886 0887 0888 0889"  # Smartfren
    " 0828".split()  # Ceria / Net1 (still in use)
)

# Context words per kind, looked up in the lower-cased text just before a value (and, for bank
# accounts, just after it). Single words go through a set lookup on word tokens and phrases through
# substring tests: both run in C, which keeps the detector fast on number-heavy documents.
CONTEXT_WORDS: dict[str, tuple[str, ...]] = {
    "nik": ("nik", "ktp", "ektp"),
    "kk": ("kk",),
    "npwp": ("npwp",),
    "bpjs": ("bpjs", "jkn", "kis"),
    "phone": ("hp", "tel", "telp", "telepon", "ponsel", "handphone", "wa", "whatsapp", "seluler", "kontak",
              "hubungi"),
    "account": ("rekening", "rek", "bank", "bri", "bni", "mandiri", "bca", "bsi", "btn", "cimb", "danamon",
                "permata", "bpd"),
}
CONTEXT_PHRASES: dict[str, tuple[str, ...]] = {
    "nik": ("nomor induk kependudukan", "no. identitas", "no identitas", "n.i.k"),
    "kk": ("kartu keluarga",),
    "npwp": ("nomor pokok wajib pajak",),
    "bpjs": ("kartu indonesia sehat", "jaminan kesehatan", "kartu peserta"),
    "phone": ("whats app",),
    "account": ("atas nama", "a.n.", " a.n ", "a/n", "virtual account"),
}
_WORD_KIND = {w: k for k, words in CONTEXT_WORDS.items() for w in words}
_WORDS = frozenset(_WORD_KIND)
_PHRASES = tuple((p, k) for k, phrases in CONTEXT_PHRASES.items() for p in phrases)
_TOKEN = re.compile(r"[a-z]+")

# A run of digits, optionally split by single spaces, dots or dashes (NIKs are often written 3403 0157
# 0890 0001 or 34.03.01.570890.0001). Letters glued to it (invoice ids like INV3403...) disqualify it.
_RUN = re.compile(r"(?<![\w+])\+?\d+(?:[ .\-]\d+)*(?!\w)")
_GROUP = re.compile(r"\d+")
_AMOUNT = re.compile(r"^\d{1,3}(?:\.\d{3})+$")  # 1.250.000.000: rupiah, not an account
_NPWP15 = re.compile(r"^\d{2}\.\d{3}\.\d{3}\.\d-\d{3}\.\d{3}$")
_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b")
_NOT_TLDS = frozenset("png jpg jpeg gif svg webp bmp ico css js pdf doc docx xls xlsx zip".split())

BEFORE = 48  # characters of context read before a value
AFTER = 32  # and after (bank accounts: "1234567890 a.n. Budi")

# Column headers that make every cell of the column count (see `kind_of_header`).
_HEADER_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (k, re.compile(p)) for k, p in (
        ("kk", r"\bkk\b|kartu keluarga"),
        ("npwp", r"npwp"),
        ("bpjs", r"bpjs|\bjkn\b|\bkis\b"),
        ("nik", r"\bnik\b|\bktp\b|nomor induk kependudukan|no\.?\s*identitas"),
        ("phone", r"\bhp\b|\btelp?\b|telepon|ponsel|handphone|\bwa\b|whats\s?app|seluler"),
        ("email", r"e-?mail|surel"),
        ("account", r"rekening|\bno\.?\s*rek\b"),
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


def normalise_phone(digits: str) -> str | None:
    """`6281234567890` / `081234567890` -> `081234567890` when it is an Indonesian mobile number."""
    if digits.startswith("62"):
        digits = "0" + digits[2:]
    if not digits.startswith("08") or not 10 <= len(digits) <= 13:
        return None
    return digits if digits[:4] in MOBILE_PREFIXES else None


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
        if m.value in self.values:
            return True
        return m.kind == "email" and m.value.rpartition("@")[2] in self.domains


def _context_kinds(text: str) -> set[str]:
    low = text.lower()
    kinds = {_WORD_KIND[w] for w in _WORDS.intersection(_TOKEN.findall(low))}
    for phrase, kind in _PHRASES:
        if phrase in low:
            kinds.add(kind)
    return kinds


_INDEX_MIN = 4096  # from this text length on, context words are indexed once instead of per window


class _Context:
    """Context kinds around a value, limited to its own line (a label alone on the line above counts
    when the value starts its line: PDF tables often put label and value on separate lines)."""

    def __init__(self, text: str, extra: set[str]):
        self.text = text
        self.extra = extra
        self.ends: list[int] | None = None
        self.kinds: list[str] = []
        if len(text) >= _INDEX_MIN:
            self._index(text.lower())

    def _index(self, low: str) -> None:
        hits: list[tuple[int, int, str]] = []
        for term, kind in _TERMS:
            i = low.find(term)
            single = term in _WORDS
            while i != -1:
                j = i + len(term)
                if not single or ((i == 0 or not low[i - 1].isalpha()) and (j >= len(low) or not low[j].isalpha())):
                    hits.append((j, i, kind))
                i = low.find(term, j)
        hits.sort()
        self.ends = [h[0] for h in hits]
        self.starts = [h[1] for h in hits]
        self.kinds = [h[2] for h in hits]

    def _between(self, lo: int, hi: int) -> set[str]:
        if self.ends is None:
            return _context_kinds(self.text[lo:hi])
        a = bisect.bisect_left(self.ends, lo)
        b = bisect.bisect_right(self.ends, hi)
        return {self.kinds[k] for k in range(a, b) if self.starts[k] >= lo}

    def before(self, s: int) -> set[str]:
        text = self.text
        lo = max(0, s - BEFORE)
        nl = text.rfind("\n", lo, s)
        if nl != -1 and text[nl + 1:s].strip():
            lo = nl + 1
        return self.extra | self._between(lo, s)

    def after(self, e: int) -> set[str]:
        hi = min(len(self.text), e + AFTER)
        nl = self.text.find("\n", e, hi)
        return self._between(e, nl if nl != -1 else hi)


_TERMS = tuple((w, k) for w, k in _WORD_KIND.items()) + _PHRASES
_PRIORITY = {"nik": 5, "kk": 5, "npwp": 4, "bpjs": 3, "phone": 3, "account": 1}


def _classify(digits: str, raw: str, ctxf: Callable[[], set[str]], column: str | None, today: date,
              plus: bool) -> tuple[str, str, str] | None:
    """(kind, normalised value, confidence) for one candidate digit string, or None. Structure is
    checked first; context (`ctxf`, computed on demand) decides between shapes and raises confidence."""
    n = len(digits)
    if n == 16:
        if column in ("nik", "kk", "npwp"):
            structural = valid_kk(digits, today) if column == "kk" else valid_nik(digits, today)
            return column, digits, "high" if structural else "medium"
        nik_ok = valid_nik(digits, today)
        if nik_ok or digits[0] == "0" or digits[:6] in district_codes():
            ctx = ctxf()
            if "npwp" in ctx and (digits[0] == "0" or nik_ok):
                return "npwp", digits, "high"
            if "kk" in ctx and "nik" not in ctx and valid_kk(digits, today):
                return "kk", digits, "high"
            if nik_ok:
                return "nik", digits, "high" if ("nik" in ctx or "kk" in ctx) else "medium"
            if "kk" in ctx and valid_kk(digits, today):
                return "kk", digits, "high"
    elif n == 15:
        if column == "npwp" or _NPWP15.match(raw) or "npwp" in ctxf():
            return "npwp", digits, "high"
    elif n == 13 and (column == "bpjs" or "bpjs" in ctxf()):
        return "bpjs", digits, "high"
    if digits[0] in "06" and (not plus or digits.startswith("62")):
        phone = normalise_phone(digits)
        if phone:
            if column is None:
                return "phone", phone, "high" if "phone" in ctxf() else "medium"
            if column == "phone":
                return "phone", phone, "high"
    if column == "account":
        return "account", digits, "high"
    if column is None and not _AMOUNT.match(raw) and "account" in ctxf():
        return "account", digits, "high"
    return None


def scan(text: str, *, column: str | None = None, context: str = "", allow: Allowlist | None = None,
         today: date | None = None) -> list[Match]:
    """Every personal-data value in `text`. `column` is the kind announced by a table column header (every
    16-digit cell of a NIK column counts); `context` is extra text read as if it preceded `text` (the
    header, the label cell to the left)."""
    today = today or date.today()
    found: list[Match] = []
    ctx_src = _Context(text, _context_kinds(context) if context else set())
    for run in _RUN.finditer(text):
        s, e = run.span()
        if e - s < 8:
            continue
        raw = run.group(0)
        cache: list[set[str]] = []

        def ctxf(s: int = s, e: int = e, cache: list[set[str]] = cache) -> set[str]:
            if not cache:
                ctx = ctx_src.before(s)
                if "account" not in ctx:
                    ctx |= {"account"} & ctx_src.after(e)
                cache.append(ctx)
            return cache[0]

        if raw.isdigit():  # the common case: one group, one candidate
            if len(raw) > 16:
                continue
            got = _classify(raw, raw, ctxf, column, today, False)
            if got:
                m = Match(got[0], got[1], s, e, got[2])
                if allow is None or not allow.allows(m):
                    found.append(m)
            continue
        groups = [(g.start(), g.end(), g.group(0)) for g in _GROUP.finditer(raw)]
        plus = raw.startswith("+")
        cands: list[tuple[int, int, int, int, str, str, str]] = []
        for i in range(len(groups)):
            acc = ""
            for j in range(i, len(groups)):
                gs, ge, gd = groups[j]
                # A one-digit group joins only through dots/dashes (NPWP "...567.8-901..."), never spaces.
                if j > i and len(gd) < 2 and raw[gs - 1] == " ":
                    break
                acc += gd
                if len(acc) > 16:
                    break
                if len(acc) < 8:
                    continue
                got = _classify(acc, raw[groups[i][0]:ge], ctxf, column, today, plus and i == 0)
                if got:
                    kind, value, conf = got
                    cands.append((_PRIORITY[kind], len(acc), i, j, kind, value, conf))
        if not cands:
            continue
        cands.sort(key=lambda c: (-c[0], -c[1], c[2]))
        taken: set[int] = set()
        for _p, _n, i, j, kind, value, conf in cands:
            span = set(range(i, j + 1))
            if span & taken:
                continue
            taken |= span
            m = Match(kind, value, s + groups[i][0] - (1 if plus and i == 0 else 0), s + groups[j][1], conf)
            if allow is None or not allow.allows(m):
                found.append(m)
    if "@" in text:
        for em in _EMAIL.finditer(text):
            addr = em.group(0).lower()
            if addr.rpartition(".")[2] in _NOT_TLDS or ".." in addr:
                continue
            m = Match("email", addr, em.start(), em.end(), "high" if column == "email" else "medium")
            if allow is None or not allow.allows(m):
                found.append(m)
    return found
