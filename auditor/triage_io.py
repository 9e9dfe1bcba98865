"""Triage decisions as a reviewable YAML file (`ppid-audit triage --export/--import`).

The file is the human part of the decision log (decisions, notes, undos; the scan's own new/fixed/reopened
steps stay in the store), grouped by site and finding, with the rule, title and URL for the reader. A
Kepala Seksi can keep it with the signed minutes of the monthly evaluation (SOP C2) and load it into
another store. Import is idempotent (an event already there is skipped) and all-or-nothing: every
fingerprint must be tracked in the target store and every event well formed, or nothing is written.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from auditor import triage
from auditor.errors import InputError
from auditor.store import Store, iso

FORMAT = "ppid-audit-triage/1"
HEADER = ("# Keputusan atas temuan (ppid-audit triage --export). Simpan bersama notulen rapat evaluasi.\n"
          "# Triage decisions (ppid-audit triage --export). Keep with the signed minutes.\n")


def export_decisions(store: Store, site: str | None = None, now: datetime | None = None) -> str:
    """The YAML text of every human event, per site and fingerprint, oldest first."""
    issues = {(r["site"], r["fingerprint"]): r for r in store.db.execute("SELECT * FROM issues")}
    human = triage.events(store, site, kinds=(*triage.ACTIONS, triage.UNDO))
    sites: dict[str, dict[str, dict[str, Any]]] = {}
    position: dict[int, int] = {}
    for e in human:
        entry = sites.setdefault(e.site, {}).get(e.fingerprint)
        if entry is None:
            issue = issues.get((e.site, e.fingerprint))
            entry = {"fingerprint": e.fingerprint, "rule": issue["rule"] if issue else "",
                     "title": issue["title"] if issue else "", "url": (issue["url"] or "") if issue else "",
                     "events": []}
            sites[e.site][e.fingerprint] = entry
        entry["events"].append(_event_dict(e, position))
        position[e.id] = len(entry["events"])
    doc = {"format": FORMAT, "exported_at": iso(triage.utc_now(now)),
           "sites": {s: list(fps.values()) for s, fps in sorted(sites.items())}}
    return HEADER + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=110)


def _event_dict(e: triage.Event, position: dict[int, int]) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": e.kind, "by": e.actor, "at": iso(e.at)}
    if e.kind in (triage.FALSE_POSITIVE, triage.ACCEPTED):
        out["reason"] = e.reason
    if e.kind == triage.ACCEPTED:
        out["until"] = e.until.isoformat() if e.until else None
    if e.kind == triage.ASSIGNED:
        out["owner"] = e.owner
        out["due"] = e.due.isoformat() if e.due else None
    if e.kind == triage.NOTE:
        out["note"] = e.note
    if e.kind == triage.UNDO:
        out["undoes"] = position.get(e.undo_of or -1)  # 1-based position in this finding's list
    return out


def _fail(source: str, where: str, msg: str) -> InputError:
    return triage.TriageError(f"{source}: {where}: {msg}")


def _parse(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark else ""
        raise InputError(f"{path}: {line}not valid YAML") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InputError(f"{path}: format: expected {FORMAT!r} (a file written by `ppid-audit triage --export`)")
    if not isinstance(doc.get("sites") or {}, dict):
        raise InputError(f"{path}: sites: expected a mapping of site name to findings")
    return doc


def _when(value: Any, source: str, where: str) -> datetime:
    try:
        when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        raise _fail(source, where, f"not an ISO date-time: {value!r}") from None
    if when.tzinfo is None:
        raise _fail(source, where, "date-time needs a time zone (e.g. +00:00)")
    return when


def _day(value: Any, source: str, where: str) -> date:
    try:
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise _fail(source, where, f"not a date YYYY-MM-DD: {value!r}") from None


def _text(value: Any, source: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(source, where, "must be a non-empty text")
    return value.strip()


def _checked(path: Path, doc: dict[str, Any], store: Store) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """Validate the whole file against the store first: (site, fingerprint, events) with typed values."""
    source = str(path)
    out = []
    for site, findings in (doc.get("sites") or {}).items():
        if not isinstance(findings, list):
            raise _fail(source, f"sites.{site}", "expected a list of findings")
        for i, item in enumerate(findings):
            where = f"sites.{site}.{i}"
            fp = item.get("fingerprint") if isinstance(item, dict) else None
            if not isinstance(fp, str) or not fp:
                raise _fail(source, where, "fingerprint: required")
            if store.db.execute("SELECT 1 FROM issues WHERE site=? AND fingerprint=?", (site, fp)).fetchone() is None:
                raise _fail(source, where, f"fingerprint {fp}: no tracked finding of site {site!r} in this store")
            evs = []
            for j, ev in enumerate(item.get("events") or []):
                w = f"{where}.events.{j}"
                if not isinstance(ev, dict) or ev.get("kind") not in (*triage.ACTIONS, triage.UNDO):
                    raise _fail(source, w, f"kind: one of {', '.join((*triage.ACTIONS, triage.UNDO))}")
                kind = ev["kind"]
                typed: dict[str, Any] = {"kind": kind, "actor": _text(ev.get("by"), source, f"{w}.by"),
                                         "at": _when(ev.get("at"), source, f"{w}.at"), "reason": "",
                                         "until": None, "owner": None, "due": None, "note": "", "undoes": None}
                if kind in (triage.FALSE_POSITIVE, triage.ACCEPTED):
                    typed["reason"] = _text(ev.get("reason"), source, f"{w}.reason")
                if kind == triage.ACCEPTED:
                    typed["until"] = _day(ev.get("until"), source, f"{w}.until")
                if kind == triage.ASSIGNED:
                    typed["owner"] = _text(ev.get("owner"), source, f"{w}.owner")
                    typed["due"] = _day(ev["due"], source, f"{w}.due") if ev.get("due") else None
                if kind == triage.NOTE:
                    typed["note"] = _text(ev.get("note"), source, f"{w}.note")
                if kind == triage.UNDO:
                    n = ev.get("undoes")
                    if not isinstance(n, int) or not 1 <= n <= j or evs[n - 1]["kind"] == triage.UNDO:
                        raise _fail(source, f"{w}.undoes", "the position (1-based) of an earlier decision or note")
                    typed["undoes"] = n
                evs.append(typed)
            out.append((site, fp, evs))
    return out


def _key(e: dict[str, Any]) -> tuple:
    return (e["kind"], e["actor"], iso(e["at"]), e["reason"] or "", e["until"].isoformat() if e["until"] else None,
            e["owner"] or None, e["due"].isoformat() if e["due"] else None, e["note"] or "")


def import_decisions(path: str | Path, store: Store) -> dict[str, int]:
    """Load a file written by `export_decisions`. Returns {"added": n, "skipped": m}. Raises InputError
    (nothing written) on a bad file or a fingerprint the store does not track."""
    path = Path(path)
    plan = _checked(path, _parse(path), store)
    added = skipped = 0
    with store.tx() as db:
        for site, fp, evs in plan:
            existing: dict[tuple, int] = {}
            for e in triage.events(store, site, fp, kinds=(*triage.ACTIONS, triage.UNDO)):
                typed = {"kind": e.kind, "actor": e.actor, "at": e.at, "reason": e.reason, "until": e.until,
                         "owner": e.owner, "due": e.due, "note": e.note}
                key = _key(typed) + ((e.undo_of,) if e.kind == triage.UNDO else ())
                existing[key] = e.id
            ids: list[int] = []
            evidence = triage.latest_evidence(store, site, fp)
            for ev in evs:
                undo_of = ids[ev["undoes"] - 1] if ev["undoes"] else None
                key = _key(ev) + ((undo_of,) if ev["kind"] == triage.UNDO else ())
                if key in existing:
                    ids.append(existing[key])
                    skipped += 1
                    continue
                digest = (triage.evidence_hash(store, evidence)
                          if ev["kind"] == triage.FALSE_POSITIVE and evidence is not None else None)
                new_id = triage.insert_event(
                    db, ("site", "fingerprint", "kind", "actor", "at", "reason", "expires", "owner", "due", "note",
                         "undo_of", "evidence"),
                    (site, fp, ev["kind"], ev["actor"], iso(ev["at"]), ev["reason"],
                     ev["until"].isoformat() if ev["until"] else None, ev["owner"],
                     ev["due"].isoformat() if ev["due"] else None, ev["note"], undo_of, digest))
                ids.append(new_id)
                existing[key] = new_id
                added += 1
    return {"added": added, "skipped": skipped}
