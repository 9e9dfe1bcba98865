"""Pure detection functions over `TlsScan` data: no network, no sslyze."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

from checks.base import Severity
from checks.hsts import parse_hsts
from checks.tls.model import AcceptedCipher
from checks.tls.rules import (
    EXPIRY_STEPS,
    MIN_EC_BITS,
    MIN_RSA_BITS,
    WEAK_SIGNATURE_HASHES,
)

AEAD_MARKERS = ("_GCM_", "_CCM", "CHACHA20_POLY1305")


# -- ciphers ---------------------------------------------------------------------------------------------

def cipher_category(c: AcceptedCipher) -> str | None:
    """The weak-cipher category of one accepted suite, or None when it is not weak on its own."""
    n = c.name.upper()
    if "_NULL_" in n or n.endswith("_NULL") or "WITH_NULL" in n:
        return "null"
    if c.anonymous or "_ANON_" in n:
        return "anonymous"
    if "EXPORT" in n or "DES40" in n:
        return "export"
    if "RC4" in n:
        return "rc4"
    if "3DES" in n or "DES_192" in n:
        return "3des"
    if "_DES_" in n or "DES_64" in n:
        return "des"
    if "IDEA" in n or "RC2" in n or "SEED" in n:
        return "legacy_block"
    return None


def is_forward_secret(c: AcceptedCipher) -> bool:
    n = c.name.upper()
    if c.protocol == "TLSv1.3":
        return True
    return not c.anonymous and "_ANON_" not in n and ("_ECDHE_" in n or "_DHE_" in n or n.startswith("TLS_ECDHE"))


def weak_ciphers(ciphers: list[AcceptedCipher]) -> dict[str, list[str]]:
    """Category -> sorted accepted suite names, including `cbc_only` when TLS 1.2 offers no AEAD suite."""
    out: dict[str, set[str]] = {}
    for c in ciphers:
        cat = cipher_category(c)
        if cat:
            out.setdefault(cat, set()).add(c.name)
    tls12 = [c for c in ciphers if c.protocol == "TLSv1.2" and cipher_category(c) is None]
    if tls12 and not any(m in c.name.upper() for c in tls12 for m in AEAD_MARKERS):
        out["cbc_only"] = {c.name for c in tls12}
    return {k: sorted(v) for k, v in out.items()}


# -- certificates ----------------------------------------------------------------------------------------

def common_name(name: x509.Name) -> str:
    attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else name.rfc4514_string()


def sans(cert: x509.Certificate) -> list[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        return []
    return [*ext.get_values_for_type(x509.DNSName), *(str(i) for i in ext.get_values_for_type(x509.IPAddress))]


def dns_match(pattern: str, host: str) -> bool:
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern == host:
        return True
    # RFC 6125: a wildcard covers exactly one left-most label.
    if pattern.startswith("*.") and "." in host:
        return host.split(".", 1)[1] == pattern[2:] and pattern.count(".") >= 2
    return False


def hostname_matches(cert: x509.Certificate, host: str) -> bool:
    """SAN-based match (the CN is ignored, as browsers do)."""
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        ip = None
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        return False
    if ip is not None:
        return ip in ext.get_values_for_type(x509.IPAddress)
    return any(dns_match(p, host) for p in ext.get_values_for_type(x509.DNSName))


def key_description(cert: x509.Certificate) -> tuple[str, int]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    return type(key).__name__, 0


def weak_key(cert: x509.Certificate) -> str | None:
    kind, bits = key_description(cert)
    if kind in ("RSA", "DSA") and bits < MIN_RSA_BITS or kind == "EC" and bits < MIN_EC_BITS:
        return f"{kind} {bits} bit"
    return None


def signature_hash(cert: x509.Certificate) -> str | None:
    try:
        alg = cert.signature_hash_algorithm
    except Exception:  # unsupported algorithm: not our business to crash on
        return None
    return alg.name.lower() if alg is not None else None


def signature_name(cert: x509.Certificate) -> str:
    oid = cert.signature_algorithm_oid
    return getattr(oid, "_name", None) or oid.dotted_string


def weak_signatures(chain: list[x509.Certificate]) -> list[tuple[int, str, Severity]]:
    """(position, hash, severity) for every non-root cert in the chain signed with a weak hash."""
    out = []
    for i, cert in enumerate(chain):
        if is_self_issued(cert) and i > 0:
            continue  # a root's own signature is not checked by clients
        h = signature_hash(cert)
        if h in WEAK_SIGNATURE_HASHES:
            out.append((i, h, WEAK_SIGNATURE_HASHES[h]))
    return out


def is_self_issued(cert: x509.Certificate) -> bool:
    return cert.issuer == cert.subject


def is_self_signed(cert: x509.Certificate) -> bool:
    if not is_self_issued(cert):
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:  # wrong signature, unsupported key type: not self-signed as far as we can tell
        return False
    return True


def has_ca_issuers_url(cert: x509.Certificate) -> bool:
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except (x509.ExtensionNotFound, ValueError):
        return False
    return any(d.access_method == x509.AuthorityInformationAccessOID.CA_ISSUERS for d in aia)


def chain_incomplete(chain: list[x509.Certificate], anchors: list[x509.Certificate], *,
                     internal_ca: bool = False) -> bool:
    """The server's chain stops at a certificate whose issuer is neither sent nor a trust anchor.

    A missing issuer is only called an intermediate when there is a sign of one: the certificate points
    to its issuer (AIA caIssuers, as every public CA does), or the site declared its own CA file and the
    issuer is not in it. Otherwise it is an unknown CA ("untrusted").
    """
    if not chain:
        return False
    top = chain[-1]
    if is_self_issued(top) or top.issuer in {a.subject for a in anchors}:
        return False
    return internal_ca or has_ca_issuers_url(top)


def links_to_anchor(chain: list[x509.Certificate], anchors: list[x509.Certificate]) -> bool:
    """Name-only chain walk to a known anchor; used when weak crypto makes strict validation refuse."""
    subjects = {a.subject for a in anchors}
    by_subject = {c.subject: c for c in chain[1:]}
    cur, seen = (chain[0] if chain else None), 0
    while cur is not None and seen <= len(chain):
        if cur.issuer in subjects:
            return True
        cur, seen = by_subject.get(cur.issuer), seen + 1
    return False


def days_left(cert: x509.Certificate, now: datetime) -> int:
    """Whole days until notAfter (negative once expired)."""
    return int((cert.not_valid_after_utc - now).total_seconds() // 86400)


def expiry_severity(days: int, warning_days: int) -> Severity | None:
    """None when the certificate is not yet within the warning window."""
    if days > warning_days:
        return None
    for limit, sev in EXPIRY_STEPS:
        if days <= limit:
            return sev
    return Severity.LOW


def cert_facts(cert: x509.Certificate, now: datetime) -> dict:
    kind, bits = key_description(cert)
    return {
        "subject": cert.subject.rfc4514_string(),
        "subject_cn": common_name(cert.subject),
        "issuer": cert.issuer.rfc4514_string(),
        "issuer_cn": common_name(cert.issuer),
        "sans": sans(cert),
        "serial": format(cert.serial_number, "x"),
        "not_before": cert.not_valid_before_utc.astimezone(UTC).isoformat(),
        "not_after": cert.not_valid_after_utc.astimezone(UTC).isoformat(),
        "days_left": days_left(cert, now),
        "key_type": kind,
        "key_size": bits,
        "signature_algorithm": signature_name(cert),
        "sha256": cert.fingerprint(hashes.SHA256()).hex(),
    }


# -- HSTS -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HstsVerdict:
    preload_ready: bool
    reason: str  # English, for evidence


def hsts_preload(header: str | list[str] | None) -> HstsVerdict:
    """hstspreload.org's requirements: max-age >= 1 year, includeSubDomains, preload (`checks.hsts`)."""
    hsts = parse_hsts([header] if isinstance(header, str) and header else list(header or []))
    if not hsts.present:
        return HstsVerdict(False, "no Strict-Transport-Security header")
    missing = hsts.preload_missing()
    if missing:
        return HstsVerdict(False, "Strict-Transport-Security lacks " + ", ".join(missing))
    if hsts.problems:
        return HstsVerdict(False, "Strict-Transport-Security is malformed: " + "; ".join(hsts.problems))
    return HstsVerdict(True, "preload-ready")
