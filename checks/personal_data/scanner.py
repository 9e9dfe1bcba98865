"""The scanning engine behind `detectors.scan`, shaped for number-dense documents.

A voter list or an aid-recipient table has a number every few words, and almost all of them are dates,
amounts and codes. So the work per number is staged, cheapest first:

1. one regex finds runs of digits joined by single spaces, dots or dashes, at least 8 characters long
   (the only shape any reported number can have);
2. a run's shape says whether it can be a finding on structure alone: 16 digits opening with a known
   district code or a 0, a mobile prefix, an NPWP layout;
3. any other run can only count through context (a 13-digit BPJS card, a 15-digit NPWP without dots, a
   bank account): the per-text index of context words (`context.ContextIndex`, built on first need)
   answers "is such a word anywhere near?" with a byte lookup, which drops nearly all decoys;
4. survivors get the full classification: region set, a birth-date table, serial, operator prefix, and
   exact context, read once per run and only when a rule asks for it.

Stages 2-3 only drop runs that stage 4 would drop too, so results never depend on them; tests compare
the engine with the simple reference implementation (`tests/pii_reference.py`).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date
from functools import lru_cache

from checks.personal_data.context import BIT, ContextIndex
from checks.personal_data.lexicon import ENABLING_KINDS, MOBILE_PREFIXES, context_kinds, lower_aligned
from checks.personal_data.regions import district_codes

BEFORE = 48  # characters of context read before a value
AFTER = 32  # and after (bank accounts: "1234567890 a.n. Budi")

# A run of digits, optionally split by single spaces, dots or dashes (NIKs are often written 3403 0157
# 0890 0001 or 34.03.01.570890.0001); letters glued to it (INV3403...) disqualify it. The first
# character comes before the boundary look-behind so the regex engine can skip non-digits quickly, and
# the look-ahead drops runs shorter than 8 characters before they are matched at all. ASCII text (the
# usual case) gets the same pattern with explicit classes, which the regex engine tests faster.
_RUN = re.compile(r"[+\d](?<![\w+].)(?:(?<=\d)|(?=\d))(?=[\d .\-]{7})\d*(?:[ .\-]\d+)*(?!\w)")
_RUN_ASCII = re.compile(r"[+0-9](?<![0-9A-Za-z_+].)(?:(?<=[0-9])|(?=[0-9]))(?=[0-9 .\-]{7})[0-9]*(?:[ .\-][0-9]+)*"
                        r"(?![0-9A-Za-z_])")
_GROUP = re.compile(r"\d+")
_AMOUNT = re.compile(r"^\d{1,3}(?:\.\d{3})+$")  # 1.250.000.000: rupiah, not an account
_NPWP15 = re.compile(r"^\d{2}\.\d{3}\.\d{3}\.\d-\d{3}\.\d{3}$")
_LONE_DIGIT_AFTER_SPACE = re.compile(r" \d(?!\d)")  # such a group never joins the digits before it
# Where a group sequence may start a mobile number (0 or 62, then an operator prefix), separators allowed
# between any two digits.
_PHONE_START = re.compile(r"(?<!\d)(?:0|6[ .\-]?2)[ .\-]?8[ .\-]?(?:" + "|".join(
    f"{p[2]}[ .\\-]?{p[3]}" for p in sorted(MOBILE_PREFIXES)) + ")")
_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b")
_EMAIL_LOCAL_MAX = 64
_DOMAIN_CHARS = re.compile(r"[A-Za-z0-9.\-]*")
_NOT_TLDS = frozenset("png jpg jpeg gif svg webp bmp ico css js pdf doc docx xls xlsx zip".split())
_PRIORITY = {"nik": 5, "kk": 5, "npwp": 4, "bpjs": 3, "phone": 3, "account": 1}

Found = tuple[str, str, int, int, str]  # kind, normalised value, start, end, confidence


@lru_cache(maxsize=8)
def last_days(today: date) -> dict[str, tuple[str, str]]:
    """For every `MMYY` of a NIK/KK date, the last valid day as `DD` text for men (and KK issue dates)
    and for women (+40), reading the year as 20yy or 19yy like `detectors._birth_date` (a date no later
    than `today`). The valid days of a month are always 01..last, so a day checks with two string
    comparisons instead of a date constructor (days written with other digits than ASCII 0-9 never
    validate)."""
    out: dict[str, tuple[str, str]] = {}
    for yy in range(100):
        for mm in range(1, 13):
            last = 0
            for year in (2000 + yy, 1900 + yy):
                if date(year, mm, 1) > today:
                    continue
                dim = calendar.monthrange(year, mm)[1]
                last = max(last, dim if date(year, mm, dim) <= today else today.day)
            if last:
                out[f"{mm:02d}{yy:02d}"] = (f"{last:02d}", f"{last + 40:02d}")
    return out


def normalise_phone(digits: str) -> str | None:
    """`6281234567890` / `081234567890` -> `081234567890` when it is an Indonesian mobile number."""
    if digits.startswith("62"):
        digits = "0" + digits[2:]
    if not digits.startswith("08") or not 10 <= len(digits) <= 13:
        return None
    return digits if digits[:4] in MOBILE_PREFIXES else None


def kind_bits(kinds: set[str] | frozenset[str]) -> int:
    bits = 0
    for k in kinds:
        bits |= BIT[k]
    return bits


_NIK, _KK, _NPWP, _BPJS, _PHONE, _ACCOUNT = (BIT[k] for k in ("nik", "kk", "npwp", "bpjs", "phone", "account"))
_ENABLING = kind_bits(set(ENABLING_KINDS))


def sixteen(d: str, context: Callable[[int], int], at: int, days: dict[str, tuple[str, str]],
            districts: frozenset[str]) -> tuple[str, str, str] | None:
    """A 16-digit candidate outside any NIK/KK/NPWP column as (kind, value, confidence): a NIK, KK or
    16-digit NPWP, or None (maybe a bank account, see `_Scan.classify`). `context(at)` gives the kind bits
    around it, asked only when the structure leaves a choice."""
    last = days.get(d[8:12])
    if last is not None and d[:6] in districts and d[12:] != "0000":
        dd = d[6:8]
        kk_ok = "01" <= dd <= last[0]
        nik_ok = kk_ok or "41" <= dd <= last[1]
    else:
        kk_ok = nik_ok = False
    if nik_ok or d[0] == "0":
        ctx = context(at)
        if ctx & _NPWP:
            return "npwp", d, "high"
        if nik_ok:
            if ctx & _KK and not ctx & _NIK and kk_ok:
                return "kk", d, "high"
            return "nik", d, "high" if ctx & (_KK | _NIK) else "medium"
    # a KK date has no +40, so a KK can fail as a NIK (and the reverse)
    if kk_ok and context(at) & _KK:
        return "kk", d, "high"
    return None


class _Scan:
    """State of one `find` call: the text, its lower-cased twin, lookup tables, the context index (built
    on first need) and the context already read for the current run. Context kinds travel as bits
    (`context.BIT`)."""

    __slots__ = ("text", "low", "n", "column", "extra", "always_near", "districts", "days", "out", "_ix",
                 "_run", "_bits", "_after")

    def __init__(self, text: str, column: str | None, extra: int, today: date):
        self.text = text
        self.low = lower_aligned(text)
        self.n = len(text)
        self.column = column
        self.extra = extra
        # with a column header or a label naming such a kind, any run may count through context
        self.always_near = column is not None or bool(self.extra & _ENABLING)
        self.districts = district_codes()
        self.days = last_days(today)
        self.out: list[Found] = []
        self._ix: ContextIndex | None = None
        self._run = -1  # start of the run whose context is cached below
        self._bits = 0
        self._after: bool | None = None

    # -- structure -------------------------------------------------------------------------------------

    def nik_ok(self, d: str) -> bool:
        """District known, birth date DDMMYY real (day + 40 for women), serial not 0000."""
        last = self.days.get(d[8:12])
        if last is None or d[:6] not in self.districts or d[12:] == "0000":
            return False
        dd = d[6:8]
        return "01" <= dd <= last[0] or "41" <= dd <= last[1]

    def kk_ok(self, d: str) -> bool:
        """District known, issue date DDMMYY real (no +40), serial not 0000."""
        last = self.days.get(d[8:12])
        return last is not None and "01" <= d[6:8] <= last[0] and d[:6] in self.districts and d[12:] != "0000"

    # -- context ---------------------------------------------------------------------------------------

    def index(self) -> ContextIndex:
        if self._ix is None:
            self._ix = ContextIndex(self.text, self.low, BEFORE, AFTER)
        return self._ix

    def before(self, s: int) -> int:
        """Kind bits of the context before the run starting at `s` (plus the caller's context): up to
        BEFORE characters back on the run's own line or, when the run starts its line, on the lines above
        (PDF tables often put a label and its value on separate lines). Read once per run."""
        if s == self._run:
            return self._bits
        text, kinds = self.text, (self._ix or self.index()).kinds
        lo = s - BEFORE if s > BEFORE else 0
        nl = text.rfind("\n", lo, s)
        if nl != -1:
            lo = nl + 1  # a hit on the line means text there: no need to look at the line's blanks
            found = kinds[lo:s].translate(None, b"\x00")
            if not found and not text[lo:s].strip():
                found = kinds[s - BEFORE if s > BEFORE else 0:s].translate(None, b"\x00")
        else:
            found = kinds[lo:s].translate(None, b"\x00")
        bits = self.extra
        for v in found:
            bits |= v
        self._run, self._bits, self._after = s, bits, None
        return bits

    def account_after(self, s: int, e: int) -> bool:
        """Whether a bank-account term follows the run [s, e) within AFTER characters on its line
        ("1234567890 a.n. Budi")."""
        if s != self._run:
            self.before(s)
        if self._after is None:
            hi = e + AFTER if e + AFTER < self.n else self.n
            nl = self.text.find("\n", e, hi)
            self._after = (self._ix or self.index()).account_inside(e, nl if nl != -1 else hi)
        return self._after

    def near(self, s: int, e: int) -> bool:
        """Whether an NPWP, BPJS or bank-account term is in the context of the run [s, e): without one,
        the run can only count on structure. The index's coarse masks answer most runs."""
        if self.always_near:
            return True
        ix = self._ix or self.index()
        if not (ix.near_before[s] or ix.near_after[e]):
            return False
        return bool(self.before(s) & _ENABLING) or self.account_after(s, e)

    # -- classification --------------------------------------------------------------------------------

    def sixteen(self, d: str, s: int) -> tuple[str, str, str] | None:
        """A 16-digit candidate outside any table column (see `sixteen`); the context is read only when
        the structure leaves a choice."""
        return sixteen(d, self.before, s, self.days, self.districts)

    def classify(self, digits: str, raw: str, s: int, e: int, plus: bool, maybe: bool | None,
                 ) -> tuple[str, str, str] | None:
        """(kind, normalised value, confidence) for one candidate digit string of the run [s, e), or None.
        Structure is checked first; context decides between shapes and raises confidence. `maybe` says
        whether an NPWP/BPJS/bank-account term may be in the run's context (None: ask `near`); context
        is read only when a rule needs it."""
        column = self.column
        n = len(digits)
        if n == 16:
            if column in ("nik", "kk", "npwp"):
                structural = self.kk_ok(digits) if column == "kk" else self.nik_ok(digits)
                return column, digits, "high" if structural else "medium"  # type: ignore[return-value]
            got = self.sixteen(digits, s)
            if got:
                return got
        elif n == 15:
            if (column == "npwp" or _NPWP15.match(raw)
                    or ((maybe if maybe is not None else self.near(s, e)) and self.before(s) & _NPWP)):
                return "npwp", digits, "high"
        elif n == 13 and (column == "bpjs"
                          or ((maybe if maybe is not None else self.near(s, e)) and self.before(s) & _BPJS)):
            return "bpjs", digits, "high"
        if digits[0] in "06" and (not plus or digits.startswith("62")):
            phone = normalise_phone(digits)
            if phone:
                if column is None:
                    return "phone", phone, "high" if self.before(s) & _PHONE else "medium"
                if column == "phone":
                    return "phone", phone, "high"
        if column == "account":
            return "account", digits, "high"
        if (column is None and (maybe if maybe is not None else self.near(s, e)) and not _AMOUNT.match(raw)
                and (self.before(s) & _ACCOUNT or self.account_after(s, e))):
            return "account", digits, "high"
        return None

    def split_run(self, raw: str, whole: str, s: int, e: int, maybe: bool | None) -> None:
        """A run with separators (`whole` is its digits): every group sequence of 8-16 digits is a
        candidate (phones hide in "Telp 0274 0812 3456 7890"); the strongest non-overlapping candidates
        win. `maybe` as in `classify`."""
        plus = raw[0] == "+"
        if len(whole) <= 16 and not (" " in raw and _LONE_DIGIT_AFTER_SPACE.search(raw)):
            # Candidates rank by priority, then length: when the whole run is a NIK, KK, NPWP, BPJS or
            # phone number, no shorter candidate can outrank it (each would need 15-16 digits).
            got = self.classify(whole, raw[1:] if plus else raw, s, e, plus, maybe)
            if got and _PRIORITY[got[0]] >= 3:
                self.out.append((got[0], got[1], s, e, got[2]))
                return
        groups = [(g.start(), g.end(), g.group(0)) for g in _GROUP.finditer(raw)]
        if maybe is None:
            maybe = self.near(s, e)
        # Whether a candidate can be a bank account (see `classify`); every group sequence of an amount
        # (1.250.000.000) is amount-shaped too.
        account = self.column == "account" or (self.column is None and maybe and not _AMOUNT.match(raw))
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
                if len(acc) < 8 or (len(acc) < 15 and acc[0] not in "06" and not account
                                    and (not maybe or len(acc) != 13)):
                    continue  # too short, or only context could make it count and it cannot
                got = self.classify(acc, raw[groups[i][0]:ge], s, e, plus and i == 0, maybe)
                if got:
                    kind, value, conf = got
                    cands.append((_PRIORITY[kind], len(acc), i, j, kind, value, conf))
        if not cands:
            return
        cands.sort(key=lambda c: (-c[0], -c[1], c[2]))
        taken: set[int] = set()
        for _p, _n, i, j, kind, value, conf in cands:
            span = set(range(i, j + 1))
            if span & taken:
                continue
            taken |= span
            self.out.append((kind, value, s + groups[i][0] - (1 if plus and i == 0 else 0), s + groups[j][1],
                             conf))

    def emails(self) -> None:
        """E-mail addresses, found from each '@' instead of trying the pattern at every word: the same
        matches as one pass of `_EMAIL` over the text (each match holds exactly one '@', its local part
        is at most 64 characters, and its domain stays within the domain characters after the '@')."""
        text, n, out, column = self.text, self.n, self.out, self.column
        last = 0
        at = text.find("@")
        while at != -1:
            lo = at - _EMAIL_LOCAL_MAX if at - _EMAIL_LOCAL_MAX > last else last
            stop = _DOMAIN_CHARS.match(text, at + 1).end()  # type: ignore[union-attr]
            em = _EMAIL.search(text, lo, stop + 1 if stop < n else n)
            if em is None:
                at = text.find("@", at + 1)
                continue
            last = em.end()
            addr = em.group(0).lower()
            if addr.rpartition(".")[2] not in _NOT_TLDS and ".." not in addr:
                out.append(("email", addr, em.start(), last, "high" if column == "email" else "medium"))
            at = text.find("@", last)


def bare_cell(text: str, column: str, extra: int, today: date) -> Found | None:
    """What `find(text, column, extra=extra)` returns for a table cell of nothing but ASCII digits in a
    NIK, KK, NPWP, phone or bank-account column (`BARE_COLUMNS`): its one match or None. Such a cell has
    no context of its own, so the column and the kind bits of its header and label decide; a dense sheet
    is mostly such cells. `tests/test_personal_data_tables.py` checks it against `find`."""
    n = len(text)
    if n == 16:
        if column in ("nik", "kk", "npwp"):
            last = last_days(today).get(text[8:12])
            ok = last is not None and text[:6] in district_codes() and text[12:] != "0000"
            if ok:
                dd = text[6:8]
                ok = "01" <= dd <= last[0] or (column != "kk" and "41" <= dd <= last[1])  # type: ignore[index]
            return column, text, 0, n, "high" if ok else "medium"
        got = sixteen(text, lambda _at: extra, 0, last_days(today), district_codes())
        if got:
            return got[0], text, 0, n, got[2]
        return ("account", text, 0, n, "high") if column == "account" else None
    if n < 8 or n > 16:
        return None  # no run, or longer than any value
    if n == 15 and (column == "npwp" or extra & _NPWP):
        return "npwp", text, 0, n, "high"
    if n == 13 and extra & _BPJS:
        return "bpjs", text, 0, n, "high"
    if column == "phone":
        phone = normalise_phone(text) if text[0] in "06" else None
        return ("phone", phone, 0, n, "high") if phone else None
    return ("account", text, 0, n, "high") if column == "account" else None


BARE_COLUMNS = frozenset({"nik", "kk", "npwp", "phone", "account"})


def context_bits(context: str) -> int:
    """The kind bits a label/header text announces (see `lexicon.context_kinds`)."""
    return kind_bits(context_kinds(context)) if context else 0


def find(text: str, column: str | None = None, context: str = "", today: date | None = None,
         extra: int | None = None) -> list[Found]:
    """Every personal-data value in `text` as (kind, value, start, end, confidence): numbers in text
    order, then e-mail addresses. See `detectors.scan` for the parameters; `extra` gives the context's
    kind bits directly (`context_bits`) instead of `context`."""
    st = _Scan(text, column, context_bits(context) if extra is None else extra, today or date.today())
    districts, out, classify, near, split_run = st.districts, st.out, st.classify, st.near, st.split_run
    always = st.always_near
    id_column = column in ("nik", "kk", "npwp")
    before = after = b""  # the index's coarse masks, once built
    for m in (_RUN_ASCII if text.isascii() else _RUN).finditer(text):
        s, e = m.span()
        n = e - s
        if n < 8:
            continue
        raw = m.group()
        if raw.isdigit():  # the common case: one group, one candidate
            if id_column and n == 16:  # `classify`, inlined for a NIK/KK/NPWP column (a dense sheet's cells)
                ok = st.kk_ok(raw) if column == "kk" else st.nik_ok(raw)
                out.append((column, raw, s, e, "high" if ok else "medium"))  # type: ignore[arg-type]
                continue
            if n == 16:
                shaped = raw[0] == "0" or raw[:6] in districts
            elif n > 16:
                continue
            else:
                shaped = n >= 10 and (raw[:2] == "08" or raw[:3] == "628")
            if not shaped and not always:  # only context can make it count: is there any?
                if not before:
                    ix = st.index()
                    before, after = ix.near_before, ix.near_after
                if not (before[s] or after[e]) or not near(s, e):
                    continue
            got = classify(raw, raw, s, e, False, None if shaped else True)
            if got:
                out.append((got[0], got[1], s, e, got[2]))
            continue
        if n < 16 and not ("8" in raw and _PHONE_START.search(raw)):
            # fewer than 16 digits and no mobile prefix: only context can make it count (an NPWP
            # written 99.999.999.9-999.999 takes 20 characters)
            if not always:
                if not before:
                    ix = st.index()
                    before, after = ix.near_before, ix.near_after
                if not (before[s] or after[e]) or not near(s, e):
                    continue
            digits = raw.replace(" ", "").replace(".", "").replace("-", "").lstrip("+")
            if len(digits) >= 8:
                split_run(raw, digits, s, e, True)
            continue
        digits = raw.replace(" ", "").replace(".", "").replace("-", "").lstrip("+")  # faster than translate
        n = len(digits)
        if n < 8:
            continue
        if n >= 16 or (n == 15 and "-" in raw and "." in raw) or _PHONE_START.search(raw) is not None:
            split_run(raw, digits, s, e, None)
            continue
        if not always:
            if not before:
                ix = st.index()
                before, after = ix.near_before, ix.near_after
            if not (before[s] or after[e]) or not near(s, e):
                continue
        split_run(raw, digits, s, e, True)
    if "@" in text:
        st.emails()
    return out
