"""Shared helpers for the tls tests: certificates, TLS servers on 127.0.0.1, nginx, running the check.

No tests here; imported by test_tls.py, test_tls_testssl.py and bench/tls.py.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from auditor.certs import KeyPair, make_ca, make_leaf, write_pair
from auditor.http import HttpClient
from auditor.snapshot import Page, Site
from checks.base import CheckContext, CheckResult
from checks.tls import TlsCheck, TlsConfig
from checks.tls.check import endpoint
from checks.tls.model import TlsScan
from checks.tls.scan import scan_host
from tests.servers import free_port, serve, stop_process, wait_port

MODERN_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20"
PRELOAD_HSTS = "max-age=63072000; includeSubDomains; preload"


@dataclass
class CertSet:
    """Every certificate scenario, written under one directory."""

    dir: Path
    ca: KeyPair
    pairs: dict[str, tuple[Path, Path]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ca_file(self) -> Path:
        return self.dir / "ca.pem"


def make_cert_set(directory: Path) -> CertSet:
    now = datetime.now(UTC)
    # Older than every test leaf, as a real CA would be (the expired leaf must chain at its own dates).
    ca = make_ca(not_before=now - timedelta(days=1000))
    cs = CertSet(directory, ca)
    directory.mkdir(parents=True, exist_ok=True)
    cs.ca_file.write_bytes(ca.cert_pem())
    good = make_leaf(ca)
    cs.pairs["good"] = write_pair(good, directory, "good")
    cs.extra["good"] = good
    cs.pairs["good_fullchain"] = write_pair(good, directory, "good_fullchain", chain=[ca])
    cs.pairs["expired"] = write_pair(make_leaf(ca, not_before=now - timedelta(days=400),
                                               not_after=now - timedelta(days=5)), directory, "expired")
    cs.pairs["not_yet_valid"] = write_pair(make_leaf(ca, not_before=now + timedelta(days=3),
                                                     not_after=now + timedelta(days=400)), directory, "nyv")
    cs.pairs["expiring"] = write_pair(make_leaf(ca, not_after=now + timedelta(days=10, hours=12)),
                                      directory, "expiring")
    cs.pairs["self_signed"] = write_pair(make_leaf(None), directory, "self_signed")
    other = make_ca("Unknown Other CA")
    cs.pairs["untrusted"] = write_pair(make_leaf(other), directory, "untrusted", chain=[other])
    cs.pairs["mismatch"] = write_pair(make_leaf(ca, ["other.example"]), directory, "mismatch")
    inter = make_ca("ppid-auditor Test Intermediate", issuer=ca)
    chained = make_leaf(inter)
    cs.pairs["chain_incomplete"] = write_pair(chained, directory, "chain_incomplete")
    cs.pairs["chain_complete"] = write_pair(chained, directory, "chain_complete", chain=[inter])
    cs.pairs["weak"] = write_pair(make_leaf(ca, bits=1024, hash_alg=hashes.SHA1()), directory, "weak")
    cs.pairs["ec"] = write_pair(make_leaf(ca, key_kind="ec"), directory, "ec")
    # A stapled OCSP response ("good") for nginx's ssl_stapling_file.
    builder = (ocsp.OCSPResponseBuilder()
               .add_response(cert=good.cert, issuer=ca.cert, algorithm=hashes.SHA1(),
                             cert_status=ocsp.OCSPCertStatus.GOOD, this_update=now - timedelta(hours=1),
                             next_update=now + timedelta(days=7), revocation_time=None, revocation_reason=None)
               .responder_id(ocsp.OCSPResponderEncoding.HASH, ca.cert))
    der = builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    (directory / "good.ocsp.der").write_bytes(der)
    return cs


def server_context(crt: Path, key: Path, *, ciphers: str | None = MODERN_CIPHERS,
                   min_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2,
                   max_version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # SECLEVEL=0 so OpenSSL 3 lets old protocols, NULL/anonymous suites and 1024-bit keys through.
    ctx.set_ciphers((ciphers or "DEFAULT") + ":@SECLEVEL=0")
    ctx.minimum_version = min_version
    if max_version is not None:
        ctx.maximum_version = max_version
    ctx.load_cert_chain(crt, key)
    return ctx


@contextmanager
def tls_server(crt: Path, key: Path, *, hsts: str | None = PRELOAD_HSTS, **ctx_kw: Any) -> Iterator[int]:
    headers = {"Content-Type": "text/html"}
    if hsts:
        headers["Strict-Transport-Security"] = hsts
    with serve({"/": (200, headers, b"<h1>PPID</h1>")}, tls=server_context(crt, key, **ctx_kw)) as srv:
        yield srv.port


@contextmanager
def http_server(location: str | None) -> Iterator[int]:
    """Plain HTTP on 127.0.0.1: a 301 to `location`, or a 200 page when None."""
    route = (301, {"Location": location}, b"") if location else (200, {"Content-Type": "text/html"}, b"hi")
    with serve({}, default=route) as srv:
        yield srv.port


@contextmanager
def black_hole() -> Iterator[int]:
    """A port that accepts TCP connections (backlog) but never speaks."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    try:
        yield s.getsockname()[1]
    finally:
        s.close()


closed_port = free_port  # the name reads better at "connection refused" call sites


def make_ctx(url: str, *, pages: list[Page] | None = None, now: datetime | None = None,
             previous: Any = None, base_dir: Path | None = None, **cfg: Any) -> CheckContext:
    cfg.setdefault("timeout_s", 3)
    # The crawl snapshot (empty by default: the check then fetches what it needs itself).
    site = Site(name="desa", url=url, pages=list(pages or []))
    ctx = CheckContext(site=site, config=TlsConfig(**cfg), http=HttpClient(timeout_s=3),
                       site_config=SimpleNamespace(url=url), base_dir=base_dir or Path("."),
                       previous_facts=previous)
    if now is not None:
        ctx.now = lambda: now
    return ctx


def run_check(url: str, **kw: Any) -> CheckResult:
    return TlsCheck().run(make_ctx(url, **kw))


def scan_for(url: str, **kw: Any) -> TlsScan:
    """One handshake scan, to evaluate several times (clock, config) without scanning again."""
    ctx = make_ctx(url, **kw)
    ep = endpoint(ctx, ctx.config)
    return scan_host(ep.host, ep.port, timeout_s=3, ca_file=ep.ca_file)


def evaluate(url: str, scan: TlsScan, **kw: Any) -> CheckResult:
    return TlsCheck().evaluate(make_ctx(url, **kw), scan)


def rules(res: CheckResult) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in res.findings:
        out.setdefault(f.rule, []).append(f)
    return out


@contextmanager
def nginx_server(crt: Path, key: Path, *, extra: str = "") -> Iterator[int]:
    """nginx from Debian in the foreground on a free port with a temp prefix."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    port = closed_port()
    with tempfile.TemporaryDirectory(prefix="ppid-nginx-") as tmp:
        prefix = Path(tmp)
        (prefix / "logs").mkdir()
        conf = prefix / "nginx.conf"
        conf.write_text(f"""
daemon off; master_process off; worker_processes 1; pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {prefix}/cb; proxy_temp_path {prefix}/px; fastcgi_temp_path {prefix}/fc;
  uwsgi_temp_path {prefix}/uw; scgi_temp_path {prefix}/sc;
  server {{
    listen 127.0.0.1:{port} ssl;
    server_name localhost;
    ssl_certificate {crt}; ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;
    {extra}
    add_header Strict-Transport-Security "{PRELOAD_HSTS}" always;
    location / {{ return 200 "PPID"; }}
  }}
}}
""")
        proc = subprocess.Popen([binary, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "logs/error.log")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_port(port, 10, proc=proc)
            yield port
        finally:
            stop_process(proc, 5)
