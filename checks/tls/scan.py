"""One bounded sslyze scan of host:port, turned into a `TlsScan` (see model.py).

sslyze runs in its own daemon threads; every connection is bounded by `network_timeout`, and the whole
scan by `budget_s` (we stop waiting; the daemon threads die with the process).
"""

from __future__ import annotations

import errno
import socket
import ssl
import threading
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509 import verification

from checks.tls.analysis import sans
from checks.tls.model import AcceptedCipher, TlsScan, TrustResult

# sslyze's bundled Java store holds a root with a negative serial; cryptography warns on every load.
warnings.filterwarnings("ignore", message=".*serial number which wasn't positive.*")

SUPPLIED_CA = "Supplied CA file"

_COMMANDS = {  # sslyze ScanCommand value -> our protocol name
    "ssl_2_0_cipher_suites": "SSLv2",
    "ssl_3_0_cipher_suites": "SSLv3",
    "tls_1_0_cipher_suites": "TLSv1.0",
    "tls_1_1_cipher_suites": "TLSv1.1",
    "tls_1_2_cipher_suites": "TLSv1.2",
    "tls_1_3_cipher_suites": "TLSv1.3",
}


def resolve_ip(host: str) -> str:
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    addrs = [i[4][0] for i in infos]
    v4 = [a for a in addrs if ":" not in a]
    return (v4 or addrs)[0]


def probe_tcp(ip: str, port: int, timeout_s: float) -> tuple[str | None, str | None]:
    """(error kind, message) of a plain TCP connect, or (None, None) when the port accepts."""
    try:
        with socket.create_connection((ip, port), timeout=timeout_s):
            return None, None
    except TimeoutError:
        return "timeout", f"{ip}:{port}: connection timed out after {timeout_s:g} s"
    except ConnectionRefusedError:
        return "refused", f"{ip}:{port}: connection refused"
    except OSError as exc:
        kind = "refused" if exc.errno in (errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH) else "other"
        return kind, f"{ip}:{port}: {exc.strerror or exc}"


def probe_tls(ip: str, port: int, sni: str, timeout_s: float) -> tuple[str | None, str | None]:
    """Send one ClientHello and look at the first bytes of the answer.

    Catches the two cases sslyze is slow at (it retries every TLS version): a port that speaks another
    protocol (plain HTTP on 443) and a port that accepts but never answers. Anything ambiguous (the peer
    just closes) is left to sslyze, which knows more protocol versions than the ssl module.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    except (ssl.SSLError, ValueError):
        pass
    out_bio, in_bio = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(in_bio, out_bio, server_hostname=None if _is_ip(sni) else sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out_bio.read()
    try:
        with socket.create_connection((ip, port), timeout=timeout_s) as sock:
            sock.sendall(hello)
            first = sock.recv(5)
    except TimeoutError:
        return "timeout", f"{ip}:{port}: no answer to a TLS ClientHello within {timeout_s:g} s"
    except OSError:
        return None, None
    if not first or first[0] in (0x15, 0x16) or first[0] & 0x80:  # alert, handshake, SSLv2 record
        return None, None
    shown = first.decode("ascii", "replace").strip() or first.hex()
    return "no_tls", f"{ip}:{port}: not a TLS server (answered {shown!r}...)"


def scan_host(host: str, port: int, *, timeout_s: float = 5.0, budget_s: float = 60.0,
              ca_file: Path | None = None) -> TlsScan:
    """Scan protocols, cipher suites and the certificate chain; never raises for network trouble."""
    started = time.monotonic()
    out = TlsScan(host=host, port=port)
    try:
        ip = resolve_ip(host)
    except OSError as exc:
        out.error, out.error_kind = f"{host}: cannot resolve: {exc}", "resolve"
        return out
    kind, msg = probe_tcp(ip, port, timeout_s)
    if not kind:
        kind, msg = probe_tls(ip, port, host, timeout_s)
    if kind:
        out.error, out.error_kind = msg, kind
        out.duration_s = time.monotonic() - started
        return out

    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["result"] = _run_sslyze(host, ip, port, timeout_s, ca_file)
        except Exception as exc:  # sslyze internals: report, never crash the check
            box["exc"] = exc

    t = threading.Thread(target=work, name=f"tls-scan-{host}:{port}", daemon=True)
    t.start()
    # The budget covers the probes too; sslyze's own network timeout is per socket operation, so a peer
    # that drips its handshake is only bounded here (the abandoned scan thread is a daemon).
    t.join(max(0.1, budget_s - (time.monotonic() - started)))
    if t.is_alive():
        out.error, out.error_kind = f"TLS scan of {host}:{port} exceeded {budget_s:g} s", "budget"
    elif "exc" in box:
        exc = box["exc"]
        out.error, out.error_kind = f"TLS scan failed: {type(exc).__name__}: {exc}", "other"
    else:
        _fill(out, box["result"], ca_file)
    out.duration_s = time.monotonic() - started
    return out


def _run_sslyze(host: str, ip: str, port: int, timeout_s: float, ca_file: Path | None):
    from sslyze import (
        CertificateInfoExtraArgument,
        ScanCommand,
        ScanCommandsExtraArguments,
        Scanner,
        ServerNetworkConfiguration,
        ServerNetworkLocation,
        ServerScanRequest,
    )

    commands = {ScanCommand.CERTIFICATE_INFO, *(ScanCommand(v) for v in _COMMANDS)}
    extra = ScanCommandsExtraArguments(
        certificate_info=CertificateInfoExtraArgument(custom_ca_file=ca_file)) if ca_file else \
        ScanCommandsExtraArguments()
    sni = host if not _is_ip(host) else ip
    request = ServerScanRequest(
        server_location=ServerNetworkLocation(hostname=host, port=port, ip_address=ip),
        network_configuration=ServerNetworkConfiguration(
            tls_server_name_indication=sni, network_timeout=int(max(1, round(timeout_s))),
            network_max_retries=1),
        scan_commands=commands, scan_commands_extra_arguments=extra)
    scanner = Scanner(per_server_concurrent_connections_limit=8)
    scanner.queue_scans([request])
    return next(iter(scanner.get_results()))


def _is_ip(host: str) -> bool:
    import ipaddress
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _fill(out: TlsScan, result, ca_file: Path | None) -> None:
    from sslyze import ScanCommandAttemptStatusEnum, ServerScanStatusEnum

    if result.scan_status != ServerScanStatusEnum.COMPLETED:
        trace = result.connectivity_error_trace
        text = "".join(trace.format_exception_only()).strip() if trace else "no connectivity"
        out.error_kind = "no_tls"
        out.error = f"{out.host}:{out.port}: no TLS handshake possible ({text.splitlines()[-1][:200]})"
        return
    sr = result.scan_result
    for attr, proto in _COMMANDS.items():
        attempt = getattr(sr, attr)
        if attempt.status != ScanCommandAttemptStatusEnum.COMPLETED or attempt.result is None:
            out.protocols[proto] = None
            out.notes.append(f"{proto} test failed: {attempt.error_reason}")
            continue
        accepted = attempt.result.accepted_cipher_suites
        out.protocols[proto] = bool(accepted)
        for a in accepted:
            cs = a.cipher_suite
            out.ciphers.append(AcceptedCipher(proto, cs.name, cs.is_anonymous, cs.key_size))
    ci = sr.certificate_info
    if ci.status != ScanCommandAttemptStatusEnum.COMPLETED or ci.result is None:
        out.notes.append(f"certificate test failed: {ci.error_reason}")
        return
    deployments = ci.result.certificate_deployments
    if not deployments:
        out.notes.append("no certificate received")
        return
    dep = deployments[0]
    out.chain = list(dep.received_certificate_chain)
    out.ocsp_stapled = dep.ocsp_response is not None
    for pv in dep.path_validation_results:
        out.trust.append(TrustResult(pv.trust_store.name, pv.was_validation_successful, pv.validation_error))
    paths = {pv.trust_store.name: pv.trust_store.path for pv in dep.path_validation_results}
    out.anchors = _load_anchors(tuple(sorted(str(p) for p in paths.values())))


_ANCHOR_CACHE: dict[tuple[str, ...], list[x509.Certificate]] = {}


def _load_anchors(paths: tuple[str, ...]) -> list[x509.Certificate]:
    if paths not in _ANCHOR_CACHE:
        certs: list[x509.Certificate] = []
        for p in paths:
            try:
                certs.extend(x509.load_pem_x509_certificates(Path(p).read_bytes()))
            except (OSError, ValueError):
                continue
        _ANCHOR_CACHE[paths] = certs
    return _ANCHOR_CACHE[paths]


def trusted_ignoring_time_and_name(chain: list[x509.Certificate], anchors: list[x509.Certificate]) -> bool:
    """Would the chain validate if the clock sat inside the leaf's validity and the name matched?

    Separates "untrusted issuer" from "expired" and "wrong hostname", which fail the same validation.
    """
    if not chain or not anchors:
        return False
    leaf = chain[0]
    names = sans(leaf)
    if not names:
        return False
    try:
        subject: x509.verification.Subject
        import ipaddress
        try:
            subject = x509.IPAddress(ipaddress.ip_address(names[0]))
        except ValueError:
            subject = x509.DNSName(names[0])
        lo, hi = leaf.not_valid_before_utc, leaf.not_valid_after_utc
        when = min(max(datetime.now(UTC), lo + timedelta(seconds=1)), hi - timedelta(seconds=1))
        verifier = (verification.PolicyBuilder().store(verification.Store(anchors)).time(when)
                    .build_server_verifier(subject))
        verifier.verify(leaf, chain[1:])
    except Exception:  # VerificationError, or a certificate the verifier cannot parse
        return False
    return True
