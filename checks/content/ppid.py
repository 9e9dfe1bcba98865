"""OpenSID's public information API, `GET /ppid`: the site's own Daftar Informasi Publik, machine-readable.

OpenSID (donjo-app/controllers/Api_informasi_publik.php, Web_dokumen_model::data_ppid) answers without
authentication with `{"status": "success", "data": {"ppid": [...], "tanggal": "d-m-Y h:i:s", ...}}`,
one record per document: `dokumen` (download URL, dokumen_web/unduh_berkas/ID), `nama`, `tgl_upload`,
`updated_at`, `enabled`, `kategori` (1 Berkala, 2 Serta-merta, 3 Setiap Saat, 4 Dikecualikan), `tahun`.
Seen on 2410.0.0 and 2410.1.0 (tests/fixtures/opensid/). Its dates are evidence for approved-list items
and for the site's last update; a Dikecualikan document that downloads without login is a finding.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urljoin, urlsplit

from auditor.snapshot import Headers, Page, Site
from checks.base import Severity
from checks.content.dates import parse_machine_date
from checks.rules import Observes, Rule, RuleBook

PATHS = ("/ppid", "/index.php/ppid")
MAX_BODY = 4 * 1024 * 1024
MAX_DOWNLOAD_CHECKS = 10
CATEGORIES = {1: "berkala", 2: "serta_merta", 3: "setiap_saat", 4: "dikecualikan"}
LABELS = {1: "Berkala", 2: "Serta-merta", 3: "Setiap Saat", 4: "Dikecualikan"}
SOURCE = "ppid_api"
REFS = ("UU 14/2008 Pasal 17 (informasi yang dikecualikan)",
        "Perki 1/2021 tentang Standar Layanan Informasi Publik (Daftar Informasi Publik)")

RULES = [
    Rule("content.ppid.excluded_public", Severity.HIGH,
         "Dokumen berkategori Dikecualikan dapat diunduh publik: {name}",
         "A document classified as exempt (Dikecualikan) is publicly downloadable: {name}",
         "Informasi yang dikecualikan (UU 14/2008 Pasal 17) tidak boleh dapat diunduh siapa saja. Di OpenSID, "
         "nonaktifkan atau hapus dokumen ini dari menu Informasi Publik, lalu periksa apakah berisi data pribadi "
         "yang sudah telanjur tersebar. OpenSID menyajikan setiap dokumen lewat dokumen_web/unduh_berkas/ID tanpa "
         "melihat kategorinya.",
         "Exempt information (UU 14/2008 art. 17) must not be downloadable by anyone. In OpenSID, disable or "
         "delete this document in the public information menu and check whether personal data has already "
         "leaked. OpenSID serves every document at dokumen_web/unduh_berkas/ID whatever its category.",
         references=REFS, observes=Observes.CONTENT),
    Rule("content.ppid.empty", Severity.MEDIUM,
         "Daftar Informasi Publik situs (/ppid) kosong",
         "The site's public information list (/ppid) is empty",
         "Unggah dokumen informasi publik (Berkala, Serta-merta, Setiap Saat) melalui menu Informasi Publik di "
         "OpenSID sesuai Daftar Informasi Publik yang ditetapkan PPID.",
         "Upload the public information documents (periodic, immediate, on-request) through OpenSID's public "
         "information menu, following the list approved by the PPID.",
         references=REFS, observes=Observes.CONTENT),
]
RULEBOOK = RuleBook("content", RULES)


@dataclass(frozen=True)
class DipDoc:
    id: str
    url: str
    name: str
    category: int | None
    uploaded: date | None
    updated: date | None
    enabled: bool
    year: str

    @property
    def label(self) -> str:
        return LABELS.get(self.category or 0, "?")

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "url": self.url, "name": self.name[:200], "category": self.category,
                "category_label": self.label, "uploaded": self.uploaded.isoformat() if self.uploaded else None,
                "updated": self.updated.isoformat() if self.updated else None, "enabled": self.enabled,
                "year": self.year}


@dataclass
class Dip:
    url: str
    docs: list[DipDoc]
    generated: str  # the API's own `tanggal`

    @property
    def published(self) -> list[DipDoc]:
        return [d for d in self.docs if d.enabled]


def parse(body: bytes, base: str) -> list[DipDoc] | None:
    """The documents of a /ppid answer, or None when the body is not OpenSID's /ppid JSON."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("status") != "success":
        return None
    inner = data.get("data")
    if not isinstance(inner, dict) or not isinstance(inner.get("ppid"), list):
        return None
    out: list[DipDoc] = []
    for rec in inner["ppid"]:
        if not isinstance(rec, dict):
            continue
        try:
            category = int(rec.get("kategori")) if rec.get("kategori") not in (None, "") else None
        except (TypeError, ValueError):
            category = None
        url = rec.get("dokumen") if isinstance(rec.get("dokumen"), str) else ""
        out.append(DipDoc(
            id=str(rec.get("id", "")), url=urljoin(base, url) if url else "", name=str(rec.get("nama") or ""),
            category=category, uploaded=parse_machine_date(str(rec.get("tgl_upload") or "")),
            updated=parse_machine_date(str(rec.get("updated_at") or "")),
            enabled=str(rec.get("enabled", "1")) == "1", year=str(rec.get("tahun") or "")))
    return out


def _generated(body: bytes) -> str:
    try:
        return str(json.loads(body).get("data", {}).get("tanggal") or "")
    except (ValueError, AttributeError):
        return ""


def read(site: Site, http: Any, log: logging.Logger, *, remote: bool = True) -> Dip | None:
    """The site's /ppid list: from the crawl when it was fetched, else one request (OpenSID sites only
    answer it; anything that is not its JSON shape is ignored)."""
    root = f"{urlsplit(site.url).scheme}://{urlsplit(site.url).netloc}/"
    for res in site.all_resources():
        if res.ok and urlsplit(res.url).path.rstrip("/") in PATHS:
            docs = parse(res.body, root)
            if docs is not None:
                return Dip(res.url, docs, _generated(res.body))
    if not remote or http is None:
        return None
    url = urljoin(root, PATHS[0].lstrip("/"))
    try:
        resp = http.fetch(url, max_bytes=MAX_BODY)
    except Exception as exc:  # refused target, bad URL: the rest of the check goes on
        log.info("content: %s not read: %s", url, exc)
        return None
    if not resp.ok or not resp.body:
        return None
    docs = parse(resp.body, root)
    return Dip(url, docs, _generated(resp.body)) if docs is not None else None


def resources(dip: Dip) -> list[Page]:
    """One not-fetched `Page` per published document, named by the DIP, for matching approved items."""
    out = []
    for d in dip.published:
        if d.url:
            out.append(Page(url=d.url, final_url=d.url, status=200, title=d.name, kind="document",
                            headers=Headers()))
    return out


def dates(dip: Dip) -> dict[str, date]:
    """Document URL -> updated_at (else tgl_upload), for evidence."""
    return {d.url: (d.updated or d.uploaded) for d in dip.published if d.url and (d.updated or d.uploaded)}


def downloadable(http: Any, doc: DipDoc) -> str | None:
    """Secret-free evidence that `doc` downloads without login (a file, not an HTML error page), else None."""
    if not doc.url or http is None:
        return None
    try:
        resp = http.fetch(doc.url, max_bytes=64 * 1024)
    except Exception:
        return None
    if not resp.ok or not resp.body:
        return None
    ctype = (resp.headers.get("content-type") or "").split(";")[0].strip().lower()
    head = resp.body[:512].lstrip().lower()
    if ctype in ("text/html", "application/xhtml+xml") or head.startswith((b"<!doctype", b"<html")):
        return None
    return f"HTTP {resp.status}, {ctype or 'tanpa Content-Type'}, {len(resp.body)} byte diunduh tanpa login"


def findings(check: Any, dip: Dip, http: Any) -> list[Any]:
    """content.ppid.empty when nothing is published; content.ppid.excluded_public per exempt document
    that downloads without login (at most MAX_DOWNLOAD_CHECKS requests)."""
    out = []
    if not dip.published:
        out.append(check.finding_from(
            "content.ppid.empty", url=dip.url, key="ppid-empty",
            evidence=f"{dip.url}: {len(dip.docs)} dokumen, {len(dip.published)} aktif (data API {dip.generated})",
            data={"documents": len(dip.docs), "published": 0}))
    for doc in [d for d in dip.docs if d.category == 4][:MAX_DOWNLOAD_CHECKS]:
        got = downloadable(http, doc)
        if not got:
            continue
        uploaded = doc.uploaded.isoformat() if doc.uploaded else None
        updated = doc.updated.isoformat() if doc.updated else None
        out.append(check.finding_from(
            "content.ppid.excluded_public", url=doc.url, key=f"ppid-exempt-{doc.id}", fmt={"name": doc.name[:80]},
            evidence=f"{dip.url} mencantumkan '{doc.name[:80]}' dengan kategori 4 (Dikecualikan), diunggah "
                     f"{uploaded or '?'}, diperbarui {updated or '?'}; {doc.url}: {got}",
            data={"document": doc.id, "category": 4, "uploaded": uploaded, "updated": updated,
                  "enabled": doc.enabled}))
    return out


def facts(dip: Dip) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for d in dip.docs:
        key = CATEGORIES.get(d.category or 0, "unknown")
        counts[key] = counts.get(key, 0) + 1
    return {"source": dip.url, "generated": dip.generated, "documents": len(dip.docs),
            "published": len(dip.published), "by_category": counts, "items": [d.to_json() for d in dip.docs[:200]]}
