"""Findings: the tracked findings of the user's sites with filters, and one finding's detail."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request

from auditor import triage
from auditor.console import data
from auditor.console.auth import guard, require_site, visible_sites
from checks.base import Severity
from reports.policy import AREAS, OTHER, area_of

bp = Blueprint("findings", __name__)

PAGE_ROWS = 200
STATES = ("open", "fixed")
DECISION_FILTERS = ("none", "false_positive", "accepted", "accepted_expired", "assigned")
SEVERITIES = tuple(s.label for s in sorted(Severity, reverse=True))


def store() -> Any:
    return current_app.extensions["ppid_store"]()


@bp.route("/findings")
@guard("view")
def index() -> Any:
    f = {k: request.args.get(k, "") for k in ("site", "area", "severity", "state", "decision")}
    sites = [require_site(f["site"])] if f["site"] else visible_sites()
    if f["area"] and f["area"] not in (*AREAS, OTHER):
        f["area"] = ""
    state = f["state"] if f["state"] in STATES else ("" if f["state"] == "all" else "open")
    if f["decision"] not in DECISION_FILTERS:
        f["decision"] = ""
    rows, decided = [], {}
    for site in sites:
        decisions = data.decisions(store(), site)
        for issue in store().issues(site=site, status=state or None):
            if f["area"] and area_of(issue.rule) != f["area"]:
                continue
            if f["severity"] and issue.severity.label != f["severity"]:
                continue
            d = decisions.get(issue.fingerprint)
            label = d.label if d else ""
            if f["decision"] and label != ("" if f["decision"] == "none" else f["decision"]):
                continue
            decided[(site, issue.fingerprint)] = label
            rows.append(issue)
    rows.sort(key=lambda i: (-i.severity, i.site, i.rule, i.url))
    return render_template("findings.html.j2", rows=rows[:PAGE_ROWS], total=len(rows), f=f, state=state,
                           sites=visible_sites(), areas=(*AREAS, OTHER), severities=SEVERITIES, states=STATES,
                           area_of=area_of, decided=decided, decision_filters=DECISION_FILTERS)


@bp.route("/findings/<site>/<fingerprint>")
@guard("view", site_arg="site")
def detail(site: str, fingerprint: str) -> Any:
    d = data.finding_detail(store(), site, fingerprint)
    if d is None:
        abort(404)
    cfg = current_app.config["PPID_CFG"]
    return render_template("finding.html.j2", site=site, d=d, area=area_of(d["issue"].rule),
                           owners=triage.allowed_owners(cfg, store(), site), error=None)
