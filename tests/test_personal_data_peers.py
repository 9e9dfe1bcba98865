"""Cross-check NIK parsing against npm peers on >= 1,000 generated NIKs (one node process for all).

- `nik-parser` 1.0.1: region validity (province, regency, district). Known bugs: throws on an unknown
  district; its table predates the 2022 Papua provinces (93-96) and newer districts.
- `nik-parse` 1.0.0: sex and birth date. Known bugs: accepts impossible dates (day 32, month 13, 30
  February); reads the current two-digit year as 19yy; its own table is also older.

Where a peer is wrong the case is named and we assert that we are right (checked independently against
the official idn-area-data CSV and Python's calendar); everywhere else we must agree exactly.
"""

from __future__ import annotations

import csv
import json
import subprocess
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from checks.personal_data.detectors import parse_nik
from tests.pii_synth import nik_cases
from tests.servers import need_peer

REPO = Path(__file__).resolve().parents[1]
NODE_MODULES = REPO / "tools/node/node_modules"
AREA = NODE_MODULES / "idn-area-data/data/districts.csv"

NODE_SCRIPT = r"""
const fs = require('fs');
const path = require('path');
const nm = process.argv[1];
const { nikParser } = require(path.join(nm, 'nik-parser'));
let src = fs.readFileSync(path.join(nm, 'nik-parse/bin/index.js'), 'utf8');
src = src.replace(/^#!.*\n/, '').replace(/const yargs[\s\S]*?\.argv;/, '').replace(/console\.log\(nikParse\(options\.nik\)\);/, '');
const nikParse = new Function(src + '\nreturn nikParse;')();
const niks = JSON.parse(fs.readFileSync(0, 'utf8'));
const out = niks.map((nik) => {
  let parser;
  try { parser = nikParser(nik).isValid() ? 'valid' : 'invalid'; } catch (e) { parser = 'throws'; }
  let parse;
  try {
    const r = nikParse(nik);
    parse = r.status === 'success' ? { ok: true, sex: r.data.kelamin, born: r.data.lahir } : { ok: false };
  } catch (e) { parse = { ok: false, error: String(e) }; }
  return { parser, parse };
});
process.stdout.write(JSON.stringify(out));
"""


def _official_districts() -> set[str]:
    with AREA.open(encoding="utf-8") as fh:
        return {r["code"].replace(".", "") for r in csv.DictReader(fh)}


def _calendar_date(nik: str, today: date) -> date | None:
    """Independent reading of DDMMYY for the assertion side (not our parser)."""
    dd, mm, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    dd = dd - 40 if dd > 40 else dd
    for year in (2000 + yy, 1900 + yy):
        try:
            d = date(year, mm, dd)
        except ValueError:
            return None
        if d <= today:
            return d
    return None


@pytest.mark.integration
def test_nik_parsing_agrees_with_peers_where_they_are_right():
    node = need_peer("node")
    need_peer("nik-parse", str(NODE_MODULES / "nik-parse/bin/index.js"))
    need_peer("nik-parser", str(NODE_MODULES / "nik-parser/dist/index.js"))
    need_peer("idn-area-data", str(AREA))
    today = date.today()
    cases = nik_cases(1200, today=today)
    # edge cases by name, on top of the generated ones
    cases_niks = [c.nik for c in cases] + [
        "3403020111" + f"{today.year % 100:02d}" + "0001",  # born this year, before today
        "9301014101000001",  # Papua Selatan (2022 province), a woman born 1 Jan 2000
    ]
    proc = subprocess.run([node, "-e", NODE_SCRIPT, str(NODE_MODULES)], input=json.dumps(cases_niks),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    peer = json.loads(proc.stdout)
    assert len(peer) == len(cases_niks) >= 1000
    official = _official_districts()
    named: Counter[str] = Counter()
    agree_region = agree_sex = agree_date = 0
    for nik, p in zip(cases_niks, peer, strict=True):
        ours = parse_nik(nik, today)
        # -- region validity vs nik-parser
        if p["parser"] == "throws" and ours.region_ok:
            named["nik-parser throws on a current district its older table lacks"] += 1
            assert nik[:6] in official
        elif p["parser"] == "throws":
            named["nik-parser throws on an unknown district"] += 1
            assert nik[:6] not in official
        elif (p["parser"] == "valid") != ours.region_ok:
            named["nik-parser's table lacks a current Kemendagri district"] += 1
            assert p["parser"] == "invalid" and ours.region_ok and nik[:6] in official
        else:
            agree_region += 1
        # -- sex and birth date vs nik-parse (only where it parsed: its table is older too)
        pp = p["parse"]
        if not pp["ok"]:
            if ours.region_ok and ours.date_ok:
                named["nik-parse's table lacks a current district"] += 1
                assert nik[:6] in official
            continue
        truth = _calendar_date(nik, today)
        if truth is None:
            named["nik-parse accepts an impossible date"] += 1
            assert not ours.date_ok and ours.birth_date is None
            continue
        assert ours.date_ok and ours.birth_date == truth
        peer_sex = "P" if pp["sex"] == "PEREMPUAN" else "L"
        assert peer_sex == ours.sex
        agree_sex += 1
        d, m, y = (int(x) for x in pp["born"].split("/"))
        if (y, m, d) != (truth.year, truth.month, truth.day):
            named["nik-parse reads this year's two-digit year as 19yy"] += 1
            assert y == truth.year - 100 and truth.year == today.year
        else:
            agree_date += 1
    print(f"\nNIK cross-check: {len(cases_niks)} NIKs; agree on region {agree_region}, sex {agree_sex}, "
          f"birth date {agree_date}; peer errors: {dict(named)}")
    assert agree_region >= 900 and agree_sex >= 500 and agree_date >= 500
    cats = Counter(c.category for c in cases)
    assert cats["impossible_date"] >= 150 and cats["unknown_region"] >= 150
    assert any(c.female for c in cases) and any(c.born and c.born.year < 2000 for c in cases) \
        and any(c.born and c.born.year >= 2000 for c in cases)
    # The known peer bugs were actually exercised.
    assert named["nik-parser throws on an unknown district"] > 0
    assert named["nik-parse accepts an impossible date"] > 0
