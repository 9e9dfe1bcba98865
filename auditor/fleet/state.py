"""Per-site task state of a fleet batch, in the store: the claim that makes a task idempotent.

The tables `fleet_batches` and `fleet_tasks` are store migration 4; these functions work on the store's
connection (SQLite or PostgreSQL) in one transaction each.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

from auditor.fleet.policy import FINAL
from auditor.store import iso as _iso
from auditor.store import pid_alive


def _now() -> datetime:
    return datetime.now(UTC)


def create_batch(store: Any, batch: str, sites: list[str], queue: str | None) -> None:
    now = _iso(_now())
    with store.tx() as db:
        db.execute("INSERT INTO fleet_batches (id, created, sites, queue) VALUES (?,?,?,?)"
                   " ON CONFLICT (id) DO NOTHING", (batch, now, len(sites), queue))
        for s in sites:
            db.execute("INSERT INTO fleet_tasks (batch, site, status, updated) VALUES (?,?,'queued',?)"
                       " ON CONFLICT (batch, site) DO NOTHING", (batch, s, now))


def claim_task(store: Any, batch: str, site: str, owner: str, lease_s: float) -> tuple[str, str | None]:
    """("done", run_id) | (final status, run_id) | ("busy", lease_until) | ("claimed", attempts)."""
    now = _now()
    with store.tx() as db:
        db.execute("INSERT INTO fleet_tasks (batch, site, status, updated) VALUES (?,?,'queued',?)"
                   " ON CONFLICT (batch, site) DO NOTHING", (batch, site, _iso(now)))
        # the row lock serialises two deliveries of the same site (SQLite: BEGIN IMMEDIATE already does)
        row = db.execute("SELECT * FROM fleet_tasks WHERE batch=? AND site=?" + (" FOR UPDATE" if db.is_pg else ""),
                         (batch, site)).fetchone()
        done = db.execute("SELECT id FROM runs WHERE batch=? AND site=? AND status='complete' ORDER BY started"
                          " LIMIT 1", (batch, site)).fetchone()
        if done is not None:
            db.execute("UPDATE fleet_tasks SET status='complete', run_id=?, updated=? WHERE batch=? AND site=?",
                       (done["id"], _iso(now), batch, site))
            return "done", done["id"]
        if row["status"] in FINAL:
            return row["status"], row["run_id"]
        if (row["status"] == "running" and row["lease_until"]
                and datetime.fromisoformat(row["lease_until"]) > now
                and pid_alive(row["owner_pid"], row["owner_host"])):
            return "busy", row["lease_until"]
        db.execute("UPDATE runs SET status='incomplete' WHERE batch=? AND site=? AND status='running'",
                   (batch, site))
        db.execute("UPDATE fleet_tasks SET status='running', owner=?, owner_pid=?, owner_host=?, lease_until=?,"
                   " attempts=attempts+1, updated=? WHERE batch=? AND site=?",
                   (owner, os.getpid(), socket.gethostname(), _iso(now + timedelta(seconds=lease_s)),
                    _iso(now), batch, site))
        return "claimed", str(row["attempts"] + 1)


def finish_task(store: Any, batch: str, site: str, owner: str, status: str, *, run_id: str | None = None,
                error: str | None = None) -> bool:
    """Only the current owner may finish: a worker that lost its claim must not overwrite."""
    with store.tx() as db:
        cur = db.execute("UPDATE fleet_tasks SET status=?, run_id=COALESCE(?, run_id), error=?, lease_until=NULL,"
                         " updated=? WHERE batch=? AND site=? AND owner=?",
                         (status, run_id, error, _iso(_now()), batch, site, owner))
        return cur.rowcount > 0


def batch_tasks(store: Any, batch: str) -> list[dict[str, Any]]:
    return [dict(r) for r in store.db.execute("SELECT * FROM fleet_tasks WHERE batch=? ORDER BY site", (batch,))]


def finish_batch(store: Any, batch: str, status: str) -> None:
    with store.tx() as db:
        db.execute("UPDATE fleet_batches SET status=?, finished=? WHERE id=?", (status, _iso(_now()), batch))
