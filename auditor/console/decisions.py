"""Triage from the console (issue 18's decisions; the store API is auditor/triage.py, not re-implemented
here): decide on a finding, add a follow-up note, undo; and the improvement programme for the monthly
meeting (SOP C2), late findings first."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from auditor import triage
from auditor.console import data
from auditor.console.auth import guard, require_site, visible_sites
from reports.policy import area_of

bp = Blueprint("decisions", __name__)
ACTIONS = (*triage.ACTIONS, "undo")


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise triage.TriageError(f"{value!r}: expected a date YYYY-MM-DD") from None


@bp.route("/findings/<site>/<fingerprint>/keputusan", methods=["POST"])
@guard("triage", site_arg="site")
def decide(site: str, fingerprint: str) -> Any:
    cfg = current_app.config["PPID_CFG"]
    store = current_app.extensions["ppid_store"]()
    detail = data.finding_detail(store, site, fingerprint)
    if detail is None:
        return render_template("error.html.j2", code=404, key="err_404"), 404
    action = request.form.get("action", "")
    owners = triage.allowed_owners(cfg, store, site)
    form = request.form
    try:
        if action == "undo":
            triage.undo(store, site, fingerprint, actor=g.user.name)
        elif action in triage.ACTIONS:
            triage.decide(store, site, fingerprint, action, actor=g.user.name, reason=form.get("reason", ""),
                          until=_date(form.get("until")), owner=form.get("owner", ""), due=_date(form.get("due")),
                          note=form.get("note", ""), owners=owners)
        else:
            raise triage.TriageError(f"{action!r}: unknown action")
    except triage.TriageError as exc:
        return render_template("finding.html.j2", site=site, d=detail, area=area_of(detail["issue"].rule),
                               owners=owners, error=str(exc)), 400
    current_app.logger.info("triage %s on %s/%s by %s", action, site, fingerprint[:12], g.user.name)
    return redirect(url_for("findings.detail", site=site, fingerprint=fingerprint, _anchor="keputusan"), code=303)


@bp.route("/program")
@guard("view")
def programme() -> Any:
    store = current_app.extensions["ppid_store"]()
    site = request.args.get("site") or None
    sites = [require_site(site)] if site else visible_sites()
    rows = [r for s in sites for r in triage.programme(store, s)]
    order = {"late": 0, "on_time": 1, "done": 2}
    rows.sort(key=lambda r: (order[r.status], r.due or date.max, -r.severity, r.rule))
    return render_template("programme.html.j2", rows=rows, sites=visible_sites(), site=site or "")
