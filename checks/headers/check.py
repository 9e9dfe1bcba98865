"""The `headers` check: security headers, cookies, CORS, SRI, mixed content, and an Observatory grade."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field

from auditor.http import HttpClient, Response
from auditor.snapshot import Headers, Page
from checks.base import (
    Check,
    CheckConfig,
    CheckContext,
    CheckResult,
    CheckSkipped,
    Finding,
    Severity,
    site_relative,
)
from checks.facts import Grade, HeadersFacts
from checks.headers import rules
from checks.headers.html import markup_of
from checks.headers.observatory import DEFAULT_CORS_ORIGIN, Observed, ScanInput, score
from checks.headers.scoring import OBSERVATORY_VERSION
from checks.headers.texts import RULEBOOK


def _gradable(status: int) -> bool:
    """The Observatory refuses to grade anything but 2xx, 3xx, 401 and 403."""
    return 200 <= status < 400 or status in (401, 403)


class HeadersConfig(CheckConfig):
    probe_http: bool = True  # fetch the http:// variant of the start URL for the redirection test
    http_url: str | None = None  # that URL; default: the start URL with scheme http (same host[:port])
    probe_https: bool = True  # when the start URL is http://, look for an https:// variant to grade
    https_url: str | None = None
    probe_cors: bool = True  # one OPTIONS request with a foreign Origin to the start page
    cors_origin: str = DEFAULT_CORS_ORIGIN
    verify_tls: bool = True  # certificate validity matters to the grade (HSTS, redirection)
    ca_file: Path | None = None  # extra CA bundle for verification (private CA, tests)
    hsts_preload_list: Path | None = None  # Observatory-format hsts-preload.json; none: nothing preloaded
    hsts_min_max_age: int = Field(15552000, ge=0)
    max_urls_per_finding: int = Field(50, gt=0)


@dataclass
class _Agg:
    severity: Severity = Severity.INFO
    entries: dict[str, list[str]] = field(default_factory=dict)  # url -> details

    def add(self, url: str, issue: rules.Issue) -> None:
        self.severity = max(self.severity, issue.severity)
        details = self.entries.setdefault(url, [])
        if issue.detail not in details:
            details.append(issue.detail)


def _eligible(page: Page) -> bool:
    return page.status is not None and page.status < 400 and page.error is None and page.is_html


def _swap_scheme(url: str, scheme: str) -> str:
    p = urlsplit(url)
    return urlunsplit((scheme, p.netloc, p.path or "/", p.query, ""))


class HeadersCheck(Check[HeadersConfig]):
    name = "headers"
    description = "Security headers, cookies, CORS, SRI and mixed content, graded like MDN HTTP Observatory"
    config_model = HeadersConfig
    facts_model = HeadersFacts
    area = "headers"
    rulebook = RULEBOOK

    def run(self, ctx: CheckContext) -> CheckResult:
        cfg = self.config(ctx)
        pages = [p for p in ctx.site.pages if _eligible(p)]
        if not pages and ctx.site.start_page is None:
            raise CheckSkipped("no page with a response to read headers from")
        res = CheckResult(facts=HeadersFacts())
        facts: HeadersFacts = res.facts  # type: ignore[assignment]
        aggs: dict[str, _Agg] = {}
        for page in pages:
            try:
                for issue in self._page_issues(page, cfg):
                    aggs.setdefault(issue.rule, _Agg()).add(page.final_url or page.url, issue)
            except Exception as exc:  # one odd page must not stop the rest
                ctx.log.warning("headers: %s: %s: %s", page.url, type(exc).__name__, exc)
        self._cookies(pages, aggs)
        cors_headers = self._cors_probe(ctx, cfg, pages)
        if cors_headers is not None:
            target = pages[0].final_url or pages[0].url
            for issue in rules.cors_issues(cors_headers, origin_sent=cfg.cors_origin):
                aggs.setdefault(issue.rule, _Agg()).add(target, issue)
        for rule, agg in sorted(aggs.items()):
            try:
                res.findings.append(self._aggregate_finding(rule, agg, cfg))
            except Exception as exc:  # one odd rule must not stop the others
                ctx.log.warning("headers: %s: %s: %s", rule, type(exc).__name__, exc)
        try:
            self._grade(ctx, cfg, res, cors_headers)
        except Exception as exc:
            ctx.log.warning("headers: grading failed: %s: %s", type(exc).__name__, exc)
            facts.grade = Grade(error=f"{type(exc).__name__}: {exc}")
        facts.pages_checked = len(pages)
        facts.rules = {rule: len(agg.entries) for rule, agg in aggs.items()}
        if pages and urlsplit(pages[0].final_url or pages[0].url).scheme == "https":
            facts.hsts = rules.hsts_facts(pages[0].headers)
        return res

    # --- per page ------------------------------------------------------------------------------------

    def _page_issues(self, page: Page, cfg: HeadersConfig) -> list[rules.Issue]:
        url = page.final_url or page.url
        https = urlsplit(url).scheme == "https"
        markup = markup_of(page.document) if page.body else None
        h = page.headers
        out: list[rules.Issue] = []
        if https:
            out += rules.hsts_issues(h, min_max_age=cfg.hsts_min_max_age)
        out += rules.csp_issues(h, markup, https=https)
        out += rules.xfo_issues(h)
        out += rules.xcto_issues(h)
        out += rules.referrer_issues(h, markup)
        out += rules.cors_issues(h)
        if markup:
            out += rules.sri_issues(markup, url)
            out += rules.mixed_content_issues(markup, url)
        return out

    def _cookies(self, pages: list[Page], aggs: dict[str, _Agg]) -> None:
        for page in pages:
            url = page.final_url or page.url
            pairs = [(raw, url) for raw in page.headers.get_all("set-cookie")]
            for _name, issue in rules.cookie_issues(pairs, https=urlsplit(url).scheme == "https"):
                aggs.setdefault(issue.rule, _Agg()).add(url, issue)  # details are de-duplicated per site

    def _aggregate_finding(self, rule: str, agg: _Agg, cfg: HeadersConfig) -> Finding:
        urls = sorted(agg.entries, key=lambda u: (site_relative(u), u))
        first = urls[0]
        details = list(dict.fromkeys(d for u in urls for d in agg.entries[u]))
        evidence = details[0] + (f" (+{len(details) - 1} more)" if len(details) > 1 else "")
        if len(urls) > 1:
            evidence += f" — {len(urls)} pages"
        return self.finding_from(
            rule, severity=agg.severity, url=first, evidence=evidence,
            key="site",  # one finding per rule per site (a site-level record): fingerprint without the URL
            confidence="high",
            data={"pages": len(urls), "urls": urls[: cfg.max_urls_per_finding],
                  "details": details[: cfg.max_urls_per_finding]})

    # --- probes (through the shared client: its staging credentials and per-host delay) --------------------

    def _verifying_client(self, ctx: CheckContext, cfg: HeadersConfig) -> HttpClient | None:
        if not cfg.verify_tls:
            return None
        ca = str(ctx.base_dir / cfg.ca_file) if cfg.ca_file else True
        return ctx.http.verifying(ca, max_redirects=10)

    def _fetch(self, ctx: CheckContext, vclient: HttpClient | None, url: str,
               max_bytes: int | None = None) -> tuple[Response, bool]:
        """Fetch with certificate verification; on a TLS error fetch again without (verified=False)."""
        if vclient is not None:
            r = vclient.fetch(url, max_bytes=max_bytes)
            if not (r.error and r.error.startswith("TLS error")):
                return r, True
        r = ctx.http.fetch(url, max_bytes=max_bytes)
        return r, vclient is None

    def _cors_probe(self, ctx: CheckContext, cfg: HeadersConfig, pages: list[Page]) -> Headers | None:
        if not cfg.probe_cors or not pages:
            return None
        url = pages[0].final_url or pages[0].url
        r = ctx.http.fetch(url, method="OPTIONS", max_bytes=64 * 1024,
                           headers={"Origin": cfg.cors_origin, "Access-Control-Request-Method": "GET"})
        return r.headers if r.status is not None else None

    def _preloaded(self, ctx: CheckContext, cfg: HeadersConfig):
        if not cfg.hsts_preload_list:
            return lambda host: None
        path = ctx.base_dir / cfg.hsts_preload_list
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            ctx.log.warning("headers: cannot read hsts_preload_list %s: %s", path, exc)
            return lambda host: None

        def lookup(host: str) -> dict | None:
            entry = data.get(host)
            if entry and entry.get("mode") == "force-https":
                return entry
            parts = host.split(".")
            for i in range(1, len(parts)):
                entry = data.get(".".join(parts[i:]))
                if entry and entry.get("mode") == "force-https" and entry.get("includeSubDomains"):
                    return entry
            return None

        return lookup

    # --- grade ---------------------------------------------------------------------------------------

    def _grade(self, ctx: CheckContext, cfg: HeadersConfig, res: CheckResult, cors: Headers | None) -> None:
        start = ctx.site.start_page
        if start is None or start.status is None:
            res.facts.grade = Grade(error="start page has no response")
            return
        start_url = ctx.site.url
        scheme = urlsplit(start_url).scheme
        vclient = self._verifying_client(ctx, cfg)
        page_obs = Observed(start_url, start.final_url or start.url, start.status, start.headers, start.text,
                            True, tree=start.document)
        page_cookies = [(raw, page_obs.final_url) for raw in start.headers.get_all("set-cookie")]
        http_obs: Observed | None = None
        route: list[tuple[str, int]] = []
        notes: list[str] = []
        if scheme == "https":
            https_obs, auto, cookies = page_obs, page_obs, page_cookies
            if vclient is not None:
                _, https_obs.verified = self._fetch(ctx, vclient, start_url, max_bytes=1024)
            if cfg.probe_http:
                http_url = cfg.http_url or _swap_scheme(start_url, "http")
                shared = ctx.http.probed(http_url)
                if shared is not None and shared[1] is not None:  # another check asked already, verifying
                    r, verified = shared
                else:
                    r, verified = self._fetch(ctx, vclient, http_url)
                    ctx.http.remember_probe(http_url, r, verified)
                if r.status is not None:
                    http_obs = Observed(http_url, r.final_url, r.status, r.headers, "", verified)
                    route = [(h.url, h.status) for h in r.redirects] + [(r.final_url, r.status)]
            else:
                notes.append("probe_http is off: redirection scored as 'no http'")
        else:
            http_obs = page_obs
            route = [(h.url, h.status) for h in start.redirects] + [(page_obs.final_url, start.status)]
            https_obs = None
            auto, cookies = page_obs, page_cookies
            if cfg.probe_https:
                https_url = cfg.https_url or _swap_scheme(start_url, "https")
                r, verified = self._fetch(ctx, vclient, https_url)
                if r.status is not None:
                    https_obs = Observed(https_url, r.final_url, r.status, r.headers,
                                         r.body.decode("utf-8", "replace"), verified)
                    auto = https_obs
                    cookies = [(raw, r.final_url) for raw in r.headers.get_all("set-cookie")]
                    notes.append(f"graded the https:// variant {https_url}")
        if start.redirects:
            notes.append("cookies set on redirect hops are not in the crawl snapshot and are not graded")
        if not _gradable(auto.status):
            res.facts.grade = Grade(error=f"HTTP status {auto.status}: the Observatory refuses to grade it")
            return
        inp = ScanInput(hostname=urlsplit(start_url).hostname or "", auto=auto, https=https_obs, http=http_obs,
                        http_route=route, cors=cors, cors_origin=cfg.cors_origin, set_cookies=cookies,
                        preloaded=self._preloaded(ctx, cfg))
        g, results = score(inp)
        tests = {t: {"result": r, "modifier": g.modifiers[t]} for t, r in results.items()}
        failing = sorted((m, t) for t, m in g.modifiers.items() if m < 0)
        evidence = f"score {g.score}, grade {g.letter}" + (
            "; penalties: " + ", ".join(f"{t} {m}" for m, t in failing) if failing else "")
        res.findings.append(self.finding_from(
            "headers.grade", fmt={"label": g.label, "version": OBSERVATORY_VERSION}, url=start_url,
            evidence=evidence, key="grade",
            data={"score": g.score, "grade": g.letter, "observatory_version": OBSERVATORY_VERSION,
                  "tests": tests, "notes": notes}))
        res.facts.grade = Grade(score=g.score, grade=g.letter, observatory_version=OBSERVATORY_VERSION,
                                tests=dict(results), notes=notes)
