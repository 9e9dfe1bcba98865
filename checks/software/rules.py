"""Finding texts and severities for the software check, as data (Bahasa Indonesia first, English after)."""

from __future__ import annotations

from dataclasses import dataclass

from checks.base import Severity

RULES = {
    "software.cms.outdated": "CMS version older than the latest release",
    "software.cms.eol": "CMS version no longer receives security fixes",
    "software.server.outdated": "Web server version outdated or end-of-life",
    "software.php.eol": "PHP version end-of-life",
    "software.js.vulnerable": "JavaScript library with known vulnerabilities",
    "software.version.disclosed": "Software versions disclosed in response headers",
    "software.admin.exposed": "Administration login reachable from the internet",
    "software.directory.listing": "Directory listing enabled",
    "software.file.exposed": "Sensitive file publicly readable",
    "software.cms.advisory": "CMS version affected by published security reports (OpenSID advisories, dated data)",
}

# (category, verdict status) -> (rule, severity); statuses not listed produce no finding.
JUDGEMENT: dict[tuple[str, str], tuple[str, Severity]] = {
    ("cms", "eol"): ("software.cms.eol", Severity.HIGH),
    ("cms", "outdated"): ("software.cms.outdated", Severity.HIGH),  # missing security releases of its branch
    ("cms", "behind"): ("software.cms.outdated", Severity.MEDIUM),
    ("server", "eol"): ("software.server.outdated", Severity.HIGH),
    ("server", "outdated"): ("software.server.outdated", Severity.MEDIUM),
    ("language", "eol"): ("software.php.eol", Severity.HIGH),
}
# Products whose only supported line is the newest one: being behind is outdated, not just "behind".
BEHIND_IS_LOW = {"joomla", "drupal"}
OPENSID_OUTDATED = Severity.MEDIUM

JS_SEVERITY = {"critical": Severity.HIGH, "high": Severity.HIGH, "medium": Severity.MEDIUM, "low": Severity.LOW}


@dataclass(frozen=True)
class Text:
    title: str
    title_en: str
    remediation: str
    remediation_en: str


def judgement_text(rule: str, name: str, version: str, latest: str | None, reason: str,
                   as_of: str) -> Text:
    newest = f" (terbaru menurut data {as_of}: {latest})" if latest else ""
    newest_en = f" (latest per data of {as_of}: {latest})" if latest else ""
    if rule == "software.cms.eol":
        return Text(
            f"{name} {version} sudah tidak mendapat perbaikan keamanan",
            f"{name} {version} no longer receives security fixes",
            f"Perbarui {name} ke versi terbaru{newest}; cadangkan situs dan basis data dahulu, lalu periksa "
            f"tema/plugin. Versi ini tidak lagi ditambal ({reason}).",
            f"Upgrade {name} to the latest version{newest_en}; back up the site and database first, then check "
            f"themes/plugins. This version gets no more patches ({reason}).")
    if rule == "software.cms.outdated":
        return Text(
            f"{name} {version} bukan versi terbaru",
            f"{name} {version} is not the latest version",
            f"Perbarui {name}{newest}. Rilis baru biasanya berisi perbaikan keamanan ({reason}).",
            f"Update {name}{newest_en}. New releases usually carry security fixes ({reason}).")
    if rule == "software.server.outdated":
        return Text(
            f"Server web {name} {version} usang atau tidak didukung lagi",
            f"Web server {name} {version} is outdated or end-of-life",
            f"Minta penyedia hosting/pengelola server memperbarui {name}{newest}. Catatan: distribusi Linux "
            f"(Debian, Ubuntu) kadang menambal tanpa mengubah nomor versi; pastikan paket keamanan terpasang "
            f"({reason}).",
            f"Ask the hosting provider/server admin to update {name}{newest_en}. Note: Linux distributions "
            f"sometimes back-port fixes without changing the version number; make sure security updates are "
            f"installed ({reason}).")
    return Text(
        f"PHP {version} sudah tidak didukung (EOL)",
        f"PHP {version} is end-of-life",
        f"Pindahkan situs ke versi PHP yang masih didukung (lihat php.net/supported-versions) melalui panel "
        f"hosting; uji situs setelahnya ({reason}).",
        f"Move the site to a supported PHP version (see php.net/supported-versions) in the hosting panel; "
        f"test the site afterwards ({reason}).")


def js_text(label: str, version: str, ids: list[str], fixed_in: str | None) -> Text:
    to = f" ke {fixed_in} atau lebih baru" if fixed_in else " ke versi terbaru"
    to_en = f" to {fixed_in} or later" if fixed_in else " to the latest version"
    shown = ", ".join(ids[:6]) or "tanpa nomor CVE"
    return Text(
        f"Pustaka JavaScript {label} {version} memiliki kerentanan yang diketahui ({shown})",
        f"JavaScript library {label} {version} has known vulnerabilities ({shown or 'no CVE id'})",
        f"Perbarui {label}{to}. Pada WordPress, perbarui inti, tema dan plugin yang memuatnya.",
        f"Update {label}{to_en}. On WordPress, update core, the theme and the plugins that load it.")


def disclosed_text(header: str, value: str) -> Text:
    return Text(
        f"Versi perangkat lunak ditampilkan di header {header}",
        f"Software version disclosed in the {header} header",
        f"Sembunyikan nomor versi: Apache `ServerTokens Prod` dan `ServerSignature Off`; nginx "
        f"`server_tokens off;`; PHP `expose_php = Off` di php.ini. Nilai sekarang: {value}",
        f"Hide version numbers: Apache `ServerTokens Prod` and `ServerSignature Off`; nginx "
        f"`server_tokens off;`; PHP `expose_php = Off` in php.ini. Current value: {value}")


def probe_text(rule: str, what: str, what_en: str, path: str) -> Text:
    if rule == "software.admin.exposed":
        return Text(
            f"Halaman login admin dapat diakses publik: {path}",
            f"Admin login reachable from the internet: {path}",
            "Gunakan kata sandi kuat dan 2FA, batasi percobaan login, dan bila bisa batasi akses berdasarkan "
            "IP kantor desa atau ganti alamat login.",
            "Use strong passwords and 2FA, rate-limit logins and, where possible, restrict access by the "
            "village office IP or move the login address.")
    if rule == "software.directory.listing":
        return Text(
            f"Daftar isi direktori terbuka: {path}",
            f"Directory listing enabled: {path}",
            "Matikan daftar direktori: Apache `Options -Indexes` (atau .htaccess), nginx `autoindex off;`, "
            "atau taruh berkas index.html kosong di direktori tersebut.",
            "Disable directory listing: Apache `Options -Indexes` (or .htaccess), nginx `autoindex off;`, "
            "or put an empty index.html in the directory.")
    return Text(
        f"Berkas sensitif dapat diunduh publik: {what} ({path})",
        f"Sensitive file publicly readable: {what_en} ({path})",
        "Hapus berkas dari direktori web segera, lalu anggap rahasia di dalamnya bocor: ganti kata sandi "
        "basis data/kunci aplikasi. Blokir pola berkas cadangan dan direktori tersembunyi di server web.",
        "Remove the file from the web root now and treat its secrets as leaked: rotate database passwords "
        "and application keys. Block backup file patterns and hidden directories in the web server.")
