"""URL canonicalisation, crawl scope and crawler-trap defence (pure functions, no network)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from requests.utils import requote_uri

# Query parameters that identify a visitor or a campaign, not a resource: dropped so one page is one URL.
SESSION_PARAMS = frozenset({
    "phpsessid", "jsessionid", "sid", "sessionid", "session_id", "sessid", "aspsessionid", "cfid", "cftoken",
    "fbclid", "gclid", "msclkid",
})
SESSION_PREFIXES = ("utm_",)
DEFAULT_PORTS = {"http": 80, "https": 443}
_PATH_SESSION_RE = re.compile(r";(jsessionid|phpsessid|sid|sessionid)=[^/?#]*", re.I)

MAX_URL_LENGTH = 2000
MAX_QUERY_VARIANTS = 100  # distinct query strings followed per path
MAX_QUERY_KEYSETS = 16  # distinct parameter-name combinations per path (facet permutations)
MAX_CALENDAR_VARIANTS = 36  # three years of monthly pages per calendar-like URL shape
MAX_SEGMENT_REPEATS = 2
MAX_PATH_SEGMENTS = 20
_CALENDAR_KEYS = frozenset({
    "year", "month", "day", "date", "week", "tahun", "bulan", "tanggal", "tgl", "hari", "minggu", "cal",
    "calendar", "kalender", "y", "m", "d", "ym", "ymd", "periode", "time", "start", "end",
})
_DATE_RE = re.compile(r"(?<!\d)(1[89]\d\d|2\d\d\d)([-/_.]?)(0?[1-9]|1[0-2])(?!\d)")
_YEAR_RE = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_DIGITS_RE = re.compile(r"\d+")


def canonicalize(url: str, base: str | None = None) -> str | None:
    """Canonical form of an http(s) URL, or None for anything else (mailto:, javascript:, junk).

    Lower-case scheme and host, default port removed, user info and fragment dropped, dot segments
    resolved, percent-encoding normalised, session/campaign parameters dropped, query pairs sorted.
    """
    raw = (url or "").strip()
    if base is not None:
        try:
            raw = urljoin(base, raw)
        except ValueError:
            return None
    return _canonical(raw)


@lru_cache(maxsize=65536)  # navigation links repeat on every page
def _canonical(raw: str) -> str | None:
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return None
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _PATH_SESSION_RE.sub("", parts.path)
    path = _remove_dot_segments(requote_uri(path) if path else "/")
    query = "&".join(sorted(p for p in parts.query.split("&") if p and not _is_session_param(p)))
    try:
        query = requote_uri(query)
    except ValueError:
        return None
    return urlunsplit((scheme, netloc, path, query, ""))


def _is_session_param(pair: str) -> bool:
    name = unquote(pair.split("=", 1)[0]).strip().lower()
    return name in SESSION_PARAMS or name.startswith(SESSION_PREFIXES)


def _remove_dot_segments(path: str) -> str:
    if "." not in path:
        return path
    out: list[str] = []
    for seg in path.split("/"):
        if seg == "..":
            if len(out) > 1:
                out.pop()
        elif seg != ".":
            out.append(seg)
    result = "/".join(out)
    if path.endswith(("/.", "/..")):
        result += "/"
    return result if result.startswith("/") else "/" + result


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class Scope:
    """The start host plus `allowed_hosts` (`*.example.id` matches subdomains); ports do not matter."""

    hosts: set[str] = field(default_factory=set)
    suffixes: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, start_url: str, allowed: list[str]) -> Scope:
        scope = cls()
        scope.add(urlsplit(start_url).hostname or "")
        for entry in allowed:
            scope.add(entry)
        return scope

    def add(self, entry: str) -> None:
        entry = entry.strip().lower().rstrip(".")
        if "://" in entry:
            entry = urlsplit(entry).hostname or ""
        if entry.startswith("*."):
            self.suffixes.add(entry[1:])
        elif entry.startswith("["):
            self.hosts.add(entry[1:].split("]")[0])
        elif entry:
            self.hosts.add(entry.split(":")[0] if entry.count(":") == 1 else entry)

    def __contains__(self, url: object) -> bool:
        if not isinstance(url, str):
            return False
        host = (urlsplit(url).hostname or "").lower()
        return host in self.hosts or any(host.endswith(s) for s in self.suffixes)


class TrapGuard:
    """Decides whether a canonical URL looks like a crawler trap. Not thread-safe: call from one thread.

    `check(url)` returns None to follow the URL, or a (kind, key) pair naming the trap so the caller can
    note each cut once.
    """

    def __init__(self, *, today: date | None = None) -> None:
        self.max_year = (today or date.today()).year + 2
        self._queries: dict[str, set[str]] = defaultdict(set)
        self._keysets: dict[str, set[frozenset[str]]] = defaultdict(set)
        self._calendar: dict[str, set[str]] = defaultdict(set)

    def check(self, url: str) -> tuple[str, str] | None:
        if len(url) > MAX_URL_LENGTH:
            return ("long_url", "")
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) > MAX_PATH_SEGMENTS:
            return ("deep_path", "")
        counts: dict[str, int] = defaultdict(int)
        for seg in segments:
            counts[seg] += 1
            if counts[seg] > MAX_SEGMENT_REPEATS:
                return ("repeated_segments", seg)
        page = f"{parts.netloc}{parts.path}"
        if is_calendar_like(parts.path, parts.query):
            for year in _calendar_years(parts.path, parts.query):
                if year < 1900 or year > self.max_year:
                    return ("calendar_year", page)
            shape = _DIGITS_RE.sub("N", f"{page}?{parts.query}")
            seen = self._calendar[shape]
            if url not in seen and len(seen) >= MAX_CALENDAR_VARIANTS:
                return ("calendar", shape)
            seen.add(url)
        if parts.query:
            queries = self._queries[page]
            if parts.query not in queries:
                if len(queries) >= MAX_QUERY_VARIANTS:
                    return ("query_variants", page)
                keys = frozenset(p.split("=", 1)[0] for p in parts.query.split("&"))
                keysets = self._keysets[page]
                if keys not in keysets and len(keysets) >= MAX_QUERY_KEYSETS:
                    return ("query_permutations", page)
                keysets.add(keys)
                queries.add(parts.query)
        return None


def is_calendar_like(path: str, query: str) -> bool:
    """A date in the path (/2024/05/, /2024-05) or a date-ish query key with a numeric value."""
    if _DATE_RE.search(path):
        return True
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if name.lower() in _CALENDAR_KEYS and any(c.isdigit() for c in value):
            return True
    return False


def _calendar_years(path: str, query: str) -> list[int]:
    years = [int(m.group(1)) for m in _DATE_RE.finditer(path)]
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if name.lower() in _CALENDAR_KEYS:
            years += [int(y) for y in _YEAR_RE.findall(unquote(value))]
    return years


TRAP_NOTES = {
    "long_url": "trap defence: URLs longer than {max_len} characters not followed",
    "deep_path": "trap defence: URLs with more than {max_seg} path segments not followed",
    "repeated_segments": "trap defence: URLs repeating the path segment {key!r} not followed",
    "calendar_year": "trap defence: calendar pages with implausible years not followed under {key}",
    "calendar": "trap defence: calendar-like URLs {key} capped at {max_cal} variants",
    "query_variants": "trap defence: query variants of {key} capped at {max_q}",
    "query_permutations": "trap defence: parameter combinations of {key} capped at {max_keys}",
}


def trap_note(kind: str, key: str, skipped: int, example: str) -> str:
    text = TRAP_NOTES.get(kind, "trap defence: {kind} {key}").format(
        kind=kind, key=key, max_len=MAX_URL_LENGTH, max_seg=MAX_PATH_SEGMENTS, max_cal=MAX_CALENDAR_VARIANTS,
        max_q=MAX_QUERY_VARIANTS, max_keys=MAX_QUERY_KEYSETS)
    shown = example if len(example) <= 160 else example[:157] + "..."
    return f"{text} ({skipped} skipped, e.g. {shown})"
