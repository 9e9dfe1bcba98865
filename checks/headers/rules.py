"""Our own findings, page by page: pure functions over headers and markup (no network).

Stricter than the Observatory where browsers are stricter (duplicate headers, junk max-age, a
misspelled CSP directive) and always explicit: every malformed value becomes a finding with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from auditor.snapshot import Headers
from checks.base import Severity
from checks.headers import csp as cspmod
from checks.headers.cookies import Cookie, jar
from checks.headers.domains import registrable_domain
from checks.headers.html import PageMarkup
from checks.headers.texts import RULEBOOK
from checks.hsts import HstsFacts, parse_hsts

SIX_MONTHS = 15552000
REFERRER_GOOD = ("no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin")
REFERRER_BAD = ("origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade")
ACTIVE_MIXED = {"script", "iframe", "frame", "link", "object", "embed", "form"}


@dataclass(frozen=True)
class Issue:
    rule: str
    detail: str  # short English evidence, no personal data
    case: str | None = None  # one of the record's declared severity cases (checks.rules.Rule.cases)

    @property
    def severity(self) -> Severity:
        return RULEBOOK[self.rule].severity_of(self.case)


def _clip(value: str, n: int = 120) -> str:
    value = " ".join(value.split())
    return value if len(value) <= n else value[: n - 1] + "…"


def hsts_issues(headers: Headers, *, min_max_age: int = SIX_MONTHS) -> list[Issue]:
    values = headers.get_all("strict-transport-security")
    if not values:
        return [Issue("headers.hsts.missing", "no Strict-Transport-Security header")]
    hsts = parse_hsts(values)
    problems = list(hsts.problems)
    if hsts.max_age is not None and hsts.max_age < min_max_age:
        problems.append(f"max-age={hsts.directives['max-age']} is shorter than {min_max_age} (six months)")
    if not problems:
        return []
    case = "no_max_age" if any("missing" in p or "not a number" in p for p in problems) else None
    shown = _clip(" | ".join(values))
    return [Issue("headers.hsts.invalid", "; ".join(problems) + f" in {shown!r}", case)]


def hsts_facts(headers: Headers) -> HstsFacts:
    return HstsFacts.of(parse_hsts(headers.get_all("strict-transport-security")))


def csp_issues(headers: Headers, markup: PageMarkup | None, *, https: bool) -> list[Issue]:
    enforced = cspmod.split_policies(headers.get_all("content-security-policy"))
    meta = list(markup.meta_csp) if markup else []
    if not enforced and not meta:
        ro = headers.get_all("content-security-policy-report-only")
        note = " (only Content-Security-Policy-Report-Only is sent: it reports, it does not protect)" if ro else ""
        return [Issue("headers.csp.missing", "no enforced Content-Security-Policy" + note)]
    problems: list[str] = []
    for policy in enforced + meta:
        rep = cspmod.analyse_policy(policy, https=https)
        problems += [f"syntax: {e}" for e in rep.syntax_errors] + rep.unsafe
    if len(headers.get_all("content-security-policy")) > 1:
        problems.append("several CSP headers: browsers enforce all of them (the strictest wins)")
    # Several policies each allow what the others forbid only if every one of them is loose.
    if not problems:
        return []
    unsafe = [p for p in problems if not p.startswith("syntax:") and not p.startswith("several")]
    case = None if any("script" in p or "object" in p for p in unsafe) else "no_script_hole"
    return [Issue("headers.csp.unsafe", _clip("; ".join(dict.fromkeys(problems)), 300), case)]


def _frame_ancestors(headers: Headers) -> list[str] | None:
    for policy in cspmod.split_policies(headers.get_all("content-security-policy")):
        for raw in policy.split(";"):
            tokens = raw.strip().split()
            if tokens and tokens[0].lower() == "frame-ancestors":
                return [t.lower() for t in tokens[1:]]
    return None


def xfo_issues(headers: Headers) -> list[Issue]:
    fa = _frame_ancestors(headers)
    if fa is not None and not any(s in cspmod.DANGEROUSLY_BROAD for s in fa):
        return []
    values = headers.get_all("x-frame-options")
    if not values:
        extra = " (CSP frame-ancestors allows any origin)" if fa is not None else ""
        return [Issue("headers.xfo.missing", "no X-Frame-Options and no CSP frame-ancestors"
                      + extra)]
    tokens = {t.strip().lower() for v in values for t in v.split(",") if t.strip()}
    if tokens in ({"deny"}, {"sameorigin"}):
        return []
    if any(t.startswith("allow-from") for t in tokens):
        why = "ALLOW-FROM is ignored by current browsers"
    elif len(tokens) > 1:
        why = "conflicting values, browsers ignore the header"
    else:
        why = "value not recognised"
    return [Issue("headers.xfo.missing",
                  f"X-Frame-Options {_clip(' | '.join(values), 80)!r}: {why}")]


def xcto_issues(headers: Headers) -> list[Issue]:
    values = headers.get_all("x-content-type-options")
    if not values:
        return [Issue("headers.xcto.missing", "no X-Content-Type-Options header")]
    if len(values) == 1 and values[0].strip().lower() == "nosniff":
        return []
    if all(v.strip().lower() == "nosniff" for v in values):
        why = f"sent {len(values)} times (some clients then see 'nosniff, nosniff' and ignore it)"
    else:
        why = "value is not nosniff"
    return [Issue("headers.xcto.missing",
                  f"X-Content-Type-Options {_clip(' | '.join(values), 80)!r}: {why}")]


def referrer_issues(headers: Headers, markup: PageMarkup | None) -> list[Issue]:
    values = headers.get_all("referrer-policy")
    if markup and markup.meta_referrer:
        values = [*values, markup.meta_referrer]
    if not values:
        return [Issue("headers.referrer_policy.missing", "no Referrer-Policy header or meta tag")]
    tokens = [t.strip().lower() for v in values for t in v.split(",") if t.strip()]
    known = [t for t in tokens if t in REFERRER_GOOD + REFERRER_BAD]
    unknown = [t for t in tokens if t not in REFERRER_GOOD + REFERRER_BAD]
    effective = known[-1] if known else None  # browsers use the last value they understand
    if effective is None:
        return [Issue("headers.referrer_policy.unsafe",
                      f"Referrer-Policy {_clip(', '.join(tokens), 80)!r} not recognised")]
    if effective in REFERRER_BAD:
        return [Issue("headers.referrer_policy.unsafe",
                      f"Referrer-Policy {effective} sends full or cross-origin referrers")]
    if unknown:
        return [Issue("headers.referrer_policy.unsafe",
                      f"Referrer-Policy has unrecognised values {_clip(', '.join(unknown), 60)!r} "
                      f"(effective: {effective})", "unknown_extra")]
    return []


def cookie_problems(c: Cookie, *, https: bool) -> tuple[str | None, list[str]]:
    """(severity case of the cookie record, problems)."""
    probs: list[str] = []
    case = None
    if not c.secure:
        probs.append("no Secure" + ("" if https else " (and set over plain http)"))
        if c.is_session:
            case = "session_cookie"
    if c.is_session and not c.http_only:
        probs.append("session cookie without HttpOnly")
        case = "session_cookie"
    if c.same_site_raw is not None and c.same_site is None:
        probs.append(f"SameSite={_clip(c.same_site_raw, 20)!r} not valid")
    elif c.same_site is None:
        probs.append("no SameSite")
    elif c.same_site == "none" and not c.secure:
        probs.append("SameSite=None without Secure (browsers reject it)")
    return case, probs


def cookie_issues(set_cookies: list[tuple[str, str]], *, https: bool) -> list[tuple[str, Issue]]:
    """(cookie name, issue) for each cookie with a problem; refused cookies are reported too."""
    stored, refused = jar(set_cookies)
    out: list[tuple[str, Issue]] = []
    for c in stored:
        case, probs = cookie_problems(c, https=https)
        if probs:
            out.append((c.name, Issue("headers.cookie.insecure", f"cookie {c.name}: " + ", ".join(probs), case)))
    for raw, reason in refused:
        name = raw.split("=", 1)[0].strip()[:40] or "(no name)"
        out.append((name, Issue("headers.cookie.insecure", f"cookie {name} refused by browsers: {reason}")))
    return out


def cors_issues(headers: Headers, *, origin_sent: str | None = None) -> list[Issue]:
    acao = [v.strip() for v in headers.get_all("access-control-allow-origin")]
    creds = any(v.strip().lower() == "true" for v in headers.get_all("access-control-allow-credentials"))
    if not acao or not creds:
        return []
    if "*" in acao:
        return [Issue("headers.cors.wildcard",
                      "Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true",
                      "wildcard_credentials")]
    if origin_sent and origin_sent in acao:
        return [Issue("headers.cors.wildcard",
                      f"any Origin is reflected ({origin_sent}) with credentials allowed")]
    if "null" in (a.lower() for a in acao):
        return [Issue("headers.cors.wildcard", "Access-Control-Allow-Origin: null with credentials")]
    return []


def sri_issues(markup: PageMarkup, page_url: str) -> list[Issue]:
    site = registrable_domain(urlsplit(page_url).hostname or "")
    host = (urlsplit(page_url).hostname or "").lower()
    missing: list[str] = []
    for s in markup.scripts:
        if not s.src or s.integrity:
            continue
        url = urljoin(page_url, s.src.strip())
        h = (urlsplit(url).hostname or "").lower()
        if urlsplit(url).scheme not in ("http", "https") or not h or h == host:
            continue
        if site is not None and registrable_domain(h) == site:
            continue
        missing.append(url)
    if not missing:
        return []
    insecure = any(u.startswith("http:") for u in missing)
    return [Issue("headers.sri.missing",
                  f"{len(missing)} third-party script(s) without integrity, e.g. {_clip(missing[0], 100)}",
                  "insecure_origin" if insecure else None)]


def mixed_content_issues(markup: PageMarkup, page_url: str) -> list[Issue]:
    if urlsplit(page_url).scheme != "https":
        return []
    found: list[tuple[str, str]] = []
    for tag, raw in [*markup.subresources, *(("form", a) for a in markup.form_actions)]:
        url = urljoin(page_url, raw.strip())
        if urlsplit(url).scheme == "http":
            found.append((tag, url))
    if not found:
        return []
    active = [f for f in found if f[0] in ACTIVE_MIXED]
    tag, url = (active or found)[0]
    return [Issue("headers.mixed_content", f"{len(found)} http:// resource(s) ({len(active)} active), "
                  f"e.g. <{tag}> {_clip(url, 100)}", None if active else "passive_only")]
