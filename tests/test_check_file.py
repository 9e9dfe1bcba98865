"""`ppid-audit check-file`: offline check of files before upload, through the real CLI."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.redact import keyed_hash
from tests.test_personal_data_formats import make_csv, make_image_pdf, make_pdf, make_xlsx, people

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("PPID_AUDIT_CONFIG", raising=False)

    def no_network(*a, **k):
        raise AssertionError("check-file must not use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)


def cli(*args: str, capsys) -> tuple[int, str, str]:
    rc = main(["check-file", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_clean_file_exits_zero(tmp_path, capsys):
    (tmp_path / "pengumuman.txt").write_text("Rapat desa hari Senin pukul 09.00 di balai desa.\n")
    rc, out, _ = cli("pengumuman.txt", capsys=capsys)
    assert rc == 0 and "1 berkas diperiksa, 0 temuan" in out


def test_personal_data_exits_one_with_masked_table(tmp_path, capsys):
    ppl = people(12, seed=21)
    (tmp_path / "blt.xlsx").write_bytes(make_xlsx(ppl))
    rc, out, _ = cli("blt.xlsx", "--json", "hasil.json", capsys=capsys)
    assert rc == 1
    assert "Berkas" in out and "Jumlah" in out and "NIK warga terpublikasi" in out
    assert "kritis" in out or "tinggi" in out
    doc = json.loads((tmp_path / "hasil.json").read_text())
    assert set(doc) == {"tool", "run", "checks", "findings"}
    rules = {f["rule"]: f for f in doc["findings"]}
    assert rules["pii.nik"]["data"]["count"] == 12 and rules["pii.kk"]["data"]["count"] == 12
    assert {"check", "rule", "severity", "title", "url", "evidence", "remediation", "references",
            "fingerprint"} <= set(rules["pii.nik"])
    blob = out + (tmp_path / "hasil.json").read_text()
    for _n, nik, kk, hp in ppl:
        assert nik not in blob and kk not in blob and hp not in blob
    assert ppl[0][1][:4] + "*" * 10 + ppl[0][1][-2:] in blob or "**********" in blob


def test_english_table(tmp_path, capsys):
    (tmp_path / "a.csv").write_bytes(make_csv(people(2, seed=22)))
    rc, out, _ = cli("a.csv", "--lang", "en", capsys=capsys)
    assert rc == 1 and "File" in out and "National ID numbers" in out and "file(s) checked" in out


@pytest.mark.parametrize("name,data,why", [
    ("rusak.pdf", b"%PDF-1.4\n1 0 obj << /Type", "rusak"),
    ("kosong.xlsx", b"PK\x03\x04" + bytes(100), "rusak"),
    ("program.exe", b"MZ\x90\x00" + bytes(500), "tidak didukung"),
])
def test_unreadable_file_exits_two_naming_it(tmp_path, capsys, name, data, why):
    (tmp_path / name).write_bytes(data)
    (tmp_path / "baik.csv").write_bytes(make_csv(people(1, seed=23)))
    rc, out, err = cli(name, "baik.csv", capsys=capsys)
    assert rc == 2
    assert name in err and why in err and err.count("\n") == 1  # one line, no traceback
    assert "NIK" in out  # the readable file was still checked and shown


def test_encrypted_pdf_exits_two(tmp_path, capsys):
    import io

    from pypdf import PdfReader, PdfWriter

    w = PdfWriter()
    for page in PdfReader(io.BytesIO(make_pdf(people(2, seed=24), pages=1))).pages:
        w.add_page(page)
    w.encrypt(user_password="rahasia", algorithm="AES-128")
    with (tmp_path / "kunci.pdf").open("wb") as fh:
        w.write(fh)
    rc, _, err = cli("kunci.pdf", capsys=capsys)
    assert rc == 2 and "kunci.pdf" in err and "terenkripsi" in err


def test_missing_file_exits_two(capsys):
    rc, _, err = cli("tidak-ada.pdf", capsys=capsys)
    assert rc == 2 and "tidak-ada.pdf" in err


def test_image_only_pdf_needs_manual_review(tmp_path, capsys):
    (tmp_path / "scan.pdf").write_bytes(make_image_pdf())
    rc, out, _ = cli("scan.pdf", capsys=capsys)
    assert rc == 1 and "manual" in out


def test_directory_and_allowlist_and_store_key(tmp_path, capsys):
    from auditor.store import Store

    ppl = people(3, seed=25)
    folder = tmp_path / "unggah"
    folder.mkdir()
    office = ppl[0][3]
    (folder / "kontak.txt").write_text(f"Kantor desa: HP {office}\nPak RT: HP {ppl[1][3]}\n")
    (folder / "foto.bmp").write_bytes(b"BM" + bytes(100))  # not a document: skipped (JPG/PNG/WebP/TIFF are read by OCR)
    (tmp_path / "config.yaml").write_text(
        "sites:\n  - name: desa\n    url: https://desa.example/\n"
        f"    contact_allowlist: ['{office[:4]}-{office[4:8]}-{office[8:]}']\n"
        "storage:\n  database: var/audit.sqlite\n")
    store = Store(tmp_path / "var/audit.sqlite")
    key = store.secret_key
    store.close()
    rc, out, _ = cli("unggah", "--json", "h.json", capsys=capsys)
    assert rc == 1
    phones = [f for f in json.loads((tmp_path / "h.json").read_text())["findings"] if f["rule"] == "pii.phone"]
    assert len(phones) == 1 and phones[0]["data"]["count"] == 1  # the office number is allowlisted
    assert phones[0]["data"]["value_hashes"] == [keyed_hash(key, ppl[1][3])]


def test_machine_key_file_without_config(tmp_path, capsys):
    (tmp_path / "a.txt").write_text(f"NIK {people(1, seed=26)[0][1]}\n")
    cli("a.txt", "--json", "1.json", capsys=capsys)
    cli("a.txt", "--json", "2.json", capsys=capsys)
    keyfile = tmp_path / "xdg/ppid-auditor/check-file.key"
    assert keyfile.is_file() and stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    h1 = json.loads((tmp_path / "1.json").read_text())["findings"][0]["data"]["value_hashes"]
    h2 = json.loads((tmp_path / "2.json").read_text())["findings"][0]["data"]["value_hashes"]
    assert h1 == h2 and h1 == [keyed_hash(keyfile.read_bytes()[:32], people(1, seed=26)[0][1])]


def test_broken_config_is_a_config_error(tmp_path, capsys):
    (tmp_path / "config.yaml").write_text("sites: [ {name: desa, url: ftp://x} ]\n")
    (tmp_path / "a.txt").write_text("halo\n")
    rc, _, err = cli("a.txt", capsys=capsys)
    assert rc == 2 and "config.yaml" in err


def test_console_script_subprocess(tmp_path):
    (tmp_path / "b.csv").write_bytes(make_csv(people(2, seed=27)))
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    proc = subprocess.run([sys.executable, "-m", "auditor", "check-file", "b.csv", "--quiet"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
