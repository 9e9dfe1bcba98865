"""Fleet throughput: sites/minute with 1, 2 and 4 Celery workers on 200 small loopback sites.

A real Redis and PostgreSQL on 127.0.0.1 (Debian packages, started here in temp dirs), the generated
village sites of tests/fleet_sites.py served from a child process (so they do not share a GIL with
anything measured), and N real `ppid-audit worker --concurrency 1` processes. Each round gets a fresh
database; the clock runs from sending the batch to the last site stored (worker start-up excluded).

    .venv/bin/python bench/fleet.py [--sites 200] [--workers 1,2,4]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["PPID_LOOPBACK_ONLY"] = "1"  # the bench never leaves the machine


def serve_sites(n: int, urls, stop) -> None:
    from tests.fleet_sites import village_sites

    with village_sites(n) as servers:
        urls.put([s.url for s in servers])
        stop.wait()


def wait_ready(logs: list[Path], procs: list[subprocess.Popen], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(" ready." in p.read_text(errors="replace") for p in logs):
            return
        for p in procs:
            if p.poll() is not None:
                raise SystemExit(f"a worker exited with code {p.returncode}; see {logs}")
        time.sleep(0.2)
    raise SystemExit("workers did not become ready")


def one_round(n_workers: int, tmp: Path, urls: list[str], redis_url: str, pg_server: str) -> float:
    from auditor.config import load_config
    from auditor.fleet import scan_all
    from tests.pg import fresh_database

    db = fresh_database(pg_server, f"bench{n_workers}")
    work = tmp / f"w{n_workers}"
    work.mkdir()
    (work / "sites.csv").write_text("name,url\n" + "".join(f"desa-{i:03d},{u}\n" for i, u in enumerate(urls)))
    (work / "config.yaml").write_text(f"""
sites_file: sites.csv
storage: {{database: "{db}"}}
checks: {{enabled: [links, headers]}}
crawl: {{max_pages: 10, timeout_s: 10}}
fleet: {{queue: "{redis_url}", task_time_limit_s: 120, retries: 1, retry_backoff_s: 1}}
""")
    cfg = load_config(work / "config.yaml")
    from auditor.store import Store
    Store(db).close()  # migrate once, before the workers race for it
    logs = [work / f"worker{i}.log" for i in range(n_workers)]
    procs = [subprocess.Popen([sys.executable, "-m", "auditor", "worker", "--config", str(work / "config.yaml"),
                               "--concurrency", "1"], stdout=log.open("wb"), stderr=subprocess.STDOUT,
                              start_new_session=True, env=dict(os.environ)) for log in logs]
    try:
        wait_ready(logs, procs)
        t0 = time.perf_counter()
        code = scan_all(cfg, db, redis_url, batch=f"bench-{n_workers}", quiet=True, poll_s=0.2)
        elapsed = time.perf_counter() - t0
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
    store = Store(db)
    done = len(store.runs(batch=f"bench-{n_workers}", status="complete"))
    store.close()
    if code != 0 or done != len(urls):
        raise SystemExit(f"round with {n_workers} workers: exit {code}, {done}/{len(urls)} sites complete")
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=200)
    ap.add_argument("--workers", default="1,2,4")
    args = ap.parse_args()
    counts = [int(x) for x in args.workers.split(",")]
    from tests.fleet_sites import redis_server
    from tests.pg import pg_bin, postgres_server

    if pg_bin() is None or not any(Path(d, "redis-server").exists() for d in os.environ["PATH"].split(":")):
        print("needs the Debian packages postgresql and redis-server (scripts/install-system-deps.sh)")
        return 2
    ctx = mp.get_context("spawn")
    url_q, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=serve_sites, args=(args.sites, url_q, stop), daemon=True)
    server.start()
    urls = url_q.get(timeout=120)
    results: dict[int, float] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="ppid-bench-fleet-") as tmp, redis_server() as redis_url, \
                postgres_server() as pg:
            for n in counts:
                results[n] = one_round(n, Path(tmp), urls, redis_url, pg)
                print(f"{n} worker(s): {args.sites} sites in {results[n]:.1f} s = "
                      f"{args.sites / results[n] * 60:.0f} sites/minute", flush=True)
    finally:
        stop.set()
        server.join(timeout=10)
    one = min(counts)  # the rounds may run in any order (--workers 4,2,1 checks for warm-up effects)
    base = args.sites / results[one] * 60
    print(f"\nmachine: {os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.2f}")
    print(f"{'workers':>8} {'sites/min':>10} {'scaling':>8} {'efficiency':>10}")
    for n in counts:
        rate = args.sites / results[n] * 60
        print(f"{n:>8} {rate:>10.0f} {rate / base:>7.2f}x {rate / base / (n / one):>9.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
