"""Render the fleet ranking (HTML + PDF), reusing the evaluation reports' CSS, globals and PDF writer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from auditor.store import Store
from reports import i18n, periods, render
from reports.fleet.ranking import FleetData, build_fleet

TEMPLATES = Path(__file__).with_name("templates")
PREFIX = "peringkat-situs"

TEXT: dict[str, dict[str, str]] = {
    "doc_fleet": {"id": "Peringkat Keamanan dan Kepatuhan Website PPID",
                  "en": "PPID Website Security and Compliance Ranking"},
    "fleet_intro": {"id": "Pemantauan {n} website PPID desa/kalurahan selama {period}. Skor dan status dihitung "
                          "sama seperti Laporan Evaluasi Bulanan tiap situs (100 dikurangi poin per temuan "
                          "yang masih terbuka pada akhir bulan).",
                    "en": "Monitoring of {n} village PPID websites during {period}. Score and status are "
                          "computed as in each site's Monthly Evaluation Report (100 minus points per finding "
                          "still open at the end of the month)."},
    "col_rank": {"id": "Peringkat", "en": "Rank"},
    "col_site": {"id": "Situs", "en": "Site"},
    "col_score": {"id": "Skor", "en": "Score"},
    "col_status": {"id": "Status", "en": "Status"},
    "col_tls": {"id": "TLS / HTTPS", "en": "TLS / HTTPS"},
    "col_headers": {"id": "Nilai header", "en": "Headers grade"},
    "col_software": {"id": "Perangkat lunak usang", "en": "Outdated software"},
    "col_pii": {"id": "Data pribadi", "en": "Personal data"},
    "col_content": {"id": "Kepatuhan konten", "en": "Content compliance"},
    "col_last": {"id": "Pemindaian terakhir", "en": "Last scan"},
    "col_runs": {"id": "Jumlah pindai", "en": "Scans"},
    "cell_none": {"id": "tidak ada", "en": "none"},
    "cell_count": {"id": "{n} temuan ({sev})", "en": "{n} finding(s) ({sev})"},
    "cell_no_https": {"id": "tanpa HTTPS", "en": "no HTTPS"},
    "cell_no_list": {"id": "belum ada daftar", "en": "no approved list"},
    "sec_ranking": {"id": "Tabel peringkat", "en": "Ranking table"},
    "sec_recap": {"id": "Rekapitulasi", "en": "Summary"},
    "mean_score": {"id": "Rata-rata skor", "en": "Mean score"},
    "not_scanned": {"id": "Belum dipindai pada periode ini", "en": "Not scanned in this period"},
    "legend": {"id": "Tanda — berarti pemeriksaan bidang itu tidak berjalan dengan baik pada periode ini.",
               "en": "A dash means that area's check did not run cleanly in this period."},
}


def _env() -> jinja2.Environment:
    # the reports' own templates second: `report.css` (A4, kop surat) is included, not copied
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(TEMPLATES)), jinja2.FileSystemLoader(str(render.TEMPLATES))])
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["css_str"] = render._css_str
    return env


def translator(lang: str):
    def t(key: str, **kw: Any) -> str:
        entry = TEXT.get(key)
        if entry is None:
            return i18n.t(key, lang, **kw)
        text = entry.get(lang) or entry["id"]
        return text.format(**kw) if kw else text

    return t


def build(cfg: Any, store: Store, month: str, lang: str) -> FleetData:
    per = periods.month(month)
    return build_fleet(cfg, store, per, translator(lang), lambda v: i18n.fmt_percent(v, lang))


def render_html(cfg: Any, data: FleetData, lang: str, now: datetime) -> str:
    ctx = render._globals(lang, cfg.reports, now)
    t = translator(lang)
    label = i18n.month_label(data.period.key, lang)
    title = t("doc_fleet")
    ctx.update(t=t, d=data, period_label=label, doc_title=title, footer_text=f"{cfg.reports.organisation} · "
               f"{title} · {label}"[:120])
    return _env().get_template("fleet.html.j2").render(ctx)


def write_fleet_report(cfg: Any, store: Store, month: str, formats: Iterable[str] = ("html", "pdf"),
                       lang: str = "id", *, now: datetime | None = None, out_dir: Path | None = None) -> list[Path]:
    fmts = render._formats(formats)
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
