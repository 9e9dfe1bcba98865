"""Hard deadlines against hostile servers: every request ends within its deadline + 1 s, whatever the server
does. Each test measures the wall time of one request against the deadline it was given."""

from __future__ import annotations

import time

import pytest

from auditor.http import BUDGET_EXHAUSTED, HttpClient
from tests import hostile
from tests.hostile import timed

SLACK = 1.0  # the "deadline ± 1 s"


def fetch_within(url: str, *, timeout_s: float = 30.0, deadline_in: float = 3.0, **kw):
    """Fetch with a per-read timeout far above the deadline, so only the hard deadline can end it."""
    client = HttpClient(timeout_s=timeout_s, **kw)
    deadline = time.monotonic() + deadline_in
    resp, took = timed(lambda: client.fetch(url, deadline=deadline))
    print(f"\n{url}: {took:.2f} s for a {deadline_in:g} s deadline: {resp.error}")
    assert took <= deadline_in + SLACK, f"{url}: {took:.2f} s for a {deadline_in} s deadline"
    return resp, took


@pytest.mark.parametrize("behaviour", [
    hostile.drip_body(0.2), hostile.drip_headers(0.2), hostile.stall_after_headers(),
    hostile.lying_length(), hostile.endless_chunked(), hostile.silent(),
], ids=["drip-body", "drip-headers", "stall-after-headers", "lying-length", "endless-chunked", "silent"])
def test_http_request_ends_by_its_deadline(behaviour):
    with hostile.hostile(behaviour) as port:
        resp, took = fetch_within(f"http://127.0.0.1:{port}/", max_bytes=50 * 1024 * 1024)
    assert resp.error == BUDGET_EXHAUSTED
    assert took >= 2.5  # it really was the deadline, not an early failure


@pytest.mark.parametrize("behaviour", [hostile.silent(), hostile.drip_tls_handshake(0.2)],
                         ids=["silent", "drip-handshake"])
def test_tls_handshake_ends_by_its_deadline(behaviour):
    with hostile.hostile(behaviour) as port:
        resp, _ = fetch_within(f"https://127.0.0.1:{port}/")
    assert resp.status is None and resp.error == BUDGET_EXHAUSTED


def test_redirect_chain_of_slow_hops_ends_by_its_deadline():
    box: dict[str, int] = {}
    with hostile.hostile(hostile.slow_redirects(lambda: box["port"], pause_s=0.8)) as port:
        box["port"] = port
        resp, _ = fetch_within(f"http://127.0.0.1:{port}/0", max_redirects=50)
    assert resp.error == BUDGET_EXHAUSTED and len(resp.redirects) >= 2


def test_without_a_caller_deadline_the_request_limit_holds():
    """No `deadline` given: `timeout_s` bounds connect+headers, `max_request_s` the whole request."""
    client = HttpClient(timeout_s=1.0, max_request_s=3.0)
    with hostile.hostile(hostile.drip_headers(0.1)) as port:
        resp, took = timed(lambda: client.fetch(f"http://127.0.0.1:{port}/"))
    assert took <= 1.0 + SLACK and resp.error.startswith("timed out")
    with hostile.hostile(hostile.endless_chunked()) as port:
        resp, took = timed(lambda: client.fetch(f"http://127.0.0.1:{port}/", max_bytes=10**9))
    assert 2.5 <= took <= 3.0 + SLACK and resp.error.startswith("timed out") and resp.truncated


def test_drip_body_is_cut_as_too_slow_after_timeout_s():
    """A drip is cut after `timeout_s` of too-slow body, long before the request limit."""
    client = HttpClient(timeout_s=1.5, max_request_s=60)
    with hostile.hostile(hostile.drip_body(0.3)) as port:
        resp, took = timed(lambda: client.fetch(f"http://127.0.0.1:{port}/"))
    assert took <= 1.5 + SLACK + 0.3
    assert resp.status == 200 and resp.truncated and "slower than" in resp.error
    assert resp.body.startswith(b"<html>")


@pytest.mark.parametrize("behaviour", [hostile.silent(), hostile.drip_tls_handshake(0.2)],
                         ids=["silent", "drip-handshake"])
def test_tls_scan_ends_by_its_budget(behaviour):
    """sslyze against a server that accepts and never speaks, or drips its handshake."""
    from checks.tls.scan import scan_host

    with hostile.hostile(behaviour) as port:
        scan, took = timed(lambda: scan_host("127.0.0.1", port, timeout_s=1.0, budget_s=4.0))
    assert took <= 4.0 + SLACK, f"{took:.2f} s"
    assert scan.error  # "no answer to a TLS ClientHello" or "exceeded 4 s"


@pytest.mark.parametrize("behaviour", [hostile.drip_body(0.2), hostile.drip_headers(0.2), hostile.silent()],
                         ids=["drip-body", "drip-headers", "silent"])
def test_zap_api_call_ends_by_its_timeout(behaviour):
    from checks.zap.client import BoundedZap, ZapUnavailable

    with hostile.hostile(behaviour) as port:
        zap = BoundedZap(f"http://127.0.0.1:{port}", None, timeout_s=2.0)
        started = time.monotonic()
        with pytest.raises(ZapUnavailable, match="timed out"):
            zap.core.version  # noqa: B018 (a zapv2 property is an API call)
        took = time.monotonic() - started
        zap.close()
    assert took <= 2.0 + SLACK, f"{took:.2f} s"


def test_crawl_time_budget_cuts_requests_in_flight():
    """`time_budget_s` bounds requests already running: four drips at 30 s timeout end with the budget."""
    from auditor.config import CrawlConfig, SiteConfig
    from auditor.crawler import crawl, make_client
    from tests.servers import serve

    with hostile.hostile(hostile.drip_body(0.2)) as drip_port:
        links = "".join(f'<a href="http://127.0.0.1:{drip_port}/{i}">x</a>' for i in range(4))
        with serve({"/": (200, {"Content-Type": "text/html"}, f"<html><body>{links}</body></html>")}) as srv:
            cfg = CrawlConfig(timeout_s=30, time_budget_s=3)
            site_cfg = SiteConfig(name="d", url=srv.url, allowed_hosts=["127.0.0.1"])
            site, took = timed(lambda: crawl(site_cfg, cfg, make_client(cfg, site=site_cfg), quiet=True))
    assert took <= 3 + SLACK, f"{took:.2f} s"
    assert site.start_page.ok and site.unfetched.get("time_budget_s") == 4
