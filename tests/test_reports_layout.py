"""Hostile site content renders escaped, and the layout holds: WeasyPrint's PDF, pdftoppm's raster of it,
and the HTML printed and measured by headless Chromium stay inside A4."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTPage

from auditor.store import Store
from reports.render import TEMPLATES, write_report
from tests.servers import need_peer
from tests.test_reports_fixture import HOSTILE, fill_store, make_config

MM = 72 / 25.4  # PDF points per millimetre
A4 = (210 * MM, 297 * MM)
NOW = datetime(2026, 7, 5, tzinfo=UTC)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def page_margins_mm() -> tuple[float, float, float, float]:
    """(top, right, bottom, left) of the @page rule in the report stylesheet."""
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    m = re.search(r"@page\s*{[^}]*?margin:\s*([\d.]+)mm\s+([\d.]+)mm\s+([\d.]+)mm\s+([\d.]+)mm", css)
    assert m, "report.css: @page margin not found"
    return tuple(float(x) for x in m.groups())  # type: ignore[return-value]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("hostile")
    cfg = make_config(tmp, hostile=True)
    store = Store(cfg.database_path)
    fill_store(store, hostile=True)
    paths = write_report(cfg, store, "monthly", "2026-05", now=NOW)
    paths += write_report(cfg, store, "semiannual", "2026-H1", now=NOW)
    store.close()
    return {p.name: p for p in paths}


def test_hostile_text_is_escaped(hostile: dict[str, Path]) -> None:
    for name in ("laporan-bulanan-2026-05.html", "laporan-semester-2026-H1.html", "index.html"):
        raw = hostile[name].read_text(encoding="utf-8")
        assert "<script" not in raw.lower()
        if name == "index.html":
            continue
        assert "&lt;script&gt;alert(" in raw  # shown as text, never as markup
        doc = lxml.html.fromstring(raw)
        text = " ".join(doc.itertext())
        assert "{{ 7*7 }}" in text  # template syntax in data stays data, never evaluated
        assert "{% raw %}" in text  # a Jinja tag in data is data
        assert "مرحبا بالعالم" in text and "🙂" in text
        assert "PanjangSekaliTanpaSpasi" * 12 in text  # long strings kept whole (wrapped by CSS only)
        assert not doc.xpath("//*[@onload or @onerror or @onclick]")


def chars_inside(pdf: Path, margins: tuple[float, float, float, float]) -> int:
    """Assert every glyph lies inside the page's content box (footers live in the bottom margin)."""
    top, right, bottom, left = (m * MM for m in margins)
    tol = 1.5
    count = 0

    def walk(obj):
        if isinstance(obj, LTChar):
            yield obj
        elif hasattr(obj, "__iter__"):
            for child in obj:
                yield from walk(child)

    for page in extract_pages(str(pdf)):
        assert isinstance(page, LTPage)
        assert abs(page.width - A4[0]) < 2 and abs(page.height - A4[1]) < 2, "page is not A4"
        for ch in walk(page):
            count += 1
            assert ch.x0 >= left - tol and ch.x1 <= page.width - right + tol, \
                f"{pdf.name}: glyph {ch.get_text()!r} at x {ch.x0:.1f}-{ch.x1:.1f} outside the text column"
            assert ch.y0 >= -tol and ch.y1 <= page.height - top + tol, \
                f"{pdf.name}: glyph {ch.get_text()!r} at y {ch.y0:.1f}-{ch.y1:.1f} outside the page"
    return count


@pytest.mark.slow
def test_weasyprint_pdf_stays_inside_the_page(hostile: dict[str, Path], tmp_path: Path) -> None:
    pdftoppm = need_peer("pdftoppm")
    margins = page_margins_mm()
    for name in ("laporan-bulanan-2026-05.pdf", "laporan-semester-2026-H1.pdf"):
        assert chars_inside(hostile[name], margins) > 500
        # raster check: the outer strip of the right margin stays blank on every page
        prefix = tmp_path / name
        subprocess.run([pdftoppm, "-r", "30", str(hostile[name]), str(prefix)], check=True, timeout=120)
        pages = sorted(tmp_path.glob(f"{name}*.ppm"))
        assert pages
        for ppm in pages:
            w, h, px = _read_ppm(ppm)
            assert abs(w - 210 * 30 / 25.4) <= 2 and abs(h - 297 * 30 / 25.4) <= 2
            strip = int(margins[1] * 30 / 25.4 * 0.7)
            dark = [(x, y) for y in range(h) for x in range(w - strip, w) if min(px[(y * w + x) * 3:(y * w + x) * 3 + 3]) < 200]
            assert not dark, f"{ppm.name}: ink in the right margin at {dark[:3]}"


def _read_ppm(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", data)
    assert m, "not a binary PPM"
    return int(m.group(1)), int(m.group(2)), data[m.end():]


def _chromium(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    exe = need_peer("chromium")
    profile = tmp / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.slow
@pytest.mark.integration
def test_chromium_renders_within_a4(hostile: dict[str, Path], tmp_path: Path) -> None:
    margins = page_margins_mm()
    for name in ("laporan-bulanan-2026-05.html", "laporan-semester-2026-H1.html"):
        pdf = tmp_path / (name + ".chromium.pdf")
        proc = _chromium(["--no-pdf-header-footer", f"--print-to-pdf={pdf}", hostile[name].as_uri()], tmp_path)
        assert pdf.exists() and pdf.stat().st_size > 1000, proc.stderr[-500:]
        assert chars_inside(pdf, margins) > 500
        # on screen: at the width of an A4 sheet (794 CSS px) nothing is wider than the window
        probe = tmp_path / ("probe-" + name)
        html = hostile[name].read_text(encoding="utf-8").replace(
            "</body>", "<script>document.body.setAttribute('data-sw', "
                       "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth));</script></body>")
        probe.write_text(html, encoding="utf-8")
        dom = _chromium(["--window-size=794,1123", "--dump-dom", probe.as_uri()], tmp_path).stdout
        m = re.search(r'data-sw="(\d+)"', dom)
        assert m, "chromium did not run the probe"
        assert int(m.group(1)) <= 794, f"{name}: content is {m.group(1)} px wide at a 794 px window"
    assert HOSTILE.split()[0] in hostile["laporan-bulanan-2026-05.html"].read_text(encoding="utf-8").replace(
        "&lt;", "<").replace("&gt;", ">").replace("&#39;", "'")
