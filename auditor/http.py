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
from auditor.snapshot import Headers, Hop

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

LOOPBACK_ENV = "PPID_LOOPBACK_ONLY"
CHUNK = 64 * 1024
BUDGET_EXHAUSTED = "time budget exhausted"


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


def guard_target(url: str) -> None:
    """With PPID_LOOPBACK_ONLY=1 (tests, demo), refuse to contact anything but loopback."""
    if os.environ.get(LOOPBACK_ENV) == "1":
        host = urlsplit(url).hostname or ""
        if not is_loopback_host(host):
            raise FetchError(f"{url}: refused: {LOOPBACK_ENV}=1 allows loopback targets only")


class HttpClient:
    """Thread-safe wrapper over per-thread `requests.Session`s."""

    def __init__(self, *, user_agent: str = "ppid-auditor", timeout_s: float = 15.0,
                 max_bytes: int = 5 * 1024 * 1024, delay_s: float = 0.0, verify: bool | str = False,
                 max_redirects: int = 10, auth: tuple[str, str] | None = None):
        self.user_agent = user_agent
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.delay_s = delay_s
        self.verify = verify
        self.max_redirects = max_redirects
        self.auth = auth
        self.bytes_received = 0
        self.requests_made = 0
        self._local = threading.local()
        self._lock = threading.Lock()
        self._next_slot: dict[str, float] = {}
        self._host_delay: dict[str, float] = {}

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
            s = requests.Session()
            s.headers["User-Agent"] = self.user_agent
            s.max_redirects = self.max_redirects
            adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=8, max_retries=0)
            s.mount("http://", adapter)
            s.mount("https://", adapter)
            self._local.session = s
        return s

    def _wait_turn(self, url: str) -> None:
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
            time.sleep(slot - now)

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
        guard_target(url)
        cap = self.max_bytes if max_bytes is None else max_bytes
        timeout = timeout_s or self.timeout_s
        hops: list[Hop] = []
        seen: set[str] = set()
        current = url
        started = time.monotonic()
        while True:
            if deadline is not None and time.monotonic() >= deadline:
                return Response(url, current, None, redirects=hops, error=BUDGET_EXHAUSTED,
                                elapsed_s=time.monotonic() - started)
            self._wait_turn(current)
            req_timeout = timeout
            if deadline is not None:
                req_timeout = max(0.05, min(timeout, deadline - time.monotonic()))
            try:
                guard_target(current)
                resp = self._session().request(
                    method, current, headers=headers, stream=True, allow_redirects=False,
                    timeout=(req_timeout, req_timeout), verify=self.verify, auth=self.auth)
            except FetchError as exc:
                return Response(url, current, None, redirects=hops, error=str(exc),
                                elapsed_s=time.monotonic() - started)
            except requests.RequestException as exc:
                error = _describe(exc)
                if deadline is not None and req_timeout < timeout and time.monotonic() >= deadline - 0.01:
                    error = BUDGET_EXHAUSTED
                return Response(url, current, None, redirects=hops, error=error,
                                elapsed_s=time.monotonic() - started)
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
                        return Response(url, nxt, resp.status_code, hdrs, redirects=hops,
                                        error="redirect loop", elapsed_s=time.monotonic() - started)
                    if len(hops) > self.max_redirects:
                        return Response(url, nxt, resp.status_code, hdrs, redirects=hops,
                                        error=f"more than {self.max_redirects} redirects",
                                        elapsed_s=time.monotonic() - started)
                    current = nxt
                    continue
            if max_bytes_for is not None:
                cap = max_bytes_for(hdrs) or cap
            body_deadline = started + max(timeout * 4, 10.0)
            if deadline is not None:
                body_deadline = min(body_deadline, deadline)
            body, truncated, error = self._read_capped(resp, cap, body_deadline)
            if error and deadline is not None and time.monotonic() >= deadline - 0.01:
                error = BUDGET_EXHAUSTED
            return Response(url, current, resp.status_code, hdrs, body, hops,
                            time.monotonic() - started, truncated, error, datetime.now(UTC))

    def _read_capped(self, resp: requests.Response, cap: int,
                     deadline: float) -> tuple[bytes, bool, str | None]:
        """Stream the body, counting decompressed bytes, stopping at `cap` (gzip bombs, 1 GB files).

        A slow-drip server can keep a socket alive forever under per-read timeouts, hence `deadline`.
        """
        chunks: list[bytes] = []
        total = 0
        truncated = False
        error = None
        try:
            for chunk in resp.iter_content(CHUNK):
                total += len(chunk)
                with self._lock:
                    self.bytes_received += len(chunk)
                if total > cap:
                    chunks.append(chunk[: cap - (total - len(chunk))])
                    truncated = True
                    break
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    error = "body read exceeded the time limit"
                    truncated = True
                    break
        except requests.RequestException as exc:
            error = _describe(exc)
        except Exception as exc:  # urllib3 decode errors on corrupt gzip, etc.
            error = f"cannot read body: {type(exc).__name__}: {exc}"
        finally:
            resp.close()
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
    if isinstance(exc, requests.Timeout):
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
    return f"{type(exc).__name__}: {str(exc)[:200]}"
