"""Site-wide date sources read once per run: sitemap `lastmod`, RSS/Atom feeds, WordPress REST API.

Feeds and the REST API are read from the snapshot when the crawler already fetched them; otherwise a
bounded number of requests go through the shared client (timeouts, size caps, loopback guard).
"""

from __future__ import annotations

import json
import logging
import re
import xml.etree.ElementTree as ET
from datetime import date
from typing import Any
from urllib.parse import urljoin

from auditor.snapshot import Page, Site
from checks.content.dates import parse_machine_date
from checks.content.evidence import SiteHints

MAX_FEEDS = 3
MAX_BODY = 2 * 1024 * 1024
WP_ENDPOINTS = (("wp/v2/pages", "link"), ("wp/v2/posts", "link"), ("wp/v2/media", "source_url"))
_FEED_TYPES = re.compile(r"application/(rss|atom)\+xml", re.I)


def sitemap_dates(site: Site) -> dict[str, date]:
    out: dict[str, date] = {}
    for url, raw in (site.sitemap_lastmod or {}).items():
        d = parse_machine_date(raw) if raw else None
        if d:
            out[url] = d
    return out


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def parse_feed(body: bytes) -> dict[str, date]:
    """item/entry link -> newest of updated/pubDate/published. Bad XML gives an empty map."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return {}
    out: dict[str, date] = {}
    for node in root.iter():
        if _local(node.tag) not in ("item", "entry"):
            continue
        link = ""
        dates: list[date] = []
        for child in node:
            name = _local(child.tag)
            if name == "link":
                link = (child.get("href") or child.text or "").strip() or link
            elif name in ("pubdate", "updated", "published", "date", "modified"):
                d = parse_machine_date((child.text or "").strip())
                if d:
                    dates.append(d)
        if link and dates:
            out[link] = max(dates + ([out[link]] if link in out else []))
    return out


def _is_feed(res: Page) -> bool:
    ct = res.content_type
    head = res.body[:400].lstrip().lower()
    return ("rss" in ct or "atom" in ct) or (ct.endswith("xml") and (b"<rss" in head or b"<feed" in head))


def _html_pages(site: Site) -> list[Page]:
    return [p for p in site.pages if p.ok and p.is_html and p.body]


def feed_dates(site: Site, http: Any, log: logging.Logger) -> dict[str, date]:
    out: dict[str, date] = {}
    seen: set[str] = set()
    for res in site.all_resources():
        if res.ok and _is_feed(res):
            seen.add(res.url)
            out.update(parse_feed(res.body))
    wanted: list[str] = []
    for page in _html_pages(site):
        root = page.document
        if root is None:
            continue
        for link in root.iter("link"):
            if not _FEED_TYPES.search(link.get("type") or ""):
                continue
            href = link.get("href")
            if href:
                url = urljoin(page.final_url or page.url, href)
                if url not in seen and url not in wanted:
                    wanted.append(url)
    for url in wanted[:MAX_FEEDS]:
        if http is None:
            break
        try:
            resp = http.fetch(url, max_bytes=MAX_BODY)
        except Exception as exc:  # refused by the loopback guard, bad URL...
            log.info("content: feed %s not read: %s", url, exc)
            continue
        if resp.ok and resp.body:
            out.update(parse_feed(resp.body))
    return out


def _wp_records(data: Any, url_key: str) -> dict[str, date]:
    out: dict[str, date] = {}
    if not isinstance(data, list):
        return out
    for rec in data:
        if not isinstance(rec, dict):
            continue
        url = rec.get(url_key) or rec.get("link")
        d = parse_machine_date(rec.get("modified") or rec.get("modified_gmt") or "")
        if isinstance(url, str) and d:
            out[url] = d
    return out


def wordpress_dates(site: Site, http: Any, log: logging.Logger) -> dict[str, date]:
    """`modified` of pages, posts and media from the WordPress REST API (only on WordPress sites)."""
    out: dict[str, date] = {}
    for res in site.all_resources():
        if res.ok and "/wp-json/wp/v2/" in res.url:
            try:
                data = json.loads(res.body)
            except ValueError:
                continue
            out.update(_wp_records(data, "source_url" if "/media" in res.url else "link"))
    if out or http is None:
        return out
    api_root = None
    for page in _html_pages(site):
        m = re.search(rb"<link[^>]+rel=[\"']https://api\.w\.org/[\"'][^>]*>", page.body)
        if m:
            href = re.search(rb"href=[\"']([^\"']+)", m.group(0))
            if href:
                api_root = urljoin(page.final_url or page.url, href.group(1).decode("utf-8", "replace"))
                break
    if not api_root:
        return out
    if not api_root.endswith("/"):
        api_root += "/"
    for endpoint, url_key in WP_ENDPOINTS:
        url = f"{api_root}{endpoint}?per_page=100&_fields={url_key},modified"
        try:
            resp = http.fetch(url, max_bytes=MAX_BODY)
            data = json.loads(resp.body) if resp.ok else None
        except Exception as exc:  # JSON garbage, refused target: the other sources still count
            log.info("content: WordPress REST %s not read: %s", url, exc)
            continue
        out.update(_wp_records(data, url_key))
    return out


def collect_hints(site: Site, http: Any, log: logging.Logger, *, remote: bool = True) -> SiteHints:
    return SiteHints(
        wp_rest=wordpress_dates(site, http if remote else None, log),
        sitemap=sitemap_dates(site),
        feed=feed_dates(site, http if remote else None, log),
    )
