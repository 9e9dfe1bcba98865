"""Helpers shared by the command modules (config + store opening, language, console)."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from auditor.config import Config, load_config
from auditor.store import Store


def config(args: argparse.Namespace) -> Config:
    return load_config(args.config)


def store(cfg: Config) -> Store:
    return Store(cfg.database_path)


def lang(args: argparse.Namespace, cfg: Config | None = None) -> str:
    return args.lang or (cfg.reports.language if cfg else "id")


def console() -> Console:
    return Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 160)
