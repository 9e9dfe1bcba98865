"""`ppid-audit scan --all [--queue redis://...]`: one batch over every site, then a summary table.

With a queue the batch is sent to Celery and this process only watches the store until every site has a
final state; without one, the sites run here in a bounded pool. Either way the batch and its per-site
states live in the store (`fleet_tasks`), so `report fleet` and a re-run see the same truth.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from rich.table import Table

from auditor import catalogue
from auditor.config import Config, SiteConfig
from auditor.errors import AuditorError, ConfigError
from auditor.fleet import state as fleet_state
from auditor.fleet.policy import FINAL, new_batch_id, task_policy
from auditor.store import Store
from checks.base import Severity


class QueueError(AuditorError):
    """The broker cannot be reached or refuses the batch. Exit code 2."""


def _redact_url(url: str) -> str:
    # a broker URL may carry a password: never print it
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url


def scan_all(cfg: Config, store_url: str, queue_url: str | None, *, only: list[str] | None = None,
             lang: str = "id", quiet: bool = False, fail_on: Severity | None = None,
             concurrency: int | None = None, site_names: list[str] | None = None, batch: str | None = None,
             poll_s: float = 1.0, stall_s: float | None = None,
             out: Callable[[str], None] | None = None) -> int:
    """Exit code: 0 every site audited; 1 a finding at/above `fail_on`; 3 a site not audited
    (unreachable after its retries, timed out, or lost)."""
    text = catalogue.section("fleet_scan_", lang)
    sites: list[SiteConfig] = [cfg.site(n) for n in site_names] if site_names else list(cfg.sites)
    if not sites:
        raise ConfigError("scan --all: no site in the config")
    batch = batch or new_batch_id()
    say = out or (lambda msg: None if quiet else print(msg, file=sys.stderr))
    store = Store(store_url)
    try:
        fleet_state.create_batch(store, batch, [s.name for s in sites], _redact_url(queue_url) if queue_url else None)
        if queue_url:
            from auditor.fleet.celery_app import enqueue, make_app

            policy = task_policy(cfg.fleet)
            app = make_app(queue_url, policy)
            try:
                enqueue(app, batch, sites, only)
            except Exception as exc:  # kombu's OperationalError & co: one line, exit 2, no traceback
                why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise QueueError(f"cannot send the batch to {_redact_url(queue_url)}: {why}") from None
            say(text["queued"].format(n=len(sites), q=_redact_url(queue_url), b=batch))
            _wait(store, batch, len(sites), say, text, poll_s,
                  stall_s if stall_s is not None else policy.visibility_timeout_s + 120)
        else:
            from auditor.fleet.local import run_pool

            done = [0]

            def progress(res) -> None:
                if res.status not in ("retry", "busy"):
                    done[0] += 1
                    say(text["progress"].format(done=done[0], n=len(sites)) + f" ({res.site}: {res.status})")

            run_pool(cfg, store_url, batch, sites, concurrency or cfg.fleet.concurrency, only=only,
                     on_result=progress)
        rows = fleet_state.batch_tasks(store, batch)
        code = _summarise(store, batch, rows, text, quiet, fail_on)
        fleet_state.finish_batch(store, batch, "complete" if code in (0, 1) else "partial")
        return code
    finally:
        store.close()


def _wait(store: Store, batch: str, n: int, say: Callable[[str], None], text: dict[str, str], poll_s: float,
          stall_s: float) -> None:
    last_done, last_change, last_sig = -1, time.monotonic(), None
    while True:
        rows = fleet_state.batch_tasks(store, batch)
        done = sum(1 for r in rows if r["status"] in FINAL)
        sig = tuple((r["site"], r["status"], r["attempts"]) for r in rows)
        if sig != last_sig:
            last_sig, last_change = sig, time.monotonic()
        if done != last_done:
            say(text["progress"].format(done=done, n=n))
            last_done = done
        if done >= n:
            return
        if time.monotonic() - last_change > stall_s:
            say(text["stalled"].format(s=stall_s))
            return
        time.sleep(poll_s)


def _summarise(store: Store, batch: str, rows: list[dict], text: dict[str, str], quiet: bool,
               fail_on: Severity | None) -> int:
    code = 0
    severities: list[Severity] = []
    table = Table(text["site"], text["status"], text["attempts"], text["run"], text["findings"], text["note"])
    ok = 0
    for r in rows:
        status = r["status"] if r["status"] in FINAL else "lost"
        counts = ""
        if status == "complete" and r["run_id"]:
            ok += 1
            sevs = [sf.finding.severity for sf in store.findings(r["run_id"])]
            counts = "/".join(str(sum(1 for s in sevs if s == lvl)) for lvl in
                              (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW))
            severities += sevs
        else:
            code = 3
        style = "green" if status == "complete" else "red"
        table.add_row(r["site"], f"[{style}]{text.get(status, status)}[/]", str(r["attempts"]),
                      r["run_id"] or "", counts, (r["error"] or "")[:80] if status != "complete" else "")
    if not quiet:
        from auditor.commands._common import console

        con = console()
        con.print(table)
        con.print(text["batch"].format(b=batch, ok=ok, bad=len(rows) - ok, n=len(rows)))
        con.print(f"({datetime.now(UTC).isoformat(timespec='seconds')})")
    worst = max(severities, default=None)
    if code == 0 and fail_on is not None and worst is not None and worst >= fail_on:
        code = 1
    return code
