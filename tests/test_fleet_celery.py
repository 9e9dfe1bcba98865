"""Fleet mode end to end: a real Redis and PostgreSQL on 127.0.0.1, 50 generated loopback sites, two real
`ppid-audit worker` processes, and one of them killed with SIGKILL in the middle of a site audit.

What must hold afterwards, read from the store: every site has exactly one complete run for the batch
(none lost, none duplicated), the killed audit was taken over (its run marked incomplete, a second
attempt completed), and the ranking report covers all 50 sites.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from auditor.config import load_config
from auditor.fleet import scan_all
from auditor.fleet import state as fleet_state
from auditor.store import Store
from tests.fleet_sites import redis_server, village_sites, worker_env, write_sites_csv
from tests.pg import fresh_database, pg_bin, postgres_server
from tests.servers import need_peer

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(240)]

N_SITES = 50


@pytest.fixture(scope="module")
def redis_url():
    with redis_server() as url:
        yield url


@pytest.fixture(scope="module")
def pg_url():
    bindir = pg_bin()
    need_peer("postgres", str(bindir / "postgres") if bindir else None)
    need_peer("initdb", str(bindir / "initdb") if bindir else None)
    with postgres_server() as url:
        yield fresh_database(url, "fleet")


def start_worker(cfg_path: Path, log: Path) -> subprocess.Popen:
    # own session: SIGKILL of the group takes the worker and its pool child down together, like a lost VM
    return subprocess.Popen([sys.executable, "-m", "auditor", "worker", "--config", str(cfg_path),
                             "--concurrency", "1"], stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            env=worker_env(), start_new_session=True, cwd=cfg_path.parent)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)  # warm shutdown
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def in_group(pid: int | None, pgid: int) -> bool:
    try:
        return bool(pid) and os.getpgid(pid) == pgid
    except ProcessLookupError:
        return False


def write_config(tmp: Path, redis_url: str, pg_url: str, servers) -> Path:
    write_sites_csv(tmp / "sites.csv", servers)
    cfg = tmp / "config.yaml"
    cfg.write_text(f"""
sites_file: sites.csv
storage: {{database: "{pg_url}"}}
checks: {{enabled: [links, headers]}}
crawl: {{max_pages: 10, timeout_s: 5}}
reports: {{organisation: Diskominfo Kabupaten Contoh, output_dir: out}}
fleet:
  queue: "{redis_url}"
  concurrency: 1
  task_time_limit_s: 60
  retries: 2
  retry_backoff_s: 0.5
  retry_backoff_max_s: 1
  visibility_timeout_s: 4
""")
    return cfg


def test_fifty_sites_two_workers_one_killed_mid_run(tmp_path, redis_url, pg_url):
    batch = "batch-test-kill"
    with village_sites(N_SITES, page_delay_s=0.05) as servers:
        cfg_path = write_config(tmp_path, redis_url, pg_url, servers)
        cfg = load_config(cfg_path)
        workers = [start_worker(cfg_path, tmp_path / f"worker{i}.log") for i in range(2)]
        victim, survivor = workers
        outcome: dict = {}

        def dispatch() -> None:
            outcome["code"] = scan_all(cfg, cfg.database_path, redis_url, batch=batch, quiet=True, poll_s=0.3)

        dispatcher = threading.Thread(target=dispatch, daemon=True)
        store = Store(pg_url)
        killed_site, killed_runs = None, []
        try:
            dispatcher.start()
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and killed_site is None:
                try:
                    rows = fleet_state.batch_tasks(store, batch)
                except Exception:
                    rows = []  # the dispatcher has not created the batch yet
                done = sum(1 for r in rows if r["status"] == "complete")
                mine = [r for r in rows if r["status"] == "running" and in_group(r["owner_pid"], victim.pid)]
                if done >= 8 and mine:
                    killed_runs = [r.id for r in store.runs(site=mine[0]["site"], batch=batch, status="running")]
                    os.killpg(victim.pid, signal.SIGKILL)
                    killed_site = mine[0]["site"]
                time.sleep(0.02)
            assert killed_site, "the victim worker never held a site (did the workers start?)"
            victim.wait(timeout=10)
            dispatcher.join(timeout=150)
            assert not dispatcher.is_alive(), "the batch did not finish"
        finally:
            for w in workers:
                stop(w)
        assert outcome.get("code") == 0, (tmp_path / "worker1.log").read_text()[-3000:]

    tasks = {r["site"]: r for r in fleet_state.batch_tasks(store, batch)}
    assert len(tasks) == N_SITES
    assert {r["status"] for r in tasks.values()} == {"complete"}
    every = store.runs(batch=batch, status=None, kind=None)
    complete = Counter(r.site for r in every if r.status == "complete")
    # no site lost, no run duplicated
    assert set(complete) == {f"desa-{i:03d}" for i in range(N_SITES)}
    assert set(complete.values()) == {1}
    assert all(tasks[s]["run_id"] == r.id for r in every if r.status == "complete" for s in [r.site])
    # the killed audit was taken over: its half-written run is incomplete, a later attempt completed
    assert tasks[killed_site]["attempts"] >= 2
    statuses = Counter(r.status for r in every if r.site == killed_site)
    assert statuses["complete"] == 1 and statuses["running"] == 0
    for run_id in killed_runs:
        assert store.run(run_id).status == "incomplete"
    # both workers did real work (the survivor alone finished the batch after the kill)
    pids = {row["pid"] for row in store.db.execute(
        "SELECT pid FROM runs WHERE batch=? AND status='complete'", (batch,)).fetchall()}
    assert len(pids) >= 2
    assert survivor.returncode is not None

    # the regency's ranking from the same PostgreSQL store
    month = store.run(tasks["desa-000"]["run_id"]).started.strftime("%Y-%m")
    store.close()
    res = subprocess.run([sys.executable, "-m", "auditor", "report", "fleet", "--config", str(cfg_path),
                          "--month", month, "--format", "html"], capture_output=True, text=True, timeout=120,
                         env=worker_env())
    assert res.returncode == 0, res.stderr
    html = Path(res.stdout.strip().splitlines()[-1]).read_text(encoding="utf-8")
    for i in range(N_SITES):
        assert f"desa-{i:03d}" in html
    assert html.count("<tr>") >= N_SITES + 1


def test_bounded_retries_and_time_limit_on_the_queue(tmp_path, redis_url, pg_url):
    """An unreachable site is retried with backoff a bounded number of times, then recorded as failed; a
    site slower than the soft time limit is stopped and recorded as timed out; the rest completes."""
    from tests.fleet_sites import closed_port_url, serve

    def slow(_h):
        time.sleep(6)
        return 200, {"Content-Type": "text/html"}, "<html><title>lambat</title></html>"

    batch = "batch-test-limits"
    with village_sites(2) as servers, serve({"/": slow}) as slow_site:
        write_sites_csv(tmp_path / "sites.csv", servers,
                        extra=[("desa-mati", closed_port_url()), ("desa-lambat", slow_site.url)])
        cfg_path = tmp_path / "config.yaml"
        cfg_path.write_text(f"""
sites_file: sites.csv
storage: {{database: "{pg_url}"}}
checks: {{enabled: [links, headers]}}
crawl: {{max_pages: 5, timeout_s: 10}}
fleet: {{queue: "{redis_url}", task_time_limit_s: 4, task_soft_time_limit_s: 2, retries: 2,
         retry_backoff_s: 0.5, retry_backoff_max_s: 1, visibility_timeout_s: 30}}
""")
        cfg = load_config(cfg_path)
        worker = start_worker(cfg_path, tmp_path / "worker.log")
        try:
            code = scan_all(cfg, cfg.database_path, redis_url, batch=batch, quiet=True, poll_s=0.3, stall_s=60)
        finally:
            stop(worker)
    log = (tmp_path / "worker.log").read_text()
    assert code == 3, log[-3000:]
    store = Store(pg_url)
    tasks = {r["site"]: r for r in fleet_state.batch_tasks(store, batch)}
    assert tasks["desa-000"]["status"] == tasks["desa-001"]["status"] == "complete"
    dead = tasks["desa-mati"]
    assert dead["status"] == "failed" and dead["attempts"] == cfg.fleet.retries + 1
    dead_runs = store.runs(site="desa-mati", batch=batch, status=None)
    assert [r.status for r in dead_runs] == ["failed"] * (cfg.fleet.retries + 1)
    # backoff, from Celery's own log of the dead site's task: never immediate, growing, capped
    task_id = re.search(r"audit_site\[([0-9a-f-]+)\] succeeded[^\n]*'desa-mati'", log).group(1)
    waits = [float(x) for x in re.findall(rf"audit_site\[{task_id}\] retry: Retry in ([0-9.]+)s", log)]
    assert len(waits) == cfg.fleet.retries
    for attempt, w in enumerate(waits):
        base = min(cfg.fleet.retry_backoff_max_s, cfg.fleet.retry_backoff_s * 2 ** attempt)
        assert base / 2 <= w <= base
    assert tasks["desa-lambat"]["status"] == "timeout"
    assert [r.status for r in store.runs(site="desa-lambat", batch=batch, status=None)] == ["incomplete"]
    store.close()
