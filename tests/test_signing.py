"""Signed, archival reports (issue 22): a real scan of the demo site, its monthly report as PDF/A-3a with the
findings JSON associated, signed in the SOP's order by three certificates made here, verified by pyHanko's
validator and by poppler's `pdfsig`; tampering and bad input."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date
from io import BytesIO
from pathlib import Path

import pypdf
import pytest
import yaml
from pdfminer.high_level import extract_text

from auditor.cli import main
from auditor.errors import InputError
from reports import pdfa
from reports.signing import signature_status
from tests.report_text import html_text
from tests.servers import free_port, need_peer
from tests.signing_pki import PASSWORD, make_ca, make_signer

ORDER = ("kepala_seksi", "ketua_ppid", "atasan_ppid")  # SOP: made by, reviewed by, acknowledged by
NAMES = {"kepala_seksi": "Suryani Contoh", "ketua_ppid": "Bambang Rekaan", "atasan_ppid": "Sutarno Rekaan"}
pytestmark = pytest.mark.slow


def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    for role in ORDER:
        monkeypatch.setenv(f"PPID_TEST_PW_{role.upper()}", PASSWORD)


@pytest.fixture(scope="module")
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


@pytest.fixture(scope="module")
def signed(world, tmp_path_factory: pytest.TempPathFactory):
    """The month's report written with --sign by the Kepala Seksi, then countersigned in SOP order."""
    mp = pytest.MonkeyPatch()
    _env(mp)
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


def _nss_db(tmp: Path, ca_pem: Path) -> Path:
    certutil = need_peer("certutil")
    db = tmp / "nssdb"
    if not db.exists():
        db.mkdir()
        subprocess.run([certutil, "-N", "-d", f"sql:{db}", "--empty-password"], check=True, capture_output=True)
        subprocess.run([certutil, "-A", "-d", f"sql:{db}", "-n", "ppid-test-ca", "-t", "CT,C,C", "-i", str(ca_pem)],
                       check=True, capture_output=True)
    return db


def _pdfsig(path: Path, world) -> list[dict[str, str]]:
    """pdfsig's report, one dict per signature (field -> text), with the test CA trusted via an NSS db."""
    pdfsig = need_peer("pdfsig")
    db = _nss_db(world["tmp"], world["pki"].ca_pem)
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


def test_signed_in_sop_order_and_verified_by_pyhanko(signed) -> None:
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    sigs = signature_status(signed["pdf"], [signed["pki"].ca_pem])
    assert [s.role for s in sigs] == list(ORDER)
    assert [s.signer for s in sigs] == [NAMES[r] for r in ORDER]
    assert all(s.intact and s.trusted and not s.modified_after for s in sigs)
    assert [s.whole_file for s in sigs] == [False, False, True]
    assert all("CN=CA Uji TTE" in s.issuer for s in sigs)
    # pyHanko's own validator, straight on the file, with the CA as the only trust root
    ca = x509.Certificate.load(pem.unarmor(signed["pki"].ca_pem.read_bytes())[2])
    with signed["pdf"].open("rb") as fh:
        reader = PdfFileReader(fh)
        assert len(reader.embedded_signatures) == 3
        for emb in reader.embedded_signatures:
            status = validate_pdf_signature(emb, ValidationContext(trust_roots=[ca], allow_fetching=False))
            assert status.bottom_line, status.pretty_print_details()
            assert len(emb.signed_data["certificates"]) >= 2  # signer + CA: the chain is embedded
            assert emb.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES baseline


def test_pdfsig_reports_every_signature_valid_and_the_document_unmodified(signed) -> None:
    sigs = _pdfsig(signed["pdf"], signed)
    assert [s["Signature Field Name"] for s in sigs] == [pdfa.field_name(i, r) for i, r in enumerate(ORDER, 1)]
    for s in sigs:
        assert s["Signature Validation"] == "Signature is Valid."
        assert s["Certificate Validation"] == "Certificate is Trusted."
        assert s["Signature Type"] == "ETSI.CAdES.detached"
    # earlier signatures cover their revision; the last one covers the whole file (nothing appended)
    assert [s["total"] for s in sigs] == ["Not total document signed"] * 2 + ["Total document signed"]


def test_verify_report_exit_0_and_lists_signers(signed, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["verify-report", str(signed["pdf"]), "--config", str(signed["cfg"])]) == 0
    out = capsys.readouterr().out
    assert "HASIL: semua tanda tangan utuh" in out
    for role in ORDER:
        assert role in out and NAMES[role] in out
    assert main(["verify-report", str(signed["pdf"]), "--config", str(signed["cfg"]), "--lang", "en"]) == 0
    assert "RESULT: every signature is intact" in capsys.readouterr().out


def test_embedded_findings_equal_the_scan_json(signed) -> None:
    embedded = pdfa.embedded_attachment(signed["pdf"])
    assert embedded is not None
    assert embedded == signed["scan_json"].read_bytes()
    detached = signed["tmp"] / "detached.json"  # poppler reads the same bytes back
    subprocess.run([need_peer("pdfdetach"), "-save", "1", "-o", str(detached), str(signed["pdf"])], check=True)
    assert detached.read_bytes() == embedded
    assert json.loads(embedded)["findings"]  # the demo site has findings: not an empty document
    root = pypdf.PdfReader(signed["pdf"]).trailer["/Root"]
    spec = root["/AF"][0].get_object()
    assert spec["/AFRelationship"] == "/Data" and spec["/F"] == pdfa.ATTACHMENT_NAME
    assert spec["/EF"]["/F"].get_object()["/Subtype"] == "/application/json"


@pytest.mark.parametrize("which", ["unsigned", "pdf"])
def test_pdfa_3a_claims_tags_fonts_and_text(signed, which: str) -> None:
    path = signed[which]
    reader = pypdf.PdfReader(path)
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r'pdfaid:part(="|>)3', xmp) and re.search(r'pdfaid:conformance(="|>)A', xmp)
    assert "/StructTreeRoot" in root and bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "id"
    assert "/OutputIntents" in root and "/NeedAppearances" not in root.get("/AcroForm", {})
    # Info and XMP must agree (PDF/A): pyHanko's updates keep the producer in step
    info_producer = reader.trailer["/Info"].get_object().get("/Producer")
    xmp_producer = re.search(r'pdf:Producer(?:="|>)([^"<]*)', xmp)
    assert info_producer is None or (xmp_producer and xmp_producer.group(1) == info_producer)
    fonts = subprocess.run([need_peer("pdffonts"), str(path)], capture_output=True, text=True).stdout
    rows = [ln.split() for ln in fonts.splitlines()[2:] if ln.strip()]
    assert rows and all(r[-5] == "yes" for r in rows), fonts  # every font embedded, stamps included
    nums = root["/StructTreeRoot"]["/ParentTree"]["/Nums"]
    parents = {int(nums[i]): nums[i + 1].get_object() for i in range(0, len(nums), 2)}
    widgets = 0
    for page in reader.pages:  # signature boxes print, are not hidden, and sit in the structure tree
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            if annot.get("/Subtype") == "/Widget":
                widgets += 1
                assert annot["/F"] & 4 and not annot["/F"] & 2 and "/N" in annot["/AP"]
                form = parents[int(annot["/StructParent"])]
                assert form["/S"] == "/Form" and form["/K"].raw_get("/Obj").idnum == ref.idnum
                assert form["/Alt"].startswith("Tanda tangan elektronik") and annot["/TU"] == form["/Alt"]
    assert widgets == 3
    text = " ".join(extract_text(str(path)).split())
    numbers = set(re.findall(r"\d+(?:[.,:]\d+)*", html_text(signed["html"])))
    assert len(numbers) > 20
    assert sorted(n for n in numbers if n not in text) == []


def test_one_changed_byte_breaks_every_signature(signed, tmp_path: Path) -> None:
    data = bytearray(signed["pdf"].read_bytes())
    i = data.index(b"/Title")  # inside the range every signature covers
    data[i + 1] = ord("t")
    bad = tmp_path / "tamper-byte.pdf"
    bad.write_bytes(bytes(data))
    assert main(["verify-report", str(bad), "--config", str(signed["cfg"])]) == 1
    assert not any(s.intact for s in signature_status(bad))
    assert [s["Signature Validation"] for s in _pdfsig(bad, signed)] == ["Digest Mismatch."] * 3


def test_unsigned_update_altering_a_page_is_detected(signed, tmp_path: Path) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(signed["pdf"].read_bytes()))
    ref = writer.add_object(generic.StreamObject(stream_data=b"1 0 0 rg 100 700 200 40 re f"))
    writer.add_stream_to_page(0, ref)  # a red box drawn over page 1, no signature
    out = BytesIO()
    writer.write(out)
    bad = tmp_path / "tamper-page.pdf"
    bad.write_bytes(out.getvalue())
    assert main(["verify-report", str(bad), "--config", str(signed["cfg"])]) == 1
    sigs = signature_status(bad, [signed["pki"].ca_pem])
    assert all(s.intact for s in sigs) and all(s.modified_after for s in sigs) and not sigs[-1].whole_file
    report = _pdfsig(bad, signed)
    assert [s["Signature Validation"] for s in report] == ["Signature is Valid."] * 3
    assert report[-1]["total"] == "Not total document signed"  # pdfsig: the last signature no longer covers it


def test_monthly_lists_earlier_signed_reports(signed, tmp_path: Path) -> None:
    raw = {**signed["raw"], "reports": {**signed["raw"]["reports"], "output_dir": str(tmp_path)}}
    shutil.copyfile(signed["pdf"], tmp_path / "laporan-bulanan-2020-01.pdf")
    shutil.copyfile(signed["unsigned"], tmp_path / "laporan-bulanan-2020-02.pdf")
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert main(["report", "monthly", "--month", signed["month"], "--config", str(cfg), "--quiet",
                 "--format", "html"]) == 0
    text = html_text(tmp_path / f"laporan-bulanan-{signed['month']}.html")
    assert "Laporan terdahulu yang sudah ditandatangani" in text
    assert "laporan-bulanan-2020-01.pdf Kepala Seksi, Ketua PPID, Atasan PPID" in text
    assert "laporan-bulanan-2020-02.pdf" not in text  # unsigned: not listed


# -- bad input: one line, exit 2, the file left exactly as it was ----------------------------------------
def _bad_config(signed, tmp_path: Path, role: str, tsa_url: str | None = None, **change) -> Path:
    raw = yaml.safe_load(signed["cfg"].read_text(encoding="utf-8"))
    raw["reports"]["signatories"][role].update(change)
    raw["reports"]["tsa_url"] = tsa_url
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return cfg


@pytest.mark.parametrize("case", ["missing_p12", "wrong_password", "expired", "no_certificate", "no_password_env",
                                  "out_of_order", "tsa_unreachable"])
def test_bad_input_exit_2_one_line_nothing_half_signed(signed, tmp_path: Path, case: str,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    _env(monkeypatch)
    role, change = "kepala_seksi", {}
    if case == "missing_p12":
        change = {"pkcs12": str(tmp_path / "nope.p12")}
    elif case == "wrong_password":
        monkeypatch.setenv("PPID_TEST_PW_KEPALA_SEKSI", "salah")
    elif case == "expired":
        change = {"pkcs12": str(make_signer(signed["pki"], tmp_path, "Kadaluwarsa", days=(-400, -30)))}
    elif case == "no_certificate":
        change = {"pkcs12": None, "password_env": None}
    elif case == "no_password_env":
        monkeypatch.delenv("PPID_TEST_PW_KEPALA_SEKSI")
    elif case == "out_of_order":
        role = "atasan_ppid"
    tsa = f"http://127.0.0.1:{free_port()}/" if case == "tsa_unreachable" else None  # fails mid-signing
    cfg = _bad_config(signed, tmp_path, role, tsa_url=tsa, **change)
    target = tmp_path / "laporan.pdf"
    shutil.copyfile(signed["unsigned"], target)
    before = target.read_bytes()
    capsys.readouterr()
    assert main(["sign", str(target), "--as", role, "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    expected = {"missing_p12": "nope.p12", "wrong_password": "kata sandi salah", "expired": "tidak berlaku",
                "no_certificate": "reports.signatories.kepala_seksi.pkcs12", "no_password_env": "PPID_TEST_PW",
                "out_of_order": "menunggu tanda tangan: kepala_seksi, ketua_ppid",
                "tsa_unreachable": "penandatanganan gagal, berkas tidak diubah"}[case]
    assert expected in err
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp file left


def test_report_sign_with_bad_certificate_writes_nothing(signed, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    _env(monkeypatch)
    monkeypatch.setenv("PPID_TEST_PW_KEPALA_SEKSI", "salah")
    raw = {**signed["raw"], "reports": {**signed["raw"]["reports"], "output_dir": str(tmp_path / "out")}}
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert main(["report", "monthly", "--month", signed["month"], "--config", str(cfg), "--quiet",
                 "--sign", "--as", "kepala_seksi"]) == 2
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []  # checked first


def test_verify_report_unreadable_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "rusak.pdf"
    junk.write_bytes(b"%PDF-1.7\nnot really a pdf")
    assert main(["verify-report", str(junk)]) == 2
    assert main(["verify-report", str(tmp_path / "missing.pdf")]) == 2
    err = capsys.readouterr().err
    assert "rusak.pdf" in err and "missing.pdf" in err and "Traceback" not in err


def test_verify_report_unsigned_exit_1(signed, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify-report", str(signed["unsigned"]), "--config", str(signed["cfg"])]) == 1
    assert "Tidak ada tanda tangan elektronik" in capsys.readouterr().out


def _widgets(path: Path) -> list[tuple[str, int, list[float]]]:
    reader = pypdf.PdfReader(path)
    out = []
    for index, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/FT") == "/Sig" or annot.get("/Parent", {}).get("/FT") == "/Sig":
                out.append((str(annot.get("/T")), index, [float(v) for v in annot["/Rect"]]))
    return out


def test_fields_sit_in_each_signature_block_in_sop_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextLine

    from reports.render import write_gate_report, write_report
    from tests.test_gate_report import NOW, save_gate, scripted_store

    cfg, store = scripted_store(tmp_path)
    try:
        save_gate(store, "gate-ok", introduced=2, fixed=1, pages=1, sevs=("medium", "low"))
        gate_pdf = write_gate_report(cfg, store, "gate-ok", formats=("pdf",), now=NOW)[0]
        half_pdf = write_report(cfg, store, "semiannual", "2026-H1", formats=("pdf",), now=NOW)[0]
    finally:
        store.close()
    for path, roles in ((gate_pdf, ["operator", "ketua_ppid"]), (half_pdf, list(ORDER))):
        widgets = _widgets(path)
        assert [w[0] for w in widgets] == [pdfa.field_name(i, r) for i, r in enumerate(roles, 1)]
        last = len(pypdf.PdfReader(path).pages) - 1
        assert {w[1] for w in widgets} == {last}  # the signature block is on the last page
        lefts = [w[2][0] for w in widgets]
        assert lefts == sorted(lefts)  # left to right, as printed
        # each box stands right above a signatory's name line, within its column
        lines = [ln for page in extract_pages(str(path), page_numbers=[last]) for box in page
                 for ln in getattr(box, "_objs", []) if isinstance(ln, LTTextLine)]
        for _name, _page, (x1, y1, x2, y2) in widgets:
            assert 30 < y2 - y1 < 60 and x2 - x1 > 100  # 18 mm high (13 mm on the gate record)
            below = [ln for ln in lines if x1 <= (ln.x0 + ln.x1) / 2 <= x2 and y1 - 20 <= ln.y1 <= y1 + 1]
            assert below, (_name, (x1, y1, x2, y2))
    # the gate record is signed operator first, then the Ketua PPID
    from reports.signing import sign_report

    pki = make_ca(tmp_path / "pki")
    monkeypatch.setenv("PPID_TEST_PW_GATE", PASSWORD)
    people = {role: getattr(cfg.reports.signatories, role).model_copy(update={
        "pkcs12": make_signer(pki, tmp_path / "pki", f"Gate {role}"), "password_env": "PPID_TEST_PW_GATE"})
        for role in ("operator", "ketua_ppid")}
    cfg.reports = cfg.reports.model_copy(update={"signatories": cfg.reports.signatories.model_copy(update=people)})
    with pytest.raises(InputError, match="menunggu tanda tangan: operator"):
        sign_report(cfg, gate_pdf, "ketua_ppid")
    sign_report(cfg, gate_pdf, "operator")
    sign_report(cfg, gate_pdf, "ketua_ppid")
    sigs = signature_status(gate_pdf, [pki.ca_pem])
    assert [s.role for s in sigs] == ["operator", "ketua_ppid"] and all(s.ok for s in sigs) and sigs[-1].whole_file


def test_report_made_before_signature_fields_gets_boxes_above_the_names(signed, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import weasyprint

    _env(monkeypatch)
    old = tmp_path / "laporan-bulanan-2020-03.pdf"  # as reports were written before issue 22: no fields
    weasyprint.HTML(filename=str(signed["html"])).write_pdf(str(old))
    assert _widgets(old) == []
    cfg = str(signed["cfg"])
    assert main(["sign", str(old), "--as", "ketua_ppid", "--config", cfg, "--quiet"]) == 2  # order holds
    for role in ORDER:
        assert main(["sign", str(old), "--as", role, "--config", cfg, "--quiet"]) == 0
    sigs = signature_status(old, [signed["pki"].ca_pem])
    assert [s.role for s in sigs] == list(ORDER) and all(s.ok for s in sigs) and sigs[-1].whole_file
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer, LTTextLine

    page = list(extract_pages(str(old)))[-1]
    lines = [ln for box in page if isinstance(box, LTTextContainer) for ln in box if isinstance(ln, LTTextLine)]
    for (_name, _page, (x1, y1, x2, y2)), role in zip(_widgets(old), ORDER, strict=True):
        name_line = [ln for ln in lines if " ".join(ln.get_text().split()) == NAMES[role]
                     and x1 <= (ln.x0 + ln.x1) / 2 <= x2 and 0 <= y1 - ln.y1 <= 5]
        assert y2 - y1 > 40 and name_line, role  # the box sits right above the signatory's name


def test_tsa_url_gives_a_timestamped_signature(signed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A timestamp authority on loopback (pyHanko's DummyTimeStamper behind HTTP): with `reports.tsa_url`
    the signature carries its timestamp; without it (the other tests) verify-report says the time is the
    signer's clock."""
    from asn1crypto import tsp
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    from tests.servers import serve
    from tests.signing_pki import make_tsa

    _env(monkeypatch)
    tsa_cert, tsa_key = make_tsa(signed["pki"])
    stamper = DummyTimeStamper(tsa_cert, tsa_key, certs_to_embed=SimpleCertificateStore.from_certs([tsa_cert]))
    requests = []

    def answer(handler):
        body = handler.rfile.read(int(handler.headers["Content-Length"]))
        requests.append(handler.headers.get("Content-Type"))
        resp = stamper.request_tsa_response(tsp.TimeStampReq.load(body))
        return 200, {"Content-Type": "application/timestamp-reply"}, resp.dump()

    with serve({"/tsa": answer}) as tsa:
        raw = yaml.safe_load(signed["cfg"].read_text(encoding="utf-8"))
        raw["reports"]["tsa_url"] = tsa.url + "tsa"
        cfg = tmp_path / "config.yaml"
        cfg.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        target = tmp_path / "laporan.pdf"
        shutil.copyfile(signed["unsigned"], target)
        assert main(["sign", str(target), "--as", "kepala_seksi", "--config", str(cfg), "--quiet"]) == 0
    assert requests and set(requests) == {"application/timestamp-query"}  # pyHanko asks twice (size, then real)
    sig = signature_status(target, [signed["pki"].ca_pem])[0]
    assert sig.ok and sig.timestamp_at is not None
    capsys.readouterr()
    assert main(["verify-report", str(target), "--config", str(cfg)]) == 0
    assert "(TSA)" in capsys.readouterr().out
    assert main(["verify-report", str(signed["pdf"]), "--config", str(signed["cfg"])]) == 0
    out = capsys.readouterr().out
    assert "(jam penanda" in out and "(TSA)" not in out


def test_gate_sign_as_operator_then_ketua(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ppid-audit gate --sign --as operator` signs the Berita Acara it writes; a bad certificate stops the
    gate before it audits anything (exit 2, no gate record)."""
    from auditor.store import Store
    from tests.servers import serve
    from tests.test_gate import SECURE, build_production, build_staging, static_routes, write_config

    pki = make_ca(tmp_path / "pki")
    monkeypatch.setenv("PPID_TEST_PW_GATE", PASSWORD)
    prod, stage = tmp_path / "prod", tmp_path / "stage"
    build_production(prod)
    build_staging(prod, stage)
    with serve({}, default=static_routes(prod, SECURE)) as p_srv, serve({}, default=static_routes(stage, SECURE)) as s_srv:
        cfg = write_config(tmp_path, p_srv.url, f"staging_url: {s_srv.url}")
        lines = "".join(f"    {role}:\n      name: {role.title()}\n      pkcs12: "
                        f"{make_signer(pki, tmp_path / 'pki', 'Gate ' + role)}\n      password_env: PPID_TEST_PW_GATE\n"
                        for role in ("operator", "ketua_ppid"))
        cfg.write_text(cfg.read_text() + "  signatories:\n" + lines + f"  trust_anchors: [{pki.ca_pem}]\n")
        assert main(["scan", "--config", str(cfg), "--quiet"]) == 0
        monkeypatch.setenv("PPID_TEST_PW_GATE", "salah")
        assert main(["gate", "--config", str(cfg), "--quiet", "--sign", "--as", "operator"]) == 2
        store = Store(tmp_path / "db.sqlite")
        assert store.gates(site="contoh") == []  # refused before auditing
        store.close()
        monkeypatch.setenv("PPID_TEST_PW_GATE", PASSWORD)
        assert main(["gate", "--config", str(cfg), "--quiet", "--sign", "--as", "operator"]) in (0, 1)
    pdf = next((tmp_path / "out").glob("berita-acara-gate-*.pdf"))
    assert main(["sign", str(pdf), "--as", "ketua_ppid", "--config", str(cfg), "--quiet"]) == 0
    sigs = signature_status(pdf, [pki.ca_pem])
    assert [s.role for s in sigs] == ["operator", "ketua_ppid"] and all(s.ok for s in sigs)
    assert main(["verify-report", str(pdf), "--config", str(cfg)]) == 0
