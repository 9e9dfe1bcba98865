"""Shared world of the signing tests (no tests here): the demo site scanned once with `scan --json`, a CA
and three signer certificates in PKCS#12, the month's report signed in SOP order; pdfsig with an NSS db.
Session-scoped so that tests/test_signing.py and tests/test_signing_input.py build it once."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pypdf
import pytest
import yaml

from auditor.cli import main
from tests.servers import need_peer
from tests.signing_pki import PASSWORD, make_ca, make_signer

ORDER = ("kepala_seksi", "ketua_ppid", "atasan_ppid")  # SOP: made by, reviewed by, acknowledged by
NAMES = {"kepala_seksi": "Suryani Contoh", "ketua_ppid": "Bambang Rekaan", "atasan_ppid": "Sutarno Rekaan"}


def set_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    for role in ORDER:
        monkeypatch.setenv(f"PPID_TEST_PW_{role.upper()}", PASSWORD)


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory):
    """Demo site served on loopback, scanned once (`scan --json`), a CA and three signers in PKCS#12."""
    from auditor import demo

    tmp = tmp_path_factory.mktemp("signing")
    site = tmp / "site"
    demo.build_site(site, date.today())
    server = demo.DemoServer(site, 0, 0, cert_dir=tmp / "certs")
    server.start()
    try:
        cfg_path = demo.write_demo_config(tmp / "out", server)
        pki = make_ca(tmp / "pki")
        raw = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
        for role in ORDER:
            raw["reports"]["signatories"][role].update(
                pkcs12=str(make_signer(pki, tmp / "pki", NAMES[role])), password_env=f"PPID_TEST_PW_{role.upper()}",
                nip="19700101 199003 1 001")
        raw["reports"]["trust_anchors"] = [str(pki.ca_pem)]
        cfg_path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        scan_json = tmp / "scan.json"
        assert main(["scan", "--config", str(cfg_path), "--json", str(scan_json), "--quiet"]) == 0
        yield {"tmp": tmp, "cfg": cfg_path, "raw": raw, "pki": pki, "scan_json": scan_json,
               "out": tmp / "out", "month": f"{date.today():%Y-%m}"}
    finally:
        server.stop()


@pytest.fixture(scope="session")
def signed(world, tmp_path_factory: pytest.TempPathFactory):
    """The month's report written with --sign by the Kepala Seksi, then countersigned in SOP order."""
    mp = pytest.MonkeyPatch()
    set_passwords(mp)
    try:
        cfg, month = str(world["cfg"]), world["month"]
        assert main(["report", "monthly", "--month", month, "--config", cfg, "--quiet"]) == 0
        pdf = world["out"] / f"laporan-bulanan-{month}.pdf"
        unsigned = tmp_path_factory.mktemp("unsigned") / pdf.name
        shutil.copyfile(pdf, unsigned)
        assert main(["report", "monthly", "--month", month, "--config", cfg, "--quiet", "--format", "html,pdf",
                     "--sign", "--as", "kepala_seksi"]) == 0
        for role in ORDER[1:]:
            assert main(["sign", str(pdf), "--as", role, "--config", cfg, "--quiet"]) == 0
    finally:
        mp.undo()
    return {**world, "pdf": pdf, "unsigned": unsigned, "html": pdf.with_suffix(".html")}


def nss_db(tmp: Path, ca_pem: Path) -> Path:
    certutil = need_peer("certutil")
    db = tmp / "nssdb"
    if not db.exists():
        db.mkdir()
        subprocess.run([certutil, "-N", "-d", f"sql:{db}", "--empty-password"], check=True, capture_output=True)
        subprocess.run([certutil, "-A", "-d", f"sql:{db}", "-n", "ppid-test-ca", "-t", "CT,C,C", "-i", str(ca_pem)],
                       check=True, capture_output=True)
    return db


def pdfsig(path: Path, world) -> list[dict[str, str]]:
    """pdfsig's report, one dict per signature (field -> text), with the test CA trusted via an NSS db."""
    pdfsig = need_peer("pdfsig")
    db = nss_db(world["tmp"], world["pki"].ca_pem)
    out = subprocess.run([pdfsig, "-nssdir", f"sql:{db}", str(path)], capture_output=True, text=True).stdout
    sigs = []
    for block in re.split(r"^Signature #\d+:\s*$", out, flags=re.M)[1:]:
        lines = [ln.strip().lstrip("- ") for ln in block.strip().splitlines()]
        entry = {"total": next((ln for ln in lines if "total document signed" in ln.lower()), "")}
        for ln in lines:
            if ": " in ln:
                key, value = ln.split(": ", 1)
                entry[key] = value
        sigs.append(entry)
    return sigs




def widgets(path: Path) -> list[tuple[str, int, list[float]]]:
    reader = pypdf.PdfReader(path)
    out = []
    for index, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/FT") == "/Sig" or annot.get("/Parent", {}).get("/FT") == "/Sig":
                out.append((str(annot.get("/T")), index, [float(v) for v in annot["/Rect"]]))
    return out


