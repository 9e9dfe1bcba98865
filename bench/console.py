"""Console latency: p50/p95 of the site dashboard and the findings list under 20 concurrent clients.

A generated store with one year of nightly scans for 10 sites (the real Store API: start_run, save_check,
finish_run, so issues and lifecycles are real), the console run as `ppid-audit serve` (waitress, its own
process), and 20 client threads, each logged in with its own session, requesting pages for a fixed time.
Peer in the same run: nginx (Debian) serving the very same dashboard HTML as a static file to the same
clients, so the ratio is the cost of computing the page over serving it. Goal: dashboard p95 < 200 ms.

    .venv/bin/python bench/console.py [--sites 10] [--days 365] [--clients 20] [--seconds 20]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["PPID_LOOPBACK_ONLY"] = "1"

PASSWORD = "bench-password-123"
RULES = [("headers", "headers.csp.missing", "medium"), ("headers", "headers.hsts.missing", "medium"),
         ("tls", "tls.cert.expiring", "high"), ("software", "software.vulnerable", "high"),
         ("personal_data", "pii.nik.document", "critical"), ("content", "content.item.stale", "low"),
         ("links", "links.broken", "low"), ("headers", "headers.grade", "info")]


def generate(db: str, sites: int, days: int) -> int:
    """One nightly scan per site per day for `days` days; findings come and go. Returns the finding rows."""
    from auditor.store import Store
    from checks.base import Finding, Severity

    rng = random.Random(19)
    store = Store(db)
    rows = 0
    start = datetime.now(UTC).replace(hour=2, minute=0, second=0, microsecond=0) - timedelta(days=days)
    try:
        for s in range(sites):
            site = f"desa-{s:02d}"
            pages = [f"https://{site}.example/{p}" for p in ("", "profil", "berita", "apbdes.pdf", "kontak")]
            for d in range(days):
                when = start + timedelta(days=d, minutes=s)
                run = store.start_run(site, pages[0], started=when)
                by_check: dict[str, list[Finding]] = {}
                for check, rule, sev in RULES:
                    for url in pages:
                        # Each (rule, page) is present in long stretches, fixed and back again.
                        phase = (d // rng.choice((20, 45, 90)) + zlib.crc32(f"{rule}{url}".encode()) % 3) % 3
                        if phase != 0:
                            by_check.setdefault(check, [])
                            continue
                        by_check.setdefault(check, []).append(Finding(
                            check=check, rule=rule, severity=Severity.parse(sev), title=f"{rule} pada {url}",
                            url=url, evidence=f"{rule}:{url}", remediation="Perbaiki", title_en=rule))
                for check, found in by_check.items():
                    store.save_check(run, check, "ok", 0.5, None, found,
                                     facts={"certificate": {"days_left": 40, "not_after":
                                                            (when + timedelta(days=40)).isoformat()}}
                                     if check == "tls" else None)
                    rows += len(found)
                store.finish_run(run, finished=when + timedelta(minutes=4))
    finally:
        store.close()
    return rows


def login(session, base: str) -> None:
    page = session.get(base + "/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = session.post(base + "/login", data={"name": "bench", "password": PASSWORD, "csrf_token": token,
                                            "next": "/"}, timeout=60, allow_redirects=False)
    assert r.status_code == 303, r.status_code


def load(base: str, paths: list[str], clients: int, seconds: float, *, logged_in: bool) -> dict[str, list[float]]:
    import requests

    times: dict[str, list[float]] = {p: [] for p in paths}
    errors: list[str] = []
    lock = threading.Lock()
    sessions = []
    for _ in range(clients):
        s = requests.Session()
        if logged_in:
            login(s, base)
        sessions.append(s)
    barrier = threading.Barrier(clients)

    def client(i: int) -> None:
        s = sessions[i]
        barrier.wait()
        end = time.monotonic() + seconds
        k = i
        while time.monotonic() < end:
            path = paths[k % len(paths)]
            k += 1
            t0 = time.perf_counter()
            r = s.get(base + path, timeout=60, allow_redirects=False)
            dt = time.perf_counter() - t0
            with lock:
                if r.status_code != 200:
                    errors.append(f"{path}: {r.status_code}")
                times[path].append(dt)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"errors during the load: {errors[:5]} ({len(errors)} in all)")
    return times


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def report(name: str, values: list[float], seconds: float) -> tuple[float, float]:
    p50, p95 = pct(values, 50) * 1000, pct(values, 95) * 1000
    print(f"  {name:<34} n={len(values):>6}  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  {len(values) / seconds:7.1f} req/s")
    return p50, p95


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=10)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=20)
    args = ap.parse_args()
    from tests.servers import free_port, stop_process, wait_port

    with tempfile.TemporaryDirectory(prefix="ppid-bench-console-") as tmp_s, ExitStack() as stack:
        tmp = Path(tmp_s)
        db = str(tmp / "store.sqlite")
        t0 = time.monotonic()
        rows = generate(db, args.sites, args.days)
        print(f"store: {args.sites} sites x {args.days} nightly runs = {args.sites * args.days} runs, {rows} finding "
              f"rows, {os.path.getsize(db) / 1e6:.0f} MB, generated in {time.monotonic() - t0:.0f} s")
        sites = "".join(f"  - {{name: desa-{s:02d}, url: 'https://desa-{s:02d}.example/'}}\n" for s in range(args.sites))
        (tmp / "config.yaml").write_text(f"sites:\n{sites}storage: {{database: '{db}'}}\n"
                                         f"console: {{login_max_failures: 100}}\n")
        exe = [sys.executable, "-m", "auditor"]
        cfg = ["--config", str(tmp / "config.yaml")]
        subprocess.run([*exe, "users", "add", "bench", "--role", "admin", *cfg], input=PASSWORD + "\n", text=True,
                       check=True, capture_output=True)
        port = free_port()
        proc = subprocess.Popen([*exe, "serve", "--port", str(port), "--threads", "8", "--quiet", *cfg],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stack.callback(stop_process, proc)
        wait_port(port, 30, proc=proc)
        base = f"http://127.0.0.1:{port}"
        dash = [f"/sites/desa-{s:02d}" for s in range(args.sites)]
        findings = ["/findings", "/findings?state=all&severity=high"]
        load(base, dash[:2] + findings[:1], 2, 2, logged_in=True)  # warm-up (imports, first connections)
        t = load(base, dash, 1, args.seconds / 2, logged_in=True)
        print(f"console (waitress, 8 threads), one client, {args.seconds / 2:.0f} s (the cost of one page):")
        report("dashboard /sites/<site>", [v for p in dash for v in t[p]], args.seconds / 2)
        print(f"console (waitress, 8 threads), {args.clients} concurrent clients, {args.seconds:.0f} s per round:")
        t = load(base, dash, args.clients, args.seconds, logged_in=True)
        _, dash_p95 = report("dashboard /sites/<site>", [v for p in dash for v in t[p]], args.seconds)
        t = load(base, findings, args.clients, args.seconds, logged_in=True)
        report("findings list /findings", [v for p in findings for v in t[p]], args.seconds)
        t = load(base, ["/"], args.clients, args.seconds, logged_in=True)
        report("fleet overview /", t["/"], args.seconds)
        nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
        if Path(nginx_bin).exists():
            import requests

            s = requests.Session()
            login(s, base)
            static = tmp / "static"
            static.mkdir()
            (static / "dashboard.html").write_bytes(s.get(base + dash[0], timeout=30).content)
            from tests.observatory.support import nginx

            nport = free_port()
            stack.enter_context(nginx(f"server {{ listen 127.0.0.1:{nport}; root {static}; }}", tmp / "nginx"))
            wait_port(nport)
            t = load(f"http://127.0.0.1:{nport}", ["/dashboard.html"], args.clients, args.seconds, logged_in=False)
            _, peer_p95 = report("peer: nginx, same HTML as a file", t["/dashboard.html"], args.seconds)
            print(f"dashboard p95 / nginx static p95 = {dash_p95 / peer_p95:.1f}x")
        print(f"goal dashboard p95 < 200 ms: {'met' if dash_p95 < 200 else 'NOT met'} ({dash_p95:.0f} ms); "
              f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
