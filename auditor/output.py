"""Machine-readable outputs: the findings JSON of docs/cli.md and SARIF 2.1.0 (rule table from the rule
records, checks.rules)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from auditor import __version__
from checks.base import Finding, Severity
from checks.rules import Rule, all_rulebooks

if TYPE_CHECKING:  # annotations only: `check-file` writes JSON without loading the crawler
    from auditor.runner import RunOutcome
    from auditor.triage import Decision

TOOL = {"name": "ppid-auditor", "version": __version__}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
                Severity.LOW: "note", Severity.INFO: "note"}

_SARIF_FIELD = re.compile(r"\{[a-z_]+\}")


def _findings_doc(run: dict[str, Any], checks: list[dict[str, Any]], findings: list[tuple[Finding, str]],
                  lifecycle: dict[str, str], lang: str, decisions: dict[str, Decision] | None) -> dict[str, Any]:
    # One fingerprint once, most severe first, checks by name: the same document whether it is written
    # by the scan itself or rebuilt later from the store (the findings embedded in a signed report).
    # The fingerprint is passed along: a stored finding no longer has the key it was computed from.
    items: dict[str, dict[str, Any]] = {}
    for f, fp in sorted(findings, key=lambda p: (-p[0].severity, p[0].rule, p[0].url, p[1])):
        item = {**f.to_json(lang), "fingerprint": fp}
        if lifecycle.get(fp):
            item["lifecycle"] = lifecycle[fp]
        d = (decisions or {}).get(fp)
        item["decision"] = d.to_json() if d is not None and (d.kind or d.previous or d.notes) else None
        items.setdefault(fp, item)
    return {"tool": dict(TOOL), "run": run, "checks": sorted(checks, key=lambda c: c["name"]),
            "findings": list(items.values())}


def findings_json(outcome: RunOutcome, lang: str = "id",
                  decisions: dict[str, Decision] | None = None) -> dict[str, Any]:
    """The findings JSON; `decisions` (auditor.triage.decisions) fills each finding's `decision` field."""
    site = outcome.site
    run = {"id": outcome.run_id, "site": site.name, "url": outcome.url,
           "started": outcome.started.isoformat(timespec="seconds"),
           "finished": outcome.finished.isoformat(timespec="seconds"),
           "pages": site.page_count, "documents": len(site.documents), "status": outcome.status,
           "unfetched": dict(site.unfetched)}
    return _findings_doc(run, [c.to_json() for c in outcome.checks], [(f, f.fingerprint) for f in outcome.findings],
                         outcome.lifecycle, lang, decisions)


def stored_findings_json(store: Any, run_id: str, lang: str = "id") -> dict[str, Any] | None:
    """The findings JSON of a stored run, equal to what `scan --json` wrote for it (None: no such run):
    decisions as they stood when the run finished (the triage log is append-only and dated)."""
    from auditor import triage
    from auditor.runner import CheckStatus

    row = store.run(run_id)
    if row is None:
        return None
    run = {"id": row.id, "site": row.site, "url": row.url,
           "started": row.started.isoformat(timespec="seconds"),
           "finished": row.finished.isoformat(timespec="seconds") if row.finished else None,
           "pages": row.pages, "documents": row.documents, "status": row.status,
           "unfetched": dict(row.unfetched)}
    checks = [CheckStatus(c.name, c.status, c.duration_s or 0.0, c.error).to_json() for c in store.check_runs(run_id)]
    stored = store.findings(run_id)
    lifecycle = {s.fingerprint: s.lifecycle for s in stored if s.lifecycle}
    decided = triage.decisions(store, row.site, now=row.finished or row.started,
                               evidence={s.fingerprint: s.finding.evidence for s in stored})
    return _findings_doc(run, checks, [(s.finding, s.fingerprint) for s in stored], lifecycle, lang, decided)


def sarif_rule(rule_id: str, check: str, record: Rule | None, lang: str, fallback: Finding) -> dict[str, Any]:
    """One entry of SARIF's rule table: from the rule's record (checks.rules) when the check declares one,
    else (a plugin without records) from its first finding."""
    if record is not None:
        title, remediation = record.summary(lang), record.text(lang)[1]
        refs, severity = list(record.references), record.severity.label
        props = {"check": check, "area": record.area, "observes": record.observes.value,
                 "defaultSeverity": severity}
    else:
        title, remediation = fallback.localized(lang)
        refs = list(fallback.references)
        props = {"check": check}
    entry: dict[str, Any] = {"id": rule_id, "name": rule_id.replace(".", "_"),
                             "shortDescription": {"text": title},
                             "help": {"text": _SARIF_FIELD.sub("…", remediation) or title},
                             "properties": props}
    if record is not None:
        entry["defaultConfiguration"] = {"level": _SARIF_LEVEL[record.severity]}
    if refs:
        entry["helpUri"] = refs[0]
    return entry


def suppression(d: Decision) -> dict[str, Any]:
    """SARIF 2.1.0 §3.35: the decision is kept outside the scanned artefact (`external`); the reason is
    the justification."""
    props: dict[str, Any] = {"decision": d.kind, "by": d.actor, "at": d.at.isoformat(timespec="seconds")
                             if d.at else None}
    if d.until:
        props["until"] = d.until.isoformat()
    return {"kind": "external", "status": "accepted", "justification": d.reason, "properties": props}


def sarif(outcome: RunOutcome, lang: str = "id", decisions: dict[str, Decision] | None = None) -> dict[str, Any]:
    """SARIF 2.1.0; a false positive or an unexpired accepted risk carries `suppressions`."""
    books = all_rulebooks()
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for f in outcome.findings:
        title, remediation = f.localized(lang)
        if f.rule not in rules:
            book = books.get(f.check)
            rules[f.rule] = sarif_rule(f.rule, f.check, book.lookup(f.rule) if book else None, lang, f)
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f"{title}: {f.evidence}" if f.evidence else title},
            "partialFingerprints": {"ppidFingerprint/v1": f.fingerprint},
            "properties": {"severity": f.severity.label, "check": f.check},
        }
        d = (decisions or {}).get(f.fingerprint)
        if d is not None and d.suppressed:
            result["suppressions"] = [suppression(d)]
        if f.url:
            result["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": f.url}}}]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": TOOL["name"], "version": TOOL["version"],
                                "informationUri": "https://github.com/ppid-auditor/ppid-auditor",
                                "rules": list(rules.values())}},
            "automationDetails": {"id": f"ppid-audit/{outcome.site.name}/{outcome.run_id}"},
            "invocations": [{"executionSuccessful": all(c.status != "error" for c in outcome.checks),
                             "startTimeUtc": outcome.started.isoformat(timespec="seconds"),
                             "endTimeUtc": outcome.finished.isoformat(timespec="seconds")}],
            "results": results,
        }],
    }


def dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2) + "\n"


def worst(findings: list[Finding], decisions: dict[str, Decision] | None = None) -> Severity | None:
    """The highest severity among findings not suppressed by a decision (false positive, accepted risk)."""
    decisions = decisions or {}
    return max((f.severity for f in findings
                if not (f.fingerprint in decisions and decisions[f.fingerprint].suppressed)), default=None)
