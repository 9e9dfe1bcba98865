"""`ppid-audit check-file PATH...`: offline personal-data check of files before they are uploaded.

Same detectors and findings as the `personal_data` check, no network. Exit 0 clean, 1 personal data
found (or a scanned PDF that needs a manual look), 2 when a file cannot be read (named on stderr).

Fingerprint key: with a config whose history store exists, the store's secret key is used, so the
keyed hashes match what `scan` later records for the same document. Without one, a per-machine key
file (`$XDG_CONFIG_HOME/ppid-auditor/check-file.key`, mode 0600) keeps hashes stable between runs on
this computer without ever leaving it; the key is never printed.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from auditor.catalogue import t
from auditor.errors import ConfigError, InputError
from checks.base import Finding, Severity

EXTENSIONS = {".html", ".htm", ".pdf", ".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".docx", ".odt", ".txt",
              ".zip", ".doc", ".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff"}
MAX_DIR_FILES = 10_000

COLUMNS = ("file", "finding", "count", "severity", "samples", "location")
SEV_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("check-file", parents=parents,
                       help="periksa data pribadi di berkas sebelum diunggah (offline)",
                       description="Periksa NIK, No. KK, NPWP, BPJS, No. HP, e-mail dan rekening di berkas "
                                   "(HTML, PDF, XLSX/XLS/ODS/CSV, DOCX/ODT, TXT, ZIP) sebelum diunggah. "
                                   "Tanpa jaringan.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="berkas atau folder")
    p.add_argument("--json", metavar="F", help="tulis temuan dalam format JSON ke F")
    p.set_defaults(func=run)


def _machine_key() -> bytes:
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "ppid-auditor"
    path = base / "check-file.key"
    try:
        data = path.read_bytes()
        if len(data) >= 32:
            return data[:32]
    except OSError:
        pass
    key = secrets.token_bytes(32)
    try:
        base.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
    except FileExistsError:
        return path.read_bytes()[:32] or key
    except OSError:
        pass  # read-only home: hashes are keyed but only stable within this run
    return key


def _settings(config: str | None) -> tuple[bytes, list[str], Any, Any]:
    """(key, allowlist entries, check config, cache) from the config and store when present; the cache
    is the store's (OCR results by content hash) when a store exists, else None."""
    from checks.personal_data.check import PersonalDataConfig

    cfg_path = config or os.environ.get("PPID_AUDIT_CONFIG")
    if not cfg_path and not Path("config.yaml").is_file():
        return _machine_key(), [], PersonalDataConfig(), None
    from auditor.config import load_config

    cfg = load_config(cfg_path, require_files=False)  # ConfigError (exit 2) if given but broken
    block = cfg.check_blocks.get("personal_data")
    pd_cfg = block if isinstance(block, PersonalDataConfig) else PersonalDataConfig()
    allow = [v for s in cfg.sites for v in s.contact_allowlist]
    key = b""
    cache = None
    db = cfg.database_path
    if "://" not in db and Path(db).is_file():
        try:
            from auditor.store import Store

            store = Store(db)
            key = store.secret_key
            cache = store.check_cache()  # the store stays open for the cache until the process ends
        except Exception:  # a locked or damaged store must not stop an offline file check
            key, cache = b"", None
    return key or _machine_key(), allow, pd_cfg, cache


def _collect(paths: list[str]) -> tuple[list[Path], list[str]]:
    files: list[Path] = []
    missing: list[str] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in EXTENSIONS)
            files.extend(found[:MAX_DIR_FILES])
        elif p.is_file():
            files.append(p)
        else:
            missing.append(raw)
    return files, missing


def check_paths(paths: list[Path], key: bytes, allow_entries: list[str], pd_cfg: Any,
                today: date | None = None, cache: Any = None, ocr: Any = None,
                ) -> tuple[list[Finding], dict[str, str], dict[str, list[str]]]:
    """Findings for every file, unreadable files (path -> reason), and notes per file (OCR summaries
    included). `ocr`: an OcrEngine to use (default: one made from `pd_cfg` over `cache`)."""
    from auditor.catalogue import t
    from checks.personal_data.check import limits_from, ocr_engine
    from checks.personal_data.detectors import Allowlist
    from checks.personal_data.evidence import findings_for, scan_extraction
    from checks.personal_data.extract import extract, sniff
    from checks.personal_data.scans import read_ahead

    limits = limits_from(pd_cfg)
    allow = Allowlist.from_entries([*allow_entries, *pd_cfg.allowlist])
    findings: list[Finding] = []
    unreadable: dict[str, str] = {}
    notes: dict[str, list[str]] = {}
    own = ocr is None  # then made for the first file OCR may read (a sheet never needs Tesseract) and closed here
    told = False
    files: dict[int, bytes | str] = {}  # index -> bytes, or why it cannot be read; only a few ahead at once

    def load(i: int) -> bytes | str:
        if i not in files:
            try:
                if paths[i].stat().st_size > limits.max_bytes:
                    files[i] = f"lebih besar dari {limits.max_bytes // (1024 * 1024)} MB"
                else:
                    files[i] = paths[i].read_bytes()
            except OSError as exc:
                files[i] = exc.strerror or type(exc).__name__
        return files[i]

    for i, path in enumerate(paths):
        name = str(path)
        data = load(i)
        if isinstance(data, str):
            del files[i]
            unreadable[name] = data
            continue
        if own and ocr is None and sniff(data, path.name) in ("pdf", "image"):
            ocr = ocr_engine(pd_cfg, cache)
        if ocr is not None and ocr.available:  # idle OCR workers read the next images meanwhile
            ahead = (load(j) for j in range(i, min(len(paths), i + ocr.workers)))
            read_ahead(ocr, (d for d in ahead if isinstance(d, bytes)))
        del files[i]
        ex = extract(data, path.name, limits=limits, ocr=ocr if ocr is not None and ocr.available else None)
        res = scan_extraction(ex, allow, today)
        if ocr is not None and not ocr.available and not told and (res.image_only or ex.fmt == "image"):
            told = True  # once per run
            notes.setdefault(name, []).append(t("ocr_unavailable", "id", missing=ocr.reason))
        if res.ocr:
            conf = res.ocr["mean_confidence"]
            notes.setdefault(name, []).append(t("ocr_summary", "id", pages=res.ocr["pages"], cached=res.ocr["cached"],
                                                confidence="-" if conf is None else f"{conf:.0f}%"))
        for f in findings_for(res, name, key):
            if f.rule == "pii.document.unscannable" and not res.image_only:
                continue  # reported as unreadable (exit 2) instead
            findings.append(f)
        if res.error_kind:
            unreadable[name] = res.error_id
        if res.notes:
            notes.setdefault(name, []).extend(n.text_id for n in res.notes)
    if own and ocr is not None:
        ocr.close()
    return findings, unreadable, notes


def _table(findings: list[Finding], lang: str) -> Any:
    from rich.table import Table

    table = Table(show_lines=False, header_style="bold")
    for col in COLUMNS:
        table.add_column(t("check_file_col_" + col, lang), overflow="fold")
    for f in sorted(findings, key=lambda f: (f.url, -int(f.severity), f.rule)):
        title, _ = f.localized(lang)
        sev = f.severity.label
        count = str(f.data.get("count", "")) if f.data else ""
        samples = ", ".join(f.data.get("samples", [])) if f.data else ""
        locs = ", ".join(f.data.get("locations", [])) if f.data else ""
        if f.rule == "pii.document.unscannable":
            samples = f.evidence if lang != "en" else f.data.get("reason_en", f.evidence)
        table.add_row(f.url, title, count, f"[{SEV_STYLE[sev]}]{t('sev_' + sev, lang)}[/]",
                      samples, locs)
    return table


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    lang = args.lang or "id"
    started = datetime.now(UTC)
    files, missing = _collect(args.paths)
    if not files and missing:
        raise InputError(t("check_file_missing", lang, paths=", ".join(missing)))
    try:
        key, allow, pd_cfg, cache = _settings(args.config)
    except ConfigError:
        raise
    findings, unreadable, notes = check_paths(files, key, allow, pd_cfg, cache=cache)
    for m in missing:
        unreadable[m] = t("check_file_not_found", lang)
    # Piped output (logs, CI) gets a wide table instead of words folded over several lines.
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 180)
    if not args.quiet or findings:
        if findings:
            console.print(_table(findings, lang))
        for name, items in notes.items():
            for n in items:
                console.print(f"[dim]{name}: {n}[/]")
        if not args.quiet:
            pii = sum(1 for f in findings if f.rule != "pii.document.unscannable")
            console.print(t("check_file_summary", lang, files=len(files), pii=pii))
    if args.json:
        from auditor import __version__
        from auditor.atomic import write_atomic
        from auditor.output import dump

        finished = datetime.now(UTC)
        doc = {
            "tool": {"name": "ppid-auditor", "version": __version__},
            "run": {"id": "check-file-" + uuid.uuid4().hex[:8], "site": "check-file", "url": "",
                    "started": started.isoformat(timespec="seconds"),
                    "finished": finished.isoformat(timespec="seconds"), "pages": 0, "documents": len(files)},
            "checks": [{"name": "personal_data", "status": "error" if unreadable else "ok",
                        "duration_s": round((finished - started).total_seconds(), 3),
                        "error": "; ".join(f"{k}: {v}" for k, v in unreadable.items()) or None}],
            "findings": [f.to_json(lang) for f in findings],
        }
        try:
            write_atomic(args.json, dump(doc))
        except OSError as exc:
            raise InputError(f"--json {args.json}: cannot write: {exc.strerror}") from None
    if unreadable:
        detail = "; ".join(f"{k} ({v})" for k, v in unreadable.items())
        raise InputError(t("check_file_unreadable", lang, detail=detail))
    worst = max((f.severity for f in findings), default=None)
    sys.stdout.flush()
    return 1 if worst is not None and worst >= Severity.INFO else 0
