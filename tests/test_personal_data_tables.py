"""Tables are scanned in blocks (`tables.CellBlock`, `evidence.scan_block`): many cells as one text. This
checks the block path against the simple one it replaced, kept here as the oracle: every cell scanned
on its own by the reference implementation (`tests/pii_reference.reference_scan`) with its header and
left-hand label as context, then counted in reading order. Same values, confidences, masked samples
and locations, on random tables built to cross cell borders with context words, separators and e-mail
edges, and at the row/cell caps."""

from __future__ import annotations

import csv
import io
import random
from datetime import date

import pytest

from checks.personal_data.detectors import KINDS, Allowlist, kind_of_header, masked
from checks.personal_data.evidence import LOCATIONS, SAMPLES, relabel_rows, scan_extraction
from checks.personal_data.extract import Extraction
from checks.personal_data.institutional import public_reason
from checks.personal_data.limits import Limits, cell_text
from checks.personal_data.tables import table_chunks
from tests.pii_reference import reference_scan
from tests.pii_synth import aid_recipient_csv
from tests.test_personal_data_scanner import TERMS, random_document, random_number

TODAY = date(2026, 11, 25)
HEADERS = ["No", "Nama", "NIK", "No. KK", "No HP/WA", "NPWP", "No. Rekening", "BPJS", "E-mail", "Alamat",
           "Keterangan", "atas", "Rek a.n", "Nomor"]


def reference_result(rows: list[list[str]], allow: Allowlist | None = None, limits: Limits | None = None,
                     public: dict[str, int] | None = None):
    """{kind: (values with confidence, samples, locations)} as the one-chunk-per-cell path counted them,
    stopping where the row, cell and character caps of `limits` stop (a cell over a cap is not read);
    `public` gets the institutional values left out, counted by reason."""
    limits = limits or Limits()
    groups: dict[str, tuple[dict[str, str], list[str], list[str]]] = {}
    headers: dict[int, tuple[str | None, str]] = {}
    header_found = False
    cells = chars = 0
    for r, row in enumerate(rows):
        if r + 1 > limits.max_rows:
            break
        texts = [cell_text(v) for v in row]
        if not header_found and r < 10:
            kinds = {c: kind_of_header(t) for c, t in enumerate(texts) if t and len(t) < 60}
            if any(kinds.values()):
                header_found = True
                headers = {c: (kinds.get(c), texts[c]) for c in kinds}
                continue
        for c, text in enumerate(texts):
            if len(text) < 8 and "@" not in text:
                continue
            cells, chars = cells + 1, chars + len(text)
            if cells > limits.max_cells or chars > limits.max_chars:
                return groups
            kind, header = headers.get(c, (None, ""))
            left = texts[c - 1] if c > 0 else ""
            context = " ".join(x for x in (header, left if len(left) < 40 else "") if x)
            matches = reference_scan(text, column=kind, context=context, today=TODAY)
            # a left label without letters says nothing: the header and the joining space are the label
            label = context if not left or len(left) >= 40 or left.lower().islower() else f"{header} " if header else ""
            if allow is not None:
                matches = [m for m in matches if not allow.allows(m)]
            reasons = [public_reason(m.kind, m.value, text, m.start, m.end, label) for m in matches]
            matches = [m for m, reason in zip(matches, reasons, strict=True) if reason is None]
            if public is not None:
                for reason in filter(None, reasons):
                    public[reason] = public.get(reason, 0) + 1
            if kind is None and len(matches) > 1:
                matches = relabel_rows(text, matches)
            for m in matches:
                values, samples, locs = groups.setdefault(m.kind, ({}, [], []))
                prev = values.get(m.value)
                if prev is None:
                    if len(samples) < SAMPLES:
                        samples.append(masked(m.kind, m.value))
                    values[m.value] = m.confidence
                elif prev != "high" and m.confidence == "high":
                    values[m.value] = "high"
                loc = f"baris {r + 1} kolom {c + 1}"
                if len(locs) < LOCATIONS and loc not in locs:
                    locs.append(loc)
    return groups


def block_result(rows: list[list[str]], allow: Allowlist | None = None, limits: Limits | None = None):
    ex = Extraction("t.csv", "csv", limits or Limits())
    ex._gen = table_chunks(rows, lambda r, c: f"baris {r + 1} kolom {c + 1}", ex.budget)
    res = scan_extraction(ex, allow, TODAY)
    return {k: (g.values, g.samples, g.locations) for k, g in res.groups.items()}, res


def _cell(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.35:
        return random_number(rng)
    if pick < 0.5:
        term = rng.choice(TERMS)
        return rng.choice([term, term.upper(), f"{term} {random_number(rng)}", f"{random_number(rng)} {term}", " " + term + " "])
    if pick < 0.7:
        return random_document(rng, rng.choice([10, 30, 80])).replace("\r", "")
    if pick < 0.8:
        return rng.choice(["", "x", "12", "a.n", " a.n", "a.n.", "Budi", "\n", "N/A"])
    return f"{rng.choice(['atas', 'a', 'no', 'nomor', 'NIK', ''])} {random_number(rng)}"


def random_table(rng: random.Random, rows: int) -> list[list[str]]:
    width = rng.randint(2, 7)
    out = []
    if rng.random() < 0.8:
        out.append([rng.choice(HEADERS) for _ in range(width)])
    for _ in range(rows):
        out.append([_cell(rng) for _ in range(rng.randint(1, width))])
    return out


@pytest.mark.parametrize("seed", range(8))
def test_blocks_count_like_one_scan_per_cell(seed):
    rng = random.Random(seed)
    kinds: set[str] = set()
    for _ in range(6):
        rows = random_table(rng, rng.choice([5, 60, 400]))
        got, _res = block_result(rows)
        assert got == reference_result(rows), seed
        kinds |= set(got)
    assert kinds >= {"nik", "kk", "phone", "email", "account", "npwp"}


def test_blocks_with_an_allowlist_and_several_blocks():
    rng = random.Random(99)
    rows = random_table(rng, 3000)  # > one block of cells
    got, _ = block_result(rows)
    assert got == reference_result(rows)
    some = [v for g in got.values() for v in list(g[0])[:2]]
    allow = Allowlist.from_entries(some + ["@gmail.com"])
    got, _ = block_result(rows, allow)
    assert got == reference_result(rows, allow)


def test_dense_aid_table_counts_every_identifier():
    text, labels = aid_recipient_csv(300_000, with_labels=True)
    rows = list(csv.reader(io.StringIO(text)))
    got, res = block_result(rows)
    assert got == reference_result(rows)
    for kind in ("nik", "kk", "phone", "account"):
        assert set(got[kind][0]) == {v for k, v in labels if k == kind}
    assert set(got) == {"nik", "kk", "phone", "account"}


@pytest.mark.parametrize("cap", ["rows", "cells", "chars"])
def test_caps_stop_at_the_same_cell(cap):
    rng = random.Random(5)
    rows = random_table(rng, 800)
    limits = {"rows": Limits(max_rows=300), "cells": Limits(max_cells=500), "chars": Limits(max_chars=9000)}[cap]
    got, res = block_result(rows, limits=limits)
    assert any(n.code == f"cap.{cap}" for n in res.notes)
    assert got != reference_result(rows)
    assert got == reference_result(rows, limits=limits)


def test_block_order_is_reading_order():
    """Samples and locations follow the cells' reading order even though cells of different columns are
    scanned in different texts."""
    rows = [["Nama", "NIK", "No HP"]] + [[f"Warga {i}", nik, hp] for i, (nik, hp) in enumerate([
        ("3403015708900001", "081234567890"), ("3403014608910002", "081298765432")])]
    got, _ = block_result(rows)
    assert got["nik"][2] == ["baris 2 kolom 2", "baris 3 kolom 2"]
    assert got["phone"][2] == ["baris 2 kolom 3", "baris 3 kolom 3"]
    assert set(got) <= set(KINDS)


def test_keyed_hasher_equals_keyed_hash():
    from auditor.redact import keyed_hash, keyed_hasher, smallest_keyed_hashes

    values = ["3403015708900001", "Budi.S@Gmail.com", "0812-3456-7890", "٣٤٠٣", "x" * 100, ""]
    for key in (b"k" * 32, b"short", b"L" * 100):
        hasher = keyed_hasher(key)
        assert [hasher(v) for v in values] == [keyed_hash(key, v) for v in values]
        many = values + [str(n) for n in range(3000)]
        for n in (1, 10, 5000):
            assert smallest_keyed_hashes(key, many, n) == sorted(keyed_hash(key, v) for v in many)[:n]


def test_bare_cells_answer_like_the_scanner():
    """`scanner.bare_cell` (the answer for a cell of bare digits in a typed column, without a scan) against
    `find`, for every length and any context bits of the header and label."""
    from checks.personal_data.context import BIT
    from checks.personal_data.scanner import BARE_COLUMNS, bare_cell, find
    from tests.pii_synth import make_kk, make_nik, make_phone

    rng = random.Random(11)
    kinds: set[str] = set()
    for _ in range(3000):
        pick = rng.randrange(6)
        text = (make_nik(rng), make_kk(rng), make_phone(rng), "62" + make_phone(rng)[1:],
                "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 20))),
                "0" + "".join(rng.choice("0123456789") for _ in range(rng.choice([12, 14, 15]))))[pick]
        if rng.random() < 0.2:  # an impossible date or region
            i = rng.randrange(len(text))
            text = text[:i] + rng.choice("0123456789") + text[i + 1:]
        extra = sum(b for b in BIT.values() if rng.random() < 0.2)
        for column in sorted(BARE_COLUMNS):
            got = bare_cell(text, column, extra, TODAY)
            assert find(text, column, today=TODAY, extra=extra) == ([got] if got else []), (text, column, extra)
            kinds.add(got[0] if got else "")
    assert kinds == {"nik", "kk", "npwp", "bpjs", "phone", "account", ""}
