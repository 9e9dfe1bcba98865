"""What the header check needs from a page body: scripts, <meta> policies and sub-resource URLs."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from auditor.htmldoc import parse_document

# tag -> attributes holding a URL the browser loads as part of the page (mixed content when http:)
SUBRESOURCE_ATTRS: dict[str, tuple[str, ...]] = {
    "script": ("src",), "img": ("src",), "iframe": ("src",), "frame": ("src",), "audio": ("src",),
    "video": ("src", "poster"), "source": ("src",), "track": ("src",), "embed": ("src",),
    "object": ("data",), "input": ("src",),
}
_READ_TAGS = tuple(dict.fromkeys(("script", "meta", "link", "form", *SUBRESOURCE_ATTRS)))
LINK_RELS_LOADED = {"stylesheet", "icon", "preload", "modulepreload", "manifest", "apple-touch-icon"}


@dataclass
class Script:
    src: str | None  # attribute value as written (None: inline script)
    integrity: str | None
    crossorigin: str | None


@dataclass
class PageMarkup:
    scripts: list[Script] = field(default_factory=list)
    meta_csp: list[str] = field(default_factory=list)
    meta_referrer: str | None = None
    subresources: list[tuple[str, str]] = field(default_factory=list)  # (tag, url as written)
    form_actions: list[str] = field(default_factory=list)


def markup_of(root: etree._Element | None) -> PageMarkup:
    """Read from a page's shared tree (`Page.document`); None gives empty markup."""
    out = PageMarkup()
    if root is None:
        return out
    for el in root.iter(*_READ_TAGS):  # lxml picks the few tags read here (a Python loop over all was slow)
        tag = el.tag
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


def parse_markup(text: str) -> PageMarkup:
    """`markup_of` an HTML text that is not a snapshot page (a probe's response)."""
    return markup_of(parse_document(text))
