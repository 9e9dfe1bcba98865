"""Signing paths and bad input (issue 22): certificate, password and order errors (one line, exit 2, the file
unchanged), field placement on every layout, reports made before the fields existed, a timestamp
authority on loopback, the gate record. The shared world: tests/signing_world.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pypdf
import pytest
import yaml

from auditor.cli import main
from auditor.errors import InputError
from reports import pdfa
from reports.signing import signature_status
from tests import signing_world
from tests.servers import free_port
from tests.signing_pki import PASSWORD, make_ca, make_signer
from tests.signing_world import NAMES, ORDER, set_passwords, widgets

pytestmark = pytest.mark.slow
world, signed = signing_world.world, signing_world.signed  # the shared session fixtures


# -- bad input: one line, exit 2, the file left exactly as it was ----------------------------------------
def _bad_config(signed, tmp_path: Path, role: str, tsa_url: str | None = None, **change) -> Path:
    raw = yaml.safe_load(signed["cfg"].read_text(encoding="utf-8"))
    raw["reports"]["signatories"][role].update(change)
    raw["reports"]["tsa_url"] = tsa_url
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return cfg


@pytest.mark.parametrize("case", ["missing_p12", "wrong_password", "expired", "no_certificate", "no_password_env",
                                  "out_of_order", "tsa_unreachable"])
def test_bad_input_exit_2_one_line_nothing_half_signed(signed, tmp_path: Path, case: str,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    set_passwords(monkeypatch)
    role, change = "kepala_seksi", {}
    if case == "missing_p12":
        change = {"pkcs12": str(tmp_path / "nope.p12")}
    elif case == "wrong_password":
        monkeypatch.setenv("PPID_TEST_PW_KEPALA_SEKSI", "salah")
    elif case == "expired":
        change = {"pkcs12": str(make_signer(signed["pki"], tmp_path, "Kadaluwarsa", days=(-400, -30)))}
    elif case == "no_certificate":
        change = {"pkcs12": None, "password_env": None}
    elif case == "no_password_env":
        monkeypatch.delenv("PPID_TEST_PW_KEPALA_SEKSI")
    elif case == "out_of_order":
        role = "atasan_ppid"
    tsa = f"http://127.0.0.1:{free_port()}/" if case == "tsa_unreachable" else None  # fails mid-signing
    cfg = _bad_config(signed, tmp_path, role, tsa_url=tsa, **change)
    target = tmp_path / "laporan.pdf"
    shutil.copyfile(signed["unsigned"], target)
    before = target.read_bytes()
    capsys.readouterr()
    assert main(["sign", str(target), "--as", role, "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    expected = {"missing_p12": "nope.p12", "wrong_password": "kata sandi salah", "expired": "tidak berlaku",
                "no_certificate": "reports.signatories.kepala_seksi.pkcs12", "no_password_env": "PPID_TEST_PW",
                "out_of_order": "menunggu tanda tangan: kepala_seksi, ketua_ppid",
                "tsa_unreachable": "penandatanganan gagal, berkas tidak diubah"}[case]
    assert expected in err
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp file left


def test_report_sign_with_bad_certificate_writes_nothing(signed, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    set_passwords(monkeypatch)
    monkeypatch.setenv("PPID_TEST_PW_KEPALA_SEKSI", "salah")
    raw = {**signed["raw"], "reports": {**signed["raw"]["reports"], "output_dir": str(tmp_path / "out")}}
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert main(["report", "monthly", "--month", signed["month"], "--config", str(cfg), "--quiet",
                 "--sign", "--as", "kepala_seksi"]) == 2
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []  # checked first


def test_verify_report_unreadable_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "rusak.pdf"
    junk.write_bytes(b"%PDF-1.7\nnot really a pdf")
    assert main(["verify-report", str(junk)]) == 2
    assert main(["verify-report", str(tmp_path / "missing.pdf")]) == 2
    err = capsys.readouterr().err
    assert "rusak.pdf" in err and "missing.pdf" in err and "Traceback" not in err


def test_verify_report_unsigned_exit_1(signed, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify-report", str(signed["unsigned"]), "--config", str(signed["cfg"])]) == 1
    assert "Tidak ada tanda tangan elektronik" in capsys.readouterr().out


def test_fields_sit_in_each_signature_block_in_sop_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextLine

    from reports.render import write_gate_report, write_report
    from tests.test_gate_report import NOW, save_gate, scripted_store

    cfg, store = scripted_store(tmp_path)
    try:
        save_gate(store, "gate-ok", introduced=2, fixed=1, pages=1, sevs=("medium", "low"))
        gate_pdf = write_gate_report(cfg, store, "gate-ok", formats=("pdf",), now=NOW)[0]
        half_pdf = write_report(cfg, store, "semiannual", "2026-H1", formats=("pdf",), now=NOW)[0]
    finally:
        store.close()
    for path, roles in ((gate_pdf, ["operator", "ketua_ppid"]), (half_pdf, list(ORDER))):
        boxes = widgets(path)
        assert [w[0] for w in boxes] == [pdfa.field_name(i, r) for i, r in enumerate(roles, 1)]
        last = len(pypdf.PdfReader(path).pages) - 1
        assert {w[1] for w in boxes} == {last}  # the signature block is on the last page
        lefts = [w[2][0] for w in boxes]
        assert lefts == sorted(lefts)  # left to right, as printed
        # each box stands right above a signatory's name line, within its column
        lines = [ln for page in extract_pages(str(path), page_numbers=[last]) for box in page
                 for ln in getattr(box, "_objs", []) if isinstance(ln, LTTextLine)]
        for _name, _page, (x1, y1, x2, y2) in boxes:
            assert 30 < y2 - y1 < 60 and x2 - x1 > 100  # 18 mm high (13 mm on the gate record)
            below = [ln for ln in lines if x1 <= (ln.x0 + ln.x1) / 2 <= x2 and y1 - 20 <= ln.y1 <= y1 + 1]
            assert below, (_name, (x1, y1, x2, y2))
    # the gate record is signed operator first, then the Ketua PPID
    from reports.signing import sign_report

    pki = make_ca(tmp_path / "pki")
    monkeypatch.setenv("PPID_TEST_PW_GATE", PASSWORD)
    people = {role: getattr(cfg.reports.signatories, role).model_copy(update={
        "pkcs12": make_signer(pki, tmp_path / "pki", f"Gate {role}"), "password_env": "PPID_TEST_PW_GATE"})
        for role in ("operator", "ketua_ppid")}
    cfg.reports = cfg.reports.model_copy(update={"signatories": cfg.reports.signatories.model_copy(update=people)})
    with pytest.raises(InputError, match="menunggu tanda tangan: operator"):
        sign_report(cfg, gate_pdf, "ketua_ppid")
    sign_report(cfg, gate_pdf, "operator")
    sign_report(cfg, gate_pdf, "ketua_ppid")
    sigs = signature_status(gate_pdf, [pki.ca_pem])
    assert [s.role for s in sigs] == ["operator", "ketua_ppid"] and all(s.ok for s in sigs) and sigs[-1].whole_file


def test_report_made_before_signature_fields_gets_boxes_above_the_names(signed, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import weasyprint

    set_passwords(monkeypatch)
    old = tmp_path / "laporan-bulanan-2020-03.pdf"  # as reports were written before issue 22: no fields
    weasyprint.HTML(filename=str(signed["html"])).write_pdf(str(old))
    assert widgets(old) == []
    cfg = str(signed["cfg"])
    assert main(["sign", str(old), "--as", "ketua_ppid", "--config", cfg, "--quiet"]) == 2  # order holds
    for role in ORDER:
        assert main(["sign", str(old), "--as", role, "--config", cfg, "--quiet"]) == 0
    sigs = signature_status(old, [signed["pki"].ca_pem])
    assert [s.role for s in sigs] == list(ORDER) and all(s.ok for s in sigs) and sigs[-1].whole_file
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer, LTTextLine

    page = list(extract_pages(str(old)))[-1]
    lines = [ln for box in page if isinstance(box, LTTextContainer) for ln in box if isinstance(ln, LTTextLine)]
    for (_name, _page, (x1, y1, x2, y2)), role in zip(widgets(old), ORDER, strict=True):
        name_line = [ln for ln in lines if " ".join(ln.get_text().split()) == NAMES[role]
                     and x1 <= (ln.x0 + ln.x1) / 2 <= x2 and 0 <= y1 - ln.y1 <= 5]
        assert y2 - y1 > 40 and name_line, role  # the box sits right above the signatory's name


def test_tsa_url_gives_a_timestamped_signature(signed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A timestamp authority on loopback (pyHanko's DummyTimeStamper behind HTTP): with `reports.tsa_url`
    the signature carries its timestamp; without it (the other tests) verify-report says the time is the
    signer's clock."""
    from asn1crypto import tsp
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    from tests.servers import serve
    from tests.signing_pki import make_tsa

    set_passwords(monkeypatch)
    tsa_cert, tsa_key = make_tsa(signed["pki"])
    stamper = DummyTimeStamper(tsa_cert, tsa_key, certs_to_embed=SimpleCertificateStore.from_certs([tsa_cert]))
    requests = []

    def answer(handler):
        body = handler.rfile.read(int(handler.headers["Content-Length"]))
        requests.append(handler.headers.get("Content-Type"))
        resp = stamper.request_tsa_response(tsp.TimeStampReq.load(body))
        return 200, {"Content-Type": "application/timestamp-reply"}, resp.dump()

    with serve({"/tsa": answer}) as tsa:
        raw = yaml.safe_load(signed["cfg"].read_text(encoding="utf-8"))
        raw["reports"]["tsa_url"] = tsa.url + "tsa"
        cfg = tmp_path / "config.yaml"
        cfg.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        target = tmp_path / "laporan.pdf"
        shutil.copyfile(signed["unsigned"], target)
        assert main(["sign", str(target), "--as", "kepala_seksi", "--config", str(cfg), "--quiet"]) == 0
    assert requests and set(requests) == {"application/timestamp-query"}  # pyHanko asks twice (size, then real)
    sig = signature_status(target, [signed["pki"].ca_pem])[0]
    assert sig.ok and sig.timestamp_at is not None
    capsys.readouterr()
    assert main(["verify-report", str(target), "--config", str(cfg)]) == 0
    assert "(TSA)" in capsys.readouterr().out
    assert main(["verify-report", str(signed["pdf"]), "--config", str(signed["cfg"])]) == 0
    out = capsys.readouterr().out
    assert "(jam penanda" in out and "(TSA)" not in out


def test_gate_sign_as_operator_then_ketua(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ppid-audit gate --sign --as operator` signs the Berita Acara it writes; a bad certificate stops the
    gate before it audits anything (exit 2, no gate record)."""
    from auditor.store import Store
    from tests.servers import serve
    from tests.test_gate import SECURE, build_production, build_staging, static_routes, write_config

    pki = make_ca(tmp_path / "pki")
    monkeypatch.setenv("PPID_TEST_PW_GATE", PASSWORD)
    prod, stage = tmp_path / "prod", tmp_path / "stage"
    build_production(prod)
    build_staging(prod, stage)
    with serve({}, default=static_routes(prod, SECURE)) as p_srv, serve({}, default=static_routes(stage, SECURE)) as s_srv:
        cfg = write_config(tmp_path, p_srv.url, f"staging_url: {s_srv.url}")
        lines = "".join(f"    {role}:\n      name: {role.title()}\n      pkcs12: "
                        f"{make_signer(pki, tmp_path / 'pki', 'Gate ' + role)}\n      password_env: PPID_TEST_PW_GATE\n"
                        for role in ("operator", "ketua_ppid"))
        cfg.write_text(cfg.read_text() + "  signatories:\n" + lines + f"  trust_anchors: [{pki.ca_pem}]\n")
        assert main(["scan", "--config", str(cfg), "--quiet"]) == 0
        monkeypatch.setenv("PPID_TEST_PW_GATE", "salah")
        assert main(["gate", "--config", str(cfg), "--quiet", "--sign", "--as", "operator"]) == 2
        store = Store(tmp_path / "db.sqlite")
        assert store.gates(site="contoh") == []  # refused before auditing
        store.close()
        monkeypatch.setenv("PPID_TEST_PW_GATE", PASSWORD)
        assert main(["gate", "--config", str(cfg), "--quiet", "--sign", "--as", "operator"]) in (0, 1)
    pdf = next((tmp_path / "out").glob("berita-acara-gate-*.pdf"))
    assert main(["sign", str(pdf), "--as", "ketua_ppid", "--config", str(cfg), "--quiet"]) == 0
    sigs = signature_status(pdf, [pki.ca_pem])
    assert [s.role for s in sigs] == ["operator", "ketua_ppid"] and all(s.ok for s in sigs)
    assert main(["verify-report", str(pdf), "--config", str(cfg)]) == 0


def _sign_in_child(args: list[str], queue) -> None:
    queue.put(main(args))


def test_two_signers_at_once_keep_both_answers_honest(signed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two processes sign the same file as the same role at the same moment: one signs, the other is told
    it is already signed (exit 2); the file ends with exactly one valid signature, never a lost one."""
    import multiprocessing as mp

    set_passwords(monkeypatch)
    target = tmp_path / "laporan.pdf"
    shutil.copyfile(signed["unsigned"], target)
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    args = ["sign", str(target), "--as", "kepala_seksi", "--config", str(signed["cfg"]), "--quiet"]
    procs = [ctx.Process(target=_sign_in_child, args=(args, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert sorted(queue.get(timeout=5) for _ in procs) == [0, 2]
    sigs = signature_status(target, [signed["pki"].ca_pem])
    assert [s.role for s in sigs] == ["kepala_seksi"] and sigs[0].ok


def test_certificate_expired_after_signing_reads_untrusted_without_tsa(signed, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a timestamp the signer's clock proves nothing, so pyHanko checks the chain at today's date: once
    the signer's certificate has expired the signature is still intact but no longer trusted (exit 1).
    docs/reports.md, threat model: the reason for `tsa_url`."""
    import time
    from datetime import UTC, datetime, timedelta

    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=12)
    p12 = make_signer(signed["pki"], tmp_path, "Segera Habis", expires=expires)
    monkeypatch.setenv("PPID_TEST_PW_SOON", PASSWORD)
    cfg = _bad_config(signed, tmp_path, "kepala_seksi", pkcs12=str(p12), password_env="PPID_TEST_PW_SOON")
    target = tmp_path / "laporan.pdf"
    shutil.copyfile(signed["unsigned"], target)
    assert main(["sign", str(target), "--as", "kepala_seksi", "--config", str(cfg), "--quiet"]) == 0
    time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 1)
    sig = signature_status(target, [signed["pki"].ca_pem])[0]
    assert sig.signer == "Segera Habis" and sig.intact and not sig.modified_after and sig.trusted is False
    assert main(["verify-report", str(target), "--config", str(cfg)]) == 1
    assert signature_status(target)[0].ok  # without anchors: intact and unchanged, chain not judged
