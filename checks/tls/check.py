"""The `tls` check: HTTPS availability, HTTP->HTTPS redirect, protocols, cipher suites, certificate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from pydantic import Field, field_validator

from auditor.errors import FetchError
from auditor.http import guard_target
from checks.base import Check, CheckConfig, CheckContext, CheckResult, CheckSkipped, Finding, Severity
from checks.facts import HttpsAvailability, RedirectFacts, TlsEndpoint, TlsFacts, Trust
from checks.hsts import HstsFacts, parse_hsts
from checks.tls import analysis as an
from checks.tls.model import LEGACY_PROTOCOLS, TlsScan
from checks.tls.rules import CIPHER_CATEGORY, PROTOCOL_SEVERITY, RULEBOOK
from checks.tls.scan import SUPPLIED_CA, scan_host, trusted_ignoring_time_and_name

HEAD_BYTES = 64 * 1024


class TlsConfig(CheckConfig):
    expiry_warning_days: int = Field(30, ge=0)
    ca_file: Path | None = None  # internal CA (PEM); relative to the config file's directory
    timeout_s: float = Field(5.0, gt=0)  # per connection
    scan_budget_s: float = Field(90.0, gt=0)  # the whole handshake scan
    https_port: int | None = Field(None, ge=1, le=65535)  # default: the site URL's port, else 443
    http_url: str | None = None  # where plain HTTP is expected; default http://<host>/
    check_redirect: bool = True
    check_hsts_preload: bool = True
    ocsp_stapling_info: bool = True

    @field_validator("http_url")
    @classmethod
    def _http(cls, v: str | None) -> str | None:
        if v is not None and (urlsplit(v).scheme != "http" or not urlsplit(v).hostname):
            raise ValueError(f"must be an http:// URL: {v!r}")
        return v


@dataclass(frozen=True)
class Endpoint:
    site_url: str
    host: str
    port: int
    netloc: str
    https_url: str
    ca_file: Path | None


def endpoint(ctx: CheckContext, cfg: TlsConfig) -> Endpoint:
    """Where HTTPS is expected, refusing targets the loopback guard forbids."""
    site_url = getattr(ctx.site_config, "url", None) or ctx.site.url
    parts = urlsplit(site_url)
    host = parts.hostname or ""
    if not host:
        raise CheckSkipped(f"no host in site URL {site_url!r}")
    port = cfg.https_port or (parts.port if parts.scheme == "https" and parts.port else 443)
    netloc = f"[{host}]" if ":" in host else host
    https_url = f"https://{netloc}/" if port == 443 else f"https://{netloc}:{port}/"
    try:
        guard_target(https_url)
    except FetchError as exc:
        raise CheckSkipped(str(exc)) from None
    ca_file = None
    if cfg.ca_file is not None:
        ca_file = cfg.ca_file if cfg.ca_file.is_absolute() else Path(ctx.base_dir) / cfg.ca_file
        if not ca_file.is_file():
            raise ValueError(f"checks.tls.ca_file: file not found: {ca_file}")
    return Endpoint(site_url, host, port, netloc, https_url, ca_file)


class TlsCheck(Check[TlsConfig]):
    name = "tls"
    description = "HTTPS, redirect, TLS protocols and cipher suites, certificate validity (sslyze)"
    config_model = TlsConfig
    facts_model = TlsFacts
    area = "tls"
    rulebook = RULEBOOK

    def _make(self, rule: str, url: str, evidence: str, *, severity: Severity | None = None,
              key: str | None = None, fmt: dict[str, Any] | None = None, **data: Any) -> Finding:
        return self.finding_from(rule, severity=severity, fmt=fmt, url=url, evidence=evidence, key=key, data=data)

    def run(self, ctx: CheckContext) -> CheckResult:
        cfg = self.config(ctx)
        ep = endpoint(ctx, cfg)
        scan = scan_host(ep.host, ep.port, timeout_s=cfg.timeout_s, budget_s=cfg.scan_budget_s,
                         ca_file=ep.ca_file)
        return self.evaluate(ctx, scan)

    def evaluate(self, ctx: CheckContext, scan: TlsScan) -> CheckResult:
        """Findings and facts from a finished scan (plus the HTTP-side probes): `run` minus the handshakes."""
        cfg = self.config(ctx)
        ep = endpoint(ctx, cfg)
        res = CheckResult()
        facts = TlsFacts(endpoint=TlsEndpoint(host=ep.host, port=ep.port, url=ep.https_url),
                         scan_duration_s=round(scan.duration_s, 3),
                         https=HttpsAvailability(available=scan.reachable, error=scan.error),
                         notes=list(scan.notes))
        res.facts = facts
        if not scan.reachable:
            if ep.site_url.startswith("https://") and not ctx.site.reachable:
                raise CheckSkipped(f"site unreachable: {scan.error}")
            if scan.error_kind in ("budget", "other"):
                raise RuntimeError(scan.error)
            res.findings.append(self._make("tls.https.missing", ep.https_url, scan.error or "", key="https"))
            return res

        url = ep.https_url
        parts: list[tuple[str, Callable[[], list[Finding]]]] = [
            ("protocols", lambda: self._protocol_findings(scan, url, facts)),
            ("ciphers", lambda: self._cipher_findings(scan, url, facts)),
            ("certificate", lambda: self._cert_findings(scan, url, ep.host, cfg, ep.ca_file, ctx, facts)),
        ]
        if cfg.check_hsts_preload:
            parts.append(("hsts", lambda: self._hsts_findings(ctx, url, ep.host, cfg, facts)))
        if cfg.check_redirect:
            parts.append(("redirect", lambda: self._redirect_findings(ctx, ep.site_url, ep.netloc, cfg, facts)))
        for name, part in parts:
            try:
                res.findings += part()
            except Exception as exc:  # one broken part (odd certificate, odd header) must not stop the rest
                ctx.log.warning("tls: %s part failed: %s: %s", name, type(exc).__name__, exc)
                facts.errors[name] = f"{type(exc).__name__}: {exc}"
        return res

    # -- protocols and ciphers ---------------------------------------------------------------------------

    def _protocol_findings(self, scan: TlsScan, url: str, facts: TlsFacts) -> list[Finding]:
        facts.protocols = dict(scan.protocols)
        out = []
        for proto in LEGACY_PROTOCOLS:
            if scan.protocols.get(proto):
                out.append(self._make("tls.protocol.legacy", url, f"server accepts {proto}",
                                      severity=PROTOCOL_SEVERITY[proto], key=proto, fmt={"protocol": proto},
                                      protocol=proto))
        t12, t13 = scan.protocols.get("TLSv1.2"), scan.protocols.get("TLSv1.3")
        if t12 is False and t13 is False:
            out.append(self._make("tls.protocol.modern_missing", url, "TLS 1.2 and TLS 1.3 both refused"))
        elif t13 is False:
            out.append(self._make("tls.protocol.tls13_missing", url, "TLS 1.3 refused"))
        return out

    def _cipher_findings(self, scan: TlsScan, url: str, facts: TlsFacts) -> list[Finding]:
        weak = an.weak_ciphers(scan.ciphers)
        fs = any(an.is_forward_secret(c) for c in scan.ciphers)
        facts.weak_ciphers = weak
        facts.forward_secrecy = fs
        facts.cipher_count = len(scan.ciphers)
        out = []
        for cat, names in sorted(weak.items(), key=lambda kv: -CIPHER_CATEGORY[kv[0]][0]):
            sev, label = CIPHER_CATEGORY[cat]
            shown = ", ".join(names[:6]) + (f" (+{len(names) - 6})" if len(names) > 6 else "")
            out.append(self._make("tls.cipher.weak", url, f"{cat}: {shown}", severity=sev, key=cat,
                                  fmt={"category": label}, category=cat, ciphers=names))
        if scan.ciphers and not fs:
            out.append(self._make("tls.cipher.forward_secrecy_missing", url,
                                  f"{len(scan.ciphers)} suites accepted, none with ECDHE/DHE"))
        return out

    # -- certificate -------------------------------------------------------------------------------------

    def _cert_findings(self, scan: TlsScan, url: str, host: str, cfg: TlsConfig, ca_file: Path | None,
                       ctx: CheckContext, facts: TlsFacts) -> list[Finding]:
        if not scan.chain:
            return []
        now = ctx.now()
        leaf = scan.chain[0]
        info = an.cert_facts(leaf, now)
        previous = ctx.previous_facts.certificate if isinstance(ctx.previous_facts, TlsFacts) else None
        if previous is not None and previous.sha256:
            info["changed_since_last_run"] = previous.sha256 != info["sha256"]
        facts.certificate = info
        facts.chain = [{"subject": c.subject.rfc4514_string(), "issuer": c.issuer.rfc4514_string(),
                           "not_after": c.not_valid_after_utc.isoformat(),
                           "signature_algorithm": an.signature_name(c)} for c in scan.chain]
        facts.ocsp_stapled = scan.ocsp_stapled
        out: list[Finding] = []
        if now < leaf.not_valid_before_utc:
            out.append(self._make("tls.cert.not_yet_valid", url, f"notBefore {info['not_before']}",
                                  key="not_yet_valid"))
        days = info["days_left"]
        if now > leaf.not_valid_after_utc:
            out.append(self._make("tls.cert.expired", url, f"notAfter {info['not_after']} "
                                  f"({(now - leaf.not_valid_after_utc).days} days ago)", key="expired", not_after=info["not_after"]))
        else:
            sev = an.expiry_severity(days, cfg.expiry_warning_days)
            if sev is not None:
                out.append(self._make("tls.cert.expiring", url, f"notAfter {info['not_after']} ({days} days left)",
                                      severity=sev, key="expiring", fmt={"days": days}, days_left=days,
                                      not_after=info["not_after"]))
        if not an.hostname_matches(leaf, host):
            names = ", ".join(info["sans"]) or "(no subjectAltName)"
            out.append(self._make("tls.cert.hostname_mismatch", url, f"{host} not in {names}",
                                  key=f"{host}|{names}"))
        out += self._trust_findings(scan, url, leaf, ca_file, facts)
        weak = an.weak_key(leaf)
        if weak:
            out.append(self._make("tls.cert.weak_key", url, f"leaf key {weak}", key=weak, fmt={"key": weak}))
        for pos, alg, sev in an.weak_signatures(scan.chain):
            who = "leaf" if pos == 0 else f"intermediate #{pos}"
            out.append(self._make("tls.cert.weak_signature", url, f"{who} signed with {alg.upper()}",
                                  severity=sev, key=f"{pos}|{alg}", fmt={"alg": alg.upper()}))
        if cfg.ocsp_stapling_info and scan.ocsp_stapled is False:
            out.append(self._make("tls.ocsp.stapling_missing", url, "no OCSP response stapled",
                                  key="ocsp"))
        return out

    def _trust_findings(self, scan: TlsScan, url: str, leaf: x509.Certificate, ca_file: Path | None,
                        facts: TlsFacts) -> list[Finding]:
        trusted_by = [t.store for t in scan.trust if t.ok]
        pinned = ca_file is not None and _pinned(leaf, ca_file)
        facts.trust = Trust(trusted=bool(trusted_by) or pinned, trusted_by=trusted_by, pinned=pinned,
                            self_signed=an.is_self_signed(leaf))
        if trusted_by or pinned:
            return []
        # Validation also fails for expiry and hostname: those have their own findings above.
        if trusted_ignoring_time_and_name(scan.chain, scan.anchors):
            return []
        # Strict validation refuses 1024-bit keys and SHA-1: that has its own findings, not "untrusted".
        weak_crypto = an.weak_key(leaf) or an.weak_signatures(scan.chain)
        if weak_crypto and an.links_to_anchor(scan.chain, scan.anchors):
            return []
        if an.is_self_signed(leaf):
            return [self._make("tls.cert.self_signed", url, f"subject = issuer = {an.common_name(leaf.subject)}",
                               key="self_signed")]
        if an.chain_incomplete(scan.chain, scan.anchors, internal_ca=ca_file is not None):
            top = scan.chain[-1]
            return [self._make("tls.cert.chain_incomplete", url,
                               f"chain of {len(scan.chain)} ends at {an.common_name(top.subject)}; issuer "
                               f"{an.common_name(top.issuer)} not sent", key=an.common_name(top.issuer))]
        errors = {t.store: t.error for t in scan.trust if t.error}
        why = errors.get(SUPPLIED_CA) or errors.get("Mozilla") or next(iter(errors.values()), "not trusted")
        return [self._make("tls.cert.untrusted", url, f"issuer {an.common_name(leaf.issuer)}: {why}",
                           key=an.common_name(leaf.issuer))]

    # -- HTTP side ---------------------------------------------------------------------------------------

    def _hsts_findings(self, ctx: CheckContext, https_url: str, host: str, cfg: TlsConfig,
                       facts: TlsFacts) -> list[Finding]:
        values: list[str] = []
        page = next((p for p in ctx.site.pages if p.status and (p.final_url or p.url).startswith("https://")
                     and p.host == host), None)
        if page is not None:
            values = page.headers.get_all("strict-transport-security")
        elif ctx.http is not None:
            resp = ctx.http.fetch(https_url, max_bytes=HEAD_BYTES, timeout_s=cfg.timeout_s,
                                  follow_redirects=False)
            if resp.status is None:
                facts.hsts = HstsFacts(error=resp.error)
                return []
            values = resp.headers.get_all("strict-transport-security")
        else:
            return []
        verdict = an.hsts_preload(values)
        facts.hsts = HstsFacts.of(parse_hsts(values))
        if verdict.preload_ready:
            return []
        return [self._make("tls.hsts.preload_missing", https_url, verdict.reason, key="hsts_preload")]

    def _redirect_findings(self, ctx: CheckContext, site_url: str, netloc: str, cfg: TlsConfig,
                           facts: TlsFacts) -> list[Finding]:
        http_url = cfg.http_url or (site_url if site_url.startswith("http://") else f"http://{netloc}/")
        start = ctx.site.start_page
        if cfg.http_url is None and site_url.startswith("http://") and start is not None \
                and start.url == site_url and start.status is not None:
            final, status, error = start.final_url or start.url, start.status, start.error
            hops = [h.url for h in start.redirects]
        else:
            if ctx.http is None:
                return []
            shared = ctx.http.probed(http_url)  # the headers check may have asked http:// already
            if shared is not None:
                resp = shared[0]
            else:
                try:
                    resp = ctx.http.fetch(http_url, max_bytes=HEAD_BYTES, timeout_s=cfg.timeout_s)
                except FetchError as exc:
                    facts.redirect = RedirectFacts(http_url=http_url, error=str(exc))
                    return []
                ctx.http.remember_probe(http_url, resp)
            final, status, error = resp.final_url, resp.status, resp.error
            hops = [h.url for h in resp.redirects]
        if status is None and not hops:
            # Nothing listens on plain HTTP: nothing to redirect.
            facts.redirect = RedirectFacts(http_url=http_url, served=False, error=error)
            return []
        ok = final.startswith("https://")
        facts.redirect = RedirectFacts(http_url=http_url, served=True, final_url=final, to_https=ok)
        if ok:
            return []
        evidence = (f"{http_url} answered {status} without redirecting" if not hops
                    else f"{http_url} redirects to {final} (still HTTP)")
        return [self._make("tls.redirect.missing", http_url, evidence, key="redirect")]


def _pinned(leaf: x509.Certificate, ca_file: Path) -> bool:
    """The exact leaf is listed in the site's own CA file (a deliberately pinned self-signed cert)."""
    try:
        return any(c == leaf for c in x509.load_pem_x509_certificates(ca_file.read_bytes()))
    except (OSError, ValueError):
        return False
