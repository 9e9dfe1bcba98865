"""Property tests (Hypothesis, `ci` profile: fixed seed) for the parsers that read what hostile or broken
web servers send: HTML links, dates and meta; the Indonesian date parser; CSP, HSTS and Set-Cookie. None
of them may raise (CSP: only its documented `CspParseError`, one line)."""

from __future__ import annotations

from datetime import date

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from auditor.crawl_parse import parse_html, parse_robots, parse_sitemap  # noqa: E402
from auditor.htmldoc import parse_document  # noqa: E402
from auditor.snapshot import Headers  # noqa: E402
from checks.content.dates import MONTHS, find_dates, parse_date, parse_machine_date  # noqa: E402
from checks.content.evidence import structured_evidence, text_evidence  # noqa: E402
from checks.facts import HstsFacts  # noqa: E402
from checks.headers.cookies import has_invalid_samesite, jar, parse_set_cookie  # noqa: E402
from checks.headers.csp import CspParseError, analyse_policy, parse_csp_observatory, split_policies  # noqa: E402
from checks.headers.html import parse_markup  # noqa: E402
from checks.headers.rules import hsts_facts, hsts_issues  # noqa: E402

BASE = "http://127.0.0.1:8000/berita/"
ATTR_VALUES = (st.text(max_size=40) | st.sampled_from([
    "/a", "../../x", "javascript:alert(1)", "//127.0.0.1:9/", "http://[::1", "http://x:99999/", "mailto:a@b",
    "#frag", "?q=1&q=2", "data:text/html,x", "%zz", "http://127.0.0.1:8000/" + "a/" * 40, "2026-08-17",
    "17 Agustus 2026", "D:20260817", "Mon, 17 Aug 2026 10:00:00 +0700", "\x00", "http://127.0.0.1/\n/x"]))
TAGS = st.sampled_from(["a", "area", "img", "script", "link", "iframe", "frame", "form", "meta", "time", "base",
                        "title", "p", "div", "noscript", "template", "svg", "object"])
ATTRS = st.sampled_from(["href", "src", "action", "data", "content", "name", "property", "itemprop", "datetime",
                         "rel", "http-equiv", "charset"])


@st.composite
def html_docs(draw) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 12))):
        tag = draw(TAGS)
        attrs = " ".join(f'{draw(ATTRS)}="{draw(ATTR_VALUES).replace(chr(34), "")}"'
                         for _ in range(draw(st.integers(0, 3))))
        body = draw(st.text(max_size=30) | ATTR_VALUES)
        close = draw(st.booleans())
        parts.append(f"<{tag} {attrs}>{body}" + (f"</{tag}>" if close else ""))
    if draw(st.booleans()):
        parts.append('<script type="application/ld+json">' + draw(st.text(max_size=60) | st.sampled_from([
            '{"dateModified": "2026-02-30"}', '{"@graph": [{"datePublished": 5}]}', "[[[[[]]]]]", "null"]))
                     + "</script>")
    return draw(st.sampled_from(["", "<html><head>", "<!doctype html>"])) + "".join(parts)


ANY_HTML = html_docs() | st.text(max_size=300)


@given(ANY_HTML)
def test_html_link_extraction_never_raises(text: str) -> None:
    parsed = parse_html(text, BASE)
    assert all(isinstance(link.url, str) for link in parsed.links)
    for url, kind in parsed.follow:
        assert url.startswith(("http://", "https://")) and kind


@given(ANY_HTML)
def test_html_meta_and_date_extraction_never_raise(text: str) -> None:
    parse_markup(text)
    root = parse_document(text)
    if root is not None:
        structured_evidence(root, BASE)
    text_evidence(text, BASE, today=date(2026, 12, 5), fetched=date(2026, 12, 5))


@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_sitemap_and_robots_never_raise(data: bytes) -> None:
    parse_sitemap(data)
    parse_robots(data.decode("utf-8", "replace"), "http://127.0.0.1:8000/robots.txt")


# --- the Indonesian date parser --------------------------------------------------------------------------
DATE_TEXT = st.text(max_size=80) | st.lists(
    st.sampled_from(sorted(MONTHS)) | st.integers(0, 3000).map(str) | st.sampled_from(
        ["/", "-", ".", " ", ", ", "Senin", "Jum'at", "tanggal", "Diperbarui", "T", ":", "+07:00", "D:"]),
    max_size=8).map("".join)


@given(DATE_TEXT)
def test_date_parser_never_raises_and_returns_dates(text: str) -> None:
    for found in find_dates(text, month_precision=True):
        assert isinstance(found.value, date) and 1990 <= found.value.year <= 2100
    assert parse_date(text) is None or isinstance(parse_date(text), date)
    assert parse_machine_date(text) is None or isinstance(parse_machine_date(text), date)


NAMES = {1: "Januari", 2: "Februari", 3: "Maret", 4: "April", 5: "Mei", 6: "Juni", 7: "Juli", 8: "Agustus",
         9: "September", 10: "Oktober", 11: "November", 12: "Desember"}


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)), st.text(max_size=10).filter(
    lambda s: not any(ch.isalnum() for ch in s)))
def test_written_indonesian_dates_round_trip(d: date, noise: str) -> None:
    assert parse_date(f"{noise} {d.day} {NAMES[d.month]} {d.year} {noise}") == d
    assert parse_date(f"{d.day:02d}/{d.month:02d}/{d.year}") == d
    assert parse_machine_date(d.isoformat()) == d


# --- CSP, HSTS, cookies -------------------------------------------------------------------------------------
CSP_TEXT = st.text(max_size=120) | st.lists(st.sampled_from([
    "default-src", "script-src", "'self'", "'unsafe-inline'", "'nonce-abc'", "https:", "*", ";", " ",
    "object-src 'none'", "frame-ancestors", "report-uri /r", "'sha256-x'", "data:", "http://127.0.0.1"]),
    max_size=12).map(" ".join)


@given(st.lists(CSP_TEXT, max_size=3), st.booleans())
def test_csp_parsers_raise_only_csp_parse_error(values: list[str], https: bool) -> None:
    for policy in split_policies(values):
        analyse_policy(policy, https=https)
    try:
        parse_csp_observatory(values)
    except CspParseError as exc:
        assert str(exc) and "\n" not in str(exc).replace("\\n", "")


HSTS_TEXT = st.text(max_size=80) | st.lists(st.sampled_from([
    "max-age=", "31536000", "-1", "\"1\"", "includeSubDomains", "preload", ";", ",", " ", "max-age=0"]),
    max_size=8).map("".join)


@given(st.lists(HSTS_TEXT, max_size=3))
def test_hsts_parser_never_raises(values: list[str]) -> None:
    headers = Headers([("Strict-Transport-Security", v) for v in values])
    hsts_issues(headers)
    facts = hsts_facts(headers)
    assert isinstance(facts, HstsFacts)


@given(st.integers(15768000, 10**10), st.booleans())
def test_long_hsts_is_clean(max_age: int, sub: bool) -> None:
    value = f"max-age={max_age}" + ("; includeSubDomains" if sub else "")
    assert hsts_issues(Headers([("Strict-Transport-Security", value)])) == []


COOKIE_TEXT = st.text(max_size=80) | st.lists(st.sampled_from([
    "sid=1", "=x", ";", " ", "Secure", "HttpOnly", "SameSite=", "None", "Lax", "Strict", "Domain=", "Path=/",
    "Expires=Wed, 21 Oct 2015 07:28:00 GMT", "Max-Age=-5", "__Host-", "__Secure-", "\x00", "csrf_token=a"]),
    max_size=10).map("".join)


@given(st.lists(COOKIE_TEXT, max_size=4), st.sampled_from([BASE, "https://127.0.0.1/", "http://[::1]:1/x/y"]))
def test_cookie_parsers_never_raise(values: list[str], request_url: str) -> None:
    """Set-Cookie is hostile input; the request URL is one we fetched (always a valid URL)."""
    for raw in values:
        parse_set_cookie(raw)
        has_invalid_samesite(raw)
    jar([(v, request_url) for v in values])


def test_malformed_http_link_does_not_lose_the_page() -> None:
    """Found by `test_html_link_extraction_never_raises`: `href="http://["` used to raise for the whole page."""
    parsed = parse_html('<a href="http://[">x</a> <a href="/ok">ok</a>', BASE)
    assert [link.url for link in parsed.links] == ["http://127.0.0.1:8000/ok"]
