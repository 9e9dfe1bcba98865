"""Render the evaluation reports (HTML + PDF) from the store and keep the output folder's index current.

Public API (used by `ppid-audit report`, the demo and the scheduler): `write_report(...)`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from auditor import __version__, catalogue
from auditor.atomic import write_atomic
from auditor.errors import InputError
from auditor.output import dump, stored_findings_json
from auditor.store import Store
from reports import charts, i18n, pdfa, periods
from reports import gate as gate_files
from reports.monthly import MAX_LOG_ROWS, build_month, role_key
from reports.policy import AREAS, OTHER
from reports.semester import HalfData, build_half

TEMPLATES = Path(__file__).with_name("templates")
FORMATS = ("html", "pdf", "json")
PREFIX = {"monthly": "laporan-bulanan", "semiannual": "laporan-semester"}
REPORT_FILE = re.compile(r"^(laporan-bulanan|laporan-semester)-(\d{4}-(?:\d{2}|H[12]))(?:-([A-Za-z0-9][A-Za-z0-9_.-]*))?"
                   r"\.(html|pdf)$")
SIGNATURES = {
    "monthly": [("kepala_seksi", "sig_made_by"), ("ketua_ppid", "sig_checked_by"), ("atasan_ppid", "sig_known_by")],
    "semiannual": [("kepala_seksi", "sig_submitted_by"), ("ketua_ppid", "sig_received_by"),
                   ("atasan_ppid", "sig_known_by")],
}


def report_name(kind: str, key: str, site: str, multi_site: bool) -> str:
    """File stem: `laporan-bulanan-2026-05`, with `-<site>` only when the config has several sites."""
    return f"{PREFIX[kind]}-{key}" + (f"-{site}" if multi_site else "")


def css_str(value: str) -> Markup:
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace("\n", " ")
    return Markup(f'"{escaped}"')


@lru_cache(maxsize=2)
def environment() -> jinja2.Environment:
    # Autoescape everything: titles, URLs and evidence come from the audited site (hostile input).
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["css_str"] = css_str
    return env


def estimate_source() -> dict[str, Any]:
    from reports.estimate import SOURCE

    return dict(SOURCE)


def template_globals(lang: str, org: Any, generated: datetime) -> dict[str, Any]:
    def t(key: str, **kw: Any) -> str:
        return catalogue.t(key, lang, **kw)

    def tv(prefix: str, value: Any) -> str:
        """Label for a coded value (status, category...); an unknown code is shown as it is."""
        text = catalogue.t(f"{prefix}{value}", lang)
        return str(value) if text == f"{prefix}{value}" else text

    return {"t": t, "tv": tv, "lang": lang, "org": org, "generated": generated, "version": __version__,
            "fmt_date": lambda v: i18n.fmt_date(v, lang),
            "fmt_number": lambda v, digits=0: i18n.fmt_number(v, lang, digits),
            "fmt_percent": lambda v: i18n.fmt_percent(v, lang),
            "month_label": lambda k: i18n.month_label(k, lang), "role_key": role_key,
            "sop_citation": lambda kind: i18n.sop_citation(kind, lang),
            "est_source": estimate_source(),
            "max_log_rows": MAX_LOG_ROWS}


def _half_charts(d: HalfData, lang: str) -> dict[str, Markup]:
    cats = [i18n.month_name(m.period.start.month, lang)[:3] for m in d.months]
    areas = [a for a in (*AREAS, OTHER) if any(any(x.area == a and x.open_end for x in m.areas) for m in d.months)]
    series = [charts.Series(catalogue.t("area_" + a, lang),
                            [next((x.open_end for x in m.areas if x.area == a), 0) if m.has_runs else None
                             for m in d.months]) for a in areas]
    return {
        "open_by_area": charts.bar_chart(catalogue.t("chart_open", lang), cats, series or [charts.Series("-", [None] * 6)]),
        "score": charts.line_chart(catalogue.t("chart_score", lang), cats,
                                   [charts.Series(catalogue.t("col_score", lang), [m.score.value for m in d.months])],
                                   ymax=100),
        "compliance": charts.bar_chart(
            catalogue.t("chart_compliance", lang), cats,
            [charts.Series(catalogue.t("col_compliance", lang),
                           [None if m.compliance is None else round(m.compliance * 100) for m in d.months],
                           color="#548235")], ymax=100, unit="%"),
    }


def report_data(cfg: Any, store: Store, kind: str, period: periods.Period, lang: str, site: Any,
                names: Callable[[str], str]) -> Any:
    """What the report says (MonthData or HalfData): one computation for HTML, PDF and JSON."""
    if kind == "monthly":
        return build_month(cfg, store, site, period, lang)
    return build_half(cfg, store, site, period, lang, cfg.resolve(cfg.reports.output_dir), names)


def render_html(cfg: Any, store: Store, kind: str, period: periods.Period, lang: str, site: Any,
                *, now: datetime, names: Callable[[str], str], data: Any = None) -> str:
    org = cfg.reports
    ctx = template_globals(lang, org, now)
    if data is None:
        data = report_data(cfg, store, kind, period, lang, site, names)
    if kind == "monthly":
        label = i18n.month_label(period.key, lang)
        extra: dict[str, Any] = {"signed_reports": signed_reports(
            cfg.resolve(cfg.reports.output_dir), exclude=names(period.key) + ".pdf",
            site=site.name if len(cfg.sites) > 1 else None)}
    else:
        label = i18n.half_label(period.key, lang)
        extra = {"charts": _half_charts(data, lang)}
    title = catalogue.t("doc_" + kind, lang)
    ctx.update(d=data, site=site, kind=kind, period_label=label, doc_title=title,
               footer_text=f"{org.organisation} · {title} · {label}"[:120],
               sop_text=i18n.sop_citation(kind, lang), addressee_key="to_" + kind, signature_roles=SIGNATURES[kind], **extra)
    return environment().get_template(f"{kind}.html.j2").render(ctx)


def signed_reports(out_dir: Path, exclude: str = "", site: str | None = None) -> list[tuple[str, list[str]]]:
    """(file name, roles that signed it) for every signed report PDF in `out_dir` (of `site` only, when the
    file names carry the site), newest name first. Cheap: a file without `/ByteRange` is never parsed, and
    a signed one is read for its signature fields only (no validation: `verify-report` does that)."""
    from reports.signing import signed_roles

    found = []
    for p in sorted(out_dir.glob("*.pdf"), reverse=True) if out_dir.is_dir() else []:
        report, gate = REPORT_FILE.match(p.name), gate_files.FILE_RE.match(p.name)
        if p.name == exclude or not (report or gate):
            continue
        if site is not None and (report.group(3) if report else gate.group(1)) not in (site, None):
            continue
        try:
            if b"/ByteRange" not in p.read_bytes():
                continue
        except OSError:
            continue
        roles = signed_roles(p)
        if roles:
            found.append((p.name, roles))
    return found


def write_html(path: Path, html: str) -> None:
    write_atomic(path, html)


def html_to_pdf(html: str, target: Path, base_url: Path, attachment: bytes | None = None,
                description: str = "") -> None:
    """PDF/A-3a with `attachment` (the findings JSON) associated and empty signature fields (reports.pdfa)."""
    def write(tmp: Path) -> None:
        tmp.write_bytes(pdfa.pdf_bytes(pdfa.render(html, base_url), attachment, description))

    write_atomic(target, write)


def run_json(store: Store, site: str, period: periods.Period, lang: str) -> tuple[bytes, str] | None:
    """The findings JSON (as `scan --json` writes it) of the period's latest complete scan, and its run id."""
    runs = store.runs(site=site, since=period.start, until=period.end, newest_first=True, limit=1)
    doc = stored_findings_json(store, runs[0].id, lang) if runs else None
    return (dump(doc).encode("utf-8"), runs[0].id) if doc else None


def parse_formats(formats: Iterable[str] | str) -> list[str]:
    if isinstance(formats, str):
        formats = formats.split(",")
    out = []
    for f in formats:
        f = f.strip().lower()
        if f and f not in FORMATS:
            raise InputError(f"--format {f}: unknown format (expected html, pdf, json or a list: html,pdf)")
        if f and f not in out:
            out.append(f)
    if not out:
        raise InputError("--format: give at least one of html, pdf, json")
    return out


def write_report(cfg: Any, store: Store, kind: str, period: str, formats: Iterable[str] = ("html", "pdf"),
                 lang: str = "id", site: str | None = None, *, now: datetime | None = None) -> list[Path]:
    """Write the report(s) for `period` into `cfg.reports.output_dir`, one per selected site, and refresh
    `index.html` there. Returns the paths written (reports first, then the index)."""
    fmts = parse_formats(formats)
    lang = lang if lang in ("id", "en") else "id"
    per = periods.parse(kind, period)
    now = now or datetime.now(UTC)
    out_dir = cfg.resolve(cfg.reports.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    multi = len(cfg.sites) > 1
    written: list[Path] = []
    for site_cfg in cfg.selected_sites(site):
        def names(month_key: str, _s: str = site_cfg.name) -> str:
            return report_name("monthly", month_key, _s, multi)

        data = report_data(cfg, store, kind, per, lang, site_cfg, names)
        html = render_html(cfg, store, kind, per, lang, site_cfg, now=now, names=names, data=data) \
            if {"html", "pdf"} & set(fmts) else ""
        stem = report_name(kind, per.key, site_cfg.name, multi)
        if "html" in fmts:
            path = out_dir / f"{stem}.html"
            write_html(path, html)
            written.append(path)
        if "pdf" in fmts:
            path = out_dir / f"{stem}.pdf"
            findings = run_json(store, site_cfg.name, per, lang)
            html_to_pdf(html, path, out_dir, findings[0] if findings else None,
                        i18n.t("pdf_attachment", lang, run=findings[1]) if findings else "")
            written.append(path)
        if "json" in fmts:  # the same numbers, for machines (reports/summary_json.py)
            from reports.summary_json import dumps

            path = out_dir / f"{stem}.json"
            text = dumps(data)
            write_atomic(path, text)
            written.append(path)
    written.append(write_index(cfg, lang, now=now))
    return written


def write_gate_report(cfg: Any, store: Store, gate_id: str, lang: str = "id",
                      formats: Iterable[str] | str = ("html", "pdf"), *, now: datetime | None = None) -> list[Path]:
    """The one-page Berita Acara of a pre-publish gate (`ppid-audit gate`); see `reports.gate`."""
    return gate_files.write_gate_report(cfg, store, gate_id, lang=lang, formats=formats, now=now)


def write_index(cfg: Any, lang: str = "id", *, now: datetime | None = None) -> Path:
    """`index.html` listing every report file (and Berita Acara) in the output folder, newest first."""
    out_dir = cfg.resolve(cfg.reports.output_dir)
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for p in out_dir.iterdir() if out_dir.is_dir() else []:
        m = REPORT_FILE.match(p.name)
        if not m:
            continue
        prefix, key, site, ext = m.groups()
        kind = "monthly" if prefix == "laporan-bulanan" else "semiannual"
        if (kind == "monthly") != ("H" not in key):
            continue
        label = i18n.month_label(key, lang) if kind == "monthly" else i18n.half_label(key, lang)
        row = found.setdefault((kind, key, site or ""), {"key": key, "site": site, "label": label,
                                                         "html": None, "pdf": None})
        row[ext] = p.name
    for p in out_dir.iterdir() if out_dir.is_dir() else []:
        g = gate_files.FILE_RE.match(p.name)
        if g:
            site, stamp, ext = g.groups()
            when = datetime.strptime(stamp, "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
            row = found.setdefault(("gate", stamp, site), {"key": stamp, "site": site, "html": None, "pdf": None,
                                                           "label": gate_files.fmt_when(when, lang)})
            row[ext] = p.name
    groups = [(kind, sorted((r for (k, _, _), r in found.items() if k == kind),
                            key=lambda r: (r["key"], r["site"] or ""), reverse=True))
              for kind in ("monthly", "semiannual", "gate")]
    ctx = template_globals(lang, cfg.reports, now or datetime.now(UTC))
    html = environment().get_template("index.html.j2").render(ctx, groups=groups, footer_text=catalogue.t("index_title", lang))
    path = out_dir / "index.html"
    write_html(path, html)
    return path
