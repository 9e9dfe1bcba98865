"""Benchmark: personal data in scans and photos, ours vs Presidio's image redactor, same Tesseract.

    .venv/bin/python bench/pii_ocr.py [--lists 4] [--cards 4] [--seed 20]

Corpus (tests/village_docs.py, generated): BLT recipient lists scanned at 300 and 150 dpi (skew, noise,
JPEG artefacts), KTP-like card photos, and the village's own documents scanned at 300 dpi (APBDes with
kode rekening, perdes and SK with the official's NIP, office contact page with the village NPWP and
treasury account, a letter with register numbers).

Ours: `extract(..., ocr=OcrEngine)` + `scan_extraction` per image, no cache (every image OCRed).
Peer: `presidio_image_redactor.ImageAnalyzerEngine` (pytesseract, `lang="ind"`) with the same
Indonesian pattern recognizers and context words as bench/pii.py (`presidio_engine`). Both run in
this process, taking turns per image. Prints precision/recall per kind, the village identifiers
reported, cards recognised, and images/s of both with the ratio.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pii import ENTITY, KIND, norm, presidio_engine  # noqa: E402

from checks.personal_data.check import PersonalDataConfig, ocr_engine  # noqa: E402
from checks.personal_data.evidence import scan_extraction  # noqa: E402
from checks.personal_data.extract import extract  # noqa: E402
from tests import village_docs as vd  # noqa: E402


def corpus(lists: int, cards: int, seed: int):
    """[(label, image bytes, personal truth {(kind, value)}, institutional truth count, is card)]"""
    rng = random.Random(seed)
    out = []
    for i in range(lists):
        doc = vd.blt(rng, 12)
        dpi = 300 if i % 2 == 0 else 150
        out.append((f"blt-{dpi}dpi-{i}", vd.scan(doc, dpi, rng), set(doc.personal), 0, False))
    for i in range(cards):
        card, nik = vd.ktp_card(rng)
        out.append((f"ktp-{i}", card, {("nik", nik)}, 0, True))
    for doc in (vd.apbdes(rng), vd.perdes(rng), vd.sk(rng), vd.contact(rng)):
        out.append((doc.name, vd.scan(doc, 300, rng), set(doc.personal), len(doc.public), False))
    letter = vd.letter(rng)
    out.append((letter.name, vd.scan(letter, 300, rng), set(letter.personal), len(letter.public), False))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lists", type=int, default=4)
    ap.add_argument("--cards", type=int, default=4)
    ap.add_argument("--seed", type=int, default=20)
    args = ap.parse_args(argv)
    engine = ocr_engine(PersonalDataConfig(ocr_max_images=10_000), None)
    if engine is None or not engine.available:
        print(f"OCR not available ({engine.reason if engine else 'off'}): install tesseract-ocr tesseract-ocr-ind",
              file=sys.stderr)
        return 2
    try:
        from presidio_image_redactor import ImageAnalyzerEngine
    except ImportError:
        print("presidio-image-redactor is not installed (pip install -e '.[bench]')", file=sys.stderr)
        return 2
    from PIL import Image

    analyzer, context = presidio_engine()
    captured: list[tuple[str, list]] = []
    real_analyze = analyzer.analyze

    def capturing(text, **kw):  # the peer's OCR text and results, to score it on values
        res = real_analyze(text=text, **kw)
        captured.append((text, res))
        return res

    analyzer.analyze = capturing
    peer = ImageAnalyzerEngine(analyzer_engine=analyzer)
    items = corpus(args.lists, args.cards, args.seed)
    stats = {"ours": {}, "presidio": {}}
    inst = {"ours": [0, 0], "presidio": [0, 0]}
    seconds = {"ours": 0.0, "presidio": 0.0}
    cards_found = 0
    load_before = os.getloadavg()
    cpu = {"ours": 0.0, "presidio": 0.0}

    def cpu_now() -> float:  # this process and its Tesseract children
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    for label, data, truth, n_public, is_card in items:
        t0, c0 = time.perf_counter(), cpu_now()
        res = scan_extraction(extract(data, label + ".jpg", ocr=engine), None)
        seconds["ours"] += time.perf_counter() - t0
        cpu["ours"] += cpu_now() - c0
        ours = {(k, v) for k, g in res.groups.items() for v in g.values}
        cards_found += bool(res.cards) and is_card
        captured.clear()
        t0, c0 = time.perf_counter(), cpu_now()
        peer.analyze(Image.open(io.BytesIO(data)), ocr_kwargs={"lang": "ind"}, entities=list(ENTITY.values()),
                     context=context)
        seconds["presidio"] += time.perf_counter() - t0
        cpu["presidio"] += cpu_now() - c0
        theirs = set()
        for text, results in captured:
            theirs |= {(KIND[r.entity_type], norm(KIND[r.entity_type], text[r.start:r.end])) for r in results}
        for name, found in (("ours", ours), ("presidio", theirs)):
            if n_public:
                inst[name][0] += n_public
                inst[name][1] += len(found - truth)
            for kind in {k for k, _ in truth} | {k for k, _ in found if truth}:
                s = stats[name].setdefault(kind, [0, 0, 0])
                s[0] += len({x for x in found if x[0] == kind} & truth)
                s[1] += len({x for x in found if x[0] == kind})
                s[2] += len({x for x in truth if x[0] == kind})
        print(f"  {label:24} ours {len(ours & truth)}/{len(truth)} found, {len(ours - truth)} extra; "
              f"presidio {len(theirs & truth)}/{len(truth)} found, {len(theirs - truth)} extra", flush=True)
    load_after = os.getloadavg()
    n = len(items)
    print(f"\ncorpus: {n} images ({args.lists} BLT list scans at 300/150 dpi, {args.cards} KTP-like cards, "
          "5 village documents at 300 dpi); tesseract lang=ind, same binary for both")
    print(f"load average before {load_before[0]:.2f} / after {load_after[0]:.2f} (1 min), {os.cpu_count()} CPUs")
    for name in ("ours", "presidio"):
        print(f"{name}: {n / seconds[name]:.3f} images/s wall ({seconds[name]:.1f} s), {n / cpu[name]:.3f} images/s "
              f"CPU ({cpu[name]:.1f} s, Tesseract processes included)")
        for kind, (tp, rep, exp) in sorted(stats[name].items()):
            print(f"  {kind:8} precision {tp / max(rep, 1):.3f} recall {tp / max(exp, 1):.3f} ({tp}/{exp}, "
                  f"{rep} reported)")
        total, reported = inst[name]
        print(f"  village documents: {total} institutional identifiers, {reported} values reported "
              f"(precision on institutional identifiers {1 - reported / max(total, 1):.3f})")
    print(f"  ours: identity cards recognised (pii.id_card_image) {cards_found}/{args.cards}")
    nik = {k: stats[k].get("nik", [0, 0, 1]) for k in stats}
    print(f"NIK recall ours {nik['ours'][0] / max(nik['ours'][2], 1):.3f} vs presidio "
          f"{nik['presidio'][0] / max(nik['presidio'][2], 1):.3f}; speed ratio ours / presidio "
          f"{seconds['presidio'] / seconds['ours']:.2f}x wall, {cpu['presidio'] / cpu['ours']:.2f}x CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
