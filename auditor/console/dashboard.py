"""Dashboard: the fleet overview (every site the user may see) and one site's dashboard."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import Blueprint, Response, current_app, g, render_template

from auditor.console import data
from auditor.console.auth import PUBLIC, guard, visible_sites

bp = Blueprint("dashboard", __name__)


def store() -> Any:
    return current_app.extensions["ppid_store"]()


@bp.route("/")
@guard("view")
def overview() -> Any:
    cfg = current_app.config["PPID_CFG"]
    rows = [data.summary(cfg, store(), s, lang=g.lang) for s in visible_sites()]
    return render_template("overview.html.j2", rows=rows)


@bp.route("/sites/<site>")
@guard("view", site_arg="site")
def site(site: str) -> Any:
    cfg = current_app.config["PPID_CFG"]
    return render_template("site.html.j2", s=data.summary(cfg, store(), site, lang=g.lang, with_trend=True))


@lru_cache(maxsize=2)
def _report_css(lang: str) -> str:
    from reports.render import environment, template_globals

    ctx = template_globals(lang, None, None)  # type: ignore[arg-type]
    return environment().get_template("report.css").render(ctx, footer_text="")


@bp.route("/report.css")
@guard(PUBLIC)
def report_css() -> Any:
    """The reports' own stylesheet, so the console looks like the reports (served as a file: strict CSP)."""
    resp = Response(_report_css(g.lang), mimetype="text/css")
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp
