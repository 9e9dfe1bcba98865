"""OCR of scanned pages and photos with Tesseract (Debian `tesseract-ocr` + `tesseract-ocr-ind`).

Binding: libtesseract in-process through its C API (`tessapi`: the model is loaded once per worker,
pixels go straight from Pillow), else the `tesseract` program through `pytesseract` (one process per
image, the binding the peer `presidio-image-redactor` uses). Both are the same Tesseract with the same
models. Each image is read once as TSV, which gives the words and their confidences together. A pool
of worker threads (one per CPU core by default) reads the next images while the scan goes on.

Everything here is bounded: images are checked from their header before any pixel is decoded (width x
height against `max_pixels`, frame count), large images are scaled down to a size Tesseract reads
well, each recognition has a deadline, and `OcrEngine.calls` counts the recognitions (the cache tests
count on it). Results are cached by content hash (`Cache`): a re-scan of an unchanged file runs no OCR.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Protocol

from checks.personal_data import tessapi

log = logging.getLogger("ppid_auditor.checks.personal_data")

CACHE_NAMESPACE = "ocr.v1"
TARGET_LONG_SIDE = 1754  # pixels: an A4 page at 150 dpi, which reads as well as 300 dpi (goal: 150 dpi scans); more costs time
# Tesseract's accuracy drops when the x-height is under ~10 px and is good from ~20 px (tessdoc,
# "Improving the quality of the output", Rescaling). A word box (capitals and descenders) is ~1.5 x
# the x-height: words under SMALL_TEXT_PX are read again enlarged so they reach GOOD_TEXT_PX.
SMALL_TEXT_PX = 15
GOOD_TEXT_PX = 24
MAX_LONG_SIDE = 4000  # the enlarged second pass stays under this (bounded cost)
# Small images (thumbnails, cropped card photos) nearly always carry small text: enlarged at once (up
# to 2x, towards SMALL_IMAGE_TARGET), which is cheaper than reading them twice.
SMALL_IMAGE = 1000
SMALL_IMAGE_TARGET = 1600


Image_ = Any  # a Pillow image, or a function returning one (loaded on the worker that reads it)


class ImageLoadError(Exception):
    """The function given for an image failed (a damaged file): the caller reports the document."""


class Cache(Protocol):
    def get(self, namespace: str, key: str) -> str | None: ...

    def put(self, namespace: str, key: str, value: str) -> None: ...


@dataclass
class OcrText:
    text: str
    confidence: float  # mean word confidence, 0-100 (-1: no words)
    cached: bool = False


@dataclass
class OcrLimits:
    max_pages: int = 20  # OCRed pages (PDF pages, TIFF frames) per document
    max_pixels: int = 40_000_000  # per image, from its header, before decoding
    document_s: float = 60.0  # OCR seconds per document
    max_images: int = 200  # OCRed images/pages per run
    dpi: int = 200  # rendering of image-only PDF pages


@dataclass
class OcrEngine:
    """Tesseract with a cache, a run-wide image budget and a pool of `workers` threads. `available` is
    False when neither libtesseract nor the `tesseract` program can read `lang` (`reason` says what to
    install). `backend`: "library" (libtesseract in-process, one model per worker, see `tessapi`),
    "program" (the `tesseract` program through pytesseract, one process per image), or "auto" (the
    library when it loads, else the program).

    Reading ahead: `submit(key, image)` starts an image on an idle worker; `read(image, key, ...)` then
    takes its text (or reads the image itself when nothing was started). The scan stays one document
    at a time and in order; only Tesseract runs in the workers (ctypes releases the GIL), and the cache
    is used from the calling thread only (the store's database connection is not shared)."""

    limits: OcrLimits = field(default_factory=OcrLimits)
    cache: Cache | None = None
    lang: str = "ind"
    workers: int = 0  # 0: one per CPU core this process may use
    backend: str = "auto"
    calls: int = 0  # images recognised by Tesseract (cache hits are not)
    second_passes: int = 0  # of those, read a second time enlarged (small text)
    images: int = 0  # images OCRed or taken from the cache this run
    available: bool = False
    reason: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _pool: ThreadPoolExecutor | None = field(default=None, repr=False)
    _pending: OrderedDict[str, Future] = field(default_factory=OrderedDict, repr=False)
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _apis: list[Any] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.available, self.reason, self.backend = probe(self.lang, self.backend)
        self.workers = max(1, self.workers or cpu_count())

    def budget_left(self) -> bool:
        return self.images < self.limits.max_images

    def _cached(self, key: str) -> OcrText | None:
        if self.cache is None:
            return None
        hit = self.cache.get(CACHE_NAMESPACE, key)
        if hit is None:
            return None
        try:
            d = json.loads(hit)
            return OcrText(d["text"], float(d["confidence"]), cached=True)
        except (ValueError, KeyError, TypeError):
            return None

    def submit(self, key: str, image: Image_) -> None:
        """Start reading `image` (a Pillow image, or a function returning one, called on the worker) on an
        idle worker, unless it is cached, already started, or the run's image budget is spent. At most
        4 x workers images wait: older ones are dropped (a caller that moved on)."""
        if not self.available or key in self._pending:
            return
        if self.images + len(self._pending) >= self.limits.max_images or self._cached(key) is not None:
            return
        while len(self._pending) >= 4 * self.workers:
            self._pending.popitem(last=False)[1].cancel()
        self._pending[key] = self._executor().submit(self._recognise, image, self.limits.document_s)

    def read(self, image: Image_, key: str, timeout_s: float) -> OcrText | None:
        """Text of `image` (a Pillow image, or a function returning one) whose content hash is `key`: from
        the cache, from a reading `submit` started, or read now. None when the run's image budget is
        spent or the timeout hit; `ImageLoadError` when the function could not load the image."""
        hit = self._cached(key)
        if hit is not None:
            self._pending.pop(key, None)
            self.images += 1
            return hit
        if not self.budget_left() or timeout_s <= 0:
            return None
        job = self._pending.pop(key, None)
        if job is None or job.cancelled():
            job = self._executor().submit(self._recognise, image, timeout_s)
        try:
            out = job.result(timeout=timeout_s)
        except FutureTimeout:
            log.debug("OCR of %s: no result within %.0f s", key[:12], timeout_s)
            return None
        except ImageLoadError:
            raise
        except Exception as exc:  # a Tesseract error must not stop the document
            log.debug("OCR of %s failed: %s: %s", key[:12], type(exc).__name__, exc)
            return None
        if out is None:
            return None
        self.images += 1
        if self.cache is not None:
            self.cache.put(CACHE_NAMESPACE, key, json.dumps({"text": out.text, "confidence": out.confidence}))
        return out

    def close(self) -> None:
        """Stop the workers and free their models (also done when the engine is collected)."""
        for job in self._pending.values():
            job.cancel()
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        with self._lock:
            apis, self._apis = self._apis, []
        for api in apis:
            api.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="ocr")
        return self._pool

    def _recognise(self, image: Image_, timeout_s: float) -> OcrText | None:
        """On a worker thread: Tesseract on the image scaled to at most TARGET_LONG_SIDE, then, when the
        words it read are small (`SMALL_TEXT_PX`), once more on the image enlarged to GOOD_TEXT_PX."""
        t0 = time.monotonic()
        if callable(image):
            try:
                image = image()
            except Exception as exc:
                raise ImageLoadError(type(exc).__name__) from exc
        with self._lock:
            self.calls += 1
        img = prepare(image)
        cols = self._tsv(img, timeout_s)
        if cols is None:
            return None
        h = text_height(cols)
        if h is not None and h < SMALL_TEXT_PX:
            scale = min(img.width / image.width * GOOD_TEXT_PX / h, MAX_LONG_SIDE / max(image.size))
            left = timeout_s - (time.monotonic() - t0)
            if scale * image.width > img.width * 1.2 and left > 0:
                with self._lock:
                    self.second_passes += 1
                again = self._tsv(prepare(image, scale), left)
                if again is not None:
                    cols = again
        return from_tsv(cols)

    def _tsv(self, img: Any, timeout_s: float) -> dict[str, list[Any]] | None:
        return self._library(img, timeout_s) if self.backend == "library" else self._program(img, timeout_s)

    def _library(self, img: Any, timeout_s: float) -> dict[str, list[Any]] | None:
        api = getattr(self._local, "api", None)
        if api is None:  # first image on this worker: load the model once
            api = self._local.api = tessapi.TessBase(self.lang)
            with self._lock:
                self._apis.append(api)
        tsv = api.tsv(img, timeout_s)
        if tsv is None:
            log.debug("tesseract stopped at its %.0f s deadline", timeout_s)
            return None
        return tessapi.parse_tsv(tsv)

    def _program(self, img: Any, timeout_s: float) -> dict[str, list[Any]] | None:
        import pytesseract

        # An uncompressed PGM file: pytesseract would PNG-compress the image first (a large share of the
        # cost for a page), and Tesseract reads PNM as fast as any format.
        fd, path = tempfile.mkstemp(prefix="ppid-ocr-", suffix=".pgm")
        try:
            with os.fdopen(fd, "wb") as fh:
                img.save(fh, "PPM")
            return pytesseract.image_to_data(path, lang=self.lang, config="--psm 3 -c tessedit_do_invert=0",
                                             timeout=max(1, int(timeout_s)), output_type=pytesseract.Output.DICT)
        except RuntimeError as exc:  # pytesseract's timeout
            log.debug("tesseract timed out: %s", exc)
            return None
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)


def cpu_count() -> int:
    """CPU cores this process may run on (its affinity mask: a container or `taskset` may allow fewer
    than the machine has)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def from_tsv(d: dict[str, list[Any]]) -> OcrText:
    """Text with line breaks (block/paragraph/line numbers from the TSV) and the mean word confidence."""
    lines: list[str] = []
    current: tuple[int, int, int] | None = None
    words: list[str] = []
    confs: list[float] = []
    for i, word in enumerate(d.get("text", [])):
        if not str(word).strip():
            continue
        key = (d["block_num"][i], d["par_num"][i], d["line_num"][i])
        if key != current:
            if words:
                lines.append(" ".join(words))
            words, current = [], key
        words.append(str(word))
        try:
            c = float(d["conf"][i])
        except (TypeError, ValueError):
            c = -1
        if c >= 0:
            confs.append(c)
    if words:
        lines.append(" ".join(words))
    return OcrText("\n".join(lines), sum(confs) / len(confs) if confs else -1.0)


def prepare(image: Any, scale: float | None = None) -> Any:
    """Greyscale, scaled by `scale`, or by default: down to TARGET_LONG_SIDE when larger, up (at most 2x)
    when under SMALL_IMAGE, else as it is (an image whose words turn out small is enlarged by a second
    pass, see `OcrEngine._recognise`; a photo without text is not enlarged for nothing)."""
    from PIL import Image

    img = image
    if img.mode not in ("L", "1"):
        img = img.convert("L")
    long_side = max(img.size)
    if scale is None:
        scale = (min(1.0, TARGET_LONG_SIDE / long_side) if long_side >= SMALL_IMAGE
                 else min(2.0, SMALL_IMAGE_TARGET / max(long_side, 1)))
    if abs(scale - 1) > 0.05:  # bilinear with a reducing gap: near LANCZOS quality for text, far cheaper
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))),
                         Image.BICUBIC if scale > 1 else Image.BILINEAR, reducing_gap=2.0 if scale < 1 else None)
    return img


def text_height(cols: dict[str, list[Any]]) -> float | None:
    """Median box height in pixels of the words Tesseract read with some confidence (>= 50, at least two
    letters or digits); None when there are fewer than three (a photo without text)."""
    heights = []
    for i, word in enumerate(cols.get("text", [])):
        try:
            conf, h = float(cols["conf"][i]), int(cols["height"][i])
        except (KeyError, IndexError, TypeError, ValueError):
            continue
        if conf >= 50 and sum(c.isalnum() for c in str(word)) >= 2:
            heights.append(h)
    return statistics.median(heights) if len(heights) >= 3 else None


_PROBE: dict[tuple[str, str], tuple[bool, str, str]] = {}


def probe(lang: str = "ind", backend: str = "auto") -> tuple[bool, str, str]:
    """(available, what to install when not, backend used) for Tesseract with `lang`; asked once per
    process. "auto" is the library when it loads with `lang`, else the program."""
    if (lang, backend) in _PROBE:
        return _PROBE[(lang, backend)]
    out: tuple[bool, str, str] = (False, "tesseract", backend)
    if backend in ("auto", "library"):
        out = _probe_library(lang)
    if backend == "program" or (backend == "auto" and not out[0]):
        out = _probe_program(lang)
    _PROBE[(lang, backend)] = out
    return out


def _probe_library(lang: str) -> tuple[bool, str, str]:
    if tessapi.load() is None:
        return False, "libtesseract5", "library"
    try:
        tessapi.TessBase(lang).close()
    except OSError:
        return False, f"tesseract-ocr-{lang}", "library"
    return True, "", "library"


def _probe_program(lang: str) -> tuple[bool, str, str]:
    tessapi.limit_threads()  # inherited by every `tesseract` process started from here
    try:
        import pytesseract  # noqa: F401
    except ImportError:
        return False, "pytesseract", "program"
    exe = shutil.which("tesseract")
    if not exe:
        return False, "tesseract-ocr", "program"
    try:
        langs = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return False, "tesseract-ocr", "program"
    return (True, "", "program") if lang in langs.split() else (False, f"tesseract-ocr-{lang}", "program")


def content_key(data: bytes, part: str = "") -> str:
    """Cache key: SHA-256 of the file's bytes, plus the page/frame within it."""
    return hashlib.sha256(data).hexdigest() + (f":{part}" if part else "")


@dataclass
class OcrSummary:
    """What was OCRed in one document, for the per-document summary."""

    pages: int = 0
    cached: int = 0
    confidences: list[float] = field(default_factory=list)
    seconds: float = 0.0
    skipped: int = 0  # pages/frames left out by a cap

    @property
    def mean_confidence(self) -> float | None:
        c = [x for x in self.confidences if x >= 0]
        return round(sum(c) / len(c), 1) if c else None

    def as_json(self) -> dict[str, Any]:
        return {"pages": self.pages, "cached": self.cached, "mean_confidence": self.mean_confidence,
                "seconds": round(self.seconds, 2), "skipped": self.skipped}


def image_from_bytes(data: bytes) -> Any:
    from PIL import Image

    return Image.open(io.BytesIO(data))


def elapsed_since(t0: float) -> float:
    return time.monotonic() - t0
