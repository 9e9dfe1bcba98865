"""The console in a real browser (Debian Chromium + chromium-driver via Selenium, headless) against the
console served by waitress on loopback: keyboard-only login and logout, every page for every role (with
axe-core: no serious or critical violation), a triage round-trip by keyboard, an upload carrying NIKs
(masked, nothing left on disk), a Daftar import with preview, a PDF download that opens with pypdf, and
hostile content rendered as text (checked in the DOM)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest

from auditor.console.auth import PUBLIC
from auditor.console.permissions import ROLES, allowed
from tests.browser import axe_violations, chromium
from tests.console_support import HOSTILE_TITLE, PASSWORD, make_env, serve
from tests.test_console_pages import write_daftar_xlsx
from tests.test_personal_data_formats import make_csv, people

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    env = make_env(tmp_path_factory.mktemp("console-browser"), populate_days=3)
    from reports import periods
    from reports.render import write_report

    store = env.store()
    try:  # one real report (HTML + PDF) for the reports page and the download
        write_report(env.cfg, store, "monthly", periods.default_key("monthly"), site="desa-a")
    finally:
        store.close()
    return env


@pytest.fixture(scope="module")
def base(env):
    with serve(env) as url:
        yield url


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def driver(downloads):
    d = chromium(downloads)
    yield d
    d.quit()


def keyboard_login(driver, base: str, name: str, password: str = PASSWORD, path: str = "/") -> None:
    from selenium.webdriver.common.keys import Keys

    driver.delete_all_cookies()
    driver.get(base + path)
    assert "/login" in driver.current_url
    active = driver.switch_to.active_element  # autofocus on the user name field
    assert active.get_attribute("id") == "name"
    active.send_keys(name, Keys.TAB)
    driver.switch_to.active_element.send_keys(password, Keys.ENTER)
    wait_for(lambda: "/login" not in driver.current_url, driver)


def wait_for(cond, driver, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = cond()
        except Exception:  # the page may be between loads
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out at {driver.current_url}: {driver.page_source[:1500]}")


def page_urls(env, role: str) -> list[tuple[str, bool]]:
    """(path, allowed) for every GET route in the app's URL map, with test values for its arguments."""
    from auditor.console import create_app

    app = create_app(env.cfg)
    store = env.store()
    try:
        fp = store.issues(site="desa-a")[0].fingerprint
    finally:
        store.close()
    out = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint in ("static", "dashboard.report_css") or "GET" not in rule.methods:
            continue
        if view.permission == PUBLIC or rule.endpoint == "reports.file":
            continue  # the login page is visited by every login; report files are opened below
        path = rule.build({"site": "desa-a", "fingerprint": fp}, append_unknown=False)[1]
        out.append((path, allowed(role, view.permission)))
    app.extensions["ppid_store"].close()
    return out


def test_axe_harness_finds_a_known_violation(driver, base):
    """The axe run is real: a page with an image without alt text and an unlabeled field is reported."""
    driver.get("data:text/html,<html lang=id><title>x</title><main><img src=x.png><input></main></html>")
    ids = {v["id"] for v in axe_violations(driver, ("minor", "moderate", "serious", "critical"))}
    assert {"image-alt", "label"} <= ids, ids


def test_keyboard_login_and_logout(driver, base):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    keyboard_login(driver, base, "atasan_ppid")
    assert driver.find_element(By.CSS_SELECTOR, "h1").text
    logout = driver.find_element(By.ID, "logout")
    logout.send_keys(Keys.ENTER)  # a focused button activated from the keyboard
    wait_for(lambda: "/login" in driver.current_url, driver)
    driver.get(base + "/")
    assert "/login" in driver.current_url
    # A wrong password shows the message, accessible as an alert.
    driver.find_element(By.ID, "name").send_keys("atasan_ppid", Keys.TAB)
    driver.switch_to.active_element.send_keys("salah-salah-salah", Keys.ENTER)
    alert = wait_for(lambda: driver.find_element(By.ID, "login-error"), driver)
    assert alert.get_attribute("role") == "alert"


@pytest.mark.parametrize("role", ROLES)
def test_every_page_for_every_role_with_axe(driver, base, env, role):
    from selenium.webdriver.common.by import By

    keyboard_login(driver, base, role)
    problems = {}
    pages = page_urls(env, role)
    assert len(pages) >= 10
    for path, ok in pages:
        driver.get(base + path)
        h1 = driver.find_element(By.CSS_SELECTOR, "h1").text
        if ok:
            assert h1 not in ("403", "404", "500"), (role, path, h1)
        else:
            assert h1 == "403", (role, path, h1)
        found = axe_violations(driver)
        if found:
            problems[path] = found
    driver.get(base + "/login")
    found = axe_violations(driver)
    if found:
        problems["/login"] = found
    assert not problems, problems


def test_triage_round_trip_by_keyboard(driver, base, env):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    store = env.store()
    try:
        fp = next(i.fingerprint for i in store.issues(site="desa-b") if i.rule == "tls.cert.expiring")
    finally:
        store.close()
    keyboard_login(driver, base, "kepala_seksi", path=f"/findings/desa-b/{fp}")
    assert f"/findings/desa-b/{fp}" in driver.current_url
    driver.find_element(By.ID, "fp-reason").send_keys("Sertifikat sudah diperpanjang di panel hosting", Keys.ENTER)
    wait_for(lambda: "Sertifikat sudah diperpanjang" in driver.find_element(By.ID, "decision").text, driver)
    assert driver.find_element(By.ID, "decision-kind").text.lower().startswith("positif palsu")
    driver.find_element(By.ID, "note-text").send_keys("Dicek ulang bulan depan")
    driver.find_element(By.ID, "note-text").send_keys(Keys.TAB, Keys.ENTER)  # tab to the button, press it
    wait_for(lambda: "Dicek ulang bulan depan" in driver.find_element(By.ID, "events").text, driver)
    for _ in range(2):  # undo the note, then the decision; each press reloads the page with one more event
        rows = len(driver.find_elements(By.CSS_SELECTOR, "#events tbody tr"))
        driver.find_element(By.CSS_SELECTOR, "#form-undo button").send_keys(Keys.ENTER)
        wait_for(lambda rows=rows: len(driver.find_elements(By.CSS_SELECTOR, "#events tbody tr")) == rows + 1,
                 driver)
    wait_for(lambda: driver.find_element(By.ID, "decision-kind").text == "-", driver)
    events = driver.find_element(By.ID, "events").text
    assert events.count("kepala_seksi") >= 4  # decision, note, two undos: the log keeps every step


def test_upload_with_niks_masked_and_no_file_left(driver, base, tmp_path, monkeypatch):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))  # the in-process server's temporary folder
    ppl = people(5, seed=19)
    src = tmp_path / "src"
    src.mkdir()
    upload = src / "penerima-blt.csv"
    upload.write_bytes(make_csv(ppl))
    keyboard_login(driver, base, "operator", path="/periksa")
    assert "tidak disimpan" in driver.find_element(By.ID, "privacy-note").text
    driver.find_element(By.ID, "files").send_keys(str(upload))  # WebDriver's stand-in for the file dialog
    driver.find_element(By.ID, "check-button").send_keys(Keys.ENTER)  # submitted from the keyboard
    table = wait_for(lambda: driver.find_element(By.ID, "checkfile-results"), driver)
    text, source = table.text, driver.page_source
    assert "penerima-blt.csv" in text and "NIK" in text
    for _name, nik, kk, hp in ppl:
        assert nik not in source and kk not in source and hp not in source
    assert ppl[0][1][:4] + "*" in text
    assert list(spool.iterdir()) == []


def test_daftar_import_with_preview(driver, base, env, tmp_path):
    from selenium.webdriver.common.by import By

    xlsx = tmp_path / "daftar-baru.xlsx"
    write_daftar_xlsx(xlsx, [("apbdes", "APBDes", "Berkala", "Tahunan"), ("profil", "Profil desa", "Berkala",
                                                                          "Tahunan"),
                             ("rkpdes", "RKPDes", "Berkala", "Tahunan")])
    keyboard_login(driver, base, "ketua_ppid", path="/daftar/desa-a")
    driver.find_element(By.ID, "daftar-file").send_keys(str(xlsx))
    driver.find_element(By.ID, "preview-button").click()
    summary = wait_for(lambda: driver.find_element(By.ID, "preview-summary"), driver).text
    assert "1 ditambah" in summary and "0 dihapus" in summary
    assert "rkpdes" in driver.find_element(By.ID, "diff-added").text
    assert "rkpdes" not in env.cfg.site("desa-a").approved_content.read_text()
    driver.find_element(By.ID, "save-button").click()
    wait_for(lambda: "saved=1" in driver.current_url, driver)
    assert "rkpdes" in env.cfg.site("desa-a").approved_content.read_text()
    assert "RKPDes" in driver.find_element(By.ID, "daftar").text


def test_pdf_download_opens(driver, base, downloads):
    from pypdf import PdfReader
    from selenium.webdriver.common.by import By

    keyboard_login(driver, base, "atasan_ppid", path="/laporan")
    link = driver.find_element(By.CSS_SELECTOR, "#reports a[href$='.pdf']")
    name = link.get_attribute("href").rsplit("/", 1)[1]
    link.click()
    path = downloads / name
    wait_for(lambda: path.is_file() and not Path(str(path) + ".crdownload").exists(), driver, 60)
    reader = PdfReader(str(path))
    assert len(reader.pages) >= 1
    assert "desa-a" in "".join(p.extract_text() or "" for p in reader.pages)
    # The saved HTML report opens too, under its sandboxed policy.
    driver.get(base + "/laporan")
    driver.find_element(By.CSS_SELECTOR, "#reports a[href$='.html']").click()
    wait_for(lambda: driver.find_element(By.CSS_SELECTOR, "h1"), driver)


def test_hostile_content_rendered_as_text(driver, base, env):
    from selenium.webdriver.common.by import By

    store = env.store()
    try:
        fp = next(i.fingerprint for i in store.issues(site="desa-a") if i.rule == "content.item.stale")
    finally:
        store.close()
    keyboard_login(driver, base, "admin", path="/findings?state=all")
    pages = ["/findings?state=all", f"/findings/desa-a/{fp}", "/", "/sites/desa-a", "/program"]
    for path in pages:
        driver.get(base + path)
        assert driver.execute_script("return window.__pwned === undefined"), path
        scripts = driver.execute_script("return [...document.scripts].map(s => s.src)")
        assert all(s.endswith("/static/console.js") for s in scripts), (path, scripts)
        hrefs = driver.execute_script("return [...document.querySelectorAll('a[href]')].map(a => a.href)")
        assert not [h for h in hrefs if h.lower().startswith("javascript:")], path
        assert not driver.find_elements(By.CSS_SELECTOR, "img[onerror], main script")
    driver.get(base + f"/findings/desa-a/{fp}")
    assert driver.find_element(By.ID, "finding-title").get_attribute("textContent").startswith(HOSTILE_TITLE[:20])
    assert driver.find_element(By.ID, "finding-url").text == "javascript:window.__pwned=3"
    evidence = driver.find_element(By.ID, "evidence").text
    assert evidence.startswith('"><script>') and len(evidence) <= 4100  # long evidence cut, as text
    width = driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 1400  # very long strings wrap instead of widening the page
