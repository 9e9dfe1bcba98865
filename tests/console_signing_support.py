"""The console's signing world (no tests here): the console test store (tests/console_support.py), a CA and one
PKCS#12 file per signatory role made with `cryptography` (tests/signing_pki.py), each with its own password,
and a real monthly report PDF of desa-a written by the report code. No `password_env`: the console path is
the password typed in the form."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from auditor.config import load_config
from tests.console_support import ConsoleEnv, make_env
from tests.signing_pki import Pki, make_ca, make_signer

ROLES = ("operator", "kepala_seksi", "ketua_ppid", "atasan_ppid")
ORDER = ("kepala_seksi", "ketua_ppid", "atasan_ppid")  # the monthly report's SOP order
NAMES = {"operator": "Sri Operator", "kepala_seksi": "Suryani Contoh", "ketua_ppid": "Bambang Rekaan",
         "atasan_ppid": "Sutarno Rekaan"}
# Distinctive, so a test can grep the store, the logs and every response for them.
PASSWORDS = {"operator": "Sandi-Operator-4417", "kepala_seksi": "Sandi-Kasi-7391-tte",
             "ketua_ppid": "Sandi-Ketua-2286-tte", "atasan_ppid": "Sandi-Atasan-9053-tte"}


@dataclass
class SignEnv:
    env: ConsoleEnv
    pki: Pki
    pdf: Path  # the monthly report of desa-a, unsigned
    tmp: Path

    @property
    def cfg(self) -> Any:
        return self.env.cfg

    def world(self) -> dict[str, Any]:
        """The shape tests/signing_world.pdfsig wants."""
        return {"tmp": self.tmp, "pki": self.pki}


def make_sign_env(root: Path, *, signatories: dict[str, dict[str, Any]] | None = None,
                  report: bool = True, extra_users: dict[str, tuple[str, str]] | None = None) -> SignEnv:
    """`signatories`: per-role overrides of the config block (e.g. `{"atasan_ppid": {"pkcs12": None}}`)."""
    env = make_env(root / "console", populate_days=2, extra_users=extra_users)
    pki = make_ca(root / "pki")
    raw = yaml.safe_load(env.config_path.read_text())
    block = raw.setdefault("reports", {}).setdefault("signatories", {})
    for role in ROLES:
        p12 = make_signer(pki, root / "pki", NAMES[role], password=PASSWORDS[role])
        block[role] = {"name": NAMES[role], "nip": "19700101 199003 1 001", "pkcs12": str(p12),
                       **(signatories or {}).get(role, {})}
        if block[role]["pkcs12"] is None:
            del block[role]["pkcs12"]
    raw["reports"]["trust_anchors"] = [str(pki.ca_pem)]
    env.config_path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    env = replace(env, cfg=load_config(str(env.config_path)))
    pdf = root / "none.pdf"
    if report:
        from reports import periods
        from reports.render import write_report

        store = env.store()
        try:
            pdf = next(p for p in write_report(env.cfg, store, "monthly", periods.default_key("monthly"),
                                               formats=("pdf",), site="desa-a") if p.suffix == ".pdf")
        finally:
            store.close()
    return SignEnv(env, pki, pdf, root)


def pyhanko_valid(path: Path, pki: Pki) -> list[Any]:
    """pyHanko's own validator on every signature, the test CA as the only trust root: the statuses."""
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    ca = x509.Certificate.load(pem.unarmor(pki.ca_pem.read_bytes())[2])
    with path.open("rb") as fh:
        reader = PdfFileReader(fh)
        return [validate_pdf_signature(emb, ValidationContext(trust_roots=[ca], allow_fetching=False))
                for emb in reader.embedded_signatures]
