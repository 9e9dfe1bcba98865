"""Check `links`: internal links and documents that answer 4xx/5xx or time out (`content.link.broken`)."""

from __future__ import annotations

from checks.base import Check, CheckConfig, CheckContext, CheckResult
from checks.content.records import LINKS_RULEBOOK
from checks.facts import LinksFacts


class LinksConfig(CheckConfig):
    report_redirect_loops: bool = True
    max_referrers: int = 10  # how many linking pages to list per broken URL


class LinksCheck(Check[LinksConfig]):
    name = "links"
    description = "Tautan internal dan dokumen yang rusak (4xx/5xx/timeout)"
    config_model = LinksConfig
    facts_model = LinksFacts
    area = "content"
    rulebook = LINKS_RULEBOOK

    def run(self, ctx: CheckContext) -> CheckResult:
        cfg = self.config(ctx)
        result = CheckResult()
        start = ctx.site.start_page
        broken = 0
        for res in ctx.site.all_resources():
            if res is start or not res.referrers:
                continue  # the start URL is the site itself; only linked resources count as links
            problem = describe_problem(res.status, res.error, cfg.report_redirect_loops)
            if problem is None:
                continue
            broken += 1
            referrers = sorted(set(res.referrers))
            doc = res.kind == "document"
            fields = {"what": "Dokumen" if doc else "Tautan", "what_en": "document" if doc else "link",
                      "problem": problem["id"], "problem_en": problem["en"]}
            result.findings.append(self.finding_from(
                "content.link.broken", case="document" if doc else None, fmt=fields, url=res.url,
                evidence=f"{problem['en']}; linked from {len(referrers)} page(s): "
                         + ", ".join(referrers[: cfg.max_referrers]),
                key=problem["key"],
                data={"status": res.status, "error": res.error, "referrers": referrers[: cfg.max_referrers],
                      "kind": res.kind}))
        result.facts = LinksFacts(checked=len(ctx.site.all_resources()), broken=broken)
        return result


def describe_problem(status: int | None, error: str | None, report_loops: bool = True) -> dict[str, str] | None:
    """Why a resource counts as broken, or None. Pure, so it is tested without a network."""
    if error and "redirect" in error:
        if not report_loops:
            return None
        return {"id": f"pengalihan bermasalah ({error})", "en": error, "key": "redirect"}
    if status is None:
        reason = error or "no response"
        if "timed out" in reason:
            return {"id": "waktu habis (timeout)", "en": "timed out", "key": "timeout"}
        return {"id": f"tidak ada jawaban ({reason})", "en": reason, "key": "noresponse"}
    if status >= 400:
        return {"id": f"HTTP {status}", "en": f"HTTP {status}", "key": f"http{status // 100}xx"}
    return None
