"""The `content` check: freshness and completeness against the approved list (SOP A1/A2).

Rules: `content.item.missing`, `content.item.stale`, `content.list.expired` (list approved more than
3 months ago), `content.site.stale` (nothing added or updated for over a month), `content.mandatory.missing`
(Perki 1/2018 and UU 14/2008). Each item's status goes to `facts["items"]` for the compliance table.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from pydantic import Field

from auditor.snapshot import Page
from checks.base import Check, CheckConfig, CheckContext, CheckResult, Finding
from checks.content import compliance, ppid
from checks.content import mandatory as mandatory_mod
from checks.content.daftar import CADENCE_MONTHS, Daftar, DaftarError, Item, load_daftar
from checks.content.dates import add_months
from checks.content.evidence import Evidence, SiteHints, best, conflicts, resource_evidence
from checks.content.matching import Candidate, build_candidates, find_matches, same_url, tied, url_key
from checks.content.records import RULEBOOK
from checks.content.sources import collect_hints
from checks.facts import ContentFacts, ItemStatus
from checks.rules import RuleBook

# Scoring tables as data.


class ContentConfig(CheckConfig):
    grace_days: int = Field(7, ge=0)  # added to every cadence before an item counts as stale
    list_max_age_months: int = Field(3, ge=1)  # SOP A1: the list is approved at least every 3 months
    site_stale_months: int = Field(1, ge=1)  # SOP A2: content uploaded/updated every month
    mandatory: bool = True
    # Items of checks/content/mandatory.yaml switched off or added for every site, and per site name.
    mandatory_disable: list[str] = []
    mandatory_extra: list[mandatory_mod.ExtraItem] = []
    sites: dict[str, mandatory_mod.SiteMandatory] = {}
    annual_report_deadline: str = Field("03-31", pattern=r"^\d\d-\d\d$")  # MM-DD after the year it covers
    remote_sources: bool = True  # read WordPress REST / feeds not already in the snapshot
    min_match_score: float = Field(0.6, ge=0, le=1.2)


class ContentCheck(Check[ContentConfig]):
    name = "content"
    description = "Freshness and completeness against the approved content list (Daftar Informasi Publik)"
    config_model = ContentConfig
    facts_model = ContentFacts
    area = "content"
    # the list and item rules (records.py) and those of the site's own /ppid list (ppid.py)
    rulebook = RuleBook("content", [*RULEBOOK.values(), *ppid.RULES])
    separate_process = True  # reads the snapshot, changes nothing shared; its few fetches need no shared client

    def run(self, ctx: CheckContext) -> CheckResult:
        cfg = self.config(ctx)
        run = _Run(self, ctx, cfg)
        return run.execute()


class _Run:
    """State of one run of the check (evidence is computed once per resource)."""

    def __init__(self, check: ContentCheck, ctx: CheckContext, cfg: ContentConfig):
        self.check, self.ctx, self.cfg = check, ctx, cfg
        self.today: date = ctx.now().date()
        self.result = CheckResult()
        self.notes: list[str] = []
        self.errors: list[str] = []
        self._evidence: dict[int, list[Evidence]] = {}
        prev = ctx.previous_facts if isinstance(ctx.previous_facts, ContentFacts) else ContentFacts()
        self.history_since = prev.history_since or self.today
        self.prev_items = {i.id: i for i in prev.items}
        self.list_info: dict[str, Any] | None = None
        self.hints = SiteHints({}, {}, {})
        self.candidates: list[Candidate] = []
        self.dip: ppid.Dip | None = None
        self.dip_resources: list[Page] = []
        self._by_url_key: dict[str, Page] | None = None

    # -- plumbing -------------------------------------------------------------------------------------
    def guarded(self, what: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as exc:  # one failing part must not stop the others
            self.ctx.log.warning("content: %s failed: %s", what, exc)
            self.ctx.log.debug("content: %s traceback", what, exc_info=True)
            self.errors.append(f"{what}: {type(exc).__name__}: {exc}")
            return None

    def add(self, rule: str, case: str | None = None, **kw: Any) -> Finding:
        """A finding of `rule` at its record's severity (or the record's `case`)."""
        f = self.check.finding_from(rule, case=case, **kw)
        self.result.findings.append(f)
        return f

    def evidence(self, res: Page) -> list[Evidence]:
        key = id(res)
        if key not in self._evidence:
            ev = self.guarded(f"evidence {res.url}",
                              lambda: resource_evidence(res, self.hints, today=self.today)) or []
            # A page first seen on the first day we watched the site only says it already existed.
            ev = [e for e in ev if not (e.source == "history_first_seen" and e.date <= self.history_since)]
            self._evidence[key] = ev
        return self._evidence[key]

    # -- the run ----------------------------------------------------------------------------------------
    def execute(self) -> CheckResult:
        site = self.ctx.site
        self.hints = self.guarded("date sources", lambda: collect_hints(
            site, self.ctx.http, self.ctx.log, remote=self.cfg.remote_sources)) or SiteHints({}, {}, {})
        if not self.cfg.remote_sources:
            self.notes.append("remote date sources disabled")
        self.candidates = self.guarded("matching index", build_candidates, site) or []
        self.dip = self.guarded("ppid", lambda: ppid.read(site, self.ctx.http, self.ctx.log,
                                                          remote=self.cfg.remote_sources))
        if self.dip is not None:
            self.hints.ppid_api.update(ppid.dates(self.dip))
            self.dip_resources = ppid.resources(self.dip)
            self.notes.append(f"the site publishes its own public information list at {self.dip.url}: "
                              f"{len(self.dip.docs)} documents, {len(self.dip.published)} published")
            self.candidates += [Candidate(r, [("nama dokumen (DIP /ppid)", r.title)]) for r in self.dip_resources]
            self.result.findings += self.guarded(
                "ppid findings", lambda: ppid.findings(self.check, self.dip, self.ctx.http)) or []
        daftar = self.load_list()
        items: list[dict[str, Any]] = []
        if daftar is not None:
            self.guarded("list.expired", self.list_expired, daftar)
            for item in daftar.items:
                row = self.guarded(f"item {item.id}", self.evaluate_item, item)
                if row is not None:
                    items.append(row)
        latest = self.guarded("site.stale", self.site_stale)
        mandatory_rows = self.guarded("mandatory", self.mandatory) if self.cfg.mandatory else None
        ppid_menu = annual = None
        if self.cfg.mandatory:
            ppid_menu = self.guarded("ppid menu", self.ppid_menu, mandatory_rows or [])
            annual = self.guarded("annual report", self.annual_report)
        self.result.facts = ContentFacts(
            approved_list=self.list_info, items=items, latest_update=latest, mandatory=mandatory_rows or [],
            ppid_menu=ppid_menu, annual_report=annual, dip=ppid.facts(self.dip) if self.dip is not None else None,
            history_since=self.history_since, today=self.today, notes=self.notes, errors=self.errors,
            summary={s: sum(1 for i in items if i["status"] == s) for s in ItemStatus})
        return self.result

    def load_list(self) -> Daftar | None:
        path = getattr(self.ctx.site_config, "approved_content", None)
        site_url = self.ctx.site.url
        if not path:
            self.notes.append("no approved_content list configured: only site.stale and mandatory.missing run")
            self.add("content.list.expired", "no_list", variant="no-list", url=site_url, key="no-list",
                     evidence="sites[].approved_content kosong: kelengkapan dan kesegaran tiap informasi tidak "
                              "dapat diperiksa")
            return None
        full = Path(path)
        if not full.is_absolute():
            full = Path(self.ctx.base_dir) / full
        self.list_info = {"path": str(path)}
        try:
            daftar = load_daftar(full)
        except DaftarError as exc:
            self.errors.append(str(exc))
            self.add("content.list.expired", variant="unreadable-list", url=site_url,
                     key="unreadable-list", evidence=str(exc))
            return None
        self.list_info.update({
            "approved_by": daftar.approved_by,
            "approved_on": daftar.approved_on.isoformat() if daftar.approved_on else None,
            "items": len(daftar.items)})
        return daftar

    def list_expired(self, daftar: Daftar) -> None:
        site_url = self.ctx.site.url
        months = self.cfg.list_max_age_months
        if self.list_info is None:
            self.list_info = {"path": ""}
        info = self.list_info
        if daftar.approved_on is None:
            info["expired"] = True
            self.add("content.list.expired", variant="no-date", fmt={"months": months},
                     url=site_url, key="no-date", evidence="approved_on kosong")
            return
        expires = add_months(daftar.approved_on, months)
        info["expires_on"] = expires.isoformat()
        info["expired"] = self.today > expires
        if self.today > expires:
            age = (self.today - daftar.approved_on).days
            self.add("content.list.expired",
                     fmt={"approved_on": daftar.approved_on.isoformat(), "months": months},
                     url=site_url, key="expired",
                     evidence=f"approved_on {daftar.approved_on.isoformat()} ({age} hari); berlaku s.d. "
                              f"{expires.isoformat()}; disetujui oleh: {daftar.approved_by or '-'}",
                     data={"approved_on": daftar.approved_on.isoformat(),
                                                 "expires_on": expires.isoformat()})

    # -- items ------------------------------------------------------------------------------------------
    def locate(self, item: Item) -> tuple[Page | None, dict[str, Any]]:
        info: dict[str, Any] = {"matched_by": None, "ambiguous": False, "candidates": [], "moved": False}
        site = self.ctx.site
        if item.url:
            target = urljoin(site.url, item.url)
            info["configured_url"] = target
            res = self.by_url_key().get(url_key(target))
            if res is None:
                info["url_problem"] = "tidak ditemukan saat crawl"
            elif res.ok:
                info["matched_by"] = "url"
                if res.final_url and not same_url(res.final_url, target):
                    info["moved"] = True
                return res, info
            else:
                info["url_problem"] = f"HTTP {res.status}" if res.status else (res.error or "tidak terjangkau")
        matches = find_matches(item.patterns(), self.candidates, min_score=self.cfg.min_match_score)
        group = tied(matches)
        if not group:
            return None, info
        info["matched_by"] = "match" if item.match else "title"
        info["match_text"] = f'{group[0].where}: "{group[0].text[:100]}"'
        if item.url:
            info["moved"] = True
        if len(group) > 1:
            info["ambiguous"] = True
            info["candidates"] = [m.candidate.url for m in group]
            # Benefit of the doubt: the freshest of the indistinguishable candidates counts.
            def freshness(m: Any) -> date:
                b = best(self.evidence(m.candidate.resource))
                return b.date if b else date.min
            chosen = max(group, key=freshness)
            return chosen.candidate.resource, info
        return group[0].candidate.resource, info

    def by_url_key(self) -> dict[str, Page]:
        """`url_key` -> the first resource (crawl order) whose URL or final URL has it: an item's configured
        URL is looked up here instead of compared with every resource."""
        if self._by_url_key is None:
            self._by_url_key = {}
            for res in self.ctx.site.all_resources():
                for u in (res.url, res.final_url):
                    if u:
                        self._by_url_key.setdefault(url_key(u), res)
        return self._by_url_key

    def evaluate_item(self, item: Item) -> dict[str, Any]:
        row: dict[str, Any] = {"id": item.id, "title": item.title, "category": item.category,
                               "cadence": item.cadence, "responsible": item.responsible,
                               "matched_url": None, "last_updated": None, "date_source": None,
                               "date_detail": None, "due": None, "status": ItemStatus.UNKNOWN}
        res, info = self.locate(item)
        row.update(info)
        if item.category == "dikecualikan":
            row["status"] = ItemStatus.EXCLUDED
            row["matched_url"] = (res.final_url or res.url) if res else None
            if res is not None:
                self.notes.append(f"item {item.id} is 'dikecualikan' but appears published at {row['matched_url']}")
            return row
        if res is None:
            return self.missing(item, row)
        url = res.final_url or res.url
        row["matched_url"] = url
        ev = self.evidence(res)
        chosen = best(ev)
        if chosen is not None:
            row.update(last_updated=chosen.date.isoformat(), date_source=chosen.source, date_detail=chosen.detail)
            row["conflicts"] = [e.to_json() for e in conflicts(ev, chosen)]
        months = CADENCE_MONTHS[item.cadence]
        if months is None:
            row["status"] = ItemStatus.OK
            return row
        if chosen is None:
            row["status"] = ItemStatus.UNKNOWN
            return row
        due = add_months(chosen.date, months) + timedelta(days=self.cfg.grace_days)
        row["due"] = due.isoformat()
        if self.today <= due:
            row["status"] = ItemStatus.OK
            return row
        row["status"] = ItemStatus.STALE
        long_overdue = self.today > add_months(chosen.date, 2 * months) + timedelta(days=self.cfg.grace_days)
        days = (self.today - chosen.date).days
        self.add("content.item.stale", "long_overdue" if long_overdue else None,
                 fmt={"title": item.title, "last": chosen.date.isoformat(), "cadence": item.cadence,
                      "cadence_id": _cadence_id(item.cadence),
                      "responsible": f" (penanggung jawab: {item.responsible})" if item.responsible else ""},
                 url=url, key=item.id,
                 evidence=f"pembaruan terakhir {chosen.date.isoformat()} ({days} hari) menurut {chosen.source}: "
                          f"{chosen.detail}; batas {due.isoformat()} (jadwal + {self.cfg.grace_days} hari)",
                 confidence="medium" if chosen.source.startswith("history") else "high",
                 data={"item": item.id, "last_updated": chosen.date.isoformat(), "date_source": chosen.source,
                       "due": due.isoformat(), "ambiguous": info["ambiguous"]})
        return row

    def missing(self, item: Item, row: dict[str, Any]) -> dict[str, Any]:
        row["status"] = ItemStatus.MISSING
        prev = self.prev_items.get(item.id)
        since = prev.missing_since if prev is not None and prev.status is ItemStatus.MISSING else None
        row["missing_since"] = (since or self.today).isoformat()
        where = row.get("configured_url") or self.ctx.site.url
        looked = f"URL {row['configured_url']}: {row.get('url_problem')}; " if row.get("configured_url") else ""
        self.add("content.item.missing", "serta_merta" if item.category == "serta_merta" else None,
                 fmt={"title": item.title, "category": item.category}, url=where, key=item.id,
                 evidence=f"{looked}dicari: {'; '.join(item.patterns())} (judul halaman, judul bagian, teks tautan, "
                          f"nama dokumen); hilang sejak {row['missing_since']}",
                 data={"item": item.id, "category": item.category})
        return row

    # -- site-wide ----------------------------------------------------------------------------------------
    def site_stale(self) -> dict[str, Any] | None:
        latest: Evidence | None = None
        for res in [*self.ctx.site.all_resources(), *self.dip_resources]:
            if not res.ok:
                continue
            b = best(self.evidence(res))
            if b is not None and (latest is None or b.date > latest.date):
                latest = b
        if latest is None:
            self.notes.append("site.stale: no dated evidence on any page or document")
            return None
        months = self.cfg.site_stale_months
        limit = add_months(latest.date, months)
        out = {**latest.to_json(), "stale": self.today > limit}
        if self.today > limit:
            self.add("content.site.stale",
                     fmt={"months": months, "last": latest.date.isoformat()},
                     url=self.ctx.site.url, key="site-stale",
                     evidence=f"pembaruan terakhir {latest.date.isoformat()} di {latest.url} menurut "
                              f"{latest.source}: {latest.detail}",
                     data={"latest_update": latest.date.isoformat(), "source": latest.source})
        return out

    def mandatory_changes(self) -> list[mandatory_mod.SiteMandatory]:
        changes = [mandatory_mod.SiteMandatory(disable=self.cfg.mandatory_disable, extra=self.cfg.mandatory_extra)]
        site = self.cfg.sites.get(getattr(self.ctx.site_config, "name", ""))
        return changes + ([site] if site else [])

    def mandatory(self) -> list[dict[str, Any]]:
        rows = []
        changes = self.mandatory_changes()
        for bad in mandatory_mod.unknown_ids(changes):
            self.notes.append(f"mandatory_disable: no item {bad!r} in mandatory.yaml (ignored)")
        for entry in mandatory_mod.entries(changes):
            if entry.id == compliance.ANNUAL_REPORT_ID:
                continue  # judged per year and deadline by `annual_report`
            matches = find_matches(entry.match, self.candidates, min_score=self.cfg.min_match_score)
            found = matches[0].candidate.url if matches else None
            rows.append({"id": entry.id, "title": entry.title, "title_en": entry.title_en, "basis": entry.basis,
                         "basis_check": entry.basis_check, "found_url": found,
                         "status": ItemStatus.OK if found else ItemStatus.MISSING})
            if found:
                continue
            basis = "; ".join(entry.basis) + (" (rujukan sekunder)" if entry.secondary else "")
            self.add("content.mandatory.missing",
                     fmt={"title": entry.title, "title_en": entry.title_en or entry.title, "basis": basis},
                     url=self.ctx.site.url, key=entry.id,
                     evidence=f"dasar: {basis}; dicari pada judul, judul bagian, teks tautan dan nama dokumen: "
                              f"{'; '.join(entry.match)}",
                     references=list(entry.basis), data={"mandatory": entry.id})
        return rows


    def ppid_menu(self, mandatory_rows: list[dict[str, Any]]) -> dict[str, Any]:
        """The PPID section in the navigation, reaching the DIP, DIK, SOPs and forms within two clicks. An
        item not published at all is `mandatory.missing`; the menu rule names only what exists elsewhere."""
        entries = {e.id: e for e in mandatory_mod.entries(self.mandatory_changes())}
        menu = compliance.ppid_menu(self.ctx.site, self.candidates, entries, self.cfg.min_match_score)
        published = {r["id"] for r in mandatory_rows if r["status"] == "ok"}
        unreached = [t for t in menu.missing if t in published]
        names = "; ".join(entries[t].title for t in unreached)
        names_en = "; ".join(entries[t].title_en or entries[t].title for t in unreached)
        if menu.ppid_url is None:
            self.add("content.ppid_menu.missing", url=self.ctx.site.url, key="menu",
                     evidence="navigasi halaman depan tidak menautkan halaman PPID / Informasi Publik",
                     data={"missing": [t for t in compliance.MENU_TARGETS if t in entries]})
        elif unreached:
            self.add("content.ppid_menu.incomplete",
                     fmt={"names": names, "names_en": names_en}, url=menu.ppid_url, key="menu",
                     evidence=f"menu PPID: {menu.ppid_url}; ada di situs tetapi tidak tertaut dari menu atau "
                              f"halaman PPID: {names}", data={"missing": unreached})
        return {"ppid_url": menu.ppid_url, "found": menu.found, "missing": menu.missing, "unreached": unreached,
                "status": menu.status if menu.ppid_url is None or unreached else "ok"}

    def annual_report(self) -> dict[str, Any] | None:
        entries = {e.id: e for e in mandatory_mod.entries(self.mandatory_changes())}

        def published_on(res: Page) -> tuple[date, str] | None:
            chosen = best(self.evidence(res))
            return (chosen.date, chosen.source) if chosen else None

        rep = compliance.annual_report(self.today, self.cfg.annual_report_deadline,
                                       entries.get(compliance.ANNUAL_REPORT_ID), self.candidates, published_on,
                                       self.cfg.min_match_score)
        if rep is None:
            return None
        entry = entries[compliance.ANNUAL_REPORT_ID]
        basis = "; ".join(entry.basis) + (" (rujukan sekunder)" if entry.secondary else "")
        deadline = rep.deadline.isoformat()
        if rep.status == "missing":
            self.add("content.annual_report.missing",
                     fmt={"year": rep.year, "deadline": deadline}, url=self.ctx.site.url, key=str(rep.year),
                     evidence=f"tidak ditemukan laporan yang menyebut tahun {rep.year}; dasar: {basis}",
                     references=list(entry.basis), data={"year": rep.year, "deadline": deadline})
        elif rep.status == "late":
            self.add("content.annual_report.late",
                     fmt={"year": rep.year, "deadline": deadline}, url=rep.url or self.ctx.site.url,
                     key=str(rep.year),
                     evidence=f"terbit {rep.published} ({rep.source}), batas {deadline}; dasar: {basis}",
                     references=list(entry.basis),
                     data={"year": rep.year, "deadline": deadline, "published": str(rep.published)})
        return {"year": rep.year, "deadline": deadline, "status": rep.status, "url": rep.url,
                "published": rep.published.isoformat() if rep.published else None, "source": rep.source}


def _cadence_id(cadence: str) -> str:
    return {"monthly": "bulanan", "quarterly": "triwulan", "semiannual": "semester", "annual": "tahunan",
            "once": "sekali"}[cadence]

