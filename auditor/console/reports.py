"""Reports: the evaluation reports and Berita Acara in `reports.output_dir`, opened or downloaded, and
"buat sekarang" (make a monthly or six-monthly report now), each PDF's signature status and signing as
the user's own role when it is that role's turn (auditor/console/signing.py says how the password is handled).

A file is served only when its name matches a report file name pattern exactly and it sits directly in
the output folder: anything else (`..`, slashes, other files) is 404. Saved HTML reports keep their own
inline style; they are served with a sandboxed CSP that allows exactly that style (by hash), no script.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, send_file, url_for

from auditor.catalogue import t
from auditor.console import signing
from auditor.console.auth import guard, require_site, visible_sites
from auditor.console.security import REPORT_CSP
from auditor.errors import AuditorError
from auditor.lock import SiteBusy, lock_dir_for, site_lock
from reports import gate as gate_files
from reports import periods
from reports import signing as pdf_signing
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


def listing() -> list[dict[str, Any]]:
    cfg = current_app.config["PPID_CFG"]
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
                                             "mtime": p.stat().st_mtime, "sig": None, "attempts": []})
        row[ext] = p.name
        if ext == "pdf":
            row["sig"] = signing.pdf_status(cfg, p)
    attempts = signing.trail(current_app.extensions["ppid_store"](), sorted({r["site"] for r in rows.values()}))
    for row in rows.values():
        row["attempts"] = attempts.get(row["pdf"] or "", [])
    return sorted(rows.values(), key=lambda r: r["mtime"], reverse=True)


def render_index(status: int = 200, sign_error: tuple[str, str] | None = None) -> Any:
    cfg = current_app.config["PPID_CFG"]
    rows = listing()
    signed = request.args.get("signed")
    signed = signed if any(r["pdf"] == signed for r in rows) else None
    return render_template("reports.html.j2", rows=rows, sites=visible_sites(),
                           made=request.args.get("made"), month=periods.default_key("monthly"),
                           half=periods.default_key("semiannual"), signed=signed, sign_error=sign_error,
                           has_cert=signing.has_certificate(cfg, g.user.role), sig_roles=signing.SIGNATORY_ROLES,
                           results=signing.RESULTS), status


@bp.route("/laporan")
@guard("view")
def index() -> Any:
    return render_index()


def report_path(name: str) -> tuple[Path, str]:
    """The report file `name` directly in the output folder and its site; 404 for anything else."""
    site = _site_of(name)
    if site is None or not g.user.may_see(site) or "/" in name or "\\" in name or name.startswith("."):
        abort(404)
    out_dir = _out_dir()
    path = (out_dir / name).resolve()
    if path.parent != out_dir or not path.is_file():
        abort(404)
    return path, site


@bp.route("/laporan/berkas/<name>")
@guard("view")
def file(name: str) -> Any:
    path, _site = report_path(name)
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


@bp.route("/laporan/tandatangan/<name>", methods=["POST"])
@guard("report_sign")
def sign(name: str) -> Any:
    """Sign the report PDF `name` as the user's own role (see auditor/console/signing.py)."""
    path, site = report_path(name)
    if not name.endswith(".pdf"):
        abort(404)
    role, actor = g.user.role, g.user.name
    secret = bytearray(request.form.get("password", ""), "utf-8")
    try:
        code, params = _attempt(path, site, name, actor, role, secret)
    finally:
        signing.wipe(secret)
        del secret
    if code == "ok":
        current_app.logger.info("report signed: %s as %s by %s", name, role, actor)
        return redirect(url_for("reports.index", signed=name), code=303)
    current_app.logger.warning("report signing refused (%s): %s as %s by %s", code, name, role, actor)
    return render_index(signing.STATUS[code], (name, _refusal(code, role, params)))


def _attempt(path: Path, site: str, name: str, actor: str, role: str, secret: bytearray) -> tuple[str, dict]:
    """Checks that need no password first (role, throttle, SOP order, certificate configured), then the
    signing; every outcome is recorded in the trail. Returns (result code, message parameters)."""
    cfg = current_app.config["PPID_CFG"]
    store = current_app.extensions["ppid_store"]()
    window = timedelta(minutes=cfg.console.lockout_minutes)

    def done(code: str, **params: Any) -> tuple[str, dict]:
        signing.record(store, site, name, actor, role, code)
        if code == signing.BAD_PASSWORD:
            params["until"] = signing.locked_until(store, actor, cfg.console.login_max_failures, window)
            params["left"] = signing.failures_left(store, actor, cfg.console.login_max_failures, window)
        return code, params

    if request.form.get("role", role) != role:  # a role may only ever sign as itself
        return done("role")
    with signing.ATTEMPT_LOCK:
        until = signing.locked_until(store, actor, cfg.console.login_max_failures, window)
        if until is not None:
            return done("throttled", until=until)
        try:
            order = pdf_signing.sign_order(path)
        except pdf_signing.UnreadablePdf:
            return done("unreadable")
        if role not in order.roles:
            return done("no_field")
        if role in order.signed:
            return done("already")
        if order.next_role != role:
            return done("order", missing=[r for r in order.roles[:order.roles.index(role)] if r not in order.signed])
        if not signing.has_certificate(cfg, role):
            return done("no_cert")
        if not secret:
            return done("empty_password")
        try:
            pdf_signing.sign_report(cfg, path, role, lang=g.lang, password=secret)
        except pdf_signing.SigningError as exc:
            if exc.code == "failed":
                current_app.logger.error("report signing failed: %s: %s", name, exc.params.get("why"))
            params = {k: v for k, v in exc.params.items() if k in ("start", "end", "missing")}
            if isinstance(params.get("missing"), str):
                params["missing"] = params["missing"].split(", ")
            return done(exc.code, **params)
        except AuditorError as exc:  # the stamp font missing, an unreadable trust anchor...
            current_app.logger.error("report signing failed: %s: %s", name, exc)
            return done("failed")
    return done("ok")


def _refusal(code: str, role: str, params: dict[str, Any]) -> str:
    """The page's one message for a refused signing (no server paths, never the password)."""
    label = lambda r: t("c_role_" + r, g.lang)  # noqa: E731
    until = params.get("until")
    kw = {"role": label(role), "missing": ", ".join(label(r) for r in params.get("missing", [])),
          "start": params.get("start", "-"), "end": params.get("end", "-"), "left": params.get("left", 0),
          "until": until.astimezone().strftime("%H:%M") if until else "-"}
    if code == signing.BAD_PASSWORD and until is not None:
        code = "bad_password_locked"
    return t("c_sign_err_" + code, g.lang, **kw)
