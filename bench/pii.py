"""Benchmark: the personal_data detectors vs Microsoft Presidio on the same generated, labelled corpus.

    .venv/bin/python bench/pii.py [--items 6000] [--repeat 5]

Presidio runs offline with no NLP model (NoOpNlpEngine) and PatternRecognizers for the same identifiers
(NIK, KK, NPWP, BPJS, mobile numbers, e-mail, bank accounts), with the same context words passed to
`analyze(context=...)`. Presidio is scored leniently: a labelled value counts as found when any
Presidio result of that type covers the same digits, even when another type claims the same span.

Both tools get an untimed warm-up on the start of the corpus, then run `--repeat` times each, taking
turns so a change in machine load hits both alike. Throughput is the corpus size over the median
wall-clock time; the median CPU time of the process is printed too (steadier on a busy machine), with
the load average before and after. Prints precision, recall and the throughput ratio.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import sys
import time
from bisect import bisect_right
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from checks.personal_data.detectors import CONTEXT_WORDS, district_codes, normalise_phone, scan  # noqa: E402
from tests.pii_synth import Item, corpus  # noqa: E402

ENTITY = {"nik": "ID_NIK", "kk": "ID_KK", "npwp": "ID_NPWP", "bpjs": "ID_BPJS", "phone": "ID_PHONE",
          "email": "EMAIL_ADDRESS", "account": "ID_BANK_ACCOUNT"}
KIND = {v: k for k, v in ENTITY.items()}
SEP = r"[ .\-]?"
PRESIDIO_PATTERNS = {
    "nik": [r"\b\d{16}\b", r"\b\d{4}[ .-]\d{4}[ .-]\d{4}[ .-]\d{4}\b", r"\b\d{2}\.\d{2}\.\d{2}\.\d{6}\.\d{4}\b"],
    "kk": [r"\b\d{16}\b"],
    "npwp": [r"\b\d{2}\.\d{3}\.\d{3}\.\d-\d{3}\.\d{3}\b", r"\b\d{15,16}\b"],
    "bpjs": [r"\b\d{13}\b"],
    "phone": [rf"(?:\+62|\b62|\b0)8\d{{1,2}}{SEP}\d{{3,4}}{SEP}\d{{3,5}}\b"],
    "email": [r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b"],
    "account": [r"\b\d{8,16}\b", r"\b\d{3,4}-\d{2}-\d{6}-\d{2}-\d\b"],
}
PRESIDIO_CONTEXT = {"kk": ["kk", "keluarga"], "nik": ["nik", "ktp", "kependudukan"], "npwp": ["npwp"],
                    "bpjs": ["bpjs", "jkn", "kis"], "phone": list(CONTEXT_WORDS["phone"]), "email": [],
                    "account": list(CONTEXT_WORDS["account"])}


def norm(kind: str, text: str) -> str:
    if kind == "email":
        return text.lower()
    digits = re.sub(r"\D", "", text)
    if kind == "phone":
        return normalise_phone(digits) or digits
    return digits


def build_presidio():
    logging.getLogger("tldextract").setLevel(logging.ERROR)
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NoOpNlpEngine

    registry = RecognizerRegistry(supported_languages=["en"])
    for kind, patterns in PRESIDIO_PATTERNS.items():
        registry.add_recognizer(PatternRecognizer(
            supported_entity=ENTITY[kind], name=f"{kind}_recognizer", supported_language="en",
            patterns=[Pattern(f"{kind}_{i}", p, 0.4) for i, p in enumerate(patterns)],
            context=PRESIDIO_CONTEXT[kind]))
    engine = AnalyzerEngine(registry=registry, nlp_engine=NoOpNlpEngine(models=[{"lang_code": "en",
                                                                                "model_name": "none"}]),
                            supported_languages=["en"])
    context = sorted({w for ws in PRESIDIO_CONTEXT.values() for w in ws})

    def analyze(text: str) -> list[tuple[str, int, int]]:
        res = engine.analyze(text, language="en", entities=list(ENTITY.values()), context=context)
        return [(KIND[r.entity_type], r.start, r.end) for r in res]

    return analyze


def ours(text: str) -> list[tuple[str, int, int]]:
    return [(m.kind, m.start, m.end) for m in scan(text)]


def score(items: list[Item], text: str, offsets: list[int], found: list[tuple[str, int, int]]):
    """Precision and recall over (item, kind, value) triples."""
    predicted: set[tuple[int, str, str]] = set()
    for kind, s, e in found:
        idx = bisect_right(offsets, s) - 1
        predicted.add((idx, kind, norm(kind, text[s:e])))
    truth = {(i, k, v) for i, it in enumerate(items) for k, v in it.labels}
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(truth) if truth else 1.0
    return precision, recall, len(predicted), len(truth)


def timed(fn, text: str) -> tuple[float, float, list]:
    """(wall seconds, CPU seconds, result) of one call."""
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn(text)
    return time.perf_counter() - w0, time.process_time() - c0, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=6000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    items = corpus(args.items)
    offsets, pos = [], 0
    for it in items:
        offsets.append(pos)
        pos += len(it.text) + 1
    text = "\n".join(it.text for it in items)
    mb = len(text.encode("utf-8")) / 1e6
    district_codes()  # table load is start-up cost, not throughput
    try:
        presidio = build_presidio()
    except ImportError:
        print("presidio-analyzer is not installed (pip install -e '.[bench]')", file=sys.stderr)
        return 2
    tools = (("ppid-auditor", ours), ("presidio", presidio))
    for _name, fn in tools:
        fn(text[:20_000])  # warm-up: compiled patterns, lookup tables, first-call imports
    load_before = os.getloadavg()
    walls: dict[str, list[float]] = {name: [] for name, _ in tools}
    cpus: dict[str, list[float]] = {name: [] for name, _ in tools}
    found: dict[str, list] = {}
    for _ in range(args.repeat):
        for name, fn in tools:
            wall, cpu, found[name] = timed(fn, text)
            walls[name].append(wall)
            cpus[name].append(cpu)
    load_after = os.getloadavg()
    rows = []
    for name, _fn in tools:
        p, r, npred, _ntruth = score(items, text, offsets, found[name])
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        rows.append((name, mb / wall, mb / cpu, p, r, wall, cpu, npred))
    print(f"corpus: {len(items)} items, {sum(len(i.labels) for i in items)} labelled values, {mb:.2f} MB; "
          f"{args.repeat} timed runs per tool")
    print(f"load average before {load_before[0]:.2f} / after {load_after[0]:.2f} (1 min), "
          f"{os.cpu_count()} CPUs")
    print(f"{'tool':14} {'MB/s':>8} {'MB/s cpu':>9} {'precision':>10} {'recall':>8} {'wall s':>8} {'cpu s':>8} "
          f"{'predicted':>9}")
    for name, mbps, mbps_cpu, p, r, wall, cpu, npred in rows:
        print(f"{name:14} {mbps:8.2f} {mbps_cpu:9.2f} {p:10.4f} {r:8.4f} {wall:8.3f} {cpu:8.3f} {npred:9d}")
    for name, _fn in tools:
        print(f"  {name} wall runs (s): {' '.join(f'{w:.3f}' for w in walls[name])}")
    ratio, ratio_cpu = rows[0][1] / rows[1][1], rows[0][2] / rows[1][2]
    print(f"throughput ratio ppid-auditor / presidio: {ratio:.1f}x wall-clock median, {ratio_cpu:.1f}x CPU median "
          f"(recall {rows[0][4]:.4f} vs {rows[1][4]:.4f}, precision {rows[0][3]:.4f} vs {rows[1][3]:.4f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
