"""The `content` check on generated sites whose truth is known: every verdict asserted with its date source."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from auditor.http import HttpClient
from auditor.snapshot import Link
from checks.base import CheckContext, Severity, discover_checks
from checks.content import ContentCheck, ContentConfig
from checks.content.daftar import CADENCE_MONTHS
from checks.facts import ContentFacts
from tests.content_sites import BASE, document, make_pdf, make_xlsx, page, site, text_date

TODAY = datetime(2026, 8, 20, 10, 0, tzinfo=UTC)
GRACE = 7
# Unique words so no two generated items can match each other's pages.
WORDS = ["irigasi", "posyandu", "pasar", "jembatan", "sanitasi", "perpustakaan", "lumbung", "embung", "gapura",
         "balai", "kolam", "taman", "makam", "sumur", "pos ronda", "drainase", "talud", "paud", "polindes",
         "gorong", "lapangan", "menara", "kebun", "tambak", "koperasi", "sanggar", "pendopo", "gudang", "terminal",
         "pelabuhan", "dermaga", "rumah singgah", "bendungan", "saluran", "waduk", "kandang", "hutan", "sawah",
         "ladang", "pantai", "dusun", "kampung", "gang", "tugu", "masjid"]


def run_check(s, *, daftar: dict | None, tmp_path: Path, previous: dict | None = None, **cfg):
    site_cfg = SimpleNamespace(name=s.name, url=s.url, approved_content=None)
    if daftar is not None:
        (tmp_path / "daftar.yaml").write_text(yaml.safe_dump(daftar, allow_unicode=True), encoding="utf-8")
        site_cfg.approved_content = Path("daftar.yaml")
    ctx = CheckContext(site=s, config=ContentConfig(**cfg), http=HttpClient(timeout_s=3), site_config=site_cfg,
                       now=lambda: TODAY, base_dir=tmp_path,
                       previous_facts=ContentFacts.model_validate(previous) if previous else None)
    return ContentCheck().run(ctx)


def by_rule(result, rule: str) -> list:
    return [f for f in result.findings if f.rule == rule]


def item_row(result, item_id: str) -> dict:
    """The item as stored (the model's JSON)."""
    return next(r.model_dump(mode="json") for r in result.facts.items if r.id == item_id)


def approved(items: list[dict], on: date = date(2026, 7, 1)) -> dict:
    return {"approved_by": "Ketua PPID Desa Sukamaju", "approved_on": on.isoformat(), "items": items}


# --- truth table: every cadence x fresh/stale x every date source -----------------------------------------

SOURCES = ["jsonld", "meta", "time", "sitemap", "feed", "text", "document_metadata", "office", "last_modified",
           "history_changed"]
CADENCE_DAYS = {"monthly": 30, "quarterly": 91, "semiannual": 182, "annual": 365}


def render(n: int, word: str, source: str, d: date):
    """One page or document whose last-update date `d` is written only through `source`."""
    title = f"Dokumen {word.title()}"
    path = f"/info/{word.replace(' ', '-')}"
    iso = d.isoformat()
    dt = datetime(d.year, d.month, d.day, 9, tzinfo=UTC)
    if source == "document_metadata":
        return None, document(path + ".pdf", make_pdf(f"{title}\nRingkasan isi.", mod=dt), "application/pdf"), {}
    if source == "office":
        ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return None, document(path + ".xlsx", make_xlsx(dt), ct), {}
    head, body, headers, extra = "", "<p>Isi informasi.</p>", [], {}
    changed = None
    if source == "jsonld":
        head = f'<script type="application/ld+json">{json.dumps({"@type": "WebPage", "dateModified": iso})}</script>'
    elif source == "meta":
        head = f'<meta property="article:modified_time" content="{iso}T08:00:00+07:00">'
    elif source == "time":
        body += f'<p>Diubah <time itemprop="dateModified" datetime="{iso}">{iso}</time></p>'
    elif source == "sitemap":
        extra = {"sitemap": {BASE + path: iso}}
    elif source == "feed":
        extra = {"feed": (BASE + path, format_datetime(dt))}
    elif source == "text":
        body += f"<p class='meta'>{text_date(d, n)}</p>"
    elif source == "last_modified":
        headers = [("Last-Modified", format_datetime(dt, usegmt=True))]
    elif source == "history_changed":
        changed = dt
    return page(path, title, body, head, headers=headers, fetched=TODAY, last_changed=changed,
                first_seen=changed - timedelta(days=100) if changed else None), None, extra


def build_truth_site():
    pages, docs, sitemap, feed_items, items, truth = [], [], {}, [], [], {}
    n = 0
    for cadence, days in CADENCE_DAYS.items():
        for fresh in (True, False):
            for source in SOURCES:
                word = WORDS[n % len(WORDS)] + f" {n}"
                age = days // 2 if fresh else int(days * 1.6) + GRACE + 5
                d = (TODAY - timedelta(days=age)).date()
                p, doc, extra = render(n, word, source, d)
                url = (p or doc).url
                (pages if p else docs).append(p or doc)
                sitemap.update(extra.get("sitemap", {}))
                if "feed" in extra:
                    feed_items.append(extra["feed"])
                item_id = f"item-{n}"
                items.append({"id": item_id, "title": f"Dokumen {word.title()}", "category": "berkala",
                              "cadence": cadence})
                truth[item_id] = (url, d, "document_metadata" if source == "office" else source,
                                  "ok" if fresh else "stale")
                n += 1
    if feed_items:
        rss = "".join(f"<item><title>x</title><link>{u}</link><pubDate>{pd}</pubDate></item>" for u, pd in feed_items)
        feed = page("/feed", "feed")
        feed.body = f"<?xml version='1.0'?><rss version='2.0'><channel>{rss}</channel></rss>".encode()
        feed.headers.items = [("Content-Type", "application/rss+xml")]
        pages.append(feed)
    return site(pages, docs, sitemap=sitemap), items, truth


@pytest.fixture(scope="module")
def truth_run(tmp_path_factory):
    s, items, truth = build_truth_site()
    result = run_check(s, daftar=approved(items), tmp_path=tmp_path_factory.mktemp("truth"), mandatory=False,
                       grace_days=GRACE)
    return result, truth


def test_every_item_verdict_and_date_source(truth_run):
    result, truth = truth_run
    assert len(truth) == len(CADENCE_DAYS) * 2 * len(SOURCES)
    stale_ids = {f.data["item"] for f in by_rule(result, "content.item.stale")}
    for item_id, (url, d, source, status) in truth.items():
        row = item_row(result, item_id)
        assert row["matched_url"] == url, item_id
        assert row["last_updated"] == d.isoformat(), (item_id, row)
        assert row["date_source"] == source, (item_id, row)
        assert row["status"] == status, (item_id, row)
        assert (item_id in stale_ids) == (status == "stale")
    assert not by_rule(result, "content.item.missing")
    assert result.facts.summary["ok"] == result.facts.summary["stale"] == len(truth) // 2


def test_stale_findings_carry_source_and_due_date(truth_run):
    result, truth = truth_run
    stale = by_rule(result, "content.item.stale")
    assert len(stale) == result.facts.summary["stale"] > 0  # the loop below has something to check
    for f in stale:
        url, d, source, _ = truth[f.data["item"]]
        assert f.url == url
        assert f.data["date_source"] == source
        assert d.isoformat() in f.evidence and source in f.evidence
        assert date.fromisoformat(f.data["due"]) < TODAY.date()
        # 1.6 periods old: overdue by less than one further period -> low; the table decides
        assert f.severity in (Severity.LOW, Severity.MEDIUM)
        assert f.title_en and f.remediation and f.remediation_en


def test_stale_severity_grows_with_overdue_time(tmp_path):
    pages, items = [], []
    for i, months_old in enumerate((2, 4)):  # monthly item: 2 months old = 1 period late; 4 = >2 periods
        d = (TODAY - timedelta(days=months_old * 31)).date()
        pages.append(page(f"/p{i}", f"Dokumen {WORDS[i]}", f"<p>{text_date(d, 0)}</p>", fetched=TODAY))
        items.append({"id": f"i{i}", "title": f"Dokumen {WORDS[i]}", "category": "berkala", "cadence": "monthly"})
    result = run_check(site(pages), daftar=approved(items), tmp_path=tmp_path, mandatory=False)
    sev = {f.data["item"]: f.severity for f in by_rule(result, "content.item.stale")}
    assert sev == {"i0": Severity.LOW, "i1": Severity.MEDIUM}


# --- special cases ---------------------------------------------------------------------------------------

def scenario_site():
    fresh = (TODAY - timedelta(days=10)).date()
    pages = [
        # moved: the list says /ppid/profil (now 404); the content lives elsewhere under the same title
        page("/ppid/profil", "404", status=404),
        page("/tentang/profil-desa", "Profil Desa Sukamaju", f"<p>{text_date(fresh, 1)}</p>", fetched=TODAY),
        # ambiguous: two unlinked pages with the same name, different dates
        page("/lpj-a", "Laporan Pertanggungjawaban APBDes", "<p>Diperbarui 2 Januari 2026</p>", fetched=TODAY),
        page("/lpj-b", "Laporan Pertanggungjawaban APBDes", "<p>Diperbarui 5 Agustus 2026</p>", fetched=TODAY),
        # conflicting: JSON-LD says fresh, the text and Last-Modified say old
        page("/agenda", "Agenda Kegiatan Desa", "<p>Diperbarui 1 Januari 2025</p>",
             '<script type="application/ld+json">{"@graph":[{"@type":"Article","dateModified":'
             '"2026-08-01T10:00:00+07:00","datePublished":"2024-01-01"}]}</script>',
             headers=[("Last-Modified", "Wed, 01 Jan 2025 00:00:00 GMT")], fetched=TODAY),
        # abbreviation: the list says "Perdes APBDes", the page spells it out
        page("/perdes-2026", "Peraturan Desa tentang Anggaran Pendapatan dan Belanja Desa Tahun 2026",
             "<p>Diperbarui 3 Februari 2026</p>", fetched=TODAY),
        # a clock widget showing today's date must not count as an update
        page("/pengumuman", "Pengumuman Desa", f"<div class='clock'>{text_date(TODAY.date(), 1)}</div>"
             "<p>Diposting 4 Maret 2026</p>", fetched=TODAY),
        # an excluded item that is published anyway
        page("/data-rahasia", "Data Hasil Penyelidikan", fetched=TODAY),
    ]
    pdf = document("/unduh/rpjmdes-2025-2031.pdf",
                   make_pdf("RPJM Desa Sukamaju 2025-2031", mod=datetime(2026, 7, 30, tzinfo=UTC)), "application/pdf")
    pages.append(page("/dokumen", "Dokumen Perencanaan", links=[Link(pdf.url, "RPJMDes 2025-2031")],
                      fetched=TODAY))
    return site(pages, [pdf])


SCENARIO_ITEMS = [
    {"id": "profil", "title": "Profil Desa", "category": "berkala", "cadence": "annual", "url": "/ppid/profil"},
    {"id": "lpj", "title": "Laporan Pertanggungjawaban APBDes", "category": "berkala", "cadence": "quarterly"},
    {"id": "agenda", "title": "Agenda Kegiatan", "category": "setiap_saat", "cadence": "monthly"},
    {"id": "perdes-apbdes", "title": "Perdes APBDes", "category": "berkala", "cadence": "annual"},
    {"id": "pengumuman", "title": "Pengumuman Desa", "category": "serta_merta", "cadence": "monthly"},
    {"id": "rpjmdes", "title": "RPJM Desa", "category": "berkala", "cadence": "semiannual",
     "match": ["rpjmdes"]},
    {"id": "pungutan", "title": "Peraturan Desa tentang Pungutan Desa", "category": "berkala", "cadence": "annual"},
    {"id": "bumdes", "title": "Laporan BUMDes", "category": "setiap_saat", "cadence": "once",
     "url": "/bumdes/laporan"},
    {"id": "rahasia", "title": "Data Hasil Penyelidikan", "category": "dikecualikan", "cadence": "once"},
    {"id": "bencana", "title": "Peringatan Dini Banjir Lahar", "category": "serta_merta", "cadence": "once"},
]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    return run_check(scenario_site(), daftar=approved(SCENARIO_ITEMS), tmp_path=tmp_path_factory.mktemp("s"))


def test_moved_url_is_found_by_title(scenario):
    row = item_row(scenario, "profil")
    assert row["status"] == "ok" and row["moved"] is True and row["matched_by"] == "title"
    assert row["matched_url"] == BASE + "/tentang/profil-desa"
    assert row["url_problem"] == "HTTP 404"
    assert row["date_source"] == "text" and row["last_updated"] == (TODAY - timedelta(days=10)).date().isoformat()


def test_ambiguous_match_is_reported_and_freshest_counts(scenario):
    row = item_row(scenario, "lpj")
    assert row["ambiguous"] is True
    assert set(row["candidates"]) == {BASE + "/lpj-a", BASE + "/lpj-b"}
    assert row["matched_url"] == BASE + "/lpj-b" and row["last_updated"] == "2026-08-05"
    assert row["status"] == "ok" and row["date_source"] == "text"


def test_conflicting_dates_strongest_source_wins_and_conflicts_are_kept(scenario):
    row = item_row(scenario, "agenda")
    assert row["date_source"] == "jsonld" and row["last_updated"] == "2026-08-01" and row["status"] == "ok"
    assert {c["source"] for c in row["conflicts"]} == {"text", "last_modified"}
    assert all(c["date"].startswith("2025-01-01") for c in row["conflicts"])


def test_abbreviations_match_spelled_out_titles(scenario):
    row = item_row(scenario, "perdes-apbdes")
    assert row["matched_url"] == BASE + "/perdes-2026" and row["status"] == "ok"
    assert row["last_updated"] == "2026-02-03"


def test_clock_widget_date_is_ignored(scenario):
    row = item_row(scenario, "pengumuman")
    assert row["last_updated"] == "2026-03-04" and row["status"] == "stale"
    f = next(f for f in by_rule(scenario, "content.item.stale") if f.data["item"] == "pengumuman")
    assert f.url == BASE + "/pengumuman" and "2026-03-04" in f.evidence


def test_date_only_in_pdf_metadata_via_linked_document(scenario):
    row = item_row(scenario, "rpjmdes")
    assert row["matched_url"] == BASE + "/unduh/rpjmdes-2025-2031.pdf"
    assert (row["date_source"], row["last_updated"], row["status"]) == ("document_metadata", "2026-07-30", "ok")


def test_missing_items(scenario):
    missing = {f.data["item"]: f for f in by_rule(scenario, "content.item.missing")}
    assert set(missing) == {"pungutan", "bumdes", "bencana"}
    assert missing["bumdes"].url == BASE + "/bumdes/laporan"
    assert "tidak ditemukan saat crawl" in missing["bumdes"].evidence
    assert missing["pungutan"].severity == Severity.MEDIUM
    assert missing["bencana"].severity == Severity.LOW  # the record's serta_merta case
    assert item_row(scenario, "pungutan")["missing_since"] == TODAY.date().isoformat()


def test_excluded_item_is_not_required(scenario):
    row = item_row(scenario, "rahasia")
    assert row["status"] == "excluded"
    assert not any(f.data.get("item") == "rahasia" for f in scenario.findings)
    assert any("rahasia" in n for n in scenario.facts.notes)


def test_missing_since_carries_over_from_previous_run(tmp_path):
    prev = {"items": [{"id": "pungutan", "title": "Pungutan", "category": "berkala", "cadence": "annual",
                       "status": "missing", "missing_since": "2026-05-01"}],
            "history_since": "2026-01-01"}
    result = run_check(scenario_site(), daftar=approved(SCENARIO_ITEMS), tmp_path=tmp_path, previous=prev)
    assert item_row(result, "pungutan")["missing_since"] == "2026-05-01"
    assert result.facts.history_since == date(2026, 1, 1)


# --- list, site, mandatory --------------------------------------------------------------------------------

@pytest.mark.parametrize("approved_on,expired", [
    (date(2026, 5, 20), False), (date(2026, 5, 19), True), (date(2025, 12, 1), True), (date(2026, 8, 1), False)])
def test_list_expired_after_three_calendar_months(tmp_path, approved_on, expired):
    result = run_check(site([]), daftar=approved([], on=approved_on), tmp_path=tmp_path, mandatory=False)
    found = by_rule(result, "content.list.expired")
    assert bool(found) == expired
    assert result.facts.approved_list.expired is expired
    if expired:
        assert approved_on.isoformat() in found[0].evidence and found[0].severity == Severity.MEDIUM


def test_no_list_runs_site_and_mandatory_only(tmp_path):
    old = date(2026, 5, 2)
    s = site([page("/berita", "Berita Desa", f"<p>{text_date(old, 0)}</p>", fetched=TODAY)])
    result = run_check(s, daftar=None, tmp_path=tmp_path)
    assert result.facts.items == []
    note = by_rule(result, "content.list.expired")
    assert len(note) == 1 and note[0].severity == Severity.INFO
    stale = by_rule(result, "content.site.stale")
    assert len(stale) == 1 and "2026-05-02" in stale[0].evidence
    assert result.facts.latest_update.date == date(2026, 5, 2)
    assert result.facts.latest_update.source == "text"
    assert by_rule(result, "content.mandatory.missing")


def test_unreadable_list_is_a_finding_not_a_crash(tmp_path):
    (tmp_path / "daftar.yaml").write_text("items:\n  - id: x\n    title: X\n    category: umum\n    cadence: monthly\n")
    ctx = CheckContext(site=site([]), config=ContentConfig(), http=HttpClient(),
                       site_config=SimpleNamespace(approved_content="daftar.yaml"), now=lambda: TODAY,
                       base_dir=tmp_path)
    result = ContentCheck().run(ctx)
    f = by_rule(result, "content.list.expired")
    assert f and "items.0.category" in f[0].evidence and "umum" in f[0].evidence


def test_site_fresh_when_a_page_changed_recently(tmp_path):
    recent = datetime(2026, 8, 2, tzinfo=UTC)
    s = site([page("/a", "Kabar", fetched=TODAY, first_seen=datetime(2026, 3, 1, tzinfo=UTC), last_changed=recent)])
    result = run_check(s, daftar=None, tmp_path=tmp_path, mandatory=False)
    assert not by_rule(result, "content.site.stale")
    assert result.facts.latest_update.source == "history_changed"


def test_first_seen_on_first_watch_day_is_not_an_update(tmp_path):
    s = site([page("/a", "Kabar", fetched=TODAY, first_seen=TODAY)])
    result = run_check(s, daftar=None, tmp_path=tmp_path, mandatory=False)
    assert result.facts.latest_update is None
    # a page first seen after we started watching is a real addition
    result2 = run_check(s, daftar=None, tmp_path=tmp_path, mandatory=False,
                        previous={"history_since": "2026-06-01"})
    assert result2.facts.latest_update.source == "history_first_seen"
    assert not by_rule(result2, "content.site.stale")


def test_mandatory_information_found_and_missing_with_citations(tmp_path):
    pages = [page("/profil", "Profil Desa"), page("/apbdes", "APBDes 2026"),
             page("/dip", "Daftar Informasi Publik Desa Sukamaju")]
    result = run_check(site(pages), daftar=None, tmp_path=tmp_path)
    status = {r.id: r.status for r in result.facts.mandatory}
    assert status["profil-badan-publik-desa"] == status["perdes-apbdes"] == "ok"
    assert status["daftar-informasi-publik"] == "ok"
    missing = {f.data["mandatory"]: f for f in by_rule(result, "content.mandatory.missing")}
    assert set(missing) == {k for k, v in status.items() if v == "missing"}
    assert "laporan-keuangan" in missing
    f = missing["laporan-keuangan"]
    assert any("Perki 1/2018 Pasal 2" in r for r in f.references)
    assert any("UU 14/2008 Pasal 9" in r for r in f.references)


def test_once_items_need_only_exist(tmp_path):
    s = site([page("/sop", "SOP Pelayanan Informasi", fetched=TODAY)])
    items = [{"id": "sop", "title": "Standar Operasional Prosedur Pelayanan Informasi", "category": "setiap_saat",
              "cadence": "once"}]
    result = run_check(s, daftar=approved(items), tmp_path=tmp_path, mandatory=False)
    row = item_row(result, "sop")
    assert row["status"] == "ok" and row["matched_url"] == BASE + "/sop"
    assert CADENCE_MONTHS["once"] is None


def test_registered_as_entry_point():
    assert discover_checks()["content"].cls is ContentCheck


def test_bad_documents_and_pages_never_crash(tmp_path):
    junk_pdf = document("/rusak.pdf", b"%PDF-1.7\n\x00\xff garbage without xref", "application/pdf")
    junk_zip = document("/rusak.xlsx", b"PK\x03\x04 broken zip", "application/vnd.openxmlformats-officedocument")
    pages = [page("/biner", "Biner", fetched=TODAY), page("/mati", "Mati", status=404)]
    pages[0].body = b"\xff\xfe\x00<html>\x00\x81<script type='application/ld+json'>{bad json</script>"
    pages.append(page("/dalam", "Dalam", head='<script type="application/ld+json">' + "[" * 3000 + "]" * 3000
                      + "</script>", fetched=TODAY))
    items = [{"id": "rusak", "title": "Rusak", "category": "berkala", "cadence": "monthly"}]
    result = run_check(site(pages, [junk_pdf, junk_zip]), daftar=approved(items), tmp_path=tmp_path)
    row = item_row(result, "rusak")
    assert row["matched_url"] in (junk_pdf.url, junk_zip.url) and row["status"] == "unknown"
    assert isinstance(result.facts.errors, list)
    assert not any("RecursionError" in e for e in result.facts.errors)
