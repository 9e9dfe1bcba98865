"""`ppid-audit gate [--site NAME] [--fail-on SEV]`: audit the staged copy, diff it against production."""

from __future__ import annotations

import argparse
import importlib
from datetime import UTC, datetime
from pathlib import Path

from rich.table import Table

from auditor import catalogue
from auditor.catalogue import t
from auditor.commands import _common
from auditor.commands.scan import severity_arg
from auditor.commands.sign import add_sign_options, sign_files
from auditor.errors import InputError, SiteUnreachable
from auditor.gate import GateResult, run_gate
from auditor.lock import SiteBusy, lock_dir_for, site_lock
from checks.base import Severity


def register(sub, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("gate", parents=parents,
                       help="audit staging_url/staging_path, diff against the latest production run")
    p.add_argument("--site", metavar="NAME")
    p.add_argument("--checks", metavar="a,b", help="only these checks")
    p.add_argument("--fail-on", metavar="SEV", type=severity_arg, default=Severity.HIGH,
                   help="exit 1 when the change introduces a finding at or above SEV (default high)")
    p.add_argument("--no-report", action="store_true", help="do not write the Berita Acara HTML/PDF")
    p.add_argument("--sign", action="store_true",
                   help="sign the Berita Acara PDF as --as ROLE (operator first, then ketua_ppid; docs/reports.md)")
    add_sign_options(p, required=False)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cfg = _common.config(args)
    lang = _common.lang(args, cfg)
    site = cfg.site(args.site)
    only = _common.only_checks(args)
    if args.sign:  # certificate problems before the audit, not after it
        if not args.sign_as or args.no_report:
            raise InputError("--sign needs --as ROLE and the Berita Acara (not --no-report)")
        from reports.signing import load_signer

        load_signer(cfg, args.sign_as, lang, datetime.now(UTC))
    store = _common.store(cfg)
    try:
        try:
            with site_lock(lock_dir_for(cfg.database_path), site.name):
                result = run_gate(cfg, site, store, args.fail_on, only=only, quiet=args.quiet)
        except SiteBusy as busy:
            raise SiteUnreachable(catalogue.section("gate_cmd_", lang)["busy"].format(site=site.name, pid=busy.holder)) from None
        if not result.outcome.reachable:
            raise SiteUnreachable(f"staging {result.staging_url} could not be reached")
        files = [] if args.no_report else _write_report(cfg, store, result, lang)
        if args.sign:
            sign_files(cfg, [Path(f) for f in files if f.endswith(".pdf")], args.sign_as, lang, args.quiet)
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
    text = catalogue.section("gate_cmd_", lang)
    for key, group in (("introduced", result.diff.introduced), ("fixed", result.diff.fixed)):
        table = Table(t("severity", lang), t("rule", lang), t("title", lang), t("url", lang),
                      title=f"{text[key]} ({len(group)})")
        for f in group:
            title, _ = f.localized(lang)
            table.add_row(t(f.severity.label, lang), f.rule, title, f.url)
        con.print(table)
    con.print(text["unchanged"].format(n=len(result.diff.unchanged)))
    if result.diff.suppressed:  # triage decisions (docs/triage.md): not counted as introduced
        con.print(t("tr_gate_suppressed", lang, n=len(result.diff.suppressed)))
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
