"""`ppid-audit gate [--site NAME] [--fail-on SEV]`: audit the staged copy, diff it against production."""

from __future__ import annotations

import argparse
import importlib

from rich.table import Table

from auditor.commands import _common
from auditor.commands.scan import _severity
from auditor.errors import SiteUnreachable
from auditor.gate import GateResult, run_gate
from auditor.i18n import t
from auditor.lock import SiteBusy, lock_dir_for, site_lock
from checks.base import Severity

TEXT = {
    "id": {"introduced": "Temuan baru akibat perubahan", "fixed": "Temuan yang diperbaiki",
           "unchanged": "{n} temuan tidak berubah", "added": "Halaman/dokumen ditambah",
           "removed": "Halaman/dokumen dihapus", "pass": "LULUS: tidak ada temuan baru >= {sev}",
           "fail": "TIDAK LULUS: perubahan menambah temuan >= {sev}", "files": "Berita acara: {path}",
           "busy": "situs {site} sedang diaudit proses lain (pid {pid}); coba lagi nanti"},
    "en": {"introduced": "Findings introduced by the change", "fixed": "Findings fixed by the change",
           "unchanged": "{n} findings unchanged", "added": "Pages/documents added",
           "removed": "Pages/documents removed", "pass": "PASS: no introduced finding >= {sev}",
           "fail": "FAIL: the change introduces findings >= {sev}", "files": "Report: {path}",
           "busy": "site {site} is being audited by another process (pid {pid}); try again later"},
}


def register(sub, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("gate", parents=parents,
                       help="audit staging_url/staging_path, diff against the latest production run")
    p.add_argument("--site", metavar="NAME")
    p.add_argument("--checks", metavar="a,b", help="only these checks")
    p.add_argument("--fail-on", metavar="SEV", type=_severity, default=Severity.HIGH,
                   help="exit 1 when the change introduces a finding at or above SEV (default high)")
    p.add_argument("--no-report", action="store_true", help="do not write the Berita Acara HTML/PDF")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cfg = _common.config(args)
    lang = _common.lang(args, cfg)
    site = cfg.site(args.site)
    only = _common.only_checks(args)
    store = _common.store(cfg)
    try:
        try:
            with site_lock(lock_dir_for(cfg.database_path), site.name):
                result = run_gate(cfg, site, store, args.fail_on, only=only, quiet=args.quiet)
        except SiteBusy as busy:
            raise SiteUnreachable(TEXT[lang]["busy"].format(site=site.name, pid=busy.holder)) from None
        if not result.outcome.reachable:
            raise SiteUnreachable(f"staging {result.staging_url} could not be reached")
        files = [] if args.no_report else _write_report(cfg, store, result, lang)
        if not args.quiet:
            _print(result, lang, files)
    finally:
        store.close()
    return 0 if result.passed else 1


def _write_report(cfg, store, result: GateResult, lang: str) -> list[str]:
    try:
        render = importlib.import_module("reports.render")
    except ModuleNotFoundError:
        return []
    writer = getattr(render, "write_gate_report", None)
    if writer is None:
        return []
    paths = [str(p) for p in writer(cfg, store, result.gate_id, lang=lang)]
    store.set_gate_files(result.gate_id, paths)
    return paths


def _print(result: GateResult, lang: str, files: list[str]) -> None:
    con = _common.console()
    text = TEXT[lang]
    for key, group in (("introduced", result.diff.introduced), ("fixed", result.diff.fixed)):
        table = Table(t("severity", lang), t("rule", lang), t("title", lang), t("url", lang),
                      title=f"{text[key]} ({len(group)})")
        for f in group:
            title, _ = f.localized(lang)
            table.add_row(t(f.severity.label, lang), f.rule, title, f.url)
        con.print(table)
    con.print(text["unchanged"].format(n=len(result.diff.unchanged)))
    _print_scope(con, result, lang)
    for key, pages in (("added", result.diff.pages_added), ("removed", result.diff.pages_removed)):
        if pages:
            con.print(f"{text[key]}: " + ", ".join(pages))
    verdict = "pass" if result.passed else "fail"
    style = "green" if result.passed else "red"
    con.print(f"[{style}]{text[verdict].format(sev=t(result.fail_on.label, lang))}[/]")
    for path in files:
        con.print(text["files"].format(path=path))


def _print_scope(con, result: GateResult, lang: str) -> None:
    """Which comparison was made, and the server findings left out of it."""
    cmp = result.diff.comparison
    unnamed = t("gate_server_unnamed", lang)
    production = "; ".join(cmp.production_server) or unnamed
    con.print(f"{t('gate_comparison', lang)}: " + t(f"gate_cmp_{cmp.kind}", lang, server=production,
                                                     production=production,
                                                     staging="; ".join(cmp.staging_server) or unnamed))
    if cmp.compares_server:
        return
    table = Table(t("severity", lang), t("rule", lang), t("title", lang),
                  title=f"{t('gate_sec_not_comparable', lang)} ({len(result.diff.not_comparable)})",
                  caption=t("gate_not_comparable_note", lang))
    for f in result.diff.not_comparable:
        table.add_row(t(f.severity.label, lang), f.rule, f.localized(lang)[0])
    con.print(table)
