"""Typed results of one TLS scan, independent of sslyze, so detection is testable without a network."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509

PROTOCOLS = ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")
LEGACY_PROTOCOLS = ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1")


@dataclass(frozen=True)
class AcceptedCipher:
    protocol: str  # one of PROTOCOLS
    name: str  # RFC name, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    anonymous: bool = False
    key_size: int = 0


@dataclass
class TrustResult:
    """Path validation against one trust store (sslyze's bundled stores, or the supplied CA file)."""

    store: str
    ok: bool
    error: str | None = None


@dataclass
class TlsScan:
    """What the handshakes showed; `error` set when no TLS connection could be made at all."""

    host: str
    port: int
    error: str | None = None
    error_kind: str | None = None  # "refused", "timeout", "no_tls", "resolve", "budget", "other"
    protocols: dict[str, bool | None] = field(default_factory=dict)  # None: could not be tested
    ciphers: list[AcceptedCipher] = field(default_factory=list)
    chain: list[x509.Certificate] = field(default_factory=list)  # as received; [0] is the leaf
    trust: list[TrustResult] = field(default_factory=list)
    anchors: list[x509.Certificate] = field(default_factory=list)  # roots of every store tried
    ocsp_stapled: bool | None = None
    notes: list[str] = field(default_factory=list)  # sub-scans that failed
    duration_s: float = 0.0

    @property
    def reachable(self) -> bool:
        return self.error is None
