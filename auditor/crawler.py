"""Bounded crawler (interface; implementation in progress)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from auditor.config import CrawlConfig, SiteConfig
from auditor.http import HttpClient
from auditor.snapshot import Link, Site


@dataclass
class PreviousPage:
    """What the store remembers of a URL from the last run, for conditional GET."""

    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
    body: bytes | None = None
    links: list[Link] = field(default_factory=list)
    title: str = ""


Progress = Callable[[int, int, str], None]  # (done, known, url)


def make_client(crawl: CrawlConfig, *, auth: tuple[str, str] | None = None) -> HttpClient:
    return HttpClient(user_agent=crawl.user_agent, timeout_s=crawl.timeout_s,
                      max_bytes=int(crawl.max_page_mb * 1024 * 1024), delay_s=crawl.delay_s, auth=auth)


def crawl(site: SiteConfig, cfg: CrawlConfig, http: HttpClient, *,
          previous: dict[str, PreviousPage] | None = None, progress: Progress | None = None) -> Site:
    raise NotImplementedError
