"""The tls check against real TLS servers on 127.0.0.1 (Python ssl and nginx): every rule, both ways."""

from __future__ import annotations

import ssl
import time
from datetime import timedelta

import pytest

from checks.base import CheckSkipped, Severity
from tests.servers import need_peer
from tests.test_tls_helpers import (
    black_hole,
    closed_port,
    evaluate,
    http_server,
    make_cert_set,
    nginx_server,
    rules,
    run_check,
    scan_for,
    tls_server,
)

pytestmark = pytest.mark.timeout(120)

CERT_RULES = {"tls.cert.expired", "tls.cert.not_yet_valid", "tls.cert.untrusted", "tls.cert.self_signed",
              "tls.cert.hostname_mismatch", "tls.cert.chain_incomplete", "tls.cert.weak_key",
              "tls.cert.weak_signature", "tls.cert.expiring"}


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_cert_set(tmp_path_factory.mktemp("tls-certs"))


@pytest.fixture(scope="module")
def good(certs):
    """A well-configured server: TLS 1.2+1.3, ECDHE+AEAD only, valid chain, HSTS preload; and its scan."""
    with tls_server(*certs.pairs["good"]) as port:
        url = f"https://localhost:{port}/"
        with http_server(url) as http_port:
            res = run_check(url, ca_file=certs.ca_file, http_url=f"http://localhost:{http_port}/")
            yield port, res


def test_good_server_has_no_findings_but_facts(good):
    _, res = good
    # Python's ssl cannot staple OCSP, so only that informational note remains.
    assert set(rules(res)) == {"tls.ocsp.stapling_missing"}
    f = res.facts
    assert f.https.available is True
    assert f.protocols == {"SSLv2": False, "SSLv3": False, "TLSv1.0": False, "TLSv1.1": False,
                           "TLSv1.2": True, "TLSv1.3": True}
    assert f.weak_ciphers == {} and f.forward_secrecy is True
    cert = f.certificate
    assert cert.sans == ["localhost", "127.0.0.1"] and cert.key_type == "RSA" and cert.key_size == 2048
    assert 360 <= cert.days_left <= 366 and cert.issuer_cn == "ppid-auditor Test CA"
    assert cert.signature_algorithm == "sha256WithRSAEncryption"
    assert f.trust.trusted_by == ["Supplied CA file"]
    assert f.redirect.to_https is True and f.hsts.preload_ready is True and f.hsts.max_age == 63072000


def test_findings_are_bilingual_and_fingerprints_stable(good, certs):
    port, res = good
    again = run_check(f"https://localhost:{port}/", ca_file=certs.ca_file, check_redirect=False,
                      previous=res.facts)
    assert [f.fingerprint for f in again.findings] == [f.fingerprint for f in res.findings]
    for f in res.findings:
        assert f.title and f.title_en and f.remediation and f.remediation_en and f.check == "tls"
    assert again.facts.certificate.changed_since_last_run is False


def test_internal_ca_needs_ca_file(good, certs, tmp_path):
    port, _ = good
    url = f"https://localhost:{port}/"
    without = run_check(url, check_redirect=False)
    assert "tls.cert.untrusted" in rules(without)
    # Relative paths resolve against the config file's directory.
    (tmp_path / "internal-ca.pem").write_bytes(certs.ca_file.read_bytes())
    rel = run_check(url, check_redirect=False, ca_file="internal-ca.pem", base_dir=tmp_path)
    assert not CERT_RULES & set(rules(rel))
    with pytest.raises(ValueError, match="checks.tls.ca_file"):
        run_check(url, ca_file="missing.pem", base_dir=tmp_path)


def test_legacy_protocols(certs):
    with tls_server(*certs.pairs["good"], ciphers="DEFAULT", min_version=ssl.TLSVersion.TLSv1) as port:
        res = run_check(f"https://localhost:{port}/", ca_file=certs.ca_file, check_redirect=False)
    legacy = {f.data["protocol"]: f for f in rules(res)["tls.protocol.legacy"]}
    assert set(legacy) == {"TLSv1.0", "TLSv1.1"}
    assert all(f.severity == Severity.MEDIUM for f in legacy.values())
    assert "tls.protocol.tls13_missing" not in rules(res)


def test_tls13_and_modern_missing(certs, good):
    with tls_server(*certs.pairs["good"], max_version=ssl.TLSVersion.TLSv1_2) as port:
        res = run_check(f"https://localhost:{port}/", ca_file=certs.ca_file, check_redirect=False)
    assert "tls.protocol.tls13_missing" in rules(res) and "tls.protocol.modern_missing" not in rules(res)
    with tls_server(*certs.pairs["good"], ciphers="DEFAULT", min_version=ssl.TLSVersion.TLSv1,
                    max_version=ssl.TLSVersion.TLSv1_1) as port:
        res = run_check(f"https://localhost:{port}/", ca_file=certs.ca_file, check_redirect=False)
    r = rules(res)
    assert "tls.protocol.modern_missing" in r and r["tls.protocol.modern_missing"][0].severity == Severity.HIGH
    assert "tls.protocol.tls13_missing" not in r  # one finding for the bigger problem
    assert {"tls.protocol.modern_missing", "tls.protocol.tls13_missing"}.isdisjoint(rules(good[1]))


def test_weak_ciphers_null_and_anonymous(certs):
    with tls_server(*certs.pairs["good"], ciphers="NULL-SHA256:AECDH-AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256",
                    max_version=ssl.TLSVersion.TLSv1_2) as port:
        res = run_check(f"https://localhost:{port}/", ca_file=certs.ca_file, check_redirect=False)
    weak = {f.data["category"]: f for f in rules(res)["tls.cipher.weak"]}
    assert set(weak) == {"null", "anonymous"}
    assert weak["null"].severity == Severity.HIGH and "TLS_RSA_WITH_NULL_SHA256" in weak["null"].evidence
    assert any("anon" in c for c in weak["anonymous"].data["ciphers"])
    assert "tls.cipher.forward_secrecy_missing" not in rules(res)


def test_cbc_only_and_no_forward_secrecy(certs, good):
    with tls_server(*certs.pairs["good"], ciphers="AES128-SHA256:AES256-SHA",
                    max_version=ssl.TLSVersion.TLSv1_2) as port:
        res = run_check(f"https://localhost:{port}/", ca_file=certs.ca_file, check_redirect=False)
    r = rules(res)
    assert [f.data["category"] for f in r["tls.cipher.weak"]] == ["cbc_only"]
    assert r["tls.cipher.weak"][0].severity == Severity.LOW
    assert "tls.cipher.forward_secrecy_missing" in r
    assert {"tls.cipher.weak", "tls.cipher.forward_secrecy_missing"}.isdisjoint(rules(good[1]))


@pytest.mark.parametrize("scenario, expected", [
    ("expired", {"tls.cert.expired"}),
    ("not_yet_valid", {"tls.cert.not_yet_valid"}),
    ("self_signed", {"tls.cert.self_signed"}),
    ("untrusted", {"tls.cert.untrusted"}),
    ("mismatch", {"tls.cert.hostname_mismatch"}),
    ("chain_incomplete", {"tls.cert.chain_incomplete"}),
    ("chain_complete", set()),
    ("weak", {"tls.cert.weak_key", "tls.cert.weak_signature"}),
    ("ec", set()),
])
def test_certificate_problems(certs, scenario, expected):
    # DEFAULT ciphers: the 1024-bit key needs RSA suites accepted at SECLEVEL=0.
    with tls_server(*certs.pairs[scenario], ciphers="DEFAULT") as port:
        res = run_check(f"https://localhost:{port}/", ca_file=certs.ca_file, check_redirect=False)
    # Exactly the expected certificate rules: an expired or misnamed cert is not also "untrusted".
    assert CERT_RULES & set(rules(res)) == expected
    assert res.facts.certificate.sha256
    r = rules(res)
    if scenario == "expired":
        assert r["tls.cert.expired"][0].severity == Severity.CRITICAL
        assert res.facts.certificate.days_left < 0
    if scenario == "weak":
        assert "SHA1" in r["tls.cert.weak_signature"][0].evidence
        assert "RSA 1024" in r["tls.cert.weak_key"][0].evidence
        assert res.facts.certificate.key_size == 1024
    if scenario == "ec":
        assert res.facts.certificate.key_type == "EC"


def test_expiring_severity_rises_as_date_nears(certs, good):
    with tls_server(*certs.pairs["expiring"]) as port:
        url = f"https://localhost:{port}/"
        res = run_check(url, ca_file=certs.ca_file, check_redirect=False)
        f = rules(res)["tls.cert.expiring"][0]
        assert f.severity == Severity.MEDIUM and f.data["days_left"] == 10
        silenced = evaluate(url, scan_for(url, ca_file=certs.ca_file), ca_file=certs.ca_file,
                            check_redirect=False, expiry_warning_days=5)
        assert "tls.cert.expiring" not in rules(silenced)
    # Same certificate seen at later dates (the injectable clock): severity rises, fingerprint does not move.
    port, res = good
    url = f"https://localhost:{port}/"
    scan = scan_for(url, ca_file=certs.ca_file)
    end = res.facts.certificate.not_after
    seen = {}
    for days, sev in ((40, None), (25, Severity.LOW), (12, Severity.MEDIUM), (3, Severity.HIGH)):
        r = evaluate(url, scan, ca_file=certs.ca_file, check_redirect=False, check_hsts_preload=False,
                     now=end - timedelta(days=days, hours=1))
        found = rules(r).get("tls.cert.expiring", [])
        assert (found[0].severity if found else None) == sev
        if found:
            seen[days] = found[0].fingerprint
    assert len(set(seen.values())) == 1


def test_https_missing_refused_non_tls_and_silent_port():
    with http_server(None) as hp:
        site = f"http://127.0.0.1:{hp}/"
        res = run_check(site, https_port=closed_port())
        assert [f.rule for f in res.findings] == ["tls.https.missing"]
        assert "refused" in res.findings[0].evidence and res.facts.https.available is False
        res = run_check(site, https_port=hp)  # plain HTTP on the "HTTPS" port
        assert [f.rule for f in res.findings] == ["tls.https.missing"]
        assert "not a TLS server" in res.findings[0].evidence
        with black_hole() as bp:
            started = time.monotonic()
            res = run_check(site, https_port=bp, timeout_s=1)
            assert time.monotonic() - started < 10
        assert [f.rule for f in res.findings] == ["tls.https.missing"]
        assert "no answer" in res.findings[0].evidence


def test_https_site_unreachable_is_skipped_not_a_finding():
    with pytest.raises(CheckSkipped, match="unreachable"):
        run_check(f"https://127.0.0.1:{closed_port()}/")


def test_non_loopback_target_refused_under_loopback_guard():
    with pytest.raises(CheckSkipped, match="loopback"):
        run_check("https://192.0.2.10/")


def test_redirect_missing_and_present(certs):
    with tls_server(*certs.pairs["good"]) as port:
        https_url = f"https://localhost:{port}/"
        with http_server(None) as plain:
            # Site configured as http://: its own URL is the HTTP side.
            res = run_check(f"http://localhost:{plain}/", https_port=port, ca_file=certs.ca_file)
            f = rules(res)["tls.redirect.missing"][0]
            assert "answered 200" in f.evidence and f.severity == Severity.MEDIUM
        scan = scan_for(https_url, ca_file=certs.ca_file)
        with http_server(f"http://localhost:{port}/elsewhere") as to_http:
            res = evaluate(https_url, scan, http_url=f"http://localhost:{to_http}/", ca_file=certs.ca_file)
            assert "tls.redirect.missing" in rules(res)
        with http_server(https_url) as to_https:
            res = evaluate(https_url, scan, http_url=f"http://localhost:{to_https}/", ca_file=certs.ca_file)
            assert "tls.redirect.missing" not in rules(res) and res.facts.redirect.to_https
        # Nothing on plain HTTP at all: nothing to redirect, no finding.
        res = evaluate(https_url, scan, http_url=f"http://localhost:{closed_port()}/", ca_file=certs.ca_file)
        assert "tls.redirect.missing" not in rules(res) and res.facts.redirect.served is False


@pytest.mark.parametrize("header, ready", [
    (None, False), ("max-age=300", False), ("max-age=31536000; includeSubDomains", False),
    ("max-age=63072000; includeSubDomains; preload", True),
])
def test_hsts_preload_info(certs, header, ready):
    with tls_server(*certs.pairs["good"], hsts=header) as port:
        res = run_check(f"https://localhost:{port}/", ca_file=certs.ca_file, check_redirect=False)
    found = rules(res).get("tls.hsts.preload_missing", [])
    assert bool(found) is not ready
    assert all(f.severity == Severity.INFO for f in found)


def test_ocsp_stapling_with_nginx(certs):
    need_peer("nginx", "/usr/sbin/nginx")
    crt, key = certs.pairs["good_fullchain"]
    stapled = f"ssl_stapling on; ssl_stapling_file {certs.dir / 'good.ocsp.der'};"
    with nginx_server(crt, key, extra=stapled) as port:
        res = run_check(f"https://localhost:{port}/", ca_file=certs.ca_file, check_redirect=False)
    assert res.facts.ocsp_stapled is True
    assert rules(res) == {}  # nginx with a good config: nothing at all
    with nginx_server(crt, key) as port:
        res = run_check(f"https://localhost:{port}/", ca_file=certs.ca_file, check_redirect=False)
        assert set(rules(res)) == {"tls.ocsp.stapling_missing"}
        quiet = run_check(f"https://localhost:{port}/", ca_file=certs.ca_file, check_redirect=False,
                          ocsp_stapling_info=False)
    assert rules(quiet) == {} and quiet.facts.ocsp_stapled is False
