"""The one catalogue: every key in both languages, no key in two files, no bilingual dict left in code."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import yaml

from auditor import catalogue

ROOT = Path(__file__).resolve().parents[1]


def _fields(text: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_has_both_languages_with_the_same_fields():
    msgs = catalogue.messages()
    assert len(msgs) > 300  # every topic file loaded (cli, reports, fleet, content, gate, ...)
    for key, entry in msgs.items():
        assert isinstance(entry, dict), key
        for lang in catalogue.LANGS:
            assert entry.get(lang) is not None, f"{key}: no {lang!r} text"
        assert bool(entry["id"]) == bool(entry["en"]), f"{key}: empty in one language only"
        if isinstance(entry["id"], str):
            assert _fields(entry["id"]) == _fields(entry["en"]), f"{key}: format fields differ between id and en"
        else:  # lists (month names): same length in both languages
            assert len(entry["id"]) == len(entry["en"]), key


def test_no_key_in_two_files():
    seen: dict[str, str] = {}
    files = sorted(catalogue.MESSAGES_DIR.glob("*.yaml"))
    assert {"cli.yaml", "reports.yaml", "fleet.yaml", "content.yaml", "gate.yaml", "mail.yaml"} <= {
        p.name for p in files}
    for path in files:
        for key in yaml.safe_load(path.read_text(encoding="utf-8")) or {}:
            assert key not in seen, f"{key} in {seen.get(key)} and {path.name}"
            seen[key] = path.name


def test_section_and_t():
    sec = catalogue.section("gate_cmd_", "en")
    assert sec["pass"].startswith("PASS") and "pass" in sec
    assert catalogue.t("gate_cmd_pass", "id", sev="high") == "LULUS: tidak ada temuan baru >= high"
    assert catalogue.t("no.such.key", "en") == "no.such.key"


def _bilingual_dicts(tree: ast.AST) -> list[int]:
    """Line numbers of dict literals keyed by both "id" and "en" whose values are texts or text tables."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if {"id", "en"} <= keys and all(isinstance(v, ast.Dict | ast.Tuple | ast.Constant) and
                                            not (isinstance(v, ast.Constant) and not isinstance(v.value, str))
                                            for v in node.values):
                out.append(node.lineno)
    return out


def test_no_message_dicts_left_in_code():
    """User-facing words live in auditor/messages/*.yaml, not in {"id": ..., "en": ...} literals."""
    offenders = []
    for pkg in ("auditor", "reports"):
        for path in (ROOT / pkg).rglob("*.py"):
            lines = _bilingual_dicts(ast.parse(path.read_text(encoding="utf-8")))
            offenders += [f"{path.relative_to(ROOT)}:{n}" for n in lines]
    assert offenders == []
