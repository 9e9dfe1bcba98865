"""Scoring, status, deadlines and responsibilities as data tables (documented in docs/reports.md).

Change the tables, not the code: `score()` and `status()` only walk them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from checks.base import Severity

# Areas in report order; a rule's area is its prefix (`tls.cert.expiring` -> tls). Unknown prefixes go to
# "other" so a third-party check still shows up.
AREAS: tuple[str, ...] = ("tls", "headers", "software", "pii", "content", "a11y", "zap")
OTHER = "other"

# Which area a check covers, for "was this area examined at all?" when the check found nothing, is the
# check's own `Check.area` (checks.base.check_areas); a check without one is learnt from its rule prefixes.

# The SOP step each document serves (SOP Keamanan Pengelolaan Website PPID, docs/sop/): C1 is the Kepala
# Seksi's evaluation of all website management at least every six months, handed to the Ketua PPID; C2 is
# the Atasan PPID's monthly evaluation (through the Ketua PPID); B1 the development plan the six-monthly
# evaluation proposes; B3-B5 the pre-publish check of staged changes. Reports cite these, never literals.
SOP_STEPS: dict[str, tuple[str, ...]] = {"monthly": ("C2",), "semiannual": ("C1", "B1"), "gate": ("B3", "B4", "B5")}


# Score: start at 100 and subtract, per open finding at the end of the period, `each` points for its
# severity, at most `cap` points per severity (so fifty low findings cannot outweigh one critical).
# Informational findings (a header grade, HSTS preload advice) never count.
PENALTY: dict[Severity, tuple[int, int]] = {
    Severity.CRITICAL: (25, 60),
    Severity.HIGH: (10, 40),
    Severity.MEDIUM: (4, 20),
    Severity.LOW: (1, 10),
    Severity.INFO: (0, 0),
}

# Overall status from the score: the first band whose minimum the score reaches.
STATUS_BANDS: tuple[tuple[int, str], ...] = ((85, "baik"), (60, "perlu_perbaikan"), (0, "buruk"))

# ...but an open finding of this severity caps the status, whatever the score.
SEVERITY_CAP: dict[Severity, str] = {Severity.CRITICAL: "buruk", Severity.HIGH: "perlu_perbaikan"}

STATUS_ORDER = ("baik", "perlu_perbaikan", "buruk")

# Follow-up deadline: days after the finding was first seen (SOP: critical problems within days).
DUE_DAYS: dict[Severity, int] = {Severity.CRITICAL: 3, Severity.HIGH: 7, Severity.MEDIUM: 30,
                                 Severity.LOW: 90, Severity.INFO: 180}

# Who follows up when the approved list names nobody: a role per area (message keys, see auditor/messages/reports.yaml).
AREA_ROLE: dict[str, str] = {"tls": "role_hosting", "headers": "role_webadmin", "software": "role_webadmin",
                             "pii": "role_operator_pii", "content": "role_operator", "a11y": "role_webadmin",
                             "zap": "role_webadmin",
                             OTHER: "role_kasi"}

# Six-monthly development-plan recommendations (SOP B1): an area gets its recommendation when, at the end
# of the half, it has open findings at or above `min_severity`, or any finding recurred during the half.
RECOMMEND: dict[str, tuple[Severity, str]] = {
    "tls": (Severity.MEDIUM, "rec_tls"), "headers": (Severity.MEDIUM, "rec_headers"),
    "software": (Severity.MEDIUM, "rec_software"), "pii": (Severity.LOW, "rec_pii"),
    "content": (Severity.LOW, "rec_content"), "a11y": (Severity.MEDIUM, "rec_a11y"),
    "zap": (Severity.MEDIUM, "rec_zap"),
    OTHER: (Severity.HIGH, "rec_other"),
}
COMPLIANCE_TARGET = 0.8  # below this share of approved items up to date -> content recommendation
MTTF_TARGET_DAYS = 30  # mean time to fix above this -> process recommendation


def area_of(rule: str) -> str:
    prefix = rule.split(".", 1)[0]
    return prefix if prefix in AREAS else OTHER


@dataclass(frozen=True)
class Score:
    value: int | None  # None: nothing to score (no run in the period)
    status: str  # "baik" | "perlu_perbaikan" | "buruk" | "tidak_dinilai"
    penalties: dict[str, int]  # severity label -> points subtracted


def score(severities: Iterable[Severity], *, scored: bool = True) -> Score:
    if not scored:
        return Score(None, "tidak_dinilai", {})
    counts = Counter(severities)
    penalties = {sev.label: min(counts[sev] * each, cap) for sev, (each, cap) in PENALTY.items() if counts[sev]}
    value = max(0, 100 - sum(penalties.values()))
    status = next(name for minimum, name in STATUS_BANDS if value >= minimum)
    for sev, cap_status in SEVERITY_CAP.items():
        if counts[sev] and STATUS_ORDER.index(cap_status) > STATUS_ORDER.index(status):
            status = cap_status
    return Score(value, status, penalties)
