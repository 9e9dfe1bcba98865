"""`ppid-audit runs` and `ppid-audit findings`: history from the store."""

from __future__ import annotations

import argparse

from rich.markup import escape
from rich.table import Table

from auditor import triage
from auditor.catalogue import t
from auditor.commands import _common
from auditor.commands import triage as triage_cmd
from auditor.errors import InputError


def register(sub, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("runs", parents=parents, help="list stored runs")
    p.add_argument("--site", metavar="NAME")
    p.add_argument("--limit", metavar="N", type=int, default=20)
    p.set_defaults(func=run_runs)
    f = sub.add_parser("findings", parents=parents, help="findings of a run, or open/fixed findings")
    f.add_argument("--run", metavar="ID", help="findings of this run (default: the latest run)")
    f.add_argument("--status", choices=("open", "fixed"), help="tracked findings in this state, all runs")
    f.add_argument("--site", metavar="NAME")
    f.add_argument("--decision", choices=DECISION_FILTERS,
                   help="only findings with this triage decision (none: no decision)")
    f.set_defaults(func=run_findings)


DECISION_FILTERS = ("false_positive", "accepted", "accepted_expired", "assigned", "none")


def _decision_of(store, site: str, fp: str, cache: dict) -> triage.Decision | None:
    if site not in cache:
        cache[site] = triage.decisions(store, site)
    return cache[site].get(fp)


def _keep(d: triage.Decision | None, wanted: str | None) -> bool:
    return wanted is None or (d.label if d and d.kind else "none") == wanted


def run_runs(args: argparse.Namespace) -> int:
    cfg = _common.config(args)
    lang = _common.lang(args, cfg)
    if args.limit <= 0:
        raise InputError("--limit: must be > 0")
    store = _common.store(cfg)
    try:
        rows = store.runs(site=args.site, status=None, kind=None, limit=args.limit, newest_first=True)
        con = _common.console()
        if not rows:
            con.print(t("no_runs", lang))
            return 0
        table = Table(t("run", lang), t("site", lang), t("started", lang), t("status", lang),
                      t("pages", lang), t("documents", lang), t("findings", lang))
        for r in rows:
            n = len(store.findings(r.id))
            table.add_row(r.id, r.site + ("" if r.kind == "scan" else f" ({r.kind})"),
                          r.started.strftime("%Y-%m-%d %H:%M"), r.status, str(r.pages), str(r.documents), str(n))
        con.print(table)
    finally:
        store.close()
    return 0


def run_findings(args: argparse.Namespace) -> int:
    cfg = _common.config(args)
    lang = _common.lang(args, cfg)
    store = _common.store(cfg)
    con = _common.console()
    try:
        if args.status:
            cache: dict = {}
            issues = [(i, d) for i in store.issues(site=args.site, status=args.status)
                      if _keep(d := _decision_of(store, i.site, i.fingerprint, cache), args.decision)]
            table = Table(t("tr_id", lang), t("severity", lang), t("rule", lang), t("title", lang), t("url", lang),
                          t("first_seen", lang), t("last_seen", lang) if args.status == "open" else t("fixed", lang),
                          t("tr_decision", lang))
            for i, d in issues:
                when = i.last_seen if args.status == "open" else i.fixed_at
                table.add_row(i.fingerprint[:10], t(i.severity.label, lang), i.rule, i.title, i.url,
                              i.first_seen.strftime("%Y-%m-%d"), when.strftime("%Y-%m-%d") if when else "",
                              escape(triage_cmd.describe(d, lang)))
            con.print(table if issues else t("no_findings", lang))
            return 0
        run_id = args.run
        if run_id is None:
            latest = store.runs(site=args.site, status=None, limit=1, newest_first=True)
            if not latest:
                con.print(t("no_runs", lang))
                return 0
            run_id = latest[0].id
        elif store.run(run_id) is None:
            raise InputError(f"--run {run_id}: no such run (see `ppid-audit runs`)")
        site = store.run(run_id).site
        evidence = {sf.fingerprint: sf.finding.evidence for sf in store.findings(run_id)}
        decided = triage.decisions(store, site, evidence=evidence)
        rows = [sf for sf in store.findings(run_id) if _keep(decided.get(sf.fingerprint), args.decision)]
        table = Table(t("tr_id", lang), t("severity", lang), t("rule", lang), t("title", lang), t("url", lang),
                      t("evidence", lang), t("lifecycle", lang), t("tr_decision", lang))
        for s in rows:
            title, _ = s.finding.localized(lang)
            table.add_row(s.fingerprint[:10], t(s.finding.severity.label, lang), s.finding.rule, title, s.finding.url,
                          s.finding.evidence[:80], t(s.lifecycle, lang) if s.lifecycle else "",
                          escape(triage_cmd.describe(decided.get(s.fingerprint), lang)))
        con.print(f"{t('run', lang)} {run_id}")
        con.print(table if rows else t("no_findings", lang))
    finally:
        store.close()
    return 0
