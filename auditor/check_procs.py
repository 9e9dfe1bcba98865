"""Checks in child processes: a check that declares `Check.separate_process` runs in a forked child beside
the checks the runner runs itself, so an audit uses a second core once the crawl is done (`checks.processes`).

The child is forked after the crawl: it sees the snapshot and the parsed pages without copying them. What it
must not share with the parent it gets anew: its own HTTP client (the parent's pooled connections are the
parent's) and a `ForkedCache` (a store connection is never used on both sides of a fork: the child reads
through its own and hands its writes back). The result (status, findings, facts, cache writes) comes back
pickled through a pipe; the runner alone writes the store. A child past its time limit is killed (a thread
could only be abandoned), and a child that dies (a crash in a C library) marks only its check `error`.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing as mp
import os
import signal
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from checks.base import CheckResult, LoadedCheck

log = logging.getLogger("ppid_auditor.runner")

# fork shares the snapshot (and its parsed trees) copy-on-write; spawn would have to pickle a whole site.
FORK = "fork" in mp.get_all_start_methods()


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def processes_for(setting: int | str) -> int:
    """`checks.processes`: child processes at once; "auto" is one per core this process may use when it
    may use two or more (on one core a child would only take turns with the runner), else none."""
    if setting != "auto":
        return int(setting)
    cpus = usable_cpus()
    return min(cpus, 4) if cpus >= 2 else 0


def runs_apart(lc: LoadedCheck, processes: int) -> bool:
    """Whether `lc` runs in a child: it declares it may, children are allowed, and this process may have
    children (a daemonic multiprocessing worker may not: there every check runs inline)."""
    return (processes > 0 and FORK and not mp.current_process().daemon and lc.cls is not None
            and bool(getattr(lc.cls, "separate_process", False)))


class ForkedCache:
    """`checks.base.Cache` in a child: reads the store through a connection of its own, keeps its writes
    (and serves them back to later reads) for the runner to store."""

    def __init__(self, read: Callable[[str, str], str | None]):
        self._read = read
        self.writes: dict[tuple[str, str], str] = {}

    def get(self, namespace: str, key: str) -> str | None:
        hit = self.writes.get((namespace, key))
        return hit if hit is not None else self._read(namespace, key)

    def put(self, namespace: str, key: str, value: str) -> None:
        self.writes[(namespace, key)] = value


@dataclass
class Child:
    """One check running in a child process."""

    lc: LoadedCheck
    limit_s: float
    started: float
    process: Any
    conn: Connection
    outcome: tuple[Any, CheckResult, dict] | None = field(default=None)

    def settle(self, now: float) -> bool:
        """Take the result when it is there, or end the child when it is past its limit or dead.
        True when the check is settled (`outcome` set)."""
        from auditor.runner import CheckStatus

        if self.conn.poll():
            try:
                self.outcome = self.conn.recv()
            except (EOFError, OSError):  # the child died before it could send anything
                self.outcome = (self._dead(CheckStatus), CheckResult(), {})
        elif now >= self.started + self.limit_s:
            log.warning("check %s exceeded its time limit of %g s; its process was stopped", self.lc.name,
                        self.limit_s)
            self.process.kill()
            self.outcome = (CheckStatus(self.lc.name, "error", now - self.started,
                                        f"time limit: stopped after {self.limit_s:g} s (checks.time_limits)"),
                            CheckResult(), {})
        elif not self.process.is_alive() and not self.conn.poll():
            self.outcome = (self._dead(CheckStatus), CheckResult(), {})
        if self.outcome is None:
            return False
        self.conn.close()
        self.process.join(5)
        return True

    def _dead(self, status_cls: type) -> Any:
        self.process.join(5)
        code = self.process.exitcode
        how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return status_cls(self.lc.name, "error", time.monotonic() - self.started,
                          f"the check's process ended without a result ({how})")


def start(lc: LoadedCheck, limit_s: float, work: Callable[[LoadedCheck, float], tuple[Any, CheckResult, dict]]
          ) -> Child:
    """Fork a child that runs `work(lc, deadline)` and sends back what it returns."""
    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    started = time.monotonic()

    def main() -> None:
        # Ctrl-C reaches the whole process group: the runner handles it (and kills its children); a
        # SIGTERM meant for the child just ends it. Neither prints a traceback from here.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        receive.close()
        from auditor.runner import CheckStatus

        try:
            outcome = work(lc, started + limit_s)
        except BaseException as exc:  # the runner's own part failed (e.g. building the context)
            outcome = (CheckStatus(lc.name, "error", time.monotonic() - started, f"{type(exc).__name__}: {exc}"),
                       CheckResult(), {})
        try:
            send.send(outcome)
        except Exception as exc:  # a result that cannot be pickled: the check's error, said plainly
            send.send((CheckStatus(lc.name, "error", time.monotonic() - started,
                                   f"result not transferable: {type(exc).__name__}: {exc}"), CheckResult(), {}))
        finally:
            send.close()

    process = ctx.Process(target=main, name=f"check-{lc.name}", daemon=True)
    process.start()
    send.close()
    return Child(lc, limit_s, started, process, receive)


def run_all(loaded: list[LoadedCheck], processes: int, limit_of: Callable[[LoadedCheck], float],
            here: Callable[[LoadedCheck], tuple[Any, CheckResult]],
            apart: Callable[[LoadedCheck, float], tuple[Any, CheckResult, dict]],
            done: Callable[[LoadedCheck, Any, CheckResult, dict], None],
            first: Callable[[], None] = lambda: None) -> None:
    """Run every check: those that run apart in up to `processes` children at once, started first, then
    `first()` (the runner's own work that no check needs) and the others in this process, one after
    another. `done` is called as each check ends (in the order they end) with its status, result and
    the cache writes of a child."""
    waiting = deque(lc for lc in loaded if runs_apart(lc, processes))
    running: list[Child] = []
    if waiting:
        # Objects that exist now are left out of garbage collection until the children are done: a
        # collection writes to every object it visits, which would copy the whole shared snapshot into
        # each child page by page (and the parent's collections would do the same on its side).
        gc.freeze()
    try:
        _run(loaded, processes, limit_of, here, apart, done, first, waiting, running)
    finally:
        for ch in running:  # interrupted: no child outlives the run
            ch.process.kill()
        if gc.get_freeze_count():
            gc.unfreeze()


def _run(loaded: list[LoadedCheck], processes: int, limit_of: Callable[[LoadedCheck], float],
         here: Callable[[LoadedCheck], tuple[Any, CheckResult]],
         apart: Callable[[LoadedCheck, float], tuple[Any, CheckResult, dict]],
         done: Callable[[LoadedCheck, Any, CheckResult, dict], None], first: Callable[[], None], waiting: deque,
         running: list[Child]) -> None:

    def pump() -> None:
        now = time.monotonic()
        for ch in list(running):
            if ch.settle(now):
                running.remove(ch)
                done(ch.lc, *ch.outcome)
        while waiting and len(running) < processes:
            lc = waiting.popleft()
            running.append(start(lc, limit_of(lc), apart))

    pump()
    first()
    for lc in loaded:
        if not runs_apart(lc, processes):
            done(lc, *here(lc), {})
            pump()
    while running or waiting:
        next_limit = min(ch.started + ch.limit_s for ch in running) - time.monotonic()
        wait([ch.conn for ch in running] + [ch.process.sentinel for ch in running], timeout=max(0.0, next_limit))
        pump()
