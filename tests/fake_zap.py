"""A FAKE of the OWASP ZAP JSON API on 127.0.0.1, for tests (ZAP itself is a Java app not installed here).

It implements only the endpoints the `zap` check calls, with the response shapes of ZAP's API
(`ApiResponseElement` -> `{"name": "value"}`, lists -> `{"name": [...]}`, `ApiException` ->
`{"code": ..., "message": ..., "detail": ...}` with HTTP 400, internal errors 500), addressed the way the
real `zapv2` client addresses ZAP: as an HTTP proxy for `http://zap/JSON/<component>/<type>/<name>/`.

Like ZAP it really fetches the (loopback only) target pages on accessUrl/spider/active scan and raises
passive alerts from what it sees (missing security headers, version banners, card-like numbers), so what
the check reports comes from the test site, not from canned answers. Failure modes: wrong API key (ZAP's
error JSON with `report_perm_errors`, or ZAP's default of closing the connection), restart (connection
refused for a while, state lost), a reverse proxy answering 502 for a while, scans that never finish, and
raw malformed alerts.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import re
import socket
import struct
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urljoin, urlsplit

MESSAGES = {"bad_api_key": "Bad API Key", "does_not_exist": "Does Not Exist", "already_exists": "Already Exists",
            "context_not_found": "Context Not Found", "url_not_found": "URL Not Found",
            "url_not_in_context": "URL Not In Context", "missing_parameter": "Missing Parameter",
            "illegal_parameter": "Illegal Parameter", "internal_error": "Internal Error",
            "bad_view": "Bad View", "bad_action": "Bad Action", "no_implementor": "No Implementor"}
XSS_PAYLOAD = "<scrIpt>alert(1);</scRipt>"


class ApiError(Exception):
    def __init__(self, code: str, detail: str | None = None, status: int = 400):
        super().__init__(code)
        self.code, self.detail, self.status = code, detail, status


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


class FakeZap:
    def __init__(self, api_key: str | None = "test-key", *, report_perm_errors: bool = True,
                 version: str = "2.15.0", spider_polls: int = 3, ascan_polls: int = 3, ajax_polls: int = 2,
                 pscan_step: int = 2, never_finish: tuple[str, ...] = ()):
        self.api_key, self.report_perm_errors, self.version = api_key, report_perm_errors, version
        self.spider_polls, self.ascan_polls, self.ajax_polls, self.pscan_step = (
            spider_polls, ascan_polls, ajax_polls, pscan_step)
        self.never_finish = set(never_finish)  # "spider", "ascan", "ajax", "pscan"
        self.policies = ["Default Policy"]
        self.raw_alerts: list[Any] = []  # served verbatim after the real ones (malformed-alert tests)
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.bad_gateway_until = 0.0
        self.refusing = False
        self.closed = False  # set by close(): a pending restart must not bring the fake back
        self.triggers: list[list[Any]] = []
        self.lock = threading.RLock()
        self.server: ThreadingHTTPServer | None = None
        self.port = 0
        self.reset_state()

    # -- lifecycle ---------------------------------------------------------------------------------
    def reset_state(self) -> None:
        with self.lock:
            self.contexts: dict[str, dict[str, Any]] = {}
            self.context_ids = itertools.count(1)
            self.history: dict[str, dict[str, Any]] = {}  # url -> {"id", "status", "headers", "body"}
            self.history_ids = itertools.count(1)
            self.alerts: list[dict[str, Any]] = []
            self.alert_ids = itertools.count(0)
            self.pscan_queue: list[str] = []
            self.spiders: dict[str, dict[str, Any]] = {}
            self.ascans: dict[str, dict[str, Any]] = {}
            self.scan_ids = itertools.count(0)
            self.ajax = {"running": False, "polls": 0}

    def start(self) -> FakeZap:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def close(self) -> None:
        self.closed = True
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def restart(self, down_s: float, *, lose_state: bool = True) -> threading.Thread:
        """Like a ZAP restart: the port refuses connections for `down_s`, then a fresh ZAP answers."""
        self.refusing = True  # from now on, until the new server is up: connections are reset

        def _do() -> None:
            self.stop()
            if lose_state:
                self.reset_state()
            time.sleep(down_s)
            if not self.closed:
                self.start()
            self.refusing = False
        t = threading.Thread(target=_do, daemon=True)
        t.start()
        return t

    def bad_gateway(self, seconds: float) -> None:
        """Like a reverse proxy in front of a ZAP that is (re)starting: 502 for `seconds`."""
        self.bad_gateway_until = time.monotonic() + seconds

    def on_call(self, path: str, nth: int, action: Callable[[], Any]) -> None:
        """Run `action` right after the `nth` successful call to `path` has been answered."""
        self.triggers.append([path, nth, action])

    def called(self, path: str) -> list[dict[str, str]]:
        return [p for c, p in self.calls if c == path]

    # -- HTTP ------------------------------------------------------------------------------------------
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes; without this, Nagle + delayed ACK add ~40 ms
                # to every kept-alive API call.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self) -> None:
                fake._serve(self)

            do_POST = do_GET

        return Handler

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        if self.refusing:  # a kept-alive connection to the ZAP that is going down: reset it
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.close_connection = True
            return None
        if time.monotonic() < self.bad_gateway_until:
            return self._send(h, 502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
        parts = urlsplit(h.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(h.headers.get("Content-Length") or 0)
        if length:
            params.update({k: v[-1] for k, v in parse_qs(h.rfile.read(length).decode()).items()})
        m = re.fullmatch(r"/JSON/(\w+)/(view|action)/(\w+)/?", parts.path)
        # Proxy-style requests must be for the API host `zap`; anything else would be proxied traffic.
        if (parts.hostname not in (None, "zap")) or not m:
            return self._send_error(h, ApiError("bad_view" if m else "no_implementor"))
        component, kind, name = m.groups()
        key = h.headers.get("X-ZAP-API-Key") or params.pop("apikey", None)
        params.pop("apikey", None)
        if self.api_key and key != self.api_key:
            if not self.report_perm_errors:  # ZAP's default: no reply at all
                h.close_connection = True
                return None
            return self._send_error(h, ApiError("bad_api_key"))
        path = f"{component}/{kind}/{name}"
        with self.lock:
            self.calls.append((path, params))
        endpoint = getattr(self, f"_{component}_{name}", None)
        if endpoint is None:
            return self._send_error(h, ApiError("bad_view" if kind == "view" else "bad_action"))
        try:
            body = endpoint(params)
        except ApiError as exc:
            return self._send_error(h, exc)
        self._send(h, 200, json.dumps(body).encode(), "application/json; charset=UTF-8")
        for trig in list(self.triggers):
            if trig[0] == path:
                trig[1] -= 1
                if trig[1] == 0:  # synchronously: the very next API call sees the new state
                    self.triggers.remove(trig)
                    trig[2]()

    def _send(self, h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        h.send_header("Cache-Control", "no-cache, no-store, must-revalidate")
        h.end_headers()
        h.wfile.write(body)

    def _send_error(self, h: BaseHTTPRequestHandler, exc: ApiError) -> None:
        out = {"code": exc.code, "message": MESSAGES.get(exc.code, exc.code)}
        if exc.detail:
            out["detail"] = exc.detail
        self._send(h, exc.status, json.dumps(out).encode(), "application/json; charset=UTF-8")

    # -- helpers ---------------------------------------------------------------------------------------
    @staticmethod
    def _need(params: dict[str, str], name: str) -> str:
        if not params.get(name):
            raise ApiError("missing_parameter", name)
        return params[name]

    def _context(self, name: str) -> dict[str, Any]:
        if name not in self.contexts:
            raise ApiError("context_not_found", "contextName")
        return self.contexts[name]

    @staticmethod
    def _in_context(ctx: dict[str, Any], url: str) -> bool:
        return (any(re.fullmatch(r, url) for r in ctx["include"])
                and not any(re.fullmatch(r, url) for r in ctx["exclude"]))

    def _fetch(self, url: str, *, passive: bool = True) -> dict[str, Any]:
        """GET a target like ZAP would (never anything but loopback), record it, queue it for the passive
        scanner (ZAP does not passively scan its own active-scan traffic)."""
        if not _loopback(url):
            raise ApiError("internal_error", "fake ZAP only fetches loopback targets", 500)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                             _NoRedirect())
        try:
            with opener.open(url, timeout=5) as resp:
                status, headers, body = resp.status, list(resp.headers.items()), resp.read(1_000_000)
        except urllib.error.HTTPError as exc:
            status, headers, body = exc.code, list(exc.headers.items()), exc.read(1_000_000)
        except OSError as exc:
            raise ApiError("internal_error", str(exc), 500) from None
        with self.lock:
            rec = {"id": str(next(self.history_ids)), "url": url, "status": status, "headers": headers,
                   "body": body.decode("utf-8", "replace")}
            if passive:
                self.history[url] = rec
                self.pscan_queue.append(url)
        return rec

    def _alert(self, rec: dict[str, Any], plugin: str, name: str, risk: str, confidence: str, cwe: int,
               wasc: int, *, param: str = "", evidence: str = "", attack: str = "", source: str = "3",
               url: str | None = None) -> None:
        self.alerts.append({
            "sourceid": source, "other": "", "method": "GET", "evidence": evidence, "pluginId": plugin,
            "cweid": str(cwe), "confidence": confidence, "wascid": str(wasc),
            "description": f"{name} (fake ZAP description).", "messageId": rec["id"], "inputVector": "",
            "url": url or rec["url"], "tags": {}, "reference": f"https://owasp.org/fake/{plugin}\nhttps://example.invalid/{plugin}",
            "solution": f"<p>Fix {name}.</p>", "alert": name, "param": param, "attack": attack, "name": name,
            "risk": risk, "id": str(next(self.alert_ids)), "alertRef": plugin,
        })

    def _passive_scan(self, url: str) -> None:
        rec = self.history[url]
        headers = {k.lower(): v for k, v in rec["headers"]}
        html = "html" in headers.get("content-type", "")
        if "x-content-type-options" not in headers:
            self._alert(rec, "10021", "X-Content-Type-Options Header Missing", "Low", "Medium", 693, 15,
                        param="x-content-type-options")
        if html and "x-frame-options" not in headers and "frame-ancestors" not in headers.get(
                "content-security-policy", ""):
            self._alert(rec, "10020", "Missing Anti-clickjacking Header", "Medium", "Medium", 1021, 15,
                        param="x-frame-options")
        if html and "content-security-policy" not in headers:
            self._alert(rec, "10038", "Content Security Policy (CSP) Header Not Set", "Medium", "High", 693, 15)
        if re.search(r"\d", headers.get("server", "")):
            self._alert(rec, "10036", "Server Leaks Version Information via \"Server\" HTTP Response Header Field",
                        "Low", "High", 497, 13, evidence=headers["server"])
        for num in re.findall(r"(?<!\d)\d{16}(?!\d)", rec["body"]):
            if _luhn(num):
                self._alert(rec, "10062", "PII Disclosure", "High", "High", 359, 13, evidence=num)

    # -- endpoints (same names and params as zapv2 / ZAP) -----------------------------------------------
    def _core_version(self, p: dict[str, str]) -> dict[str, Any]:
        return {"version": self.version}

    def _core_accessUrl(self, p: dict[str, str]) -> dict[str, Any]:
        rec = self._fetch(self._need(p, "url"))
        header = f"HTTP/1.1 {rec['status']}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in rec["headers"])
        return {"accessUrl": [{"id": rec["id"], "type": "1", "timestamp": datetime.now(UTC).isoformat(),
                               "rtt": "5", "cookieParams": "", "note": "", "tags": [],
                               "requestHeader": f"GET {rec['url']} HTTP/1.1\r\n", "requestBody": "",
                               "responseHeader": header, "responseBody": rec["body"]}]}

    def _context_newContext(self, p: dict[str, str]) -> dict[str, Any]:
        name = self._need(p, "contextName")
        with self.lock:
            if name in self.contexts:
                raise ApiError("already_exists", "contextName")
            cid = str(next(self.context_ids))
            self.contexts[name] = {"id": cid, "include": [], "exclude": []}
        return {"contextId": cid}

    def _context_removeContext(self, p: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            self._context(self._need(p, "contextName"))
            del self.contexts[p["contextName"]]
        return {"Result": "OK"}

    def _context_regex(self, p: dict[str, str], which: str) -> dict[str, Any]:
        ctx = self._context(self._need(p, "contextName"))
        regex = self._need(p, "regex")
        try:
            re.compile(regex)
        except re.error:
            raise ApiError("illegal_parameter", "regex") from None
        ctx[which].append(regex)
        return {"Result": "OK"}

    def _context_includeInContext(self, p: dict[str, str]) -> dict[str, Any]:
        return self._context_regex(p, "include")

    def _context_excludeFromContext(self, p: dict[str, str]) -> dict[str, Any]:
        return self._context_regex(p, "exclude")

    def _spider_scan(self, p: dict[str, str]) -> dict[str, Any]:
        url = self._need(p, "url")
        ctx = self._context(p["contextName"]) if p.get("contextName") else None
        if ctx is not None and not self._in_context(ctx, url):
            raise ApiError("url_not_in_context", "url")
        limit = int(p.get("maxChildren") or 0) or 50
        seen, queue = [], [url]
        while queue and len(seen) < limit:
            current = queue.pop(0)
            if current in seen:
                continue
            seen.append(current)
            try:
                rec = self._fetch(current)
            except ApiError:
                continue
            for href in re.findall(r"""href\s*=\s*["']([^"'#]+)""", rec["body"], re.I):
                nxt = urljoin(current, href)
                if nxt not in seen and (ctx is None or self._in_context(ctx, nxt)) and _loopback(nxt):
                    queue.append(nxt)
        sid = str(next(self.scan_ids))
        self.spiders[sid] = {"progress": 0, "stopped": False, "urls": seen}
        return {"scan": sid}

    def _scan(self, table: dict[str, dict[str, Any]], p: dict[str, str]) -> dict[str, Any]:
        sid = p.get("scanId", "")
        if sid not in table:
            raise ApiError("does_not_exist", "scanId")
        return table[sid]

    def _advance(self, scan: dict[str, Any], polls: int, phase: str) -> str:
        if not scan["stopped"] and scan["progress"] < 100:
            cap = 42 if phase in self.never_finish else 100
            scan["progress"] = min(cap, scan["progress"] + -(-100 // polls))
        return str(scan["progress"])

    def _spider_status(self, p: dict[str, str]) -> dict[str, Any]:
        return {"status": self._advance(self._scan(self.spiders, p), self.spider_polls, "spider")}

    def _spider_stop(self, p: dict[str, str]) -> dict[str, Any]:
        self._scan(self.spiders, p)["stopped"] = True
        return {"Result": "OK"}

    def _pscan_recordsToScan(self, p: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            if "pscan" not in self.never_finish:
                for _ in range(min(self.pscan_step, len(self.pscan_queue))):
                    self._passive_scan(self.pscan_queue.pop(0))
            return {"recordsToScan": str(len(self.pscan_queue))}

    def _ajaxSpider_scan(self, p: dict[str, str]) -> dict[str, Any]:
        if p.get("contextName"):
            self._context(p["contextName"])
        self.ajax = {"running": True, "polls": 0}
        return {"Result": "OK"}

    def _ajaxSpider_status(self, p: dict[str, str]) -> dict[str, Any]:
        if self.ajax["running"]:
            self.ajax["polls"] += 1
            if self.ajax["polls"] >= self.ajax_polls and "ajax" not in self.never_finish:
                self.ajax["running"] = False
        return {"status": "running" if self.ajax["running"] else "stopped"}

    def _ajaxSpider_stop(self, p: dict[str, str]) -> dict[str, Any]:
        self.ajax["running"] = False
        return {"Result": "OK"}

    def _ascan_scan(self, p: dict[str, str]) -> dict[str, Any]:
        url = p.get("url", "")
        if url and url not in self.history:
            raise ApiError("url_not_found", "url")
        if p.get("scanPolicyName") and p["scanPolicyName"] not in self.policies:
            raise ApiError("does_not_exist", "scanPolicyName")
        ctx = next((c for c in self.contexts.values() if c["id"] == p.get("contextId")), None)
        if p.get("contextId") and ctx is None:
            raise ApiError("context_not_found", "contextId")
        targets = [u for u in list(self.history) if u.startswith(url) and (ctx is None or self._in_context(ctx, u))]
        for target in targets:  # one reflected-XSS probe per page: enough to exercise the active path
            sep = "&" if "?" in target else "?"
            try:
                rec = self._fetch(f"{target}{sep}q={quote(XSS_PAYLOAD)}", passive=False)
            except ApiError:
                continue
            if XSS_PAYLOAD in rec["body"]:
                self._alert(rec, "40012", "Cross Site Scripting (Reflected)", "High", "Medium", 79, 8,
                            param="q", attack=XSS_PAYLOAD, evidence=XSS_PAYLOAD, source="1", url=rec["url"])
        sid = str(next(self.scan_ids))
        self.ascans[sid] = {"progress": 0, "stopped": False, "targets": targets}
        return {"scan": sid}

    def _ascan_status(self, p: dict[str, str]) -> dict[str, Any]:
        return {"status": self._advance(self._scan(self.ascans, p), self.ascan_polls, "ascan")}

    def _ascan_stop(self, p: dict[str, str]) -> dict[str, Any]:
        self._scan(self.ascans, p)["stopped"] = True
        return {"Result": "OK"}

    def _alert_alerts(self, p: dict[str, str]) -> dict[str, Any]:
        base = p.get("baseurl") or None
        start, count = int(p.get("start") or -1), int(p.get("count") or -1)
        with self.lock:
            source = [*self.alerts, *self.raw_alerts]
        out, processed = [], 0
        for alert in source:
            url = alert.get("url") if isinstance(alert, dict) else None
            if base is not None and isinstance(url, str) and not url.startswith(base):
                continue
            if isinstance(alert, dict) and alert.get("confidence") == "False Positive":
                continue
            processed += 1  # ZAP's PaginationConstraintsChecker: `start` is 1-based-ish and inclusive
            if start > 0 and processed < start:
                continue
            out.append(alert)
            if count > 0 and len(out) >= count:
                break
        return {"alerts": out}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None
