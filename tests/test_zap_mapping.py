"""Pure parts of the `zap` check: alert mapping, de-duplication, scope regexes, config validation."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from auditor.config import config_from_dict
from auditor.errors import ConfigError
from checks.base import Severity
from checks.zap.config import DEFAULT_EXCLUDES, ZapConfig
from checks.zap.mapping import (
    MalformedAlert,
    dedupe,
    in_scope,
    map_alert,
    origins,
    scope_regexes,
)
from checks.zap.records import localized_text


def zap_alert(**over):
    """An alert shaped like ZAP's AlertAPI.alertToSet (every value a string, tags a map)."""
    base = {"sourceid": "3", "other": "", "method": "GET", "evidence": "", "pluginId": "10021",
            "cweid": "693", "confidence": "Medium", "wascid": "15", "description": "d", "messageId": "7",
            "inputVector": "", "url": "https://desa.example.id/profil", "tags": {},
            "reference": "https://owasp.org/a\nhttps://owasp.org/b", "solution": "<p>Set nosniff.</p>",
            "alert": "X-Content-Type-Options Header Missing", "param": "x-content-type-options", "attack": "",
            "name": "X-Content-Type-Options Header Missing", "risk": "Low", "id": "12", "alertRef": "10021"}
    base.update(over)
    return base


@pytest.mark.parametrize(("risk", "severity"), [("High", Severity.HIGH), ("Medium", Severity.MEDIUM),
                                                ("Low", Severity.LOW), ("Informational", Severity.INFO)])
def test_risk_maps_to_severity(risk, severity):
    assert map_alert(zap_alert(risk=risk)).severity is severity


@pytest.mark.parametrize(("zap_conf", "ours"), [("Low", "low"), ("Medium", "medium"), ("High", "high"),
                                                ("Confirmed", "high")])
def test_confidence_is_kept(zap_conf, ours):
    m = map_alert(zap_alert(confidence=zap_conf))
    assert m.confidence == ours and m.raw_confidence == zap_conf


def test_false_positive_is_dropped():
    assert map_alert(zap_alert(confidence="False Positive")) is None


def test_rule_references_and_text():
    m = map_alert(zap_alert(pluginId="10038", alertRef="10038-1", cweid="693", wascid="15"))
    assert m.rule == "zap.10038"
    assert "CWE-693" in m.references and "WASC-15" in m.references
    assert "https://cwe.mitre.org/data/definitions/693.html" in m.references
    assert "https://www.zaproxy.org/docs/alerts/10038-1/" in m.references
    assert "https://owasp.org/a" in m.references and "https://owasp.org/b" in m.references
    title, remediation = localized_text("10038", m.name)
    assert "CSP" in title and remediation


def test_missing_cwe_wasc_are_not_references():
    m = map_alert(zap_alert(cweid="-1", wascid="0"))
    assert not any(r.startswith(("CWE-", "WASC-")) for r in m.references)


def test_unknown_plugin_gets_generic_indonesian_title():
    title, remediation = localized_text("99999", "Some New Rule")
    assert title.startswith("Temuan ZAP") and "Some New Rule" in title and "ZAP" in remediation


def test_evidence_is_masked():
    nik, email = "3403015708900001", "budi.santoso@example.id"
    m = map_alert(zap_alert(evidence=f"NIK {nik} kontak {email}", param=f"nik={nik}"))
    assert nik not in m.evidence and email not in m.evidence
    assert "3403" in m.evidence and "@example.id" in m.evidence
    assert nik not in m.param


def test_long_evidence_is_cut():
    m = map_alert(zap_alert(evidence="x" * 5000))
    assert len(m.evidence) < 400


@pytest.mark.parametrize("bad", [
    "not an object",
    zap_alert(pluginId=""),
    zap_alert(pluginId="abc"),
    zap_alert(url="javascript:alert(1)"),
    zap_alert(url=""),
    zap_alert(risk="Catastrophic"),
    zap_alert(evidence=["a", "list"]),
    {k: v for k, v in zap_alert().items() if k != "risk"},
])
def test_malformed_alerts_raise(bad):
    with pytest.raises(MalformedAlert):
        map_alert(bad)


def test_dedupe_per_rule_and_url_keeps_worst():
    alerts = [map_alert(zap_alert(param=p, risk=r, id=str(i)))
              for i, (p, r) in enumerate([("a", "Low"), ("b", "Medium"), ("a", "Low")])]
    alerts.append(map_alert(zap_alert(url="https://desa.example.id/other")))
    alerts.append(map_alert(zap_alert(pluginId="10020", alertRef="10020")))
    groups = dedupe(alerts)
    assert len(groups) == 3
    g = next(g for g in groups if g.first.rule == "zap.10021" and g.first.url.endswith("/profil"))
    assert g.count == 3 and g.params == ["a", "b"] and g.first.severity is Severity.MEDIUM


def test_scope_regex_site_and_allowed_hosts():
    inc = scope_regexes("http://127.0.0.1:8123/", ["cdn.desa.example.id", "arsip.example.id:8443"])
    ok = ["http://127.0.0.1:8123/", "http://127.0.0.1:8123/a?b=1", "https://cdn.desa.example.id/x.js",
          "http://CDN.desa.example.id:443/", "https://arsip.example.id:8443/doc.pdf"]
    bad = ["http://127.0.0.1:81234/", "http://127.0.0.1:8124/", "http://127.0.0.1/",
           "https://cdn.desa.example.id.evil.test/", "https://evil.test/?u=http://127.0.0.1:8123/",
           "https://arsip.example.id/doc.pdf"]
    assert all(in_scope(u, inc, []) for u in ok)
    assert not any(in_scope(u, inc, []) for u in bad)
    # Java's Pattern accepts what we emit: only portable constructs.
    assert all(re.fullmatch(r"\(\?i\)\^https\?://\(\?:.+\)\(\?:\[/\?#\]\.\*\)\?\$", r) for r in inc)


def test_default_site_url_without_port_accepts_default_ports():
    inc = scope_regexes("https://desa.example.id", [])
    assert in_scope("https://desa.example.id:443/x", inc, []) and in_scope("http://desa.example.id/", inc, [])
    assert not in_scope("https://desa.example.id:8443/", inc, [])


@pytest.mark.parametrize("url", ["https://d.id/logout", "https://d.id/wp-login.php?action=logout",
                                 "https://d.id/akun/keluar", "https://d.id/berita/hapus?id=3",
                                 "https://d.id/api/delete/5", "https://d.id/xmlrpc.php", "https://d.id/Sign-Out"])
def test_default_excludes(url):
    inc = scope_regexes("https://d.id/", [])
    assert in_scope("https://d.id/berita", inc, list(DEFAULT_EXCLUDES))
    assert not in_scope(url, inc, list(DEFAULT_EXCLUDES))


def test_origins_cover_allowed_hosts_both_schemes():
    assert origins("http://127.0.0.1:8123/x", ["a.example.id"]) == [
        "http://127.0.0.1:8123", "https://a.example.id", "http://a.example.id"]


def test_active_mode_refused_without_allow_active():
    with pytest.raises(ValidationError, match="allow_active"):
        ZapConfig(mode="active")
    assert ZapConfig(mode="active", allow_active=True).mode == "active"


def test_active_refusal_is_a_config_error_naming_the_block():
    raw = {"sites": [{"name": "desa", "url": "http://127.0.0.1:1/"}], "checks": {"zap": {"mode": "active"}}}
    with pytest.raises(ConfigError, match=r"checks\.zap.*allow_active"):
        config_from_dict(raw, require_files=False)
    raw["checks"]["zap"]["allow_active"] = True
    assert config_from_dict(raw, require_files=False).check_blocks["zap"].mode == "active"


@pytest.mark.parametrize(("block", "key"), [({"api_key_env": "my-secret-key-value!"}, "api_key_env"),
                                            ({"api_url": "127.0.0.1:8080"}, "api_url"),
                                            ({"exclude": ["(unclosed"]}, "exclude"),
                                            ({"max_duration_s": 0}, "max_duration_s"),
                                            ({"api_key": "x"}, "api_key")])
def test_config_errors_name_the_key(block, key):
    raw = {"sites": [{"name": "desa", "url": "http://127.0.0.1:1/"}], "checks": {"zap": block}}
    with pytest.raises(ConfigError, match=rf"checks\.zap\.{key}"):
        config_from_dict(raw, require_files=False)


def test_user_excludes_add_to_defaults():
    cfg = ZapConfig(exclude=[r".*/admin/.*"])
    assert cfg.excludes[-1] == r".*/admin/.*" and set(DEFAULT_EXCLUDES) <= set(cfg.excludes)
    assert ZapConfig(keep_default_excludes=False, exclude=["x"]).excludes == ["x"]
