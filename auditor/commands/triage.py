"""`ppid-audit triage` (decide on a finding, export/import the decisions) and `ppid-audit programme`
(the improvement programme for the monthly evaluation, SOP C2). See docs/triage.md."""

from __future__ import annotations

import argparse
import getpass
import os
from datetime import date

from rich.markup import escape
from rich.table import Table

from auditor import triage, triage_io
from auditor.atomic import write_atomic
from auditor.catalogue import t
from auditor.commands import _common
from auditor.errors import InputError
from auditor.store import Store


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: expected a date YYYY-MM-DD") from None


def register(sub, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("triage", parents=parents, help="decide on a tracked finding (false positive, accepted "
                       "risk, assignment, follow-up note), or export/import the decisions")
    p.add_argument("target", nargs="?", metavar="FINGERPRINT", help="a fingerprint or a unique prefix of one")
    p.add_argument("--site", metavar="NAME", help="only look the fingerprint up in this site")
    act = p.add_mutually_exclusive_group()
    act.add_argument("--false-positive", action="store_true", help="not a real problem (needs --reason)")
    act.add_argument("--accept", action="store_true", help="accept the risk until a date (--until, --reason)")
    act.add_argument("--assign", metavar="NAME", help="owner who follows it up (triage.owners, signatories)")
    act.add_argument("--note", metavar="TEXT", help="a follow-up note (tindak lanjut)")
    act.add_argument("--undo", action="store_true", help="take back the latest decision or note")
    act.add_argument("--export", metavar="F.yaml", help="write every decision to a reviewable YAML file")
    act.add_argument("--import", dest="import_file", metavar="F.yaml", help="load decisions (idempotent)")
    p.add_argument("--reason", metavar="TEXT", help="why (required for --false-positive and --accept)")
    p.add_argument("--until", metavar="YYYY-MM-DD", type=_day, help="expiry of an accepted risk (<= 12 months)")
    p.add_argument("--due", metavar="YYYY-MM-DD", type=_day, help="due date of an assignment "
                   "(default: the policy deadline)")
    p.add_argument("--by", metavar="NAME", help="who decides (default: $PPID_AUDIT_USER, else the login name)")
    p.set_defaults(func=run_triage)
    g = sub.add_parser("programme", parents=parents, help="the improvement programme: assigned findings with "
                       "owner, due date, status and last note (SOP C2)")
    g.add_argument("--site", metavar="NAME", help="only this site (default: every site in the config)")
    g.add_argument("--month", metavar="YYYY-MM", help="as it stood at the end of this month (default: now)")
    g.set_defaults(func=run_programme)


def say(con, text: str) -> None:
    """Print a line that holds people's text (reasons, notes, titles): never read as rich markup."""
    con.print(text, markup=False)


def actor(args: argparse.Namespace) -> str:
    return args.by or os.environ.get("PPID_AUDIT_USER") or getpass.getuser()


def describe(d: triage.Decision | None, lang: str) -> str:
    """One line for a decision: label, then the who/why/until or owner/due details."""
    if d is None or not d.kind:
        return t("dec_none", lang)
    text = t(f"dec_{d.label}", lang)
    if d.kind == triage.ASSIGNED:
        text += f": {d.owner}" + (f", {t('tr_due', lang).lower()} {d.due.isoformat()}" if d.due else "")
    elif d.kind == triage.ACCEPTED and d.until:
        text += f" ({t('tr_until', lang).lower()} {d.until.isoformat()})"
    if d.reason:
        text += f" — {d.reason}"
    if d.actor:
        text += f" [{d.actor}]"
    return text


def _check_options(args: argparse.Namespace) -> str | None:
    action = (triage.FALSE_POSITIVE if args.false_positive else triage.ACCEPTED if args.accept
              else triage.ASSIGNED if args.assign is not None else triage.NOTE if args.note is not None
              else triage.UNDO if args.undo else None)
    for flag, value, allowed in (("--reason", args.reason, (triage.FALSE_POSITIVE, triage.ACCEPTED)),
                                 ("--until", args.until, (triage.ACCEPTED,)),
                                 ("--due", args.due, (triage.ASSIGNED,))):
        if value is not None and action not in allowed:
            raise InputError(f"{flag}: only with {' or '.join('--' + a.replace('_', '-') for a in allowed)}"
                             .replace("--accepted", "--accept").replace("--assigned", "--assign"))
    return action


def run_triage(args: argparse.Namespace) -> int:
    cfg = _common.config(args)
    lang = _common.lang(args, cfg)
    action = _check_options(args)
    if (args.export or args.import_file) and args.target:
        raise InputError("--export/--import: take no FINGERPRINT (they cover every decision)")
    if not (args.export or args.import_file) and not args.target:
        raise InputError("triage: give a FINGERPRINT (or a unique prefix), or --export/--import F.yaml")
    store = _common.store(cfg)
    con = _common.console()
    try:
        if args.export:
            text = triage_io.export_decisions(store, args.site)
            write_atomic(args.export, text)
            n = sum(1 for line in text.splitlines() if line.startswith("  - fingerprint:"))
            if not args.quiet:
                say(con, t("tr_exported", lang, n=n, path=args.export))
            return 0
        if args.import_file:
            counts = triage_io.import_decisions(args.import_file, store)
            if not args.quiet:
                say(con, t("tr_imported", lang, path=args.import_file, **counts))
            return 0
        if args.site:
            cfg.site(args.site)  # a typo in --site is a clear error, not "unknown fingerprint"
        site, fp = triage.resolve_prefix(store, args.target, args.site)
        if action is None:
            show(store, site, fp, lang)
            return 0
        if action == triage.UNDO:
            ev = triage.undo(store, site, fp, actor=actor(args))
            undone = next(e for e in triage.events(store, site, fp) if e.id == ev.undo_of)
            now = describe(triage.current_decision(store, site, fp), lang)
            if not args.quiet:
                say(con, t("tr_undone", lang, fp=fp[:12], what=t(f"ev_{undone.kind}", lang), now=now))
            return 0
        owners = triage.allowed_owners(cfg, store, site) if action == triage.ASSIGNED else None
        triage.decide(store, site, fp, action, actor=actor(args), reason=args.reason or "", until=args.until,
                      owner=args.assign or "", due=args.due, note=args.note or "", owners=owners)
        d = triage.current_decision(store, site, fp)
        what = t("ev_note", lang) + f": {args.note}" if action == triage.NOTE else describe(d, lang)
        rule = store.db.execute("SELECT rule FROM issues WHERE site=? AND fingerprint=?", (site, fp)).fetchone()
        if not args.quiet:
            say(con, t("tr_recorded", lang, fp=fp[:12], rule=rule["rule"], what=what))
    finally:
        store.close()
    return 0


def show(store: Store, site: str, fp: str, lang: str) -> None:
    con = _common.console()
    issue = store.db.execute("SELECT * FROM issues WHERE site=? AND fingerprint=?", (site, fp)).fetchone()
    say(con, t("tr_finding_line", lang, fp=fp, site=site, title=issue["title"], rule=issue["rule"],
                url=issue["url"] or ""))
    d = triage.current_decision(store, site, fp)
    say(con, t("tr_current", lang, what=describe(d, lang)))
    if d.previous and d.previous.kind:
        say(con, t("tr_previous", lang, what=describe(d.previous, lang)))
    if d.evidence_changed:
        say(con, t("tr_evidence_changed", lang))
    table = Table(t("tr_when", lang), t("tr_by", lang), t("tr_event", lang), t("tr_details", lang))
    for e in triage.events(store, site, fp):
        details = {"accepted": f"{e.reason} ({t('tr_until', lang).lower()} {e.until})", "false_positive": e.reason,
                   "assigned": f"{e.owner}, {t('tr_due', lang).lower()} {e.due}", "note": e.note,
                   "undo": f"#{e.undo_of}", "fixed": e.run_id or "", "reopened": e.run_id or "",
                   "new": e.run_id or ""}.get(e.kind, "")
        table.add_row(e.at.strftime("%Y-%m-%d %H:%M"), escape(e.actor), f"#{e.id} {t('ev_' + e.kind, lang)}",
                      escape(details))
    con.print(table)


def run_programme(args: argparse.Namespace) -> int:
    cfg = _common.config(args)
    lang = _common.lang(args, cfg)
    sites = cfg.selected_sites(args.site)
    store = _common.store(cfg)
    con = _common.console()
    try:
        for site in sites:
            rows = triage.programme(store, site.name, args.month)
            say(con, t("tr_programme_title", lang, site=site.name, when=args.month or date.today().isoformat()))
            if not rows:
                say(con, t("tr_no_programme", lang))
                continue
            table = Table(t("tr_id", lang), t("severity", lang), t("rule", lang), t("title", lang),
                          t("tr_owner", lang), t("tr_due", lang), t("status", lang), t("tr_last_note", lang))
            for r in rows:
                note = f"{r.last_note.at:%Y-%m-%d} {r.last_note.actor}: {r.last_note.note}" if r.last_note else ""
                table.add_row(r.fingerprint[:10], t(r.severity.label, lang), r.rule, escape(r.title), escape(r.owner),
                              r.due.isoformat() if r.due else "", t(f"prog_{r.status}", lang), escape(note))
            con.print(table)
    finally:
        store.close()
    return 0
