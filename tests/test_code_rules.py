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


def _log_lines(verbose: bool) -> str:
    import subprocess
    import sys

    code = ("import logging; from auditor.cli import setup_logging; "
            f"setup_logging(verbose={verbose}); "
            "logging.getLogger('weasyprint').warning('Ignored font-face rule'); "
            "logging.getLogger('fontTools.subset').info('glyphs'); "
            "logging.getLogger('pypdf').error('broken xref'); "
            "logging.getLogger('ppid_auditor.checks.software').warning('data is old')")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=ROOT).stderr


def test_third_party_log_noise_only_under_verbose():
    normal, verbose = _log_lines(False), _log_lines(True)
    assert "data is old" in normal and "broken xref" in normal  # our warnings and anyone's errors
    assert "Ignored font-face" not in normal and "glyphs" not in normal
    assert "Ignored font-face" in verbose and "glyphs" in verbose and "data is old" in verbose
