"""The content and links checks' rule records (checks.rules): what the site publishes, so every rule
observes the content. Titles and remediation carry format fields filled per finding."""

from __future__ import annotations

from checks.base import Severity
from checks.rules import Observes, Rule, RuleBook, Variant

CONTENT = Observes.CONTENT
SOP_REF = "SOP Keamanan Pengelolaan Website PPID, A1/A2"
PPID_MENU_REF = "Perki 1/2018 (layanan informasi publik desa); e-Monev Komisi Informasi (Perki 1/2022)"
HTTP_STATUS_REF = "https://developer.mozilla.org/en-US/docs/Web/HTTP/Status"

RULEBOOK = RuleBook("content", [
    Rule("content.list.expired", Severity.MEDIUM,
         "Daftar Informasi Publik kedaluwarsa: ditetapkan {approved_on}, lebih dari {months} bulan lalu",
         "Approved content list expired: approved {approved_on}, over {months} months ago",
         "Ketua PPID menetapkan kembali tabel konten (minimal 1 x {months} bulan, SOP A1) dan menyerahkannya "
         "kepada Kepala Seksi; impor ulang tabelnya.",
         "The PPID head re-approves the content table (at least every {months} months, SOP A1); re-import it.",
         (SOP_REF,), cases={"no_list": Severity.INFO},  # nothing configured: an information, not a failure
         observes=CONTENT,
         variants={
             "no-list": Variant(
                 "Daftar Informasi Publik yang disetujui belum dipasang di konfigurasi",
                 "No approved content list (Daftar Informasi Publik) is configured",
                 "Impor tabel Daftar Informasi Publik yang ditandatangani dengan "
                 "`ppid-audit content import daftar.xlsx -o daftar.yaml`, lalu isi "
                 "`approved_content: daftar.yaml` pada situs di config.yaml.",
                 "Import the signed table with `ppid-audit content import daftar.xlsx -o daftar.yaml` and set "
                 "`approved_content: daftar.yaml` for the site."),
             "unreadable-list": Variant(
                 "Daftar Informasi Publik tidak dapat dibaca", "The approved content list cannot be read",
                 "Perbaiki berkas daftar (atau impor ulang dari tabel yang ditandatangani).",
                 "Fix the list file (or re-import it from the signed table)."),
             "no-date": Variant(
                 "Daftar Informasi Publik tidak memiliki tanggal penetapan",
                 "The approved content list has no approval date",
                 "Ketua PPID menetapkan ulang daftar (minimal 1 x {months} bulan) dan mengisi `approved_on` serta "
                 "`approved_by`.",
                 "Have the list re-approved (at least every {months} months) and fill `approved_on` and "
                 "`approved_by`."),
         }),
    Rule("content.item.stale", Severity.LOW,
         "Informasi belum diperbarui: {title} (terakhir {last}, jadwal {cadence_id})",
         "Item not updated: {title} (last {last}, cadence {cadence})",
         "Operator mengunggah versi terbaru '{title}'{responsible} sesuai jadwal pada Daftar Informasi Publik.",
         "Upload the current version of '{title}' as scheduled in the approved list.",
         (SOP_REF,), cases={"long_overdue": Severity.MEDIUM},  # late by more than one further cadence period
         observes=CONTENT),
    Rule("content.item.missing", Severity.MEDIUM,
         "Informasi pada Daftar Informasi Publik tidak ditemukan di situs: {title}",
         "Approved item not found on the site: {title}",
         "Unggah '{title}' (kategori {category}) dan tautkan dari menu PPID, atau perbarui `url`/`match` item "
         "ini pada daftar bila alamatnya berubah.",
         "Publish '{title}' and link it from the PPID menu, or update the item's `url`/`match` if it moved.",
         (SOP_REF,), cases={"serta_merta": Severity.LOW},  # immediate-release items exist only when events occur
         observes=CONTENT),
    Rule("content.site.stale", Severity.MEDIUM,
         "Situs tidak diperbarui lebih dari {months} bulan (terakhir {last})",
         "Nothing added or updated for over {months} month(s) (last {last})",
         "Operator mengunggah atau memperbarui konten setiap bulan (SOP A2) dan mencatatnya pada Form daftar "
         "update konten.",
         "Upload or update content every month (SOP A2) and record it in the content update log.",
         (SOP_REF,), observes=CONTENT),
    Rule("content.mandatory.missing", Severity.MEDIUM,
         "Informasi wajib tidak ditemukan: {title}",
         "Mandatory information not found: {title_en}",
         "Umumkan '{title}' di situs (menu PPID / Informasi Berkala) sesuai {basis}.",
         "Publish this information on the site as required by {basis}.", observes=CONTENT),
    Rule("content.ppid_menu.missing", Severity.MEDIUM,
         "Menu PPID tidak ada pada navigasi situs (menu atas/bawah)",
         "No PPID menu in the site's navigation (header/footer menus)",
         "Tambahkan menu 'PPID' pada navigasi utama yang membuka halaman PPID berisi tautan ke DIP, DIK, SOP, "
         "formulir permohonan dan keberatan.",
         "Add a 'PPID' entry to the main navigation that opens a PPID page linking to the DIP, DIK, SOPs and the "
         "request and objection forms.", (PPID_MENU_REF,), observes=CONTENT),
    Rule("content.ppid_menu.incomplete", Severity.LOW,
         "Bagian PPID tidak menjangkau dalam dua klik: {names}",
         "The PPID section does not reach within two clicks: {names_en}",
         "Tautkan butir tersebut dari halaman PPID (atau submenu PPID) agar pemohon menemukannya dalam dua klik.",
         "Link these from the PPID page (or a PPID submenu) so requesters find them within two clicks.",
         (PPID_MENU_REF,), observes=CONTENT),
    Rule("content.annual_report.missing", Severity.MEDIUM,
         "Laporan layanan informasi publik tahun {year} belum diterbitkan (batas {deadline})",
         "Public information service report for {year} not published (due {deadline})",
         "Susun dan terbitkan laporan layanan informasi publik tahun {year} di menu PPID (jumlah permohonan, "
         "waktu layanan, keberatan, kendala).",
         "Prepare and publish the {year} public information service report on the PPID menu (requests, "
         "response times, objections, obstacles).", observes=CONTENT),
    Rule("content.annual_report.late", Severity.LOW,
         "Laporan layanan informasi publik tahun {year} terbit terlambat",
         "Public information service report for {year} published late",
         "Terbitkan laporan tahunan paling lambat batas waktunya tahun depan.",
         "Publish next year's report by the deadline.", observes=CONTENT),
])

LINKS_RULEBOOK = RuleBook("content", [
    Rule("content.link.broken", Severity.LOW,
         "{what} rusak: {problem}", "Broken {what_en}: {problem_en}",
         "Perbaiki atau hapus tautan pada halaman yang menautkannya, atau unggah ulang dokumen ke alamat "
         "tersebut. Periksa juga Daftar Informasi Publik yang merujuk ke sini.",
         "Fix or remove the link on the pages that point here, or upload the document again at this address.",
         (HTTP_STATUS_REF,), cases={"document": Severity.MEDIUM},  # a published document (PDF, XLSX...) is gone
         observes=CONTENT),
])
