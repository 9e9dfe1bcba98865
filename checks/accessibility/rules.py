"""Rule records of the accessibility check (WCAG 2.1 success criteria in the references)."""

from __future__ import annotations

from checks.base import Severity
from checks.rules import Observes, Rule, RuleBook

WCAG = "https://www.w3.org/TR/WCAG21/#"
AXE = "https://dequeuniversity.com/rules/axe/4.10/"
C = Observes.CONTENT

RULES = RuleBook("a11y", [
    Rule("a11y.lang.missing", Severity.LOW,
         "Bahasa halaman tidak dinyatakan ({pages} halaman)", "Page language not declared ({pages} pages)",
         "Tambahkan atribut bahasa pada elemen html, misalnya <html lang=\"id\">, agar pembaca layar memakai "
         "lafal Bahasa Indonesia. Di WordPress/OpenSID atur bahasa situs ke Bahasa Indonesia.",
         "Add a language attribute to the html element, e.g. <html lang=\"id\">, so screen readers use the "
         "right pronunciation. In WordPress/OpenSID set the site language.",
         (WCAG + "language-of-page", AXE + "html-has-lang"), observes=C),
    Rule("a11y.title.missing", Severity.LOW,
         "Halaman tanpa judul ({pages} halaman)", "Pages without a title ({pages} pages)",
         "Beri setiap halaman <title> yang menjelaskan isinya (mis. \"APBDes 2026 - PPID Kalurahan ...\").",
         "Give every page a <title> that describes it (e.g. \"Village budget 2026 - PPID ...\").",
         (WCAG + "page-titled", AXE + "document-title"), observes=C),
    Rule("a11y.img.alt_missing", Severity.MEDIUM,
         "Gambar tanpa teks alternatif ({count} gambar di {pages} halaman)",
         "Images without a text alternative ({count} images on {pages} pages)",
         "Isi atribut alt setiap gambar dengan isi gambar (untuk pengumuman yang berupa gambar, tulis isinya); "
         "gambar hiasan diberi alt=\"\".",
         "Give every image an alt text that says what it shows (for notices published as images, their "
         "text); decorative images get alt=\"\".",
         (WCAG + "non-text-content", AXE + "image-alt"), observes=C),
    Rule("a11y.link.name_missing", Severity.MEDIUM,
         "Tautan tanpa teks yang dapat dikenali ({count} tautan di {pages} halaman)",
         "Links without discernible text ({count} links on {pages} pages)",
         "Beri setiap tautan teks yang menjelaskan tujuannya; tautan berupa ikon diberi aria-label "
         "(mis. aria-label=\"Unduh APBDes 2026\").",
         "Give every link text that says where it goes; icon links get an aria-label.",
         (WCAG + "link-purpose-in-context", AXE + "link-name"), observes=C),
    Rule("a11y.form.label_missing", Severity.MEDIUM,
         "Isian formulir tanpa label ({count} isian di {pages} halaman)",
         "Form fields without a label ({count} fields on {pages} pages)",
         "Hubungkan setiap isian dengan <label for=\"...\"> (mis. pada formulir permohonan informasi dan "
         "keberatan) atau beri aria-label.",
         "Associate every field with a <label for=\"...\"> (e.g. on the information request and objection "
         "forms) or give it an aria-label.",
         (WCAG + "labels-or-instructions", AXE + "label"), observes=C),
    Rule("a11y.heading.order", Severity.LOW,
         "Urutan judul bagian melompat ({count} judul di {pages} halaman)",
         "Heading levels skip ({count} headings on {pages} pages)",
         "Susun judul bagian berurutan (h1, lalu h2, lalu h3) tanpa melompati tingkat; atur tampilan huruf "
         "dengan CSS, bukan dengan tingkat judul.",
         "Nest headings in order (h1, then h2, then h3) without skipping levels; style text with CSS, not "
         "with heading levels.",
         (WCAG + "info-and-relationships", AXE + "heading-order"), observes=C),
    Rule("a11y.table.headers_missing", Severity.LOW,
         "Tabel data tanpa sel judul ({count} tabel di {pages} halaman)",
         "Data tables without header cells ({count} tables on {pages} pages)",
         "Tandai baris/kolom judul tabel dengan <th> (mis. tabel APBDes, daftar informasi publik) agar pembaca "
         "layar dapat menyebut judul kolom setiap sel.",
         "Mark table header rows/columns with <th> (e.g. budget tables, the public information list) so "
         "screen readers can announce each cell's header.",
         (WCAG + "info-and-relationships", AXE + "td-has-header"), observes=C),
])
