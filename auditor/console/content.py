"""Daftar Informasi Publik: the approved list with each item's latest status, and the import of a new
signed table (XLSX/XLS/CSV) with a preview of what changes before anything is saved (ketua_ppid).

The uploaded table is parsed in a private temporary folder that is deleted at once; the parsed list
travels to the "simpan" step inside a signed, time-limited token in the form (itsdangerous, the app's
key), so nothing is kept on the server between preview and save and a tampered token is refused.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from auditor.console import data
from auditor.console.auth import guard
from checks.content.daftar import Daftar, DaftarError, load_daftar, save_daftar

bp = Blueprint("content", __name__)
TOKEN_MAX_AGE_S = 3600
FIELDS = ("title", "category", "cadence", "url", "match", "responsible")
IMPORT_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="ppid-console-daftar-import")


def _current(site_cfg: Any) -> tuple[Daftar | None, str | None]:
    if not site_cfg.approved_content:
        return None, None
    try:
        return load_daftar(current_app.config["PPID_CFG"].resolve(site_cfg.approved_content)), None
    except DaftarError as exc:
        return None, str(exc)


def diff(old: Daftar | None, new: Daftar) -> dict[str, list[Any]]:
    before = {i.id: i for i in (old.items if old else [])}
    after = {i.id: i for i in new.items}
    changed = []
    for k in after.keys() & before.keys():
        fields = [(f, getattr(before[k], f), getattr(after[k], f)) for f in FIELDS
                  if getattr(before[k], f) != getattr(after[k], f)]
        if fields:
            changed.append((after[k], fields))
    return {"added": [after[k] for k in after if k not in before], "removed": [before[k] for k in before
                                                                                 if k not in after],
            "changed": sorted(changed, key=lambda c: c[0].id)}


@bp.route("/daftar/<site>")
@guard("view", site_arg="site")
def index(site: str) -> Any:
    cfg = current_app.config["PPID_CFG"]
    daftar, error = _current(cfg.site(site))
    s = data.summary(cfg, current_app.extensions["ppid_store"](), site, lang=g.lang)
    status = {i.get("id"): i for i in s.content_items}
    return render_template("content.html.j2", site=site, daftar=daftar, error=error, status=status,
                           compliance=s.compliance, configured=bool(cfg.site(site).approved_content))


@bp.route("/daftar/<site>/import", methods=["POST"])
@guard("content_import", site_arg="site")
def import_preview(site: str) -> Any:
    from checks.content.importer import DaftarImportError, import_file

    cfg = current_app.config["PPID_CFG"]
    if not cfg.site(site).approved_content:
        return render_template("content_preview.html.j2", site=site, error=("import_no_path", {})), 400
    up = request.files.get("file")
    suffix = Path(up.filename or "").suffix.lower() if up else ""
    if not up or suffix not in IMPORT_SUFFIXES:
        return render_template("content_preview.html.j2", site=site, error=("import_bad_type", {})), 400
    tmp = Path(tempfile.mkdtemp(prefix="ppid-console-import-"))
    try:
        path = tmp / f"daftar{suffix}"
        up.save(path)
        new = import_file(path)
    except DaftarImportError as exc:
        return render_template("content_preview.html.j2", site=site,
                               error=("import_invalid", {"why": exc.message(g.lang).replace(str(path), up.filename or "")})), 400
    except DaftarError as exc:
        return render_template("content_preview.html.j2", site=site,
                               error=("import_invalid", {"why": str(exc).replace(str(path), up.filename or "")})), 400
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    old, _ = _current(cfg.site(site))
    token = _serializer().dumps({"site": site, "daftar": new.model_dump(mode="json")})
    return render_template("content_preview.html.j2", site=site, new=new, d=diff(old, new), token=token,
                           error=None)


@bp.route("/daftar/<site>/save", methods=["POST"])
@guard("content_import", site_arg="site")
def save(site: str) -> Any:
    cfg = current_app.config["PPID_CFG"]
    try:
        payload = _serializer().loads(request.form.get("token", ""), max_age=TOKEN_MAX_AGE_S)
    except BadSignature:
        abort(400)
    if payload.get("site") != site:
        abort(400)
    daftar = Daftar.model_validate(payload["daftar"])
    save_daftar(daftar, cfg.resolve(cfg.site(site).approved_content))
    current_app.logger.info("daftar saved for %s by %s (%d items)", site, g.user.name, len(daftar.items))
    return redirect(url_for("content.index", site=site, saved=1), code=303)
