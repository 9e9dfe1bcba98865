"""Reading rendered reports back as plain text, for the report tests (HTML via lxml, PDF via pypdf)."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pypdf


def norm(text: str) -> str:
    return " ".join(text.split())


def html_text(path: Path) -> str:
    """Visible text of an HTML report (styles and the <title> left out), whitespace collapsed."""
    doc = lxml.html.fromstring(path.read_bytes())
    for el in doc.xpath("//style|//title"):
        el.drop_tree()
    return norm(" ".join(doc.itertext()))


def pdf_pages(path: Path) -> list[str]:
    return [norm(p.extract_text()) for p in pypdf.PdfReader(path).pages]


def pdf_text(path: Path) -> str:
    return norm(" ".join(pdf_pages(path)))
