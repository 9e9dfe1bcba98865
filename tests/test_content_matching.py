"""Indonesian normalisation and matching of approved items to page titles, link texts and document names."""

from __future__ import annotations

import pytest

from checks.content.matching import normalise, score_text, tokens


@pytest.mark.parametrize("a,b", [
    ("Perdes APBDes 2026", "Peraturan Desa tentang Anggaran Pendapatan dan Belanja Desa 2026"),
    ("APB Des", "APBDes"),
    ("APB-Desa", "apbdes"),
    ("RPJMDes 2025-2031", "Rencana Pembangunan Jangka Menengah Desa 2025 2031"),
    ("Perkal APBKal", "Peraturan Kalurahan tentang APB Kalurahan"),
    ("Laporan Realisasi (Semester I)", "laporan realisasi semester i"),
    ("Profil Désa", "PROFIL DESA"),
    ("SK Kades No. 5 Th. 2026", "Surat Keputusan Kepala Desa Nomor 5 Tahun 2026"),
])
def test_equivalent_spellings_normalise_alike(a, b):
    assert tokens(a) == tokens(b)


def test_normalise_lowercases_and_drops_punctuation():
    assert normalise("Data Penerima BLT-DD (TW 4)") == "data penerima bantuan langsung tunai dana desa tw 4"


@pytest.mark.parametrize("pattern,text,matches", [
    ("Laporan Realisasi APBDes", "Laporan Realisasi APBDes Semester I 2026", True),
    ("Laporan Realisasi APBDes", "Laporan APBDes 2026", False),  # a keyword is missing
    ("Dokumen Lumbung", "lumbung.pdf", True),  # generic words are not required
    ("re:nomor \\d+ tahun 2026", "Perdes No. 3 Th. 2026", True),
    ("re:[", "anything", False),  # a broken regex never matches and never raises
    ("", "Profil Desa", False),
])
def test_score(pattern, text, matches):
    assert (score_text(pattern, text) > 0) is matches


def test_closer_titles_score_higher():
    exact = score_text("Profil Desa", "Profil Desa")
    longer = score_text("Profil Desa", "Profil Desa dan Sejarah Singkat Pemerintahan")
    assert exact > longer > 0


def test_indexed_find_matches_equals_scoring_every_text():
    """The keyword index only skips texts that cannot score: same matches as scoring everything."""
    import random

    from auditor.snapshot import Page
    from checks.content.matching import Candidate, Match, find_matches, score_text

    rng = random.Random(16)
    words = ["apbdes", "laporan", "realisasi", "perdes", "rpjmdes", "2026", "2025", "desa", "dokumen", "informasi",
             "semester", "anggaran", "bumdes", "profil", "berita", "sop", "ppid"]
    cands = [Candidate(Page(url=f"http://d.test/{i}", status=200),
                       [(w, " ".join(rng.sample(words, rng.randint(1, 5)))) for w in ("judul", "teks tautan")])
             for i in range(300)]

    def naive(patterns, min_score):
        out = []
        for cand in cands:
            best = None
            for where, text in cand.texts:
                for pat in patterns:
                    s = score_text(pat, text)
                    if s >= min_score and (best is None or s > best.score):
                        best = Match(cand, s, where, text)
            if best:
                out.append(best)
        return sorted(out, key=lambda m: (-m.score, m.candidate.url))

    checked = 0
    for _ in range(60):
        patterns = [" ".join(rng.sample(words, rng.randint(1, 3))) for _ in range(rng.randint(1, 3))]
        got, want = find_matches(patterns, cands), naive(patterns, 0.6)
        assert [(m.candidate.url, m.score, m.text) for m in got] == [(m.candidate.url, m.score, m.text) for m in want]
        checked += bool(want)
    assert checked > 20  # the comparison saw real matches, not only empty lists
