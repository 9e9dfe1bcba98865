"""The evaluation report's numbers as JSON (`report ... --format json`), from the same data as the HTML and
PDF, so a dashboard or a test can read the score, the counts, the decisions and the programme without
parsing a document."""

from __future__ import annotations

import json
from typing import Any

from reports import decisions as dec
from reports.monthly import MonthData
from reports.semester import HalfData


def _score(s: Any) -> dict[str, Any]:
    return {"value": s.value, "status": s.status, "penalties": dict(s.penalties)}


def _day(v: Any) -> str | None:
    return v.isoformat() if v else None


def month_json(d: MonthData) -> dict[str, Any]:
    return {
        "kind": "monthly", "period": d.period.key, "site": d.site, "url": d.url,
        "score": _score(d.score), "previous_score": _score(d.previous_score),
        "totals": dict(d.totals), "open_by_severity": dict(d.open_by_severity),
        "areas": [{"area": a.area, "checked": a.checked, "before": a.before, "new": a.new,
                   "still_open": a.still_open, "fixed": a.fixed, "reopened": a.reopened, "open_end": a.open_end}
                  for a in d.areas],
        "followups": [{"rule": f.rule, "severity": f.severity.label, "url": f.url, "who": f.who or None,
                       "due": _day(f.due), "overdue": f.overdue} for f in d.followups],
        "suppressed": d.suppressed,
        "decisions": dec.json_rows(d.decisions),
        "programme": [{"fingerprint": r.fingerprint, "rule": r.rule, "severity": r.severity.label,
                       "owner": r.owner, "due": _day(r.due), "status": r.status,
                       "last_note": ({"by": r.last_note.actor, "at": r.last_note.at.isoformat(timespec="seconds"),
                                      "text": r.last_note.note} if r.last_note else None)}
                      for r in d.programme],
    }


def half_json(d: HalfData) -> dict[str, Any]:
    return {
        "kind": "semiannual", "period": d.period.key, "site": d.site, "url": d.url, "score": _score(d.score),
        "runs": d.runs, "fixed": d.fixed_count, "mttf_days": d.mttf_days,
        "areas": [{"area": a.area, "seen": a.seen, "new": a.new, "fixed": a.fixed, "reopened": a.reopened,
                   "open_start": a.open_start, "open_end": a.open_end} for a in d.areas],
        "decision_counts": dict(d.decision_counts),
        "decisions": dec.json_rows(d.end.decisions),
        "months": [month_json(m) for m in d.months],
    }


def dumps(data: MonthData | HalfData) -> str:
    obj = month_json(data) if isinstance(data, MonthData) else half_json(data)
    return json.dumps(obj, ensure_ascii=False, indent=2) + "\n"
