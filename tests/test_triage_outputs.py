"""A real scan of a loopback site: `scan --fail-on` ignores a false positive, the findings JSON carries the
`decision` field, SARIF carries `suppressions` and validates against the SARIF 2.1.0 schema (test data
from the npm package @microsoft/jest-sarif), the gate's introduced count and the alert mails skip
suppressed findings."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from auditor import mail, triage
from auditor.cli import main
from auditor.config import MailAlerts
from auditor.gate import GateDiff, hide_decided
from auditor.store import Store
from checks.base import Finding, Severity
from tests.servers import serve

SCHEMA = json.loads((Path(__file__).parent / "sarif" / "sarif-2.1.0-rtm.5.json").read_text())
INDEX = ("<html><head><title>PPID Kalurahan Contoh</title></head><body>"
         "<a href='/dokumen/apbdes.pdf'>APBDes</a></body></html>")


@pytest.fixture
def site(tmp_path: Path):
    routes = {"/": (200, {"Content-Type": "text/html"}, INDEX),
              "/robots.txt": (404, {"Content-Type": "text/plain"}, "")}
    with serve(routes) as srv:
        cfg = tmp_path / "config.yaml"
        cfg.write_text(yaml.safe_dump({
            "sites": [{"name": "contoh", "url": srv.url}], "crawl": {"max_pages": 5, "timeout_s": 5},
            "checks": {"enabled": ["links"]}, "storage": {"database": str(tmp_path / "db.sqlite")}}))
        yield cfg, tmp_path


def scan(cfg: Path, tmp: Path, n: int) -> tuple[int, dict, dict]:
    out_json, out_sarif = tmp / f"f{n}.json", tmp / f"f{n}.sarif"
    rc = main(["scan", "--config", str(cfg), "--quiet", "--fail-on", "medium", "--json", str(out_json),
               "--sarif", str(out_sarif)])
    return rc, json.loads(out_json.read_text()), json.loads(out_sarif.read_text())


def test_fail_on_json_and_sarif_respect_a_false_positive(site) -> None:
    cfg, tmp = site
    rc, data, log = scan(cfg, tmp, 1)
    (broken,) = [f for f in data["findings"] if f["rule"] == "content.link.broken"]
    assert broken["severity"] == "medium" and rc == 1  # the only medium finding, not decided: fails
    assert broken["decision"] is None
    jsonschema.validate(log, SCHEMA)
    fp = broken["fingerprint"]
    assert main(["triage", "--config", str(cfg), fp[:10], "--false-positive", "--reason",
                 "dokumen dipindah ke PPID kabupaten", "--by", "Kasi"]) == 0
    rc, data, log = scan(cfg, tmp, 2)
    assert rc == 0  # the only medium finding is a false positive
    (broken,) = [f for f in data["findings"] if f["fingerprint"] == fp]
    assert broken["decision"]["kind"] == "false_positive" and broken["decision"]["suppressed"] is True
    assert broken["decision"]["reason"] == "dokumen dipindah ke PPID kabupaten"
    jsonschema.validate(log, SCHEMA)
    (result,) = [r for r in log["runs"][0]["results"] if r["partialFingerprints"]["ppidFingerprint/v1"] == fp]
    (sup,) = result["suppressions"]
    assert sup["kind"] == "external" and sup["status"] == "accepted"
    assert sup["justification"] == "dokumen dipindah ke PPID kabupaten"
    # take the decision back: the finding fails the run again
    assert main(["triage", "--config", str(cfg), fp, "--undo", "--by", "Kasi"]) == 0
    rc, data, log = scan(cfg, tmp, 3)
    assert rc == 1
    assert all("suppressions" not in r for r in log["runs"][0]["results"])


def test_schema_catches_a_bad_suppression() -> None:
    """The bundled schema really checks suppressions (so the validation above can fail)."""
    log = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
                                          "results": [{"message": {"text": "m"}, "suppressions": [{"kind": "x"}]}]}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(log, SCHEMA)


def _store_with(tmp: Path, findings: list[Finding]) -> tuple[Store, dict[str, str]]:
    store = Store(tmp / "s.sqlite")
    run_id = store.start_run("contoh", "https://desa.test/")
    store.save_check(run_id, "demo", "ok", 0.1, None, findings)
    return store, store.finish_run(run_id)


def test_alert_mail_skips_a_suppressed_finding(tmp_path: Path) -> None:
    a = Finding(check="demo", rule="pii.nik.exposed", severity=Severity.CRITICAL, title="NIK", url="https://desa.test/a")
    b = Finding(check="demo", rule="pii.nik.exposed", severity=Severity.CRITICAL, title="NIK", url="https://desa.test/b")
    store, lifecycle = _store_with(tmp_path, [a, b])
    triage.decide(store, "contoh", a.fingerprint, "false_positive", actor="K", reason="nomor contoh")
    hidden = {fp for fp, d in triage.decisions(store, "contoh").items() if d.suppressed}
    alerts = MailAlerts(rules=["pii.*"])
    assert [f.url for f in mail.alert_findings([a, b], lifecycle, alerts)] == [a.url, b.url]
    assert [f.url for f in mail.alert_findings([a, b], lifecycle, alerts, suppressed=hidden)] == [b.url]
    store.close()


def test_gate_introduced_leaves_out_suppressed(tmp_path: Path) -> None:
    a = Finding(check="demo", rule="headers.csp.missing", severity=Severity.HIGH, title="CSP", url="https://desa.test/")
    b = Finding(check="demo", rule="headers.hsts.missing", severity=Severity.HIGH, title="HSTS", url="https://desa.test/")
    store, _ = _store_with(tmp_path, [a, b])
    triage.decide(store, "contoh", a.fingerprint, "accepted", actor="K", reason="hosting",
                  until=triage.add_months(triage.utc_now(None).date(), 6))
    # the same findings seen on the staging host: the decision is found through the production fingerprint
    sa = Finding(check="demo", rule=a.rule, severity=a.severity, title="CSP", url="http://127.0.0.1:8080/")
    sb = Finding(check="demo", rule=b.rule, severity=b.severity, title="HSTS", url="http://127.0.0.1:8080/")
    diff = GateDiff(introduced=[sa, sb])
    hide_decided(diff, triage.decisions(store, "contoh"), "127.0.0.1:8080", "desa.test")
    assert diff.introduced == [sb] and diff.suppressed == [sa]
    store.close()


def test_scheduler_sends_no_alert_for_a_false_positive_that_comes_back(tmp_path: Path) -> None:
    """Real scheduler scans of a loopback site with a real SMTP sink: new -> mail; marked false positive;
    fixed; back again -> no second mail (without the decision the reopening would mail, see test_scheduler)."""
    from datetime import datetime, timedelta

    from auditor.config import config_from_dict
    from auditor.scheduler import Scheduler, SimulatedClock
    from tests.test_mail import smtp_sink
    from tests.test_scheduler import HTML, raw_config

    broken = {"on": True}

    def doc(_h):
        return (404, HTML, "hilang") if broken["on"] else (200, HTML, "<html><body>ada</body></html>")

    routes = {"/": (200, HTML, '<html><body><a href="/laporan.html">Laporan</a></body></html>'),
              "/laporan.html": doc}
    with serve(routes) as srv, smtp_sink() as (sink, port):
        raw = raw_config(tmp_path, srv.url, mail={
            "enabled": True, "smtp": {"host": "127.0.0.1", "port": port, "security": "none"},
            "recipients": {"alerts": ["operator@desa.example"]}, "alerts": {"rules": ["content.link.*"]}})
        cfg = config_from_dict(raw, base_dir=tmp_path)
        clock = SimulatedClock(datetime(2026, 2, 1, 2, 0))
        sched = Scheduler(cfg, clock=clock, max_sleep_s=None)
        counts = []
        for state in (True, False, True):  # new, fixed, reopened
            broken["on"] = state
            outcome = sched.scan_site(cfg.sites[0])
            counts.append(len(sink.received))
            if len(counts) == 1:
                (f,) = [f for f in outcome.findings if f.rule == "content.link.broken"]
                store = Store(cfg.database_path)
                triage.decide(store, "desa", f.fingerprint, "false_positive", actor="Kasi",
                              reason="halaman sengaja dihapus", now=outcome.finished + timedelta(minutes=5))
                store.close()
            clock.advance(timedelta(days=1))
        assert outcome.lifecycle[f.fingerprint] == "reopened"
    assert counts == [1, 1, 1]
