"""The zap check's rule records (checks.rules): one per ZAP plugin with a Bahasa Indonesia text, plus the
family record `zap.*` for every other plugin (ZAP's English name behind a generic Indonesian prefix).

English titles and remediation are ZAP's own (`{name}`, `{solution}`), filled per alert. Header, cookie,
CORS and server-side application alerts observe the server; markup, third-party scripts and personal
data in responses observe the content.
"""

from __future__ import annotations

from checks.base import Severity
from checks.rules import Observes, Rule, RuleBook

SERVER, CONTENT = Observes.SERVER, Observes.CONTENT

# plugin id -> (Indonesian title, Indonesian remediation, what it observes)
PLUGINS: dict[str, tuple[str, str, Observes]] = {
    "10020": ("Header anti-clickjacking tidak ada",
              "Kirim header X-Frame-Options: DENY atau CSP frame-ancestors 'none' di server web.", SERVER),
    "10021": ("Header X-Content-Type-Options tidak ada",
              "Kirim header X-Content-Type-Options: nosniff di setiap respons.", SERVER),
    "10038": ("Content Security Policy (CSP) tidak dipasang",
              "Pasang header Content-Security-Policy yang membatasi sumber skrip dan gaya.", SERVER),
    "10035": ("Header Strict-Transport-Security (HSTS) tidak ada",
              "Aktifkan HTTPS penuh lalu kirim header Strict-Transport-Security.", SERVER),
    "10036": ("Server membocorkan versi perangkat lunak lewat header Server",
              "Sembunyikan versi di header Server (mis. server_tokens off di nginx).", SERVER),
    "10037": ("Server membocorkan teknologi lewat header X-Powered-By",
              "Hapus header X-Powered-By (mis. expose_php = Off di php.ini).", SERVER),
    "10010": ("Cookie tanpa atribut HttpOnly", "Pasang atribut HttpOnly pada cookie sesi.", SERVER),
    "10011": ("Cookie tanpa atribut Secure",
              "Pasang atribut Secure pada cookie; layani situs hanya lewat HTTPS.", SERVER),
    "10054": ("Cookie tanpa atribut SameSite", "Pasang atribut SameSite=Lax atau Strict pada cookie.", SERVER),
    "10202": ("Formulir tanpa token anti-CSRF",
              "Tambahkan token anti-CSRF pada setiap formulir yang mengubah data.", CONTENT),
    "10098": ("Konfigurasi CORS terlalu longgar",
              "Batasi Access-Control-Allow-Origin ke asal yang dipercaya.", SERVER),
    "90003": ("Skrip/stylesheet eksternal tanpa Subresource Integrity",
              "Tambahkan atribut integrity dan crossorigin pada skrip dari CDN.", CONTENT),
    "10017": ("Halaman memuat JavaScript dari domain lain",
              "Pastikan skrip pihak ketiga memang diperlukan dan berasal dari sumber tepercaya.", CONTENT),
    "10062": ("Data pribadi terlihat pada respons",
              "Hapus data pribadi dari halaman; samarkan sebelum dipublikasikan.", CONTENT),
    "40012": ("Cross-site scripting (reflected)",
              "Lakukan encoding keluaran dan validasi masukan; perbarui CMS/plugin.", SERVER),
    "40014": ("Cross-site scripting (persistent)",
              "Lakukan encoding keluaran dan validasi masukan; perbarui CMS/plugin.", SERVER),
    "40018": ("Injeksi SQL", "Gunakan query berparameter; perbarui CMS/plugin yang rentan.", SERVER),
    "6": ("Path traversal", "Validasi nama berkas dari masukan pengguna; perbarui aplikasi.", SERVER),
    "7": ("Remote file inclusion", "Matikan allow_url_include dan validasi masukan; perbarui aplikasi.", SERVER),
}
GENERIC_TITLE = "Temuan ZAP: {name}"
GENERIC_REMEDIATION = ("Tindak lanjuti temuan pemindaian OWASP ZAP ini bersama pengelola situs; saran "
                       "perbaikan rinci (bahasa Inggris) ada di bagian English dan referensi.")

# ZAP's risk decides each alert's severity (mapping.RISK_TO_SEVERITY); the records' default is medium.
RULEBOOK = RuleBook("zap", [
    *(Rule(f"zap.{plugin}", Severity.MEDIUM, title, "{name}", rem, "{solution}", observes=obs)
      for plugin, (title, rem, obs) in PLUGINS.items()),
    Rule("zap.*", Severity.MEDIUM, GENERIC_TITLE, "{name}", GENERIC_REMEDIATION, "{solution}", observes=SERVER),
])


def localized_text(plugin: str, name: str) -> tuple[str, str]:
    """(Indonesian title, Indonesian remediation) for a plugin id."""
    record = RULEBOOK.lookup(f"zap.{plugin}")
    assert record is not None  # the family record matches every plugin
    return record.text("id", name=name)
