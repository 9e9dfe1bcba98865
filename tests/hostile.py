"""Hostile loopback servers: raw sockets, one behaviour each (drip, stall, endless chunked, silent TLS...).

`hostile(behaviour)` accepts on 127.0.0.1 and runs `behaviour(conn)` for every connection in its own
thread; the server stops (and every connection is closed) when the `with` block ends.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

Behaviour = Callable[[socket.socket, threading.Event], None]


@contextmanager
def hostile(behaviour: Behaviour) -> Iterator[int]:
    stop = threading.Event()
    srv = socket.create_server(("127.0.0.1", 0))
    srv.settimeout(0.2)
    conns: list[socket.socket] = []

    def run(conn: socket.socket) -> None:
        with suppress(OSError):
            behaviour(conn, stop)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conns.append(conn)
            threading.Thread(target=run, args=(conn,), daemon=True).start()

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        yield srv.getsockname()[1]
    finally:
        stop.set()
        t.join(2)
        srv.close()
        for c in conns:
            with suppress(OSError):
                c.close()


def _read_request(conn: socket.socket) -> None:
    conn.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return
        data += chunk


def _send_slowly(conn: socket.socket, stop: threading.Event, data: bytes, every_s: float) -> None:
    for i in range(len(data)):
        if stop.wait(every_s):
            return
        conn.sendall(data[i:i + 1])


def drip_body(every_s: float = 0.5) -> Behaviour:
    """200 with honest headers, then one byte every `every_s` seconds (the issue's 10-minute hold)."""
    def run(conn: socket.socket, stop: threading.Event) -> None:
        _read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n<html>")
        _send_slowly(conn, stop, b"x" * 100000, every_s)
    return run


def drip_headers(every_s: float = 0.3) -> Behaviour:
    """The status line and headers one byte at a time, forever."""
    def run(conn: socket.socket, stop: threading.Event) -> None:
        _read_request(conn)
        _send_slowly(conn, stop, b"HTTP/1.1 200 OK\r\n" + b"X-Drip: " + b"a" * 100000, every_s)
    return run


def stall_after_headers() -> Behaviour:
    def run(conn: socket.socket, stop: threading.Event) -> None:
        _read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5000\r\n\r\n<html>")
        stop.wait(120)
    return run


def lying_length() -> Behaviour:
    """Content-Length: 1000000, ten bytes sent, the connection kept open."""
    def run(conn: socket.socket, stop: threading.Event) -> None:
        _read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000000\r\n\r\n0123456789")
        stop.wait(120)
    return run


def endless_chunked(every_s: float = 0.05) -> Behaviour:
    """Chunked encoding that never sends the last chunk: 1 KiB chunks, fast enough to beat any drip rule."""
    def run(conn: socket.socket, stop: threading.Event) -> None:
        _read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"400\r\n" + b"y" * 1024 + b"\r\n"
        while not stop.wait(every_s):
            conn.sendall(chunk)
    return run


def silent() -> Behaviour:
    """Accepts and never speaks (a TLS handshake that never ends, headers that never come)."""
    def run(conn: socket.socket, stop: threading.Event) -> None:
        stop.wait(120)
    return run


def drip_tls_handshake(every_s: float = 0.3) -> Behaviour:
    """Answers a ClientHello with a TLS record header, then one byte of 'ServerHello' at a time."""
    def run(conn: socket.socket, stop: threading.Event) -> None:
        conn.settimeout(5)
        conn.recv(4096)
        _send_slowly(conn, stop, b"\x16\x03\x03\x40\x00" + b"\x02" + b"\x00" * 16000, every_s)
    return run


def slow_redirects(port_of: Callable[[], int], hops: int = 50, pause_s: float = 0.8) -> Behaviour:
    """Each answer is a redirect to the next hop after `pause_s`: every hop alone is fast enough."""
    def run(conn: socket.socket, stop: threading.Event) -> None:
        conn.settimeout(5)
        while not stop.is_set():
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            n = int(data.split(b" ")[1].strip(b"/") or 0)
            if stop.wait(pause_s):
                return
            loc = f"http://127.0.0.1:{port_of()}/{(n + 1) % hops}"
            conn.sendall(f"HTTP/1.1 302 Found\r\nLocation: {loc}\r\nContent-Length: 0\r\n\r\n".encode())
    return run


def timed(fn: Callable[[], object]) -> tuple[object, float]:
    started = time.monotonic()
    out = fn()
    return out, time.monotonic() - started
