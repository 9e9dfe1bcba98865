"""The private-address guard: redirects and probes to loopback, private, link-local or cloud-metadata
addresses are refused for a public-looking site and followed for a loopback site. The public-looking
site is `desa-publik.test`, mapped to 127.0.0.1 by `crawl.resolve` (no real public address is ever
contacted); 169.254.169.254 is never connected to (refused before connecting in every case)."""

from __future__ import annotations

import pytest

from auditor.config import CrawlConfig, SiteConfig
from auditor.crawler import crawl, make_client
from auditor.netguard import AddressPolicy, non_public_reason, site_is_private
from tests.servers import serve

HTML = {"Content-Type": "text/html; charset=utf-8"}
METADATA_URL = "http://169.254.169.254/latest/meta-data/"


@pytest.mark.parametrize("ip, reason", [
    ("169.254.169.254", "cloud metadata"), ("fd00:ec2::254", "cloud metadata"), ("127.0.0.1", "loopback"),
    ("::1", "loopback"), ("::ffff:127.0.0.2", "loopback"), ("10.1.2.3", "private"), ("192.168.0.1", "private"),
    ("172.16.5.4", "private"), ("fe80::1", "link-local"), ("169.254.1.1", "link-local"),
    ("100.64.0.1", "shared address space (carrier NAT)"), ("0.0.0.0", "unspecified"), ("fc00::1", "private"),
    ("8.8.8.8", None), ("2001:4860:4860::8888", None),  # classified only, never contacted
])
def test_address_classes(ip, reason):
    assert non_public_reason(ip) == reason


@pytest.fixture()
def sites():
    """The audited site (redirects to metadata and to another loopback port) and that other server."""
    with serve({"/": (200, HTML, "<html><title>lain</title></html>")}) as other:
        routes = {
            "/": (200, HTML, '<html><title>PPID</title><a href="/berita">b</a></html>'),
            "/berita": (200, HTML, "<html><title>Berita</title></html>"),
            "/ke-metadata": (302, {"Location": METADATA_URL}, b""),
            "/ke-port-lain": (302, {"Location": other.url}, b""),
            "/ke-localhost": (302, {"Location": f"http://localhost:{other.port}/"}, b""),
        }
        with serve(routes) as site:
            yield site, other


def public_client(site_port: int, allow="auto"):
    """`desa-publik.test` -> 127.0.0.1 as a DNS override; the site is taken as public (its name is not
    on a private address as far as the policy knows: `allow_private_targets: false`)."""
    cfg = CrawlConfig(resolve={"desa-publik.test": "127.0.0.1"}, allow_private_targets=allow, timeout_s=5)
    site = SiteConfig(name="desa", url=f"http://desa-publik.test:{site_port}/")
    return make_client(cfg, site=site), site, cfg


def test_public_site_redirects_to_private_addresses_are_refused(sites):
    site, other = sites
    http, site_cfg, _ = public_client(site.port, allow=False)
    base = site_cfg.url
    assert http.fetch(base).status == 200  # the site itself: the operator named it
    meta = http.fetch(base + "ke-metadata")
    assert meta.status is None and "169.254.169.254 is a cloud metadata address" in meta.error
    assert [h.location for h in meta.redirects] == [METADATA_URL]
    lo = http.fetch(base + "ke-port-lain")
    assert lo.status is None and "127.0.0.1 is a loopback address" in lo.error
    # A name (not an IP literal): refused on the address the connection resolved, not on the URL.
    name = http.fetch(base + "ke-localhost")
    assert name.status is None and "is a loopback address" in name.error and "localhost" in name.error
    assert other.stats["requests"] == 0  # nothing reached the other server
    assert "crawl.allow_private_targets" in lo.error


def test_loopback_site_redirects_are_followed(sites):
    site, other = sites
    cfg = CrawlConfig(timeout_s=5)  # allow_private_targets: auto
    site_cfg = SiteConfig(name="desa", url=site.url)
    http = make_client(cfg, site=site_cfg)
    assert http.policy.allow_private  # the site is on loopback: private targets allowed
    lo = http.fetch(site.url + "ke-port-lain")
    assert lo.status == 200 and lo.final_url == other.url
    assert http.fetch(site.url + "ke-localhost").status == 200
    # 169.254.169.254 is allowed by the guard for a loopback site ...
    assert http.policy.refusal("169.254.169.254", "169.254.169.254") is None or \
        "PPID_LOOPBACK_ONLY" in http.policy.refusal("169.254.169.254", "169.254.169.254")
    # ... and stopped only by the tests' loopback-only guard, never connected to.
    meta = http.fetch(site.url + "ke-metadata")
    assert meta.status is None and "PPID_LOOPBACK_ONLY=1" in meta.error


def test_policy_without_the_test_guard(monkeypatch):
    monkeypatch.delenv("PPID_LOOPBACK_ONLY", raising=False)
    open_policy = AddressPolicy(allow_private=True)
    assert open_policy.refusal("metadata", "169.254.169.254") is None
    closed = AddressPolicy(allow_private=False, own_hosts=frozenset({"desa.id", "*.desa.id"}))
    assert closed.refusal("desa.id", "10.0.0.5") is None  # its own host, wherever it is
    assert closed.refusal("www.desa.id", "10.0.0.5") is None
    assert "private address" in closed.refusal("intranet.example", "10.0.0.5")
    assert closed.refusal("cdn.example", "8.8.8.8") is None  # classified only


def test_auto_mode_follows_the_site_address():
    loop = AddressPolicy(resolve={"desa-publik.test": "127.0.0.1"})
    assert site_is_private("desa-publik.test", loop)
    assert site_is_private("10.0.0.5", loop)
    assert not site_is_private("93.184.215.14", loop)  # an IP literal: classified, never contacted
    cfg = CrawlConfig(resolve={"desa-publik.test": "127.0.0.1"})
    http = make_client(cfg, site=SiteConfig(name="d", url="http://desa-publik.test/"))
    assert http.policy.allow_private  # auto: the override puts the site on loopback


def test_crawl_of_a_public_site_notes_the_refusal(sites):
    site, other = sites
    routes_site = f"http://desa-publik.test:{site.port}/"
    http, site_cfg, cfg = public_client(site.port, allow=False)
    result = crawl(site_cfg.model_copy(update={"url": routes_site + "ke-metadata"}), cfg, http, quiet=True)
    assert not result.reachable
    assert "cloud metadata" in result.start_page.error
    assert any("private-address guard" in n for n in result.notes)
    ok = crawl(site_cfg, cfg, http, quiet=True)
    assert {p.url for p in ok.pages if p.ok} >= {routes_site, routes_site + "berita"}


def test_config_keys_are_validated():
    from auditor.config import config_from_dict
    from auditor.errors import ConfigError

    base = {"sites": [{"name": "d", "url": "http://desa.id/"}]}
    with pytest.raises(ConfigError, match=r"crawl\.resolve: desa\.id: 'nope' is not an IP address"):
        config_from_dict({**base, "crawl": {"resolve": {"desa.id": "nope"}}})
    with pytest.raises(ConfigError, match=r"crawl\.allow_private_targets"):
        config_from_dict({**base, "crawl": {"allow_private_targets": "sometimes"}})
    cfg = config_from_dict({**base, "crawl": {"resolve": {"Desa.ID": "127.0.0.1"}, "allow_private_targets": False}})
    assert cfg.crawl.resolve == {"desa.id": "127.0.0.1"} and cfg.crawl.allow_private_targets is False
