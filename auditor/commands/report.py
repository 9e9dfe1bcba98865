"""`ppid-audit report monthly|semiannual`: the evaluation reports (HTML and PDF) from stored runs."""

from __future__ import annotations

import argparse
from contextlib import ExitStack
from pathlib import Path

from auditor.commands import _common
from auditor.errors import InputError
from auditor.lock import SiteBusy, lock_dir_for, site_lock

KINDS = {"monthly": ("--month", "YYYY-MM", "month (default: the previous month)"),
         "semiannual": ("--half", "YYYY-H1|YYYY-H2", "half year (default: the previous half)")}

REPORT_WAIT_S = 900.0


def register(sub, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help="Laporan Evaluasi Bulanan / Semester (HTML, PDF)")
    kinds = p.add_subparsers(dest="report_kind", metavar="KIND", parser_class=type(p))
    kinds.required = True
    for kind, (flag, metavar, what) in KINDS.items():
        k = kinds.add_parser(kind, parents=parents,
                             help="Laporan Evaluasi Bulanan (Atasan PPID)" if kind == "monthly"
                             else "Laporan Evaluasi Semester (Kepala Seksi -> Ketua PPID)")
        k.add_argument(flag, dest="period", metavar=metavar, help=what)
        k.add_argument("--format", default="html,pdf", metavar="html,pdf",
                       help="html, pdf, json (the numbers), or a list (default: html,pdf)")
        k.add_argument("--site", metavar="NAME", help="only this site (default: every site in the config)")
        k.add_argument("--out", metavar="DIR", help="output folder (default: reports.output_dir)")
        k.set_defaults(func=run, kind=kind)
    # fleet mode (issue 11): `report fleet` lives in auditor/commands/fleet.py
    from auditor.commands.fleet import register_report

    register_report(kinds, parents)


def run(args: argparse.Namespace) -> int:
    from reports import periods
    from reports.render import write_report

    cfg = _common.config(args)
    period = args.period or periods.default_key(args.kind)
    periods.parse(args.kind, period)  # a malformed period is an input error before the store is opened
    if args.out:
        out = Path(args.out)
        if out.exists() and not out.is_dir():
            raise InputError(f"--out {args.out}: not a directory")
        cfg.reports = cfg.reports.model_copy(update={"output_dir": out.resolve()})
    if args.site:
        cfg.site(args.site)  # unknown site -> ConfigError naming the known ones
    store = _common.store(cfg)
    try:
        # Shared per-site lock: a report waits for a running scan of its sites (up to REPORT_WAIT_S).
        with ExitStack() as locks:
            for site in cfg.selected_sites(args.site):
                locks.enter_context(site_lock(lock_dir_for(cfg.database_path), site.name, wait_s=REPORT_WAIT_S))
            written = write_report(cfg, store, args.kind, period, formats=args.format.split(","),
                                   lang=_common.lang(args, cfg), site=args.site)
    except SiteBusy as busy:
        raise InputError(f"site {busy.site!r} is still being scanned (pid {busy.holder}) after "
                         f"{REPORT_WAIT_S:.0f} s; try the report again later") from None
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc}") from None
    finally:
        store.close()
    _common.print_written(written, args.quiet)
    return 0
