"""Single-instance lock with real processes: two scans at once -> one runs, one exits 0 with a message;
a kill -9'd holder does not block the next run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from auditor.lock import SiteBusy, site_lock
from auditor.store import Store
from tests.servers import serve

HTML = {"Content-Type": "text/html"}


def slow(_h):
    time.sleep(0.2)
    return 200, HTML, "<html><head><title>x</title></head><body>ok</body></html>"


def config(tmp_path: Path, url: str) -> Path:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"sites:\n  - name: desa\n    url: {url}\ncrawl:\n  max_pages: 15\n  concurrency: 1\n  timeout_s: 90\n"
                   f"checks:\n  enabled: [links]\nstorage:\n  database: {tmp_path / 'db.sqlite'}\n")
    return cfg


def scan(cfg: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "auditor", "scan", "--config", str(cfg), "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_requests(srv, n: int) -> None:
    deadline = time.monotonic() + 30
    while srv.stats["requests"] < n and time.monotonic() < deadline:
        time.sleep(0.05)
    # without this the lock tests could pass with a first scan that never got going (and never held the lock)
    assert srv.stats["requests"] >= n, f"the first scan made {srv.stats['requests']} requests in 30 s"


def test_two_scans_at_once_one_runs_one_exits_cleanly(tmp_path: Path) -> None:
    """The first scan is held inside a page request until the second process has exited, so the two
    really overlap however slowly a loaded machine starts the second interpreter."""
    links = "".join(f'<a href="/p{i}">{i}</a>' for i in range(10))
    release = threading.Event()

    def held(_h):
        release.wait(60)
        return slow(_h)

    with serve({"/": (200, HTML, f"<html><body>{links}</body></html>")}, default=held) as srv:
        cfg = config(tmp_path, srv.url)
        first = scan(cfg)
        wait_for_requests(srv, 1)  # its first request is held: the scan has the lock and cannot finish
        second = scan(cfg)
        try:
            out2, err2 = second.communicate(timeout=60)
        finally:
            release.set()
        out1, err1 = first.communicate(timeout=60)
    assert first.returncode == 0, err1
    assert second.returncode == 0
    assert "masih berjalan" in err2 and f"pid {first.pid}" in err2
    runs = Store(tmp_path / "db.sqlite").runs(site="desa", status=None)
    assert [r.status for r in runs] == ["complete"]  # no overlapping second run was written


def test_killed_holder_does_not_block(tmp_path: Path) -> None:
    links = "".join(f'<a href="/p{i}">{i}</a>' for i in range(10))
    with serve({"/": (200, HTML, f"<html><body>{links}</body></html>")}, default=slow) as srv:
        cfg = config(tmp_path, srv.url)
        holder = scan(cfg)
        wait_for_requests(srv, 2)
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
        nxt = scan(cfg)
        _, err = nxt.communicate(timeout=60)
    assert nxt.returncode == 0, err
    assert "masih berjalan" not in err
    statuses = [r.status for r in Store(tmp_path / "db.sqlite").runs(site="desa", status=None)]
    assert statuses == ["incomplete", "complete"]


def test_lock_in_process(tmp_path: Path) -> None:
    with site_lock(tmp_path, "desa"):
        # a second holder in another process sees it busy
        code = ("import sys; from pathlib import Path; from auditor.lock import site_lock, SiteBusy\n"
                f"try:\n    site_lock(Path({str(tmp_path)!r}), 'desa').__enter__()\nexcept SiteBusy as e:\n"
                "    print('busy', e.holder); sys.exit(7)\n")
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
        assert proc.returncode == 7 and proc.stdout.split() == ["busy", str(os.getpid())]
    with site_lock(tmp_path, "desa"):  # released and re-acquirable
        pass
    assert SiteBusy("desa", "1").site == "desa"


def test_report_waits_for_a_running_scan_of_its_site(tmp_path: Path) -> None:
    """`report` shares the per-site lock: it waits for the holder instead of reading a half-written run."""
    import threading

    from auditor.lock import lock_dir_for

    released = threading.Event()

    def hold() -> None:
        with site_lock(lock_dir_for(str(tmp_path / "db.sqlite")), "desa"):
            time.sleep(1.5)
        released.set()

    cfg = config(tmp_path, "http://127.0.0.1:9/")
    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.2)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "auditor", "report", "monthly", "--month", "2026-01",
                           "--format", "html", "--config", str(cfg), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    holder.join()
    assert proc.returncode == 0, proc.stderr
    assert released.is_set() and time.monotonic() - started >= 1.0
    assert (tmp_path / "out" / "laporan-bulanan-2026-01.html").exists()
