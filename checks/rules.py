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
import re
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
class Variant:
    """A named wording of one rule for one kind of observation (e.g. `content.list.expired` when the list
    is absent vs. when it is out of date). Empty fields fall back to the rule's own texts."""

    title: str = ""
    title_en: str = ""
    remediation: str = ""
    remediation_en: str = ""


@dataclass(frozen=True)
class Rule:
    id: str  # e.g. "tls.cert.expiring"
    severity: Severity  # default severity; `cases` names each reason to raise or lower it
    title: str  # Bahasa Indonesia; may hold str.format fields filled per finding
    title_en: str
    remediation: str = ""
    remediation_en: str = ""
    references: tuple[str, ...] = ()
    server_lines: Mapping[str, str] = field(default_factory=dict)  # {"nginx": "...", "apache": "..."}
    observes: Observes = Observes.CONTENT
    area: str = ""  # defaults to the owning check's area (see RuleBook)
    variants: Mapping[str, Variant] = field(default_factory=dict)
    # One finding per site for this rule (affected pages in `data["urls"]`): its fingerprint leaves the URL
    # out, so a growing or shrinking set of pages stays the same issue (checks.base.Finding.site_level).
    site_level: bool = False
    # Named kinds of observation whose severity differs from the default, the reason being the key
    # (e.g. {"passive_only": LOW} for mixed content that cannot run code). A finding picks one with
    # `case=`; a severity computed from data (a CVE's score, days before expiry) is passed as `severity=`.
    cases: Mapping[str, Severity] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "references", tuple(self.references))

    def severity_of(self, case: str | None = None) -> Severity:
        """The default severity, or the one the record declares for `case` (KeyError when undeclared:
        a severity is never invented where the finding is made)."""
        if case is None:
            return self.severity
        try:
            return self.cases[case]
        except KeyError:
            raise KeyError(f"{self.id}: severity case {case!r} is not declared in the record") from None

    def text(self, lang: str = "id", variant: str | None = None, **fmt: Any) -> tuple[str, str]:
        """(title, remediation) in `lang`, with format fields filled."""
        texts = self._texts(variant)
        title, rem = (texts[1], texts[3]) if lang == "en" else (texts[0], texts[2])
        return _fmt(title, fmt), _fmt(rem, fmt)

    def summary(self, lang: str = "id") -> str:
        """The title with per-finding fields shown as an ellipsis (for rule tables: SARIF, docs)."""
        return _FIELD.sub("…", self.title_en if lang == "en" else self.title)

    def finding(self, check: str, *, severity: Severity | str | None = None, fmt: Mapping[str, Any] | None = None,
                references: Iterable[str] = (), variant: str | None = None, rule_id: str | None = None,
                case: str | None = None, **kw: Any) -> Finding:
        """A finding of this rule; `fmt` fills the title/remediation fields, `references` adds to the
        record's own (e.g. CVE ids of one library), `variant` picks a named wording (see `Variant`),
        `rule_id` names the concrete id when this record is a family (`zap.*`), `case` one of the
        record's declared severities (`severity=` wins: a severity computed from data)."""
        if severity is None and case is not None:
            severity = self.severity_of(case)
        fmt = dict(fmt or {})
        refs = list(self.references) + [r for r in references if r not in self.references]
        title, title_en, rem, rem_en = self._texts(variant)
        kw.setdefault("site_level", self.site_level)
        return Finding(check=check, rule=rule_id or self.id,
                       severity=Severity.parse(severity) if severity is not None else self.severity,
                       title=_fmt(title, fmt), title_en=_fmt(title_en, fmt),
                       remediation=_fmt(rem, fmt), remediation_en=_fmt(rem_en, fmt),
                       references=refs, **kw)

    def _texts(self, variant: str | None) -> tuple[str, str, str, str]:
        v = self.variants[variant] if variant is not None else Variant()
        return (v.title or self.title, v.title_en or self.title_en, v.remediation or self.remediation,
                v.remediation_en or self.remediation_en)

    @property
    def is_family(self) -> bool:
        """A record ending in `.*` stands for an open set of ids (one per ZAP plugin, say)."""
        return self.id.endswith(".*")


_FIELD = re.compile(r"\{[a-z_]+\}")


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

    def lookup(self, rule_id: str) -> Rule | None:
        """The record for `rule_id`: its own, else the family record (`zap.*`) it belongs to."""
        if rule_id in self._rules:
            return self._rules[rule_id]
        prefix = rule_id
        while "." in prefix:
            prefix = prefix.rsplit(".", 1)[0]
            fam = self._rules.get(prefix + ".*")
            if fam is not None:
                return fam
        return None


def placeholder(rule_id: str, area: str) -> Rule:
    """What a finding is made from when its record is missing: the rule id as its title, so the finding
    still reaches the report (and the rule-record test names the gap) instead of failing the check."""
    return Rule(rule_id, Severity.MEDIUM, rule_id, rule_id, area=area)


def all_rulebooks() -> dict[str, RuleBook]:
    """The rule records of every installed check (built-in and plugins), by check name."""
    from checks.base import discover_checks

    out: dict[str, RuleBook] = {}
    for name, loaded in discover_checks().items():
        book = getattr(loaded.cls, "rulebook", None) if loaded.cls is not None else None
        if isinstance(book, RuleBook):
            out[name] = book
    return out


def rule_record(check: str, rule_id: str) -> Rule | None:
    """The record of `rule_id` emitted by `check`, if the check declares one."""
    book = all_rulebooks().get(check)
    return book.lookup(rule_id) if book is not None else None


def _with_area(rule: Rule, area: str) -> Rule:
    from dataclasses import replace

    return replace(rule, area=area)


RULES_BEGIN, RULES_END = "<!-- rules:begin (python -m checks.rules) -->", "<!-- rules:end -->"


def markdown_table(books: Mapping[str, RuleBook] | None = None) -> str:
    """docs/cli.md's rule table, from the records of every installed check (`python -m checks.rules`)."""
    books = all_rulebooks() if books is None else books
    lines = [RULES_BEGIN, "| rule id | check | area | default severity | other severities (case) | observes | "
                          "site-level | title (en) |",
             "|---|---|---|---|---|---|---|---|"]
    rows = sorted((r.id, name, r) for name, book in books.items() for r in book.values())
    for rid, name, r in rows:
        cases = ", ".join(f"{sev.label} ({case})" for case, sev in sorted(r.cases.items()))
        lines.append(f"| `{rid}` | {name} | {r.area} | {r.severity.label} | {cases} | {r.observes.value} | "
                     f"{'yes' if r.site_level else ''} | {r.summary('en').replace('|', '/')} |")
    lines.append(RULES_END)
    return "\n".join(lines)


if __name__ == "__main__":  # run as a script this module is `__main__`: use the importable one's classes
    from checks.rules import markdown_table as table

    print(table())
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
