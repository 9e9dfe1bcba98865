"""Parsing for the crawler: links and title from a page's shared lxml.html tree, sitemaps, robots.txt."""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from lxml import etree

from auditor.crawl_urls import canonicalize
from auditor.htmldoc import collapse as _collapse
from auditor.htmldoc import parse_document, text_of
from auditor.snapshot import Link, is_document_url

# tag -> attribute holding the reference
_REF_ATTRS = {
    "a": "href", "area": "href", "img": "src", "script": "src", "link": "href", "iframe": "src",
    "frame": "src", "form": "action", "embed": "src", "object": "data", "source": "src",
}
_SKIP_SCHEMES = ("javascript:", "data:", "about:", "blob:", "vbscript:")

FOLLOW_PAGE = "page"
FOLLOW_DOCUMENT = "document"
FOLLOW_ASSET = "asset"


@dataclass
class Parsed:
    title: str = ""
    links: list[Link] = field(default_factory=list)
    follow: list[tuple[str, str]] = field(default_factory=list)  # (canonical URL, FOLLOW_*)


def parse_html(text: str, base_url: str) -> Parsed:
    """`parse_tree` of an HTML text (for callers without a `Page`)."""
    return parse_tree(parse_document(text), base_url)


def parse_tree(root: etree._Element | None, base_url: str) -> Parsed:
    """Title, every outgoing reference (a, img, script, link, iframe, form...) and what to fetch next,
    read from a page's shared tree (`Page.document`; None: nothing to read).

    Link URLs are canonical for http(s) so they match `Page.url`; mailto:/tel: links are kept verbatim.
    """
    out = Parsed()
    if root is None:
        return out
    title = next(root.iter("title"), None)
    if title is not None:
        out.title = text_of(title, "")[:500]
    base = base_url
    base_tag = next((b for b in root.iter("base") if b.get("href") is not None), None)
    if base_tag is not None:
        candidate = canonicalize(str(base_tag.get("href")), base_url)
        if candidate:
            base = candidate
    seen_links: set[tuple[str, str, str]] = set()
    seen_follow: set[str] = set()
    for el in root.iter(*_REF_ATTRS):
        tag = el.tag
        ref = el.get(_REF_ATTRS[tag])
        if not isinstance(ref, str):
            continue
        ref = ref.strip()
        if not ref or ref.startswith("#") or ref.lower().startswith(_SKIP_SCHEMES):
            continue
        if tag in ("img", "embed", "object", "source"):
            label = _collapse(el.get("alt") or el.get("title") or "")
        elif tag in ("a", "area"):
            label = text_of(el) or _collapse(el.get("title") or el.get("aria-label") or "")
            if not label:
                img = next((i for i in el.iter("img") if i.get("alt") is not None), None)
                label = _collapse(img.get("alt")) if img is not None else ""
        else:
            label = _collapse(el.get("title") or "")
        url = canonicalize(ref, base)
        if url is None:
            # mailto:, tel:, whatsapp:... recorded as written; a malformed http(s) URL ("http://[") is
            # dropped (found by the property tests: it used to fail the whole page).
            if ":" in ref.split("/", 1)[0] and not ref.lower().startswith(("http:", "https:")):
                url = ref
            else:
                continue
        key = (url, label[:300], tag)
        if key not in seen_links:
            seen_links.add(key)
            out.links.append(Link(url, label[:300], tag))
        kind = _follow_kind(tag, el, url)
        if kind and url not in seen_follow:
            seen_follow.add(url)
            out.follow.append((url, kind))
    return out


def _follow_kind(tag: str, el, url: str) -> str | None:
    if not url.startswith(("http://", "https://")):
        return None
    if tag in ("a", "area", "iframe", "frame", "embed", "object"):
        if is_document_url(url):
            return FOLLOW_DOCUMENT
        return FOLLOW_PAGE if tag in ("a", "area", "iframe", "frame") else None
    if tag == "img":  # photos/scans under the upload paths are documents (see snapshot.is_document_url)
        return FOLLOW_DOCUMENT if is_document_url(url) else None
    if tag == "script":
        return FOLLOW_ASSET
    if tag == "link":
        rel = (el.get("rel") or "").lower().split()
        if "stylesheet" in rel:
            return FOLLOW_ASSET
        if is_document_url(url):
            return FOLLOW_DOCUMENT
    return None


# --- sitemaps ---------------------------------------------------------------------------------------

MAX_SITEMAP_BYTES = 10 * 1024 * 1024


@dataclass
class SitemapData:
    pages: list[tuple[str, str | None]] = field(default_factory=list)  # (loc, lastmod)
    sitemaps: list[str] = field(default_factory=list)  # children of a sitemap index
    error: str | None = None


def parse_sitemap(data: bytes) -> SitemapData:
    """A sitemap (urlset), a sitemap index, gzip-compressed or not, or a plain-text list of URLs."""
    out = SitemapData()
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
                data = gz.read(MAX_SITEMAP_BYTES + 1)[:MAX_SITEMAP_BYTES]
        except (OSError, EOFError) as exc:
            out.error = f"corrupt gzip: {exc}"
            return out
    stripped = data.lstrip()
    if not stripped.startswith(b"<"):
        for line in data.decode("utf-8", "replace").splitlines():
            line = line.strip()
            if line.startswith(("http://", "https://")):
                out.pages.append((line, None))
        return out
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True,
                             load_dtd=False)
    try:
        root = etree.fromstring(stripped, parser=parser)
    except etree.XMLSyntaxError as exc:
        out.error = f"invalid XML: {exc}"
        return out
    if root is None:
        out.error = "invalid XML"
        return out
    kind = etree.QName(root).localname.lower()
    for entry in root:
        if not isinstance(entry.tag, str):
            continue
        fields = {etree.QName(child).localname.lower(): (child.text or "").strip()
                  for child in entry if isinstance(child.tag, str)}
        loc = fields.get("loc")
        if not loc:
            continue
        if kind == "sitemapindex":
            out.sitemaps.append(loc)
        else:
            out.pages.append((loc, fields.get("lastmod") or None))
    return out


# --- robots.txt -------------------------------------------------------------------------------------

def parse_robots(text: str, robots_url: str) -> RobotFileParser:
    rp = RobotFileParser(robots_url)
    rp.parse(text.splitlines())
    return rp


def allow_all_robots(robots_url: str) -> RobotFileParser:
    rp = RobotFileParser(robots_url)
    rp.allow_all = True
    return rp


def robots_sitemaps(rp: RobotFileParser, robots_url: str) -> list[str]:
    return [urljoin(robots_url, s.strip()) for s in (rp.site_maps() or [])]


def same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.netloc) == (pb.scheme, pb.netloc)
