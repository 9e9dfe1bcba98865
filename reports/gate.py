"""Berita Acara Pemeriksaan Pembaruan Website (SOP B3-B5): the one-page record of a pre-publish gate.

Reads one gate record from the store (written by `auditor.gate.run_gate`) and renders it with the reports'
layout, catalogue and CSS. The page must stay ONE A4 sheet whatever the change did, so every free text is
capped and the finding/page lists get a row budget that shrinks until WeasyPrint lays the record out on a
single page; what is left off is counted ("… dan N lainnya") with a pointer to the full list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from auditor import catalogue
from auditor.atomic import write_atomic
from auditor.errors import InputError
from auditor.redact import redact_text
from auditor.store import Store
from checks.base import Severity
from reports import i18n

PREFIX = "berita-acara-gate"
FILE_RE = re.compile(rf"^{PREFIX}-(.+)-(\d{{8}}-\d{{6}})\.(html|pdf)$")
MAX_ROWS = 16  # finding rows (introduced + fixed) tried first; shrunk until the page fits
MAX_PAGE_ITEMS = 8  # added/removed paths listed by name, per list
MAX_CHECK_NOTES = 6  # checks that did not run cleanly on staging
# Character caps keep each row's height bounded (hostile titles, 300-character URLs).
CAP = {"title": 110, "url": 80, "evidence": 70, "path": 50, "reason": 90, "org": 80, "address": 140,
       "name": 60, "footer": 90}


@dataclass(frozen=True)
class Budget:
    rows: int  # finding rows, introduced and fixed together
    page_items: int  # added/removed paths listed by name, per list


# Tried from the first: the largest budget that lays out on one page wins. Path lists give way before
# findings, which are what the Ketua PPID decides on.
LADDER: tuple[Budget, ...] = (Budget(MAX_ROWS, MAX_PAGE_ITEMS),
                              *(Budget(r, min(4, r // 3)) for r in range(MAX_ROWS, -1, -1)))


@dataclass
class GateRow:
    severity: Severity
    rule: str
    title: str
    url: str
    evidence: str
    blocking: bool


@dataclass
class GateDoc:
    id: str
    site: str
    created: datetime
    staging_url: str
    staging_run: str
    production_run: str | None
    production_when: datetime | None
    fail_on: Severity
    passed: bool
    reachable: bool
    introduced_total: int
    blocking_total: int
    fixed_total: int
    unchanged: int
    introduced: list[GateRow] = field(default_factory=list)
    fixed: list[GateRow] = field(default_factory=list)
    pages_added: list[str] = field(default_factory=list)
    pages_added_total: int = 0
    pages_removed: list[str] = field(default_factory=list)
    pages_removed_total: int = 0
    check_notes: list[tuple[str, str, str]] = field(default_factory=list)  # (check, status, reason)
    comparison: str = "same_server"  # see auditor.gate.Comparison
    production_server: str = ""
    staging_server: str = ""
    not_comparable: list[GateRow] = field(default_factory=list)
    not_comparable_total: int = 0

    @property
    def verdict(self) -> str:
        """"lulus" | "tidak_lulus" | "tidak_dinilai" (staging could not be reached: nothing was examined)."""
        if not self.reachable:
            return "tidak_dinilai"
        return "lulus" if self.passed else "tidak_lulus"

    @property
    def truncated(self) -> bool:
        return (len(self.introduced) < self.introduced_total or len(self.fixed) < self.fixed_total
                or len(self.pages_added) < self.pages_added_total
                or len(self.pages_removed) < self.pages_removed_total)


def short(text: Any, n: int) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _severity(value: Any) -> Severity:
    try:
        return Severity.parse(value)
    except ValueError:
        return Severity.INFO


def _rows(items: Any, lang: str, fail_on: Severity) -> list[GateRow]:
    out = []
    for f in items if isinstance(items, list) else []:
        if not isinstance(f, dict):
            continue
        sev = _severity(f.get("severity"))
        title = (f.get("title_en") if lang == "en" else None) or f.get("title") or f.get("rule") or ""
        # the checks mask personal data already; this is the safety net for a record shared on paper
        out.append(GateRow(sev, short(f.get("rule"), 60), short(title, CAP["title"]), short(f.get("url"), CAP["url"]),
                           short(redact_text(str(f.get("evidence") or "")), CAP["evidence"]), sev >= fail_on))
    out.sort(key=lambda r: (-r.severity, r.rule, r.url))
    return out


def split_rows(n_introduced: int, n_fixed: int, rows: int) -> tuple[int, int]:
    """Share the row budget: introduced findings first, but fixed ones keep about a quarter."""
    fixed = min(n_fixed, max(rows // 4, rows - n_introduced))
    return min(n_introduced, rows - fixed), fixed


def build_gate(record: dict[str, Any], store: Store, lang: str, budget: Budget | None = None) -> GateDoc:
    summary = record.get("summary") if isinstance(record.get("summary"), dict) else {}
    fail_on = _severity(record.get("fail_on"))
    introduced = _rows(summary.get("introduced"), lang, fail_on)
    fixed = _rows(summary.get("fixed"), lang, fail_on)
    # records written before the gate knew about comparisons compared everything
    not_comparable = _rows(summary.get("not_comparable"), lang, fail_on)
    cmp = summary.get("comparison") if isinstance(summary.get("comparison"), dict) else {}
    added = [str(p) for p in summary.get("pages_added") or []]
    removed = [str(p) for p in summary.get("pages_removed") or []]
    budget = budget or Budget(MAX_ROWS, MAX_PAGE_ITEMS)
    n_intro, n_fixed = split_rows(len(introduced), len(fixed), budget.rows)
    prod_id = record.get("production_run")
    prod = store.run(prod_id) if prod_id else None
    notes = []
    for c in summary.get("checks") or []:
        if isinstance(c, dict) and c.get("status") not in (None, "ok"):
            notes.append((short(c.get("name"), 40), str(c.get("status")), short(c.get("error"), CAP["reason"])))
    created = record.get("created") or datetime.now(UTC)
    return GateDoc(
        id=str(record.get("id")), site=str(record.get("site")), created=created,
        staging_url=short(record.get("staging_url"), CAP["url"]), staging_run=str(record.get("staging_run") or ""),
        production_run=prod_id, production_when=prod.started if prod else None, fail_on=fail_on,
        passed=bool(record.get("passed")), reachable=summary.get("staging_reachable", True) is not False,
        introduced_total=len(introduced), blocking_total=sum(r.blocking for r in introduced),
        fixed_total=len(fixed), unchanged=int(summary.get("unchanged") or 0),
        introduced=introduced[:n_intro], fixed=fixed[:n_fixed],
        pages_added=[short(p, CAP["path"]) for p in added[: budget.page_items]], pages_added_total=len(added),
        pages_removed=[short(p, CAP["path"]) for p in removed[: budget.page_items]],
        pages_removed_total=len(removed), check_notes=notes[:MAX_CHECK_NOTES],
        comparison=str(cmp.get("kind") or "same_server"),
        production_server=short("; ".join(cmp.get("production_server") or []), CAP["reason"]),
        staging_server=short("; ".join(cmp.get("staging_server") or []), CAP["reason"]),
        not_comparable=not_comparable[: budget.page_items], not_comparable_total=len(not_comparable))


def file_stem(site: str, created: datetime) -> str:
    """`berita-acara-gate-<site>-<YYYYMMDD-HHMMSS>` (UTC); the site name is reduced to file-safe characters."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", site).strip("-.") or "site"
    when = created.astimezone(UTC) if created.tzinfo else created
    return f"{PREFIX}-{safe}-{when:%Y%m%d-%H%M%S}"


def fmt_when(value: datetime | None, lang: str) -> str:
    if value is None:
        return catalogue.t("not_available", lang)
    value = value.astimezone(UTC) if value.tzinfo else value
    return catalogue.t("date_time", lang, date=i18n.fmt_date(value, lang), time=f"{value:%H:%M}")


def _capped_org(org: Any) -> Any:
    """The reports config with its free texts capped, so a long organisation name cannot push the page over."""
    sig = org.signatories

    def person(s: Any) -> SimpleNamespace:
        return SimpleNamespace(name=short(s.name, CAP["name"]), title=short(s.title, CAP["name"]),
                               nip=short(s.nip, 40))

    operator = sig.operator if sig.operator.name else None  # no name configured: a blank line to sign by hand
    return SimpleNamespace(organisation=short(org.organisation, CAP["org"]), address=short(org.address, CAP["address"]),
                           signatories=SimpleNamespace(ketua_ppid=person(sig.ketua_ppid),
                                                       operator=person(operator) if operator else None))


def render_gate_html(cfg: Any, doc: GateDoc, lang: str, site: Any, now: datetime) -> str:
    from reports import render

    org = _capped_org(cfg.reports)
    ctx = render.template_globals(lang, org, now)
    title = catalogue.t("doc_gate", lang)
    site_view = SimpleNamespace(name=short(site.name, 60), url=short(site.url, CAP["url"]))
    # the footer shares the bottom margin with "Halaman 1 dari 1": one short line
    footer = f"{short(org.organisation, 28)} · {catalogue.t('doc_gate_short', lang)} · {i18n.fmt_date(doc.created, lang)}"
    ctx.update(g=doc, site=site_view, doc_title=title, fmt_when=lambda v: fmt_when(v, lang),
               footer_text=short(footer, CAP["footer"]))
    return render.environment().get_template("gate.html.j2").render(ctx)


def _page_count(html: str, base_url: Path) -> tuple[int, Any]:
    from reports import pdfa  # heavy import (WeasyPrint): only when a record is written

    document = pdfa.render(html, base_url)
    return len(document.pages), document


def fit_one_page(cfg: Any, record: dict[str, Any], store: Store, lang: str, site: Any, now: datetime,
                 base_url: Path) -> tuple[str, Any, GateDoc]:
    """Render with the largest budget of LADDER that lays out on one page; returns (html, weasyprint
    document, data). The full budget is tried first (the usual case: one render), then a binary search
    over the ladder (fewer rows never take more room)."""
    cache: dict[int, tuple[int, str, Any, GateDoc]] = {}

    def attempt(i: int) -> tuple[int, str, Any, GateDoc]:
        if i not in cache:
            doc = build_gate(record, store, lang, LADDER[i])
            html = render_gate_html(cfg, doc, lang, site, now)
            pages, rendered = _page_count(html, base_url)
            cache[i] = (pages, html, rendered, doc)
        return cache[i]

    if attempt(0)[0] <= 1:
        return attempt(0)[1:]
    lo, hi = 1, len(LADDER) - 1  # the answer is the first index in [lo, hi] that fits (or hi)
    while lo < hi:
        mid = (lo + hi) // 2
        if attempt(mid)[0] <= 1:
            hi = mid
        else:
            lo = mid + 1
    return attempt(lo)[1:]


def write_gate_report(cfg: Any, store: Store, gate_id: str, lang: str = "id",
                      formats: Iterable[str] | str = ("html", "pdf"), *, now: datetime | None = None) -> list[Path]:
    """Write the Berita Acara of gate `gate_id` into `cfg.reports.output_dir` and refresh `index.html`.
    Returns the Berita Acara files written (HTML, PDF): the CLI stores exactly these with the gate record."""
    from reports import pdfa, render  # render re-exports this function: import it late, not at module load

    fmts = render.parse_formats(formats)
    lang = lang if lang in ("id", "en") else "id"
    record = store.gate(gate_id)
    if record is None:
        raise InputError(f"gate {gate_id}: no such gate record in the store")
    site = next((s for s in cfg.sites if s.name == record["site"]), None) or SimpleNamespace(
        name=record["site"], url=record.get("staging_url") or "")
    now = now or datetime.now(UTC)
    out_dir = cfg.resolve(cfg.reports.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    html, rendered, _doc = fit_one_page(cfg, record, store, lang, site, now, out_dir)
    stem = file_stem(record["site"], record["created"])
    written: list[Path] = []
    if "html" in fmts:
        path = out_dir / f"{stem}.html"
        render.write_html(path, html)
        written.append(path)
    if "pdf" in fmts:
        path = out_dir / f"{stem}.pdf"
        write_atomic(path, lambda tmp: tmp.write_bytes(pdfa.pdf_bytes(rendered)))
        written.append(path)
    render.write_index(cfg, lang, now=now)
    return written
