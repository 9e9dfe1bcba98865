"""Helpers shared by the command modules (config + store opening, language, console)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from rich.console import Console

from auditor.config import Config, load_config
from auditor.store import Store


def config(args: argparse.Namespace) -> Config:
    return load_config(args.config)


def store(cfg: Config) -> Store:
    return Store(cfg.database_path)


def only_checks(args: argparse.Namespace) -> list[str] | None:
    """`--checks a,b` as a list of names; None (every enabled check) when the option is absent or empty."""
    return [c.strip() for c in args.checks.split(",") if c.strip()] if args.checks else None


def lang(args: argparse.Namespace, cfg: Config | None = None) -> str:
    return args.lang or (cfg.reports.language if cfg else "id")


def console() -> Console:
    return Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 160)


def print_written(paths: Iterable[Path], quiet: bool) -> None:
    """One line per file a command wrote (what scripts read), unless --quiet."""
    if not quiet:
        for path in paths:
            print(path)
