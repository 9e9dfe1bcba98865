"""`ppid-audit prune --keep-days N`: drop old cached page bodies, keep the findings history."""

from __future__ import annotations

import argparse

from auditor.commands import _common
from auditor.errors import InputError


def register(sub, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("prune", parents=parents, help="drop old page bodies, keep findings history")
    p.add_argument("--keep-days", metavar="N", type=int, required=True)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.keep_days < 0:
        raise InputError("--keep-days: must be >= 0")
    cfg = _common.config(args)
    store = _common.store(cfg)
    try:
        result = store.prune(args.keep_days)
    finally:
        store.close()
    if not args.quiet:
        lang = _common.lang(args, cfg)
        msg = ("{n} isi halaman lama dihapus; riwayat temuan tetap disimpan." if lang == "id"
               else "{n} old page bodies dropped; findings history kept.")
        print(msg.format(n=result["bodies_dropped"]))
    return 0
