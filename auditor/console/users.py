"""Console users in the history store: roles, site limits, argon2id password hashes, login lockout.

Used by `ppid-audit users ...` and by the console's login. Passwords are hashed with argon2-cffi's
`PasswordHasher` (argon2id, its RFC 9106 low-memory profile); nothing here hashes by hand. A wrong password
counts against the account; `max_failures` wrong passwords in a row lock it for `lockout_s` seconds (the
correct password is refused too while locked), and a successful login resets the count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from auditor.console.permissions import ROLES
from auditor.errors import InputError
from auditor.store import Store, iso, parse_iso

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
MIN_PASSWORD = 10
_HASHER = PasswordHasher()  # argon2id, time_cost=3, memory_cost=64 MiB, parallelism=4
# Verified against when the user does not exist, so a missing account takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("ppid-auditor: no such user")


@dataclass(frozen=True)
class User:
    name: str
    role: str
    sites: tuple[str, ...]  # empty: every site
    disabled: bool
    created: datetime
    failed_logins: int
    locked_until: datetime | None
    session_gen: int
    last_login: datetime | None

    def may_see(self, site: str) -> bool:
        return not self.sites or site in self.sites


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    reason: str  # "ok" | "bad" (unknown user, wrong password, disabled) | "locked"
    locked_until: datetime | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def check_name(name: str) -> str:
    if not NAME_RE.match(name or ""):
        raise InputError(f"user name {name!r}: use letters, digits, '.', '_', '-', '@' (at most 64)")
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"password: at least {MIN_PASSWORD} characters")
    return password


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"--role {role}: unknown role (expected {'|'.join(ROLES)})")
    return role


def parse_sites(value: str | None) -> tuple[str, ...]:
    return tuple(s.strip() for s in (value or "").split(",") if s.strip())


class Users:
    """The `console_users` table of a `Store` (SQLite or PostgreSQL)."""

    def __init__(self, store: Store, *, max_failures: int = 5, lockout_s: float = 900):
        self.store = store
        self.max_failures = max_failures
        self.lockout_s = lockout_s

    @staticmethod
    def _row(r) -> User:
        return User(r["name"], r["role"], parse_sites(r["sites"]), bool(r["disabled"]), parse_iso(r["created"]),
                    r["failed_logins"] or 0, parse_iso(r["locked_until"]), r["session_gen"] or 0,
                    parse_iso(r["last_login"]))

    def get(self, name: str) -> User | None:
        r = self.store.db.execute("SELECT * FROM console_users WHERE name=?", (name,)).fetchone()
        return self._row(r) if r else None

    def list(self) -> list[User]:
        return [self._row(r) for r in self.store.db.execute("SELECT * FROM console_users ORDER BY name")]

    def add(self, name: str, role: str, password: str, sites: tuple[str, ...] = ()) -> User:
        check_name(name)
        check_role(role)
        check_password(password)
        with self.store.tx() as db:
            if db.execute("SELECT 1 FROM console_users WHERE name=?", (name,)).fetchone():
                raise InputError(f"user {name!r} already exists (use `users passwd` to change the password)")
            db.execute("INSERT INTO console_users (name, role, sites, password_hash, created) VALUES (?,?,?,?,?)",
                       (name, role, ",".join(sites), _HASHER.hash(password), iso(_now())))
        return self.get(name)  # type: ignore[return-value]

    def _require(self, name: str) -> User:
        user = self.get(name)
        if user is None:
            raise InputError(f"user {name!r}: no such user")
        return user

    def set_password(self, name: str, password: str) -> None:
        self._require(name)
        check_password(password)
        with self.store.tx() as db:
            db.execute("UPDATE console_users SET password_hash=?, failed_logins=0, locked_until=NULL, "
                       "session_gen=session_gen+1 WHERE name=?", (_HASHER.hash(password), name))

    def set_disabled(self, name: str, disabled: bool = True) -> None:
        self._require(name)
        with self.store.tx() as db:
            db.execute("UPDATE console_users SET disabled=?, session_gen=session_gen+1 WHERE name=?",
                       (int(disabled), name))

    def end_sessions(self, name: str) -> None:
        """Logout: every session cookie issued to this user so far stops working."""
        with self.store.tx() as db:
            db.execute("UPDATE console_users SET session_gen=session_gen+1 WHERE name=?", (name,))

    def authenticate(self, name: str, password: str, now: datetime | None = None) -> LoginResult:
        now = now or _now()
        user = self.get(name) if NAME_RE.match(name or "") else None
        if user is None:
            try:
                _HASHER.verify(_DUMMY_HASH, password or "-")
            except VerificationError:
                pass
            return LoginResult(None, "bad")
        if user.locked_until and user.locked_until > now:
            return LoginResult(None, "locked", user.locked_until)
        row = self.store.db.execute("SELECT password_hash FROM console_users WHERE name=?", (name,)).fetchone()
        try:
            ok = _HASHER.verify(row["password_hash"], password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if not ok:
            failures = user.failed_logins + 1
            locked = now + timedelta(seconds=self.lockout_s) if failures >= self.max_failures else None
            with self.store.tx() as db:
                db.execute("UPDATE console_users SET failed_logins=?, locked_until=? WHERE name=?",
                           (0 if locked else failures, iso(locked), name))
            return LoginResult(None, "locked" if locked else "bad", locked)
        if user.disabled:
            return LoginResult(None, "bad")
        with self.store.tx() as db:
            new_hash = _HASHER.hash(password) if _HASHER.check_needs_rehash(row["password_hash"]) else None
            if new_hash:
                db.execute("UPDATE console_users SET password_hash=? WHERE name=?", (new_hash, name))
            db.execute("UPDATE console_users SET failed_logins=0, locked_until=NULL, last_login=? WHERE name=?",
                       (iso(now), name))
        return LoginResult(self.get(name), "ok")
