"""The audit's fast paths find exactly what the straightforward ones find (issue 16, checks' cost).

The oracles are in `tests/audit_reference.py` (the code the checks ran before). Each fast path is compared
with its oracle on generated inputs built to hit the hard cases (dates next to digits, day and month names
in any case, Unicode digits and spaces; tables inside tables and inside skipped tags, attributes, comments),
and a whole audit of the demo site is run both ways: same findings, same facts.
"""

from __future__ import annotations

import random
import shutil
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml

from auditor.config import load_config
from auditor.demo import DemoServer, build_site, write_demo_config
from auditor.htmldoc import HIDDEN_TAGS, parse_document, visible_text
from auditor.runner import run_audit
from auditor.store import Store
from checks.content import dates
from checks.content.evidence import NOT_TEXT
from checks.headers.html import markup_of
from checks.personal_data.html_text import html_chunks
from checks.personal_data.limits import Budget, Limits
from checks.personal_data.tables import CellBlock
from tests import audit_reference as ref
from tests.servers import REPO

sys.path.insert(0, str(REPO / "bench"))
import audit as bench_site  # noqa: E402  (bench/audit.py: the benchmark's own pages)

# --- dates -------------------------------------------------------------------------------------------

MONTH_WORDS = [*dates.MONTHS, "ſept", "o\u212at", "Agt.", "MEI"]  # long s and Kelvin sign fold to s and k
DAY_WORDS = ["senin", "jum'at", "jumat", "Wednesday", "minggu", "ahad", "x"]
SEPS = [" ", "", ",", ", ", ".", "-", "/", "  ", "\n", "\xa0", " - ", "\t", "_", ":", "\u2003"]
NUMBERS = ["1", "3", "12", "31", "29", "2025", "1999", "25", "'26", "’24", "٣", "３", "2026", "0", "00", "123", "13",
           "2101", "٢٠٢٥"]
NOISE = ["x", "a ", " ", "(", ")", "diperbarui ", "tgl. ", "no ", "7", "1.", "12/", "-", ".", "Berita nomor 5 "]


def _case(word: str, rng: random.Random) -> str:
    r = rng.random()
    return word.upper() if r < 0.15 else word.title() if r < 0.3 else word


def _date_piece(rng: random.Random) -> str:
    """A date in one of the patterns' shapes with random parts, often almost but not quite a date."""
    pick = rng.choice
    shape = rng.randrange(5)
    if shape == 0:  # [day name] day [st] month [.] [tahun] year
        return ((_case(pick(DAY_WORDS), rng) + pick(SEPS) if rng.random() < 0.4 else "") + pick(NUMBERS)
                + pick(["", "st", "th", "nd"]) + pick(SEPS) + (_case("bulan ", rng) if rng.random() < 0.2 else "")
                + _case(pick(MONTH_WORDS), rng) + pick(["", "."]) + pick(SEPS)
                + (_case("tahun ", rng) if rng.random() < 0.2 else "") + pick(NUMBERS))
    if shape == 1:  # month day, year
        return (_case(pick(MONTH_WORDS), rng) + pick(["", "."]) + pick(SEPS) + pick(NUMBERS) + pick(["", "st", "TH"])
                + pick(["", ","]) + pick(SEPS) + pick(NUMBERS))
    if shape == 2:  # numeric, separators the same or not
        sep = pick("-/.")
        return pick(NUMBERS) + pick([sep, pick(SEPS)]) + pick(NUMBERS) + pick([sep, pick(SEPS)]) + pick(NUMBERS)
    if shape == 3:  # month and year
        return _case(pick(MONTH_WORDS), rng) + pick(SEPS) + pick(NUMBERS)
    return pick(NOISE)


def test_find_dates_matches_every_pattern_tried_everywhere():
    rng = random.Random(20260612)
    texts = ["".join(_date_piece(rng) for _ in range(rng.randint(1, 6))) for _ in range(15_000)]
    with_dates = 0
    for text in texts:
        for month_precision in (False, True):
            expected = ref.find_dates(text, month_precision=month_precision)
            assert dates.find_dates(text, month_precision=month_precision) == expected, repr(text)
            with_dates += bool(expected)
    assert with_dates > 1_000  # the corpus exercises real matches, not only misses


def test_find_dates_on_page_texts():
    texts = [visible_text(parse_document(bench_site.news_page(i, 500, []).decode()), NOT_TEXT) for i in range(60)]
    texts.append(" ".join(texts[:5]) + " Diperbarui Senin, 3 Maret 2025; rapat 05/03/2025 dan 2025-03-06.")
    for text in texts:
        assert dates.find_dates(text) == ref.find_dates(text)
    assert all(ref.find_dates(t) for t in texts)


# --- page text ---------------------------------------------------------------------------------------

TAGS = ["meta", "link", "img", "iframe", "form", "video", "object", "input", "p", "div", "span", "a", "b", "li", "ul", "table", "tr", "td", "th", "script", "style", "noscript",
        "template", "svg", "text", "br", "h1", "section", "label", "option", "select", "pre", "em"]
ATTRS = ['alt="Foto 0812-3456-7890"', 'title="x"', 'href="mailto:a@b.co?s=1"', 'href="TEL:+62812345678"',
         'href="/x"', 'href="https://wa.me/62812"', 'data-nik="3402010101900001"', 'data-x=""', 'value="v"',
         'class="c"', 'content="k"', 'aria-label="l"', 'href="MaIlTo:x@y.id"', 'href="tel:08"',
         'data-original-title="t"', 'src="http://x/a.js"', 'integrity="sha384-x"', 'rel="stylesheet"',
         'http-equiv="Content-Security-Policy"', 'name="referrer"', 'action="http://x/f"', 'poster="p.png"', 'data-long="' + "9" * 250 + '"']
TEXTS = ["NIK 3402010101900001", " ", "\n", "\t  x  ", "Telp 0812 3456 7890", "a@b.co.id", "&nbsp;y", "z\r\n",
         "Diperbarui 12 Maret 2025", "<!-- komentar 0812345678 -->", "<?php echo 1; ?>", "&amp;", "   ", "&bogus;"]


def _table(rng: random.Random, depth: int) -> str:
    rows = []
    for r in range(rng.randint(1, 4)):
        cells = []
        for _ in range(rng.randint(1, 3)):
            tag = "th" if r == 0 and rng.random() < 0.5 else "td"
            cells.append(f"<{tag} {rng.choice(ATTRS)}>{_html(rng, depth + 1)}</{tag}>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table {rng.choice(ATTRS)}>" + "".join(rows) + "</table>"


def _html(rng: random.Random, depth: int = 0) -> str:
    out = []
    for _ in range(rng.randint(0, 5 if depth < 4 else 1)):
        r = rng.random()
        if r < 0.45 or depth > 5:
            out.append(rng.choice(TEXTS))
        elif r < 0.55:
            out.append(_table(rng, depth))
        else:
            tag = rng.choice(TAGS)
            attrs = " ".join(rng.sample(ATTRS, rng.randint(0, 2)))
            out.append(f"<{tag} {attrs}>{_html(rng, depth + 1)}</{tag}>")
    return "".join(out)


def _chunks(fn, html: str, root) -> list[tuple]:
    """Everything a chunk hands the scanner (a table block's cell locations included)."""
    out: list[tuple] = []
    for c in fn(html, Budget(Limits()), root=root):
        if isinstance(c, CellBlock):
            cols = [(col.index, col.kind, list(col.texts), col.cells,
                     [col.label(i) for i in range(len(c.rows))], col.extra) for col in c.columns]
            out.append(("cells", c.rows, c.prefix, cols,
                        [c.loc(i, col.index) for col in c.columns for i in range(len(c.rows))]))
        else:
            out.append(("text", c.text, c.loc, c.column, c.context, c.by_line))
    return out


def _pages() -> list[str]:
    rng = random.Random(16)
    generated = ["<html><body>" + _html(rng) + "</body></html>" for _ in range(2_500)]
    docs = [("Laporan", "/laporan.pdf")]
    news = [bench_site.news_page(i, 500, docs if i % 10 == 0 else []).decode() for i in range(30)]
    return generated + news


def test_page_text_matches_reference():
    kinds: dict[str, int] = {}
    for html in _pages():
        root = parse_document(html)
        if root is None:
            continue
        for skip in (HIDDEN_TAGS, NOT_TEXT):
            assert visible_text(root, skip) == ref.visible_text(root, skip), html
        assert markup_of(root) == ref.markup_of(root), html
        got = _chunks(html_chunks, html, root)
        assert got == _chunks(ref.html_chunks, html, root), html
        for c in got:
            kinds[c[0] if c[0] == "cells" else c[2]] = kinds.get(c[0] if c[0] == "cells" else c[2], 0) + 1
    # tables read, attributes and comments kept: the comparison covered every part of the walk
    assert kinds.get("cells", 0) > 100 and kinds.get("atribut HTML", 0) > 500 and kinds.get("komentar HTML", 0) > 200


# --- a whole audit -----------------------------------------------------------------------------------

OFFLINE = ["links", "headers", "software", "content", "personal_data"]


def _audit(tmp: Path, server: DemoServer, today: date, seed: Path) -> tuple[list[tuple], dict]:
    cfg_path = write_demo_config(tmp, server, today)
    raw = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    raw.setdefault("checks", {})["personal_data"] = {"ocr": False}  # OCR reads images: not a page path
    raw["crawl"]["concurrency"] = 1  # the same order of pages and documents on both sides
    cfg_path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    cfg = load_config(cfg_path)
    now = datetime(today.year, today.month, today.day, 9, tzinfo=UTC)
    shutil.copyfile(seed, cfg.database_path)  # the same keyed hashes on both sides
    store = Store(cfg.database_path)
    try:
        out = run_audit(cfg, cfg.sites[0], store, only=OFFLINE, quiet=True, now=lambda: now)
        facts = {name: f.model_dump(mode="json") for name, f in store.typed_facts(out.run_id).items()}
        facts["content"]["approved_list"]["path"] = Path(facts["content"]["approved_list"]["path"]).name
    finally:
        store.close()
    assert all(c.status == "ok" for c in out.checks), out.checks
    findings = sorted((f.fingerprint, f.rule, f.severity.label, f.url, f.evidence, f.confidence, repr(f.data))
                      for f in out.findings)
    return findings, facts


def test_whole_audit_is_the_same_with_the_reference_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    today = date.today()
    root = tmp_path / "site"
    build_site(root, today)
    seed = tmp_path / "seed.sqlite"
    Store(seed).close()
    with DemoServer(root, cert_dir=tmp_path / "certs") as server:
        fast = _audit(tmp_path / "fast", server, today, seed)
        monkeypatch.setattr("checks.content.evidence.find_dates", ref.find_dates)
        monkeypatch.setattr("checks.content.evidence.visible_text", ref.visible_text)
        monkeypatch.setattr("checks.personal_data.extract.html_chunks", ref.html_chunks)
        monkeypatch.setattr("checks.headers.check.markup_of", ref.markup_of)
        monkeypatch.setattr("checks.content.check.build_candidates", ref.build_candidates)
        slow = _audit(tmp_path / "slow", server, today, seed)
    assert fast[0] == slow[0]
    assert fast[1] == slow[1]
    rules = {f[1] for f in fast[0]}
    assert {"pii.nik", "content.item.stale"} <= rules, rules  # the demo's page problems were found both ways


def test_packaged_mandatory_list_reads_the_same_with_libyaml():
    from checks.content import mandatory

    text = mandatory.DATA_FILE.read_text(encoding="utf-8")
    assert yaml.load(text, Loader=mandatory.SAFE_LOADER) == yaml.safe_load(text)
