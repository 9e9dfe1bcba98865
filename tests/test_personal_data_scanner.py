"""The fast scanning engine (`scanner`, behind `detectors.scan`) against the simple reference
implementation (`tests/pii_reference.reference_scan`): the same values, kinds, spans and confidences on the
labelled corpus and on random documents built to hit the engine's shortcuts (context windows across
lines, words glued to letters, separators, amounts, '+62', e-mail edges, columns and labels)."""

from __future__ import annotations

import random
from datetime import date

import pytest

from checks.personal_data.detectors import CONTEXT_PHRASES, CONTEXT_WORDS, KINDS, scan
from checks.personal_data.scanner import last_days
from tests.pii_reference import reference_scan
from tests.pii_synth import corpus, make_kk, make_nik, make_phone

TODAY = date(2026, 11, 25)
TERMS = [t for ts in CONTEXT_WORDS.values() for t in ts] + [p for ps in CONTEXT_PHRASES.values() for p in ps]
FILLER = ["warga", "Dusun", "teknik", "Jawa", "dewasa", "RT", "no.", "tgl", "Rp", "x", "é", "İstanbul", "ŞAH",
          "_", ":", ",", "(", ")", "/", "-", ".", "+", "  ", "\t", "Nomor", "kode"]


def random_number(rng: random.Random) -> str:
    pick = rng.randrange(14)
    if pick == 0:
        return make_nik(rng)
    if pick == 1:
        nik = make_nik(rng)
        sep = rng.choice([" ", "-", "."])
        return sep.join(nik[i:i + 4] for i in range(0, 16, 4))
    if pick == 2:
        return make_kk(rng)
    if pick == 3:
        p = make_phone(rng)
        return rng.choice([p, "62" + p[1:], f"+62 {p[1:4]} {p[4:8]} {p[8:]}", f"{p[:4]}-{p[4:8]}-{p[8:]}"])
    if pick == 4:
        d = "".join(rng.choice("0123456789") for _ in range(15))
        return rng.choice([d, f"{d[:2]}.{d[2:5]}.{d[5:8]}.{d[8]}-{d[9:12]}.{d[12:]}", "0" + d])
    if pick == 5:
        return "".join(rng.choice("0123456789") for _ in range(rng.choice([8, 10, 13, 16, 17, 20])))
    if pick == 6:
        return ".".join([str(rng.randint(1, 999))] + [f"{rng.randint(0, 999):03d}" for _ in range(rng.randint(2, 4))])
    if pick == 7:
        return f"{rng.randint(1, 28):02d}-{rng.randint(1, 12):02d}-{rng.randint(1990, 2030)}"
    if pick == 8:
        return " ".join(str(rng.randint(0, 99999)) for _ in range(rng.randint(2, 6)))
    if pick == 9:  # a NIK with an impossible or unknown part
        nik = make_nik(rng)
        i = rng.randrange(16)
        return nik[:i] + rng.choice("0123456789") + nik[i + 1:]
    if pick == 10:
        return rng.choice(["0274 391234", "(0274) 391234", "0810-1234-5678", "0 812 3456 7890", "6-281-234-567-890"])
    if pick == 11:
        return "".join(rng.choice("٠١٢٣٤٥٦٧٨٩") for _ in range(16))  # Arabic-Indic digits: a run, never a NIK
    if pick == 12:
        return f"{rng.choice(['budi', 'Siti.R', 'a_b'])}{rng.choice(['@', '@@', '.@'])}{rng.choice(['gmail.com', 'x.co.id', 'a..b.id', 'logo.png'])}"
    return make_phone(rng) + rng.choice(["x", "", " a.n. Budi", "\n"])


def random_document(rng: random.Random, size: int) -> str:
    parts: list[str] = []
    while sum(map(len, parts)) < size:
        pick = rng.random()
        if pick < 0.3:
            term = rng.choice(TERMS)
            parts.append(rng.choice([term, term.upper(), term.title(), "x" + term, term + "x"]))
        elif pick < 0.55:
            parts.append(random_number(rng))
        elif pick < 0.65:
            parts.append(rng.choice(["\n", "\n\n", "\n   ", " \n", "\r\n"]))
        else:
            parts.append(rng.choice(FILLER))
        parts.append(rng.choice([" ", " ", "", ": ", "\n", ", "]))
    return "".join(parts)


def _same(text: str, **kw) -> set[str]:
    """Assert the engine equals the reference on `text`; the kinds found, so callers can check that the
    comparison covered every kind (two engines that both find nothing would agree vacuously)."""
    got, want = scan(text, today=TODAY, **kw), reference_scan(text, today=TODAY, **kw)
    assert got == want, (text[:200], [m for m in got if m not in want], [m for m in want if m not in got])
    return {m.kind for m in got}


def test_same_as_reference_on_the_labelled_corpus():
    items = corpus(6000, seed=3)
    kinds = _same("\n".join(it.text for it in items))
    for it in items[:1500]:
        kinds |= _same(it.text)
    assert kinds == set(KINDS)


@pytest.mark.parametrize("seed", range(6))
def test_same_as_reference_on_random_documents(seed):
    rng = random.Random(seed)
    kinds: set[str] = set()
    for _ in range(40):
        kinds |= _same(random_document(rng, rng.choice([60, 400, 3000])))
    assert kinds == set(KINDS)


def test_same_as_reference_with_columns_and_labels():
    rng = random.Random(42)
    kinds: set[str] = set()
    for _ in range(400):
        cell = random_document(rng, rng.choice([16, 40]))
        kinds |= _same(cell, column=rng.choice(list(KINDS)))
        kinds |= _same(cell, context=rng.choice(["NIK", "No. Rekening", "No HP", "NPWP", "Nama", "BPJS", "No. KK"]))
    assert kinds == set(KINDS)


def test_date_table_matches_the_calendar():
    """`last_days` replaces a date constructor per candidate: check it against `date` itself."""
    table = last_days(TODAY)
    for yy in range(100):
        for mm in range(1, 13):
            ok = []
            for dd in range(1, 32):
                try:
                    valid = any(date(c + yy, mm, dd) <= TODAY for c in (2000, 1900))
                except ValueError:
                    valid = False
                ok.append(valid)
            last = max((d for d, v in enumerate(ok, 1) if v), default=0)
            assert ok == [d <= last for d in range(1, 32)]
            assert table.get(f"{mm:02d}{yy:02d}", ("00", "40")) == (f"{last:02d}", f"{last + 40:02d}")


def test_same_as_reference_without_the_automaton(monkeypatch):
    """The context index falls back to one `str.find` pass per term when `ahocorasick-rs` is missing."""
    from checks.personal_data import context

    monkeypatch.setattr(context, "AUTOMATON", None)
    rng = random.Random(7)
    kinds: set[str] = set()
    for _ in range(30):
        kinds |= _same(random_document(rng, rng.choice([60, 3000])))
    kinds |= _same("\n".join(it.text for it in corpus(1500, seed=5)))
    assert kinds == set(KINDS)
