"""Pre-publish gate with two real loopback sites: production and a staged copy that adds an outdated JS
library, removes a security header, uploads a document with NIKs, and fixes one old problem."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from auditor.cli import main
from auditor.demo.fakedata import make_people
from auditor.store import Store
from tests.servers import serve

SECURE = [("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"),
          ("Strict-Transport-Security", "max-age=31536000"), ("X-Frame-Options", "DENY"),
          ("Referrer-Policy", "no-referrer")]
TYPES = {".html": "text/html; charset=utf-8", ".js": "application/javascript",
         ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".txt": "text/plain"}


def page(title: str, body: str, head: str = "") -> str:
    return (f"<!DOCTYPE html><html lang='id'><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
            f"<body><nav><a href='/'>Beranda</a> <a href='/profil.html'>Profil</a> "
            f"<a href='/berita.html'>Berita</a></nav>{body}</body></html>")


def build_production(root: Path) -> None:
    root.mkdir(parents=True)
    (root / "index.html").write_text(page("PPID Kalurahan Contoh", "<h1>Beranda</h1>"
                                          "<a href='/dokumen/apbdes-lama.pdf'>APBDes lama</a>"))
    (root / "profil.html").write_text(page("Profil", "<p>Profil kalurahan.</p>"))
    (root / "berita.html").write_text(page("Berita", "<p>Musyawarah kalurahan.</p>"))
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")


def build_staging(prod: Path, root: Path) -> None:
    shutil.copytree(prod, root)
    # fixes one old problem: the broken link to the missing APBDes PDF is gone
    (root / "index.html").write_text(page(
        "PPID Kalurahan Contoh", "<h1>Beranda</h1><a href='/dokumen/penerima-blt.xlsx'>Penerima BLT</a>",
        head="<script src='/js/jquery-1.12.4.min.js'></script>"))
    # adds an outdated JS library
    (root / "js").mkdir()
    (root / "js" / "jquery-1.12.4.min.js").write_text(
        "/*! jQuery v1.12.4 | (c) jQuery Foundation | jquery.org/license */\n!function(a){a.jQuery={}}(window);\n")
    # uploads a document with NIKs
    (root / "dokumen").mkdir()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["No", "Nama", "NIK", "Alamat"])
    for i, person in enumerate(make_people(40), start=1):
        ws.append([i, person.name, person.nik, person.padukuhan])
    buf = io.BytesIO()
    wb.save(buf)
    (root / "dokumen" / "penerima-blt.xlsx").write_bytes(buf.getvalue())


def static_routes(root: Path, extra_headers: list[tuple[str, str]]):
    def handler(h):
        path = h.path.split("?")[0]
        target = root / (path.lstrip("/") or "index.html")
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file() or ".." in path:
            return 404, [("Content-Type", "text/html")] + extra_headers, "<html><body>Tidak ditemukan</body></html>"
        ctype = TYPES.get(target.suffix, "application/octet-stream")
        return 200, [("Content-Type", ctype)] + extra_headers, target.read_bytes()
    return handler


def write_config(tmp_path: Path, prod_url: str, staging: str) -> Path:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        f"sites:\n  - name: contoh\n    url: {prod_url}\n    {staging}\n"
        "crawl:\n  max_pages: 30\n  timeout_s: 5\n"
        "checks:\n  enabled: [links, headers, software, personal_data]\n"
        f"storage:\n  database: {tmp_path / 'db.sqlite'}\n"
        f"reports:\n  output_dir: {tmp_path / 'out'}\n  organisation: PPID Kalurahan Contoh\n")
    return cfg


@pytest.fixture()
def sites(tmp_path: Path):
    prod, stage = tmp_path / "prod", tmp_path / "stage"
    build_production(prod)
    build_staging(prod, stage)
    return prod, stage


def test_gate_reports_exactly_the_change(tmp_path: Path, sites, capsys: pytest.CaptureFixture[str]) -> None:
    prod, stage = sites
    with serve({}, default=static_routes(prod, SECURE + [("X-Content-Type-Options", "nosniff")])) as p_srv, \
         serve({}, default=static_routes(stage, SECURE)) as s_srv:
        cfg = write_config(tmp_path, p_srv.url, f"staging_url: {s_srv.url}")
        assert main(["scan", "--config", str(cfg), "--quiet"]) == 0
        rc = main(["gate", "--config", str(cfg)])
    out = capsys.readouterr().out
    assert rc == 1, out
    store = Store(tmp_path / "db.sqlite")
    gate = store.gates(site="contoh")[-1]
    introduced = sorted(f["rule"] for f in gate["summary"]["introduced"])
    fixed = sorted(f["rule"] for f in gate["summary"]["fixed"])
    assert introduced == ["headers.xcto.missing", "pii.nik", "software.js.vulnerable"]
    assert fixed == ["content.link.broken"]
    assert gate["summary"]["pages_added"] == ["/dokumen/penerima-blt.xlsx", "/js/jquery-1.12.4.min.js"]
    assert gate["passed"] is False
    assert "TIDAK LULUS" in out
    # the staged run is stored but is not a production run: the lifecycle and `runs` stay production's
    assert [r.kind for r in store.runs(site="contoh", kind=None)] == ["scan", "staging"]
    assert all(i.rule != "pii.nik" for i in store.issues(site="contoh"))
    # no NIK in full anywhere in the gate record
    nik = make_people(40)[0].nik
    assert nik not in str(gate)
    pdfs = [Path(f) for f in gate["files"] if f.endswith(".pdf")]
    if pdfs:  # the Berita Acara (rendered by reports.render.write_gate_report)
        text = "".join(p.extract_text() for p in PdfReader(pdfs[0]).pages)
        assert "Berita Acara" in text and "TIDAK LULUS" in text and nik not in text


def test_identical_copy_passes(tmp_path: Path, sites, capsys: pytest.CaptureFixture[str]) -> None:
    prod, _ = sites
    twin = tmp_path / "twin"
    shutil.copytree(prod, twin)
    with serve({}, default=static_routes(prod, SECURE)) as p_srv, \
         serve({}, default=static_routes(twin, SECURE)) as s_srv:
        cfg = write_config(tmp_path, p_srv.url, f"staging_url: {s_srv.url}")
        assert main(["scan", "--config", str(cfg), "--quiet"]) == 0
        assert main(["gate", "--config", str(cfg), "--quiet", "--no-report"]) == 0
    gate = Store(tmp_path / "db.sqlite").gates(site="contoh")[-1]
    assert gate["summary"]["introduced"] == [] and gate["summary"]["fixed"] == []
    assert gate["summary"]["unchanged"] > 0 and gate["passed"] is True


def test_staging_path_and_basic_auth(tmp_path: Path, sites, monkeypatch: pytest.MonkeyPatch) -> None:
    prod, stage = sites
    with serve({}, default=static_routes(prod, SECURE)) as p_srv:
        cfg = write_config(tmp_path, p_srv.url, f"staging_path: {stage}")
        assert main(["scan", "--config", str(cfg), "--quiet"]) == 0
        assert main(["gate", "--config", str(cfg), "--quiet", "--no-report", "--fail-on", "critical"]) in (0, 1)
    gate = Store(tmp_path / "db.sqlite").gates(site="contoh")[-1]
    assert gate["staging_url"].startswith("http://127.0.0.1:")
    assert "software.js.vulnerable" in {f["rule"] for f in gate["summary"]["introduced"]}

    def needs_auth(h):
        if h.headers.get("Authorization") != "Basic b3BlcmF0b3I6cmFoYXNpYQ==":  # operator:rahasia
            return 401, [("WWW-Authenticate", 'Basic realm="staging"')], "auth"
        return static_routes(stage, SECURE)(h)

    with serve({}, default=static_routes(prod, SECURE)) as p_srv, serve({}, default=needs_auth) as s_srv:
        cfg = write_config(tmp_path, p_srv.url, f"staging_url: {s_srv.url}\n    staging_auth_env: STAGING_AUTH")
        assert main(["scan", "--config", str(cfg), "--quiet"]) == 0
        assert main(["gate", "--config", str(cfg), "--quiet", "--no-report"]) == 2  # env var not set
        monkeypatch.setenv("STAGING_AUTH", "operator:rahasia")
        assert main(["gate", "--config", str(cfg), "--quiet", "--no-report"]) == 1
    gate = Store(tmp_path / "db.sqlite").gates(site="contoh")[-1]
    assert "pii.nik" in {f["rule"] for f in gate["summary"]["introduced"]}


def test_gate_without_production_run_is_a_clear_error(tmp_path: Path, sites,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path, "http://127.0.0.1:9/", "staging_url: http://127.0.0.1:9/")
    assert main(["gate", "--config", str(cfg)]) == 2
    assert "no complete production run" in capsys.readouterr().err
