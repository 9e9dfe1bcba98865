"""The headers check on real loopback servers: every rule positive and negative, malformed values."""

from __future__ import annotations

import random
import re

import pytest
from pydantic import ValidationError

from auditor.http import HttpClient
from auditor.snapshot import Headers, Site
from checks.base import CheckContext, CheckSkipped, Severity, discover_checks
from checks.headers import HeadersCheck, HeadersConfig, rules
from checks.headers import observatory as obs
from checks.headers.html import parse_markup
from checks.headers.scoring import GRADE_CHART, MINIMUM_SCORE_FOR_EXTRA_CREDIT, MODIFIERS, grade, letter_for
from checks.headers.texts import RULEBOOK
from tests.observatory.support import by_rule, nginx, run_headers, snapshot, write_pki
from tests.servers import free_port, need_peer, serve, tls_context, wait_port

HTML = "text/html; charset=utf-8"
ALL_RULES = set(RULEBOOK)
GOOD_HEADERS = [
    ("Content-Type", HTML), ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
    ("Content-Security-Policy", "default-src 'self'; object-src 'none'; frame-ancestors 'self'"),
    ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "SAMEORIGIN"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Set-Cookie", "PHPSESSID=abc; Path=/; Secure; HttpOnly; SameSite=Lax"),
]
GOOD_BODY = ('<html><head><script src="/js/app.js"></script>'
             '<script src="https://cdn.jsdelivr.net/npm/x.js" integrity="sha384-abc" crossorigin="anonymous">'
             '</script></head><body><img src="/logo.png"><form action="/cari"></form></body></html>')
BAD_BODY = ('<html><head><script src="http://cdn.example.com/jquery.js"></script>'
            '<script src="https://cdn.jsdelivr.net/npm/y.js"></script></head>'
            '<body><img src="http://img.example.com/a.png"></body></html>')


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    ca_crt, crt, key = write_pki(d)
    return ca_crt, crt, key, tls_context(crt, key)


def crawl(base: str, paths: list[str]) -> Site:
    http = HttpClient(timeout_s=10)
    pages = [snapshot(base + p.lstrip("/"), http).pages[0] for p in paths]
    return Site(name="t", url=base, pages=pages)


def run(site: Site, ca, **cfg):
    closed = free_port()
    cfg.setdefault("http_url", f"http://127.0.0.1:{closed}/")
    cfg.setdefault("https_url", f"https://127.0.0.1:{closed}/")
    return run_headers(site, ca_file=ca, **cfg)


def test_good_site_has_only_the_grade(pki):
    ca, *_, tls = pki
    with serve({"/": (200, GOOD_HEADERS, GOOD_BODY), "/profil": (200, GOOD_HEADERS, GOOD_BODY)}, tls=tls) as s:
        res = run(crawl(s.url, ["/", "/profil"]), ca)
    found = by_rule(res)
    assert set(found) == {"headers.grade"}, {r: f.evidence for r, f in found.items()}
    g = found["headers.grade"]
    assert g.severity == Severity.INFO
    assert re.fullmatch(r"Nilai header keamanan: [A-F][+-]? \(\d+\)", g.title)
    assert g.data["observatory_version"] == "1.4.8" and g.data["score"] == res.facts.grade.score


def test_bad_site_every_rule_once_per_site(pki):
    ca, *_, tls = pki
    hdrs = [("Content-Type", HTML), ("Set-Cookie", "PHPSESSID=abc; path=/"),
            ("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "true"),
            ("Content-Security-Policy-Report-Only", "default-src 'self'")]
    with serve({"/": (200, hdrs, BAD_BODY), "/profil": (200, hdrs, BAD_BODY)}, tls=tls) as s:
        res = run(crawl(s.url, ["/profil", "/"]), ca)
    found = by_rule(res)
    expected = {"headers.hsts.missing", "headers.csp.missing", "headers.xcto.missing", "headers.xfo.missing",
                "headers.referrer_policy.missing", "headers.cookie.insecure", "headers.cors.wildcard",
                "headers.sri.missing", "headers.mixed_content", "headers.grade"}
    assert set(found) == expected
    assert len(res.findings) == len(expected)  # one per rule per site, not one per page
    for rule in expected - {"headers.grade"}:
        f = found[rule]
        assert f.url.endswith("/") and f.data["pages"] == 2 and len(f.data["urls"]) == 2
        assert "nginx" in f.remediation and "add_header" in f.remediation or "proxy_cookie" in f.remediation
        assert "Apache" in f.remediation_en and any("mozilla.org" in r for r in f.references)
        assert any("owasp.org" in r for r in f.references)
    assert "Report-Only" in found["headers.csp.missing"].evidence
    assert found["headers.cookie.insecure"].severity == Severity.MEDIUM  # session cookie, no Secure/HttpOnly
    assert found["headers.mixed_content"].severity == Severity.MEDIUM  # an http script is active content
    assert res.facts.grade.grade == "F"


def test_malformed_values_are_findings_not_crashes(pki):
    ca, *_, tls = pki
    hdrs = [("Content-Type", HTML),
            ("Strict-Transport-Security", "max-age=abc; includeSubDomains"),
            ("Strict-Transport-Security", "max-age=31536000"),
            ("Content-Security-Policy", "script-src 'self' 'unsafe-inline'; script-src 'none'; defualt-src x"),
            ("X-Frame-Options", "ALLOW-FROM https://example.com"),
            ("X-Content-Type-Options", "nosniff"), ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "unsafe-url"),
            ("Set-Cookie", "sid=1; Secure; SameSite=Bogus"), ("Set-Cookie", "__Host-x=1; Path=/"),
            ("Set-Cookie", "=novalue")]
    with serve({"/": (200, hdrs, "<html><body>ok</body></html>")}, tls=tls) as s:
        res = run(crawl(s.url, ["/"]), ca)
    found = by_rule(res)
    ev = {r: f.evidence for r, f in found.items()}
    assert "max-age is not a number" in ev["headers.hsts.invalid"] and "2 times" in ev["headers.hsts.invalid"]
    assert "duplicate directive script-src" in ev["headers.csp.unsafe"]
    assert "unknown directive defualt-src" in ev["headers.csp.unsafe"]
    assert "'unsafe-inline' in script-src" in ev["headers.csp.unsafe"]
    assert "ALLOW-FROM" in ev["headers.xfo.missing"]
    assert "2 times" in ev["headers.xcto.missing"]
    assert "unsafe-url" in ev["headers.referrer_policy.unsafe"]
    details = " ".join(found["headers.cookie.insecure"].data["details"])
    assert "SameSite='Bogus' not valid" in details and "__Host- prefix" in details and "cannot be parsed" in details
    # The Observatory reads the duplicated HSTS as invalid, whatever max-age says.
    assert res.facts.grade.tests["strict-transport-security"] == "hsts-header-invalid"


def test_hsts_short_and_preload_facts(pki):
    ca, *_, tls = pki
    short = [("Content-Type", HTML), ("Strict-Transport-Security", "max-age=300")]
    full = [("Content-Type", HTML), ("Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload")]
    with serve({"/": (200, short, "<p>x</p>"), "/full": (200, full, "<p>x</p>")}, tls=tls) as s:
        res_short = run(crawl(s.url, ["/"]), ca)
        res_full = run(Site("t", s.url + "full", pages=crawl(s.url, ["/full"]).pages), ca)
    assert "shorter than" in by_rule(res_short)["headers.hsts.invalid"].evidence
    assert res_short.facts.hsts.preload_ready is False and res_short.facts.hsts.max_age == 300
    assert "headers.hsts.invalid" not in by_rule(res_full) and "headers.hsts.missing" not in by_rule(res_full)
    assert res_full.facts.hsts.preload_ready is True


def test_http_site_has_no_hsts_or_mixed_content_rule():
    with serve({"/": (200, {"Content-Type": HTML}, BAD_BODY)}) as s:
        res = run(crawl(s.url, ["/"]), None)
    found = by_rule(res)
    assert "headers.hsts.missing" not in found and "headers.mixed_content" not in found  # tls.* owns http
    assert res.facts.grade.tests["redirection"] == "redirection-missing"
    assert not any(f.rule.startswith("tls.") or "software" in f.rule for f in res.findings)


def test_cors_reflected_origin_probe():
    def reflect(handler):
        origin = handler.headers.get("Origin")
        extra = [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true")]
        return 200, [("Content-Type", HTML), *(extra if origin else [])], "<p>x</p>"

    with serve({"/": reflect}) as s:
        site = crawl(s.url, ["/"])
        on = by_rule(run(site, None))
        off = by_rule(run(site, None, probe_cors=False))
    assert on["headers.cors.wildcard"].severity == Severity.HIGH
    assert "reflected" in on["headers.cors.wildcard"].evidence
    assert "headers.cors.wildcard" not in off


def test_redirect_probe_follows_configured_http_url(pki):
    ca, *_, tls = pki
    with serve({"/": (200, GOOD_HEADERS, GOOD_BODY)}, tls=tls) as s:
        with serve({"/": (301, {"Location": s.url}, b"")}) as plain:
            site = crawl(s.url, ["/"])
            res = run(site, ca, http_url=plain.url)
            untrusted = run(site, None, http_url=plain.url)  # no CA given: the chain is not trusted
    assert res.facts.grade.tests["redirection"] == "redirection-to-https"
    assert untrusted.facts.grade.tests["redirection"] == "redirection-invalid-cert"
    assert untrusted.facts.grade.tests["strict-transport-security"] == "hsts-invalid-cert"


def _nginx_lines(rule: str) -> str:
    return RULEBOOK[rule].server_lines["nginx"]


def test_nginx_remediation_lines_fix_their_rules(pki, tmp_path):
    """The add_header lines we recommend, pasted into nginx, make those findings go away."""
    need_peer("nginx")
    ca, crt, key, _ = pki
    fixed_rules = ["headers.hsts.missing", "headers.csp.missing", "headers.xcto.missing", "headers.xfo.missing",
                   "headers.referrer_policy.missing"]
    root = tmp_path / "www"
    root.mkdir()
    (root / "index.html").write_text("<html><body><h1>PPID</h1></body></html>")
    bare, fixed = free_port(), free_port()
    lines = "\n".join(_nginx_lines(r) for r in fixed_rules)
    servers = f"""
    server {{ listen 127.0.0.1:{bare} ssl; ssl_certificate {crt}; ssl_certificate_key {key};
              location / {{ root {root}; }} }}
    server {{ listen 127.0.0.1:{fixed} ssl; ssl_certificate {crt}; ssl_certificate_key {key};
              {lines}
              location / {{ root {root}; }} }}"""
    with nginx(servers, tmp_path / "nginx"):
        wait_port(bare)
        wait_port(fixed)
        before = by_rule(run(crawl(f"https://127.0.0.1:{bare}/", ["/"]), ca))
        after = run(crawl(f"https://127.0.0.1:{fixed}/", ["/"]), ca)
    assert set(fixed_rules) <= set(before)
    assert not set(fixed_rules) & set(by_rule(after)), {f.rule: f.evidence for f in after.findings}
    assert after.facts.grade.score > 0


def test_fingerprints_stable_across_runs_and_page_order(pki):
    ca, *_, tls = pki
    hdrs = [("Content-Type", HTML)]
    with serve({"/": (200, hdrs, BAD_BODY), "/a": (200, hdrs, BAD_BODY), "/b": (200, hdrs, "<p>x</p>")},
               tls=tls) as s:
        one = run(crawl(s.url, ["/", "/a", "/b"]), ca)
        two = run(crawl(s.url, ["/b", "/a", "/"]), ca)
    assert {f.rule: f.fingerprint for f in one.findings} == {f.rule: f.fingerprint for f in two.findings}


def test_skipped_without_pages_and_registered_entry_point():
    ctx = CheckContext(site=Site("t", "http://127.0.0.1:1/"), config=HeadersConfig(), http=HttpClient(),
                       site_config=None)
    with pytest.raises(CheckSkipped):
        HeadersCheck().run(ctx)
    assert discover_checks()["headers"].cls is HeadersCheck
    with pytest.raises(ValidationError):
        HeadersConfig(no_such_option=1)


# --- pure functions ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value,expect", [
    ("max-age=31536000", None), ("max-age=300", "shorter"), ("max-age=abc", "not a number"),
    ("includeSubDomains", "max-age missing"), ("", "max-age missing"), ('max-age="31536000"', None),
    ("max-age=-1", "not a number"), ("max-age=31536000; max-age=1", "repeated"),
])
def test_hsts_values(value, expect):
    issues = rules.hsts_issues(Headers([("Strict-Transport-Security", value)]))
    if expect is None:
        assert issues == []
    else:
        assert len(issues) == 1 and issues[0].rule == "headers.hsts.invalid" and expect in issues[0].detail


@pytest.mark.parametrize("values,ok", [
    (["DENY"], True), (["sameorigin"], True), (["DENY", "DENY"], True), (["DENY", "SAMEORIGIN"], False),
    (["ALLOW-FROM https://x"], False), (["bogus"], False), ([], False),
])
def test_xfo_values(values, ok):
    issues = rules.xfo_issues(Headers([("X-Frame-Options", v) for v in values]))
    assert (issues == []) is ok


@pytest.mark.parametrize("values,rule", [
    (["strict-origin-when-cross-origin"], None), (["no-referrer, unsafe-url"], "headers.referrer_policy.unsafe"),
    (["unsafe-url, no-referrer"], None), (["bogus"], "headers.referrer_policy.unsafe"),
    ([], "headers.referrer_policy.missing"),
])
def test_referrer_values(values, rule):
    issues = [i for i in rules.referrer_issues(Headers([("Referrer-Policy", v) for v in values]), None)
              if i.severity > Severity.INFO]
    assert [i.rule for i in issues] == ([rule] if rule else [])


def test_csp_nonce_makes_unsafe_inline_harmless_and_wildcards_flagged():
    ok = rules.csp_issues(Headers([("Content-Security-Policy",
                                    "script-src 'nonce-r4nd' 'unsafe-inline'; object-src 'none'")]), None, https=True)
    bad = rules.csp_issues(Headers([("Content-Security-Policy", "default-src * http://x.example")]), None,
                           https=True)
    assert ok == []
    assert bad and "overly broad" in bad[0].detail and "http://x.example" in bad[0].detail


def test_fuzzed_headers_never_crash():
    rnd = random.Random(4)
    alphabet = "abc;=,'\" -:/*\x00\x7f\u00e9\r\t0123456789" + "max-age=includeSubDomains'unsafe-inline'"
    names = ["Strict-Transport-Security", "Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options",
             "Referrer-Policy", "Set-Cookie", "Access-Control-Allow-Origin", "Cross-Origin-Resource-Policy",
             "Content-Security-Policy-Report-Only", "Content-Type"]
    for _ in range(300):
        items = [(rnd.choice(names), "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 60))))
                 for _ in range(rnd.randint(0, 8))]
        h = Headers(items)
        body = "".join(rnd.choice("<script src='//x'>meta http-equiv content=\"a\"") for _ in range(80))
        o = obs.Observed("https://127.0.0.1/", "https://127.0.0.1/", 200, h, body)
        inp = obs.ScanInput("127.0.0.1", o, o, None, cors=h,
                            set_cookies=[(v, o.final_url) for v in h.get_all("set-cookie")])
        g, results = obs.score(inp)
        assert set(results) == set(MODIFIERS) and g.letter in GRADE_CHART.values()
        rules.hsts_issues(h)
        rules.csp_issues(h, None, https=True)
        rules.xfo_issues(h)
        rules.xcto_issues(h)
        rules.referrer_issues(h, None)
        rules.cookie_issues(inp.set_cookies, https=True)
        rules.cors_issues(h, origin_sent="https://x")


def test_grade_extra_credit_rule_follows_the_table():
    best = {t: max(m, key=m.get) for t, m in MODIFIERS.items()}
    bonus = sum(MODIFIERS[t][e] for t, e in best.items())
    assert grade(best).score == 100 + bonus and grade(best).letter == GRADE_CHART[100]
    # One penalty that drops the uncurved score below the extra-credit minimum cancels every bonus.
    test, exp = next((t, e) for t, m in MODIFIERS.items() for e, v in m.items()
                     if 100 + v < MINIMUM_SCORE_FOR_EXTRA_CREDIT)
    penalised = dict(best, **{test: exp})
    assert grade(penalised).score == 100 + MODIFIERS[test][exp]
    for lower, letter in GRADE_CHART.items():
        assert letter_for(lower) == letter and letter_for(lower + 4) == letter
    assert letter_for(-30) == GRADE_CHART[0]


def test_http_variant_is_probed_once_for_headers_and_tls(pki):
    """tls and headers both judge how http:// answers: one request, shared through the run's client."""
    from checks.tls import TlsCheck, TlsConfig
    from tests.test_tls_helpers import scan_for

    ca, *_, tls = pki
    with serve({"/": (200, GOOD_HEADERS, GOOD_BODY)}, tls=tls) as s:
        with serve({"/": (301, {"Location": s.url}, b"")}) as plain:
            site = crawl(s.url, ["/"])
            http = HttpClient(timeout_s=10)
            headers = run_headers(site, http, ca_file=ca, http_url=plain.url, https_url=s.url)
            scan = scan_for(s.url, ca_file=ca)
            ctx = CheckContext(site=site, config=TlsConfig(ca_file=ca, http_url=plain.url, check_hsts_preload=False),
                               http=http, site_config=None)
            tls_res = TlsCheck().evaluate(ctx, scan)
            asked = plain.stats["requests"]
    assert headers.facts.grade.tests["redirection"] == "redirection-to-https"
    assert tls_res.facts.redirect.to_https is True and tls_res.facts.redirect.final_url == s.url
    assert asked == 1


def _h(*pairs):
    return Headers(list(pairs))


# One input per severity a headers rule can take: its default and every case its record declares.
SEVERITY_CASES = [
    ("headers.hsts.invalid", None, lambda: rules.hsts_issues(_h(("Strict-Transport-Security", "max-age=600")))),
    ("headers.hsts.invalid", "no_max_age", lambda: rules.hsts_issues(_h(("Strict-Transport-Security", "preload")))),
    ("headers.csp.unsafe", None,
     lambda: rules.csp_issues(_h(("Content-Security-Policy", "script-src 'unsafe-inline'")), None, https=True)),
    ("headers.csp.unsafe", "no_script_hole",
     lambda: rules.csp_issues(_h(("Content-Security-Policy", "default-src 'self'; object-src 'none'; scrpt-src x")),
                              None, https=True)),
    ("headers.referrer_policy.unsafe", None, lambda: rules.referrer_issues(_h(("Referrer-Policy", "unsafe-url")), None)),
    ("headers.referrer_policy.unsafe", "unknown_extra",
     lambda: rules.referrer_issues(_h(("Referrer-Policy", "bogus, same-origin")), None)),
    ("headers.cookie.insecure", None,
     lambda: [i for _n, i in rules.cookie_issues([("lang=id; Path=/", "https://x/")], https=True)]),
    ("headers.cookie.insecure", "session_cookie",
     lambda: [i for _n, i in rules.cookie_issues([("PHPSESSID=1; Path=/", "https://x/")], https=True)]),
    ("headers.cors.wildcard", None,
     lambda: rules.cors_issues(_h(("Access-Control-Allow-Origin", "null"),
                                  ("Access-Control-Allow-Credentials", "true")))),
    ("headers.cors.wildcard", "wildcard_credentials",
     lambda: rules.cors_issues(_h(("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "true")))),
    ("headers.sri.missing", None,
     lambda: rules.sri_issues(parse_markup('<script src="https://cdn.example.net/a.js"></script>'), "https://desa.id/")),
    ("headers.sri.missing", "insecure_origin",
     lambda: rules.sri_issues(parse_markup('<script src="http://cdn.example.net/a.js"></script>'), "https://desa.id/")),
    ("headers.mixed_content", None,
     lambda: rules.mixed_content_issues(parse_markup('<script src="http://desa.id/a.js"></script>'),
                                        "https://desa.id/")),
    ("headers.mixed_content", "passive_only",
     lambda: rules.mixed_content_issues(parse_markup('<img src="http://desa.id/a.png">'), "https://desa.id/")),
]


@pytest.mark.parametrize("rule,case,make", SEVERITY_CASES, ids=[f"{r}:{c}" for r, c, _m in SEVERITY_CASES])
def test_each_severity_comes_from_the_record(rule, case, make):
    issues = [i for i in make() if i.rule == rule]
    assert len(issues) == 1, issues
    assert issues[0].case == case
    assert issues[0].severity == RULEBOOK[rule].severity_of(case)


def test_every_declared_severity_case_is_exercised():
    declared = {(rid, c) for rid, r in RULEBOOK.items() for c in r.cases}
    assert declared == {(r, c) for r, c, _m in SEVERITY_CASES if c is not None}


def test_check_lowers_severity_only_by_the_records_cases(pki):
    """Through the whole check: syntax-only CSP, an extra unknown Referrer-Policy token and passive mixed
    content are reported at the lowered severities their records declare."""
    ca, *_, tls = pki
    hdrs = [("Content-Type", HTML), ("Strict-Transport-Security", "max-age=31536000"),
            ("Content-Security-Policy", "default-src 'self'; object-src 'none'; frame-ancestors 'self'; scrpt-src x"),
            ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "bogus, same-origin")]
    body = '<html><body><img src="http://img.example.com/a.png"></body></html>'
    with serve({"/": (200, hdrs, body)}, tls=tls) as s:
        found = by_rule(run(crawl(s.url, ["/"]), ca))
    sev = {r: found[r].severity for r in ("headers.csp.unsafe", "headers.referrer_policy.unsafe",
                                          "headers.mixed_content")}
    assert sev == {"headers.csp.unsafe": Severity.LOW, "headers.referrer_policy.unsafe": Severity.INFO,
                   "headers.mixed_content": Severity.LOW}
