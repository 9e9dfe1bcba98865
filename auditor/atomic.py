"""The one atomic file writer: write a temp file in the target's directory, then rename it over the
target, so a reader (a browser, a mail job, the scheduler after a crash) never sees half a file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomic(path: str | Path, content: str | bytes | Callable[[Path], None], *, mode: int = 0o644,
                 fsync: bool = False) -> None:
    """Write `content` (text, bytes, or a function that writes the temp path it is given) to `path`.

    `fsync` flushes the data to disk before the rename (state files that must survive a power cut)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        if callable(content):
            os.close(fd)
            content(tmp)
        else:
            data = content.encode("utf-8") if isinstance(content, str) else content
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                if fsync:
                    fh.flush()
                    os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
