"""Detectors (structural validation), the labelled corpus, grouping/severity/masking, and the check itself."""

from __future__ import annotations

import csv
import json
import random
from datetime import date
from pathlib import Path

import pytest

from auditor.config import SiteConfig
from auditor.snapshot import Document, Headers, Page, Site
from checks.base import CheckContext, Severity
from checks.personal_data import PersonalDataCheck, PersonalDataConfig
from checks.personal_data.detectors import (
    MOBILE_PREFIXES,
    Allowlist,
    normalise_phone,
    parse_nik,
    scan,
    valid_kk,
    valid_nik,
)
from checks.personal_data.evidence import severity_for
from checks.personal_data.regions import district_codes, province_codes
from tests.pii_synth import corpus, make_nik, make_phone
from tests.servers import need_peer

TODAY = date(2026, 11, 25)
REPO = Path(__file__).resolve().parents[1]
AREA = REPO / "tools/node/node_modules/idn-area-data/data/districts.csv"


def kinds(text: str, **kw) -> list[tuple[str, str]]:
    return [(m.kind, m.value) for m in scan(text, today=TODAY, **kw)]


# -- region table ----------------------------------------------------------------------------------------

def test_bundled_region_table_matches_the_official_csv():
    need_peer("idn-area-data", str(AREA))  # npm data: absent -> skip, or fail under PPID_REQUIRE_INTEGRATION=1
    with AREA.open(encoding="utf-8") as fh:
        official = {r["code"].replace(".", "") for r in csv.DictReader(fh)}
    assert district_codes() == official
    assert {"34", "93", "96"} <= province_codes()
    assert "340302" in district_codes()  # Nglipar, Gunungkidul


# -- NIK / KK -------------------------------------------------------------------------------------------

def test_nik_structure_sex_and_birth_date():
    info = parse_nik("3403025708900001", TODAY)
    assert info.valid and info.sex == "P" and info.birth_date == date(1990, 8, 17)
    male = parse_nik("3403021708050001", TODAY)
    assert male.valid and male.sex == "L" and male.birth_date == date(2005, 8, 17)
    # two-digit year: 20yy unless that would be in the future
    assert parse_nik("3403020112260001", TODAY).birth_date is not None  # 2026-12-01 is future -> 1926
    assert parse_nik("3403020112260001", TODAY).birth_date.year == 1926
    assert parse_nik("3403020111260001", TODAY).birth_date.year == 2026


@pytest.mark.parametrize("nik,why", [
    ("3403023208900001", "day 32"), ("3403020008900001", "day 00"), ("3403027208900001", "day 72 (women 41-71)"),
    ("3403021713900001", "month 13"), ("3403021700900001", "month 00"), ("3403023002900001", "30 February"),
    ("3403022902010001", "29 February 2001"), ("3403021708900000", "serial 0000"),
    ("3499021708900001", "unknown regency"), ("3403991708900001", "unknown district"),
    ("1003021708900001", "unknown province"), ("340302170890001", "15 digits"),
])
def test_impossible_niks_are_rejected(nik, why):
    assert not valid_nik(nik, TODAY), why
    assert kinds(f"NIK {nik}") == [] or why == "15 digits"


def test_leap_day_2000_is_valid():
    assert valid_nik("3403022902000001", TODAY)


def test_kk_needs_context_and_has_no_plus_forty():
    kk = "3403021203150004"
    assert valid_kk(kk, TODAY) and not valid_kk("3403025203150004", TODAY)
    assert kinds(f"No. KK {kk}") == [("kk", kk)]
    assert kinds(f"Nomor Kartu Keluarga: {kk}") == [("kk", kk)]
    assert kinds(f"pemohon {kk}") == [("nik", kk)]  # without context a KK-shaped number reads as a NIK


@pytest.mark.parametrize("shown", ["3403 0257 0890 0001", "3403-0257-0890-0001", "34.03.02.570890.0001",
                                   "3403025708900001"])
def test_separators_are_normalised(shown):
    assert kinds(f"NIK: {shown}.") == [("nik", "3403025708900001")]


def test_letters_glued_to_digits_are_not_niks():
    assert kinds("INV3403025708900001") == []
    assert kinds("ref 3403025708900001x") == []


# -- other identifiers ----------------------------------------------------------------------------------

def test_npwp_15_and_16_digits():
    assert kinds("NPWP 01.234.567.8-901.000") == [("npwp", "012345678901000")]
    assert kinds("npwp: 012345678901000") == [("npwp", "012345678901000")]
    assert kinds("kode 012345678901000") == []  # 15 digits, no format, no context
    assert kinds("NPWP 0012345678901000") == [("npwp", "0012345678901000")]
    assert kinds("NPWP (NIK) 3403025708900001") == [("npwp", "3403025708900001")]


def test_bpjs_needs_context():
    assert kinds("No. BPJS Kesehatan 0001234567890") == [("bpjs", "0001234567890")]
    assert kinds("Kartu KIS 0002345678901") == [("bpjs", "0002345678901")]
    assert kinds("kode barang 0001234567890") == []


def test_mobile_numbers_need_a_real_operator_prefix():
    assert kinds("HP 0812-3456-7890") == [("phone", "081234567890")]
    assert kinds("WA +62 812 3456 7890") == [("phone", "081234567890")]
    assert kinds("6281234567890") == [("phone", "081234567890")]
    for bad in ("0810 1234 5678", "0800-123-4567", "(0274) 391234", "0274-391234", "021 5551234"):
        assert kinds(f"telp {bad}") == [], bad
    assert all(normalise_phone(p + "1234567") for p in MOBILE_PREFIXES)


def test_email_and_image_names():
    assert kinds("kirim ke Budi.Santoso@Gmail.com ya") == [("email", "budi.santoso@gmail.com")]
    assert kinds("logo@2x.png dan ikon@3x.webp") == []


def test_bank_accounts_only_next_to_context():
    assert kinds("Rekening BRI 0123-01-012345-53-1 a.n. Budi") == [("account", "012301012345531")]
    assert kinds("transfer 1370012345678 a.n. Siti") == [("account", "1370012345678")]
    assert kinds("nomor seri 1370012345678") == []
    assert kinds("Pagu Rp 1.250.000.000 melalui rekening kas desa") == []
    # a label in an unrelated earlier line does not leak into the next record
    assert kinds("Rekening BRI 0123456789 a.n. Desa\nKode produk 0001234567890") == [("account", "0123456789")]


def test_column_header_makes_every_cell_count():
    odd = "9999991708900001"  # unknown region: not a NIK on structure alone
    assert kinds(odd) == []
    assert kinds(odd, column="nik") == [("nik", odd)]
    assert scan(odd, column="nik", today=TODAY)[0].confidence == "medium"
    assert scan("3403025708900001", column="nik", today=TODAY)[0].confidence == "high"


def test_context_raises_confidence():
    nik = "3403025708900001"
    assert scan(f"warga {nik}", today=TODAY)[0].confidence == "medium"
    assert scan(f"NIK {nik}", today=TODAY)[0].confidence == "high"
    assert scan(nik, context="No. KTP", today=TODAY)[0].confidence == "high"


def test_allowlist_from_config_entries():
    allow = Allowlist.from_entries(["+62 812-3456-7890", "PPID@Desa.id", "@kalurahan.id", "0123456789"])
    text = ("HP 0812 3456 7890, desa ppid@desa.id, lurah@kalurahan.id, warga budi@gmail.com, "
            "rekening BRI 0123456789 a.n. Desa")
    assert kinds(text, allow=allow) == [("email", "budi@gmail.com")]


def test_match_repr_is_masked():
    m = scan("NIK 3403025708900001", today=TODAY)[0]
    assert "3403025708900001" not in repr(m) and "3403**********01" in repr(m)
    assert "3403025708900001" not in repr(parse_nik("3403025708900001", TODAY))


# -- the labelled corpus --------------------------------------------------------------------------------

def test_corpus_precision_and_recall():
    items = corpus(6000)
    assert len(items) >= 5000
    tp = fp = fn = 0
    for it in items:
        got = set(kinds(it.text))
        truth = set(it.labels)
        tp += len(got & truth)
        fp += len(got - truth)
        fn += len(truth - got)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(f"\npersonal_data corpus: {len(items)} items, {tp + fn} labelled values, "
          f"precision {precision:.4f}, recall {recall:.4f}")
    assert precision >= 0.98 and recall >= 0.98
    # The decoys are really there: a bare 16-digit pattern would flag many of them.
    decoys = [it for it in items if not it.labels]
    assert len(decoys) > 2000
    assert sum(1 for it in decoys if any(len(tok.strip(".,:()")) == 16 and tok.strip(".,:()").isdigit()
                                         for tok in it.text.split())) > 300


def test_corpus_joined_as_one_text_keeps_precision():
    """Lines side by side (as in a real document) must not lend each other context."""
    items = corpus(3000, seed=99)
    text = "\n".join(it.text for it in items)
    truth = {lab for it in items for lab in it.labels}
    got = set(kinds(text))
    assert len(got & truth) / len(got) >= 0.98 and len(got & truth) / len(truth) >= 0.98


# -- severity / the check ---------------------------------------------------------------------------------

def test_severity_reflects_volume_and_type():
    assert severity_for("nik", 300) == Severity.CRITICAL
    assert severity_for("nik", 1) == Severity.HIGH
    assert severity_for("phone", 1) == Severity.LOW
    assert severity_for("phone", 60) == Severity.HIGH
    assert severity_for("email", 3) == Severity.LOW


def _ctx(site: Site, **cfg) -> CheckContext:
    sc = SiteConfig(name="desa", url="https://desa.example/", contact_allowlist=cfg.pop("contact", []))
    return CheckContext(site=site, config=PersonalDataConfig(**cfg), http=None, site_config=sc,  # type: ignore[arg-type]
                        secret_key=b"s" * 32, now=lambda: __import__("datetime").datetime(2026, 11, 25))


def _html_page(url: str, body: str) -> Page:
    return Page(url=url, status=200, headers=Headers([("Content-Type", "text/html; charset=utf-8")]),
                body=body.encode())


def test_check_on_a_site_snapshot():
    rng = random.Random(5)
    niks = [make_nik(rng) for _ in range(300)]
    office_hp, lurah_hp, personal_hp = make_phone(rng), make_phone(rng), make_phone(rng)
    footer = f"<footer>Kantor: {office_hp} / Lurah {lurah_hp}</footer>"
    pages = [_html_page(f"https://desa.example/p{i}", f"<p>Berita {i}</p>{footer}") for i in range(4)]
    pages.append(_html_page("https://desa.example/kontak", f"<p>Pak RT HP {personal_hp}</p>{footer}"))
    csv_body = ("No,Nama,NIK\n" + "\n".join(f"{i},Warga {i},{n}" for i, n in enumerate(niks, 1))).encode()
    docs = [Document(url="https://desa.example/blt.csv", status=200,
                     headers=Headers([("Content-Type", "text/csv")]), body=csv_body),
            Document(url="https://desa.example/rusak.pdf", status=200,
                     headers=Headers([("Content-Type", "application/pdf")]), body=b"%PDF-1.4 broken", truncated=True)]
    site = Site(name="desa", url="https://desa.example/", pages=pages, documents=docs)
    res = PersonalDataCheck().run(_ctx(site, contact=[office_hp]))
    by_rule: dict[str, list] = {}
    for f in res.findings:
        by_rule.setdefault(f.rule, []).append(f)
    nik = by_rule["pii.nik"][0]
    assert nik.severity == Severity.CRITICAL and nik.data["count"] == 300 and nik.url.endswith("blt.csv")
    phones = {f.url: f for f in by_rule["pii.phone"]}
    assert phones["https://desa.example/kontak"].data["count"] == 1  # footer numbers not repeated per page
    sitewide = phones["https://desa.example/"]
    assert sitewide.data["count"] == 1 and sitewide.severity == Severity.LOW  # lurah; office is allowlisted
    assert by_rule["pii.document.unscannable"][0].url.endswith("rusak.pdf")
    assert "terpotong" in by_rule["pii.document.unscannable"][0].evidence
    assert res.facts.counts["nik"] == 300 and res.facts.documents_scanned == 2
    # nothing personal in full anywhere: findings JSON, facts, SARIF-relevant fields
    blob = json.dumps([f.to_json() for f in res.findings]) + json.dumps(res.facts, default=str)
    for value in [*niks, office_hp, lurah_hp, personal_hp]:
        assert value not in blob
    # fingerprints: stable across runs and independent of the count
    again = PersonalDataCheck().run(_ctx(site, contact=[office_hp]))
    assert sorted(f.fingerprint for f in again.findings) == sorted(f.fingerprint for f in res.findings)


def test_value_hashes_are_keyed():
    from auditor.redact import keyed_hash

    rng = random.Random(6)
    nik = make_nik(rng)
    doc = Document(url="https://desa.example/a.txt", status=200, headers=Headers([("Content-Type", "text/plain")]),
                   body=f"NIK {nik}".encode())
    site = Site(name="desa", url="https://desa.example/", documents=[doc])
    f = PersonalDataCheck().run(_ctx(site)).findings[0]
    assert f.data["value_hashes"] == [keyed_hash(b"s" * 32, nik)]
    assert keyed_hash(b"t" * 32, nik) != keyed_hash(b"s" * 32, nik)


def test_check_is_registered_as_entry_point():
    from checks.base import discover_checks

    loaded = discover_checks()["personal_data"]
    assert loaded.cls is PersonalDataCheck and loaded.error is None


def test_bad_input_never_raises():
    rng = random.Random(7)
    junk = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000))) for _ in range(30)]
    docs = [Document(url=f"https://desa.example/f{i}.{ext}", status=200, body=b)
            for i, (b, ext) in enumerate(zip(junk, ["pdf", "xlsx", "docx", "ods", "csv", "zip"] * 5, strict=True))]
    docs.append(Document(url="https://desa.example/x.xlsx", status=200, body=b"PK\x03\x04" + bytes(200)))
    res = PersonalDataCheck().run(_ctx(Site(name="d", url="https://desa.example/", documents=docs)))
    assert all(f.rule == "pii.document.unscannable" or f.data["count"] >= 1 for f in res.findings)
    assert sum(1 for f in res.findings if f.rule == "pii.document.unscannable") >= 25


def test_every_kind_is_reported_by_the_check():
    """One document with one value of each kind: the check emits one finding per kind, from its record."""
    from checks.personal_data.records import RULEBOOK
    from tests.pii_synth import positive

    rng = random.Random(11)
    wanted = {"nik", "kk", "npwp", "bpjs", "phone", "email", "account"}
    lines: dict[str, str] = {}
    while set(lines) != wanted:
        item = positive(rng)
        kind = item.labels[0][0]
        lines.setdefault(kind, item.text)
    doc = Document(url="https://desa.example/lampiran.txt", status=200,
                   headers=Headers([("Content-Type", "text/plain")]), body="\n".join(lines.values()).encode())
    res = PersonalDataCheck().run(_ctx(Site(name="desa", url="https://desa.example/", documents=[doc])))
    by_rule = {f.rule: f for f in res.findings}
    assert set(by_rule) == {f"pii.{k}" for k in wanted}
    for rule, f in by_rule.items():
        (title, remediation), (title_en, _) = RULEBOOK[rule].text("id"), RULEBOOK[rule].text("en")
        assert (f.title, f.title_en, f.remediation) == (title, title_en, remediation)
        assert f.data["count"] == 1 and f.url.endswith("lampiran.txt")
