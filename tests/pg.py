"""A real PostgreSQL server on 127.0.0.1 for the tests (Debian's postgresql package), in a temp dir.

We run as root in CI; PostgreSQL refuses root, so initdb/postgres run as the `postgres` OS user."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.servers import free_port, require_integration, stop_process, wait_port


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return Path(found[-1]).parent if found else None


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a `postgresql://` URL of a fresh server; skip (or fail under PPID_REQUIRE_INTEGRATION=1)."""
    bindir = pg_bin()
    if bindir is None:
        msg = "PostgreSQL server binaries not installed (Debian package postgresql)"
        if require_integration():
            pytest.fail(msg)
        pytest.skip(msg)
    as_pg: list[str] = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    tmp = Path(tempfile.mkdtemp(prefix="ppid-pg-"))
    data, sock = tmp / "data", tmp / "sock"
    data.mkdir()
    sock.mkdir()
    if as_pg:
        shutil.chown(tmp, "postgres")
        shutil.chown(data, "postgres")
        shutil.chown(sock, "postgres")
    port = free_port()
    subprocess.run([*as_pg, str(bindir / "initdb"), "-D", str(data), "-U", "ppid", "--auth=trust",
                    "-E", "UTF8", "--no-sync"], check=True, capture_output=True, timeout=120)
    proc = subprocess.Popen([*as_pg, str(bindir / "postgres"), "-D", str(data), "-p", str(port),
                             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={sock}",
                             "-c", "fsync=off", "-c", "max_connections=100"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"postgresql://ppid@127.0.0.1:{port}/postgres"
    try:
        try:
            wait_port(port, 30, proc=proc)
        except (TimeoutError, RuntimeError) as e:
            raise RuntimeError("PostgreSQL did not start") from e
        time.sleep(0.3)
        yield url
    finally:
        stop_process(proc, 20)
        shutil.rmtree(tmp, ignore_errors=True)


def fresh_database(url: str, name: str) -> str:
    """Create database `name` on the server at `url` and return its URL."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + f"/{name}"
