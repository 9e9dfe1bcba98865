"""Pure functions: crawl scope -> ZAP context regexes, ZAP alert JSON -> our findings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from auditor.redact import redact_text
from checks.base import Severity

RISK_TO_SEVERITY: dict[str, Severity] = {
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
    "informational": Severity.INFO,
    "info": Severity.INFO,
}
# ZAP confidences: False Positive, Low, Medium, High, Confirmed (user-confirmed).
CONFIDENCE: dict[str, str | None] = {
    "low": "low",
    "medium": "medium",
    "high": "high",
    "confirmed": "high",
    "false positive": None,
}
EVIDENCE_MAX = 300

def _host_alt(host: str, port: int | None, default_port: bool) -> str:
    h = re.escape(host.lower().strip("[]"))
    if host.count(":") > 1:  # IPv6 literal
        h = r"\[" + h + r"\]"
    if port is not None and not default_port:
        return f"{h}:{port}"
    return f"{h}(?::(?:80|443))?"


def scope_regexes(site_url: str, allowed_hosts: list[str]) -> list[str]:
    """ZAP context include regexes (Java syntax, matched against the whole URL) for our crawl scope:
    the site host (with its explicit port, if any) plus every allowed host on the default ports."""
    parts = urlsplit(site_url)
    host = parts.hostname or ""
    alts = [_host_alt(host, parts.port, parts.port in (None, 80, 443))]
    for entry in allowed_hosts:
        entry = entry.strip()
        if not entry:
            continue
        sub = urlsplit(entry if "//" in entry else f"//{entry}")
        if sub.hostname:
            alt = _host_alt(sub.hostname, sub.port, sub.port in (None, 80, 443))
            if alt not in alts:
                alts.append(alt)
    return [f"(?i)^https?://(?:{a})(?:[/?#].*)?$" for a in alts]


def in_scope(url: str, includes: list[str], excludes: list[str]) -> bool:
    # ZAP applies context regexes with Java's Pattern.matches: the whole URL must match.
    return (any(re.fullmatch(p, url) for p in includes)
            and not any(re.fullmatch(p, url) for p in excludes))


def origins(site_url: str, allowed_hosts: list[str]) -> list[str]:
    """Base URLs for paging alerts per in-scope origin (ZAP's `baseurl` is a plain prefix match)."""
    parts = urlsplit(site_url)
    out = [urlunsplit((parts.scheme, parts.netloc, "", "", ""))]
    for entry in allowed_hosts:
        entry = entry.strip()
        if entry:
            netloc = urlsplit(entry if "//" in entry else f"//{entry}").netloc
            for scheme in ("https", "http"):
                base = f"{scheme}://{netloc}"
                if base not in out:
                    out.append(base)
    return out


@dataclass
class MappedAlert:
    rule: str
    url: str
    severity: Severity
    confidence: str | None
    name: str
    alert_ref: str
    evidence: str
    param: str
    references: list[str]
    solution: str
    description: str
    method: str
    raw_confidence: str


class MalformedAlert(ValueError):
    pass


def _text(alert: dict[str, Any], key: str) -> str:
    value = alert.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise MalformedAlert(f"field {key!r} is {type(value).__name__}")
    return str(value)


def _ident(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def map_alert(alert: Any) -> MappedAlert | None:
    """One ZAP alert (as returned by /JSON/alert/view/alerts/) -> MappedAlert. None for false positives;
    MalformedAlert when a field we need is missing or of the wrong type."""
    if not isinstance(alert, dict):
        raise MalformedAlert(f"alert is {type(alert).__name__}, not an object")
    plugin = _text(alert, "pluginId").strip()
    if not re.fullmatch(r"-?\d+", plugin):
        raise MalformedAlert(f"pluginId {plugin!r} is not a number")
    url = _text(alert, "url").strip()
    if not re.match(r"(?i)^https?://[^/\s]+", url):
        raise MalformedAlert(f"url {url[:60]!r} is not an http(s) URL")
    risk = _text(alert, "risk").strip().lower()
    if risk not in RISK_TO_SEVERITY:
        raise MalformedAlert(f"risk {risk[:30]!r} is unknown")
    raw_conf = _text(alert, "confidence").strip()
    if raw_conf.lower() == "false positive":
        return None
    name = (_text(alert, "name") or _text(alert, "alert")).strip() or f"ZAP rule {plugin}"
    refs: list[str] = []
    cwe, wasc = _ident(_text(alert, "cweid")), _ident(_text(alert, "wascid"))
    if cwe:
        refs.append(f"CWE-{cwe}")
        refs.append(f"https://cwe.mitre.org/data/definitions/{cwe}.html")
    if wasc:
        refs.append(f"WASC-{wasc}")
    alert_ref = _text(alert, "alertRef").strip() or plugin
    refs.append(f"https://www.zaproxy.org/docs/alerts/{alert_ref}/")
    for line in re.split(r"[\s]+", _text(alert, "reference")):
        if re.match(r"^https?://\S+$", line) and line not in refs and len(refs) < 10:
            refs.append(line)
    evidence = redact_text(" ".join(_text(alert, "evidence").split()))
    if len(evidence) > EVIDENCE_MAX:
        evidence = evidence[:EVIDENCE_MAX] + "…"
    return MappedAlert(
        rule=f"zap.{plugin}", url=url.split("#", 1)[0], severity=RISK_TO_SEVERITY[risk],
        confidence=CONFIDENCE.get(raw_conf.lower()), name=name, alert_ref=alert_ref, evidence=evidence,
        param=redact_text(_text(alert, "param"))[:120], references=refs,
        solution=_text(alert, "solution").strip(), description=_text(alert, "description").strip(),
        method=_text(alert, "method").strip().upper(), raw_confidence=raw_conf,
    )


@dataclass
class Grouped:
    first: MappedAlert
    count: int = 1
    params: list[str] = field(default_factory=list)


def dedupe(mapped: list[MappedAlert]) -> list[Grouped]:
    """One group per rule + URL (several params of one page are one finding), keeping the highest
    severity and confidence seen."""
    order = {None: 0, "low": 1, "medium": 2, "high": 3}
    groups: dict[tuple[str, str], Grouped] = {}
    for m in mapped:
        key = (m.rule, m.url)
        g = groups.get(key)
        if g is None:
            groups[key] = Grouped(m, params=[m.param] if m.param else [])
            continue
        g.count += 1
        if m.param and m.param not in g.params and len(g.params) < 20:
            g.params.append(m.param)
        if (m.severity, order[m.confidence]) > (g.first.severity, order[g.first.confidence]):
            g.first = m
    return list(groups.values())
