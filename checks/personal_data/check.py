"""The `personal_data` check: Indonesian personal data in crawled pages and uploaded documents."""

from __future__ import annotations

import os
import time
from collections import Counter
from typing import Any

from pydantic import Field

from auditor.catalogue import t
from auditor.redact import keyed_hash
from checks.base import Cache, Check, CheckConfig, CheckContext, CheckResult, Finding
from checks.facts import PersonalDataFacts
from checks.personal_data.detectors import Allowlist, masked
from checks.personal_data.evidence import (
    LABELS,
    SAMPLES,
    DocumentResult,
    findings_for,
    scan_extraction,
)
from checks.personal_data.extract import extract, extract_page
from checks.personal_data.limits import MB, Limits
from checks.personal_data.ocr import OcrEngine, OcrLimits
from checks.personal_data.records import RULEBOOK
from checks.personal_data.scans import read_ahead


class PersonalDataConfig(CheckConfig):
    allowlist: list[str] = Field(default_factory=list)  # extra published-on-purpose values (phone, e-mail, @domain)
    max_document_mb: float = Field(50, gt=0)
    max_pages: int = Field(500, gt=0)  # PDF pages per document
    max_rows: int = Field(200_000, gt=0)  # table rows per document
    max_zip_ratio: float = Field(200, gt=1)
    max_unzipped_mb: float = Field(300, gt=0)
    document_time_budget_s: float = Field(60, gt=0)
    time_budget_s: float = Field(900, gt=0)  # the whole check
    sitewide_contact_pages: int = Field(3, ge=2)  # a phone/e-mail on this many pages is the site's contact
    # OCR of images and image-only PDF pages (Tesseract; skipped with a note when it is not installed)
    ocr: bool = True
    ocr_max_pages: int = Field(20, gt=0)  # OCRed pages/frames per document
    ocr_max_megapixels: float = Field(40, gt=0)  # per image, read from its header before decoding
    ocr_document_s: float = Field(60, gt=0)  # OCR seconds per document
    ocr_max_images: int = Field(200, ge=0)  # OCRed images/pages per run
    ocr_dpi: int = Field(200, ge=72, le=400)  # rendering of image-only PDF pages
    ocr_workers: int = Field(0, ge=0, le=64)  # images read at once; 0: one per CPU core available


def ocr_engine(cfg: PersonalDataConfig, cache: Cache | None) -> OcrEngine | None:
    """The run's OCR engine (None when OCR is switched off); `.available` says whether it can read."""
    if not cfg.ocr:
        return None
    return OcrEngine(OcrLimits(max_pages=cfg.ocr_max_pages, max_pixels=int(cfg.ocr_max_megapixels * 1e6),
                               document_s=cfg.ocr_document_s, max_images=cfg.ocr_max_images, dpi=cfg.ocr_dpi),
                     cache=cache, workers=cfg.ocr_workers)


def limits_from(cfg: PersonalDataConfig) -> Limits:
    return Limits(max_bytes=int(cfg.max_document_mb * MB), max_pages=cfg.max_pages, max_rows=cfg.max_rows,
                  max_ratio=cfg.max_zip_ratio, max_unzipped=int(cfg.max_unzipped_mb * MB),
                  time_budget_s=cfg.document_time_budget_s)


def allowlist_from(site_config: Any, cfg: PersonalDataConfig) -> Allowlist:
    return Allowlist.from_entries([*(getattr(site_config, "contact_allowlist", None) or []), *cfg.allowlist])


class PersonalDataCheck(Check[PersonalDataConfig]):
    name = "personal_data"
    description = "Data pribadi (NIK, KK, NPWP, BPJS, HP, e-mail, rekening) di halaman dan dokumen"
    config_model = PersonalDataConfig
    facts_model = PersonalDataFacts
    area = "pii"
    rulebook = RULEBOOK
    separate_process = True  # reads the snapshot; keeps only its own cache entries

    def run(self, ctx: CheckContext) -> CheckResult:
        cfg = self.config(ctx)
        limits = limits_from(cfg)
        allow = allowlist_from(ctx.site_config, cfg)
        key = ctx.secret_key or os.urandom(32)  # no store: hashes still keyed, just not stable across runs
        today = ctx.now().date()
        started = time.monotonic()
        res = CheckResult()
        notes: list[dict[str, str]] = []
        page_results: list[tuple[str, DocumentResult]] = []
        doc_summaries: list[dict[str, Any]] = []  # the first 500; `docs_scanned` counts them all
        docs_scanned = 0
        ocr = ocr_engine(cfg, ctx.cache)
        if ocr is not None and not ocr.available:
            notes.append({"code": "ocr.unavailable", "url": "", "note": t("ocr_unavailable", "id", missing=ocr.reason)})
            ocr = None

        def over_budget() -> bool:
            if time.monotonic() - started > cfg.time_budget_s:
                if not any(n.get("code") == "cap.check_time" for n in notes):
                    notes.append({"code": "cap.check_time", "url": "",
                                  "note": f"batas waktu pemeriksaan {cfg.time_budget_s:.0f} detik tercapai"})
                return True
            return False

        for page in ctx.site.pages:
            if not (page.ok and page.body and page.is_html) or over_budget():
                continue
            try:
                ex = extract_page(page, limits)
                page_results.append((page.final_url or page.url, scan_extraction(ex, allow, today)))
            except Exception as exc:  # one odd page must not stop the rest
                ctx.log.debug("personal_data: page %s: %s", page.url, type(exc).__name__)
        res.findings.extend(self._page_findings(page_results, ctx.site.url, key, cfg.sitewide_contact_pages))

        documents = [d for d in ctx.site.documents if d.ok and d.body]
        for i, doc in enumerate(documents):
            if over_budget():
                break
            if ocr is not None:  # the next images are read by idle OCR workers while this one is scanned
                read_ahead(ocr, (d.body for d in documents[i:i + ocr.workers]))
            url = doc.final_url or doc.url
            try:
                ex = extract(doc.body, doc.filename, content_type=doc.content_type, limits=limits, ocr=ocr)
                dres = scan_extraction(ex, allow, today)
            except Exception as exc:
                ctx.log.debug("personal_data: document %s: %s", url, type(exc).__name__)
                continue
            docs_scanned += 1
            if doc.truncated:
                trunc = "dokumen terpotong pada batas unduhan crawl.max_document_mb"
                if dres.error_kind == "corrupt":
                    dres.error_id, dres.error_en = trunc, "document cut at the crawl.max_document_mb download cap"
                notes.append({"code": "truncated", "url": url, "note": trunc})
            for n in dres.notes:
                notes.append({"code": n.code, "url": url, "note": n.text_id})
            res.findings.extend(findings_for(dres, url, key, check=self.name))
            if len(doc_summaries) < 500:
                doc_summaries.append({"url": url, "format": dres.fmt,
                                      "counts": {k: dres.count(k) for k in dres.groups},
                                      "error": dres.error_kind, "image_only": dres.image_only,
                                      "public": dict(dres.public), "ocr": dres.ocr,
                                      "id_card": bool(dres.cards)})

        totals: Counter[str] = Counter()
        for f in res.findings:
            if f.rule != "pii.document.unscannable":
                totals[f.rule.removeprefix("pii.")] += int(f.data.get("count", 0))
        if ocr is not None:
            ocr.close()
        res.facts = PersonalDataFacts(
            pages_scanned=len(page_results), documents_scanned=docs_scanned, ocr_runs=ocr.calls if ocr else 0,
            ocr_images=ocr.images if ocr else 0, counts=dict(totals), documents=doc_summaries, notes=notes[:500],
            unscannable=sum(1 for f in res.findings if f.rule == "pii.document.unscannable"))
        return res

    def _page_findings(self, results: list[tuple[str, DocumentResult]], site_url: str, key: bytes,
                       sitewide_min: int) -> list[Finding]:
        """Per-page findings, except phones/e-mails repeated on many pages (a footer contact): those are
        one low finding for the site, pointing at `contact_allowlist`."""
        pages_with: dict[tuple[str, str], int] = Counter()
        for _url, r in results:
            for kind in ("phone", "email"):
                g = r.groups.get(kind)
                for value in g.values if g else ():
                    pages_with[(kind, value)] += 1
        sitewide = {kv for kv, n in pages_with.items() if n >= sitewide_min}
        out: list[Finding] = []
        for url, r in results:
            for kind in ("phone", "email"):
                g = r.groups.get(kind)
                if not g:
                    continue
                g.values = {v: c for v, c in g.values.items() if (kind, v) not in sitewide}
                g.samples = [masked(kind, v) for v in list(g.values)[:SAMPLES]]
            out.extend(findings_for(r, url, key, check=self.name))
        for kind in ("phone", "email"):
            values = sorted(v for k, v in sitewide if k == kind)
            if not values:
                continue
            most = max(pages_with[(kind, v)] for v in values)
            samples = ", ".join(masked(kind, v) for v in values[:3])
            out.append(self.finding_from(
                f"pii.{kind}", variant="sitewide", url=site_url,
                evidence=f"{len(values)} {LABELS[kind]} muncul di hingga {most} halaman "
                         f"(kemungkinan kontak kantor): {samples}",
                key=f"pii.{kind}:sitewide",
                data={"count": len(values), "pages": most,
                      "value_hashes": sorted(keyed_hash(key, v) for v in values)},
            ))
        return out
