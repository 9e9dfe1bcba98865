"""Scans: photos (JPG, PNG, WebP, TIFF) and image-only PDF pages read through OCR (`ocr.OcrEngine`).

Image-only PDF pages are rendered with pypdfium2 (PDFium in-process: one page at a time at a chosen
dpi, page size known before rendering so the pixel cap applies first, no temporary files; poppler's
`pdftoppm` would be one process and one file per page). Every image is sized from its header before
any pixel is decoded; caps leave notes; a damaged image is a note, not a crash.

The OCR text is scanned like any other text (chunks located "hal. 2 (OCR) baris 5"), and checked for
the printed labels of an identity card (`idcard.card_labels`).
"""

from __future__ import annotations

import io
import re
import struct
import time
import warnings
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from checks.personal_data.idcard import card_labels, is_id_card
from checks.personal_data.limits import Budget, Chunk, Unreadable
from checks.personal_data.ocr import ImageLoadError, OcrEngine, OcrSummary, content_key

IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "TIFF": "tiff", "MPO": "jpg"}


def sniff_image(data: bytes) -> bool:
    head = data[:16]
    return (head[:3] == b"\xff\xd8\xff" or head[:8] == b"\x89PNG\r\n\x1a\n"
            or (head[:4] == b"RIFF" and head[8:12] == b"WEBP") or head[:4] in (b"II*\x00", b"MM\x00*"))


def _note_cap(budget: Budget, code: str, id_: str, en: str) -> None:
    budget.note(code, id_, en)


def truncated(data: bytes) -> bool:
    """A JPEG without its end marker, a PNG without IEND, a WebP shorter than its RIFF size. Checked here
    because Pillow's own check depends on a process-wide switch (`ImageFile.LOAD_TRUNCATED_IMAGES`) that
    other libraries turn on at import (WeasyPrint does): the verdict must not depend on what else ran."""
    if data[:3] == b"\xff\xd8\xff":
        return not data.rstrip(b"\x00\r\n ").endswith(b"\xff\xd9")
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return b"IEND" not in data[-64:]
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return len(data) < int.from_bytes(data[4:8], "little") + 8
    return False


class PngDataError(ValueError):
    """A PNG whose compressed pixels do not inflate to one complete stream."""


def _png_pixels_inflate(data: bytes) -> bool:
    """Whether the IDAT chunks form one complete zlib stream (inflated in slices: no memory spike)."""
    stream, pos = zlib.decompressobj(), 8
    try:
        while pos + 8 <= len(data):
            length, kind = struct.unpack(">I4s", data[pos:pos + 8])
            if kind == b"IDAT":
                piece = data[pos + 8:pos + 8 + length]
                while not stream.eof:  # until this chunk is used up and nothing it gave is pending
                    out = stream.decompress(piece, 1 << 20)
                    piece = stream.unconsumed_tail
                    if not piece and not out:
                        break
            elif kind == b"IEND":
                break
            pos += 12 + length
    except zlib.error:
        return False
    return stream.eof


def _open(data: bytes, budget: Budget | None, max_pixels: int) -> Any:
    """The image, header read only; Unreadable when it is damaged or larger than `max_pixels`."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:  # Pillow's own header check, far above max_pixels
        m = re.search(r"\d+", str(exc))
        px = f"{int(m.group(0)):,} " if m else ""
        raise Unreadable("refused", f"gambar {px}piksel melebihi batas {max_pixels / 1e6:.0f} MP (kemungkinan "
                         "decompression bomb); tidak dibuka", f"image of {px}pixels exceeds the "
                         f"{max_pixels / 1e6:.0f} MP cap (possible decompression bomb); not opened") from None
    except Exception as exc:
        raise Unreadable("corrupt", f"gambar rusak atau tidak dikenali ({type(exc).__name__})",
                         f"damaged or unrecognised image ({type(exc).__name__})") from None
    w, h = img.size
    if truncated(data):
        raise Unreadable("corrupt", "gambar terpotong (berkas tidak lengkap)", "truncated image (incomplete file)")
    if w * h > max_pixels:
        raise Unreadable("refused", f"gambar {w:,} x {h:,} piksel melebihi batas {max_pixels / 1e6:.0f} MP; "
                         "tidak dibuka", f"image of {w:,} x {h:,} pixels exceeds the {max_pixels / 1e6:.0f} MP "
                         "cap; not opened")
    return img


def image_chunks(data: bytes, budget: Budget, ocr: OcrEngine | None, summary: OcrSummary,
                 cards: list[tuple[str, list[str]]]) -> Iterator[Chunk]:
    """OCR text of every frame of an image (TIFF frames up to the page cap)."""
    if ocr is None or not ocr.available:
        raise Unreadable("unsupported", "gambar: OCR (Tesseract) tidak tersedia, tidak diperiksa",
                         "image: OCR (Tesseract) not available, not checked")
    lim = ocr.limits
    img = _open(data, budget, lim.max_pixels)
    started = time.monotonic()
    frame = 0
    while True:
        if frame >= lim.max_pages:
            more = _has_frame(img, frame)
            if more:
                summary.skipped += 1
                budget.note("ocr.pages", f"hanya {lim.max_pages} bingkai/halaman pertama yang dibaca OCR",
                            f"only the first {lim.max_pages} frames/pages were read by OCR")
            break
        try:
            img.seek(frame)
        except EOFError:
            break
        except Exception as exc:
            raise Unreadable("corrupt", f"gambar rusak ({type(exc).__name__})",
                             f"damaged image ({type(exc).__name__})") from None
        loc = "gambar" if frame == 0 else f"bingkai {frame + 1}"
        # The pixels are decoded on the OCR worker, and not at all when the text is cached or was read ahead
        text = _ocr_one(lambda img=img: _decoded(img, data), content_key(data, str(frame)), ocr, budget, summary, started)
        if text is None:
            break
        _cards(text, loc, cards)
        if text.strip():
            budget.add_text(text)
            yield Chunk(text, f"{loc} (OCR)", by_line=True)
        frame += 1
        if not getattr(img, "is_animated", False) and getattr(img, "format", "") != "TIFF":
            break


def _decoded(img: Any, data: bytes) -> Any:
    """The current frame's pixels (a JPEG decoded at a reduced scale when it is far larger than OCR needs).
    A PNG's compressed pixels are checked on the bytes first: Pillow decodes a damaged stream to a padded
    blank image without an error while `ImageFile.LOAD_TRUNCATED_IMAGES` is on (WeasyPrint turns it on at
    import), and the verdict must not depend on what else the process imported."""
    if img.format == "PNG" and not _png_pixels_inflate(data):
        raise PngDataError("PNG pixel data")
    if img.format == "JPEG":
        img.draft("L", (4000, 4000))
    img.load()
    return img


def read_ahead(ocr: OcrEngine | None, upcoming: Iterable[bytes]) -> None:
    """Start OCR of the images among `upcoming` (the documents the scan reads next) on the engine's
    workers, so they are read while the scan is busy with the one before. PDFs are not parsed here:
    their scanned pages are read ahead page by page in `pdf_page_chunks`."""
    if ocr is None or not ocr.available:
        return
    for data in upcoming:
        if sniff_image(data) and not truncated(data):
            ocr.submit(content_key(data, "0"), lambda data=data: _first_frame(data, ocr.limits.max_pixels))


def _first_frame(data: bytes, max_pixels: int) -> Any:
    """What `image_chunks` reads of an image file first, under the same pixel cap (on a worker)."""
    img = _open(data, None, max_pixels)
    img.seek(0)
    return _decoded(img, data)


def _has_frame(img: Any, frame: int) -> bool:
    try:
        img.seek(frame)
        return True
    except (EOFError, Exception):
        return False


def _ocr_one(img: Any, key: str, ocr: OcrEngine, budget: Budget, summary: OcrSummary,
             started: float) -> str | None:
    lim = ocr.limits
    left = lim.document_s - (time.monotonic() - started)
    if left <= 0:
        budget.note("ocr.time", f"batas waktu OCR {lim.document_s:.0f} detik per dokumen tercapai",
                    f"OCR time budget of {lim.document_s:.0f} s per document reached")
        return None
    if not ocr.budget_left():
        budget.note("ocr.images", f"batas {lim.max_images} gambar OCR per pemeriksaan tercapai",
                    f"cap of {lim.max_images} OCR images per run reached")
        return None
    t0 = time.monotonic()
    try:
        out = ocr.read(img, key, left)
    except ImageLoadError as exc:
        raise Unreadable("corrupt", f"gambar rusak ({exc})", f"damaged image ({exc})") from None
    summary.seconds += time.monotonic() - t0
    if out is None:
        budget.note("ocr.failed", "OCR gagal atau melewati batas waktu pada satu halaman/gambar",
                    "OCR failed or timed out on a page/image")
        return None
    summary.pages += 1
    summary.cached += out.cached
    summary.confidences.append(out.confidence)
    return label_colons(out.text)


# On a card the colon after the printed label ("NIK : 3403...") is often read as "1", "l" or "|" and glued
# to the number, which then has 17 digits and is no NIK any more. Only a stray character followed by
# exactly 16 digits is taken for the colon: a real NIK starting with 1 has 15 digits after it.
_LABEL_COLON = re.compile(r"(\bN[ \t]*[I1l][ \t]*K\b[ \t]*)[1lI|](?=[ \t]*\d{16}(?!\d))")


def label_colons(text: str) -> str:
    """OCR text with the colon after a NIK label restored where it was read as a digit or a bar."""
    return _LABEL_COLON.sub(r"\1: ", text)


def _cards(text: str, loc: str, cards: list[tuple[str, list[str]]]) -> None:
    labels = card_labels(text)
    if is_id_card(labels):
        cards.append((loc, sorted(labels)))


def pdf_page_chunks(data: bytes, pages: list[int], budget: Budget, ocr: OcrEngine, summary: OcrSummary,
                    cards: list[tuple[str, list[str]]]) -> Iterator[Chunk]:
    """OCR text of the image-only pages `pages` (0-based) of a PDF, rendered with pypdfium2."""
    import pypdfium2 as pdfium

    lim = ocr.limits
    todo = pages[:lim.max_pages]
    if len(pages) > len(todo):
        summary.skipped += len(pages) - len(todo)
        budget.note("ocr.pages", f"{len(pages):,} halaman hasil pindaian; hanya {lim.max_pages} pertama yang "
                    "dibaca OCR", f"{len(pages):,} scanned pages; only the first {lim.max_pages} were read by OCR")
    try:
        doc = pdfium.PdfDocument(data)
    except Exception as exc:
        budget.note("ocr.render", f"halaman pindaian tidak dapat dirender ({type(exc).__name__})",
                    f"scanned pages could not be rendered ({type(exc).__name__})")
        return
    started = time.monotonic()
    rendered: deque[tuple[int, Any, str]] = deque()  # pages rendered and handed to the OCR workers
    pending = iter(todo)

    def render_ahead() -> None:
        """Keep `workers` pages rendered ahead: the workers read them while this thread renders more."""
        while len(rendered) < ocr.workers:
            i = next(pending, None)
            if i is None:
                return
            try:
                page = doc[i]
                w, h = page.get_size()
                scale = lim.dpi / 72
                if w * scale * h * scale > lim.max_pixels:
                    scale = (lim.max_pixels / (w * h)) ** 0.5
                img = page.render(scale=scale, grayscale=True).to_pil()
            except Exception as exc:
                budget.note("ocr.render", f"halaman {i + 1} tidak dapat dirender ({type(exc).__name__})",
                            f"page {i + 1} could not be rendered ({type(exc).__name__})")
                continue
            key = content_key(data, f"p{i}@{lim.dpi}")
            if ocr.budget_left():
                ocr.submit(key, img)
            rendered.append((i, img, key))

    try:
        render_ahead()
        while rendered:
            i, img, key = rendered.popleft()
            text = _ocr_one(img, key, ocr, budget, summary, started)
            if text is None:
                summary.skipped += 1
                break
            render_ahead()
            if len(text.strip()) >= 16:  # a scan OCR reads nothing from still needs a human look
                budget.ocr_pages += 1
            _cards(text, f"hal. {i + 1}", cards)
            if text.strip():
                budget.add_text(text)
                yield Chunk(text, f"hal. {i + 1} (OCR)", by_line=True)
    finally:
        doc.close()
