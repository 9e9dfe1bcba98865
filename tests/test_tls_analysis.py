"""Pure detection functions of the tls check: no network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import AuthorityInformationAccessOID

from auditor.certs import make_ca, make_leaf
from checks.base import Severity
from checks.tls import analysis as an
from checks.tls.check import TlsConfig
from checks.tls.model import AcceptedCipher


def c(name: str, proto: str = "TLSv1.2", anon: bool = False) -> AcceptedCipher:
    return AcceptedCipher(proto, name, anon)


@pytest.mark.parametrize("name, anon, category", [
    ("TLS_RSA_WITH_NULL_SHA256", False, "null"),
    ("TLS_ECDH_anon_WITH_NULL_SHA", True, "null"),
    ("TLS_DH_anon_WITH_AES_128_CBC_SHA", True, "anonymous"),
    ("TLS_RSA_EXPORT_WITH_RC4_40_MD5", False, "export"),
    ("TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", False, "export"),
    ("TLS_RSA_WITH_RC4_128_SHA", False, "rc4"),
    ("TLS_RSA_WITH_3DES_EDE_CBC_SHA", False, "3des"),
    ("SSL_CK_DES_192_EDE3_CBC_WITH_MD5", False, "3des"),
    ("TLS_RSA_WITH_DES_CBC_SHA", False, "des"),
    ("TLS_RSA_WITH_IDEA_CBC_SHA", False, "legacy_block"),
    ("TLS_RSA_WITH_SEED_CBC_SHA", False, "legacy_block"),
    ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", False, None),
    ("TLS_RSA_WITH_AES_128_CBC_SHA", False, None),
    ("TLS_AES_128_GCM_SHA256", False, None),
])
def test_cipher_categories(name, anon, category):
    assert an.cipher_category(c(name, anon=anon)) == category


def test_cbc_only_is_about_tls12_without_aead():
    cbc = [c("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"), c("TLS_RSA_WITH_AES_256_CBC_SHA")]
    assert an.weak_ciphers(cbc) == {"cbc_only": sorted(x.name for x in cbc)}
    assert "cbc_only" not in an.weak_ciphers([*cbc, c("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256")])
    # CBC on TLS 1.0 only is the legacy-protocol finding's business, not this one.
    assert an.weak_ciphers([c("TLS_RSA_WITH_AES_128_CBC_SHA", "TLSv1.0"),
                            c("TLS_AES_128_GCM_SHA256", "TLSv1.3")]) == {}


def test_forward_secrecy():
    assert an.is_forward_secret(c("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"))
    assert an.is_forward_secret(c("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"))
    assert an.is_forward_secret(c("TLS_AES_256_GCM_SHA384", "TLSv1.3"))
    assert not an.is_forward_secret(c("TLS_RSA_WITH_AES_128_GCM_SHA256"))
    assert not an.is_forward_secret(c("TLS_ECDH_anon_WITH_AES_128_CBC_SHA", anon=True))


def test_hostname_matching_rules():
    leaf = make_leaf(None, ["www.desa.id", "*.ppid.desa.id", "10.0.0.5"]).cert
    assert an.hostname_matches(leaf, "www.desa.id") and an.hostname_matches(leaf, "WWW.DESA.ID.")
    assert an.hostname_matches(leaf, "a.ppid.desa.id")
    assert not an.hostname_matches(leaf, "a.b.ppid.desa.id")  # one label only
    assert not an.hostname_matches(leaf, "ppid.desa.id")
    assert an.hostname_matches(leaf, "10.0.0.5") and not an.hostname_matches(leaf, "10.0.0.6")
    assert not an.hostname_matches(leaf, "desa.id")
    assert not an.dns_match("*.id", "desa.id")  # no wildcard over a bare TLD


@pytest.mark.parametrize("days, warn, expected", [
    (60, 30, None), (31, 30, None), (30, 30, Severity.LOW), (15, 30, Severity.LOW),
    (14, 30, Severity.MEDIUM), (8, 30, Severity.MEDIUM), (7, 30, Severity.HIGH), (0, 30, Severity.HIGH),
    (20, 10, None), (10, 10, Severity.MEDIUM), (45, 60, Severity.LOW),
])
def test_expiry_severity_table(days, warn, expected):
    assert an.expiry_severity(days, warn) == expected


def test_default_config():
    cfg = TlsConfig()
    assert cfg.expiry_warning_days == 30 and cfg.ca_file is None
    with pytest.raises(ValueError):
        TlsConfig(http_url="https://x/")
    with pytest.raises(ValueError):
        TlsConfig(unknown_key=1)


@pytest.mark.parametrize("header, ready", [
    (None, False), ("", False), ("max-age=31536000", False), ("max-age=31536000; includeSubDomains", False),
    ("max-age=abc; includeSubDomains; preload", False),
    ("max-age=31536000; includeSubDomains; preload", True),
    ('MAX-AGE="63072000";includesubdomains;PRELOAD', True),
])
def test_hsts_preload(header, ready):
    verdict = an.hsts_preload(header)
    assert verdict.preload_ready is ready and verdict.reason


def test_self_signed_and_chain_completeness():
    root = make_ca("Root")
    inter = make_ca("Inter", issuer=root)
    leaf = make_leaf(inter).cert
    self_signed = make_leaf(None).cert
    assert an.is_self_signed(self_signed) and not an.is_self_signed(leaf)
    assert an.is_self_signed(root.cert) and not an.is_self_signed(make_leaf(root).cert)
    anchors = [root.cert]
    # Intermediate missing: a sign of one is needed (own CA file declared, or AIA caIssuers).
    assert an.chain_incomplete([leaf], anchors, internal_ca=True)
    assert not an.chain_incomplete([leaf], anchors)
    assert not an.chain_incomplete([leaf, inter.cert], anchors, internal_ca=True)
    assert not an.chain_incomplete([self_signed], anchors, internal_ca=True)
    assert an.links_to_anchor([leaf, inter.cert], anchors) and not an.links_to_anchor([leaf], anchors)


def test_chain_incomplete_with_aia_ca_issuers():
    root = make_ca("Root")
    key = make_leaf(None).key
    now = datetime.now(UTC)
    aia = x509.AuthorityInformationAccess([x509.AccessDescription(
        AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier("http://ca.example/i.crt"))])
    cert = (x509.CertificateBuilder().subject_name(x509.Name([])).issuer_name(
        x509.Name.from_rfc4514_string("CN=Public Intermediate R3")).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + timedelta(days=90))
        .add_extension(aia, critical=False).sign(key, hashes.SHA256()))
    assert an.has_ca_issuers_url(cert)
    assert an.chain_incomplete([cert], [root.cert])


def test_weak_key_and_signature():
    ca = make_ca()
    assert an.weak_key(make_leaf(ca, bits=1024).cert) == "RSA 1024 bit"
    assert an.weak_key(make_leaf(ca).cert) is None
    assert an.weak_key(make_leaf(ca, key_kind="ec").cert) is None
    sha1 = make_leaf(ca, hash_alg=hashes.SHA1()).cert
    assert an.signature_hash(sha1) == "sha1"
    assert an.weak_signatures([sha1, ca.cert]) == [(0, "sha1", Severity.MEDIUM)]
    assert an.weak_signatures([make_leaf(ca).cert, ca.cert]) == []


def test_cert_facts_shape():
    leaf = make_leaf(make_ca(), ["desa.id", "www.desa.id"], key_kind="ec").cert
    now = datetime.now(UTC)
    facts = an.cert_facts(leaf, now)
    assert facts["sans"] == ["desa.id", "www.desa.id"] and facts["key_type"] == "EC"
    assert facts["key_size"] == 256 and 363 <= facts["days_left"] <= 365
    assert facts["issuer_cn"] == "ppid-auditor Test CA" and facts["signature_algorithm"] == "sha256WithRSAEncryption"
    assert an.days_left(leaf, leaf.not_valid_after_utc + timedelta(days=2)) == -2


def _synthetic(**kw):
    from checks.tls.model import TlsScan

    ca = make_ca()
    base = dict(host="localhost", port=443, protocols={p: False for p in
                ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")},
                chain=[make_leaf(ca).cert], anchors=[ca.cert], ocsp_stapled=True)
    base.update(kw)
    return TlsScan(**base)


def _evaluate(scan, **cfg):
    from checks.tls import TlsCheck
    from tests.test_tls_helpers import make_ctx

    ctx = make_ctx("https://localhost/", check_redirect=False, check_hsts_preload=False, **cfg)
    return TlsCheck().evaluate(ctx, scan)


def test_sslv2_sslv3_rc4_3des_from_a_recorded_scan():
    """What OpenSSL 3 cannot serve on loopback, evaluated from scan data sslyze would produce."""
    protocols = {"SSLv2": True, "SSLv3": True, "TLSv1.0": False, "TLSv1.1": False, "TLSv1.2": True,
                 "TLSv1.3": False}
    ciphers = [c("SSL_CK_RC4_128_WITH_MD5", "SSLv2"), c("TLS_RSA_WITH_RC4_128_SHA", "SSLv3"),
               c("TLS_RSA_WITH_3DES_EDE_CBC_SHA"), c("TLS_RSA_WITH_AES_128_GCM_SHA256"),
               c("TLS_RSA_EXPORT_WITH_RC4_40_MD5", "SSLv3")]
    res = _evaluate(_synthetic(protocols=protocols, ciphers=ciphers, trust=[]))
    legacy = {f.data["protocol"]: f.severity for f in res.findings if f.rule == "tls.protocol.legacy"}
    assert legacy == {"SSLv2": Severity.CRITICAL, "SSLv3": Severity.HIGH}
    weak = {f.data["category"]: f.severity for f in res.findings if f.rule == "tls.cipher.weak"}
    assert weak == {"rc4": Severity.HIGH, "3des": Severity.MEDIUM, "export": Severity.HIGH}
    got = {f.rule for f in res.findings}
    assert {"tls.protocol.tls13_missing", "tls.cipher.forward_secrecy_missing"} <= got
    assert "tls.ocsp.stapling_missing" not in got


def test_one_failing_part_does_not_stop_the_rest(monkeypatch):
    from checks.tls import TlsCheck

    def boom(*a, **k):
        raise ValueError("odd certificate")

    monkeypatch.setattr(TlsCheck, "_cert_findings", boom)
    res = _evaluate(_synthetic(protocols={"TLSv1.0": True, "TLSv1.2": True, "TLSv1.3": True}))
    assert [f.rule for f in res.findings] == ["tls.protocol.legacy"]
    assert "odd certificate" in res.facts.errors["certificate"]
