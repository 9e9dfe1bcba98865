"""OCR of scanned pages and photos with Tesseract (Debian `tesseract-ocr` + `tesseract-ocr-ind`).

Binding: `pytesseract` (a maintained wrapper that runs the `tesseract` program; no compiler or
library headers needed, the same binding the peer `presidio-image-redactor` uses, and a hung or slow
page is stopped by its timeout). Each image is read once as TSV, which gives the words and their
confidences together.

Everything here is bounded: images are checked from their header before any pixel is decoded (width x
height against `max_pixels`, frame count), large images are scaled down to a size Tesseract reads
well, each call has a timeout, and `OcrEngine.calls` counts the programme runs (the cache tests count
on it). Results are cached by content hash (`Cache`): a re-scan of an unchanged file runs no OCR.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger("ppid_auditor.checks.personal_data")

CACHE_NAMESPACE = "ocr.v1"
TARGET_LONG_SIDE = 2000  # pixels: an A4 page at ~170 dpi; more costs time without reading better
UPSCALE_BELOW = 1600  # images smaller than this (card photos) are enlarged towards TARGET_LONG_SIDE


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
    """Tesseract through pytesseract, with a cache and a run-wide image budget. `available` is False when
    the binding, the program or the Indonesian data is missing (`reason` says which)."""

    limits: OcrLimits = field(default_factory=OcrLimits)
    cache: Cache | None = None
    lang: str = "ind"
    calls: int = 0  # tesseract runs (cache hits are not runs)
    images: int = 0  # images OCRed or taken from the cache this run
    available: bool = False
    reason: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.available, self.reason = probe(self.lang)

    def budget_left(self) -> bool:
        return self.images < self.limits.max_images

    def read(self, image: Any, key: str, timeout_s: float) -> OcrText | None:
        """Text of a PIL image whose content hash is `key`; None when the run's image budget is spent or
        the timeout hit."""
        if self.cache is not None:
            hit = self.cache.get(CACHE_NAMESPACE, key)
            if hit is not None:
                try:
                    d = json.loads(hit)
                    self.images += 1
                    return OcrText(d["text"], float(d["confidence"]), cached=True)
                except (ValueError, KeyError, TypeError):
                    pass
        if not self.budget_left() or timeout_s <= 0:
            return None
        out = self._tesseract(image, timeout_s)
        if out is None:
            return None
        self.images += 1
        if self.cache is not None:
            self.cache.put(CACHE_NAMESPACE, key, json.dumps({"text": out.text, "confidence": out.confidence}))
        return out

    def _tesseract(self, image: Any, timeout_s: float) -> OcrText | None:
        import pytesseract

        img = prepare(image)
        with self._lock:
            self.calls += 1
        # An uncompressed PGM file: pytesseract would PNG-compress the image first (a large share of the
        # cost for a page), and Tesseract reads PNM as fast as any format.
        fd, path = tempfile.mkstemp(prefix="ppid-ocr-", suffix=".pgm")
        try:
            with os.fdopen(fd, "wb") as fh:
                img.save(fh, "PPM")
            tsv = pytesseract.image_to_data(path, lang=self.lang, config="--psm 3 -c tessedit_do_invert=0",
                                            timeout=max(1, int(timeout_s)), output_type=pytesseract.Output.DICT)
        except RuntimeError as exc:  # pytesseract's timeout
            log.debug("tesseract timed out: %s", exc)
            return None
        except Exception as exc:  # a broken image or a tesseract error must not stop the document
            log.debug("tesseract failed: %s: %s", type(exc).__name__, exc)
            return None
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)
        return from_tsv(tsv)


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


def prepare(image: Any) -> Any:
    """Greyscale, scaled to TARGET_LONG_SIDE: down when larger, up (at most 2x) when smaller, since
    Tesseract reads characters 25-40 px high best (a card photo of 1,000 px or a 150 dpi scan reads
    its digits far better enlarged)."""
    from PIL import Image

    img = image
    if img.mode not in ("L", "1"):
        img = img.convert("L")
    long_side = max(img.size)
    scale = min(2.0, TARGET_LONG_SIDE / long_side) if long_side else 1.0
    if 1 < scale and long_side >= UPSCALE_BELOW:
        scale = 1.0  # a 150 dpi page reads as well at its own size
    if abs(scale - 1) > 0.05:  # bilinear with a reducing gap: near LANCZOS quality for text, far cheaper
        img = img.resize((max(1, int(img.width * scale)), max(1, int(img.height * scale))),
                         Image.BICUBIC if scale > 1 else Image.BILINEAR, reducing_gap=2.0 if scale < 1 else None)
    return img


_PROBE: dict[str, tuple[bool, str]] = {}


def probe(lang: str = "ind") -> tuple[bool, str]:
    """(available, reason) for Tesseract with `lang`; asked once per process."""
    if lang in _PROBE:
        return _PROBE[lang]
    try:
        import pytesseract  # noqa: F401
    except ImportError:
        out = (False, "pytesseract")
    else:
        exe = shutil.which("tesseract")
        if not exe:
            out = (False, "tesseract")
        else:
            try:
                langs = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=20).stdout
                out = (True, "") if lang in langs.split() else (False, f"tesseract-ocr-{lang}")
            except (OSError, subprocess.SubprocessError):
                out = (False, "tesseract")
    _PROBE[lang] = out
    return out


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


def limit_threads() -> None:
    """One Tesseract thread per run: on a small shared machine its OpenMP threads only contend."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")


def image_from_bytes(data: bytes) -> Any:
    from PIL import Image

    return Image.open(io.BytesIO(data))


def elapsed_since(t0: float) -> float:
    return time.monotonic() - t0
