"""CLI message catalogue: Bahasa Indonesia first, English on request (--lang en)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "severity": {"id": "Keparahan", "en": "Severity"},
    "rule": {"id": "Aturan", "en": "Rule"},
    "title": {"id": "Temuan", "en": "Finding"},
    "url": {"id": "URL", "en": "URL"},
    "evidence": {"id": "Bukti", "en": "Evidence"},
    "status": {"id": "Status", "en": "Status"},
    "check": {"id": "Pemeriksaan", "en": "Check"},
    "duration": {"id": "Durasi (dtk)", "en": "Duration (s)"},
    "note": {"id": "Catatan", "en": "Note"},
    "lifecycle": {"id": "Riwayat", "en": "Lifecycle"},
    "run": {"id": "Pemindaian", "en": "Run"},
    "site": {"id": "Situs", "en": "Site"},
    "started": {"id": "Mulai", "en": "Started"},
    "pages": {"id": "Halaman", "en": "Pages"},
    "documents": {"id": "Dokumen", "en": "Documents"},
    "findings": {"id": "Temuan", "en": "Findings"},
    "first_seen": {"id": "Pertama terlihat", "en": "First seen"},
    "last_seen": {"id": "Terakhir terlihat", "en": "Last seen"},
    "no_findings": {"id": "Tidak ada temuan.", "en": "No findings."},
    "no_runs": {"id": "Belum ada pemindaian tersimpan.", "en": "No stored runs yet."},
    "summary": {"id": "Ringkasan audit {site} ({url}): {pages} halaman, {documents} dokumen, {n} temuan",
                "en": "Audit summary {site} ({url}): {pages} pages, {documents} documents, {n} findings"},
    "unreachable": {"id": "Situs {site} tidak dapat dijangkau: {url} ({why})",
                    "en": "Site {site} could not be reached: {url} ({why})"},
    "busy": {"id": "pemindaian situs {site} masih berjalan (pid {pid}); yang ini dilewati",
             "en": "a scan of site {site} is still running (pid {pid}); skipping this one"},
    "stored": {"id": "Tersimpan sebagai pemindaian {run}.", "en": "Stored as run {run}."},
    "ok": {"id": "ok", "en": "ok"}, "error": {"id": "galat", "en": "error"},
    "skipped": {"id": "dilewati", "en": "skipped"},
    "new": {"id": "baru", "en": "new"}, "open": {"id": "masih terbuka", "en": "still open"},
    "fixed": {"id": "sudah diperbaiki", "en": "fixed"}, "reopened": {"id": "muncul lagi", "en": "reopened"},
    "critical": {"id": "kritis", "en": "critical"}, "high": {"id": "tinggi", "en": "high"},
    "medium": {"id": "sedang", "en": "medium"}, "low": {"id": "rendah", "en": "low"},
    "info": {"id": "info", "en": "info"},
}


def t(key: str, lang: str = "id", **kw: object) -> str:
    entry = MESSAGES.get(key)
    text = (entry.get(lang) or entry["id"]) if entry else key
    return text.format(**kw) if kw else text
