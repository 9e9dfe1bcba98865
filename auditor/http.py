"""The one shared, bounded HTTP client: timeouts everywhere, streamed size caps (after decompression),
manual redirects with every hop recorded, per-host politeness, and a loopback guard for tests.
"""

from __future__ import annotations

import copy
import ipaddress
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from auditor.errors import FetchError
from auditor.netguard import LOOPBACK_ENV, WATCHDOG, AddressPolicy, Ticket, guarded_session, request_scope
from auditor.snapshot import Headers, Hop

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

CHUNK = 64 * 1024
BUDGET_EXHAUSTED = "time budget exhausted"
TIMED_OUT = "timed out"
# A body slower than this (bytes/s, measured over `timeout_s`) is a drip, not a slow rural link.
MIN_BYTES_PER_S = 512


@dataclass
class Response:
    url: str
    final_url: str
    status: int | None
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    redirects: list[Hop] = field(default_factory=list)
    elapsed_s: float = 0.0
    truncated: bool = False
    error: str | None = None
    fetched_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and self.error is None


def is_loopback_host(host: str) -> bool:
    """True when every address `host` resolves to is loopback (127.0.0.0/8 or ::1)."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0].split("%")[0]).is_loopback for i in infos)


def guard_target(url: str, policy: AddressPolicy | None = None) -> None:
    """With PPID_LOOPBACK_ONLY=1 (tests, demo), refuse to contact anything but loopback.

    Checked here on the URL for a clear early error, and again on the connected address
    (`auditor.netguard`)."""
    if os.environ.get(LOOPBACK_ENV) == "1":
        host = urlsplit(url).hostname or ""
        mapped = (policy.resolve.get(host.strip("[]").lower()) if policy is not None else None)
        if not is_loopback_host(mapped or host):
            raise FetchError(f"{url}: refused: {LOOPBACK_ENV}=1 allows loopback targets only")


class HttpClient:
    """Thread-safe wrapper over per-thread `requests.Session`s.

    Every request ends by a hard deadline whatever the server does (`auditor.netguard`): the connect,
    TLS handshake and headers of each hop within `timeout_s`, the whole request (every redirect hop and
    the body) within `max_request_s` (default `max(4 * timeout_s, 10)`) and the caller's `deadline`; a
    body slower than `MIN_BYTES_PER_S` over `timeout_s` is cut as a drip. `policy` is the private-address
    guard, applied to the address actually connected to.
    """

    def __init__(self, *, user_agent: str = "ppid-auditor", timeout_s: float = 15.0,
                 max_bytes: int = 5 * 1024 * 1024, delay_s: float = 0.0, verify: bool | str = False,
                 max_redirects: int = 10, auth: tuple[str, str] | None = None,
                 policy: AddressPolicy | None = None, max_request_s: float | None = None):
        self.user_agent = user_agent
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.delay_s = delay_s
        self.verify = verify
        self.max_redirects = max_redirects
        self.auth = auth
        self.policy = policy or AddressPolicy()
        self.max_request_s = max_request_s
        self.until_deadline: float | None = None  # see `until`
        self.bytes_received = 0
        self.requests_made = 0
        self._local = threading.local()
        self._lock = threading.Lock()
        self._next_slot: dict[str, float] = {}
        self._host_delay: dict[str, float] = {}
        self._probes: dict[str, tuple[Response, bool | None]] = {}

    def probed(self, url: str) -> tuple[Response, bool | None] | None:
        """A GET probe of `url` some check already made in this run (see `remember_probe`), or None."""
        with self._lock:
            return self._probes.get(url)

    def remember_probe(self, url: str, resp: Response, verified: bool | None = None) -> None:
        """Share a check's probe of `url` (e.g. the http:// variant of the start URL, which tls and headers
        both judge) with the later checks of the run, so the site is asked once. `verified`: whether the
        certificates on the way were verified (None: fetched without verification)."""
        with self._lock:
            current = self._probes.get(url)
            if current is None or (current[1] is None and verified is not None):
                self._probes[url] = (resp, verified)

    def until(self, deadline: float) -> HttpClient:
        """This client (same sessions, politeness, policy) for a caller that must stop at `deadline`
        (a check with a time limit): later requests are refused, in-flight ones are cut there."""
        view = copy.copy(self)
        view.until_deadline = deadline
        return view

    def verifying(self, verify: bool | str, *, max_redirects: int | None = None) -> HttpClient:
        """This client with certificate verification set to `verify` (True or a CA file): the same user
        agent, limits and staging credentials, and the same per-host delay clock, so a check's probes stay
        as polite as the crawl and reach a protected staging site too."""
        other = copy.copy(self)  # shallow: shares the lock and the per-host slots
        other.verify = verify
        other.max_redirects = self.max_redirects if max_redirects is None else max_redirects
        other._local = threading.local()  # sessions are per client and thread
        return other

    def set_host_delay(self, netloc: str, delay_s: float) -> None:
        """A longer delay for one host (robots.txt Crawl-delay); never shorter than `delay_s`."""
        with self._lock:
            self._host_delay[netloc] = max(self.delay_s, delay_s)

    def _session(self) -> requests.Session:
        s = getattr(self._local, "session", None)
        if s is None:
            s = guarded_session()
            s.headers["User-Agent"] = self.user_agent
            s.max_redirects = self.max_redirects
            self._local.session = s
        return s

    def _wait_turn(self, url: str, until: float) -> None:
        """Per-host delay: requests to one host start at least `delay_s` apart, across threads."""
        host = urlsplit(url).netloc
        delay = self._host_delay.get(host, self.delay_s)
        if delay <= 0:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot.get(host, 0.0))
            self._next_slot[host] = slot + delay
        if slot > now:
            time.sleep(max(0.0, min(slot, until) - now))

    def fetch(self, url: str, *, method: str = "GET", headers: dict[str, str] | None = None,
              max_bytes: int | None = None, follow_redirects: bool = True,
              timeout_s: float | None = None, deadline: float | None = None,
              redirect_filter: Callable[[str], bool] | None = None,
              max_bytes_for: Callable[[Headers], int | None] | None = None) -> Response:
        """Fetch `url`; never raises for network trouble (the error is in `Response.error`).

        `deadline` (a `time.monotonic()` value) bounds the whole request, body included; when it is the
        cause of a failure the error is `BUDGET_EXHAUSTED`. `redirect_filter(next_url)` returning False
        stops following (the redirect itself becomes the final response). `max_bytes_for(headers)` may
        pick another size cap once the headers are known (documents get a larger cap than pages).
        """
        if self.until_deadline is not None:
            if time.monotonic() >= self.until_deadline:
                return Response(url, url, None, error="refused: the check's time limit has passed")
            deadline = self.until_deadline if deadline is None else min(deadline, self.until_deadline)
        refused = self.policy.precheck(urlsplit(url).hostname or "")
        if refused is None:
            guard_target(url, self.policy)
        cap = self.max_bytes if max_bytes is None else max_bytes
        timeout = timeout_s or self.timeout_s
        started = time.monotonic()
        limit = self.max_request_s or max(timeout * 4, 10.0)
        hard = started + limit if deadline is None else min(started + limit, deadline)
        budget_bound = deadline is not None and deadline <= started + limit
        hops: list[Hop] = []
        seen: set[str] = set()
        current = url

        def failed(error: str, status: int | None = None, hdrs: Headers | None = None) -> Response:
            return Response(url, current, status, hdrs or Headers(), redirects=hops, error=error,
                            elapsed_s=time.monotonic() - started)

        def expired_error() -> str:
            if budget_bound and time.monotonic() >= hard - 0.05:
                return BUDGET_EXHAUSTED
            return f"{TIMED_OUT} (the request took longer than {limit:g} s)"

        while True:
            if refused is not None:
                return failed(refused)
            if time.monotonic() >= hard:
                return failed(BUDGET_EXHAUSTED if budget_bound else expired_error())
            self._wait_turn(current, hard)
            hop_start = time.monotonic()
            # Connect, TLS handshake and headers: `timeout` per hop; then the whole request's deadline.
            ticket = WATCHDOG.arm(min(hard, hop_start + timeout))
            req_timeout = max(0.05, min(timeout, hard - hop_start))
            try:
                with request_scope(ticket, self.policy) as scope:
                    try:
                        resp = self._session().request(
                            method, current, headers=headers, stream=True, allow_redirects=False,
                            timeout=(req_timeout, req_timeout), verify=self.verify, auth=self.auth)
                    except requests.RequestException as exc:
                        if scope.refused:
                            return failed(scope.refused)
                        if ticket.expired:
                            return failed(BUDGET_EXHAUSTED if budget_bound and ticket.deadline >= hard
                                          else TIMED_OUT)
                        error = _describe(exc)
                        if budget_bound and time.monotonic() >= hard - 0.05:
                            error = BUDGET_EXHAUSTED
                        return failed(error)
                    with self._lock:
                        self.requests_made += 1
                    hdrs = Headers(list(_raw_header_items(resp)))
                    location = resp.headers.get("location")
                    if follow_redirects and resp.is_redirect and location:
                        nxt = urljoin(current, location)
                        if redirect_filter is None or redirect_filter(nxt):
                            resp.close()
                            hops.append(Hop(current, resp.status_code, nxt))
                            seen.add(current)
                            if nxt in seen:
                                current = nxt
                                return failed("redirect loop", resp.status_code, hdrs)
                            if len(hops) > self.max_redirects:
                                current = nxt
                                return failed(f"more than {self.max_redirects} redirects", resp.status_code, hdrs)
                            current = nxt
                            refused = self.policy.precheck(urlsplit(nxt).hostname or "")
                            if refused is None:
                                try:
                                    guard_target(nxt, self.policy)
                                except FetchError as exc:
                                    refused = str(exc)
                            continue
                    if max_bytes_for is not None:
                        cap = max_bytes_for(hdrs) or cap
                    ticket.move(hard)
                    body, truncated, error = self._read_capped(resp, cap, ticket, timeout)
                    if error and ticket.expired:
                        error = BUDGET_EXHAUSTED if budget_bound else expired_error()
                    return Response(url, current, resp.status_code, hdrs, body, hops,
                                    time.monotonic() - started, truncated, error, datetime.now(UTC))
            finally:
                ticket.close()

    def _read_capped(self, resp: requests.Response, cap: int, ticket: Ticket,
                     timeout: float) -> tuple[bytes, bool, str | None]:
        """Stream the body, counting decompressed bytes, stopping at `cap` (gzip bombs, 1 GB files).

        `read1` returns whatever has arrived, so the drip test below runs even when the server sends one
        byte at a time; the watchdog ends a read that is blocked past the deadline.
        """
        chunks: list[bytes] = []
        total = 0
        truncated = False
        error = None
        raw = resp.raw
        window_start, window_bytes = time.monotonic(), 0
        try:
            while True:
                chunk = raw.read1(CHUNK, decode_content=True)
                if not chunk:
                    break
                total += len(chunk)
                window_bytes += len(chunk)
                with self._lock:
                    self.bytes_received += len(chunk)
                if total > cap:
                    chunks.append(chunk[: cap - (total - len(chunk))])
                    truncated = True
                    break
                chunks.append(chunk)
                now = time.monotonic()
                if now - window_start >= timeout:
                    if window_bytes < MIN_BYTES_PER_S * (now - window_start):
                        error = (f"{TIMED_OUT} (body slower than {MIN_BYTES_PER_S} bytes/s "
                                 f"for {timeout:g} s)")
                        truncated = True
                        break
                    window_start, window_bytes = now, 0
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            error = _describe(exc)
        except Exception as exc:  # decode errors on corrupt gzip, etc.
            error = f"cannot read body: {type(exc).__name__}: {exc}"
        finally:
            resp.close()
        if ticket.expired and error is None:
            error = "body cut at the deadline"  # EOF caused by the watchdog, not by the server
        if ticket.expired:
            truncated = True
        return b"".join(chunks), truncated, error


def _raw_header_items(resp: requests.Response):
    raw = getattr(resp, "raw", None)
    hdrs = getattr(raw, "headers", None)
    if hdrs is not None and hasattr(hdrs, "items"):
        # urllib3's HTTPHeaderDict.items() yields duplicates separately.
        yield from hdrs.items()
    else:
        yield from resp.headers.items()


def _describe(exc: Exception) -> str:
    if isinstance(exc, requests.Timeout | urllib3.exceptions.TimeoutError | TimeoutError):
        return "timed out"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error: " + str(exc).split("(Caused by")[-1].strip(" )")[:200]
    if isinstance(exc, requests.ConnectionError):
        text = str(exc)
        if "Connection refused" in text:
            return "connection refused"
        if "Name or service not known" in text or "getaddrinfo" in text or "NameResolution" in text:
            return "host name not found"
        return "connection failed: " + text[:200]
    if isinstance(exc, urllib3.exceptions.ProtocolError | OSError):
        return f"connection broken: {str(exc)[:200]}"
    return f"{type(exc).__name__}: {str(exc)[:200]}"
