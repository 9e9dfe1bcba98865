"""Fleet mode: audit every village site of a regency, locally with a bounded pool or on Celery + Redis.

Import-light on purpose: `auditor.config` reads `sites_file` through `auditor.fleet.sites_csv`, and the
CLI must not pay for Celery unless a fleet command runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.config import Config


def scan_all(cfg: Config, store_url: str, queue_url: str | None, **kwargs: Any) -> int:
    """Audit every site of `cfg`; on the Celery queue when `queue_url` is given, else a local pool.
    Returns the CLI exit code (see `auditor.fleet.dispatch.scan_all`)."""
    from auditor.fleet.dispatch import scan_all as _scan_all

    return _scan_all(cfg, store_url, queue_url, **kwargs)


def scan_all_args(args: Any, cfg: Config, only: list[str] | None, lang: str) -> int:
    """`scan --all [--queue [URL]]` from the parsed `scan` arguments (auditor/commands/scan.py).

    `--queue` alone takes the URL from `fleet.queue`; without `--queue` the batch runs in a local pool,
    even when the config names a queue (a worker-less machine must still be able to audit)."""
    from auditor.errors import ConfigError

    if not getattr(args, "all", False):
        raise ConfigError("--queue needs --all (a single site is audited here, not on the queue)")
    if getattr(args, "site", None):
        raise ConfigError("--all and --site exclude each other")
    if getattr(args, "json", None) or getattr(args, "sarif", None):
        raise ConfigError("--all writes no --json/--sarif; export one run with `ppid-audit findings --run ID`")
    queue = getattr(args, "queue", None)
    url = (queue or cfg.fleet.queue) if queue is not None else None
    if queue is not None and not url:
        raise ConfigError("--queue: give redis://HOST:PORT/DB or set fleet.queue in the config")
    return scan_all(cfg, cfg.database_path, url, only=only, lang=lang, quiet=getattr(args, "quiet", False),
                    fail_on=getattr(args, "fail_on", None))
