"""Screenshots of the console for docs/console.md, taken by headless Chromium (Selenium + chromium-driver)
on the generated test store (tests/console_support.py). Writes docs/console-*.png.

    .venv/bin/python scripts/console_screenshots.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHOTS = [("overview", "admin", "/"), ("site", "admin", "/sites/desa-a"), ("findings", "kepala_seksi", "/findings"),
         ("finding", "kepala_seksi", None), ("checkfile", "operator", "/periksa"),
         ("programme", "kepala_seksi", "/program"), ("login", None, "/login")]


def main() -> int:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from tests.browser import chromium
    from tests.console_support import PASSWORD, make_env, serve

    with tempfile.TemporaryDirectory() as tmp:
        env = make_env(Path(tmp) / "env", populate_days=40)
        store = env.store()
        try:
            fp = next(i.fingerprint for i in store.issues(site="desa-a") if i.rule == "tls.cert.expiring")
        finally:
            store.close()
        driver = chromium()
        driver.set_window_size(1200, 900)
        try:
            with serve(env) as base:
                for name, user, path in SHOTS:
                    driver.delete_all_cookies()
                    if user:
                        driver.get(base + "/login")
                        driver.find_element(By.ID, "name").send_keys(user, Keys.TAB)
                        driver.switch_to.active_element.send_keys(PASSWORD, Keys.ENTER)
                    driver.get(base + (path or f"/findings/desa-a/{fp}"))
                    out = ROOT / "docs" / f"console-{name}.png"
                    driver.save_screenshot(str(out))
                    print(out.relative_to(ROOT))
        finally:
            driver.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
