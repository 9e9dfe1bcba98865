"""`ppid-audit schedule [--once] [--dry-run]`: the long-running scheduler (nightly scans, reports, alerts)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from logging.handlers import RotatingFileHandler

from rich.table import Table

from auditor import catalogue
from auditor.commands import _common
from auditor.config import Config
from auditor.errors import InputError
from auditor.lock import SiteBusy, lock_dir_for, site_lock
from auditor.scheduler import Scheduler, Shutdown, var_dir

SCHEDULER_LOCK = "_scheduler"  # not a valid site name, so it never collides with a site's lock



def register(sub, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("schedule", parents=parents,
                       help="long-running scheduler: nightly scans, monthly and six-monthly reports, alerts")
    p.add_argument("--once", action="store_true",
                   help="run whatever is due now (missed scan, due reports) and exit (for cron/systemd timers)")
    p.add_argument("--dry-run", action="store_true", help="print what would run when; run nothing")
    p.add_argument("--next", metavar="N", type=int, default=10, help="how many upcoming steps --dry-run lists")
    p.set_defaults(func=run)


def _l(key: str, lang: str) -> str:
    return catalogue.t("schedule_" + key, lang)


def setup_logging(cfg: Config, *, quiet: bool, verbose: bool) -> Callable[[], None]:
    """Rotating log file (schedule.log_file) plus stderr; returns a function that undoes it."""
    logger = logging.getLogger("ppid_auditor")
    path = cfg.resolve(cfg.schedule.log_file) if cfg.schedule.log_file else var_dir(cfg) / "schedule.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    file_handler = RotatingFileHandler(path, maxBytes=cfg.schedule.log_max_kb * 1024,
                                       backupCount=cfg.schedule.log_backups, encoding="utf-8")
    err_handler = logging.StreamHandler(sys.stderr)
    # quiet (cron): only problems reach stderr, so cron mails them; the file always gets everything
    err_handler.setLevel(logging.WARNING if quiet else logging.INFO)
    handlers: list[logging.Handler] = [file_handler, err_handler]
    for h in handlers:
        h.setFormatter(fmt)
        logger.addHandler(h)
    saved = (logger.level, logger.propagate)
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False  # the CLI's root handler would print everything twice

    def undo() -> None:
        for h in handlers:
            logger.removeHandler(h)
            h.close()
        logger.setLevel(saved[0])
        logger.propagate = saved[1]

    return undo


def print_plan(sched: Scheduler, count: int, lang: str) -> None:
    table = Table(_l("when", lang), _l("task", lang), _l("detail", lang))
    for step in sched.plan(count):
        when = _l("now", lang) if step.catch_up else step.when.strftime("%Y-%m-%d %H:%M")
        table.add_row(when, _l(step.task, lang), step.detail)
    _common.console().print(table)


def run(args: argparse.Namespace) -> int:
    if args.next < 1:
        raise InputError("--next: must be >= 1")
    cfg = _common.config(args)
    lang = _common.lang(args, cfg)
    if args.dry_run:
        print_plan(Scheduler(cfg), args.next, lang)
        return 0
    undo = setup_logging(cfg, quiet=args.quiet, verbose=getattr(args, "verbose", False))
    log = logging.getLogger("ppid_auditor.scheduler")
    try:
        with site_lock(lock_dir_for(cfg.database_path), SCHEDULER_LOCK):
            sched = Scheduler(cfg)
            sched.install_signal_handlers()  # also for --once: a systemd stop must not leave a run `running`
            if args.once:
                sched.run_once()
                return 3 if sched.unreachable else 0
            log.info("scheduler started (pid %s): nightly scan %s, reports at %s", os.getpid(),
                     cfg.schedule.nightly_scan, cfg.schedule.report_time)
            sched.run_forever()
            return 0
    except SiteBusy as busy:
        print(f"ppid-audit: {_l('busy', lang).format(pid=busy.holder)}", file=sys.stderr)
        log.info("another scheduler holds the lock (pid %s); exiting", busy.holder)
        return 0
    except Shutdown as exc:
        log.warning("%s: the interrupted run is marked incomplete", exc)
        return 0
    finally:
        undo()
