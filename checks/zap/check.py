"""The `zap` check: drive a running OWASP ZAP through its API and fold its alerts into our findings.

Flow: reachability + version -> fresh context with our crawl scope -> seed our crawled URLs -> spider
(optionally the AJAX spider) -> wait for the passive scan queue -> optional active scan (only with
`allow_active`) -> alerts -> `zap.<pluginId>` findings. Every wait is bounded by `max_duration_s`; whatever
happens (timeout, error, Ctrl-C), scans we started are stopped and our context is removed.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from auditor.http import LOOPBACK_ENV, is_loopback_host
from checks.base import Check, CheckContext, CheckResult, CheckSkipped
from checks.facts import ZapFacts
from checks.zap.client import BoundedZap, Caller, ZapApiError, ZapError, ZapProtocolError, ZapUnavailable
from checks.zap.config import ACTIVE_REFUSED, ZapConfig
from checks.zap.mapping import (
    MalformedAlert,
    MappedAlert,
    dedupe,
    in_scope,
    map_alert,
    origins,
    scope_regexes,
)
from checks.zap.records import RULEBOOK

ALERT_PAGE = 500
LOST_STATE_CODES = {"does_not_exist", "context_not_found", "url_not_found", "scan_not_found"}


class ZapTimeout(ZapError):
    pass


class ZapStateLost(ZapError):
    pass


class ZapCheck(Check[ZapConfig]):
    name = "zap"
    description = "OWASP ZAP spider + passive scan (active scan only with allow_active) via the ZAP API"
    config_model = ZapConfig
    facts_model = ZapFacts
    area = "zap"
    rulebook = RULEBOOK
    sleep = staticmethod(time.sleep)

    def run(self, ctx: CheckContext) -> CheckResult:
        cfg = self.config(ctx)
        if cfg.mode == "active" and not cfg.allow_active:  # config validation already refuses; belt and braces
            raise ZapError(ACTIVE_REFUSED)
        site_url = ctx.site.url or getattr(ctx.site_config, "url", "")
        if os.environ.get(LOOPBACK_ENV) == "1":
            for what, url in (("ZAP API", cfg.api_url), ("site", site_url)):
                if not is_loopback_host(urlsplit(url).hostname or ""):
                    raise CheckSkipped(f"{what} {url} refused: {LOOPBACK_ENV}=1 allows loopback targets only")
        key = os.environ.get(cfg.api_key_env) if cfg.api_key_env else None
        zap = BoundedZap(cfg.api_url, key or None, cfg.timeout_s)
        started = time.monotonic()
        call = Caller(zap, retry_s=cfg.retry_s, deadline=started + cfg.max_duration_s, sleep=self.sleep)
        try:
            version = _connect(call, cfg, key)
            for attempt in (1, 2):
                scan = _Scan(call, cfg, ctx, site_url, self.sleep)
                try:
                    result = scan.run(self)
                except ZapStateLost as exc:
                    if attempt == 2 or call.remaining() <= cfg.poll_s:
                        raise ZapError(f"ZAP at {cfg.api_url} lost the scan state ({exc}); it was restarted "
                                       "during the scan. Results are incomplete, so none are reported.") from None
                    ctx.log.warning("zap: ZAP lost the scan state (%s); starting the scan over once", exc)
                    continue
                except ZapUnavailable as exc:
                    raise ZapError(f"ZAP API at {cfg.api_url} stopped answering during the scan ({exc}; "
                                   f"waited retry_s={cfg.retry_s:g})") from None
                result.facts = ZapFacts.model_validate({
                    **(result.facts.model_dump() if isinstance(result.facts, ZapFacts) else result.facts),
                    "version": version, "attempts": attempt, "outages": call.outages,
                    "duration_s": round(time.monotonic() - started, 2)})
                return result
        finally:
            zap.close()
        raise AssertionError("unreachable")


def _connect(call: Caller, cfg: ZapConfig, key: str | None) -> str:
    where = f"ZAP API at {cfg.api_url}"
    try:
        version = call(lambda: call.zap.core.version, retry_s=cfg.startup_wait_s)
    except ZapUnavailable as exc:
        if "without a reply" in str(exc):
            # ZAP's default answer to a wrong API key is to close the connection (api.reportpermerrors=false).
            raise ZapError(f"{where} closed the connection without answering: the API key "
                           f"({_key_hint(cfg, key)}) is probably wrong, or this client's address is not allowed "
                           "(ZAP option api.addrs)") from None
        raise CheckSkipped(f"{where} is not reachable ({exc}); start ZAP as a daemon or container "
                           "(docs/zap.md) or disable the check") from None
    except ZapApiError as exc:
        if exc.code == "bad_api_key":
            raise ZapError(f"{where} rejected the API key ({_key_hint(cfg, key)})") from None
        raise ZapError(f"{where}: {exc}") from None
    except ZapProtocolError as exc:
        raise CheckSkipped(f"{cfg.api_url} answered, but not as the ZAP API ({exc})") from None
    if not isinstance(version, str) or not version.strip():
        raise CheckSkipped(f"{cfg.api_url} answered, but not as the ZAP API (no version)")
    return version.strip()


def _key_hint(cfg: ZapConfig, key: str | None) -> str:
    if not cfg.api_key_env:
        return "none configured: set checks.zap.api_key_env"
    if not key:
        return f"environment variable {cfg.api_key_env} is not set"
    return f"from environment variable {cfg.api_key_env}"


def _percent(value: Any, what: str) -> int:
    if isinstance(value, str | int) and str(value).strip().isdigit():
        return int(str(value).strip())
    raise ZapProtocolError(f"{what}: expected a percentage, got {str(value)[:40]!r}")


def _scan_id(value: Any, what: str) -> str:
    if isinstance(value, str | int) and str(value).strip().isdigit():
        return str(value).strip()
    raise ZapProtocolError(f"{what}: expected a scan id, got {str(value)[:60]!r}")


class _Scan:
    """One pass of the flow, owning everything it starts in ZAP so it can always clean up."""

    def __init__(self, call: Caller, cfg: ZapConfig, ctx: CheckContext, site_url: str, sleep) -> None:
        self.call, self.zap, self.cfg, self.ctx, self.site_url, self.sleep = call, call.zap, cfg, ctx, site_url, sleep
        self.log: logging.Logger = ctx.log
        hosts = [*getattr(ctx.site_config, "allowed_hosts", []), *ctx.site.allowed_hosts]
        self.hosts = list(dict.fromkeys(hosts))
        self.includes = scope_regexes(site_url, self.hosts)
        self.excludes = cfg.excludes
        self.context = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{cfg.context_name}-{ctx.site.name}")
        self.running: dict[str, str] = {}  # phase -> scan id ("" for the AJAX spider)
        self.context_made = False
        self.facts: dict[str, Any] = {"mode": cfg.mode, "context": self.context, "scope": self.includes}

    # -- flow ---------------------------------------------------------------------------------------
    def run(self, check: Check) -> CheckResult:
        try:
            context_id = self._make_context()
            self._seed()
            self._spider()
            if self.cfg.ajax_spider:
                self._ajax_spider()
            self._drain_passive()
            if self.cfg.mode == "active" and self.cfg.allow_active:
                self._active(context_id)
                self._drain_passive()
            return self._collect(check)
        except ZapApiError as exc:
            if exc.code in LOST_STATE_CODES:
                raise ZapStateLost(exc.code) from None
            raise
        finally:
            self._cleanup()

    def _make_context(self) -> str:
        try:
            self.call(self.zap.context.remove_context, self.context)
        except ZapApiError as exc:
            if exc.code not in ("context_not_found", "does_not_exist", "illegal_parameter"):
                raise
        context_id = _scan_id(self.call(self.zap.context.new_context, self.context), "newContext")
        self.context_made = True
        for regex in self.includes:
            self.call(self.zap.context.include_in_context, self.context, regex)
        for regex in self.excludes:
            self.call(self.zap.context.exclude_from_context, self.context, regex)
        return context_id

    def _seed(self) -> None:
        guard = os.environ.get(LOOPBACK_ENV) == "1"
        loopback: dict[str, bool] = {}
        urls = [self.site_url, *((p.final_url or p.url) for p in self.ctx.site.pages if p.status is not None)]
        seeds = []
        for url in dict.fromkeys(u.split("#", 1)[0] for u in urls if u):
            if not in_scope(url, self.includes, self.excludes):
                continue
            host = urlsplit(url).hostname or ""
            if guard and not loopback.setdefault(host, is_loopback_host(host)):
                continue
            seeds.append(url)
        seeds = seeds[: self.cfg.max_seed_urls]
        failed = 0
        for url in seeds:
            if self.call.remaining() <= 0:
                raise ZapTimeout(f"seeding stopped after max_duration_s={self.cfg.max_duration_s:g}")
            try:
                self.call(self.zap.core.access_url, url, followredirects="false")
            except ZapApiError as exc:
                if exc.code in LOST_STATE_CODES:
                    raise
                failed += 1  # one page ZAP cannot fetch must not stop the scan
                self.log.debug("zap: accessUrl %s failed: %s", url, exc)
        self.facts.update(seeded=len(seeds) - failed, seed_failed=failed)

    def _spider(self) -> None:
        sid = _scan_id(self.call(self.zap.spider.scan, url=self.site_url, maxchildren=self.cfg.spider_max_children,
                                 recurse="true", contextname=self.context), "spider scan")
        self.running["spider"] = sid
        self._poll("spider", lambda: _percent(self.call(self.zap.spider.status, sid), "spider status") >= 100)
        del self.running["spider"]

    def _ajax_spider(self) -> None:
        result = self.call(self.zap.ajaxSpider.scan, url=self.site_url, contextname=self.context)
        if str(result).upper() != "OK":
            raise ZapProtocolError(f"ajaxSpider scan: unexpected answer {str(result)[:40]!r}")
        self.running["ajax_spider"] = ""
        self._poll("AJAX spider", lambda: str(self.call(lambda: self.zap.ajaxSpider.status)).lower() == "stopped")
        del self.running["ajax_spider"]

    def _drain_passive(self) -> None:
        self._poll("passive scan queue",
                   lambda: _percent(self.call(lambda: self.zap.pscan.records_to_scan), "recordsToScan") == 0)

    def _active(self, context_id: str) -> None:
        try:
            aid = _scan_id(self.call(self.zap.ascan.scan, url=self.site_url, recurse="true",
                                     scanpolicyname=self.cfg.scan_policy, contextid=context_id), "active scan")
        except ZapApiError as exc:
            if exc.code == "does_not_exist" and "policy" in exc.detail.lower():
                raise ZapError(f"scan policy {self.cfg.scan_policy!r} (checks.zap.scan_policy) does not exist "
                               "in ZAP") from None
            raise
        self.running["active"] = aid
        self._poll("active scan", lambda: _percent(self.call(self.zap.ascan.status, aid), "ascan status") >= 100)
        del self.running["active"]
        self.facts["active_scan"] = True

    def _poll(self, phase: str, done) -> None:
        while not done():
            remaining = self.call.remaining()
            if remaining <= 0:
                raise ZapTimeout(f"{phase} did not finish within max_duration_s={self.cfg.max_duration_s:g}; "
                                 "it was stopped in ZAP and no partial results are reported")
            self.sleep(min(self.cfg.poll_s, remaining))

    def _collect(self, check: Check) -> CheckResult:
        mapped: list[MappedAlert] = []
        malformed, seen, total = 0, set(), 0
        for base in origins(self.site_url, self.hosts):
            start = 0
            while total < self.cfg.max_alerts:
                page = self.call(self.zap.alert.alerts, baseurl=base, start=start, count=ALERT_PAGE)
                if not isinstance(page, list):
                    raise ZapProtocolError(f"alerts: expected a list, got {type(page).__name__}")
                new = 0
                for raw in page:
                    ident = raw.get("id") if isinstance(raw, dict) else None
                    if ident is not None and ident in seen:
                        continue  # ZAP pages overlap by one record
                    if ident is not None:
                        seen.add(ident)
                    new += 1
                    total += 1
                    try:
                        alert = map_alert(raw)
                    except MalformedAlert as exc:
                        malformed += 1
                        self.log.warning("zap: skipping a malformed alert: %s", exc)
                        continue
                    if alert is not None and in_scope(alert.url, self.includes, []):
                        mapped.append(alert)
                if len(page) < ALERT_PAGE or new == 0:
                    break
                start += len(page)
        groups = dedupe(mapped)
        result = CheckResult()
        for g in sorted(groups, key=lambda g: (-g.first.severity, g.first.rule, g.first.url)):
            a = g.first
            result.findings.append(check.finding_from(
                a.rule, severity=a.severity, fmt={"name": a.name, "solution": _plain(a.solution)[:800]},
                url=a.url, evidence=a.evidence, references=a.references, key=a.rule, confidence=a.confidence,
                data={"zap_name": a.name, "alert_ref": a.alert_ref, "zap_confidence": a.raw_confidence,
                      "instances": g.count, "params": g.params, "method": a.method},
            ))
        self.facts.update(alerts_total=total, malformed_alerts=malformed, findings=len(result.findings),
                          by_severity=dict(Counter(f.severity.label for f in result.findings)))
        result.facts = ZapFacts.model_validate(self.facts)
        return result

    def _cleanup(self) -> None:
        stops = {"spider": lambda sid: self.zap.spider.stop(sid),
                 "ajax_spider": lambda _sid: self.zap.ajaxSpider.stop(),
                 "active": lambda sid: self.zap.ascan.stop(sid)}
        for phase, sid in list(self.running.items()):
            try:
                self.call(stops[phase], sid, retry_s=min(5.0, self.cfg.retry_s))
                self.facts.setdefault("stopped", []).append(phase)
            except ZapError as exc:
                self.log.warning("zap: could not stop the %s in ZAP: %s", phase, exc)
        self.running.clear()
        if self.context_made:
            try:
                self.call(self.zap.context.remove_context, self.context, retry_s=min(5.0, self.cfg.retry_s))
            except ZapError as exc:
                self.log.debug("zap: could not remove context %s: %s", self.context, exc)


def _plain(text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())
