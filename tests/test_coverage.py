"""Coverage by default: a default-config crawl of a generated 2,000-page news archive (every page reachable
within 40 links, no traps) fetches every page; what is not fetched is counted by reason and shown in the
report's coverage section."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.config import CrawlConfig, SiteConfig
from auditor.crawler import crawl, make_client
from tests.servers import serve

HTML = {"Content-Type": "text/html; charset=utf-8"}
ARTICLES = 2000
LISTINGS = 39  # /arsip/1 .. /arsip/39, each linking the next: the deepest article is 40 links away
PER_LISTING = -(-ARTICLES // LISTINGS)

pytestmark = pytest.mark.timeout(600)


def archive() -> dict:
    nav = '<a href="/">Beranda</a> <a href="/arsip/1">Arsip</a>'
    routes: dict = {"/": (200, HTML, f"<html><title>Beranda</title><body>{nav}</body></html>")}
    for n in range(1, LISTINGS + 1):
        items = range((n - 1) * PER_LISTING, min(n * PER_LISTING, ARTICLES))
        links = "".join(f'<a href="/berita/{i}">Berita {i}</a> ' for i in items)
        nxt = f'<a href="/arsip/{n + 1}">Berikutnya</a>' if n < LISTINGS else ""
        routes[f"/arsip/{n}"] = (200, HTML, f"<html><title>Arsip {n}</title><body>{nav}{links}{nxt}</body></html>")
    for i in range(ARTICLES):
        routes[f"/berita/{i}"] = (200, HTML, f"<html><title>Berita {i}</title><body>{nav}<p>isi {i}</p></body></html>")
    return routes


def test_default_crawl_fetches_every_page_of_a_2000_page_archive() -> None:
    cfg = CrawlConfig()  # the defaults, nothing else
    assert cfg.max_pages >= ARTICLES + LISTINGS + 1
    with serve(archive()) as srv:
        site = crawl(SiteConfig(name="arsip", url=srv.url), cfg, make_client(cfg), quiet=True)
    fetched = {p.url for p in site.pages if p.ok}
    articles = {u for u in fetched if "/berita/" in u}
    assert len(articles) == ARTICLES
    assert max(p.depth for p in site.pages) == LISTINGS + 1  # deeper than the old default of 5
    assert site.unfetched == {}


def test_unfetched_urls_are_counted_by_reason() -> None:
    cfg = CrawlConfig(max_pages=100)
    with serve(archive()) as srv:
        site = crawl(SiteConfig(name="arsip", url=srv.url), cfg, make_client(cfg), quiet=True)
    assert len(site.pages) == 100
    assert site.unfetched["max_pages"] > 0
    assert any("crawl.max_pages (100) reached" in n for n in site.notes)


def test_report_coverage_says_what_was_not_fetched(tmp_path: Path) -> None:
    with serve(archive()) as srv:
        cfg = tmp_path / "config.yaml"
        cfg.write_text(f"sites:\n  - name: arsip\n    url: {srv.url}\ncrawl:\n  max_pages: 20\n  max_depth: 2\n"
                       f"checks:\n  enabled: [links]\nstorage:\n  database: {tmp_path / 'db.sqlite'}\n"
                       f"reports:\n  output_dir: {tmp_path / 'out'}\n")
        out = tmp_path / "f.json"
        assert main(["scan", "--config", str(cfg), "--json", str(out), "--quiet"]) == 0
    import json

    unfetched = json.loads(out.read_text())["run"]["unfetched"]
    assert unfetched["max_pages"] > 0
    month = datetime.now(UTC).strftime("%Y-%m")
    for lang, label, reason in (("id", "URL dikenal yang tidak diambil", "batas crawl.max_pages"),
                                ("en", "Known URLs not fetched", "crawl.max_pages limit")):
        assert main(["report", "monthly", "--config", str(cfg), "--month", month, "--format", "html",
                     "--lang", lang, "--out", str(tmp_path / lang)]) == 0
        html = "".join(p.read_text() for p in (tmp_path / lang).rglob("laporan-*.html"))
        total = sum(unfetched.values())
        assert label in html and f"{total} (" in html and f"{reason}: {unfetched['max_pages']}" in html


def test_the_old_depth_default_left_the_archive_unvisited() -> None:
    cfg = CrawlConfig(max_depth=5)
    with serve(archive()) as srv:
        site = crawl(SiteConfig(name="arsip", url=srv.url), cfg, make_client(cfg), quiet=True)
    articles = {p.url for p in site.pages if p.ok and "/berita/" in p.url}
    assert len(articles) < ARTICLES and site.unfetched["max_depth"] > 0
