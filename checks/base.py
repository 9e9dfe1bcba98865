"""The check protocol, the typed `Finding`, and check discovery through entry points.

A check depends on the snapshot (`auditor.snapshot`) and this module only. The runner never imports a
check by name: built-in checks are registered under the entry-point group `ppid_auditor.checks` exactly
like third-party ones.
"""

from __future__ import annotations

import enum
import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar, cast
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from checks.facts import Facts

if TYPE_CHECKING:
    from auditor.http import HttpClient
    from auditor.snapshot import Site

ENTRY_POINT_GROUP = "ppid_auditor.checks"
log = logging.getLogger("ppid_auditor.checks")


class Severity(enum.IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, value: str | Severity) -> Severity:
        if isinstance(value, Severity):
            return value
        try:
            return cls[str(value).strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {value!r} (expected one of: {names})") from None

    @property
    def label(self) -> str:
        return self.name.lower()


def site_relative(url: str) -> str:
    """Path and query of a URL: fingerprints ignore scheme and host, so staging and production match."""
    if not url:
        return ""
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def fingerprint(check: str, rule: str, url: str, key: str) -> str:
    """Stable hash of check + rule + site-relative URL + normalised evidence (or a check-chosen key).
    Site-level findings pass no URL (see `Finding.site_level`)."""
    norm = " ".join(key.split()).lower()
    raw = "\x1f".join((check, rule, site_relative(url), norm))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


@dataclass
class Finding:
    """One problem found by a check. Text fields are Bahasa Indonesia; `*_en` carry English."""

    check: str
    rule: str  # e.g. "tls.cert.expiring" (see docs/cli.md "Rule ids")
    severity: Severity
    title: str
    url: str = ""
    evidence: str = ""  # masked: never personal data in full
    remediation: str = ""
    references: list[str] = field(default_factory=list)
    title_en: str = ""
    remediation_en: str = ""
    # What identifies "the same problem" across runs when the evidence text varies (e.g. a keyed hash of
    # a personal-data value, or a library name without its version). Defaults to the evidence.
    key: str | None = None
    confidence: str | None = None  # "high" / "medium" / "low" where a check knows it
    data: dict[str, Any] = field(default_factory=dict)  # JSON-able extras (counts, locations, facts)
    # One finding per rule per site (its record says so, `Rule.site_level`): `url` is an example and
    # `data["urls"]` lists the affected pages; the fingerprint is rule + key without the URL, so the
    # finding keeps its identity while the set of affected pages grows and shrinks.
    site_level: bool = False

    def __post_init__(self) -> None:
        self.severity = Severity.parse(self.severity)

    @property
    def fingerprint(self) -> str:
        key = self.evidence if self.key is None else self.key
        return fingerprint(self.check, self.rule, "" if self.site_level else self.url, key)

    def localized(self, lang: str) -> tuple[str, str]:
        """(title, remediation) in `lang` ("id" or "en"), falling back to Bahasa Indonesia."""
        if lang == "en":
            return self.title_en or self.title, self.remediation_en or self.remediation
        return self.title, self.remediation

    def to_json(self, lang: str = "id") -> dict[str, Any]:
        title, remediation = self.localized(lang)
        out: dict[str, Any] = {
            "check": self.check,
            "rule": self.rule,
            "severity": self.severity.label,
            "title": title,
            "url": self.url,
            "evidence": self.evidence,
            "remediation": remediation,
            "references": list(self.references),
            "fingerprint": self.fingerprint,
        }
        if self.confidence:
            out["confidence"] = self.confidence
        if self.data:
            out["data"] = self.data
        return out


class CheckSkipped(Exception):
    """Raised by a check that cannot run here (peer not reachable, nothing to check). Not a failure."""


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    # What the reports (and this check's next run) read: an instance of the check's `facts_model`
    # (`checks.facts`), stored with its version. A plain JSON-able dict still works for a plugin without a
    # model; it is stored as is.
    facts: Facts | dict[str, Any] = field(default_factory=dict)


class Cache(Protocol):
    """A small key-value cache that outlives a run (backed by the history store when there is one): a
    check keeps costly results there, e.g. OCR text by content hash. Values are text (JSON)."""

    def get(self, namespace: str, key: str) -> str | None: ...

    def put(self, namespace: str, key: str, value: str) -> None: ...


class MemoryCache:
    """`Cache` in memory: for runs without a store, and for tests."""

    def __init__(self) -> None:
        self.data: dict[tuple[str, str], str] = {}

    def get(self, namespace: str, key: str) -> str | None:
        return self.data.get((namespace, key))

    def put(self, namespace: str, key: str, value: str) -> None:
        self.data[(namespace, key)] = value


@dataclass
class CheckContext:
    """What a check gets from the runner."""

    site: Site
    config: BaseModel  # the check's own validated config block (its `config_model`)
    http: HttpClient  # shared, bounded client (timeouts, size caps, politeness, loopback guard)
    site_config: Any  # auditor.config.SiteConfig: name, url, allowed_hosts, approved_content...
    secret_key: bytes = b""  # per-store key for keyed fingerprints of personal data
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    base_dir: Path = Path(".")  # directory of the config file, for relative paths in check config
    # This check's facts from the last complete run: an instance of its `facts_model` (None: no earlier
    # run, or unreadable), or the stored dict for a check without a model.
    previous_facts: Any = None
    log: logging.Logger = log
    cache: Cache | None = None  # results worth keeping across runs (see `Cache`)


class CheckConfig(BaseModel):
    """Base for check config blocks: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


ConfigT = TypeVar("ConfigT", bound=BaseModel)


class Check(Generic[ConfigT]):
    """Base class for checks. Subclasses set the class attributes and implement `run`.

    A check names its config model twice, once for the type checker and once for the runner:
    `class TlsCheck(Check[TlsConfig]): config_model = TlsConfig`; `self.config(ctx)` is then a `TlsConfig`.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    enabled_by_default: ClassVar[bool] = True
    config_model: ClassVar[type[BaseModel]] = CheckConfig
    # The pydantic model of `CheckResult.facts` (`checks.facts.Facts`); None: facts are a plain dict.
    facts_model: ClassVar[type[Facts] | None] = None
    # The report area this check covers ("tls", "headers", "software", "pii", "content", "zap", ...).
    area: ClassVar[str] = ""
    # One record per rule this check can emit (checks.rules.RuleBook); findings are made from them.
    rulebook: ClassVar[Mapping[str, Any]] = {}
    # True: the runner may run this check in a forked child process beside the others (`checks.processes`,
    # auditor/check_procs.py). Declare it only when the check changes nothing the parent or another check
    # reads (the snapshot, shared state) and keeps what must outlast the run in `ctx.cache`: the child gets
    # its own HTTP client and a cache whose writes the runner stores; anything else it changes is lost.
    separate_process: ClassVar[bool] = False

    def run(self, ctx: CheckContext) -> CheckResult | Iterable[Finding]:
        raise NotImplementedError

    def config(self, ctx: CheckContext) -> ConfigT:
        """This check's validated config block: the runner's, or the model's defaults / a plain mapping
        validated here when a test or a plugin host builds the context by hand."""
        cfg = ctx.config
        if not isinstance(cfg, self.config_model):
            data = cfg.model_dump() if isinstance(cfg, BaseModel) else dict(cfg or {})
            cfg = self.config_model.model_validate(data)
        return cast(ConfigT, cfg)

    def finding(self, rule: str, severity: Severity | str, title: str, **kw: Any) -> Finding:
        return Finding(check=self.name, rule=rule, severity=Severity.parse(severity), title=title, **kw)

    def finding_from(self, rule_id: str, **kw: Any) -> Finding:
        """A finding made from this check's record for `rule_id` (see `checks.rules.Rule.finding`).

        A rule without a record still yields a finding (titled with its id, logged as an error): a gap in
        the records must not take the check down; tests/test_rule_records.py names it."""
        from checks.rules import placeholder

        book = self.rulebook
        record = book.lookup(rule_id) if hasattr(book, "lookup") else book.get(rule_id)
        if record is None:
            log.error("%s: no rule record for %s", self.name, rule_id)
            record = placeholder(rule_id, self.area)
        return record.finding(self.name, rule_id=rule_id, **kw)


@dataclass
class LoadedCheck:
    name: str
    cls: type[Check] | None
    error: str | None = None  # why the entry point could not be loaded


def discover_checks() -> dict[str, LoadedCheck]:
    """Every check registered under the entry-point group; a broken plugin is reported, not fatal."""
    found: dict[str, LoadedCheck] = {}
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if ep.name in found:
            continue
        try:
            cls = ep.load()
        except Exception as exc:  # a third-party plugin may fail in any way; it must not stop the rest
            found[ep.name] = LoadedCheck(ep.name, None, f"{type(exc).__name__}: {exc}")
            continue
        if not (isinstance(cls, type) and hasattr(cls, "run")):
            found[ep.name] = LoadedCheck(ep.name, None, "entry point is not a check class")
            continue
        found[ep.name] = LoadedCheck(ep.name, cls)
    return found


def check_areas() -> dict[str, str]:
    """The report area of every installed check that declares one (`Check.area`), by check name."""
    return {name: lc.cls.area for name, lc in discover_checks().items()
            if lc.cls is not None and getattr(lc.cls, "area", "")}
