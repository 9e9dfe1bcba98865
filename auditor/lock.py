"""Per-site single-instance lock shared by `scan`, `report` and `schedule`.

An advisory `flock` on `<store dir>/locks/<site>.lock`: the kernel drops it when the holder dies, so a
kill -9'd process never leaves a stale lock behind; the pid written inside is only for the message.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("ppid_auditor.lock")


class SiteBusy(Exception):
    def __init__(self, site: str, holder: str):
        super().__init__(f"site {site!r} is busy (held by pid {holder or '?'})")
        self.site = site
        self.holder = holder


def lock_dir_for(database_path: str) -> Path:
    return Path(database_path).parent / "locks"


@contextmanager
def site_lock(lock_dir: Path, site: str, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the site's lock for the duration of the block; raise `SiteBusy` if another process still has
    it after `wait_s` seconds (0: do not wait — a cron scan overlapping another simply skips)."""
    lock_dir.mkdir(parents=True, exist_ok=True)
    path = lock_dir / f"{site}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_s
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() < deadline:
                    time.sleep(0.5)
                    continue
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                log.info("site %s busy, held by pid %s", site, holder)
                raise SiteBusy(site, holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
