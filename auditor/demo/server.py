"""Loopback HTTP + HTTPS server for the demo site, configured the way many village sites really are.

Deliberate problems for the checks: no HSTS, CSP or X-Frame-Options; `Server: Apache/2.4.29 (Ubuntu)` and
`X-Powered-By: PHP/7.2.24`; a `PHPSESSID` cookie without Secure/HttpOnly; HTTP does not redirect to
HTTPS; `/wp-login.php` reachable; an Apache-style directory listing under `/wp-content/uploads/`.
It behaves correctly otherwise: HEAD, real 404s, ETag/Last-Modified with 304 on conditional GET.
"""

from __future__ import annotations

import email.utils
import html
import mimetypes
import re
import secrets
import shutil
import socket
import ssl
import tempfile
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from auditor.certs import make_ca, make_leaf, write_pair
from auditor.demo.site import BASE_URL_TOKEN

SERVER_BANNER = "Apache/2.4.29 (Ubuntu)"
POWERED_BY = "PHP/7.2.24"
LISTING_PREFIX = "/wp-content/uploads/"  # Options +Indexes left on, as on many shared hosts
INDEX_FILES = ("index.html", "index.rss")
TYPES = {".html": "text/html; charset=UTF-8", ".php": "text/html; charset=UTF-8",
         ".rss": "application/rss+xml; charset=UTF-8", ".xml": "application/xml; charset=UTF-8",
         ".txt": "text/plain; charset=UTF-8", ".css": "text/css", ".js": "application/javascript",
         ".pdf": "application/pdf", ".png": "image/png",
         ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_HOST_OK = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")

NOT_FOUND = """<!DOCTYPE html>
<html lang="id-ID"><head><meta charset="UTF-8"><meta name="generator" content="WordPress 5.8.1">
<title>Halaman tidak ditemukan &#8211; PPID Kalurahan Katongan</title></head>
<body><h1>Halaman tidak ditemukan</h1><p>Maaf, halaman yang Anda cari tidak ada.
<a href="/">Kembali ke beranda</a></p></body></html>
"""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # an idle keep-alive connection must not pin a thread forever
    root: Path
    scheme: str

    def version_string(self) -> str:
        return SERVER_BANNER

    def log_message(self, *args: Any) -> None:
        pass

    # -- helpers -----------------------------------------------------------------------------------------
    def _base_url(self) -> str:
        host = self.headers.get("Host", "")
        if not _HOST_OK.match(host):
            host = f"{self.server.server_address[0]}:{self.server.server_address[1]}"
        return f"{self.scheme}://{host}/"

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status != 304:
            self.wfile.write(body)

    def _php_headers(self) -> list[tuple[str, str]]:
        """What a PHP-rendered WordPress page adds: the PHP banner and a session cookie."""
        out = [("X-Powered-By", POWERED_BY)]
        if "PHPSESSID=" not in (self.headers.get("Cookie") or ""):
            out.append(("Set-Cookie", f"PHPSESSID={secrets.token_hex(13)}; path=/"))
        return out

    def _resolve(self, path: str) -> Path | None:
        parts = [p for p in unquote(path).split("/") if p not in ("", ".")]
        if any(p == ".." or "\\" in p or "\x00" in p for p in parts):
            return None
        return self.root.joinpath(*parts)

    # -- dispatch ----------------------------------------------------------------------------------------
    def _handle(self) -> None:
        path = urlsplit(self.path).path or "/"
        if path.rstrip("/") == "/wp-admin":
            self._send(302, [("Location", "/wp-login.php?redirect_to=%2Fwp-admin%2F&reauth=1"),
                             ("Content-Type", "text/html; charset=UTF-8"), *self._php_headers()], b"")
            return
        if self.command == "POST" and path != "/wp-login.php":
            self._send(405, [("Allow", "GET, HEAD"), ("Content-Type", "text/plain")], b"Method Not Allowed\n")
            return
        target = self._resolve(path)
        if target is not None and target.is_dir():
            if not path.endswith("/"):
                self._send(301, [("Location", path + "/"), ("Content-Type", "text/html; charset=UTF-8")], b"")
                return
            index = next((target / n for n in INDEX_FILES if (target / n).is_file()
                          or (target / (n + ".in")).is_file()), None)
            if index is None:
                self._listing(path, target) if path.startswith(LISTING_PREFIX) else self._not_found()
                return
            target = index
        if target is not None and not target.name.endswith(".in"):
            if target.is_file():
                self._file(target)
                return
            template = target.with_name(target.name + ".in")
            if template.is_file():
                self._file(template, template=True)
                return
        self._not_found()

    def _safe_handle(self) -> None:
        try:
            self._handle()
        except OSError as exc:  # e.g. a path too long for the file system: answer, do not drop the client
            if isinstance(exc, (BrokenPipeError, ConnectionResetError)):
                return
            self._not_found()

    do_GET = do_HEAD = do_POST = _safe_handle

    def _not_found(self) -> None:
        self._send(404, [("Content-Type", "text/html; charset=UTF-8"), *self._php_headers()],
                   NOT_FOUND.encode())

    def _file(self, target: Path, *, template: bool = False) -> None:
        name = target.name.removesuffix(".in")
        suffix = Path(name).suffix
        ctype = TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        st = target.stat()
        body = target.read_bytes()
        etag_extra = ""
        if template:
            base = self._base_url()
            body = body.replace(BASE_URL_TOKEN.encode(), base.encode())
            etag_extra = f"-{zlib.crc32(base.encode()):x}"
        etag = f'"{st.st_size:x}-{st.st_mtime_ns // 1000:x}{etag_extra}"'  # Apache's size-mtime shape
        last_modified = email.utils.formatdate(st.st_mtime, usegmt=True)
        headers = [("Last-Modified", last_modified), ("ETag", etag), ("Accept-Ranges", "bytes"),
                   ("Content-Type", ctype)]
        if suffix in (".html", ".php"):
            headers += self._php_headers()
        if name == "wp-login.php":  # WordPress sends these on its login page only
            headers += [("X-Frame-Options", "SAMEORIGIN"), ("Referrer-Policy", "strict-origin-when-cross-origin")]
        if self.command in ("GET", "HEAD") and self._not_modified(etag, int(st.st_mtime)):
            self._send(304, [h for h in headers if h[0] != "Content-Type"], b"")
            return
        self._send(200, headers, body)

    def _not_modified(self, etag: str, mtime: int) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return any(tag.strip() in (etag, "*", "W/" + etag) for tag in inm.split(","))
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError, IndexError):
                return False
            return mtime <= since
        return False

    def _listing(self, path: str, folder: Path) -> None:
        rows = "\n".join(f'<li><a href="{html.escape(p.name)}{"/" if p.is_dir() else ""}">'
                         f'{html.escape(p.name)}{"/" if p.is_dir() else ""}</a></li>'
                         for p in sorted(folder.iterdir()))
        body = (f"<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n<html><head><title>Index of "
                f"{html.escape(path)}</title></head><body><h1>Index of {html.escape(path)}</h1><ul>"
                f'<li><a href="../">Parent Directory</a></li>\n{rows}</ul><address>{SERVER_BANNER} Server at '
                f"{html.escape(self.headers.get('Host', 'localhost'))}</address></body></html>\n").encode()
        self._send(200, [("Content-Type", "text/html;charset=UTF-8")], body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # closing must not wait for idle keep-alive clients
    tls: ssl.SSLContext | None = None

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake runs here, in the per-connection thread, so one stalled client cannot block
        # the accept loop.
        if self.tls is not None:
            request.settimeout(15)
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                request.close()
                return
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients (scanners especially) drop connections mid-way; that is not worth a traceback


class DemoServer:
    """Serve `root` over HTTP and HTTPS on loopback; a fresh demo CA and certificate each start.

    Use as a context manager; `.http_url`, `.https_url` (host `localhost`) and `.ca_file` are set once
    started. Port 0 picks a free port.
    """

    def __init__(self, root: Path, http_port: int = 0, https_port: int = 0, host: str = "127.0.0.1",
                 cert_dir: Path | None = None):
        self.root = Path(root).resolve()
        self.host = host
        self._ports = (http_port, https_port)
        self._cert_dir = Path(cert_dir) if cert_dir else None
        self._own_cert_dir: str | None = None
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self.http_port = self.https_port = 0
        self.ca_file: Path | None = None
        self.cert_file: Path | None = None

    @property
    def http_url(self) -> str:
        return f"http://localhost:{self.http_port}/"

    @property
    def https_url(self) -> str:
        return f"https://localhost:{self.https_port}/"

    def _make_certs(self) -> ssl.SSLContext:
        if self._cert_dir is None:
            self._own_cert_dir = tempfile.mkdtemp(prefix="ppid-demo-certs-")
            self._cert_dir = Path(self._own_cert_dir)
        ca = make_ca("PPID Katongan Demo CA")
        leaf = make_leaf(ca, ["localhost", "127.0.0.1"])
        self.ca_file, _ = write_pair(ca, self._cert_dir, "demo-ca")
        self.cert_file, key_file = write_pair(leaf, self._cert_dir, "localhost")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_file, key_file)
        return ctx

    def _bind(self, port: int, scheme: str, tls: ssl.SSLContext | None) -> _Server:
        handler = type(f"DemoHandler_{scheme}", (_Handler,), {"root": self.root, "scheme": scheme})
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        server_cls = type("_DemoServer", (_Server,), {"address_family": family, "tls": tls})
        server = server_cls((self.host, port), handler)
        self._servers.append(server)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                  name=f"demo-{scheme}", daemon=True)
        thread.start()
        self._threads.append(thread)
        return server

    def start(self) -> DemoServer:
        try:
            tls = self._make_certs()
            self.http_port = self._bind(self._ports[0], "http", None).server_address[1]
            self.https_port = self._bind(self._ports[1], "https", tls).server_address[1]
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()
        if self._own_cert_dir:
            shutil.rmtree(self._own_cert_dir, ignore_errors=True)
            self._own_cert_dir = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
