"""The cited list of information a village PPID must publish (`mandatory.yaml`), with per-site changes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

DATA_FILE = Path(__file__).with_name("mandatory.yaml")
BASIS_CHECKS = ("primary", "secondary")


@dataclass(frozen=True)
class MandatoryEntry:
    id: str
    title: str
    basis: list[str]
    match: list[str]
    title_en: str = ""
    basis_check: str = "secondary"  # "primary" (checked against the published text) or "secondary"
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def secondary(self) -> bool:
        return self.basis_check != "primary"


class ExtraItem(BaseModel):
    """An item a site adds (a regency rule that asks for more), in the same shape as the data file."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    title_en: str = ""
    basis: list[str] = Field(min_length=1)
    basis_check: str = Field("secondary", pattern="^(primary|secondary)$")
    match: list[str] = Field(min_length=1)
    note: str = ""


class SiteMandatory(BaseModel):
    model_config = ConfigDict(extra="forbid")
    disable: list[str] = []
    extra: list[ExtraItem] = []


def _entry(item: dict) -> MandatoryEntry:
    return MandatoryEntry(id=item["id"], title=item["title"], basis=list(item["basis"]), match=list(item["match"]),
                          title_en=item.get("title_en", ""), basis_check=item.get("basis_check", "secondary"),
                          note=item.get("note", ""))


# libyaml's loader when PyYAML has it: the packaged file is read in a tenth of the time (bench/audit.py).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=4)
def load(path: Path = DATA_FILE) -> tuple[MandatoryEntry, ...]:
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    return tuple(_entry(item) for item in raw.get("items", []))


def entries(changes: Iterable[SiteMandatory], path: Path = DATA_FILE) -> list[MandatoryEntry]:
    """The data file's items, less the disabled ones, plus the added ones (later changes win)."""
    out = {e.id: e for e in load(path)}
    for change in changes:
        for item_id in change.disable:
            out.pop(item_id, None)
        for extra in change.extra:
            out[extra.id] = _entry(extra.model_dump())
    return list(out.values())


def unknown_ids(changes: Iterable[SiteMandatory], path: Path = DATA_FILE) -> list[str]:
    """Disabled ids that name no item: a typo would silently keep the item on, so the check says so."""
    known = {e.id for e in load(path)}
    return sorted({i for c in changes for i in c.disable} - known)
