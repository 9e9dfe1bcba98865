"""The OpenSID part of one software-check run: extra signals, the version-pinning reads (/siteman,
/index.php/siteman, catatan_rilis.md), the secret-file probes, the age verdict with the umum/premium lag
and the advisories by version. Called by `checks.software.check._Run`; all detection is in `opensid`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from checks.base import Severity
from checks.software import fingerprint as fp
from checks.software import opensid
from checks.software.judge import judge

OSWASP_FILES = ("https://owasp.org/www-project-web-security-testing-guide/latest/4-Web_Application_Security_Testing/"
                "02-Configuration_and_Deployment_Management_Testing/"
                "04-Review_Old_Backup_and_Unreferenced_Files_for_Sensitive_Information")


class OpenSIDSteps:
    def __init__(self, run: Any):
        self.run = run
        self.theme: dict[str, str] | None = None
        self.theme_url = ""
        self.release_notes: tuple[str, str] | None = None  # (url, version) when catatan_rilis.md was read
        self.version_sources: dict[str, str] = {}  # source -> version
        self.secrets: list[str] = []
        self.advisories: list[opensid.Advisory] = []
        self.advisories_as_of = ""

    # -- signals from the crawl ---------------------------------------------------------------------
    def page_signals(self) -> list[fp.Signal]:
        out: list[fp.Signal] = []
        for page in self.run.pages:
            url = page.final_url or page.url
            out += opensid.cookie_signals(url, page.headers.get_all("set-cookie"))
            if page.is_html:
                out += opensid.page_signals(url, page.text)
                th = opensid.theme(page.text)
                if th and self.theme is None:
                    self.theme, self.theme_url = th, url
        return out

    def detected(self) -> bool:
        d = self.run.detection("opensid")
        return d is not None and d.score >= 2

    # -- reads that pin the version -------------------------------------------------------------------
    def probe_signals(self) -> list[fp.Signal]:
        if not self.detected():
            return []
        out: list[fp.Signal] = []
        for path in opensid.ADMIN_PATHS:
            url = urljoin(self.run.root, path.lstrip("/"))
            r = self.run.fetch(url)
            if r.ok and r.body:
                text = r.body.decode("utf-8", "replace")
                sigs = [s for s in fp.opensid_signals(url, text) if s.version]
                out += [fp.Signal(s.product, s.version, f"{path} (admin login)", s.evidence, url, 3) for s in sigs]
        url = urljoin(self.run.root, opensid.RELEASE_NOTES.lstrip("/"))
        r = self.run.fetch(url, max_bytes=64 * 1024)
        if r.ok and r.body:
            sigs = opensid.release_notes_signals(url, r.body.decode("utf-8", "replace"))
            if sigs:
                self.release_notes = (url, sigs[0].version or "")
            out += sigs
        for s in out:
            if s.version:
                self.version_sources.setdefault(s.source, s.version)
        return out

    # -- findings -------------------------------------------------------------------------------------
    def release_notes_finding(self) -> None:
        if not self.release_notes:
            return
        url, version = self.release_notes
        path = urlsplit(url).path
        self.run.add("software.version.disclosed", Severity.LOW, {"path": path}, variant="opensid-release-notes",
                     url=url,
                     evidence=f"{path}: versi {version} (berkas catatan rilis OpenSID di akar web)",
                     key="opensid:catatan_rilis.md", confidence="high",
                     references=["https://github.com/OpenSID/OpenSID/blob/master/catatan_rilis.md"],
                     data={"product": "opensid", "file": path, "version": version})

    def outdated_fields(self, version: str) -> dict[str, Any] | None:
        released = opensid.release_month(version)
        if released is None:
            return None
        today = self.run.ctx.now().date()
        months = (today.year - released.year) * 12 + today.month - released.month
        return opensid.outdated_fields(version, released, months)

    def judge_advisories(self) -> None:
        d = self.run.detection("opensid")
        if d is None or not d.version or d.version_confidence in (None, "low"):
            return
        self.advisories_as_of, advisories = opensid.load_advisories(opensid.DATA_FILE)
        self.advisories = [a for a in advisories if a.affects(d.version)]
        if not self.advisories:
            return
        rule = opensid.RULES["software.cms.advisory"]
        ids = ", ".join(a.id for a in self.advisories)
        worst = max((Severity.parse(a.severity) for a in self.advisories), default=rule.severity)
        self.run.res.findings.append(rule.finding(
            self.run.check.name, severity=worst, url=self.run.root, key=f"opensid:{d.version}",
            fmt={"version": d.version, "ids": ids, "as_of": self.advisories_as_of,
                 "lag": opensid.premium_lag_months(opensid.release_month(d.version) or self.run.ctx.now().date())},
            evidence="; ".join(f"{a.id} ({a.published}): {a.title}" for a in self.advisories)[:600],
            references=[u for a in self.advisories for u in a.references], confidence=d.version_confidence,
            data={"product": "opensid", "version": d.version, "advisories": [a.id for a in self.advisories],
                  "as_of": self.advisories_as_of}))

    def secret_probes(self) -> None:
        if not self.detected() or not self.run.cfg.probes or self.run.cfg.max_probes == 0:
            return
        if self.run._nf is None:
            self.run._learn_not_found()
        for probe in opensid.SECRET_PROBES:
            url = urljoin(self.run.root, probe.path.lstrip("/"))
            r = self.run.fetch(url, max_bytes=64 * 1024)
            if not r.ok or not r.body:
                continue
            if urlsplit(r.final_url or url).path != probe.path:
                continue
            evidence = probe.verify(r.body, (r.headers.get("content-type") or "").lower())
            if not evidence:
                continue
            self.secrets.append(probe.path)
            self.run.add("software.file.exposed", Severity.CRITICAL,
                         {"what": probe.what, "what_en": probe.what_en, "path": probe.path},
                         variant="opensid-secret", url=url, evidence=evidence,
                         key=probe.path, confidence="high", references=[*opensid.SECRET_REFERENCES, OSWASP_FILES],
                         data={"product": "opensid", "file": probe.path})

    def facts(self) -> dict[str, Any] | None:
        d = self.run.detection("opensid")
        if d is None:
            return None
        released = opensid.release_month(d.version) if d.version else None
        verdict = None
        prod = self.run.data.products.get("opensid")
        if prod and d.version:
            verdict = judge(prod, d.version, self.run.ctx.now()).status
        sources = dict(self.version_sources)
        for s in self.run.signals:
            if s.product == "opensid" and s.version:
                sources.setdefault(s.source, s.version)
        return {
            "version": d.version, "version_confidence": d.version_confidence,
            "version_sources": sources,
            "released": released.strftime("%Y-%m") if released else None, "verdict": verdict,
            "premium_lag_months": opensid.premium_lag_months(released) if released else None,
            "theme": self.theme, "theme_url": self.theme_url,
            "release_notes": self.release_notes[0] if self.release_notes else None,
            "secret_files_exposed": self.secrets,
            "advisories": {"as_of": self.advisories_as_of, "matched": [a.id for a in self.advisories]},
        }
