"""Certificates made with `cryptography` for the demo site and the tests.

Shaped to pass sslyze's strict validation (see PEERS.md): CA with BasicConstraints + KeyUsage
keyCertSign; leaf with a non-critical SAN, EKU serverAuth, SKI/AKI.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass
class KeyPair:
    cert: x509.Certificate
    key: object

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(  # type: ignore[attr-defined]
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption())


def _key(kind: str, bits: int):
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ppid-auditor test"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(cn: str = "ppid-auditor Test CA", *, key_kind: str = "rsa", bits: int = 2048,
            issuer: KeyPair | None = None, days: int = 3650,
            not_before: datetime | None = None) -> KeyPair:
    """A CA; with `issuer`, an intermediate CA signed by it."""
    key = _key(key_kind, bits)
    now = datetime.now(UTC)
    signer_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer.cert.subject if issuer else _name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
    return KeyPair(builder.sign(signer_key, hashes.SHA256()), key)


def make_leaf(ca: KeyPair | None, hostnames: list[str] = ("localhost", "127.0.0.1"), *,
              not_before: datetime | None = None, not_after: datetime | None = None,
              key_kind: str = "rsa", bits: int = 2048, hash_alg: hashes.HashAlgorithm | None = None,
              cn: str | None = None) -> KeyPair:
    """A server certificate signed by `ca`, or self-signed when `ca` is None."""
    key = _key(key_kind, bits)
    now = datetime.now(UTC)
    sans: list[x509.GeneralName] = []
    for h in hostnames:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            sans.append(x509.DNSName(h))
    subject = _name(cn or (hostnames[0] if hostnames else "localhost"))
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.cert.subject if ca else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    signer = ca.key if ca else key
    if ca:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
    if hash_alg is not None and hash_alg.name == "sha1":
        # cryptography no longer signs certificates with SHA-1; tests of weak-signature detection need one.
        return KeyPair(_resign_sha1(builder.sign(signer, hashes.SHA256()), signer), key)
    return KeyPair(builder.sign(signer, hash_alg or hashes.SHA256()), key)


_SHA256_RSA_OID = bytes.fromhex("06092a864886f70d01010b")
_SHA1_RSA_OID = bytes.fromhex("06092a864886f70d010105")


def _resign_sha1(cert: x509.Certificate, signer) -> x509.Certificate:
    """Swap sha256WithRSAEncryption for sha1WithRSAEncryption (same DER length) and re-sign the TBS."""
    from cryptography.hazmat.primitives.asymmetric import padding

    if not isinstance(signer, rsa.RSAPrivateKey):
        raise ValueError("SHA-1 test certificates need an RSA signer")
    der = cert.public_bytes(serialization.Encoding.DER).replace(_SHA256_RSA_OID, _SHA1_RSA_OID)
    tbs = x509.load_der_x509_certificate(der).tbs_certificate_bytes
    sig = signer.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    return x509.load_der_x509_certificate(der[: len(der) - len(sig)] + sig)


def write_pair(pair: KeyPair, directory: Path, stem: str, chain: list[KeyPair] = ()) -> tuple[Path, Path]:
    """Write `stem.crt` (leaf + `chain`) and `stem.key`; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    crt = directory / f"{stem}.crt"
    key = directory / f"{stem}.key"
    crt.write_bytes(pair.cert_pem() + b"".join(c.cert_pem() for c in chain))
    key.write_bytes(pair.key_pem())
    key.chmod(0o600)
    return crt, key
