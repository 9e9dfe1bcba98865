"""Check `accessibility`: basic WCAG problems counted per page from the crawl snapshot (`a11y.*`).

One finding per rule per site, with the affected URLs and per-page counts in `data`. Static by default;
with `axe: true` and Chromium + chromedriver + axe-core present, axe-core also runs on a sample of pages in
a real browser and its violation counts are stored next to ours (facts `axe`), never replacing them.
"""

from __future__ import annotations

from collections import defaultdict

from checks.accessibility.rules import RULES
from checks.accessibility.static import AXE_RULE, audit_page
from checks.base import Check, CheckConfig, CheckContext, CheckResult
from checks.facts import AccessibilityFacts

MAX_URLS = 20  # affected URLs listed per finding


class AccessibilityConfig(CheckConfig):
    max_pages: int = 500  # pages analysed (the crawl's HTML pages, in crawl order)
    axe: bool = False  # also run axe-core in Chromium on a sample of pages (needs selenium + chromium)
    axe_sample: int = 5
    axe_script: str = ""  # path of axe.min.js (npm axe-core); empty: tools/node/node_modules/axe-core
    chromium: str = "/usr/bin/chromium"
    chromedriver: str = "/usr/bin/chromedriver"


class AccessibilityCheck(Check[AccessibilityConfig]):
    name = "accessibility"
    area = "a11y"
    description = "Aksesibilitas dasar: bahasa, judul, teks alternatif, nama tautan, label, urutan judul, tabel"
    config_model = AccessibilityConfig
    facts_model = AccessibilityFacts
    rulebook = RULES

    def run(self, ctx: CheckContext) -> CheckResult:
        cfg = self.config(ctx)
        pages = [p for p in ctx.site.pages if p.kind == "page" and p.ok and p.is_html and p.body][: cfg.max_pages]
        per_rule: dict[str, dict[str, int]] = defaultdict(dict)
        samples: dict[str, list[str]] = defaultdict(list)
        for page in pages:
            audit = audit_page(page.text, root=page.document)
            for rule, n in audit.counts.items():
                if n:
                    per_rule[rule][page.url] = n
                    samples[rule].extend(audit.samples.get(rule, [])[: 5 - len(samples[rule])])
        result = CheckResult()
        for rule in AXE_RULE:
            hits = per_rule.get(rule)
            if not hits:
                continue
            urls = sorted(hits)
            count = sum(hits.values())
            result.findings.append(self.finding_from(
                rule, url=ctx.site.url, key="site", fmt={"count": count, "pages": len(urls)},
                evidence=f"{count} x di {len(urls)} halaman; contoh: " + "; ".join(samples[rule][:3]),
                data={"count": count, "pages": len(urls), "per_page": {u: hits[u] for u in urls[:MAX_URLS]},
                      "urls_total": len(urls)}))
        facts = AccessibilityFacts(pages_checked=len(pages),
                                   counts={rule: sum(per_rule.get(rule, {}).values()) for rule in AXE_RULE})
        if cfg.axe:
            from checks.accessibility.axe import axe_counts

            facts.axe = axe_counts([p.url for p in pages[: cfg.axe_sample]], cfg, ctx)
        result.facts = facts
        return result
