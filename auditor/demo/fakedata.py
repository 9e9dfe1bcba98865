"""Fictional people for the demo site: well-formed NIKs from real region codes, mobile numbers, dates.

Everything here is invented. The numbers follow the real structure (so the personal-data check has
something true to find) but the names say plainly that they are made up.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

# Kemendagri district codes (province.regency.district) used for the fake NIKs, as listed in npm
# `idn-area-data` 4.0.1 `data/districts.csv` (34 = DI Yogyakarta, 34.03 = Kabupaten Gunungkidul).
REGION_CODES: dict[str, str] = {
    "340302": "Nglipar",
    "340301": "Wonosari",
    "340313": "Ngawen",
    "340303": "Playen",
}
VILLAGE_CODE = "34.03.02.2007"  # Katongan, Kapanewon Nglipar

# Real Indonesian mobile operator prefixes (Telkomsel, Indosat, XL/Axis, Tri, Smartfren).
PHONE_PREFIXES = ("0811", "0812", "0813", "0821", "0822", "0852", "0853", "0815", "0816",
                  "0856", "0857", "0817", "0818", "0819", "0859", "0877", "0878", "0831",
                  "0838", "0895", "0896", "0898", "0881", "0882", "0888")

HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
BULAN = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
         "Oktober", "November", "Desember")

# First names common in Gunungkidul, each paired with an unmistakably fictional surname.
_MEN = ("Sukiman", "Tugiyo", "Paijo", "Sarno", "Wagiman", "Ngadino", "Suparjo", "Tukijo", "Mardi",
        "Karyono", "Slamet", "Sugeng")
_WOMEN = ("Painem", "Tukiyem", "Sainem", "Wagiyem", "Rubinem", "Suminah", "Ngatinem", "Jumiyem",
          "Sutini", "Legiyem", "Warsini", "Parmi")
_SURNAMES = ("Contoh", "Fiktif", "Rekaan", "Khayalan")


def tanggal(d: date, *, with_day: bool = False) -> str:
    """Indonesian long date: `12 Agustus 2026`, or `Senin, 3 Maret 2025` with the weekday."""
    text = f"{d.day} {BULAN[d.month - 1]} {d.year}"
    return f"{HARI[d.weekday()]}, {text}" if with_day else text


@dataclass(frozen=True)
class Person:
    name: str
    female: bool
    birth: date
    nik: str
    phone: str
    padukuhan: str


def make_nik(rng: random.Random, region: str, birth: date, female: bool) -> str:
    """16 digits: region (6) + DDMMYY (day + 40 for women) + serial 0001-9999."""
    day = birth.day + (40 if female else 0)
    return f"{region}{day:02d}{birth.month:02d}{birth.year % 100:02d}{rng.randint(1, 9999):04d}"


def make_phone(rng: random.Random) -> str:
    return rng.choice(PHONE_PREFIXES) + "".join(str(rng.randint(0, 9)) for _ in range(rng.choice((7, 8))))


def make_people(count: int, *, seed: int = 3403) -> list[Person]:
    """`count` fictional aid recipients; deterministic for a given seed."""
    rng = random.Random(seed)
    regions = list(REGION_CODES)
    people: list[Person] = []
    for i in range(count):
        female = i % 2 == 1
        first = rng.choice(_WOMEN if female else _MEN)
        name = f"{first} {_SURNAMES[i % len(_SURNAMES)]}"
        birth = date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
        # Most recipients live in Nglipar itself; a few were registered in neighbouring kapanewon.
        region = regions[0] if rng.random() < 0.75 else rng.choice(regions[1:])
        people.append(Person(name, female, birth, make_nik(rng, region, birth, female), make_phone(rng),
                             f"Padukuhan {rng.randint(1, 8)}"))
    return people

