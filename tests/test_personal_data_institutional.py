"""Institutional and public identifiers (`institutional.py` + its data table) are not reported; the
same numbers held by a resident still are."""

from __future__ import annotations

import random
from datetime import date

import pytest

from checks.personal_data.evidence import scan_extraction
from checks.personal_data.extract import extract
from checks.personal_data.institutional import DATA_FILE, is_nip, tables
from tests.pii_synth import make_nik

TODAY = date(2026, 11, 25)
NIK = make_nik(random.Random(1))


def kinds_in(text: str, name: str = "x.txt") -> tuple[dict[str, int], dict[str, int]]:
    res = scan_extraction(extract(text.encode(), name), None, TODAY)
    return {k: res.count(k) for k in res.groups if res.count(k)}, res.public


@pytest.mark.parametrize("text, reason", [
    ("NPWP Pemerintah Desa Katongan: 00.123.456.7-545.000", "npwp_institution"),
    ("NPWP BUMDes: 01.234.567.8-545.000", "npwp_institution"),
    ("NPWP (16 digit) 0001234567545000 Desa Katongan", "npwp_institution"),
    ("Kode rekening 5.1.02.01.01.0024 Belanja Honorarium", "budget_code"),
    ("Rekening belanja 5.2.2.01.01.0001 kode 1.1.01.01", "budget_code"),
    ("Kepala Seksi, NIP. 19750512 200003 1 002, bank BRI", "nip"),
    ("NIB 1234567890123 rekening usaha", "nib"),
    ("Rekening Kas Desa Katongan BRI 1234567890123", "account_institution"),
    ("Transfer ke rekening BPD DIY 0012345678 a.n. BUMDes Maju Jaya", "account_institution"),
    (f"Nomor register 2024.{NIK}", "longer_number"),
    (f"Surat nomor 470/{NIK}/2024", "register"),
])
def test_institutional_identifiers_are_not_findings(text, reason):
    found, public = kinds_in(text)
    assert found == {}, (text, found)
    assert public.get(reason, 0) >= 1, (text, public)


@pytest.mark.parametrize("text, kind", [
    ("NPWP Budi Santoso: 07.123.456.7-545.000", "npwp"),
    ("NPWP 09.876.543.2-545.000 a.n. Siti", "npwp"),
    ("Transfer ke rekening BRI 1234567890 a.n. Budi Santoso", "account"),
    (f"NIK {NIK} Dusun Katongan", "nik"),
    (f"Pemohon SK: {NIK}", "nik"),
])
def test_the_same_numbers_of_residents_still_are(text, kind):
    found, _public = kinds_in(text)
    assert found == {kind: 1}, (text, found)


def test_nip_structure():
    assert is_nip("197505122000031002") and is_nip("19750512 200003 1 002")
    assert not is_nip("197513122000031002")  # month 13
    assert not is_nip("197505122000033002")  # sex 3
    assert not is_nip("197505122000031000")  # serial 000
    assert not is_nip("197505121980031002")  # appointed before 15


def test_budget_and_npwp_tables_in_a_spreadsheet():
    """An APBDes table: a "Kode Rekening" column (not a bank-account column), the village NPWP in a
    "NPWP" column, and the treasury account under "Rekening Kas Desa"."""
    rows = ["Kode Rekening;Uraian;Anggaran;NPWP;Rekening Kas Desa",
            "5.1.02.01.01.0024;Honorarium;12.000.000;00.123.456.7-545.000;1234567890123",
            "510201010025;Belanja ATK;3.500.000;00.123.456.7-545.000;1234567890123"]
    found, public = kinds_in("\n".join(rows) + "\n", "apbdes.csv")
    assert found == {}
    assert public["budget_code"] == 1  # the dotted code; the plain 12 digits are no candidate at all
    assert public["npwp_institution"] == 2 and public["account_institution"] == 2


def test_data_table_cites_its_sources():
    t = tables()
    assert set(t["npwp_institution_codes"]) == {"00", "01", "02", "03"}
    text = DATA_FILE.read_text(encoding="utf-8")
    for source in ("PMK 112/PMK.03/2022", "Permendagri 20/2018", "Permendagri 90/2019", "PP 5/2021"):
        assert source in text
