"""Documents of the demo site, generated at build time: PDFs (fpdf2), an XLSX (openpyxl), a scanned letter.

Each document's metadata date is the date it was "published", so freshness checks have real evidence.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from fpdf import FPDF
from openpyxl import Workbook
from openpyxl.styles import Font
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter

from auditor.demo.fakedata import make_people, tanggal

KOP = ("PEMERINTAH KABUPATEN GUNUNGKIDUL", "KAPANEWON NGLIPAR", "KALURAHAN KATONGAN")
LURAH = "Sutarno Rekaan"  # fictional Lurah, signs the village's documents
OPERATOR = "Operator PPID Kalurahan Katongan"

Block = tuple  # ("p", text) | ("h", text) | ("table", header, rows, widths) | ("sign", place_date, role, name)


@dataclass(frozen=True)
class Doc:
    key: str
    title: str
    when: date
    filename: str

    @property
    def path(self) -> str:
        """Site path, WordPress-style uploads folder of the publication month."""
        return f"/wp-content/uploads/{self.when.year}/{self.when.month:02d}/{self.filename}"


def plan_documents(today: date) -> dict[str, Doc]:
    """Every document of the site, dated relative to `today`."""
    ta = today.year
    lkpj_day = today - timedelta(days=500)  # the deliberately stale item: annual, > 1 year old
    layanan_day = today - timedelta(days=45)
    blt_day = today - timedelta(days=30)
    quarter = (blt_day.month - 1) // 3 + 1
    realisasi_day = today - timedelta(days=130)  # the half-year report comes out the month after
    sem_label = (f"I Tahun {realisasi_day.year}" if realisasi_day.month >= 7
                 else f"II Tahun {realisasi_day.year - 1}")
    docs = [
        Doc("apbdes", f"APBDes Kalurahan Katongan Tahun Anggaran {ta}", today - timedelta(days=60),
            f"apbdes-katongan-ta-{ta}.pdf"),
        Doc("perdes", f"Peraturan Kalurahan Katongan Nomor 3 Tahun {ta} tentang APBDes",
            today - timedelta(days=62), f"perkal-nomor-3-tahun-{ta}.pdf"),
        Doc("realisasi", f"Laporan Realisasi APBDes Semester {sem_label}", realisasi_day,
            f"laporan-realisasi-apbdes-{sem_label.lower().replace(' ', '-')}.pdf"),
        Doc("lkpj", f"LKPJ Lurah Katongan Tahun Anggaran {lkpj_day.year - 1}", lkpj_day,
            f"lkpj-lurah-katongan-ta-{lkpj_day.year - 1}.pdf"),
        # the report on last year's service, published long after its deadline (content.annual_report.late)
        Doc("layanan", f"Laporan Layanan Informasi Publik Tahun {layanan_day.year - 1}", layanan_day,
            f"laporan-layanan-informasi-{layanan_day.year - 1}.pdf"),
        Doc("sop", "SOP Pelayanan Permohonan Informasi Publik", today - timedelta(days=250),
            "sop-pelayanan-permohonan-informasi.pdf"),
        Doc("maklumat", "Maklumat Pelayanan Informasi Publik", today - timedelta(days=250),
            "maklumat-pelayanan-informasi-publik.pdf"),
        Doc("blt", f"Data Penerima BLT-DD Triwulan {quarter} Tahun {blt_day.year}", blt_day,
            f"data-penerima-blt-dd-tw{quarter}-{blt_day.year}.xlsx"),
        Doc("undangan", "Undangan Musyawarah Kalurahan (scan)", today - timedelta(days=10),
            "undangan-muskal-scan.pdf"),
    ]
    return {d.key: d for d in docs}


def _rupiah(amount: int) -> str:
    return "Rp " + f"{amount:,}".replace(",", ".")


def _stamp(when: date) -> datetime:
    return datetime.combine(when, time(9, 30), tzinfo=UTC)


def _set_pdf_dates(data: bytes, when: date, title: str) -> bytes:
    """fpdf2 writes only /CreationDate; add /ModDate so date evidence is complete."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    stamp = _stamp(when).strftime("D:%Y%m%d%H%M%S+00'00'")
    writer.add_metadata({"/Title": title, "/CreationDate": stamp, "/ModDate": stamp,
                         "/Author": OPERATOR, "/Producer": "Microsoft Word 2016"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write_pdf(path: Path, title: str, blocks: Sequence[Block], when: date) -> None:
    pdf = FPDF(format="A4")
    pdf.set_creation_date(_stamp(when))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 13)
    for line in KOP:
        pdf.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 5, "Alamat: Jl. Nglipar - Ngawen, Katongan, Nglipar, Gunungkidul 55852",
             new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.line(15, pdf.get_y() + 1, 195, pdf.get_y() + 1)
    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 12)
    pdf.multi_cell(0, 6, title.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for block in blocks:
        kind = block[0]
        if kind == "h":
            pdf.set_font("Helvetica", "B", 11)
            pdf.cell(0, 7, block[1], new_x="LMARGIN", new_y="NEXT")
        elif kind == "p":
            pdf.set_font("Helvetica", "", 10)
            pdf.multi_cell(0, 5.5, block[1], new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1.5)
        elif kind == "table":
            _, header, rows, widths = block
            pdf.set_font("Helvetica", "B", 9)
            for text, w in zip(header, widths, strict=True):
                pdf.cell(w, 7, text, border=1, align="C")
            pdf.ln()
            pdf.set_font("Helvetica", "", 9)
            for row in rows:
                for text, w in zip(row, widths, strict=True):
                    pdf.cell(w, 6.5, str(text), border=1)
                pdf.ln()
            pdf.ln(3)
        elif kind == "sign":
            _, place_date, role, name = block
            pdf.ln(4)
            pdf.set_font("Helvetica", "", 10)
            for line in (place_date, role, "", "", "", name):
                pdf.set_x(120)
                pdf.cell(75, 5.5, line, new_x="LMARGIN", new_y="NEXT", align="C")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_set_pdf_dates(bytes(pdf.output()), when, title))


def _sign(when: date, role: str = "Lurah Katongan", name: str = LURAH) -> Block:
    return ("sign", f"Katongan, {tanggal(when)}", role, name)


def _apbdes_blocks(doc: Doc) -> list[Block]:
    rows = [("1", "Pendapatan Asli Kalurahan", _rupiah(187_450_000)),
            ("2", "Dana Desa", _rupiah(1_021_336_000)),
            ("3", "Alokasi Dana Desa", _rupiah(498_210_000)),
            ("4", "Dana Keistimewaan DIY", _rupiah(250_000_000)),
            ("5", "Belanja Bidang Penyelenggaraan Pemerintahan", _rupiah(812_400_000)),
            ("6", "Belanja Bidang Pembangunan", _rupiah(734_900_000)),
            ("7", "Belanja Bidang Pemberdayaan Masyarakat", _rupiah(265_696_000)),
            ("8", "Belanja Tak Terduga (BLT-DD)", _rupiah(144_000_000))]
    return [("p", f"Ringkasan {doc.title} (Anggaran Pendapatan dan Belanja Kalurahan), ditetapkan "
                  "dengan Peraturan Kalurahan Nomor 3."),
            ("table", ("No", "Uraian", "Jumlah"), rows, (12, 110, 58)),
            _sign(doc.when)]


def _perdes_blocks(doc: Doc) -> list[Block]:
    return [("p", "DENGAN RAHMAT TUHAN YANG MAHA ESA, LURAH KATONGAN,"),
            ("p", "Menimbang: bahwa untuk melaksanakan ketentuan Pasal 73 Undang-Undang Nomor 6 Tahun 2014 "
                  "tentang Desa, perlu menetapkan Peraturan Kalurahan tentang Anggaran Pendapatan dan "
                  "Belanja Kalurahan;"),
            ("p", "Mengingat: Undang-Undang Nomor 6 Tahun 2014 tentang Desa; Peraturan Menteri Dalam "
                  "Negeri Nomor 20 Tahun 2018 tentang Pengelolaan Keuangan Desa;"),
            ("h", "MEMUTUSKAN"),
            ("p", "Menetapkan: Peraturan Kalurahan tentang Anggaran Pendapatan dan Belanja Kalurahan. "
                  "Pasal 1: APBDes terdiri atas pendapatan, belanja dan pembiayaan sebagaimana tercantum "
                  "dalam lampiran. Pasal 2: Peraturan ini mulai berlaku pada tanggal diundangkan."),
            _sign(doc.when)]


def _realisasi_blocks(doc: Doc) -> list[Block]:
    rows = [("Pendapatan", _rupiah(1_956_996_000), _rupiah(1_104_520_000), "56%"),
            ("Belanja", _rupiah(1_956_996_000), _rupiah(918_330_500), "47%"),
            ("Pembiayaan", _rupiah(0), _rupiah(0), "-")]
    return [("p", "Laporan realisasi pelaksanaan Anggaran Pendapatan dan Belanja Kalurahan untuk semester "
                  "berjalan, disampaikan kepada Bupati melalui Panewu Nglipar."),
            ("table", ("Uraian", "Anggaran", "Realisasi", "%"), rows, (45, 50, 50, 35)),
            _sign(doc.when)]


def _lkpj_blocks(doc: Doc) -> list[Block]:
    return [("h", "BAB I PENDAHULUAN"),
            ("p", "Laporan Keterangan Pertanggungjawaban (LKPJ) ini disampaikan kepada Badan "
                  "Permusyawaratan Kalurahan sebagai bentuk akuntabilitas penyelenggaraan pemerintahan."),
            ("h", "BAB II CAPAIAN KINERJA"),
            ("table", ("Bidang", "Target", "Realisasi"),
             [("Pemerintahan", "100%", "97%"), ("Pembangunan", "100%", "92%"),
              ("Pembinaan Kemasyarakatan", "100%", "95%"), ("Pemberdayaan", "100%", "90%")], (80, 50, 50)),
            _sign(doc.when)]


def _layanan_blocks(doc: Doc) -> list[Block]:
    return [("p", "Rekapitulasi layanan informasi publik PPID Kalurahan Katongan. Tidak memuat data "
                  "pribadi pemohon."),
            ("table", ("Bulan", "Permohonan", "Dikabulkan", "Ditolak", "Keberatan"),
             [(m, n, n - r, r, 0) for m, n, r in (("Januari", 4, 0), ("Februari", 2, 0), ("Maret", 5, 1),
                                                  ("April", 3, 0), ("Mei", 6, 1), ("Juni", 3, 0))],
             (50, 35, 35, 30, 30)),
            ("p", "Rata-rata waktu pemenuhan permohonan: 4 hari kerja."),
            _sign(doc.when, "Ketua PPID Kalurahan Katongan", "Carik Katongan")]


def _sop_blocks(doc: Doc) -> list[Block]:
    steps = ["Pemohon mengisi formulir permohonan informasi di meja layanan atau melalui laman PPID.",
             "Petugas mencatat permohonan dalam register dan memberikan tanda bukti.",
             "PPID memeriksa apakah informasi termasuk informasi yang dikecualikan.",
             "PPID menyampaikan pemberitahuan tertulis paling lambat 10 hari kerja.",
             "Pemohon yang tidak puas dapat mengajukan keberatan kepada Atasan PPID."]
    return [("p", "Dasar hukum: UU 14/2008 tentang Keterbukaan Informasi Publik; Perki 1/2018 tentang "
                  "Standar Layanan Informasi Publik Desa.")] + [
        ("p", f"{i}. {s}") for i, s in enumerate(steps, 1)] + [_sign(doc.when)]


def _maklumat_blocks(doc: Doc) -> list[Block]:
    return [("p", "Dengan ini kami menyatakan sanggup menyelenggarakan pelayanan informasi publik sesuai "
                  "standar pelayanan yang telah ditetapkan dan apabila tidak menepati janji ini, kami siap "
                  "menerima sanksi sesuai peraturan perundang-undangan yang berlaku."), _sign(doc.when)]


def write_blt_xlsx(path: Path, doc: Doc, count: int = 24) -> None:
    """Aid recipients with full NIKs and phone numbers: the classic leak the personal-data check finds."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Penerima BLT-DD"
    ws.append([doc.title.upper()])
    ws.append(["Kalurahan Katongan, Kapanewon Nglipar, Kabupaten Gunungkidul (data demo: nama fiktif)"])
    ws.append([])
    header = ["No", "Nama Penerima", "NIK", "Jenis Kelamin", "Alamat", "No. HP", "Besaran"]
    ws.append(header)
    for cell in ws[4]:
        cell.font = Font(bold=True)
    for i, p in enumerate(make_people(count), 1):
        ws.append([i, p.name, p.nik, "P" if p.female else "L", f"{p.padukuhan}, Katongan", p.phone,
                   _rupiah(300_000)])
    for col, width in zip("ABCDEFG", (5, 24, 20, 13, 24, 16, 14), strict=True):
        ws.column_dimensions[col].width = width
    wb.properties.creator = OPERATOR
    wb.properties.title = doc.title
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(_set_xlsx_modified(buf.getvalue(), _stamp(doc.when)))


def _set_xlsx_modified(data: bytes, when: datetime) -> bytes:
    """openpyxl stamps `modified` with the save time; put the publication date back."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                text = body.decode("utf-8")
                for tag in ("dcterms:created", "dcterms:modified"):
                    text = re.sub(rf"(<{tag}[^>]*>)[^<]*(</{tag}>)", rf"\g<1>{stamp}\g<2>", text)
                body = text.encode("utf-8")
            dst.writestr(item, body)
    return out.getvalue()


def write_scanned_letter(path: Path, doc: Doc) -> None:
    """An image-only PDF (no text layer), like a letter put through the office scanner."""
    img = Image.new("L", (1240, 1754), 246)  # A4 at 150 dpi, greyish paper
    draw = ImageDraw.Draw(img)
    try:
        big, small = ImageFont.load_default(size=34), ImageFont.load_default(size=26)
    except (TypeError, OSError):  # Pillow without FreeType: tiny bitmap font, still an image
        big = small = ImageFont.load_default()
    y = 110
    for line in KOP:
        draw.text((620, y), line, fill=20, font=big, anchor="mm")
        y += 48
    draw.line((100, y, 1140, y), fill=30, width=4)
    lines = ["", f"Katongan, {tanggal(doc.when)}", "Nomor: 005/117/KTG", "Perihal: Undangan", "",
             "Kepada Yth. Bapak/Ibu Dukuh se-Kalurahan Katongan", "",
             "Mengharap kehadiran Bapak/Ibu dalam Musyawarah Kalurahan", "pembahasan rencana kegiatan,",
             f"pada hari {tanggal(doc.when + timedelta(days=7), with_day=True)}, pukul 09.00 WIB,",
             "bertempat di Balai Kalurahan Katongan.", "", "Lurah Katongan,", "", "", LURAH]
    y += 40
    for line in lines:
        draw.text((130, y), line, fill=25, font=small)
        y += 44
    img = img.rotate(0.6, fillcolor=246)  # scanners never feed paper perfectly straight
    jpeg = io.BytesIO()
    img.save(jpeg, "JPEG", quality=60)
    pdf = FPDF(format="A4")
    pdf.set_creation_date(_stamp(doc.when))
    pdf.add_page()
    pdf.image(io.BytesIO(jpeg.getvalue()), x=0, y=0, w=210, h=297)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_set_pdf_dates(bytes(pdf.output()), doc.when, "scan0117.pdf"))


_PDF_BODIES = {"apbdes": _apbdes_blocks, "perdes": _perdes_blocks, "realisasi": _realisasi_blocks,
               "lkpj": _lkpj_blocks,
               "layanan": _layanan_blocks, "sop": _sop_blocks, "maklumat": _maklumat_blocks}


def write_documents(root: Path, docs: dict[str, Doc]) -> None:
    for key, doc in docs.items():
        target = root / doc.path.lstrip("/")
        if key in _PDF_BODIES:
            write_pdf(target, doc.title, _PDF_BODIES[key](doc), doc.when)
        elif key == "blt":
            write_blt_xlsx(target, doc)
        elif key == "undangan":
            write_scanned_letter(target, doc)
