"""Content-Security-Policy parsing: an Observatory-compatible parser (for the grade) and a stricter
reading of each policy (for our own findings).

The Observatory parser (1.4.8 `src/analyzer/cspParser.js`) has quirks we reproduce on purpose so the
grade matches: one duplicated directive makes the whole header invalid, a header sent twice is read as
one policy joined with ", ", and a directive present only in a later policy collapses to 'none'.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SHORTEST_DIRECTIVE_LENGTH = len("img-src") - 1
DIRECTIVES_DISALLOWED_IN_META = ("frame-ancestors", "report-uri", "sandbox")
ALLOWED_DUPLICATE_KEYS = frozenset({"report-uri", "report-to"})
DUPLICATE_WARNINGS_KEY = "_observatory_duplicate_key_warnings"

DANGEROUSLY_BROAD = frozenset({"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*",
                               "https://*.*"})
UNSAFE_INLINE = frozenset({"'unsafe-inline'", "data:"})
NONCE_HASH_PREFIXES = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")

# Directives defined by CSP Level 3 (and a few legacy ones browsers still read); anything else is
# reported as a probable typo.
KNOWN_DIRECTIVES = frozenset({
    "base-uri", "block-all-mixed-content", "child-src", "connect-src", "default-src", "fenced-frame-src",
    "font-src", "form-action", "frame-ancestors", "frame-src", "img-src", "manifest-src", "media-src",
    "navigate-to", "object-src", "plugin-types", "prefetch-src", "report-to", "report-uri",
    "require-sri-for", "require-trusted-types-for", "sandbox", "script-src", "script-src-attr",
    "script-src-elem", "style-src", "style-src-attr", "style-src-elem", "trusted-types",
    "upgrade-insecure-requests", "worker-src",
})


class CspParseError(ValueError):
    pass


@dataclass
class _Source:
    source: str
    index: int
    keep: bool


def _path_part_match(a: str, b: str) -> bool:
    if not a:
        return True
    if a == "/" and not b:
        return True
    exact = not a.endswith("/")
    la, lb = a.split("/"), b.split("/")
    if len(la) > len(lb):
        return False
    if exact and len(la) != len(lb):
        return False
    if not exact:
        la.pop()
    return all(x == y for x, y in zip(la, lb, strict=False))


def parse_csp_observatory(policies: list[str]) -> dict[str, set[str]]:
    """Port of the Observatory's `parseCsp`; raises `CspParseError` where it throws."""
    clean = [p.replace("\r", "").replace("\n", "").strip() for p in policies]
    if not clean:
        return {}
    for p in clean:
        if not p or len(p) < SHORTEST_DIRECTIVE_LENGTH:
            raise CspParseError(f"policy too short: {p!r}")
    csp: dict[str, list[_Source]] = {}
    warnings: set[str] = set()
    for index, policy in enumerate(clean):
        seen: set[str] = set()
        for entry in policy.split(";"):
            tokens = entry.strip().split()
            if not tokens:
                continue
            directive, values = tokens[0].lower(), tokens[1:]
            if directive in seen:
                if directive in ALLOWED_DUPLICATE_KEYS:
                    warnings.add(directive)
                else:
                    raise CspParseError(f"duplicate directive {directive} in policy {index}")
            else:
                seen.add(directive)
            keep = index == 0
            new = [_Source(v.strip().lower(), index, keep) for v in values]
            if not values and directive.endswith("-src"):
                new = [_Source("'none'", index, keep)]
            combined = list(new) if index == 0 else [*csp.get(directive, []), *new]
            combined.sort(key=lambda s: s.source)
            for i in range(1, len(combined)):
                cur, prev = combined[i], combined[i - 1]
                if cur.index == prev.index and cur.source.startswith(prev.source):
                    cur.keep = False
                if cur.index != prev.index and _path_part_match(prev.source, cur.source):
                    cur.keep = True
            csp[directive] = [s for s in combined if s.keep]
            if index == 0 and len(policies) > 1:
                for s in csp[directive]:
                    s.keep = False
    out = {d: ({s.source for s in srcs} if srcs else {"'none'"}) for d, srcs in csp.items()}
    if warnings:
        out[DUPLICATE_WARNINGS_KEY] = warnings
    return out


def parse_csp_meta_observatory(policies: list[str]) -> dict[str, set[str]]:
    out = parse_csp_observatory(policies)
    for d in DIRECTIVES_DISALLOWED_IN_META:
        out.pop(d, None)
    return out


def has_nonce_or_hash(sources: set[str] | list[str]) -> bool:
    return any(s.startswith(NONCE_HASH_PREFIXES) for s in sources)


# --- our own reading (findings) -------------------------------------------------------------------

_DIRECTIVE_NAME = re.compile(r"^[a-z0-9-]+$")


@dataclass
class PolicyReport:
    """What is wrong with one enforced policy, in plain terms."""

    directives: dict[str, list[str]] = field(default_factory=dict)
    syntax_errors: list[str] = field(default_factory=list)
    unsafe: list[str] = field(default_factory=list)  # human-readable problems (English keys)


def split_policies(values: list[str]) -> list[str]:
    """Each header occurrence may itself carry several comma-separated policies (RFC 9110 combination)."""
    out: list[str] = []
    for v in values:
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return out


def analyse_policy(policy: str, *, https: bool) -> PolicyReport:
    """Read one serialized policy like a browser would, and list syntax errors and unsafe sources."""
    rep = PolicyReport()
    for raw in policy.split(";"):
        tokens = raw.strip().split()
        if not tokens:
            continue
        name = tokens[0].lower()
        if not _DIRECTIVE_NAME.match(name):
            rep.syntax_errors.append(f"invalid directive name {tokens[0][:40]!r}")
            continue
        if name in rep.directives:
            rep.syntax_errors.append(f"duplicate directive {name} (browsers ignore the second one)")
            continue
        if name not in KNOWN_DIRECTIVES:
            rep.syntax_errors.append(f"unknown directive {name}")
        rep.directives[name] = [t.lower() for t in tokens[1:]]
    d = rep.directives
    fallback = d.get("default-src")
    script = d.get("script-src", fallback)
    obj = d.get("object-src", fallback)
    if script is None:
        rep.unsafe.append("script-src/default-src not set: scripts may load from anywhere")
    else:
        nonce = has_nonce_or_hash(script)
        if "'unsafe-inline'" in script and not nonce:
            rep.unsafe.append("'unsafe-inline' in script-src")
        if "'unsafe-eval'" in script:
            rep.unsafe.append("'unsafe-eval' in script-src")
        broad = sorted(s for s in script if s in DANGEROUSLY_BROAD or s == "data:")
        if broad and "'strict-dynamic'" not in script:
            rep.unsafe.append("overly broad script sources: " + " ".join(broad))
    if obj is None:
        rep.unsafe.append("object-src/default-src not set: plugins may load from anywhere")
    elif any(s in DANGEROUSLY_BROAD for s in obj):
        rep.unsafe.append("overly broad object-src")
    if https:
        insecure = sorted({s for srcs in d.values() for s in srcs if s.startswith(("http:", "ftp:"))})
        if insecure:
            rep.unsafe.append("insecure http: sources on an HTTPS site: " + " ".join(insecure[:5]))
    return rep
