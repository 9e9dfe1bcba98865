"""`config.yaml`: pydantic models for every key in docs/cli.md "Config", validated at load.

Every error is one line naming the file and the key path, e.g.
`config.yaml: crawl.max_pages: must be > 0`.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from auditor.errors import ConfigError
from checks.base import discover_checks

DEFAULT_CONFIG = "config.yaml"
ENV_CONFIG = "PPID_AUDIT_CONFIG"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _http_url(value: str | None) -> str | None:
    if value is None:
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {value!r}")
    return value


class SiteConfig(Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    url: str
    staging_url: str | None = None
    staging_path: Path | None = None  # a local folder served on loopback for the pre-publish gate
    staging_auth_env: str | None = None  # env var holding "user:password" for staging basic auth
    allowed_hosts: list[str] = Field(default_factory=list)
    approved_content: Path | None = None
    contact_allowlist: list[str] = Field(default_factory=list)  # the office's own phone/e-mail

    _check_url = field_validator("url", "staging_url")(_http_url)

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""


class CrawlConfig(Strict):
    # Coverage first (docs/crawler.md "Depth"): breadth-first order already fetches shallow pages first,
    # so the depth cap only has to stop what max_pages, time_budget_s and the trap defences do not; 1000
    # covers an archive paginated with "next" links only, 10 items a page, 10,000 pages deep.
    max_pages: int = Field(2500, gt=0)
    max_depth: int = Field(1000, ge=0)
    max_document_mb: float = Field(20, gt=0)
    max_page_mb: float = Field(5, gt=0)
    concurrency: int = Field(4, gt=0, le=64)
    delay_s: float = Field(0.0, ge=0)
    timeout_s: float = Field(15, gt=0)
    time_budget_s: float = Field(900, gt=0)
    user_agent: str = "ppid-auditor/0.1 (+https://github.com/ppid-auditor)"
    respect_robots: bool = True
    max_documents: int = Field(200, ge=0)
    # Private-address guard (docs/reliability.md): "auto" allows loopback/private/link-local targets only
    # when the audited site itself is on such an address.
    allow_private_targets: Literal["auto"] | bool = "auto"
    resolve: dict[str, str] = Field(default_factory=dict)  # host -> IP address, instead of DNS

    @field_validator("resolve")
    @classmethod
    def _addresses(cls, v: dict[str, str]) -> dict[str, str]:
        for host, addr in v.items():
            try:
                ipaddress.ip_address(str(addr))
            except ValueError:
                raise ValueError(f"{host}: {addr!r} is not an IP address") from None
        return {h.lower(): str(a) for h, a in v.items()}


class ChecksConfig(BaseModel):
    """`enabled` plus one block per check; blocks are validated by each check's own model."""

    model_config = ConfigDict(extra="allow")
    enabled: list[str] | None = None  # None: every installed check enabled by default
    # A check still running at its limit is abandoned and marked `error: time limit` (auditor.runner).
    time_limit_s: float = Field(1200, gt=0)
    time_limits: dict[str, float] = Field(default_factory=dict)  # per check name
    # Child processes at once for the checks that declare `separate_process` (auditor.check_procs); 0:
    # every check in the runner's process; "auto": one per usable core (at most 4) when there are two or more.
    processes: int | Literal["auto"] = "auto"

    @field_validator("processes")
    @classmethod
    def _processes(cls, v: int | str) -> int | str:
        if v != "auto" and not 0 <= int(v) <= 16:
            raise ValueError("must be \"auto\" or a number from 0 to 16")
        return v

    @field_validator("time_limits")
    @classmethod
    def _positive(cls, v: dict[str, float]) -> dict[str, float]:
        for name, limit in v.items():
            if limit <= 0:
                raise ValueError(f"{name}: must be > 0")
        return v


class StorageConfig(Strict):
    database: str = "var/ppid-audit.sqlite"


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Signatory(Strict):
    name: str = ""
    nip: str = ""
    title: str = ""
    email: str = ""
    # Electronic signature (docs/reports.md): the PKCS#12 file of this signatory and the NAME of the
    # environment variable holding its password. The password itself never goes in the config.
    pkcs12: Path | None = None
    password_env: str | None = None

    @field_validator("password_env")
    @classmethod
    def _env_name(cls, v: str | None) -> str | None:
        if v is not None and not _ENV_NAME.match(v):
            raise ValueError("must be the NAME of an environment variable (the password is never in the config)")
        return v


class Signatories(Strict):
    operator: Signatory = Field(default_factory=Signatory)  # signs the Berita Acara of the gate
    kepala_seksi: Signatory = Field(default_factory=Signatory)
    ketua_ppid: Signatory = Field(default_factory=Signatory)
    atasan_ppid: Signatory = Field(default_factory=Signatory)


class ReportsConfig(Strict):
    output_dir: Path = Path("out")
    language: Literal["id", "en"] = "id"
    organisation: str = "PPID"
    address: str = ""
    signatories: Signatories = Field(default_factory=Signatories)
    tsa_url: str | None = None  # RFC 3161 timestamp authority for signatures; None: no timestamp (offline)
    trust_anchors: list[Path] = Field(default_factory=list)  # PEM/DER CA certificates verify-report trusts

    _check_tsa = field_validator("tsa_url")(_http_url)


_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_MMDD = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


class ScheduleConfig(Strict):
    nightly_scan: str = "02:00"
    monthly_report_day: int = Field(1, ge=1, le=28)
    semiannual_report_days: list[str] = Field(default_factory=lambda: ["01-05", "07-05"])
    # Operations extension (docs/operations.md): when reports are made, where state and logs live.
    report_time: str = "08:00"
    report_formats: list[Literal["html", "pdf"]] = Field(default_factory=lambda: ["html", "pdf"], min_length=1)
    state_file: Path | None = None  # default: schedule-state.json next to the database
    log_file: Path | None = None  # default: schedule.log next to the database
    log_max_kb: int = Field(1024, gt=0)
    log_backups: int = Field(5, ge=0)
    stop_grace_s: float = Field(30, ge=0)  # after SIGTERM, how long the current scan may finish

    @field_validator("nightly_scan", "report_time")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not _HHMM.match(v):
            raise ValueError("must be HH:MM (24-hour)")
        return v

    @field_validator("semiannual_report_days")
    @classmethod
    def _mmdd(cls, v: list[str]) -> list[str]:
        for day in v:
            if not _MMDD.match(day):
                raise ValueError(f"{day!r} must be MM-DD")
        return v


_ADDR = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")


def _addresses(v: list[str]) -> list[str]:
    for a in v:
        if not _ADDR.match(a):
            raise ValueError(f"{a!r} is not an e-mail address")
    return v


class SmtpConfig(Strict):
    host: str = "localhost"
    port: int | None = Field(None, gt=0, le=65535)  # default: 587 starttls, 465 ssl, 25 none
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str = ""
    password_env: str | None = None  # NAME of the environment variable holding the password
    ca_file: Path | None = None  # extra CA to trust (a private mail server)
    timeout_s: float = Field(30, gt=0)


class MailRecipients(Strict):
    monthly: list[str] = Field(default_factory=list)  # empty: reports.signatories.atasan_ppid.email
    semiannual: list[str] = Field(default_factory=list)  # empty: reports.signatories.ketua_ppid.email
    alerts: list[str] = Field(default_factory=list)  # empty: ketua_ppid and kepala_seksi e-mails

    _check = field_validator("monthly", "semiannual", "alerts")(_addresses)


class MailAlerts(Strict):
    rules: list[str] = Field(default_factory=lambda: ["tls.cert.expired", "pii.*"])  # fnmatch patterns
    ignore: list[str] = Field(default_factory=lambda: ["pii.document.unscannable"])


class MailConfig(Strict):
    enabled: bool = False
    smtp: SmtpConfig = Field(default_factory=SmtpConfig)
    sender: str = "ppid-auditor@localhost"
    recipients: MailRecipients = Field(default_factory=MailRecipients)
    alerts: MailAlerts = Field(default_factory=MailAlerts)


class FleetConfig(Strict):
    """Fleet mode (docs/fleet.md): `scan --all` pool size and the Celery task policy."""

    queue: str | None = None  # redis://127.0.0.1:6379/0; None: `scan --all` runs a local pool
    concurrency: int = Field(4, gt=0, le=256)
    task_time_limit_s: float = Field(1800, gt=0)  # hard limit per site audit
    task_soft_time_limit_s: float | None = Field(None, gt=0)  # default: 90% of the hard limit
    retries: int = Field(3, ge=0, le=50)  # bounded: an unreachable site is not transient forever
    retry_backoff_s: float = Field(30, gt=0)
    retry_backoff_max_s: float = Field(900, gt=0)
    visibility_timeout_s: float | None = Field(None, gt=0)  # default: hard limit + max backoff + 60

    @field_validator("queue")
    @classmethod
    def _redis_url(cls, v: str | None) -> str | None:
        if v is not None and urlsplit(v).scheme not in ("redis", "rediss", "redis+socket"):
            raise ValueError(f"not a redis:// URL: {v!r}")
        return v


class TriageConfig(Strict):
    """Triage (docs/triage.md): who may be assigned a finding, besides the named signatories."""

    owners: list[str] = Field(default_factory=list)  # people or roles, e.g. "Budi (operator)", "Penyedia hosting"

    def allowed_owners(self, signatories: Signatories) -> list[str]:
        names = [s.name for s in (signatories.operator, signatories.kepala_seksi, signatories.ketua_ppid,
                                  signatories.atasan_ppid) if s.name]
        return list(dict.fromkeys([o.strip() for o in self.owners if o.strip()] + names))


class ConsoleConfig(Strict):
    """`ppid-audit serve` (docs/console.md): upload caps, sessions, login lockout, HTTPS behind a proxy."""

    max_upload_mb: float = Field(20, gt=0, le=512)  # per request (all files of one "Periksa berkas")
    max_upload_files: int = Field(10, gt=0, le=100)
    session_minutes: int = Field(480, gt=0, le=10080)  # absolute lifetime of a login
    login_max_failures: int = Field(5, gt=0, le=100)  # wrong passwords in a row before the lockout
    lockout_minutes: float = Field(15, gt=0)
    https: bool = False  # served behind a TLS proxy: Secure cookies and HSTS
    trusted_proxies: int = Field(0, ge=0, le=5)  # X-Forwarded-For/Proto hops to trust (contrib nginx: 1)


class Config(Strict):
    console: ConsoleConfig = Field(default_factory=ConsoleConfig)
    sites: list[SiteConfig] = Field(min_length=1)
    sites_file: Path | None = None  # CSV merged into `sites` at load (auditor.fleet.sites_csv)
    fleet: FleetConfig = Field(default_factory=FleetConfig)
    crawl: CrawlConfig = Field(default_factory=CrawlConfig)
    checks: ChecksConfig = Field(default_factory=ChecksConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    reports: ReportsConfig = Field(default_factory=ReportsConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    mail: MailConfig = Field(default_factory=MailConfig)
    triage: TriageConfig = Field(default_factory=TriageConfig)
    # Validated check blocks, by check name (filled at load).
    check_blocks: dict[str, Any] = Field(default_factory=dict, exclude=True)
    base_dir: Path = Field(default=Path("."), exclude=True)
    path: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _unique_sites(self) -> Config:
        seen: set[str] = set()
        for i, site in enumerate(self.sites):
            if site.name in seen:
                raise ValueError(f"sites.{i}.name: duplicate site name {site.name!r}")
            seen.add(site.name)
        return self

    def site(self, name: str | None) -> SiteConfig:
        if name is None:
            return self.sites[0]
        for s in self.sites:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.sites)
        raise ConfigError(f"--site {name}: no such site in {self.path or 'config'} (known: {known})")

    def selected_sites(self, name: str | None) -> list[SiteConfig]:
        return [self.site(name)] if name else list(self.sites)

    def enabled_checks(self, installed: dict | None = None) -> list[str]:
        installed = discover_checks() if installed is None else installed
        if self.checks.enabled is not None:
            return list(self.checks.enabled)
        return [n for n, lc in installed.items() if lc.cls is None or lc.cls.enabled_by_default]

    def resolve(self, p: Path | str) -> Path:
        p = Path(p)
        return p if p.is_absolute() else self.base_dir / p

    @property
    def database_path(self) -> str:
        db = self.storage.database
        if "://" in db:
            return db
        return str(self.resolve(db))


def _key(part: Any) -> str:
    """One key-path part; a key that is not a plain name (spaces, newlines, empty) is quoted."""
    text = str(part)
    return text if re.fullmatch(r"[\w.@*-]+", text) else repr(text)


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def format_error(source: str, err: dict[str, Any]) -> str:
    return _one_line(_format_error_text(source, err))


def _format_error_text(source: str, err: dict[str, Any]) -> str:
    loc = ".".join(_key(x) for x in err.get("loc", ()) if x not in ("function-after",))
    msg = err.get("msg", "invalid")
    msg = msg.removeprefix("Value error, ")
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        msg = "unknown key"
    elif kind == "greater_than":
        msg = f"must be > {err['ctx']['gt']}"
    elif kind == "greater_than_equal":
        msg = f"must be >= {err['ctx']['ge']}"
    elif kind == "missing":
        msg = "required key is missing"
    return f"{source}: {loc}: {msg}" if loc else f"{source}: {msg}"


def default_config_path() -> Path:
    return Path(os.environ.get(ENV_CONFIG) or DEFAULT_CONFIG)


def load_config(path: str | Path | None = None, *, require_files: bool = True) -> Config:
    """Read, validate and return the config; raise `ConfigError` with one clear line on any problem."""
    cfg_path = Path(path) if path else default_config_path()
    source = str(cfg_path)
    try:
        raw_text = cfg_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{source}: file not found (use --config or ${ENV_CONFIG})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot read: {exc}") from None
    try:
        raw = yaml.safe_load(raw_text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(_one_line(f"{source}: {where}{problem}")) from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: the top level must be a mapping with at least `sites`")
    return config_from_dict(raw, source=source, base_dir=cfg_path.resolve().parent,
                            path=cfg_path, require_files=require_files)


def config_from_dict(raw: dict[str, Any], *, source: str = "config", base_dir: Path | None = None,
                     path: Path | None = None, require_files: bool = True) -> Config:
    if raw.get("sites_file") is not None:
        raw = _merge_sites_file(raw, source, base_dir or Path(".").resolve())
    try:
        cfg = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_error(source, exc.errors()[0])) from None
    cfg.base_dir = base_dir or Path(".").resolve()
    cfg.path = path
    _validate_check_blocks(cfg, source)
    if require_files:
        for i, site in enumerate(cfg.sites):
            if site.approved_content is not None and not cfg.resolve(site.approved_content).is_file():
                raise ConfigError(f"{source}: sites.{i}.approved_content: file not found: "
                                  f"{cfg.resolve(site.approved_content)}")
            if site.staging_path is not None and not cfg.resolve(site.staging_path).is_dir():
                raise ConfigError(f"{source}: sites.{i}.staging_path: not a directory: "
                                  f"{cfg.resolve(site.staging_path)}")
    return cfg


def _merge_sites_file(raw: dict[str, Any], source: str, base_dir: Path) -> dict[str, Any]:
    from auditor.fleet.sites_csv import read_sites_csv

    value = raw["sites_file"]
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{source}: sites_file: must be a path to a CSV file")
    yaml_sites = raw.get("sites") or []
    if not isinstance(yaml_sites, list):
        return raw  # let the model report `sites` with its usual message
    csv_path = Path(value) if Path(value).is_absolute() else base_dir / value
    known = {s.get("name") for s in yaml_sites if isinstance(s, dict)}
    rows = read_sites_csv(csv_path, label=value, known=known)
    return {**raw, "sites": [*yaml_sites, *rows]}


def _validate_check_blocks(cfg: Config, source: str) -> None:
    installed = discover_checks()
    if cfg.checks.enabled is not None:
        for i, name in enumerate(cfg.checks.enabled):
            if name not in installed:
                known = ", ".join(sorted(installed))
                raise ConfigError(f"{source}: checks.enabled.{i}: unknown check {name!r} (installed: {known})")
    for name in cfg.checks.time_limits:
        if name not in installed:
            raise ConfigError(f"{source}: checks.time_limits.{_key(name)}: unknown check (installed: "
                              f"{', '.join(sorted(installed))})")
    blocks = cfg.checks.model_extra or {}
    for name, lc in installed.items():
        block = blocks.get(name)
        if block is not None and not isinstance(block, dict):
            raise ConfigError(f"{source}: checks.{_key(name)}: must be a mapping")
        if lc.cls is None:
            continue
        try:
            cfg.check_blocks[name] = lc.cls.config_model.model_validate(block or {})
        except ValidationError as exc:
            err = exc.errors()[0]
            err = {**err, "loc": ("checks", name, *err.get("loc", ()))}
            raise ConfigError(format_error(source, err)) from None
    for name in blocks:
        if name not in installed:
            raise ConfigError(f"{source}: checks.{_key(name)}: unknown check (not installed)")
