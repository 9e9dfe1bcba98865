"""Periksa berkas: upload documents before publishing them and see the personal-data check, masked.

The files are written into a private temporary folder (mode 0700), checked with the same code as
`ppid-audit check-file`, and the folder is deleted before the page is sent, whatever happens. Nothing about
the files (names, contents, results) is stored or logged. The request size is capped by Werkzeug
(`console.max_upload_mb`) before any byte is written; each file then obeys the personal_data limits
(document size, zip ratio and unpacked size), so a zip bomb gets a clear message and bounded memory.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, g, render_template, request
from werkzeug.utils import secure_filename

from auditor.console.auth import guard

bp = Blueprint("checkfile", __name__)
COPY_CHUNK = 256 * 1024


def _settings() -> tuple[bytes, list[str], Any]:
    from checks.personal_data.check import PersonalDataConfig

    cfg = current_app.config["PPID_CFG"]
    block = cfg.check_blocks.get("personal_data")
    pd_cfg = block if isinstance(block, PersonalDataConfig) else PersonalDataConfig()
    allow = [v for s in cfg.sites for v in s.contact_allowlist]
    return current_app.extensions["ppid_store"]().secret_key, allow, pd_cfg


def check_uploads(uploads: list[Any], lang: str) -> dict[str, Any]:
    """Check uploaded files in a private temporary folder that is always removed. Returns rows for the page."""
    from auditor.commands.check_file import check_paths
    from checks.personal_data.check import limits_from

    key, allow, pd_cfg = _settings()
    cap = limits_from(pd_cfg).max_bytes
    tmp = Path(tempfile.mkdtemp(prefix="ppid-console-upload-"))  # 0700 by construction
    names: dict[str, str] = {}
    too_big: list[str] = []
    try:
        paths = []
        for i, up in enumerate(uploads):
            shown = (up.filename or f"berkas-{i + 1}")[:200]
            path = tmp / f"{i:03d}-{secure_filename(shown) or 'berkas'}"
            written = 0
            with open(path, "wb") as out:
                while chunk := up.stream.read(COPY_CHUNK):
                    written += len(chunk)
                    if written > cap:
                        break
                    out.write(chunk)
            if written > cap:
                too_big.append(shown)
                path.unlink()
                continue
            names[str(path)] = shown
            paths.append(path)
        findings, unreadable, notes = check_paths(paths, key, allow, pd_cfg)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rows = []
    for f in sorted(findings, key=lambda f: (f.url, -int(f.severity), f.rule)):
        title, _ = f.localized(lang)
        d = f.data or {}
        rows.append({"file": names.get(f.url, "?"), "title": title, "severity": f.severity.label,
                     "count": d.get("count", ""), "samples": list(d.get("samples", []))[:10],
                     "locations": list(d.get("locations", []))[:10], "rule": f.rule})
    return {"rows": rows, "checked": len(names), "too_big": too_big, "cap_mb": cap // (1024 * 1024),
            "unreadable": [(names.get(k, "?"), v) for k, v in unreadable.items()],
            "notes": [(names.get(k, "?"), n) for k, items in notes.items() for n in items],
            "clean": [n for p, n in names.items() if not any(f.url == p for f in findings) and p not in unreadable]}


@bp.route("/periksa", methods=["GET", "POST"])
@guard("check_file")
def index() -> Any:
    c = current_app.config["PPID_CFG"].console
    result, error = None, None
    if request.method == "POST":
        uploads = [f for f in request.files.getlist("files") if f and f.filename]
        if not uploads:
            error = "upload_none"
        elif len(uploads) > c.max_upload_files:
            error = "upload_too_many"
        else:
            result = check_uploads(uploads, g.lang)
    return render_template("checkfile.html.j2", result=result, error=error, max_mb=c.max_upload_mb,
                           max_files=c.max_upload_files), (400 if error else 200)
