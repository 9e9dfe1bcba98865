"""The `software` check: what runs the site (CMS, server, PHP, JS libraries), judged against dated data,
plus bounded, content-verified probes for exposed files, admin pages and directory listings."""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urljoin, urlsplit

from pydantic import Field

from checks.base import Check, CheckConfig, CheckContext, CheckResult, CheckSkipped, Severity
from checks.facts import JsLibrary, Note, Probes, SoftwareFacts
from checks.rules import RuleBook
from checks.software import fingerprint as fp
from checks.software import opensid, rules
from checks.software.data import DataError, SoftwareData, load_data, user_data_dir
from checks.software.jslibs import LibraryHit
from checks.software.judge import Verdict, judge
from checks.software.opensid_steps import OpenSIDSteps
from checks.software.probes import (
    NotFoundShape,
    Probe,
    not_found_shape,
    select_probes,
    verify_directory_listing,
)
from checks.software.versions import compare

MAX_PAGES_ANALYSED = 60

# Scripts WordPress bundles under wp-includes/js are registered with the library's own version as ?ver=.
_WP_BUNDLED = {
    "jquery": "jquery", "jquery-migrate": "jquery-migrate", "underscore": "underscore.js",
    "backbone": "backbone.js", "moment": "moment.js", "lodash": "lodash", "plupload": "plupload",
    "plupload.full": "plupload",
}


class SoftwareConfig(CheckConfig):
    probes: bool = True  # file/admin/listing probes (detection probes such as the feed always run)
    max_probes: int = Field(30, ge=0, le=100)
    max_scripts: int = Field(25, ge=0, le=200)
    script_max_kb: int = Field(1024, gt=0, le=10240)
    data_dir: str | None = None  # where `ppid-audit data update` writes; default $PPID_AUDIT_DATA_DIR
    ignore_libraries: list[str] = Field(default_factory=list)


class SoftwareCheck(Check[SoftwareConfig]):
    name = "software"
    description = "Outdated CMS/server/PHP/JS libraries, version disclosure, exposed files and admin pages"
    config_model = SoftwareConfig
    facts_model = SoftwareFacts
    area = "software"
    # the software check's records (rules.py) and the rule OpenSID adds (opensid.py)
    rulebook = RuleBook("software", [*rules.RULEBOOK.values(), *opensid.RULES.values()])

    def run(self, ctx: CheckContext) -> CheckResult:
        cfg = self.config(ctx)
        site = ctx.site
        if not site.reachable or not site.pages:
            raise CheckSkipped("the site could not be reached: nothing to fingerprint")
        res = CheckResult()
        notes: list[str] = []
        now = ctx.now()
        try:
            data = load_data(user_data_dir(cfg.data_dir, ctx.base_dir))
        except DataError as exc:
            raise CheckSkipped(f"software data unavailable: {exc}") from None
        age = data.age_days(now)
        if data.stale(now):
            msg = (f"software data is {age} days old (oldest file as of {data.oldest.isoformat()}); "
                   f"run `ppid-audit data update` for current versions and vulnerabilities")
            ctx.log.warning("software: %s", msg)
            notes.append(msg)
        run = _Run(self, ctx, cfg, data, res, notes)
        for step in (run.fingerprint, run.probe_fingerprints, run.judge_products, run.disclosed,
                     run.js_libraries, run.exposure, run.opensid_findings):
            try:
                step()
            except Exception as exc:  # one failing part must not stop the rest
                ctx.log.warning("software: %s failed: %s: %s", step.__name__, type(exc).__name__, exc)
                notes.append(f"{step.__name__} failed: {type(exc).__name__}: {exc}")
        res.facts = SoftwareFacts(
            detected=run.detected_json(),
            js_libraries=[JsLibrary(library=h.component, version=h.version, url=h.url, detection=h.detection,
                                    vulnerable=h.vulnerable, ids=sorted({i for v in h.vulnerabilities for i in v.ids}))
                          for h in run.js_hits],
            data={"files": data.describe(), "age_days": age, "stale": data.stale(now)},
            probes=Probes(made=run.requests, soft_404=run.soft_404),
            opensid=run.opensid.facts(),
            notes=[Note(text=n) for n in notes])
        return res


class _Run:
    """State of one run: signals gathered, requests made, findings added."""

    def __init__(self, check: SoftwareCheck, ctx: CheckContext, cfg: SoftwareConfig, data: SoftwareData,
                 res: CheckResult, notes: list[str]):
        self.check, self.ctx, self.cfg, self.data, self.res, self.notes = check, ctx, cfg, data, res, notes
        self.site = ctx.site
        self.root = _root(self.site.url)
        self.host = urlsplit(self.site.url).hostname or ""
        self.hosts = {self.host, *(h.lower() for h in self.site.allowed_hosts)}
        self.signals: list[fp.Signal] = []
        self.detections: list[fp.Detection] = []
        self.verdicts: dict[str, Verdict] = {}
        self.js_hits: list[LibraryHit] = []
        self.requests = 0
        self.soft_404 = False
        self._nf: NotFoundShape | None = None
        self.pages = [p for p in self.site.pages if p.status is not None and p.body][:MAX_PAGES_ANALYSED]
        self.as_of = next(f.as_of.isoformat() for f in data.files if f.name == "software.json")
        self.opensid = OpenSIDSteps(self)

    # -- helpers ------------------------------------------------------------------------------------
    def fetch(self, url: str, max_bytes: int = 256 * 1024):
        self.requests += 1
        return self.ctx.http.fetch(url, max_bytes=max_bytes)

    def add(self, rule: str, severity: Severity, fmt: dict[str, Any], **kw: Any) -> None:
        self.res.findings.append(self.check.finding_from(rule, severity=severity, fmt=fmt, **kw))

    def detection(self, product: str) -> fp.Detection | None:
        return next((d for d in self.detections if d.product == product), None)

    def cms_detected(self) -> set[str]:
        return {d.product for d in self.detections if d.category == "cms" and d.confidence != "low"}

    def detected_json(self) -> list[dict[str, Any]]:
        out = []
        for d in self.detections:
            item = d.to_json()
            v = self.verdicts.get(d.product)
            if v:
                item["verdict"] = {"status": v.status, "latest": v.latest, "newest": v.newest,
                                   "eol": v.eol, "reason": v.reason}
            out.append(item)
        return out

    # -- steps --------------------------------------------------------------------------------------
    def fingerprint(self) -> None:
        for page in self.pages:
            self.signals += fp.header_signals(page.url, page.headers)
            if page.is_html:
                self.signals += fp.html_signals(page.final_url or page.url, page.text)
        self.signals += self.opensid.page_signals()
        self.detections = fp.aggregate(self.signals)

    def probe_fingerprints(self) -> None:
        """A few content-verified reads that pin the CMS version (feed, OPML, manifest, changelog)."""
        wp = self.detection("wordpress")
        probes: list[tuple[str, Any]] = []
        if wp and wp.score >= 2:
            base = self._wp_base()
            probes += [(base + "?feed=rss2", fp.feed_signals), (base + "wp-links-opml.php", fp.opml_signals),
                       (base + "?rest_route=/", fp.wp_rest_signals), (base + "readme.html", fp.wp_readme_signals)]
        jo = self.detection("joomla")
        if jo and jo.score >= 2:
            probes.append((self.root + "administrator/manifests/files/joomla.xml", fp.joomla_manifest_signals))
        dr = self.detection("drupal")
        if dr and dr.score >= 2:
            probes += [(self.root + "CHANGELOG.txt", fp.drupal_changelog_signals),
                       (self.root + "core/CHANGELOG.txt", fp.drupal_changelog_signals)]
        for url, parse in probes:
            r = self.fetch(url)
            if r.ok and r.body:
                self.signals += parse(url, r.body.decode("utf-8", "replace"))
                self.signals += fp.header_signals(url, r.headers)
        opensid_signals = self.opensid.probe_signals()
        self.signals += opensid_signals
        if probes or opensid_signals:
            self.detections = fp.aggregate(self.signals)

    def _wp_base(self) -> str:
        for s in self.signals:
            if s.product == "wordpress" and s.source == "wp-content/wp-includes asset paths":
                m = re.match(r"(.*?/)wp-(?:content|includes)/", s.evidence)
                if m:
                    return urljoin(self.root, m.group(1))
        return self.root

    def judge_products(self) -> None:
        for d in self.detections:
            prod = self.data.products.get(d.product)
            if not prod or not d.version:
                continue
            v = judge(prod, d.version, self.ctx.now())
            self.verdicts[d.product] = v
            # Judge only corroborated detections: a lone header or a generator tag can lie.
            if d.confidence == "low" or d.version_confidence in (None, "low"):
                continue
            if d.product == "opensid" and v.status == "outdated":
                rule, sev = "software.cms.outdated", rules.OPENSID_OUTDATED
            else:
                hit = rules.JUDGEMENT.get((d.category, v.status))
                if hit is None:
                    continue
                rule, sev = hit
                if v.status == "behind" and d.product in rules.BEHIND_IS_LOW:
                    sev = Severity.LOW
            latest = v.latest if v.status == "outdated" and v.latest else v.newest
            text = rules.judgement_fields(d.name, d.version, latest, v.reason, self.as_of)
            variant = None
            if d.product == "opensid" and (own := self.opensid.outdated_fields(d.version)) is not None:
                text, variant = own, "opensid"
            refs = list(_sources(self.data, d.product))
            self.add(rule, sev, text, variant=variant, url=self.root,
                     evidence=f"{d.name} {d.version}; " + "; ".join(d.evidence[:3]),
                     references=refs, key=d.product, confidence=d.version_confidence,
                     data={"product": d.product, "version": d.version, "status": v.status,
                           "latest": latest, "eol": v.eol, "category": prod.get("category")})

    def disclosed(self) -> None:
        seen: set[tuple[str, str]] = set()
        for page in self.pages:
            for header in ("Server", "X-Powered-By", "X-AspNet-Version", "X-Generator"):
                for value in page.headers.get_all(header):
                    if not re.search(r"\d+\.\d+", value):
                        continue
                    products = re.sub(r"[/ ]?v?\d+(?:\.\d+)+\S*", "", value).strip().lower()
                    if (header, products) in seen:
                        continue
                    seen.add((header, products))
                    self.add("software.version.disclosed", Severity.LOW, {"header": header, "value": value},
                             url=self.root, evidence=f"{header}: {value}"[:200], key=f"{header}:{products}",
                             confidence="high")

    def js_libraries(self) -> None:
        repo = self.data.jsrepo
        scripts: list[str] = []
        for page in self.pages:
            urls = [ln.url for ln in page.links if ln.tag == "script"]
            if page.is_html:
                urls += [u for u in fp.asset_urls(page.final_url or page.url, page.text)
                         if urlsplit(u).path.endswith(".js")]
            for u in urls:
                if u not in scripts and urlsplit(u).scheme in ("http", "https"):
                    scripts.append(u)
        found: dict[tuple[str, str], LibraryHit] = {}
        fetched = 0
        for url in scripts:
            hits = repo.scan_url(url)
            hits += _wp_bundled(url)
            same_site = (urlsplit(url).hostname or "") in self.hosts
            if same_site and fetched < self.cfg.max_scripts:
                fetched += 1
                r = self.fetch(url, max_bytes=self.cfg.script_max_kb * 1024)
                if r.ok and r.body and not fp_is_html(r.body):
                    hits += repo.scan_content(r.body.decode("utf-8", "replace"))
            for h in repo.hits(hits, url):
                if h.component in self.cfg.ignore_libraries:
                    continue
                found.setdefault((h.component, h.version), h)
        self.js_hits = sorted(found.values(), key=lambda h: (h.component, h.version))
        if len(scripts) > self.cfg.max_scripts:
            self.notes.append(f"{len(scripts)} scripts referenced; contents of {self.cfg.max_scripts} read "
                              f"(checks.software.max_scripts), the rest judged by URL only")
        meta = next(f for f in self.data.files if f.name == "jsrepo.json")
        for h in self.js_hits:
            if not h.vulnerable:
                continue
            ids = sorted({i for v in h.vulnerabilities for i in v.ids}, key=_id_order)
            worst = max((rules.JS_SEVERITY.get(v.severity, Severity.MEDIUM) for v in h.vulnerabilities),
                        default=Severity.MEDIUM)
            fixed = _fixed_in(h)
            text = rules.js_fields(h.component, h.version, [i for i in ids if i.startswith("CVE-")] or ids, fixed)
            infos = [u for v in h.vulnerabilities for u in v.info]
            refs = list(dict.fromkeys([*ids, *infos]))[:20]
            self.add("software.js.vulnerable", worst, text, url=h.url,
                     evidence=f"{h.component} {h.version} (deteksi: {h.detection}; {len(h.vulnerabilities)} "
                              f"kerentanan; data retire.js per {meta.as_of.isoformat()})",
                     references=refs, key=h.component,
                     confidence="high" if h.detection in ("filecontent", "hash") else "medium",
                     data={"library": h.component, "version": h.version, "fixed_in": fixed,
                           "ids": ids, "detection": h.detection})

    def exposure(self) -> None:
        # Listings the crawl already fetched cost nothing.
        listed: set[str] = set()
        for page in self.pages:
            if page.ok and page.is_html:
                ev = verify_directory_listing(page.body, page.content_type)
                if ev:
                    path = urlsplit(page.final_url or page.url).path or "/"
                    listed.add(path)
                    self._add_probe_finding(_LISTING_PROBE, page.final_url or page.url, path, ev)
        if not self.cfg.probes or self.cfg.max_probes == 0:
            return
        self._learn_not_found()
        admin_seen: set[str] = set()
        for probe in select_probes(self.cms_detected(), self.cfg.max_probes):
            if probe.path in listed:
                continue
            base = self._wp_base() if probe.cms == "wordpress" else self.root
            url = urljoin(base, probe.path.lstrip("/"))
            r = self.fetch(url, max_bytes=probe.max_bytes)
            if r.error and not r.body:
                continue
            final_path = urlsplit(r.final_url or url).path
            if probe.rule != "admin.exposed" and final_path.rstrip("/") != urlsplit(url).path.rstrip("/"):
                continue  # redirected elsewhere (often to the home page): not this file
            if self._nf is not None and self._nf.matches(r.status, r.body, urlsplit(url).path):
                continue
            ctype = (r.headers.get("content-type") or "").lower()
            evidence = probe.verify(r.body, ctype)
            if evidence and probe.rule == "admin.exposed":
                if evidence in admin_seen:
                    continue  # /wp-admin/ redirects to the same login page as /wp-login.php
                admin_seen.add(evidence)
            if evidence:
                self._add_probe_finding(probe, url, urlsplit(url).path, evidence)

    def opensid_findings(self) -> None:
        self.opensid.release_notes_finding()
        self.opensid.judge_advisories()
        self.opensid.secret_probes()

    def _learn_not_found(self) -> None:
        path = f"/ppid-audit-{secrets.token_hex(8)}.php"
        r = self.fetch(urljoin(self.root, path.lstrip("/")), max_bytes=64 * 1024)
        self._nf = not_found_shape(r.status, r.body, path)
        self.soft_404 = r.status is not None and r.status < 400
        if self.soft_404:
            self.notes.append(f"the site answers {r.status} for paths that do not exist (soft 404); "
                              f"probe results are verified by content only")

    def _add_probe_finding(self, probe: Probe, url: str, path: str, evidence: str) -> None:
        rule = "software." + probe.rule
        fields = {"what": probe.what, "what_en": probe.what_en, "path": path}
        self.add(rule, Severity.parse(probe.severity), fields, url=url, evidence=evidence, key=path,
                 confidence="high")


_LISTING_PROBE = Probe("", "directory.listing", "daftar isi direktori", "directory listing",
                       verify_directory_listing, "medium")


def _root(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def fp_is_html(body: bytes) -> bool:
    return body[:256].lstrip().lower().startswith((b"<!doctype", b"<html"))


def _wp_bundled(url: str) -> list[tuple[str, str, str]]:
    parts = urlsplit(url)
    if "/wp-includes/js/" not in parts.path:
        return []
    m = re.search(r"[?&]ver=(\d+\.\d+(?:\.\d+)?)(?:&|$)", "?" + parts.query)
    stem = re.sub(r"(\.min)?\.js$", "", parts.path.rsplit("/", 1)[-1])
    if not m:
        return []
    if stem in _WP_BUNDLED:
        return [(_WP_BUNDLED[stem], m.group(1), "uri")]
    if "/wp-includes/js/jquery/ui/" in parts.path:
        return [("jquery-ui", m.group(1), "uri")]
    return []


def _fixed_in(hit: LibraryHit) -> str | None:
    belows = [v.below for v in hit.vulnerabilities if v.below]
    if not belows:
        return None
    best = belows[0]
    for b in belows[1:]:
        if compare(b, best) > 0:
            best = b
    return best


def _id_order(i: str) -> tuple[int, str]:
    return (0 if i.startswith("CVE-") else 1, i)


def _sources(data: SoftwareData, product: str) -> list[str]:
    return list(data.products.get(product, {}).get("references") or []) or _SOURCE_URLS.get(product, [])


_SOURCE_URLS = {
    "wordpress": ["https://wordpress.org/download/releases/", "https://endoflife.date/wordpress"],
    "php": ["https://www.php.net/supported-versions.php", "https://endoflife.date/php"],
    "nginx": ["https://nginx.org/en/CHANGES", "https://endoflife.date/nginx"],
    "apache": ["https://httpd.apache.org/security/vulnerabilities_24.html", "https://endoflife.date/apache-http-server"],
    "joomla": ["https://endoflife.date/joomla"],
    "drupal": ["https://endoflife.date/drupal"],
    "opensid": ["https://github.com/OpenSID/OpenSID/releases"],
}
