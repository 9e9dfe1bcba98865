"""Reading a findings JSON file (`scan --json`, docs/cli.md "Findings JSON") back, for CI jobs and
scripts that consume it: the documented shape is checked and any other input is one `InputError` line
naming the file and the JSON path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor.errors import InputError
from checks.base import Severity

_TOP = {"tool": dict, "run": dict, "checks": list, "findings": list}
_CHECK = {"name": str, "status": str}
_FINDING = {"check": str, "rule": str, "severity": str, "title": str, "fingerprint": str}
_CHECK_STATUSES = {"ok", "error", "skipped"}


def read_findings_json(path: str | Path) -> dict[str, Any]:
    """The parsed document; `InputError("<file>: <json path>: <problem>")` when it is not one."""
    src = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{src}: file not found") from None
    except OSError as exc:
        raise InputError(f"{src}: cannot read: {exc.strerror or exc}") from None
    return parse_findings_json(raw, src)


def parse_findings_json(raw: bytes | str, src: str = "findings.json") -> dict[str, Any]:
    try:
        doc = json.loads(raw)
    except UnicodeDecodeError:
        raise InputError(f"{src}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{src}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise InputError(f"{src}: JSON nested too deeply") from None
    _shape(doc, _TOP, src, "")
    for i, check in enumerate(doc["checks"]):
        _shape(check, _CHECK, src, f"checks[{i}]")
        if check["status"] not in _CHECK_STATUSES:
            raise InputError(f"{src}: checks[{i}].status: {_clip(check['status'])!r} is not ok, error or skipped")
    for i, finding in enumerate(doc["findings"]):
        _shape(finding, _FINDING, src, f"findings[{i}]")
        try:
            Severity.parse(finding["severity"])
        except (ValueError, KeyError):
            raise InputError(f"{src}: findings[{i}].severity: unknown severity "
                             f"{_clip(finding['severity'])!r}") from None
    return doc


def _shape(node: Any, fields: dict[str, type], src: str, where: str) -> None:
    if not isinstance(node, dict):
        raise InputError(f"{src}: {where or 'top level'}: must be an object, not {_kind(node)}")
    for key, kind in fields.items():
        if key not in node:
            raise InputError(f"{src}: {_join(where, key)}: required key is missing")
        if not isinstance(node[key], kind):
            raise InputError(f"{src}: {_join(where, key)}: must be {_kind_name(kind)}, not {_kind(node[key])}")


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), "a number")


def _kind_name(kind: type) -> str:
    return {dict: "an object", list: "a list", str: "a string"}[kind]


def _clip(value: str, n: int = 40) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= n else text[: n - 1] + "…"
