"""Indonesian date parser: a table of real-world formats seen on village websites and documents."""

from __future__ import annotations

from datetime import date

import pytest

from checks.content.dates import add_months, find_dates, parse_date, parse_machine_date

D = date
# (text as found, expected first date or None)
TABLE: list[tuple[str, date | None]] = [
    # day month-name year, Indonesian
    ("Diperbarui 12 Agustus 2026", D(2026, 8, 12)),
    ("12 Agt 2026", D(2026, 8, 12)),
    ("12 Agu 2026", D(2026, 8, 12)),
    ("12 Ags 2026", D(2026, 8, 12)),
    ("12 Agst 2026", D(2026, 8, 12)),
    ("12 Agus 2026", D(2026, 8, 12)),
    ("Senin, 3 Maret 2025", D(2025, 3, 3)),
    ("Selasa, 04 Maret 2025 - 10:15 WIB", D(2025, 3, 4)),
    ("Rabu 5 Maret 2025", D(2025, 3, 5)),
    ("Kamis, 2 Januari 2025", D(2025, 1, 2)),
    ("Jumat, 7 Juni 2024 | 10:00 WIB", D(2024, 6, 7)),
    ("Jum'at, 7 Juni 2024", D(2024, 6, 7)),
    ("Sabtu, 8 Juni 2024", D(2024, 6, 8)),
    ("Minggu, 9 Juni 2024", D(2024, 6, 9)),
    ("Ahad, 9 Juni 2024", D(2024, 6, 9)),
    ("1 Januari 2026", D(2026, 1, 1)),
    ("14 Februari 2026", D(2026, 2, 14)),
    ("14 Pebruari 2026", D(2026, 2, 14)),
    ("14 Peb 2026", D(2026, 2, 14)),
    ("29 Februari 2024", D(2024, 2, 29)),
    ("17 Mrt 2025", D(2025, 3, 17)),
    ("21 April 2025", D(2025, 4, 21)),
    ("1 Mei 2025", D(2025, 5, 1)),
    ("30 Juni 2025", D(2025, 6, 30)),
    ("17 Juli 2025", D(2025, 7, 17)),
    ("17 Agustus 1945", None),  # before 1990: not a web update date
    ("5 September 2025", D(2025, 9, 5)),
    ("5 Sept 2025", D(2025, 9, 5)),
    ("5 Sep 2025", D(2025, 9, 5)),
    ("28 Oktober 2025", D(2025, 10, 28)),
    ("28 Okt 2025", D(2025, 10, 28)),
    ("10 Nopember 2025", D(2025, 11, 10)),
    ("10 Nop 2025", D(2025, 11, 10)),
    ("10 November 2025", D(2025, 11, 10)),
    ("25 Desember 2025", D(2025, 12, 25)),
    ("25 Des 2025", D(2025, 12, 25)),
    ("25 DESEMBER 2025", D(2025, 12, 25)),
    ("12-Agu-2026", D(2026, 8, 12)),
    ("12-Agustus-2026", D(2026, 8, 12)),
    ("12.Agt.2026", D(2026, 8, 12)),
    ("12 Agustus, 2026", D(2026, 8, 12)),
    ("12 Agt '26", D(2026, 8, 12)),
    ("tanggal 12 bulan Agustus tahun 2026", D(2026, 8, 12)),
    ("Ditetapkan di Sukamaju pada tanggal 2 Januari 2026", D(2026, 1, 2)),
    ("Sukamaju, 15 Juli 2026", D(2026, 7, 15)),
    ("Diposting pada 3 Mar 2025 pukul 09.00 WIB", D(2025, 3, 3)),
    ("Terakhir diperbarui: 1 Agustus 2026 08:00", D(2026, 8, 1)),
    # numeric, day first
    ("03/03/2025", D(2025, 3, 3)),
    ("3/3/2025", D(2025, 3, 3)),
    ("Rabu (5/3/2025)", D(2025, 3, 5)),
    ("Update: 12/08/2026", D(2026, 8, 12)),
    ("12-08-2026", D(2026, 8, 12)),
    ("12.08.2026", D(2026, 8, 12)),
    ("tgl. 1-2-2026", D(2026, 2, 1)),
    ("31/12/25", D(2025, 12, 31)),
    ("03/25/2025", D(2025, 3, 25)),  # second field cannot be a month: read month-first
    # ISO and year first
    ("2025-03-03", D(2025, 3, 3)),
    ("2025-03-03T10:00:00+07:00", D(2025, 3, 3)),
    ("2026/08/12", D(2026, 8, 12)),
    ("2026-8-1", D(2026, 8, 1)),
    # English, as some CMS themes print them
    ("March 3, 2025", D(2025, 3, 3)),
    ("Mar 3, 2025", D(2025, 3, 3)),
    ("3 March 2025", D(2025, 3, 3)),
    ("3rd March 2025", D(2025, 3, 3)),
    ("Posted on August 12, 2026", D(2026, 8, 12)),
    ("Agustus 12, 2026", D(2026, 8, 12)),
    ("Tuesday, 10 June 2025", D(2025, 6, 10)),
    # not dates, or impossible dates
    ("31 Februari 2025", None),
    ("32 Januari 2025", None),
    ("WordPress v1.2.2025", None),
    ("Telp. 0812-3456-7890", None),
    ("NIP. 19790312 200501 1 003", None),
    ("Rp 1.250.000", None),
    ("Nomor 3 Tahun 2025", None),
    ("Pasal 2 ayat (1)", None),
    ("13/13/2025", None),
    ("", None),
]


@pytest.mark.parametrize("text,expected", TABLE, ids=[t[:40] or "empty" for t, _ in TABLE])
def test_parse_date_table(text, expected):
    assert parse_date(text) == expected


def test_table_is_large_enough():
    assert len(TABLE) >= 60
    assert sum(1 for _, e in TABLE if e is not None) >= 60


def test_find_dates_returns_all_in_order_with_source_text():
    text = "Dibuat 2 Januari 2026, diperbarui 03/08/2026 (lihat juga 2026-08-05)."
    found = find_dates(text)
    assert [f.value for f in found] == [D(2026, 1, 2), D(2026, 8, 3), D(2026, 8, 5)]
    assert [f.text for f in found] == ["2 Januari 2026", "03/08/2026", "2026-08-05"]
    assert all(text[f.start:f.start + len(f.text)] == f.text for f in found)


def test_month_precision_only_when_asked():
    assert parse_date("Laporan Bulan Juli 2026") is None
    found = find_dates("Laporan Bulan Juli 2026", month_precision=True)
    assert found[0].value == D(2026, 7, 1) and found[0].precision == "month"
    # an impossible day keeps its text: no vaguer month reading replaces it
    assert find_dates("31 Februari 2025", month_precision=True) == []


@pytest.mark.parametrize("raw,expected", [
    ("2026-08-01T10:00:00+07:00", D(2026, 8, 1)),
    ("2026-08-01", D(2026, 8, 1)),
    ("2026-08-01T23:30:00Z", D(2026, 8, 1)),
    ("Tue, 10 Jun 2025 04:00:00 GMT", D(2025, 6, 10)),
    ("Tue, 10 Jun 2025 04:00:00 +0700", D(2025, 6, 10)),
    ("D:20250301120000+07'00'", D(2025, 3, 1)),
    ("D:20250301", D(2025, 3, 1)),
    ("12 Agustus 2026", D(2026, 8, 12)),
    ("garbage", None),
    (None, None),
])
def test_machine_dates(raw, expected):
    assert parse_machine_date(raw) == expected


@pytest.mark.parametrize("start,months,expected", [
    (D(2026, 1, 31), 1, D(2026, 2, 28)), (D(2024, 1, 31), 1, D(2024, 2, 29)), (D(2026, 5, 20), 3, D(2026, 8, 20)),
    (D(2025, 11, 15), 3, D(2026, 2, 15)), (D(2026, 8, 31), 6, D(2027, 2, 28)), (D(2026, 3, 31), 12, D(2027, 3, 31))])
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected
