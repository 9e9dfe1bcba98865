"""JavaScript library detection and vulnerability lookup on retire.js repository data (format v5).

The extractors (`uri`, `filename`, `filecontent`, `filecontentreplace`, `hashes`) and the version ranges
(`atOrAbove`, `below`, `excludes`) are interpreted as retire.js does, so a library retire calls
vulnerable we call vulnerable too. `ast` extractors (retire's --deep mode) are not used.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

import regex  # JS patterns use variable-width lookbehind; `regex` also bounds run time per search

from checks.software.versions import at_or_above

log = logging.getLogger("ppid_auditor.checks.software")

VERSION_PATTERN = r"[0-9][0-9.a-z_\-]+"  # retire's replacement for §§version§§
MATCH_TIMEOUT_S = 0.5  # per pattern per file: a hostile minified file must not hang the scan
MAX_CONTENT = 2 * 1024 * 1024

# The libraries we look for (retire component names). The bundled data is trimmed to these.
LIBRARIES = (
    "jquery", "jquery-migrate", "jquery-ui", "jquery-ui-dialog", "jquery-ui-autocomplete",
    "jquery-ui-tooltip", "jquery-validation", "jquery.prettyPhoto", "jquery-mobile", "jquery.datatables",
    "bootstrap", "bootstrap-select", "moment.js", "lodash", "underscore.js", "backbone.js",
    "angularjs", "vue", "tinyMCE", "ckeditor", "ckeditor5", "handlebars", "mustache.js", "DOMPurify",
    "select2", "chart.js", "plupload", "swfobject", "knockout", "prototypejs", "jszip", "axios",
    "highcharts", "pdf.js", "blueimp-file-upload", "markdown-it", "froala", "mathjax",
)


@dataclass
class Vulnerability:
    severity: str
    summary: str
    ids: list[str]  # CVE and GHSA ids
    info: list[str]
    below: str | None = None
    at_or_above: str | None = None


@dataclass
class LibraryHit:
    component: str
    version: str
    detection: str  # uri / filename / filecontent / hash
    url: str
    vulnerabilities: list[Vulnerability] = field(default_factory=list)

    @property
    def vulnerable(self) -> bool:
        return bool(self.vulnerabilities)


def _compile(pattern: str) -> regex.Pattern[str] | None:
    try:
        return regex.compile(pattern.replace("§§version§§", VERSION_PATTERN))
    except regex.error as exc:
        log.debug("skipping retire pattern %r: %s", pattern, exc)
        return None


def _strip_min(version: str) -> str:
    return regex.sub(r"(\.|-)min$", "", version)


class JsRepo:
    """Compiled retire.js repository data."""

    def __init__(self, data: dict[str, Any]):
        self.data = {k: v for k, v in data.items() if isinstance(v, dict) and k != "dont check"}
        self._uri: list[tuple[str, regex.Pattern[str]]] = []
        self._filename: list[tuple[str, regex.Pattern[str]]] = []
        self._content: list[tuple[str, regex.Pattern[str]]] = []
        self._replace: list[tuple[str, regex.Pattern[str], str]] = []
        self._hashes: dict[str, tuple[str, str]] = {}
        for comp, entry in self.data.items():
            ext = entry.get("extractors") or {}
            for kind, target in (("uri", self._uri), ("filecontent", self._content)):
                for pat in ext.get(kind) or []:
                    rx = _compile(pat)
                    if rx is not None:
                        target.append((comp, rx))
            for pat in ext.get("filename") or []:
                # retire matches file names whole (^...$) against the last path segment
                rx = _compile("^" + pat + "$")
                if rx is not None:
                    self._filename.append((comp, rx))
            for rep in ext.get("filecontentreplace") or []:
                m = regex.match(r"^/(.*[^\\])/([^/]+)/$", rep)
                rx = _compile(m.group(1)) if m else None
                if rx is not None and m:
                    self._replace.append((comp, rx, regex.sub(r"\$(\d)", r"\\\1", m.group(2))))
            for digest, version in (ext.get("hashes") or {}).items():
                self._hashes[digest] = (comp, version)

    @property
    def components(self) -> list[str]:
        return sorted(self.data)

    # -- detection ------------------------------------------------------------------------------------
    @staticmethod
    def _scan(patterns: list[tuple[str, regex.Pattern[str]]], text: str) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for comp, rx in patterns:
            try:
                for m in rx.finditer(text, timeout=MATCH_TIMEOUT_S):
                    if m.groups() and m.group(1):
                        found.append((comp, _strip_min(m.group(1))))
            except TimeoutError:
                log.debug("pattern for %s timed out", comp)
        return found

    def scan_url(self, url: str) -> list[tuple[str, str, str]]:
        """(component, version, detection) from a script URL: its path and its file name."""
        path = url.split("?", 1)[0].split("#", 1)[0]
        out = [(c, v, "uri") for c, v in self._scan(self._uri, path)]
        name = path.rsplit("/", 1)[-1]
        out += [(c, v, "filename") for c, v in self._scan(self._filename, name)]
        return out

    def scan_content(self, content: str) -> list[tuple[str, str, str]]:
        text = content[:MAX_CONTENT].replace("\r\n", "\n").replace("\r", "\n")
        out = [(c, v, "filecontent") for c, v in self._scan(self._content, text)]
        if not out:
            for comp, rx, repl in self._replace:
                try:
                    for m in rx.finditer(text, timeout=MATCH_TIMEOUT_S):
                        out.append((comp, _strip_min(rx.sub(repl, m.group(0), count=1)), "filecontent"))
                except (TimeoutError, regex.error, IndexError):
                    continue
        if not out:
            digest = hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()
            if digest in self._hashes:
                comp, version = self._hashes[digest]
                out.append((comp, version, "hash"))
        return out

    # -- judgement ------------------------------------------------------------------------------------
    def vulnerabilities(self, component: str, version: str) -> list[Vulnerability]:
        entry = self.data.get(component) or {}
        out: list[Vulnerability] = []
        for v in entry.get("vulnerabilities") or []:
            below, above = v.get("below"), v.get("atOrAbove")
            if below is not None and at_or_above(version, below):
                continue
            if above is not None and not at_or_above(version, above):
                continue
            if version in (v.get("excludes") or []):
                continue
            ident = v.get("identifiers") or {}
            ids = [*(ident.get("CVE") or [])]
            gh = ident.get("githubID")
            if gh:
                ids.append(gh)
            out.append(Vulnerability(
                severity=str(v.get("severity") or "medium").lower(),
                summary=str(ident.get("summary") or "").split("\n", 1)[0][:200],
                ids=ids, info=list(v.get("info") or []), below=below, at_or_above=above))
        return out

    def hits(self, found: list[tuple[str, str, str]], url: str) -> list[LibraryHit]:
        seen: set[tuple[str, str]] = set()
        out: list[LibraryHit] = []
        for comp, version, detection in found:
            if (comp, version) in seen:
                continue
            seen.add((comp, version))
            out.append(LibraryHit(comp, version, detection, url, self.vulnerabilities(comp, version)))
        return out


def trim(data: dict[str, Any], keep: tuple[str, ...] = LIBRARIES) -> dict[str, Any]:
    """Only the components we detect, to keep the bundled file small."""
    return {k: data[k] for k in keep if k in data and isinstance(data[k], dict)}


def looks_like_jsrepo(data: Any) -> bool:
    return isinstance(data, dict) and any(
        isinstance(v, dict) and "extractors" in v and "vulnerabilities" in v for v in data.values())
