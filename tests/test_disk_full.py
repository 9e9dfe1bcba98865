"""A store on a full disk or a read-only path: one clear line, exit 2, earlier runs intact, no half-written
report.

The disk is a real small tmpfs (`mount -t tmpfs -o size=...`, needs root). Where mounting is impossible
(CI without root, or PPID_TEST_NO_MOUNT=1), the full disk is simulated with RLIMIT_FSIZE in a subprocess (writes past the limit
fail with EFBIG, as on a full disk) and the read-only store with file permissions."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from auditor.store import Store
from tests.servers import serve

HTML = {"Content-Type": "text/html; charset=utf-8"}
PAGES = 40


def routes() -> dict:
    links = "".join(f'<a href="/berita/{i}">b</a>' for i in range(PAGES))
    out = {"/": (200, HTML, f"<html><title>PPID</title><body>{links}</body></html>")}
    for i in range(PAGES):  # distinct bodies: the store keeps each one (conditional GET cache)
        out[f"/berita/{i}"] = (200, HTML, f"<html><title>B{i}</title><body>{os.urandom(12000).hex()}</body></html>")
    return out


@contextmanager
def small_fs(path: Path, size: str) -> Iterator[bool]:
    """A tmpfs of `size` at `path`; yields False (and a plain directory) when mounting is impossible."""
    path.mkdir()
    mounted = os.geteuid() == 0 and not os.environ.get("PPID_TEST_NO_MOUNT") and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], check=False)


def write_config(tmp_path: Path, url: str, db: Path, max_pages: int) -> Path:
    cfg = tmp_path / f"config-{max_pages}.yaml"
    cfg.write_text(f"sites:\n  - name: desa\n    url: {url}\ncrawl:\n  max_pages: {max_pages}\n  timeout_s: 5\n"
                   f"checks:\n  enabled: [links]\nstorage:\n  database: {db}\n")
    return cfg


def scan(cfg: Path, out: Path, fsize: int | None = None) -> subprocess.CompletedProcess:
    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run([sys.executable, "-m", "auditor", "scan", "--config", str(cfg), "--json", str(out),
                           "--quiet"], capture_output=True, text=True, timeout=120,
                          preexec_fn=limit if fsize else None, env={**os.environ, "PPID_LOOPBACK_ONLY": "1"})


def fill(disk: Path, leave: int) -> Path:
    """Fill the file system at `disk` up to `leave` free bytes."""
    filler = disk / "filler"
    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    with filler.open("wb") as fh:
        fh.write(b"\0" * max(0, free - leave))
    return filler


def assert_one_clear_line(proc: subprocess.CompletedProcess, *words: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("ppid-audit: "), proc.stderr
    assert "Traceback" not in proc.stderr and any(w in lines[0] for w in words), lines[0]
    print(lines[0])


def test_full_disk_fails_cleanly_and_keeps_earlier_runs(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    with serve(routes()) as srv, small_fs(disk, "3m") as mounted:
        db = disk / "db.sqlite"
        out = disk / "findings.json"
        first = scan(write_config(tmp_path, srv.url, db, 3), out)
        assert first.returncode == 0, first.stderr
        before = out.read_text()
        big = write_config(tmp_path, srv.url, db, PAGES + 1)
        if mounted:
            fill(disk, 64 * 1024)
            second = scan(big, out)
        else:  # no tmpfs: the same failure through the file-size limit (EFBIG)
            second = scan(big, out, fsize=db.stat().st_size + 64 * 1024)
        assert_one_clear_line(second, "disk is full", "cannot write")
        if mounted:
            (disk / "filler").unlink()
        assert out.read_text() == before  # the earlier report, whole; no half-written one
        assert not list(disk.glob(".findings.json.*"))
        store = Store(str(db))
        runs = store.runs("desa") if hasattr(store, "runs") else []
        complete = [r for r in runs if r.status == "complete"]
        assert len(complete) == 1 and complete[0].id == json.loads(before)["run"]["id"]
        assert len(store.run_pages(complete[0].id)) >= 3


def test_read_only_store_fails_cleanly(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    with serve(routes()) as srv, small_fs(disk, "8m") as mounted:
        db = disk / "db.sqlite"
        cfg = write_config(tmp_path, srv.url, db, 3)
        first = scan(cfg, tmp_path / "a.json")
        assert first.returncode == 0, first.stderr
        run_id = json.loads((tmp_path / "a.json").read_text())["run"]["id"]
        if mounted:
            subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        else:
            if os.geteuid() == 0:
                pytest.skip("root without mount: file permissions cannot make the store read-only")
            for p in [disk, *disk.iterdir()]:
                p.chmod(0o555 if p.is_dir() else 0o444)
        try:
            second = scan(cfg, tmp_path / "b.json")
        finally:
            if mounted:
                subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
            else:
                for p in [disk, *disk.iterdir()]:
                    p.chmod(0o755 if p.is_dir() else 0o644)
        assert_one_clear_line(second, "read-only", "cannot write", "cannot open")
        assert not (tmp_path / "b.json").exists()
        store = Store(str(db))
        assert store.run(run_id).status == "complete"
        assert len(store.run_pages(run_id)) >= 3
