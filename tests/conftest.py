import os

# Every test targets loopback only: the shared HTTP client refuses anything else.
os.environ["PPID_LOOPBACK_ONLY"] = "1"

# Hypothesis (issue 17): the `ci` profile is the default: a fixed seed (derandomize) and a small example
# budget keep the property tests reproducible and the suite within its time limit. HYPOTHESIS_PROFILE=dev
# explores more, with random seeds.
try:
    from hypothesis import HealthCheck, settings
except ImportError:  # the test extra is not installed: the property tests skip themselves
    pass
else:
    settings.register_profile("ci", derandomize=True, max_examples=60, deadline=None, database=None,
                              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    settings.register_profile("dev", max_examples=500, deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
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
    never += rule_coverage.cases_never_seen(rule_coverage.SEVERITIES, books)
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
