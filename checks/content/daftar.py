"""The approved content list (`daftar.yaml`, Daftar Informasi Publik): model, YAML load/save, XLSX export.

Format (docs/cli.md "Approved content list"): `approved_by`, `approved_on`, `items` each with `id`,
`title`, `category`, `cadence`, `url` and/or `match`, optional `responsible`.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

Category = Literal["berkala", "serta_merta", "setiap_saat", "dikecualikan"]
Cadence = Literal["monthly", "quarterly", "semiannual", "annual", "once"]
CATEGORIES: tuple[str, ...] = ("berkala", "serta_merta", "setiap_saat", "dikecualikan")
CADENCES: tuple[str, ...] = ("monthly", "quarterly", "semiannual", "annual", "once")
CADENCE_MONTHS: dict[str, int | None] = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12, "once": None}
CATEGORY_LABEL_ID = {"berkala": "Berkala", "serta_merta": "Serta Merta", "setiap_saat": "Setiap Saat",
                     "dikecualikan": "Dikecualikan"}
CADENCE_LABEL_ID = {"monthly": "Bulanan", "quarterly": "Triwulanan (3 bulan)", "semiannual": "Semesteran (6 bulan)",
                    "annual": "Tahunan", "once": "Sekali / tidak berkala"}


class DaftarError(ValueError):
    """The list cannot be read or is invalid; the message is one line naming the place."""


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    category: Category
    cadence: Cadence
    url: str | None = None
    match: list[str] = Field(default_factory=list)
    responsible: str | None = None

    @field_validator("match", mode="before")
    @classmethod
    def _one_or_many(cls, v: object) -> object:
        if v is None:
            return []
        if isinstance(v, str):
            return [v]
        return v

    @field_validator("id")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", v):
            raise ValueError("letters, digits, '-', '_' and '.' only")
        return v

    def patterns(self) -> list[str]:
        return self.match or [self.title]


class Daftar(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approved_by: str | None = None
    approved_on: date | None = None
    items: list[Item] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> Daftar:
        seen: set[str] = set()
        for i, item in enumerate(self.items):
            if item.id in seen:
                raise ValueError(f"items.{i}.id: duplicate id {item.id!r}")
            seen.add(item.id)
        return self


def _format_error(source: str, exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(x) for x in err.get("loc", ()))
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    if err.get("type") == "literal_error":
        msg = f"{msg} (got {err.get('input')!r})"
    elif err.get("type") == "extra_forbidden":
        msg = "unknown key"
    return f"{source}: {loc}: {msg}" if loc else f"{source}: {msg}"


def load_daftar(path: str | Path) -> Daftar:
    source = str(path)
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DaftarError(f"{source}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DaftarError(f"{source}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise DaftarError(f"{source}: {where}{getattr(exc, 'problem', None) or 'invalid YAML'}") from None
    if not isinstance(raw, dict):
        raise DaftarError(f"{source}: the top level must be a mapping with `items`")
    try:
        return Daftar.model_validate(raw)
    except ValidationError as exc:
        raise DaftarError(_format_error(source, exc)) from None


def dump_daftar(daftar: Daftar) -> str:
    data = daftar.model_dump(mode="json", exclude_none=True)
    for item in data.get("items", []):
        if not item.get("match"):
            item.pop("match", None)
    header = ("# Daftar Informasi Publik yang disetujui (ppid-audit content import)\n"
              "# category: berkala | serta_merta | setiap_saat | dikecualikan\n"
              "# cadence: monthly | quarterly | semiannual | annual | once\n")
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110)


def save_daftar(daftar: Daftar, path: str | Path) -> None:
    Path(path).write_text(dump_daftar(daftar), encoding="utf-8")


EXPORT_HEADERS = ["No", "ID", "Jenis Informasi", "Kategori", "Jangka Waktu Pembaruan", "Penanggung Jawab",
                  "URL", "Kata Kunci"]


def export_xlsx(daftar: Daftar, path: str | Path) -> None:
    """The list as the office's table (re-importable with `content import`)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Daftar Informasi Publik"
    ws.append(["DAFTAR INFORMASI PUBLIK"])
    ws["A1"].font = Font(bold=True)
    ws.append(["Disetujui oleh:", daftar.approved_by or ""])
    ws.append(["Tanggal penetapan:", daftar.approved_on.isoformat() if daftar.approved_on else ""])
    ws.append([])
    ws.append(EXPORT_HEADERS)
    for cell in ws[5]:
        cell.font = Font(bold=True)
    for n, item in enumerate(daftar.items, 1):
        ws.append([n, item.id, item.title, CATEGORY_LABEL_ID[item.category], CADENCE_LABEL_ID[item.cadence],
                   item.responsible or "", item.url or "", "; ".join(item.match)])
    for col, width in zip("ABCDEFGH", (5, 18, 50, 14, 22, 24, 40, 30), strict=True):
        ws.column_dimensions[col].width = width
    wb.save(str(path))
