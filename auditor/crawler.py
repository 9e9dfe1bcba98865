"""Bounded crawler: a scheduler (this module, one thread) plus downloaders (worker threads sharing the
bounded `HttpClient`) plus a parser (`auditor.crawl_parse`). Politeness and limits come from `CrawlConfig`.

Order of work: robots.txt of the start origin, the start URL (alone: if it gives no HTTP response the
crawl stops there), sitemaps (robots.txt `Sitemap:` lines and /sitemap.xml), then breadth-first over
links with `crawl.concurrency` workers until the frontier is empty or a limit is hit.
"""

from __future__ import annotations

import heapq
import logging
import sys
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from auditor.config import CrawlConfig, SiteConfig
from auditor.crawl_notes import Notes, ProgressBar
from auditor.crawl_parse import (
    FOLLOW_ASSET,
    FOLLOW_DOCUMENT,
    FOLLOW_PAGE,
    MAX_SITEMAP_BYTES,
    allow_all_robots,
    parse_robots,
    parse_sitemap,
    parse_tree,
    robots_sitemaps,
)
from auditor.crawl_urls import Scope, TrapGuard, canonicalize, origin, trap_note
from auditor.errors import FetchError
from auditor.http import BUDGET_EXHAUSTED, HttpClient, Response
from auditor.netguard import AddressPolicy, site_is_private
from auditor.snapshot import Document, Headers, Link, Page, Site, is_document_type, is_document_url

MAX_SITEMAP_FILES = 20
MAX_SITEMAP_DEPTH = 2  # robots/sitemap.xml -> index -> sitemap
MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309: parse at least 500 KiB
MAX_CRAWL_DELAY_S = 10.0
PRIVATE_REFUSAL = "crawl.allow_private_targets"  # the marker in a refusal by the private-address guard
log = logging.getLogger("ppid_auditor.crawler")


@dataclass
class PreviousPage:
    """What the store remembers of a URL from the last run, for conditional GET.

    `content_type` and `headers` are optional: when given, a 304 answer (which usually omits them) is
    completed with them so `Page.is_html` and charset decoding keep working on the cached body.
    """

    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
    body: bytes | None = None
    links: list[Link] = field(default_factory=list)
    title: str = ""
    content_type: str | None = None
    headers: list[tuple[str, str]] | None = None


Progress = Callable[[int, int, str], None]  # (done, known, url)
_Fetched = tuple[Page, list[tuple[str, str]]]  # the resource and the (URL, kind) pairs it leads to


def make_client(crawl: CrawlConfig, *, auth: tuple[str, str] | None = None,
                site: SiteConfig | None = None) -> HttpClient:
    """The run's one HTTP client; with `site`, its private-address guard is set for that site."""
    return HttpClient(user_agent=crawl.user_agent, timeout_s=crawl.timeout_s,
                      max_bytes=int(crawl.max_page_mb * 1024 * 1024), delay_s=crawl.delay_s, auth=auth,
                      policy=address_policy(crawl, site))


def address_policy(crawl: CrawlConfig, site: SiteConfig | None) -> AddressPolicy:
    """`crawl.allow_private_targets`: true, false, or "auto" (allowed when the site itself is on a
    non-public address: an intranet staging server). The site's own hosts are always allowed."""
    policy = AddressPolicy(allow_private=True, resolve=dict(crawl.resolve))
    if site is None:
        return policy
    own = {site.host.lower(), *(h.lower() for h in site.allowed_hosts)}
    allow = crawl.allow_private_targets
    if allow == "auto":
        allow = site_is_private(site.host, policy)
    return AddressPolicy(allow_private=bool(allow), own_hosts=frozenset(own), resolve=policy.resolve)


def crawl(site: SiteConfig, cfg: CrawlConfig, http: HttpClient, *,
          previous: dict[str, PreviousPage] | None = None, progress: Progress | None = None,
          quiet: bool = False) -> Site:
    """Crawl one site within the configured bounds; never raises for network trouble. A progress bar is
    drawn on a TTY unless `quiet` (cron, --quiet)."""
    return _Crawl(site, cfg, http, previous or {}, progress, show_bar=not quiet).run()


@dataclass(order=True)
class _Task:
    depth: int
    seq: int
    url: str = field(compare=False)
    kind: str = field(compare=False)  # FOLLOW_PAGE / FOLLOW_ASSET / FOLLOW_DOCUMENT


class _Crawl:
    def __init__(self, site_cfg: SiteConfig, cfg: CrawlConfig, http: HttpClient,
                 previous: dict[str, PreviousPage], progress: Progress | None, show_bar: bool = True) -> None:
        self.cfg = cfg
        self.http = http
        self.previous = previous
        self.progress = progress
        self.show_bar = show_bar
        self.start = canonicalize(site_cfg.url) or site_cfg.url
        self.site = Site(name=site_cfg.name, url=site_cfg.url, allowed_hosts=list(site_cfg.allowed_hosts))
        self.scope = Scope.of(self.start, site_cfg.allowed_hosts)
        self.traps = TrapGuard()
        self.notes = Notes()
        self.robots: dict[str, RobotFileParser] = {}
        self.seen: set[str] = set()
        self.frontier: list[_Task] = []
        self.seq = 0
        self.pages_scheduled = 0
        self.documents_scheduled = 0
        self.done = 0
        self.deadline = 0.0
        self.page_cap = int(cfg.max_page_mb * 1024 * 1024)
        self.doc_cap = int(cfg.max_document_mb * 1024 * 1024)
        self._bar: ProgressBar | None = None

    # --- driver ----------------------------------------------------------------------------------
    def run(self) -> Site:
        site = self.site
        site.started = datetime.now(UTC)
        self.deadline = time.monotonic() + self.cfg.time_budget_s
        bytes_before = self.http.bytes_received
        if self.show_bar and sys.stderr.isatty():  # quiet under cron; `progress` is called in any case
            self._bar = ProgressBar(self.start)
        try:
            start_rp = self._robots_for(self.start, is_start=True)
            if self.cfg.respect_robots and not start_rp.can_fetch(self.http.user_agent, self.start):
                # The operator asked for this URL explicitly; robots.txt governs what we discover from it.
                site.notes.append("robots: robots.txt disallows the start URL; only the start URL itself "
                                  "was fetched, as configured")
            self.seen.add(self.start)
            self.pages_scheduled += 1
            start_task = _Task(0, 0, self.start, FOLLOW_PAGE)
            result = self._fetch(start_task)
            first = result[0] if result is not None else None
            if first is not None:
                if first.status is not None:
                    final_host = urlsplit(first.final_url).hostname or ""
                    if first.final_url and first.final_url not in self.scope and not first.error:
                        self.scope.add(final_host)
                        site.notes.append(f"scope: the start URL redirects to {final_host}; "
                                          "that host is crawled too")
            self._handle(start_task, result)
            if first is not None and first.status is not None:
                self._seed_sitemaps()
                self._crawl_frontier()
        finally:
            if self._bar is not None:
                self._bar.stop()
        self._link_referrers()
        site.notes.extend(self.notes.render())
        site.unfetched = self.notes.counts()
        site.bytes_received = self.http.bytes_received - bytes_before
        site.finished = datetime.now(UTC)
        return site

    def _crawl_frontier(self) -> None:
        inflight: dict[Future[_Fetched | None], _Task] = {}
        with ThreadPoolExecutor(self.cfg.concurrency, thread_name_prefix="crawl") as pool:
            while self.frontier or inflight:
                if time.monotonic() >= self.deadline and self.frontier:
                    for task in self.frontier:
                        self._note_budget(task.url)
                    self.frontier.clear()
                while self.frontier and len(inflight) < self.cfg.concurrency:
                    task = heapq.heappop(self.frontier)
                    inflight[pool.submit(self._fetch, task)] = task
                if not inflight:
                    break
                finished, _ = wait(inflight, timeout=1.0, return_when=FIRST_COMPLETED)
                for fut in finished:
                    task = inflight.pop(fut)
                    try:
                        result = fut.result()
                    except Exception as exc:  # a bug on one URL must not end the crawl
                        log.warning("crawl: %s: %s", task.url, exc, exc_info=True)
                        result = (Page(url=task.url, depth=task.depth,
                                       error=f"internal error: {type(exc).__name__}: {exc}"), [])
                    self._handle(task, result)

    # --- scheduling (scheduler thread only) ------------------------------------------------------
    def _enqueue(self, url: str, depth: int, kind: str) -> None:
        if url in self.seen:
            return
        if url not in self.scope:
            return  # recorded in Page.links by the parser; other hosts are never fetched
        trap = self.traps.check(url)
        if trap is not None:
            tkind, key = trap
            self.notes.add("trap:" + tkind, key, url, lambda n, ex, k=tkind, kk=key: trap_note(k, kk, n, ex))
            self.seen.add(url)
            return
        if self.cfg.respect_robots and not self._robots_for(url).can_fetch(self.http.user_agent, url):
            host = urlsplit(url).netloc
            self.notes.add("robots", host, url, lambda n, ex, h=host: (
                f"robots.txt of {h} disallows {n} URL(s) for our user agent; not fetched (e.g. {ex})"))
            self.seen.add(url)
            return
        if kind == FOLLOW_DOCUMENT:
            if self.documents_scheduled >= self.cfg.max_documents:
                self._note_limit("max_documents", self.cfg.max_documents, url, "more document(s) not downloaded")
                return
            self.documents_scheduled += 1
        else:
            if kind == FOLLOW_PAGE and depth > self.cfg.max_depth:
                self._note_limit("max_depth", self.cfg.max_depth, url, "deeper URL(s) not fetched")
                return
            if self.pages_scheduled >= self.cfg.max_pages:
                self._note_limit("max_pages", self.cfg.max_pages, url, "more URL(s) not fetched")
                return
            self.pages_scheduled += 1
        self.seen.add(url)
        self.seq += 1
        heapq.heappush(self.frontier, _Task(depth, self.seq, url, kind))

    def _note_budget(self, url: str) -> None:
        self._note_limit("time_budget_s", f"{self.cfg.time_budget_s:g} s", url, "URL(s) not fetched")

    def _note_limit(self, key: str, value: object, url: str, cut: str) -> None:
        self.notes.add("limit", key, url, lambda n, ex: (
            f"limit: crawl.{key} ({value}) reached; {n} {cut} (e.g. {ex})"))

    def _handle(self, task: _Task, result: _Fetched | None) -> None:
        self.done += 1
        if result is None:
            self._note_budget(task.url)
        else:
            res, follow = result
            if res.error and PRIVATE_REFUSAL in res.error:
                self.notes.add("private", "", res.url, lambda n, ex: (
                    f"private-address guard: {n} URL(s) lead to a loopback, private, link-local or cloud "
                    f"metadata address and were not fetched (e.g. {ex}); see crawl.allow_private_targets"))
            if isinstance(res, Document):
                self.site.documents.append(res)
            else:
                self.site.pages.append(res)
            final = canonicalize(res.final_url) if res.final_url else None
            if final and final != res.url and final in self.scope and not res.error:
                self.seen.add(final)  # reached through the redirect: do not fetch it again
            for url, kind in follow:
                depth = task.depth + 1 if kind == FOLLOW_PAGE else task.depth
                self._enqueue(url, depth, kind)
        self._report(task.url)

    # --- robots.txt and sitemaps -----------------------------------------------------------------
    def _robots_for(self, url: str, *, is_start: bool = False) -> RobotFileParser:
        key = origin(url)
        rp = self.robots.get(key)
        if rp is not None:
            return rp
        robots_url = key + "/robots.txt"
        resp = self._get(robots_url, max_bytes=MAX_ROBOTS_BYTES, deadline=self.deadline,
                         redirect_filter=lambda u: u in self.scope)
        text = resp.body.decode("utf-8", "replace") if resp.ok else None
        if is_start:
            self.site.robots_txt = text
        if text is not None:
            rp = parse_robots(text, robots_url)
        else:
            rp = allow_all_robots(robots_url)
            if resp.status is None or resp.status >= 500:
                # RFC 9309 says "assume disallow" here, but a broken robots.txt on a village server would
                # then hide the whole site from its own audit; crawl and say so.
                self.site.notes.append(f"robots: {robots_url} unavailable "
                                       f"({resp.error or resp.status}); crawled as if absent")
        if self.cfg.respect_robots:
            delay = rp.crawl_delay(self.http.user_agent)
            if delay:
                self.http.set_host_delay(urlsplit(url).netloc, min(float(delay), MAX_CRAWL_DELAY_S))
                self.site.notes.append(f"robots: Crawl-delay {delay} honoured for {urlsplit(url).netloc}"
                                       + (f" (capped at {MAX_CRAWL_DELAY_S:g} s)"
                                          if float(delay) > MAX_CRAWL_DELAY_S else ""))
        self.robots[key] = rp
        return rp

    def _seed_sitemaps(self) -> None:
        start_rp = self.robots.get(origin(self.start))
        queue: list[tuple[str, int]] = []
        declared = robots_sitemaps(start_rp, origin(self.start) + "/robots.txt") if start_rp else []
        for sm in [*declared, origin(self.start) + "/sitemap.xml"]:
            url = canonicalize(sm)
            if url and url in self.scope and url not in (u for u, _ in queue):
                queue.append((url, 0))
        fetched: set[str] = set()
        seeds: list[str] = []
        while queue and len(fetched) < MAX_SITEMAP_FILES and time.monotonic() < self.deadline:
            url, level = queue.pop(0)
            if url in fetched:
                continue
            fetched.add(url)
            resp = self._get(url, max_bytes=MAX_SITEMAP_BYTES, deadline=self.deadline,
                             redirect_filter=lambda u: u in self.scope)
            if not resp.ok:
                if url not in (canonicalize(origin(self.start) + "/sitemap.xml"),):
                    self.site.notes.append(f"sitemap: {url}: {resp.error or resp.status}")
                continue
            data = parse_sitemap(resp.body)
            if data.error:
                self.site.notes.append(f"sitemap: {url}: {data.error}")
            for child in data.sitemaps:
                child_url = canonicalize(child)
                if child_url and child_url in self.scope and level + 1 <= MAX_SITEMAP_DEPTH:
                    queue.append((child_url, level + 1))
            for loc, lastmod in data.pages:
                page_url = canonicalize(loc)
                if page_url and page_url in self.scope:
                    self.site.sitemap_lastmod.setdefault(page_url, lastmod)
                    seeds.append(page_url)
        if queue:
            self.site.notes.append(f"sitemap: more than {MAX_SITEMAP_FILES} sitemap files or nesting "
                                   f"deeper than {MAX_SITEMAP_DEPTH}; {len(queue)} not read")
        for url in seeds:
            self._enqueue(url, 1, FOLLOW_DOCUMENT if is_document_url(url) else FOLLOW_PAGE)

    # --- downloading (worker threads) ------------------------------------------------------------
    def _fetch(self, task: _Task) -> _Fetched | None:
        """Fetch and parse one URL; None when the time budget ran out before it could be fetched."""
        url = task.url
        prev = self.previous.get(url)
        headers: dict[str, str] = {}
        # The start page is always fetched in full: header and TLS checks read its real response.
        conditional = prev is not None and prev.body is not None and url != self.start
        if conditional and prev is not None:
            if prev.etag:
                headers["If-None-Match"] = prev.etag
            if prev.last_modified:
                headers["If-Modified-Since"] = prev.last_modified
        is_doc = task.kind == FOLLOW_DOCUMENT
        # The start URL may move to another host (http://desa.id -> https://www.desa.id/): follow it there.
        in_scope = None if url == self.start else (lambda u: u in self.scope)
        resp = self._get(
            url, headers=headers or None, max_bytes=self.doc_cap if is_doc else self.page_cap,
            deadline=self.deadline, redirect_filter=in_scope,
            max_bytes_for=lambda h: self.doc_cap if is_document_type(h.get("content-type") or "") else None)
        if resp.error == BUDGET_EXHAUSTED:
            return None
        status, hdrs, body = resp.status, resp.headers, resp.body
        not_modified = status == 304 and prev is not None and prev.body is not None and bool(headers)
        if not_modified and prev is not None and prev.body is not None:
            status = 200  # the cached representation; `not_modified` says the server answered 304
            hdrs, body = _merge_headers(resp.headers, prev), prev.body
        ctype = hdrs.get("content-type") or ""
        cls = Document if is_doc or (status is not None and is_document_type(ctype)) else Page
        res = cls(url=url, final_url=resp.final_url, status=status, headers=hdrs, body=body,
                  redirects=list(resp.redirects), elapsed_s=resp.elapsed_s, depth=task.depth,
                  fetched_at=resp.fetched_at, error=resp.error, truncated=resp.truncated,
                  not_modified=not_modified)
        if cls is Page and task.kind == FOLLOW_ASSET:
            res.kind = "asset"
        # The page's one parse (`Page.document`), kept for the checks.
        if (res.kind == "page" and res.ok and res.parseable and not isinstance(res, Document)
                and time.monotonic() < self.deadline):
            parsed = parse_tree(res.document, canonicalize(res.final_url) or res.url)
            res.title = parsed.title
            res.links = parsed.links
            return res, parsed.follow
        if res.not_modified and prev is not None:
            res.title, res.links = prev.title, list(prev.links)
        return res, []

    def _get(self, url: str, **kw: Any) -> Response:
        """`HttpClient.fetch` that also turns policy refusals (loopback guard) into a recorded error."""
        try:
            return self.http.fetch(url, **kw)
        except FetchError as exc:
            return Response(url, url, None, error=str(exc))

    # --- results ---------------------------------------------------------------------------------
    def _link_referrers(self) -> None:
        by_url: dict[str, Page] = {}
        for res in self.site.all_resources():
            by_url.setdefault(res.url, res)
        for res in self.site.all_resources():
            final = canonicalize(res.final_url) if res.final_url else None
            if final:
                by_url.setdefault(final, res)
        known: dict[int, set[str]] = {}  # a menu link is on every page: list membership would be quadratic
        for page in self.site.pages:
            for link in page.links:
                target = by_url.get(link.url)
                if target is None or target is page:
                    continue
                seen = known.get(id(target))
                if seen is None:  # not setdefault: its argument, a copy of the list, would be built every time
                    seen = known[id(target)] = set(target.referrers)
                if page.url not in seen:
                    seen.add(page.url)
                    target.referrers.append(page.url)

    def _report(self, url: str) -> None:
        known = self.done + len(self.frontier)
        if self.progress is not None:
            try:
                self.progress(self.done, known, url)
            except Exception:  # a broken progress callback must not stop the crawl
                self.progress = None
        if self._bar is not None:
            self._bar.update(self.done, known, url)


def _merge_headers(fresh: Headers, prev: PreviousPage) -> Headers:
    """304 headers win; what a 304 usually omits (Content-Type, validators) comes from the last run."""
    items = list(fresh.items)
    names = {k.lower() for k, _ in items}
    for k, v in prev.headers or []:
        if k.lower() not in names:
            items.append((k, v))
    names = {k.lower() for k, _ in items}
    extra = (("Content-Type", prev.content_type), ("ETag", prev.etag), ("Last-Modified", prev.last_modified))
    items += [(k, v) for k, v in extra if v and k.lower() not in names]
    return Headers(items)
