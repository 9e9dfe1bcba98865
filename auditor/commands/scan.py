"""`ppid-audit scan`: crawl the site(s), run the enabled checks, store the run, print a summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from auditor import triage
from auditor.atomic import write_atomic
from auditor.catalogue import t
from auditor.commands import _common
from auditor.errors import ConfigError
from auditor.lock import SiteBusy, lock_dir_for, site_lock
from auditor.output import dump, findings_json, sarif, worst
from auditor.runner import RunOutcome, run_audit
from checks.base import Severity


def register(sub, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("scan", parents=parents, help="audit the site(s) in the config and store the run")
    p.add_argument("--site", metavar="NAME", help="only this site (default: every site in the config)")
    p.add_argument("--checks", metavar="a,b", help="only these checks (default: checks.enabled)")
    p.add_argument("--json", metavar="F", help="write findings JSON (several sites: F-<site>.json)")
    p.add_argument("--sarif", metavar="F", help="write SARIF 2.1.0 (several sites: F-<site>.sarif)")
    p.add_argument("--fail-on", metavar="SEV", type=severity_arg,
                   help="exit 1 when a finding is at or above SEV (critical|high|medium|low|info)")
    p.add_argument("--all", action="store_true",
                   help="every site as one fleet batch (bounded local pool, or workers with --queue)")
    p.add_argument("--queue", nargs="?", const="", metavar="URL",
                   help="with --all: run on `ppid-audit worker`s via Redis (default URL: fleet.queue)")
    p.set_defaults(func=run)


def severity_arg(value: str) -> Severity:
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def per_site_path(path: str, site: str, multiple: bool) -> Path:
    p = Path(path)
    return p.with_name(f"{p.stem}-{site}{p.suffix}") if multiple else p


def print_summary(outcome: RunOutcome, lang: str, decisions: dict | None = None) -> None:
    con = _common.console()
    site = outcome.site
    con.print(t("summary", lang, site=site.name, url=outcome.url, pages=site.page_count,
                documents=len(site.documents), n=len(outcome.findings)))
    checks = Table(t("check", lang), t("status", lang), t("duration", lang), t("note", lang))
    for c in outcome.checks:
        style = {"ok": "green", "error": "red", "skipped": "yellow"}[c.status]
        checks.add_row(c.name, f"[{style}]{t(c.status, lang)}[/]", f"{c.duration_s:.1f}", c.error or "")
    con.print(checks)
    if not outcome.findings:
        con.print(t("no_findings", lang))
        return
    from auditor.commands.triage import describe

    table = Table(t("tr_id", lang), t("severity", lang), t("rule", lang), t("title", lang), t("url", lang),
                  t("lifecycle", lang), t("tr_decision", lang))
    for f in sorted(outcome.findings, key=lambda f: (-f.severity, f.rule)):
        title, _ = f.localized(lang)
        table.add_row(f.fingerprint[:10], t(f.severity.label, lang), f.rule, title, f.url,
                      t(outcome.lifecycle.get(f.fingerprint, ""), lang) if outcome.lifecycle else "",
                      escape(describe((decisions or {}).get(f.fingerprint), lang)))
    con.print(table)


def run(args: argparse.Namespace) -> int:
    cfg = _common.config(args)
    lang = _common.lang(args, cfg)
    only = _common.only_checks(args)
    if args.checks is not None and not only:
        raise ConfigError("--checks: give at least one check name")
    if args.all or args.queue is not None:
        from auditor.fleet import scan_all_args  # fleet mode (Celery imported only here)

        return scan_all_args(args, cfg, only, lang)
    sites = cfg.selected_sites(args.site)
    store = _common.store(cfg)
    exit_code = 0
    try:
        for site_cfg in sites:
            try:
                with site_lock(lock_dir_for(cfg.database_path), site_cfg.name):
                    outcome = run_audit(cfg, site_cfg, store, only=only, quiet=args.quiet)
            except SiteBusy as busy:
                # cron overlap: not an error; the running scan will store its results
                print(f"ppid-audit: {t('busy', lang, site=site_cfg.name, pid=busy.holder)}", file=sys.stderr)
                continue
            multiple = len(sites) > 1
            if not outcome.reachable:
                why = outcome.unreachable_reason
                print(f"ppid-audit: {t('unreachable', lang, site=site_cfg.name, url=site_cfg.url, why=why)}",
                      file=sys.stderr)
                exit_code = 3
                continue
            decided = triage.decisions(store, site_cfg.name,
                                       evidence={f.fingerprint: f.evidence for f in outcome.findings})
            if args.json:
                write_atomic(per_site_path(args.json, site_cfg.name, multiple),
                             dump(findings_json(outcome, lang, decided)))
            if args.sarif:
                write_atomic(per_site_path(args.sarif, site_cfg.name, multiple), dump(sarif(outcome, lang, decided)))
            if not args.quiet:
                print_summary(outcome, lang, decided)
                _common.console().print(t("stored", lang, run=outcome.run_id))
            top = worst(outcome.findings, decided)  # false positives and accepted risks never fail the run
            if args.fail_on is not None and top is not None and top >= args.fail_on and exit_code == 0:
                exit_code = 1
    finally:
        store.close()
    return exit_code
