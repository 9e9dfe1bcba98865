"""One record per rule: the single definition a finding is made from.

A `Rule` carries everything that describes a rule independently of one observation: its id, area,
default severity, titles and remediation in Bahasa Indonesia and English, references, the web-server
lines that fix it where they exist, and what kind of thing it observes (the server/transport or the
site's content; the pre-publish gate compares only what both sides could observe). A check declares its
records in a `RuleBook` (`Check.rulebook`) and makes findings with `Check.finding_from(...)` /
`Rule.finding(...)`, so a rule id, severity or text lives in exactly one place. SARIF's rule table and
docs/cli.md's rule list are built from the same records.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from checks.base import Finding, Severity


class Observes(enum.StrEnum):
    """What a rule looks at. `server`: response headers, cookies, TLS, server software, probes of server
    paths: what the web server adds. `content`: pages, documents, scripts and libraries, links, personal
    data, approved-list items: what the site publishes, the same whoever serves it."""

    SERVER = "server"
    CONTENT = "content"


@dataclass(frozen=True)
class Rule:
    id: str  # e.g. "tls.cert.expiring"
    severity: Severity  # default severity; a finding may raise or lower it with a stated reason
    title: str  # Bahasa Indonesia; may hold str.format fields filled per finding
    title_en: str
    remediation: str = ""
    remediation_en: str = ""
    references: tuple[str, ...] = ()
    server_lines: Mapping[str, str] = field(default_factory=dict)  # {"nginx": "...", "apache": "..."}
    observes: Observes = Observes.CONTENT
    area: str = ""  # defaults to the owning check's area (see RuleBook)

    def text(self, lang: str = "id", **fmt: Any) -> tuple[str, str]:
        """(title, remediation) in `lang`, with format fields filled."""
        title, rem = (self.title_en, self.remediation_en) if lang == "en" else (self.title, self.remediation)
        return _fmt(title, fmt), _fmt(rem, fmt)

    def finding(self, check: str, *, severity: Severity | str | None = None, fmt: Mapping[str, Any] | None = None,
                references: Iterable[str] = (), **kw: Any) -> Finding:
        """A finding of this rule; `fmt` fills the title/remediation fields, `references` adds to the
        record's own (e.g. CVE ids of one library)."""
        fmt = dict(fmt or {})
        refs = list(self.references) + [r for r in references if r not in self.references]
        return Finding(check=check, rule=self.id,
                       severity=Severity.parse(severity) if severity is not None else self.severity,
                       title=_fmt(self.title, fmt), title_en=_fmt(self.title_en, fmt),
                       remediation=_fmt(self.remediation, fmt), remediation_en=_fmt(self.remediation_en, fmt),
                       references=refs, **kw)


def _fmt(text: str, fields: Mapping[str, Any]) -> str:
    if not fields or "{" not in text:
        return text
    return text.format_map(_Missing(fields))


class _Missing(dict):
    """format_map that leaves an unknown field visible instead of raising inside a check."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class RuleBook(Mapping[str, Rule]):
    """The records of one check, keyed by rule id; `area` is filled in for records that leave it empty."""

    def __init__(self, area: str, rules: Iterable[Rule]):
        self.area = area
        self._rules: dict[str, Rule] = {}
        for r in rules:
            if r.id in self._rules:
                raise ValueError(f"rule {r.id} defined twice")
            self._rules[r.id] = r if r.area else _with_area(r, area)

    def __getitem__(self, rule_id: str) -> Rule:
        return self._rules[rule_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)


def _with_area(rule: Rule, area: str) -> Rule:
    from dataclasses import replace

    return replace(rule, area=area)


def rule_index(check_classes: Iterable[type]) -> dict[str, Rule]:
    """Every record of the given check classes, keyed by rule id (a record id ending in `.*`, such as
    `zap.*`, stands for a family of ids made at run time)."""
    index: dict[str, Rule] = {}
    for cls in check_classes:
        for rule_id, rule in (getattr(cls, "rulebook", None) or {}).items():
            index.setdefault(rule_id, rule)
    return index


def lookup(index: Mapping[str, Rule], rule_id: str) -> Rule | None:
    """The record of `rule_id`: its own, else the longest `prefix.*` family record that covers it."""
    if rule_id in index:
        return index[rule_id]
    parts = rule_id.split(".")
    for n in range(len(parts) - 1, 0, -1):
        family = index.get(".".join(parts[:n]) + ".*")
        if family is not None:
            return family
    return None
