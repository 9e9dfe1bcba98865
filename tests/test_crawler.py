"""Crawler tests: pure URL/parse helpers, then real loopback servers (tests/servers.py)."""

from __future__ import annotations

import gzip
import hashlib
import socket
import time
import zlib
from datetime import date
from email.utils import formatdate
from urllib.parse import parse_qs, urlsplit

import pytest

from auditor.config import CrawlConfig, SiteConfig
from auditor.crawl_parse import FOLLOW_ASSET, FOLLOW_DOCUMENT, FOLLOW_PAGE, parse_html, parse_sitemap
from auditor.crawl_urls import MAX_CALENDAR_VARIANTS, TrapGuard, canonicalize
from auditor.crawler import PreviousPage, crawl, make_client
from auditor.http import BUDGET_EXHAUSTED
from auditor.snapshot import is_document_url
from tests.servers import serve

pytestmark = pytest.mark.timeout(60)

HTML = {"Content-Type": "text/html; charset=utf-8"}


def page(title: str, *hrefs: str, extra: str = "") -> str:
    links = "".join(f'<a href="{h}">ke {h}</a> ' for h in hrefs)
    return f"<html><head><title>{title}</title></head><body><h1>{title}</h1>{links}{extra}</body></html>"


def run(url: str, *, allowed: list[str] | None = None, progress=None, previous=None, **crawl_kw):
    crawl_kw.setdefault("timeout_s", 5)
    cfg = CrawlConfig(**crawl_kw)
    site_cfg = SiteConfig(name="desa", url=url, allowed_hosts=allowed or [])
    http = make_client(cfg)
    return crawl(site_cfg, cfg, http, previous=previous, progress=progress), http


def paths(site) -> set[str]:
    return {urlsplit(p.url).path + (f"?{urlsplit(p.url).query}" if urlsplit(p.url).query else "")
            for p in site.all_resources()}


# --- pure helpers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("HTTP://Desa.Example.ID:80/Profil#visi", "http://desa.example.id/Profil"),
    ("https://desa.id:443", "https://desa.id/"),
    ("https://desa.id:8443/a", "https://desa.id:8443/a"),
    ("http://desa.id/a/./b/../c", "http://desa.id/a/c"),
    ("http://desa.id/?b=2&a=1&PHPSESSID=abc&utm_source=fb", "http://desa.id/?a=1&b=2"),
    ("http://desa.id/x;jsessionid=ABC123?sid=9&id=4", "http://desa.id/x?id=4"),
    ("http://user:pw@desa.id/berita dan info", "http://desa.id/berita%20dan%20info"),
    ("http://desa.id/%7euser", "http://desa.id/~user"),
    ("mailto:ppid@desa.id", None),
    ("javascript:void(0)", None),
    ("http://[::1]:8080/a", "http://[::1]:8080/a"),
])
def test_canonicalize(raw, expected):
    assert canonicalize(raw) == expected


def test_canonicalize_relative():
    assert canonicalize("../dokumen/a.pdf?x=1#p2", "http://desa.id/berita/2024/") == \
        "http://desa.id/berita/dokumen/a.pdf?x=1"


def test_trap_guard_cuts_each_kind():
    g = TrapGuard(today=date(2025, 1, 1))
    assert g.check("http://d.id/" + "a" * 2100)[0] == "long_url"
    assert g.check("http://d.id/x/y/x/y/x/y")[0] == "repeated_segments"
    assert g.check("http://d.id/agenda?month=1&year=2031")[0] == "calendar_year"
    allowed = [u for u in (f"http://d.id/agenda?month={m}&year={y}" for y in range(2000, 2025)
                           for m in range(1, 13)) if g.check(u) is None]
    assert len(allowed) == MAX_CALENDAR_VARIANTS
    assert g.check(allowed[0]) is None  # an already-accepted URL is never cut later
    kinds = [g.check("http://d.id/produk?" + "&".join(f"f{i}=1" for i in range(n))) for n in range(1, 40)]
    assert ("query_permutations", "d.id/produk") in kinds
    # Ordinary article URLs with numbers are not calendar traps.
    assert all(g.check(f"http://d.id/berita/{i}/judul-{i}") is None for i in range(300))


def test_parse_html_links_texts_and_follow():
    html = """<html><head><title> Profil
      Desa </title><base href="/sub/"><link rel="stylesheet" href="s.css"><link rel="icon" href="f.ico">
      <script src="https://cdn.example.com/jquery.js"></script></head><body>
      <a href="berita?id=2#top">Berita  terbaru</a><a href="#x">skip</a><a href="javascript:go()">js</a>
      <a href="/dok/Laporan.PDF"><img src="pdf.png" alt="Laporan 2024"></a>
      <a href="mailto:ppid@desa.id">surel</a><iframe src="/peta"></iframe>
      <form action="/cari"></form><img src="/logo.png" alt="Logo"></body></html>"""
    out = parse_html(html, "http://desa.id/profil")
    assert out.title == "Profil Desa"
    by_url = {lk.url: lk for lk in out.links}
    assert by_url["http://desa.id/sub/berita?id=2"].text == "Berita terbaru"
    assert by_url["http://desa.id/dok/Laporan.PDF"].text == "Laporan 2024"
    assert by_url["http://desa.id/logo.png"].tag == "img"
    assert by_url["http://desa.id/cari"].tag == "form"
    assert by_url["https://cdn.example.com/jquery.js"].tag == "script"
    assert "mailto:ppid@desa.id" in by_url
    assert not any("javascript" in u or u.endswith("#x") for u in by_url)
    follow = dict(out.follow)
    assert follow["http://desa.id/sub/berita?id=2"] == FOLLOW_PAGE
    assert follow["http://desa.id/dok/Laporan.PDF"] == FOLLOW_DOCUMENT
    assert follow["http://desa.id/sub/s.css"] == FOLLOW_ASSET
    assert follow["http://desa.id/peta"] == FOLLOW_PAGE
    assert "http://desa.id/sub/f.ico" not in follow and "http://desa.id/cari" not in follow


def test_parse_sitemap_variants():
    idx = parse_sitemap(b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                        b"<sitemap><loc> http://d.id/a.xml </loc></sitemap></sitemapindex>")
    assert idx.sitemaps == ["http://d.id/a.xml"] and not idx.pages
    body = (b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://d.id/p</loc>'
            b"<lastmod>2024-05-01</lastmod></url><url><loc>http://d.id/q</loc></url></urlset>")
    assert parse_sitemap(gzip.compress(body)).pages == [("http://d.id/p", "2024-05-01"), ("http://d.id/q", None)]
    assert parse_sitemap(b"http://d.id/t1\nhttp://d.id/t2\n").pages == [("http://d.id/t1", None),
                                                                     ("http://d.id/t2", None)]
    truncated = parse_sitemap(b"<urlset><url><loc>http://d.id/x")  # lxml recovers; never raises
    assert truncated.pages in ([], [("http://d.id/x", None)])
    assert parse_sitemap(b"\x1f\x8bjunk").error


# --- loopback crawls ------------------------------------------------------------------------------

def test_robots_disallow_and_notes():
    robots = "User-agent: *\nDisallow: /admin\n\nUser-agent: ppid-auditor\nDisallow: /rahasia/\n"
    routes = {
        "/robots.txt": (200, {"Content-Type": "text/plain"}, robots),
        "/": (200, HTML, page("Beranda", "/rahasia/a", "/rahasia/b", "/publik", "/admin")),
        "/publik": (200, HTML, page("Publik")),
        "/rahasia/a": (200, HTML, page("A")), "/rahasia/b": (200, HTML, page("B")),
        "/admin": (200, HTML, page("Admin")),
    }
    with serve(routes) as srv:
        site, _ = run(srv.url)
        requested = set(srv.stats["paths"])
        assert "/publik" in requested and "/admin" in requested  # group for our agent replaces `*`
        assert not any(p.startswith("/rahasia") for p in requested)
        assert site.robots_txt == robots
        notes = [n for n in site.notes if "robots.txt" in n]
        assert len(notes) == 1 and "2 URL(s)" in notes[0]
        # Links to refused URLs are still recorded on the page.
        assert any(lk.url.endswith("/rahasia/a") for lk in site.start_page.links)
        site2, _ = run(srv.url, respect_robots=False)
        assert {"/rahasia/a", "/rahasia/b"} <= paths(site2)


def test_scope_other_hosts_recorded_not_fetched():
    with serve({"/": (200, HTML, page("Luar"))}, host="127.0.0.2") as outside, \
            serve({"/": (200, HTML, page("Mitra", "/mitra-dalam"))}) as partner:
        partner_url = f"http://localhost:{partner.port}/"
        routes = {"/": (200, HTML, page("Beranda", outside.url, partner_url, "/profil")),
                  "/profil": (200, HTML, page("Profil"))}
        with serve(routes) as srv:
            site, _ = run(srv.url)
            assert outside.stats["requests"] == 0 and partner.stats["requests"] == 0
            assert {lk.url for lk in site.start_page.links} >= {outside.url, partner_url}
            assert paths(site) == {"/", "/profil"}
            site2, _ = run(srv.url, allowed=["localhost"])
            assert outside.stats["requests"] == 0
            assert "/mitra-dalam" in partner.stats["paths"]
            assert site2.get(partner_url) is not None


def test_redirect_chain_recorded_and_loop_reported():
    routes = {
        "/": (200, HTML, page("Beranda", "/lama", "/daftar", "/putar-a")),
        "/daftar": (200, HTML, page("Daftar", "/baru")),
        "/lama": (301, {"Location": "/lebih-lama"}, b""),
        "/lebih-lama": (302, {"Location": "http://127.0.0.1:%d/baru"}, b""),
        "/baru": (200, HTML, page("Baru")),
        "/putar-a": (302, {"Location": "/putar-b"}, b""),
        "/putar-b": (302, {"Location": "/putar-a"}, b""),
    }
    with serve(routes) as srv:
        routes["/lebih-lama"] = (302, {"Location": f"http://127.0.0.1:{srv.port}/baru"}, b"")
        site, _ = run(srv.url, concurrency=1)
        old = site.get(srv.url + "lama")
        assert [(h.status, urlsplit(h.url).path) for h in old.redirects] == [(301, "/lama"), (302, "/lebih-lama")]
        assert old.final_url == srv.url + "baru" and old.status == 200 and old.title == "Baru"
        # Reached through the chain before /daftar linked it: not fetched twice.
        assert srv.stats["paths"].count("/baru") == 1 and site.get(srv.url + "baru") is old
        assert srv.url + "daftar" in old.referrers
        loop = site.get(srv.url + "putar-a")
        assert loop.error == "redirect loop" and len(loop.redirects) == 2
        assert loop.referrers == [srv.url]


def test_trap_sites_are_bounded():
    def calendar(h):
        q = parse_qs(urlsplit(h.path).query)
        y, m = int(q.get("tahun", ["2024"])[0]), int(q.get("bulan", ["6"])[0])
        nxt = (y + (m == 12), m % 12 + 1)
        prv = (y - (m == 1), (m - 2) % 12 + 1)
        body = page(f"Agenda {m}/{y}", f"/agenda?bulan={nxt[1]}&tahun={nxt[0]}",
                    f"/agenda?bulan={prv[1]}&tahun={prv[0]}", "kegiatan/", "/agenda?bulan=6&tahun=2024&sesi=1")
        return 200, HTML, body

    def nested(h):  # relative link "kegiatan/" makes /kegiatan/kegiatan/kegiatan/...
        return 200, HTML, page("Kegiatan", "kegiatan/", "?urut=" + str(len(h.path)))

    with serve({"/": (200, HTML, page("Beranda", "/agenda", "/kegiatan/")), "/agenda": calendar},
               default=nested) as srv:
        started = time.monotonic()
        site, _ = run(srv.url, max_pages=5000, max_depth=1000, time_budget_s=50)
        assert time.monotonic() - started < 40
        assert 10 < len(site.pages) < 200
        assert site.get(srv.url + "agenda?bulan=7&tahun=2024") is not None
        notes = " | ".join(site.notes)
        assert "trap defence" in notes and "calendar" in notes and "kegiatan" in notes
        assert len([n for n in site.notes if "calendar-like" in n]) == 1  # each cut noted once


def _stream_forever(stats):
    def handler(h):
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(1 << 30))  # 1 GB promised, produced lazily
        h.end_headers()
        chunk = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>\n"
        try:
            for _ in range((1 << 30) // len(chunk)):
                h.wfile.write(chunk)
                stats["sent"] += len(chunk)
        except OSError:
            pass
        h.close_connection = True
    return handler


def test_one_gigabyte_response_cut_at_cap():
    sent = {"sent": 0}
    routes = {"/": (200, HTML, page("Beranda", "/besar", "/laporan.pdf")), "/besar": _stream_forever(sent)}
    with serve(routes, default=_stream_forever(sent)) as srv:
        started = time.monotonic()
        site, _ = run(srv.url, max_page_mb=1, max_document_mb=2)
        big, doc = site.get(srv.url + "besar"), site.get(srv.url + "laporan.pdf")
        assert big.truncated and len(big.body) == 1024 * 1024
        assert doc.kind == "document" and doc.truncated and len(doc.body) == 2 * 1024 * 1024
        assert sent["sent"] < 64 * 1024 * 1024  # the server was cut off long before 1 GB
        assert time.monotonic() - started < 20


def test_gzip_bomb_cut_after_decompression():
    comp = zlib.compressobj(6, zlib.DEFLATED, 31)
    zeros = b"\0" * (1 << 20)
    bomb = b"".join(comp.compress(zeros) for _ in range(64)) + comp.flush()  # 64 MB -> ~64 KB
    assert len(bomb) < 1024 * 1024
    routes = {"/": (200, HTML, page("Beranda", "/bom")),
              "/bom": (200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, bomb)}
    with serve(routes) as srv:
        site, http = run(srv.url, max_page_mb=1)
        bom = site.get(srv.url + "bom")
        assert bom.truncated and len(bom.body) == 1024 * 1024
        assert http.bytes_received < 3 * 1024 * 1024


def test_slow_server_times_out_and_is_a_broken_link():
    def slow(h):
        time.sleep(3)
        return 200, HTML, page("Lambat")

    with serve({"/": (200, HTML, page("Beranda", "/lambat", "/ada")), "/lambat": slow,
                "/ada": (200, HTML, page("Ada"))}) as srv:
        started = time.monotonic()
        site, _ = run(srv.url, timeout_s=0.5)
        assert time.monotonic() - started < 2.5
        slow_page = site.get(srv.url + "lambat")
        assert slow_page.status is None and slow_page.error == "timed out"
        assert slow_page.referrers == [srv.url]
        assert site.get(srv.url + "ada").ok


def test_non_utf8_pages_decoded():
    title = "Pengumuman — Rapat Koordinasi Café Desa «Maju»"
    cp1252 = page(title, "/latin1").encode("cp1252")
    latin1 = ('<html><head><meta charset="iso-8859-1"><title>Peraturan Desa Nº 3 · Übersicht</title></head>'
              '<body><a href="/">Kembali ke Beranda · Halaman utama</a></body></html>').encode("latin-1")
    routes = {"/": (200, {"Content-Type": "text/html; charset=windows-1252"}, cp1252),
              "/latin1": (200, {"Content-Type": "text/html"}, latin1)}
    with serve(routes) as srv:
        site, _ = run(srv.url)
        assert site.start_page.title == title
        other = site.get(srv.url + "latin1")
        assert other.title == "Peraturan Desa Nº 3 · Übersicht"
        assert other.links[0].text == "Kembali ke Beranda · Halaman utama"
        assert "«Maju»" in site.start_page.text


def test_sitemap_index_seeds_and_lastmod():
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    routes = {
        "/robots.txt": (200, {}, "User-agent: *\nAllow: /\nSitemap: /peta/index.xml\n"),
        "/": (200, HTML, page("Beranda")),
        "/peta/index.xml": (200, {"Content-Type": "application/xml"},
                            f"<sitemapindex {ns}><sitemap><loc>PLACEHOLDER/peta/a.xml</loc></sitemap>"
                            f"<sitemap><loc>PLACEHOLDER/peta/b.xml.gz</loc></sitemap></sitemapindex>"),
        "/tersembunyi": (200, HTML, page("Tersembunyi")),
        "/dok/apbdes-2024.pdf": (200, {"Content-Type": "application/pdf"}, b"%PDF-1.4 test"),
    }
    with serve(routes) as srv:
        base = srv.url.rstrip("/")
        routes["/peta/index.xml"] = (200, {}, routes["/peta/index.xml"][2].replace("PLACEHOLDER", base))
        routes["/peta/a.xml"] = (200, {}, f"<urlset {ns}><url><loc>{base}/tersembunyi</loc>"
                                          f"<lastmod>2024-03-01</lastmod></url></urlset>")
        routes["/peta/b.xml.gz"] = (200, {"Content-Type": "application/gzip"}, gzip.compress(
            f"<urlset {ns}><url><loc>{base}/dok/apbdes-2024.pdf</loc><lastmod>2024-02-02</lastmod></url>"
            f"<url><loc>http://127.0.0.2/luar</loc></url></urlset>".encode()))
        site, _ = run(srv.url)
        assert site.sitemap_lastmod == {f"{base}/tersembunyi": "2024-03-01",
                                        f"{base}/dok/apbdes-2024.pdf": "2024-02-02"}
        assert site.get(f"{base}/tersembunyi").title == "Tersembunyi"
        assert [d.filename for d in site.documents] == ["apbdes-2024.pdf"]


def test_documents_downloaded_truncated_and_limited():
    pdf = b"%PDF-1.4\n" + b"0" * 5000
    routes = {
        "/": (200, HTML, page("Beranda", "/a.pdf", "/b.xlsx", "/besar.docx", "/unduh?id=7", "/c.csv",
                              "/hilang.pdf")),
        "/a.pdf": (200, {"Content-Type": "application/pdf"}, pdf),
        "/b.xlsx": (200, {"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
                    b"PK\x03\x04" + b"1" * 100),
        "/besar.docx": (200, {"Content-Type": "application/octet-stream"}, b"PK" + b"2" * 300_000),
        "/unduh": (200, {"Content-Type": "application/pdf"}, pdf),
        "/c.csv": (200, {"Content-Type": "text/csv"}, "nama,nik\n"),
    }
    with serve(routes) as srv:
        site, _ = run(srv.url, max_document_mb=0.1)
        docs = {d.url.removeprefix(srv.url): d for d in site.documents}
        assert set(docs) == {"a.pdf", "b.xlsx", "besar.docx", "unduh?id=7", "c.csv", "hilang.pdf"}
        assert docs["a.pdf"].body == pdf and not docs["a.pdf"].truncated
        assert docs["besar.docx"].truncated and len(docs["besar.docx"].body) == int(0.1 * 1024 * 1024)
        assert docs["unduh?id=7"].kind == "document"  # by Content-Type
        assert docs["hilang.pdf"].status == 404 and docs["hilang.pdf"].referrers == [srv.url]
        limited, _ = run(srv.url, max_documents=2)
        assert len([d for d in limited.documents if is_document_url(d.url)]) == 2
        assert any("max_documents" in n for n in limited.notes)


def _cacheable_site(n_pages: int):
    """A site whose handler honours If-None-Match / If-Modified-Since like nginx does for static files."""
    bodies: dict[str, bytes] = {}
    links = [f"/berita/{i}" for i in range(n_pages)]
    bodies["/"] = page("Beranda", *links, "/laporan.pdf", "/unduh?id=1").encode()
    for i in range(n_pages):
        bodies[f"/berita/{i}"] = page(f"Berita {i}", "/", extra="<p>" + "isi berita " * 400 + "</p>").encode()
    bodies["/laporan.pdf"] = b"%PDF-1.4\n" + hashlib.sha256(b"x").hexdigest().encode() * 500
    bodies["/unduh"] = b"%PDF-1.4\n" + hashlib.sha256(b"y").hexdigest().encode() * 300
    stamp = formatdate(1_700_000_000, usegmt=True)

    def handler(h):
        path = urlsplit(h.path).path
        body = bodies.get(path)
        if body is None:
            return 404, HTML, b"not found"
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        ctype = "application/pdf" if path.endswith(".pdf") or path == "/unduh" else "text/html; charset=utf-8"
        hdrs = {"ETag": etag, "Last-Modified": stamp, "Content-Type": ctype}
        inm, ims = h.headers.get("If-None-Match"), h.headers.get("If-Modified-Since")
        if (inm and inm == etag) or (not inm and ims == stamp):
            return 304, {"ETag": etag, "Last-Modified": stamp}, b""
        return 200, hdrs, body
    return handler


def test_conditional_get_recrawl_costs_under_ten_percent():
    with serve({}, default=_cacheable_site(30)) as srv:
        first, _ = run(srv.url)
        first_bytes = srv.stats["bytes_sent"]
        assert len(first.pages) == 31 and len(first.documents) == 2
        previous = {r.url: PreviousPage(etag=r.headers.get("etag"), last_modified=r.headers.get("last-modified"),
                                        sha256=hashlib.sha256(r.body).hexdigest(), body=r.body, links=r.links,
                                        title=r.title, content_type=r.content_type)
                    for r in first.all_resources()}
        second, _ = run(srv.url, previous=previous)
        second_bytes = srv.stats["bytes_sent"] - first_bytes
        assert second_bytes < 0.10 * first_bytes, (second_bytes, first_bytes)
        assert len(second.pages) == 31 and len(second.documents) == 2  # /unduh stays a document (by type)
        reused = [r for r in second.all_resources() if r.not_modified]
        assert len(reused) == 32  # everything but the start page, always fetched in full
        for r in reused:
            old = first.get(r.url)
            assert r.status == 200 and r.body == old.body and r.title == old.title and r.ok
            assert r.content_type == old.content_type and r.headers.get("etag")
        assert {lk.url for lk in second.start_page.links} == {lk.url for lk in first.start_page.links}


def test_time_budget_honoured():
    def slow_wide(h):
        time.sleep(0.3)
        n = int(urlsplit(h.path).path.strip("/") or 0)
        return 200, HTML, page(f"Hal {n}", *[f"/{n * 10 + k}" for k in range(1, 11)])

    with serve({}, default=slow_wide) as srv:
        started = time.monotonic()
        site, _ = run(srv.url, time_budget_s=1.5, concurrency=2)
        assert time.monotonic() - started < 3.0
        assert 2 <= len(site.pages) <= 12
        assert all(p.error != BUDGET_EXHAUSTED for p in site.pages)
        assert any("time_budget_s" in n for n in site.notes)


def test_max_pages_and_max_depth():
    def chain(h):
        n = int(urlsplit(h.path).path.strip("/") or 0)
        return 200, HTML, page(f"Hal {n}", f"/{n + 1}", f"/{n + 100}")

    reachable, level = {0}, {0}
    for _ in range(3):
        level = {m for n in level for m in (n + 1, n + 100)} - reachable
        reachable |= level
    with serve({}, default=chain) as srv:
        site, _ = run(srv.url, max_depth=3)
        assert max(p.depth for p in site.pages) == 3
        assert {int(urlsplit(p.url).path.strip("/") or 0) for p in site.pages} == reachable
        assert any("max_depth" in n for n in site.notes)
        site2, _ = run(srv.url, max_pages=7, max_depth=100)
        assert len(site2.pages) == 7 and srv.stats["requests"] >= 7
        assert any("max_pages (7)" in n for n in site2.notes)


def test_unreachable_start_url_and_progress():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    site, _ = run(f"http://127.0.0.1:{port}/")
    assert not site.reachable and site.start_page.error == "connection refused"
    calls = []
    with serve({"/": (200, HTML, page("Beranda", "/a", "/b")), "/a": (200, HTML, page("A"))}) as srv:
        site, _ = run(srv.url, progress=lambda d, k, u: calls.append((d, k, u)))
        assert site.reachable and calls[-1][0] == 3 == len(site.pages)
        assert site.get(srv.url + "b").status == 404


def test_per_host_delay_across_workers():
    routes = {"/": (200, HTML, page("Beranda", *[f"/p{i}" for i in range(5)]))}
    with serve(routes, default=(200, HTML, page("P"))) as srv:
        started = time.monotonic()
        site, _ = run(srv.url, delay_s=0.15, concurrency=4, respect_robots=False)
        # robots.txt, /, /sitemap.xml and 5 pages: 8 requests at least 0.15 s apart.
        assert len(site.pages) == 6 and time.monotonic() - started >= 7 * 0.15


def test_rich_progress_bar_only_on_a_tty(monkeypatch):
    import io

    import auditor.crawler as crawler_mod

    class Tty(io.StringIO):
        def isatty(self):
            return True

    with serve({"/": (200, HTML, page("Beranda", "/a")), "/a": (200, HTML, page("A"))}) as srv:
        quiet = io.StringIO()
        monkeypatch.setattr(crawler_mod.sys, "stderr", quiet)
        run(srv.url)
        assert quiet.getvalue() == ""
        tty = Tty()
        monkeypatch.setattr(crawler_mod.sys, "stderr", tty)
        site, _ = run(srv.url)
        assert len(site.pages) == 2 and "crawl" in tty.getvalue()


def test_loopback_guard_refusal_is_recorded_not_raised():
    site, _ = run("http://192.0.2.1/")  # TEST-NET-1; refused before any packet leaves (PPID_LOOPBACK_ONLY=1)
    assert not site.reachable and "loopback" in (site.start_page.error or "")
