"""Mandatory information, the PPID menu and the annual service report, on generated sites whose truth is
known. Table-driven over checks/content/mandatory.yaml, so a new item gets its test by construction."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from auditor.http import HttpClient
from auditor.snapshot import Link, Site
from checks.base import CheckContext
from checks.content import ContentCheck, ContentConfig
from checks.content.compliance import ANNUAL_REPORT_ID, MENU_TARGETS
from checks.content.mandatory import load
from tests.content_sites import BASE, page

TODAY = datetime(2026, 8, 20, 10, 0, tzinfo=UTC)
ENTRIES = load()
COMPLIANCE_RULES = ("content.mandatory.missing", "content.ppid_menu.missing", "content.ppid_menu.incomplete",
                    "content.annual_report.missing", "content.annual_report.late")


def item_title(entry) -> str:
    return entry.match[0].title() + (" Tahun 2025" if entry.id == ANNUAL_REPORT_ID else "")


def make_site(*, drop_item: str | None = None, drop_menu: str | None = None, no_ppid_nav: bool = False,
              annual_published: str = "2026-03-10") -> Site:
    """Every mandatory item as a page; a site title "PPID Kalurahan ..." linking home (not the PPID
    section); a header menu with a PPID entry whose page links to the DIP, DIK,
    SOPs and forms; a site map in the home page's body links every item (so an item left out of the PPID
    page is still published)."""
    items = [e for e in ENTRIES if e.id != drop_item]
    pages = {}
    for e in items:
        body = (f"<p>Diterbitkan <time datetime='{annual_published}'>{annual_published}</time></p>"
                if e.id == ANNUAL_REPORT_ID else "<p>Isi informasi.</p>")
        pages[e.id] = page(f"/info/{e.id}", item_title(e), body)
    ppid_links = [Link(pages[t].url, pages[t].title) for t in MENU_TARGETS if t in pages and t != drop_menu]
    ppid = page("/ppid", "Pejabat Pengelola Informasi dan Dokumentasi",
                "".join(f"<a href='{lk.url}'>{lk.text}</a>" for lk in ppid_links), links=ppid_links)
    nav = "" if no_ppid_nav else f"<a href='{BASE}/ppid'>PPID</a>"
    sitemap = "".join(f"<a href='{p.url}'>{p.title}</a>" for p in pages.values())
    home = page("/", "Beranda Kalurahan Contoh",
                f"<header><a href='{BASE}/'>PPID Kalurahan Contoh</a><nav><a href='{BASE}/'>Beranda</a> {nav}</nav>"
                f"</header><main>{sitemap}</main>",
                links=[Link(BASE + "/ppid", "PPID")] + [Link(p.url, p.title) for p in pages.values()])
    return Site(name="contoh", url=BASE + "/", pages=[home, ppid, *pages.values()],
                started=datetime(2026, 8, 20, tzinfo=UTC))


def run(s: Site, tmp_path: Path, now: datetime = TODAY, **cfg):
    ctx = CheckContext(site=s, config=ContentConfig(remote_sources=False, **cfg), http=HttpClient(timeout_s=3),
                       site_config=SimpleNamespace(name=s.name, url=s.url, approved_content=None),
                       now=lambda: now, base_dir=tmp_path)
    return ContentCheck().run(ctx)


def compliance(result) -> list[tuple[str, str]]:
    return sorted((f.rule, str(f.data.get("mandatory") or f.data.get("missing") or f.data.get("year")))
                  for f in result.findings if f.rule in COMPLIANCE_RULES)


def test_complete_site_has_no_compliance_finding(tmp_path: Path) -> None:
    result = run(make_site(), tmp_path)
    assert compliance(result) == []
    assert result.facts["ppid_menu"]["status"] == "ok"
    assert set(result.facts["ppid_menu"]["found"]) == set(MENU_TARGETS)
    assert result.facts["annual_report"]["status"] == "ok"
    assert all(r["status"] == "ok" for r in result.facts["mandatory"])


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
def test_each_missing_item_gives_exactly_its_finding(entry, tmp_path: Path) -> None:
    result = run(make_site(drop_item=entry.id), tmp_path)
    if entry.id == ANNUAL_REPORT_ID:
        assert compliance(result) == [("content.annual_report.missing", "2025")]
    else:
        assert compliance(result) == [("content.mandatory.missing", entry.id)]
        f = next(f for f in result.findings if f.rule == "content.mandatory.missing")
        assert "rujukan sekunder" in f.evidence and entry.basis[0] in f.evidence


@pytest.mark.parametrize("target", MENU_TARGETS)
def test_each_item_left_out_of_the_ppid_section_is_named(target: str, tmp_path: Path) -> None:
    result = run(make_site(drop_menu=target), tmp_path)
    assert compliance(result) == [("content.ppid_menu.incomplete", str([target]))]
    title = next(e.title for e in ENTRIES if e.id == target)
    assert title in next(f.title for f in result.findings if f.rule == "content.ppid_menu.incomplete")


def test_no_ppid_entry_in_the_navigation(tmp_path: Path) -> None:
    result = run(make_site(no_ppid_nav=True), tmp_path)
    assert [r for r, _ in compliance(result)] == ["content.ppid_menu.missing"]


def test_a_ppid_link_in_the_body_is_not_a_menu(tmp_path: Path) -> None:
    s = make_site(no_ppid_nav=True)
    home = s.pages[0]
    home.body = home.body.replace(b"<main>", f"<main><a href='{BASE}/ppid'>PPID</a>".encode())
    home.__dict__.pop("text", None)
    assert [r for r, _ in compliance(run(s, tmp_path))] == ["content.ppid_menu.missing"]


@pytest.mark.parametrize(("today", "published", "expected"), [
    (datetime(2026, 3, 15, tzinfo=UTC), None, []),  # not due yet, not published: nothing to say
    (datetime(2026, 4, 1, tzinfo=UTC), None, [("content.annual_report.missing", "2025")]),  # the day after
    (datetime(2026, 3, 31, tzinfo=UTC), None, []),  # the deadline itself still counts as in time
    (TODAY, "2026-03-31", []),  # published on the last day
    (TODAY, "2026-04-02", [("content.annual_report.late", "2025")]),
])
def test_annual_report_around_the_deadline(today, published, expected, tmp_path: Path) -> None:
    if published is None:
        s = make_site(drop_item=ANNUAL_REPORT_ID)
    else:
        s = make_site(annual_published=published)
    assert compliance(run(s, tmp_path, now=today)) == expected


def test_items_switched_off_or_added_per_site(tmp_path: Path) -> None:
    s = make_site(drop_item="perdes-keterbukaan-informasi")
    extra = {"id": "perbup-kip", "title": "Peraturan Bupati tentang KIP Desa", "basis": ["Perbup Contoh 1/2020"],
             "basis_check": "primary", "match": ["perbup keterbukaan informasi desa"]}
    result = run(s, tmp_path, sites={"contoh": {"disable": ["perdes-keterbukaan-informasi"], "extra": [extra]}})
    assert compliance(result) == [("content.mandatory.missing", "perbup-kip")]
    f = next(f for f in result.findings if f.rule == "content.mandatory.missing")
    assert "rujukan sekunder" not in f.evidence  # a primary-checked basis is printed as it is
    other = run(s, tmp_path, sites={"lain": {"disable": ["perdes-keterbukaan-informasi"]}})
    assert compliance(other) == [("content.mandatory.missing", "perdes-keterbukaan-informasi")]
    typo = run(make_site(), tmp_path, mandatory_disable=["perdes-kip-salah-ketik"])
    assert any("perdes-kip-salah-ketik" in n for n in typo.facts["notes"])
