"""Observatory-compatible scoring: the modifier table, the grade chart and the extra-credit rule.

Data copied from MDN HTTP Observatory 1.4.8 (`src/grader/charts.js`, `src/scanner/index.js`,
scoring algorithm version 4). Keep this file a table: when the Observatory changes its scores, change
the numbers here and the version below, and the integration test will tell whether we still agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

OBSERVATORY_VERSION = "1.4.8"
OBSERVATORY_ALGORITHM_VERSION = 4
MINIMUM_SCORE_FOR_EXTRA_CREDIT = 90
BASE_SCORE = 100

# Observatory test name -> {expectation (result code): score modifier}
MODIFIERS: dict[str, dict[str, int]] = {
    "content-security-policy": {
        "csp-implemented-with-no-unsafe-default-src-none": 10,
        "csp-implemented-with-no-unsafe": 5,
        "csp-implemented-with-unsafe-inline-in-style-src-only": 0,
        "csp-implemented-but-duplicate-directives": 0,
        "csp-implemented-with-insecure-scheme-in-passive-content-only": -10,
        "csp-implemented-with-unsafe-eval": -10,
        "csp-implemented-with-unsafe-inline": -20,
        "csp-implemented-with-insecure-scheme": -20,
        "csp-header-invalid": -25,
        "csp-not-implemented": -25,
        "csp-not-implemented-but-reporting-enabled": -25,
    },
    "cookies": {
        "cookies-secure-with-httponly-sessions-and-samesite": 5,
        "cookies-secure-with-httponly-sessions": 0,
        "cookies-not-found": 0,
        "cookies-without-secure-flag-but-protected-by-hsts": -5,
        "cookies-session-without-secure-flag-but-protected-by-hsts": -10,
        "cookies-without-secure-flag": -20,
        "cookies-samesite-flag-invalid": -20,
        "cookies-anticsrf-without-samesite-flag": -20,
        "cookies-session-without-httponly-flag": -30,
        "cookies-session-without-secure-flag": -40,
    },
    "cross-origin-resource-sharing": {
        "cross-origin-resource-sharing-not-implemented": 0,
        "cross-origin-resource-sharing-implemented-with-public-access": 0,
        "cross-origin-resource-sharing-implemented-with-restricted-access": 0,
        "cross-origin-resource-sharing-implemented-with-universal-access": -50,
    },
    "redirection": {
        "redirection-all-redirects-preloaded": 0,
        "redirection-to-https": 0,
        "redirection-not-needed-no-http": 0,
        "redirection-off-host-from-http": -5,
        "redirection-not-to-https-on-initial-redirection": -10,
        "redirection-not-to-https": -20,
        "redirection-missing": -20,
        "redirection-invalid-cert": -20,
    },
    "referrer-policy": {
        "referrer-policy-private": 5,
        "referrer-policy-not-implemented": 0,
        "referrer-policy-unsafe": -5,
        "referrer-policy-header-invalid": -5,
    },
    "strict-transport-security": {
        "hsts-preloaded": 5,
        "hsts-implemented-max-age-at-least-six-months": 0,
        "hsts-implemented-max-age-less-than-six-months": -10,
        "hsts-not-implemented": -20,
        "hsts-header-invalid": -20,
        "hsts-not-implemented-no-https": -20,
        "hsts-invalid-cert": -20,
    },
    "subresource-integrity": {
        "sri-implemented-and-all-scripts-loaded-securely": 5,
        "sri-implemented-and-external-scripts-loaded-securely": 5,
        "sri-not-implemented-response-not-html": 0,
        "sri-not-implemented-but-no-scripts-loaded": 0,
        "sri-not-implemented-but-all-scripts-loaded-from-secure-origin": 0,
        "sri-not-implemented-but-external-scripts-loaded-securely": -5,
        "sri-implemented-but-external-scripts-not-loaded-securely": -20,
        "sri-not-implemented-and-external-scripts-not-loaded-securely": -50,
        "html-not-parseable": -20,
    },
    "x-content-type-options": {
        "x-content-type-options-nosniff": 0,
        "x-content-type-options-not-implemented": -5,
        "x-content-type-options-header-invalid": -5,
    },
    "x-frame-options": {
        "x-frame-options-implemented-via-csp": 5,
        "x-frame-options-sameorigin-or-deny": 0,
        "x-frame-options-allow-from-origin": 0,
        "x-frame-options-not-implemented": -20,
        "x-frame-options-header-invalid": -20,
    },
    "cross-origin-resource-policy": {
        "corp-implemented-with-same-origin": 10,
        "corp-implemented-with-same-site": 10,
        "corp-implemented-with-cross-origin": 0,
        "corp-not-implemented": 0,
        "corp-header-invalid": -5,
    },
}

# Lower bound of each 5-point band -> letter (scores above 100 get the letter for 100).
GRADE_CHART: dict[int, str] = {
    100: "A+", 95: "A", 90: "A", 85: "A-", 80: "B+", 75: "B", 70: "B", 65: "B-", 60: "C+", 55: "C",
    50: "C", 45: "C-", 40: "D+", 35: "D", 30: "D", 25: "D-", 20: "F", 15: "F", 10: "F", 5: "F", 0: "F",
}


def modifier(test: str, expectation: str) -> int:
    """Score modifier of one test result; unknown results count 0, like the Observatory."""
    return MODIFIERS.get(test, {}).get(expectation, 0)


def letter_for(score: int) -> str:
    score = max(score, 0)
    return GRADE_CHART[min(score - score % 5, 100)]


@dataclass(frozen=True)
class Grade:
    score: int
    letter: str
    modifiers: dict[str, int]  # test -> modifier applied

    @property
    def label(self) -> str:
        return f"{self.letter} ({self.score})"


def grade(results: Mapping[str, str]) -> Grade:
    """Score a set of test results the way the Observatory's scanner does.

    Bonuses (positive modifiers) only count when the score from penalties alone is already an A
    (>= MINIMUM_SCORE_FOR_EXTRA_CREDIT); the final score is floored at 0 but not capped at 100.
    """
    mods = {test: modifier(test, exp) for test, exp in results.items()}
    with_credit = BASE_SCORE + sum(mods.values())
    uncurved = BASE_SCORE + sum(m for m in mods.values() if m < 0)
    score = with_credit if uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT else uncurved
    score = max(score, 0)
    return Grade(score, letter_for(score), mods)
