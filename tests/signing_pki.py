"""A throwaway PKI for the signing tests, made with `cryptography`: a CA and signer certificates in PKCS#12
files, as an office would receive them (no test here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PASSWORD = "rahasia-uji-123"


@dataclass
class Pki:
    ca_pem: Path
    ca_cert: x509.Certificate
    ca_key: rsa.RSAPrivateKey


def _name(cn: str, org: str = "PPID Kalurahan Katongan (uji)") -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(tmp: Path, cn: str = "CA Uji TTE") -> Pki:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(cn, "Balai Sertifikasi Uji")).issuer_name(
        _name(cn, "Balai Sertifikasi Uji")).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=30)).not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256()))
    tmp.mkdir(parents=True, exist_ok=True)
    pem = tmp / f"{cn.replace(' ', '-').lower()}.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Pki(pem, cert, key)


def make_signer(pki: Pki, tmp: Path, cn: str, *, password: str = PASSWORD, days: tuple[int, int] = (-1, 365),
                ec_key: bool = False, expires: datetime | None = None) -> Path:
    """A signer certificate issued by `pki`, in a PKCS#12 file with the CA certificate (the chain)."""
    key = ec.generate_private_key(ec.SECP256R1()) if ec_key else rsa.generate_private_key(65537, 2048)
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(pki.ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now + timedelta(days=days[0]))
            .not_valid_after(expires or now + timedelta(days=days[1]))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(pki.ca_key.public_key()),
                           critical=False)
            .sign(pki.ca_key, hashes.SHA256()))
    data = pkcs12.serialize_key_and_certificates(
        cn.encode(), key, cert, [pki.ca_cert],
        serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption())
    path = tmp / f"{cn.replace(' ', '-').lower()}.p12"
    path.write_bytes(data)
    return path


def make_tsa(pki: Pki, cn: str = "TSA Uji") -> tuple[object, object]:
    """A timestamp-authority certificate (EKU timeStamping, critical) from `pki`, as asn1crypto objects for
    pyHanko's DummyTimeStamper: (certificate, private key)."""
    from asn1crypto import keys
    from asn1crypto import x509 as ax509

    key = rsa.generate_private_key(65537, 2048)
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(cn, "Balai Sertifikasi Uji")).issuer_name(
        pki.ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(pki.ca_key.public_key()), critical=False)
        .sign(pki.ca_key, hashes.SHA256()))
    der_key = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return (ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
            keys.PrivateKeyInfo.load(der_key))
