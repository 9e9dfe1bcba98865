"""Generated, labelled data for tests and benchmarks: valid NIKs from real region codes, and decoys.

Everything here is invented. Values follow the real structure (so detectors have something to find)
but belong to nobody: serials are random and names are drawn from a short list of common names.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from checks.personal_data.detectors import MOBILE_PREFIXES
from checks.personal_data.regions import district_codes

FIRST = ["Budi", "Siti", "Agus", "Sri", "Dwi", "Eko", "Wahyu", "Rina", "Joko", "Ani", "Bambang", "Tri",
         "Sumarni", "Yuli", "Slamet", "Nur", "Dewi", "Hendra", "Ratna", "Sugeng"]
LAST = ["Santoso", "Wulandari", "Prasetyo", "Lestari", "Hidayat", "Rahayu", "Saputra", "Handayani",
        "Susanto", "Utami", "Nugroho", "Purnomo"]
DUSUN = ["Katongan", "Kedungpoh", "Ngawis", "Pilangrejo", "Natah", "Kedungkeris", "Nglipar"]
BANKS = ["BRI", "BNI", "Mandiri", "BPD DIY", "BSI", "BTN"]


@dataclass
class Item:
    text: str
    labels: list[tuple[str, str]] = field(default_factory=list)  # (kind, normalised value)


@lru_cache(maxsize=1)
def _districts() -> list[str]:
    return sorted(district_codes())


def make_nik(rng: random.Random, *, female: bool | None = None, born: date | None = None,
             district: str | None = None, serial: int | None = None) -> str:
    female = rng.random() < 0.5 if female is None else female
    born = born or date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 84))
    district = district or rng.choice(_districts())
    dd = born.day + (40 if female else 0)
    serial = serial if serial is not None else rng.randint(1, 9999)
    return f"{district}{dd:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


def make_kk(rng: random.Random) -> str:
    issued = date(2000, 1, 1) + timedelta(days=rng.randrange(0, 365 * 25))
    return f"{rng.choice(_districts())}{issued:%d%m%y}{rng.randint(1, 9999):04d}"


def make_phone(rng: random.Random) -> str:
    prefix = rng.choice(sorted(MOBILE_PREFIXES))
    return prefix + "".join(str(rng.randrange(10)) for _ in range(rng.choice((7, 8, 8, 9))))


def unknown_region(rng: random.Random) -> str:
    """A six-digit prefix that is no district anywhere: province 00/10/20..., regency 00 or district 00."""
    known = _districts()
    pick = rng.random()
    if pick < 0.34:
        return f"{rng.choice(['00', '10', '20', '30', '40', '45', '50', '60', '70', '80', '90', '99'])}" \
               f"{rng.randint(1, 20):02d}{rng.randint(1, 20):02d}"
    base = rng.choice(known)
    return base[:2] + "00" + base[4:] if pick < 0.67 else base[:4] + "00"


def impossible_date(rng: random.Random, female: bool) -> tuple[int, int, int]:
    """(dd, mm, yy) that is no calendar date, the +40 already applied for women."""
    yy = rng.randint(0, 99)
    choice = rng.randrange(6)
    if choice == 0:
        dd, mm = 32, rng.randint(1, 12)
    elif choice == 1:
        dd, mm = 0, rng.randint(1, 12)
    elif choice == 2:
        dd, mm = rng.randint(1, 28), 13
    elif choice == 3:
        dd, mm = rng.randint(1, 28), 0
    elif choice == 4:
        dd, mm = 30, 2
    else:
        dd, mm, yy = 29, 2, rng.choice([1, 2, 3, 5, 6, 7, 9, 10, 11, 13, 14, 15, 17, 18, 19, 21, 22, 23])
    return dd + (40 if female and dd else 0), mm, yy


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randint(1, 9)) + "".join(str(rng.randrange(10)) for _ in range(n - 1))


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _spaced(rng: random.Random, nik: str) -> str:
    style = rng.randrange(4)
    if style == 0:
        return " ".join(nik[i:i + 4] for i in range(0, 16, 4))
    if style == 1:
        return "-".join(nik[i:i + 4] for i in range(0, 16, 4))
    if style == 2:
        return f"{nik[:2]}.{nik[2:4]}.{nik[4:6]}.{nik[6:12]}.{nik[12:]}"
    return nik


def positive(rng: random.Random) -> Item:
    kind = rng.choices(["nik", "nik_plain", "nik_sep", "kk", "npwp", "npwp16", "bpjs", "phone", "email",
                        "account"], weights=[14, 10, 8, 8, 5, 2, 5, 14, 8, 4])[0]
    name = person_name(rng)
    if kind.startswith("nik"):
        nik = make_nik(rng)
        if kind == "nik":
            label = rng.choice(["NIK", "No. KTP", "Nomor Induk Kependudukan", "NIK."])
            return Item(f"{name}, {label}: {nik}, Dusun {rng.choice(DUSUN)}", [("nik", nik)])
        if kind == "nik_plain":
            return Item(f"{rng.randint(1, 300)}. {name} {nik} RT {rng.randint(1, 9):02d} {rng.choice(DUSUN)}",
                        [("nik", nik)])
        return Item(f"KTP a.n. {name} nomor {_spaced(rng, nik)} berlaku seumur hidup", [("nik", nik)])
    if kind == "kk":
        kk = make_kk(rng)
        return Item(f"{rng.choice(['No. KK', 'Nomor Kartu Keluarga', 'KK'])}: {kk} kepala keluarga {name}",
                    [("kk", kk)])
    if kind == "npwp":
        d = _digits(rng, 15)
        return Item(f"NPWP {name}: {d[:2]}.{d[2:5]}.{d[5:8]}.{d[8]}-{d[9:12]}.{d[12:]}", [("npwp", d)])
    if kind == "npwp16":
        d = "0" + _digits(rng, 15)
        return Item(f"NPWP (16 digit) {d} atas nama {name}", [("npwp", d)])
    if kind == "bpjs":
        d = "000" + "".join(str(rng.randrange(10)) for _ in range(10))
        return Item(f"{rng.choice(['No. BPJS Kesehatan', 'No. Kartu JKN', 'Kartu KIS'])} {d} peserta {name}",
                    [("bpjs", d)])
    if kind == "phone":
        p = make_phone(rng)
        style = rng.randrange(4)
        shown = {0: p, 1: f"{p[:4]}-{p[4:8]}-{p[8:]}", 2: f"+62 {p[1:4]} {p[4:8]} {p[8:]}", 3: "62" + p[1:]}[style]
        label = rng.choice(["HP", "No. HP/WA", "Telp", "hubungi", "kontak"])
        return Item(f"{name} ({label} {shown})", [("phone", p)])
    if kind == "email":
        user = name.lower().replace(" ", rng.choice([".", "_", ""])) + str(rng.randint(1, 99))
        addr = f"{user}@{rng.choice(['gmail.com', 'yahoo.co.id', 'ymail.com', 'outlook.com'])}"
        return Item(f"Surel pemohon: {addr}", [("email", addr)])
    acct = _digits(rng, rng.choice((10, 13, 15)))
    return Item(f"Transfer ke rekening {rng.choice(BANKS)} {acct} a.n. {name}", [("account", acct)])


def _decoy(rng: random.Random) -> Item:
    kind = rng.randrange(12)
    if kind == 0:
        return Item(f"No. Invoice {_digits(rng, 16)} tanggal {rng.randint(1, 28)}-{rng.randint(1, 12)}-2024")
    if kind == 1:
        female = rng.random() < 0.5
        dd, mm, yy = impossible_date(rng, female)
        d = rng.choice(_districts())
        return Item(f"NIK: {d}{dd:02d}{mm:02d}{yy:02d}{rng.randint(1, 9999):04d} (salah ketik)")
    if kind == 2:
        nik = make_nik(rng)
        return Item(f"{person_name(rng)} {unknown_region(rng)}{nik[6:]} Dusun {rng.choice(DUSUN)}")
    if kind == 3:
        return Item(f"Telp. kantor ({rng.choice(['0274', '021', '0271', '0251'])}) {_digits(rng, 6)}, "
                    f"fax {rng.choice(['0274', '0271'])}-{_digits(rng, 6)}")
    if kind == 4:
        bad = rng.choice(["0810", "0820", "0800", "0840", "0870", "0890", "0860"])
        return Item(f"Kode registrasi {bad}-{_digits(rng, 4)}-{_digits(rng, 4)}")
    if kind == 5:
        return Item(f"Tanggal {rng.randint(1, 28):02d}-{rng.randint(1, 12):02d}-{rng.randint(1990, 2026)} "
                    f"pukul {rng.randint(0, 23):02d}.{rng.randint(0, 59):02d} WIB, surat no. "
                    f"{rng.randint(100, 999)}/{rng.randint(1, 99)}/{rng.randint(2019, 2026)}")
    if kind == 6:
        return Item(f"Pagu anggaran Rp {rng.randint(1, 999)}.{rng.randint(0, 999):03d}.{rng.randint(0, 999):03d}"
                    f".{rng.randint(0, 999):03d} disalurkan melalui rekening kas desa")
    if kind == 7:
        nip = f"19{rng.randint(60, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d} " \
              f"20{rng.randint(0, 20):02d}{rng.randint(1, 12):02d} {rng.randint(1, 2)} {rng.randint(1, 999):03d}"
        return Item(f"Kepala Seksi, NIP. {nip}")
    if kind == 8:
        return Item(f"Kode produk {_digits(rng, 13)}, ID transaksi {_digits(rng, 15)}")
    if kind == 9:
        nik = make_nik(rng, serial=0)
        return Item(f"Nomor contoh {nik} tidak terdaftar")
    if kind == 10:
        return Item(f"ISBN 978-602-{rng.randint(1000, 9999)}-{rng.randint(10, 99)}-{rng.randint(0, 9)}, "
                    f"nomor seri {_digits(rng, 10)}")
    return Item(f"Koordinat -7.{_digits(rng, 6)}, 110.{_digits(rng, 6)}; luas {rng.randint(1, 999)}.{_digits(rng, 3)} m2")


def corpus(n: int = 6000, seed: int = 20241125, positive_share: float = 0.5) -> list[Item]:
    """`n` labelled lines, about half with one personal-data value, the rest decoys."""
    rng = random.Random(seed)
    return [positive(rng) if rng.random() < positive_share else _decoy(rng) for _ in range(n)]


@dataclass
class NikCase:
    nik: str
    category: str  # valid, impossible_date, unknown_region, serial_zero
    female: bool
    born: date | None  # for valid cases


def nik_cases(n: int = 1200, seed: int = 7, today: date | None = None) -> list[NikCase]:
    """NIKs for cross-checking against peers: men and women, 19xx and 20xx births, valid and impossible
    dates, known and unknown regions."""
    today = today or date.today()
    rng = random.Random(seed)
    out: list[NikCase] = []
    districts = _districts()
    for i in range(n):
        female = i % 2 == 1
        cat = ("valid", "valid", "valid", "impossible_date", "unknown_region", "serial_zero")[i % 6]
        if cat in ("valid", "serial_zero", "unknown_region"):
            if rng.random() < 0.5:
                born = date(2000, 1, 1) + timedelta(days=rng.randrange(0, (today - date(2000, 1, 1)).days))
            else:
                # 19xx births whose two-digit year cannot be read as a past 20xx date
                yy = rng.randint(today.year % 100 + 1, 99)
                born = date(1900 + yy, rng.randint(1, 12), rng.randint(1, 28))
            nik = make_nik(rng, female=female, born=born, district=rng.choice(districts),
                           serial=0 if cat == "serial_zero" else None)
            if cat == "unknown_region":
                nik = unknown_region(rng) + nik[6:]
            out.append(NikCase(nik, cat, female, born if cat != "unknown_region" else born))
        else:
            dd, mm, yy = impossible_date(rng, female)
            out.append(NikCase(f"{rng.choice(districts)}{dd:02d}{mm:02d}{yy:02d}{rng.randint(1, 9999):04d}",
                               cat, female, None))
    return out


STREETS = ["Melati", "Mawar", "Kenanga", "Anggrek", "Flamboyan", "Cempaka", "Sawo", "Nangka"]
AID_HEADER = ["No", "NIK", "No. KK", "Nama Penerima", "Tanggal Lahir", "Alamat", "Dusun", "No. HP", "Bank",
              "No. Rekening", "Jenis Bantuan", "Nominal"]
AID_KINDS = ("nik", "kk", "phone", "account")


def aid_recipient_csv(target_bytes: int, seed: int = 20, with_labels: bool = False,
                      ) -> tuple[str, list[tuple[str, str]]]:
    """A dense aid-recipient table as CSV text (an identifier in every row: NIK, No. KK, mobile number and
    bank account of each recipient), about `target_bytes` long; with `with_labels`, the (kind, value)
    pairs it holds."""
    rng = random.Random(seed)
    lines = [",".join(AID_HEADER)]
    labels: list[tuple[str, str]] = []
    size = len(lines[0]) + 1
    aid = ["BLT Dana Desa", "PKH", "BPNT", "BST", "Bantuan Lansia"]
    row = 0
    while size < target_bytes:
        row += 1
        female = rng.random() < 0.5
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 80))
        nik, kk, phone = make_nik(rng, female=female, born=born), make_kk(rng), make_phone(rng)
        acct = _digits(rng, rng.choice((10, 13, 15)))
        cells = [str(row), nik, kk, person_name(rng), born.strftime("%d-%m-%Y"),
                 f"Jl. {rng.choice(STREETS)} No. {rng.randint(1, 120)} RT {rng.randint(1, 9):02d} RW "
                 f"{rng.randint(1, 9):02d} Kalurahan Katongan Kapanewon Nglipar Gunungkidul", rng.choice(DUSUN), phone,
                 rng.choice(BANKS), acct, rng.choice(aid), f"{rng.choice((300, 600, 900))}.000"]
        line = ",".join(cells)
        lines.append(line)
        size += len(line) + 1
        if with_labels:
            labels += [("nik", nik), ("kk", kk), ("phone", phone), ("account", acct)]
    return "\n".join(lines) + "\n", labels
