"""Runs one audit: crawl -> snapshot -> every enabled check (isolated, timed) -> store.

The runner knows no check by name: checks come from entry points (`checks.base.discover_checks`).
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from auditor import __version__, check_procs
from auditor.check_procs import ForkedCache
from auditor.config import Config, SiteConfig
from auditor.crawler import PreviousPage, Progress, crawl, make_client
from auditor.errors import ConfigError
from auditor.http import HttpClient
from auditor.snapshot import Link, Site
from auditor.store import RunRow, Store
from checks.base import CheckContext, CheckResult, CheckSkipped, Finding, LoadedCheck, discover_checks

log = logging.getLogger("ppid_auditor.runner")
OWN_BUDGET_FIELDS = ("time_budget_s", "max_duration_s")
OWN_BUDGET_GRACE_S = 60.0


@dataclass
class CheckStatus:
    name: str
    status: str  # ok | error | skipped
    duration_s: float
    error: str | None = None

    def to_json(self) -> dict:
        return {"name": self.name, "status": self.status, "duration_s": round(self.duration_s, 3),
                "error": self.error}


@dataclass
class RunOutcome:
    run_id: str
    site: Site
    url: str
    started: datetime
    finished: datetime
    checks: list[CheckStatus] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    lifecycle: dict[str, str] = field(default_factory=dict)
    status: str = "complete"

    @property
    def reachable(self) -> bool:
        return self.site.reachable

    @property
    def unreachable_reason(self) -> str:
        start = self.site.start_page
        return start.error if start and start.error else "no response"


def select_checks(cfg: Config, only: list[str] | None = None) -> list[LoadedCheck]:
    installed = discover_checks()
    names = only if only else cfg.enabled_checks(installed)
    unknown = [n for n in names if n not in installed]
    if unknown:
        raise ConfigError(f"--checks: unknown check(s) {', '.join(unknown)} (installed: "
                          f"{', '.join(sorted(installed))})")
    return [installed[n] for n in names]


def previous_pages(store: Store, last: RunRow | None) -> dict[str, PreviousPage]:
    """Validators and cached bodies from the latest complete run, for conditional GET."""
    if last is None:
        return {}
    out: dict[str, PreviousPage] = {}
    for p in store.run_pages(last.id):
        if p.sha256 is None or p.status is None or p.status >= 400:
            continue
        out[p.url] = PreviousPage(etag=p.etag, last_modified=p.last_modified, sha256=p.sha256,
                                  body=store.body(p.sha256),
                                  links=[Link(lk["url"], lk.get("text", ""), lk.get("tag", "a")) for lk in p.links],
                                  title=p.title, content_type=p.content_type)
    return out


def run_check(loaded: LoadedCheck, ctx_factory: Callable[[LoadedCheck], CheckContext],
              time_limit_s: float | None = None) -> tuple[CheckStatus, CheckResult]:
    """Run one check in isolation: an exception marks it `error`, never stops the others.

    With `time_limit_s` the check runs in its own thread and the runner stops waiting at the limit: the
    check is marked `error` ("time limit: ..."). A Python thread cannot be killed, so the abandoned thread
    may run on in the background, but it can no longer reach anything that lasts: its result is dropped
    (only the runner writes to the store), and its `ctx.http` refuses every request after the limit.
    """
    if time_limit_s is None:
        return _run_check_inline(loaded, ctx_factory, None)
    started = time.monotonic()
    deadline = started + time_limit_s
    box: list[tuple[CheckStatus, CheckResult]] = []
    done = threading.Event()

    def work() -> None:
        box.append(_run_check_inline(loaded, ctx_factory, deadline))
        done.set()

    threading.Thread(target=work, name=f"check-{loaded.name}", daemon=True).start()
    if done.wait(time_limit_s) and box:
        return box[0]
    log.warning("check %s exceeded its time limit of %g s; abandoned", loaded.name, time_limit_s)
    return (CheckStatus(loaded.name, "error", time.monotonic() - started,
                        f"time limit: stopped after {time_limit_s:g} s (checks.time_limits)"), CheckResult())


def _run_check_inline(loaded: LoadedCheck, ctx_factory: Callable[[LoadedCheck], CheckContext],
                      deadline: float | None) -> tuple[CheckStatus, CheckResult]:
    started = time.monotonic()
    if loaded.cls is None:
        return CheckStatus(loaded.name, "error", 0.0, f"cannot load check: {loaded.error}"), CheckResult()
    try:
        check = loaded.cls()
        ctx = ctx_factory(loaded)
        if deadline is not None and isinstance(ctx.http, HttpClient):
            ctx.http = ctx.http.until(deadline)
        out = check.run(ctx)
        result = out if isinstance(out, CheckResult) else CheckResult(findings=list(out or []))
        return CheckStatus(loaded.name, "ok", time.monotonic() - started), result
    except CheckSkipped as exc:
        return CheckStatus(loaded.name, "skipped", time.monotonic() - started, str(exc)), CheckResult()
    except Exception as exc:  # a check may fail in any way; the run goes on
        log.debug("check %s failed:\n%s", loaded.name, traceback.format_exc())
        return (CheckStatus(loaded.name, "error", time.monotonic() - started, f"{type(exc).__name__}: {exc}"),
                CheckResult())


def check_time_limit(cfg: Config, lc: LoadedCheck) -> float:
    """`checks.time_limits.<name>`, else `checks.time_limit_s`, raised to the check's own whole-check
    budget (`time_budget_s` / `max_duration_s` in its block) plus a grace, so the limit only ever stops a
    check that ignores its own budget."""
    explicit = cfg.checks.time_limits.get(lc.name)
    if explicit is not None:
        return explicit
    block = cfg.check_blocks.get(lc.name)
    own = max((float(getattr(block, k, 0) or 0) for k in OWN_BUDGET_FIELDS), default=0.0)
    return max(cfg.checks.time_limit_s, own + OWN_BUDGET_GRACE_S if own else 0.0)


def run_audit(cfg: Config, site_cfg: SiteConfig, store: Store, *, only: list[str] | None = None,
              progress: Progress | None = None, now: Callable[[], datetime] | None = None,
              kind: str = "scan", url: str | None = None,
              auth: tuple[str, str] | None = None, quiet: bool = False, batch: str | None = None,
              on_check: Callable[[CheckStatus], None] | None = None) -> RunOutcome:
    """Crawl `site_cfg` (or `url`, e.g. its staging copy), run the checks, store everything."""
    clock = now or (lambda: datetime.now(UTC))
    loaded = select_checks(cfg, only)
    target = url or site_cfg.url
    effective_site = site_cfg if url is None else site_cfg.model_copy(update={"url": url})
    started = clock()
    run_id = store.start_run(site_cfg.name, target, kind=kind, started=started, tool_version=__version__,
                             batch=batch)
    status = "incomplete"
    try:
        # The latest complete scan feeds both conditional GET and each check's previous facts.
        last = store.latest_run(site_cfg.name)
        http = make_client(cfg.crawl, auth=auth, site=effective_site)
        site = crawl(effective_site, cfg.crawl, http,
                     previous=previous_pages(store, last) if kind == "scan" else None,
                     progress=progress, quiet=quiet)
        outcome = RunOutcome(run_id, site, target, started, started)
        if not site.reachable:
            store.save_pages(run_id, site_cfg.name, site.all_resources(), kind_of_run=kind)
            outcome.status = status = "failed"
            outcome.finished = clock()
            store.finish_run(run_id, status="failed", finished=outcome.finished, notes=site.notes,
                             unfetched=site.unfetched)
            return outcome
        # The history as it will be once this run's pages are saved: the pages are saved while the checks
        # that run apart have started (auditor.check_procs), not before.
        history = store.page_history(site_cfg.name, site.all_resources() if kind == "scan" else None)
        for res in site.all_resources():
            if res.url in history:
                res.first_seen, res.last_changed = history[res.url]
        models = {lc.name: lc.cls.facts_model for lc in loaded if lc.cls is not None and lc.cls.facts_model}
        prev_facts = store.typed_facts(last.id, models) if last else {}
        key = store.secret_key  # read here: a forked child never touches the store's connection

        def ctx_for(lc: LoadedCheck) -> CheckContext:
            return CheckContext(site=site, config=cfg.check_blocks.get(lc.name) or lc.cls.config_model(),
                                http=http, site_config=effective_site, secret_key=key, now=clock,
                                base_dir=cfg.base_dir, previous_facts=prev_facts.get(lc.name),
                                log=logging.getLogger(f"ppid_auditor.checks.{lc.name}"), cache=store.check_cache())

        def here(lc: LoadedCheck) -> tuple[CheckStatus, CheckResult]:
            return run_check(lc, ctx_for, check_time_limit(cfg, lc))

        def apart(lc: LoadedCheck, deadline: float) -> tuple[CheckStatus, CheckResult, dict]:
            """In a forked child: a client and a cache of its own (see auditor.check_procs)."""
            cache = ForkedCache(store.cache_reader())
            own_http = make_client(cfg.crawl, auth=auth, site=effective_site)
            st, result = _run_check_inline(lc, lambda c: replace(ctx_for(c), http=own_http, cache=cache), deadline)
            return st, result, cache.writes

        ended: dict[str, tuple[CheckStatus, CheckResult]] = {}

        def done(lc: LoadedCheck, st: CheckStatus, result: CheckResult, cache_writes: dict) -> None:
            store.cache_put_many(cache_writes)
            store.save_check(run_id, lc.name, st.status, st.duration_s, st.error, result.findings, result.facts)
            ended[lc.name] = st, result
            if on_check:
                on_check(st)

        check_procs.run_all(loaded, check_procs.processes_for(cfg.checks.processes),
                            lambda lc: check_time_limit(cfg, lc), here, apart, done,
                            first=lambda: store.save_pages(run_id, site_cfg.name, site.all_resources(),
                                                           kind_of_run=kind))
        for lc in loaded:  # the order of the config, whichever ended first
            st, result = ended[lc.name]
            outcome.checks.append(st)
            outcome.findings.extend(result.findings)
        site.release_documents()  # the checks are done with the parsed trees (bounded memory per run)
        outcome.finished = clock()
        status = "complete"
        outcome.lifecycle = store.finish_run(run_id, status="complete", finished=outcome.finished,
                                             notes=site.notes, unfetched=site.unfetched)
        return outcome
    except BaseException:
        # Interrupted (SIGTERM, Ctrl-C) or crashed: keep what was written, mark the run incomplete.
        if status == "incomplete":
            try:
                store.finish_run(run_id, status="incomplete", finished=clock())
            except Exception:  # the store itself may be the problem; the next open marks it anyway
                pass
        raise
