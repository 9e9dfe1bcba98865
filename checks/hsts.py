"""One reading of Strict-Transport-Security for every check (headers findings, tls preload, facts).

`parse_hsts` is the only parser; `HstsFacts` is the one stored shape (tls and headers both write it).
The Observatory port (`checks/headers/observatory.py` `test_hsts`) keeps its own reading on purpose: it
reproduces the Observatory's quirks (a junk max-age passes) and is proven equal to the real Observatory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

PRELOAD_MIN_AGE = 31536000  # hstspreload.org: max-age of at least one year
_DIGITS = re.compile(r"\d+")


def _clip(value: str, n: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= n else value[: n - 1] + "…"


@dataclass
class Hsts:
    """The header as browsers read it: only the first field value counts."""

    values: list[str]  # every Strict-Transport-Security field received
    directives: dict[str, str | None] = field(default_factory=dict)  # lower-cased name -> value
    problems: list[str] = field(default_factory=list)  # English, for evidence

    @property
    def present(self) -> bool:
        return bool(self.values)

    @property
    def max_age(self) -> int | None:
        raw = self.directives.get("max-age")
        return int(raw) if raw is not None and _DIGITS.fullmatch(raw) else None

    @property
    def include_subdomains(self) -> bool:
        return "includesubdomains" in self.directives

    @property
    def preload(self) -> bool:
        return "preload" in self.directives

    def preload_missing(self) -> list[str]:
        """What hstspreload.org still wants (empty: preload-ready)."""
        missing = []
        if (self.max_age or 0) < PRELOAD_MIN_AGE:
            missing.append(f"max-age >= {PRELOAD_MIN_AGE}")
        if not self.include_subdomains:
            missing.append("includeSubDomains")
        if not self.preload:
            missing.append("preload")
        return missing

    @property
    def preload_ready(self) -> bool:
        return self.present and not self.problems and not self.preload_missing()


def parse_hsts(values: list[str]) -> Hsts:
    """Directives of the first field value, with every deviation from RFC 6797 listed in `problems`."""
    out = Hsts(list(values))
    if not values:
        return out
    if len(values) > 1 or any("," in v for v in values):
        out.problems.append(f"header sent {len(values)} times or comma-joined (browsers use only the first)")
    for part in values[0].split(";"):
        part = part.strip()
        if not part:
            continue
        name, sep, val = part.partition("=")
        name = name.strip().lower()
        if name in out.directives:
            out.problems.append(f"directive {name} repeated")
        out.directives[name] = val.strip().strip('"') if sep else None
    raw = out.directives.get("max-age", "") if "max-age" in out.directives else None
    if raw is None:
        out.problems.append("max-age missing")
    elif not _DIGITS.fullmatch(raw or ""):
        out.problems.append(f"max-age is not a number: {_clip(raw or '', 40)!r}")
    return out


class HstsFacts(BaseModel):
    """What tls and headers store about the header of the site's https start page."""

    model_config = ConfigDict(extra="forbid")

    value: str | None = None  # the first field value (clipped), None: no header
    max_age: int | None = None
    include_subdomains: bool = False
    preload: bool = False
    preload_ready: bool = False  # hstspreload.org's requirements met
    error: str | None = None  # the header could not be read (no response)

    @classmethod
    def of(cls, hsts: Hsts) -> HstsFacts:
        return cls(value=_clip(hsts.values[0], 200) if hsts.values else None, max_age=hsts.max_age,
                   include_subdomains=hsts.include_subdomains, preload=hsts.preload,
                   preload_ready=hsts.preload_ready)

    @classmethod
    def from_value(cls, value: str | None, *, error: str | None = None) -> HstsFacts:
        if error:
            return cls(error=error)
        return cls.of(parse_hsts([value] if value else []))
