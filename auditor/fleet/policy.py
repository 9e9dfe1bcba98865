"""Task policy as data and pure functions: time limits, retry backoff, what counts as transient."""

from __future__ import annotations

import os
import random
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime

from auditor.config import FleetConfig

# Final task states in the store's fleet_tasks table; anything else may still change.
FINAL = ("complete", "failed", "timeout", "error")

# Queue name on the broker; one name so several regencies can share a Redis with different db numbers.
QUEUE = "ppid-audit"


@dataclass(frozen=True)
class TaskPolicy:
    hard_limit_s: float
    soft_limit_s: float
    retries: int
    backoff_s: float
    backoff_max_s: float
    visibility_timeout_s: float

    @property
    def lease_s(self) -> float:
        # a claim outlives the hard limit a little: after that the task is dead whatever happened
        return self.hard_limit_s + 30

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds before retry number `attempt` (0-based): exponential, capped, with full jitter in the
        upper half so a regency's sites that failed together do not come back together."""
        base = min(self.backoff_max_s, self.backoff_s * (2 ** max(0, attempt)))
        r = (rng or random).random()
        return round(base / 2 + r * base / 2, 3)


def task_policy(fleet: FleetConfig) -> TaskPolicy:
    hard = fleet.task_time_limit_s
    soft = fleet.task_soft_time_limit_s or max(1.0, hard * 0.9)
    if soft >= hard:
        soft = max(0.5, hard - 1)
    vis = fleet.visibility_timeout_s or (hard + fleet.retry_backoff_max_s + 60)
    return TaskPolicy(hard, soft, fleet.retries, fleet.retry_backoff_s, fleet.retry_backoff_max_s, vis)


def new_batch_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return "batch-" + now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def owner_id(extra: str = "") -> str:
    """Who holds a claim in the local pool: host, pid and thread."""
    return f"{socket.gethostname()}:{os.getpid()}" + (f":{extra}" if extra else "")


def celery_owner(task_id: str) -> str:
    """Who holds a claim on the queue: host and task id, no pid, so the worker's main process can close
    the claim after a hard time limit killed the pool child. A redelivered message keeps its task id, but
    the store only lets it take over from a dead owner (pid gone) or an expired lease."""
    return f"{socket.gethostname()}:celery:{task_id}"
