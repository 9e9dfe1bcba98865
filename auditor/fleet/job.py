"""One site audit inside a batch, shared by the Celery task and the local pool.

Idempotency lives in the store, not in the queue: the task first *claims* (batch, site) in one
transaction. A complete run of that site tagged with the batch means the work is done (a redelivered
message is then a no-op); a live owner means "busy, come back later"; a dead owner (killed worker) or an
expired lease is taken over and its half-written run is marked incomplete. The run itself is committed by
the runner's `finish_run`, so there is exactly one complete run per (site, batch) whatever the queue does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from auditor.config import Config, SiteConfig
from auditor.errors import ConfigError
from auditor.fleet import state as fleet_state
from auditor.fleet.policy import FINAL, TaskPolicy
from auditor.runner import run_audit
from auditor.store import Store

log = logging.getLogger("ppid_auditor.fleet")


@dataclass
class JobResult:
    site: str
    status: str  # complete | failed | timeout | error (final) or retry | busy (come back in `retry_in` s)
    run_id: str | None = None
    error: str | None = None
    attempts: int = 0
    retry_in: float | None = None
    already_done: bool = False  # a redelivered task found the site's run for this batch

    def to_json(self) -> dict[str, Any]:
        return {"site": self.site, "status": self.status, "run_id": self.run_id, "error": self.error,
                "attempts": self.attempts, "retry_in": self.retry_in, "already_done": self.already_done}


def _finish(store: Store, batch: str, site: str, owner: str, status: str, **kw: Any) -> None:
    try:
        fleet_state.finish_task(store, batch, site, owner, status, **kw)
    except Exception as exc:  # the store may be what failed; the lease/owner check recovers the claim
        log.warning("fleet: cannot record %s for %s/%s: %s", status, batch, site, exc)


def audit_one(cfg: Config, site: SiteConfig, batch: str, store: Store, owner: str, policy: TaskPolicy, *,
              only: list[str] | None = None, timeout_exc: tuple[type[BaseException], ...] = ()) -> JobResult:
    """Claim, audit and record one site. Never raises for the site's own problems: the result says what
    the caller should do (stop, or come back in `retry_in` seconds)."""
    state, value = fleet_state.claim_task(store, batch, site.name, owner, policy.lease_s)
    if state == "done":
        return JobResult(site.name, "complete", run_id=value, already_done=True)
    if state in FINAL:
        return JobResult(site.name, state, run_id=value, already_done=True)
    if state == "busy":
        until = datetime.fromisoformat(value) if value else datetime.now(UTC)
        wait = (until - datetime.now(UTC)).total_seconds()
        return JobResult(site.name, "busy", retry_in=max(1.0, min(wait, policy.backoff_max_s)))
    attempts = int(value or 1)
    if attempts > policy.retries + 1:
        # every earlier attempt died without recording anything (worker killed, OOM): a poison site
        _finish(store, batch, site.name, owner, "error",
                error=f"gave up after {attempts - 1} attempt(s) that never finished (worker lost?)")
        return JobResult(site.name, "error", attempts=attempts, error="worker lost repeatedly")
    try:
        outcome = run_audit(cfg, site, store, only=only, quiet=True, batch=batch)
    except timeout_exc:
        msg = f"time limit ({policy.soft_limit_s:.0f} s) exceeded"
        _finish(store, batch, site.name, owner, "timeout", error=msg)
        return JobResult(site.name, "timeout", attempts=attempts, error=msg)
    except ConfigError as exc:  # the same config fails the same way next time: not transient
        _finish(store, batch, site.name, owner, "error", error=str(exc))
        return JobResult(site.name, "error", attempts=attempts, error=str(exc))
    except Exception as exc:  # store/database hiccup, unexpected crash: transient, bounded retries
        msg = f"{type(exc).__name__}: {exc}"
        log.warning("fleet: %s attempt %d failed: %s", site.name, attempts, msg)
        return _retry_or_give_up(store, batch, site.name, owner, policy, attempts, "error", msg, None)
    if not outcome.reachable:
        return _retry_or_give_up(store, batch, site.name, owner, policy, attempts, "failed",
                                 outcome.unreachable_reason, outcome.run_id)
    _finish(store, batch, site.name, owner, "complete", run_id=outcome.run_id)
    return JobResult(site.name, "complete", run_id=outcome.run_id, attempts=attempts)


def _retry_or_give_up(store: Store, batch: str, site: str, owner: str, policy: TaskPolicy, attempts: int,
                      final: str, why: str, run_id: str | None) -> JobResult:
    if attempts <= policy.retries:
        _finish(store, batch, site, owner, "retrying", run_id=run_id, error=why)
        return JobResult(site, "retry", run_id=run_id, error=why, attempts=attempts,
                         retry_in=policy.backoff(attempts - 1))
    _finish(store, batch, site, owner, final, run_id=run_id, error=why)
    return JobResult(site, final, run_id=run_id, error=why, attempts=attempts)
