"""Below `requests`: hard request deadlines and the private-address guard, both on the real socket.

Hard deadlines. A per-read socket timeout cannot bound a request: a server that drips one byte every
second (or a TLS handshake that never ends) resets it forever. So every request runs under a `Ticket`
armed on one shared `Watchdog` thread; each socket the request uses (new or taken from the pool) is
registered on the ticket, and when the deadline passes the watchdog shuts those sockets down. Whatever
the request is blocked in (connect, TLS handshake, status line, headers, body), it returns at once with an
error, and the caller sees `ticket.expired`. DNS resolution (`getaddrinfo`) is the one step that cannot be
interrupted this way; it is bounded by the system resolver's own timeout.

Private-address guard. The fleet audits sites it does not control: a link, a redirect or a probe must
not make us fetch `http://169.254.169.254/` (cloud metadata) or an intranet service. The check runs on
the address we actually connect to: `GuardedHTTPConnection` resolves the name itself, checks every
address, and connects to the checked address (no second resolution a DNS answer could change).
"""

from __future__ import annotations

import heapq
import ipaddress
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import NewConnectionError

LOOPBACK_ENV = "PPID_LOOPBACK_ONLY"
# Cloud metadata endpoints named in the refusal (they are link-local or shared space anyway).
METADATA = {ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254",
                                               "100.100.100.200")}


# --- the watchdog --------------------------------------------------------------------------------------
class Ticket:
    """One request's deadline and the sockets it has used so far."""

    def __init__(self, watchdog: Watchdog, deadline: float) -> None:
        self._watchdog = watchdog
        self.deadline = deadline
        self.expired = False
        self.done = False
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            if sock not in self._socks:
                self._socks.append(sock)
            fire_now = self.expired
        if fire_now:
            _shutdown(sock)

    def move(self, deadline: float) -> None:
        """A new deadline (later or earlier), e.g. headers got their own, the body the whole request's."""
        self.deadline = deadline
        self._watchdog.schedule(self)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def fire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.expired = True
            socks = list(self._socks)
        for s in socks:
            _shutdown(s)

    def close(self) -> None:
        with self._lock:
            self.done = True
            self._socks.clear()


def _shutdown(sock: socket.socket) -> None:
    # shutdown(), not close(): the blocked thread still owns the descriptor; shutdown wakes it with EOF or
    # an error, and the descriptor cannot be reused under it.
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class Watchdog:
    """One daemon thread firing tickets at their deadlines."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Ticket]] = []
        self._cond = threading.Condition()
        self._seq = 0
        self._thread: threading.Thread | None = None

    def arm(self, deadline: float) -> Ticket:
        ticket = Ticket(self, deadline)
        self.schedule(ticket)
        return ticket

    def schedule(self, ticket: Ticket) -> None:
        with self._cond:
            self._seq += 1
            heapq.heappush(self._heap, (ticket.deadline, self._seq, ticket))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="ppid-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    while self._heap and self._heap[0][2].done:
                        heapq.heappop(self._heap)
                    now = time.monotonic()
                    if self._heap and self._heap[0][0] <= now:
                        at, _, ticket = heapq.heappop(self._heap)
                        if at == ticket.deadline:  # else a stale entry of a moved deadline
                            break
                        continue
                    self._cond.wait(None if not self._heap else self._heap[0][0] - now)
            ticket.fire()


WATCHDOG = Watchdog()


# --- the address policy ----------------------------------------------------------------------------
def non_public_reason(ip: str) -> str | None:
    """Why `ip` is not a public Internet address ("loopback", "private", ...), or None when it is."""
    try:
        addr = ipaddress.ip_address(ip.split("%")[0])
    except ValueError:
        return "not an IP address"
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if addr in METADATA:
        return "cloud metadata"
    for attr, reason in (("is_loopback", "loopback"), ("is_link_local", "link-local"),
                         ("is_unspecified", "unspecified"), ("is_multicast", "multicast")):
        if getattr(addr, attr):
            return reason
    if addr in ipaddress.ip_network("100.64.0.0/10"):
        return "shared address space (carrier NAT)"
    if addr.is_private or addr.is_reserved or not addr.is_global:
        return "private"
    return None


@dataclass
class AddressPolicy:
    """Which addresses a request may connect to.

    `allow_private`: private, loopback, link-local and metadata addresses are allowed everywhere (the
    audited site itself is on one: an intranet staging server). Otherwise only the site's own hosts
    (`own_hosts`, the operator named them) may be on such addresses. `resolve` maps a host name to the
    address to use instead of DNS (like curl's --resolve).
    """

    allow_private: bool = True
    own_hosts: frozenset[str] = frozenset()
    resolve: dict[str, str] = field(default_factory=dict)

    def addresses(self, host: str, port: int) -> list[str]:
        host = host.strip("[]").lower()
        if host in self.resolve:
            return [self.resolve[host]]
        try:
            ipaddress.ip_address(host.split("%")[0])
            return [host]
        except ValueError:
            pass
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(i[4][0] for i in infos))

    def is_own(self, host: str) -> bool:
        return host in self.own_hosts or any(
            h.startswith("*.") and (host.endswith(h[1:]) or host == h[2:]) for h in self.own_hosts)

    def refusal(self, host: str, ip: str) -> str | None:
        """The one-line reason a connection to `host` at `ip` is refused, or None."""
        host = host.strip("[]").lower()
        reason = non_public_reason(ip)
        if reason is not None and not (self.allow_private or self.is_own(host)):
            return (f"{host}: refused: {ip} is a {reason} address and the audited site is public "
                    "(crawl.allow_private_targets)")
        if os.environ.get(LOOPBACK_ENV) == "1" and reason != "loopback":
            return f"{host}: refused: {LOOPBACK_ENV}=1 allows loopback targets only ({ip})"
        return None

    def precheck(self, host: str) -> str | None:
        """The refusal known without DNS (an IP literal or a `resolve` entry), checked before anything
        else; names are checked when connecting."""
        h = host.strip("[]").lower()
        known = [self.resolve[h]] if h in self.resolve else []
        if not known:
            try:
                ipaddress.ip_address(h.split("%")[0])
                known = [h]
            except ValueError:
                return None
        return self.refusal(h, known[0])


def site_is_private(host: str, policy: AddressPolicy) -> bool:
    """True when the audited site's own host is on a non-public address (then `auto` allows private)."""
    try:
        addrs = policy.addresses(host, 80)
    except OSError:
        return False
    return any(non_public_reason(a) is not None for a in addrs)


# --- the per-request scope and the connection classes -----------------------------------------------
_local = threading.local()


@dataclass
class Scope:
    ticket: Ticket | None
    policy: AddressPolicy
    refused: str | None = None  # set when the guard refused a connection of this request


@contextmanager
def request_scope(ticket: Ticket | None, policy: AddressPolicy) -> Iterator[Scope]:
    prev = getattr(_local, "scope", None)
    scope = Scope(ticket, policy)
    _local.scope = scope
    try:
        yield scope
    finally:
        _local.scope = prev


def _current() -> Scope | None:
    return getattr(_local, "scope", None)


class _GuardedMixin:
    host: str
    port: int
    timeout: Any
    sock: socket.socket | None
    source_address: Any
    socket_options: Any

    def _new_conn(self) -> socket.socket:  # type: ignore[override]
        scope = _current()
        policy = scope.policy if scope is not None else AddressPolicy()
        host = getattr(self, "_dns_host", None) or self.host
        try:
            addrs = policy.addresses(host, self.port)
        except OSError as exc:
            raise NewConnectionError(self, f"Failed to resolve {host}: {exc}") from None  # type: ignore[arg-type]
        allowed, refusal = [], None
        for ip in addrs:
            why = policy.refusal(host, ip)
            if why is None:
                allowed.append(ip)
            else:
                refusal = refusal or why
        if not allowed:
            if scope is not None:
                scope.refused = refusal
            raise NewConnectionError(self, refusal or f"{host}: no address")  # type: ignore[arg-type]
        last: OSError | None = None
        for ip in allowed:
            try:
                sock = urllib3.util.connection.create_connection(
                    (ip, self.port), self.timeout, source_address=self.source_address,
                    socket_options=self.socket_options)
            except OSError as exc:
                last = exc
                continue
            if scope is not None and scope.ticket is not None:
                scope.ticket.watch(sock)
            return sock
        if isinstance(last, TimeoutError | socket.timeout):
            raise urllib3.exceptions.ConnectTimeoutError(self, f"Connection to {host} timed out")
        raise NewConnectionError(self, f"Failed to establish a new connection: {last}")  # type: ignore[arg-type]

    def request(self, *args: Any, **kw: Any) -> None:
        scope = _current()
        if scope is not None and scope.ticket is not None and self.sock is not None:
            scope.ticket.watch(self.sock)  # a pooled connection: its socket joins this request's ticket
        super().request(*args, **kw)  # type: ignore[misc]


class GuardedHTTPConnection(_GuardedMixin, HTTPConnection):
    pass


class GuardedHTTPSConnection(_GuardedMixin, HTTPSConnection):
    pass


class GuardedAdapter(requests.adapters.HTTPAdapter):
    """An `HTTPAdapter` whose pools (direct and through a proxy) use the guarded connections."""

    def init_poolmanager(self, *args: Any, **kw: Any) -> None:
        super().init_poolmanager(*args, **kw)
        _use_guarded(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **kw: Any):  # type: ignore[no-untyped-def]
        manager = super().proxy_manager_for(proxy, **kw)
        _use_guarded(manager)
        return manager


def _use_guarded(manager: Any) -> None:
    pools = dict(manager.pool_classes_by_scheme)
    for scheme, cls in list(pools.items()):
        conn = GuardedHTTPSConnection if scheme == "https" else GuardedHTTPConnection
        pools[scheme] = type(f"Guarded{cls.__name__}", (cls,), {"ConnectionCls": conn})
    manager.pool_classes_by_scheme = pools


def guarded_session(*, pool_maxsize: int = 8) -> requests.Session:
    s = requests.Session()
    adapter = GuardedAdapter(pool_connections=4, pool_maxsize=pool_maxsize, max_retries=0)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    return s
