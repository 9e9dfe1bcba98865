"""The software check's rule records (checks.rules) and severity tables, as data (Bahasa Indonesia first,
English after). Titles and remediation carry format fields filled per finding (`*_fields` below).

Server software (CMS, web server, PHP), header disclosure and probes of server paths observe the server;
JavaScript libraries the pages load observe the content.
"""

from __future__ import annotations

from typing import Any

from checks.base import Severity
from checks.rules import Observes, Rule, RuleBook, Variant

SERVER, CONTENT = Observes.SERVER, Observes.CONTENT
WSTG = "https://owasp.org/www-project-web-security-testing-guide/latest/4-Web_Application_Security_Testing/"
_PROBE_REF = (WSTG + "02-Configuration_and_Deployment_Management_Testing/"
              "04-Review_Old_Backup_and_Unreferenced_Files_for_Sensitive_Information")

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



RULEBOOK = RuleBook("software", [
    Rule("software.cms.eol", Severity.HIGH,
         "{name} {version} sudah tidak mendapat perbaikan keamanan",
         "{name} {version} no longer receives security fixes",
         "Perbarui {name} ke versi terbaru{newest}; cadangkan situs dan basis data dahulu, lalu periksa "
         "tema/plugin. Versi ini tidak lagi ditambal ({reason}).",
         "Upgrade {name} to the latest version{newest_en}; back up the site and database first, then check "
         "themes/plugins. This version gets no more patches ({reason}).", observes=SERVER),
    Rule("software.cms.outdated", Severity.HIGH,
         "{name} {version} bukan versi terbaru",
         "{name} {version} is not the latest version",
         "Perbarui {name}{newest}. Rilis baru biasanya berisi perbaikan keamanan ({reason}).",
         "Update {name}{newest_en}. New releases usually carry security fixes ({reason}).", observes=SERVER,
         variants={"opensid": Variant(  # fields from opensid.outdated_fields
             "OpenSID {version} dirilis {released}, {months} bulan lalu",
             "OpenSID {version} was released {released}, {months} months ago",
             "Perbarui OpenSID ke rilis terbaru (https://github.com/OpenSID/OpenSID/releases): OpenSID merilis "
             "versi baru setiap bulan dan perbaikan keamanan hanya masuk ke rilis baru. {lag_note}",
             "Update OpenSID to the latest release (https://github.com/OpenSID/OpenSID/releases): OpenSID "
             "releases monthly and security fixes only go into new releases. {lag_note_en}")}),
    Rule("software.server.outdated", Severity.MEDIUM,
         "Server web {name} {version} usang atau tidak didukung lagi",
         "Web server {name} {version} is outdated or end-of-life",
         "Minta penyedia hosting/pengelola server memperbarui {name}{newest}. Catatan: distribusi Linux "
         "(Debian, Ubuntu) kadang menambal tanpa mengubah nomor versi; pastikan paket keamanan terpasang "
         "({reason}).",
         "Ask the hosting provider/server admin to update {name}{newest_en}. Note: Linux distributions "
         "sometimes back-port fixes without changing the version number; make sure security updates are "
         "installed ({reason}).", observes=SERVER),
    Rule("software.php.eol", Severity.HIGH,
         "PHP {version} sudah tidak didukung (EOL)",
         "PHP {version} is end-of-life",
         "Pindahkan situs ke versi PHP yang masih didukung (lihat php.net/supported-versions) melalui panel "
         "hosting; uji situs setelahnya ({reason}).",
         "Move the site to a supported PHP version (see php.net/supported-versions) in the hosting panel; "
         "test the site afterwards ({reason}).", observes=SERVER),
    Rule("software.js.vulnerable", Severity.MEDIUM,
         "Pustaka JavaScript {label} {version} memiliki kerentanan yang diketahui ({shown})",
         "JavaScript library {label} {version} has known vulnerabilities ({shown_en})",
         "Perbarui {label}{to}. Pada WordPress, perbarui inti, tema dan plugin yang memuatnya.",
         "Update {label}{to_en}. On WordPress, update core, the theme and the plugins that load it.",
         observes=CONTENT),
    Rule("software.version.disclosed", Severity.LOW,
         "Versi perangkat lunak ditampilkan di header {header}",
         "Software version disclosed in the {header} header",
         "Sembunyikan nomor versi: Apache `ServerTokens Prod` dan `ServerSignature Off`; nginx "
         "`server_tokens off;`; PHP `expose_php = Off` di php.ini. Nilai sekarang: {value}",
         "Hide version numbers: Apache `ServerTokens Prod` and `ServerSignature Off`; nginx "
         "`server_tokens off;`; PHP `expose_php = Off` in php.ini. Current value: {value}",
         (WSTG + "01-Information_Gathering/02-Fingerprint_Web_Server",),
         server_lines={"nginx": "server_tokens off;", "apache": "ServerTokens Prod\nServerSignature Off"},
         observes=SERVER,
         variants={"opensid-release-notes": Variant(
             "Catatan rilis OpenSID dapat dibaca publik dan menyebut versinya: {path}",
             "OpenSID release notes are public and give its version away: {path}",
             "Blokir {path} di server web (Apache: tambahkan catatan_rilis.md ke daftar FilesMatch di .htaccess; "
             "nginx: `location = /catatan_rilis.md {{ return 404; }}`) atau hapus berkasnya setiap selesai "
             "memperbarui. Versi yang terbaca memudahkan penyerang memilih celah yang cocok.",
             "Block {path} in the web server (Apache: add catatan_rilis.md to the FilesMatch list in .htaccess; "
             "nginx: `location = /catatan_rilis.md {{ return 404; }}`) or delete the file after every update. A "
             "readable version lets attackers pick matching exploits.")}),
    Rule("software.admin.exposed", Severity.MEDIUM,
         "Halaman login admin dapat diakses publik: {path}",
         "Admin login reachable from the internet: {path}",
         "Gunakan kata sandi kuat dan 2FA, batasi percobaan login, dan bila bisa batasi akses berdasarkan "
         "IP kantor desa atau ganti alamat login.",
         "Use strong passwords and 2FA, rate-limit logins and, where possible, restrict access by the "
         "village office IP or move the login address.", (_PROBE_REF,), observes=SERVER),
    Rule("software.directory.listing", Severity.MEDIUM,
         "Daftar isi direktori terbuka: {path}",
         "Directory listing enabled: {path}",
         "Matikan daftar direktori: Apache `Options -Indexes` (atau .htaccess), nginx `autoindex off;`, "
         "atau taruh berkas index.html kosong di direktori tersebut.",
         "Disable directory listing: Apache `Options -Indexes` (or .htaccess), nginx `autoindex off;`, "
         "or put an empty index.html in the directory.", (_PROBE_REF,),
         server_lines={"nginx": "autoindex off;", "apache": "Options -Indexes"}, observes=SERVER),
    Rule("software.file.exposed", Severity.HIGH,
         "Berkas sensitif dapat diunduh publik: {what} ({path})",
         "Sensitive file publicly readable: {what_en} ({path})",
         "Hapus berkas dari direktori web segera, lalu anggap rahasia di dalamnya bocor: ganti kata sandi "
         "basis data/kunci aplikasi. Blokir pola berkas cadangan dan direktori tersembunyi di server web.",
         "Remove the file from the web root now and treat its secrets as leaked: rotate database passwords "
         "and application keys. Block backup file patterns and hidden directories in the web server.",
         (_PROBE_REF,), observes=SERVER,
         variants={"opensid-secret": Variant(
             "Berkas rahasia OpenSID dapat diunduh publik: {what} ({path})",
             "OpenSID secret file publicly readable: {what_en} ({path})",
             "Segera blokir berkas non-media di folder desa/ pada server web (nginx: `location ~ "
             "^/desa/(app_key|config/) {{ deny all; }}`; Apache: pakai htaccess.txt OpenSID sebagai .htaccess), "
             "lalu anggap rahasianya bocor: ganti kata sandi basis data dan buat app_key baru. Dengan app_key, "
             "penyerang dapat memalsukan tautan unduhan terenkripsi dan membaca berkas lain di server "
             "(OpenSID#11370).",
             "Block non-media files under desa/ in the web server now (nginx: `location ~ "
             "^/desa/(app_key|config/) {{ deny all; }}`; Apache: use OpenSID's htaccess.txt as .htaccess), then "
             "treat the secrets as leaked: change the database password and generate a new app_key. With the "
             "app_key an attacker can forge encrypted download links and read other files on the server "
             "(OpenSID#11370).")}),
])


def judgement_fields(name: str, version: str, latest: str | None, reason: str, as_of: str) -> dict[str, Any]:
    return {"name": name, "version": version, "reason": reason,
            "newest": f" (terbaru menurut data {as_of}: {latest})" if latest else "",
            "newest_en": f" (latest per data of {as_of}: {latest})" if latest else ""}


def js_fields(label: str, version: str, ids: list[str], fixed_in: str | None) -> dict[str, Any]:
    shown = ", ".join(ids[:6])
    return {"label": label, "version": version, "shown": shown or "tanpa nomor CVE",
            "shown_en": shown or "no CVE id",
            "to": f" ke {fixed_in} atau lebih baru" if fixed_in else " ke versi terbaru",
            "to_en": f" to {fixed_in} or later" if fixed_in else " to the latest version"}
