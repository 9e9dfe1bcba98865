"""The accessibility check: static per-rule counts on generated pages, compared with axe-core run in
Debian's Chromium on the same pages served on loopback; one finding per rule per site through `scan`."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from auditor.cli import main
from checks.accessibility.static import AXE_RULE, audit_page
from tests.a11y_pages import make_page, make_pages
from tests.servers import NODE_BIN, need_peer, serve

AXE_JS = NODE_BIN.parent / "axe-core" / "axe.min.js"


def routes(pages) -> dict:
    return {p.path: (200, {"Content-Type": "text/html; charset=utf-8"}, p.html) for p in pages}


def test_static_counts_match_the_generator() -> None:
    for page in make_pages(30, seed=7):
        assert audit_page(page.html).counts == page.expected, page.path


def test_a_clean_page_has_no_defects() -> None:
    page = make_page(0, random.Random(1), clean=True)
    assert audit_page(page.html).counts == dict.fromkeys(AXE_RULE, 0)


@pytest.mark.integration
def test_counts_equal_axe_core_in_chromium() -> None:
    """Ten pages with known defects and one clean page: for every rule kind, our count on each page equals
    the number of nodes axe-core reports for the matching axe rules."""
    from checks.accessibility.axe import AxeBrowser

    chromium, driver = need_peer("chromium"), need_peer("chromedriver")
    need_peer("axe.min.js", str(AXE_JS))

    pages = make_pages(10) + [make_page(10, random.Random(3), clean=True)]
    assert sum(sum(p.expected.values()) for p in pages) > 20  # the corpus really has defects of every kind
    assert all(any(p.expected[r] for p in pages) for r in AXE_RULE)
    with serve(routes(pages)) as srv, AxeBrowser(AXE_JS, chromium, driver) as browser:
        for page in pages:
            axe = browser.run(srv.url.rstrip("/") + page.path)
            ours = audit_page(page.html).counts
            theirs = {rule: sum(axe.get(r, 0) for r in axe_rules) for rule, axe_rules in AXE_RULE.items()}
            assert ours == theirs, (page.path, ours, theirs)
    assert sum(pages[-1].expected.values()) == 0


def test_scan_makes_one_finding_per_rule_per_site(tmp_path: Path) -> None:
    pages = make_pages(10)
    index = ("<!DOCTYPE html><html lang='id'><head><title>Beranda</title></head><body><h1>Beranda</h1>"
             + "".join(f"<a href='{p.path}'>Halaman {i}</a> " for i, p in enumerate(pages)) + "</body></html>")
    r = routes(pages)
    r["/"] = (200, {"Content-Type": "text/html; charset=utf-8"}, index)
    with serve(r) as srv:
        cfg = tmp_path / "config.yaml"
        cfg.write_text(f"sites:\n  - name: contoh\n    url: {srv.url}\ncrawl:\n  max_pages: 50\n"
                       f"checks:\n  enabled: [accessibility]\nstorage:\n  database: {tmp_path / 'db.sqlite'}\n")
        assert main(["scan", "--config", str(cfg), "--quiet", "--json", str(tmp_path / "f.json")]) == 0
    findings = json.loads((tmp_path / "f.json").read_text())["findings"]
    by_rule = {f["rule"]: f for f in findings}
    assert len(by_rule) == len(findings)  # one per rule
    for rule in AXE_RULE:
        expected = sum(p.expected[rule] for p in pages)
        affected = sorted(srv.url.rstrip("/") + p.path for p in pages if p.expected[rule])
        if not expected:
            assert rule not in by_rule
            continue
        f = by_rule[rule]
        assert f["data"]["count"] == expected and sorted(f["data"]["per_page"]) == affected, rule
        assert f["check"] == "accessibility" and str(expected) in f["title"]


@pytest.mark.integration
def test_axe_mode_stores_axe_counts_next_to_ours(tmp_path: Path) -> None:
    """With `axe: true` the check also runs axe-core in Chromium on a sample of pages (facts only)."""
    need_peer("chromium"), need_peer("chromedriver"), need_peer("axe.min.js", str(AXE_JS))
    pages = make_pages(3, seed=5)
    r = routes(pages)
    r["/"] = (200, {"Content-Type": "text/html; charset=utf-8"},
              "<!DOCTYPE html><html lang='id'><head><title>Beranda</title></head><body><h1>Beranda</h1>"
              + "".join(f"<a href='{p.path}'>Halaman {i}</a> " for i, p in enumerate(pages)) + "</body></html>")
    with serve(r) as srv:
        cfg = tmp_path / "config.yaml"
        cfg.write_text(f"sites:\n  - name: contoh\n    url: {srv.url}\ncrawl:\n  max_pages: 10\n"
                       f"checks:\n  enabled: [accessibility]\n  accessibility:\n    axe: true\n    axe_sample: 4\n"
                       f"    axe_script: {AXE_JS}\nstorage:\n  database: {tmp_path / 'db.sqlite'}\n")
        assert main(["scan", "--config", str(cfg), "--quiet"]) == 0
    from auditor.store import Store

    store = Store(tmp_path / "db.sqlite")
    facts = store.facts(store.latest_run("contoh").id)["accessibility"]
    axe = facts["axe"]["pages"]
    assert len(axe) == 4
    for p in pages:
        url = srv.url.rstrip("/") + p.path
        theirs = {rule: sum(axe[url].get(r, 0) for r in axe_rules) for rule, axe_rules in AXE_RULE.items()}
        assert theirs == p.expected, url
