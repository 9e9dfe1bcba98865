"""Triage: decisions on tracked findings, kept as an append-only event log per site + fingerprint.

A person records a decision on a finding (SOP B1-B3: the improvement programme; C2: the monthly evaluation
reviews it): `false_positive` (reason), `accepted` (reason + expiry, at most 12 months), `assigned` (owner
+ due date, default from the policy table) or a follow-up `note`. `undo` takes back the
latest decision or note (the undo is an event too). The scan adds its own steps to the same log (`new`, `fixed`,
`reopened`, written by `Store.finish_run`), so the log reads as the finding's whole story, in order.

Nothing is ever updated or deleted: the current decision is a replay of the log up to a moment (`now`),
which is also how a report about a past month sees the decisions as they stood at that month's end.

Replay rules: each decision replaces the previous one; notes accumulate; a finding that comes back after
`fixed` (`reopened`) keeps a false positive (the fingerprint still matches) but any other decision is
moved to `previous` (shown, not re-applied). An accepted risk whose expiry date has passed counts again.

The console records report signings in the same table under `report:<file name>` keys with kinds of
their own (auditor/console/signing.py); the readers here only replay the kinds above.

Bad input raises `TriageError` (an `InputError`: one line, exit 2 at the CLI) before anything is written.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from auditor.errors import InputError
from auditor.store import Store, iso, parse_iso
from auditor.storedb import Database
from checks.base import Severity
from checks.facts import ContentFacts

FALSE_POSITIVE, ACCEPTED, ASSIGNED, NOTE, UNDO = "false_positive", "accepted", "assigned", "note", "undo"
ACTIONS = (FALSE_POSITIVE, ACCEPTED, ASSIGNED, NOTE)
DECISIONS = (FALSE_POSITIVE, ACCEPTED, ASSIGNED)  # the kinds that set "the" decision (notes accumulate)
LIFECYCLE = ("new", "fixed", "reopened")  # written by the scan (actor "ppid-audit"), never undone
HUMAN = (*ACTIONS, UNDO)  # the kinds a person records on a finding
SYSTEM_ACTOR = "ppid-audit"
MAX_ACCEPT_MONTHS = 12
MAX_TEXT = 2000  # reasons and notes are for people; a pasted log file is refused
MIN_PREFIX = 4


class TriageError(InputError):
    """A triage request that cannot be applied (nothing was written). Exit code 2."""


class UnknownFingerprint(TriageError):
    def __init__(self, fingerprint: str, site: str | None = None):
        self.fingerprint = fingerprint
        where = f" of site {site!r}" if site else ""
        super().__init__(f"{fingerprint}: no tracked finding{where} has this fingerprint "
                         "(see `ppid-audit findings --status open`)")


class AmbiguousPrefix(TriageError):
    def __init__(self, prefix: str, candidates: list[tuple[str, str, str]]):
        self.prefix = prefix
        self.candidates = candidates  # (site, fingerprint, rule)
        listed = ", ".join(f"{s}/{fp} ({rule})" for s, fp, rule in candidates[:10])
        more = f" and {len(candidates) - 10} more" if len(candidates) > 10 else ""
        super().__init__(f"{prefix}: matches {len(candidates)} findings, give more characters: {listed}{more}")


@dataclass(frozen=True)
class Event:
    """One row of the decision log."""

    id: int
    site: str
    fingerprint: str
    kind: str  # one of ACTIONS, UNDO or LIFECYCLE
    actor: str
    at: datetime
    reason: str = ""
    until: date | None = None  # accepted: the risk acceptance ends after this day
    owner: str = ""
    due: date | None = None
    note: str = ""
    undo_of: int | None = None
    run_id: str | None = None  # lifecycle events: the run that saw the change
    evidence: str | None = None  # keyed hash of the finding's evidence when the decision was made


@dataclass
class Decision:
    """The state of one finding's triage at a moment (a replay of its events)."""

    site: str
    fingerprint: str
    kind: str | None = None  # FALSE_POSITIVE | ACCEPTED | ASSIGNED | None
    event: Event | None = None  # the event that set `kind`
    notes: list[Event] = field(default_factory=list)
    previous: Decision | None = None  # the decision before the finding was fixed and came back
    fixed: bool = False  # the scan no longer sees it (as of the moment of the replay)
    reopened: bool = False  # it came back after a fix at least once
    expired: bool = False  # accepted, and the expiry date has passed
    evidence_changed: bool = False  # false positive, and the evidence now differs from when it was decided

    @property
    def suppressed(self) -> bool:
        """Hidden from scores, alerts and exit codes: a false positive, or an accepted risk not yet expired."""
        return self.kind == FALSE_POSITIVE or (self.kind == ACCEPTED and not self.expired)

    @property
    def label(self) -> str:
        """Message key for tables: false_positive | accepted | accepted_expired | assigned | "" (none)."""
        if self.kind == ACCEPTED and self.expired:
            return "accepted_expired"
        return self.kind or ""

    @property
    def reason(self) -> str:
        return self.event.reason if self.event else ""

    @property
    def actor(self) -> str:
        return self.event.actor if self.event else ""

    @property
    def at(self) -> datetime | None:
        return self.event.at if self.event else None

    @property
    def until(self) -> date | None:
        return self.event.until if self.event and self.kind == ACCEPTED else None

    @property
    def owner(self) -> str:
        return self.event.owner if self.event and self.kind == ASSIGNED else ""

    @property
    def due(self) -> date | None:
        return self.event.due if self.event and self.kind == ASSIGNED else None

    @property
    def last_note(self) -> Event | None:
        return self.notes[-1] if self.notes else None

    def to_json(self) -> dict[str, object]:
        """The `decision` field of the findings JSON (docs/cli.md)."""
        out: dict[str, object] = {"kind": self.kind, "suppressed": self.suppressed}
        if self.event:
            out.update(by=self.actor, at=iso(self.at), reason=self.reason or None)
        if self.kind == ACCEPTED:
            out.update(until=self.until.isoformat() if self.until else None, expired=self.expired)
        if self.kind == ASSIGNED:
            out.update(owner=self.owner, due=self.due.isoformat() if self.due else None)
        if self.evidence_changed:
            out["evidence_changed"] = True
        if self.previous and self.previous.kind:
            out["previous"] = self.previous.to_json()
        if self.notes:
            n = self.notes[-1]
            out["last_note"] = {"by": n.actor, "at": iso(n.at), "text": n.note}
        return out


# -- helpers ------------------------------------------------------------------------------------------------
def utc_now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def evidence_hash(store: Store, evidence: str) -> str:
    """A keyed hash of the normalised evidence: the log can tell a change without storing the text again."""
    norm = " ".join((evidence or "").split()).lower()
    return hmac.new(store.secret_key, norm.encode("utf-8"), hashlib.sha256).hexdigest()[:24]


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _event(r: Any) -> Event:
    return Event(int(r["id"]), r["site"], r["fingerprint"], r["kind"], r["actor"], parse_iso(r["at"]),
                 r["reason"] or "", _date(r["expires"]), r["owner"] or "", _date(r["due"]), r["note"] or "",
                 r["undo_of"], r["run_id"], r["evidence"])


def _issue(store: Store, site: str, fp: str) -> Any:
    row = store.db.execute("SELECT * FROM issues WHERE site=? AND fingerprint=?", (site, fp)).fetchone()
    if row is None:
        raise UnknownFingerprint(fp, site)
    return row


def latest_evidence(store: Store, site: str, fp: str) -> str | None:
    row = store.db.execute("SELECT f.evidence FROM findings f JOIN runs r ON r.id = f.run_id WHERE r.site=? AND "
                           "f.fingerprint=? ORDER BY r.started DESC LIMIT 1", (site, fp)).fetchone()
    return (row["evidence"] or "") if row else None


def insert_event(db: Database, columns: tuple[str, ...], values: tuple[object, ...]) -> int:
    """Append one row to the log inside a transaction; returns its id (the log's order)."""
    sql = f"INSERT INTO decision_events ({', '.join(columns)}) VALUES ({','.join('?' * len(columns))})"
    if db.is_pg:
        return int(db.execute(sql + " RETURNING id", values).fetchone()["id"])
    return int(db.execute(sql, values).lastrowid)


def _event_by_id(store: Store, event_id: int) -> Event:
    return _event(store.db.execute("SELECT * FROM decision_events WHERE id=?", (event_id,)).fetchone())


def _text(value: str | None, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise TriageError(f"{what}: must not be empty")
    if len(text) > MAX_TEXT:
        raise TriageError(f"{what}: at most {MAX_TEXT} characters")
    return text


# -- reading ------------------------------------------------------------------------------------------------
def events(store: Store, site: str | None = None, fingerprint: str | None = None, *,
           since: datetime | None = None, until: datetime | None = None,
           kinds: tuple[str, ...] | None = None) -> list[Event]:
    """The log, oldest first (by insertion), optionally for one site / finding / time window / kinds."""
    sql, args = "SELECT * FROM decision_events WHERE 1=1", []
    for col, op, val in (("site", "=", site), ("fingerprint", "=", fingerprint), ("at", ">=", iso(since)),
                         ("at", "<", iso(until))):
        if val is not None:
            sql += f" AND {col} {op} ?"
            args.append(val)
    if kinds:
        sql += f" AND kind IN ({','.join('?' * len(kinds))})"
        args.extend(kinds)
    return [_event(r) for r in store.db.execute(sql + " ORDER BY id", args)]


def replay(site: str, fingerprint: str, log: list[Event], now: datetime,
           evidence: str | None = None) -> Decision:
    """The decision as of `now` from one finding's events (oldest first). `evidence`: the current evidence
    hash, to flag a false positive whose evidence changed since it was decided."""
    log = [e for e in log if e.at <= now]
    undone = {e.undo_of for e in log if e.kind == UNDO}
    d = Decision(site, fingerprint)
    for e in log:
        if e.id in undone or e.kind in (UNDO, "new"):
            continue
        if e.kind in DECISIONS:
            d.kind, d.event = e.kind, e
        elif e.kind == NOTE:
            d.notes.append(e)
        elif e.kind == "fixed":
            d.fixed = True
        elif e.kind == "reopened":
            d.fixed, d.reopened = False, True
            if d.kind and d.kind != FALSE_POSITIVE:
                d.previous = replace(d, previous=None, notes=list(d.notes))
                d.kind, d.event = None, None
    d.expired = bool(d.kind == ACCEPTED and d.until and now.date() > d.until)
    d.evidence_changed = bool(d.kind == FALSE_POSITIVE and evidence and d.event and d.event.evidence
                              and d.event.evidence != evidence)
    return d


def current_decision(store: Store, site: str, fingerprint: str, now: datetime | None = None,
                     evidence: str | None = None) -> Decision:
    """One finding's decision as of `now` (default: now). `evidence`: the finding's current evidence text
    (default: the latest stored), to tell whether a false positive's evidence changed materially."""
    if evidence is None:
        evidence = latest_evidence(store, site, fingerprint)
    digest = evidence_hash(store, evidence) if evidence is not None else None
    return replay(site, fingerprint, events(store, site, fingerprint), utc_now(now), digest)


def decisions(store: Store, site: str, now: datetime | None = None,
              evidence: dict[str, str] | None = None) -> dict[str, Decision]:
    """Every finding of `site` that has a human event, fingerprint -> decision as of `now` (one query).
    `evidence`: fingerprint -> current evidence text, for the false-positive change flag."""
    by_fp: dict[str, list[Event]] = {}
    for e in events(store, site):
        by_fp.setdefault(e.fingerprint, []).append(e)
    when = utc_now(now)
    out = {}
    for fp, log in by_fp.items():
        if any(e.kind in HUMAN for e in log):  # other kinds share the log (console signings, `report:` keys)
            text = (evidence or {}).get(fp)
            out[fp] = replay(site, fp, log, when, evidence_hash(store, text) if text is not None else None)
    return out


def resolve_prefix(store: Store, prefix: str, site: str | None = None) -> tuple[str, str]:
    """(site, fingerprint) of the one tracked finding whose fingerprint starts with `prefix`.
    Raises UnknownFingerprint (none) or AmbiguousPrefix (several; never applied to all)."""
    p = (prefix or "").strip().lower()
    if len(p) < MIN_PREFIX:
        raise TriageError(f"{prefix!r}: give at least {MIN_PREFIX} characters of the fingerprint")
    if any(c in p for c in "%_\\"):
        raise UnknownFingerprint(prefix, site)
    sql, args = "SELECT site, fingerprint, rule FROM issues WHERE fingerprint LIKE ?", [p + "%"]
    if site:
        sql += " AND site=?"
        args.append(site)
    rows = sorted((r["site"], r["fingerprint"], r["rule"]) for r in store.db.execute(sql, args))
    if not rows:
        raise UnknownFingerprint(prefix, site)
    exact = [r for r in rows if r[1] == p]
    if len(rows) > 1 and len(exact) != 1:
        raise AmbiguousPrefix(prefix, rows)
    s, fp, _rule = exact[0] if exact else rows[0]
    return s, fp


# -- writing ------------------------------------------------------------------------------------------------
def allowed_owners(cfg: Any, store: Store, site: str) -> list[str]:
    """Who may be assigned a finding of `site`: `triage.owners`, the signatories' names, and the
    `responsible` people of the approved content list (from the site's latest run)."""
    names = cfg.triage.allowed_owners(cfg.reports.signatories)
    latest = store.latest_run(site)
    content = store.typed_facts(latest.id).get("content") if latest else None
    items = content.items if isinstance(content, ContentFacts) else []
    names += [i.responsible for i in items if i.responsible]
    return list(dict.fromkeys(names))


def default_due(severity: Severity, first_seen: datetime) -> date:
    """The policy deadline (reports.policy.DUE_DAYS) counted from when the finding was first seen."""
    from reports.policy import DUE_DAYS  # the one deadline table; a data table, no report code

    return (first_seen + timedelta(days=DUE_DAYS[severity])).date()


def decide(store: Store, site: str, fingerprint: str, action: str, *, actor: str, reason: str = "",
           until: date | None = None, owner: str = "", due: date | None = None, note: str = "",
           now: datetime | None = None, owners: list[str] | None = None) -> Event:
    """Record one decision or note and return its event. Everything is validated first; on any error a
    TriageError is raised and nothing is written.

    - FALSE_POSITIVE: `reason` required.
    - ACCEPTED: `reason` and `until` required; `until` after today and at most 12 months ahead.
    - ASSIGNED: `owner` required (one of `owners` when that list is given); `due` not in the past, default
      the policy deadline from the finding's first sighting.
    - NOTE: `note` required (the follow-up, "tindak lanjut").
    """
    when = utc_now(now)
    today = when.date()
    actor = _text(actor, "actor (--by)")
    if action not in ACTIONS:
        raise TriageError(f"{action!r}: unknown triage action (one of {', '.join(ACTIONS)})")
    issue = _issue(store, site, fingerprint)
    values: dict[str, object] = {"reason": "", "expires": None, "owner": None, "due": None, "note": "",
                                 "evidence": None}
    if action in (FALSE_POSITIVE, ACCEPTED):
        values["reason"] = _text(reason, "--reason")
    if action == FALSE_POSITIVE:
        ev = latest_evidence(store, site, fingerprint)
        values["evidence"] = evidence_hash(store, ev) if ev is not None else None
    elif action == ACCEPTED:
        if until is None:
            raise TriageError("--until: an accepted risk needs an expiry date (YYYY-MM-DD)")
        if until <= today:
            raise TriageError(f"--until {until.isoformat()}: the expiry date must be after today "
                              f"({today.isoformat()})")
        limit = add_months(today, MAX_ACCEPT_MONTHS)
        if until > limit:
            raise TriageError(f"--until {until.isoformat()}: at most {MAX_ACCEPT_MONTHS} months ahead "
                              f"(by {limit.isoformat()})")
        values["expires"] = until.isoformat()
    elif action == ASSIGNED:
        owner = _text(owner, "--assign")
        if owners is not None and owner not in owners:
            known = ", ".join(owners) if owners else "none configured (triage.owners in the config)"
            raise TriageError(f"--assign {owner}: not a configured owner ({known})")
        if due is None:
            due = default_due(Severity.parse(issue["severity"]), parse_iso(issue["first_seen"]))
            due = max(due, today)
        elif due < today:
            raise TriageError(f"--due {due.isoformat()}: the due date is in the past")
        values["owner"], values["due"] = owner, due.isoformat()
    else:
        values["note"] = _text(note, "--note")
    with store.tx() as db:
        event_id = insert_event(db, ("site", "fingerprint", "kind", "actor", "at", "reason", "expires", "owner",
                                     "due", "note", "evidence"),
                                (site, fingerprint, action, actor, iso(when), values["reason"], values["expires"],
                                 values["owner"], values["due"], values["note"], values["evidence"]))
    return _event_by_id(store, event_id)


def undo(store: Store, site: str, fingerprint: str, *, actor: str, now: datetime | None = None) -> Event:
    """Take back the latest decision or note on the finding that is not already undone: the previous state
    returns. The undo is itself an event (the log is never rewritten). Returns the undo event."""
    when = utc_now(now)
    actor = _text(actor, "actor (--by)")
    _issue(store, site, fingerprint)
    log = [e for e in events(store, site, fingerprint) if e.at <= when]
    undone = {e.undo_of for e in log if e.kind == UNDO}
    target = next((e for e in reversed(log) if e.kind in ACTIONS and e.id not in undone), None)
    if target is None:
        raise TriageError(f"{fingerprint}: no decision or note to undo")
    with store.tx() as db:
        event_id = insert_event(db, ("site", "fingerprint", "kind", "actor", "at", "undo_of"),
                                (site, fingerprint, UNDO, actor, iso(when), target.id))
    return _event_by_id(store, event_id)


# -- the improvement programme (SOP B1-B3, reviewed at the monthly evaluation C2) -----------------------------
def programme(store: Store, site: str, month: str | None = None, now: datetime | None = None) -> list:
    """Assigned findings with owner, due date, status and last note, as they stood at the end of `month`
    ("YYYY-MM"; default: now): a list of `auditor.programme.ProgrammeRow`, most urgent first."""
    from auditor.programme import build_programme  # kept apart so this module stays small

    return build_programme(store, site, month, now)


def __getattr__(name: str) -> Any:
    """`auditor.triage.ProgrammeRow` (its home is auditor/programme.py), kept importable from here."""
    if name == "ProgrammeRow":
        from auditor.programme import ProgrammeRow

        return ProgrammeRow
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
