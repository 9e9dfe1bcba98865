"""The one message catalogue for everything people read: CLI, reports, mail, fleet, gate, console.

Every `*.yaml` file in `auditor/messages/` is one topic of the same catalogue (split only so that topics
stay readable); a key may appear in one file only. Each entry maps a language ("id" first, "en") to a
text with Python format fields. A missing English text falls back to Bahasa Indonesia; a missing key
shows the key, so a gap is visible and never a crash (tests check that every key has both languages).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

MESSAGES_DIR = Path(__file__).with_name("messages")
# libyaml's safe loader when PyYAML was built with it: the same data, ten times faster (every command
# reads the whole catalogue at start-up)
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
LANGS = ("id", "en")


@lru_cache(maxsize=1)
def messages() -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for path in sorted(MESSAGES_DIR.glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
        for key, entry in data.items():
            if key in merged:
                raise RuntimeError(f"message key {key!r} defined twice (second time in {path.name})")
            merged[key] = entry
    return merged


def t(key: str, lang: str = "id", **kw: Any) -> str:
    """The text for `key` in `lang`, formatted with `kw` (a bad field leaves the text unformatted)."""
    entry = messages().get(key)
    if entry is None:
        return key
    text = entry.get(lang) if entry.get(lang) is not None else entry.get("id", key)
    if kw:
        try:
            return str(text).format(**kw)
        except (KeyError, IndexError, ValueError):
            return str(text)
    return str(text)


class Section(Mapping[str, str]):
    """The unformatted texts of one topic prefix in one language: `section("gate_", "en")["pass"]` is the
    English text of key `gate_pass` (for code that formats a table's worth of labels at once)."""

    def __init__(self, prefix: str, lang: str = "id"):
        self.prefix, self.lang = prefix, lang if lang in LANGS else "id"

    def __getitem__(self, key: str) -> str:
        entry = messages().get(self.prefix + key)
        if entry is None:
            raise KeyError(key)
        text = entry.get(self.lang)
        return str(text if text is not None else entry.get("id", key))

    def __iter__(self) -> Iterator[str]:
        n = len(self.prefix)
        return (k[n:] for k in messages() if k.startswith(self.prefix))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def section(prefix: str, lang: str = "id") -> Section:
    return Section(prefix, lang)
