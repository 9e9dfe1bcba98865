"""The archival PDF of every report: PDF/A-3a (tagged), findings JSON attached, signature fields in place.

Why PDF/A-3a (measured, docs/reports.md): of WeasyPrint's variants it is the only one that is at once
archival (PDF/A identification, sRGB output intent, every font embedded), tagged (structure tree with
headings and tables, `/Lang`, `/MarkInfo`) and able to carry the run's findings as an *associated file*
(`/AF`, relationship `Data`), which PDF/A-3 allows and PDF/A-2 and PDF/UA-1 do not.

The signature block of a report marks one empty box per signatory (`data-sign-role`, `data-sign-order`
in the templates). The boxes' positions are read from WeasyPrint's own layout (no guessing from the text)
and an empty PAdES-ready signature field is appended there, named `ttd<order>-<role>`: the PDF itself then
carries who signs where and in which order (`reports.signing` signs into these fields).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from auditor.catalogue import t

PDF_VARIANT = "pdf/a-3a"
ROLE_KEYS = {"operator": "role_operator_web"}  # the other roles: role_<role> in the catalogue
PDFA_PART, PDFA_CONFORMANCE = "3", "A"
ATTACHMENT_NAME = "findings.json"
PX_TO_PT = 0.75  # WeasyPrint lays out in CSS px (1/96 in) and writes PDF points (1/72 in)
_FIELD = re.compile(r"^ttd(\d+)-([a-z_]+)$")
# Who signs which report, in the SOP's order, by file name prefix: the templates carry the same order in
# their `data-sign-order`; this table serves reports written before the fields existed.
SIGNING_ORDER = {"laporan-bulanan": ("kepala_seksi", "ketua_ppid", "atasan_ppid"),
                 "laporan-semester": ("kepala_seksi", "ketua_ppid", "atasan_ppid"),
                 "berita-acara-gate": ("operator", "ketua_ppid")}


@dataclass(frozen=True)
class SigSlot:
    """Where one signatory signs: page index (0-based) and box in PDF points (x1, y1, x2, y2)."""

    order: int
    role: str
    page: int
    box: tuple[int, int, int, int]

    @property
    def field_name(self) -> str:
        return field_name(self.order, self.role)


def field_name(order: int, role: str) -> str:
    return f"ttd{order}-{role}"


def parse_field_name(name: str) -> tuple[int, str] | None:
    """`ttd2-ketua_ppid` -> (2, "ketua_ppid"); a field not made by us -> None."""
    m = _FIELD.match(name or "")
    return (int(m.group(1)), m.group(2)) if m else None


def _boxes(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", ()) or ():
        yield from _boxes(child)


def signature_slots(document: Any) -> list[SigSlot]:
    """The signature boxes of a rendered WeasyPrint document, from its layout, in signing order."""
    slots: dict[str, SigSlot] = {}
    for index, page in enumerate(document.pages):
        height = page.height
        for box in _boxes(page._page_box):
            element = getattr(box, "element", None)
            role = element.get("data-sign-role") if element is not None else None
            if not role or role in slots or box.element_tag != "div":
                continue
            x, y = box.border_box_x(), box.border_box_y()
            w, h = box.border_width(), box.border_height()
            rect = (round(x * PX_TO_PT), round((height - y - h) * PX_TO_PT),
                    round((x + w) * PX_TO_PT), round((height - y) * PX_TO_PT))
            slots[role] = SigSlot(int(element.get("data-sign-order") or 0), role, index, rect)
    return sorted(slots.values(), key=lambda s: s.order)


def render(html: str, base_url: Path) -> Any:
    import weasyprint  # heavy import: only when a PDF is asked for

    return weasyprint.HTML(string=html, base_url=str(base_url)).render(pdf_variant=PDF_VARIANT)


def pdf_bytes(document: Any, attachment: bytes | None = None, description: str = "") -> bytes:
    """PDF/A-3a bytes of a rendered document, with `attachment` (the findings JSON) as an associated file
    and an empty signature field over every signature box of the layout."""
    import weasyprint

    attachments = []
    if attachment is not None:
        attachments.append(weasyprint.Attachment(string=attachment, name=ATTACHMENT_NAME, description=description,
                                                 relationship="Data"))
    data = document.write_pdf(pdf_variant=PDF_VARIANT, attachments=attachments, finisher=_finish)
    slots = signature_slots(document)
    lang = document.metadata.lang or "id"
    labels = {s.role: t("sign_field_label", lang, role=t(ROLE_KEYS.get(s.role, "role_" + s.role), lang))
              for s in slots}
    return add_signature_fields(data, slots, labels) if slots else data


def _finish(_document: Any, pdf: Any) -> None:
    """Write a classic cross-reference table instead of one big object stream (content streams and fonts
    stay compressed). pyHanko re-reads an object stream's header for every object it takes from it: on a
    tagged report (~2,000 structure elements in one stream) validating three signatures took ~95 s; with
    plain objects it takes about a second. Measured in docs/reports.md."""
    # pyHanko appends itself to the Info /Producer but *replaces* pdf:Producer in the XMP, which breaks
    # PDF/A's rule that both say the same; without an Info /Producer it only updates the XMP.
    pdf.info.pop("Producer", None)
    write = pdf.write

    def plain(output: Any, version: Any = b"1.7", identifier: Any = False, compress: bool = False) -> None:
        write(output, version, identifier, False)

    pdf.write = plain


def add_signature_fields(data: bytes, slots: list[SigSlot], labels: dict[str, str] | None = None) -> bytes:
    """Append the empty signature fields as one incremental update (pyHanko keeps XMP and Info in step)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field

    writer = IncrementalPdfFileWriter(BytesIO(data))
    for slot in slots:
        append_signature_field(writer, SigFieldSpec(sig_field_name=slot.field_name, on_page=slot.page,
                                                    box=slot.box))
    if "/StructTreeRoot" in writer.root:
        _tag_widgets(writer, slots, labels or {})
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def slot_from_text(path: Path, order: int, role: str, name: str, rank: int) -> SigSlot | None:
    """For a report written before signature fields existed: the box right above the signatory's name
    line on the last page (pdfminer), where the wet signature went. Without a configured name, the
    `rank`-th "( ...... )" placeholder from the left. None when neither is found."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer, LTTextLine

    pages = list(extract_pages(str(path)))
    if not pages:
        return None
    lines = [ln for box in pages[-1] if isinstance(box, LTTextContainer) for ln in box if isinstance(ln, LTTextLine)]

    def text(ln: Any) -> str:
        return " ".join(ln.get_text().split())

    wanted = " ".join(name.split())
    named = [ln for ln in lines if wanted and text(ln) == wanted]
    blanks = sorted((ln for ln in lines if text(ln).startswith("( ....")), key=lambda ln: ln.x0)
    line = min(named, key=lambda ln: ln.y0) if named else (blanks[rank] if rank < len(blanks) else None)
    if line is None:
        return None
    centre, width = (line.x0 + line.x1) / 2, pages[-1].width
    x1 = max(10.0, min(centre - 75, width - 160))
    return SigSlot(order, role, len(pages) - 1, (round(x1), round(line.y1 + 2), round(x1 + 150), round(line.y1 + 48)))


def _tag_widgets(writer: Any, slots: list[SigSlot], labels: dict[str, str]) -> None:
    """Put each signature widget in the structure tree (a `Form` element with an object reference, the
    widget's `/StructParent` in the parent tree) with its label as `/TU` and `/Alt`: a tagged PDF leaves no
    annotation outside its logical structure."""
    from pyhanko.pdf_utils import generic

    tree_ref = writer.root.raw_get("/StructTreeRoot")
    tree = tree_ref.get_object()
    doc_ref = tree["/K"].raw_get(0) if isinstance(tree["/K"], generic.ArrayObject) else tree.raw_get("/K")
    document = doc_ref.get_object()
    parent_ref = tree.raw_get("/ParentTree")
    nums = parent_ref.get_object()["/Nums"]
    next_key = int(tree.get("/ParentTreeNextKey", 0))
    next_key = max([next_key, *(int(nums[i]) + 1 for i in range(0, len(nums), 2))])
    for slot in slots:
        page_ref = writer.find_page_for_modification(slot.page)[0]
        widget_ref = next(a for a in page_ref.get_object().get("/Annots", [])
                          if a.get_object().get("/T") == slot.field_name)
        label = generic.TextStringObject(labels.get(slot.role, slot.field_name))
        form = generic.DictionaryObject({
            generic.NameObject("/Type"): generic.NameObject("/StructElem"),
            generic.NameObject("/S"): generic.NameObject("/Form"), generic.NameObject("/P"): doc_ref,
            generic.NameObject("/Pg"): page_ref, generic.NameObject("/Alt"): label,
            generic.NameObject("/K"): generic.DictionaryObject({
                generic.NameObject("/Type"): generic.NameObject("/OBJR"),
                generic.NameObject("/Obj"): widget_ref, generic.NameObject("/Pg"): page_ref})})
        form_ref = writer.add_object(form)
        document["/K"].append(form_ref)
        widget = widget_ref.get_object()
        widget[generic.NameObject("/StructParent")] = generic.NumberObject(next_key)
        widget[generic.NameObject("/TU")] = label
        writer.mark_update(widget_ref)
        nums.extend([generic.NumberObject(next_key), form_ref])
        next_key += 1
    tree[generic.NameObject("/ParentTreeNextKey")] = generic.NumberObject(next_key)
    for ref in (tree_ref, doc_ref, parent_ref):
        writer.mark_update(ref)


def embedded_attachment(path: Path, name: str = ATTACHMENT_NAME) -> bytes | None:
    """The bytes of an embedded (associated) file of `path`, or None when there is none."""
    import pypdf

    reader = pypdf.PdfReader(path)
    for attachment_name, contents in reader.attachments.items():
        if attachment_name == name and contents:
            return contents[0]
    return None
