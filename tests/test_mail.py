"""Mail delivery against a real SMTP server on 127.0.0.1 (aiosmtpd): STARTTLS with login, implicit TLS,
plain; recipients per report kind, attachments, and that no personal data leaves unmasked."""

from __future__ import annotations

import email
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from auditor import mail
from auditor.certs import make_ca, make_leaf, write_pair
from auditor.config import config_from_dict
from auditor.errors import ConfigError
from auditor.scheduler import Scheduler, SimulatedClock
from checks.base import Finding, Severity
from tests.servers import free_port

NIK = "3403015708900001"
PERSONAL_EMAIL = "budi.santoso.pribadi@gmail.com"
ATASAN, KETUA, KASI = "lurah@katongan.desa.example", "carik@katongan.desa.example", "kasi@katongan.desa.example"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    tls: bool
    login: str | None

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=default_policy)  # type: ignore[return-value]


@dataclass
class Sink:
    received: list[Received] = field(default_factory=list)
    logins: dict[int, str] = field(default_factory=dict)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        tls = server.transport.get_extra_info("ssl_object") is not None
        auth = getattr(session, "auth_data", None)
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      envelope.original_content or envelope.content, tls, login))
        return "250 OK"


@contextmanager
def smtp_sink(*, tls_files: tuple[Path, Path] | None = None, implicit_tls: bool = False,
              credentials: tuple[str, str] | None = None) -> Iterator[tuple[Sink, int]]:
    """A real SMTP server on 127.0.0.1 that keeps every message it accepts."""
    sink = Sink()
    kwargs: dict[str, Any] = {}
    server_ctx = None
    if tls_files:
        server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_ctx.load_cert_chain(*tls_files)
        if implicit_tls:
            kwargs["ssl_context"] = server_ctx
        else:
            kwargs.update(tls_context=server_ctx, require_starttls=True)
    if credentials:
        def authenticator(_server, _session, _envelope, _mechanism, data) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == credentials
            return AuthResult(success=ok, handled=False, auth_data=data)  # handled=False: server sends 535
        kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=bool(tls_files))
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, ready_timeout=10, **kwargs)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    d = tmp_path_factory.mktemp("smtp-tls")
    ca = make_ca()
    ca_crt, _ = write_pair(ca, d, "ca")
    crt, key = write_pair(make_leaf(ca, ["localhost", "127.0.0.1"]), d, "smtp", chain=[])
    return crt, key, ca_crt


def make_config(tmp_path: Path, smtp: dict[str, Any], **mail_extra: Any):
    raw = {
        "sites": [{"name": "katongan", "url": "http://127.0.0.1:9/"}],
        "checks": {"enabled": ["links"]},
        "storage": {"database": str(tmp_path / "var" / "db.sqlite")},
        "reports": {"output_dir": str(tmp_path / "out"), "organisation": "PPID Kalurahan Katongan",
                    "signatories": {"atasan_ppid": {"name": "Sutarno", "email": ATASAN},
                                    "ketua_ppid": {"name": "Bambang", "email": KETUA},
                                    "kepala_seksi": {"name": "Suryani", "email": KASI}}},
        "schedule": {"report_formats": ["html", "pdf"]},
        "mail": {"enabled": True, "sender": "ppid-auditor@katongan.desa.example", "smtp": smtp, **mail_extra},
    }
    return config_from_dict(raw, base_dir=tmp_path)


def texts(msg: EmailMessage) -> str:
    """Every decoded text part and header: what a reader of the mail can see."""
    out = [f"{k}: {v}" for k, v in msg.items()]
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            out.append(part.get_content())
    return "\n".join(out)


def test_monthly_report_over_starttls_with_login(tmp_path: Path, tls_pair, monkeypatch) -> None:
    crt, key, ca_crt = tls_pair
    monkeypatch.setenv("PPID_TEST_SMTP_PASSWORD", "rahasia-uji")
    with smtp_sink(tls_files=(crt, key), credentials=("ppid", "rahasia-uji")) as (sink, port):
        cfg = make_config(tmp_path, {"host": "127.0.0.1", "port": port, "security": "starttls",
                                     "username": "ppid", "password_env": "PPID_TEST_SMTP_PASSWORD",
                                     "ca_file": str(ca_crt), "timeout_s": 10})
        sched = Scheduler(cfg, clock=SimulatedClock(datetime(2026, 6, 1, 8, 0)))
        files = sched.deliver("monthly", "2026-05")  # the real report renderer, HTML + PDF
        assert sched.deliver("monthly", "2026-05") == files  # already made and mailed: nothing sent again
    assert sorted(p.suffix for p in files) == [".html", ".pdf"]
    assert len(sink.received) == 1
    got = sink.received[0]
    assert got.rcpt_tos == [ATASAN] and got.tls and got.login == "ppid"
    msg = got.message
    assert msg["To"] == ATASAN and "2026" in msg["Subject"] and "Bulanan" in msg["Subject"]
    attachments = {p.get_filename(): p for p in msg.iter_attachments()}
    assert set(attachments) == {p.name for p in files}
    pdf = next(p for n, p in attachments.items() if n.endswith(".pdf"))
    assert pdf.get_content_type() == "application/pdf" and pdf.get_content().startswith(b"%PDF")
    html = next(p for n, p in attachments.items() if n.endswith(".html"))
    assert html.get_content_type() == "text/html"
    assert sched.state.get("mails", "monthly", "2026-05")["to"] == [ATASAN]


def test_semiannual_report_over_implicit_tls_goes_to_ketua(tmp_path: Path, tls_pair) -> None:
    crt, key, ca_crt = tls_pair
    report = tmp_path / "laporan-semester-2026-H1.pdf"
    report.write_bytes(b"%PDF-1.4\n% generated in the test\n%%EOF\n")
    with smtp_sink(tls_files=(crt, key), implicit_tls=True) as (sink, port):
        cfg = make_config(tmp_path, {"host": "127.0.0.1", "port": port, "security": "ssl",
                                     "ca_file": str(ca_crt), "timeout_s": 10})
        accepted = mail.send_report(cfg, "semiannual", "2026-H1", [report])
    assert accepted == [KETUA]
    (got,) = sink.received
    assert got.rcpt_tos == [KETUA] and got.tls
    assert [p.get_filename() for p in got.message.iter_attachments()] == [report.name]


def test_untrusted_server_certificate_is_refused(tmp_path: Path, tls_pair) -> None:
    crt, key, _ = tls_pair
    with smtp_sink(tls_files=(crt, key)) as (sink, port):
        cfg = make_config(tmp_path, {"host": "127.0.0.1", "port": port, "security": "starttls", "timeout_s": 10})
        with pytest.raises(mail.MailError, match="failed"):
            mail.send_report(cfg, "monthly", "2026-05", [])
    assert sink.received == []


def alert_findings() -> list[Finding]:
    return [
        Finding("personal_data", "pii.nik", Severity.HIGH, f"NIK terpampang: {NIK}",
                url=f"http://127.0.0.1:9/data/penduduk.html?nik={NIK}",
                evidence=f"NIK {NIK} milik warga, kontak {PERSONAL_EMAIL}, telp 0812-3456-7890",
                remediation="Hapus data pribadi dari halaman.", title_en=f"National ID exposed: {NIK}"),
        Finding("tls", "tls.cert.expired", Severity.CRITICAL, "Sertifikat kedaluwarsa",
                url="https://127.0.0.1:9/", evidence="notAfter 2026-01-01"),
    ]


def test_alert_masks_personal_data_and_goes_to_alert_recipients(tmp_path: Path) -> None:
    with smtp_sink() as (sink, port):
        cfg = make_config(tmp_path, {"host": "127.0.0.1", "port": port, "security": "none"},
                          recipients={"alerts": ["operator@katongan.desa.example"]})
        accepted = mail.send_alert(cfg, cfg.sites[0], "run-1", alert_findings(), datetime.now(UTC))
    assert accepted == ["operator@katongan.desa.example"]
    (got,) = sink.received
    visible = texts(got.message)
    for secret in (NIK, PERSONAL_EMAIL, "081234567890", "0812-3456-7890"):
        assert secret not in visible and secret.encode() not in got.raw
    assert "3403**********01" in visible  # the evidence is in the mail, masked
    assert "pii.nik" in visible and "tls.cert.expired" in visible
    assert "KRITIS" in got.message["Subject"]


def test_alert_selection_new_only_and_rule_patterns(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, {"host": "127.0.0.1"})
    found = alert_findings() + [
        Finding("personal_data", "pii.document.unscannable", Severity.INFO, "Dokumen hasil pindai"),
        Finding("headers", "headers.csp.missing", Severity.MEDIUM, "CSP tidak ada"),
    ]
    lifecycle = {f.fingerprint: "new" for f in found}
    assert [f.rule for f in mail.alert_findings(found, lifecycle, cfg.mail.alerts)] == \
        ["tls.cert.expired", "pii.nik"]
    lifecycle[found[0].fingerprint] = "open"  # seen before: no second alert
    lifecycle[found[1].fingerprint] = "reopened"  # came back after a fix: alert again
    assert [f.rule for f in mail.alert_findings(found, lifecycle, cfg.mail.alerts)] == ["tls.cert.expired"]


def test_recipient_defaults_come_from_the_signatories(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, {"host": "127.0.0.1"})
    assert mail.report_recipients(cfg, "monthly") == [ATASAN]
    assert mail.report_recipients(cfg, "semiannual") == [KETUA]
    assert mail.alert_recipients(cfg) == [KETUA, KASI]
    cfg2 = make_config(tmp_path, {"host": "127.0.0.1"}, recipients={"monthly": ["a@x.id", "b@x.id"]})
    assert mail.report_recipients(cfg2, "monthly") == ["a@x.id", "b@x.id"]
    cfg2.reports.signatories.ketua_ppid.email = ""
    with pytest.raises(mail.MailError, match="mail.recipients.semiannual"):
        mail.build_report_message(cfg2, "semiannual", "2026-H1", [])


def test_password_only_from_the_named_environment_variable(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("PPID_TEST_SMTP_MISSING", raising=False)
    cfg = make_config(tmp_path, {"host": "127.0.0.1", "port": free_port(), "username": "ppid",
                                 "password_env": "PPID_TEST_SMTP_MISSING"})
    with pytest.raises(mail.MailError, match="PPID_TEST_SMTP_MISSING is not set"):
        mail.send_report(cfg, "monthly", "2026-05", [])
    cfg = make_config(tmp_path, {"host": "127.0.0.1", "username": "ppid"})
    with pytest.raises(mail.MailError, match="password_env"):
        mail.send_report(cfg, "monthly", "2026-05", [])
    with pytest.raises(ConfigError, match=r"mail\.smtp\.password: unknown key"):
        make_config(tmp_path, {"host": "127.0.0.1", "password": "in-the-file"})


def test_non_loopback_smtp_is_refused_in_tests(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, {"host": "192.0.2.25", "security": "none"})
    with pytest.raises(mail.MailError, match="loopback"):
        mail.send_report(cfg, "monthly", "2026-05", [])


def test_mail_config_errors_name_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"mail\.recipients\.alerts: .*not an e-mail address"):
        make_config(tmp_path, {"host": "127.0.0.1"}, recipients={"alerts": ["bukan-alamat"]})
    with pytest.raises(ConfigError, match=r"mail\.smtp\.security"):
        make_config(tmp_path, {"host": "127.0.0.1", "security": "tls13"})


def test_wrong_password_is_a_clear_error(tmp_path: Path, tls_pair, monkeypatch) -> None:
    crt, key, ca_crt = tls_pair
    monkeypatch.setenv("PPID_TEST_SMTP_PASSWORD", "salah")
    with smtp_sink(tls_files=(crt, key), credentials=("ppid", "rahasia-uji")) as (sink, port):
        cfg = make_config(tmp_path, {"host": "127.0.0.1", "port": port, "username": "ppid",
                                     "password_env": "PPID_TEST_SMTP_PASSWORD", "ca_file": str(ca_crt),
                                     "timeout_s": 10})
        with pytest.raises(mail.MailError, match="SMTPAuthenticationError"):
            mail.send_report(cfg, "monthly", "2026-05", [])
    assert sink.received == []
