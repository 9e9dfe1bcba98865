"""Debian's Chromium driven by Selenium with Debian's chromium-driver (headless, no download), and axe-core
from tools/node (scripts/install-system-deps.sh). Skips when absent, fails under PPID_REQUIRE_INTEGRATION=1."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from tests.servers import REPO, need_peer

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run")
AXE = REPO / "tools" / "node" / "node_modules" / "axe-core" / "axe.min.js"


def chromium(download_dir: Path | None = None, *, extra_flags: tuple[str, ...] = ()) -> Any:
    binary = need_peer("chromium", shutil.which("chromium") or "/usr/bin/chromium")
    driver_bin = need_peer("chromedriver", shutil.which("chromedriver") or "/usr/bin/chromedriver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for flag in (*FLAGS, *extra_flags):
        opts.add_argument(flag)
    opts.add_argument("--window-size=1280,1000")
    if download_dir is not None:
        opts.add_experimental_option("prefs", {"download.default_directory": str(download_dir),
                                               "download.prompt_for_download": False,
                                               "plugins.always_open_pdf_externally": True})
    driver = webdriver.Chrome(options=opts, service=Service(executable_path=driver_bin))
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    return driver


def axe_violations(driver: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """Run axe-core on the current page; violations of the given impacts (id, impact, targets)."""
    source = need_peer("axe-core (npm, tools/node)", str(AXE) if AXE.is_file() else None)
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(Path(source).read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations))"
        ".catch(e => done([{id: 'axe-error', impact: 'critical', nodes: [], help: String(e)}]));")
    return [{"id": v["id"], "impact": v["impact"], "help": v.get("help"),
             "targets": [n.get("target") for n in v.get("nodes", [])][:5]}
            for v in result if v.get("impact") in impacts]
