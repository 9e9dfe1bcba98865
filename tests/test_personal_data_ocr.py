"""OCR of scans and photos (Tesseract), the identity-card rule, the OCR cache and hostile images.

Needs Debian `tesseract-ocr` + `tesseract-ocr-ind`: skipped locally without them, failed with
PPID_REQUIRE_INTEGRATION=1. Kept small (OCR costs 1-4 s per page on 2 shared cores); the big corpus
and the peer comparison are in bench/pii_ocr.py.
"""

from __future__ import annotations

import io
import json
import random
import struct
import subprocess
import sys
import zlib
from datetime import date

import pytest

from auditor.snapshot import Document, Headers, Site
from checks.base import CheckContext, MemoryCache
from checks.personal_data.check import PersonalDataCheck, PersonalDataConfig, ocr_engine
from checks.personal_data.evidence import findings_for, scan_extraction
from checks.personal_data.extract import extract
from checks.personal_data.ocr import OcrEngine, content_key, probe
from checks.personal_data.scans import read_ahead
from tests import village_docs as vd
from tests.servers import need_peer

TODAY = date(2026, 11, 25)
KEY = b"k" * 32


@pytest.fixture(scope="module")
def tesseract():
    need_peer("tesseract")
    ok, missing, _backend = probe("ind")
    if not ok:
        need_peer(missing)  # e.g. the Indonesian data is missing: skip, or fail under PPID_REQUIRE_INTEGRATION
    return ocr_engine(PersonalDataConfig(), None)


def run_doc(data: bytes, name: str, engine, limits=None):
    from checks.personal_data.check import limits_from

    ex = extract(data, name, limits=limits or limits_from(PersonalDataConfig()), ocr=engine)
    return scan_extraction(ex, None, TODAY)


def check_file(tmp_path, *paths, extra=()):
    proc = subprocess.run([sys.executable, "-c", "from auditor.cli import main; raise SystemExit(main())",
                           "check-file", *map(str, paths), "--json", str(tmp_path / "out.json"), *extra],
                          capture_output=True, text=True, cwd=tmp_path, env={"XDG_CONFIG_HOME": str(tmp_path),
                                                                              "PATH": "/usr/bin:/bin"})
    doc = json.loads((tmp_path / "out.json").read_text()) if (tmp_path / "out.json").exists() else {}
    return proc, doc


# -- check-file: the two cases operators meet most -----------------------------------------------------

def test_check_file_on_a_ktp_photo_exits_1_with_id_card_image(tesseract, tmp_path):
    card, _nik = vd.ktp_card(random.Random(3), readable_number=False)  # even with the number unreadable
    (tmp_path / "ktp.jpg").write_bytes(card)
    proc, doc = check_file(tmp_path, tmp_path / "ktp.jpg")
    assert proc.returncode == 1, proc.stderr
    rules = {f["rule"]: f for f in doc["findings"]}
    assert rules["pii.id_card_image"]["severity"] == "critical"
    assert "OCR: 1" in proc.stdout and "keyakinan rata-rata" in proc.stdout


def test_check_file_on_an_apbdes_sheet_with_only_budget_codes_and_village_npwp_exits_0(tmp_path):
    (tmp_path / "apbdes.csv").write_text(vd.apbdes_csv(random.Random(4)))
    proc, doc = check_file(tmp_path, tmp_path / "apbdes.csv")
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert doc["findings"] == []


# -- precision/recall on scans ----------------------------------------------------------------------------

def _score(docs_images, engine):
    """Per kind: (true positives, reported, expected); institutional values reported count as errors."""
    stats: dict[str, list[int]] = {}
    for doc, data in docs_images:
        res = run_doc(data, doc.name + ".jpg", engine)
        found = {(k, v) for k, g in res.groups.items() for v in g.values}
        truth = set(doc.personal)
        for kind in {k for k, _ in truth} | {k for k, _ in found}:
            s = stats.setdefault(kind, [0, 0, 0])
            s[0] += len({x for x in found if x[0] == kind} & truth)
            s[1] += len({x for x in found if x[0] == kind})
            s[2] += len({x for x in truth if x[0] == kind})
        inst = stats.setdefault("institutional", [0, 0, 0])
        inst[2] += len(doc.public)
        inst[1] += sum(1 for k, _ in found if doc.kind in ("apbdes", "perdes", "sk", "contact"))
    return stats


def test_scans_precision_and_recall_per_kind(tesseract, capsys):
    rng = random.Random(7)
    docs = vd.corpus()
    blt = [d for d in docs if d.kind == "blt"]
    inst = [d for d in docs if d.kind in ("apbdes", "perdes", "sk", "contact")]
    results = {}
    for dpi in (300, 150):
        images = [(d, vd.scan(d, dpi, rng)) for d in blt] + ([(d, vd.scan(d, dpi, rng)) for d in inst] if dpi == 300 else [])
        results[dpi] = _score(images, tesseract)
    with capsys.disabled():
        for dpi, stats in results.items():
            for kind, (tp, rep, exp) in sorted(stats.items()):
                if kind == "institutional":
                    print(f"\n{dpi} dpi institutional: {exp} identifiers, {rep} reported "
                          f"(precision {1 - rep / max(exp, 1):.3f})")
                else:
                    print(f"\n{dpi} dpi {kind}: precision {tp / max(rep, 1):.3f} recall {tp / max(exp, 1):.3f} ({tp}/{exp})")
    nik300, nik150 = results[300]["nik"], results[150]["nik"]
    assert nik300[0] / nik300[2] >= 0.95 and nik150[0] / nik150[2] >= 0.85
    assert nik300[0] == nik300[1] and nik150[0] == nik150[1]  # nothing reported that is not a NIK there
    assert results[300]["institutional"][1] == 0  # none of the village's own identifiers reported


def test_scanned_pdf_is_ocred_and_no_longer_unscannable(tesseract):
    doc = vd.blt(random.Random(9), 6)
    pdf = _image_pdf([vd.scan(doc, 200, random.Random(1))])
    res = run_doc(pdf, "blt.pdf", tesseract)
    assert not res.image_only and res.ocr["pages"] == 1 and res.ocr["mean_confidence"] > 50
    assert res.count("nik") >= 5
    assert not [f for f in findings_for(res, "blt.pdf", KEY) if f.rule == "pii.document.unscannable"]


# -- cache -------------------------------------------------------------------------------------------------

def test_rescan_of_an_unchanged_site_runs_no_ocr(tesseract, tmp_path):
    """50 scanned documents: the first scan OCRs each once, the second takes every text from the store."""
    from PIL import Image, ImageDraw, ImageFont

    from auditor.store import Store

    rng = random.Random(5)
    font = ImageFont.truetype(vd.FONT, 28)
    docs = []
    for i in range(50):  # small scans keep this test fast; the bench runs full pages
        img = Image.new("L", (900, 60), 255)
        ImageDraw.Draw(img).text((10, 12), f"Lampiran {i}: NIK {vd.make_nik(rng)}", fill=0, font=font)
        buf = io.BytesIO()
        img.save(buf, "PNG")
        docs.append(Document(url=f"https://127.0.0.1/desa/upload/scan{i}.png", status=200, body=buf.getvalue(),
                             headers=Headers([("content-type", "image/png")])))
    site = Site(name="desa", url="https://127.0.0.1/", pages=[], documents=docs)
    store = Store(tmp_path / "h.sqlite")
    try:
        runs = []
        for _ in range(2):
            ctx = CheckContext(site=site, config=PersonalDataConfig(), http=None, site_config=None,
                               secret_key=KEY, cache=store.check_cache())
            res = PersonalDataCheck().run(ctx)
            runs.append(res.facts)
        assert runs[0].ocr_runs == 50 and runs[1].ocr_runs == 0
        assert runs[1].ocr_images == 50
        assert runs[0].counts == runs[1].counts and runs[0].counts["nik"] >= 45
    finally:
        store.close()


# -- hostile images ----------------------------------------------------------------------------------------

def _png_header(w: int, h: int) -> bytes:
    def chunk(t: bytes, d: bytes) -> bytes:
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))


def _image_pdf(jpegs: list[bytes], repeat: int = 1) -> bytes:
    """A PDF whose pages each show one JPEG (pages beyond len(jpegs) reuse the last image object)."""
    from PIL import Image

    objs: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    img_ids = []
    for j in jpegs:
        w, h = Image.open(io.BytesIO(j)).size
        objs.append(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                    b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n" % (w, h, len(j)) + j
                    + b"\nendstream")
        img_ids.append(len(objs))
    content = b"q 595 0 0 842 0 0 cm /Im0 Do Q"
    objs.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    content_id = len(objs)
    n = max(len(jpegs), repeat)
    first = len(objs) + 1
    objs[1] = ("<< /Type /Pages /Kids [" + " ".join(f"{first + i} 0 R" for i in range(n)) + f"] /Count {n} >>").encode()
    for i in range(n):
        im = img_ids[min(i, len(img_ids) - 1)]
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                    b"/Resources << /XObject << /Im0 %d 0 R >> >> >>" % (content_id, im))
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_hostile_images_are_bounded(tesseract):
    from PIL import Image

    from checks.personal_data.check import limits_from

    engine = ocr_engine(PersonalDataConfig(ocr_max_pages=2, ocr_document_s=60), None)
    rss0 = _rss_mb()
    # 100,000 x 100,000 px PNG header: refused from the header, nothing decoded
    res = run_doc(_png_header(100_000, 100_000), "bom.png", engine)
    assert res.error_kind == "refused" and "10,000,000,000 pixels" in res.error_en
    # corrupt JPEG: a clear note, no crash
    card, _ = vd.ktp_card(random.Random(1))
    res = run_doc(card[: len(card) // 3], "rusak.jpg", engine)
    assert res.error_kind == "corrupt"
    # the same verdict when another library has switched Pillow to padding truncated files (WeasyPrint
    # does at import, so a scheduler or console process that made a report would otherwise differ)
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    try:
        assert run_doc(card[: len(card) // 3], "rusak.jpg", engine).error_kind == "corrupt"
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before
    # TIFF with 3,000 frames: only the page cap is read
    buf = io.BytesIO()
    frames = [Image.new("L", (40, 20), 255) for _ in range(3000)]
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:])
    res = run_doc(buf.getvalue(), "banyak.tiff", engine)
    assert res.readable and res.ocr["pages"] == 2 and any(n.code == "ocr.pages" for n in res.notes)
    # 500-page scanned PDF: two pages OCRed, the rest noted
    small = vd.scan(vd.blt(random.Random(2), 2), 72, random.Random(2))
    res = run_doc(_image_pdf([small], repeat=500), "tebal.pdf", engine, limits_from(PersonalDataConfig()))
    assert res.ocr["pages"] == 2 and res.ocr["skipped"] == 498
    assert any(n.code == "ocr.pages" and "500" in n.text_en for n in res.notes)
    assert _rss_mb() - rss0 < 400


def test_without_tesseract_the_check_says_so_once_and_behaves_as_before(monkeypatch):
    from checks.personal_data import ocr

    monkeypatch.setitem(ocr._PROBE, ("ind", "auto"), (False, "tesseract-ocr", "program"))
    scans = [Document(url=f"https://127.0.0.1/desa/upload/s{i}.pdf", status=200,
                      body=_image_pdf([vd.scan(vd.blt(random.Random(i), 1), 72)]), headers=Headers([("content-type", "application/pdf")]))
             for i in range(2)]
    site = Site(name="desa", url="https://127.0.0.1/", pages=[], documents=scans)
    ctx = CheckContext(site=site, config=PersonalDataConfig(), http=None, site_config=None, secret_key=KEY)
    res = PersonalDataCheck().run(ctx)
    assert [n.code for n in res.facts.notes].count("ocr.unavailable") == 1
    assert sum(1 for f in res.findings if f.rule == "pii.document.unscannable") == 2
    assert res.facts.ocr_runs == 0


def test_memory_cache_round_trip():
    c = MemoryCache()
    assert c.get("ocr.v1", "k") is None
    c.put("ocr.v1", "k", "v")
    assert c.get("ocr.v1", "k") == "v"


def test_the_check_reports_a_ktp_photo_under_the_uploads(tesseract):
    """The crawl's image under an upload path, through the check itself (not only `check-file`): one
    critical `pii.id_card_image` finding for the photo, with its labels and location."""
    card, _nik = vd.ktp_card(random.Random(3), readable_number=False)
    photo = Document(url="https://127.0.0.1/wp-content/uploads/2026/11/ktp-warga.jpg", status=200, body=card,
                     headers=Headers([("content-type", "image/jpeg")]))
    site = Site(name="desa", url="https://127.0.0.1/", pages=[], documents=[photo])
    ctx = CheckContext(site=site, config=PersonalDataConfig(), http=None, site_config=None, secret_key=KEY,
                       cache=MemoryCache())
    res = PersonalDataCheck().run(ctx)
    cards = [f for f in res.findings if f.rule == "pii.id_card_image"]
    assert len(cards) == 1 and cards[0].severity.label == "critical" and cards[0].url == photo.url
    assert cards[0].data["labels"] and res.facts.ocr_runs >= 1


# -- the engine: libtesseract in-process, workers reading ahead, small text read again -------------------

def test_library_and_program_read_the_same_page_alike(tesseract):
    """libtesseract in-process (ctypes) and the `tesseract` program are the same Tesseract: the same
    NIKs come out of the same scan, and the library does it without starting a process."""
    doc = vd.blt(random.Random(12), 6)
    scan = vd.scan(doc, 200, random.Random(12))
    found = {}
    for backend in ("library", "program"):
        engine = OcrEngine(workers=1, backend=backend)
        assert engine.available and engine.backend == backend
        res = run_doc(scan, "blt.jpg", engine)
        found[backend] = set(res.groups["nik"].values)
        assert engine.calls == 1
        engine.close()
    assert found["library"] == found["program"] and len(found["library"]) >= 5


def test_workers_read_ahead_each_image_once_with_the_same_results(tesseract):
    """With two workers the next images are read while the scan is busy: each image is still OCRed once,
    and every document gets the same values as with one worker, in order."""
    rng = random.Random(13)
    images = [vd.scan(vd.blt(rng, 3), 150, rng) for _ in range(3)] + [vd.ktp_card(rng)[0]]
    results = {}
    for workers in (1, 2):
        engine = OcrEngine(workers=workers)
        per_doc = []
        for i, data in enumerate(images):
            read_ahead(engine, images[i:i + workers])
            if workers == 2 and i + 1 < len(images):
                assert content_key(images[i + 1], "0") in engine._pending  # the next one is on a worker
            per_doc.append(set(run_doc(data, f"d{i}.jpg", engine).groups["nik"].values))
        assert engine.calls == len(images) and engine.images == len(images)
        engine.close()
        results[workers] = per_doc
    assert results[1] == results[2] and all(results[1])


def test_a_card_small_in_a_big_photo_is_read_again_enlarged(tesseract, monkeypatch):
    """A KTP filling a fifth of a 2,400 px phone photo: its words are ~8 px high once the photo is scaled
    to a page's size, so the engine reads it a second time enlarged; without that pass the card is
    missed."""
    from checks.personal_data import ocr

    photos = [vd.card_on_table(random.Random(seed), width=2400, card_share=0.18) for seed in (1, 2, 3)]
    for small, expect in ((ocr.SMALL_TEXT_PX, True), (0, False)):
        monkeypatch.setattr(ocr, "SMALL_TEXT_PX", small)
        engine = OcrEngine(workers=1)
        cards = niks = 0
        for data, nik in photos:
            res = run_doc(data, "foto.jpg", engine)
            cards += bool(res.cards)
            niks += nik in (res.groups["nik"].values if "nik" in res.groups else {})
        assert engine.second_passes == (3 if expect else 0)
        assert (cards == 3 and niks >= 2) if expect else (cards == 0 and niks <= 1)
        engine.close()


def test_a_photo_without_text_is_not_enlarged_and_reports_nothing(tesseract):
    from checks.personal_data.ocr import prepare

    data = vd.photo(random.Random(14), 1200)
    engine = OcrEngine(workers=1)
    res = run_doc(data, "kegiatan.jpg", engine)
    assert not res.groups and not res.cards and res.ocr["pages"] == 1 and engine.second_passes == 0
    from PIL import Image

    assert prepare(Image.open(io.BytesIO(data))).size == (1200, 800)
    engine.close()


def test_a_recognition_past_its_deadline_stops_and_the_worker_reads_on(tesseract):
    from PIL import Image

    from checks.personal_data import tessapi

    api = tessapi.TessBase("ind")
    page = Image.open(io.BytesIO(vd.scan(vd.blt(random.Random(15), 12), 200, random.Random(15))))
    try:
        assert api.tsv(page, 0.01) is None
        assert "NIK" in api.tsv(page, 60)
    finally:
        api.close()


def test_a_png_whose_pixels_are_damaged_is_corrupt_also_when_read_ahead(tesseract):
    """The header is fine, the compressed pixels are not: the document is reported damaged (not a crash,
    not an OCR failure), whether it was read ahead or not, and also when another library has switched
    Pillow to padding damaged files (WeasyPrint does at import: the full suite once read this PNG as a
    blank page)."""
    from PIL import ImageFile

    def chunk(t: bytes, d: bytes) -> bytes:
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    bad = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 800, 600, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", b"\x78\x9c" + bytes(range(256)) * 4) + chunk(b"IEND", b""))
    before = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        for padding in (False, True):
            ImageFile.LOAD_TRUNCATED_IMAGES = padding
            for ahead in (False, True):
                engine = OcrEngine(workers=2)
                if ahead:
                    read_ahead(engine, [bad])
                res = run_doc(bad, "rusak.png", engine)
                assert res.error_kind == "corrupt" and "damaged image" in res.error_en, (padding, ahead)
                assert engine.calls == 0  # nothing of it reached Tesseract
                engine.close()
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before


def test_check_file_on_a_photo_prints_no_tesseract_or_leptonica_chatter(tesseract, tmp_path):
    """Tesseract in-process writes its diagnostics ("Estimating resolution", Leptonica's "Error in
    boxClipToRectangle" on a photo's odd regions) nowhere: the user's terminal gets the table only."""
    (tmp_path / "kegiatan.jpg").write_bytes(vd.photo(random.Random(16), 1600, banner="MUSYAWARAH DESA 2024"))
    card, _ = vd.card_on_table(random.Random(16), width=2000)
    (tmp_path / "ktp.jpg").write_bytes(card)
    proc, doc = check_file(tmp_path, tmp_path / "kegiatan.jpg", tmp_path / "ktp.jpg")
    assert proc.returncode == 1 and proc.stderr == ""
    assert any(f["rule"] == "pii.id_card_image" for f in doc["findings"])


def test_leptonica_messages_are_silenced_once_the_library_is_loaded(tesseract):
    """Leptonica prints "Error in <function>: ..." to stderr on odd regions of some photos (seen on an
    enlarged event photo); provoked here directly with an undefined box, in a fresh process."""
    code = ("import ctypes, ctypes.util\n"
            "from checks.personal_data import tessapi\n"
            "assert tessapi.load() is not None\n"
            "lept = ctypes.CDLL(ctypes.util.find_library('lept') or ctypes.util.find_library('leptonica'))\n"
            "lept.boxClipToRectangle.restype = ctypes.c_void_p\n"
            "assert lept.boxClipToRectangle(None, 10, 10) is None\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


def test_the_colon_after_a_nik_label_read_as_a_digit_is_restored():
    """Tesseract often reads the card's "NIK : 3403..." as "NIK 13403..." (17 digits: no NIK). A stray 1,
    l, I or | between the label and exactly 16 digits is the colon; a NIK that itself starts with 1 is
    left alone."""
    from checks.personal_data.scans import label_colons

    nik = vd.make_nik(random.Random(17))
    for misread in (f"NIK 1{nik}", f"NIK l{nik}", f"NIK|{nik}", f"N I K 1 {nik}"):
        fixed = label_colons(misread)
        assert nik in fixed and f"1{nik}" not in fixed
        res = scan_extraction(extract(fixed.encode(), "kartu.txt"), None, TODAY)
        assert set(res.groups["nik"].values) == {nik}
    starts_with_1 = "13" + nik[2:]
    assert label_colons(f"NIK {starts_with_1}") == f"NIK {starts_with_1}"
    assert label_colons(f"NIK 1{nik}9") == f"NIK 1{nik}9"  # 18 digits: not a NIK either way, left as read
