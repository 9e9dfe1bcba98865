import os

# Every test targets loopback only: the shared HTTP client refuses anything else.
os.environ["PPID_LOOPBACK_ONLY"] = "1"

import pytest  # noqa: E402

from tests import rule_coverage  # noqa: E402

rule_coverage.install()
_skipped = 0


def pytest_runtest_logreport(report):
    global _skipped
    if report.skipped:
        _skipped += 1


def pytest_sessionfinish(session, exitstatus):
    """Rules emitted without a record fail the session; so do records no test emitted (whole suite only)."""
    if exitstatus not in (0, 1):
        return
    books = {name: book for name, (_cls, book) in rule_coverage.builtin_rulebooks().items()}
    without, never = rule_coverage.problems(rule_coverage.EMITTED, books)
    lines = []
    if without:
        lines.append("rules emitted without a record (add them to the check's RuleBook): " + ", ".join(without))
    strict = os.environ.get("PPID_REQUIRE_INTEGRATION") == "1" or _skipped == 0
    gap = never and (rule_coverage.whole_suite_ran(session) or os.environ.get("PPID_RULE_COVERAGE") == "1")
    if gap:
        lines.append("rule records no test emitted (add a test that makes the check emit them): " + ", ".join(never))
    if not lines:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    for line in lines:
        if reporter is not None:
            reporter.write_line(line, red=True)
    if without or (gap and strict):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
