"""Tesseract in-process: libtesseract's C API (`capi.h`) through ctypes.

Why not the `tesseract` program per image: each run starts a process, loads the Indonesian model
(~0.08 s of CPU), and needs the image as a file; on a page that costs ~0.5 s to read, that is 15-25%
of the work spent before reading starts. One `TessBase` per worker thread loads the model once and
takes the pixels straight from Pillow. ctypes releases the GIL for the length of each C call, so
worker threads read images in parallel.

Why ctypes and not a compiled binding (tesserocr): it binds the very `libtesseract.so.5` that Debian's
`tesseract` program uses (same version, same models, same results), and needs no compiler, headers or
wheel. When the library is missing (another platform, another soname) `load()` returns None and the
caller falls back on the program through pytesseract.

Tesseract prints its diagnostics ("Estimating resolution as ...") through `debug_file`, which is set to
/dev/null here. A recognition that runs past its deadline is stopped by Tesseract itself (a monitor
with a deadline, checked between words).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import threading
import time
from typing import Any

log = logging.getLogger("ppid_auditor.checks.personal_data")

PSM_AUTO = 3  # fully automatic page segmentation, no orientation detection: what `tesseract` does by default

_c = ctypes.c_void_p
_SIGNATURES: dict[str, tuple[list[Any], Any]] = {
    "TessVersion": ([], ctypes.c_char_p),
    "TessBaseAPICreate": ([], _c),
    "TessBaseAPIDelete": ([_c], None),
    "TessBaseAPIEnd": ([_c], None),
    "TessBaseAPIInit3": ([_c, ctypes.c_char_p, ctypes.c_char_p], ctypes.c_int),
    "TessBaseAPISetVariable": ([_c, ctypes.c_char_p, ctypes.c_char_p], ctypes.c_int),
    "TessBaseAPISetPageSegMode": ([_c, ctypes.c_int], None),
    "TessBaseAPISetImage": ([_c, ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int], None),
    "TessBaseAPIRecognize": ([_c, _c], ctypes.c_int),
    "TessBaseAPIGetTsvText": ([_c, ctypes.c_int], _c),  # a char* we must free: not c_char_p
    "TessBaseAPIClear": ([_c], None),
    "TessDeleteText": ([_c], None),
    "TessMonitorCreate": ([], _c),
    "TessMonitorDelete": ([_c], None),
    "TessMonitorSetDeadlineMSecs": ([_c, ctypes.c_int], None),
}

_LIB: ctypes.CDLL | None = None
_LOADED = False
_LOAD_LOCK = threading.Lock()


def load() -> ctypes.CDLL | None:
    """libtesseract with its C API declared, or None when it cannot be loaded (asked once per process).
    OpenMP's thread limit is fixed when the library (and libgomp with it) is loaded: see `limit_threads`."""
    global _LIB, _LOADED
    with _LOAD_LOCK:
        if _LOADED:
            return _LIB
        _LOADED = True
        limit_threads()
        name = ctypes.util.find_library("tesseract")
        if not name:
            return None
        try:
            lib = ctypes.CDLL(name)
            for fn, (args, res) in _SIGNATURES.items():
                f = getattr(lib, fn)
                f.argtypes, f.restype = args, res
            version = (lib.TessVersion() or b"").decode("ascii", "replace")
        except (OSError, AttributeError) as exc:  # an old library without the C API, or a broken install
            log.debug("libtesseract not usable: %s", exc)
            return None
        if not version[:1].isdigit() or int(version.split(".")[0]) < 4:  # 3.x has no LSTM models
            return None
        _quiet_leptonica()
        _LIB = lib
        return lib


def _quiet_leptonica() -> None:
    """Leptonica (Tesseract's image library) writes messages such as "Error in boxClipToRectangle" on a
    photo's odd regions straight to stderr; the program's stderr is hidden by pytesseract, ours would
    reach the user's terminal. They are not errors of the scan: silence them."""
    for name in ("leptonica", "lept"):
        found = ctypes.util.find_library(name)
        if not found:
            continue
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(found).setMsgSeverity(6)  # L_SEVERITY_NONE
            return


def version() -> str:
    lib = load()
    return (lib.TessVersion() or b"").decode("ascii", "replace") if lib else ""


def limit_threads() -> None:
    """One OpenMP thread per Tesseract. Debian builds libtesseract with OpenMP; each recognition then
    starts threads that busy-wait for work, which on a small shared machine multiplies the CPU time
    (measured here: 0.6 s -> 2.9 s of CPU for one page on 2 cores, and a slower wall clock as well).
    Tesseract's own documentation recommends OMP_THREAD_LIMIT=1 whenever several run at once; we run
    one per worker and parallelise across images instead. A value the user set is kept."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")


class TessBase:
    """One initialised TessBaseAPI (model loaded). Not thread-safe: one per thread."""

    def __init__(self, lang: str) -> None:
        lib = load()
        if lib is None:
            raise OSError("libtesseract not available")
        self._lib = lib
        self._api = lib.TessBaseAPICreate()
        lib.TessBaseAPISetVariable(self._api, b"debug_file", b"/dev/null")
        if lib.TessBaseAPIInit3(self._api, None, lang.encode()) != 0:
            self.close()
            raise OSError(f"tesseract data for {lang!r} not found")
        lib.TessBaseAPISetPageSegMode(self._api, PSM_AUTO)
        lib.TessBaseAPISetVariable(self._api, b"tessedit_do_invert", b"0")  # no second pass on inverted text

    def tsv(self, image: Any, timeout_s: float) -> str | None:
        """Tesseract's TSV (no header row) of a Pillow image in mode L; None when the deadline passed."""
        lib, api = self._lib, self._api
        if api is None:
            raise OSError("closed")
        if image.mode != "L":
            image = image.convert("L")
        data = image.tobytes()
        t0 = time.monotonic()
        monitor = lib.TessMonitorCreate()
        try:
            lib.TessMonitorSetDeadlineMSecs(monitor, max(1, int(timeout_s * 1000)))
            lib.TessBaseAPISetImage(api, data, image.width, image.height, 1, image.width)
            rc = lib.TessBaseAPIRecognize(api, monitor)
            if rc != 0 or time.monotonic() - t0 >= timeout_s:
                return None
            ptr = lib.TessBaseAPIGetTsvText(api, 0)
            if not ptr:
                return ""
            try:
                return ctypes.string_at(ptr).decode("utf-8", "replace")
            finally:
                lib.TessDeleteText(ptr)
        finally:
            lib.TessMonitorDelete(monitor)
            lib.TessBaseAPIClear(api)  # frees the page's results; the model stays loaded

    def close(self) -> None:
        if self._api is not None:
            api, self._api = self._api, None
            with contextlib.suppress(Exception):
                self._lib.TessBaseAPIEnd(api)
                self._lib.TessBaseAPIDelete(api)


TSV_FIELDS = ("level", "page_num", "block_num", "par_num", "line_num", "word_num", "left", "top", "width",
              "height", "conf", "text")


def parse_tsv(text: str) -> dict[str, list[Any]]:
    """Tesseract's TSV as columns (the shape of pytesseract's `Output.DICT`), header row or not."""
    cols: dict[str, list[Any]] = {k: [] for k in TSV_FIELDS}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) < 11 or parts[0] == "level":
            continue
        parts += [""] * (12 - len(parts))
        try:
            nums = [int(p) for p in parts[:10]]
            conf = float(parts[10])
        except ValueError:
            continue
        for k, v in zip(TSV_FIELDS, [*nums, conf, parts[11]], strict=True):
            cols[k].append(v)
    return cols
