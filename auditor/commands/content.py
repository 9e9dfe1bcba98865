"""`ppid-audit content import|export|log`: the approved content list and the content update log."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from rich.table import Table

from auditor import catalogue
from auditor.commands import _common
from auditor.errors import InputError
from checks.content.daftar import (
    CADENCE_LABEL_ID,
    CATEGORY_LABEL_ID,
    DaftarError,
    export_xlsx,
    load_daftar,
    save_daftar,
)


def register(sub, parents: list[argparse.ArgumentParser]) -> None:
    # The common options live on the leaf parsers only: on both levels the inner defaults would overwrite
    # values given before the sub-command.
    p = sub.add_parser("content",
                       help="approved content list (import/export) and the content update log")
    csub = p.add_subparsers(dest="content_command", metavar="import|export|log")
    csub.required = True
    imp = csub.add_parser("import", parents=parents, help="signed content table (XLSX/XLS/CSV) -> daftar.yaml")
    imp.add_argument("file", metavar="F.xlsx|F.csv")
    imp.add_argument("-o", "--output", metavar="daftar.yaml", default="daftar.yaml")
    imp.add_argument("--sheet", metavar="NAME", help="worksheet name (default: the first with data)")
    imp.add_argument("--approved-by", metavar="NAME", help="who approved the list (if not in the table)")
    imp.add_argument("--approved-on", metavar="YYYY-MM-DD", help="approval date (if not in the table)")
    imp.set_defaults(func=run_import)
    exp = csub.add_parser("export", parents=parents, help="daftar.yaml -> XLSX table")
    exp.add_argument("file", metavar="daftar.yaml")
    exp.add_argument("-o", "--output", metavar="F.xlsx", required=True)
    exp.set_defaults(func=run_export)
    log = csub.add_parser("log", parents=parents,
                          help="pages and documents added/changed/removed in a month (Form daftar update konten)")
    log.add_argument("--month", metavar="YYYY-MM", help="period (default: the current month)")
    log.add_argument("--site", metavar="NAME")
    log.add_argument("--json", metavar="F", help="also write the log as JSON ('-' for stdout)")
    log.set_defaults(func=run_log)


def _lang(args: argparse.Namespace) -> str:
    return args.lang or "id"


def run_import(args: argparse.Namespace) -> int:
    from checks.content.importer import DaftarImportError, import_file

    lang = _lang(args)
    tx = catalogue.section("content_cmd_", lang)
    try:
        daftar = import_file(args.file, sheet=args.sheet)
    except DaftarImportError as exc:
        raise InputError(exc.message(lang)) from None
    except DaftarError as exc:
        raise InputError(str(exc)) from None
    if args.approved_by:
        daftar.approved_by = args.approved_by
    if args.approved_on:
        try:
            daftar.approved_on = date.fromisoformat(args.approved_on)
        except ValueError:
            raise InputError(f"--approved-on {args.approved_on}: expected YYYY-MM-DD") from None
    out = Path(args.output)
    try:
        save_daftar(daftar, out)
    except OSError as exc:
        raise InputError(f"{out}: cannot write: {exc}") from None
    if not args.quiet:
        con = _common.console()
        table = Table(tx["no"], tx["id"], tx["title"], tx["category"], tx["cadence"], tx["responsible"],
                      tx["where"])
        for n, item in enumerate(daftar.items, 1):
            table.add_row(str(n), item.id, item.title, CATEGORY_LABEL_ID[item.category],
                          CADENCE_LABEL_ID[item.cadence], item.responsible or "",
                          item.url or "; ".join(item.match))
        con.print(table)
        con.print(tx["imported"].format(n=len(daftar.items), out=out))
        if daftar.approved_on:
            con.print(tx["approved"].format(by=daftar.approved_by or "-", on=daftar.approved_on.isoformat()))
        else:
            con.print(tx["no_approval"])
    return 0


def run_export(args: argparse.Namespace) -> int:
    try:
        daftar = load_daftar(args.file)
    except DaftarError as exc:
        raise InputError(str(exc)) from None
    try:
        export_xlsx(daftar, args.output)
    except OSError as exc:
        raise InputError(f"{args.output}: cannot write: {exc}") from None
    if not args.quiet:
        _common.console().print(catalogue.section("content_cmd_", _lang(args))["exported"].format(n=len(daftar.items), out=args.output))
    return 0


def run_log(args: argparse.Namespace) -> int:
    from auditor.contentlog import load_log, month_bounds

    cfg = _common.config(args)
    lang = _common.lang(args, cfg)
    tx = catalogue.section("content_cmd_", lang)
    try:
        start, end = month_bounds(args.month)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if args.site:
        cfg.site(args.site)  # unknown site -> ConfigError naming the known ones
    store = _common.store(cfg)
    try:
        log = load_log(store, start=start, end=end, site=args.site)
    finally:
        close = getattr(store, "close", None)
        if close:
            close()
    if args.json:
        text = json.dumps(log.to_json(), ensure_ascii=False, indent=2)
        if args.json == "-":
            print(text)
        else:
            try:
                Path(args.json).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise InputError(f"{args.json}: cannot write: {exc}") from None
    if args.quiet or args.json == "-":
        return 0
    con = _common.console()
    last = (end.date().toordinal() - 1)
    title = tx["log_title"].format(start=start.date().isoformat(), end=date.fromordinal(last).isoformat())
    if not log.entries:
        con.print(title)
        con.print(tx["empty"])
    else:
        table = Table(tx["when"], tx["site"], tx["kind"], tx["action"], tx["url"], tx["page_title"], title=title)
        for e in log.entries:
            table.add_row(e.when.strftime("%Y-%m-%d"), e.site, tx.get(e.kind, e.kind), catalogue.t("content_action_" + e.action, lang),
                          e.url, e.title)
        con.print(table)
    con.print(tx["totals"].format(runs=log.runs, **log.counts()))
    for note in log.notes:
        con.print(f"[dim]{note}[/dim]")
    return 0
