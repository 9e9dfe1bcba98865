"""Kemendagri region codes (province.regency.district) that open every NIK and No. KK.

The bundled `region_codes.txt` is derived from npm `idn-area-data` 4.0.1 (MIT, by fityannugroho), which
packages the official Kemendagri codes (kode wilayah administrasi pemerintahan; its upstream
docs/references.md lists the Kepmendagri decrees). It already has the 2022 Papua provinces 93-96. Only what NIK/KK validation needs is kept: the six-digit district codes,
grouped per regency (`3403 01 02 ...`), about 25 KB instead of 8 MB of CSV. Rebuild with
`python -m checks.personal_data.regions --build tools/node/node_modules/idn-area-data/data`.

Known gap: NIKs keep the codes they were issued with. Regencies moved to the Papua provinces created in
2022 (93-96) had 91.xx/92.xx codes before; those older codes are not in the current table, so such NIKs
are only counted when the column or context says NIK (see detectors).
"""

from __future__ import annotations

import csv
import sys
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("region_codes.txt")
SOURCE = "Kemendagri region codes via npm idn-area-data 4.0.1, extracted 2026-11-25"


@lru_cache(maxsize=1)
def district_codes() -> frozenset[str]:
    """Every valid six-digit district code, e.g. `340302` (Nglipar, Gunungkidul)."""
    codes: set[str] = set()
    for line in DATA_FILE.read_text(encoding="ascii").splitlines():
        if not line or line.startswith("#"):
            continue
        regency, *districts = line.split()
        codes.update(regency + d for d in districts)
    return frozenset(codes)


@lru_cache(maxsize=1)
def province_codes() -> frozenset[str]:
    return frozenset(c[:2] for c in district_codes())


def build(csv_dir: Path) -> str:
    """The compact table text from the idn-area-data CSVs (districts.csv is enough: it carries the full
    dotted code; regencies and provinces are cross-checked so a stray row cannot add a bogus prefix)."""
    provinces = {r["code"] for r in csv.DictReader((csv_dir / "provinces.csv").open(encoding="utf-8"))}
    regencies = {r["code"] for r in csv.DictReader((csv_dir / "regencies.csv").open(encoding="utf-8"))}
    per_regency: dict[str, list[str]] = {}
    for row in csv.DictReader((csv_dir / "districts.csv").open(encoding="utf-8")):
        prov, reg, dist = row["code"].split(".")
        if prov not in provinces or f"{prov}.{reg}" not in regencies:
            continue
        per_regency.setdefault(prov + reg, []).append(dist)
    lines = [
        "# Six-digit district codes (province+regency+district) for NIK / No. KK validation.",
        f"# Source: {SOURCE}.",
        "# Format: regency code, then its district suffixes.",
    ]
    for regency in sorted(per_regency):
        lines.append(" ".join([regency, *sorted(per_regency[regency])]))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - maintenance helper
    if len(sys.argv) != 3 or sys.argv[1] != "--build":
        sys.exit("usage: python -m checks.personal_data.regions --build DIR_WITH_CSVS")
    DATA_FILE.write_text(build(Path(sys.argv[2])), encoding="ascii")
    print(f"wrote {DATA_FILE} ({len(district_codes.__wrapped__())} districts)")
