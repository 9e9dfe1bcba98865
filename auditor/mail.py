"""E-mail delivery over SMTP: evaluation reports to the signatories and immediate alerts.

Monthly reports go to the Atasan PPID, six-monthly ones to the Ketua PPID, alerts for new critical
findings (expired certificate, personal data exposed) to `mail.recipients.alerts`. The SMTP password only
ever comes from the environment variable named in `mail.smtp.password_env`. Every text taken from a
finding passes through `auditor.redact.redact_text`, even though evidence is masked when it is made:
a mail leaves the machine, so it gets the safety net twice.
"""

from __future__ import annotations

import fnmatch
import logging
import mimetypes
import os
import smtplib
import ssl
from collections.abc import Iterable
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from auditor.catalogue import t
from auditor.config import Config, MailAlerts, SiteConfig, SmtpConfig
from auditor.errors import AuditorError
from auditor.http import guard_target
from auditor.redact import redact_text
from checks.base import Finding, Severity

log = logging.getLogger("ppid_auditor.mail")

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
ALERT_LIFECYCLES = ("new", "reopened")  # a finding that (re)appeared in this run



class MailError(AuditorError):
    """A mail could not be built or delivered (SMTP refused, password variable missing...)."""


# -- who gets what -----------------------------------------------------------------------------------
def _clean(addresses: Iterable[str]) -> list[str]:
    out: list[str] = []
    for a in addresses:
        a = (a or "").strip()
        if a and a not in out:
            out.append(a)
    return out


def report_recipients(cfg: Config, kind: str) -> list[str]:
    """Explicit `mail.recipients.<kind>`, else the signatory the report is addressed to."""
    sig = cfg.reports.signatories
    if kind == "monthly":
        return _clean(cfg.mail.recipients.monthly or [sig.atasan_ppid.email])
    if kind == "semiannual":
        return _clean(cfg.mail.recipients.semiannual or [sig.ketua_ppid.email])
    raise MailError(f"unknown report kind {kind!r}")


def alert_recipients(cfg: Config) -> list[str]:
    sig = cfg.reports.signatories
    return _clean(cfg.mail.recipients.alerts or [sig.ketua_ppid.email, sig.kepala_seksi.email])


def is_alert(finding: Finding, alerts: MailAlerts) -> bool:
    """Does this finding warrant an immediate mail (by rule pattern, minus the ignore list)?"""
    if any(fnmatch.fnmatchcase(finding.rule, p) for p in alerts.ignore):
        return False
    return any(fnmatch.fnmatchcase(finding.rule, p) for p in alerts.rules)


def alert_findings(findings: Iterable[Finding], lifecycle: dict[str, str], alerts: MailAlerts,
                   suppressed: Iterable[str] = ()) -> list[Finding]:
    """Findings of one run that are alert-worthy AND new (or reopened) in that run, minus the fingerprints
    a triage decision suppresses (a false positive that came back, an accepted risk)."""
    hidden = set(suppressed)
    out = [f for f in findings if lifecycle.get(f.fingerprint) in ALERT_LIFECYCLES and is_alert(f, alerts)
           and f.fingerprint not in hidden]
    return sorted(out, key=lambda f: (-f.severity, f.rule, f.url))


# -- building messages -------------------------------------------------------------------------------
def _period_label(kind: str, key: str, lang: str) -> str:
    try:  # nicer labels when the reports package provides them; the key is always correct
        from reports import i18n

        return i18n.month_label(key, lang) if kind == "monthly" else i18n.half_label(key, lang)
    except Exception:
        return key


def _new_message(cfg: Config, to: list[str], subject: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = cfg.mail.sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    domain = cfg.mail.sender.rpartition("@")[2].strip(">") or "localhost"
    msg["Message-ID"] = make_msgid(domain=domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to a robot
    return msg


def _attach(msg: EmailMessage, path: Path) -> None:
    ctype = {".pdf": "application/pdf", ".html": "text/html"}.get(path.suffix.lower()) \
        or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    maintype, subtype = ctype.split("/", 1)
    msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)


def build_report_message(cfg: Config, kind: str, period_key: str, files: list[Path]) -> EmailMessage:
    to = report_recipients(cfg, kind)
    if not to:
        who = "atasan_ppid" if kind == "monthly" else "ketua_ppid"
        raise MailError(f"no recipient for the {kind} report: set mail.recipients.{kind} or "
                        f"reports.signatories.{who}.email")
    title_id, title_en = t("mail_kind_" + kind, "id"), t("mail_kind_" + kind, "en")
    label_id, label_en = _period_label(kind, period_key, "id"), _period_label(kind, period_key, "en")
    org = cfg.reports.organisation
    msg = _new_message(cfg, to, f"[{org}] {title_id} {label_id}")
    sig = cfg.reports.signatories.atasan_ppid if kind == "monthly" else cfg.reports.signatories.ketua_ppid
    names = ", ".join(p.name for p in files)
    body = (
        f"Yth. {sig.title or sig.name or ('Atasan PPID' if kind == 'monthly' else 'Ketua PPID')},\n\n"
        f"Terlampir {title_id} {org} untuk periode {label_id}, dibuat otomatis oleh ppid-auditor dari "
        f"hasil pemindaian website yang tersimpan.\n\nLampiran: {names}\n\n"
        f"Surel ini dikirim otomatis; mohon tidak dibalas.\n\n"
        f"-- English --\nAttached is the {title_en} of {org} for {label_en}, generated automatically by "
        f"ppid-auditor from the stored website scans.\nAttachments: {names}\n"
    )
    msg.set_content(body)
    for path in files:
        _attach(msg, path)
    return msg


def _finding_block(f: Finding, lang: str) -> str:
    title, remediation = f.localized(lang)
    lines = [f"- [{f.severity.label.upper()}] {f.rule}: {redact_text(title)}"]
    if f.url:
        lines.append(f"  URL: {redact_text(f.url)}")
    if f.evidence:
        lines.append(("  Bukti: " if lang == "id" else "  Evidence: ") + redact_text(f.evidence))
    if remediation:
        lines.append(("  Perbaikan: " if lang == "id" else "  Fix: ") + redact_text(remediation))
    return "\n".join(lines)


def build_alert_message(cfg: Config, site: SiteConfig, run_id: str, findings: list[Finding],
                        when: datetime) -> EmailMessage:
    to = alert_recipients(cfg)
    if not to:
        raise MailError("no recipient for alerts: set mail.recipients.alerts or "
                        "reports.signatories.ketua_ppid.email")
    n = len(findings)
    top = t(max((f.severity for f in findings), default=Severity.INFO).label, "id").upper()
    msg = _new_message(cfg, to, f"[{cfg.reports.organisation}] PERINGATAN {top}: {n} temuan baru di "
                                f"{site.name} / ALERT: {n} new finding(s)")
    msg["X-Priority"] = "1"
    stamp = when.strftime("%Y-%m-%d %H:%M %Z").strip()
    body = [
        f"Pemindaian {run_id} atas {site.url} ({stamp}) menemukan {n} temuan penting yang BARU muncul. "
        "Mohon segera ditindaklanjuti; data pribadi di bawah sudah disamarkan.",
        "",
        *(_finding_block(f, "id") for f in findings),
        "",
        "-- English --",
        f"Scan {run_id} of {site.url} ({stamp}) found {n} new critical finding(s). Please act now; "
        "personal data below is masked.",
        "",
        *(_finding_block(f, "en") for f in findings),
        "",
        "Surel ini dikirim otomatis oleh ppid-auditor. / Sent automatically by ppid-auditor.",
    ]
    msg.set_content("\n".join(body))
    return msg


# -- sending ------------------------------------------------------------------------------------------
def _password(smtp_cfg: SmtpConfig) -> str | None:
    if not smtp_cfg.password_env:
        if smtp_cfg.username:
            raise MailError("mail.smtp.username is set but mail.smtp.password_env is not: name the "
                            "environment variable that holds the SMTP password")
        return None
    value = os.environ.get(smtp_cfg.password_env)
    if value is None:
        raise MailError(f"mail.smtp.password_env: environment variable {smtp_cfg.password_env} is not set")
    return value


def _tls_context(smtp_cfg: SmtpConfig, base_dir: Path) -> ssl.SSLContext:
    cafile = None
    if smtp_cfg.ca_file is not None:
        cafile = smtp_cfg.ca_file if smtp_cfg.ca_file.is_absolute() else base_dir / smtp_cfg.ca_file
    return ssl.create_default_context(cafile=str(cafile) if cafile else None)


def send(cfg: Config, msg: EmailMessage) -> list[str]:
    """Deliver `msg` through the configured SMTP server; returns the accepted recipients."""
    smtp_cfg = cfg.mail.smtp
    port = smtp_cfg.port or DEFAULT_PORTS[smtp_cfg.security]
    try:
        guard_target(f"smtp://{smtp_cfg.host}:{port}/")
    except AuditorError as exc:
        raise MailError(str(exc)) from None
    password = _password(smtp_cfg)
    recipients = [a.strip() for a in str(msg["To"]).split(",") if a.strip()]
    where = f"{smtp_cfg.host}:{port}"
    try:
        ctx = _tls_context(smtp_cfg, cfg.base_dir) if smtp_cfg.security != "none" else None
        if smtp_cfg.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(smtp_cfg.host, port, timeout=smtp_cfg.timeout_s, context=ctx)
        else:
            client = smtplib.SMTP(smtp_cfg.host, port, timeout=smtp_cfg.timeout_s)
        with client:
            if smtp_cfg.security == "starttls":
                client.starttls(context=ctx)
            if smtp_cfg.username:
                client.login(smtp_cfg.username, password or "")
            refused = client.send_message(msg, to_addrs=recipients)
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        raise MailError(f"mail to {', '.join(recipients)} via {where} failed: {type(exc).__name__}: {exc}") \
            from None
    accepted = [r for r in recipients if r not in refused]
    log.info("mail %r sent via %s to %s", str(msg["Subject"]), where, ", ".join(accepted))
    return accepted


def send_report(cfg: Config, kind: str, period_key: str, files: list[Path]) -> list[str]:
    return send(cfg, build_report_message(cfg, kind, period_key, files))


def send_alert(cfg: Config, site: SiteConfig, run_id: str, findings: list[Finding], when: datetime) -> list[str]:
    return send(cfg, build_alert_message(cfg, site, run_id, findings, when))
