"""`ppid-audit sign FILE.pdf --as ROLE` and `ppid-audit verify-report FILE.pdf` (electronic signatures on
the reports, docs/reports.md). Exit codes of verify-report: 0 every signature intact and nothing changed
after the last one, 1 a signature broken/untrusted or the file changed after it (or no signature), 2 the
file cannot be read."""

from __future__ import annotations

import argparse
from pathlib import Path

from auditor.catalogue import t
from auditor.commands import _common
from auditor.errors import InputError

ROLES = ("operator", "kepala_seksi", "ketua_ppid", "atasan_ppid")


def add_sign_options(p: argparse.ArgumentParser, *, required: bool) -> None:
    p.add_argument("--as", dest="sign_as", choices=ROLES, required=required, metavar="ROLE",
                   help="signatory role: " + ", ".join(ROLES) + " (reports.signatories.ROLE.pkcs12)")


def register(sub, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sign", parents=parents, help="tanda tangani laporan PDF (PAdES) sebagai ROLE")
    p.add_argument("file", metavar="FILE.pdf")
    add_sign_options(p, required=True)
    p.set_defaults(func=run_sign)
    v = sub.add_parser("verify-report", parents=parents,
                       help="periksa tanda tangan elektronik laporan PDF (0 utuh, 1 rusak/diubah, 2 tak terbaca)")
    v.add_argument("file", metavar="FILE.pdf")
    v.set_defaults(func=run_verify)


def sign_files(cfg, paths: list[Path], role: str, lang: str, quiet: bool) -> None:
    from reports.signing import sign_report

    person = getattr(cfg.reports.signatories, role)
    for path in paths:
        if path.suffix.lower() != ".pdf":
            continue
        sign_report(cfg, path, role, lang=lang)
        if not quiet:
            print(t("sign_done", lang, file=path, role=role, name=person.name or "-"))


def run_sign(args: argparse.Namespace) -> int:
    cfg = _common.config(args)
    lang = _common.lang(args, cfg)
    path = Path(args.file)
    if path.suffix.lower() != ".pdf":
        raise InputError(t("sign_err_not_pdf", lang, file=path))
    sign_files(cfg, [path], args.sign_as, lang, args.quiet)
    return 0


def _when(s, lang: str) -> str:
    if s.timestamp_at is not None:
        return f"{s.timestamp_at:%Y-%m-%d %H:%M:%S %Z} {t('verify_tsa', lang)}"
    if s.signed_at is not None:
        return f"{s.signed_at:%Y-%m-%d %H:%M:%S %Z} {t('verify_signer_time', lang)}"
    return "-"


def run_verify(args: argparse.Namespace) -> int:
    from rich.table import Table

    from reports.signing import signature_status, verdict

    # The config is optional here: a report can be checked on any machine (no trust anchors then).
    cfg = None
    try:
        cfg = _common.config(args)
    except Exception:
        if args.config:
            raise
    lang = _common.lang(args, cfg)
    anchors = [cfg.resolve(p) for p in cfg.reports.trust_anchors] if cfg else []
    sigs = signature_status(Path(args.file), anchors)
    con = _common.console()
    con.print(t("verify_title", lang, file=args.file))
    if not sigs:
        con.print(t("verify_none", lang))
        return 1
    yes, no = t("verify_yes", lang), t("verify_no", lang)
    table = Table(*(t("verify_col_" + c, lang) for c in ("no", "role", "signer", "subject", "issuer", "time",
                                                        "intact", "changed", "trust")))
    for i, s in enumerate(sigs, 1):
        trust = t("verify_trust_unset", lang) if s.trusted is None else (yes if s.trusted else no)
        table.add_row(str(i), s.role or s.field, s.signer, s.subject, s.issuer, _when(s, lang),
                      yes if s.intact else no, yes if s.modified_after else no, trust)
    con.print(table)
    if not anchors:
        con.print(t("verify_trust_note", lang))
    if not sigs[-1].whole_file:
        con.print(t("verify_appended", lang))
    code = verdict(sigs)
    con.print(t("verify_ok" if code == 0 else "verify_bad", lang))
    return code
