"""What the header check needs from a page body: scripts, <meta> policies and sub-resource URLs."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

# tag -> attributes holding a URL the browser loads as part of the page (mixed content when http:)
SUBRESOURCE_ATTRS: dict[str, tuple[str, ...]] = {
    "script": ("src",), "img": ("src",), "iframe": ("src",), "frame": ("src",), "audio": ("src",),
    "video": ("src", "poster"), "source": ("src",), "track": ("src",), "embed": ("src",),
    "object": ("data",), "input": ("src",),
}
_LINK_RELS_LOADED = {"stylesheet", "icon", "preload", "modulepreload", "manifest", "apple-touch-icon"}


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


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = PageMarkup()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a: dict[str, str] = {}
        for k, v in attrs:
            a.setdefault(k.lower(), v if v is not None else "")
        if tag == "script":
            self.out.scripts.append(Script(a.get("src"), a.get("integrity"), a.get("crossorigin")))
        elif tag == "meta":
            equiv = a.get("http-equiv")
            content = a.get("content")
            if equiv is not None and content is not None:
                if equiv.strip().lower() == "content-security-policy" and content:
                    self.out.meta_csp.append(content)
            elif (a.get("name") or "").strip().lower() == "referrer" and content:
                self.out.meta_referrer = content
        elif tag == "link":
            rels = set((a.get("rel") or "").lower().split())
            if rels & _LINK_RELS_LOADED and a.get("href"):
                self.out.subresources.append(("link", a["href"]))
        elif tag == "form" and a.get("action"):
            self.out.form_actions.append(a["action"])
        for attr in SUBRESOURCE_ATTRS.get(tag, ()):
            if a.get(attr):
                self.out.subresources.append((tag, a[attr]))

    handle_startendtag = handle_starttag


def parse_markup(text: str) -> PageMarkup:
    p = _Parser()
    try:
        p.feed(text)
        p.close()
    except Exception:  # html.parser is forgiving, but a hostile page must never stop the check
        pass
    return p.out
