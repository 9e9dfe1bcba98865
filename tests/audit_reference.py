"""Reference implementations of the audit's per-page hot paths: the straightforward versions, kept as the
oracles for the fast ones (issue 16, "checks add <= 30% to the crawl").

Each is the code the check ran before it was made fast: one `finditer` per date pattern over the whole
text, the page text as every text node outside the skipped tags, the personal-data text by one Python walk
over the tree. `tests/test_audit_parity.py` compares the fast paths with these, function by function on
generated texts and pages, and a whole audit run both ways. Not used by the checks themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from auditor.htmldoc import HIDDEN_TAGS, parse_document
from checks.content import dates
from checks.personal_data import html_text
from checks.personal_data.limits import Budget, Chunk
from checks.personal_data.tables import table_chunks


def find_dates(text: str, *, month_precision: bool = False) -> list[dates.FoundDate]:
    """Every pattern tried at every position of the text (`re.finditer`), in the check's order."""
    if not text:
        return []
    found: list[dates.FoundDate] = []
    taken: list[tuple[int, int]] = []

    def add(m: re.Match[str], value, precision: str = "day") -> None:
        s, e = m.span()
        if any(s < te and ts < e for ts, te in taken):
            return
        taken.append((s, e))
        if value is None:
            return
        found.append(dates.FoundDate(value, m.group(0).strip(), s, precision))

    for m in dates._DMY_NAME.finditer(text):
        add(m, dates._make(dates._year(m.group(3)), dates.MONTHS.get(m.group(2).lower()), int(m.group(1))))
    for m in dates._MDY_NAME.finditer(text):
        add(m, dates._make(int(m.group(3)), dates.MONTHS.get(m.group(1).lower()), int(m.group(2))))
    for m in dates._YMD.finditer(text):
        add(m, dates._make(int(m.group(1)), int(m.group(3)), int(m.group(4))))
    for m in dates._DMY_NUM.finditer(text):
        a, b, y = int(m.group(1)), int(m.group(3)), dates._year(m.group(4))
        if b > 12 and a <= 12:
            a, b = b, a
        add(m, dates._make(y, b, a))
    if month_precision:
        for m in dates._MY_NAME.finditer(text):
            add(m, dates._make(int(m.group(2)), dates.MONTHS.get(m.group(1).lower()), 1), "month")
    found.sort(key=lambda f: f.start)
    return found


def visible_text(root: etree._Element, skip: frozenset[str] = HIDDEN_TAGS) -> str:
    """Every text piece outside `skip` tags, each stripped, joined with one space (one XPath per page that
    tests every ancestor of every text node against the tag list)."""
    cond = " or ".join(f"self::{t}" for t in sorted(skip))
    xp = etree.XPath(f"descendant-or-self::text()[not(ancestor::*[{cond}])]", smart_strings=False)
    return " ".join(p for p in (str(piece).strip() for piece in xp(root)) if p)


_TABLES = etree.XPath("descendant-or-self::table[not(ancestor::*[self::noscript or self::script or self::style"
                      " or self::svg or self::template])]")
_INNER_TABLE = etree.XPath("boolean(descendant::table[not(ancestor::*[self::noscript or self::script or self::style"
                           " or self::svg or self::template])])")


def html_chunks(text: str, budget: Budget, root: etree._Element | None = None) -> Iterator[Chunk]:
    """The personal-data chunks of one HTML page by one Python walk over the whole tree."""
    budget.add_text(text)
    if root is None:
        root = parse_document(text)
    if root is None:
        yield Chunk(text, "", by_line=True)
        return
    read_tables: set[etree._Element] = set()
    for t, table in enumerate(_TABLES(root), 1):
        if _INNER_TABLE(table):
            continue
        rows = [[html_text._cell_text(cell) for cell in tr if cell.tag in ("td", "th")] for tr in table.iter("tr")]
        yield from table_chunks(rows, lambda r, c, t=t: f"tabel {t} baris {r + 1}", budget)
        read_tables.add(table)
    attrs: list[str] = []
    parts: list[str] = []
    comments: list[str] = []
    stack: list[tuple[etree._Element, bool]] = [(root, False)]
    while stack:
        el, closing = stack.pop()
        if closing:
            if el.tail and el is not root:
                parts.append(el.tail)
            continue
        stack.append((el, True))
        if not isinstance(el.tag, str):
            if el.tag is etree.Comment and el.text:
                comments.append(el.text)
            continue
        if el in read_tables:
            parts.append("\n")
            continue
        _collect_attrs(el, attrs)
        if el.tag in html_text._BLOCK_TAGS:
            parts.append("\n")
        if el.tag in html_text._SKIP_TAGS:
            continue
        if el.text:
            parts.append(el.text)
        stack.extend((child, False) for child in reversed(el))
    yield Chunk(re.sub(r"[ \t\r\f\v]+", " ", "".join(parts)), "teks", by_line=True)
    if attrs:
        yield Chunk("\n".join(attrs), "atribut HTML")
    if comments:
        yield Chunk("\n".join(comments), "komentar HTML")


_ATTRS = ("alt", "title", "value", "placeholder", "content", "aria-label", "label", "data-original-title")


def _collect_attrs(el: etree._Element, attrs: list[str]) -> None:
    items = el.items()
    if not items:
        return
    a = dict(items)
    attrs.extend(v for name in _ATTRS if (v := a.get(name)))
    href = a.get("href") or ""
    if href[:7].lower() in ("mailto:", "tel:+62", "tel:08") or "wa.me/" in href:
        attrs.append(href.split(":", 1)[-1].split("?")[0])
    attrs.extend(v for k, v in items if k.startswith("data-") and v and len(v) < 200)


def markup_of(root: etree._Element | None):
    """The header check's page markup by a Python loop over every element."""
    from checks.headers.html import LINK_RELS_LOADED, SUBRESOURCE_ATTRS, PageMarkup, Script

    out = PageMarkup()
    if root is None:
        return out
    for el in root.iter(etree.Element):
        tag = el.tag
        if not isinstance(tag, str):
            continue
        a = el.attrib
        if tag == "script":
            out.scripts.append(Script(a.get("src"), a.get("integrity"), a.get("crossorigin")))
        elif tag == "meta":
            equiv = a.get("http-equiv")
            content = a.get("content")
            if equiv is not None and content is not None:
                if equiv.strip().lower() == "content-security-policy" and content:
                    out.meta_csp.append(content)
            elif (a.get("name") or "").strip().lower() == "referrer" and content:
                out.meta_referrer = content
        elif tag == "link":
            rels = set((a.get("rel") or "").lower().split())
            if rels & LINK_RELS_LOADED and a.get("href"):
                out.subresources.append(("link", a["href"]))
        elif tag == "form" and a.get("action"):
            out.form_actions.append(a["action"])
        for attr in SUBRESOURCE_ATTRS.get(tag, ()):
            if a.get(attr):
                out.subresources.append((tag, a[attr]))
    return out


def build_candidates(site):
    """The content check's candidates with every link of every page looked at in turn."""
    from itertools import islice

    from auditor.htmldoc import text_of
    from checks.content.matching import Candidate, doc_name

    by_url = {}
    out = []
    for res in site.all_resources():
        if not res.ok:
            continue
        cand = Candidate(res)
        out.append(cand)
        for u in {res.url, res.final_url or res.url}:
            by_url[u] = cand
            by_url[u.rstrip("/")] = cand
        name = doc_name(cand.url)
        if name:
            cand.texts.append(("nama dokumen" if res.kind == "document" else "alamat", name))
        if res.title:
            cand.texts.append(("judul", res.title))
        root = res.document if res.kind != "document" else None
        if root is not None:
            title = next(root.iter("title"), None)
            if not res.title and title is not None and title.text and len(title) == 0:
                cand.texts.append(("judul", title.text.strip()))
            for h in islice(root.iter("h1", "h2", "h3"), 12):
                txt = text_of(h)
                if txt:
                    cand.texts.append(("judul bagian", txt))
    for page in site.pages:
        for link in page.links:
            target = by_url.get(link.url) or by_url.get(link.url.rstrip("/"))
            if target is not None and link.text and target.resource is not page:
                if ("teks tautan", link.text) not in target.texts:
                    target.texts.append(("teks tautan", link.text))
    return out
