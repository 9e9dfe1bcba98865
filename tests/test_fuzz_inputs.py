"""Property tests (Hypothesis, `ci` profile: fixed seed) for the files people hand us: config.yaml, the
approved list (YAML, XLSX, CSV) and the findings JSON. No input raises anything but the documented error,
and every documented error is one line naming the file."""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from auditor.config import config_from_dict, load_config  # noqa: E402
from auditor.errors import ConfigError, InputError  # noqa: E402
from auditor.findings_json import parse_findings_json, read_findings_json  # noqa: E402
from checks.content.daftar import DaftarError, load_daftar  # noqa: E402
from checks.content.importer import import_file, import_grid  # noqa: E402

CONFIG_KEYS = ["sites", "name", "url", "crawl", "max_pages", "max_depth", "timeout_s", "checks", "enabled",
               "time_limits", "time_limit_s", "storage", "database", "reports", "language", "schedule",
               "nightly_scan", "allow_private_targets", "resolve", "mail", "fleet", "allowed_hosts", "links",
               "headers", "sites_file", "staging_url"]
SCALARS = (st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True)
           | st.text(max_size=30) | st.sampled_from(["http://127.0.0.1:1/", "desa", "id", "02:00", "auto"]))


def nested(keys: list[str]) -> st.SearchStrategy:
    return st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.sampled_from(keys) | st.text(max_size=8), inner, max_size=4),
                        max_leaves=12)


def one_line(exc: BaseException, *sources: str) -> None:
    """One line, naming the file (`sources`: the file, or a file it points to, e.g. `sites_file`)."""
    text = str(exc)
    assert text and "\n" not in text and "\r" not in text, repr(text)
    assert text.startswith(sources), text


def scratch(suffix: str) -> Path:
    fd, name = tempfile.mkstemp(suffix=suffix)
    import os

    os.close(fd)
    return Path(name)


# --- config.yaml ------------------------------------------------------------------------------------------
@given(st.text(max_size=300) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_config_text_raises_only_config_error(text: str) -> None:
    path = scratch(".yaml")
    try:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        load_config(path, require_files=False)
    except ConfigError as exc:
        one_line(exc, str(path))
    finally:
        path.unlink()


@given(st.dictionaries(st.sampled_from(CONFIG_KEYS), nested(CONFIG_KEYS), max_size=5))
def test_config_structures_raise_only_config_error(raw: dict) -> None:
    raw.setdefault("sites", [{"name": "desa", "url": "http://127.0.0.1:1/"}])
    path = scratch(".yaml")
    try:
        path.write_text(yaml.safe_dump(raw, allow_unicode=True))
        load_config(path)
    except ConfigError as exc:
        one_line(exc, str(path), *sites_file(raw))
    finally:
        path.unlink()
    try:
        config_from_dict(raw, source="cfg")
    except ConfigError as exc:
        one_line(exc, "cfg", *sites_file(raw))


def sites_file(raw: dict) -> list[str]:
    """A `sites_file` error names that CSV file (as written in the config) rather than the config."""
    value = raw.get("sites_file")
    return [str(value).strip() or str(value), str(Path(str(value)))] if value is not None else []


# --- the approved list -------------------------------------------------------------------------------------
DAFTAR_KEYS = ["approved_by", "approved_on", "items", "id", "title", "category", "cadence", "url", "match",
               "responsible"]
CELLS = (st.text(max_size=25) | st.sampled_from([
    "Jenis Informasi", "Kategori", "Jangka Waktu Pembaruan", "Penanggung Jawab", "URL", "No", "berkala",
    "serta merta", "setiap saat", "dikecualikan", "bulanan", "tahunan", "sekali", "6 bulan",
    "http://127.0.0.1:1/apbdes", "Ditetapkan di Sleman, 2 Januari 2026", "I. INFORMASI BERKALA", "1", "",
    "=HYPERLINK(\"x\")", "31 Februari 2025"]))
GRIDS = st.lists(st.lists(CELLS, min_size=0, max_size=6), max_size=8)


@given(st.dictionaries(st.sampled_from(DAFTAR_KEYS), nested(DAFTAR_KEYS), max_size=4) | nested(DAFTAR_KEYS))
def test_daftar_yaml_raises_only_daftar_error(raw: object) -> None:
    path = scratch(".yaml")
    try:
        path.write_text(yaml.safe_dump(raw, allow_unicode=True))
        load_daftar(path)
    except DaftarError as exc:
        one_line(exc, str(path))
    finally:
        path.unlink()


@given(GRIDS)
def test_import_grid_raises_only_daftar_error(grid: list[list[str]]) -> None:
    try:
        daftar = import_grid(grid, "daftar.csv")
    except DaftarError as exc:
        one_line(exc, "daftar.csv")
        for lang in ("id", "en"):  # the importer's bilingual message: one line in both languages
            if hasattr(exc, "message"):
                one_line(Exception(exc.message(lang)), "daftar.csv")
    else:
        assert daftar.items


@given(GRIDS)
def test_csv_import_raises_only_daftar_error(grid: list[list[str]]) -> None:
    path = scratch(".csv")
    try:
        with path.open("w", newline="", encoding="utf-8", errors="surrogatepass") as fh:
            csv.writer(fh).writerows(grid)
        import_file(path)
    except DaftarError as exc:
        one_line(exc, str(path))
    finally:
        path.unlink()


@settings(max_examples=20)
@given(GRIDS)
def test_xlsx_import_raises_only_daftar_error(grid: list[list[str]]) -> None:
    from openpyxl import Workbook

    path = scratch(".xlsx")
    try:
        wb = Workbook()
        for row in grid:
            wb.active.append([c for c in row if not any(ord(ch) < 32 and ch not in "\t\n\r" for ch in c)])
        wb.save(path)
        import_file(path)
    except DaftarError as exc:
        one_line(exc, str(path))
    finally:
        path.unlink()


@given(st.binary(max_size=300), st.sampled_from([".xlsx", ".xls", ".csv"]))
def test_corrupt_spreadsheets_raise_only_daftar_error(data: bytes, suffix: str) -> None:
    path = scratch(suffix)
    try:
        path.write_bytes(data)
        import_file(path)
    except DaftarError as exc:
        one_line(exc, str(path))
    finally:
        path.unlink()


# --- the findings JSON --------------------------------------------------------------------------------------
FINDING = st.fixed_dictionaries({
    "check": st.text(max_size=10), "rule": st.text(max_size=20),
    "severity": st.sampled_from(["critical", "high", "medium", "low", "info"]),
    "title": st.text(max_size=20), "fingerprint": st.text(max_size=16)})
VALID = st.fixed_dictionaries({
    "tool": st.just({"name": "ppid-auditor", "version": "0"}),
    "run": st.fixed_dictionaries({"id": st.text(max_size=8), "unfetched": st.dictionaries(st.text(), st.integers())}),
    "checks": st.lists(st.fixed_dictionaries({"name": st.text(max_size=8),
                                              "status": st.sampled_from(["ok", "error", "skipped"])}), max_size=3),
    "findings": st.lists(FINDING, max_size=3)})


@given(VALID)
def test_findings_json_round_trips(doc: dict) -> None:
    assert parse_findings_json(json.dumps(doc)) == doc


@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode)
       | VALID.flatmap(lambda d: st.just(d) | nested(["tool", "run", "checks", "findings", "severity", "status"]))
       .map(lambda d: json.dumps(d).encode()))
def test_findings_json_reader_raises_only_input_error(raw: bytes) -> None:
    try:
        parse_findings_json(raw, "f.json")
    except InputError as exc:
        one_line(exc, "f.json")


def test_findings_json_reader_errors_name_the_file_and_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.json: file not found"):
        read_findings_json(tmp_path / "nope.json")
    bad = tmp_path / "f.json"
    bad.write_text('{"tool": {}, "run": {}, "checks": [], "findings": [{"check": "x"}]}')
    with pytest.raises(InputError, match=r"f\.json: findings\[0\]\.rule: required key is missing"):
        read_findings_json(bad)
