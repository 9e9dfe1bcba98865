"""The local history store: SQLite with versioned migrations, WAL and transactions.

Runs, pages (hash, status, validators), findings with a lifecycle tracked by fingerprint
(`new`, `open`, `fixed`, `reopened`), per-check facts for the reports, and a page-body cache for
conditional re-crawls (dropped by `prune`). A run is written as it goes; a process killed mid-run leaves
its run `running`, and the next open marks it `incomplete` — earlier runs are never touched.

Backends (auditor/storedb.py): a SQLite path (default) or `postgresql://user@host:port/db` (fleet mode),
same API and migrations. Fleet batches: `start_run(..., batch=ID)`, `runs(batch=ID)`, `RunRow.batch`.
tests/pg.py starts a real PostgreSQL on loopback for tests (`postgres_server()`, `fresh_database()`).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import groupby
from pathlib import Path
from typing import Any

from auditor.errors import StoreError
from auditor.store_migrations import site_level_fingerprints
from auditor.storedb import Database, upsert
from checks.base import Finding, Severity
from checks.facts import Facts, load_facts

# A migration is SQL (statements separated by ";") or a function of the open transaction for data moves.
MIGRATIONS: list[str | Callable[[Database], None]] = [
    # 1: initial schema
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE runs (
        id TEXT PRIMARY KEY, site TEXT NOT NULL, url TEXT NOT NULL, kind TEXT NOT NULL DEFAULT 'scan',
        started TEXT NOT NULL, finished TEXT, status TEXT NOT NULL, pages INTEGER DEFAULT 0,
        documents INTEGER DEFAULT 0, pid INTEGER, host TEXT, tool_version TEXT, notes TEXT DEFAULT '[]');
    CREATE INDEX runs_site_started ON runs(site, started);
    CREATE TABLE check_runs (
        run_id TEXT NOT NULL REFERENCES runs(id), name TEXT NOT NULL, status TEXT NOT NULL,
        duration_s REAL, error TEXT, PRIMARY KEY (run_id, name));
    CREATE TABLE pages (
        run_id TEXT NOT NULL REFERENCES runs(id), url TEXT NOT NULL, final_url TEXT, kind TEXT NOT NULL,
        status INTEGER, content_type TEXT, sha256 TEXT, etag TEXT, last_modified TEXT, size INTEGER,
        title TEXT, fetched_at TEXT, error TEXT, not_modified INTEGER DEFAULT 0, links TEXT DEFAULT '[]',
        PRIMARY KEY (run_id, url));
    CREATE TABLE bodies (sha256 TEXT PRIMARY KEY, body BLOB NOT NULL);
    CREATE TABLE findings (
        run_id TEXT NOT NULL REFERENCES runs(id), fingerprint TEXT NOT NULL, check_name TEXT NOT NULL,
        rule TEXT NOT NULL, severity TEXT NOT NULL, title TEXT NOT NULL, title_en TEXT, url TEXT,
        evidence TEXT, remediation TEXT, remediation_en TEXT, refs TEXT DEFAULT '[]', confidence TEXT,
        data TEXT DEFAULT '{}', lifecycle TEXT, PRIMARY KEY (run_id, fingerprint));
    CREATE INDEX findings_rule ON findings(rule);
    CREATE TABLE issues (
        site TEXT NOT NULL, fingerprint TEXT NOT NULL, check_name TEXT NOT NULL, rule TEXT NOT NULL,
        severity TEXT NOT NULL, title TEXT NOT NULL, url TEXT, status TEXT NOT NULL,
        first_run TEXT NOT NULL, first_seen TEXT NOT NULL, last_run TEXT NOT NULL, last_seen TEXT NOT NULL,
        fixed_run TEXT, fixed_at TEXT, reopen_count INTEGER DEFAULT 0, PRIMARY KEY (site, fingerprint));
    CREATE TABLE facts (
        run_id TEXT NOT NULL REFERENCES runs(id), check_name TEXT NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (run_id, check_name));
    CREATE TABLE page_index (
        site TEXT NOT NULL, url TEXT NOT NULL, kind TEXT NOT NULL, first_seen TEXT NOT NULL,
        last_changed TEXT NOT NULL, last_seen TEXT NOT NULL, sha256 TEXT, PRIMARY KEY (site, url));
    """,
    # 2: pre-publish gate records (Berita Acara Pemeriksaan Pembaruan Website)
    """
    CREATE TABLE gates (
        id TEXT PRIMARY KEY, site TEXT NOT NULL, created TEXT NOT NULL, staging_url TEXT NOT NULL,
        staging_run TEXT NOT NULL REFERENCES runs(id), production_run TEXT REFERENCES runs(id),
        fail_on TEXT NOT NULL, passed INTEGER NOT NULL, summary TEXT NOT NULL, files TEXT DEFAULT '[]');
    CREATE INDEX gates_site_created ON gates(site, created);
    """,
    # 3: fleet batches (one complete run per site and batch)
    """
    ALTER TABLE runs ADD COLUMN batch TEXT;
    CREATE INDEX runs_batch ON runs(batch, site);
    """,
    # 4: fleet task state (auditor/fleet/state.py): the claim that makes a queued site audit idempotent
    """
    CREATE TABLE fleet_batches (
        id TEXT PRIMARY KEY, created TEXT NOT NULL, sites INTEGER NOT NULL, queue TEXT,
        status TEXT NOT NULL DEFAULT 'running', finished TEXT);
    CREATE TABLE fleet_tasks (
        batch TEXT NOT NULL, site TEXT NOT NULL, status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, owner TEXT, owner_pid INTEGER, owner_host TEXT,
        lease_until TEXT, run_id TEXT, error TEXT, updated TEXT NOT NULL, PRIMARY KEY (batch, site));
    """,
    # 5 (issue 18, triage): the append-only decision log per site + fingerprint (auditor/triage.py).
    # Human events (false_positive, accepted, assigned, note, undo) and the scan's own lifecycle events
    # (new, fixed, reopened) in one ordered log; rows are never updated or deleted.
    """
    CREATE TABLE decision_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT, site TEXT NOT NULL, fingerprint TEXT NOT NULL,
        kind TEXT NOT NULL, actor TEXT NOT NULL, at TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',
        expires TEXT, owner TEXT, due TEXT, note TEXT NOT NULL DEFAULT '', undo_of BIGINT, run_id TEXT,
        evidence TEXT);
    CREATE INDEX decision_events_site_fp ON decision_events(site, fingerprint, id)
    """,
    # 6 (issue 19): console users (auditor/console/users.py). `session_gen` is bumped on logout, password change
    # and disable, so every signed session cookie issued before stops working. The two indexes serve the
    # console's per-request questions "which findings have a human decision" and "is a scan running".
    """
    CREATE TABLE console_users (
        name TEXT PRIMARY KEY, role TEXT NOT NULL, sites TEXT NOT NULL DEFAULT '',
        password_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL,
        failed_logins INTEGER NOT NULL DEFAULT 0, locked_until TEXT, session_gen INTEGER NOT NULL DEFAULT 0,
        last_login TEXT);
    CREATE INDEX decision_events_site_kind ON decision_events(site, kind, fingerprint);
    CREATE INDEX runs_status_site ON runs(status, site)
    """,
    # 7 (issue 17): known URLs the crawl did not fetch, by reason (JSON object), for the coverage section
    """
    ALTER TABLE runs ADD COLUMN unfetched TEXT DEFAULT '{}';
    """,
    # 8 (issue 20): a key-value cache for checks (OCR text by content hash), see `Store.cache_get/put`
    """
    CREATE TABLE check_cache (
        namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, created TEXT NOT NULL,
        PRIMARY KEY (namespace, key));
    """,
    # 9 (issue 16, typed facts): the version of the facts model that wrote each row; NULL = written before
    # facts were typed, read as version 1 (checks/facts.py `parse_facts`)
    """
    ALTER TABLE facts ADD COLUMN version INTEGER;
    """,
    # 10 (issue 16): site-level findings get fingerprints without a URL; existing issues carried over
    site_level_fingerprints,
]


def _now() -> datetime:
    return datetime.now(UTC)


_PAGE_UPSERT = upsert("pages", ("run_id", "url", "final_url", "kind", "status", "content_type", "sha256", "etag",
                               "last_modified", "size", "title", "fetched_at", "error", "not_modified", "links"),
                      ("run_id", "url"))
_BODY_INSERT = upsert("bodies", ("sha256", "body"), ("sha256",), update=False)
_ABSENT = object()


def iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat(timespec="seconds") if dt else None


def parse_iso(s: str | None) -> datetime | None:
    return datetime.fromisoformat(s) if s else None


@dataclass
class RunRow:
    id: str
    site: str
    url: str
    kind: str
    started: datetime
    finished: datetime | None
    status: str
    pages: int
    documents: int
    notes: list[str]
    batch: str | None = None
    unfetched: dict[str, int] = field(default_factory=dict)  # reason -> known URLs not fetched


@dataclass
class PageRow:
    url: str
    final_url: str | None
    kind: str
    status: int | None
    sha256: str | None
    title: str
    content_type: str
    fetched_at: datetime | None
    etag: str | None
    last_modified: str | None
    size: int
    error: str | None
    links: list[dict[str, str]]


@dataclass
class CheckRunRow:
    run_id: str
    name: str
    status: str
    duration_s: float | None
    error: str | None


@dataclass
class StoredFinding:
    run_id: str
    finding: Finding
    fingerprint: str
    lifecycle: str | None


@dataclass
class IssueRow:
    site: str
    fingerprint: str
    check: str
    rule: str
    severity: Severity
    title: str
    url: str
    status: str
    first_seen: datetime
    last_seen: datetime
    fixed_at: datetime | None
    reopen_count: int


def pid_alive(pid: int | None, host: str | None) -> bool:
    """Is the process that wrote a row still there? Another machine's process: assume so when it has a pid
    (only its lease or its own machine can tell)."""
    if host != socket.gethostname():
        return bool(pid)
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _log_lifecycle(db: Database, site: str, fp: str, kind: str, when: str | None, run_id: str) -> None:
    """The scan's own step (new, fixed, reopened) in the decision log, so the log tells the whole story."""
    db.execute("INSERT INTO decision_events (site, fingerprint, kind, actor, at, run_id) VALUES (?,?,?,?,?,?)",
               (site, fp, kind, "ppid-audit", when, run_id))


def _index_step(known: Any, sha: str) -> str:
    """What a scan's fetch of a URL does to the site's page index: "new", "changed" or "same"."""
    return "new" if known is _ABSENT else "changed" if known != sha else "same"


def _cache_value(db: Database, namespace: str, key: str) -> str | None:
    row = db.execute("SELECT value FROM check_cache WHERE namespace=? AND key=?", (namespace, key)).fetchone()
    return row["value"] if row else None


class Store:
    def __init__(self, path: str | Path):
        self.path = str(path)
        self.db = Database(self.path)
        try:
            self._migrate()
            self._mark_dead_runs()
        except self.db.errors as exc:
            self.db.close()
            raise self.db.environment_error(exc) or StoreError(
                f"{self.db.label}: cannot open the history store: {exc}") from None

    # -- plumbing ---------------------------------------------------------------------------------
    def tx(self):
        return self.db.tx()

    def _migrate(self) -> None:
        with self.db.migration_lock():
            version = self.db.schema_version()
            if version > len(MIGRATIONS):
                raise StoreError(f"{self.db.label}: schema version {version} is newer than this ppid-auditor "
                                 f"understands ({len(MIGRATIONS)}); upgrade ppid-auditor")
            for i in range(version, len(MIGRATIONS)):
                with self.tx() as db:
                    # Re-read under the write lock: another process may have migrated a fresh file meanwhile.
                    if db.schema_version() > i:
                        continue
                    step = MIGRATIONS[i]
                    if callable(step):
                        step(db)
                        db.set_schema_version(i + 1)
                        continue
                    for stmt in filter(None, (s.strip() for s in step.split(";"))):
                        db.execute(db.ddl(stmt))
                    db.set_schema_version(i + 1)
            with self.tx() as db:
                db.execute(upsert("meta", ("key", "value"), ("key",), update=False),
                           ("secret_key", secrets.token_hex(32)))

    def _mark_dead_runs(self) -> None:
        rows = self.db.execute("SELECT id, pid, host FROM runs WHERE status='running'").fetchall()
        dead = [r["id"] for r in rows if not pid_alive(r["pid"], r["host"])]
        if dead:
            with self.tx() as db:
                db.executemany("UPDATE runs SET status='incomplete' WHERE id=?", [(d,) for d in dead])

    def close(self) -> None:
        self.db.close()

    @property
    def secret_key(self) -> bytes:
        row = self.db.execute("SELECT value FROM meta WHERE key='secret_key'").fetchone()
        return bytes.fromhex(row["value"])

    @property
    def schema_version(self) -> int:
        return self.db.schema_version()

    # -- the checks' key-value cache (checks.base.Cache) -----------------------------------------

    def cache_get(self, namespace: str, key: str) -> str | None:
        return _cache_value(self.db, namespace, key)

    def cache_put(self, namespace: str, key: str, value: str) -> None:
        self.cache_put_many({(namespace, key): value})

    def cache_put_many(self, items: dict[tuple[str, str], str]) -> None:
        """Several cache entries in one transaction ((namespace, key) -> value)."""
        if not items:
            return
        when = iso(_now())
        with self.tx() as db:
            db.executemany(upsert("check_cache", ("namespace", "key", "value", "created"), ("namespace", "key")),
                           [(ns, key, value, when) for (ns, key), value in items.items()])

    def cache_reader(self) -> Callable[[str, str], str | None]:
        """`cache_get` for a forked child process: through a connection opened where it is first called (a
        connection is never used on both sides of a fork)."""
        url, own = self.path, []

        def read(namespace: str, key: str) -> str | None:
            if not own:
                own.append(Database(url))
            return _cache_value(own[0], namespace, key)

        return read

    def check_cache(self) -> StoreCache:
        return StoreCache(self)

    # -- writing a run ----------------------------------------------------------------------------
    def start_run(self, site: str, url: str, *, kind: str = "scan", started: datetime | None = None,
                  tool_version: str = "", batch: str | None = None) -> str:
        started = started or _now()
        run_id = started.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(4)
        with self.tx() as db:
            db.execute("INSERT INTO runs (id, site, url, kind, started, status, pid, host, tool_version, batch)"
                       " VALUES (?,?,?,?,?,?,?,?,?,?)",
                       (run_id, site, url, kind, iso(started), "running", os.getpid(), socket.gethostname(),
                        tool_version, batch))
        return run_id

    def save_pages(self, run_id: str, site_name: str, resources: list[Any], *, kind_of_run: str = "scan",
                   cache_bodies: bool = True) -> None:
        """Record every fetched resource; keep bodies (deduplicated by hash) for conditional re-crawls."""
        # One statement per table for the pages and bodies (`executemany`) and the site's page index read
        # once: a statement and a SELECT per page were most of the store's share of bench/audit.py.
        page_rows: list[tuple[Any, ...]] = []
        body_rows: list[tuple[str, bytes]] = []
        index_writes: list[tuple[str, tuple[Any, ...]]] = []
        with self.tx() as db:
            index = {row["url"]: row["sha256"] for row in db.execute(
                "SELECT url, sha256 FROM page_index WHERE site=?", (site_name,))} if kind_of_run == "scan" else {}
            for r in resources:
                sha = r.sha256 if r.status is not None and not r.error else None
                links = json.dumps([{"url": lk.url, "text": lk.text, "tag": lk.tag} for lk in r.links])
                page_rows.append((run_id, r.url, r.final_url, r.kind, r.status, r.content_type, sha,
                                  r.headers.get("etag"), r.headers.get("last-modified"), len(r.body), r.title,
                                  iso(r.fetched_at), r.error, int(r.not_modified), links))
                if sha and cache_bodies and r.body and not r.truncated:
                    body_rows.append((sha, zlib.compress(r.body, 6)))
                if kind_of_run != "scan" or not sha or not (r.status and r.status < 400):
                    continue
                seen = iso(r.fetched_at or _now())
                known = index.get(r.url, _ABSENT)
                index[r.url] = sha
                step = _index_step(known, sha)
                if step == "new":
                    index_writes.append(("INSERT INTO page_index VALUES (?,?,?,?,?,?,?)",
                                         (site_name, r.url, r.kind, seen, seen, seen, sha)))
                elif step == "changed":
                    index_writes.append(("UPDATE page_index SET last_changed=?, last_seen=?, sha256=? "
                                         "WHERE site=? AND url=?", (seen, seen, sha, site_name, r.url)))
                else:
                    index_writes.append(("UPDATE page_index SET last_seen=? WHERE site=? AND url=?",
                                         (seen, site_name, r.url)))
            db.executemany(_PAGE_UPSERT, page_rows)
            if body_rows:
                db.executemany(_BODY_INSERT, body_rows)
            # In crawl order (a URL twice in one crawl ends as before), each run of one statement at once.
            for sql, group in groupby(index_writes, key=lambda w: w[0]):
                db.executemany(sql, [args for _sql, args in group])
            db.execute("UPDATE runs SET pages=?, documents=? WHERE id=?",
                       (sum(1 for r in resources if r.kind == "page"),
                        sum(1 for r in resources if r.kind == "document"), run_id))

    def save_check(self, run_id: str, name: str, status: str, duration_s: float, error: str | None,
                   findings: list[Finding], facts: Facts | dict[str, Any] | None = None) -> None:
        with self.tx() as db:
            db.execute(upsert("check_runs", ("run_id", "name", "status", "duration_s", "error"), ("run_id", "name")),
                       (run_id, name, status, duration_s, error))
            for f in findings:
                db.execute(
                    upsert("findings", ("run_id", "fingerprint", "check_name", "rule", "severity", "title",
                                        "title_en", "url", "evidence", "remediation", "remediation_en", "refs",
                                        "confidence", "data"), ("run_id", "fingerprint")),
                    (run_id, f.fingerprint, f.check, f.rule, f.severity.label, f.title, f.title_en, f.url,
                     f.evidence, f.remediation, f.remediation_en, json.dumps(f.references),
                     f.confidence, json.dumps(f.data, default=str)))
            if isinstance(facts, Facts):
                db.execute(upsert("facts", ("run_id", "check_name", "data", "version"), ("run_id", "check_name")),
                           (run_id, name, json.dumps(facts.model_dump(mode="json", by_alias=True)),
                            type(facts).VERSION))
            elif facts:  # a plugin's plain dict: stored as is, without a version
                db.execute(upsert("facts", ("run_id", "check_name", "data"), ("run_id", "check_name")),
                           (run_id, name, json.dumps(facts, default=str)))

    def finish_run(self, run_id: str, *, status: str = "complete", finished: datetime | None = None,
                   notes: list[str] | None = None, unfetched: dict[str, int] | None = None) -> dict[str, str]:
        """Close the run and, for a complete scan, advance each finding's lifecycle. Returns fp -> lifecycle."""
        finished = finished or _now()
        lifecycle: dict[str, str] = {}
        with self.tx() as db:
            run = db.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
            db.execute("UPDATE runs SET status=?, finished=?, notes=?, unfetched=? WHERE id=?",
                       (status, iso(finished), json.dumps(notes or []), json.dumps(unfetched or {}), run_id))
            if status != "complete" or run["kind"] != "scan":
                return lifecycle
            site, when = run["site"], iso(finished)
            ok_checks = {r["name"] for r in db.execute(
                "SELECT name FROM check_runs WHERE run_id=? AND status='ok'", (run_id,))}
            current = db.execute("SELECT * FROM findings WHERE run_id=?", (run_id,)).fetchall()
            for f in current:
                issue = db.execute("SELECT * FROM issues WHERE site=? AND fingerprint=?",
                                   (site, f["fingerprint"])).fetchone()
                if issue is None:
                    state = "new"
                    db.execute("INSERT INTO issues (site, fingerprint, check_name, rule, severity, title, url,"
                               " status, first_run, first_seen, last_run, last_seen)"
                               " VALUES (?,?,?,?,?,?,?,'open',?,?,?,?)",
                               (site, f["fingerprint"], f["check_name"], f["rule"], f["severity"], f["title"],
                                f["url"], run_id, when, run_id, when))
                else:
                    state = "reopened" if issue["status"] == "fixed" else "open"
                    db.execute("UPDATE issues SET status='open', last_run=?, last_seen=?, severity=?, title=?,"
                               " url=?, reopen_count=reopen_count+?, fixed_run=NULL, fixed_at=NULL"
                               " WHERE site=? AND fingerprint=?",
                               (run_id, when, f["severity"], f["title"], f["url"], int(state == "reopened"),
                                site, f["fingerprint"]))
                lifecycle[f["fingerprint"]] = state
                if state != "open":
                    _log_lifecycle(db, site, f["fingerprint"], state, when, run_id)
                db.execute("UPDATE findings SET lifecycle=? WHERE run_id=? AND fingerprint=?",
                           (state, run_id, f["fingerprint"]))
            # Only a check that ran cleanly can declare its earlier findings fixed.
            seen = set(lifecycle)
            for issue in db.execute("SELECT fingerprint, check_name FROM issues WHERE site=? AND status='open'",
                                    (site,)).fetchall():
                if issue["fingerprint"] not in seen and issue["check_name"] in ok_checks:
                    db.execute("UPDATE issues SET status='fixed', fixed_run=?, fixed_at=? "
                               "WHERE site=? AND fingerprint=?", (run_id, when, site, issue["fingerprint"]))
                    _log_lifecycle(db, site, issue["fingerprint"], "fixed", when, run_id)
        return lifecycle

    # -- reading ----------------------------------------------------------------------------------
    def runs(self, site: str | None = None, since: datetime | None = None, until: datetime | None = None,
             status: str | None = "complete", kind: str | None = "scan", limit: int | None = None,
             newest_first: bool = False, batch: str | None = None) -> list[RunRow]:
        sql, args = "SELECT * FROM runs WHERE 1=1", []
        for col, op, val in (("site", "=", site), ("started", ">=", iso(since)), ("started", "<", iso(until)),
                             ("status", "=", status), ("kind", "=", kind), ("batch", "=", batch)):
            if val is not None:
                sql += f" AND {col} {op} ?"
                args.append(val)
        sql += " ORDER BY started " + ("DESC" if newest_first else "ASC")
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [self._run_row(r) for r in self.db.execute(sql, args)]

    def run(self, run_id: str) -> RunRow | None:
        row = self.db.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
        return self._run_row(row) if row else None

    def latest_run(self, site: str, kind: str = "scan") -> RunRow | None:
        rows = self.runs(site=site, kind=kind, limit=1, newest_first=True)
        return rows[0] if rows else None

    @staticmethod
    def _run_row(r: Any) -> RunRow:
        return RunRow(r["id"], r["site"], r["url"], r["kind"], parse_iso(r["started"]),
                      parse_iso(r["finished"]), r["status"], r["pages"] or 0, r["documents"] or 0,
                      json.loads(r["notes"] or "[]"), r["batch"], json.loads(r["unfetched"] or "{}"))

    def run_pages(self, run_id: str) -> list[PageRow]:
        return [PageRow(r["url"], r["final_url"], r["kind"], r["status"], r["sha256"], r["title"] or "",
                        r["content_type"] or "", parse_iso(r["fetched_at"]), r["etag"], r["last_modified"],
                        r["size"] or 0, r["error"], json.loads(r["links"] or "[]"))
                for r in self.db.execute("SELECT * FROM pages WHERE run_id=? ORDER BY url", (run_id,))]

    def body(self, sha256: str) -> bytes | None:
        row = self.db.execute("SELECT body FROM bodies WHERE sha256=?", (sha256,)).fetchone()
        return zlib.decompress(row["body"]) if row else None

    def page_history(self, site: str, unsaved: list[Any] | None = None) -> dict[str, tuple[datetime, datetime]]:
        """URL -> (first_seen, last_changed) from every complete scan so far, and from the `unsaved`
        resources of a scan as `save_pages` will record them (so the checks can start before it has)."""
        rows = self.db.execute("SELECT url, first_seen, last_changed, sha256 FROM page_index WHERE site=?",
                               (site,)).fetchall()
        out = {r["url"]: (parse_iso(r["first_seen"]), parse_iso(r["last_changed"])) for r in rows}
        index: dict[str, Any] = {r["url"]: r["sha256"] for r in rows}
        for r in unsaved or []:
            if r.status is None or r.error or not (r.status and r.status < 400):
                continue
            sha = r.sha256
            seen = parse_iso(iso(r.fetched_at or _now()))
            step = _index_step(index.get(r.url, _ABSENT), sha)
            index[r.url] = sha
            if step == "new":
                out[r.url] = (seen, seen)
            elif step == "changed":
                out[r.url] = (out[r.url][0], seen)
        return out

    def check_runs(self, run_id: str) -> list[CheckRunRow]:
        return [CheckRunRow(r["run_id"], r["name"], r["status"], r["duration_s"], r["error"])
                for r in self.db.execute("SELECT * FROM check_runs WHERE run_id=? ORDER BY name", (run_id,))]

    def findings(self, run_id: str) -> list[StoredFinding]:
        out = []
        for r in self.db.execute("SELECT * FROM findings WHERE run_id=? ORDER BY severity, rule, url", (run_id,)):
            f = Finding(check=r["check_name"], rule=r["rule"], severity=Severity.parse(r["severity"]),
                        title=r["title"], url=r["url"] or "", evidence=r["evidence"] or "",
                        remediation=r["remediation"] or "", references=json.loads(r["refs"] or "[]"),
                        title_en=r["title_en"] or "", remediation_en=r["remediation_en"] or "",
                        confidence=r["confidence"], data=json.loads(r["data"] or "{}"))
            out.append(StoredFinding(r["run_id"], f, r["fingerprint"], r["lifecycle"]))
        out.sort(key=lambda s: (-s.finding.severity, s.finding.rule, s.finding.url))
        return out

    def facts(self, run_id: str) -> dict[str, Any]:
        """check name -> the stored JSON, untyped (see `typed_facts`)."""
        return {r["check_name"]: json.loads(r["data"])
                for r in self.db.execute("SELECT * FROM facts WHERE run_id=?", (run_id,))}

    def facts_versions(self, run_id: str) -> dict[str, tuple[int | None, Any]]:
        """check name -> (model version or None for rows written before typed facts, stored JSON)."""
        return {r["check_name"]: (r["version"], json.loads(r["data"]))
                for r in self.db.execute("SELECT * FROM facts WHERE run_id=?", (run_id,))}

    def typed_facts(self, run_id: str, models: dict[str, type[Facts]] | None = None) -> dict[str, Any]:
        """check name -> facts read through the check's model (`models`, else the built-in ones); a check
        without a model gives its stored JSON, an unreadable row gives None (`checks.facts.load_facts`)."""
        models = models or {}
        return {name: load_facts(name, data, version, models.get(name))
                for name, (version, data) in self.facts_versions(run_id).items()}

    def issues(self, site: str | None = None, status: str | None = None) -> list[IssueRow]:
        sql, args = "SELECT * FROM issues WHERE 1=1", []
        if site:
            sql += " AND site=?"
            args.append(site)
        if status:
            sql += " AND status=?"
            args.append(status)
        rows = [IssueRow(r["site"], r["fingerprint"], r["check_name"], r["rule"], Severity.parse(r["severity"]),
                         r["title"], r["url"] or "", r["status"], parse_iso(r["first_seen"]),
                         parse_iso(r["last_seen"]), parse_iso(r["fixed_at"]), r["reopen_count"] or 0)
                for r in self.db.execute(sql, args)]
        rows.sort(key=lambda i: (-i.severity, i.rule, i.url))
        return rows

    # -- pre-publish gate records ----------------------------------------------------------------
    def save_gate(self, gate_id: str, site: str, created: datetime, staging_url: str, staging_run: str,
                  production_run: str | None, fail_on: str, passed: bool, summary: dict[str, Any]) -> None:
        with self.tx() as db:
            db.execute("INSERT INTO gates (id, site, created, staging_url, staging_run, production_run, fail_on,"
                       " passed, summary) VALUES (?,?,?,?,?,?,?,?,?)",
                       (gate_id, site, iso(created), staging_url, staging_run, production_run, fail_on,
                        int(passed), json.dumps(summary, default=str)))

    def set_gate_files(self, gate_id: str, files: list[str]) -> None:
        with self.tx() as db:
            db.execute("UPDATE gates SET files=? WHERE id=?", (json.dumps(files), gate_id))

    def gate(self, gate_id: str) -> dict[str, Any] | None:
        rows = self.gates(gate_id=gate_id)
        return rows[0] if rows else None

    def gates(self, site: str | None = None, since: datetime | None = None,
              until: datetime | None = None, gate_id: str | None = None) -> list[dict[str, Any]]:
        sql, args = "SELECT * FROM gates WHERE 1=1", []
        for col, op, val in (("site", "=", site), ("created", ">=", iso(since)), ("created", "<", iso(until)),
                             ("id", "=", gate_id)):
            if val is not None:
                sql += f" AND {col} {op} ?"
                args.append(val)
        out = []
        for r in self.db.execute(sql + " ORDER BY created", args):
            row = dict(r)
            row["created"] = parse_iso(row["created"])
            row["passed"] = bool(row["passed"])
            row["summary"] = json.loads(row["summary"])
            row["files"] = json.loads(row["files"] or "[]")
            out.append(row)
        return out

    # -- retention --------------------------------------------------------------------------------
    def prune(self, keep_days: int, now: datetime | None = None) -> dict[str, int]:
        """Drop cached page bodies not used by any run newer than `keep_days` (nor the latest run of each
        site, which conditional GET needs). Findings, issues, facts and page records are kept."""
        cutoff = iso((now or _now()) - timedelta(days=keep_days))
        with self.tx() as db:
            keep_runs = {r["id"] for r in db.execute("SELECT id FROM runs WHERE started >= ?", (cutoff,))}
            keep_runs |= {r["id"] for r in db.execute(
                "SELECT id FROM runs r WHERE started = (SELECT max(started) FROM runs WHERE site=r.site)")}
            placeholders = ",".join("?" * len(keep_runs)) or "''"
            cur = db.execute(f"DELETE FROM bodies WHERE sha256 NOT IN (SELECT sha256 FROM pages WHERE "
                             f"sha256 IS NOT NULL AND run_id IN ({placeholders}))", tuple(keep_runs))
            dropped = cur.rowcount
        self.db.checkpoint()
        return {"bodies_dropped": dropped}


class StoreCache:
    """`checks.base.Cache` backed by the store's `check_cache` table (a check never imports the store: the
    runner and `check-file` hand this in through `CheckContext.cache`)."""

    def __init__(self, store: Store):
        self.store = store

    def get(self, namespace: str, key: str) -> str | None:
        return self.store.cache_get(namespace, key)

    def put(self, namespace: str, key: str, value: str) -> None:
        self.store.cache_put(namespace, key, value)
