"""Pre-publish gate (SOP B3-B5): audit the staged site with the production config, diff it against the
latest production run by fingerprint, and record the result for the Berita Acara.

Fingerprints hash the site-relative URL (path + query), so the same page on the staging host and on the
production host matches; evidence that mentions the staging host is rewritten to the production host first.

Only what both sides could observe is compared. Each rule's record says whether it observes the server
(headers, cookies, TLS, server software, probes of server paths) or the content (pages, documents,
libraries, links, personal data). A staging *folder* is served by our own loopback server, so none of the
production server's properties can be seen there; a staging *URL* served by other server software cannot
stand for the production server either. In both cases server findings are "not comparable": listed apart
with the reason, never introduced or fixed, and they never decide the exit code. A rule without a record
(a third-party check that declares none) is treated as a server rule: the gate never credits a change with
a fix it cannot prove.
"""

from __future__ import annotations

import functools
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from auditor import triage
from auditor.config import Config, SiteConfig
from auditor.crawler import make_client
from auditor.errors import ConfigError, FetchError
from auditor.runner import RunOutcome, run_audit
from auditor.store import Store
from checks.base import Finding, Severity, discover_checks, fingerprint, site_relative
from checks.rules import Observes, lookup, rule_index

# Response headers that name the server software; equal values on both sides = the same server software.
SERVER_HEADERS = ("server", "x-powered-by")


@dataclass(frozen=True)
class Comparison:
    """What kind of comparison the gate could make.

    kind: "folder" (staging_path served by our loopback server), "same_server" (staging URL whose server
    software, as named by its `Server`/`X-Powered-By` headers, equals production's), "different_server",
    or "unknown_server" (production could not be asked, or neither side names its software)."""

    kind: str
    production_server: tuple[str, ...] = ()
    staging_server: tuple[str, ...] = ()

    @property
    def compares_server(self) -> bool:
        return self.kind == "same_server"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "production_server": list(self.production_server),
                "staging_server": list(self.staging_server)}


@dataclass
class GateDiff:
    introduced: list[Finding] = field(default_factory=list)
    fixed: list[Finding] = field(default_factory=list)
    unchanged: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)  # "introduced", but a triage decision hides them
    not_comparable: list[Finding] = field(default_factory=list)  # server findings the staging side can't show
    comparison: Comparison = field(default_factory=lambda: Comparison("same_server"))
    pages_added: list[str] = field(default_factory=list)
    pages_removed: list[str] = field(default_factory=list)


@dataclass
class GateResult:
    gate_id: str
    site: str
    staging_url: str
    outcome: RunOutcome
    production_run: str | None
    diff: GateDiff
    fail_on: Severity
    created: datetime

    @property
    def passed(self) -> bool:
        return not any(f.severity >= self.fail_on for f in self.diff.introduced)


class _QuietStatic(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve a local folder (a site prepared as static files) on 127.0.0.1 for the duration of the gate."""
    handler = functools.partial(_QuietStatic, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def staging_auth(site: SiteConfig) -> tuple[str, str] | None:
    if not site.staging_auth_env:
        return None
    value = os.environ.get(site.staging_auth_env)
    if not value or ":" not in value:
        raise ConfigError(f"sites.{site.name}.staging_auth_env: environment variable "
                          f"{site.staging_auth_env} must hold 'user:password'")
    user, _, password = value.partition(":")
    return user, password


def comparable_fingerprint(f: Finding, from_netloc: str, to_netloc: str) -> str:
    """The finding's fingerprint as it would read on the production host."""
    key = f.evidence if f.key is None else f.key
    if from_netloc and from_netloc != to_netloc:
        key = key.replace(from_netloc, to_netloc)
    return fingerprint(f.check, f.rule, "" if f.site_level else f.url, key)


def observes_server(rule: str, index: dict | None = None) -> bool:
    """True when the rule's record observes the server, or when the rule has no record (see module doc)."""
    index = rule_index(lc.cls for lc in discover_checks().values() if lc.cls) if index is None else index
    record = lookup(index, rule)
    return record is None or record.observes is Observes.SERVER


def diff_findings(production: list[Finding], production_fps: list[str], staging: list[Finding],
                  staging_netloc: str, production_netloc: str, staging_ok_checks: set[str],
                  comparison: Comparison | None = None, index: dict | None = None) -> GateDiff:
    comparison = comparison or Comparison("same_server")
    index = rule_index(lc.cls for lc in discover_checks().values() if lc.cls) if index is None else index

    def comparable(f: Finding) -> bool:
        return comparison.compares_server or not observes_server(f.rule, index)

    prod = dict(zip(production_fps, production, strict=True))
    stage = {comparable_fingerprint(f, staging_netloc, production_netloc): f for f in staging}
    diff = GateDiff(comparison=comparison)
    diff.introduced = [f for fp, f in stage.items() if fp not in prod and comparable(f)]
    diff.unchanged = [f for fp, f in stage.items() if fp in prod and comparable(f)]
    # a production finding counts as fixed only if the check that found it ran cleanly on staging
    diff.fixed = [f for fp, f in prod.items() if fp not in stage and f.check in staging_ok_checks and comparable(f)]
    # listed apart: production's server findings and the staging server's own, once each
    diff.not_comparable = [f for f in prod.values() if not comparable(f)]
    diff.not_comparable += [f for fp, f in stage.items() if fp not in prod and not comparable(f)]
    for group in (diff.introduced, diff.fixed, diff.unchanged, diff.not_comparable):
        group.sort(key=lambda f: (-f.severity, f.rule, f.url))
    return diff


def hide_decided(diff: GateDiff, decided: dict[str, triage.Decision], staging_netloc: str,
                 production_netloc: str) -> None:
    """Move introduced findings that a triage decision suppresses (a false positive seen on production
    before, an accepted risk) out of `introduced`: they neither count nor fail the gate."""
    keep, hidden = [], []
    for f in diff.introduced:
        d = decided.get(comparable_fingerprint(f, staging_netloc, production_netloc))
        (hidden if d is not None and d.suppressed else keep).append(f)
    diff.introduced, diff.suppressed = keep, hidden
def server_software(headers: Any) -> tuple[str, ...]:
    """The server software a response names: its `Server` and `X-Powered-By` values, normalised."""
    return tuple(sorted(f"{name}: {' '.join(v.split())}" for name in SERVER_HEADERS for v in headers.get_all(name)))


def compare_servers(cfg: Config, site: SiteConfig, outcome: RunOutcome, from_folder: bool) -> Comparison:
    """Which comparison is possible: production's server software is asked live (the change will be
    published onto the server as it is now), the staged copy's comes from its own crawl."""
    if from_folder:
        return Comparison("folder")
    start = outcome.site.start_page
    staged = server_software(start.headers) if start is not None else ()
    try:
        resp = make_client(cfg.crawl).fetch(site.url, max_bytes=64 * 1024)
    except FetchError:
        resp = None
    if resp is None or resp.status is None:
        return Comparison("unknown_server", (), staged)
    production = server_software(resp.headers)
    if not production and not staged:
        return Comparison("unknown_server")
    return Comparison("same_server" if production == staged else "different_server", production, staged)


def diff_pages(production: list[str], staging: list[str]) -> tuple[list[str], list[str]]:
    prod = {site_relative(u) for u in production}
    stage = {site_relative(u) for u in staging}
    return sorted(stage - prod), sorted(prod - stage)


def run_gate(cfg: Config, site: SiteConfig, store: Store, fail_on: Severity,
             only: list[str] | None = None, quiet: bool = True) -> GateResult:
    if not site.staging_url and not site.staging_path:
        raise ConfigError(f"{cfg.path or 'config'}: sites.{site.name}: set staging_url or staging_path "
                          "to use `ppid-audit gate`")
    production = store.latest_run(site.name)
    if production is None:
        raise ConfigError(f"site {site.name!r} has no complete production run yet: run "
                          f"`ppid-audit scan --site {site.name}` first")
    auth = staging_auth(site)
    with _staging_url(cfg, site) as staging_url:
        outcome = run_audit(cfg, site, store, only=only, kind="staging", url=staging_url, auth=auth, quiet=quiet)
    comparison = compare_servers(cfg, site, outcome, from_folder=not site.staging_url)
    stored_prod = store.findings(production.id)
    ok_checks = {c.name for c in outcome.checks if c.status == "ok"}
    diff = diff_findings([s.finding for s in stored_prod], [s.fingerprint for s in stored_prod],
                         outcome.findings, urlsplit(staging_url).netloc, urlsplit(site.url).netloc, ok_checks,
                         comparison)
    hide_decided(diff, triage.decisions(store, site.name), urlsplit(staging_url).netloc, urlsplit(site.url).netloc)
    prod_pages = [p.url for p in store.run_pages(production.id) if p.status and p.status < 400]
    stage_pages = [p.url for p in outcome.site.all_resources() if p.status and p.status < 400]
    diff.pages_added, diff.pages_removed = diff_pages(prod_pages, stage_pages)
    created = datetime.now(UTC)
    gate_id = created.strftime("gate-%Y%m%dT%H%M%SZ-") + secrets.token_hex(3)
    result = GateResult(gate_id, site.name, staging_url, outcome, production.id, diff, fail_on, created)
    store.save_gate(gate_id, site.name, created, staging_url, outcome.run_id, production.id, fail_on.label,
                    result.passed, gate_summary(result))
    return result


def gate_summary(result: GateResult) -> dict[str, Any]:
    def brief(fs: list[Finding]) -> list[dict[str, Any]]:
        return [{"rule": f.rule, "severity": f.severity.label, "title": f.title, "title_en": f.title_en,
                 "url": site_relative(f.url), "evidence": f.evidence} for f in fs]

    d = result.diff
    return {"introduced": brief(d.introduced), "fixed": brief(d.fixed), "unchanged": len(d.unchanged),
            "suppressed": brief(d.suppressed),
            "not_comparable": brief(d.not_comparable), "comparison": d.comparison.to_json(),
            "pages_added": d.pages_added, "pages_removed": d.pages_removed,
            "staging_reachable": result.outcome.reachable,
            "checks": [c.to_json() for c in result.outcome.checks]}


@contextmanager
def _staging_url(cfg: Config, site: SiteConfig) -> Iterator[str]:
    if site.staging_url:
        yield site.staging_url
        return
    folder = cfg.resolve(site.staging_path)  # type: ignore[arg-type]
    with serve_folder(folder) as url:
        yield url
