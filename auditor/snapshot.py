"""The crawl snapshot that checks consume: `Page`, `Document`, `Site`.

Checks read these; they never fetch pages themselves unless they must (TLS handshakes, probes), and then
only through the shared bounded client in `auditor.http`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from lxml import etree

DOCUMENT_EXTENSIONS = (
    ".pdf", ".xls", ".xlsx", ".xlsm", ".doc", ".docx", ".ods", ".odt", ".csv", ".zip", ".txt",
)
DOCUMENT_CONTENT_TYPES = (
    "application/pdf",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument",
    "application/vnd.oasis.opendocument",
    "application/msword",
    "application/zip",
    "application/x-zip-compressed",
    "text/csv",
)


@dataclass(frozen=True)
class Hop:
    """One response in a redirect chain (the last hop is the final response)."""

    url: str
    status: int
    location: str | None = None


@dataclass(frozen=True)
class Link:
    """An outgoing reference found in a page."""

    url: str  # absolute, fragment removed
    text: str = ""  # anchor text or alt text, whitespace-collapsed
    tag: str = "a"  # a, img, script, link, iframe, form...


class Headers:
    """Response headers keeping every occurrence (duplicates matter to the header checks)."""

    def __init__(self, items: list[tuple[str, str]] | None = None):
        self.items: list[tuple[str, str]] = list(items or [])

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self.get_all(name)
        return values[0] if values else default

    def get_all(self, name: str) -> list[str]:
        lname = name.lower()
        return [v for k, v in self.items if k.lower() == lname]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and bool(self.get_all(name))

    def to_dict(self) -> dict[str, str]:
        """Lower-cased names; duplicated headers joined with ', ' like HTTP field combination."""
        out: dict[str, str] = {}
        for k, v in self.items:
            key = k.lower()
            out[key] = f"{out[key]}, {v}" if key in out else v
        return out

    def __repr__(self) -> str:
        return f"Headers({self.items!r})"


_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_META_CHARSET_RE = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", re.I)


@dataclass
class Page:
    """A fetched HTML page (or any non-document resource)."""

    url: str  # canonical URL as requested
    final_url: str = ""
    status: int | None = None  # None: no response (timeout, connection refused...)
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    redirects: list[Hop] = field(default_factory=list)  # hops before the final response
    elapsed_s: float = 0.0
    depth: int = 0
    fetched_at: datetime | None = None
    error: str | None = None  # why there is no usable response
    truncated: bool = False  # the body was cut at a size cap
    not_modified: bool = False  # conditional GET answered 304; body comes from the store's cache
    links: list[Link] = field(default_factory=list)
    referrers: list[str] = field(default_factory=list)  # pages that link here
    title: str = ""
    # Filled by the runner from crawl history (content hash changes), for freshness checks.
    first_seen: datetime | None = None
    last_changed: datetime | None = None
    kind: str = "page"
    # The one parse of the body (see `document`); shared by the crawler and every check, released by the
    # runner after the checks (`Site.release_documents`).
    _document: Any = field(default=None, init=False, repr=False, compare=False)
    _parsed: bool = field(default=False, init=False, repr=False, compare=False)

    @property
    def content_type(self) -> str:
        return (self.headers.get("content-type") or "").split(";")[0].strip().lower()

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and self.error is None

    @property
    def is_html(self) -> bool:
        ct = self.content_type
        return ct in ("text/html", "application/xhtml+xml") or (not ct and self.body.lstrip()[:1] == b"<")

    @property
    def host(self) -> str:
        return urlsplit(self.final_url or self.url).hostname or ""

    @cached_property
    def encoding(self) -> str:
        m = _CHARSET_RE.search(self.headers.get("content-type") or "")
        if m:
            return m.group(1)
        m2 = _META_CHARSET_RE.search(self.body[:4096])
        if m2:
            return m2.group(1).decode("ascii", "replace")
        return "utf-8"

    @cached_property
    def sha256(self) -> str:
        """Hex SHA-256 of the body (the store's key for it), computed once for the history and the save."""
        return hashlib.sha256(self.body).hexdigest()

    @cached_property
    def text(self) -> str:
        """The body decoded with the declared charset (falling back to cp1252, never failing)."""
        for enc in (self.encoding, "utf-8", "cp1252"):
            try:
                return self.body.decode(enc)
            except (LookupError, UnicodeDecodeError):
                continue
        return self.body.decode("utf-8", "replace")

    @property
    def parseable(self) -> bool:
        """An HTML response worth parsing. NUL bytes never occur in real HTML: a mislabelled binary (or a
        bomb of zeros) is not parsed."""
        return bool(self.body) and self.is_html and b"\0" not in self.body[:4096]

    @property
    def document(self) -> etree._Element | None:
        """The page's lxml HTML tree, parsed on first use and then shared (None: not HTML, unparseable).

        Read-only for everyone: never remove or change elements (see `auditor.htmldoc`).
        """
        # No lock: a page is parsed by the one crawl worker that fetched it, then read by the checks in turn.
        if not self._parsed:
            from auditor.htmldoc import parse_document

            self._document = parse_document(self.text) if self.parseable else None
            self._parsed = True
        return self._document

    def release_document(self) -> None:
        """Drop the parsed tree (it is parsed again if asked for)."""
        self._document, self._parsed = None, False


@dataclass
class Document(Page):
    """A linked document (PDF, XLSX, DOCX, ODS, CSV, ZIP...) downloaded up to `max_document_mb`."""

    kind: str = "document"

    @property
    def filename(self) -> str:
        path = urlsplit(self.final_url or self.url).path
        return path.rsplit("/", 1)[-1] or "index"

    @property
    def extension(self) -> str:
        name = self.filename.lower()
        return name.rsplit(".", 1)[-1] if "." in name else ""


@dataclass
class Site:
    """Everything one crawl of one site produced."""

    name: str
    url: str  # start URL from the config
    pages: list[Page] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    robots_txt: str | None = None
    sitemap_lastmod: dict[str, str | None] = field(default_factory=dict)  # URL -> <lastmod> text
    allowed_hosts: list[str] = field(default_factory=list)
    started: datetime | None = None
    finished: datetime | None = None
    bytes_received: int = 0
    notes: list[str] = field(default_factory=list)  # crawl limits hit, traps cut, robots refusals
    # Known URLs not fetched, by reason ("max_pages", "max_depth", "time_budget_s", "trap", "robots"...).
    unfetched: dict[str, int] = field(default_factory=dict)

    def all_resources(self) -> list[Page]:
        return [*self.pages, *self.documents]

    @property
    def page_count(self) -> int:
        """HTML pages only: scripts and stylesheets fetched for the checks (`kind="asset"`) don't count."""
        return sum(1 for p in self.pages if p.kind == "page")

    def release_documents(self) -> None:
        """Free every parsed tree (after the checks: the snapshot itself stays)."""
        for res in self.all_resources():
            res.release_document()

    def get(self, url: str) -> Page | None:
        for res in self.all_resources():
            if res.url == url or res.final_url == url:
                return res
        return None

    @property
    def start_page(self) -> Page | None:
        return self.pages[0] if self.pages else None

    @property
    def reachable(self) -> bool:
        """False when not even the start URL produced an HTTP response."""
        return any(p.status is not None for p in self.all_resources())


# Images count as documents under a site's upload paths (scanned KTP/KK, letters, recipient lists are
# uploaded as photos there; theme images elsewhere are not fetched). Issue 20.
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff")
UPLOAD_PATH_MARKERS = ("/upload", "/wp-content/uploads/", "/desa/upload/", "/files/", "/berkas/", "/dokumen/",
                       "/storage/", "/media/", "/lampiran/", "/arsip/")


def is_document_url(url: str) -> bool:
    path = urlsplit(url).path.lower()
    if path.endswith(DOCUMENT_EXTENSIONS):
        return True
    return path.endswith(IMAGE_EXTENSIONS) and any(m in path for m in UPLOAD_PATH_MARKERS)


def is_document_type(content_type: str) -> bool:
    ct = content_type.split(";")[0].strip().lower()
    return any(ct.startswith(t) for t in DOCUMENT_CONTENT_TYPES)
