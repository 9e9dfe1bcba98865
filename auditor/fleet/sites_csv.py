"""`sites_file: sites.csv`: the site list of a whole regency as a spreadsheet export.

Validated row by row with the same `SiteConfig` model as `sites:` in the YAML, so a CSV row and a YAML
entry accept exactly the same values; every error names `file:line`. Excel in an Indonesian locale saves
CSV with `;` as separator (the comma is the decimal mark), so the separator is sniffed from the header.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from auditor.errors import ConfigError

LIST_FIELDS = ("allowed_hosts", "contact_allowlist")
PATH_FIELDS = ("approved_content", "staging_path")
REQUIRED = ("name", "url")


def _split_list(value: str) -> list[str]:
    # one cell holds several values: "a.desa.id; b.desa.id" (the CSV separator itself may be a comma)
    return [v.strip() for v in value.replace(",", ";").split(";") if v.strip()]


def _dialect(header_line: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(header_line, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def read_sites_csv(path: Path, *, label: str | None = None, known: set[str] | None = None) -> list[dict[str, Any]]:
    """Rows of `path` as validated site dicts (ready for `SiteConfig`). Raise `ConfigError` naming file:line.

    `known` holds names already defined elsewhere (the YAML `sites:`): a repeat is an error here, where the
    row can still be named.
    """
    from auditor.config import SiteConfig, format_error  # late: config imports this module lazily too

    label = label or str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{label}: sites_file not found") from None
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read sites_file: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{label}: not UTF-8 text (save the spreadsheet as 'CSV UTF-8')") from None
    first = text.splitlines()[0] if text.strip() else ""
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=_dialect(first))
    header = [h.strip().lower() for h in (reader.fieldnames or []) if h is not None]
    if not header:
        raise ConfigError(f"{label}:1: empty file: expected a header row with at least name,url")
    reader.fieldnames = header
    allowed = set(SiteConfig.model_fields)
    for col in header:
        if col and col not in allowed:
            raise ConfigError(f"{label}:1: unknown column {col!r} (known: {', '.join(sorted(allowed))})")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ConfigError(f"{label}:1: missing column(s) {', '.join(missing)}")
    seen = set(known or ())
    out: list[dict[str, Any]] = []
    base = path.resolve().parent
    line = 1
    for row in reader:
        line = reader.line_num
        if None in row:
            raise ConfigError(f"{label}:{line}: more cells than header columns")
        values = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(values.values()) or values.get("name", "").startswith("#"):
            continue  # blank or commented-out village
        site: dict[str, Any] = {}
        for key, value in values.items():
            if not value:
                continue
            if key in LIST_FIELDS:
                site[key] = _split_list(value)
            elif key in PATH_FIELDS:
                p = Path(value)
                site[key] = str(p if p.is_absolute() else base / p)  # relative to the CSV, not the cwd
            else:
                site[key] = value
        try:
            SiteConfig.model_validate(site)
        except ValidationError as exc:
            raise ConfigError(format_error(f"{label}:{line}", exc.errors()[0])) from None
        if site["name"] in seen:
            raise ConfigError(f"{label}:{line}: name: duplicate site name {site['name']!r}")
        seen.add(site["name"])
        out.append(site)
    if not out:
        raise ConfigError(f"{label}: no site rows after the header")
    return out
