"""`scan --all` without a queue: a bounded thread pool on this machine.

Threads, not processes: a real village site answers slowly (the GIL is free while waiting on the
network), every thread gets its own store connection, and per-site politeness (crawl.concurrency,
crawl.delay_s, robots) is the crawler's, unchanged. A site waiting for a retry does not hold a thread: it
goes back to the schedule with its backoff time.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from auditor.config import Config, SiteConfig
from auditor.fleet.job import JobResult, audit_one
from auditor.fleet.policy import owner_id, task_policy
from auditor.lock import SiteBusy, lock_dir_for, site_lock
from auditor.store import Store


def run_pool(cfg: Config, store_url: str, batch: str, sites: list[SiteConfig], workers: int, *,
             only: list[str] | None = None, on_result: Callable[[JobResult], None] | None = None,
             sleep: Callable[[float], None] = time.sleep) -> list[JobResult]:
    policy = task_policy(cfg.fleet)
    local = threading.local()
    stores: list[Store] = []
    stores_lock = threading.Lock()
    use_flock = "://" not in store_url

    def store() -> Store:
        if getattr(local, "store", None) is None:
            local.store = Store(store_url)
            with stores_lock:
                stores.append(local.store)
        return local.store

    def job(site: SiteConfig) -> JobResult:
        owner = owner_id(f"t{threading.get_ident()}")
        if not use_flock:
            return audit_one(cfg, site, batch, store(), owner, policy, only=only)
        try:  # same lock as `scan`: a cron scan of the same site is never overlapped
            with site_lock(lock_dir_for(store_url), site.name):
                return audit_one(cfg, site, batch, store(), owner, policy, only=only)
        except SiteBusy as busy:
            return JobResult(site.name, "busy", retry_in=min(30.0, policy.backoff_s), error=str(busy))

    seq = itertools.count()
    ready: list[tuple[float, int, SiteConfig]] = [(0.0, next(seq), s) for s in sites]
    heapq.heapify(ready)
    results: dict[str, JobResult] = {}
    running: dict[Future[JobResult], SiteConfig] = {}
    workers = max(1, workers)
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ppid-fleet") as pool:
            while ready or running:
                now = time.monotonic()
                while ready and ready[0][0] <= now and len(running) < workers:
                    _, _, site = heapq.heappop(ready)
                    running[pool.submit(job, site)] = site
                timeout = None if not ready else max(0.0, ready[0][0] - time.monotonic())
                if not running:
                    sleep(timeout or 0.0)
                    continue
                done, _ = wait(running, timeout=timeout, return_when=FIRST_COMPLETED)
                for fut in done:
                    site = running.pop(fut)
                    try:
                        res = fut.result()
                    except Exception as exc:  # claim failed: the store itself is broken
                        res = JobResult(site.name, "error", error=f"{type(exc).__name__}: {exc}")
                    if res.status in ("retry", "busy"):
                        heapq.heappush(ready, (time.monotonic() + (res.retry_in or 1.0), next(seq), site))
                    else:
                        results[site.name] = res
                    if on_result:
                        on_result(res)
    finally:
        for s in stores:
            s.close()
    return [results[s.name] for s in sites if s.name in results]
