"""Perkiraan indikator keterbukaan informasi pada situs: an e-Monev-style estimate of the website part.

The Komisi Informasi's yearly monitoring (e-Monev, Perki 1/2022) scores a public body's whole information
service from a questionnaire and a visit; the website is only part of it. This module scores what the
website shows, grouped the way the questionnaire groups its indicators, and names the result with the
Commission's qualification words. It is an ESTIMATE of the website part only, never the official result:
every qualification this module returns is printed with the word "perkiraan" (see the catalogue).

Weights and bands are data (change the tables, not the code). The weights are ppid-auditor's own, chosen
in 2026 to mirror the questionnaire's groups; the bands are the Commission's qualification ranges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

SOURCE = {
    "year": 2026,
    "weights": "ppid-auditor 2026, bobot perkiraan (bukan bobot resmi Komisi Informasi)",
    "groups": "pengelompokan indikator kuesioner e-Monev Komisi Informasi (Perki 1/2022)",
    # the names are printed only from the catalogue (qual_*), which labels each one "perkiraan"
    "bands": "rentang kualifikasi hasil monev Komisi Informasi (>= 90, 80-89,9, 60-79,9, 40-59,9, < 40)",
}
# group -> weight (points out of 100 when every group is observed)
WEIGHTS: dict[str, int] = {"jenis_informasi": 40, "kualitas": 25, "sarana": 20, "digitalisasi": 15}
# (minimum score, qualification key) from the best band down
BANDS: tuple[tuple[float, str], ...] = ((90, "informatif"), (80, "menuju_informatif"), (60, "cukup_informatif"),
                                        (40, "kurang_informatif"), (0, "tidak_informatif"))
MENU_TARGETS = 5  # checks.content.compliance.MENU_TARGETS: DIP, DIK, SOP, request and objection forms
A11Y_RULES = 7  # checks.accessibility rules
ANNUAL_SCORE = {"ok": 1.0, "late": 0.5, "missing": 0.0}  # "not_due": not observed yet


@dataclass
class Indicator:
    key: str  # catalogue key "est_ind_<key>"
    ratio: float | None  # 0..1, None when the site gave nothing to judge
    detail: dict[str, Any] = field(default_factory=dict)  # numbers for the sentence (found, total...)


@dataclass
class GroupScore:
    key: str
    weight: int
    indicators: list[Indicator]

    @property
    def ratio(self) -> float | None:
        seen = [i.ratio for i in self.indicators if i.ratio is not None]
        return sum(seen) / len(seen) if seen else None

    @property
    def points(self) -> float | None:
        return None if self.ratio is None else round(self.weight * self.ratio, 1)


@dataclass
class Estimate:
    groups: list[GroupScore]

    @property
    def observed_weight(self) -> int:
        return sum(g.weight for g in self.groups if g.ratio is not None)

    @property
    def score(self) -> float | None:
        if not self.observed_weight:
            return None
        return round(100 * sum(g.points or 0 for g in self.groups) / self.observed_weight, 1)

    @property
    def qualification(self) -> str | None:
        s = self.score
        return None if s is None else next(key for minimum, key in BANDS if s >= minimum)


def _rows(facts: Any, key: str) -> list[dict[str, Any]]:
    value = facts.get(key) if isinstance(facts, dict) else None
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


def _share(found: int, total: int) -> float | None:
    return found / total if total else None


def build(facts: dict[str, Any], today: date | None = None) -> Estimate | None:
    """The estimate from the newest facts of the period (check name -> facts); None without content facts."""
    content = facts.get("content") if isinstance(facts.get("content"), dict) else None
    if content is None:
        return None
    mandatory = {r.get("id"): r.get("status") for r in _rows(content, "mandatory")}
    found = sum(1 for s in mandatory.values() if s == "ok")
    summary = content.get("summary") if isinstance(content.get("summary"), dict) else {}
    judged = sum(int(summary.get(k) or 0) for k in ("ok", "stale", "missing"))
    latest = content.get("latest_update") if isinstance(content.get("latest_update"), dict) else None
    menu = content.get("ppid_menu") if isinstance(content.get("ppid_menu"), dict) else None
    annual = content.get("annual_report") if isinstance(content.get("annual_report"), dict) else None
    a11y = facts.get("accessibility") if isinstance(facts.get("accessibility"), dict) else None

    def menu_ratio() -> float | None:
        if menu is None:
            return None
        if not menu.get("ppid_url"):
            return 0.0
        return 1.0 - len(menu.get("unreached") or []) / MENU_TARGETS

    def form(item_id: str) -> float | None:
        return None if item_id not in mandatory else (1.0 if mandatory[item_id] == "ok" else 0.0)

    a11y_ratio = None
    if a11y and a11y.get("pages_checked"):
        counts = a11y.get("counts") if isinstance(a11y.get("counts"), dict) else {}
        a11y_ratio = sum(1 for n in counts.values() if not n) / max(len(counts), A11Y_RULES)
    annual_status = (annual or {}).get("status")
    groups = [
        GroupScore("jenis_informasi", WEIGHTS["jenis_informasi"], [
            Indicator("mandatory", _share(found, len(mandatory)), {"found": found, "total": len(mandatory)})]),
        GroupScore("kualitas", WEIGHTS["kualitas"], [
            Indicator("approved_current", _share(int(summary.get("ok") or 0), judged),
                      {"found": int(summary.get("ok") or 0), "total": judged}),
            Indicator("site_updated", None if latest is None else (0.0 if latest.get("stale") else 1.0),
                      {"date": (latest or {}).get("date", "")})]),
        GroupScore("sarana", WEIGHTS["sarana"], [
            Indicator("ppid_menu", menu_ratio(), {"missing": len((menu or {}).get("unreached") or []),
                                                  "status": (menu or {}).get("status", "")}),
            Indicator("accessibility", a11y_ratio,
                      {"clean": 0 if a11y_ratio is None else round(a11y_ratio * A11Y_RULES), "total": A11Y_RULES})]),
        GroupScore("digitalisasi", WEIGHTS["digitalisasi"], [
            Indicator("request_form", form("formulir-permohonan")),
            Indicator("objection_form", form("formulir-keberatan")),
            Indicator("annual_report", ANNUAL_SCORE.get(annual_status or ""),
                      {"year": (annual or {}).get("year", ""), "status": annual_status or ""})]),
    ]
    return Estimate(groups)
