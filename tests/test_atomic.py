"""The one atomic writer: the target is either the old file or the whole new one, never half."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from auditor.atomic import write_atomic


def test_text_bytes_and_callable(tmp_path: Path):
    target = tmp_path / "sub" / "out.txt"
    write_atomic(target, "é\n")
    assert target.read_text(encoding="utf-8") == "é\n"
    write_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    write_atomic(target, lambda tmp: tmp.write_text("via callable"), mode=0o600, fsync=True)
    assert target.read_text() == "via callable"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]  # no temp file left


def test_failed_write_keeps_the_old_file(tmp_path: Path):
    target = tmp_path / "report.pdf"
    target.write_text("old")

    def boom(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError):
        write_atomic(target, boom)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]
