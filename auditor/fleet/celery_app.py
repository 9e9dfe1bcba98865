"""The Celery side: one app per broker URL, one task (`ppid_audit.audit_site`), worker state.

Delivery guarantees come from three settings together: `acks_late` (a message is acknowledged only
after the audit is stored), `task_reject_on_worker_lost` (a pool child that dies puts its message back)
and prefetch 1 (a worker never sits on sites it is not auditing). When the whole worker dies (kill -9,
machine lost), Redis hands its unacknowledged message to another worker after `visibility_timeout`;
the store's claim (auditor.fleet.job) makes that second delivery safe.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

from celery import Celery, Task
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from pydantic import ValidationError

from auditor.config import Config, SiteConfig
from auditor.fleet import state as fleet_state
from auditor.fleet.job import audit_one
from auditor.fleet.policy import QUEUE, TaskPolicy, celery_owner, task_policy
from auditor.store import Store

log = logging.getLogger("ppid_auditor.fleet")
TASK_NAME = "ppid_audit.audit_site"


@dataclass
class WorkerState:
    """What a worker process needs to run tasks: its own config (checks, crawl, store URL)."""

    cfg: Config
    store_url: str
    policy: TaskPolicy
    _stores: dict[int, Store] = field(default_factory=dict)

    def store(self) -> Store:
        # one connection per process: prefork children must not share the parent's socket
        pid = os.getpid()
        if pid not in self._stores:
            self._stores[pid] = Store(self.store_url)
        return self._stores[pid]


_state: WorkerState | None = None


def configure_worker(cfg: Config, store_url: str) -> WorkerState:
    global _state
    _state = WorkerState(cfg, store_url, task_policy(cfg.fleet))
    return _state


def _audit_site(self: Any, batch: str, site: dict[str, Any], only: list[str] | None = None) -> dict[str, Any]:
    st = _state
    if st is None:  # a task reached a process that was not started by `ppid-audit worker`
        raise RuntimeError("worker not configured: start it with `ppid-audit worker --config F`")
    try:
        site_cfg = SiteConfig.model_validate(site)
    except ValidationError as exc:  # a malformed message never gets better: drop it, loudly
        log.error("fleet: dropping task for invalid site %r: %s", site.get("name"), exc.errors()[0]["msg"])
        return {"site": site.get("name"), "status": "error", "error": "invalid site in task message"}
    owner = celery_owner(self.request.id or "")
    try:
        res = audit_one(st.cfg, site_cfg, batch, st.store(), owner, st.policy, only=only,
                        timeout_exc=(SoftTimeLimitExceeded,))
    except SoftTimeLimitExceeded:
        raise  # hit while claiming: let Celery record it; the lease expires on its own
    except Exception as exc:  # the store is unreachable (claim failed): transient, bounded
        if self.request.retries >= st.policy.retries:
            log.error("fleet: %s: giving up after %d retries: %s", site_cfg.name, self.request.retries, exc)
            raise
        st._stores.pop(os.getpid(), None)  # reconnect next time
        raise self.retry(exc=exc, countdown=st.policy.backoff(self.request.retries),
                         max_retries=st.policy.retries) from None
    if res.status in ("retry", "busy"):
        # retries are counted in the store (per site and batch), so Celery's own counter is not the bound
        raise self.retry(countdown=res.retry_in, max_retries=None)
    log.info("fleet: %s %s run=%s attempts=%d%s", res.site, res.status, res.run_id, res.attempts,
             " (already done)" if res.already_done else "")
    return res.to_json()


class AuditTask(Task):
    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        # A hard time limit kills the pool child (stuck in C code, deaf to the soft limit); Celery then
        # calls this in the worker's main process. Close the claim so the batch does not wait for it.
        if not isinstance(exc, TimeLimitExceeded) or _state is None:
            return
        try:
            batch, site = args[0], args[1]["name"]
            fleet_state.finish_task(_state.store(), batch, site, celery_owner(task_id), "timeout",
                                       error=f"hard time limit ({_state.policy.hard_limit_s:.0f} s) exceeded")
        except Exception as err:  # nothing more to do: the lease expires on its own
            log.warning("fleet: cannot record the hard time limit of task %s: %s", task_id, err)


def make_app(queue_url: str, policy: TaskPolicy) -> Celery:
    app = Celery("ppid_audit", broker=queue_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=policy.hard_limit_s,
        task_soft_time_limit=policy.soft_limit_s,
        task_ignore_result=True,  # results go to the store
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": policy.visibility_timeout_s,
            # sweep for abandoned messages often enough to matter with a short visibility timeout
            "unacked_restore_interval": max(1, min(10, int(policy.visibility_timeout_s // 3))),
            "unacked_restore_throttle": 1,
        },
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        worker_send_task_events=False,
        enable_utc=True,
    )
    app.task(bind=True, base=AuditTask, name=TASK_NAME, acks_late=True, reject_on_worker_lost=True, max_retries=None,
             ignore_result=True)(_audit_site)
    return app


def enqueue(app: Celery, batch: str, sites: list[SiteConfig], only: list[str] | None) -> list[str]:
    ids = []
    with app.connection_for_write() as conn:
        producer = app.amqp.Producer(conn, auto_declare=True)
        for s in sites:
            r = app.send_task(TASK_NAME, args=[batch, s.model_dump(mode="json", exclude_none=True), only],
                              queue=QUEUE, producer=producer)
            ids.append(r.id)
    return ids


def run_worker(cfg: Config, store_url: str, queue_url: str, concurrency: int, *, loglevel: str = "INFO",
               pool: str = "prefork") -> None:
    """Blocks: a Celery worker consuming the fleet queue (prefork: soft/hard time limits are enforced)."""
    st = configure_worker(cfg, store_url)
    st.store().close()  # fail fast on a wrong storage.database, before forking; children reopen
    st._stores.clear()
    app = make_app(queue_url, st.policy)
    argv = ["worker", f"--concurrency={concurrency}", f"--loglevel={loglevel}", "-Q", QUEUE,
            f"--pool={pool}", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "-n", f"ppid-audit-{os.getpid()}@%h"]
    app.worker_main(argv)
