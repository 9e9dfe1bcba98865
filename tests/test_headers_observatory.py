"""Integration: our headers grade equals the real MDN HTTP Observatory's on live loopback servers.

Every header set is served by a real server (Python http.server or nginx from Debian), graded by our
check from a snapshot of the start page, and by the Observatory's own retriever + tests + grader
(tests/observatory/observe.mjs) against the very same servers.
"""

from __future__ import annotations

import json
import subprocess
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.observatory.support import (
    OBSERVATORY_DIR,
    nginx,
    observatory,
    run_headers,
    snapshot,
    write_pki,
)
from tests.servers import free_port, need_peer, serve, tls_context, wait_port

pytestmark = pytest.mark.slow

HTML = "text/html; charset=utf-8"
PAGE = "<!doctype html><html><head><title>PPID Desa</title>{head}</head><body><h1>PPID</h1>{body}</body></html>"


def page(head: str = "", body: str = "") -> str:
    return PAGE.format(head=head, body=body)


BEST_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")

# id -> (https response or None, http behaviour, http-only response or None)
# http behaviour: "redirect" (301 to https), "hop" (302 to another http URL, then 301 to https),
# "offhost" (301 to https on localhost), "none" (nothing listens), "serve" (the http server serves the page)
PY_SETS: dict[str, tuple] = {
    "bare-http": (None, "serve", (200, {"Content-Type": HTML}, page(body="<script>var a=1;</script>"))),
    "best-https": ((200, [("Content-Type", HTML), ("Strict-Transport-Security",
                                                   "max-age=63072000; includeSubDomains; preload"),
                          ("Content-Security-Policy", BEST_CSP), ("X-Content-Type-Options", "nosniff"),
                          ("X-Frame-Options", "DENY"), ("Referrer-Policy", "no-referrer"),
                          ("Cross-Origin-Resource-Policy", "same-origin"),
                          ("Set-Cookie", "__Host-sess=abc; Path=/; Secure; HttpOnly; SameSite=Strict")],
                    page('<script src="/app.js" integrity="sha384-abc" crossorigin="anonymous"></script>')),
                   "redirect", None),
    "unsafe-csp-http": (None, "serve", (200, [
        ("Content-Type", HTML), ("Content-Security-Policy", "default-src 'self' 'unsafe-inline' 'unsafe-eval'"),
        ("Referrer-Policy", "unsafe-url"), ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "SAMEORIGIN"), ("Set-Cookie", "PHPSESSID=1; path=/"),
        ("Set-Cookie", "csrftoken=2; path=/")], page())),
    "duplicates-https": ((200, [
        ("Content-Type", HTML), ("Strict-Transport-Security", "max-age=31536000"),
        ("Strict-Transport-Security", "max-age=31536000"), ("X-Content-Type-Options", "nosniff"),
        ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "SAMEORIGIN"),
        ("X-Frame-Options", "SAMEORIGIN"), ("Referrer-Policy", "no-referrer"), ("Referrer-Policy", "unsafe-url"),
        ("Content-Security-Policy", "default-src 'self'"), ("Content-Security-Policy", "script-src 'self'")],
        page()), "redirect", None),
    "junk-https": ((200, [
        ("Content-Type", HTML), ("Strict-Transport-Security", "max-age=abc; includeSubDomains"),
        ("Content-Security-Policy", "script-src 'self'; script-src 'none'"),
        ("X-Frame-Options", "ALLOW-FROM https://example.com"), ("Referrer-Policy", "nonsense"),
        ("Set-Cookie", "sid=1; Secure; SameSite=Bogus")], page()), "serve",
        (200, {"Content-Type": HTML}, page())),
    "report-only-https": ((200, [
        ("Content-Type", HTML), ("Content-Security-Policy-Report-Only", "default-src 'self'"),
        ("Strict-Transport-Security", "max-age=300"), ("X-Content-Type-Options", "nosniff"),
        ("Set-Cookie", "csrf_token=abc; Secure"), ("Set-Cookie", "login=x; Secure; HttpOnly; SameSite=None")],
        page()), "none", None),
    "external-scripts-https": ((200, [
        ("Content-Type", HTML), ("Strict-Transport-Security", "max-age=31536000"),
        ("Content-Security-Policy", "default-src 'self'; script-src 'self' https://cdn.other.org http://cdn.example.com"),
        ("X-Frame-Options", "DENY")],
        page('<script src="http://cdn.example.com/a.js"></script>'
             '<script src="https://cdn.other.org/b.js" integrity="sha384-x"></script>',
             '<img src="http://img.example.com/p.png">')), "hop", None),
    "meta-policies-http": (None, "serve", (200, {"Content-Type": HTML}, page(
        '<meta http-equiv="Content-Security-Policy" content="default-src \'self\'; frame-ancestors \'none\'">'
        '<meta name="referrer" content="strict-origin">'))),
    "offhost-redirect": ((200, [("Content-Type", HTML), ("Strict-Transport-Security", "max-age=31536000"),
                                ("X-Frame-Options", "DENY"), ("X-Content-Type-Options", "nosniff")], page()),
                         "offhost", None),
    "strict-dynamic-https": ((200, [
        ("Content-Type", HTML), ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
        ("Content-Security-Policy", "script-src 'nonce-abc' 'strict-dynamic' https: 'unsafe-inline'; "
                                    "object-src 'none'; base-uri 'none'; img-src 'self' http://img.example.com"),
        ("Cross-Origin-Resource-Policy", "bogus"), ("X-Content-Type-Options", "nosniff")],
        page('<script nonce="abc">var x;</script>')), "redirect", None),
    "hsts-protected-cookies": ((200, [
        ("Content-Type", HTML), ("Strict-Transport-Security", "max-age=31536000"),
        ("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'"),
        ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"), ("Cross-Origin-Resource-Policy", "same-site"),
        ("Set-Cookie", "lang=id; Path=/; SameSite=Lax"), ("Set-Cookie", "ci_session=z; Path=/; HttpOnly")],
        page('<script src="/js/app.js"></script>')), "redirect", None),
    "not-html-https": ((200, [("Content-Type", "application/json"), ("X-Content-Type-Options", "nosniff"),
                              ("Strict-Transport-Security", "max-age=15552000")], '{"ok": true}'), "redirect", None),
}


def _cors_reflect(handler):
    origin = handler.headers.get("Origin")
    hdrs = [("Content-Type", HTML), ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
            ("Content-Security-Policy", "default-src 'self'")]
    if origin:
        hdrs += [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true")]
    return 200, hdrs, page()


NGINX_SETS = {
    # id -> (server block template for https or None, server block for http, index.html body)
    "nginx-typical-http": (None, """
      add_header X-Frame-Options SAMEORIGIN;
      add_header X-Content-Type-Options nosniff;
      add_header Referrer-Policy strict-origin-when-cross-origin;
      add_header Content-Security-Policy "default-src 'self'; script-src 'self' 'unsafe-inline'";
      location / {{ root {root}; }}""",
        page('<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>')),
    "nginx-https-good": ("""
      add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;
      add_header Content-Security-Policy "default-src 'self'; frame-ancestors 'self'" always;
      add_header X-Content-Type-Options nosniff always;
      add_header Referrer-Policy same-origin always;
      location / {{ root {root}; }}""", """
      return 301 https://127.0.0.1:{https_port}$request_uri;""", page()),
    "nginx-dup-csp": ("""
      add_header Content-Security-Policy "default-src 'self' https://cdn.example.com" always;
      add_header Content-Security-Policy "default-src 'self'" always;
      add_header X-Content-Type-Options nosniff always;
      add_header X-Content-Type-Options nosniff always;
      add_header Set-Cookie "PHPSESSID=abc; Path=/; Secure; HttpOnly" always;
      location / {{ root {root}; }}""", """
      return 302 https://127.0.0.1:{https_port}/;""", page()),
}


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    return write_pki(d)


def _py_servers(stack: ExitStack, sid: str, spec: tuple, tls) -> dict:
    https_resp, http_mode, http_resp = spec
    closed = free_port()
    https_port = closed
    if https_resp is not None:
        s = stack.enter_context(serve({"/": https_resp}, tls=tls))
        https_port = s.port
    http_port = closed
    if http_mode == "serve":
        s = stack.enter_context(serve({"/": http_resp or https_resp}))
        http_port = s.port
    elif http_mode in ("redirect", "hop", "offhost"):
        host = "localhost" if http_mode == "offhost" else "127.0.0.1"
        target = f"https://{host}:{https_port}/"
        routes = {"/": (301, {"Location": target, "Content-Length": "0"}, b"")}
        if http_mode == "hop":
            routes = {"/": (302, {"Location": "/hop"}, b""), "/hop": (301, {"Location": target}, b"")}
        s = stack.enter_context(serve(routes))
        http_port = s.port
    start = f"https://127.0.0.1:{https_port}/" if https_resp is not None else f"http://127.0.0.1:{http_port}/"
    return {"id": sid, "start": start, "http_port": http_port, "https_port": https_port}


def _nginx_servers(stack: ExitStack, tmp: Path, crt: Path, key: Path) -> list[dict]:
    blocks, targets = [], []
    for sid, (https_tpl, http_tpl, body) in NGINX_SETS.items():
        root = tmp / sid
        root.mkdir(parents=True)
        (root / "index.html").write_text(body)
        http_port, https_port = free_port(), free_port()
        fmt = {"root": root, "https_port": https_port}
        blocks.append(f"server {{ listen 127.0.0.1:{http_port}; {http_tpl.format(**fmt)} }}")
        if https_tpl:
            blocks.append(f"server {{ listen 127.0.0.1:{https_port} ssl; ssl_certificate {crt}; "
                          f"ssl_certificate_key {key}; {https_tpl.format(**fmt)} }}")
        start = f"https://127.0.0.1:{https_port}/" if https_tpl else f"http://127.0.0.1:{http_port}/"
        targets.append({"id": sid, "start": start, "http_port": http_port, "https_port": https_port,
                        "ports": [http_port] + ([https_port] if https_tpl else [])})
    stack.enter_context(nginx("\n".join(blocks), tmp / "nginx"))
    for t in targets:
        for p in t.pop("ports"):
            wait_port(p)
    return targets


def test_grade_matches_observatory(pki, tmp_path):
    node = need_peer("node")
    need_peer("mdn-http-observatory-scan")
    if not (OBSERVATORY_DIR / "src" / "retriever" / "retriever.js").exists():
        need_peer("mdn-http-observatory", str(OBSERVATORY_DIR / "src" / "retriever" / "retriever.js"))
    need_peer("nginx")
    ca_crt, crt, key = pki
    tls = tls_context(crt, key)
    with ExitStack() as stack:
        targets = [_py_servers(stack, sid, spec, tls) for sid, spec in PY_SETS.items()]
        cors = stack.enter_context(serve({"/": _cors_reflect}))
        closed = free_port()
        targets.append({"id": "cors-reflect-http", "start": cors.url, "http_port": cors.port,
                        "https_port": closed})
        targets += _nginx_servers(stack, tmp_path, crt, key)

        ours = {}
        for t in targets:
            site = snapshot(t["start"])
            res = run_headers(site, http_url=f"http://127.0.0.1:{t['http_port']}/",
                              https_url=f"https://127.0.0.1:{t['https_port']}/", ca_file=ca_crt)
            ours[t["id"]] = res.facts.grade.model_dump()
        # The Observatory's own CLI (one host:port, https tried on the same port) on the http-only sets.
        cli = need_peer("mdn-http-observatory-scan")
        cli_grades = {}
        for t in targets:
            if t["start"].startswith("http:"):
                out = subprocess.run([cli, f"127.0.0.1:{t['http_port']}"], capture_output=True, text=True,
                                     timeout=60, check=False)
                scan = json.loads(out.stdout)["scan"]
                cli_grades[t["id"]] = (scan["score"], scan["grade"])
        theirs = observatory(node, [{"id": t["id"], "hostname": "127.0.0.1", "httpPort": str(t["http_port"]),
                                     "httpsPort": str(t["https_port"])} for t in targets], ca_file=ca_crt)

    assert len(targets) >= 12
    for t in targets:  # shown with -s / on failure: the spread of grades the sets produce
        o = theirs[t["id"]]
        print(f"{t['id']:24} observatory {o.get('grade')} ({o.get('score')})  ours {ours[t['id']].get('grade')} "
              f"({ours[t['id']].get('score')})  redirection={o.get('tests', {}).get('redirection')}")
    mismatches = []
    assert len(cli_grades) >= 4
    for sid, got in cli_grades.items():
        if got != (ours[sid].get("score"), ours[sid].get("grade")):
            mismatches.append((sid, "cli", got, ours[sid]))
    for t in targets:
        o, m = theirs[t["id"]], ours[t["id"]]
        assert "error" not in o, (t["id"], o)
        if (m.get("score"), m.get("grade")) != (o["score"], o["grade"]):
            diff = {k: (m.get("tests", {}).get(k), v) for k, v in o["tests"].items()
                    if m.get("tests", {}).get(k) != v}
            mismatches.append((t["id"], (m.get("score"), m.get("grade")), (o["score"], o["grade"]), diff))
    assert not mismatches, mismatches
    # The sets are meant to exercise the scale, not to sit on one grade.
    assert len({o["grade"] for o in theirs.values()}) >= 5
