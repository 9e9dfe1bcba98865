"""`ppid-audit users add|list|disable|enable|passwd`: console users and their roles (auditor/console/users.py)."""

from __future__ import annotations

import argparse
import getpass
import sys

from auditor.commands import _common
from auditor.console.permissions import ROLES
from auditor.errors import InputError


def register(sub, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("users", help="pengguna konsol web (peran, situs, kata sandi)")
    us = p.add_subparsers(dest="users_command", metavar="add|list|disable|enable|passwd", parser_class=type(p))
    us.required = True
    add = us.add_parser("add", parents=parents, help="tambah pengguna (kata sandi dari prompt atau stdin)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--sites", metavar="a,b", help="only these sites (default: every site)")
    add.set_defaults(func=run_add)
    ls = us.add_parser("list", parents=parents, help="daftar pengguna")
    ls.set_defaults(func=run_list)
    for name, helptext in (("disable", "nonaktifkan pengguna (sesinya berakhir)"), ("enable", "aktifkan lagi")):
        d = us.add_parser(name, parents=parents, help=helptext)
        d.add_argument("name")
        d.set_defaults(func=run_disable, disable=name == "disable")
    pw = us.add_parser("passwd", parents=parents, help="ganti kata sandi (sesinya berakhir)")
    pw.add_argument("name")
    pw.set_defaults(func=run_passwd)


def read_password(prompt: str = "Kata sandi: ") -> str:
    """From the terminal (asked twice) or, when stdin is not a terminal, its first line."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise InputError("password: nothing on standard input")
        return line.rstrip("\r\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("Ulangi: ") != first:
        raise InputError("password: the two entries differ")
    return first


def _users(args: argparse.Namespace):
    from auditor.console.users import Users

    cfg = _common.config(args)
    return cfg, Users(_common.store(cfg))


def run_add(args: argparse.Namespace) -> int:
    from auditor.console.users import check_name, check_role, parse_sites

    check_name(args.name)
    check_role(args.role)
    cfg, users = _users(args)
    try:
        sites = parse_sites(args.sites)
        known = {s.name for s in cfg.sites}
        unknown = [s for s in sites if s not in known]
        if unknown:
            raise InputError(f"--sites: unknown site(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        users.add(args.name, args.role, read_password(), sites)
    finally:
        users.store.close()
    if not args.quiet:
        print(f"{args.name}: {args.role}" + (f" ({', '.join(sites)})" if sites else ""))
    return 0


def run_list(args: argparse.Namespace) -> int:
    from rich.table import Table

    _cfg, users = _users(args)
    try:
        rows = users.list()
    finally:
        users.store.close()
    en = _common.lang(args) == "en"
    table = Table(*(("User", "Role", "Sites", "Active", "Last login") if en else
                    ("Pengguna", "Peran", "Situs", "Aktif", "Terakhir masuk")))
    for u in rows:
        table.add_row(u.name, u.role, ", ".join(u.sites) or ("all" if en else "semua"),
                      ("no" if en else "tidak") if u.disabled else ("yes" if en else "ya"),
                      u.last_login.strftime("%Y-%m-%d %H:%M") if u.last_login else "-")
    _common.console().print(table)
    return 0


def run_disable(args: argparse.Namespace) -> int:
    _cfg, users = _users(args)
    try:
        users.set_disabled(args.name, args.disable)
    finally:
        users.store.close()
    return 0


def run_passwd(args: argparse.Namespace) -> int:
    _cfg, users = _users(args)
    try:
        if users.get(args.name) is None:
            raise InputError(f"user {args.name!r}: no such user")
        users.set_password(args.name, read_password("Kata sandi baru: "))
    finally:
        users.store.close()
    return 0
