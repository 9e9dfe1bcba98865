"""Render the fleet ranking (HTML + PDF), reusing the evaluation reports' CSS, globals and PDF writer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from auditor import catalogue
from auditor.store import Store
from reports import i18n, periods, render
from reports.fleet.ranking import FleetData, build_fleet

TEMPLATES = Path(__file__).with_name("templates")
PREFIX = "peringkat-situs"



def _env() -> jinja2.Environment:
    # the reports' own templates second: `report.css` (A4, kop surat) is included, not copied
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(TEMPLATES)), jinja2.FileSystemLoader(str(render.TEMPLATES))])
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["css_str"] = render.css_str
    return env


def translator(lang: str):
    def t(key: str, **kw: Any) -> str:
        """The fleet's own words (`fleet_*` in auditor/messages/fleet.yaml), else the reports' shared ones."""
        own = "fleet_" + key
        return catalogue.t(own if own in catalogue.messages() else key, lang, **kw)

    return t


def build(cfg: Any, store: Store, month: str, lang: str) -> FleetData:
    per = periods.month(month)
    return build_fleet(cfg, store, per, translator(lang), lambda v: i18n.fmt_percent(v, lang))


def render_html(cfg: Any, data: FleetData, lang: str, now: datetime) -> str:
    ctx = render.template_globals(lang, cfg.reports, now)
    t = translator(lang)
    label = i18n.month_label(data.period.key, lang)
    title = t("doc_fleet")
    ctx.update(t=t, d=data, period_label=label, doc_title=title, footer_text=f"{cfg.reports.organisation} · "
               f"{title} · {label}"[:120])
    return _env().get_template("fleet.html.j2").render(ctx)


def write_fleet_report(cfg: Any, store: Store, month: str, formats: Iterable[str] = ("html", "pdf"),
                       lang: str = "id", *, now: datetime | None = None, out_dir: Path | None = None) -> list[Path]:
    fmts = render.parse_formats(formats)
    lang = lang if lang in ("id", "en") else "id"
    now = now or datetime.now(UTC)
    data = build(cfg, store, month, lang)
    out = out_dir or cfg.resolve(cfg.reports.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    html = render_html(cfg, data, lang, now)
    written = []
    stem = f"{PREFIX}-{data.period.key}"
    if "html" in fmts:
        path = out / f"{stem}.html"
        render.write_html(path, html)
        written.append(path)
    if "pdf" in fmts:
        path = out / f"{stem}.pdf"
        render.html_to_pdf(html, path, out)
        written.append(path)
    return written
