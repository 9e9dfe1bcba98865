"""The two SQL backends of the store: SQLite (single machine, the default) and PostgreSQL (fleet mode).

The store writes one dialect: `?` placeholders, `INSERT ... ON CONFLICT` upserts, portable types. This
module opens the connection, translates the few differences, and keeps the schema version.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from auditor.errors import StoreError

PG_MIGRATION_LOCK = 727274  # pg_advisory_lock key: several workers may open a fresh database at once


def _mask_url(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


class Database:
    """A connection in autocommit mode with explicit transactions (`tx`)."""

    def __init__(self, url: str):
        self.url = url
        self.is_pg = url.startswith(("postgresql://", "postgres://"))
        self.label = _mask_url(url)
        if self.is_pg:
            self._open_pg()
        elif "://" in url:
            raise StoreError(f"storage.database: {self.label}: unsupported (use a SQLite path or postgresql://)")
        else:
            self._open_sqlite()

    def _open_sqlite(self) -> None:
        try:
            Path(self.url).parent.mkdir(parents=True, exist_ok=True)
            self.raw = sqlite3.connect(self.url, timeout=30, isolation_level=None, check_same_thread=False)
            self.raw.row_factory = sqlite3.Row
            self._enable_wal()
            self.raw.execute("PRAGMA synchronous=NORMAL")
            self.raw.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.label}: cannot open the history store: {exc}") from None
        except OSError as exc:
            raise StoreError(f"{self.label}: cannot create the history store: {exc}") from None

    def _enable_wal(self) -> None:
        # Switching a fresh file to WAL needs an exclusive lock and does not wait on the busy timeout:
        # several processes opening a new store at once (cron + scheduler) retry briefly.
        for attempt in range(50):
            try:
                self.raw.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 49:
                    raise
                time.sleep(0.05 + 0.01 * attempt)

    def _open_pg(self) -> None:
        try:
            import psycopg
            from psycopg.rows import dict_row
        except ImportError:
            raise StoreError(f"{self.label}: PostgreSQL needs psycopg (pip install 'psycopg[binary]')") from None
        try:
            self.raw = psycopg.connect(self.url, autocommit=True, row_factory=dict_row, connect_timeout=10)
        except psycopg.Error as exc:
            raise StoreError(f"{self.label}: cannot connect: {str(exc).strip().splitlines()[0]}") from None

    @property
    def errors(self) -> tuple[type[BaseException], ...]:
        if self.is_pg:
            import psycopg

            return (psycopg.Error,)
        return (sqlite3.DatabaseError,)

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Any:
        if self.is_pg:
            return self.raw.execute(sql.replace("?", "%s"), tuple(args))
        return self.raw.execute(sql, tuple(args))

    def executemany(self, sql: str, rows: list[Sequence[Any]]) -> None:
        if self.is_pg:
            with self.raw.cursor() as cur:
                cur.executemany(sql.replace("?", "%s"), rows)
        else:
            self.raw.executemany(sql, rows)

    @contextmanager
    def tx(self) -> Iterator[Database]:
        self.raw.execute("BEGIN" if self.is_pg else "BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.raw.execute("ROLLBACK")
            raise
        else:
            self.raw.execute("COMMIT")

    # -- schema version ---------------------------------------------------------------------------
    def schema_version(self) -> int:
        if not self.is_pg:
            return self.raw.execute("PRAGMA user_version").fetchone()[0]
        self.execute("CREATE TABLE IF NOT EXISTS ppid_schema (version INTEGER NOT NULL)")
        row = self.execute("SELECT max(version) AS v FROM ppid_schema").fetchone()
        return row["v"] or 0

    def set_schema_version(self, version: int) -> None:
        if self.is_pg:
            self.execute("INSERT INTO ppid_schema (version) VALUES (?)", (version,))
        else:
            self.execute(f"PRAGMA user_version = {int(version)}")

    def ddl(self, statement: str) -> str:
        if self.is_pg:
            statement = re.sub(r"\bBLOB\b", "BYTEA", statement)
            statement = re.sub(r"\bREAL\b", "DOUBLE PRECISION", statement)
            statement = re.sub(r"\bINTEGER PRIMARY KEY AUTOINCREMENT\b", "BIGSERIAL PRIMARY KEY", statement)
        return statement

    @contextmanager
    def migration_lock(self) -> Iterator[None]:
        if not self.is_pg:
            yield
            return
        self.execute("SELECT pg_advisory_lock(?)", (PG_MIGRATION_LOCK,))
        try:
            yield
        finally:
            self.execute("SELECT pg_advisory_unlock(?)", (PG_MIGRATION_LOCK,))

    def checkpoint(self) -> None:
        if not self.is_pg:
            self.raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.raw.close()


def upsert(table: str, columns: Sequence[str], key: Sequence[str], *, update: bool = True) -> str:
    """`INSERT ... ON CONFLICT (key) DO UPDATE/NOTHING`, valid in SQLite >= 3.24 and PostgreSQL."""
    cols = ", ".join(columns)
    marks = ", ".join("?" * len(columns))
    rest = [c for c in columns if c not in key]
    action = ("DO UPDATE SET " + ", ".join(f"{c}=excluded.{c}" for c in rest)) if update and rest else "DO NOTHING"
    return f"INSERT INTO {table} ({cols}) VALUES ({marks}) ON CONFLICT ({', '.join(key)}) {action}"
