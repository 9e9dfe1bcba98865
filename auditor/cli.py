"""`ppid-audit` command line. The only place where exceptions become exit codes:
0 ok, 1 findings at/above --fail-on (or personal data found by check-file), 2 usage/config/input error,
3 site unreachable."""

from __future__ import annotations

import argparse
import errno
import importlib
import logging
import pkgutil
import re
import sys
from pathlib import Path

from auditor import __version__, commands
from auditor.errors import AuditorError

# A full disk, a quota, a read-only file system: the operator's to fix, one line, exit 2.
DISK_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG)

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
COMMANDS_DIR = Path(commands.__file__).parent


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse's own code too)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="F",
                        help="config file (default ./config.yaml or $PPID_AUDIT_CONFIG)")
    common.add_argument("--lang", choices=("id", "en"), default=None,
                        help="language of tables and reports (default: reports.language, else id)")
    common.add_argument("--quiet", action="store_true", help="no progress output (cron)")
    common.add_argument("--verbose", action="store_true", help="debug logging on stderr")
    return common


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with `command` only the module of that name (`check-file` ->
    `auditor.commands.check_file`), so a command does not pay for importing every other command's
    libraries (Flask, WeasyPrint, the crawler...). See `main`."""
    parser = _Parser(prog="ppid-audit",
                     description="Audit keamanan & kepatuhan website PPID desa/kalurahan.")
    parser.add_argument("--version", action="version", version=f"ppid-audit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    parents = [common_options()]
    names = sorted(info.name for info in pkgutil.iter_modules(commands.__path__))
    if command is not None:
        names = [command.replace("-", "_")]
    for name in names:
        if name.startswith("_"):
            continue
        try:
            module = importlib.import_module(f"auditor.commands.{name}")
        except Exception as exc:  # one broken command must not take the whole CLI down
            print(f"ppid-audit: warning: command module {name!r} failed to load: {exc}", file=sys.stderr)
            continue
        if hasattr(module, "register"):
            module.register(sub, parents)
    return parser


class _OwnWarnings(logging.Filter):
    """Normal output: our own warnings, but only errors from libraries (WeasyPrint font notes, fontTools,
    pypdf repairs, tldextract...): their noise stays under --verbose."""

    # Celery is the fleet worker's own runtime: its task lines are that command's output (level chosen by
    # the worker command), not library noise.
    OWN = ("ppid_auditor", "celery")

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name.startswith(self.OWN) or record.levelno >= logging.ERROR


def setup_logging(*, verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    if not verbose:
        handler.addFilter(_OwnWarnings())
    # Like basicConfig: a process that already configured logging (a test runner, a host app) keeps its own.
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, handlers=[handler])


def _own_parser(argv: list[str]) -> argparse.ArgumentParser | None:
    """The parser of just the command `argv` starts with, when a module of that name registers it
    (most do; `runs`, `worker`, `verify-report`... live in modules named otherwise and get the whole
    parser, as do --help, --version and typos)."""
    if not argv or not re.fullmatch(r"[a-z][a-z0-9-]*", argv[0]) or not (
            COMMANDS_DIR / (argv[0].replace("-", "_") + ".py")).is_file():
        return None
    parser = build_parser(argv[0])
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return parser if subs and argv[0] in subs[0].choices else None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _own_parser(argv) or build_parser()
    args = parser.parse_args(argv)
    setup_logging(verbose=getattr(args, "verbose", False))
    try:
        return int(args.func(args) or 0)
    except AuditorError as exc:
        print(f"ppid-audit: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ppid-audit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:
        if exc.errno not in DISK_ERRNOS:
            return _internal(exc)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"ppid-audit: {where}cannot write: {exc.strerror}; nothing half-written was kept and earlier "
              "runs are intact", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # a bug, not bad input: still one line; --verbose shows the traceback
        return _internal(exc)


def _internal(exc: Exception) -> int:
    logging.getLogger("ppid_auditor").debug("internal error", exc_info=True)
    print(f"ppid-audit: internal error: {type(exc).__name__}: {exc} (run with --verbose for details)",
          file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
