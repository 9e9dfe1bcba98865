"""OpenSID: what the platform most village sites run gives away, read from recorded real releases.

Every marker here was seen on a real OpenSID (tests/fixtures/opensid/, recorded from the release
tarballs by scripts/record-opensid.py; docs/software.md lists each marker, its source file in OpenSID and
the releases it was seen on). Pure functions: page/probe text in, signals, facts and verdicts out.
Secrets are verified by shape and never echoed: evidence names what was readable, not its value.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from checks.base import Severity
from checks.rules import Observes, Rule, RuleBook
from checks.software.fingerprint import Signal
from checks.software.judge import yymm
from checks.software.versions import compare

DATA_FILE = Path(__file__).resolve().parent / "data" / "opensid-advisories.json"

# Paths probed once OpenSID is detected: the admin login (twice: pretty and index.php links) and the
# release notes that OpenSID ships in its web root.
ADMIN_PATHS = ("/siteman", "/index.php/siteman")
RELEASE_NOTES = "/catatan_rilis.md"

_META = re.compile(r"<meta\s+name\s*=\s*[\"'](theme(?::version|:designer)?)[\"']\s+content\s*=\s*[\"']([^\"']*)[\"']",
                   re.I)
_RELEASE_NOTES_VERSION = re.compile(r"\bversi\s+v?(\d{4}\.\d+\.\d+|\d{2}\.\d{2}(?:\.\d+)?)", re.I)
# (marker, what it is) pairs; each is a string OpenSID's own templates write (see docs/software.md).
MARKERS: tuple[tuple[str, str], ...] = (
    ("csrfParam = 'sidcsrf'", "inline csrfParam = 'sidcsrf'"),
    ("assets/js/anti-csrf.js", "anti-csrf.js"),
    ("/vendor/themes/natra/", "vendor/themes/natra/"),
    ("/vendor/themes/esensi/", "vendor/themes/esensi/"),
    ("/theme_asset/", "theme_asset/"),
    ("/module_asset/", "module_asset/"),
    ("/desa/upload/", "desa/upload/"),
    ("https://opensid.my.id", "link opensid.my.id"),
    ("https://github.com/OpenSID/OpenSID", "link github.com/OpenSID/OpenSID"),
)
COOKIES = ("sidcsrf", "ci_session")


# -- signals ------------------------------------------------------------------------------------------

def theme(text: str) -> dict[str, str] | None:
    """OpenSID's theme meta tags: `theme`, `theme:version`, `theme:designer` (Natra, Esensi)."""
    found = {name.lower(): value.strip() for name, value in _META.findall(text[:200000])}
    if "theme" not in found:
        return None
    return {"name": found["theme"], "version": found.get("theme:version", "").lstrip("vV") or "",
            "designer": found.get("theme:designer", "")}


def page_signals(url: str, text: str) -> list[Signal]:
    """Markers beyond the version text: theme meta, inline CSRF parameter, OpenSID asset paths."""
    out: list[Signal] = []
    th = theme(text)
    if th:
        out.append(Signal("opensid", None, "OpenSID theme meta",
                          f"theme={th['name']} theme:version={th['version'] or '?'}", url, 2))
    hits = [what for marker, what in MARKERS if marker in text]
    if hits:
        out.append(Signal("opensid", None, "OpenSID templates (CSRF, asset paths)", ", ".join(hits[:5]), url,
                          2 if len(hits) >= 2 else 1))
    return out


def cookie_signals(url: str, set_cookies: list[str]) -> list[Signal]:
    names = {v.split("=", 1)[0].strip().lower() for v in set_cookies}
    hits = [c for c in COOKIES if c in names]
    # ci_session alone is any CodeIgniter site; sidcsrf is OpenSID's own CSRF cookie name.
    if "sidcsrf" in hits:
        return [Signal("opensid", None, "OpenSID cookies", "Set-Cookie: " + ", ".join(hits), url, 2)]
    return []


def release_notes_signals(url: str, text: str) -> list[Signal]:
    """catatan_rilis.md: 'Di rilis ini, versi 2410.0.0 berisi ...' (Markdown, never an HTML page)."""
    if text.lstrip()[:1] == "<":
        return []
    m = _RELEASE_NOTES_VERSION.search(text[:4000])
    if not m or "rilis" not in text[:4000].lower():
        return []
    return [Signal("opensid", m.group(1), "catatan_rilis.md", _line(text, m.start()), url, 3)]


def _line(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    line = " ".join(text[start:end if end != -1 else None].split())
    return line if len(line) <= 120 else line[:119] + "…"


# -- sensitive files (content-verified, secret-free evidence) --------------------------------------------

_APP_KEY = re.compile(r"base64:[A-Za-z0-9+/]{43}=")


def verify_app_key(body: bytes, ctype: str) -> str | None:
    """desa/app_key: `base64:` + 44 characters (a 32-byte Laravel key). The key itself is never shown."""
    text = body[:512].decode("ascii", "replace").strip()
    if _APP_KEY.fullmatch(text):
        return "desa/app_key terbaca: kunci aplikasi berbentuk base64: + 44 karakter (nilai tidak ditampilkan)"
    return None


_DB_FIELD = re.compile(r"\$db\s*\[\s*['\"]default['\"]\s*\]\s*\[\s*['\"](\w+)['\"]\s*\]\s*=")


def verify_database_config(body: bytes, ctype: str) -> str | None:
    """desa/config/database.php served as source: the field names are evidence, the values never are."""
    text = body[:64000].decode("utf-8", "replace")
    if "<?php" not in text:
        return None
    fields = list(dict.fromkeys(_DB_FIELD.findall(text)))
    if "password" not in fields:
        return None
    return ("kode sumber PHP konfigurasi basis data terbaca, berisi " + ", ".join(fields[:6])
            + " (nilai tidak ditampilkan)")


# -- age and advisories ------------------------------------------------------------------------------

def release_month(version: str) -> date | None:
    """2410.0.0 -> 2024-10; v23.04 -> 2023-04 (the first day of the release month)."""
    return yymm(version)


def premium_lag_months(on: date) -> int:
    """The free ("umum") release carries the premium code of 6 months earlier; 12 months since 2026."""
    return 12 if on.year >= 2026 else 6


@dataclass(frozen=True)
class Advisory:
    id: str
    title: str
    title_en: str
    published: str
    severity: str
    unauthenticated: bool
    affected_from: str | None
    affected_to: str | None  # inclusive, as reported; None: no upper bound known
    fixed_in: str | None
    references: tuple[str, ...]
    note: str = ""

    def affects(self, version: str) -> bool:
        v = _numeric(version)
        if v is None:
            return False
        if self.affected_from and compare(v, self.affected_from) < 0:
            return False
        if self.fixed_in and compare(v, self.fixed_in) >= 0:
            return False
        if self.affected_to and compare(v, self.affected_to) > 0:
            return False
        return True


def _numeric(version: str) -> str | None:
    m = re.match(r"v?(\d{4}\.\d+\.\d+)", version)
    return m.group(1) if m else None  # yy.mm releases predate every advisory range we carry


def load_advisories(path: Path = DATA_FILE) -> tuple[str, list[Advisory]]:
    """(as_of, advisories) from the bundled, dated file."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for a in data.get("advisories") or []:
        out.append(Advisory(a["id"], a["title"], a["title_en"], a["published"], a.get("severity", "high"),
                            bool(a.get("unauthenticated")), a.get("affected_from"), a.get("affected_to"),
                            a.get("fixed_in"), tuple(a.get("references") or ()), a.get("note", "")))
    return str(data["as_of"]), out


# -- rule records and texts -----------------------------------------------------------------------------

LAG_NOTE = ("Catatan: rilis umum (gratis) OpenSID berisi kode rilis premium {lag} bulan sebelumnya (6 bulan, 12 "
            "bulan sejak 2026), jadi kode yang berjalan lebih tua daripada tanggal rilisnya.")
LAG_NOTE_EN = ("Note: OpenSID's free (\"umum\") release carries the premium code of {lag} months earlier (6 months, "
               "12 since 2026), so the code running is older than its release date.")

# The one rule OpenSID adds; the others it emits (cms.outdated, version.disclosed, file.exposed) are the
# software check's existing rules, with OpenSID-specific texts below.
RULES = RuleBook("software", [
    Rule("software.cms.advisory", Severity.HIGH,
         "OpenSID {version} terdampak laporan keamanan publik: {ids}",
         "OpenSID {version} is affected by published security reports: {ids}",
         "Perbarui OpenSID ke rilis yang memperbaiki laporan tersebut (lihat tautan); sampai itu, blokir jalur yang "
         "disebut laporan di server web. Data laporan per {as_of}. " + LAG_NOTE,
         "Update OpenSID to a release that fixes these reports (see the links); until then, block the paths the "
         "reports name in the web server. Advisory data as of {as_of}. " + LAG_NOTE_EN,
         references=("https://github.com/OpenSID/OpenSID/issues?q=label%3Asecurity",),
         observes=Observes.SERVER),
])


def outdated_fields(version: str, released: date, months: int) -> dict[str, Any]:
    """Fields of the `opensid` wording of `software.cms.outdated` (software/rules.py); the umum/premium lag is
    the one in force when this version was released."""
    if "premium" in version.lower():
        note, note_en = ("Ini rilis premium: kodenya sesuai bulan rilisnya.",
                         "This is a premium release: its code matches its release month.")
    else:
        lag = premium_lag_months(released)
        code = _months_back(released, lag)
        note = LAG_NOTE.format(lag=lag) + f" Kode rilis umum ini setara premium sekitar {code:%Y-%m}."
        note_en = LAG_NOTE_EN.format(lag=lag) + f" This free release's code matches premium of about {code:%Y-%m}."
    return {"version": version, "released": f"{released:%Y-%m}", "months": months, "lag_note": note,
            "lag_note_en": note_en}


def _months_back(d: date, months: int) -> date:
    n = d.year * 12 + d.month - 1 - months
    return date(n // 12, n % 12 + 1, 1)


SECRET_REFERENCES = ["https://github.com/OpenSID/OpenSID/issues/11370",
                     "https://github.com/OpenSID/OpenSID/blob/master/htaccess.txt"]


@dataclass(frozen=True)
class SecretProbe:
    path: str
    what: str
    what_en: str
    verify: Any


SECRET_PROBES: tuple[SecretProbe, ...] = (
    SecretProbe("/desa/app_key", "kunci aplikasi desa/app_key", "application key desa/app_key", verify_app_key),
    SecretProbe("/desa/config/database.php", "konfigurasi basis data desa/config/database.php",
                "database configuration desa/config/database.php", verify_database_config),
)
