"""The scanning engine behind `detectors.scan`, shaped for number-dense documents.

A voter list or an aid-recipient table has a number every few words, and almost all of them are dates,
amounts and codes. So the engine works in stages that keep decoys away from Python-level work:

1. one regex finds runs of digits joined by single spaces, dots or dashes, at least 8 characters long
   (the only shape any reported number can have);
2. a few substring searches mark, without boundary checks, where a context word that can *make* a
   finding may be (NPWP, BPJS, bank-account words);
3. a run far from such words that cannot have a structural shape (16 digits opening with a known
   district code or a 0, a mobile prefix, 15+ digits) is dropped after a handful of string operations;
4. survivors get exact context (one regex over their own window, computed once and only when a rule
   asks for it) and the full classification: region set, a birth-date table, serial, operator prefix.

Stage 3 only drops runs that stage 4 would drop too, so results never depend on it; tests compare the
engine with the simple reference implementation in `reference.py`.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from functools import lru_cache

from checks.personal_data.lexicon import (
    ENABLING_KINDS,
    KIND_RX,
    MOBILE_PREFIXES,
    PHRASE_RX,
    WORD_KIND,
    context_kinds,
    enabling_terms,
    lower_aligned,
)
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
_SEPARATORS = str.maketrans("", "", " .-+")
# Where a group sequence may start a mobile number (0 or 62, then an operator prefix), separators allowed
# between any two digits.
_PHONE_START = re.compile(r"(?<!\d)(?:0|6[ .\-]?2)[ .\-]?8[ .\-]?(?:" + "|".join(
    f"{p[2]}[ .\\-]?{p[3]}" for p in sorted(MOBILE_PREFIXES)) + ")")
_BLANK = re.compile(r"\s*")
_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b")
_EMAIL_LOCAL_MAX = 64
_DOMAIN_CHARS = re.compile(r"[A-Za-z0-9.\-]*")
_NOT_TLDS = frozenset("png jpg jpeg gif svg webp bmp ico css js pdf doc docx xls xlsx zip".split())
_ENABLING_TERMS = enabling_terms()
_PRIORITY = {"nik": 5, "kk": 5, "npwp": 4, "bpjs": 3, "phone": 3, "account": 1}

Found = tuple[str, str, int, int, str]  # kind, normalised value, start, end, confidence


@lru_cache(maxsize=8)
def max_days(today: date) -> dict[str, int]:
    """For every `MMYY` of a NIK/KK date, the last day that makes it a date no later than `today`, read
    as 20yy or 19yy (see `detectors._birth_date`). The valid days of a month are always 1..last, so one
    number per month replaces a date constructor per candidate."""
    out: dict[str, int] = {}
    for yy in range(100):
        for mm in range(1, 13):
            last = 0
            for year in (2000 + yy, 1900 + yy):
                if date(year, mm, 1) > today:
                    continue
                dim = calendar.monthrange(year, mm)[1]
                last = max(last, dim if date(year, mm, dim) <= today else today.day)
            if last:
                out[f"{mm:02d}{yy:02d}"] = last
    return out


def normalise_phone(digits: str) -> str | None:
    """`6281234567890` / `081234567890` -> `081234567890` when it is an Indonesian mobile number."""
    if digits.startswith("62"):
        digits = "0" + digits[2:]
    if not digits.startswith("08") or not 10 <= len(digits) <= 13:
        return None
    return digits if digits[:4] in MOBILE_PREFIXES else None


class _Scan:
    """State of one `find` call: the text, its lower-cased twin (built on first use), lookup tables and
    the context already read for the current run."""

    __slots__ = ("text", "n", "column", "extra", "districts", "days", "out", "_low", "_run", "_lo", "_seen")

    def __init__(self, text: str, column: str | None, context: str, today: date):
        self.text = text
        self.n = len(text)
        self.column = column
        self.extra = frozenset(context_kinds(context)) if context else frozenset()
        self.districts = district_codes()
        self.days = max_days(today)
        self.out: list[Found] = []
        self._low: str | None = None
        self._run = -1  # start of the run whose context is cached in _lo/_seen
        self._lo = 0
        self._seen: dict[str, bool] = {}

    @property
    def low(self) -> str:
        if self._low is None:
            self._low = lower_aligned(self.text)
        return self._low

    # -- structure -------------------------------------------------------------------------------------

    def nik_ok(self, d: str) -> bool:
        if d[:6] not in self.districts or d[12:] == "0000":
            return False
        dd = int(d[6:8])
        if dd > 40:  # women: day + 40
            dd -= 40
        return 0 < dd <= self.days.get(d[8:12], 0)

    def kk_ok(self, d: str) -> bool:
        return (d[:6] in self.districts and d[12:] != "0000"
                and 0 < int(d[6:8]) <= self.days.get(d[8:12], 0))

    # -- context ---------------------------------------------------------------------------------------

    def near_masks(self) -> tuple[bytearray, bytearray] | None:
        """(before, after): before[s] is 1 where a run starting at s may see an NPWP, BPJS or bank-account
        word in its before-window (`ctx_start`), after[e] where a run ending at e may see a bank-account
        word after it. Substrings are marked without boundary checks, so the masks over-approximate.
        None when every run may (a column header or label already names such a kind)."""
        if self.column is not None or self.extra.intersection(ENABLING_KINDS):
            return None
        text, low, n = self.text, self.low, self.n
        before, after = bytearray(n + 1), bytearray(n + 1)
        ones = memoryview(b"\x01" * 256)  # longer than any marked span
        find, tfind, trfind, blank = low.find, text.find, text.rfind, _BLANK.match
        for term, kind in _ENABLING_TERMS:
            i = find(term)
            while i != -1:
                j = i + len(term)
                lim = i + BEFORE if i + BEFORE < n else n  # the last start that can see the word
                q = tfind("\n", j, lim)
                if q == -1:
                    before[j:lim + 1] = ones[:lim + 1 - j]
                else:
                    before[j:q + 1] = ones[:q + 1 - j]
                    while q != -1:  # across a line break only for values that start their line
                        g = blank(text, q + 1).end()  # type: ignore[union-attr]
                        top = g if g < lim else lim
                        before[q + 1:top + 1] = ones[:top - q]
                        q = tfind("\n", g, lim) if g < lim else -1
                if kind == "account":
                    a = j - AFTER if j > AFTER else 0
                    p = trfind("\n", a, i)
                    if p != -1:
                        a = p + 1
                    after[a:i + 1] = ones[:i + 1 - a]
                i = find(term, i + 1)
        return before, after

    def _term_in(self, kind: str, lo: int, hi: int) -> bool:
        """Whether a `kind` context term lies inside [lo, hi); single words need a non-letter on both
        sides (looked up in the whole text, not the window)."""
        low, n, rx = self.low, self.n, KIND_RX[kind]
        m = rx.search(low, lo, hi)
        while m is not None:
            term = m.group()
            if term not in WORD_KIND:
                return True
            i, j = m.span()
            if (i == 0 or not low[i - 1].isalpha()) and (j >= n or not low[j].isalpha()):
                return True
            phrase = PHRASE_RX.get(kind)
            if phrase is not None and phrase.match(low, i, hi):
                return True
            m = rx.search(low, i + 1, hi)
        return False

    def has(self, kind: str, s: int) -> bool:
        """Whether the before-window of the run starting at `s` names `kind`: up to BEFORE characters on
        the run's own line, or, when the run starts its line, on the lines above (PDF tables often put
        a label and its value on separate lines)."""
        if kind in self.extra:
            return True
        if s != self._run:
            text = self.text
            lo = s - BEFORE if s > BEFORE else 0
            nl = text.rfind("\n", lo, s)
            if nl != -1 and text[nl + 1:s].strip():
                lo = nl + 1
            self._run, self._lo, self._seen = s, lo, {}
        got = self._seen.get(kind)
        if got is None:
            got = self._seen[kind] = self._term_in(kind, self._lo, s)
        return got

    def has_account(self, s: int, e: int) -> bool:
        """Bank-account words count before the run and also just after it on the same line
        ("1234567890 a.n. Budi")."""
        if self.has("account", s):
            return True
        got = self._seen.get("account after")
        if got is None:
            hi = e + AFTER if e + AFTER < self.n else self.n
            nl = self.text.find("\n", e, hi)
            got = self._seen["account after"] = self._term_in("account", e, nl if nl != -1 else hi)
        return got

    # -- classification --------------------------------------------------------------------------------

    def classify(self, digits: str, raw: str, s: int, e: int, plus: bool, near: bool,
                 ) -> tuple[str, str, str] | None:
        """(kind, normalised value, confidence) for one candidate digit string of the run [s, e), or None.
        Structure is checked first; context decides between shapes and raises confidence. `near` False
        means no NPWP/BPJS/bank-account word can be in the run's context (see `near_masks`)."""
        column = self.column
        n = len(digits)
        if n == 16:
            if column in ("nik", "kk", "npwp"):
                structural = self.kk_ok(digits) if column == "kk" else self.nik_ok(digits)
                return column, digits, "high" if structural else "medium"  # type: ignore[return-value]
            nik_ok = self.nik_ok(digits)
            regional = nik_ok or digits[:6] in self.districts
            if (nik_ok or digits[0] == "0") and near and self.has("npwp", s):
                return "npwp", digits, "high"
            if regional:  # KK and NIK both open with a district code
                kk = self.has("kk", s)
                if kk and not self.has("nik", s) and self.kk_ok(digits):
                    return "kk", digits, "high"
                if nik_ok:
                    return "nik", digits, "high" if (kk or self.has("nik", s)) else "medium"
                if kk and self.kk_ok(digits):
                    return "kk", digits, "high"
        elif n == 15:
            if column == "npwp" or _NPWP15.match(raw) or (near and self.has("npwp", s)):
                return "npwp", digits, "high"
        elif n == 13 and (column == "bpjs" or (near and self.has("bpjs", s))):
            return "bpjs", digits, "high"
        if digits[0] in "06" and (not plus or digits.startswith("62")):
            phone = normalise_phone(digits)
            if phone:
                if column is None:
                    return "phone", phone, "high" if self.has("phone", s) else "medium"
                if column == "phone":
                    return "phone", phone, "high"
        if column == "account":
            return "account", digits, "high"
        if column is None and near and not _AMOUNT.match(raw) and self.has_account(s, e):
            return "account", digits, "high"
        return None

    def split_run(self, raw: str, s: int, e: int, near: bool) -> None:
        """A run with separators: every group sequence of 8-16 digits is a candidate (phones hide in
        "Telp 0274 0812 3456 7890"); the strongest non-overlapping candidates win."""
        groups = [(g.start(), g.end(), g.group(0)) for g in _GROUP.finditer(raw)]
        plus = raw.startswith("+")
        whole = "".join(g[2] for g in groups)
        if 8 <= len(whole) <= 16 and not any(len(g[2]) < 2 and raw[g[0] - 1] == " " for g in groups[1:]):
            # Candidates are ranked by priority, then length: when the whole run is a NIK, KK, NPWP, BPJS
            # or phone number, no shorter candidate can outrank it (each needs 15-16 digits to do so).
            got = self.classify(whole, raw[groups[0][0]:], s, e, plus, near)
            if got and _PRIORITY[got[0]] >= 3:
                self.out.append((got[0], got[1], s, e, got[2]))
                return
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
                got = self.classify(acc, raw[groups[i][0]:ge], s, e, plus and i == 0, near)
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


class _Everywhere:
    """Stands in for the near masks when every run may see enabling context."""

    def __getitem__(self, _i: int) -> int:
        return 1


def find(text: str, column: str | None = None, context: str = "", today: date | None = None) -> list[Found]:
    """Every personal-data value in `text` as (kind, value, start, end, confidence): numbers in text
    order, then e-mail addresses. See `detectors.scan` for the parameters."""
    st = _Scan(text, column, context, today or date.today())
    masks = st.near_masks()
    before, after = masks if masks is not None else (_Everywhere(), _Everywhere())
    districts, out, classify = st.districts, st.out, st.classify
    for m in (_RUN_ASCII if text.isascii() else _RUN).finditer(text):
        s, e = m.span()
        if e - s < 8:
            continue
        raw = m.group()
        near = before[s] or after[e]
        if raw.isdigit():  # the common case: one group, one candidate
            n = len(raw)
            if n > 16:
                continue
            if not near:  # only a structural shape can still count
                if n == 16:
                    if raw[0] != "0" and raw[:6] not in districts:
                        continue
                elif n < 10 or not raw.startswith(("08", "628")):
                    continue
            got = classify(raw, raw, s, e, False, near)
            if got:
                out.append((got[0], got[1], s, e, got[2]))
            continue
        if not near:
            digits = raw.translate(_SEPARATORS)
            if (len(digits) < 16 and not (len(digits) == 15 and "-" in raw and "." in raw)
                    and not _PHONE_START.search(raw)):
                continue
        st.split_run(raw, s, e, near)
    if "@" in text:
        st.emails()
    return out
