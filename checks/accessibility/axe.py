"""Optional: axe-core in headless Chromium (Selenium + Debian's chromium-driver) on a sample of pages.

Used by the check when `axe: true`, and by the tests as the peer our static counts are compared with.
Everything stays offline: axe.min.js is injected from disk, Chromium starts with background networking off.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from checks.accessibility.static import AXE_RULE
from checks.base import CheckContext

CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")
# axe tags `td-has-header` as experimental, so it is switched on explicitly; the others run by default.
AXE_OPTIONS = {"runOnly": {"type": "rule", "values": sorted({r for rules in AXE_RULE.values() for r in rules})}}


def find_axe_script(configured: str, base_dir: Path) -> Path | None:
    candidates = [Path(configured)] if configured else []
    candidates += [base_dir / "tools/node/node_modules/axe-core/axe.min.js",
                   Path(__file__).resolve().parents[2] / "tools/node/node_modules/axe-core/axe.min.js"]
    return next((c for c in candidates if c.is_file()), None)


class AxeBrowser:
    """One headless Chromium session that runs axe-core on pages, closed by `close()` or `with`."""

    def __init__(self, script: Path, chromium: str = "/usr/bin/chromium", chromedriver: str = "/usr/bin/chromedriver",
                 page_timeout_s: float = 30.0):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        opts = webdriver.ChromeOptions()
        opts.binary_location = chromium
        for flag in CHROMIUM_FLAGS:
            opts.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service(chromedriver), options=opts)
        self.driver.set_page_load_timeout(page_timeout_s)
        self.driver.set_script_timeout(page_timeout_s)
        self.source = script.read_text(encoding="utf-8")

    def run(self, url: str) -> dict[str, int]:
        """axe rule id -> number of violating nodes on `url`."""
        self.driver.get(url)
        self.driver.execute_script(self.source)
        raw = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            f"axe.run(document, {json.dumps(AXE_OPTIONS)}).then(r => done(JSON.stringify(r.violations)))"
            ".catch(e => done(JSON.stringify({error: String(e)})));")
        result = json.loads(raw)
        if isinstance(result, dict):
            raise RuntimeError(f"axe-core failed on {url}: {result.get('error')}")
        return {v["id"]: len(v["nodes"]) for v in result}

    def close(self) -> None:
        self.driver.quit()

    def __enter__(self) -> AxeBrowser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def axe_counts(urls: Iterable[str], cfg: Any, ctx: CheckContext) -> dict[str, Any]:
    """Per-URL axe counts for the check's facts, or {"error": ...} when the browser or axe is missing."""
    script = find_axe_script(cfg.axe_script, ctx.base_dir)
    if script is None:
        return {"error": "axe-core not found: set checks.accessibility.axe_script to axe.min.js"}
    try:
        with AxeBrowser(script, cfg.chromium, cfg.chromedriver) as browser:
            return {"pages": {u: browser.run(u) for u in urls}}
    except Exception as exc:  # a missing browser or driver must not fail the static check
        ctx.log.warning("accessibility: axe run failed: %s: %s", type(exc).__name__, exc)
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}
