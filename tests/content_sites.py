"""Generated PPID sites for the content-check tests: each item's truth (date and where it is written) is
known, and the page or document is rendered from that truth."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, date, datetime

from auditor.snapshot import Document, Headers, Link, Page, Site

BULAN = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
         "November", "Desember"]
HARI = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
BASE = "http://127.0.0.1:8080"


def html(title: str, body: str = "", head: str = "") -> bytes:
    return (f"<!doctype html><html lang='id'><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
            f"<body><h1>{title}</h1>{body}</body></html>").encode()


def page(path: str, title: str, body: str = "", head: str = "", *, headers: list[tuple[str, str]] | None = None,
         status: int = 200, fetched: datetime | None = None, links: list[Link] | None = None,
         last_changed: datetime | None = None, first_seen: datetime | None = None) -> Page:
    hdrs = [("Content-Type", "text/html; charset=utf-8"), *(headers or [])]
    return Page(url=BASE + path, final_url=BASE + path, status=status, headers=Headers(hdrs),
                body=html(title, body, head) if status == 200 else b"<h1>404</h1>", title=title,
                fetched_at=fetched, links=links or [], last_changed=last_changed, first_seen=first_seen)


def text_date(d: date, style: int) -> str:
    """Indonesian ways of writing a date, rotated by `style`."""
    styles = [
        f"Diperbarui {d.day} {BULAN[d.month - 1]} {d.year}",
        f"{HARI[d.weekday()]}, {d.day} {BULAN[d.month - 1]} {d.year}",
        f"Update: {d.day:02d}/{d.month:02d}/{d.year}",
        f"Diposting pada {d.day} {BULAN[d.month - 1][:3]} {d.year} pukul 09.00 WIB",
    ]
    return styles[style % len(styles)]


def make_pdf(text: str, *, mod: datetime | None = None, created: datetime | None = None) -> bytes:
    from fpdf import FPDF
    from pypdf import PdfReader, PdfWriter

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, text)
    if created:
        pdf.set_creation_date(created)
    raw = bytes(pdf.output())
    if mod is None:
        return raw
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(raw)))
    writer.add_metadata({"/ModDate": mod.strftime("D:%Y%m%d%H%M%S+07'00'")})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_xlsx(modified: datetime) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["Uraian", "Jumlah"])
    wb.active.append(["Pendapatan", 1000])
    wb.properties.created = modified
    raw = io.BytesIO()
    wb.save(raw)
    # openpyxl stamps `modified` with the save time; write the office's own date like Excel would.
    out = io.BytesIO()
    stamp = modified.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]+", rb"\g<1>" + stamp.encode(), data)
            dst.writestr(info, data)
    return out.getvalue()


def document(path: str, body: bytes, content_type: str, *, headers: list[tuple[str, str]] | None = None,
             status: int = 200) -> Document:
    return Document(url=BASE + path, final_url=BASE + path, status=status,
                    headers=Headers([("Content-Type", content_type), *(headers or [])]), body=body)


def site(pages: list[Page], documents: list[Document] | None = None, *, sitemap: dict[str, str] | None = None,
         ) -> Site:
    home_links = [Link(p.url, p.title) for p in pages] + [Link(d.url, d.filename) for d in documents or []]
    home = page("/", "Beranda Desa Sukamaju", links=home_links)
    return Site(name="sukamaju", url=BASE + "/", pages=[home, *pages], documents=list(documents or []),
                sitemap_lastmod=sitemap or {}, started=datetime(2026, 8, 20, tzinfo=UTC))
