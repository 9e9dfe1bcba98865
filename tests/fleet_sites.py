"""Generated village sites for the fleet tests and bench: tiny, varied, all on 127.0.0.1.

Site i gets 1 + i % 3 inner pages and, depending on i, security headers or not and a broken link or not,
so the ranking has something to rank. `page_delay_s` stretches an audit so a worker can be killed mid-run.
"""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import LoopbackServer, free_port, need_peer, serve, stop_process

SECURE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
}


def site_routes(i: int, page_delay_s: float = 0.0) -> dict:
    headers = {"Content-Type": "text/html; charset=utf-8", **(SECURE_HEADERS if i % 2 == 0 else {})}
    inner = [f"/berita-{k}.html" for k in range(1 + i % 3)]
    links = "".join(f'<li><a href="{p}">Berita {k}</a></li>' for k, p in enumerate(inner))
    if i % 4 == 1:
        links += '<li><a href="/hilang.html">Dokumen hilang</a></li>'  # 404: content.link.broken

    def page(body: str):
        def handler(_h):
            if page_delay_s:
                time.sleep(page_delay_s)
            return 200, headers, body
        return handler

    routes: dict = {"/": page(f"<html><head><title>PPID Desa {i:03d}</title></head><body>"
                              f"<h1>PPID Desa {i:03d}</h1><ul>{links}</ul></body></html>"),
                    "/robots.txt": (200, {"Content-Type": "text/plain"}, "User-agent: *\nAllow: /\n")}
    for k, p in enumerate(inner):
        routes[p] = page(f"<html><head><title>Berita {k}</title></head><body><p>Kabar desa {i} nomor {k}.</p>"
                         f'<a href="/">Beranda</a></body></html>')
    return routes


@contextlib.contextmanager
def village_sites(n: int, page_delay_s: float = 0.0) -> Iterator[list[LoopbackServer]]:
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(serve(site_routes(i, page_delay_s))) for i in range(n)]


def write_sites_csv(path: Path, servers: list[LoopbackServer], *, extra: list[tuple[str, str]] = ()) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=";")  # as Excel saves it in an Indonesian locale
        w.writerow(["name", "url"])
        for i, s in enumerate(servers):
            w.writerow([f"desa-{i:03d}", s.url])
        for row in extra:
            w.writerow(row)
    return path


def closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}/"  # nothing listens there once the socket is closed


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A throw-away Redis on 127.0.0.1 (Debian redis-server): no persistence, a temp dir, stopped after."""
    exe = need_peer("redis-server")
    tmp = Path(tempfile.mkdtemp(prefix="ppid-redis-"))
    port = free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp), "--protected-mode", "yes"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as c:
                    c.sendall(b"PING\r\n")
                    if c.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail("redis-server did not start")
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop_process(proc, 10)
        shutil.rmtree(tmp, ignore_errors=True)


def worker_env() -> dict[str, str]:
    env = dict(os.environ, PPID_LOOPBACK_ONLY="1")
    return env
