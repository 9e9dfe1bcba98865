"""One record per rule: every built-in check declares its rules as records (checks.rules), findings are
made from them, a missing record costs one finding's wording and never the check.

The session-wide half (a rule emitted without a record, a record no test emitted) is tests/rule_coverage.py,
wired in tests/conftest.py; its logic is tested here on made-up books so it is known to fail.
"""

from __future__ import annotations

import logging

import pytest

from checks.base import Check, Severity
from checks.rules import Observes, Rule, RuleBook, Variant, all_rulebooks
from tests import rule_coverage
from tests.observatory.support import by_rule
from tests.servers import serve

BUILTIN = rule_coverage.builtin_rulebooks()


def test_every_builtin_check_has_an_area_and_records():
    assert set(BUILTIN) >= {"accessibility", "content", "headers", "links", "personal_data", "software", "tls", "zap"}
    for name, (cls, book) in BUILTIN.items():
        assert cls.area, name
        assert book.area == cls.area, name
        assert len(book) > 0, name
        assert not hasattr(cls, "rules"), f"{name}: the unread Check.rules is gone"


@pytest.mark.parametrize("check,rule_id", [(n, r) for n, (_c, b) in sorted(BUILTIN.items()) for r in b])
def test_record_is_complete(check, rule_id):
    cls, book = BUILTIN[check]
    r = book[rule_id]
    assert r.id == rule_id and r.area == cls.area
    prefix = "pii" if cls.area == "pii" else cls.area
    assert rule_id.startswith(prefix + "."), rule_id
    assert isinstance(r.severity, Severity) and isinstance(r.observes, Observes)
    for text in (r.title, r.title_en, r.remediation, r.remediation_en):
        assert text.strip(), f"{rule_id}: empty text"
    assert r.title != r.title_en or "{" in r.title, f"{rule_id}: English title is a copy"
    for variant in r.variants.values():
        assert variant.title and variant.title_en and variant.remediation and variant.remediation_en
    for server, lines in r.server_lines.items():
        assert server in ("nginx", "apache") and lines.strip()
    for case, sev in r.cases.items():
        assert case.isidentifier() and sev != r.severity, f"{rule_id}: case {case} restates the default"


def test_all_rulebooks_offers_plugins_the_same_registry():
    books = all_rulebooks()
    for name, (_cls, book) in BUILTIN.items():
        assert books[name] is book


def test_finding_is_made_from_the_record_with_fields_and_variant():
    book = RuleBook("demo", [Rule("demo.thing", Severity.LOW, "Benda {n} rusak", "Thing {n} broken",
                                  "Perbaiki {n}", "Fix {n}", ("https://a.example/",), observes=Observes.SERVER,
                                  variants={"alt": Variant("Lain {n}", "Other {n}")})])
    assert book["demo.thing"].area == "demo"
    f = book["demo.thing"].finding("demo", fmt={"n": 3}, references=["CVE-1"], url="https://x/")
    assert (f.rule, f.severity, f.title, f.title_en, f.remediation) == \
        ("demo.thing", Severity.LOW, "Benda 3 rusak", "Thing 3 broken", "Perbaiki 3")
    assert f.references == ["https://a.example/", "CVE-1"]
    g = book["demo.thing"].finding("demo", fmt={"n": 1}, variant="alt", severity="high")
    assert (g.title, g.title_en, g.remediation, g.severity) == ("Lain 1", "Other 1", "Perbaiki 1", Severity.HIGH)
    assert book["demo.thing"].summary() == "Benda … rusak"
    cased = Rule("demo.cased", Severity.LOW, "t", "t en", cases={"worse": Severity.HIGH})
    assert cased.finding("demo", case="worse").severity == Severity.HIGH
    assert cased.finding("demo", case="worse", severity="info").severity == Severity.INFO  # data wins
    with pytest.raises(KeyError, match="not declared"):
        cased.finding("demo", case="invented")
    with pytest.raises(ValueError, match="twice"):
        RuleBook("demo", [book["demo.thing"], book["demo.thing"]])


def test_family_record_covers_open_ids():
    from checks.zap.records import RULEBOOK

    assert RULEBOOK.lookup("zap.10038").id == "zap.10038"
    assert RULEBOOK.lookup("zap.99999").id == "zap.*"
    f = RULEBOOK.lookup("zap.99999").finding("zap", rule_id="zap.99999", fmt={"name": "New", "solution": "Do"})
    assert f.rule == "zap.99999" and f.title == "Temuan ZAP: New" and f.title_en == "New"
    assert f.remediation_en == "Do"
    assert RuleBook("x", []).lookup("x.y") is None


class _Gappy(Check):
    name = "gappy"
    area = "demo"
    rulebook = RuleBook("demo", [Rule("demo.known", Severity.LOW, "Dikenal", "Known", "r", "r")])


def test_missing_record_yields_a_finding_and_an_error_log(caplog):
    with caplog.at_level(logging.ERROR, logger="ppid_auditor.checks"):
        f = _Gappy().finding_from("demo.unknown", url="https://x/", evidence="e")
    assert f.rule == "demo.unknown" and f.title == "demo.unknown" and f.url == "https://x/"
    assert "no rule record for demo.unknown" in caplog.text


def test_missing_record_does_not_take_the_headers_check_down(monkeypatch):
    """Without the record of one rule the headers check still reports every other rule."""
    from auditor.http import HttpClient
    from auditor.snapshot import Site
    from checks.headers import HeadersCheck
    from checks.headers.texts import RULEBOOK
    from tests.observatory.support import run_headers, snapshot

    gappy = RuleBook("headers", [r for rid, r in RULEBOOK.items() if rid != "headers.xcto.missing"])
    monkeypatch.setattr(HeadersCheck, "rulebook", gappy)
    with serve({"/": (200, [("Content-Type", "text/html")], "<html><body>hi</body></html>")}) as s:
        site = Site(name="t", url=s.url, pages=[snapshot(s.url, HttpClient(timeout_s=10)).pages[0]])
        res = run_headers(site)
    found = by_rule(res)
    assert "headers.xcto.missing" in found and found["headers.xcto.missing"].title == "headers.xcto.missing"
    assert {"headers.csp.missing", "headers.xfo.missing", "headers.referrer_policy.missing"} <= set(found)


def test_coverage_problems_name_both_gaps():
    book = RuleBook("demo", [Rule("demo.a", Severity.LOW, "A", "A en", "r", "r"),
                             Rule("demo.b", Severity.LOW, "B", "B en", "r", "r"),
                             Rule("demo.*", Severity.LOW, "F", "F en", "r", "r")])
    without, never = rule_coverage.problems(
        [("demo", "demo.a"), ("demo", "other.x"), ("demo", "demo.c.d"), ("plugin", "p.x")], {"demo": book})
    assert without == ["demo: other.x"]
    assert never == ["demo: demo.b"]
    assert rule_coverage.problems([("demo", "demo.a"), ("demo", "demo.b"), ("demo", "demo.z")],
                                  {"demo": book}) == ([], [])


def test_cases_never_seen_names_a_declared_severity_no_finding_carried():
    book = RuleBook("demo", [Rule("demo.a", Severity.LOW, "A", "A en", "r", "r",
                                  cases={"bad": Severity.HIGH, "mild": Severity.INFO})])
    seen = [("demo", "demo.a", "low"), ("demo", "demo.a", "high"), ("plugin", "demo.a", "info")]
    assert rule_coverage.cases_never_seen(seen, {"demo": book}) == ["demo: demo.a (case mild: info)"]
    assert rule_coverage.cases_never_seen([*seen, ("demo", "demo.a", "info")], {"demo": book}) == []


def test_session_collects_what_checks_emit():
    """The wrapper sees findings returned by a built-in check's run (this module ran one above)."""
    assert rule_coverage.EMITTED, "no built-in check ran through the coverage wrapper"
    assert all(isinstance(c, str) and "." in r for c, r in rule_coverage.EMITTED)
