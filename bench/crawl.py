"""Crawl throughput: ppid-auditor's crawler against Scrapy on the same generated loopback site.

A threaded Python HTTP server (in a child process, so it does not share a GIL with either crawler)
serves a 2,000-page site of small HTML pages with links. Both crawlers run with the same concurrency,
robots.txt off and no delay, and must reach the same pages. Prints pages/s of each and the ratio.

    .venv/bin/python bench/crawl.py [--pages 2000] [--concurrency 8] [--rounds 2]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["PPID_LOOPBACK_ONLY"] = "1"  # the bench never leaves the machine


def page_html(i: int, n: int) -> bytes:
    # Each page links to the next one (so every page is reachable) and to a few pseudo-random others.
    targets = {(i + 1) % n, (i * 7 + 3) % n, (i * 13 + 5) % n, (i * 31 + 11) % n, i // 2}
    links = "".join(f'<li><a href="/p/{t}.html">Berita nomor {t}</a></li>' for t in sorted(targets))
    return (f"<!doctype html><html lang=id><head><meta charset=utf-8><title>Berita {i}</title></head>"
            f"<body><nav><a href=\"/\">Beranda</a> <a href=\"/profil.html\">Profil</a></nav><h1>Berita {i}</h1>"
            f"<p>{'Kegiatan musyawarah desa dan pembangunan jalan. ' * 20}</p><ul>{links}</ul>"
            f"</body></html>").encode()


def serve_site(n: int, port_queue) -> None:
    pages = {f"/p/{i}.html": page_html(i, n - 2) for i in range(n - 2)}
    pages["/"] = page_html(n - 2, n - 2).replace(b"<ul>", b"<ul><li><a href=\"/p/0.html\">awal</a></li>")
    pages["/profil.html"] = page_html(n - 1, n - 2)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; with Nagle on, keep-alive requests stall on delayed ACKs
        # (~40 ms each) and the bench would measure TCP timers instead of the crawlers.
        disable_nagle_algorithm = True

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            body = pages.get(self.path)
            status = 200 if body is not None else 404
            body = body if body is not None else b"not found"
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 256
    port_queue.put(server.server_address[1])
    server.serve_forever()


def run_ours(url: str, concurrency: int, n: int) -> tuple[int, float, float]:
    from auditor.config import CrawlConfig, SiteConfig
    from auditor.crawler import crawl, make_client

    cfg = CrawlConfig(max_pages=n + 10, max_depth=10_000, concurrency=concurrency, delay_s=0,
                      respect_robots=False, time_budget_s=3600, timeout_s=30)
    started, cpu = time.perf_counter(), time.process_time()
    site = crawl(SiteConfig(name="bench", url=url), cfg, make_client(cfg))
    elapsed = time.perf_counter() - started
    return sum(1 for p in site.pages if p.ok), elapsed, time.process_time() - cpu


def run_scrapy(url: str, concurrency: int, n: int, out) -> None:
    """In a child process: a Twisted reactor can start only once per process."""
    import logging

    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.linkextractors import LinkExtractor

    logging.disable(logging.WARNING)
    counter = {"ok": 0, "first": None, "last": None}

    class SiteSpider(scrapy.Spider):
        name = "bench"
        allowed_domains = ["127.0.0.1"]
        extractor = LinkExtractor(tags=("a",), attrs=("href",))

        # Filtered like every other request (no dont_filter), so "/" is not fetched again when linked.
        async def start(self):  # Scrapy >= 2.13
            yield scrapy.Request(url, callback=self.parse)

        def start_requests(self):  # older Scrapy
            yield scrapy.Request(url, callback=self.parse)

        def parse(self, response):
            counter["ok"] += response.status == 200
            for link in self.extractor.extract_links(response):
                yield response.follow(link.url, callback=self.parse)

    process = CrawlerProcess(settings={
        "CONCURRENT_REQUESTS": concurrency, "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": False, "AUTOTHROTTLE_ENABLED": False, "RETRY_ENABLED": False,
        "COOKIES_ENABLED": False, "TELNETCONSOLE_ENABLED": False, "LOG_ENABLED": False, "DEPTH_LIMIT": 0,
        "CLOSESPIDER_PAGECOUNT": 0, "USER_AGENT": "bench",
    })
    process.crawl(SiteSpider)
    started, cpu = time.perf_counter(), time.process_time()
    process.start()
    out.put((counter["ok"], time.perf_counter() - started, time.process_time() - cpu))


def run_plain_requests(url: str, concurrency: int, n: int) -> tuple[int, float]:
    """No crawler at all: `concurrency` threads GETting every page with requests. The server's ceiling."""
    import threading

    import requests

    paths = ["", "profil.html", *(f"p/{i}.html" for i in range(n - 2))]
    ok = [0] * concurrency

    def worker(k: int) -> None:
        with requests.Session() as s:
            for path in paths[k::concurrency]:
                ok[k] += s.get(url + path, timeout=30).status_code == 200

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(ok), time.perf_counter() - started


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    ctx = mp.get_context("fork")
    ports = ctx.Queue()
    server = ctx.Process(target=serve_site, args=(args.pages, ports), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{ports.get(timeout=30)}/"
    ours: list[float] = []
    theirs: list[float] = []
    ours_cpu: list[float] = []
    theirs_cpu: list[float] = []
    try:
        for rnd in range(1, args.rounds + 1):
            pages, secs, cpu = run_ours(url, args.concurrency, args.pages)
            ours.append(pages / secs)
            ours_cpu.append(pages / cpu)
            print(f"round {rnd}: ppid-auditor {pages} pages in {secs:.2f} s = {pages / secs:.0f} pages/s "
                  f"({cpu:.2f} CPU s = {pages / cpu:.0f} pages per CPU second)")
            out = ctx.Queue()
            child = ctx.Process(target=run_scrapy, args=(url, args.concurrency, args.pages, out))
            child.start()
            s_pages, s_secs, s_cpu = out.get(timeout=3600)
            child.join()
            theirs.append(s_pages / s_secs)
            theirs_cpu.append(s_pages / s_cpu)
            print(f"round {rnd}: scrapy       {s_pages} pages in {s_secs:.2f} s = {s_pages / s_secs:.0f} pages/s "
                  f"({s_cpu:.2f} CPU s = {s_pages / s_cpu:.0f} pages per CPU second)")
            if pages != s_pages or pages != args.pages:
                print(f"warning: page counts differ (ours {pages}, scrapy {s_pages}, site {args.pages})")
    except BaseException:
        server.terminate()
        raise
    pages, secs = run_plain_requests(url, args.concurrency, args.pages)
    server.terminate()
    print(f"reference: plain requests threads, no parsing: {pages} pages in {secs:.2f} s = "
          f"{pages / secs:.0f} pages/s (the loopback server's ceiling)")
    a, b = statistics.median(ours), statistics.median(theirs)
    print(f"\nconcurrency {args.concurrency}, {args.pages}-page loopback site, median of {args.rounds} round(s)")
    print(f"ppid-auditor: {a:.0f} pages/s")
    print(f"scrapy:       {b:.0f} pages/s")
    print(f"ratio ours/scrapy: {a / b:.2f}" if b else "ratio ours/scrapy: n/a (scrapy fetched nothing)")
    # Wall-clock rates depend on how much CPU each crawler gets on a shared machine (8 threads vs
    # Scrapy's one event loop); pages per CPU second is the contention-independent efficiency figure.
    ca, cb = statistics.median(ours_cpu), statistics.median(theirs_cpu)
    print(f"pages per CPU second: ppid-auditor {ca:.0f}, scrapy {cb:.0f}, ratio {ca / cb:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
