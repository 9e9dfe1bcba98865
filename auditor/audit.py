"""The full audit used by `ppid-audit demo`: scan every site, write JSON/SARIF, then both reports."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from pathlib import Path

from auditor.atomic import write_atomic
from auditor.commands.scan import print_summary
from auditor.config import load_config
from auditor.output import dump, findings_json, sarif
from auditor.runner import run_audit
from auditor.store import Store


def run_full_audit(config_path: Path, out_dir: Path, *, lang: str | None = None, quiet: bool = False) -> int:
    """Returns the CLI exit code (0, or 3 when a site could not be reached)."""
    cfg = load_config(config_path)
    lang = lang or cfg.reports.language
    out_dir.mkdir(parents=True, exist_ok=True)
    store = Store(cfg.database_path)
    code = 0
    try:
        for site in cfg.sites:
            outcome = run_audit(cfg, site, store, quiet=quiet)
            if not outcome.reachable:
                code = 3
                continue
            write_atomic(out_dir / f"findings-{site.name}.json", dump(findings_json(outcome, lang)))
            write_atomic(out_dir / f"findings-{site.name}.sarif", dump(sarif(outcome, lang)))
            if not quiet:
                print_summary(outcome, lang)
        written = write_reports(cfg, store, lang, datetime.now(UTC))
        if not quiet:
            for path in written:
                print(f"report: {path}")
    finally:
        store.close()
    return code


def write_reports(cfg, store: Store, lang: str, now: datetime) -> list[Path]:
    """Both evaluation reports for the current period, if the reports package provides them."""
    try:
        render = importlib.import_module("reports.render")
    except ModuleNotFoundError:
        return []
    month = now.strftime("%Y-%m")
    half = f"{now.year}-H{1 if now.month <= 6 else 2}"
    paths: list[Path] = []
    paths += render.write_report(cfg, store, "monthly", month, formats=("html", "pdf"), lang=lang)
    paths += render.write_report(cfg, store, "semiannual", half, formats=("html", "pdf"), lang=lang)
    return list(dict.fromkeys(paths))  # each call also refreshes index.html: list it once
