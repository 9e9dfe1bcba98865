"""Data migrations of the history store that SQL alone cannot express (auditor/store.py MIGRATIONS).

Each function is frozen as of its migration: it carries its own copy of the rule ids and of the
fingerprint formula of that day, so later changes to the checks cannot change what an old store becomes.
"""

from __future__ import annotations

import hashlib
from typing import Any

# Issue 16: the headers check aggregates these rules to one finding per site. Their fingerprints used to
# hash the smallest affected URL, so a changing set of pages turned one problem into "fixed" + "new".
HEADERS_SITE_LEVEL_RULES = (
    "headers.hsts.missing", "headers.hsts.invalid", "headers.csp.missing", "headers.csp.unsafe",
    "headers.xcto.missing", "headers.xfo.missing", "headers.referrer_policy.missing",
    "headers.referrer_policy.unsafe", "headers.cookie.insecure", "headers.cors.wildcard",
    "headers.sri.missing", "headers.mixed_content",
)


def site_level_fingerprint(check: str, rule: str, key: str = "site") -> str:
    """checks.base.fingerprint(check, rule, "", key) as of issue 16 (normalised key, no URL)."""
    norm = " ".join(key.split()).lower()
    return hashlib.sha256("\x1f".join((check, rule, "", norm)).encode("utf-8")).hexdigest()[:32]


def site_level_fingerprints(db: Any) -> None:
    """Re-key the headers' site-level findings and merge their issues: one issue per site and rule, first
    seen when the earliest of the old issues was, in the state of the latest one."""
    marks = ",".join("?" * len(HEADERS_SITE_LEVEL_RULES))
    rules = list(HEADERS_SITE_LEVEL_RULES)
    rows = db.execute(f"SELECT run_id, fingerprint, rule FROM findings WHERE check_name='headers' "
                      f"AND rule IN ({marks})", rules).fetchall()
    for r in rows:
        new = site_level_fingerprint("headers", r["rule"])
        if new == r["fingerprint"]:
            continue
        clash = db.execute("SELECT 1 FROM findings WHERE run_id=? AND fingerprint=?", (r["run_id"], new)).fetchone()
        if clash:  # two rows of one rule in one run cannot both stay: the aggregate already covers it
            db.execute("DELETE FROM findings WHERE run_id=? AND fingerprint=?", (r["run_id"], r["fingerprint"]))
        else:
            db.execute("UPDATE findings SET fingerprint=? WHERE run_id=? AND fingerprint=?",
                       (new, r["run_id"], r["fingerprint"]))

    issues = db.execute(f"SELECT * FROM issues WHERE check_name='headers' AND rule IN ({marks})",
                        rules).fetchall()
    has_decisions = _has_table(db, "decision_events")
    groups: dict[tuple[str, str], list[Any]] = {}
    for row in issues:
        groups.setdefault((row["site"], row["rule"]), []).append(dict(row))
    for (site, rule), old in groups.items():
        new = site_level_fingerprint("headers", rule)
        first = min(old, key=lambda o: o["first_seen"])
        latest = max(old, key=lambda o: (o["last_seen"], o["status"] == "open"))
        for o in old:
            db.execute("DELETE FROM issues WHERE site=? AND fingerprint=?", (site, o["fingerprint"]))
            if has_decisions:  # human decisions and lifecycle events (issue 18) follow their finding
                db.execute("UPDATE decision_events SET fingerprint=? WHERE site=? AND fingerprint=?",
                           (new, site, o["fingerprint"]))
        db.execute("INSERT INTO issues (site, fingerprint, check_name, rule, severity, title, url, status,"
                   " first_run, first_seen, last_run, last_seen, fixed_run, fixed_at, reopen_count)"
                   " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   (site, new, "headers", rule, latest["severity"], latest["title"], latest["url"],
                    latest["status"], first["first_run"], first["first_seen"], latest["last_run"],
                    latest["last_seen"], latest["fixed_run"], latest["fixed_at"],
                    sum(int(o["reopen_count"] or 0) for o in old)))


def _has_table(db: Any, name: str) -> bool:
    if db.is_pg:
        row = db.execute("SELECT to_regclass(?) AS t", (name,)).fetchone()
        return row["t"] is not None
    return db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None
