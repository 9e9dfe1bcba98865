"""docs/cli.md is the reference: it names every command and flag the parser has, every config key the
models accept, every rule id the checks' records define; nothing cites the old out-of-repo CONTRACT.md."""

from __future__ import annotations

import argparse
import re
import types
import typing
from pathlib import Path

from pydantic import BaseModel

from auditor.cli import build_parser
from auditor.config import Config
from checks.base import discover_checks
from checks.rules import RULES_BEGIN, RULES_END, all_rulebooks, markdown_table

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
COMMON = {"--config", "--lang", "--quiet", "--verbose", "-h", "--help"}
INTERNAL_KEYS = {"check_blocks", "base_dir", "path"}  # filled by the loader, not written by users


def _leaf_commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield prefix, parser
        return
    for action in subs:
        for name, sub in action.choices.items():
            yield from _leaf_commands(sub, (*prefix, name))


def test_every_command_and_flag_is_documented():
    leaves = list(_leaf_commands(build_parser()))
    assert len(leaves) >= 15
    for path, parser in leaves:
        command = "ppid-audit " + " ".join(path)
        rows = [ln for ln in DOC.splitlines() if f"`{command}" in ln]
        assert rows, f"docs/cli.md has no row for `{command}`"
        for action in parser._actions:
            for opt in set(action.option_strings) - COMMON:
                assert any(opt in row for row in rows), f"docs/cli.md: `{command}` row lacks {opt}"
    for opt in COMMON - {"-h", "--help"}:
        assert f"`{opt}" in DOC


def _model_of(annotation: typing.Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (list, dict, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_of(arg)
            if found:
                return found
    return None


def _keys(model: type[BaseModel]) -> list[list[str]]:
    out = []
    for name, field in model.model_fields.items():
        if name in INTERNAL_KEYS:
            continue
        key = field.alias or name
        out.append([key])
        sub = _model_of(field.annotation)
        if sub is not None:
            out += [[key, *rest] for rest in _keys(sub)]
    return out


def test_every_config_key_is_documented():
    keys = _keys(Config)
    assert len(keys) > 60
    for path in keys:
        top = path[0]
        row = next((ln for ln in DOC.splitlines() if ln.startswith(f"| `{top}` |")), None)
        assert row is not None, f"docs/cli.md: no row for config key `{top}`"
        for part in path[1:]:
            assert f"`{part}`" in row, f"docs/cli.md: `{'.'.join(path)}` not in the `{top}` row"


def test_every_check_config_key_is_documented():
    for name, loaded in discover_checks().items():
        if loaded.cls is None or not loaded.cls.__module__.startswith("checks."):
            continue
        row = next((ln for ln in DOC.splitlines() if ln.startswith(f"| `{name}` |")), None)
        assert row is not None, f"docs/cli.md: no config row for check `{name}`"
        for key in loaded.cls.config_model.model_fields:
            assert f"`{key}`" in row, f"docs/cli.md: checks.{name}.{key} undocumented"


def test_rule_table_is_generated_from_the_records():
    books = all_rulebooks()
    ids = [rid for book in books.values() for rid in book]
    assert len(ids) > 60
    for rid in ids:
        assert f"`{rid}`" in DOC, f"docs/cli.md misses rule {rid}"
    block = DOC[DOC.index(RULES_BEGIN): DOC.index(RULES_END) + len(RULES_END)]
    assert block == markdown_table(books), "regenerate the table: python -m checks.rules"


def test_contract_cited_inside_the_repo_only():
    offenders = []
    for path in [ROOT / "README.md", ROOT / "config.yaml", *(ROOT / "docs").glob("*.md"),
                 *(p for pkg in ("auditor", "checks", "reports", "tests", "bench") for p in (ROOT / pkg).rglob("*")
                   if p.suffix in (".py", ".yaml", ".j2", ".md"))]:
        if path == Path(__file__):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        offenders += [f"{path.relative_to(ROOT)}:{m.start()}" for m in re.finditer(r"CONTRACT(\.md|'s| \")", text)]
    assert offenders == []
