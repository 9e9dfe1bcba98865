"""Signing a report from the console in a real browser (Debian Chromium + chromium-driver via Selenium,
headless), against the console served by waitress on loopback: the Kepala Seksi signs a real monthly
report, the Ketua PPID countersigns, the Atasan PPID acknowledges, each logged in as themselves and typing
their own certificate password; then the file is checked by pyHanko's validator and by poppler's `pdfsig`
(all three signatures valid, trusted, nothing changed after the last one)."""

from __future__ import annotations

import pytest

from reports import pdfa
from reports.signing import signature_status
from tests.browser import axe_violations, chromium
from tests.console_signing_support import NAMES, ORDER, PASSWORDS, make_sign_env, pyhanko_valid
from tests.console_support import serve
from tests.signing_world import pdfsig
from tests.test_console_browser import keyboard_login, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]
LABELS = {"kepala_seksi": "Kepala Seksi", "ketua_ppid": "Ketua PPID", "atasan_ppid": "Atasan PPID"}


@pytest.fixture(scope="module")
def se(tmp_path_factory):
    return make_sign_env(tmp_path_factory.mktemp("console-signing-browser"))


@pytest.fixture(scope="module")
def base(se):
    with serve(se.env) as url:
        yield url


@pytest.fixture(scope="module")
def driver():
    d = chromium()
    yield d
    d.quit()


def test_three_roles_sign_in_sop_order_then_pyhanko_and_pdfsig_agree(driver, base, se):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    stem = se.pdf.stem
    form_id, field_id = f"sign-{stem}", f"pw-{stem}"
    # Before the Kepala Seksi has signed, the Ketua PPID is offered no form, only the order.
    keyboard_login(driver, base, "ketua_ppid", path="/laporan")
    assert not driver.find_elements(By.ID, form_id)
    assert "Kepala Seksi → Ketua PPID → Atasan PPID" in driver.find_element(By.ID, f"sig-{stem}").text

    for i, role in enumerate(ORDER, 1):
        keyboard_login(driver, base, role, path="/laporan")
        field = driver.find_element(By.ID, field_id)
        assert field.get_attribute("type") == "password" and field.get_attribute("value") == ""
        if role == "kepala_seksi":  # one wrong password first: the message, and nothing echoed back
            field.send_keys("bukan-kata-sandinya", Keys.ENTER)
            alert = wait_for(lambda: driver.find_element(By.ID, "sign-error"), driver)
            assert alert.get_attribute("role") == "alert"
            assert "Kata sandi sertifikat Kepala Seksi salah" in alert.text
            assert "bukan-kata-sandinya" not in driver.page_source
            field = driver.find_element(By.ID, field_id)
            assert field.get_attribute("value") == ""
            assert signature_status(se.pdf) == []
        field.send_keys(PASSWORDS[role], Keys.ENTER)  # typed and submitted from the keyboard
        done = wait_for(lambda: driver.find_element(By.ID, "sign-done"), driver, 60)
        assert f"sebagai {LABELS[role]}" in done.text
        assert not driver.find_elements(By.ID, form_id)  # its turn is over
        cell = driver.find_element(By.ID, f"sig-{stem}")
        assert f"{i} tanda tangan, semua utuh" in cell.text
        if role == "kepala_seksi":  # the details open from the keyboard and pass axe-core
            summary = cell.find_element(By.CSS_SELECTOR, "details.sig-details summary")
            summary.send_keys(Keys.ENTER)
            wait_for(lambda c=cell: c.find_element(By.CSS_SELECTOR, "table.sigs").is_displayed(), driver)
            row = cell.find_element(By.CSS_SELECTOR, "table.sigs tbody tr").text
            assert "Suryani Contoh" in row and row.count("ya") >= 2
            assert axe_violations(driver) == []

    # Every role has signed: the page says so, and no form is left for anyone.
    keyboard_login(driver, base, "admin", path="/laporan")
    assert "Semua penanda tangan sudah menandatangani" in driver.find_element(By.ID, f"sig-{stem}").text

    # pyHanko's validator, with the test CA as the only trust root
    statuses = pyhanko_valid(se.pdf, se.pki)
    assert len(statuses) == 3
    assert all(s.bottom_line for s in statuses), [s.pretty_print_details() for s in statuses]
    sigs = signature_status(se.pdf, [se.pki.ca_pem])
    assert [s.role for s in sigs] == list(ORDER) and [s.signer for s in sigs] == [NAMES[r] for r in ORDER]
    assert all(s.intact and s.trusted and not s.modified_after for s in sigs) and sigs[-1].whole_file
    # poppler's pdfsig, with the CA in an NSS database
    report = pdfsig(se.pdf, se.world())
    assert [s["Signature Field Name"] for s in report] == [pdfa.field_name(i, r) for i, r in enumerate(ORDER, 1)]
    for s in report:
        assert s["Signature Validation"] == "Signature is Valid."
        assert s["Certificate Validation"] == "Certificate is Trusted."
    assert report[-1]["total"] == "Total document signed"  # the document is unmodified since the last one
