"""The `zap` check end to end: the real `zapv2` client against tests/fake_zap.py, a FAKE of the ZAP JSON API
on 127.0.0.1 (ZAP itself is not installable here), scanning a real loopback test site.

Expectations are derived from what the fake ZAP recorded (its raw alerts) and from the test site's own
request log, never hard-coded lists of findings.
"""

from __future__ import annotations

import time

import pytest

from auditor.config import SiteConfig
from auditor.snapshot import Page, Site
from checks.base import CheckContext, CheckSkipped, LoadedCheck, discover_checks
from checks.zap import ZapCheck, ZapConfig
from checks.zap import check as zap_check
from checks.zap.client import ZapError
from checks.zap.mapping import map_alert
from tests.fake_zap import FakeZap
from tests.servers import free_port, serve

KEY = "k-3f9a-test"
CARD = "4111111111111111"  # Luhn-valid: the fake's PII rule fires on it, like ZAP's 10062


def page(body: str) -> str:
    return f"<!doctype html><html><head><title>Desa</title></head><body>{body}</body></html>"


def search(handler):
    q = handler.path.partition("q=")[2]
    from urllib.parse import unquote_plus
    return 200, {"Content-Type": "text/html"}, page(f"Hasil untuk: {unquote_plus(q)}")  # reflects: XSS


ROUTES = {
    "/": (200, {"Content-Type": "text/html", "Server": "nginx/1.18.0"},
          page('<a href="/profil">Profil</a> <a href="/informasi">Informasi</a> <a href="/cari?q=a">Cari</a>'
               ' <a href="/logout">Keluar</a> <a href="/berita/hapus?id=3">Hapus</a>')),
    "/profil": (200, {"Content-Type": "text/html", "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
                      "Content-Security-Policy": "default-src 'self'"}, page('<a href="/">Beranda</a>')),
    "/informasi": (200, {"Content-Type": "text/html"}, page(f"Nomor kartu {CARD} kontak budi@example.id")),
    "/cari": search,
}


@pytest.fixture(scope="module")
def site():
    with serve(ROUTES) as srv:
        yield srv


@pytest.fixture
def fake():
    z = FakeZap(KEY).start()
    yield z
    z.close()


@pytest.fixture(autouse=True)
def zap_key(monkeypatch):
    monkeypatch.setenv("ZAP_API_KEY", KEY)


def make_ctx(site_url: str, **cfg) -> CheckContext:
    cfg.setdefault("poll_s", 0.02)
    cfg.setdefault("max_duration_s", 20)
    snapshot = Site(name="desa", url=site_url, pages=[
        Page(url=site_url, status=200), Page(url=site_url + "profil", status=200),
        Page(url=site_url + "logout", status=200),  # crawled, but must not be seeded into ZAP
        Page(url=site_url + "gone", status=None, error="timeout"),
    ])
    return CheckContext(site=snapshot, config=ZapConfig(**cfg), http=None,
                        site_config=SiteConfig(name="desa", url=site_url))


def expected_groups(fake: FakeZap) -> set[tuple[str, str]]:
    out = set()
    for raw in fake.alerts:
        m = map_alert(raw)
        if m is not None:
            out.add((m.rule, m.url))
    return out


def assert_clean(fake: FakeZap) -> None:
    assert fake.contexts == {}, "our ZAP context must be removed"
    assert not any(not s["stopped"] and s["progress"] < 100 for s in [*fake.spiders.values(), *fake.ascans.values()])


# -- happy paths -----------------------------------------------------------------------------------------
def test_entry_point_registered():
    loaded = discover_checks()["zap"]
    assert loaded.cls is ZapCheck and loaded.error is None


def test_passive_happy_path(site, fake):
    res = ZapCheck().run(make_ctx(site.url, api_url=fake.url))
    got = {(f.rule, f.url) for f in res.findings}
    assert got == expected_groups(fake) and got, "one finding per ZAP rule + URL"
    assert len(res.findings) < len(fake.alerts) or len(fake.alerts) == len(got)
    for f in res.findings:
        assert f.check == "zap" and f.rule.startswith("zap.") and f.rule[4:].isdigit()
        assert f.title and f.title_en and f.remediation and f.references
        assert f.confidence in ("low", "medium", "high")
        assert CARD not in f.evidence and "budi@example.id" not in f.evidence
    pii = [f for f in res.findings if f.rule == "zap.10062"]
    assert pii and pii[0].severity.label == "high" and pii[0].evidence.startswith("4111")
    # Passive mode never starts an active scan; the excluded links were never requested from the site.
    assert fake.called("ascan/action/scan") == []
    assert not any("logout" in p or "hapus" in p for p in site.stats["paths"])
    seeded = [c["url"] for c in fake.called("core/action/accessUrl")]
    assert site.url in seeded and not any("logout" in u or "gone" in u for u in seeded)
    spider = fake.called("spider/action/scan")[0]
    assert spider["contextName"] == "ppid-auditor-desa" and spider["url"] == site.url
    assert res.facts.version == "2.15.0" and res.facts.findings == len(res.findings)
    assert_clean(fake)
    # Fingerprints are stable per rule + URL, so the next run tracks the same issues.
    again = ZapCheck().run(make_ctx(site.url, api_url=fake.url))
    assert {f.fingerprint for f in again.findings} == {f.fingerprint for f in res.findings}


def test_active_mode_with_consent(site, fake):
    res = ZapCheck().run(make_ctx(site.url, api_url=fake.url, mode="active", allow_active=True,
                                  scan_policy="Default Policy"))
    call = fake.called("ascan/action/scan")[0]
    assert call["scanPolicyName"] == "Default Policy" and call["contextId"]
    xss = [f for f in res.findings if f.rule == "zap.40012"]
    assert xss and all("/cari" in f.url for f in xss) and xss[0].severity.label == "high"
    assert res.facts.active_scan is True
    assert not any("logout" in p or "hapus" in p for p in site.stats["paths"])
    assert_clean(fake)


def test_active_mode_refused_without_allow_active(site, fake):
    cfg = ZapConfig.model_construct(**{**ZapConfig().model_dump(), "mode": "active", "allow_active": False})
    ctx = make_ctx(site.url, api_url=fake.url)
    ctx.config = cfg
    with pytest.raises(ZapError, match="allow_active"):
        ZapCheck().run(ctx)
    assert fake.calls == []


def test_missing_scan_policy_is_a_clear_error(site, fake):
    with pytest.raises(ZapError, match="Tidak Ada|does not exist"):
        ZapCheck().run(make_ctx(site.url, api_url=fake.url, mode="active", allow_active=True,
                                scan_policy="Tidak Ada"))
    assert_clean(fake)


def test_ajax_spider(site, fake):
    ZapCheck().run(make_ctx(site.url, api_url=fake.url, ajax_spider=True))
    assert fake.called("ajaxSpider/action/scan")[0]["contextName"] == "ppid-auditor-desa"
    assert len(fake.called("ajaxSpider/view/status")) >= fake.ajax_polls


def test_alert_paging_loses_and_repeats_nothing(site, fake, monkeypatch):
    monkeypatch.setattr(zap_check, "ALERT_PAGE", 2)  # ZAP pages overlap by one record
    res = ZapCheck().run(make_ctx(site.url, api_url=fake.url))
    assert {(f.rule, f.url) for f in res.findings} == expected_groups(fake)
    assert res.facts.alerts_total == len(fake.alerts)


def test_alerts_outside_scope_are_ignored(site, fake):
    ZapCheck().run(make_ctx(site.url, api_url=fake.url))  # fills fake.alerts
    stray = dict(fake.alerts[0])
    port = site.port
    fake.raw_alerts += [{**stray, "id": "900", "url": f"http://127.0.0.1:{port}0/x"},
                        {**stray, "id": "901", "url": f"http://127.0.0.1:{port}.evil.test/x"}]
    res = ZapCheck().run(make_ctx(site.url, api_url=fake.url))
    assert not any(f.url.startswith((f"http://127.0.0.1:{port}0", f"http://127.0.0.1:{port}.")) for f in res.findings)


# -- failure modes ---------------------------------------------------------------------------------------
def test_zap_not_running_is_skipped_naming_the_url(site):
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(CheckSkipped, match=url.replace(".", r"\.")):
        ZapCheck().run(make_ctx(site.url, api_url=url))
    assert time.monotonic() - started < 5


def test_runner_reports_skipped_and_goes_on(site):
    from auditor.runner import run_check
    url = f"http://127.0.0.1:{free_port()}"
    status, result = run_check(LoadedCheck("zap", ZapCheck), lambda _lc: make_ctx(site.url, api_url=url))
    assert status.status == "skipped" and url in status.error and result.findings == []


def test_other_service_on_the_port_is_skipped(site):
    with serve({}, default=(200, {"Content-Type": "text/html"}, "<h1>Tomcat</h1>")) as other:
        with pytest.raises(CheckSkipped, match="not as the ZAP API"):
            ZapCheck().run(make_ctx(site.url, api_url=other.url))


def test_wrong_key_with_error_json(site, fake, monkeypatch):
    monkeypatch.setenv("ZAP_API_KEY", "wrong")
    before = site.stats["requests"]
    with pytest.raises(ZapError, match="rejected the API key.*ZAP_API_KEY"):
        ZapCheck().run(make_ctx(site.url, api_url=fake.url))
    assert site.stats["requests"] == before and fake.calls == []


def test_wrong_key_with_zap_default_silent_close(site, monkeypatch):
    z = FakeZap(KEY, report_perm_errors=False).start()
    try:
        monkeypatch.setenv("ZAP_API_KEY", "wrong")
        with pytest.raises(ZapError, match="closed the connection.*API key"):
            ZapCheck().run(make_ctx(site.url, api_url=z.url))
    finally:
        z.close()


def test_key_env_not_set(site, fake, monkeypatch):
    monkeypatch.delenv("ZAP_API_KEY")
    with pytest.raises(ZapError, match="ZAP_API_KEY is not set"):
        ZapCheck().run(make_ctx(site.url, api_url=fake.url))


def test_zap_still_starting_behind_proxy(site, fake):
    fake.bad_gateway(0.6)
    res = ZapCheck().run(make_ctx(site.url, api_url=fake.url, startup_wait_s=5))
    assert res.findings and res.facts.outages > 0


def test_502_blip_mid_scan_is_ridden_through(site, fake):
    fake.on_call("spider/view/status", 1, lambda: fake.bad_gateway(0.5))
    res = ZapCheck().run(make_ctx(site.url, api_url=fake.url))
    assert {(f.rule, f.url) for f in res.findings} == expected_groups(fake)
    assert res.facts.outages > 0 and res.facts.attempts == 1


def test_zap_restart_mid_scan_starts_over_once(site, fake):
    fake.on_call("spider/view/status", 1, lambda: fake.restart(0.5))
    res = ZapCheck().run(make_ctx(site.url, api_url=fake.url))
    assert res.facts.attempts == 2 and res.findings
    assert {(f.rule, f.url) for f in res.findings} == expected_groups(fake)
    assert_clean(fake)


def test_zap_restarting_twice_is_an_error(site, fake):
    fake.on_call("spider/view/status", 1, lambda: fake.restart(0.3))
    fake.on_call("spider/view/status", 2, lambda: fake.restart(0.3))
    with pytest.raises(ZapError, match="lost the scan state"):
        ZapCheck().run(make_ctx(site.url, api_url=fake.url))


def test_zap_gone_mid_scan_is_an_error_not_a_hang(site, fake):
    fake.on_call("spider/view/status", 1, lambda: fake.restart(30))
    started = time.monotonic()
    with pytest.raises(ZapError, match="stopped answering"):
        ZapCheck().run(make_ctx(site.url, api_url=fake.url, retry_s=1))
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("phase", ["spider", "pscan", "ascan", "ajax"])
def test_scan_that_never_finishes_is_stopped(site, phase):
    z = FakeZap(KEY, never_finish=(phase,)).start()
    try:
        started = time.monotonic()
        with pytest.raises(ZapError, match="did not finish within max_duration_s"):
            ZapCheck().run(make_ctx(site.url, api_url=z.url, max_duration_s=1.0, mode="active",
                                    allow_active=True, ajax_spider=True))
        assert time.monotonic() - started < 6
        stops = {"spider": "spider/action/stop", "ascan": "ascan/action/stop", "ajax": "ajaxSpider/action/stop"}
        if phase in stops:
            assert z.called(stops[phase]), f"the {phase} must be stopped in ZAP"
        assert_clean(z)
    finally:
        z.close()


def test_interrupted_scan_is_stopped_in_zap(site, fake, monkeypatch):
    def interrupt(_s):
        raise KeyboardInterrupt
    monkeypatch.setattr(ZapCheck, "sleep", staticmethod(interrupt))
    with pytest.raises(KeyboardInterrupt):
        ZapCheck().run(make_ctx(site.url, api_url=fake.url))
    assert fake.called("spider/action/stop") and fake.contexts == {}


def test_malformed_alerts_are_skipped_not_fatal(site, fake):
    ZapCheck().run(make_ctx(site.url, api_url=fake.url))
    good = dict(fake.alerts[0])
    bad = ["just a string", {**good, "id": "a1", "pluginId": None}, {**good, "id": "a2", "risk": "Extreme"},
           {**good, "id": "a3", "evidence": {"nested": True}}, {"id": "a4"}]
    fake.raw_alerts += bad
    res = ZapCheck().run(make_ctx(site.url, api_url=fake.url))
    assert res.facts.malformed_alerts == len(bad)
    assert {(f.rule, f.url) for f in res.findings} == expected_groups(fake)


def test_non_loopback_zap_refused_under_loopback_guard(site):
    with pytest.raises(CheckSkipped, match="loopback"):
        ZapCheck().run(make_ctx(site.url, api_url="http://192.0.2.10:8080"))


def test_every_plugin_record_yields_its_own_text(site, fake):
    """Each ZAP plugin with a record gets its Indonesian title; any other plugin the family record `zap.*`."""
    from checks.zap.records import PLUGINS, RULEBOOK

    ZapCheck().run(make_ctx(site.url, api_url=fake.url))
    good = dict(fake.alerts[0])
    plugins = [*PLUGINS, "99999"]
    fake.raw_alerts += [{**good, "id": f"rec{i}", "pluginId": p, "alertRef": p, "name": f"ZAP rule {p}",
                         "url": site.url + f"rec{i}", "solution": f"<p>Fix {p}</p>"}
                        for i, p in enumerate(plugins)]
    res = ZapCheck().run(make_ctx(site.url, api_url=fake.url))
    by_rule = {f.rule: f for f in res.findings if f.url.rsplit("/", 1)[-1].startswith("rec")}
    assert set(by_rule) == {f"zap.{p}" for p in plugins}
    for p in PLUGINS:
        f = by_rule[f"zap.{p}"]
        assert f.title == PLUGINS[p][0] and f.remediation == PLUGINS[p][1]
        assert f.title_en == f"ZAP rule {p}" and f.remediation_en == f"Fix {p}"
    unknown = by_rule["zap.99999"]
    assert unknown.title == "Temuan ZAP: ZAP rule 99999" and RULEBOOK.lookup("zap.99999").id == "zap.*"
