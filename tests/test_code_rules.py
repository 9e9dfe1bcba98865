"""House rules the code can check about itself."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRIVATE_MODULES_OK = {"_common"}  # auditor/commands/_common.py: the commands' shared helpers, by design


def test_no_private_name_imported_across_modules():
    """`from x import _name` reaches into another module's internals: make the name public instead."""
    offenders = []
    for pkg in ("auditor", "checks", "reports", "bench", "tests"):
        for path in (ROOT / pkg).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom):
                    offenders += [f"{path.relative_to(ROOT)}:{node.lineno} {a.name}" for a in node.names
                                  if a.name.startswith("_") and not a.name.startswith("__")
                                  and a.name not in PRIVATE_MODULES_OK]
    assert offenders == []


def test_no_test_only_code_in_the_packages():
    """Generators of labelled test data live in tests/, not in what `pip install` ships."""
    shipped = [p for pkg in ("auditor", "checks", "reports") for p in (ROOT / pkg).rglob("*.py")]
    assert not [p for p in shipped if p.stem in ("synth", "fixtures", "fake") or p.stem.startswith("test_")]
