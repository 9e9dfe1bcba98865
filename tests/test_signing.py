"""Signed, archival reports (issue 22): a real scan of the demo site, its monthly report as PDF/A-3a with the
findings JSON associated, signed in the SOP's order by three certificates made here, verified by pyHanko's
validator and by poppler's `pdfsig`; PDF/A claims; tampering. Bad input and the other signing paths:
tests/test_signing_input.py. The shared world: tests/signing_world.py."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pypdf
import pytest
import yaml
from pdfminer.high_level import extract_text

from auditor.cli import main
from reports import pdfa
from reports.signing import signature_status
from tests import signing_world
from tests.report_text import html_text
from tests.servers import need_peer
from tests.signing_world import NAMES, ORDER, pdfsig

pytestmark = pytest.mark.slow
world, signed = signing_world.world, signing_world.signed  # the shared session fixtures


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
    sigs = pdfsig(signed["pdf"], signed)
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
    assert [s["Signature Validation"] for s in pdfsig(bad, signed)] == ["Digest Mismatch."] * 3


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
    report = pdfsig(bad, signed)
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


def test_embedded_findings_keep_the_decisions_of_scan_time(signed, tmp_path: Path) -> None:
    """A triage decision taken after the scan does not rewrite the archived findings: the report embeds the
    run's JSON with the decisions as they stood when it finished, still equal to its `scan --json`."""
    raw = yaml.safe_load(signed["cfg"].read_text(encoding="utf-8"))
    db = tmp_path / "copy.sqlite"
    shutil.copyfile(raw["storage"]["database"], db)
    raw["storage"]["database"] = str(db)
    raw["reports"]["output_dir"] = str(tmp_path / "out")
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    scan = json.loads(signed["scan_json"].read_text(encoding="utf-8"))
    fp = scan["findings"][0]["fingerprint"]
    assert scan["findings"][0]["decision"] is None
    assert main(["triage", fp[:12], "--false-positive", "--reason", "uji arsip", "--config", str(cfg)]) == 0
    assert main(["report", "monthly", "--month", signed["month"], "--config", str(cfg), "--quiet",
                 "--format", "pdf"]) == 0
    embedded = pdfa.embedded_attachment(tmp_path / "out" / f"laporan-bulanan-{signed['month']}.pdf")
    assert embedded == signed["scan_json"].read_bytes()
