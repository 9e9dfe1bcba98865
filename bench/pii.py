"""Benchmark: the personal_data detectors vs Microsoft Presidio on two generated, labelled workloads.

    .venv/bin/python bench/pii.py [--items 6000] [--repeat 5] [--dense-mb 40] [--dense-repeat 1] [--xlsx-rows N]

Workload 1, mixed text: the labelled corpus of `synth.corpus` (one line per item, half decoys), scanned
in-process by both tools.

Workload 2, dense spreadsheet: a generated aid-recipient CSV of `--dense-mb` MB (`synth.aid_recipient_csv`:
NIK, No. KK, mobile number and bank account on every row). Ours is timed as a whole process,
`ppid-audit check-file FILE --json OUT` (start-up, imports, CSV parsing, scanning, findings, JSON);
Presidio as reading the file plus one `analyze` call in this process (its start-up is not counted, which
favours it). Ours is scored by the counts per kind in its JSON against the distinct labelled values,
Presidio by precision/recall over values.

With `--xlsx-rows N`, the same rows as an XLSX sheet: ours as a whole `check-file` process against
openpyxl's read-only mode merely reading the values (no scanning), the reader the XLSX path replaced.

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
import json
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from bisect import bisect_right
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from checks.personal_data.detectors import CONTEXT_WORDS, district_codes, normalise_phone, scan  # noqa: E402
from tests.pii_synth import AID_KINDS, Item, aid_recipient_csv, corpus  # noqa: E402

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
    """`analyze(text) -> [(kind, start, end)]` of Presidio with the Indonesian pattern recognizers."""
    engine, context = presidio_engine()

    def analyze(text: str) -> list[tuple[str, int, int]]:
        res = engine.analyze(text, language="en", entities=list(ENTITY.values()), context=context)
        return [(KIND[r.entity_type], r.start, r.end) for r in res]

    return analyze


def presidio_engine():
    """(AnalyzerEngine with the Indonesian pattern recognizers and no NLP model, its context words)."""
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
    return engine, sorted({w for ws in PRESIDIO_CONTEXT.values() for w in ws})


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


def check_file_process(path: Path, out: Path, home: Path) -> tuple[float, float, dict]:
    """(wall s, CPU s of the child, JSON) of one whole `ppid-audit check-file` process."""
    env = {**os.environ, "XDG_CONFIG_HOME": str(home)}
    env.pop("PPID_AUDIT_CONFIG", None)
    config = home / "config.yaml"  # the document time budget is wall-clock: a busy machine must not cut the scan
    config.write_text("sites:\n  - {name: bench, url: 'https://127.0.0.1/'}\n"
                      "checks:\n  personal_data: {document_time_budget_s: 3600}\n")
    cmd = [sys.executable, "-c", "from auditor.cli import main; raise SystemExit(main())", "check-file",
           str(path), "--json", str(out), "--quiet", "--config", str(config)]
    r0 = os.times()
    w0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=home, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - w0
    r1 = os.times()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"check-file failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return wall, (r1.children_user - r0.children_user) + (r1.children_system - r0.children_system), \
        json.loads(out.read_text())


def dense(mb: float, repeat: int, presidio) -> tuple[float, float]:
    """The dense-spreadsheet workload; returns (wall ratio, CPU ratio)."""
    text, labels = aid_recipient_csv(int(mb * 1e6), with_labels=True)
    truth: dict[str, set[str]] = {k: set() for k in AID_KINDS}
    for k, v in labels:
        truth[k].add(v)
    size = len(text.encode("utf-8")) / 1e6
    with tempfile.TemporaryDirectory(prefix="pii-bench-") as tmp:
        home = Path(tmp)
        path = home / "penerima-blt.csv"
        path.write_text(text, encoding="utf-8")
        del text
        check_file_process(path, home / "warm.json", home)  # warm-up: page cache, .pyc files
        load_before = os.getloadavg()
        ours_w, ours_c, pres_w, pres_c = [], [], [], []
        doc: dict = {}
        pres_found: list = []
        for _ in range(repeat):
            w, c, doc = check_file_process(path, home / "out.json", home)
            ours_w.append(w)
            ours_c.append(c)
            w0, c0 = time.perf_counter(), time.process_time()
            body = path.read_text(encoding="utf-8")
            pres_found = presidio(body)
            pres_w.append(time.perf_counter() - w0)
            pres_c.append(time.process_time() - c0)
        load_after = os.getloadavg()
        counts = {f["rule"].removeprefix("pii."): f["data"]["count"] for f in doc["findings"]}
        predicted = {(k, norm(k, body[s:e])) for k, s, e in pres_found}
        del body
    truth_pairs = {(k, v) for k, vs in truth.items() for v in vs}
    tp = len(predicted & truth_pairs)
    p_prec = tp / len(predicted) if predicted else 1.0
    p_rec = tp / len(truth_pairs) if truth_pairs else 1.0
    print()
    print(f"dense spreadsheet: {size:.1f} MB CSV, {len(labels):,} labelled values "
          f"({', '.join(f'{k} {len(v):,}' for k, v in truth.items())} distinct); {repeat} timed run(s) per tool")
    print(f"load average before {load_before[0]:.2f} / after {load_after[0]:.2f} (1 min)")
    print(f"  ppid-auditor check-file (whole process): wall {statistics.median(ours_w):.2f} s, "
          f"CPU {statistics.median(ours_c):.2f} s; counts {counts}")
    exact = all(counts.get(k, 0) == len(v) for k, v in truth.items()) and set(counts) <= set(truth)
    print(f"    counts equal to the distinct labelled values per kind: {'yes' if exact else 'NO'}")
    print(f"  presidio analyze (in-process, file read included): wall {statistics.median(pres_w):.2f} s, "
          f"CPU {statistics.median(pres_c):.2f} s; precision {p_prec:.4f} recall {p_rec:.4f}")
    ratio = statistics.median(pres_w) / statistics.median(ours_w)
    ratio_cpu = statistics.median(pres_c) / statistics.median(ours_c)
    print(f"dense speed ratio ppid-auditor / presidio: {ratio:.1f}x wall-clock, {ratio_cpu:.1f}x CPU")
    return ratio, ratio_cpu


def dense_xlsx(rows: int, repeat: int) -> float:
    """The dense workload as an XLSX sheet of `rows` rows (numbers stored as numbers where a village sheet
    has them); ours as a whole `check-file` process, against openpyxl's read-only mode only reading the
    values (the reader ours replaced; no scanning at all). Returns the CPU ratio."""
    import csv
    import io

    import openpyxl

    text, _labels = aid_recipient_csv(int(rows * 205), with_labels=False)
    table = list(csv.reader(io.StringIO(text)))[:rows + 1]
    del text
    with tempfile.TemporaryDirectory(prefix="pii-bench-") as tmp:
        home = Path(tmp)
        path = home / "penerima-blt.xlsx"
        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("Penerima")
        ws.append(table[0])
        for row in table[1:]:
            ws.append([int(row[0]), *row[1:11], int(row[11].replace(".", ""))])
        wb.save(path)
        del table
        check_file_process(path, home / "warm.json", home)  # warm-up
        load_before = os.getloadavg()
        ours_w, ours_c, lib_w, lib_c = [], [], [], []
        doc: dict = {}
        for _ in range(repeat):
            w, c, doc = check_file_process(path, home / "out.json", home)
            ours_w.append(w)
            ours_c.append(c)
            w0, c0 = time.perf_counter(), time.process_time()
            book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
            cells = 0
            for sheet in book.worksheets:
                sheet.reset_dimensions()
                cells += sum(map(len, sheet.iter_rows(values_only=True)))
            book.close()
            lib_w.append(time.perf_counter() - w0)
            lib_c.append(time.process_time() - c0)
        load_after = os.getloadavg()
        size = path.stat().st_size / 1e6
    counts = {f["rule"].removeprefix("pii."): f["data"]["count"] for f in doc["findings"]}
    print()
    print(f"dense XLSX: {rows:,} rows, {cells:,} cells, {size:.1f} MB; {repeat} timed run(s)")
    print(f"load average before {load_before[0]:.2f} / after {load_after[0]:.2f} (1 min)")
    print(f"  ppid-auditor check-file (whole process): wall {statistics.median(ours_w):.2f} s, "
          f"CPU {statistics.median(ours_c):.2f} s; counts {counts}")
    print(f"  openpyxl read-only, reading the values only: wall {statistics.median(lib_w):.2f} s, "
          f"CPU {statistics.median(lib_c):.2f} s")
    ratio_cpu = statistics.median(lib_c) / statistics.median(ours_c)
    print(f"XLSX speed ratio ppid-auditor (reading and scanning) / openpyxl (reading only): "
          f"{statistics.median(lib_w) / statistics.median(ours_w):.1f}x wall-clock, {ratio_cpu:.1f}x CPU")
    return ratio_cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=6000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dense-mb", type=float, default=40.0, help="size of the dense CSV workload (0: skip)")
    ap.add_argument("--dense-repeat", type=int, default=1)
    ap.add_argument("--xlsx-rows", type=int, default=0,
                    help="also time check-file on the dense rows as an XLSX sheet of this many rows (0: skip)")
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
    if args.dense_mb > 0:
        d_ratio, d_cpu = dense(args.dense_mb, args.dense_repeat, presidio)
        print(f"\nsummary: mixed text {ratio:.1f}x (CPU {ratio_cpu:.1f}x), dense spreadsheet {d_ratio:.1f}x "
              f"(CPU {d_cpu:.1f}x) vs presidio")
    if args.xlsx_rows > 0:
        dense_xlsx(args.xlsx_rows, args.dense_repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
