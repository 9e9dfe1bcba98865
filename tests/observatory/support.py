"""Test helpers for the headers check: snapshots from live servers, nginx in the foreground, the
Observatory node driver."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from auditor.certs import make_ca, make_leaf, write_pair
from auditor.http import HttpClient
from auditor.snapshot import Page, Site
from checks.base import CheckContext, CheckResult
from checks.headers import HeadersCheck, HeadersConfig
from tests.servers import REPO, stop_process

OBSERVATORY_DIR = REPO / "tools" / "node" / "node_modules" / "@mdn" / "mdn-http-observatory"
DRIVER = Path(__file__).with_name("observe.mjs")


def write_pki(d: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a leaf for localhost/127.0.0.1 in `d`: (ca_crt, leaf_crt, leaf_key)."""
    ca = make_ca()
    ca_crt, _ = write_pair(ca, d, "ca")
    crt, key = write_pair(make_leaf(ca, ["localhost", "127.0.0.1"]), d, "leaf")
    return ca_crt, crt, key


def snapshot(url: str, http: HttpClient | None = None, name: str = "t") -> Site:
    """What the crawler would record for the start page (one page is enough for headers)."""
    http = http or HttpClient(timeout_s=10)
    r = http.fetch(url)
    page = Page(url=url, final_url=r.final_url, status=r.status, headers=r.headers, body=r.body,
                redirects=r.redirects, error=r.error)
    return Site(name=name, url=url, pages=[page])


def run_headers(site: Site, http: HttpClient | None = None, **cfg: Any) -> CheckResult:
    http = http or HttpClient(timeout_s=10)
    ctx = CheckContext(site=site, config=HeadersConfig(**cfg), http=http, site_config=None)
    result = HeadersCheck().run(ctx)
    assert isinstance(result, CheckResult)
    return result


def by_rule(result: CheckResult) -> dict[str, Any]:
    return {f.rule: f for f in result.findings}


def observatory(node: str, targets: list[dict], ca_file: Path | None = None, timeout: float = 120) -> dict:
    """Run the real Observatory (through observe.mjs) on targets; results by id."""
    env = dict(os.environ, OBSERVATORY_DIR=str(OBSERVATORY_DIR))
    if ca_file:
        env["NODE_EXTRA_CA_CERTS"] = str(ca_file)
    proc = subprocess.run([node, str(DRIVER)], input=json.dumps(targets), capture_output=True, text=True,
                          env=env, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"observe.mjs failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return {r["id"]: r for r in json.loads(proc.stdout)}


@contextmanager
def nginx(servers: str, workdir: Path, nginx_bin: str | None = None) -> Iterator[None]:
    """nginx from Debian as a foreground, single process with a temp prefix; `servers` is the http{} body."""
    binary = nginx_bin or shutil.which("nginx") or "/usr/sbin/nginx"
    workdir.mkdir(parents=True, exist_ok=True)
    for d in ("logs", "tmp"):
        (workdir / d).mkdir(exist_ok=True)
    conf = workdir / "nginx.conf"
    conf.write_text(f"""
daemon off;
master_process off;
worker_processes 1;
error_log {workdir}/logs/error.log warn;
pid {workdir}/nginx.pid;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {workdir}/tmp/body;
  proxy_temp_path {workdir}/tmp/proxy;
  fastcgi_temp_path {workdir}/tmp/fastcgi;
  uwsgi_temp_path {workdir}/tmp/uwsgi;
  scgi_temp_path {workdir}/tmp/scgi;
  types {{ text/html html; application/javascript js; application/json json; }}
  default_type application/octet-stream;
  server_tokens off;
{servers}
}}
""")
    proc = subprocess.Popen([binary, "-p", str(workdir), "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        yield
    finally:
        stop_process(proc, 10)
