"""A scripted history for the report tests (no tests here): six months of runs in which findings
appear, persist, get fixed and come back, with the facts the checks store. Also regenerates the
README screenshots: `python -m tests.test_reports_fixture docs/`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from auditor.config import Config, config_from_dict
from auditor.snapshot import Document, Headers, Page
from auditor.store import Store
from checks.base import Finding, Severity
from checks.facts import CertFacts, ContentFacts, Facts, HeadersFacts, SoftwareFacts, TlsFacts

SITE, URL = "katongan", "https://katongan.desa.test/"

HOSTILE = ("<script>alert('x')</script> {{ 7*7 }} {% raw %} مرحبا بالعالم ‏שלום 🙂🏛️ "
           + "PanjangSekaliTanpaSpasi" * 12)


@dataclass(frozen=True)
class Spec:
    check: str
    rule: str
    severity: Severity
    title: str
    url: str = URL
    data: dict | None = None


def finding_specs(hostile: bool) -> dict[str, Spec]:
    h = (" " + HOSTILE) if hostile else ""
    return {
        "A": Spec("tls", "tls.cert.expiring", Severity.MEDIUM, "Sertifikat HTTPS akan habis masa berlakunya" + h),
        "B": Spec("headers", "headers.csp.missing", Severity.MEDIUM, "Header Content-Security-Policy tidak ada" + h),
        "C": Spec("software", "software.cms.outdated", Severity.HIGH, "WordPress 5.8.1 sudah usang" + h),
        "D": Spec("personal_data", "pii.nik", Severity.HIGH, "NIK terbuka di dokumen" + h,
                  URL + ("uploads/" + "x" * 300 + ".xlsx" if hostile else "uploads/blt-dd.xlsx")),
        "E": Spec("content", "content.item.stale", Severity.LOW, "Informasi belum diperbarui: LKPJ" + h,
                  URL + "lkpj/", {"item": "lkpj"}),
        "G": Spec("headers", "headers.grade", Severity.INFO, "Nilai header keamanan: D (40)"),
    }


# (day, findings present, checks that ran ok, status). Months 1..6 of 2026; April has no run at all,
# late May has a run that died, June's ZAP scan fails.
PLAN: list[tuple[datetime, str, tuple[str, ...], str]] = [
    (datetime(2026, 1, 10, 2, tzinfo=UTC), "ABCG", ("tls", "headers", "software", "content"), "complete"),
    (datetime(2026, 2, 10, 2, tzinfo=UTC), "ABCG", ("tls", "headers", "software", "content"), "complete"),
    (datetime(2026, 3, 10, 2, tzinfo=UTC), "BCG", ("tls", "headers", "software", "content"), "complete"),
    (datetime(2026, 5, 3, 2, tzinfo=UTC), "ABDG", ("tls", "headers", "software", "personal_data", "content"),
     "complete"),
    (datetime(2026, 5, 20, 2, tzinfo=UTC), "ADEG", ("tls", "headers", "software", "personal_data", "content"),
     "complete"),
    (datetime(2026, 5, 28, 2, tzinfo=UTC), "", (), "incomplete"),
    (datetime(2026, 6, 15, 2, tzinfo=UTC), "AEG", ("tls", "headers", "software", "personal_data", "content"),
     "complete"),
]
# content items up to date per run (of 4 due + 1 exempt): compliance 50 %, 75 %, 75 %, 100 %, 50 %, -, 75 %
ITEMS_OK = [2, 3, 3, 4, 2, 0, 3]


def _facts(i: int, when: datetime, hostile: bool) -> dict[str, Facts]:
    title = (lambda s: s + " " + HOSTILE) if hostile else (lambda s: s)
    statuses = ["ok"] * ITEMS_OK[i] + ["stale"] * (4 - ITEMS_OK[i])
    items = [{"id": f"i{n}", "title": title(f"Informasi berkala {n}"), "category": "berkala", "cadence": "monthly",
              "matched_url": URL + f"info/{n}/", "last_updated": (when - timedelta(days=3)).date().isoformat(),
              "date_source": "meta", "status": s, "responsible": "Painem Fiktif"} for n, s in enumerate(statuses)]
    items[-1]["id"] = "lkpj"
    items[-1]["responsible"] = "Sukiman Contoh"
    items.append({"id": "dik", "title": "Data dikecualikan", "category": "dikecualikan", "cadence": "once",
                  "status": "excluded"})
    not_after = datetime(2026, 7, 1, tzinfo=UTC)
    cert = CertFacts(subject="CN=katongan.desa.test", subject_cn="katongan.desa.test", issuer="CN=Demo CA",
                     issuer_cn="Demo CA", serial="1", not_before=not_after - timedelta(days=365),
                     not_after=not_after, days_left=(not_after - when).days, key_type="RSA", key_size=2048,
                     signature_algorithm="sha256WithRSAEncryption", sha256="00" * 32)
    return {
        "tls": TlsFacts(endpoint={"host": "katongan.desa.test", "port": 443, "url": URL},
                        https={"available": True}, certificate=cert),
        "headers": HeadersFacts(grade={"grade": "D", "score": 40}),
        "software": SoftwareFacts(detected=[{"product": "wordpress", "name": "WordPress", "category": "cms",
                                             "version": "5.8.1", "confidence": "high",
                                             "verdict": {"status": "outdated"}}],
                                  data={"age_days": 10, "stale": False}),
        "content": ContentFacts(items=items, approved_list={"path": "daftar.yaml", "approved_by": "Bambang Rekaan",
                                                            "approved_on": "2026-01-02", "items": len(items)}),
    }


def _pages(i: int, when: datetime, hostile: bool) -> list[Page]:
    t = " " + HOSTILE if hostile else ""
    h = Headers([("Content-Type", "text/html")])
    pages = [Page(url=URL, status=200, headers=h, body=f"<html>home {i}</html>".encode(), fetched_at=when,
                  title="Beranda" + t),
             Page(url=URL + "profil/", status=200, headers=h, body=b"<html>profil</html>", fetched_at=when,
                  title="Profil" + t)]
    for n in range(i + 1):  # one news page more every run
        pages.append(Page(url=URL + f"berita/{n}/", status=200, headers=h, body=f"<p>{n}</p>".encode(),
                          fetched_at=when, title=f"Berita {n}" + t))
    if i < 3:  # a document that is removed later
        pages.append(Document(url=URL + "uploads/apbdes-2025.pdf", status=200,
                              headers=Headers([("Content-Type", "application/pdf")]), body=b"%PDF-1.4",
                              fetched_at=when, title="APBDes 2025" + t))
    return pages


def fill_store(store: Store, *, hostile: bool = False) -> None:
    specs = finding_specs(hostile)
    for i, (when, present, ok_checks, status) in enumerate(PLAN):
        run_id = store.start_run(SITE, URL, started=when)
        if status != "complete":
            store.finish_run(run_id, status=status, finished=when + timedelta(minutes=3))
            continue
        store.save_pages(run_id, SITE, _pages(i, when, hostile))
        findings = [Finding(check=s.check, rule=s.rule, severity=s.severity, title=s.title, url=s.url,
                            evidence=(f"bukti {k}" + (" " + HOSTILE if hostile else "")),
                            remediation=f"Perbaiki {k}." + (" " + HOSTILE if hostile else ""),
                            title_en=f"Finding {k}", remediation_en=f"Fix {k}.", key=k, data=s.data or {})
                    for k, s in specs.items() if k in present]
        facts = _facts(i, when, hostile)
        for check in ok_checks:
            store.save_check(run_id, check, "ok", 0.5, None, [f for f in findings if f.check == check],
                             facts.get(check))
        if when.month == 6:
            store.save_check(run_id, "zap", "error", 1.0, "ConnectionError: ZAP API not reachable", [])
        store.finish_run(run_id, finished=when + timedelta(minutes=5))


def make_config(tmp: Path, *, hostile: bool = False, sites: int = 1) -> Config:
    org = "PPID Kalurahan Katongan" + (" " + HOSTILE if hostile else "")
    raw = {
        "sites": [{"name": SITE, "url": URL}] + [{"name": f"desa{n}", "url": f"https://desa{n}.test/"}
                                                 for n in range(1, sites)],
        "storage": {"database": "var/store.sqlite"},
        "reports": {"output_dir": "out", "organisation": org,
                    "address": "Balai Kalurahan Katongan, Kapanewon Nglipar, Kabupaten Gunungkidul",
                    "signatories": {"kepala_seksi": {"name": "Suryani Contoh", "title": "Kepala Seksi Pelayanan"},
                                    "ketua_ppid": {"name": "Bambang Rekaan", "title": "Carik, Ketua PPID",
                                                   "nip": "19700101 199003 1 001"},
                                    "atasan_ppid": {"name": "Sutarno Rekaan" + (" " + HOSTILE if hostile else ""),
                                                    "title": "Lurah Katongan, Atasan PPID"}}},
    }
    return config_from_dict(raw, base_dir=tmp, require_files=False)


def render_docs_png(out: Path) -> list[Path]:
    """docs/report-monthly.png and docs/report-semiannual.png: first page of each PDF, via pdftoppm."""
    from reports.render import write_report

    made = []
    with tempfile.TemporaryDirectory() as tmp:
        cfg = make_config(Path(tmp))
        store = Store(cfg.database_path)
        fill_store(store)
        now = datetime(2026, 7, 5, tzinfo=UTC)
        for kind, period in (("monthly", "2026-05"), ("semiannual", "2026-H1")):
            pdf = next(p for p in write_report(cfg, store, kind, period, formats=("pdf",), now=now)
                       if p.suffix == ".pdf")
            target = out / f"report-{kind}"
            subprocess.run([shutil.which("pdftoppm") or "pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1",
                            "-singlefile", str(pdf), str(target)], check=True, timeout=60)
            made.append(target.with_suffix(".png"))
        store.close()
    return made


if __name__ == "__main__":
    for p in render_docs_png(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")):
        print(p)
