"""Indonesian (and common English/ISO) date parsing for free text found on village websites.

Pure functions: `find_dates(text)` returns every plausible date with the text it came from, and
`parse_date(text)` the first one. Day-first is assumed for numeric dates (Indonesian usage); a numeric
date whose second field cannot be a month is read month-first instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

# Month names and the abbreviations seen on real sites (old spellings "Pebruari", "Nopember" included).
MONTHS: dict[str, int] = {
    "januari": 1, "jan": 1, "january": 1,
    "februari": 2, "pebruari": 2, "feb": 2, "peb": 2, "febr": 2, "february": 2,
    "maret": 3, "mar": 3, "mrt": 3, "march": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "agustus": 8, "agt": 8, "agu": 8, "ags": 8, "agst": 8, "agus": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "october": 10,
    "november": 11, "nopember": 11, "nov": 11, "nop": 11,
    "desember": 12, "des": 12, "dec": 12, "december": 12,
}
_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
# Where a month name can start: a cheap lookahead that spares trying ~40 names at every position of a page
# (it was two thirds of `find_dates` in bench/audit.py's profile). Same language: built from MONTHS.
_MONTH_START = "(?=" + "|".join(sorted({m[:2] for m in MONTHS})) + ")"
_DAY_NAME_LIST = ("senin", "selasa", "rabu", "kamis", "jum'?at", "sabtu", "minggu", "ahad", "monday", "tuesday",
                  "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_NAMES = "(?:" + "|".join(_DAY_NAME_LIST) + ")"

MIN_YEAR, MAX_YEAR = 1990, 2100


@dataclass(frozen=True)
class FoundDate:
    value: date
    text: str  # the matched text, as found
    start: int  # offset in the searched text
    precision: str = "day"  # "day" or "month" ("Agustus 2026")


def _year(raw: str) -> int | None:
    raw = raw.lstrip("'’")
    if len(raw) == 2:
        return 2000 + int(raw)
    if len(raw) == 4:
        return int(raw)
    return None


def _make(y: int | None, m: int | None, d: int) -> date | None:
    if y is None or m is None or not (MIN_YEAR <= y <= MAX_YEAR):
        return None
    try:
        return date(y, m, d)
    except ValueError:  # 31 Februari and friends
        return None


_SEP = r"[\s\-./,]*"
# "12 Agustus 2026", "12-Agu-2026", "Senin, 3 Maret 2025", "12 Agustus, 2026", "3rd March 2025", "12 Agt '26"
_DMY_NAME = re.compile(
    rf"(?<![\w])(?:{_DAY_NAMES}\s*,?\s*)?(\d{{1,2}})(?:st|nd|rd|th)?{_SEP}\s*(?:bulan\s+)?({_MONTH_ALT})\.?"
    rf"{_SEP}\s*(?:tahun\s+)?('?\d{{4}}|['’]\d{{2}})(?![\w])", re.I)
# "Agustus 12, 2026", "March 3, 2025"
_MDY_NAME = re.compile(rf"(?<![\w]){_MONTH_START}({_MONTH_ALT})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?![\w])", re.I)
# ISO and year-first numeric: "2025-03-03", "2025/3/3", "2025-03-03T10:00:00+07:00", "20250303" not accepted
_YMD = re.compile(r"(?<![\w.])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\d])")
# Day-first numeric: "03/03/2025", "3-3-2025", "03.03.2025", "(5/3/2025)", "03/03/25"
_DMY_NUM = re.compile(r"(?<![\w./-])(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?![\w]|[./-]\d)")
# Month and year only: "Agustus 2026", "Bulan Juli 2026"
_MY_NAME = re.compile(rf"(?<![\w])(?:bulan\s+)?{_MONTH_START}({_MONTH_ALT})\.?\s*(?:tahun\s+)?(\d{{4}})(?![\w])", re.I)


# --- finding them fast --------------------------------------------------------------------------------
# Trying four patterns at every position of a page was most of the content check's time (bench/audit.py).
# Every match holds a digit with a known continuation (the anchor: the day's last digit before the month
# name or before ", 2026"; the year's first digit before "-03-03"; the day's last digit before "/03/25"), so
# one pass over the text finds the anchors, and each pattern is tried only at the positions where one of
# its matches can start: from just before its anchor (a second day digit, the spaces, a day or month name)
# up to the anchor. `tests/test_audit_parity.py` checks this against a `finditer` of every pattern.
_DAY_NAME_MAX = max(len(n) for n in _DAY_NAME_LIST)  # "jum'?at" counts 7: one more is safe
_MONTH_NAME_MAX = max(len(m) for m in MONTHS)
_AFTER_DMY = rf"(?:st|nd|rd|th)?[\s\-./,]*(?:bulan\s+)?{_MONTH_START}(?:{_MONTH_ALT})"
_AFTER_MDY = r"(?:st|nd|rd|th)?,?\s+\d{4}"
_AFTER_YMD = r"\d{3}[-/.]\d"
_AFTER_NUM = r"[-/.]\d{1,2}[-/.]\d{2}"
_ANCHOR = re.compile(rf"\d(?={_AFTER_DMY}|{_AFTER_MDY}|{_AFTER_YMD}|{_AFTER_NUM})", re.I)
_AFTER = [re.compile(a, re.I).match for a in (_AFTER_DMY, _AFTER_MDY, _AFTER_YMD, _AFTER_NUM)]


def _back(text: str, i: int, gaps: str, name_max: int) -> int:
    """Where a match whose day ends at `i` can start at the earliest: a second day digit, then a run of
    spaces and `gaps` characters, then a day or month name of up to `name_max` letters."""
    if i and text[i - 1].isdecimal():  # `\d` in a str pattern is exactly str.isdecimal
        i -= 1
    while i and (text[i - 1].isspace() or text[i - 1] in gaps):  # `\s` is exactly str.isspace
        i -= 1
    return i - name_max if i > name_max else 0


def _starts(text: str, anchors: list[int], kind: int) -> list[int]:
    """Positions where a match of pattern `kind` (DMY name, MDY name, YMD, DMY numeric) can start."""
    out: list[int] = []
    last = -1
    for a in anchors:
        if kind == 0:
            lo = _back(text, a, ",", _DAY_NAME_MAX)
        elif kind == 1:
            lo = _back(text, a, ".", _MONTH_NAME_MAX)
        elif kind == 2:
            lo = a
        else:
            lo = a - 1 if a else 0
        out.extend(range(max(lo, last + 1), a + 1))
        last = a
    return out


def _finditer(rx: re.Pattern[str], text: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """`rx.finditer(text)` where matches can only start at `starts` (ascending): the same matches."""
    pos = 0
    for s in starts:
        if s < pos:
            continue
        m = rx.match(text, s)  # lookbehinds still see the text before `s`
        if m is not None:
            yield m
            pos = m.end()


def _pattern_matches(text: str) -> tuple[Iterator[re.Match[str]], ...]:
    anchors: list[list[int]] = [[], [], [], []]
    for m in _ANCHOR.finditer(text):
        a = m.start()
        for kind, after in enumerate(_AFTER):
            if after(text, a + 1):
                anchors[kind].append(a)
    return tuple(_finditer(rx, text, _starts(text, anchors[k], k)) if anchors[k] else iter(())
                 for k, rx in enumerate((_DMY_NAME, _MDY_NAME, _YMD, _DMY_NUM)))


def find_dates(text: str, *, month_precision: bool = False) -> list[FoundDate]:
    """Every date in `text`, in order of appearance; overlapping matches keep the most specific."""
    if not text:
        return []
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []

    def add(m: re.Match[str], value: date | None, precision: str = "day") -> None:
        s, e = m.span()
        if any(s < te and ts < e for ts, te in taken):
            return
        # An impossible date ("31 Februari 2025") still claims its text so no vaguer reading replaces it.
        taken.append((s, e))
        if value is None:
            return
        found.append(FoundDate(value, m.group(0).strip(), s, precision))

    dmy_name, mdy_name, ymd, dmy_num = _pattern_matches(text)
    for m in dmy_name:
        add(m, _make(_year(m.group(3)), MONTHS.get(m.group(2).lower()), int(m.group(1))))
    for m in mdy_name:
        add(m, _make(int(m.group(3)), MONTHS.get(m.group(1).lower()), int(m.group(2))))
    for m in ymd:
        add(m, _make(int(m.group(1)), int(m.group(3)), int(m.group(4))))
    for m in dmy_num:
        a, b, y = int(m.group(1)), int(m.group(3)), _year(m.group(4))
        if b > 12 and a <= 12:  # 03/25/2025 cannot be day-first
            a, b = b, a
        add(m, _make(y, b, a))
    if month_precision:
        for m in _MY_NAME.finditer(text):
            add(m, _make(int(m.group(2)), MONTHS.get(m.group(1).lower()), 1), "month")
    found.sort(key=lambda f: f.start)
    return found


def parse_date(text: str, *, month_precision: bool = False) -> date | None:
    """The first date in `text`, or None."""
    found = find_dates(text, month_precision=month_precision)
    return found[0].value if found else None


_ISO_DT = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$")


def parse_machine_date(value: str | None) -> date | None:
    """Dates written for machines: ISO 8601 (JSON-LD, <time datetime>, sitemap), RFC 2822 (RSS, HTTP),
    PDF `D:YYYYMMDDHHmmSS`. Returns the calendar date in the writer's own zone (what the page says)."""
    if not value:
        return None
    value = str(value).strip()
    m = _ISO_DT.match(value)
    if m:
        return _make(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    pdf = re.match(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?", value)
    if pdf and value.startswith("D:"):
        return _make(int(pdf.group(1)), int(pdf.group(2) or 1), int(pdf.group(3) or 1))
    try:
        dt = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        dt = None
    if dt is not None:
        return _make(dt.year, dt.month, dt.day)
    return parse_date(value)


def to_datetime(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def add_months(d: date, months: int) -> date:
    """Calendar months, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, min(d.day, day))
        except ValueError:
            continue
    return date(year, month, 28)
