"""The cited list of information a village PPID must publish (`mandatory.yaml`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

DATA_FILE = Path(__file__).with_name("mandatory.yaml")


@dataclass(frozen=True)
class MandatoryEntry:
    id: str
    title: str
    basis: list[str]
    match: list[str]
    title_en: str = ""
    extra: dict = field(default_factory=dict)


@lru_cache(maxsize=4)
def load(path: Path = DATA_FILE) -> tuple[MandatoryEntry, ...]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for item in raw.get("items", []):
        out.append(MandatoryEntry(id=item["id"], title=item["title"], basis=list(item["basis"]),
                                  match=list(item["match"]), title_en=item.get("title_en", "")))
    return tuple(out)
