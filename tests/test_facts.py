"""Typed facts: old stores still load, the models round-trip through the store, and a renamed or missing
field fails loudly (a test, a report render) instead of printing "n/a"."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import jinja2
import pytest

from auditor.config import config_from_dict
from auditor.store import MIGRATIONS, Store
from checks.base import discover_checks
from checks.facts import (
    BUILTIN,
    DUE_STATUSES,
    ContentFacts,
    Facts,
    FactsError,
    HeadersFacts,
    ItemStatus,
    LinksFacts,
    PersonalDataFacts,
    TlsFacts,
    parse_facts,
)
from checks.hsts import HstsFacts, parse_hsts
from reports import periods
from reports.monthly import build_month
from reports.render import render_html
from tests.report_text import norm

FIXTURE = Path(__file__).parent / "fixtures" / "facts-store-v1.sqlite"  # written by the untyped code


@pytest.fixture()
def old_store(tmp_path):
    path = tmp_path / "old.sqlite"
    shutil.copyfile(FIXTURE, path)
    store = Store(path)  # migrates: the facts rows get a `version` column, NULL for these
    yield store
    store.close()


def _only_run(store: Store):
    (run,) = store.runs(site="katongan")
    return run


def test_old_store_facts_load_strictly_through_every_model(old_store):
    assert old_store.schema_version == len(MIGRATIONS)
    rows = old_store.facts_versions(_only_run(old_store).id)
    assert set(rows) == {"links", "tls", "headers", "software", "content", "personal_data"}
    for name, (version, data) in rows.items():
        assert version is None  # written before facts were typed
        facts = parse_facts(BUILTIN[name], data, version)  # strict: raises on any unknown shape
        assert isinstance(facts, BUILTIN[name])
    typed = old_store.typed_facts(_only_run(old_store).id)
    tls, headers, content = typed["tls"], typed["headers"], typed["content"]
    # the two old HSTS shapes ({"header", "preload_ready"} and {..., "preload_eligible"}) became one
    assert isinstance(tls.hsts, HstsFacts) and isinstance(headers.hsts, HstsFacts)
    assert tls.hsts == HstsFacts(value=None) and headers.hsts == HstsFacts(value=None)
    assert tls.certificate.days_left > 300 and tls.certificate.not_after.tzinfo is not None
    assert content.approved_list.items == len(content.items) == 12
    assert all(isinstance(i.status, ItemStatus) for i in content.items)
    assert typed["personal_data"].pages_scanned > 0


def test_old_store_monthly_report_shows_every_fact(old_store, tmp_path):
    run = _only_run(old_store)
    cfg = config_from_dict({"sites": [{"name": "katongan", "url": run.url}],
                            "storage": {"database": str(tmp_path / "unused.sqlite")},
                            "reports": {"output_dir": str(tmp_path)}}, base_dir=tmp_path)
    period = periods.month(run.started.strftime("%Y-%m"))
    month = build_month(cfg, old_store, cfg.sites[0], period, "en")
    assert month.facts.tls.certificate.subject_cn == "localhost"
    assert month.facts.headers.grade.grade == "F" and month.facts.software.detected
    assert month.content_items and month.content_list.approved_by and month.compliance is not None
    text = norm(render_html(cfg, old_store, "monthly", period, "en", cfg.sites[0],
                            now=datetime.now(UTC), names=lambda k: k))
    days = month.facts.tls.certificate.days_left
    assert f"{days} days" in text and "F (0/100)" in text and "WordPress" in text


@pytest.mark.parametrize("model", [m for m in BUILTIN.values()])
def test_every_builtin_check_declares_its_model(model):
    declared = {lc.cls.facts_model for lc in discover_checks().values() if lc.cls is not None}
    assert model in declared


def test_models_round_trip_through_the_store_with_their_version(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    try:
        run_id = store.start_run("desa", "https://desa.test/")
        hsts = HstsFacts.of(parse_hsts(["max-age=63072000; includeSubDomains; preload"]))
        given: dict[str, Facts] = {
            "links": LinksFacts(checked=3, broken=1),
            "headers": HeadersFacts(grade={"grade": "B", "score": 70}, pages_checked=2, hsts=hsts),
            "content": ContentFacts(items=[{"id": "a", "title": "A", "category": "berkala", "cadence": "annual",
                                            "status": "stale", "last_updated": "2026-01-02"}],
                                    approved_list={"path": "d.yaml", "items": 1}, summary={"stale": 1}),
            "personal_data": PersonalDataFacts(pages_scanned=4, documents_scanned=900),
        }
        for name, facts in given.items():
            store.save_check(run_id, name, "ok", 0.1, None, [], facts)
        store.save_check(run_id, "plugin", "ok", 0.1, None, [], {"anything": [1, 2]})
        versions = store.facts_versions(run_id)
        assert versions["headers"][0] == HeadersFacts.VERSION == 2 and versions["plugin"][0] is None
        assert versions["content"][1]["list"] == {"path": "d.yaml", "approved_by": None, "approved_on": None,
                                                  "items": 1, "expires_on": None, "expired": None}
        back = store.typed_facts(run_id)
        assert back["plugin"] == {"anything": [1, 2]}  # a plugin without a model keeps its dict
        for name, facts in given.items():
            assert back[name] == facts
        assert back["headers"].hsts.preload_ready is True
    finally:
        store.close()


def test_a_renamed_or_missing_field_fails_instead_of_reading_as_na():
    tls = {"endpoint": {"host": "h", "port": 443, "url": "https://h/"}, "https": {"available": True},
           "certificate": None}
    assert parse_facts(TlsFacts, tls, TlsFacts.VERSION).certificate is None
    with pytest.raises(FactsError, match="cert"):  # "certificate" renamed in what was stored
        parse_facts(TlsFacts, {**{k: v for k, v in tls.items() if k != "certificate"}, "cert": None},
                    TlsFacts.VERSION)
    with pytest.raises(FactsError, match="endpoint"):  # a required field missing
        parse_facts(TlsFacts, {"https": {"available": True}}, TlsFacts.VERSION)
    with pytest.raises(FactsError, match="newer"):
        parse_facts(TlsFacts, tls, TlsFacts.VERSION + 1)
    with pytest.raises(ValueError):  # a check writing a field its model does not have
        HeadersFacts(pages_checked=1).grde = {"grade": "A"}  # type: ignore[attr-defined]
    # A template reading a field the model does not have fails the render (StrictUndefined), no "n/a".
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ f.certificate.not_after_utc }}").render(f=TlsFacts.model_validate(
            {**tls, "certificate": {"subject": "CN=h", "issuer": "CN=ca", "serial": "1", "days_left": 3,
                                    "not_before": "2026-01-01T00:00:00+00:00",
                                    "not_after": "2027-01-01T00:00:00+00:00", "key_type": "RSA",
                                    "key_size": 2048, "signature_algorithm": "x", "sha256": "00"}}))


def test_content_statuses_listed_once():
    assert {s.value for s in ItemStatus} == {"ok", "stale", "missing", "unknown", "excluded"}
    assert ItemStatus.EXCLUDED not in DUE_STATUSES
    facts = ContentFacts(items=[{"id": str(n), "title": "t", "category": "berkala", "cadence": "annual",
                                 "status": s} for n, s in enumerate(["ok", "stale", "excluded", "missing"])])
    assert facts.compliance() == pytest.approx(1 / 3)


@pytest.mark.parametrize("values, ready, problems", [
    ([], False, 0), (["max-age=31536000; includeSubDomains; preload"], True, 0),
    (['MAX-AGE="63072000";includesubdomains;PRELOAD'], True, 0),
    (["max-age=31536000; includeSubDomains; preload", "max-age=0"], False, 1),  # sent twice
    (["max-age=abc; includeSubDomains; preload"], False, 1), (["includeSubDomains; preload"], False, 1),
    (["max-age=31536000; preload; preload; includeSubDomains"], False, 1),
    (["max-age=31536000; includeSubDomainsX; preloaded"], False, 0),  # substrings are not directives
])
def test_one_hsts_reading(values, ready, problems):
    h = parse_hsts(values)
    assert h.preload_ready is ready and len(h.problems) == problems
    assert HstsFacts.of(h).preload_ready is ready
