"""Real loopback servers for the tests (Python's http.server and ssl), plus peer discovery.

`serve(routes)` starts a threaded HTTP(S) server on 127.0.0.1 with a free port. A route is
`path -> (status, headers, body)` or a callable `(handler) -> (status, headers, body)`; a callable
may also write the response itself and return None (streaming, slow drip, gzip bombs).
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

Route = tuple[int, dict[str, str] | list[tuple[str, str]], bytes | str]
RouteFn = Callable[[BaseHTTPRequestHandler], Route | None]


@dataclass
class LoopbackServer:
    url: str
    port: int
    server: ThreadingHTTPServer
    stats: dict[str, Any] = field(default_factory=lambda: {"bytes_sent": 0, "requests": 0, "paths": []})


def _make_handler(routes: dict[str, Route | RouteFn], stats: dict[str, Any], default: Route | RouteFn | None,
                  server_header: str | None = None):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def version_string(self) -> str:  # the `Server` header: Python's own unless the test plays another
            return server_header or super().version_string()

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _respond(self) -> None:
            path = self.path
            route = routes.get(path)
            if route is None:
                route = routes.get(urlsplit(path).path, default)
            stats["requests"] += 1
            stats["paths"].append(path)
            if route is None:
                route = (404, {"Content-Type": "text/html"}, b"<h1>404 Not Found</h1>")
            result = route(self) if callable(route) else route
            if result is None:
                return
            status, headers, body = result
            if isinstance(body, str):
                body = body.encode("utf-8")
            items = headers.items() if isinstance(headers, dict) else headers
            self.send_response(status)
            names = set()
            for k, v in items:
                self.send_header(k, v)
                names.add(k.lower())
            if "content-length" not in names:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
                stats["bytes_sent"] += len(body)

        def _safe(self) -> None:
            try:
                self._respond()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeouts, caps, kill -9): expected in these tests

        do_GET = do_HEAD = do_POST = do_OPTIONS = _safe

    return Handler


@contextmanager
def serve(routes: dict[str, Route | RouteFn], *, tls: ssl.SSLContext | None = None,
          default: Route | RouteFn | None = None, host: str = "127.0.0.1",
          server_header: str | None = None) -> Iterator[LoopbackServer]:
    stats: dict[str, Any] = {"bytes_sent": 0, "requests": 0, "paths": []}
    server = ThreadingHTTPServer((host, 0), _make_handler(routes, stats, default, server_header))
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    scheme = "https" if tls else "http"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LoopbackServer(f"{scheme}://{host}:{port}/", port, server, stats)
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    """A 127.0.0.1 port nothing listens on right now: for a server we start, or a "connection refused" target."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 10.0, *, proc: subprocess.Popen | None = None) -> None:
    """Return once 127.0.0.1:port accepts TCP. TimeoutError after `timeout`; RuntimeError as soon as
    `proc` (the server we started) exits, with the head of its stderr when that was piped."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            err = proc.stderr.read()[:500] if proc.stderr else b""
            err = err.decode(errors="replace") if isinstance(err, bytes) else err
            raise RuntimeError(f"{proc.args[0]} exited ({proc.returncode}) before 127.0.0.1:{port} listened: {err}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout:g} s") from None
            time.sleep(0.05)


def tls_context(cert: Path, key: Path, *, legacy: bool = False) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if legacy:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.load_cert_chain(cert, key)
    return ctx


REPO = Path(__file__).resolve().parents[1]
NODE_BIN = REPO / "tools" / "node" / "node_modules" / ".bin"


def require_integration() -> bool:
    return os.environ.get("PPID_REQUIRE_INTEGRATION") == "1"


def need_peer(name: str, path: str | None = None) -> str:
    """Path of an external peer, or skip — unless PPID_REQUIRE_INTEGRATION=1, where absence fails."""
    found = path if path and Path(path).exists() else shutil.which(name) or (
        str(NODE_BIN / name) if (NODE_BIN / name).exists() else None)
    if found:
        return found
    msg = f"peer {name!r} is not installed (run scripts/install-system-deps.sh)"
    if require_integration():
        pytest.fail(msg + " and PPID_REQUIRE_INTEGRATION=1")
    pytest.skip(msg)
    raise AssertionError  # unreachable


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """Terminate a server started by a fixture; kill it if it does not stop within `timeout`."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
