"""Runs: recent scans, "pindai sekarang" (kepala_seksi), and the progress of a running scan.

A scan is started as its own `ppid-audit scan --site NAME` process (the same code path as cron, the same
per-site lock): the console only checks that the site's lock is free first, and says so politely when a
scan (cron, scheduler, another user) already holds it. Progress is polled: the status page refreshes
itself while the scan runs (no JavaScript needed); `?format=json` gives the same for scripts.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import Any

from flask import Blueprint, current_app, g, jsonify, redirect, render_template, request, url_for

from auditor.console.auth import guard, require_site, visible_sites
from auditor.lock import SiteBusy, lock_dir_for, site_lock

bp = Blueprint("runs", __name__)
RECENT = 50


def store() -> Any:
    return current_app.extensions["ppid_store"]()


def _site_busy(site: str) -> bool:
    cfg = current_app.config["PPID_CFG"]
    try:
        with site_lock(lock_dir_for(cfg.database_path), site):
            return False
    except SiteBusy:
        return True


@bp.route("/pemindaian")
@guard("view")
def index() -> Any:
    sites = visible_sites()
    rows = [r for r in store().runs(status=None, kind=None, limit=RECENT * 4, newest_first=True)
            if r.site in sites][:RECENT]
    return render_template("runs.html.j2", rows=rows, sites=sites, busy=request.args.get("busy"))


@bp.route("/pemindaian/mulai", methods=["POST"])
@guard("scan_start")
def start() -> Any:
    cfg = current_app.config["PPID_CFG"]
    site = require_site(request.form.get("site"))
    if _site_busy(site):
        return render_template("runs_busy.html.j2", site=site), 409
    cmd = [sys.executable, "-m", "auditor", "scan", "--site", site, "--quiet"]
    if cfg.path:
        cmd += ["--config", str(cfg.path)]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, cwd=str(cfg.base_dir))
    threading.Thread(target=proc.wait, daemon=True).start()  # reap it: no zombie left behind
    current_app.extensions.setdefault("ppid_scans", {})[site] = proc
    current_app.logger.info("scan of %s started by %s (pid %d)", site, g.user.name, proc.pid)
    return redirect(url_for("runs.status", site=site), code=303)


def progress(site: str) -> dict[str, Any]:
    cfg = current_app.config["PPID_CFG"]
    rows = store().runs(site=site, status=None, kind="scan", limit=1, newest_first=True)
    run = rows[0] if rows else None
    proc = current_app.extensions.get("ppid_scans", {}).get(site)
    starting = proc is not None and proc.poll() is None and (run is None or run.status != "running")
    checks = store().check_runs(run.id) if run else []
    return {"site": site, "run": run.id if run else None, "status": "starting" if starting else
            (run.status if run else "none"), "started": run.started.isoformat() if run else None,
            "pages": run.pages if run else 0, "checks_done": [c.name for c in checks],
            "checks_total": len(cfg.enabled_checks()), "running": starting or bool(run and run.status == "running")}


@bp.route("/pemindaian/<site>")
@guard("view", site_arg="site")
def status(site: str) -> Any:
    p = progress(site)
    if request.args.get("format") == "json":
        return jsonify(p)
    return render_template("run_status.html.j2", p=p, site=site)
