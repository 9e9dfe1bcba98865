"""Bounded probes for exposed files, admin pages and directory listings, verified by content.

A status code proves nothing: many hosts answer 200 with a "page not found" page (soft 404) or send
every unknown path to the home page. So each probe has a content verifier, and before probing we fetch
a random path that cannot exist to learn what "not found" looks like on this site; a probe response
that looks like that baseline is treated as not found whatever its status.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

Verifier = Callable[[bytes, str], str | None]  # (body, content type) -> short evidence, or None


@dataclass
class NotFoundShape:
    status: int | None
    digest: str
    sample: str  # start of the body with the probed path removed, for similarity
    length: int

    def matches(self, status: int | None, body: bytes, path: str) -> bool:
        """True when a probe response is this site's 'not found' answer under another name."""
        if status is None or status >= 400:
            return True
        text = _normalise(body, path)
        if hashlib.sha256(text.encode()).hexdigest() == self.digest:
            return True
        if not self.sample or not text:
            return False
        if abs(len(text) - self.length) > max(200, self.length // 5):
            return False
        sm = difflib.SequenceMatcher(None, self.sample[:4000], text[:4000])
        return sm.quick_ratio() > 0.9 and sm.ratio() > 0.9


def _normalise(body: bytes, path: str) -> str:
    text = body[:20000].decode("utf-8", "replace")
    for variant in {path, path.lstrip("/"), path.rsplit("/", 1)[-1]}:
        if variant:
            text = text.replace(variant, "")
    # Tokens that change per request (nonces, timestamps, CSRF tokens) must not break the comparison.
    text = re.sub(r"[0-9a-f]{8,}|\d{2,}", "", text)
    return " ".join(text.split())


def not_found_shape(status: int | None, body: bytes, path: str) -> NotFoundShape:
    text = _normalise(body, path)
    return NotFoundShape(status, hashlib.sha256(text.encode()).hexdigest(), text[:4000], len(text))


def _is_html(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html", b"<head", b"<body", b"<?xml")) or b"<html" in head


# -- verifiers: each returns short, secret-free evidence -----------------------------------------------

def verify_git_head(body: bytes, ctype: str) -> str | None:
    text = body[:200].decode("utf-8", "replace").strip()
    if re.fullmatch(r"ref: refs/[\w./-]+", text):
        return f"isi .git/HEAD: {text[:60]}"
    if re.fullmatch(r"[0-9a-f]{40}", text):
        return "isi .git/HEAD: commit id (40 hex)"
    return None


def verify_git_config(body: bytes, ctype: str) -> str | None:
    text = body[:4000].decode("utf-8", "replace")
    if not _is_html(body) and re.search(r"^\[core\]", text, re.M) and "repositoryformatversion" in text:
        return "isi .git/config: bagian [core]"
    return None


_ENV_KEY = re.compile(r"^\s*(?:export\s+)?([A-Z][A-Z0-9_]{2,})\s*=", re.M)
_ENV_HINTS = ("APP_", "DB_", "DATABASE", "MAIL_", "REDIS", "SECRET", "PASSWORD", "KEY", "TOKEN", "HOST")


def verify_env(body: bytes, ctype: str) -> str | None:
    if _is_html(body):
        return None
    text = body[:20000].decode("utf-8", "replace")
    keys = _ENV_KEY.findall(text)
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if len(keys) >= 2 and len(keys) >= len(lines) * 0.6 and any(h in k for k in keys for h in _ENV_HINTS):
        # Key names only: the values are the secrets.
        return "variabel: " + ", ".join(sorted(set(keys))[:8])
    return None


def verify_php_source(body: bytes, ctype: str) -> str | None:
    text = body[:50000].decode("utf-8", "replace")
    if "<?php" in text and re.search(r"define\s*\(\s*['\"]DB_(?:PASSWORD|NAME|USER)['\"]", text):
        return "kode sumber PHP terbaca, berisi define('DB_PASSWORD', …) (nilai tidak ditampilkan)"
    if "<?php" in text and re.search(r"\$db\[['\"]default['\"]\]\[['\"]password['\"]\]", text):
        return "kode sumber PHP terbaca, berisi konfigurasi basis data (nilai tidak ditampilkan)"
    return None


def verify_sql_dump(body: bytes, ctype: str) -> str | None:
    if _is_html(body):
        return None
    text = body[:20000].decode("utf-8", "replace")
    marker = re.search(r"^-- (?:MySQL dump|MariaDB dump|phpMyAdmin SQL Dump|PostgreSQL database dump)", text, re.M)
    statements = len(re.findall(r"^(?:CREATE TABLE|INSERT INTO|DROP TABLE)", text, re.M | re.I))
    if marker or statements >= 2:
        return f"dump SQL: {marker.group(0)[3:] if marker else f'{statements} perintah CREATE/INSERT'}"
    return None


def verify_zip(body: bytes, ctype: str) -> str | None:
    if body[:4] == b"PK\x03\x04":
        return "arsip ZIP (tanda tangan PK\\x03\\x04)"
    return None


def verify_gzip_tar(body: bytes, ctype: str) -> str | None:
    if body[:2] == b"\x1f\x8b":
        return "arsip gzip"
    return None


def verify_phpinfo(body: bytes, ctype: str) -> str | None:
    text = body[:200000].decode("utf-8", "replace")
    if re.search(r"<title>\s*(?:PHP \d[\d.]* - )?phpinfo\(\)\s*</title>", text, re.I) or (
            "PHP Version" in text and "PHP License" in text and "Configuration" in text):
        m = re.search(r"PHP Version\s*(?:</[^>]+>\s*<[^>]+>\s*)?(\d+\.\d+\.\d+)", text)
        return "halaman phpinfo()" + (f", PHP {m.group(1)}" if m else "")
    return None


def verify_ds_store(body: bytes, ctype: str) -> str | None:
    if body[:8] == b"\x00\x00\x00\x01Bud1":
        return "berkas .DS_Store (daftar nama berkas)"
    return None


def verify_wp_login(body: bytes, ctype: str) -> str | None:
    text = body[:200000].decode("utf-8", "replace")
    if re.search(r"name=[\"']log[\"']", text) and re.search(r"name=[\"']pwd[\"']", text) and "wp-submit" in text:
        return "formulir login WordPress (log/pwd/wp-submit)"
    return None


def verify_opensid_admin(body: bytes, ctype: str) -> str | None:
    text = body[:200000].decode("utf-8", "replace")
    if re.search(r"OpenSID", text, re.I) and re.search(r"type=[\"']password[\"']", text, re.I):
        return "halaman login admin OpenSID"
    return None


def verify_joomla_admin(body: bytes, ctype: str) -> str | None:
    text = body[:200000].decode("utf-8", "replace")
    if re.search(r"com_login|mod-login-username|form-login", text) and re.search(r"type=[\"']password", text):
        return "halaman login administrator Joomla"
    return None


def verify_drupal_login(body: bytes, ctype: str) -> str | None:
    text = body[:200000].decode("utf-8", "replace")
    if re.search(r"user[-_]login[-_]form", text) and re.search(r"type=[\"']password", text):
        return "formulir login Drupal"
    return None


_LISTING = re.compile(r"<title>\s*Index of /[^<]*</title>|<h1>\s*Index of /[^<]*</h1>", re.I)


def verify_directory_listing(body: bytes, ctype: str) -> str | None:
    text = body[:200000].decode("utf-8", "replace")
    m = _LISTING.search(text)
    if not m:
        return None
    # Apache (Parent Directory), nginx (<a href="../">), lighttpd/LiteSpeed (Parent Directory / ../)
    if re.search(r"Parent Directory|href=\"\.\./\"|<pre><a href=", text, re.I):
        entries = len(re.findall(r"<a href=\"(?!\?|/|\.\./|https?:)[^\"]+\"", text))
        return f"{re.sub(r'<[^>]+>', '', m.group(0)).strip()} ({entries} entri)"
    return None


@dataclass(frozen=True)
class Probe:
    path: str
    rule: str  # file.exposed / admin.exposed / directory.listing
    what: str  # Bahasa Indonesia label
    what_en: str
    verify: Verifier
    severity: str = "high"
    cms: str | None = None  # only probed when this CMS was detected
    max_bytes: int = 256 * 1024


PROBES: tuple[Probe, ...] = (
    Probe("/.git/HEAD", "file.exposed", "repositori .git", ".git repository", verify_git_head, "high", max_bytes=4096),
    Probe("/.git/config", "file.exposed", "konfigurasi .git", ".git config", verify_git_config, "high", max_bytes=16384),
    Probe("/.env", "file.exposed", "berkas .env (rahasia aplikasi)", ".env file (application secrets)", verify_env, "critical"),
    Probe("/wp-config.php.bak", "file.exposed", "cadangan wp-config.php", "wp-config.php backup", verify_php_source, "critical", "wordpress"),
    Probe("/wp-config.php~", "file.exposed", "cadangan wp-config.php", "wp-config.php backup", verify_php_source, "critical", "wordpress"),
    Probe("/wp-config.php.save", "file.exposed", "cadangan wp-config.php", "wp-config.php backup", verify_php_source, "critical", "wordpress"),
    Probe("/wp-config.old", "file.exposed", "cadangan wp-config.php", "wp-config.php backup", verify_php_source, "critical", "wordpress"),
    Probe("/desa/config/database.php.bak", "file.exposed", "cadangan konfigurasi basis data OpenSID", "OpenSID database config backup", verify_php_source, "critical", "opensid"),
    Probe("/backup.sql", "file.exposed", "dump basis data (.sql)", "database dump (.sql)", verify_sql_dump, "critical", max_bytes=65536),
    Probe("/database.sql", "file.exposed", "dump basis data (.sql)", "database dump (.sql)", verify_sql_dump, "critical", max_bytes=65536),
    Probe("/db.sql", "file.exposed", "dump basis data (.sql)", "database dump (.sql)", verify_sql_dump, "critical", max_bytes=65536),
    Probe("/backup.zip", "file.exposed", "arsip cadangan situs", "site backup archive", verify_zip, "high", max_bytes=4096),
    Probe("/www.zip", "file.exposed", "arsip cadangan situs", "site backup archive", verify_zip, "high", max_bytes=4096),
    Probe("/public_html.zip", "file.exposed", "arsip cadangan situs", "site backup archive", verify_zip, "high", max_bytes=4096),
    Probe("/backup.tar.gz", "file.exposed", "arsip cadangan situs", "site backup archive", verify_gzip_tar, "high", max_bytes=4096),
    Probe("/phpinfo.php", "file.exposed", "halaman phpinfo()", "phpinfo() page", verify_phpinfo, "medium"),
    Probe("/info.php", "file.exposed", "halaman phpinfo()", "phpinfo() page", verify_phpinfo, "medium"),
    Probe("/.DS_Store", "file.exposed", "berkas .DS_Store", ".DS_Store file", verify_ds_store, "low", max_bytes=4096),
    Probe("/wp-login.php", "admin.exposed", "halaman login WordPress", "WordPress login page", verify_wp_login, "info", "wordpress"),
    Probe("/wp-admin/", "admin.exposed", "halaman login WordPress", "WordPress login page", verify_wp_login, "info", "wordpress"),
    Probe("/siteman", "admin.exposed", "halaman login admin OpenSID", "OpenSID admin login", verify_opensid_admin, "info", "opensid"),
    Probe("/administrator/", "admin.exposed", "halaman login administrator Joomla", "Joomla administrator login", verify_joomla_admin, "info", "joomla"),
    Probe("/user/login", "admin.exposed", "halaman login Drupal", "Drupal login page", verify_drupal_login, "info", "drupal"),
    Probe("/wp-content/uploads/", "directory.listing", "daftar isi direktori", "directory listing", verify_directory_listing, "medium", "wordpress"),
    Probe("/desa/upload/", "directory.listing", "daftar isi direktori", "directory listing", verify_directory_listing, "medium", "opensid"),
    Probe("/uploads/", "directory.listing", "daftar isi direktori", "directory listing", verify_directory_listing, "medium"),
    Probe("/assets/", "directory.listing", "daftar isi direktori", "directory listing", verify_directory_listing, "medium"),
    Probe("/backup/", "directory.listing", "daftar isi direktori", "directory listing", verify_directory_listing, "medium"),
)


def select_probes(detected_cms: set[str], limit: int) -> list[Probe]:
    """Generic probes plus those for the CMS we found, at most `limit` (CMS-specific first: more likely)."""
    specific = [p for p in PROBES if p.cms and p.cms in detected_cms]
    generic = [p for p in PROBES if p.cms is None]
    chosen: list[Probe] = []
    # Admin pages are info-only; secrets and dumps come first when the budget is small.
    for p in sorted(specific + generic, key=lambda p: (p.rule == "admin.exposed", p.cms is None)):
        if len(chosen) >= limit:
            break
        chosen.append(p)
    return chosen
