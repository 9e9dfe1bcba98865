"""What an Information Commission evaluator looks for beyond single items: the PPID menu and the annual
public-information service report. Pure functions over the crawl snapshot and the content candidates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urljoin, urlsplit

from auditor.snapshot import Link, Page, Site
from checks.content.mandatory import MandatoryEntry
from checks.content.matching import Candidate, find_matches, same_url, url_key

# What the PPID section must reach within two clicks from the site's navigation (ids of mandatory.yaml).
MENU_TARGETS = ("daftar-informasi-publik", "daftar-informasi-dikecualikan", "sop-ppid", "formulir-permohonan",
                "formulir-keberatan")
ANNUAL_REPORT_ID = "laporan-layanan-informasi"
# Navigation containers: semantic elements and the menu/nav classes themes use (WordPress, OpenSID).
_NAV_XPATH = ("//nav | //header | //footer | //*[@role='navigation'] | "
              "//*[contains(concat(' ', normalize-space(@class), ' '), ' menu') or contains(@id, 'menu') or "
              "contains(concat(' ', normalize-space(@class), ' '), ' nav') or contains(@id, 'nav')]")
_PPID = re.compile(r"\bppid\b|\binformasi publik\b|pejabat pengelola informasi")


@dataclass
class MenuResult:
    ppid_url: str | None = None  # the PPID section the navigation links to
    found: dict[str, str] = field(default_factory=dict)  # target id -> URL reached within two clicks
    missing: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "missing" if self.ppid_url is None else ("incomplete" if self.missing else "ok")


def nav_links(page: Page) -> list[Link]:
    """Links inside the page's navigation (header, footer, nav and menu containers), in page order."""
    root = page.document if page.ok else None  # the page's shared parse: read, never changed
    if root is None:
        return []
    base = page.final_url or page.url
    base_tag = next((b for b in root.iter("base") if b.get("href")), None)
    if base_tag is not None:
        base = urljoin(base, base_tag.get("href").strip())
    seen: set[str] = set()
    out: list[Link] = []
    for container in root.xpath(_NAV_XPATH):
        for a in container.iter("a"):
            raw = a.get("href")
            href = urljoin(base, raw.strip()).split("#")[0] if raw is not None else ""
            if href.startswith(("http://", "https://")) and href not in seen:
                seen.add(href)
                out.append(Link(href, " ".join("".join(a.itertext()).split()), "a"))
    return out


def _ppid_link(links: Iterable[Link], home: str) -> Link | None:
    """The navigation entry of the PPID section: "PPID" itself first, then an entry naming PPID or public
    information; never the home page (a site title "PPID Kalurahan ..." links home)."""
    def rank(lk: Link) -> int:
        text = " ".join(lk.text.lower().split())
        path = urlsplit(lk.url).path.lower().rstrip("/")
        return 0 if text == "ppid" or path.endswith("/ppid") else 1 if text.startswith("ppid") else 2

    ranked = [(rank(lk), i, lk) for i, lk in enumerate(links) if not same_url(lk.url, home)
              and (_PPID.search(" ".join(lk.text.lower().split())) or re.search(r"\bppid\b", lk.url.lower()))]
    return min(ranked, key=lambda r: r[:2])[2] if ranked else None


def ppid_menu(site: Site, candidates: list[Candidate], entries: dict[str, MandatoryEntry],
              min_score: float = 0.6) -> MenuResult:
    """Does the start page's navigation link to a PPID section that reaches the DIP, the DIK, the SOPs and
    the forms within two clicks (a menu entry, or a link on the PPID page)?"""
    start = site.start_page
    result = MenuResult()
    menu = nav_links(start) if start else []
    ppid = _ppid_link(menu, start.final_url or start.url) if start else None
    if ppid is None:
        result.missing = [t for t in MENU_TARGETS if t in entries]
        return result
    result.ppid_url = ppid.url
    ppid_page = site.get(ppid.url)
    reachable = list(menu) + (list(ppid_page.links) if ppid_page is not None else [])
    urls = {lk.url for lk in reachable} | {ppid.url}
    keys = {url_key(u) for u in urls}  # `same_url` against each of them, as one set lookup
    near = [c for c in candidates if url_key(c.url) in keys or url_key(c.resource.url) in keys]
    for target in MENU_TARGETS:
        entry = entries.get(target)
        if entry is None:
            continue  # switched off for this site
        matches = find_matches(entry.match, near, min_score=min_score)
        if matches:
            result.found[target] = matches[0].candidate.url
            continue
        # a link whose target was not fetched (outside the crawl) still counts by its text
        by_text = next((lk for lk in reachable if find_matches(entry.match, [_text_candidate(lk)], min_score=min_score)),
                       None)
        if by_text is not None:
            result.found[target] = by_text.url
        else:
            result.missing.append(target)
    return result


def _text_candidate(link: Link) -> Candidate:
    return Candidate(Page(link.url), [("teks tautan", link.text), ("alamat", link.url.rsplit("/", 1)[-1])])


@dataclass
class AnnualReport:
    year: int  # the year the report covers
    deadline: date
    status: str  # "ok", "late", "missing", "not_due" (before the deadline and not yet found)
    url: str | None = None
    published: date | None = None
    source: str = ""  # where the publication date comes from


def annual_report(today: date, deadline_mmdd: str, entry: MandatoryEntry | None, candidates: list[Candidate],
                  published_on: Callable[[Page], tuple[date, str] | None], min_score: float = 0.6) -> AnnualReport | None:
    """The report on last year's service, due `deadline_mmdd` (default 03-31, three months after the
    budget year). A candidate counts when it names the report and the year it covers."""
    if entry is None:
        return None
    year = today.year - 1
    month, day = (int(x) for x in deadline_mmdd.split("-"))
    deadline = date(today.year, month, day)
    for m in find_matches(entry.match, candidates, min_score=min_score):
        if not any(str(year) in text for _where, text in m.candidate.texts):
            continue
        when = published_on(m.candidate.resource)
        if when is None:
            return AnnualReport(year, deadline, "ok", m.candidate.url)
        status = "late" if when[0] > deadline else "ok"
        return AnnualReport(year, deadline, status, m.candidate.url, when[0], when[1])
    return AnnualReport(year, deadline, "not_due" if today <= deadline else "missing")
