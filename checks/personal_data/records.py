"""The personal_data check's rule records (checks.rules). Personal data is published content, so every
rule observes the content. `{label}` style fields are filled per finding; the values themselves never
reach a finding (masked samples and keyed hashes only)."""

from __future__ import annotations

from auditor.catalogue import t
from checks.base import Severity
from checks.rules import Observes, Rule, RuleBook, Variant

CONTENT = Observes.CONTENT
REFERENCES = ("https://peraturan.bpk.go.id/Details/229798/uu-no-27-tahun-2022",
              "https://peraturan.bpk.go.id/Details/39047/uu-no-14-tahun-2008")
REM_ID = ("Turunkan atau ganti dokumen/halaman dengan versi yang datanya disamarkan (mis. 3403**********01), "
          "hanya tampilkan data yang memang wajib diumumkan, minta penghapusan cache mesin pencari, dan "
          "catat sebagai insiden data pribadi (UU 27/2022 tentang Pelindungan Data Pribadi; data pribadi "
          "termasuk informasi yang dikecualikan menurut UU 14/2008 Pasal 17 huruf h).")
REM_EN = ("Take the document/page down or replace it with a version where the data is masked (e.g. "
          "3403**********01), publish only what must be published, ask search engines to drop cached "
          "copies, and record it as a personal-data incident (Law 27/2022 on Personal Data Protection; "
          "personal data is exempt information under Law 14/2008 art. 17(h)).")
REM_CONTACT_ID = (" Bila nomor/alamat ini milik kantor dan memang sengaja diumumkan, tambahkan ke "
                  "`contact_allowlist` di config.")
REM_CONTACT_EN = " If this is the office's own published contact, add it to `contact_allowlist` in the config."

# kind -> (default severity, title, English title); the severity a finding gets follows the count
# (evidence.SEVERITY_STEPS).
_KINDS: dict[str, tuple[Severity, str, str]] = {
    "nik": (Severity.HIGH, "NIK warga terpublikasi", "National ID numbers (NIK) exposed"),
    "kk": (Severity.HIGH, "Nomor Kartu Keluarga (KK) terpublikasi", "Family card numbers (No. KK) exposed"),
    "npwp": (Severity.MEDIUM, "NPWP terpublikasi", "Tax ID numbers (NPWP) exposed"),
    "bpjs": (Severity.MEDIUM, "Nomor kartu BPJS Kesehatan terpublikasi", "BPJS health card numbers exposed"),
    "phone": (Severity.LOW, "Nomor HP pribadi terpublikasi", "Personal mobile numbers exposed"),
    "email": (Severity.LOW, "Alamat e-mail terpublikasi", "E-mail addresses exposed"),
    "account": (Severity.LOW, "Nomor rekening bank terpublikasi", "Bank account numbers exposed"),
}
CONTACT_KINDS = ("phone", "email", "account")  # may be the office's own published contact


def _kind_rule(kind: str) -> Rule:
    sev, title, title_en = _KINDS[kind]
    contact = kind in CONTACT_KINDS
    variants = {}
    if kind in ("phone", "email"):  # the same value on many pages: the site's footer contact
        variants["sitewide"] = Variant(
            title + " di seluruh situs", title_en + " site-wide",
            "Pastikan ini kontak resmi kantor, bukan nomor/alamat pribadi." + REM_CONTACT_ID,
            "Make sure this is the office's official contact, not a personal one." + REM_CONTACT_EN)
    return Rule(f"pii.{kind}", sev, title, title_en,
                REM_ID + (REM_CONTACT_ID if contact else ""), REM_EN + (REM_CONTACT_EN if contact else ""),
                REFERENCES, observes=CONTENT, variants=variants)


RULEBOOK = RuleBook("pii", [
    *(_kind_rule(kind) for kind in _KINDS),
    Rule("pii.document.unscannable", Severity.LOW,
         "Dokumen tidak dapat diperiksa otomatis (perlu tinjauan manual)",
         "Document cannot be checked automatically (needs manual review)",
         "Periksa dokumen ini secara manual sebelum/selama dipublikasikan; dokumen pindaian (gambar) sering "
         "berisi KTP/KK atau daftar penerima bantuan lengkap dengan NIK.",
         "Review this document by hand; scanned (image) documents often contain ID cards, family cards or "
         "aid-recipient lists with NIKs.", REFERENCES, observes=CONTENT),
    # a photo or scan of a KTP/KK card recognised by its field labels (OCR), even with the number unreadable
    Rule("pii.id_card_image", Severity.CRITICAL, t("id_card_title", "id"), t("id_card_title", "en"),
         t("id_card_remediation", "id"), t("id_card_remediation", "en"), REFERENCES, observes=CONTENT),
])
