"""Fleet mode commands: `ppid-audit worker` (Celery worker) and `ppid-audit report fleet` (ranking).

`scan --all [--queue URL]` is an option of `scan` that calls `auditor.fleet.scan_all`; `report fleet` is
attached to the `report` command by `register_report` (called from auditor/commands/report.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from auditor.commands import _common
from auditor.errors import ConfigError, InputError


def register(sub, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("worker", parents=parents,
                       help="fleet mode: run site audits from the Celery queue (Redis) into the store")
    p.add_argument("--queue", metavar="URL", help="broker URL, redis://HOST:PORT/DB (default: fleet.queue)")
    p.add_argument("--concurrency", metavar="N", type=_positive,
                   help="site audits at once in this worker (default: fleet.concurrency)")
    p.set_defaults(func=run_worker)


def register_report(kinds, parents: list[argparse.ArgumentParser]) -> None:
    k = kinds.add_parser("fleet", parents=parents,
                         help="peringkat semua situs (skor, TLS, header, perangkat lunak, data pribadi, konten)")
    k.add_argument("--month", dest="period", metavar="YYYY-MM", help="month (default: the previous month)")
    k.add_argument("--format", default="html,pdf", metavar="html,pdf", help="html, pdf or both (default)")
    k.add_argument("--out", metavar="DIR", help="output folder (default: reports.output_dir)")
    k.set_defaults(func=run_report, kind="fleet")


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return n


def queue_url(args: argparse.Namespace, cfg) -> str:
    url = getattr(args, "queue", None) or cfg.fleet.queue
    if not url:
        raise ConfigError("no queue: give --queue redis://HOST:PORT/DB or set fleet.queue in the config")
    if not url.startswith(("redis://", "rediss://", "redis+socket://")):
        raise ConfigError(f"--queue {url}: not a redis:// URL")
    return url


def run_worker(args: argparse.Namespace) -> int:
    from auditor.fleet.celery_app import run_worker as start

    cfg = _common.config(args)
    url = queue_url(args, cfg)
    loglevel = "DEBUG" if getattr(args, "verbose", False) else ("WARNING" if args.quiet else "INFO")
    start(cfg, cfg.database_path, url, args.concurrency or cfg.fleet.concurrency, loglevel=loglevel)
    return 0


def run_report(args: argparse.Namespace) -> int:
    from reports import periods
    from reports.fleet.render import write_fleet_report

    cfg = _common.config(args)
    month = args.period or periods.default_key("monthly")
    periods.month(month)  # a malformed month is an input error before the store is opened
    out = None
    if args.out:
        out = Path(args.out)
        if out.exists() and not out.is_dir():
            raise InputError(f"--out {args.out}: not a directory")
    store = _common.store(cfg)
    try:
        written = write_fleet_report(cfg, store, month, formats=args.format.split(","),
                                     lang=_common.lang(args, cfg), out_dir=out.resolve() if out else None)
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc}") from None
    finally:
        store.close()
    _common.print_written(written, args.quiet)
    return 0
