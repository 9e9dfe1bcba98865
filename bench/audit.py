"""Checks' cost: a full offline audit of a 2,000-page loopback site against the crawl alone, same run.

The site is `bench/crawl.py`'s link graph dressed like a real village WordPress site: a ~30-link menu,
sidebar, footer with the office's contacts, news articles of several paragraphs with dates and JSON-LD,
a stylesheet and jQuery, a few tables, and the demo's real documents (PDF, XLSX) linked from the PPID
pages. It is served by a threaded server in a child process (no shared GIL with the auditor).

Each round runs, each in a fresh forked process (so peak RSS is per measurement):
  1. the crawl alone (`auditor.crawler.crawl`), and
  2. a full audit (`auditor.runner.run_audit`, fresh store): crawl, store, and every offline check
     (links, headers, software, content with the demo's approved list, personal_data). tls is left out
     (the bench site is plain HTTP), zap too (a peer, not offline).
Prints wall and CPU seconds of both, each check's own time, peak RSS, and the checks' added share
`(audit - crawl) / crawl` (goal: <= 30%). The figure is a median over `--rounds`. The audit's CPU seconds
include its check processes (content and personal_data run in forked children with the default
`checks.processes: auto` on two cores or more; `--processes 0` measures every check in one process).
Peak RSS is the runner's process: a check process shares its pages copy-on-write, and the kernel's
figure for children also counts the short-lived helpers a library forks (ldconfig), so it is not printed.

    .venv/bin/python bench/audit.py [--pages 2000] [--concurrency 8] [--rounds 3] [--profile out.prof]
                                    [--processes auto|0|N]
                                    [--checks links,headers,software,content,personal_data,accessibility]

On a shared machine wall times swing with other load (a single-threaded check waits for a core while the
threaded crawl overlaps its waits); the CPU-seconds ratio is the contention-independent figure.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import queue
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["PPID_LOOPBACK_ONLY"] = "1"  # the bench never leaves the machine

# The offline checks of the first figure (issue 16); `--checks` adds later ones (e.g. accessibility).
CHECKS = ["links", "headers", "software", "content", "personal_data"]

MENU = [
    ("Beranda", "/"), ("Sejarah", "/profil/sejarah.html"), ("Visi dan Misi", "/profil/visi-misi.html"),
    ("Wilayah", "/profil/wilayah.html"), ("Struktur Organisasi", "/pemerintahan/struktur.html"),
    ("Perangkat Kalurahan", "/pemerintahan/perangkat.html"), ("Bamuskal", "/pemerintahan/bamuskal.html"),
    ("Profil PPID", "/ppid/profil.html"), ("Daftar Informasi Publik", "/ppid/daftar-informasi-publik.html"),
    ("Informasi Berkala", "/ppid/informasi-berkala.html"), ("Informasi Serta Merta", "/ppid/serta-merta.html"),
    ("Informasi Setiap Saat", "/ppid/setiap-saat.html"), ("Permohonan Informasi", "/ppid/permohonan.html"),
    ("Pengajuan Keberatan", "/ppid/keberatan.html"), ("Maklumat Pelayanan", "/ppid/maklumat.html"),
    ("Layanan Surat", "/layanan/surat.html"), ("Layanan Kependudukan", "/layanan/kependudukan.html"),
    ("APBDes", "/transparansi/apbdes.html"), ("Realisasi Anggaran", "/transparansi/realisasi.html"),
    ("Produk Hukum", "/transparansi/produk-hukum.html"), ("Galeri", "/galeri.html"), ("Berita", "/p/0.html"),
    ("Agenda", "/agenda.html"), ("Kontak", "/kontak.html"), ("Peta Desa", "/peta.html"),
    ("Potensi Desa", "/potensi.html"), ("BUMKal", "/bumkal.html"), ("Statistik", "/statistik.html"),
]
SENTENCES = [
    "Pemerintah Kalurahan Katongan menggelar musyawarah kalurahan untuk membahas rencana kerja tahun depan.",
    "Kegiatan dihadiri oleh Lurah, pamong, anggota Bamuskal, serta tokoh masyarakat dari setiap padukuhan.",
    "Pembangunan jalan rabat beton di Padukuhan Ngasem telah selesai dikerjakan secara swakelola.",
    "Dana desa tahap kedua dimanfaatkan untuk perbaikan saluran irigasi dan talud sepanjang 150 meter.",
    "Warga diimbau menjaga kebersihan lingkungan dan mengikuti kerja bakti setiap Minggu pagi.",
    "Posyandu balita dilaksanakan bersama kader kesehatan dan bidan desa di balai padukuhan.",
    "Penyaluran BLT Dana Desa dilakukan secara tertib dengan menerapkan protokol yang berlaku.",
    "Pelatihan pengolahan hasil pertanian diikuti oleh kelompok wanita tani dari enam padukuhan.",
    "Informasi lebih lanjut dapat diperoleh di kantor kalurahan pada hari dan jam kerja.",
    "Laporan pertanggungjawaban disampaikan secara terbuka sebagai wujud transparansi kepada masyarakat.",
]
MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember"]
JQUERY = b"/*! jQuery v3.7.1 | (c) OpenJS Foundation and other contributors | jquery.org/license */\n" + \
    b"!function(e,t){'use strict';}(this,function(){var version='3.7.1';});\n" * 40
CSS = b"body{font-family:sans-serif;margin:0}nav ul{display:flex;flex-wrap:wrap}.sidebar{float:right}\n" * 30


def _layout(title: str, body: str, *, docs: list[tuple[str, str]], recent: list[int]) -> bytes:
    menu = "".join(f'<li class="menu-item"><a href="{href}">{label}</a></li>' for label, href in MENU)
    side = "".join(f'<li><a href="/p/{k}.html">Berita nomor {k}</a></li>' for k in recent)
    doc_links = "".join(f'<li><a href="{path}">{label}</a></li>' for label, path in docs)
    return (
        "<!doctype html><html lang=id><head><meta charset=utf-8>"
        f"<title>{title} - Kalurahan Katongan</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="WordPress 6.4.2">'
        '<link rel="stylesheet" href="/wp-content/themes/desa/style.css?ver=6.4.2">'
        '<script src="/wp-includes/js/jquery/jquery.min.js?ver=3.7.1"></script>'
        "</head><body><header><a href=\"/\"><img src=\"/logo.png\" alt=\"Logo Kalurahan Katongan\"></a>"
        f'<nav class="main-menu"><ul>{menu}</ul></nav></header>'
        f'<main><article>{body}</article></main>'
        f'<aside class="sidebar"><h3>Berita Terbaru</h3><ul>{side}</ul>'
        + (f"<h3>Dokumen</h3><ul>{doc_links}</ul>" if docs else "")
        + "</aside><footer><p>Kantor Kalurahan Katongan, Kapanewon Nglipar, Kabupaten Gunungkidul.</p>"
        "<p>Telepon (0274) 391234 · <a href=\"mailto:ppid@katongan.desa.id\">ppid@katongan.desa.id</a></p>"
        '<p><a href="https://www.facebook.com/kalurahankatongan">Facebook</a> '
        '<a href="https://www.instagram.com/kalurahankatongan">Instagram</a></p>'
        "<p>&copy; 2025 Pemerintah Kalurahan Katongan</p></footer></body></html>"
    ).encode()


def news_page(i: int, n: int, docs: list[tuple[str, str]]) -> bytes:
    rng = random.Random(i)
    targets = sorted({(i + 1) % n, (i * 7 + 3) % n, (i * 13 + 5) % n, (i * 31 + 11) % n, i // 2})
    day, month, year = 1 + i % 28, i % 12, 2023 + i % 3
    paras = "".join("<p>" + " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(3, 6))) + "</p>"
                    for _ in range(rng.randint(4, 7)))
    related = "".join(f'<li><a href="/p/{t}.html">Berita nomor {t}</a></li>' for t in targets)
    table = ""
    if i % 10 == 0:  # some news posts carry a small table (distributions, schedules)
        rows = "".join(f"<tr><td>{k + 1}</td><td>Padukuhan {rng.choice('ABCDEFG')}</td>"
                       f"<td>{rng.randint(5, 60)} KK</td></tr>" for k in range(8))
        table = f"<table><thead><tr><th>No</th><th>Padukuhan</th><th>Jumlah</th></tr></thead>{rows}</table>"
    ld = ('<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",'
          f'"datePublished":"{year}-{month + 1:02d}-{day:02d}"}}</script>')
    body = (f"{ld}<h1>Berita {i}: Kegiatan Kalurahan</h1>"
            f'<p class="meta">Diposting pada <time datetime="{year}-{month + 1:02d}-{day:02d}">'
            f"{day} {MONTHS[month]} {year}</time> oleh Admin</p>{paras}{table}"
            f"<h3>Berita terkait</h3><ul>{related}</ul>")
    linked_docs = docs if i % 100 == 0 else []
    return _layout(f"Berita {i}", body, docs=linked_docs, recent=[(i + k) % n for k in range(1, 6)])


def build_site(n: int, doc_root: Path, today: date) -> dict[str, tuple[str, bytes]]:
    """path -> (content type, body) for an n-page site plus its documents and assets."""
    from auditor.demo.documents import plan_documents, write_documents

    planned = {k: d for k, d in plan_documents(today).items() if k != "undangan"}  # no OCR in this figure
    write_documents(doc_root, planned)
    docs = [(d.title, d.path) for d in planned.values()]
    static = [href for _label, href in MENU if href.endswith(".html") and not href.startswith("/p/")]
    news = n - len(static) - 1
    files: dict[str, tuple[str, bytes]] = {}
    for i in range(news):
        files[f"/p/{i}.html"] = ("text/html; charset=utf-8", news_page(i, news, docs))
    for k, href in enumerate(static):
        label = next(lbl for lbl, h in MENU if h == href)
        text = "".join(f"<p>{s}</p>" for s in SENTENCES[k % 5:k % 5 + 5])
        files[href] = ("text/html; charset=utf-8",
                       _layout(label, f"<h1>{label}</h1>{text}", docs=docs if href.startswith(("/ppid", "/trans"))
                               else [], recent=list(range(5))))
    files["/"] = ("text/html; charset=utf-8",
                  _layout("Beranda", "<h1>Selamat datang</h1><p>" + SENTENCES[0] + '</p><p><a href="/p/0.html">'
                          "Berita</a></p>", docs=docs, recent=list(range(5))))
    for d in planned.values():
        ctype = "application/pdf" if d.path.endswith(".pdf") else \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        files[d.path] = (ctype, (doc_root / d.path.lstrip("/")).read_bytes())
    files["/wp-includes/js/jquery/jquery.min.js"] = ("application/javascript", JQUERY)
    files["/wp-content/themes/desa/style.css"] = ("text/css", CSS)
    return files


def serve_site(files: dict[str, tuple[str, bytes]], port_queue) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # see bench/crawl.py: keep-alive would stall on delayed ACKs
        server_version = "nginx/1.18.0"
        sys_version = ""

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            ctype, body = files.get(self.path.split("?", 1)[0], ("text/html; charset=utf-8", None))
            status = 200 if body is not None else 404
            body = body if body is not None else b"<html><body><h1>404 Not Found</h1></body></html>"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Powered-By", "PHP/7.4.3")
            self.end_headers()
            self.wfile.write(body)

        def do_HEAD(self) -> None:
            self.do_GET()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 256
    port_queue.put(server.server_address[1])
    server.serve_forever()


PROCESSES = "auto"  # checks.processes of the audit (`--processes`)


def make_config(url: str, n: int, concurrency: int, work: Path, today: date):
    import yaml

    from auditor.config import config_from_dict
    from auditor.demo import demo_daftar

    daftar = work / "daftar.yaml"
    daftar.write_text(yaml.safe_dump(demo_daftar(url, today), sort_keys=False, allow_unicode=True),
                      encoding="utf-8")
    raw = {"sites": [{"name": "bench", "url": url, "approved_content": str(daftar)}],
           "crawl": {"max_pages": n + 50, "max_depth": 10_000, "concurrency": concurrency, "delay_s": 0,
                     "respect_robots": False, "time_budget_s": 3600, "timeout_s": 30, "max_documents": 50},
           "storage": {"database": str(work / "audit.sqlite")}, "checks": {"processes": PROCESSES}}
    return config_from_dict(raw, base_dir=work)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _children_cpu() -> float:
    """CPU seconds of this process's ended children: the audit's checks that ran in child processes."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def measure_crawl(url: str, n: int, concurrency: int, work: Path, today: date, out) -> None:
    from auditor.crawler import crawl, make_client

    cfg = make_config(url, n, concurrency, work, today)
    t0, c0 = time.perf_counter(), time.process_time()
    site = crawl(cfg.sites[0], cfg.crawl, make_client(cfg.crawl), quiet=True)
    out.put({"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0, "rss": _peak_rss_mb(),
             "pages": site.page_count, "documents": len(site.documents)})


def measure_audit(url: str, n: int, concurrency: int, work: Path, today: date, profile: str | None,
                  checks: list[str], out) -> None:
    from auditor.runner import run_audit
    from auditor.store import Store

    cfg = make_config(url, n, concurrency, work, today)
    store = Store(cfg.database_path)
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t0, c0, k0 = time.perf_counter(), time.process_time(), _children_cpu()
    outcome = run_audit(cfg, cfg.sites[0], store, only=checks, quiet=True)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0 + _children_cpu() - k0
    if prof is not None:
        prof.disable()
        prof.dump_stats(profile)
    store.close()
    out.put({"wall": wall, "cpu": cpu, "rss": _peak_rss_mb(), "pages": outcome.site.page_count,
             "documents": len(outcome.site.documents), "findings": len(outcome.findings),
             "checks": {c.name: (c.status, c.duration_s, c.error) for c in outcome.checks}})


def _in_child(ctx, target, *args) -> dict:
    out = ctx.Queue()
    child = ctx.Process(target=target, args=(*args, out))
    child.start()
    while True:  # a measurement that dies must end the bench, not hang it
        try:
            result = out.get(timeout=5)
            break
        except queue.Empty:
            if not child.is_alive():
                raise RuntimeError(f"{target.__name__} failed (exit code {child.exitcode})") from None
    child.join()
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--profile", help="write a cProfile of the last round's audit to this file")
    ap.add_argument("--checks", default=",".join(CHECKS), help="comma-separated checks (default: %(default)s)")
    ap.add_argument("--processes", default="auto",
                    help="checks.processes of the audit: auto, or 0 (every check in the runner's process)...")
    args = ap.parse_args()
    global PROCESSES
    PROCESSES = args.processes if args.processes == "auto" else int(args.processes)
    # Imported once here so the forked measurements time work, not imports.
    import auditor.runner  # noqa: F401
    import checks.content  # noqa: F401
    import checks.headers  # noqa: F401
    import checks.personal_data  # noqa: F401
    import checks.software  # noqa: F401

    ctx = mp.get_context("fork")
    today = date.today()
    with tempfile.TemporaryDirectory(prefix="ppid-bench-audit-") as tmp:
        root = Path(tmp)
        files = build_site(args.pages, root / "site", today)
        ports = ctx.Queue()
        server = ctx.Process(target=serve_site, args=(files, ports), daemon=True)
        server.start()
        url = f"http://127.0.0.1:{ports.get(timeout=60)}/"
        crawls, audits = [], []
        try:
            for rnd in range(1, args.rounds + 1):
                work = root / f"round{rnd}"
                (work / "c").mkdir(parents=True)
                (work / "a").mkdir(parents=True)
                c = _in_child(ctx, measure_crawl, url, args.pages, args.concurrency, work / "c", today)
                prof = args.profile if args.profile and rnd == args.rounds else None
                a = _in_child(ctx, measure_audit, url, args.pages, args.concurrency, work / "a", today, prof,
                              args.checks.split(","))
                crawls.append(c)
                audits.append(a)
                print(f"round {rnd}: crawl {c['pages']} pages + {c['documents']} documents in {c['wall']:.2f} s "
                      f"({c['cpu']:.2f} CPU s, peak RSS {c['rss']:.0f} MB); full audit {a['wall']:.2f} s "
                      f"({a['cpu']:.2f} CPU s with its check processes, peak RSS {a['rss']:.0f} MB, "
                      f"{a['findings']} findings); "
                      f"added {(a['wall'] - c['wall']) / c['wall']:+.0%}")
                print("         checks: " + ", ".join(
                    f"{name} {dur:.2f} s" + ("" if status == "ok" else f" [{status}: {err}]")
                    for name, (status, dur, err) in a["checks"].items()))
        finally:
            server.terminate()
    cw = statistics.median(c["wall"] for c in crawls)
    aw = statistics.median(a["wall"] for a in audits)
    cc = statistics.median(c["cpu"] for c in crawls)
    ac = statistics.median(a["cpu"] for a in audits)
    share = statistics.median((a["wall"] - c["wall"]) / c["wall"] for c, a in zip(crawls, audits, strict=True))
    per_check = {name: statistics.median(a["checks"][name][1] for a in audits) for name in audits[0]["checks"]}
    print(f"\n{args.pages}-page loopback site, concurrency {args.concurrency}, checks.processes {PROCESSES}, "
          f"median of {args.rounds} round(s)")
    print(f"crawl alone: {cw:.2f} s wall, {cc:.2f} CPU s, peak RSS "
          f"{statistics.median(c['rss'] for c in crawls):.0f} MB")
    print(f"full audit:  {aw:.2f} s wall, {ac:.2f} CPU s (its check processes included), peak RSS "
          f"{statistics.median(a['rss'] for a in audits):.0f} MB (the runner's process)")
    print("checks' own time: " + ", ".join(f"{k} {v:.2f} s" for k, v in per_check.items())
          + f" (sum {sum(per_check.values()):.2f} s; the checks that run apart overlap the others)")
    print(f"ratio audit/crawl: {aw / cw:.2f} wall, {ac / cc:.2f} CPU")
    print(f"checks' added share of the crawl's wall time: {share:+.0%} (goal <= +30%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
