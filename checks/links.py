"""Check `links`: internal links and documents that answer 4xx/5xx or time out (`content.link.broken`)."""

from __future__ import annotations

from checks.base import Check, CheckConfig, CheckContext, CheckResult, Severity
from checks.facts import LinksFacts

REFERENCES = ["https://developer.mozilla.org/en-US/docs/Web/HTTP/Status"]


class LinksConfig(CheckConfig):
    report_redirect_loops: bool = True
    max_referrers: int = 10  # how many linking pages to list per broken URL


class LinksCheck(Check):
    name = "links"
    description = "Tautan internal dan dokumen yang rusak (4xx/5xx/timeout)"
    config_model = LinksConfig
    facts_model = LinksFacts
    rules = {"content.link.broken": "Internal link or document is broken"}

    def run(self, ctx: CheckContext) -> CheckResult:
        cfg: LinksConfig = ctx.config  # type: ignore[assignment]
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
            severity = Severity.MEDIUM if res.kind == "document" else Severity.LOW
            referrers = sorted(set(res.referrers))
            what_id = "Dokumen" if res.kind == "document" else "Tautan"
            what_en = "Document" if res.kind == "document" else "Link"
            result.findings.append(self.finding(
                "content.link.broken", severity, f"{what_id} rusak: {problem['id']}",
                url=res.url,
                evidence=f"{problem['en']}; linked from {len(referrers)} page(s): "
                         + ", ".join(referrers[: cfg.max_referrers]),
                key=problem["key"],
                title_en=f"Broken {what_en.lower()}: {problem['en']}",
                remediation=("Perbaiki atau hapus tautan pada halaman yang menautkannya, atau unggah ulang "
                             "dokumen ke alamat tersebut. Periksa juga Daftar Informasi Publik yang merujuk ke sini."),
                remediation_en=("Fix or remove the link on the pages that point here, or upload the document "
                                "again at this address."),
                references=REFERENCES,
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
