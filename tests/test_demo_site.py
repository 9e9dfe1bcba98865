"""The bundled demo site: well-formed, carrying its deliberate problems, served over HTTP and HTTPS."""

from __future__ import annotations

import csv
import email.utils
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
import yaml
from bs4 import BeautifulSoup
from openpyxl import load_workbook
from pypdf import PdfReader

from auditor.config import load_config
from auditor.demo import DemoServer, build_site, demo_daftar, packaged_daftar, write_demo_config
from auditor.demo.documents import plan_documents
from auditor.demo.fakedata import BULAN, REGION_CODES
from auditor.demo.site import BROKEN_LINK
from checks.base import discover_checks
from tests.servers import REPO, need_peer

TODAY = date.today()
IDN_DISTRICTS = REPO / "tools" / "node" / "node_modules" / "idn-area-data" / "data" / "districts.csv"
INDONESIAN_DATE = re.compile(rf"\b(\d{{1,2}}) ({'|'.join(BULAN)}) (\d{{4}})\b")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "site"
    build_site(root, TODAY)
    return root


@pytest.fixture(scope="module")
def server(site, tmp_path_factory):
    with DemoServer(site, cert_dir=tmp_path_factory.mktemp("certs")) as srv:
        yield srv


def _html_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".html", ".php"))


def _url_of(root: Path, path: Path) -> str:
    rel = path.relative_to(root).as_posix()
    return "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


def _links(html: str) -> list[str]:
    soup = BeautifulSoup(html, "lxml")
    out = []
    for tag, attr in (("a", "href"), ("link", "href"), ("script", "src"), ("img", "src"), ("form", "action")):
        out += [el[attr] for el in soup.find_all(tag) if el.get(attr)]
    return out


def _get(srv: DemoServer, path: str, scheme: str = "https", **kw) -> requests.Response:
    base = srv.https_url if scheme == "https" else srv.http_url
    return requests.get(urljoin(base, path), verify=str(srv.ca_file), timeout=10, allow_redirects=False, **kw)


def _visible_text(root: Path) -> str:
    parts = [BeautifulSoup(p.read_text("utf-8"), "lxml").get_text(" ") for p in _html_files(root)]
    for pdf in root.rglob("*.pdf"):
        parts += [page.extract_text() or "" for page in PdfReader(pdf).pages]
    return " ".join(" ".join(parts).split())


# -- the generated site ---------------------------------------------------------------------------------

def test_size_is_small_but_realistic(site):
    pages = _html_files(site)
    docs = [p for p in site.rglob("*") if p.suffix in (".pdf", ".xlsx")]
    assert 15 <= len(pages) <= 30, len(pages)
    assert 6 <= len(docs) <= 10, len(docs)
    assert sum(p.stat().st_size for p in site.rglob("*") if p.is_file()) < 1_000_000


def test_every_internal_link_resolves_except_the_deliberate_one(site, server):
    checked: dict[str, int] = {}
    for page in _html_files(site):
        base = urljoin(server.https_url, _url_of(site, page).lstrip("/"))
        for link in _links(page.read_text("utf-8")):
            url = urljoin(base, link)
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or parts.netloc != urlsplit(server.https_url).netloc:
                continue
            if parts.path not in checked:
                checked[parts.path] = _get(server, parts.path).status_code
    broken = {path for path, status in checked.items() if status >= 400}
    assert broken == {BROKEN_LINK}
    assert len(checked) > 30  # pages, documents and assets were all followed


def test_every_page_is_reachable_from_the_home_page(site):
    by_url = {_url_of(site, p): p for p in _html_files(site)}
    seen, todo = {"/"}, ["/"]
    while todo:
        page = by_url.get(todo.pop())
        if page is None:
            continue
        for link in _links(page.read_text("utf-8")):
            path = urlsplit(urljoin("https://x/", link)).path
            if path in by_url and path not in seen:
                seen.add(path)
                todo.append(path)
    assert set(by_url) - seen == {"/wp-login.php"}  # the admin login is found by probing, not by links


def test_pages_carry_the_deliberate_software_markers(site):
    pages = _html_files(site)
    generator = [p for p in pages if 'name="generator" content="WordPress 5.8.1"' in p.read_text("utf-8")]
    assert len(generator) >= len(pages) - 1
    home = (site / "index.html").read_text("utf-8")
    assert "?ver=5.8.1" in home
    assert "/js/jquery-1.12.4.min.js" in home
    jquery = (site / "js" / "jquery-1.12.4.min.js").read_text("utf-8")
    assert jquery.startswith("/*! jQuery v1.12.4 | (c) jQuery Foundation | jquery.org/license */")
    assert len(jquery) < 1000  # a banner over a stub, not the library


def test_news_carries_indonesian_dates_and_modified_meta(site):
    texts = [p.read_text("utf-8") for p in _html_files(site)]
    updated = [m for t in texts for m in re.findall(rf"Diperbarui {INDONESIAN_DATE.pattern}", t)]
    assert len(updated) >= 5
    weekday = re.compile(rf"(Senin|Selasa|Rabu|Kamis|Jumat|Sabtu|Minggu), {INDONESIAN_DATE.pattern}")
    assert sum(bool(weekday.search(t)) for t in texts) >= 6
    modified = [re.search(r'property="article:modified_time" content="([^"]+)"', t) for t in texts]
    stamps = [datetime.fromisoformat(m.group(1)).date() for m in modified if m]
    assert 2 <= len(stamps) < len(texts)  # on some pages, not all
    assert all(s <= TODAY for s in stamps)


@pytest.mark.parametrize("today", [TODAY, date(2031, 2, 14), date(2024, 12, 31)])
def test_dates_are_relative_to_today(tmp_path, today):
    build_site(tmp_path, today)
    dated = []
    for page in _html_files(tmp_path):
        for d, m, y in INDONESIAN_DATE.findall(page.read_text("utf-8")):
            dated.append(date(int(y), BULAN.index(m) + 1, int(d)))
    assert max(d for d in dated if d <= today) >= today - timedelta(days=7)  # the site looks alive
    assert any(today - d > timedelta(days=365) for d in dated)  # and has a stale news item
    docs = plan_documents(today)
    assert today - docs["lkpj"].when > timedelta(days=365)  # the stale approved item
    for doc in docs.values():
        path = tmp_path / doc.path.lstrip("/")
        assert date.fromtimestamp(path.stat().st_mtime) in (doc.when, doc.when - timedelta(days=1))


def test_approved_list_has_a_stale_and_a_missing_item(site):
    daftar = demo_daftar("https://localhost:1/", TODAY)
    assert 8 <= len(daftar["items"]) <= 14
    assert (TODAY - daftar["approved_on"]).days > 92  # older than 3 months: content.list.expired
    text = _visible_text(site).lower()
    by_match = [i for i in packaged_daftar()["items"] if i.get("match")]  # before URLs are filled in
    assert len(by_match) >= 5
    missing = [i["id"] for i in by_match if i["match"].lower() not in text]
    assert missing == ["rkpkal"]
    lkpj = next(i for i in daftar["items"] if i["id"] == "lkpj")
    doc = site / urlsplit(lkpj["url"]).path.lstrip("/")
    assert doc.is_file() and (TODAY - date.fromtimestamp(doc.stat().st_mtime)).days > 365
    dip = (site / "informasi-publik" / "daftar-informasi-publik" / "index.html").read_text("utf-8")
    rows = BeautifulSoup(dip, "lxml").select("table.daftar-informasi-publik tbody tr")
    assert len(rows) >= 8


def test_packaged_list_loads_with_the_content_check_model():
    from checks.content.daftar import load_daftar

    packaged = load_daftar(REPO / "auditor" / "demo" / "daftar.yaml")
    assert {i.category for i in packaged.items} <= {"berkala", "serta_merta", "setiap_saat", "dikecualikan"}


def _nik_birth(nik: str) -> date | None:
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    day = day - 40 if day > 40 else day
    for century in (1900, 2000):
        try:
            born = date(century + yy, month, day)
        except ValueError:
            return None
        if born <= TODAY and TODAY.year - born.year < 110:
            return born
    return None


def _blt_rows(site: Path) -> list[dict[str, str]]:
    path = next(site.rglob("data-penerima-blt-dd-*.xlsx"))
    ws = load_workbook(path, read_only=True).active
    rows = [[("" if c is None else str(c)) for c in r] for r in ws.iter_rows(values_only=True)]
    header_at = next(i for i, r in enumerate(rows) if "NIK" in r)
    header = rows[header_at]
    return [dict(zip(header, r, strict=False)) for r in rows[header_at + 1:] if any(r)]


def test_blt_xlsx_carries_well_formed_niks_and_phones(site):
    rows = _blt_rows(site)
    assert len(rows) >= 20
    sexes = set()
    for row in rows:
        nik = row["NIK"]
        assert re.fullmatch(r"\d{16}", nik), nik
        assert nik[:6] in REGION_CODES and nik[:4] == "3403"  # DIY, Kabupaten Gunungkidul
        assert _nik_birth(nik) is not None, nik
        assert nik[12:] != "0000"
        sexes.add("P" if int(nik[6:8]) > 40 else "L")
        assert (row["Jenis Kelamin"] == "P") == (int(nik[6:8]) > 40)
        phone = row["No. HP"]
        assert re.fullmatch(r"08(1[1-9]|2[1-3]|3[1-3,8]|5[2-9]|7[7-8]|8[1-9]|9[5-9])\d{7,8}", phone), phone
        assert re.search(r"\b(Contoh|Fiktif|Rekaan|Khayalan)\b", row["Nama Penerima"])  # obviously fictional
    assert sexes == {"L", "P"}
    assert len({r["NIK"] for r in rows}) == len(rows)


def test_nik_region_codes_exist_in_the_official_table(site):
    path = need_peer("idn-area-data", str(IDN_DISTRICTS))
    with open(path, newline="", encoding="utf-8") as fh:
        districts = {row["code"].replace(".", ""): row["name"] for row in csv.DictReader(fh)}
    for code, name in REGION_CODES.items():
        assert districts.get(code) == name
    assert all(r["NIK"][:6] in districts for r in _blt_rows(site))


def test_clean_pdfs_have_text_dates_and_no_personal_numbers(site):
    docs = plan_documents(TODAY)
    for key in ("apbdes", "perdes", "realisasi", "lkpj", "layanan", "sop", "maklumat"):
        reader = PdfReader(site / docs[key].path.lstrip("/"))
        text = "".join(p.extract_text() or "" for p in reader.pages)
        assert "KALURAHAN KATONGAN" in text
        assert not re.search(r"\d{16}|\b08\d{8,11}\b", text.replace(".", ""))
        assert reader.metadata.modification_date.date() == docs[key].when


def test_scanned_letter_has_an_image_and_no_text_layer(site):
    doc = plan_documents(TODAY)["undangan"]
    reader = PdfReader(site / doc.path.lstrip("/"))
    assert len(reader.pages) == 1
    assert not (reader.pages[0].extract_text() or "").strip()
    assert len(reader.pages[0].images) == 1


# -- the server -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", ["http", "https"])
def test_server_sends_the_deliberate_headers(server, scheme):
    resp = _get(server, "/", scheme)
    assert resp.status_code == 200  # HTTP does not redirect to HTTPS
    assert "Kalurahan Katongan" in resp.text
    h = resp.headers
    assert h["Server"] == "Apache/2.4.29 (Ubuntu)"
    assert h["X-Powered-By"] == "PHP/7.2.24"
    for absent in ("Strict-Transport-Security", "Content-Security-Policy", "X-Frame-Options"):
        assert absent not in h
    cookie = h["Set-Cookie"]
    assert cookie.startswith("PHPSESSID=")
    assert "secure" not in cookie.lower() and "httponly" not in cookie.lower()


def test_head_404_and_redirects(server):
    head = requests.head(server.http_url + "profil/", timeout=10)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["Content-Length"]) == len(_get(server, "/profil/", "http").content)
    missing = _get(server, BROKEN_LINK)
    assert missing.status_code == 404 and "tidak ditemukan" in missing.text
    assert _get(server, "/profil").headers["Location"] == "/profil/"
    assert _get(server, "/../../etc/passwd").status_code == 404
    assert _get(server, "/%2e%2e/%2e%2e/etc/passwd").status_code == 404
    assert _get(server, "/" + "a" * 5000).status_code == 404  # longer than any file name: still answered


def test_conditional_get_answers_304(server):
    first = _get(server, "/berita/")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert email.utils.parsedate_to_datetime(modified).date() <= TODAY
    by_etag = _get(server, "/berita/", headers={"If-None-Match": etag})
    assert by_etag.status_code == 304 and by_etag.content == b""
    by_date = _get(server, "/berita/", headers={"If-Modified-Since": modified})
    assert by_date.status_code == 304
    stale = _get(server, "/berita/", headers={"If-None-Match": '"0-0"'})
    assert stale.status_code == 200 and stale.content == first.content


def test_admin_login_exposed_and_uploads_listed(server):
    login = _get(server, "/wp-login.php")
    assert login.status_code == 200 and 'id="loginform"' in login.text
    admin = _get(server, "/wp-admin/")
    assert admin.status_code == 302 and "wp-login.php" in admin.headers["Location"]
    listing = _get(server, "/wp-content/uploads/")
    assert listing.status_code == 200 and "Index of /wp-content/uploads/" in listing.text


def test_sitemap_and_robots_use_the_served_base_url(server):
    robots = _get(server, "/robots.txt").text
    assert f"Sitemap: {server.https_url}sitemap.xml" in robots
    sitemap = _get(server, "/sitemap.xml")
    assert sitemap.headers["Content-Type"].startswith("application/xml")
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap.text)
    assert len(locs) >= 15
    assert all(loc.startswith(server.https_url) for loc in locs)
    assert all(_get(server, urlsplit(loc).path).status_code == 200 for loc in locs[:5])
    http_robots = _get(server, "/robots.txt", "http").text  # each port names its own base URL
    assert f"Sitemap: {server.http_url}sitemap.xml" in http_robots


def test_https_certificate_verifies_against_the_demo_ca_for_localhost(server):
    ctx = ssl.create_default_context(cafile=str(server.ca_file))
    with socket.create_connection(("127.0.0.1", server.https_port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            cert = tls.getpeercert()
    assert ("DNS", "localhost") in cert["subjectAltName"]
    untrusted = ssl.create_default_context()  # the system trust store does not know the demo CA
    with socket.create_connection(("127.0.0.1", server.https_port), timeout=10) as raw:
        with pytest.raises(ssl.SSLCertVerificationError):
            untrusted.wrap_socket(raw, server_hostname="localhost")
    # The server keeps serving after a failed handshake.
    assert _get(server, "/kontak/").status_code == 200


# -- the demo config ------------------------------------------------------------------------------------

def test_demo_config_is_valid_and_fits_installed_checks(server, tmp_path):
    path = write_demo_config(tmp_path / "out", server)
    cfg = load_config(path)
    site = cfg.sites[0]
    assert site.name == "katongan" and site.url == server.https_url
    assert urlsplit(site.url).hostname == "localhost"
    assert Path(cfg.reports.output_dir) == (tmp_path / "out").resolve()
    assert Path(cfg.database_path).parent == (tmp_path / "out").resolve()
    daftar = yaml.safe_load(Path(site.approved_content).read_text("utf-8"))
    assert daftar["approved_on"] == TODAY - timedelta(days=100)
    assert all(i["url"].startswith(server.https_url) for i in daftar["items"] if i.get("url"))
    raw = yaml.safe_load(path.read_text("utf-8"))
    tls = discover_checks().get("tls")
    accepts_ca = bool(tls and tls.cls and "ca_file" in tls.cls.config_model.model_fields)
    assert ("ca_file" in raw["checks"].get("tls", {})) == accepts_ca
    if accepts_ca:
        assert Path(raw["checks"]["tls"]["ca_file"]).read_bytes() == server.ca_file.read_bytes()
    for name in raw["checks"]:
        assert name in discover_checks()


def test_root_example_config_is_valid():
    cfg = load_config(REPO / "config.yaml")
    assert cfg.sites[0].url == "https://localhost:18443/"
    raw = yaml.safe_load((REPO / "config.yaml").read_text("utf-8"))
    assert set(raw) == {"sites", "crawl", "checks", "storage", "reports", "schedule"}


# -- the command ----------------------------------------------------------------------------------------

def test_demo_command_serves_until_interrupted(tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "auditor", "demo", "--serve", "--out", str(out),
                             "--port-http", "0", "--port-https", "0"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            line = proc.stdout.readline()
            match = re.search(r"(https://localhost:\d+/)", line)
            url = match.group(1) if match else None
        assert url, proc.stderr.read() if proc.poll() is not None else "no URL printed"
        resp = requests.get(url + "pengumuman/", verify=str(out / "demo-ca.crt"), timeout=10)
        assert resp.status_code == 200 and "Pengumuman" in resp.text
        assert load_config(out / "config.yaml").sites[0].url == url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            rc = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
    assert rc == 0


def test_demo_command_rejects_a_busy_port(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        res = subprocess.run([sys.executable, "-m", "auditor", "demo", "--serve", "--out", str(tmp_path),
                              "--port-http", str(port), "--port-https", "0"], capture_output=True, text=True,
                             timeout=60, stdin=subprocess.DEVNULL)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and str(port) in res.stderr



@pytest.mark.slow
def test_full_demo_prints_no_warnings(tmp_path):
    """`make demo` (`ppid-audit demo`): the whole audit and both reports, and not one warning on the console."""
    res = subprocess.run([sys.executable, "-m", "auditor", "demo", "--out", str(tmp_path / "out"),
                          "--port-http", "0", "--port-https", "0"], capture_output=True, text=True,
                         timeout=600, stdin=subprocess.DEVNULL, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "WARNING" not in res.stderr and "Warning" not in res.stderr, res.stderr[-2000:]
    assert (tmp_path / "out" / "index.html").is_file()
    assert list((tmp_path / "out").glob("laporan-bulanan-*.pdf"))
