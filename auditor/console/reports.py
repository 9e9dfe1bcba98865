"""Reports: the evaluation reports and Berita Acara in `reports.output_dir`, opened or downloaded, and
"buat sekarang" (make a monthly or six-monthly report now).

A file is served only when its name matches a report file name pattern exactly and it sits directly in
the output folder: anything else (`..`, slashes, other files) is 404. Saved HTML reports keep their own
inline style; they are served with a sandboxed CSP that allows exactly that style (by hash), no script.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, send_file, url_for

from auditor.console.auth import guard, require_site, visible_sites
from auditor.console.security import REPORT_CSP
from auditor.errors import AuditorError
from auditor.lock import SiteBusy, lock_dir_for, site_lock
from reports import gate as gate_files
from reports import periods
from reports.render import REPORT_FILE

bp = Blueprint("reports", __name__)
_STYLE = re.compile(rb"<style>(.*?)</style>", re.S)


def _out_dir() -> Path:
    cfg = current_app.config["PPID_CFG"]
    return cfg.resolve(cfg.reports.output_dir).resolve()


def _site_of(name: str) -> str | None:
    """The site a report file belongs to (None: not a report file)."""
    cfg = current_app.config["PPID_CFG"]
    m = REPORT_FILE.match(name)
    if m:
        return m.group(3) or (cfg.sites[0].name if len(cfg.sites) == 1 else None)
    g_ = gate_files.FILE_RE.match(name)
    return g_.group(1) if g_ else None


@lru_cache(maxsize=512)
def _signed_roles(path: str, mtime: float) -> tuple[str, ...] | None:
    """Roles that signed a report PDF (issue 22's `reports.signing.signed_roles`: reads the signature
    fields, validates nothing). None when that module is not installed."""
    try:
        from reports.signing import signed_roles
    except ImportError:
        return None
    return tuple(signed_roles(Path(path)))


def listing() -> list[dict[str, Any]]:
    out_dir = _out_dir()
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for p in sorted(out_dir.iterdir()) if out_dir.is_dir() else []:
        site = _site_of(p.name)
        if site is None or not g.user.may_see(site) or not p.is_file():
            continue
        stem, ext = p.name.rsplit(".", 1)
        kind = "monthly" if stem.startswith("laporan-bulanan") else "semiannual" \
            if stem.startswith("laporan-semester") else "gate"
        row = rows.setdefault((site, stem), {"site": site, "stem": stem, "kind": kind, "html": None, "pdf": None,
                                             "mtime": p.stat().st_mtime, "signed": None})
        row[ext] = p.name
        if ext == "pdf":
            row["signed"] = _signed_roles(str(p), p.stat().st_mtime)
    return sorted(rows.values(), key=lambda r: r["mtime"], reverse=True)


@bp.route("/laporan")
@guard("view")
def index() -> Any:
    return render_template("reports.html.j2", rows=listing(), sites=visible_sites(),
                           made=request.args.get("made"), month=periods.default_key("monthly"),
                           half=periods.default_key("semiannual"))


@bp.route("/laporan/berkas/<name>")
@guard("view")
def file(name: str) -> Any:
    site = _site_of(name)
    if site is None or not g.user.may_see(site) or "/" in name or "\\" in name or name.startswith("."):
        abort(404)
    out_dir = _out_dir()
    path = (out_dir / name).resolve()
    if path.parent != out_dir or not path.is_file():
        abort(404)
    if name.endswith(".pdf"):
        return send_file(path, mimetype="application/pdf", as_attachment=True, download_name=name)
    body = path.read_bytes()
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'"
                      for s in _STYLE.findall(body)) or "'none'"
    resp = current_app.response_class(body, mimetype="text/html")
    resp.headers["Content-Security-Policy"] = REPORT_CSP.format(hashes=hashes)
    return resp


@bp.route("/laporan/buat", methods=["POST"])
@guard("report_make")
def make() -> Any:
    from reports.render import write_report

    cfg = current_app.config["PPID_CFG"]
    site = require_site(request.form.get("site"))
    kind = request.form.get("kind")
    if kind not in ("monthly", "semiannual"):
        abort(400)
    period = request.form.get("period") or periods.default_key(kind)
    try:
        periods.parse(kind, period)
    except AuditorError:
        return render_template("error.html.j2", code=400, key="err_period"), 400
    try:
        with site_lock(lock_dir_for(cfg.database_path), site):
            write_report(cfg, current_app.extensions["ppid_store"](), kind, period, lang=g.lang,
                         site=site if len(cfg.sites) > 1 else None)
    except SiteBusy:
        return render_template("error.html.j2", code=409, key="site_busy"), 409
    return redirect(url_for("reports.index", made=f"{kind}:{period}"), code=303)
