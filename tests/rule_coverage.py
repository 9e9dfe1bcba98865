"""Which rules the test session saw emitted, against the rule records (checks.rules).

Every built-in check's `run` (and the tls check's `evaluate`) is wrapped for the session so the rule ids
of the findings it returns are collected. At the end of the session two gaps fail it:
- a rule a built-in check emitted that none of its records covers (always checked);
- a record no test ever saw emitted, or a severity case it declares (`Rule.cases`) never seen at that
  severity (checked when the whole suite ran: every tests/test_*.py collected,
  nothing deselected, or PPID_RULE_COVERAGE=1 for a subset; with skipped tests it is only a warning unless
  PPID_REQUIRE_INTEGRATION=1).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from pathlib import Path

from checks.rules import RuleBook

EMITTED: set[tuple[str, str]] = set()  # (check name, rule id)
SEVERITIES: set[tuple[str, str, str]] = set()  # (check name, rule id, severity label)
WRAPPED_METHODS = ("run", "evaluate")


def builtin_rulebooks() -> dict[str, tuple[type, RuleBook]]:
    from checks.base import discover_checks

    out = {}
    for name, loaded in discover_checks().items():
        cls = loaded.cls
        if cls is not None and cls.__module__.startswith("checks.") and isinstance(cls.rulebook, RuleBook):
            out[name] = (cls, cls.rulebook)
    return out


def _wrap(cls: type, method: str) -> None:
    original = cls.__dict__.get(method)
    if original is None or getattr(original, "rule_coverage_wrapped", False):
        return

    @functools.wraps(original)
    def wrapper(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        findings = getattr(out, "findings", out)
        if isinstance(findings, list):
            for f in findings:
                EMITTED.add((self.name, f.rule))
                SEVERITIES.add((self.name, f.rule, f.severity.label))
        return out

    wrapper.rule_coverage_wrapped = True  # type: ignore[attr-defined]
    setattr(cls, method, wrapper)


def install() -> None:
    for cls, _book in builtin_rulebooks().values():
        for method in WRAPPED_METHODS:
            _wrap(cls, method)


def problems(emitted: Iterable[tuple[str, str]], books: Mapping[str, RuleBook]) -> tuple[list[str], list[str]]:
    """(rules emitted without a record, records never emitted). Pure, so it is tested on its own."""
    without_record: list[str] = []
    covered: set[tuple[str, str]] = set()
    for check, rule in sorted(set(emitted)):
        book = books.get(check)
        if book is None:
            continue  # a test plugin, not a built-in check
        record = book.lookup(rule)
        if record is None:
            without_record.append(f"{check}: {rule}")
        else:
            covered.add((check, record.id))
    never = [f"{check}: {rid}" for check, book in sorted(books.items()) for rid in book
             if (check, rid) not in covered]
    return without_record, never


def cases_never_seen(seen: Iterable[tuple[str, str, str]], books: Mapping[str, RuleBook]) -> list[str]:
    """Severity cases a record declares that no emitted finding of that rule carried."""
    got: set[tuple[str, str, str]] = set()
    for check, rule, label in seen:
        record = books[check].lookup(rule) if check in books else None
        if record is not None:
            got.add((check, record.id, label))
    return [f"{check}: {rid} (case {case}: {sev.label})" for check, book in sorted(books.items())
            for rid, rec in book.items() for case, sev in sorted(rec.cases.items())
            if (check, rid, sev.label) not in got]


def whole_suite_ran(session) -> bool:
    """No file, -k, -m, --deselect, --lf or -x narrowed the run (helper modules named test_* hold no tests,
    so the paths given, not the files collected, tell)."""
    tests_dir = Path(__file__).resolve().parent
    opt = session.config.option
    whole_paths = all(Path(str(a).split("::")[0]).resolve() in (tests_dir, tests_dir.parent)
                      for a in session.config.args)
    return whole_paths and not getattr(opt, "keyword", "") and not getattr(opt, "markexpr", "") \
        and not getattr(opt, "deselect", None) and not getattr(opt, "lf", False) \
        and not getattr(opt, "collectonly", False) and not session.shouldstop
