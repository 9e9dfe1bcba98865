"""Set-Cookie parsing the way tough-cookie 5 (the Observatory's cookie jar) stores cookies.

Cookies a jar refuses (no name, control characters, a foreign or public-suffix Domain, a broken
`__Secure-`/`__Host-` prefix) never reach the Observatory's cookie test, so we drop them for the grade
but still report them as findings: a browser refuses them too, which is usually a bug on the site.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from checks.headers.domains import is_ip, is_public_suffix

_CONTROL = re.compile(r"[\x00-\x1f]")
SESSION_MARKERS = ("login", "sess")  # Observatory's notion of a session cookie (name contains...)
CSRF_MARKER = "csrf"
IGNORED_NAMES = ("heroku-session-affinity",)


@dataclass
class Cookie:
    name: str
    value: str
    secure: bool = False
    http_only: bool = False
    same_site: str | None = None  # "strict" | "lax" | "none" | None (absent or unrecognised)
    same_site_raw: str | None = None  # the attribute as written, when present
    domain: str | None = None
    path: str | None = None
    host_only: bool = True
    extensions: list[str] = field(default_factory=list)

    @property
    def is_session(self) -> bool:
        return any(m in self.name.lower() for m in SESSION_MARKERS)

    @property
    def is_csrf(self) -> bool:
        return CSRF_MARKER in self.name.lower()


def _trim_terminator(s: str) -> str:
    for t in ("\n", "\r", "\0"):
        i = s.find(t)
        if i != -1:
            s = s[:i]
    return s


def parse_set_cookie(raw: str) -> Cookie | None:
    """tough-cookie's strict `Cookie.parse`: None when a jar would refuse to parse it."""
    s = (raw or "").strip()
    if not s:
        return None
    semi = s.find(";")
    pair = _trim_terminator(s if semi == -1 else s[:semi])
    eq = pair.find("=")
    if eq <= 0:
        return None
    name, value = pair[:eq].strip(), pair[eq + 1:].strip()
    if _CONTROL.search(name) or _CONTROL.search(value):
        return None
    c = Cookie(name, value)
    if semi == -1:
        return c
    for av in s[semi + 1:].split(";"):
        av = av.strip()
        if not av:
            continue
        key, sep, val = av.partition("=")
        key = key.strip().lower()
        val_s: str | None = val.strip() if sep else None
        if key == "domain":
            if val_s:
                dom = val_s.strip().removeprefix(".")
                if dom:
                    c.domain = dom.lower()
        elif key == "path":
            c.path = val_s if val_s and val_s[0] == "/" else None
        elif key == "secure":
            c.secure = True
        elif key == "httponly":
            c.http_only = True
        elif key == "samesite":
            c.same_site_raw = val_s or ""
            low = (val_s or "").lower()
            c.same_site = low if low in ("strict", "lax", "none") else None
        elif key not in ("expires", "max-age"):
            c.extensions.append(av)
    return c


def has_invalid_samesite(raw: str) -> bool:
    """The Observatory's raw-header SameSite test (JS `split("=")` semantics kept)."""
    for part in raw.strip().split(";"):
        pieces = part.strip().split("=")
        key = pieces[0]
        value = pieces[1] if len(pieces) > 1 else None
        if key.strip().lower() == "samesite":
            if not value:
                return True
            if value.strip().lower() not in ("lax", "strict", "none"):
                return True
    return False


def _default_path(path: str) -> str:
    if not path or not path.startswith("/") or path == "/":
        return "/"
    i = path.rfind("/")
    return "/" if i == 0 else path[:i]


def refusal_reason(c: Cookie, request_url: str) -> str | None:
    """Why a cookie jar (tough-cookie, browsers) would refuse this cookie from `request_url`."""
    parts = urlsplit(request_url)
    host = (parts.hostname or "").lower()
    if c.domain:
        if (is_ip(c.domain) and ":" not in c.domain) or is_public_suffix(c.domain):
            return f"Domain={c.domain} is an IP address or a public suffix"
        if not (host == c.domain or (host.endswith("." + c.domain) and not is_ip(host))):
            return f"Domain={c.domain} does not match the host {host}"
        c.host_only = False
    if not c.path:
        c.path = _default_path(parts.path)
    if c.name.startswith("__Secure-") and not c.secure:
        return "__Secure- prefix without the Secure attribute"
    if c.name.startswith("__Host-") and not (c.secure and c.host_only and c.path == "/"):
        return "__Host- prefix needs Secure, no Domain and Path=/"
    return None


def jar(set_cookies: list[tuple[str, str]]) -> tuple[list[Cookie], list[tuple[str, str]]]:
    """Store `(raw Set-Cookie, request URL)` pairs in order like a jar; return (stored, refused).

    A later cookie with the same name, domain and path replaces the earlier one.
    """
    stored: dict[tuple[str, str | None, str | None], Cookie] = {}
    refused: list[tuple[str, str]] = []
    for raw, url in set_cookies:
        c = parse_set_cookie(raw)
        if c is None:
            refused.append((raw, "cannot be parsed (no name=value, or control characters)"))
            continue
        reason = refusal_reason(c, url)
        if reason:
            refused.append((raw, reason))
            continue
        if not c.domain:
            c.domain = (urlsplit(url).hostname or "").lower()
        stored[(c.name, c.domain, c.path)] = c
    return [c for c in stored.values() if c.name and c.name not in IGNORED_NAMES], refused
