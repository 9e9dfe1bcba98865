"""Generated village documents, as text, spreadsheets and scans, with the truth of what they hold.

Everything is invented: NIKs are structurally valid (real region codes) but belong to nobody. Each
document says which values are a resident's personal data (`personal`, reported) and which are the
village's own or public (`public`, never reported): budget codes (Permendagri 20/2018 kode rekening),
the village NPWP (type code 00), the treasury account (Rekening Kas Desa), officials' NIPs, NIB,
letter/register numbers. `scan()` renders a document's text to an A4 page at a given dpi with skew,
noise and JPEG artefacts; `ktp_card()` draws a KTP-like card with DejaVu fonts. Used by
tests/test_personal_data_ocr.py and bench/pii_ocr.py.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from tests.pii_synth import DUSUN, make_kk, make_nik, person_name

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
VILLAGE = "Katongan"
VILLAGE_NPWP = "00.521.873.4-545.000"  # government treasurer (type code 00)
TREASURY = "0012-01-000123-30-5"  # Rekening Kas Desa at BPD DIY


@dataclass
class Doc:
    name: str
    kind: str  # apbdes, perdes, sk, blt, letter, contact, npwp
    lines: list[str]
    personal: list[tuple[str, str]] = field(default_factory=list)  # (kind, normalised value): must be found
    public: list[tuple[str, str]] = field(default_factory=list)  # (kind, raw): must not be reported

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _nip(rng: random.Random) -> str:
    born = date(1965, 1, 1) + timedelta(days=rng.randrange(0, 365 * 25))
    tmt = born.year + rng.randint(20, 30)
    return f"{born:%Y%m%d} {tmt}{rng.randint(1, 12):02d} {rng.randint(1, 2)} {rng.randint(1, 999):03d}"


def apbdes(rng: random.Random, n: int = 12) -> Doc:
    lines = [f"ANGGARAN PENDAPATAN DAN BELANJA KALURAHAN {VILLAGE.upper()} TAHUN ANGGARAN 2024",
             f"NPWP Pemerintah Kalurahan: {VILLAGE_NPWP}", f"Rekening Kas Desa BPD DIY: {TREASURY}",
             "Kode Rekening      Uraian                                   Anggaran (Rp)"]
    public = [("npwp", VILLAGE_NPWP), ("account", TREASURY)]
    items = ["Penghasilan Tetap Lurah", "Tunjangan Pamong", "Belanja ATK", "Honorarium Tim", "Pemeliharaan Jalan",
             "Bantuan Langsung Tunai", "Posyandu", "Pelatihan BUMDes", "Operasional BPD", "Listrik Kantor"]
    for _ in range(n):
        code = f"5.{rng.randint(1, 4)}.{rng.randint(1, 3)}.{rng.randint(1, 12):02d}.{rng.randint(1, 20):02d}"
        if rng.random() < 0.5:
            code += f".{rng.randint(1, 9999):04d}"
        lines.append(f"{code}   {rng.choice(items):40} {rng.randint(1, 900)}.{rng.randint(0, 999):03d}.000")
        public.append(("budget", code))
    return Doc("apbdes-2024", "apbdes", lines, [], public)


def perdes(rng: random.Random) -> Doc:
    nip = _nip(rng)
    lines = [f"PERATURAN KALURAHAN {VILLAGE.upper()}", "NOMOR 5 TAHUN 2024", "TENTANG",
             "ANGGARAN PENDAPATAN DAN BELANJA KALURAHAN TAHUN 2024", "",
             "Menimbang : bahwa untuk melaksanakan ketentuan Pasal 73 Undang-Undang Nomor 6 Tahun 2014",
             "tentang Desa, perlu menetapkan Peraturan Kalurahan tentang APB Kalurahan.",
             "Ditetapkan di Katongan pada tanggal 12 Januari 2024", "", "LURAH KATONGAN,", "",
             f"{person_name(rng).upper()}", "", "Diundangkan oleh Carik Kalurahan,", f"{person_name(rng)}", f"NIP. {nip}"]
    return Doc("perdes-5-2024", "perdes", lines, [], [("nip", nip)])


def sk(rng: random.Random) -> Doc:
    nip = _nip(rng)
    reg = f"{rng.randint(100, 999)}/{rng.randint(1, 99):02d}/KPTS/2024"
    lines = [f"KEPUTUSAN LURAH {VILLAGE.upper()}", f"Nomor: {reg}", "TENTANG PENETAPAN TIM PELAKSANA KEGIATAN",
             "Kode kegiatan 1.1.01.01 dan 2.2.01.01", "MEMUTUSKAN:", "Menetapkan susunan tim sebagaimana lampiran.",
             "Ditetapkan di Katongan", "Panewu Nglipar,", f"{person_name(rng)}", f"NIP. {nip}",
             f"NIB BUMDes: {rng.randint(10 ** 12, 10 ** 13 - 1)}"]
    return Doc("sk-tim", "sk", lines, [], [("nip", nip), ("register", reg)])


def blt(rng: random.Random, n: int = 10) -> Doc:
    lines = ["DAFTAR KELUARGA PENERIMA MANFAAT BLT DANA DESA TAHUN 2024", f"KALURAHAN {VILLAGE.upper()}",
             "No  Nama                  NIK                 Dusun"]
    personal = []
    for i in range(n):
        nik = make_nik(rng, born=date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 50)))
        lines.append(f"{i + 1:<3} {person_name(rng):21} {nik}    {rng.choice(DUSUN)}")
        personal.append(("nik", nik))
    return Doc("blt-penerima", "blt", lines, personal, [])


def letter(rng: random.Random) -> Doc:
    reg = f"470/{rng.randint(100, 999)}/{rng.randint(1, 12):02d}/2024"
    nik = make_nik(rng)
    lines = [f"PEMERINTAH KALURAHAN {VILLAGE.upper()}", f"Nomor : {reg}", "Perihal : Surat Keterangan Domisili", "",
             "Yang bertanda tangan di bawah ini menerangkan bahwa:", f"Nama : {person_name(rng)}", f"NIK : {nik}",
             f"No. KK : {make_kk(rng)}", f"Alamat : Dusun {rng.choice(DUSUN)} RT 02 RW 03", "",
             f"Nomor register: 2024.{make_nik(rng)}"]
    kk = lines[7].split(": ")[1]
    return Doc("surat-domisili", "letter", lines, [("nik", nik), ("kk", kk)], [("register", reg)])


def contact(rng: random.Random) -> Doc:
    lines = [f"Kontak Kantor Kalurahan {VILLAGE}", "Alamat: Jl. Nglipar-Ngawen Km 3, Gunungkidul",
             "Telp. (0274) 391234", "E-mail: ppid@katongan.desa.id", f"NPWP Kalurahan: {VILLAGE_NPWP}",
             f"Rekening Kas Desa: BPD DIY {TREASURY} a.n. RKD Kalurahan {VILLAGE}"]
    return Doc("kontak", "contact", lines, [], [("npwp", VILLAGE_NPWP), ("account", TREASURY)])


def corpus(seed: int = 20) -> list[Doc]:
    rng = random.Random(seed)
    return [apbdes(rng), perdes(rng), sk(rng), blt(rng), letter(rng), contact(rng), blt(rng, 12)]


def apbdes_csv(rng: random.Random, n: int = 30) -> str:
    rows = ["Kode Rekening;Uraian;Anggaran;Realisasi;NPWP Bendahara;Rekening Kas Desa"]
    for _ in range(n):
        code = f"5.{rng.randint(1, 4)}.{rng.randint(1, 3)}.{rng.randint(1, 12):02d}.{rng.randint(1, 20):02d}.{rng.randint(1, 9999):04d}"
        rows.append(f"{code};Belanja {rng.randint(1, 99)};{rng.randint(1, 900)}.000.000;"
                    f"{rng.randint(1, 900)}.000.000;{VILLAGE_NPWP};{TREASURY}")
    return "\n".join(rows) + "\n"


# -- rendering ------------------------------------------------------------------------------------------

def scan(doc: Doc, dpi: int = 300, rng: random.Random | None = None, skew: float = 0.8, noise: float = 0.04,
         quality: int = 70) -> bytes:
    """The document printed on A4 at `dpi` and scanned: slight rotation, speckle noise, JPEG artefacts."""
    from PIL import Image, ImageDraw, ImageFont

    rng = rng or random.Random(1)
    w, h = int(8.27 * dpi), int(11.69 * dpi)
    img = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(img)
    size = max(8, int(dpi * 11 / 72))  # 11 pt
    font = ImageFont.truetype(FONT, size)
    y = int(dpi * 0.8)
    for line in doc.lines:
        draw.text((int(dpi * 0.8), y), line, fill=20, font=font)
        y += int(size * 1.5)
    return degrade(img, rng, skew, noise, quality)


def degrade(img, rng: random.Random, skew: float, noise: float, quality: int) -> bytes:
    from PIL import Image

    img = img.rotate(rng.uniform(-skew, skew), resample=Image.BICUBIC, expand=False, fillcolor=255)
    if noise:
        px = img.load()
        w, h = img.size
        for _ in range(int(w * h * noise / 50)):
            x, y = rng.randrange(w), rng.randrange(h)
            px[x, y] = rng.choice((0, 90, 160))
    out = io.BytesIO()
    img.convert("L").save(out, "JPEG", quality=quality)
    return out.getvalue()


def ktp_card(rng: random.Random, nik: str | None = None, *, readable_number: bool = True, scale: float = 1.0,
             ) -> tuple[bytes, str]:
    """A KTP-like card photo (JPEG) and its NIK. `readable_number=False` smudges the number."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    nik = nik or make_nik(rng)
    w, h = int(1012 * scale), int(638 * scale)
    img = Image.new("RGB", (w, h), (196, 224, 240))
    d = ImageDraw.Draw(img)
    f = ImageFont.truetype(FONT, int(26 * scale))
    fb = ImageFont.truetype(FONT_BOLD, int(30 * scale))
    d.text((int(260 * scale), int(14 * scale)), "PROVINSI DAERAH ISTIMEWA YOGYAKARTA", fill=(0, 0, 0), font=fb)
    d.text((int(330 * scale), int(52 * scale)), "KABUPATEN GUNUNGKIDUL", fill=(0, 0, 0), font=fb)
    d.text((int(30 * scale), int(100 * scale)), "NIK", fill=(0, 0, 0), font=fb)
    d.text((int(150 * scale), int(100 * scale)), f": {nik}", fill=(0, 0, 0), font=fb)
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 365 * 40))
    rows = [("Nama", person_name(rng).upper()), ("Tempat/Tgl Lahir", f"GUNUNGKIDUL, {born:%d-%m-%Y}"),
            ("Jenis Kelamin", rng.choice(["LAKI-LAKI", "PEREMPUAN"]) + "   Gol. Darah : O"),
            ("Alamat", f"DUSUN {rng.choice(DUSUN).upper()}"), ("RT/RW", "002/003"), ("Kel/Desa", VILLAGE.upper()),
            ("Kecamatan", "NGLIPAR"), ("Agama", "ISLAM"), ("Status Perkawinan", "KAWIN"),
            ("Pekerjaan", "PETANI/PEKEBUN"), ("Kewarganegaraan", "WNI"), ("Berlaku Hingga", "SEUMUR HIDUP")]
    y = int(150 * scale)
    for label, value in rows:
        d.text((int(30 * scale), y), label, fill=(0, 0, 0), font=f)
        d.text((int(280 * scale), y), f": {value}", fill=(0, 0, 0), font=f)
        y += int(38 * scale)
    d.rectangle([int(760 * scale), int(150 * scale), int(970 * scale), int(420 * scale)], fill=(150, 60, 60))
    if not readable_number:
        box = (int(150 * scale), int(95 * scale), int(620 * scale), int(140 * scale))
        img.paste(img.crop(box).filter(ImageFilter.GaussianBlur(9 * scale)), box)
    out = io.BytesIO()
    img.rotate(rng.uniform(-1.5, 1.5), resample=Image.BICUBIC, expand=True, fillcolor=(90, 90, 90)).save(
        out, "JPEG", quality=75)
    return out.getvalue(), nik


def card_on_table(rng: random.Random, nik: str | None = None, *, width: int = 3000,
                  card_share: float = 0.55) -> tuple[bytes, str]:
    """A phone photo of a KTP-like card lying on a table: the card (`card_share` of the photo's width) on a
    wood-grain background, uneven light, slight blur, JPEG. The photo is `width` px wide (4:3)."""
    from PIL import Image, ImageChops, ImageFilter

    card_jpg, nik = ktp_card(rng, nik)
    card = Image.open(io.BytesIO(card_jpg)).convert("RGB")
    w, h = width, width * 3 // 4
    grain = Image.effect_noise((w // 8, h // 8), 40).resize((w, h), Image.BICUBIC).filter(ImageFilter.GaussianBlur(3))
    table = Image.merge("RGB", [grain.point(lambda v, k=k: int(v * k)) for k in (0.75, 0.55, 0.35)])
    cw = int(w * card_share)
    card = card.resize((cw, cw * card.height // card.width), Image.BICUBIC)
    table.paste(card, ((w - card.width) // 2 + rng.randint(-w // 20, w // 20),
                       (h - card.height) // 2 + rng.randint(-h // 20, h // 20)))
    light = Image.linear_gradient("L").rotate(rng.uniform(0, 360)).resize((w, h)).point(lambda v: 150 + v * 105 // 255)
    photo = ImageChops.multiply(table, Image.merge("RGB", [light] * 3)).filter(ImageFilter.GaussianBlur(0.8))
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=80)
    return out.getvalue(), nik


def photo(rng: random.Random, width: int = 1600, banner: str = "") -> bytes:
    """A photo of a village event, as far as a generator gets: sky, trees and a field, a crowd of coloured
    figures, leaf texture, sensor noise, JPEG. With `banner`, a cloth banner with that text hangs over the
    scene (event photos often show one; its words are no personal data)."""
    from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

    w, h = width, width * 2 // 3
    sky = Image.linear_gradient("L").resize((w, h))
    img = Image.merge("RGB", [sky.point(lambda v, k=k: int(k[0] + v * k[1])) for k in ((90, 0.4), (140, 0.3), (210, 0.1))])
    d = ImageDraw.Draw(img)
    horizon = int(h * rng.uniform(0.35, 0.5))
    for _ in range(60):  # tree crowns along the horizon
        x, r = rng.randrange(w), rng.randint(w // 40, w // 12)
        d.ellipse([x - r, horizon - 2 * r, x + r, horizon + r // 2], fill=(rng.randint(20, 60), rng.randint(70, 130), 30))
    d.rectangle([0, horizon, w, h], fill=(rng.randint(70, 110), rng.randint(110, 150), 50))
    for _ in range(rng.randint(20, 45)):  # people: a head and a shirt
        x, y = rng.randrange(w), rng.randint(horizon, h)
        s = max(6, int((y - horizon + 40) / h * w / 25))
        d.ellipse([x - s // 3, y - 2 * s, x + s // 3, y - s - s // 4], fill=(120, 85, 60))
        d.rectangle([x - s // 2, y - s - s // 4, x + s // 2, y + s], fill=tuple(rng.randint(30, 230) for _ in range(3)))
    if banner:
        font = ImageFont.truetype(FONT_BOLD, max(12, w // 30))
        box = d.textbbox((0, 0), banner, font=font)
        bx, by = (w - box[2]) // 2, int(h * 0.08)
        d.rectangle([bx - 20, by - 15, bx + box[2] + 20, by + box[3] + 15], fill=(200, 30, 30))
        d.text((bx, by), banner, fill=(255, 255, 240), font=font)
    leaves = Image.effect_noise((w, h), 60).convert("RGB")
    img = ImageChops.overlay(img, leaves).filter(ImageFilter.GaussianBlur(0.6))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=82)
    return out.getvalue()
