"""A dense spreadsheet (issue 20: an identifier on every row) through the real `check-file` path, CSV and
XLSX, against the oracle: every cell scanned on its own by the reference implementation
(`tests/test_personal_data_tables.reference_result`). Same counts, confidences, masked samples,
locations, institutional values left out by the same reasons, and the same keyed fingerprints.

The sheet mixes what the column-by-column fast paths of `blocks` answer by structure (bare NIK, KK,
phone and account cells) with what they must hand to the scanner: NIKs written with spaces, a 16-digit
NIK-shaped piece of a longer register number, a free-text column, BPJS and NPWP columns, institutional
NPWPs, e-mails and a village treasury account labelled on its left, short cells with an '@', dates and
amounts next to bank-account words, and rows of uneven width."""

from __future__ import annotations

import csv
import io
import random

import pytest

from auditor.commands.check_file import check_paths
from auditor.redact import keyed_hash
from checks.personal_data.check import PersonalDataConfig
from checks.personal_data.evidence import MAX_HASHES, scan_extraction
from checks.personal_data.extract import extract, plain_lines
from checks.personal_data.limits import Limits, col_letter
from tests.pii_synth import make_kk, make_nik, make_phone, person_name
from tests.test_personal_data_tables import TODAY, reference_result

KEY = b"dense-test-key-0123456789abcdef!"
HEADER = ["No", "NIK", "No. KK", "Nama", "Tgl Lahir", "No HP", "Bank", "No. Rekening", "NPWP", "BPJS", "E-mail",
          "Keterangan", "Keterangan Bank", "Nominal"]
BANKS = ["BRI", "BNI", "Mandiri", "BPD DIY", "Rekening Kas Desa", "BTN"]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _spaced(nik: str, sep: str) -> str:
    return sep.join(nik[i:i + 4] for i in range(0, 16, 4))


def _note(rng: random.Random) -> str:
    pick = rng.randrange(10)
    if pick == 0:
        return f"Reg. {rng.randint(100, 999)}.{make_nik(rng)}.{rng.randint(10, 99)}"  # a piece of a longer number
    if pick == 1:
        return f"NIK istri {_spaced(make_nik(rng, female=True), rng.choice(' .-'))}"
    if pick == 2:
        return f"HP {make_phone(rng)} a.n. {person_name(rng)}, rek {_digits(rng, 10)}"
    if pick == 3:
        return f"Surat 140/{rng.randint(1, 999)}/{rng.randint(2019, 2025)}; kode 5.1.1.{rng.randint(1, 99):02d}"
    if pick == 4:
        return f"NIP {rng.randint(1960, 1990)}0{rng.randint(1, 9)}1{rng.randint(0, 2)} 20{rng.randint(10, 20)}03 1 00{rng.randint(1, 9)}"
    if pick == 5:
        return f"NIK: {make_nik(rng)} No. KK: {make_kk(rng)}"
    if pick == 6:
        return f"{make_nik(rng)}{_digits(rng, rng.randint(1, 4))}"  # NIK-shaped, but longer
    if pick == 7:
        return rng.choice(["a@b", f"HP 0812{_digits(rng, 6)}", f"Telp. 0857-{_digits(rng, 4)}-{_digits(rng, 3)}",
                           f"rek. {_digits(rng, rng.choice((8, 9)))} a.n. {person_name(rng)}",
                           f"transfer {_digits(rng, 8)}", f"{_digits(rng, 4)} {_digits(rng, 5)}"])
    return rng.choice(["", "lunas", "pindah", "meninggal 12-03-2024"])


def dense_rows(n: int, seed: int = 20) -> list[list[str]]:
    """An aid-recipient sheet of `n` rows with every kind of identifier (see the module doc)."""
    rng = random.Random(seed)
    rows = [list(HEADER)]
    for i in range(1, n + 1):
        nik = make_nik(rng, female=rng.random() < 0.5)
        if rng.random() < 0.03:  # an impossible date or region: still a NIK in a NIK column, with less confidence
            nik = nik[:6] + "99" + nik[8:]
        elif rng.random() < 0.02:
            nik = _spaced(nik, " ")
        phone = make_phone(rng)
        phone = rng.choice([phone, phone, phone, phone, "62" + phone[1:], "0274" + _digits(rng, 6), _digits(rng, 5),
                            "0812" + _digits(rng, rng.choice((4, 5, 10))), f"0813-{_digits(rng, 3)}-{_digits(rng, 3)}",
                            f"+62 {phone[1:4]} {phone[4:8]} {phone[8:]}"])
        bank = rng.choice(BANKS)
        account = _digits(rng, rng.choice((8, 10, 10, 13, 15, 16)))
        npwp = _digits(rng, 15) if rng.random() < 0.7 else rng.choice(["00", "01", "02"]) + _digits(rng, 13)
        if rng.random() < 0.2:
            npwp = f"{npwp[:2]}.{npwp[2:5]}.{npwp[5:8]}.{npwp[8]}-{npwp[9:12]}.{npwp[12:]}"
        email = rng.choice(["", "", f"warga{i}@gmail.com", f"desa{i % 7}@katongan.desa.id", "kantor@gunungkidulkab.go.id"])
        row = [str(i), nik, make_kk(rng), person_name(rng), f"{rng.randint(1, 28):02d}-{rng.randint(1, 12):02d}-19{rng.randint(40, 99)}",
               phone, bank, account, npwp, _digits(rng, 13) if rng.random() < 0.5 else "", email, _note(rng),
               rng.choice(["", "", f"{_digits(rng, 4)} {_digits(rng, 4)}", f"{rng.randint(10, 99)}.{_digits(rng, 3)}.{_digits(rng, 3)}",
                           f"via {_digits(rng, 9)}", f"HP 0813{_digits(rng, 7)}", "12-03-2024"]),
               f"{rng.choice((300, 600, 900))}.000"]
        if rng.random() < 0.05:
            row = row[:rng.randint(2, len(row))]  # a short row
        rows.append(row)
    return rows


def _expected(rows: list[list[str]], public: dict[str, int]) -> dict[str, dict]:
    groups = reference_result(rows, public=public)
    out = {}
    for kind, (values, samples, locations) in groups.items():
        out[kind] = {"count": len(values), "with_context": sum(c == "high" for c in values.values()),
                     "samples": samples, "locations": locations,
                     "value_hashes": sorted(keyed_hash(KEY, v) for v in values)[:MAX_HASHES]}
    return out


def _got(findings) -> dict[str, dict]:
    keep = ("count", "with_context", "samples", "locations", "value_hashes")
    return {f.rule.removeprefix("pii."): {k: f.data[k] for k in keep} for f in findings}


@pytest.fixture(scope="module")
def sheet():
    rows = dense_rows(20_000)
    public: dict[str, int] = {}
    return rows, _expected(rows, public), public


def test_dense_csv_through_check_file_equals_the_oracle(sheet, tmp_path):
    rows, expected, public = sheet
    assert set(expected) == {"nik", "kk", "npwp", "bpjs", "phone", "email", "account"}
    assert sum(e["count"] for e in expected.values()) > 3 * len(rows)  # dense: several identifiers a row
    assert expected["nik"]["count"] > 20_000 and expected["nik"]["with_context"] < expected["nik"]["count"]
    assert {"npwp_institution", "longer_number", "account_institution", "email_institution"} <= set(public)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)  # free text with commas: quoted, read by csv.reader
    quoted = tmp_path / "penerima.csv"
    quoted.write_text(buf.getvalue(), encoding="utf-8")
    plain = tmp_path / "penerima-tab.csv"  # no quotes needed: read by splitting lines
    assert not any("\t" in c or "\"" in c for r in rows for c in r)
    plain.write_text("\n".join("\t".join(r) for r in rows) + "\n", encoding="utf-8")
    assert plain_lines(plain.read_text()) is not None and plain_lines(quoted.read_text()) is None
    for path in (quoted, plain):
        findings, unreadable, _notes = check_paths([path], KEY, [], PersonalDataConfig(), today=TODAY)
        assert not unreadable
        assert _got(findings) == expected, path.name
        res = scan_extraction(extract(path.read_bytes(), path.name, limits=Limits()), None, TODAY)
        assert res.public == public
    assert all("*" in sample for f in findings for sample in f.data["samples"])  # masked, never whole


def test_dense_xlsx_through_check_file_equals_the_oracle(sheet, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    rows, expected, public = sheet
    rows = rows[:6000]
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Penerima")
    for row in rows:
        # row numbers and amounts as numbers, as a village sheet stores them
        ws.append([int(c) if c.isdigit() and len(c) < 6 else c for c in row])
    path = tmp_path / "penerima.xlsx"
    wb.save(path)
    public_x: dict[str, int] = {}
    expected_x = _expected([[int(c) if c.isdigit() and len(c) < 6 else c for c in row] for row in rows], public_x)
    findings, unreadable, _notes = check_paths([path], KEY, [], PersonalDataConfig(), today=TODAY)
    assert not unreadable
    for e in expected_x.values():  # the oracle names cells as a CSV's
        e["locations"] = [f"Penerima!{col_letter(int(c) - 1)}{r}" for r, c in
                          (loc.removeprefix("baris ").split(" kolom ") for loc in e["locations"])]
    got = _got(findings)
    assert got == expected_x
    assert [loc.split("!")[0] for loc in got["nik"]["locations"]] == ["Penerima"] * 5


def test_plain_csv_lines_read_like_the_csv_module():
    """`extract.plain_lines` (split instead of `csv.reader` for CSV text without quotes, CR or NUL) gives
    the rows the csv module reads, an empty line aside; text it cannot promise that for goes to the
    csv module."""
    rng = random.Random(3)
    pieces = ["a", "3403015708900001", " ", ";", ",", "\t", "|", "\n", "\n\n", "é", "\u2028", "\x0b", "x y", ""]
    for _ in range(300):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 60)))
        lines = plain_lines(text)
        assert lines is not None
        for delim in ",;\t|":
            ours = [line.split(delim) for line in lines]
            theirs = list(csv.reader(io.StringIO(text), delimiter=delim))
            assert [r if r != [""] else [] for r in ours] == theirs, (text, delim)
    for text in ('a,"b,c"\n', "a,b\r\nc\n", "a\x00b\n", "x" * (csv.field_size_limit() + 1)):
        assert plain_lines(text) is None
