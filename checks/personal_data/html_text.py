"""The text of an HTML page as the personal-data scanner reads it, from the page's shared tree.

Visible text, table cells with their headers, attribute values and comments (readable in the page source
by anyone). The tree is `Page.document`, shared with the crawler and the other checks: it is only read,
never changed (script/style content and the tables already read are walked around, not removed).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from auditor.htmldoc import parse_document, under
from checks.personal_data.limits import Budget, Chunk
from checks.personal_data.tables import table_chunks

_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg"})
_BLOCK_TAGS = frozenset({
    "p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header",
    "footer", "table", "ul", "ol", "dd", "dt", "pre", "blockquote", "option", "label", "address", "figcaption",
    "caption", "nav", "aside"})
_ATTRS = ("alt", "title", "value", "placeholder", "content", "aria-label", "label", "data-original-title")
_SPACES = re.compile(" {2,}")


def _one_space(text: str) -> str:
    """Each run of [ \\t\\r\\f\\v] as one space: the other four become spaces (`str.replace`, in C), then
    runs of spaces are collapsed, only where there are any (`re.sub` over every space was slow)."""
    for c in "\t\r\f\v":
        if c in text:
            text = text.replace(c, " ")
    return _SPACES.sub(" ", text) if "  " in text else text


_HIDDEN = under(_SKIP_TAGS)
# Tables outside skipped tags, in document order; and whether a table holds such a table (a layout table).
_TABLES = etree.XPath(f"descendant-or-self::table[not({_HIDDEN})]")
_INNER_TABLE = etree.XPath(f"boolean(descendant::table[not({_HIDDEN})])")


def _cell_text(cell: etree._Element) -> str:
    """text_content() without what skipped tags hold (their tails stay), whitespace collapsed."""
    parts: list[str] = []
    stack: list[tuple[etree._Element, bool]] = [(cell, False)]
    while stack:
        el, closing = stack.pop()
        if closing:
            if el.tail and el is not cell:
                parts.append(el.tail)
            continue
        stack.append((el, True))
        if not isinstance(el.tag, str) or el.tag in _SKIP_TAGS:
            continue  # comments are not text either
        if el.text:
            parts.append(el.text)
        stack.extend((child, False) for child in reversed(el))
    return " ".join("".join(parts).split())


def html_chunks(text: str, budget: Budget, root: etree._Element | None = None) -> Iterator[Chunk]:
    """Chunks of one HTML page; `root` is its already parsed tree (parsed here from `text` if absent)."""
    budget.add_text(text)
    if root is None:
        root = parse_document(text)
    if root is None:
        yield Chunk(text, "", by_line=True)
        return
    read_tables: set[etree._Element] = set()  # references held: lxml proxies keep their identity
    for t, table in enumerate(_TABLES(root), 1):
        if _INNER_TABLE(table):
            continue  # layout table around tables: its inner tables are handled on their own
        rows = [[_cell_text(cell) for cell in tr if cell.tag in ("td", "th")] for tr in table.iter("tr")]
        yield from table_chunks(rows, lambda r, c, t=t: f"tabel {t} baris {r + 1}", budget)
        read_tables.add(table)
    attrs: list[str] = []
    parts: list[str] = []
    comments: list[str] = []
    # lxml drives the walk (`iterwalk`, skipping subtrees in C); per element only what it needs.
    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        if event == "start":
            if el in read_tables:
                parts.append("\n")  # its cells were chunked above
                walker.skip_subtree()
                continue
            for k, v in el.items():  # most elements: a class or a plain link, nothing kept
                if k in _KEPT or k.startswith("data-") or (
                        k == "href" and ((v[:1] in "mMtT" and v[:7].lower() in _PHONE_LINKS) or "wa.me/" in v)):
                    _collect_attrs(el, attrs)
                    break
            tag = el.tag
            if tag in _BLOCK_TAGS:
                parts.append("\n")
            if tag in _SKIP_TAGS:
                walker.skip_subtree()
                continue
            text = el.text
            if text:
                parts.append(text)
        elif event == "end":
            text = el.tail
            if text and el is not root:
                parts.append(text)
        else:  # a comment or processing instruction: its text is no page text, its tail is
            if event == "comment" and el.text:
                comments.append(el.text)
            text = el.tail
            if text:
                parts.append(text)
    yield Chunk(_one_space("".join(parts)), "teks", by_line=True)
    if attrs:
        yield Chunk("\n".join(attrs), "atribut HTML")
    if comments:
        yield Chunk("\n".join(comments), "komentar HTML")


_KEPT = frozenset(_ATTRS)
_PHONE_LINKS = ("mailto:", "tel:+62", "tel:08")


def _collect_attrs(el: etree._Element, attrs: list[str]) -> None:
    items = el.items()
    if not items:
        return
    a = dict(items)
    attrs.extend(v for name in _ATTRS if (v := a.get(name)))
    href = a.get("href") or ""
    if href[:7].lower() in _PHONE_LINKS or "wa.me/" in href:
        attrs.append(href.split(":", 1)[-1].split("?")[0])
    attrs.extend(v for k, v in items if k.startswith("data-") and v and len(v) < 200)
