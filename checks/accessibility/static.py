"""Static accessibility checks on one HTML page: pure functions over the parsed tree, no browser.

Each rule counts the elements that fail it, the way axe-core counts violating nodes for its rule of the
same kind (the `AXE_RULE` table): a page's counts are comparable with an axe run on the same page. What a
static reading cannot know is stated where it matters: CSS (elements hidden with `display: none` are still
counted; `hidden`, `aria-hidden="true"` and `type="hidden"` are honoured), script-built content, and
`rowspan`/`colspan` geometry in tables (cells are placed on a simple grid).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

# Our rule -> the axe-core rules that look at the same thing (tests compare the summed counts).
AXE_RULE: dict[str, tuple[str, ...]] = {
    "a11y.lang.missing": ("html-has-lang",),
    "a11y.title.missing": ("document-title",),
    "a11y.img.alt_missing": ("image-alt",),
    "a11y.link.name_missing": ("link-name",),
    "a11y.form.label_missing": ("label", "select-name"),
    "a11y.heading.order": ("heading-order",),
    "a11y.table.headers_missing": ("td-has-header",),
}
NO_LABEL_INPUT_TYPES = {"hidden", "image", "button", "submit", "reset"}
PRESENTATIONAL = {"presentation", "none"}
HEADINGS = {f"h{i}": i for i in range(1, 7)}


@dataclass
class PageAudit:
    """Failing elements per rule on one page, with a short description of each (for the evidence)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AXE_RULE, 0))
    samples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, rule: str, what: str, limit: int = 5) -> None:
        self.counts[rule] += 1
        bucket = self.samples.setdefault(rule, [])
        if len(bucket) < limit:
            bucket.append(what[:120])


def _text(el: etree._Element) -> str:
    return " ".join("".join(el.itertext()).split())


def _hidden(el: etree._Element) -> bool:
    """Hidden from assistive technology by markup (not by CSS, which a static reading cannot see)."""
    for node in (el, *el.iterancestors()):
        if node.get("hidden") is not None or (node.get("aria-hidden") or "").strip().lower() == "true":
            return True
    return False


def _by_id(root: etree._Element) -> dict[str, etree._Element]:
    return {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}


def _labelledby(el: etree._Element, ids: dict[str, etree._Element]) -> str:
    refs = (el.get("aria-labelledby") or "").split()
    return " ".join(_text(ids[r]) for r in refs if r in ids).strip()


def _content_name(el: etree._Element, ids: dict[str, etree._Element]) -> str:
    """Name from content: text, plus the text alternatives of images and labelled children inside."""
    parts = [el.text or ""]
    for child in el:
        if not isinstance(child.tag, str) or _hidden(child):
            parts.append(child.tail or "")
            continue
        if child.tag == "img":
            parts.append(child.get("alt") or child.get("aria-label") or child.get("title") or "")
        else:
            parts.append(child.get("aria-label") or _labelledby(child, ids) or _content_name(child, ids))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())


def _describe(el: etree._Element) -> str:
    attrs = " ".join(f'{k}="{v}"' for k, v in list(el.attrib.items())[:3])
    return f"<{el.tag}{' ' + attrs if attrs else ''}>"


def audit_page(html: str | bytes) -> PageAudit:
    out = PageAudit()
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return out  # nothing parseable: no page to judge (the crawler records unreadable pages itself)
    ids = _by_id(root)
    if not (root.get("lang") or "").strip():
        out.add("a11y.lang.missing", "<html> tanpa atribut lang")
    title = root.find(".//head/title")
    if title is None or not _text(title):
        out.add("a11y.title.missing", "<title> kosong atau tidak ada")
    _images(root, ids, out)
    _links(root, ids, out)
    _fields(root, ids, out)
    _headings(root, out)
    _tables(root, out)
    return out


def _images(root: etree._Element, ids: dict, out: PageAudit) -> None:
    for img in root.iter("img"):
        if _hidden(img) or (img.get("role") or "").strip().lower() in PRESENTATIONAL:
            continue
        if img.get("alt") is not None or (img.get("aria-label") or "").strip() or _labelledby(img, ids) \
                or (img.get("title") or "").strip():
            continue
        out.add("a11y.img.alt_missing", img.get("src") or _describe(img))


def _links(root: etree._Element, ids: dict, out: PageAudit) -> None:
    for a in root.iter("a"):
        if a.get("href") is None or _hidden(a):
            continue
        name = ((a.get("aria-label") or "").strip() or _labelledby(a, ids) or _content_name(a, ids)
                or (a.get("title") or "").strip())
        if not name:
            out.add("a11y.link.name_missing", a.get("href") or _describe(a))


def _fields(root: etree._Element, ids: dict, out: PageAudit) -> None:
    labels_for = {}
    for label in root.iter("label"):
        if label.get("for"):
            labels_for.setdefault(label.get("for"), []).append(label)
    for el in root.iter("input", "select", "textarea"):
        if el.tag == "input" and (el.get("type") or "text").strip().lower() in NO_LABEL_INPUT_TYPES:
            continue
        if _hidden(el) or (el.get("role") or "").strip().lower() in PRESENTATIONAL:
            continue
        if (el.get("aria-label") or "").strip() or _labelledby(el, ids) or (el.get("title") or "").strip() \
                or (el.get("placeholder") or "").strip():
            continue
        if any(_text(lb) for lb in labels_for.get(el.get("id") or "", [])):
            continue
        wrapping = next((p for p in el.iterancestors("label")), None)
        if wrapping is not None and _text(wrapping):
            continue
        out.add("a11y.form.label_missing", _describe(el))


def _headings(root: etree._Element, out: PageAudit) -> None:
    """A heading more than one level deeper than the heading before it (h2 -> h4)."""
    previous = None
    for el in root.iter(*HEADINGS):
        if _hidden(el):
            continue
        level = HEADINGS[el.tag]
        if previous is not None and level > previous + 1:
            out.add("a11y.heading.order", f"<{el.tag}> {_text(el)[:60]} setelah <h{previous}>")
        previous = level


def _rows(table: etree._Element) -> Iterable[etree._Element]:
    """The table's own rows (not those of nested tables)."""
    for child in table:
        if child.tag == "tr":
            yield child
        elif child.tag in ("thead", "tbody", "tfoot"):
            yield from (tr for tr in child if tr.tag == "tr")


def _tables(root: etree._Element, out: PageAudit) -> None:
    """A data table larger than 3 x 3 with a non-empty data cell that no header cell describes (a header
    in its row or column, or a `headers` attribute)."""
    for table in root.iter("table"):
        if _hidden(table) or (table.get("role") or "").strip().lower() in PRESENTATIONAL:
            continue
        grid = [[c for c in tr if c.tag in ("td", "th")] for tr in _rows(table)]
        if len(grid) < 3 or max((len(r) for r in grid), default=0) < 3 or not _is_data_table(table, grid):
            continue
        missing = any(c.tag == "td" and _text(c) and not c.get("headers")
                      and not any(r[k].tag == "th" for k in range(len(r)))
                      and not any(j < len(row) and row[j].tag == "th" for row in grid)
                      for r in grid for j, c in enumerate(r))
        if missing:
            out.add("a11y.table.headers_missing", _describe(table))


def _is_data_table(table: etree._Element, grid: list[list[etree._Element]]) -> bool:
    """The markup part of the data-vs-layout heuristic assistive technology uses (and axe-core's
    `isDataTable`): captions, header cells, header attributes, column groups, many columns or rows make a
    data table; a nested table or a small grid with none of these is layout."""
    if table.find("caption") is not None or table.get("summary") or any(
            table.find(t) is not None for t in ("thead", "tfoot", "col", "colgroup")):
        return True
    cells = [c for r in grid for c in r]
    if any(c.tag == "th" or c.get("headers") or c.get("scope") or c.get("abbr") for c in cells):
        return True
    if any(True for _ in table.iterdescendants("table")):
        return False
    return len(grid) >= 20 or len(grid[0]) >= 5
