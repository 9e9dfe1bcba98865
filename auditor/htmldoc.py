"""One parse per page: the lxml.html tree that the crawler and every check share (`Page.document`).

Chosen by `bench/html_parsers.py` (lxml.html against BeautifulSoup over lxml and selectolax; figures in
docs/ARCHITECTURE.md "Parse once"). The tree is shared, so consumers only READ it: never remove, clear or
re-parent elements (walk around what you want to skip, as `visible_text` does).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

# lxml.etree's HTML parser, not lxml.html's: plain elements skip lxml.html's per-element class lookup,
# which cost a third of a tree walk in `bench/audit.py`'s profile.
_PARSER = etree.HTMLParser(encoding="utf-8", no_network=True)
_WS = re.compile(r"\s+")
# Elements whose content no visitor reads as text.
HIDDEN_TAGS = frozenset({"script", "style", "noscript", "template", "svg"})


def parse_document(text: str) -> etree._Element | None:
    """The document tree of an HTML text, or None when there is nothing to parse (empty, binary junk).

    Encoded to UTF-8 bytes with the parser told so: lxml refuses `str` input carrying an XML encoding
    declaration, and a declared charset in <meta> must not make it decode the bytes a second time.
    """
    if not text or not text.strip():
        return None
    try:
        return etree.fromstring(text.encode("utf-8", "replace"), parser=_PARSER)
    except (etree.ParserError, ValueError, etree.XMLSyntaxError):
        return None


def collapse(text: str | None) -> str:
    return _WS.sub(" ", text or "").strip()


def text_of(el: etree._Element, sep: str = " ") -> str:
    """The element's text content, pieces joined with `sep` and whitespace collapsed."""
    return collapse(sep.join(el.itertext()))


def iter_visible(root: etree._Element, skip: frozenset[str] = HIDDEN_TAGS) -> Iterator[etree._Element]:
    """Every element in document order except those inside `skip` tags (without changing the tree)."""
    stack = [root]
    while stack:
        el = stack.pop()
        yield el
        if isinstance(el.tag, str) and el.tag in skip:
            continue
        stack.extend(reversed(el))


def visible_text(root: etree._Element, skip: frozenset[str] = HIDDEN_TAGS) -> str:
    """The page's readable text: every text piece outside `skip` tags (and comments), each stripped, joined
    with one space (what BeautifulSoup's `get_text(" ", strip=True)` gave after dropping those tags).
    One XPath evaluation in C: a Python walk over the tree cost as much as the rest of the content check."""
    pieces = _texts_outside(skip)(root)
    return " ".join(p for p in map(str.strip, pieces) if p)


_XPATHS: dict[frozenset[str], etree.XPath] = {}


def under(tags: frozenset[str]) -> str:
    """XPath condition: the context node has an ancestor among `tags`. `ancestor::a or ancestor::b` rather than
    `ancestor::*[self::a or self::b]`: the same nodes, six times faster in libxml2 (no per-ancestor
    predicate), which made `visible_text` the largest part of the content check."""
    return " or ".join(f"ancestor::{t}" for t in sorted(tags))


def _texts_outside(skip: frozenset[str]) -> etree.XPath:
    xp = _XPATHS.get(skip)
    if xp is None:
        xp = _XPATHS[skip] = etree.XPath(f"descendant-or-self::text()[not({under(skip)})]", smart_strings=False)
    return xp
