"""Generated pages with known accessibility defects, for the static check and the axe-core comparison.

Each page is built from parts, and the generator returns the defects it put in per rule, so the expected
counts are known by construction (and checked against axe-core in a real browser by the tests).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

RULES = ("a11y.lang.missing", "a11y.title.missing", "a11y.img.alt_missing", "a11y.link.name_missing",
         "a11y.form.label_missing", "a11y.heading.order", "a11y.table.headers_missing")


@dataclass
class GeneratedPage:
    path: str
    html: str
    expected: dict[str, int] = field(default_factory=dict)


def _table(with_headers: bool, rows: int, cols: int, rng: random.Random) -> str:
    head = "".join(f"<th>Kolom {c}</th>" for c in range(cols)) if with_headers else ""
    body = "".join("<tr>" + "".join(f"<td>{rng.randint(1, 999)}</td>" for _ in range(cols)) + "</tr>"
                   for _ in range(rows))
    return f"<table>{'<tr>' + head + '</tr>' if head else ''}{body}</table>"


def make_page(i: int, rng: random.Random, clean: bool = False) -> GeneratedPage:
    exp = dict.fromkeys(RULES, 0)
    lang = clean or rng.random() < 0.6
    titled = clean or rng.random() < 0.7
    exp["a11y.lang.missing"] = 0 if lang else 1
    exp["a11y.title.missing"] = 0 if titled else 1
    parts = [f"<h1>Halaman {i}</h1>", "<h2>Berita</h2>"]
    # images: good alts, decorative alt="", and missing ones
    for _ in range(rng.randint(0, 3)):
        parts.append(f"<img src='/img/foto{rng.randint(1, 99)}.png' alt='Foto kegiatan desa'>")
    parts.append("<img src='/img/garis.png' alt=''>")
    missing_alt = 0 if clean else rng.randint(0, 3)
    parts += [f"<img src='/img/tanpa-alt-{k}.png'>" for k in range(missing_alt)]
    exp["a11y.img.alt_missing"] = missing_alt
    # links: text, image with alt, aria-label, and nameless icon links
    parts.append("<p><a href='/profil'>Profil desa</a> <a href='/apbdes'><img src='/i.png' alt='APBDes'></a> "
                 "<a href='/unduh' aria-label='Unduh dokumen'><span class='icon'></span></a></p>")
    nameless = 0 if clean else rng.randint(0, 2)
    parts += [f"<a href='/ikon-{k}'><span class='icon'></span></a>" for k in range(nameless)]
    parts += [f"<a href='/gambar-{k}'><img src='/g.png' alt=''></a>" for k in range(rng.randint(0, 1) if not clean else 0)]
    exp["a11y.link.name_missing"] = sum(1 for p in parts if p.startswith(("<a href='/ikon-", "<a href='/gambar-")))
    # form: labelled, wrapped, placeholder, and unlabelled fields
    form = ["<form action='/permohonan' method='post'>", "<label for='nama'>Nama</label><input id='nama' name='nama'>",
            "<label>Alamat <input name='alamat'></label>", "<input name='hp' placeholder='Nomor HP'>",
            "<input type='hidden' name='token' value='x'>", "<input type='submit' value='Kirim'>"]
    unlabelled = 0 if clean else rng.randint(0, 2)
    form += [f"<input name='isian{k}'>" for k in range(unlabelled)]
    if not clean and rng.random() < 0.5:
        form.append("<select name='kategori'><option>Berkala</option></select>")
        unlabelled += 1
    form.append("</form>")
    parts += form
    exp["a11y.form.label_missing"] = unlabelled
    # headings: a skip (h2 -> h4) adds one violation each time
    skips = 0 if clean else rng.randint(0, 2)
    for k in range(skips):
        parts += [f"<h2>Bagian {k}</h2>", f"<h4>Rincian {k}</h4>"]
    parts.append("<h2>Penutup</h2><h3>Kontak</h3>")
    exp["a11y.heading.order"] = skips
    # tables: with headers, small (ignored), and large without headers
    parts.append(_table(True, 4, 6, rng))
    parts.append(_table(False, 2, 2, rng))  # a small layout table: no header needed
    bare = 0 if clean else rng.randint(0, 2)
    parts += [_table(False, 6, 6, rng) for _ in range(bare)]  # a budget-like grid of numbers
    exp["a11y.table.headers_missing"] = bare
    lang_attr = ' lang="id"' if lang else ""
    title = f"<title>Halaman {i} - PPID Kalurahan Contoh</title>" if titled else ""
    html = (f"<!DOCTYPE html><html{lang_attr}><head><meta charset='utf-8'>{title}</head>"
            f"<body><main>{''.join(parts)}</main></body></html>")
    return GeneratedPage(f"/a11y-{i}.html", html, exp)


def make_pages(n: int = 10, seed: int = 24) -> list[GeneratedPage]:
    rng = random.Random(seed)
    return [make_page(i, rng) for i in range(n)]
