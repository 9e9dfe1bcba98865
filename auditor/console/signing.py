"""Signatures on the reports in the console (issue 22): each PDF's full signature status, the signing trail,
and the throttle on wrong certificate passwords. The signing route itself is `reports.sign`.

Who signs: a signed-in user whose console role is a signatory role signs as that role only, with that
role's certificate (`reports.signatories.<role>.pkcs12`), and only when it is that role's turn in the SOP
order read from the PDF (reports.signing). `admin` manages users; it does not sign.

The secret: the person types the PKCS#12 password in the signing form each time (a POST behind the
console's CSRF check). It is read into a bytearray, handed to `reports.signing.sign_report`, and the
bytearray is overwritten before the response is built; it is never stored, logged or sent back (the form
never carries a value). Python cannot wipe the immutable copies Werkzeug made while parsing the form;
those live until the request's objects are collected. `password_env` stays the CLI/cron path: the
console never reads it, so a stolen console session cannot sign with a password kept on the server.

The trail: every attempt (signed or refused, with the reason) is one row of the store's append-only
`decision_events` log, keyed `report:<file name>`, kind `report_signed` / `report_sign_refused`, actor =
console user, reason = role, note = result. Wrong passwords in that trail are the throttle: a user with
`console.login_max_failures` wrong certificate passwords within `console.lockout_minutes` (since their last
successful signing) is refused without the password being tried until the window has passed, so a stolen
session is no password-guessing oracle for the PKCS#12 file (one wrong try costs well under a millisecond
offline, measured with `cryptography`'s PKCS#12 loader).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from auditor import triage
from auditor.errors import InputError
from auditor.store import Store, iso, parse_iso
from reports import signing as pdf_signing

SIGNATORY_ROLES = pdf_signing.ROLES
SIGNED, REFUSED = "report_signed", "report_sign_refused"
KINDS = (SIGNED, REFUSED)
KEY_PREFIX = "report:"
BAD_PASSWORD = "bad_password"
# One console signing at a time in this process: the throttle's check, the attempt and its record happen
# together, so parallel requests of one session cannot slip extra guesses past the count.
ATTEMPT_LOCK = threading.Lock()

# refusal code -> HTTP status of the page that says so
STATUS = {"role": 403, "throttled": 429, "empty_password": 400, BAD_PASSWORD: 400, "p12_unprotected": 409,
          "no_cert": 409, "p12_missing": 409, "no_password": 409, "expired": 409, "order": 409, "already": 409,
          "no_field": 409, "broken": 409, "unreadable": 409, "failed": 502}
RESULTS = ("ok", *STATUS)  # each has a label c_sign_res_<result> and (refusals) a message c_sign_err_<result>


@dataclass(frozen=True)
class PdfSignatures:
    """What the reports page shows for one PDF."""

    sigs: tuple[pdf_signing.SignatureInfo, ...] = ()
    order: pdf_signing.SignOrder | None = None
    unreadable: bool = False
    anchors_bad: bool = False  # reports.trust_anchors could not be read: chains shown as not checked

    @property
    def ok(self) -> bool:
        return bool(self.sigs) and pdf_signing.verdict(list(self.sigs)) == 0


@lru_cache(maxsize=512)
def _status(path: str, mtime_ns: int, size: int, anchors: tuple[str, ...]) -> PdfSignatures:
    """Full validation of one PDF, cached by (path, mtime, size): signing replaces the file, so a new
    signature is a new key."""
    p = Path(path)
    try:
        order = pdf_signing.sign_order(p)
        try:
            return PdfSignatures(tuple(pdf_signing.signature_status(p, [Path(a) for a in anchors])), order)
        except pdf_signing.UnreadablePdf:
            raise
        except InputError:  # an anchor file that cannot be read: still show the signatures, chains unchecked
            return PdfSignatures(tuple(pdf_signing.signature_status(p)), order, anchors_bad=True)
    except pdf_signing.UnreadablePdf:
        return PdfSignatures(unreadable=True)


def pdf_status(cfg: Any, path: Path) -> PdfSignatures:
    st = path.stat()
    anchors = tuple(str(cfg.resolve(a)) for a in cfg.reports.trust_anchors)
    return _status(str(path), st.st_mtime_ns, st.st_size, anchors)


def has_certificate(cfg: Any, role: str) -> bool:
    return role in SIGNATORY_ROLES and getattr(cfg.reports.signatories, role).pkcs12 is not None


# -- the trail --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Attempt:
    file: str
    actor: str
    role: str
    result: str  # "ok" or a refusal code
    at: datetime


def record(store: Store, site: str, file: str, actor: str, role: str, result: str,
           now: datetime | None = None) -> None:
    """Append one signing attempt to the store's event log (never the password: it is not passed here)."""
    with store.tx() as db:
        triage.insert_event(db, ("site", "fingerprint", "kind", "actor", "at", "reason", "note"),
                            (site, KEY_PREFIX + file, SIGNED if result == "ok" else REFUSED, actor,
                             iso(now or datetime.now(UTC)), role, result))


def _attempt(r: Any) -> Attempt:
    return Attempt(r["fingerprint"][len(KEY_PREFIX):], r["actor"], r["reason"], r["note"],
                   parse_iso(r["at"]))


def trail(store: Store, sites: list[str]) -> dict[str, list[Attempt]]:
    """File name -> its signing attempts, oldest first, for the given sites."""
    out: dict[str, list[Attempt]] = {}
    for site in sites:  # (site, kind, fingerprint) index
        for r in store.db.execute("SELECT * FROM decision_events WHERE site=? AND kind IN (?,?) ORDER BY id",
                                  (site, *KINDS)):
            a = _attempt(r)
            out.setdefault(a.file, []).append(a)
    return out


def _failures(store: Store, actor: str, window: timedelta, now: datetime) -> list[datetime]:
    """The user's wrong certificate passwords within `window` before `now`, after their last signing."""
    rows = store.db.execute("SELECT kind, note, at FROM decision_events WHERE actor=? AND kind IN (?,?) "
                            "AND at >= ? ORDER BY id", (actor, *KINDS, iso(now - window))).fetchall()
    failures: list[datetime] = []
    for r in rows:
        if r["kind"] == SIGNED:
            failures.clear()
        elif r["note"] == BAD_PASSWORD:
            failures.append(parse_iso(r["at"]))
    return failures


def locked_until(store: Store, actor: str, max_failures: int, window: timedelta,
                 now: datetime | None = None) -> datetime | None:
    """When the user may try a certificate password again, if `max_failures` wrong ones fell within
    `window` since their last successful signing; None when not throttled."""
    now = now or datetime.now(UTC)
    failures = _failures(store, actor, window, now)
    if len(failures) < max_failures:
        return None
    until = failures[-max_failures] + window
    return until if until > now else None


def failures_left(store: Store, actor: str, max_failures: int, window: timedelta) -> int:
    return max(0, max_failures - len(_failures(store, actor, window, datetime.now(UTC))))


def wipe(secret: bytearray) -> None:
    """Overwrite the password's bytes in place (the one copy this code owns)."""
    secret[:] = bytes(len(secret))
