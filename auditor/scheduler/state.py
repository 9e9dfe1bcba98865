"""Durable scheduler state: which report periods were made and mailed (a small JSON file)."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from auditor.atomic import write_atomic
from auditor.config import Config

log = logging.getLogger("ppid_auditor.scheduler")


class State:
    """`{"baseline": iso, "reports": {kind: {period: {...}}}, "mails": {kind: {period: {...}}}}`."""

    def __init__(self, path: Path):
        self.path = path
        self.data: dict[str, Any] = {"version": 1, "baseline": None, "reports": {}, "mails": {}}
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                self.data.update(loaded)
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:  # a damaged state file must not stop the scheduler
            log.error("state file %s unreadable (%s); starting from now", path, exc)

    @property
    def baseline(self) -> datetime | None:
        b = self.data.get("baseline")
        return datetime.fromisoformat(b) if b else None

    def get(self, section: str, kind: str, period: str) -> dict[str, Any] | None:
        return self.data.setdefault(section, {}).get(kind, {}).get(period)

    def put(self, section: str, kind: str, period: str, record: dict[str, Any]) -> None:
        self.data.setdefault(section, {}).setdefault(kind, {})[period] = record
        self.save()

    def save(self) -> None:
        write_atomic(self.path, json.dumps(self.data, indent=1, sort_keys=True), mode=0o600, fsync=True)


def var_dir(cfg: Config) -> Path:
    db = cfg.database_path
    return cfg.resolve("var") if "://" in db else Path(db).parent


def state_path(cfg: Config) -> Path:
    return cfg.resolve(cfg.schedule.state_file) if cfg.schedule.state_file else var_dir(cfg) / "schedule-state.json"


