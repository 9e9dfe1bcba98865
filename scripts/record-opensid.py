#!/usr/bin/env python3
"""Record the HTTP responses of a live OpenSID (started by scripts/opensid-setup.sh) as test fixtures.

    .venv/bin/python scripts/record-opensid.py --dir /tmp/ppid-opensid.X --out tests/fixtures/opensid/2410.0.0 \
        [--theme esensi] [--seed-ppid] [--nginx] [--tag v2410.0.0 --commit SHA]

Reads DIR's web root and database socket (the KEY=VALUE lines opensid-setup.sh prints are not needed:
the directory layout is enough), optionally switches the theme and adds documents of the four public
information categories through SQL (what an operator would do in the admin pages), then fetches the
pages the checks read: home, a few content pages linked from it, /siteman, /index.php/siteman,
/catatan_rilis.md, /ppid (+ each document it lists), robots.txt, a not-found path, and the same-site
JavaScript the software check fingerprints. With --nginx it also starts the nginx-style front end
(`opensid-setup.sh serve`) and records desa/app_key, desa/config/database.php and a stored document as
that server returns them.

Output: OUT/manifest.json (release, theme, date recorded, origin, one entry per response: path, status,
headers, body file, variant) and OUT/bodies/. Responses are stored as received; the replay server in
tests/opensid_replay.py substitutes its own origin for the recorded one. Images and scripts the bundled
data does not recognise are not stored (listed under `not_recorded` with size and sha256) to keep the
fixtures small. The keys and passwords in the nginx-style entries belong to a throw-away loopback install.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

MAX_CONTENT_PAGES = 12
MAX_SCRIPT_BYTES = 2 * 1024 * 1024
STORE_GZIP_OVER = 48 * 1024
HOP_HEADERS = {"connection", "transfer-encoding", "content-length", "host", "keep-alive"}

# Documents an operator would upload, one per kategori_info_publik, plus one switched off. Dates are
# fixed so the fixture is stable; files are tiny generated PDFs with no personal data.
PPID_DOCS = [
    # (nama, kategori_info_publik, tahun, tgl_upload, updated_at, enabled)
    ("Laporan Realisasi APBDes 2026", 1, 2026, "2026-01-15 09:00:00", "2026-07-10 10:30:00", 1),
    ("Pengumuman Peringatan Dini Banjir", 2, 2026, "2026-11-02 07:15:00", "2026-11-02 07:15:00", 1),
    ("Daftar Informasi Publik Desa 2026", 3, 2026, "2026-02-01 08:00:00", "2026-09-01 08:00:00", 1),
    ("Data Penerima Bantuan Sosial (Dikecualikan)", 4, 2026, "2026-03-05 13:00:00", "2026-03-05 13:00:00", 1),
    ("Rencana Kerja Pemerintah Desa 2025", 1, 2025, "2025-01-20 09:00:00", "2025-01-20 09:00:00", 0),
]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # record the 3xx itself, the client follows it later
        return None


_OPENER = urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler({}))


def fetch(url: str, timeout: float = 120) -> tuple[int, list[tuple[str, str]], bytes]:
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "::1", "localhost"):
        raise SystemExit(f"record-opensid: refusing a non-loopback URL: {url}")
    req = urllib.request.Request(url, headers={"User-Agent": "ppid-auditor-recorder/1 (+loopback fixture)"})
    try:
        with _OPENER.open(req, timeout=timeout) as r:
            return r.status, list(r.headers.items()), r.read()
    except urllib.error.HTTPError as e:
        return e.code, list(e.headers.items()), e.read()


def pdf_bytes(title: str) -> bytes:
    """A minimal valid one-page PDF whose only text is `title` (ASCII)."""
    text = re.sub(r"[()\\]", "", title.encode("ascii", "replace").decode())
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def sql(sock: Path, statement: str) -> str:
    proc = subprocess.run(["mariadb", "--no-defaults", "-S", str(sock), "-u", "root", "-N", "-B", "opensid",
                           "-e", statement], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise SystemExit(f"record-opensid: SQL failed: {proc.stderr.strip()}")
    return proc.stdout


def clear_caches(web: Path) -> None:
    for d in (web / "desa" / "cache", web / "storage" / "framework" / "cache" / "data",
              web / "storage" / "framework" / "views"):
        if d.is_dir():
            for f in d.rglob("*"):
                if f.is_file() and f.name not in ("index.html", ".htaccess", ".gitignore"):
                    f.unlink()


def has_theme_table(sock: Path) -> bool:
    return bool(sql(sock, "SHOW TABLES LIKE 'theme'").strip())


def switch_theme(sock: Path, web: Path, theme: str) -> None:
    # Up to 2410.0.0 the theme is setting_aplikasi.web_theme; later releases keep a `theme` table.
    if has_theme_table(sock):
        sql(sock, f"UPDATE theme SET status = (slug = '{theme}')")
    else:
        sql(sock, f"UPDATE setting_aplikasi SET value = '{theme}' WHERE `key` = 'web_theme'")
    clear_caches(web)


def current_theme(sock: Path) -> str:
    if has_theme_table(sock):
        return sql(sock, "SELECT slug FROM theme WHERE status = 1 LIMIT 1").strip()
    return sql(sock, "SELECT value FROM setting_aplikasi WHERE `key` = 'web_theme'").strip()


def seed_ppid(sock: Path, web: Path) -> None:
    if sql(sock, "SELECT COUNT(*) FROM dokumen WHERE kategori_info_publik IS NOT NULL").strip() not in ("", "0"):
        return
    folder = web / "desa" / "upload" / "dokumen"
    folder.mkdir(parents=True, exist_ok=True)
    for i, (nama, kat, tahun, upload, updated, enabled) in enumerate(PPID_DOCS, 1):
        fname = f"ppid_fixture_{i}.pdf"
        (folder / fname).write_bytes(pdf_bytes(nama))
        sql(sock, "INSERT INTO dokumen (config_id, satuan, nama, enabled, tgl_upload, id_pend, kategori, attr, tipe, "
                  "tahun, kategori_info_publik, updated_at, created_at, deleted) VALUES "
                  f"(1, '{fname}', '{nama}', {enabled}, '{upload}', 0, 1, '[]', 1, {tahun}, {kat}, '{updated}', "
                  f"'{upload}', 0)")
    clear_caches(web)


class Recorder:
    def __init__(self, base: str, out: Path):
        self.base = base
        self.origin = base.rstrip("/")
        self.out = out
        self.entries: list[dict] = []
        self.not_recorded: list[dict] = []
        self.seen: set[tuple[str, str]] = set()
        (out / "bodies").mkdir(parents=True, exist_ok=True)

    def path_of(self, url: str) -> str:
        parts = urlsplit(urljoin(self.base, url))
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def record(self, url: str, *, variant: str = "apache", base: str | None = None, keep=lambda u, s, h, b: True,
               note: str = "") -> tuple[int, list[tuple[str, str]], bytes]:
        path = self.path_of(url)
        status, headers, body = fetch(urljoin(base or self.base, path.lstrip("/")))
        key = (variant, path)
        if key in self.seen:
            return status, headers, body
        self.seen.add(key)
        if not keep(path, status, headers, body):
            self.not_recorded.append({"path": path, "status": status, "bytes": len(body),
                                      "sha256": hashlib.sha256(body).hexdigest(), "why": note or "not needed"})
            return status, headers, body
        n = len(self.entries) + 1
        ext = _ext(headers, path)
        name = f"bodies/{n:03d}{ext}"
        data = body
        if len(body) > STORE_GZIP_OVER:
            name += ".gz"
            data = gzip.compress(body, 9, mtime=0)
        (self.out / name).write_bytes(data)
        self.entries.append({"path": path, "variant": variant, "status": status,
                             "headers": [[k, v] for k, v in headers if k.lower() not in HOP_HEADERS],
                             "body": name, "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                             **({"note": note} if note else {})})
        print(f"  {variant:6} {status} {path} ({len(body)} bytes)", file=sys.stderr)
        return status, headers, body


def _ext(headers: list[tuple[str, str]], path: str) -> str:
    ctype = next((v for k, v in headers if k.lower() == "content-type"), "").split(";")[0].strip().lower()
    by_type = {"text/html": ".html", "application/json": ".json", "text/markdown": ".md", "text/plain": ".txt",
               "application/javascript": ".js", "text/javascript": ".js", "application/pdf": ".pdf",
               "text/css": ".css", "text/xml": ".xml", "application/xml": ".xml"}
    if ctype in by_type:
        return by_type[ctype]
    suffix = Path(urlsplit(path).path).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ".bin"


def same_site_links(base: str, html: str) -> tuple[list[str], list[str]]:
    host = urlsplit(base).netloc
    pages: list[str] = []
    scripts: list[str] = []
    for attr, url in re.findall(r"\b(href|src)\s*=\s*[\"']([^\"'#<>\s]+)", html, re.I):
        full = urljoin(base, url.replace("&amp;", "&"))
        parts = urlsplit(full)
        if parts.netloc != host or parts.scheme != "http":
            continue
        path = parts.path.lower()
        if path.endswith(".js"):
            scripts.append(full)
        elif attr.lower() == "href" and not re.search(r"\.(css|png|jpe?g|gif|ico|svg|webp|woff2?|ttf|pdf|zip)$", path):
            pages.append(full)
    return list(dict.fromkeys(pages)), list(dict.fromkeys(scripts))


def script_keeper(repo):
    """Keep a script when the bundled retire.js data recognises it (URL or content) or OpenSID's own
    anti-CSRF helper (a fingerprint); drop the rest (large map/chart bundles nobody fingerprints)."""
    def keep(url, status, headers, body):
        if status != 200 or len(body) < 16 * 1024:
            return True
        return bool(repo.scan_url(url)) or bool(_recognised(repo, body))
    return keep


def _recognised(repo, body: bytes) -> list:
    return repo.scan_content(body[:MAX_SCRIPT_BYTES].decode("utf-8", "replace"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", required=True, type=Path, help="directory of a running opensid-setup.sh instance")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--url", help="base URL (default: read from the php -S command line)")
    ap.add_argument("--theme", help="switch web_theme through SQL before recording (natra, esensi)")
    ap.add_argument("--seed-ppid", action="store_true", help="add one document per public-information category")
    ap.add_argument("--nginx", action="store_true", help="also record the nginx-style exposures")
    ap.add_argument("--tag", default="", help="git tag or branch the tarball was made from")
    ap.add_argument("--commit", default="", help="commit id the tarball was made from")
    args = ap.parse_args(argv)

    from checks.software.data import BUNDLED_DIR, load_data

    web = args.dir / "web"
    sock = args.dir / "run" / "mysqld.sock"
    helper = (web / "donjo-app/helpers/opensid_helper.php").read_text(encoding="utf-8", errors="replace")
    m = re.search(r"define\('VERSION',\s*'([^']+)'\)", helper)
    release = m.group(1) if m else "unknown"
    url = args.url or _url_from_pid(args.dir)
    if args.theme:
        switch_theme(sock, web, args.theme)
    if args.seed_ppid:
        seed_ppid(sock, web)
    theme = current_theme(sock)
    repo = load_data(BUNDLED_DIR.parent / "no-user-data").jsrepo

    out = args.out
    if (out / "bodies").is_dir():
        for f in (out / "bodies").iterdir():
            f.unlink()
    rec = Recorder(url, out)
    print(f"record-opensid: OpenSID {release}, theme {theme}, {url}", file=sys.stderr)
    _, _, home = rec.record("/")
    pages, scripts = same_site_links(url, home.decode("utf-8", "replace"))
    for path in ("/siteman", "/index.php/siteman", "/catatan_rilis.md", "/robots.txt", "/sitemap.xml",
                 "/ppid", "/ppid?tgl_dari=01-06-2026", "/index.php/ppid", "/desa/app_key",
                 "/desa/config/database.php", "/ppid-audit-not-found.php", "/ppid-audit-not-found/"):
        rec.record(path)
    for page in [p for p in pages if rec.path_of(p) not in ("/", "/siteman")][:MAX_CONTENT_PAGES]:
        rec.record(page)
    # /ppid's own document links (dokumen_web/unduh_berkas/ID): what "publicly downloadable" is judged on.
    ppid = json.loads(next((out / e["body"]).read_bytes() for e in rec.entries if e["path"] == "/ppid"))
    doc_paths = [rec.path_of(d["dokumen"]) for d in (ppid.get("data") or {}).get("ppid") or []]
    for path in doc_paths:
        rec.record(path)
    _, _, siteman = fetch(urljoin(url, "siteman"))
    scripts += same_site_links(url, siteman.decode("utf-8", "replace"))[1]
    keep = script_keeper(repo)
    for script in dict.fromkeys(scripts):
        rec.record(script, keep=keep, note="script the bundled data does not recognise")

    nginx_url = None
    if args.nginx:
        proc = subprocess.run([str(REPO / "scripts/opensid-setup.sh"), "serve", str(args.dir)], capture_output=True,
                              text=True, timeout=60, env={**_env(), "MODE": "nginx"})
        if proc.returncode != 0:
            raise SystemExit(f"record-opensid: nginx-style front end did not start: {proc.stderr.strip()}")
        info = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
        nginx_url = info["URL"]
        try:
            for path in ("/desa/app_key", "/desa/config/database.php", "/desa/upload/dokumen/ppid_fixture_4.pdf",
                         "/desa/upload/dokumen/"):
                rec.record(path, variant="nginx", base=nginx_url)
        finally:
            pid = Path(info["PHP_PID_FILE"]).read_text().strip()
            subprocess.run(["kill", pid], check=False)
    manifest = {
        "product": "OpenSID", "release": release, "tag": args.tag, "commit": args.commit, "theme": theme,
        "recorded": datetime.now(UTC).date().isoformat(), "recorded_by": "scripts/record-opensid.py",
        "origin": rec.origin, "nginx_origin": nginx_url.rstrip("/") if nginx_url else None,
        "server": "php -S with scripts/opensid-setup.sh's router (apache-style: htaccess deny rules applied; "
                  "nginx-style entries: desa/ served as stored)",
        "php": subprocess.run(["php", "-r", "echo PHP_VERSION;"], capture_output=True, text=True).stdout,
        "seeded_ppid": bool(args.seed_ppid),
        "entries": rec.entries, "not_recorded": rec.not_recorded,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"record-opensid: {len(rec.entries)} responses in {out}", file=sys.stderr)
    return 0


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


def _url_from_pid(dir_: Path) -> str:
    pid = (dir_ / "run" / "php.pid").read_text().strip()
    cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    addr = next(cmd[i + 1].decode() for i, a in enumerate(cmd) if a == b"-S")
    return f"http://{addr}/"


if __name__ == "__main__":
    raise SystemExit(main())
