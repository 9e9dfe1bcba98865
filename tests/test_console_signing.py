"""Signing reports from the console (issue 22) through the Flask test client, on a real monthly report PDF
and per-role PKCS#12 files from a CA made here (tests/console_signing_support.py): the full status of each
signature on the reports page, the sign form only for the role whose turn it is, and every refusal leaving
the PDF byte-for-byte unchanged with one clear message: wrong password, a role signing for another (admin
included), out of SOP order, no CSRF token, certificate missing/expired/unreadable/without password, the
throttle on wrong passwords (per user), and the password found nowhere in the store, the logs or the
responses. The three roles signing in a real browser: tests/test_console_signing_browser.py."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import html as lxml_html

from auditor import triage
from auditor.console import create_app, signing
from auditor.store import iso
from reports.signing import signature_status
from tests.console_signing_support import NAMES, PASSWORDS, make_sign_env
from tests.console_support import csrf_of, login
from tests.signing_pki import make_signer

pytestmark = pytest.mark.slow
WRONG = "Tebakan-Salah-5512-xyz"  # a distinctive wrong password, grepped for like the right ones


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    se = make_sign_env(tmp_path_factory.mktemp("console-signing"),
                       extra_users={"kasi2": ("kepala_seksi", ""), "kasi-b": ("kepala_seksi", "desa-b")})
    return se, se.pdf.read_bytes()


@pytest.fixture()
def se(world):
    """The world with the report unsigned again and an empty signing trail (each test starts fresh)."""
    se, original = world
    se.pdf.write_bytes(original)
    for extra in se.pdf.parent.glob("laporan-bulanan-2020-*"):
        extra.unlink()
    store = se.env.store()
    try:
        with store.tx() as db:
            db.execute("DELETE FROM decision_events WHERE kind IN (?,?)", signing.KINDS)
    finally:
        store.close()
    return se


def app_for(cfg):
    app = create_app(cfg)
    app.config["TESTING"] = False  # errors as pages, as in production
    return app


@pytest.fixture()
def app(se):
    app = app_for(se.cfg)
    yield app
    app.extensions["ppid_store"].close()


def client_as(app, name: str):
    client = app.test_client()
    assert login(client, name).status_code == 303
    return client


def post_sign(client, se, password: str | None, *, role: str | None = None, token: bool = True, name=None):
    data = {}
    if token:
        data["csrf_token"] = csrf_of(client.get("/laporan").data)
    if password is not None:
        data["password"] = password
    if role is not None:
        data["role"] = role
    return client.post(f"/laporan/tandatangan/{name or se.pdf.name}", data=data)


def sign_ok(app, se, role: str) -> None:
    resp = post_sign(client_as(app, role), se, PASSWORDS[role], role=role)
    assert resp.status_code == 303, resp.data.decode()[:2000]
    assert resp.headers["Location"] == f"/laporan?signed={se.pdf.name}"


def message(resp) -> str:
    node = lxml_html.fromstring(resp.data.decode()).get_element_by_id("sign-error")
    return " ".join(node.text_content().split())


def sig_cell(page: str, stem: str):
    return lxml_html.fromstring(page).get_element_by_id(f"sig-{stem}")


def sig_rows(page: str, stem: str) -> list[list[str]]:
    cell = sig_cell(page, stem)
    return [[" ".join(td.text_content().split()) for td in tr.findall("td")]
            for tr in cell.cssselect("table.sigs tbody tr")]


def with_signatory(cfg, role: str, **update):
    person = getattr(cfg.reports.signatories, role).model_copy(update=update)
    sigs = cfg.reports.signatories.model_copy(update={role: person})
    return cfg.model_copy(update={"reports": cfg.reports.model_copy(update={"signatories": sigs})})


def refused(resp, se, original: bytes, status: int, *words: str) -> str:
    assert resp.status_code == status, (resp.status_code, resp.data.decode()[:3000])
    assert se.pdf.read_bytes() == original  # byte for byte
    text = message(resp)
    for w in words:
        assert w in text, text
    assert "Laporan tidak diubah" in text or "tidak ditandatangani" in text
    assert not re.search(r"/tmp/|\.p12|pkcs12:", text)  # no server path in what the browser is told
    return text


# -- what the page shows --------------------------------------------------------------------------------------
def test_each_signature_shown_with_signer_time_integrity_changes_and_trust(app, se):
    stem = se.pdf.stem
    sign_ok(app, se, "kepala_seksi")
    sign_ok(app, se, "ketua_ppid")
    # A copy of the signed report with one byte changed inside the signed range: both signatures broken.
    data = bytearray(se.pdf.read_bytes())
    data[data.index(b"/Title") + 1] = ord("t")
    tampered = se.pdf.with_name("laporan-bulanan-2020-01-desa-a.pdf")
    tampered.write_bytes(bytes(data))
    page = client_as(app, "atasan_ppid").get("/laporan").data.decode()
    rows = sig_rows(page, stem)
    assert [r[:2] for r in rows] == [["Kepala Seksi", NAMES["kepala_seksi"]], ["Ketua PPID", NAMES["ketua_ppid"]]]
    for r in rows:
        assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d \(jam penanda tangan\)$", r[2]), r
        assert r[3:] == ["ya", "tidak", "ya"]  # intact, not modified after, chain reaches the test CA
    cell = sig_cell(page, stem)
    assert "2 tanda tangan, semua utuh" in cell.text_content()
    assert "Menunggu tanda tangan (urutan SOP): Atasan PPID" in " ".join(cell.text_content().split())
    bad = sig_rows(page, tampered.stem)
    assert [r[3] for r in bad] == ["tidak", "tidak"]
    assert "Ada tanda tangan yang rusak" in sig_cell(page, tampered.stem).text_content()
    # Without trust anchors the chain column says "not checked", never "trusted".
    no_anchor = app_for(se.cfg.model_copy(update={"reports": se.cfg.reports.model_copy(update={"trust_anchors": []})}))
    page = client_as(no_anchor, "atasan_ppid").get("/laporan").data.decode()
    assert [r[5] for r in sig_rows(page, stem)] == ["tidak diperiksa"] * 2
    no_anchor.extensions["ppid_store"].close()


def test_sign_form_only_for_the_role_whose_turn_it_is(app, se):
    stem = se.pdf.stem

    def forms() -> dict[str, bool]:
        return {role: f'id="sign-{stem}"' in client_as(app, role).get("/laporan").data.decode()
                for role in ("operator", "kepala_seksi", "ketua_ppid", "atasan_ppid", "admin")}

    assert forms() == {"operator": False, "kepala_seksi": True, "ketua_ppid": False, "atasan_ppid": False,
                       "admin": False}
    page = client_as(app, "ketua_ppid").get("/laporan").data.decode()
    assert "Menunggu tanda tangan (urutan SOP): Kepala Seksi → Ketua PPID → Atasan PPID" in \
        " ".join(sig_cell(page, stem).text_content().split())
    sign_ok(app, se, "kepala_seksi")
    assert forms() == {"operator": False, "kepala_seksi": False, "ketua_ppid": True, "atasan_ppid": False,
                       "admin": False}
    sign_ok(app, se, "ketua_ppid")
    sign_ok(app, se, "atasan_ppid")
    assert not any(forms().values())
    page = client_as(app, "admin").get("/laporan").data.decode()
    assert "Semua penanda tangan sudah menandatangani" in sig_cell(page, stem).text_content()
    assert len(sig_rows(page, stem)) == 3
    # the form is a password field with no value, posted with a CSRF token
    form = lxml_html.fromstring(client_as(app, "kepala_seksi").get("/laporan").data.decode()).forms
    assert not [f for f in form if f.get("id", "").startswith("sign-")]  # complete: nobody's turn


# -- refusals: one message, 4xx, the PDF unchanged ---------------------------------------------------------------
def test_wrong_password_message_and_file_unchanged(app, se):
    original = se.pdf.read_bytes()
    kasi = client_as(app, "kepala_seksi")
    text = refused(post_sign(kasi, se, WRONG, role="kepala_seksi"), se, original, 400,
                   "Kata sandi sertifikat Kepala Seksi salah", "Sisa percobaan sebelum dikunci: 2")
    assert WRONG not in text
    refused(post_sign(kasi, se, ""), se, original, 400, "Ketik kata sandi sertifikat")
    store = se.env.store()
    try:
        notes = [r["note"] for r in store.db.execute("SELECT note FROM decision_events WHERE kind=? ORDER BY id",
                                                     (signing.REFUSED,))]
    finally:
        store.close()
    assert notes == ["bad_password", "empty_password"]


def test_operator_and_admin_cannot_sign_as_ketua(app, se):
    sign_ok(app, se, "kepala_seksi")  # now it is the Ketua PPID's turn
    original = se.pdf.read_bytes()
    admin = client_as(app, "admin")
    resp = post_sign(admin, se, PASSWORDS["ketua_ppid"], role="ketua_ppid")
    assert resp.status_code == 403 and se.pdf.read_bytes() == original  # admin holds no signing permission
    operator = client_as(app, "operator")
    refused(post_sign(operator, se, PASSWORDS["ketua_ppid"], role="ketua_ppid"), se, original, 403,
            "hanya dapat menandatangani sebagai peran Anda sendiri (Operator)")
    refused(post_sign(operator, se, PASSWORDS["ketua_ppid"]), se, original, 409,
            "tidak ditandatangani oleh Operator")  # as itself: not a signatory of the monthly report
    kasi = client_as(app, "kepala_seksi")
    refused(post_sign(kasi, se, PASSWORDS["kepala_seksi"], role="kepala_seksi"), se, original, 409,
            "Kepala Seksi sudah menandatangani")
    # and the Ketua PPID signs with the same file afterwards: the refusals left nothing behind
    sign_ok(app, se, "ketua_ppid")
    assert [s.role for s in signature_status(se.pdf)] == ["kepala_seksi", "ketua_ppid"]


def test_ketua_before_kepala_seksi_refused_with_the_reason(app, se):
    original = se.pdf.read_bytes()
    ketua = client_as(app, "ketua_ppid")
    refused(post_sign(ketua, se, PASSWORDS["ketua_ppid"], role="ketua_ppid"), se, original, 409,
            "Ketua PPID belum dapat menandatangani", "menunggu tanda tangan Kepala Seksi")
    atasan = client_as(app, "atasan_ppid")
    sign_ok(app, se, "kepala_seksi")
    original = se.pdf.read_bytes()
    refused(post_sign(atasan, se, PASSWORDS["atasan_ppid"]), se, original, 409,
            "menunggu tanda tangan Ketua PPID")
    store = se.env.store()
    try:  # an out-of-order attempt never reached the password: it does not count as a wrong one
        assert signing.failures_left(store, "ketua_ppid", 3, timedelta(minutes=10)) == 3
    finally:
        store.close()


def test_csrf_missing_or_wrong_refused(app, se):
    original = se.pdf.read_bytes()
    kasi = client_as(app, "kepala_seksi")
    for token in (None, "IjAwMDAi.ZZZ.abc"):
        data = {"password": PASSWORDS["kepala_seksi"], "role": "kepala_seksi"}
        if token:
            data["csrf_token"] = token
        resp = kasi.post(f"/laporan/tandatangan/{se.pdf.name}", data=data)
        assert resp.status_code == 403 and b"CSRF" in resp.data
        assert se.pdf.read_bytes() == original


def test_another_sites_report_is_404(app, se):
    original = se.pdf.read_bytes()
    resp = post_sign(client_as(app, "kasi-b"), se, PASSWORDS["kepala_seksi"], role="kepala_seksi")
    assert resp.status_code == 404 and se.pdf.read_bytes() == original
    for bad in ("..%2Fconfig.yaml", "laporan-bulanan-2026-01-desa-a.html", "config.yaml"):
        resp = post_sign(client_as(app, "kepala_seksi"), se, PASSWORDS["kepala_seksi"], name=bad)
        assert resp.status_code == 404, bad


@pytest.mark.parametrize("case", ["no_cert", "expired", "missing_file", "unprotected"])
def test_certificate_problems_refused_clearly(se, case, tmp_path):
    original = se.pdf.read_bytes()
    role = "kepala_seksi"
    if case == "no_cert":
        cfg, status, words = with_signatory(se.cfg, role, pkcs12=None), 409, ("belum punya sertifikat",)
    elif case == "expired":
        p12 = make_signer(se.pki, tmp_path, "Suryani Kedaluwarsa", password=PASSWORDS[role], days=(-60, -1))
        cfg, status, words = with_signatory(se.cfg, role, pkcs12=p12), 409, ("tidak berlaku sekarang",)
    elif case == "missing_file":
        cfg, status, words = with_signatory(se.cfg, role, pkcs12=tmp_path / "hilang.p12"), 409, \
            ("tidak dapat dibaca di server",)
    else:
        p12 = make_signer(se.pki, tmp_path, "Suryani Terbuka", password="")
        cfg, status, words = with_signatory(se.cfg, role, pkcs12=p12), 409, ("tidak dilindungi kata sandi",)
    app = app_for(cfg)
    try:
        client = client_as(app, role)
        page = client.get("/laporan").data.decode()
        if case == "no_cert":  # no form to fill in: the page says why instead
            assert f'id="sign-{se.pdf.stem}"' not in page and "belum punya sertifikat" in page
        refused(post_sign(client, se, PASSWORDS[role], role=role), se, original, status, "Kepala Seksi", *words)
    finally:
        app.extensions["ppid_store"].close()


# -- throttle --------------------------------------------------------------------------------------------------
def test_throttle_after_wrong_passwords_per_user(se):
    cfg = se.cfg.model_copy(update={"console": se.cfg.console.model_copy(
        update={"login_max_failures": 3, "lockout_minutes": 10})})
    app = app_for(cfg)
    try:
        original = se.pdf.read_bytes()
        kasi = client_as(app, "kepala_seksi")
        refused(post_sign(kasi, se, WRONG + "1"), se, original, 400, "Sisa percobaan sebelum dikunci: 2")
        refused(post_sign(kasi, se, WRONG + "2"), se, original, 400, "Sisa percobaan sebelum dikunci: 1")
        refused(post_sign(kasi, se, WRONG + "3"), se, original, 400, "penandatanganan dikunci sampai pukul")
        # locked: even the right password is not tried
        refused(post_sign(kasi, se, PASSWORDS["kepala_seksi"]), se, original, 429, "Terlalu banyak kata sandi")
        # a new login of the same user does not reset it (the count lives in the store, not the session)
        refused(post_sign(client_as(app, "kepala_seksi"), se, PASSWORDS["kepala_seksi"]), se, original, 429)
        # per user: another Kepala Seksi account is not locked by these failures
        resp = post_sign(client_as(app, "kasi2"), se, PASSWORDS["kepala_seksi"])
        assert resp.status_code == 303 and se.pdf.read_bytes() != original
        store = se.env.store()
        try:
            rows = store.db.execute("SELECT actor, note FROM decision_events WHERE kind IN (?,?) ORDER BY id",
                                    signing.KINDS).fetchall()
            assert [(r["actor"], r["note"]) for r in rows] == [("kepala_seksi", "bad_password")] * 3 + [
                ("kepala_seksi", "throttled")] * 2 + [("kasi2", "ok")]
            # The window passes (the log's times moved back, as the clock would): the user may try again.
            with store.tx() as db:
                db.execute("UPDATE decision_events SET at=? WHERE actor='kepala_seksi'",
                           (iso(datetime.now(UTC) - timedelta(minutes=11)),))
            assert signing.locked_until(store, "kepala_seksi", 3, timedelta(minutes=10)) is None
        finally:
            store.close()
    finally:
        app.extensions["ppid_store"].close()


# -- the secret ------------------------------------------------------------------------------------------------
def test_password_never_in_store_logs_or_responses(se, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    app = app_for(se.cfg)
    secrets = [WRONG, PASSWORDS["kepala_seksi"], PASSWORDS["ketua_ppid"]]
    seen: list[bytes] = []
    try:
        kasi = client_as(app, "kepala_seksi")
        ketua = client_as(app, "ketua_ppid")
        for client, password in ((ketua, PASSWORDS["ketua_ppid"]), (kasi, WRONG),
                                 (kasi, PASSWORDS["kepala_seksi"]), (ketua, WRONG),
                                 (ketua, PASSWORDS["ketua_ppid"])):
            resp = post_sign(client, se, password)
            seen.append(resp.data + str(resp.headers).encode())
            if resp.status_code == 303:
                seen.append(client.get(resp.headers["Location"]).data)
        assert [s.role for s in signature_status(se.pdf)] == ["kepala_seksi", "ketua_ppid"]
    finally:
        app.extensions["ppid_store"].close()
    out, err = capfd.readouterr()
    db = Path(se.cfg.database_path)
    stored = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))  # with -wal / -journal
    logs = caplog.text + out + err
    assert "report signed: " in logs and "refused (bad_password)" in logs  # the logs did record the attempts
    for secret in secrets:
        assert secret.encode() not in stored
        assert secret not in logs
        assert all(secret.encode() not in body for body in seen)
        assert secret.encode() not in se.pdf.read_bytes()


# -- the trail --------------------------------------------------------------------------------------------------
def test_each_signing_recorded_in_the_event_log(app, se):
    post_sign(client_as(app, "kepala_seksi"), se, WRONG)
    sign_ok(app, se, "kepala_seksi")
    store = se.env.store()
    try:
        rows = store.db.execute("SELECT * FROM decision_events WHERE kind IN (?,?) ORDER BY id",
                                signing.KINDS).fetchall()
        got = [(r["site"], r["fingerprint"], r["kind"], r["actor"], r["reason"], r["note"]) for r in rows]
        key = "report:" + se.pdf.name
        assert got == [("desa-a", key, signing.REFUSED, "kepala_seksi", "kepala_seksi", "bad_password"),
                       ("desa-a", key, signing.SIGNED, "kepala_seksi", "kepala_seksi", "ok")]
        assert all(abs(datetime.fromisoformat(r["at"]) - datetime.now(UTC)) < timedelta(minutes=5) for r in rows)
        assert key not in triage.decisions(store, "desa-a")  # the signing rows never read as a finding's decision
    finally:
        store.close()
    page = client_as(app, "atasan_ppid").get("/laporan").data.decode()
    history = " ".join(sig_cell(page, se.pdf.stem).cssselect("details.sig-log")[0].text_content().split())
    assert "kepala_seksi · Kepala Seksi · ditolak: kata sandi salah" in history
    assert "kepala_seksi · Kepala Seksi · ditandatangani" in history


def test_legacy_report_without_fields_signed_by_file_name_order(app, se):
    """A PDF written before the signature fields existed: the order comes from its file name."""
    import pypdf

    writer = pypdf.PdfWriter(clone_from=str(se.pdf))
    if "/AcroForm" in writer._root_object:
        del writer._root_object["/AcroForm"]
    for page in writer.pages:
        if "/Annots" in page:
            del page["/Annots"]
    legacy = se.pdf.with_name("laporan-bulanan-2020-02-desa-a.pdf")
    with legacy.open("wb") as fh:
        writer.write(fh)
    page = client_as(app, "kepala_seksi").get("/laporan").data.decode()
    assert f'id="sign-{legacy.stem}"' in page
    original = legacy.read_bytes()
    resp = post_sign(client_as(app, "ketua_ppid"), se, PASSWORDS["ketua_ppid"], name=legacy.name)
    assert resp.status_code == 409 and legacy.read_bytes() == original
    resp = post_sign(client_as(app, "kepala_seksi"), se, PASSWORDS["kepala_seksi"], name=legacy.name)
    assert resp.status_code == 303, message(resp)
    assert [s.role for s in signature_status(legacy)] == ["kepala_seksi"]
