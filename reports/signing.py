"""PAdES signatures on the reports (pyHanko): sign in the SOP's order, list and verify signatures.

A report PDF carries empty signature fields named `ttd<order>-<role>` (reports.pdfa), placed over the
signature block. Signing fills the signatory's field as an incremental update (earlier signatures stay
valid), with the signer's certificate chain embedded (PAdES baseline B-B; B-T when `reports.tsa_url` is
set) and a visible box: name, NIP, title, date. The stamp font is embedded, so the PDF/A claim stays true.

Public API (CLI, console): `sign_report(cfg, path, role, password=None)`, `signature_status(path,
trust_anchors=())`, `signed_roles(path)` and `sign_order(path)` (cheap: read the fields, validate nothing).
Refusals raise `SigningError` (an InputError: one line, exit 2 at the CLI) whose `code` tells the console
which of its own messages to show; the file is never changed by a refused or failed signing.
"""

from __future__ import annotations

import fcntl
import glob
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from auditor.catalogue import t
from auditor.errors import InputError
from reports import pdfa

ROLES = ("operator", "kepala_seksi", "ketua_ppid", "atasan_ppid")
STAMP_PT = 6  # six short lines fit the 18 mm box of the signature block
FONT_GLOBS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/**/DejaVuSans.ttf")


def _quiet_libraries() -> None:
    """pyHanko logs a traceback for every chain it cannot build and fontTools for every table it drops:
    both are answers we report ourselves. Their logs stay visible with --verbose (root logger at DEBUG)."""
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        for name in ("pyhanko", "pyhanko_certvalidator", "fontTools"):
            logging.getLogger(name).setLevel(logging.CRITICAL)


class UnreadablePdf(InputError):
    """The file is not a PDF pyHanko can read (exit 2)."""


class SigningError(InputError):
    """A signing refused before anything was written. `code` names the reason (the catalogue key without
    its `sign_err_` prefix: bad_password, order, expired...) and `params` its details, so a caller that
    must not show the CLI's line (it names server paths) can say the same thing in its own words."""

    def __init__(self, code: str, lang: str, **params: Any):
        self.code, self.params = code, params
        super().__init__(t("sign_err_" + code, lang, **params))


@dataclass
class SignatureInfo:
    """One signature of a report, as `verify-report` and the console show it."""

    field: str
    role: str | None  # from the field name; None for a field not made by ppid-auditor
    order: int | None
    signer: str  # common name of the signing certificate
    subject: str
    issuer: str
    signed_at: datetime | None  # time claimed by the signer (no timestamp: the signer's clock)
    timestamp_at: datetime | None  # time from a timestamp authority, when there is one
    intact: bool  # the signed bytes are unchanged and the cryptographic signature checks out
    whole_file: bool  # nothing at all was appended after this signature
    modified_after: bool  # a later change that is not a signature or form filling (a page, content...)
    trusted: bool | None  # chain reaches a configured trust anchor; None: no anchors configured

    @property
    def ok(self) -> bool:
        return self.intact and not self.modified_after and self.trusted is not False


def _reader(path: Path) -> Any:
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UnreadablePdf(f"{path}: {exc.strerror or exc}") from None
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        reader.root  # noqa: B018  (parses the catalogue: a broken file fails here, not later)
        return reader
    except Exception as exc:  # pyHanko raises several types for a damaged file
        raise UnreadablePdf(f"{path}: not a readable PDF ({type(exc).__name__}: {exc})") from None


def _fields(reader: Any) -> dict[str, bool]:
    """Signature field name -> filled?"""
    from pyhanko.sign.fields import enumerate_sig_fields

    return {name: value is not None for name, value, _ref in enumerate_sig_fields(reader)}


def signed_roles(path: Path) -> list[str]:
    """Roles whose field in `path` holds a signature (no validation: for listings). Unreadable: []."""
    try:
        fields = _fields(_reader(path))
    except Exception:
        return []
    parsed = sorted((p, name) for name, filled in fields.items() if filled and (p := pdfa.parse_field_name(name)))
    return [p[1] for p, _ in parsed]


@dataclass(frozen=True)
class SignOrder:
    """Who signs a report, in the SOP's order, and who has (from the fields; nothing validated)."""

    roles: tuple[str, ...]
    signed: tuple[str, ...]

    @property
    def pending(self) -> tuple[str, ...]:
        return tuple(r for r in self.roles if r not in self.signed)

    @property
    def next_role(self) -> str | None:
        """The role whose turn it is: the first one in order that has not signed; None when complete."""
        for r in self.roles:
            if r not in self.signed:
                return r
        return None


def sign_order(path: Path) -> SignOrder:
    """The report's signatories in SOP order: its `ttd<n>-<role>` fields, or for a report made before the
    fields existed, the order of its file name (pdfa.SIGNING_ORDER). UnreadablePdf for a broken file."""
    fields = _fields(_reader(path))
    ours = sorted((p, filled) for name, filled in fields.items() if (p := pdfa.parse_field_name(name)))
    signed = tuple(role for (_, role), filled in ours if filled)
    if ours and not _legacy(fields):
        return SignOrder(tuple(role for (_, role), _ in ours), signed)
    by_name = next((r for prefix, r in pdfa.SIGNING_ORDER.items() if Path(path).name.startswith(prefix)), ())
    return SignOrder(tuple(by_name) or signed, signed)


def _load_anchors(paths: list[Path]) -> list[Any]:
    from asn1crypto import pem, x509

    anchors = []
    for p in paths:
        try:
            data = Path(p).read_bytes()
        except OSError as exc:
            raise InputError(f"reports.trust_anchors: {p}: {exc.strerror or exc}") from None
        try:
            blobs = [der for _, _, der in pem.unarmor(data, multiple=True)] if pem.detect(data) else [data]
            anchors.extend(x509.Certificate.load(b) for b in blobs)
            for a in anchors:
                a.native  # noqa: B018  (forces parsing: a corrupt file fails here)
        except Exception:
            raise InputError(f"reports.trust_anchors: {p}: not a PEM or DER certificate") from None
    return anchors


def _rfc4514(cert: Any, which: str) -> str:
    """`CN=...,O=...,C=ID`: the form pdfsig and openssl print, shorter than asn1crypto's."""
    from cryptography import x509 as cx509

    if cert is None:
        return ""
    parsed = cx509.load_der_x509_certificate(cert.dump())
    return getattr(parsed, which).rfc4514_string()


def signature_status(path: Path, trust_anchors: list[Path] | tuple[Path, ...] = ()) -> list[SignatureInfo]:
    """Every signature of `path`, validated (integrity, later changes, chain to `trust_anchors`).
    Raises UnreadablePdf for a file that cannot be read."""
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    _quiet_libraries()
    anchors = _load_anchors(list(trust_anchors))
    reader = _reader(path)
    out = []
    for sig in reader.embedded_signatures:
        vc = ValidationContext(trust_roots=anchors, allow_fetching=False)
        try:
            status = validate_pdf_signature(sig, vc)
        except Exception:  # a mangled signature value: broken, not a crash
            status = None
        cert = status.signing_cert if status is not None else sig.signer_cert
        ts = status.timestamp_validity if status is not None else None
        parsed = pdfa.parse_field_name(sig.field_name)
        level = status.modification_level if status is not None else None
        cn = cert.subject.native.get("common_name", "") if cert is not None else ""
        out.append(SignatureInfo(
            field=sig.field_name, role=parsed[1] if parsed else None, order=parsed[0] if parsed else None,
            signer=cn, subject=_rfc4514(cert, "subject"), issuer=_rfc4514(cert, "issuer"),
            signed_at=sig.self_reported_timestamp, timestamp_at=ts.timestamp if ts is not None else None,
            intact=bool(status is not None and status.intact and status.valid),
            whole_file=bool(status is not None and status.coverage == SignatureCoverageLevel.ENTIRE_FILE),
            modified_after=(status is None or level is None or level > ModificationLevel.FORM_FILLING
                            or status.docmdp_ok is False),
            trusted=(bool(status is not None and status.trusted) if anchors else None)))
    return out


def verdict(sigs: list[SignatureInfo]) -> int:
    """0 every signature intact and nothing changed after the last one; 1 otherwise (or no signature)."""
    if not sigs or not all(s.ok for s in sigs):
        return 1
    return 0 if sigs[-1].whole_file else 1


# -- signing ------------------------------------------------------------------------------------------
def _font() -> str:
    for pattern in FONT_GLOBS:
        found = sorted(glob.glob(pattern, recursive=True))
        if found:
            return found[0]
    raise InputError("DejaVuSans.ttf not found (Debian package fonts-dejavu-core): the signature box needs "
                     "an embedded font to keep the PDF/A claim true")


def _stamp_font(text: str, folder: Path) -> str:
    """DejaVu Sans cut to the stamp's characters and rescaled to 1000 units per em. pyHanko writes the
    font's raw advance widths into the PDF's /W array, which counts in 1/1000 em: with DejaVu's 2048 units
    the letters stood twice too far apart and the widths disagreed with the font program (a PDF/A fault)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    font = TTFont(_font())
    options = subset.Options()
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    scale_upem(font, 1000)
    path = folder / "stamp.ttf"
    font.save(str(path))
    return str(path)


def load_signer(cfg: Any, role: str, lang: str, now: datetime,
                password: bytes | bytearray | None = None) -> tuple[Any, Any]:
    """The signatory config of `role` and a pyHanko signer from its PKCS#12 file. The password is
    `password` when given (the console: typed by the person, never stored), else the environment variable
    `password_env` names (CLI, cron). SigningError (exit 2) for a missing certificate, file or password, a
    wrong password, a file without password when one was typed, and a certificate not valid `now`."""
    from asn1crypto import keys, x509
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, pkcs12
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    if role not in ROLES:
        raise SigningError("role", lang, role=role, roles=", ".join(ROLES))
    person = getattr(cfg.reports.signatories, role)
    if person.pkcs12 is None:
        raise SigningError("no_cert", lang, role=role)
    p12 = cfg.resolve(person.pkcs12)
    try:
        data = p12.read_bytes()
    except OSError as exc:
        raise SigningError("p12_missing", lang, path=p12, why=exc.strerror or exc, role=role) from None
    secret = password
    if secret is None and person.password_env:
        env = os.environ.get(person.password_env)
        if env is None:
            raise SigningError("no_password", lang, env=person.password_env, role=role)
        secret = env.encode()
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, secret or None)  # no copy of a bytearray
    except (ValueError, TypeError):
        key = cert = None
    if key is None or cert is None:
        if password and _opens_without_password(data):
            # A typed password must protect the key: a file anyone can open would make the console's
            # password field a formality (the CLI may still use it, with no password_env).
            raise SigningError("p12_unprotected", lang, path=p12, role=role)
        raise SigningError("bad_password", lang, path=p12, role=role)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise SigningError("expired", lang, path=p12, subject=cert.subject.rfc4514_string(), role=role,
                           start=f"{cert.not_valid_before_utc:%Y-%m-%d}", end=f"{cert.not_valid_after_utc:%Y-%m-%d}")
    signer = SimpleSigner(
        signing_cert=x509.Certificate.load(cert.public_bytes(Encoding.DER)),
        signing_key=keys.PrivateKeyInfo.load(key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs(
            [x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in extra or []]))
    return person, signer


def _opens_without_password(data: bytes) -> bool:
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        return pkcs12.load_key_and_certificates(data, None)[0] is not None
    except (ValueError, TypeError):
        return False


def _legacy_slot(cfg: Any, path: Path, fields: dict[str, bool], role: str, lang: str) -> pdfa.SigSlot:
    """A report made before the signature fields existed: order from its file name, box from its text."""
    roles = next((r for prefix, r in pdfa.SIGNING_ORDER.items() if path.name.startswith(prefix)), ())
    if role not in roles:
        raise SigningError("no_field", lang, file=path, role=role, roles=", ".join(roles) or "-")
    order = roles.index(role) + 1
    if fields.get(pdfa.field_name(order, role)):
        raise SigningError("already", lang, file=path, role=role)
    missing = [r for i, r in enumerate(roles[: order - 1], 1) if not fields.get(pdfa.field_name(i, r))]
    if missing:
        raise SigningError("order", lang, file=path, role=role, missing=", ".join(missing))
    names = {r: getattr(cfg.reports.signatories, r).name for r in roles}
    rank = [r for r in roles if not names[r]].index(role) if not names[role] else 0
    slot = pdfa.slot_from_text(path, order, role, names[role], rank)
    if slot is None:
        raise SigningError("no_field", lang, file=path, role=role, roles="-")
    return slot


def _legacy(fields: dict[str, bool]) -> bool:
    """Only filled fields of ours and no empty one: the fields were added at signing (a legacy report)."""
    ours = [filled for name, filled in fields.items() if pdfa.parse_field_name(name)]
    return bool(ours) and all(ours)


def _check_order(path: Path, fields: dict[str, bool], role: str, lang: str) -> str:
    ours = sorted((p, name) for name in fields if (p := pdfa.parse_field_name(name)))
    mine = next((name for (_, r), name in ours if r == role), None)
    if mine is None:
        raise SigningError("no_field", lang, file=path, role=role, roles=", ".join(r for (_, r), _ in ours) or "-")
    if fields[mine]:
        raise SigningError("already", lang, file=path, role=role)
    order = pdfa.parse_field_name(mine)[0]
    missing = [r for (o, r), name in ours if o < order and not fields[name]]
    if missing:
        raise SigningError("order", lang, file=path, role=role, missing=", ".join(missing))
    return mine


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """One signature at a time per folder: two signatories (or two console requests) signing the same file
    would otherwise both start from the same bytes and the second rename would drop the first signature."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def sign_report(cfg: Any, path: Path, role: str, *, lang: str = "id", now: datetime | None = None,
                password: bytes | bytearray | None = None) -> Path:
    """Sign `path` in place as `role`: checks first (certificate, order, earlier signatures intact), then
    one incremental update written to a temp file and renamed, so a failure leaves the file as it was.
    `password`: the PKCS#12 password (else `password_env`); the caller owns and wipes it."""
    _quiet_libraries()
    now = now or datetime.now(UTC)
    path = Path(path)
    person, signer = load_signer(cfg, role, lang, now, password)
    with _folder_lock(path.parent if path.parent.is_dir() else Path(".")):
        return _sign_locked(cfg, path, role, person, signer, lang, now)


def _sign_locked(cfg: Any, path: Path, role: str, person: Any, signer: Any, lang: str, now: datetime) -> Path:
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.sign import fields as sigfields
    from pyhanko.sign import signers, timestamps
    from pyhanko.stamp import TextStampStyle

    reader = _reader(path)
    fields = _fields(reader)
    new_field = None
    if any(pdfa.parse_field_name(name) for name in fields) and not _legacy(fields):
        field = _check_order(path, fields, role, lang)
    else:
        new_field = _legacy_slot(cfg, path, fields, role, lang)
        field = new_field.field_name
    broken = [s.field for s in signature_status(path) if not s.intact or s.modified_after]
    if broken:
        raise SigningError("broken", lang, file=path, fields=", ".join(broken))
    local = now.astimezone()
    lines = [t("stamp_signed_by", lang), person.name or signer.subject_name,
             f"NIP. {person.nip}" if person.nip else "",
             person.title or t("role_operator_web" if role == "operator" else "role_" + role, lang),
             t("stamp_date", lang, date=f"{local:%Y-%m-%d %H:%M %Z}".strip())]
    if not cfg.reports.tsa_url:
        lines.append(t("stamp_no_tsa", lang))
    meta = signers.PdfSignatureMetadata(
        field_name=field, md_algorithm="sha256", subfilter=sigfields.SigSeedSubFilter.PADES,
        name=person.name or None, reason=t("sign_reason_" + role, lang),
        location=cfg.reports.organisation or None)
    timestamper = timestamps.HTTPTimeStamper(cfg.reports.tsa_url) if cfg.reports.tsa_url else None
    text = "\n".join(x for x in lines if x)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out, tempfile.TemporaryDirectory(prefix="ppid-stamp-") as font_dir:
            font = GlyphAccumulatorFactory(_stamp_font(text, Path(font_dir)), font_size=STAMP_PT,
                                           create_objstream_if_needed=False)
            style = TextStampStyle(stamp_text=text.replace("%", "%%"), border_width=1, background=None,
                                   text_box_style=TextBoxStyle(font=font, font_size=STAMP_PT, leading=STAMP_PT + 2))
            spec = None if new_field is None else sigfields.SigFieldSpec(
                sig_field_name=new_field.field_name, on_page=new_field.page, box=new_field.box)
            pdf_signer = signers.PdfSigner(meta, signer=signer, stamp_style=style, timestamper=timestamper,
                                           new_field_spec=spec)
            writer = IncrementalPdfFileWriter(BytesIO(path.read_bytes()), strict=False)
            pdf_signer.sign_pdf(writer, output=out)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except InputError:
        Path(tmp).unlink(missing_ok=True)
        raise
    except Exception as exc:  # TSA unreachable, a key the signer cannot use...: nothing half-signed is kept
        Path(tmp).unlink(missing_ok=True)
        raise SigningError("failed", lang, file=path, why=f"{type(exc).__name__}: {exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
