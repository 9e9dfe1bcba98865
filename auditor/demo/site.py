"""The demo PPID website: a small WordPress-looking site of Kalurahan Katongan, written as static files.

`build_site(root, today)` writes about 20 pages and 8 documents. Every date is relative to `today`, so the
deliberate problems (stale item, old CMS, leaked NIKs...) stay meaningful whenever the demo runs.
`sitemap.xml`, `robots.txt` and the feed are written as `*.in` templates: the server fills in its own
base URL (`@BASE_URL@`), which is only known once its ports are bound.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

from PIL import Image, ImageDraw

from auditor.demo.documents import Doc, plan_documents, write_documents
from auditor.demo.fakedata import tanggal

SITE_NAME = "PPID Kalurahan Katongan"
SITE_TAGLINE = "Kapanewon Nglipar, Kabupaten Gunungkidul"
WP_VERSION = "5.8.1"  # deliberately old WordPress (generator tag and ?ver= query strings)
JQUERY_PATH = "/js/jquery-1.12.4.min.js"
BROKEN_LINK = "/wp-content/uploads/2024/01/jadwal-pelayanan-adminduk.pdf"  # never written: a broken link
BASE_URL_TOKEN = "@BASE_URL@"
WIB = timezone(timedelta(hours=7))

NAV = [("/", "Beranda"), ("/ppid/", "PPID"), ("/profil/", "Profil"), ("/profil/visi-misi/", "Visi & Misi"),
       ("/profil/struktur-ppid/", "Struktur PPID"),
       ("/informasi-publik/daftar-informasi-publik/", "Daftar Informasi Publik"),
       ("/layanan/permohonan-informasi/", "Permohonan Informasi"), ("/berita/", "Berita"),
       ("/pengumuman/", "Pengumuman"), ("/kontak/", "Kontak")]

OFFICE_PHONE = "(0274) 5550123"
OFFICE_WA = "0813-2000-1234"
OFFICE_EMAIL = "ppid@katongan.desa.example"


@dataclass
class Page:
    path: str  # site path ending in "/" (a folder with index.html) or a file name
    title: str
    body: str  # HTML inside <main>
    modified: date
    published: date | None = None  # posts only
    meta_dates: bool = False  # emit article:published_time / article:modified_time
    show_updated: bool = True  # "Diperbarui <tanggal>" line
    summary: str = ""
    extra_head: list[str] = field(default_factory=list)


def _iso(d: date, hour: int = 8) -> str:
    return datetime.combine(d, time(hour, 15), tzinfo=WIB).isoformat()


def _a(href: str, text: str) -> str:
    return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'


def _doc_link(doc: Doc) -> str:
    kind = "XLSX" if doc.filename.endswith(".xlsx") else "PDF"
    return f'{_a(doc.path, doc.title)} ({kind})'


def render(page: Page) -> str:
    esc = html.escape
    head = [f'<meta name="generator" content="WordPress {WP_VERSION}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta name="description" content="{esc(page.summary or page.title)}">',
            f'<meta property="og:site_name" content="{SITE_NAME}">',
            f'<meta property="og:type" content="{"article" if page.published else "website"}">']
    if page.meta_dates:
        head.append(f'<meta property="article:published_time" content="{_iso(page.published or page.modified)}">')
        head.append(f'<meta property="article:modified_time" content="{_iso(page.modified, 14)}">')
    head += [f'<link rel="alternate" type="application/rss+xml" title="{SITE_NAME} &raquo; Feed" href="/feed/">',
             f'<link rel="stylesheet" href="/wp-includes/css/dist/block-library/style.min.css?ver={WP_VERSION}">',
             f'<link rel="stylesheet" href="/wp-content/themes/katongan/style.css?ver={WP_VERSION}">',
             f'<script src="{JQUERY_PATH}?ver=1.12.4"></script>',
             '<link rel="icon" href="/wp-content/uploads/logo-katongan.png">', *page.extra_head]
    nav = "\n".join(f"<li>{_a(href, text)}</li>" for href, text in NAV)
    dates = []
    if page.published:
        dates.append(f'<time class="entry-date" datetime="{_iso(page.published)}">'
                     f'{tanggal(page.published, with_day=True)}</time>')
    if page.show_updated:
        dates.append(f'<span class="updated">Diperbarui {tanggal(page.modified)}</span>')
    meta = f'<p class="entry-meta">{" &middot; ".join(dates)}</p>' if dates else ""
    return f"""<!DOCTYPE html>
<html lang="id-ID">
<head>
<meta charset="UTF-8">
<title>{esc(page.title)} &#8211; {SITE_NAME}</title>
{chr(10).join(head)}
</head>
<body class="{"single-post" if page.published else "page"}">
<header class="site-header">
<img src="/wp-content/uploads/logo-katongan.png" alt="Logo Kalurahan Katongan" width="64" height="64">
<p class="site-title">{_a("/", SITE_NAME)}</p>
<p class="site-description">{SITE_TAGLINE}</p>
<nav class="main-navigation"><ul>
{nav}
</ul></nav>
</header>
<main id="main">
<article>
<h1 class="entry-title">{esc(page.title)}</h1>
{meta}
<div class="entry-content">
{page.body}
</div>
</article>
</main>
<footer class="site-footer">
<p>&copy; {page.modified.year} Pemerintah Kalurahan Katongan &middot; {_a("/kontak/", "Kontak PPID")}
&middot; {_a("/informasi-publik/daftar-informasi-publik/", "Daftar Informasi Publik")}</p>
<p>Ditenagai oleh WordPress</p>
</footer>
<script src="/wp-content/themes/katongan/js/navigation.js?ver={WP_VERSION}"></script>
<script src="/wp-includes/js/wp-embed.min.js?ver={WP_VERSION}"></script>
</body>
</html>
"""


@dataclass(frozen=True)
class DipRow:
    """A row of the published Daftar Informasi Publik table."""

    title: str
    unit: str
    responsible: str
    jenis: str  # Berkala / Serta Merta / Setiap Saat
    href: str
    bentuk: str = "Softcopy dan Hardcopy"
    retention: str = "5 tahun"


def _dip_rows(docs: dict[str, Doc]) -> list[DipRow]:
    return [
        DipRow("Profil Kalurahan Katongan", "Pemerintah Kalurahan", "Carik", "Setiap Saat", "/profil/"),
        DipRow("Struktur Organisasi PPID Kalurahan", "PPID", "Ketua PPID", "Setiap Saat",
               "/profil/struktur-ppid/"),
        DipRow(docs["apbdes"].title, "Danarta", "Danarta", "Berkala", docs["apbdes"].path),
        DipRow(docs["perdes"].title, "Carik", "Carik", "Berkala", docs["perdes"].path),
        DipRow(docs["realisasi"].title, "Danarta", "Danarta", "Berkala", docs["realisasi"].path),
        DipRow(docs["lkpj"].title, "Lurah", "Carik", "Berkala", docs["lkpj"].path),
        DipRow(docs["layanan"].title, "PPID", "Ketua PPID", "Berkala", docs["layanan"].path),
        DipRow(docs["blt"].title, "Kasi Kesejahteraan", "Kamituwa", "Berkala", docs["blt"].path),
        DipRow(docs["sop"].title, "PPID", "Ketua PPID", "Setiap Saat", docs["sop"].path),
        DipRow(docs["maklumat"].title, "PPID", "Ketua PPID", "Setiap Saat", docs["maklumat"].path),
        DipRow("Pengumuman Kalurahan", "Tata Laksana", "Operator PPID", "Serta Merta", "/pengumuman/"),
        DipRow("Berita Kegiatan Kalurahan", "Tata Laksana", "Operator PPID", "Berkala", "/berita/"),
    ]


def _dip_table(rows: list[DipRow], when: date) -> str:
    head = ("No", "Ringkasan Isi Informasi", "Pejabat/Unit yang Menguasai Informasi", "Penanggung Jawab",
            "Bentuk Informasi", "Jangka Waktu Penyimpanan", "Jenis Informasi")
    out = ['<table class="daftar-informasi-publik">', "<thead><tr>"
           + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead>", "<tbody>"]
    for i, r in enumerate(rows, 1):
        out.append(f"<tr><td>{i}</td><td>{_a(r.href, r.title)}</td><td>{r.unit}</td><td>{r.responsible}</td>"
                   f"<td>{r.bentuk}</td><td>{r.retention}</td><td>{r.jenis}</td></tr>")
    out.append("</tbody></table>")
    out.append(f"<p>Ditetapkan oleh Atasan PPID Kalurahan Katongan pada {tanggal(when)}.</p>")
    return "\n".join(out)


@dataclass(frozen=True)
class Post:
    slug: str
    title: str
    days_ago: int
    body: str
    updated_days_ago: int | None = None
    meta_dates: bool = False


def _posts(today: date, docs: dict[str, Doc]) -> list[Post]:
    blt = docs["blt"]
    return [
        Post("kerja-bakti-saluran-irigasi-padukuhan-4", "Kerja Bakti Pembersihan Saluran Irigasi Padukuhan 4",
             3, "<p>Warga Padukuhan 4 bergotong royong membersihkan saluran irigasi menjelang musim tanam. "
                "Kegiatan diikuti sekitar 60 warga dan didukung Jagabaya serta Ulu-ulu Kalurahan.</p>",
             updated_days_ago=1, meta_dates=True),
        Post("penyaluran-blt-dd", blt.title.replace("Data Penerima", "Penyaluran"), 12,
             "<p>Pemerintah Kalurahan Katongan telah menyalurkan Bantuan Langsung Tunai Dana Desa kepada "
             f"keluarga penerima manfaat. Data penerima dapat diunduh: {_doc_link(blt)}.</p>", meta_dates=True),
        Post("posyandu-lansia-sehat-bahagia", "Posyandu Lansia Sehat Bahagia Rutin Digelar", 26,
             "<p>Kader kesehatan menggelar pemeriksaan tekanan darah dan senam lansia di Balai Kalurahan.</p>"),
        Post("pelatihan-operator-website-ppid", "Pelatihan Pengelolaan Website PPID bagi Operator", 47,
             "<p>Operator PPID mengikuti pelatihan pengelolaan konten dan keamanan website di Kapanewon "
             "Nglipar, sesuai SOP Keamanan Pengelolaan Website.</p>", updated_days_ago=40, meta_dates=True),
        Post("musyawarah-kalurahan-penetapan-apbdes", "Musyawarah Kalurahan Penetapan APBDes", 90,
             f"<p>Musyawarah Kalurahan menyepakati rancangan APBDes. Dokumen: {_doc_link(docs['apbdes'])} "
             f"dan {_doc_link(docs['perdes'])}.</p>"),
        Post("sosialisasi-keterbukaan-informasi-publik", "Sosialisasi Keterbukaan Informasi Publik", 430,
             "<p>PPID Kalurahan Katongan menyosialisasikan hak masyarakat atas informasi publik sesuai "
             f"UU 14/2008. Laporan pertanggungjawaban: {_doc_link(docs['lkpj'])}.</p>"),
    ]


def _pages(today: date, docs: dict[str, Doc]) -> list[Page]:
    d = lambda n: today - timedelta(days=n)  # noqa: E731
    posts = _posts(today, docs)
    pages: list[Page] = []
    post_pages: list[Page] = []
    for p in posts:
        pub = d(p.days_ago)
        mod = d(p.updated_days_ago) if p.updated_days_ago is not None else pub
        post_pages.append(Page(f"/{pub.year}/{pub.month:02d}/{pub.day:02d}/{p.slug}/", p.title, p.body, mod,
                               published=pub, meta_dates=p.meta_dates,
                               show_updated=p.updated_days_ago is not None))
    berita_list = "\n".join(f"<li>{_a(pp.path, pp.title)} &ndash; {tanggal(pp.published)}</li>"  # type: ignore[arg-type]
                            for pp in post_pages)
    und = docs["undangan"]
    ann = [Page(f"/pengumuman/undangan-musyawarah-kalurahan-{und.when.year}/", "Undangan Musyawarah Kalurahan",
                f"<p>Surat undangan Musyawarah Kalurahan: {_doc_link(und)}.</p>", und.when,
                published=und.when, show_updated=False),
           Page("/pengumuman/jadwal-pelayanan-administrasi-kependudukan/",
                "Jadwal Pelayanan Administrasi Kependudukan",
                "<p>Pelayanan KTP-el dan Kartu Keluarga keliling dibuka di Balai Kalurahan. Unduh jadwal: "
                f"{_a(BROKEN_LINK, 'Jadwal Pelayanan Adminduk (PDF)')}.</p>", d(20), published=d(20))]
    ann_list = "\n".join(f"<li>{_a(a.path, a.title)} &ndash; {tanggal(a.modified)}</li>" for a in ann)
    def doc_list(*keys: str) -> str:
        return "<ul>" + "".join(f"<li>{_doc_link(docs[k])}</li>" for k in keys) + "</ul>"

    programmes = [("Pembangunan", "Rehabilitasi jalan usaha tani Padukuhan 2", "Rp 185.000.000", "Berjalan"),
                  ("Pembangunan", "Pembangunan talud Padukuhan 6", "Rp 96.500.000", "Selesai"),
                  ("Pemberdayaan", "Pelatihan pengolahan hasil pertanian", "Rp 24.000.000", "Berjalan"),
                  ("Pembinaan", "Kegiatan posyandu balita dan lansia", "Rp 38.400.000", "Berjalan"),
                  ("Penanggulangan bencana", "BLT Dana Desa", "Rp 144.000.000", "Berjalan")]
    programme_rows = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in programmes)
    pages += [
        Page("/", "Beranda", f"<p>Selamat datang di laman {SITE_NAME}, {SITE_TAGLINE}, Daerah Istimewa "
             "Yogyakarta. Laman ini menyediakan informasi publik sesuai UU 14/2008 dan Perki 1/2018.</p>"
             f"<h2>Berita Terbaru</h2><ul>{berita_list}</ul><h2>Pengumuman</h2><ul>{ann_list}</ul>",
             d(3), show_updated=False, summary="Laman resmi PPID Kalurahan Katongan"),
        Page("/profil/", "Profil Kalurahan Katongan", "<p>Kalurahan Katongan terletak di Kapanewon Nglipar, "
             "Kabupaten Gunungkidul, dengan kode wilayah 34.03.02.2007. Wilayahnya terdiri atas delapan "
             "padukuhan dengan mata pencaharian utama pertanian dan peternakan.</p>"
             f"<p>Lihat juga {_a('/profil/visi-misi/', 'Visi dan Misi')} serta "
             f"{_a('/profil/struktur-ppid/', 'Struktur PPID')} serta "
             f"{_a('/profil/tugas-dan-fungsi-ppid/', 'Tugas dan Fungsi PPID')}.</p>", d(200)),
        Page("/profil/visi-misi/", "Visi dan Misi", "<h2>Visi</h2><p>Terwujudnya Kalurahan Katongan yang "
             "maju, mandiri, dan berbudaya.</p><h2>Misi</h2><ol><li>Meningkatkan pelayanan publik yang "
             "transparan.</li><li>Mengembangkan potensi pertanian dan UMKM.</li></ol>", d(320)),
        Page("/profil/struktur-ppid/", "Struktur Organisasi PPID Kalurahan Katongan", "<table><tbody>"
             "<tr><td>Atasan PPID</td><td>Lurah Katongan</td></tr><tr><td>Ketua PPID</td><td>Carik</td></tr>"
             "<tr><td>Kepala Seksi Pelayanan Informasi</td><td>Kamituwa</td></tr>"
             "<tr><td>Operator</td><td>Staf Tata Laksana</td></tr></tbody></table>"
             "<p>Ditetapkan dengan Keputusan Lurah Katongan tentang Pejabat Pengelola Informasi dan "
             "Dokumentasi.</p>", d(120), meta_dates=True),
        # The PPID section of the menu: the DIP, SOP, maklumat and forms within two clicks; the list of
        # exempted information (DIK) is deliberately not published (content.mandatory.missing).
        Page("/ppid/", "Layanan PPID Kalurahan Katongan",
             "<ul>" + "".join(f"<li>{item}</li>" for item in (
                 _a("/informasi-publik/daftar-informasi-publik/", "Daftar Informasi Publik"),
                 _doc_link(docs["sop"]), _doc_link(docs["maklumat"]),
                 _a("/layanan/permohonan-informasi/", "Formulir Permohonan Informasi Publik"),
                 _a("/layanan/pengajuan-keberatan/", "Formulir Pengajuan Keberatan"),
                 _a("/profil/struktur-ppid/", "Struktur PPID"))) + "</ul>", d(120)),
        Page("/profil/tugas-dan-fungsi-ppid/", "Tugas dan Fungsi PPID", "<p>PPID Kalurahan bertugas "
             "menyediakan, menyimpan, mendokumentasikan dan mengamankan informasi publik serta melayani "
             "permohonan informasi.</p>", d(320)),
        Page("/informasi-publik/daftar-informasi-publik/", "Daftar Informasi Publik",
             _dip_table(_dip_rows(docs), d(100)) + "<p>Menurut jenisnya: "
             + " &middot; ".join(_a(f"/informasi-publik/informasi-{k}/", t) for k, t in (
                 ("berkala", "Informasi Berkala"), ("serta-merta", "Informasi Serta Merta"),
                 ("setiap-saat", "Informasi Setiap Saat"))) + "</p>", d(100)),
        Page("/informasi-publik/informasi-berkala/", "Informasi Berkala",
             "<h2>Perencanaan dan Keuangan Kalurahan</h2>" + doc_list("apbdes", "perdes", "realisasi")
             + "<h2>Laporan Penyelenggaraan Pemerintahan Kalurahan</h2>" + doc_list("lkpj")
             + "<h2>Program dan Bantuan</h2><ul><li>"
             + _a("/informasi-publik/program-dan-kegiatan/", "Program dan Kegiatan Kalurahan")
             + f"</li><li>{_doc_link(docs['blt'])}</li></ul>"
             + "<h2>Layanan Informasi</h2>" + doc_list("layanan"), d(30)),
        Page("/informasi-publik/program-dan-kegiatan/", f"Program dan Kegiatan Kalurahan Tahun {today.year}",
             "<table><thead><tr><th>Bidang</th><th>Kegiatan</th><th>Pagu</th><th>Status</th></tr></thead>"
             f"<tbody>{programme_rows}</tbody></table>", d(35), meta_dates=True),
        Page("/informasi-publik/informasi-serta-merta/", "Informasi Serta Merta",
             "<p>Informasi yang dapat mengancam hajat hidup orang banyak, misalnya peringatan dini bencana "
             f"tanah longsor dan kekeringan, diumumkan melalui {_a('/pengumuman/', 'Pengumuman')}.</p>", d(150)),
        Page("/informasi-publik/informasi-setiap-saat/", "Informasi Setiap Saat",
             f"<ul><li>{_doc_link(docs['sop'])}</li><li>{_doc_link(docs['maklumat'])}</li>"
             f"<li>{_a('/profil/', 'Profil Kalurahan')}</li></ul>", d(150)),
        Page("/layanan/permohonan-informasi/", "Permohonan Informasi Publik",
             "<p>Permohonan informasi dapat diajukan langsung di Balai Kalurahan pada jam kerja atau melalui "
             f"surat elektronik. Prosedur: {_doc_link(docs['sop'])}.</p>"
             f"<p>{_a('/layanan/pengajuan-keberatan/', 'Tata cara pengajuan keberatan')}</p>", d(250)),
        Page("/layanan/pengajuan-keberatan/", "Pengajuan Keberatan", "<p>Keberatan diajukan secara tertulis "
             "kepada Atasan PPID paling lambat 30 hari kerja setelah ditemukannya alasan keberatan.</p>",
             d(250)),
        Page("/berita/", "Berita", f"<ul>{berita_list}</ul>", d(1), show_updated=False),
        Page("/pengumuman/", "Pengumuman", f"<ul>{ann_list}</ul>", d(10), show_updated=False),
        Page("/kontak/", "Kontak PPID", f"<p>Balai Kalurahan Katongan, Kapanewon Nglipar, Gunungkidul.</p>"
             f"<p>Telepon: {OFFICE_PHONE} &middot; WhatsApp layanan informasi: {OFFICE_WA}</p>"
             f'<p>Surel: <a href="mailto:{OFFICE_EMAIL}">{OFFICE_EMAIL}</a></p>'
             "<p>Jam layanan: Senin&ndash;Jumat, 08.00&ndash;14.00 WIB.</p>", d(60)),
    ]
    return pages + post_pages + ann


_WP_LOGIN = """<!DOCTYPE html>
<html lang="id-ID">
<head>
<meta charset="UTF-8">
<title>Masuk &lsaquo; PPID Kalurahan Katongan &#8212; WordPress</title>
<meta name="robots" content="max-image-preview:large, noindex, noarchive">
<link rel="stylesheet" href="/wp-includes/css/dist/block-library/style.min.css?ver=5.8.1">
</head>
<body class="login no-js login-action-login wp-core-ui">
<div id="login">
<h1><a href="/">Ditenagai oleh WordPress</a></h1>
<form name="loginform" id="loginform" action="/wp-login.php" method="post">
<p><label for="user_login">Nama Pengguna atau Alamat Email</label>
<input type="text" name="log" id="user_login" class="input" value="" size="20" autocapitalize="off"></p>
<p><label for="user_pass">Kata Sandi</label>
<input type="password" name="pwd" id="user_pass" class="input" value="" size="20"></p>
<p class="forgetmenot"><input name="rememberme" type="checkbox" id="rememberme" value="forever">
<label for="rememberme">Ingat Saya</label></p>
<p class="submit"><input type="submit" name="wp-submit" id="wp-submit" class="button button-primary"
value="Masuk"><input type="hidden" name="redirect_to" value="/wp-admin/"></p>
</form>
<p id="backtoblog"><a href="/">&larr; Kembali ke PPID Kalurahan Katongan</a></p>
</div>
</body>
</html>
"""

# A real jQuery banner (so scanners identify 1.12.4) over a tiny harmless body, not the library itself.
_JQUERY = ("/*! jQuery v1.12.4 | (c) jQuery Foundation | jquery.org/license */\n"
           "!function(w){\"use strict\";var q=function(s){return w.document.querySelectorAll(s)};"
           "q.fn=q.prototype={jquery:\"1.12.4\"};w.jQuery=w.$=q}(window);\n")
_ASSETS = {
    "js/jquery-1.12.4.min.js": _JQUERY,
    "wp-includes/js/wp-embed.min.js": "/*! This file is auto-generated */\n!function(){\"use strict\"}();\n",
    "wp-includes/css/dist/block-library/style.min.css": ".wp-block-table table{border-collapse:collapse}\n",
    "wp-content/themes/katongan/style.css": (
        "/*\nTheme Name: Katongan\nVersion: 1.0.3\nRequires at least: 5.0\n*/\n"
        "body{font-family:sans-serif;margin:0 auto;max-width:60em}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:.3em}\n"),
    "wp-content/themes/katongan/js/navigation.js": "document.documentElement.className+=' js';\n",
}


def _sitemap(pages: list[Page]) -> str:
    urls = "\n".join(f"<url><loc>{BASE_URL_TOKEN}{p.path.lstrip('/')}</loc>"
                     f"<lastmod>{_iso(p.modified, 14)}</lastmod></url>" for p in pages)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}\n</urlset>\n')


def _feed(posts: list[Page]) -> str:
    def rfc822(d: date) -> str:
        return datetime.combine(d, time(1, 15), tzinfo=UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    items = "\n".join(f"<item><title>{html.escape(p.title)}</title><link>{BASE_URL_TOKEN}{p.path.lstrip('/')}</link>"
                      f"<pubDate>{rfc822(p.published or p.modified)}</pubDate></item>" for p in posts)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>\n'
            f"<title>{SITE_NAME}</title><link>{BASE_URL_TOKEN}</link><language>id-ID</language>\n"
            f"<generator>https://wordpress.org/?v={WP_VERSION}</generator>\n{items}\n</channel></rss>\n")


def _write(root: Path, rel: str, data: str | bytes, when: date) -> Path:
    target = root / rel.lstrip("/")
    if rel.endswith("/"):
        target = target / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        target.write_text(data, encoding="utf-8")
    else:
        target.write_bytes(data)
    _touch(target, when)
    return target


def _touch(path: Path, when: date) -> None:
    """File time = publication time, so the server's Last-Modified tells the same story as the page."""
    ts = datetime.combine(when, time(9, 0), tzinfo=WIB).timestamp()
    os.utime(path, (ts, ts))


def _logo() -> bytes:
    import io

    img = Image.new("RGB", (64, 64), (22, 101, 52))
    ImageDraw.Draw(img).ellipse((8, 8, 56, 56), fill=(250, 204, 21))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def build_site(root: Path, today: date) -> None:
    """Write the demo site under `root` (created if needed), dated relative to `today`."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    docs = plan_documents(today)
    write_documents(root, docs)
    for doc in docs.values():
        _touch(root / doc.path.lstrip("/"), doc.when)
    installed = today - timedelta(days=400)  # theme and WordPress files date from the install
    for rel, text in _ASSETS.items():
        _write(root, rel, text, installed)
    _write(root, "/wp-content/uploads/logo-katongan.png", _logo(), installed)
    _write(root, "/wp-login.php", _WP_LOGIN, installed)
    pages = _pages(today, docs)
    for page in pages:
        _write(root, page.path, render(page), page.modified)
    posts = sorted((p for p in pages if p.published and not p.path.startswith("/pengumuman/")),
                   key=lambda p: p.published, reverse=True)  # type: ignore[arg-type, return-value]
    latest = max(p.modified for p in pages)
    _write(root, "/sitemap.xml.in", _sitemap(pages), latest)
    _write(root, "/feed/index.rss.in", _feed(posts), latest)
    _write(root, "/robots.txt.in", "User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n\n"
           f"Sitemap: {BASE_URL_TOKEN}sitemap.xml\n", installed)
