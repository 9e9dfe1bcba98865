"""Reference implementation of `detectors.scan`: simple, slow, kept as the oracle for the fast engine.

This is the first version of the detector: every run of digits goes through the full classification in
Python, and every context term of the text is indexed up front (for texts of any length; the first
version read short texts token by token, which treated a word cut at the window edge as a word).
`scanner.find` must report exactly what this reports; tests compare the two on the labelled corpus and
on random documents. Not used by the check itself.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from datetime import date

from checks.personal_data.detectors import Match, valid_kk, valid_nik
from checks.personal_data.lexicon import PHRASES, WORD_KIND, context_kinds, is_letter, lower_aligned
from checks.personal_data.regions import district_codes
from checks.personal_data.scanner import normalise_phone

_RUN = re.compile(r"(?<![\w+])\+?\d+(?:[ .\-]\d+)*(?!\w)")
_GROUP = re.compile(r"\d+")
_AMOUNT = re.compile(r"^\d{1,3}(?:\.\d{3})+$")
_NPWP15 = re.compile(r"^\d{2}\.\d{3}\.\d{3}\.\d-\d{3}\.\d{3}$")
_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b")
_NOT_TLDS = frozenset("png jpg jpeg gif svg webp bmp ico css js pdf doc docx xls xlsx zip".split())
_TERMS = tuple(WORD_KIND.items()) + PHRASES
_PRIORITY = {"nik": 5, "kk": 5, "npwp": 4, "bpjs": 3, "phone": 3, "account": 1}
BEFORE = 48
AFTER = 32


class _Context:
    """Every context term of the text indexed once; a window's kinds are those of the terms inside it.
    Single words need a non-letter on both sides (letters as in `lexicon.is_letter`)."""

    def __init__(self, text: str, extra: set[str]):
        self.text = text
        self.extra = extra
        low = lower_aligned(text)
        hits: list[tuple[int, int, str]] = []
        for term, kind in _TERMS:
            single = term in WORD_KIND
            i = low.find(term)
            while i != -1:
                j = i + len(term)
                if not single or ((i == 0 or not is_letter(low[i - 1])) and (j >= len(low) or not is_letter(low[j]))):
                    hits.append((j, i, kind))
                i = low.find(term, i + 1)
        hits.sort()
        self.ends = [h[0] for h in hits]
        self.starts = [h[1] for h in hits]
        self.kinds = [h[2] for h in hits]

    def _between(self, lo: int, hi: int) -> set[str]:
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


def _classify(digits: str, raw: str, ctxf: Callable[[], set[str]], column: str | None, today: date,
              plus: bool) -> tuple[str, str, str] | None:
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


def reference_scan(text: str, *, column: str | None = None, context: str = "", today: date | None = None,
                   ) -> list[Match]:
    today = today or date.today()
    found: list[Match] = []
    ctx_src = _Context(text, context_kinds(context) if context else set())
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

        if raw.isdigit():
            if len(raw) > 16:
                continue
            got = _classify(raw, raw, ctxf, column, today, False)
            if got:
                found.append(Match(got[0], got[1], s, e, got[2]))
            continue
        groups = [(g.start(), g.end(), g.group(0)) for g in _GROUP.finditer(raw)]
        plus = raw.startswith("+")
        cands: list[tuple[int, int, int, int, str, str, str]] = []
        for i in range(len(groups)):
            acc = ""
            for j in range(i, len(groups)):
                gs, ge, gd = groups[j]
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
        cands.sort(key=lambda c: (-c[0], -c[1], c[2]))
        taken: set[int] = set()
        for _p, _n, i, j, kind, value, conf in cands:
            span = set(range(i, j + 1))
            if span & taken:
                continue
            taken |= span
            found.append(Match(kind, value, s + groups[i][0] - (1 if plus and i == 0 else 0), s + groups[j][1],
                               conf))
    for em in _EMAIL.finditer(text):
        addr = em.group(0).lower()
        if addr.rpartition(".")[2] in _NOT_TLDS or ".." in addr:
            continue
        found.append(Match("email", addr, em.start(), em.end(), "high" if column == "email" else "medium"))
    return found
