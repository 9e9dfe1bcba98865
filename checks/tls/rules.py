"""The tls check's rule records (checks.rules) and its severity tables, as data.

The rules of docs/cli.md "Rule ids" plus the extensions documented in docs/tls.md. Every tls rule
observes the server (protocols, certificates, redirects, HSTS): what the web server adds.
"""

from __future__ import annotations

from checks.base import Severity
from checks.rules import Observes, Rule, RuleBook

SERVER = Observes.SERVER

MOZILLA_GUIDE = "https://wiki.mozilla.org/Security/Server_Side_TLS"
SSL_CONFIG = "https://ssl-config.mozilla.org/"


RULEBOOK = RuleBook("tls", [
    Rule(
        "tls.https.missing", Severity.HIGH, "Situs tidak dapat diakses melalui HTTPS", "Site is not available over HTTPS",
        "Pasang sertifikat TLS (misalnya Let's Encrypt) dan aktifkan HTTPS di port 443.",
        "Install a TLS certificate (e.g. Let's Encrypt) and serve the site over HTTPS on port 443.",
        ["https://letsencrypt.org/getting-started/"], observes=SERVER),
    Rule(
        "tls.redirect.missing", Severity.MEDIUM, "HTTP tidak dialihkan ke HTTPS", "HTTP is not redirected to HTTPS",
        "Alihkan semua permintaan http:// ke https:// dengan redirect 301.",
        "Redirect every http:// request to https:// with a 301 redirect.",
        ["https://developer.mozilla.org/docs/Web/HTTP/Redirections"], observes=SERVER),
    Rule(
        "tls.protocol.legacy", Severity.MEDIUM, "Protokol usang diterima: {protocol}", "Legacy protocol accepted: {protocol}",
        "Matikan SSL 2/3, TLS 1.0 dan TLS 1.1; izinkan hanya TLS 1.2 dan TLS 1.3.",
        "Disable SSL 2/3, TLS 1.0 and TLS 1.1; allow only TLS 1.2 and TLS 1.3.",
        ["https://datatracker.ietf.org/doc/html/rfc8996", MOZILLA_GUIDE], observes=SERVER),
    Rule(
        "tls.protocol.modern_missing", Severity.HIGH, "TLS 1.2 dan TLS 1.3 tidak didukung", "Neither TLS 1.2 nor TLS 1.3 is supported",
        "Perbarui server web/OpenSSL dan aktifkan TLS 1.2 dan TLS 1.3.",
        "Upgrade the web server/OpenSSL and enable TLS 1.2 and TLS 1.3.", [MOZILLA_GUIDE], observes=SERVER),
    Rule(
        "tls.protocol.tls13_missing", Severity.LOW, "TLS 1.3 tidak didukung", "TLS 1.3 is not supported",
        "Aktifkan TLS 1.3 (nginx: ssl_protocols TLSv1.2 TLSv1.3;).",
        "Enable TLS 1.3 (nginx: ssl_protocols TLSv1.2 TLSv1.3;).", [SSL_CONFIG], observes=SERVER),
    Rule(
        "tls.cipher.weak", Severity.HIGH, "Cipher suite lemah diterima: {category}", "Weak cipher suites accepted: {category}",
        "Batasi daftar cipher ke konfigurasi 'intermediate' Mozilla (AEAD dengan ECDHE).",
        "Restrict the cipher list to Mozilla's 'intermediate' profile (AEAD with ECDHE).",
        [SSL_CONFIG, MOZILLA_GUIDE], observes=SERVER),
    Rule(
        "tls.cipher.forward_secrecy_missing", Severity.MEDIUM, "Tidak ada cipher dengan forward secrecy", "No forward-secret cipher suite offered",
        "Aktifkan cipher ECDHE (dan TLS 1.3) agar lalu lintas lama tidak dapat didekripsi bila kunci bocor.",
        "Enable ECDHE suites (and TLS 1.3) so past traffic cannot be decrypted if the key leaks.",
        [MOZILLA_GUIDE], observes=SERVER),
    Rule(
        "tls.cert.expired", Severity.CRITICAL, "Sertifikat TLS sudah kedaluwarsa", "TLS certificate has expired",
        "Perpanjang sertifikat sekarang dan aktifkan perpanjangan otomatis (certbot renew).",
        "Renew the certificate now and enable automatic renewal (certbot renew).",
        ["https://letsencrypt.org/docs/integration-guide/"], observes=SERVER),
    Rule(
        "tls.cert.expiring", Severity.LOW, "Sertifikat TLS kedaluwarsa dalam {days} hari", "TLS certificate expires in {days} days",
        "Perpanjang sertifikat sebelum tanggal kedaluwarsa; periksa perpanjangan otomatis.",
        "Renew the certificate before it expires; check that automatic renewal works.",
        ["https://letsencrypt.org/docs/integration-guide/"], observes=SERVER),
    Rule(
        "tls.cert.not_yet_valid", Severity.HIGH, "Sertifikat TLS belum berlaku", "TLS certificate is not yet valid",
        "Periksa jam server dan tanggal mulai berlaku sertifikat; pasang sertifikat yang sudah berlaku.",
        "Check the server clock and the certificate's start date; install a currently valid certificate.",
        [], observes=SERVER),
    Rule(
        "tls.cert.untrusted", Severity.HIGH, "Rantai sertifikat tidak dipercaya", "Certificate chain is not trusted",
        "Gunakan sertifikat dari CA publik (misalnya Let's Encrypt); CA internal: isi checks.tls.ca_file.",
        "Use a certificate from a public CA (e.g. Let's Encrypt); for an internal CA set checks.tls.ca_file.",
        [], observes=SERVER),
    Rule(
        "tls.cert.self_signed", Severity.HIGH, "Sertifikat TLS ditandatangani sendiri (self-signed)", "Self-signed TLS certificate",
        "Ganti dengan sertifikat dari CA tepercaya (Let's Encrypt gratis).",
        "Replace it with a certificate from a trusted CA (Let's Encrypt is free).",
        ["https://letsencrypt.org/"], observes=SERVER),
    Rule(
        "tls.cert.hostname_mismatch", Severity.HIGH, "Nama host tidak cocok dengan sertifikat", "Hostname does not match the certificate",
        "Terbitkan sertifikat yang mencantumkan nama domain situs di Subject Alternative Name.",
        "Issue a certificate that lists the site's domain name in its Subject Alternative Name.", [], observes=SERVER),
    Rule(
        "tls.cert.chain_incomplete", Severity.MEDIUM, "Rantai sertifikat tidak lengkap (intermediate hilang)",
        "Certificate chain incomplete (missing intermediate)",
        "Pasang fullchain.pem (sertifikat + intermediate), bukan cert.pem saja.",
        "Serve fullchain.pem (certificate + intermediates), not cert.pem alone.",
        ["https://whatsmychaincert.com/"], observes=SERVER),
    Rule(
        "tls.cert.weak_key", Severity.HIGH, "Kunci sertifikat lemah: {key}", "Weak certificate key: {key}",
        "Buat kunci baru RSA >= 2048 bit atau ECDSA P-256 dan terbitkan ulang sertifikat.",
        "Generate a new RSA >= 2048-bit or ECDSA P-256 key and reissue the certificate.", [MOZILLA_GUIDE], observes=SERVER),
    Rule(
        "tls.cert.weak_signature", Severity.MEDIUM, "Tanda tangan sertifikat lemah: {alg}", "Weak certificate signature: {alg}",
        "Terbitkan ulang sertifikat dengan tanda tangan SHA-256 atau lebih kuat.",
        "Reissue the certificate with a SHA-256 (or stronger) signature.",
        ["https://shattered.io/"], observes=SERVER),
    Rule(
        "tls.ocsp.stapling_missing", Severity.INFO, "OCSP stapling tidak aktif", "OCSP stapling is not enabled",
        "Aktifkan OCSP stapling (nginx: ssl_stapling on; ssl_stapling_verify on;).",
        "Enable OCSP stapling (nginx: ssl_stapling on; ssl_stapling_verify on;).",
        ["https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_stapling"], observes=SERVER),
    Rule(
        "tls.hsts.preload_missing", Severity.INFO, "HSTS belum memenuhi syarat preload", "HSTS is not preload-ready",
        "Kirim Strict-Transport-Security: max-age=31536000; includeSubDomains; preload lalu daftar di hstspreload.org.",
        "Send Strict-Transport-Security: max-age=31536000; includeSubDomains; preload and submit to hstspreload.org.",
        ["https://hstspreload.org/"], observes=SERVER),
])

# Severity of a legacy protocol, by protocol.
PROTOCOL_SEVERITY: dict[str, Severity] = {
    "SSLv2": Severity.CRITICAL, "SSLv3": Severity.HIGH, "TLSv1.0": Severity.MEDIUM, "TLSv1.1": Severity.MEDIUM,
}

# Weak cipher categories: severity and a short human label.
CIPHER_CATEGORY: dict[str, tuple[Severity, str]] = {
    "null": (Severity.HIGH, "NULL (tanpa enkripsi)"),
    "anonymous": (Severity.HIGH, "anonim (tanpa autentikasi)"),
    "export": (Severity.HIGH, "EXPORT"),
    "rc4": (Severity.HIGH, "RC4"),
    "des": (Severity.HIGH, "DES"),
    "3des": (Severity.MEDIUM, "3DES"),
    "legacy_block": (Severity.MEDIUM, "IDEA/RC2/SEED"),
    "cbc_only": (Severity.LOW, "hanya CBC pada TLS 1.2"),
}

# `tls.cert.expiring`: days left at or below the first number -> that severity (checked in order).
# The configured `expiry_warning_days` is the outer bound (LOW).
EXPIRY_STEPS: list[tuple[int, Severity]] = [(7, Severity.HIGH), (14, Severity.MEDIUM)]

MIN_RSA_BITS = 2048
MIN_EC_BITS = 224
WEAK_SIGNATURE_HASHES: dict[str, Severity] = {"md5": Severity.HIGH, "md2": Severity.HIGH, "sha1": Severity.MEDIUM}
