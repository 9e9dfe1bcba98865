"""Date-of-last-update evidence for one page or document, each piece recorded with its source.

Strongest first (see `SOURCE_RANK`): structured data in the page (JSON-LD `dateModified`,
`article:modified_time`, `<time>`), WordPress REST `modified`, sitemap `lastmod`, RSS/Atom dates, document
metadata (PDF ModDate, OOXML/ODF modified), Indonesian dates in the text, HTTP `Last-Modified`, and our
own crawl history (content hash changed / first seen) as the fallback.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from lxml import etree

from auditor.htmldoc import text_of, visible_text
from auditor.snapshot import Document, Page
from checks.content.dates import find_dates, parse_machine_date

# Lower index = stronger. Facts and reports use these names.
SOURCE_RANK: list[str] = [
    "jsonld", "meta", "time", "wp_rest", "ppid_api", "sitemap", "feed", "document_metadata", "text", "document_text",
    "last_modified", "history_changed", "history_first_seen",
]

_UPDATED_LABEL = re.compile(
    r"(diperbarui|diperbaharui|pembaruan|pembaharuan|dimutakhirkan|pemutakhiran|diupdate|di-update|update|"
    r"updated|terakhir|revisi|diubah|perubahan|modified|last\s+modified)", re.I)
_PUBLISHED_LABEL = re.compile(
    r"(diposting|diposkan|diterbitkan|terbit|dipublikasikan|dipublikasi|publikasi|dibuat|ditetapkan|"
    r"tanggal|tgl\.?|posted|published|on)\s*[:\-]?\s*$", re.I)
_LABEL_WINDOW = 48


@dataclass(frozen=True)
class Evidence:
    date: date
    source: str  # one of SOURCE_RANK
    detail: str  # what was read, e.g. 'meta article:modified_time' or 'teks: "Diperbarui 12 Agustus 2026"'
    url: str = ""

    @property
    def rank(self) -> int:
        return SOURCE_RANK.index(self.source) if self.source in SOURCE_RANK else len(SOURCE_RANK)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["date"] = self.date.isoformat()
        return d


def best(evidence: list[Evidence]) -> Evidence | None:
    """Strongest source wins; within one source the latest date."""
    if not evidence:
        return None
    top = min(e.rank for e in evidence)
    return max((e for e in evidence if e.rank == top), key=lambda e: e.date)


def conflicts(evidence: list[Evidence], chosen: Evidence | None, tolerance_days: int = 31) -> list[Evidence]:
    """Other sources that disagree with the chosen date by more than `tolerance_days` (crawl history
    excluded: it only says when we noticed)."""
    if chosen is None:
        return []
    return [e for e in evidence if e.source != chosen.source and not e.source.startswith("history")
            and abs((e.date - chosen.date).days) > tolerance_days]


# --- HTML -------------------------------------------------------------------------------------------

def _walk_jsonld(node: Any, out: dict[str, list[date]]) -> None:
    if isinstance(node, dict):
        for key in ("dateModified", "datePublished"):
            d = parse_machine_date(node.get(key)) if isinstance(node.get(key), str) else None
            if d:
                out[key].append(d)
        for v in node.values():
            _walk_jsonld(v, out)
    elif isinstance(node, list):
        for v in node:
            _walk_jsonld(v, out)


_META_MODIFIED = ("article:modified_time", "og:updated_time", "last-modified", "dcterms.modified",
                  "dc.date.modified", "revised", "modified")
_META_PUBLISHED = ("article:published_time", "dcterms.created", "dc.date", "date", "pubdate")


_LD_JSON = re.compile(r"ld\+json", re.I)
NOT_TEXT = frozenset({"script", "style", "noscript", "template"})  # <svg> <text> labels may carry dates


def structured_evidence(root: etree._Element, url: str) -> list[Evidence]:
    """Dates from JSON-LD, <meta> and <time> in a page's shared tree (`Page.document`)."""
    ev: list[Evidence] = []
    found: dict[str, list[date]] = {"dateModified": [], "datePublished": []}
    by_tag: dict[str, list[etree._Element]] = {"script": [], "meta": [], "time": []}
    for el in root.iter("script", "meta", "time"):  # one walk of the tree, in C, for the three
        by_tag[el.tag].append(el)
    for tag in by_tag["script"]:
        if not _LD_JSON.search(tag.get("type") or ""):
            continue
        try:
            _walk_jsonld(json.loads(tag.text or "null"), found)
        except (ValueError, TypeError, RecursionError):  # broken or absurdly nested JSON-LD
            continue
    key = "dateModified" if found["dateModified"] else "datePublished"
    if found[key]:
        ev.append(Evidence(max(found[key]), "jsonld", f"JSON-LD {key}", url))
    metas: dict[str, str] = {}
    for m in by_tag["meta"]:
        name = (m.get("property") or m.get("name") or m.get("itemprop") or "").strip().lower()
        if name and m.get("content"):
            metas.setdefault(name, m.get("content"))
    for names in (_META_MODIFIED, _META_PUBLISHED):
        hits = [(n, parse_machine_date(metas[n])) for n in names if n in metas]
        hits = [(n, d) for n, d in hits if d]
        if hits:
            n, d = max(hits, key=lambda h: h[1])
            ev.append(Evidence(d, "meta", f"meta {n}", url))
            break
    modified: list[date] = []
    other: list[date] = []
    for t in by_tag["time"]:
        d = parse_machine_date(t.get("datetime") or text_of(t))
        if not d:
            continue
        marks = " ".join([t.get("itemprop") or "", t.get("class") or ""]).lower()
        (modified if ("modified" in marks or "updated" in marks) else other).append(d)
    if modified or other:
        ev.append(Evidence(max(modified or other), "time",
                           "<time> " + ("dateModified/updated" if modified else "datetime"), url))
    return ev


def text_evidence(text: str, url: str, *, today: date, fetched: date | None, source: str = "text",
                  ) -> list[Evidence]:
    """The most telling date written in the text: a date labelled as an update ("Diperbarui ..."), else
    one labelled as publication, else the latest date. Future dates are typos or agendas and are ignored;
    an unlabelled date equal to the fetch day is almost always a live clock widget and is ignored too."""
    labelled_upd: list[tuple[date, str]] = []
    labelled_pub: list[tuple[date, str]] = []
    plain: list[tuple[date, str]] = []
    for f in find_dates(text):
        if f.value > today + timedelta(days=1):
            continue
        before = text[max(0, f.start - _LABEL_WINDOW):f.start]
        snippet = text[max(0, f.start - 24):f.start + len(f.text)].strip()
        if _UPDATED_LABEL.search(before):
            labelled_upd.append((f.value, snippet))
        elif _PUBLISHED_LABEL.search(before):
            labelled_pub.append((f.value, snippet))
        elif fetched is None or f.value != fetched:
            plain.append((f.value, f.text))
    for group, label in ((labelled_upd, "label pembaruan"), (labelled_pub, "label terbit"), (plain, "")):
        if group:
            d, snippet = max(group, key=lambda g: g[0])
            snippet = " ".join(snippet.split())[-80:]
            kind = "teks" if source == "text" else "teks dokumen"
            return [Evidence(d, source, f'{kind}{" (" + label + ")" if label else ""}: "{snippet}"', url)]
    return []


# --- documents --------------------------------------------------------------------------------------

def _pdf_evidence(body: bytes, url: str, max_pages: int) -> tuple[list[Evidence], str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body))
    ev: list[Evidence] = []
    info = reader.metadata or {}
    for key, label in (("/ModDate", "PDF ModDate"), ("/CreationDate", "PDF CreationDate")):
        raw = info.get(key)
        d = parse_machine_date(str(raw)) if raw else None
        if d:
            ev.append(Evidence(d, "document_metadata", label, url))
            break
    text_parts = []
    for page in reader.pages[:max_pages]:
        try:
            text_parts.append(page.extract_text() or "")
        except Exception:  # a broken content stream on one page must not hide the rest
            continue
    return ev, "\n".join(text_parts)


def _zip_meta_evidence(body: bytes, url: str) -> tuple[list[Evidence], str]:
    ev: list[Evidence] = []
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        names = set(zf.namelist())
        if "docProps/core.xml" in names:
            xml = zf.read("docProps/core.xml").decode("utf-8", "replace")
            for tag, label in (("dcterms:modified", "Office modified"), ("dcterms:created", "Office created")):
                m = re.search(rf"<{tag}[^>]*>([^<]+)</{tag}>", xml)
                d = parse_machine_date(m.group(1)) if m else None
                if d:
                    ev.append(Evidence(d, "document_metadata", label, url))
                    break
        elif "meta.xml" in names:
            xml = zf.read("meta.xml").decode("utf-8", "replace")
            m = re.search(r"<dc:date>([^<]+)</dc:date>", xml) or re.search(
                r"<meta:creation-date>([^<]+)</meta:creation-date>", xml)
            d = parse_machine_date(m.group(1)) if m else None
            if d:
                ev.append(Evidence(d, "document_metadata", "ODF dc:date", url))
    return ev, ""


def document_evidence(doc: Page, *, today: date, max_pages: int = 3) -> list[Evidence]:
    body, url = doc.body, doc.url
    ev: list[Evidence] = []
    text = ""
    if not body or doc.truncated:
        return ev
    try:
        if body[:5] == b"%PDF-":
            ev, text = _pdf_evidence(body, url, max_pages)
        elif body[:2] == b"PK":
            ev, text = _zip_meta_evidence(body, url)
        elif (isinstance(doc, Document) and doc.extension in ("csv", "txt")) or doc.content_type.startswith("text/"):
            text = doc.text
    except Exception:  # corrupt or encrypted documents: the other evidence sources still count
        return [e for e in ev if e.date <= today + timedelta(days=1)]
    ev = [e for e in ev if e.date <= today + timedelta(days=1)]
    if text:
        ev += text_evidence(text, url, today=today, fetched=None, source="document_text")
    return ev


# --- everything for one resource --------------------------------------------------------------------

@dataclass
class SiteHints:
    """Dates known per URL from site-wide sources (collected once per run)."""

    wp_rest: dict[str, date]
    sitemap: dict[str, date]
    feed: dict[str, date]
    ppid_api: dict[str, date] = field(default_factory=dict)  # OpenSID /ppid updated_at per document URL


def resource_evidence(res: Page, hints: SiteHints, *, today: date) -> list[Evidence]:
    url = res.final_url or res.url
    keys = {res.url, url, res.url.rstrip("/"), url.rstrip("/")}
    ev: list[Evidence] = []
    if res.kind == "document":
        ev += document_evidence(res, today=today)
    elif res.document is not None:
        ev += structured_evidence(res.document, url)
        fetched = res.fetched_at.date() if res.fetched_at else None
        ev += text_evidence(visible_text(res.document, NOT_TEXT), url, today=today, fetched=fetched)
    for source, table in (("wp_rest", hints.wp_rest), ("ppid_api", hints.ppid_api), ("sitemap", hints.sitemap),
                          ("feed", hints.feed)):
        for k in keys:
            if k in table:
                ev.append(Evidence(table[k], source, {"wp_rest": "WordPress REST modified",
                                                       "ppid_api": "OpenSID /ppid updated_at",
                                                       "sitemap": "sitemap lastmod",
                                                       "feed": "RSS/Atom"}[source], url))
                break
    lm = parse_machine_date(res.headers.get("last-modified"))
    if lm:
        ev.append(Evidence(lm, "last_modified", "HTTP Last-Modified", url))
    # The store sets last_changed = first_seen when a URL first appears: only a later change is an update.
    if res.last_changed and (res.first_seen is None or res.last_changed > res.first_seen):
        ev.append(Evidence(res.last_changed.date(), "history_changed", "riwayat crawl: isi berubah", url))
    elif res.first_seen:
        ev.append(Evidence(res.first_seen.date(), "history_first_seen", "riwayat crawl: pertama terlihat", url))
    return [e for e in ev if e.date <= today + timedelta(days=1)]
