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
