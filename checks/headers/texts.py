"""The headers check's rule records (checks.rules): titles, remediation (Bahasa Indonesia first,
English), references, server lines and what each rule observes. Data, not code.

Every remediation carries the nginx `add_header` and Apache `Header set` lines that fix it; the same lines
are the record's `server_lines` (read from the remediation, so they are written once). Header and cookie
rules observe the server; SRI and mixed content observe the page markup (content).
"""

from __future__ import annotations

from dataclasses import replace

from checks.base import Severity
from checks.rules import Observes, Rule, RuleBook

SERVER, CONTENT = Observes.SERVER, Observes.CONTENT

OWASP = "https://owasp.org/www-project-secure-headers/"
MDN = "https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/"


_RULES: list[Rule] = [
    Rule(
        "headers.hsts.missing", Severity.MEDIUM,
        "Header Strict-Transport-Security (HSTS) tidak dipasang",
        "Strict-Transport-Security (HSTS) header missing",
        "Pasang HSTS agar peramban selalu memakai HTTPS (mulai dengan max-age pendek bila ragu, lalu "
        "naikkan ke 1 tahun).\nnginx (blok server 443): add_header Strict-Transport-Security "
        "\"max-age=31536000; includeSubDomains\" always;\nApache (VirtualHost *:443): Header always set "
        "Strict-Transport-Security \"max-age=31536000; includeSubDomains\"",
        "Send HSTS so browsers always use HTTPS (start with a short max-age if unsure, then raise it to "
        "one year).\nnginx (server block on 443): add_header Strict-Transport-Security "
        "\"max-age=31536000; includeSubDomains\" always;\nApache (VirtualHost *:443): Header always set "
        "Strict-Transport-Security \"max-age=31536000; includeSubDomains\"",
        (MDN + "Strict-Transport-Security", OWASP + "#strict-transport-security", "https://hstspreload.org/"),
        observes=SERVER,
    ),
    Rule(
        "headers.hsts.invalid", Severity.LOW,
        "Header HSTS tidak valid atau terlalu lemah",
        "HSTS header invalid or too weak",
        "Kirim tepat satu header HSTS dengan max-age angka >= 15552000 (6 bulan; disarankan 31536000). "
        "Hapus header ganda (mis. dari aplikasi dan server sekaligus).\nnginx: add_header "
        "Strict-Transport-Security \"max-age=31536000; includeSubDomains\" always;\nApache: Header always "
        "set Strict-Transport-Security \"max-age=31536000; includeSubDomains\"",
        "Send exactly one HSTS header with a numeric max-age >= 15552000 (six months; 31536000 "
        "recommended). Remove duplicates (e.g. set by both the application and the server).\nnginx: "
        "add_header Strict-Transport-Security \"max-age=31536000; includeSubDomains\" always;\nApache: "
        "Header always set Strict-Transport-Security \"max-age=31536000; includeSubDomains\"",
        (MDN + "Strict-Transport-Security", OWASP + "#strict-transport-security"),
        observes=SERVER,
        cases={"no_max_age": Severity.MEDIUM},  # no max-age, or not a number: browsers ignore the header
    ),
    Rule(
        "headers.csp.missing", Severity.MEDIUM,
        "Content-Security-Policy (CSP) tidak diterapkan",
        "Content-Security-Policy (CSP) not enforced",
        "Pasang CSP yang membatasi sumber skrip. Uji dulu dengan Content-Security-Policy-Report-Only, "
        "lalu terapkan.\nnginx: add_header Content-Security-Policy \"default-src 'self'; object-src "
        "'none'; base-uri 'self'; frame-ancestors 'self'\" always;\nApache: Header always set "
        "Content-Security-Policy \"default-src 'self'; object-src 'none'; base-uri 'self'; "
        "frame-ancestors 'self'\"",
        "Send a CSP that restricts script sources. Try it first as Content-Security-Policy-Report-Only, "
        "then enforce it.\nnginx: add_header Content-Security-Policy \"default-src 'self'; object-src "
        "'none'; base-uri 'self'; frame-ancestors 'self'\" always;\nApache: Header always set "
        "Content-Security-Policy \"default-src 'self'; object-src 'none'; base-uri 'self'; "
        "frame-ancestors 'self'\"",
        (MDN + "Content-Security-Policy",
         "https://developer.mozilla.org/en-US/docs/Web/Security/Practical_implementation_guides/CSP",
         OWASP + "#content-security-policy"),
        observes=SERVER,
    ),
    Rule(
        "headers.csp.unsafe", Severity.MEDIUM,
        "Content-Security-Policy tidak aman atau salah tulis",
        "Content-Security-Policy unsafe or malformed",
        "Hapus 'unsafe-inline', 'unsafe-eval', sumber wildcard (*, https:, data:) dan sumber http: dari "
        "script-src/object-src; pakai nonce/hash untuk skrip inline; perbaiki direktif ganda atau salah "
        "eja.\nnginx: add_header Content-Security-Policy \"default-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'\" always;\nApache: Header always set Content-Security-Policy "
        "\"default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'\"",
        "Remove 'unsafe-inline', 'unsafe-eval', wildcard sources (*, https:, data:) and http: sources from "
        "script-src/object-src; use nonces/hashes for inline scripts; fix duplicated or misspelled "
        "directives.\nnginx: add_header Content-Security-Policy \"default-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'\" always;\nApache: Header always set Content-Security-Policy "
        "\"default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'\"",
        (MDN + "Content-Security-Policy", "https://csp-evaluator.withgoogle.com/",
         OWASP + "#content-security-policy"),
        observes=SERVER,
        cases={"no_script_hole": Severity.LOW},  # syntax errors or loose non-script directives only
    ),
    Rule(
        "headers.xcto.missing", Severity.LOW,
        "Header X-Content-Type-Options: nosniff tidak ada atau salah",
        "X-Content-Type-Options: nosniff missing or invalid",
        "Kirim tepat satu header X-Content-Type-Options bernilai nosniff.\nnginx: add_header "
        "X-Content-Type-Options \"nosniff\" always;\nApache: Header always set X-Content-Type-Options "
        "\"nosniff\"",
        "Send exactly one X-Content-Type-Options header with the value nosniff.\nnginx: add_header "
        "X-Content-Type-Options \"nosniff\" always;\nApache: Header always set X-Content-Type-Options "
        "\"nosniff\"",
        (MDN + "X-Content-Type-Options", OWASP + "#x-content-type-options"),
        observes=SERVER,
    ),
    Rule(
        "headers.xfo.missing", Severity.MEDIUM,
        "Perlindungan clickjacking (X-Frame-Options / frame-ancestors) tidak ada atau tidak valid",
        "Clickjacking protection (X-Frame-Options / frame-ancestors) missing or invalid",
        "Kirim X-Frame-Options: SAMEORIGIN (atau DENY), atau direktif CSP frame-ancestors 'self'. "
        "ALLOW-FROM sudah tidak didukung peramban.\nnginx: add_header X-Frame-Options \"SAMEORIGIN\" "
        "always;\nApache: Header always set X-Frame-Options \"SAMEORIGIN\"",
        "Send X-Frame-Options: SAMEORIGIN (or DENY), or the CSP directive frame-ancestors 'self'. "
        "ALLOW-FROM is no longer supported by browsers.\nnginx: add_header X-Frame-Options \"SAMEORIGIN\" "
        "always;\nApache: Header always set X-Frame-Options \"SAMEORIGIN\"",
        (MDN + "X-Frame-Options", MDN + "Content-Security-Policy/frame-ancestors", OWASP + "#x-frame-options"),
        observes=SERVER,
    ),
    Rule(
        "headers.referrer_policy.missing", Severity.LOW,
        "Header Referrer-Policy tidak dipasang",
        "Referrer-Policy header missing",
        "Pasang Referrer-Policy agar alamat halaman (yang bisa memuat data pemohon) tidak bocor ke situs "
        "lain.\nnginx: add_header Referrer-Policy \"strict-origin-when-cross-origin\" always;\nApache: "
        "Header always set Referrer-Policy \"strict-origin-when-cross-origin\"",
        "Send a Referrer-Policy so page addresses (which may carry applicant data) do not leak to other "
        "sites.\nnginx: add_header Referrer-Policy \"strict-origin-when-cross-origin\" always;\nApache: "
        "Header always set Referrer-Policy \"strict-origin-when-cross-origin\"",
        (MDN + "Referrer-Policy", OWASP + "#referrer-policy"),
        observes=SERVER,
    ),
    Rule(
        "headers.referrer_policy.unsafe", Severity.LOW,
        "Referrer-Policy tidak aman atau tidak dikenali",
        "Referrer-Policy unsafe or not recognised",
        "Ganti nilai unsafe-url/no-referrer-when-downgrade/origin/origin-when-cross-origin atau nilai "
        "yang salah eja dengan strict-origin-when-cross-origin (atau no-referrer).\nnginx: add_header "
        "Referrer-Policy \"strict-origin-when-cross-origin\" always;\nApache: Header always set "
        "Referrer-Policy \"strict-origin-when-cross-origin\"",
        "Replace unsafe-url/no-referrer-when-downgrade/origin/origin-when-cross-origin or a misspelled "
        "value with strict-origin-when-cross-origin (or no-referrer).\nnginx: add_header Referrer-Policy "
        "\"strict-origin-when-cross-origin\" always;\nApache: Header always set Referrer-Policy "
        "\"strict-origin-when-cross-origin\"",
        (MDN + "Referrer-Policy", OWASP + "#referrer-policy"),
        observes=SERVER,
        cases={"unknown_extra": Severity.INFO},  # extra unknown tokens, effective policy safe
    ),
    Rule(
        "headers.cookie.insecure", Severity.LOW,
        "Cookie tanpa atribut keamanan (Secure/HttpOnly/SameSite)",
        "Cookies without security attributes (Secure/HttpOnly/SameSite)",
        "Set cookie dengan Secure, HttpOnly (wajib untuk cookie sesi) dan SameSite=Lax; di PHP: "
        "session.cookie_secure=1, session.cookie_httponly=1, session.cookie_samesite=Lax.\nnginx "
        "(proxy): proxy_cookie_flags ~ secure httponly samesite=lax;\nApache 2.4: Header always edit "
        "Set-Cookie \"^(.*)$\" \"$1; Secure; HttpOnly; SameSite=Lax\"",
        "Set cookies with Secure, HttpOnly (required for session cookies) and SameSite=Lax; in PHP: "
        "session.cookie_secure=1, session.cookie_httponly=1, session.cookie_samesite=Lax.\nnginx "
        "(proxy): proxy_cookie_flags ~ secure httponly samesite=lax;\nApache 2.4: Header always edit "
        "Set-Cookie \"^(.*)$\" \"$1; Secure; HttpOnly; SameSite=Lax\"",
        (MDN + "Set-Cookie",
         "https://developer.mozilla.org/en-US/docs/Web/Security/Practical_implementation_guides/Cookies",
         OWASP + "#set-cookie"),
        observes=SERVER,
        cases={"session_cookie": Severity.MEDIUM},  # a session cookie without Secure or HttpOnly
    ),
    Rule(
        "headers.cors.wildcard", Severity.HIGH,
        "CORS mengizinkan semua origin beserta kredensial",
        "CORS allows any origin together with credentials",
        "Jangan memantulkan header Origin atau memakai * bersama Access-Control-Allow-Credentials: true; "
        "izinkan hanya origin yang dikenal, atau hapus header CORS bila tidak diperlukan.\nnginx: "
        "add_header Access-Control-Allow-Origin \"https://desa-anda.desa.id\" always;\nApache: Header "
        "always set Access-Control-Allow-Origin \"https://desa-anda.desa.id\"",
        "Do not reflect the Origin header or send * together with Access-Control-Allow-Credentials: true; "
        "allow only known origins, or drop the CORS headers when not needed.\nnginx: add_header "
        "Access-Control-Allow-Origin \"https://your-village.desa.id\" always;\nApache: Header always set "
        "Access-Control-Allow-Origin \"https://your-village.desa.id\"",
        (MDN + "Access-Control-Allow-Origin",
         "https://developer.mozilla.org/en-US/docs/Web/Security/Practical_implementation_guides/CORS",
         OWASP + "#access-control-allow-origin"),
        observes=SERVER,
        cases={"wildcard_credentials": Severity.MEDIUM},  # `*` + credentials: browsers refuse it
    ),
    Rule(
        "headers.sri.missing", Severity.LOW,
        "Skrip pihak ketiga dimuat tanpa Subresource Integrity",
        "Third-party scripts loaded without Subresource Integrity",
        "Tambahkan atribut integrity=\"sha384-...\" dan crossorigin=\"anonymous\" pada <script> dari CDN, "
        "muat lewat https://, atau simpan salinan skrip di server sendiri. (SRI diatur di HTML, bukan "
        "header; untuk membatasi sumber skrip tambahkan CSP.)\nnginx: add_header Content-Security-Policy "
        "\"script-src 'self' https://cdn.yang-dipakai\" always;\nApache: Header always set "
        "Content-Security-Policy \"script-src 'self' https://cdn.yang-dipakai\"",
        "Add integrity=\"sha384-...\" and crossorigin=\"anonymous\" to <script> tags loaded from CDNs, load "
        "them over https://, or host a copy yourself. (SRI lives in the HTML, not a header; to restrict "
        "script sources add a CSP.)\nnginx: add_header Content-Security-Policy \"script-src 'self' "
        "https://the-cdn-you-use\" always;\nApache: Header always set Content-Security-Policy "
        "\"script-src 'self' https://the-cdn-you-use\"",
        ("https://developer.mozilla.org/en-US/docs/Web/Security/Subresource_Integrity",
         "https://www.srihash.org/", OWASP),
        observes=CONTENT,
        cases={"insecure_origin": Severity.MEDIUM},  # a third-party script loaded over http
    ),
    Rule(
        "headers.mixed_content", Severity.MEDIUM,
        "Halaman HTTPS memuat sumber daya lewat http:// (mixed content)",
        "HTTPS pages load resources over http:// (mixed content)",
        "Ubah tautan sumber daya (skrip, CSS, gambar, iframe, formulir) menjadi https:// atau relatif. "
        "Sebagai jaring pengaman, minta peramban menaikkan permintaan ke HTTPS.\nnginx: add_header "
        "Content-Security-Policy \"upgrade-insecure-requests\" always;\nApache: Header always set "
        "Content-Security-Policy \"upgrade-insecure-requests\"",
        "Change resource URLs (scripts, CSS, images, iframes, forms) to https:// or relative ones. As a "
        "safety net, ask browsers to upgrade requests to HTTPS.\nnginx: add_header "
        "Content-Security-Policy \"upgrade-insecure-requests\" always;\nApache: Header always set "
        "Content-Security-Policy \"upgrade-insecure-requests\"",
        ("https://developer.mozilla.org/en-US/docs/Web/Security/Mixed_content",
         MDN + "Content-Security-Policy/upgrade-insecure-requests", OWASP),
        observes=CONTENT,
        cases={"passive_only": Severity.LOW},  # images/media only: no active content
    ),
    Rule(
        "headers.grade", Severity.INFO,
        "Nilai header keamanan: {label}",
        "Security headers grade: {label}",
        "Nilai dihitung dengan cara yang sama seperti MDN HTTP Observatory {version}. Perbaiki temuan "
        "header lain untuk menaikkan nilai; target minimal B.",
        "Scored the same way as MDN HTTP Observatory {version}. Fix the other header findings to raise "
        "the grade; aim for at least B.",
        ("https://developer.mozilla.org/en-US/observatory", OWASP),
        observes=SERVER,
    ),
]


def server_lines(remediation: str) -> dict[str, str]:
    """{"nginx": ..., "apache": ...}: the lines after "nginx...:" / "Apache...:" in a remediation text."""
    out: dict[str, list[str]] = {}
    for line in remediation.splitlines():
        head, sep, rest = line.partition(": ")
        server = head.split()[0].lower() if sep and head else ""
        if server in ("nginx", "apache"):
            out.setdefault(server, []).append(rest.strip())
    return {k: "\n".join(v) for k, v in out.items()}


# Every rule but the grade is aggregated to one finding per site (the pages in data["urls"]).
RULEBOOK = RuleBook("headers", [replace(r, server_lines=server_lines(r.remediation),
                                        site_level=r.id != "headers.grade") for r in _RULES])
