"""Integration: our verdicts on protocols, weak ciphers and certificate validity agree with testssl.sh.

Each configuration is a real TLS server on 127.0.0.1; testssl.sh (Debian package, `-p -s -S`) runs on
all of them in parallel while our check scans the same servers.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.servers import need_peer
from tests.test_tls_helpers import make_cert_set, rules, run_check, tls_server

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

TLS1, TLS11 = ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1
# name -> (certificate scenario, server options); eight configurations, the minimum that covers every axis.
CONFIGS: dict[str, tuple[str, dict]] = {
    "modern": ("good", {}),
    "legacy_null_anon": ("good", {"ciphers": "ALL:NULL:aNULL", "min_version": TLS1}),
    "tls11_only": ("good", {"ciphers": "DEFAULT", "min_version": TLS1, "max_version": TLS11}),
    "expired": ("expired", {}),
    "self_signed": ("self_signed", {}),
    "untrusted": ("untrusted", {}),
    "mismatch": ("mismatch", {}),
    "chain_incomplete": ("chain_incomplete", {}),
}
TESTSSL_PROTOCOLS = {"SSLv2": "SSLv2", "SSLv3": "SSLv3", "TLS1": "TLSv1.0", "TLS1_1": "TLSv1.1",
                     "TLS1_2": "TLSv1.2", "TLS1_3": "TLSv1.3"}
# testssl's standard cipher lists -> our weak-cipher categories.
TESTSSL_CIPHERLISTS = {"cipherlist_NULL": {"null"}, "cipherlist_aNULL": {"anonymous"},
                       "cipherlist_EXPORT": {"export"}, "cipherlist_LOW": {"rc4", "des"},
                       "cipherlist_3DES_IDEA": {"3des"}}
CHAIN_RULES = {"tls.cert.untrusted", "tls.cert.self_signed", "tls.cert.chain_incomplete", "tls.cert.expired",
               "tls.cert.not_yet_valid"}


def run_testssl(binary: str, port: int, ca_file: Path, workdir: Path) -> dict[str, dict]:
    out = workdir / f"testssl-{port}.json"
    cmd = [binary, "--jsonfile-pretty", str(out), "--quiet", "--warnings", "off", "--color", "0",
           "--add-ca", str(ca_file), "-p", "-s", "-S", f"127.0.0.1:{port}"]
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300, check=False)
    data = json.loads(out.read_text())
    items: dict[str, dict] = {}
    # When testssl's own openssl cannot connect (TLS 1.1-only server) it adds a problem entry first.
    for entry in data["scanResult"]:
        for section in entry.values():
            if not isinstance(section, list):
                continue
            for item in section:
                # With several server certificates ids carry " <cert#1>"; we compare the first.
                items.setdefault(item["id"].split(" <")[0], item)
    return items


def verdicts_of_testssl(items: dict[str, dict]) -> dict:
    def offered(i: str) -> bool:
        text = items[i]["finding"].lower()
        return "offered" in text and "not offered" not in text

    return {
        "protocols": {ours: offered(tid) for tid, ours in TESTSSL_PROTOCOLS.items()},
        "weak": {lst for lst in TESTSSL_CIPHERLISTS if lst in items and offered(lst)},
        "expired": "expired" in items["cert_expirationStatus"]["finding"].lower(),
        "chain_ok": items["cert_chain_of_trust"]["finding"].lower().startswith("passed"),
        "hostname_ok": items["cert_trust"]["finding"].lower().startswith("ok"),
    }


def our_verdicts(res) -> dict:
    found = rules(res)
    cats = set(res.facts.weak_ciphers)
    return {
        "protocols": {p: bool(v) for p, v in res.facts.protocols.items()},
        "weak": {lst for lst, ours in TESTSSL_CIPHERLISTS.items() if ours & cats},
        "expired": "tls.cert.expired" in found,
        "chain_ok": not CHAIN_RULES & set(found),
        "hostname_ok": "tls.cert.hostname_mismatch" not in found,
    }


def test_verdicts_agree_with_testssl():
    binary = need_peer("testssl", "/usr/bin/testssl")
    with tempfile.TemporaryDirectory(prefix="ppid-testssl-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        certs = make_cert_set(workdir / "certs")
        ports = {name: stack.enter_context(tls_server(*certs.pairs[scenario], **opts))
                 for name, (scenario, opts) in CONFIGS.items()}
        # testssl.sh is mostly waiting on openssl processes: 4 at a time suits 2 cores.
        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = {name: pool.submit(run_testssl, binary, port, certs.ca_file, workdir)
                       for name, port in ports.items()}
            ours = {name: our_verdicts(run_check(f"https://127.0.0.1:{port}/", ca_file=certs.ca_file,
                                                 check_redirect=False, check_hsts_preload=False))
                    for name, port in ports.items()}
            theirs = {name: verdicts_of_testssl(f.result()) for name, f in futures.items()}
    mismatches = {name: {k: (ours[name][k], theirs[name][k]) for k in ours[name]
                         if ours[name][k] != theirs[name][k]} for name in CONFIGS}
    assert not any(mismatches.values()), f"ours vs testssl.sh: {mismatches}"
    # The configurations really do differ on each axis (the comparison is not vacuous).
    assert {v["chain_ok"] for v in theirs.values()} == {True, False}
    assert {v["expired"] for v in theirs.values()} == {True, False}
    assert {v["hostname_ok"] for v in theirs.values()} == {True, False}
    assert any(v["weak"] for v in theirs.values()) and any(not v["weak"] for v in theirs.values())
    assert {v["protocols"]["TLSv1.0"] for v in theirs.values()} == {True, False}
    assert {v["protocols"]["TLSv1.3"] for v in theirs.values()} == {True, False}
