"""`ppid-audit data update [--from URL|FILE]`: refresh the software check's version/EOL/vulnerability data.

Without --from it downloads the retire.js repository (JS library vulnerabilities). With --from it reads
a local file or URL holding our software data file (`products` + `as_of`), a retire.js repository, or a
bundle of both. Refreshed files go to the user data directory; the bundled ones are never modified.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from auditor.errors import InputError

RETIRE_REPO_URL = "https://raw.githubusercontent.com/RetireJS/retire.js/master/repository/jsrepository-v5.json"
MAX_BYTES = 32 * 1024 * 1024


def register(sub, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("data", parents=parents, help="software version/EOL/vulnerability data")
    inner = p.add_subparsers(dest="data_command", metavar="update")
    inner.required = True
    u = inner.add_parser("update", parents=parents, help="refresh the bundled software data")
    u.add_argument("--from", dest="source", metavar="URL|FILE",
                   help=f"file or URL to import (default: the retire.js repository, {RETIRE_REPO_URL})")
    u.add_argument("--dir", metavar="DIR", help="data directory (default: checks.software.data_dir, "
                   "$PPID_AUDIT_DATA_DIR or ~/.local/share/ppid-auditor/software)")
    u.set_defaults(func=run)


def _configured_dir(args: argparse.Namespace) -> tuple[str | None, Path | None]:
    """checks.software.data_dir from the config when there is one; a missing default config is fine."""
    from auditor.config import default_config_path, load_config

    path = Path(args.config) if args.config else default_config_path()
    if not args.config and not path.exists():
        return None, None
    cfg = load_config(path)
    block = cfg.check_blocks.get("software")
    return getattr(block, "data_dir", None), cfg.base_dir


def _read_source(source: str) -> bytes:
    if urlsplit(source).scheme in ("http", "https"):
        from auditor.http import HttpClient

        r = HttpClient(timeout_s=60, max_bytes=MAX_BYTES).fetch(source)
        if r.error or r.status != 200:
            raise InputError(f"--from {source}: download failed: {r.error or f'HTTP {r.status}'}")
        if r.truncated:
            raise InputError(f"--from {source}: larger than {MAX_BYTES // (1024 * 1024)} MB")
        return r.body
    path = Path(source)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"--from {source}: cannot read: {exc.strerror or exc}") from None


def run(args: argparse.Namespace) -> int:
    from checks.software.data import DataError, import_data, load_data, user_data_dir

    if args.dir:
        target = Path(args.dir)
    else:
        configured, base = _configured_dir(args)  # a broken config is a ConfigError (exit 2)
        target = user_data_dir(configured, base)
    source = args.source or RETIRE_REPO_URL
    raw_bytes = _read_source(source)
    try:
        raw = json.loads(raw_bytes.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"--from {source}: not JSON: {exc}") from None
    try:
        lines = import_data(raw, source, target, datetime.now(UTC).date())
        data = load_data(target)  # prove the result loads before reporting success
    except DataError as exc:
        raise InputError(str(exc)) from None
    if not args.quiet:
        for line in lines:
            print(f"{line} -> {target}")
        for f in data.describe():
            print(f"in use: {f['file']} as of {f['as_of']} ({f['path']})")
    return 0
