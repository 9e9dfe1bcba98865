"""Site-wide date sources end to end: a loopback WordPress-like site crawled by the real crawler, its
REST API, RSS feed, sitemap and a PDF, then the `content` check."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import yaml

from auditor.config import CrawlConfig, SiteConfig
from auditor.crawler import crawl, make_client
from checks.base import CheckContext
from checks.content import ContentCheck, ContentConfig
from checks.content.sources import parse_feed
from tests.content_sites import make_pdf
from tests.servers import serve

TODAY = datetime(2026, 8, 20, 10, tzinfo=UTC)


def wp_page(title: str, body: str = "") -> tuple[int, dict, str]:
    return (200, {"Content-Type": "text/html; charset=utf-8"},
            f"<html><head><title>{title}</title><link rel='https://api.w.org/' href='/wp-json/'>"
            f"<link rel='alternate' type='application/rss+xml' href='/feed/'></head>"
            f"<body><h1>{title}</h1>{body}</body></html>")


def build_routes(base: str) -> dict:
    pdf = make_pdf("Laporan Realisasi APBDes Semester I 2026", mod=datetime(2026, 7, 10, tzinfo=UTC))
    home_links = ("<a href='/profil/'>Profil Desa</a> <a href='/kegiatan/'>Kegiatan</a> "
                  "<a href='/berita/'>Berita</a> <a href='/wp-content/uploads/realisasi.pdf'>Laporan Realisasi "
                  "APBDes</a> <a href='/perdes/'>Peraturan Desa</a>")
    return {
        "/": wp_page("Desa Sukamaju", home_links),
        "/profil/": wp_page("Profil Desa"),
        "/kegiatan/": wp_page("Kegiatan Desa"),
        "/berita/": wp_page("Berita Desa"),
        "/perdes/": wp_page("Peraturan Desa"),
        "/wp-content/uploads/realisasi.pdf": (200, {"Content-Type": "application/pdf"}, pdf),
        "/robots.txt": (200, {"Content-Type": "text/plain"}, f"User-agent: *\nSitemap: {base}sitemap.xml\n"),
        "/sitemap.xml": (200, {"Content-Type": "application/xml"},
                         "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
                         f"<url><loc>{base}perdes/</loc><lastmod>2026-03-01</lastmod></url></urlset>"),
        "/feed/": (200, {"Content-Type": "application/rss+xml"},
                   "<?xml version='1.0'?><rss version='2.0'><channel><item><title>Berita</title>"
                   f"<link>{base}berita/</link><pubDate>Mon, 17 Aug 2026 08:00:00 +0700</pubDate></item>"
                   "</channel></rss>"),
        "/wp-json/wp/v2/pages": (200, {"Content-Type": "application/json"}, json.dumps([
            {"link": f"{base}profil/", "modified": "2026-08-15T10:00:00"},
            {"link": f"{base}kegiatan/", "modified": "2026-02-01T10:00:00"}])),
        "/wp-json/wp/v2/posts": (200, {"Content-Type": "application/json"}, "[]"),
        "/wp-json/wp/v2/media": (200, {"Content-Type": "application/json"}, "not json"),
    }


def test_wordpress_feed_sitemap_and_pdf_sources(tmp_path: Path):
    routes: dict = {}
    with serve(routes) as srv:
        routes.update(build_routes(srv.url))
        site_cfg = SiteConfig(name="sukamaju", url=srv.url, approved_content=Path("daftar.yaml"))
        crawl_cfg = CrawlConfig(max_pages=30, timeout_s=5, time_budget_s=60)
        http = make_client(crawl_cfg)
        site = crawl(site_cfg, crawl_cfg, http)
        items = [{"id": "profil", "title": "Profil Desa", "category": "berkala", "cadence": "monthly"},
                 {"id": "kegiatan", "title": "Kegiatan Desa", "category": "berkala", "cadence": "monthly"},
                 {"id": "berita", "title": "Berita Desa", "category": "berkala", "cadence": "monthly"},
                 {"id": "perdes", "title": "Peraturan Desa", "category": "berkala", "cadence": "quarterly"},
                 {"id": "realisasi", "title": "Laporan Realisasi APBDes", "category": "berkala",
                  "cadence": "semiannual", "match": ["realisasi"]}]
        (tmp_path / "daftar.yaml").write_text(yaml.safe_dump({"approved_on": "2026-07-01", "items": items}))
        ctx = CheckContext(site=site, config=ContentConfig(), http=http, site_config=site_cfg, now=lambda: TODAY,
                           base_dir=tmp_path)
        result = ContentCheck().run(ctx)
    rows = {r.id: r.model_dump(mode="json") for r in result.facts.items}
    expect = {"profil": ("wp_rest", "2026-08-15", "ok"), "kegiatan": ("wp_rest", "2026-02-01", "stale"),
              "berita": ("feed", "2026-08-17", "ok"), "perdes": ("sitemap", "2026-03-01", "stale"),
              "realisasi": ("document_metadata", "2026-07-10", "ok")}
    for item_id, (source, day, status) in expect.items():
        row = rows[item_id]
        assert (row["date_source"], row["last_updated"], row["status"]) == (source, day, status), row
    assert rows["realisasi"]["matched_url"].endswith("/wp-content/uploads/realisasi.pdf")
    assert {f.data["item"] for f in result.findings if f.rule == "content.item.stale"} == {"kegiatan", "perdes"}
    assert not result.facts.errors


def test_remote_sources_can_be_disabled(tmp_path: Path):
    routes: dict = {}
    with serve(routes) as srv:
        routes.update(build_routes(srv.url))
        site_cfg = SiteConfig(name="sukamaju", url=srv.url)
        crawl_cfg = CrawlConfig(max_pages=30, timeout_s=5, time_budget_s=60)
        http = make_client(crawl_cfg)
        site = crawl(site_cfg, crawl_cfg, http)
        before = srv.stats["requests"]
        ctx = CheckContext(site=site, config=ContentConfig(remote_sources=False), http=http,
                           site_config=SimpleNamespace(approved_content=None), now=lambda: TODAY, base_dir=tmp_path)
        result = ContentCheck().run(ctx)
        assert srv.stats["requests"] == before  # nothing fetched by the check
    assert "remote date sources disabled" in result.facts.notes


def test_parse_feed_rss_and_atom_and_garbage():
    rss = (b"<rss><channel><item><link>http://x/a</link><pubDate>Tue, 10 Jun 2025 04:00:00 GMT</pubDate></item>"
           b"</channel></rss>")
    atom = (b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><link href='http://x/b'/>"
            b"<published>2025-01-01T00:00:00Z</published><updated>2025-06-11T00:00:00Z</updated></entry></feed>")
    assert parse_feed(rss) == {"http://x/a": date(2025, 6, 10)}
    assert parse_feed(atom) == {"http://x/b": date(2025, 6, 11)}
    assert parse_feed(b"<rss><unclosed>") == {}
