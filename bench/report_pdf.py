"""Report PDFs (issue 22): what each WeasyPrint PDF variant gives, and what object streams cost pyHanko.

Part 1 renders the scripted monthly report (tests/test_reports_fixture.py, no network) in each candidate
variant and prints: XMP claim, structure tree, /Lang, associated file, fonts embedded (pdffonts), how many
of the numbers printed in the HTML pdfminer finds in the PDF, size and render time.

Part 2 signs the PDF/A-3a report three times with a throwaway PKI, once as WeasyPrint writes it (one big
object stream) and once as reports.pdfa writes it (classic xref table), and prints the time of the third
signature and of validating the three signatures, with the ratio.

    .venv/bin/python bench/report_pdf.py
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

VARIANTS = (None, "pdf/a-3b", "pdf/a-3u", "pdf/a-3a", "pdf/ua-1")


def _html(tmp: Path) -> tuple[str, object, object]:
    from auditor.store import Store
    from reports import periods
    from reports.render import render_html
    from tests.test_reports_fixture import fill_store, make_config

    cfg = make_config(tmp)
    store = Store(cfg.database_path)
    fill_store(store)
    html = render_html(cfg, store, "monthly", periods.parse("monthly", "2026-05"), "id", cfg.sites[0],
                       now=datetime(2026, 6, 1, tzinfo=UTC), names=lambda k: k)
    return html, cfg, store


def variants(html: str, tmp: Path) -> None:
    import lxml.html
    import pypdf
    import weasyprint
    from pdfminer.high_level import extract_text

    doc = lxml.html.fromstring(html)
    for el in doc.xpath("//style|//title"):
        el.drop_tree()
    numbers = set(re.findall(r"\d+(?:[.,:]\d+)*", " ".join(" ".join(doc.itertext()).split())))
    print(f"{'variant':10} {'XMP claim':28} {'tree':5} {'Lang':5} {'AF':4} {'fonts emb':10} "
          f"{'numbers':9} {'size KB':8} {'render s':8}")
    for variant in VARIANTS:
        out = tmp / f"{(variant or 'plain').replace('/', '_')}.pdf"
        attach = [weasyprint.Attachment(string="{}", name="findings.json", relationship="Data")]
        t0 = time.perf_counter()
        weasyprint.HTML(string=html, base_url=str(tmp)).write_pdf(
            str(out), **({"pdf_variant": variant} if variant else {}),
            attachments=attach if variant and variant.startswith("pdf/a-3") else None)
        seconds = time.perf_counter() - t0
        root = pypdf.PdfReader(out).trailer["/Root"]
        xmp = root["/Metadata"].get_object().get_data().decode() if "/Metadata" in root else ""
        claim = " ".join(f"{k}={v}" for k, v in re.findall(r'pdf(?:a|ua)id:(part|conformance)="([^"]*)"', xmp))
        fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True).stdout.splitlines()[2:]
        embedded = sum(1 for ln in fonts if ln.split()[-5] == "yes")
        text = " ".join(extract_text(str(out)).split())
        found = sum(1 for n in numbers if n in text)
        print(f"{variant or 'none':10} {claim or '-':28} {'yes' if '/StructTreeRoot' in root else 'no':5} "
              f"{str(root.get('/Lang', '-')):5} {'yes' if '/AF' in root else 'no':4} {embedded}/{len(fonts):<8} "
              f"{found}/{len(numbers):<7} {out.stat().st_size / 1024:<8.0f} {seconds:<8.2f}")


def signing(html: str, cfg, tmp: Path) -> None:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: F401  (import cost)

    from reports import pdfa
    from reports.signing import sign_report, signature_status
    from tests.signing_pki import PASSWORD, make_ca, make_signer

    pki = make_ca(tmp / "pki")
    people = {}
    for role in ("kepala_seksi", "ketua_ppid", "atasan_ppid"):
        os.environ[f"PPID_BENCH_PW_{role.upper()}"] = PASSWORD
        people[role] = cfg.reports.signatories.__getattribute__(role).model_copy(update={
            "pkcs12": make_signer(pki, tmp / "pki", f"Bench {role}"), "password_env": f"PPID_BENCH_PW_{role.upper()}"})
    cfg.reports = cfg.reports.model_copy(update={"signatories": cfg.reports.signatories.model_copy(update=people)})
    document = pdfa.render(html, tmp)
    plain = pdfa.pdf_bytes(document)
    objstm = pdfa.add_signature_fields(document.write_pdf(pdf_variant=pdfa.PDF_VARIANT), pdfa.signature_slots(document))
    results = {}
    for label, data in (("object stream (WeasyPrint default)", objstm), ("xref table (reports.pdfa)", plain)):
        path = tmp / f"{label.split()[0]}.pdf"
        path.write_bytes(data)
        sign_report(cfg, path, "kepala_seksi")
        sign_report(cfg, path, "ketua_ppid")
        t0 = time.perf_counter()
        sign_report(cfg, path, "atasan_ppid")
        third = time.perf_counter() - t0
        t0 = time.perf_counter()
        sigs = signature_status(path, [pki.ca_pem])
        validate = time.perf_counter() - t0
        assert len(sigs) == 3 and all(s.ok for s in sigs)
        results[label] = (third, validate, len(data))
        print(f"{label:36} unsigned {len(data) / 1024:6.0f} KB  third signature {third:6.2f} s  "
              f"validate 3 signatures {validate:6.2f} s")
    (a3, av, _), (b3, bv, _) = results.values()
    print(f"ratio object stream / xref table: third signature {a3 / b3:.1f}x, validation {av / bv:.1f}x")


def main() -> int:
    import logging

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="ppid-bench-pdf-") as tmp_dir:
        tmp = Path(tmp_dir)
        html, cfg, store = _html(tmp)
        print("== PDF variants (WeasyPrint", __import__("weasyprint").__version__ + ")")
        variants(html, tmp)
        print("== signing and validating three signatures (pyHanko", importlib.metadata.version("pyhanko") + ")")
        signing(html, cfg, tmp)
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
