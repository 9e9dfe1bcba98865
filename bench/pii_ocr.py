"""Benchmark: personal data in scans and photos, ours vs Presidio's image redactor, same Tesseract.

    .venv/bin/python bench/pii_ocr.py [--rounds 3] [--seed 20] [--workers 0] [--program] [--quick]

Corpus (tests/village_docs.py, generated, 42 images by default): BLT recipient lists and letters with
NIK and KK scanned at 300, 200 and 150 dpi (skew, speckle noise, JPEG quality 50-85); the village's own
documents (APBDes with kode rekening, perdes and SK with the official's NIP, contact page with the
village NPWP and treasury account) at 300/200 dpi; KTP-like card photos from 360 to 1,300 px wide,
two with the number smudged, four lying on a table in a 2,000-4,000 px phone photo (one filling a fifth
of its width); photos of a
village event without text, two with a banner.

Ours: `extract(..., ocr=OcrEngine)` + `scan_extraction` per image in order, with `read_ahead` as the
check and `check-file` run it (idle workers read the next images), no cache. libtesseract in-process
(`backend=library`), OMP_THREAD_LIMIT=1, run with 1 worker (the work per image) and with one worker
per core (what a user gets). `--program` adds ours through the `tesseract` program (pytesseract).
Peer: `presidio_image_redactor.ImageAnalyzerEngine` (its default TesseractOCR: pytesseract, the
`tesseract` program, `lang="ind"`, one image at a time) with the same Indonesian pattern recognizers and
context words as bench/pii.py (`presidio_engine`). Run twice: as its documentation sets it up (the
environment as given, OMP_THREAD_LIMIT unset: Debian's Tesseract then uses OpenMP threads) and with
OMP_THREAD_LIMIT=1 (Tesseract's advice for several at once, the setting we use). The goal is claimed
against the faster of the two.

Each configuration runs `--rounds` times, configurations taking turns, and the median wall and CPU time
(process and its children, all threads) is printed; the load average is printed before and after.
Recall is the same every round (the first is scored).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pii import ENTITY, KIND, norm, presidio_engine  # noqa: E402

from checks.personal_data import tessapi  # noqa: E402
from checks.personal_data.evidence import scan_extraction  # noqa: E402
from checks.personal_data.extract import extract  # noqa: E402
from checks.personal_data.ocr import OcrEngine, OcrLimits, cpu_count, probe  # noqa: E402
from checks.personal_data.scans import read_ahead  # noqa: E402
from tests import village_docs as vd  # noqa: E402


@dataclass
class Item:
    label: str
    group: str
    data: bytes
    truth: set[tuple[str, str]]  # personal data: must be found
    public: int = 0  # institutional identifiers in it: none may be reported
    card: bool = False  # an identity card: pii.id_card_image expected


GROUPS = {"scan300": "scans at 300 dpi", "scan200": "scans at 200 dpi", "scan150": "scans at 150 dpi",
          "village": "village's own documents", "card": "KTP card photos", "card-smudged": "KTP, number smudged",
          "card-table": "KTP on a table (phone photo)", "photo": "event photos (no personal data)"}


def corpus(seed: int, quick: bool = False) -> list[Item]:
    rng = random.Random(seed)
    out: list[Item] = []

    def scan(doc: vd.Doc, dpi: int) -> bytes:
        return vd.scan(doc, dpi, rng, skew=rng.uniform(0.3, 1.5), noise=rng.uniform(0.02, 0.06),
                       quality=rng.randint(50, 85))

    lists = [300] * 6 + [200] * 3 + [150] * 6
    letters = [300, 300, 150, 150]
    cards = [0.35, 0.6, 0.8, 1.0, 1.3]
    if quick:
        lists, letters, cards = [300, 150], [300], [0.6, 1.0]
    for i, dpi in enumerate(lists):
        doc = vd.blt(rng, rng.randint(8, 15))
        out.append(Item(f"blt-{dpi}dpi-{i}", f"scan{dpi}", scan(doc, dpi), set(doc.personal)))
    for i, dpi in enumerate(letters):
        doc = vd.letter(rng)
        out.append(Item(f"surat-{dpi}dpi-{i}", f"scan{dpi}", scan(doc, dpi), set(doc.personal), len(doc.public)))
    village = ((vd.apbdes, 300), (vd.perdes, 300), (vd.sk, 300), (vd.contact, 300), (vd.apbdes, 200), (vd.contact, 200))
    for make, dpi in village[:2] if quick else village:
        doc = make(rng)
        out.append(Item(f"{doc.name}-{dpi}dpi", "village", scan(doc, dpi), set(doc.personal), len(doc.public)))
    for i, s in enumerate(cards):
        data, nik = vd.ktp_card(rng, scale=s)
        out.append(Item(f"ktp-{int(1012 * s)}px-{i}", "card", data, {("nik", nik)}, card=True))
    for i in range(1 if quick else 2):
        data, _nik = vd.ktp_card(rng, readable_number=False)
        out.append(Item(f"ktp-smudged-{i}", "card-smudged", data, set(), card=True))
    for w, share in [(3000, 0.55)] if quick else [(2000, 0.6), (3000, 0.5), (4000, 0.65), (2400, 0.2)]:
        data, nik = vd.card_on_table(rng, width=w, card_share=share)
        out.append(Item(f"ktp-table-{w}px-{share:.0%}", "card-table", data, {("nik", nik)}, card=True))
    for w, banner in [(1600, "")] if quick else [(1200, ""), (1600, ""), (2400, ""), (4000, ""), (1600, "x"), (3000, "x")]:
        out.append(Item(f"photo-{w}px{'-banner' if banner else ''}", "photo",
                        vd.photo(rng, w, banner="MUSYAWARAH DESA KATONGAN 2024" if banner else ""), set()))
    return out


@dataclass
class Run:
    """One configuration: its timings per round and what it found in the first round."""

    name: str
    describe: str
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    found: dict[str, set[tuple[str, str]]] = field(default_factory=dict)  # label -> values
    cards: set[str] = field(default_factory=set)  # labels recognised as identity cards


def cpu_now() -> float:
    """CPU seconds of this process (all threads) and of its finished children (Tesseract programs)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def ours(items: list[Item], backend: str, workers: int) -> Callable[[Run], None]:
    def go(run: Run) -> None:
        engine = OcrEngine(OcrLimits(max_images=100_000, document_s=600), backend=backend, workers=workers)
        bodies = [it.data for it in items]
        for i, it in enumerate(items):
            read_ahead(engine, bodies[i:i + engine.workers])
            res = scan_extraction(extract(it.data, it.label + ".jpg", ocr=engine), None)
            run.found.setdefault(it.label, {(k, v) for k, g in res.groups.items() for v in g.values})
            if res.cards:
                run.cards.add(it.label)
        engine.close()
    return go


def presidio(items: list[Item], omp_limit: str | None) -> Callable[[Run], None]:
    from PIL import Image
    from presidio_image_redactor import ImageAnalyzerEngine

    analyzer, context = presidio_engine()
    captured: list[tuple[str, list]] = []
    real_analyze = analyzer.analyze

    def capturing(text, **kw):  # the peer's OCR text and results, to score it on values
        res = real_analyze(text=text, **kw)
        captured.append((text, res))
        return res

    analyzer.analyze = capturing
    peer = ImageAnalyzerEngine(analyzer_engine=analyzer)

    def go(run: Run) -> None:
        saved = os.environ.get("OMP_THREAD_LIMIT")
        if omp_limit is None:
            os.environ.pop("OMP_THREAD_LIMIT", None)
        else:
            os.environ["OMP_THREAD_LIMIT"] = omp_limit
        try:
            for it in items:
                captured.clear()
                peer.analyze(Image.open(io.BytesIO(it.data)), ocr_kwargs={"lang": "ind"},
                             entities=list(ENTITY.values()), context=context)
                theirs = set()
                for text, results in captured:
                    theirs |= {(KIND[r.entity_type], norm(KIND[r.entity_type], text[r.start:r.end])) for r in results}
                run.found.setdefault(it.label, theirs)
        finally:
            if saved is None:
                os.environ.pop("OMP_THREAD_LIMIT", None)
            else:
                os.environ["OMP_THREAD_LIMIT"] = saved
    return go


def scores(items: list[Item], run: Run) -> tuple[dict[str, list[int]], dict[str, list[int]], list[int]]:
    """Per kind [tp, reported, expected]; per group NIK [tp, expected]; institutional [identifiers, reported]."""
    kinds: dict[str, list[int]] = {}
    groups: dict[str, list[int]] = {}
    inst = [0, 0]
    for it in items:
        found = run.found.get(it.label, set())
        if it.public:
            inst[0] += it.public
            inst[1] += len(found - it.truth)
        for kind in {k for k, _ in it.truth} | {k for k, _ in found}:
            s = kinds.setdefault(kind, [0, 0, 0])
            s[0] += len({x for x in found if x[0] == kind} & it.truth)
            s[1] += len({x for x in found if x[0] == kind})
            s[2] += len({x for x in it.truth if x[0] == kind})
        g = groups.setdefault(it.group, [0, 0])
        g[0] += len({x for x in found if x[0] == "nik"} & it.truth)
        g[1] += len({x for x in it.truth if x[0] == "nik"})
    return kinds, groups, inst


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--workers", type=int, default=0, help="ours: workers for the parallel run (0: one per core)")
    ap.add_argument("--program", action="store_true", help="also run ours through the tesseract program")
    ap.add_argument("--quick", action="store_true", help="10 images, 1 round: a smoke test, no figure")
    args = ap.parse_args(argv)
    user_omp = os.environ.get("OMP_THREAD_LIMIT")
    ok, missing, backend = probe("ind")  # loads libtesseract (OMP_THREAD_LIMIT=1 from here on)
    if not ok:
        print(f"OCR not available: install {missing}", file=sys.stderr)
        return 2
    try:
        import presidio_image_redactor  # noqa: F401
    except ImportError:
        print("presidio-image-redactor is not installed (pip install -e '.[bench]')", file=sys.stderr)
        return 2
    rounds = 1 if args.quick else args.rounds
    items = corpus(args.seed, args.quick)
    n = len(items)
    workers = args.workers or cpu_count()
    runs: list[tuple[Run, Callable[[Run], None]]] = [
        (Run("ours", f"libtesseract in-process, {workers} workers, read-ahead"), ours(items, backend, workers)),
        (Run("ours/1", "the same, 1 worker (work per image, no parallelism)"), ours(items, backend, 1))]
    if args.program:
        runs.append((Run("ours/prog", "tesseract program via pytesseract, 1 worker"), ours(items, "program", 1)))
    runs += [(Run("presidio", "as documented: environment as given, OMP_THREAD_LIMIT "
                  f"{'unset' if user_omp is None else '=' + user_omp + ' (set by the user)'}"),
              presidio(items, user_omp)),
             (Run("presidio/omp1", "the same with OMP_THREAD_LIMIT=1"), presidio(items, "1"))]
    print(f"corpus: {n} images, seed {args.seed}; {len(os.sched_getaffinity(0))} CPUs available; "
          f"Tesseract {tessapi.version() or '(program)'} lang=ind for every side", flush=True)
    load_before = os.getloadavg()
    for r in range(rounds):
        for run, go in runs:
            w0, c0 = time.perf_counter(), cpu_now()
            go(run)
            run.walls.append(time.perf_counter() - w0)
            run.cpus.append(cpu_now() - c0)
            print(f"  round {r + 1} {run.name:14} wall {run.walls[-1]:6.1f} s  CPU {run.cpus[-1]:6.1f} s  "
                  f"load {os.getloadavg()[0]:.2f}", flush=True)
    load_after = os.getloadavg()

    print(f"\nload average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}; medians of {rounds} "
          "round(s)")
    speed: dict[str, tuple[float, float]] = {}
    nik_recall: dict[str, float] = {}
    for run, _go in runs:
        wall, cpu = statistics.median(run.walls), statistics.median(run.cpus)
        speed[run.name] = (n / wall, n / cpu)
        kinds, groups, inst = scores(items, run)
        print(f"\n{run.name}: {run.describe}")
        print(f"  {n / wall:.3f} images/s wall ({wall:.1f} s), {cpu / n:.3f} s CPU per image ({cpu:.1f} s)")
        for kind, (tp, rep, exp) in sorted(kinds.items()):
            print(f"  {kind:8} precision {tp / max(rep, 1):.3f} recall {tp / max(exp, 1):.3f} ({tp}/{exp}, {rep} reported)")
        print("  NIK recall per kind of image: " + ", ".join(
            f"{GROUPS[g]} {tp}/{exp}" for g, (tp, exp) in groups.items() if exp))
        extra = {g: sum(len(run.found.get(it.label, set()) - it.truth) for it in items if it.group == g)
                 for g in ("photo", "card-smudged")}
        print(f"  values reported in photos {extra['photo']}, in smudged cards {extra['card-smudged']}; documents "
              f"holding {inst[0]} institutional identifiers (none is personal data): {inst[1]} values reported")
        if run.name.startswith("ours"):
            print(f"  identity cards recognised (pii.id_card_image) {len(run.cards)}/{sum(it.card for it in items)}"
                  f", photos taken for cards {sum(1 for it in items if it.label in run.cards and not it.card)}")
        tp, _rep, exp = kinds.get("nik", [0, 0, 0])
        nik_recall[run.name] = tp / max(exp, 1)
    peer = max(("presidio", "presidio/omp1"), key=lambda k: speed[k][0])
    print(f"\nNIK recall ours {nik_recall['ours']:.3f} vs {peer} {nik_recall[peer]:.3f} (the faster peer run); "
          f"speed ours / {peer}: {speed['ours'][0] / speed[peer][0]:.2f}x wall, "
          f"{speed['ours'][1] / speed[peer][1]:.2f}x CPU; with 1 worker {speed['ours/1'][0] / speed[peer][0]:.2f}x wall, "
          f"{speed['ours/1'][1] / speed[peer][1]:.2f}x CPU")
    met = nik_recall["ours"] >= nik_recall[peer] and speed["ours"][0] >= 2 * speed[peer][0]
    print(f"goal (recall >= peer's at >= 2x its images/s): {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
