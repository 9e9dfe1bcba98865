"""Typed facts: what each built-in check hands the reports (and its own next run), one model per check.

A check sets `CheckResult.facts` to an instance of its `Check.facts_model`; the store keeps the model's
JSON with `model.VERSION`; reports and `CheckContext.previous_facts` read it back through `load_facts`,
never as a dict. A field renamed here without its readers fails their tests (attribute errors, and
`extra="forbid"` refuses stray keys), instead of a report quietly printing "n/a".

Old rows load too: a row stored without a version (written before facts were typed) is version 1, and
each model's `upgrade` turns an older shape into the current one. Light on purpose (pydantic only), so
reports import it without importing the checks.
"""

from __future__ import annotations

import enum
import logging
from datetime import date, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from checks.hsts import HstsFacts

log = logging.getLogger("ppid_auditor.facts")


class Facts(BaseModel):
    """Base of every facts model. `VERSION` goes up when a stored shape changes; `upgrade` reads older ones."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)
    VERSION: ClassVar[int] = 1

    @classmethod
    def upgrade(cls, data: dict[str, Any], version: int) -> dict[str, Any]:
        """Stored JSON of an older `version` -> the current shape (default: unchanged)."""
        return data


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


# --- links -------------------------------------------------------------------------------------------

class LinksFacts(Facts):
    checked: int = 0
    broken: int = 0


# --- tls ---------------------------------------------------------------------------------------------

class TlsEndpoint(_Part):
    host: str
    port: int
    url: str


class HttpsAvailability(_Part):
    available: bool
    error: str | None = None


class CertFacts(_Part):
    subject: str
    subject_cn: str | None = None
    issuer: str
    issuer_cn: str | None = None
    sans: list[str] = Field(default_factory=list)
    serial: str
    not_before: datetime
    not_after: datetime
    days_left: int
    key_type: str
    key_size: int
    signature_algorithm: str
    sha256: str
    changed_since_last_run: bool | None = None


class ChainCert(_Part):
    subject: str
    issuer: str
    not_after: datetime
    signature_algorithm: str


class Trust(_Part):
    trusted: bool
    trusted_by: list[str] = Field(default_factory=list)
    pinned: bool = False
    self_signed: bool = False


class RedirectFacts(_Part):
    http_url: str
    served: bool | None = None  # None: the probe itself failed (see error)
    final_url: str | None = None
    to_https: bool | None = None
    error: str | None = None


class TlsFacts(Facts):
    VERSION: ClassVar[int] = 2  # 2: `hsts` is the shared HstsFacts (was {"header", "preload_ready"})

    endpoint: TlsEndpoint
    scan_duration_s: float = 0.0
    https: HttpsAvailability
    notes: list[str] = Field(default_factory=list)
    protocols: dict[str, bool | None] = Field(default_factory=dict)  # None: could not be tested
    weak_ciphers: dict[str, list[str]] = Field(default_factory=dict)
    forward_secrecy: bool | None = None
    cipher_count: int | None = None
    certificate: CertFacts | None = None
    chain: list[ChainCert] = Field(default_factory=list)
    ocsp_stapled: bool | None = None
    trust: Trust | None = None
    hsts: HstsFacts | None = None
    redirect: RedirectFacts | None = None
    errors: dict[str, str] = Field(default_factory=dict)  # part -> why it failed

    @classmethod
    def upgrade(cls, data: dict[str, Any], version: int) -> dict[str, Any]:
        if version < 2 and isinstance(data.get("hsts"), dict):
            old = data["hsts"]
            data = {**data, "hsts": HstsFacts.from_value(old.get("header"), error=old.get("error"))
                    .model_dump(mode="json")}
        return data


# --- headers -----------------------------------------------------------------------------------------

class Grade(_Part):
    """The Observatory grade of the start page, or why there is none (`error`)."""

    score: int | None = None
    grade: str | None = None
    observatory_version: str | None = None
    tests: dict[str, str] = Field(default_factory=dict)  # test -> result code
    notes: list[str] = Field(default_factory=list)
    error: str | None = None


class HeadersFacts(Facts):
    VERSION: ClassVar[int] = 2  # 2: `hsts` is the shared HstsFacts (`preload_eligible` -> `preload_ready`)

    grade: Grade | None = None
    pages_checked: int = 0
    rules: dict[str, int] = Field(default_factory=dict)  # rule -> pages affected
    hsts: HstsFacts | None = None  # the start page's header, when it is served over https

    @classmethod
    def upgrade(cls, data: dict[str, Any], version: int) -> dict[str, Any]:
        if version < 2 and isinstance(data.get("hsts"), dict):
            data = {**data, "hsts": HstsFacts.from_value(data["hsts"].get("value")).model_dump(mode="json")}
        return data


# --- software ----------------------------------------------------------------------------------------

class SoftwareVerdict(_Part):
    status: str  # checks.software.judge statuses: current, outdated, eol, unknown...
    latest: str | None = None
    newest: str | None = None
    eol: str | None = None
    reason: str | None = None


class DetectedSoftware(_Part):
    product: str
    name: str
    category: str
    version: str | None = None
    confidence: str
    version_confidence: str | None = None
    evidence: list[str] = Field(default_factory=list)
    conflicts: list[str] = Field(default_factory=list)
    verdict: SoftwareVerdict | None = None


class JsLibrary(_Part):
    library: str
    version: str | None = None
    url: str
    detection: str
    vulnerable: bool
    ids: list[str] = Field(default_factory=list)


class DataFile(_Part):
    file: str
    as_of: date
    path: str
    source: str


class DataFreshness(_Part):
    files: list[DataFile] = Field(default_factory=list)
    age_days: int
    stale: bool


class Probes(_Part):
    made: int = 0
    soft_404: bool = False


class Note(_Part):
    level: str = "info"
    text: str


class Advisories(_Part):
    as_of: str | None = None
    matched: list[str] = Field(default_factory=list)


class OpenSIDFacts(_Part):
    """What the software check learned about an OpenSID site (checks/software/opensid_steps.py)."""

    version: str | None = None
    version_confidence: str | None = None
    version_sources: dict[str, str] = Field(default_factory=dict)  # source -> version it claims
    released: str | None = None  # YYYY-MM
    verdict: str | None = None
    premium_lag_months: int | None = None
    theme: dict[str, str] | None = None  # name, version, designer
    theme_url: str | None = None
    release_notes: str | None = None  # URL of catatan_rilis.md when read
    secret_files_exposed: list[str] = Field(default_factory=list)
    advisories: Advisories = Field(default_factory=Advisories)


class SoftwareFacts(Facts):
    detected: list[DetectedSoftware] = Field(default_factory=list)
    js_libraries: list[JsLibrary] = Field(default_factory=list)
    data: DataFreshness
    probes: Probes = Field(default_factory=Probes)
    opensid: OpenSIDFacts | None = None
    notes: list[Note] = Field(default_factory=list)


# --- content -----------------------------------------------------------------------------------------

class ItemStatus(enum.StrEnum):
    """The status of one approved item (or mandatory entry): listed once, for the check and the reports."""

    OK = "ok"
    STALE = "stale"
    MISSING = "missing"
    UNKNOWN = "unknown"  # found, but no date to judge it by
    EXCLUDED = "excluded"  # `dikecualikan`: not to be published


# The statuses that count in the compliance rate (excluded items are not due).
DUE_STATUSES = (ItemStatus.OK, ItemStatus.STALE, ItemStatus.MISSING, ItemStatus.UNKNOWN)


class DateEvidence(_Part):
    date: date
    source: str  # checks.content.evidence.SOURCE_RANK
    detail: str
    url: str = ""


class LatestUpdate(DateEvidence):
    stale: bool


class ContentItem(_Part):
    id: str
    title: str
    category: str
    cadence: str
    responsible: str | None = None
    matched_url: str | None = None
    last_updated: date | None = None
    date_source: str | None = None
    date_detail: str | None = None
    due: date | None = None
    status: ItemStatus = ItemStatus.UNKNOWN
    matched_by: str | None = None  # url | match | title
    ambiguous: bool = False
    candidates: list[str] = Field(default_factory=list)
    moved: bool = False
    configured_url: str | None = None
    url_problem: str | None = None
    match_text: str | None = None
    conflicts: list[DateEvidence] = Field(default_factory=list)
    missing_since: date | None = None


class MandatoryRow(_Part):
    id: str
    title: str
    title_en: str = ""
    basis: list[str] = Field(default_factory=list)
    basis_check: str = "secondary"  # "primary": checked against the published text
    found_url: str | None = None
    status: ItemStatus


class PpidMenu(_Part):
    """The PPID section in the navigation (checks/content/compliance.py)."""

    ppid_url: str | None = None
    found: dict[str, str] = Field(default_factory=dict)  # target id -> URL reached within two clicks
    missing: list[str] = Field(default_factory=list)
    unreached: list[str] = Field(default_factory=list)  # published, but not reached from the menu
    status: str  # ok | missing | incomplete


class AnnualReport(_Part):
    year: int
    deadline: date
    status: str  # ok | late | missing | not_due
    url: str | None = None
    published: date | None = None
    source: str | None = None


class DipItem(_Part):
    id: str
    url: str
    name: str
    category: int | None = None
    category_label: str | None = None
    uploaded: date | None = None
    updated: date | None = None
    enabled: bool = True
    year: str | None = None


class DipFacts(_Part):
    """The site's own public information list (OpenSID /ppid, checks/content/ppid.py)."""

    source: str
    generated: str | None = None
    documents: int = 0
    published: int = 0
    by_category: dict[str, int] = Field(default_factory=dict)
    items: list[DipItem] = Field(default_factory=list)  # the first 200


class ListInfo(_Part):
    path: str
    approved_by: str | None = None
    approved_on: date | None = None
    items: int = 0
    expires_on: date | None = None
    expired: bool | None = None


class ContentFacts(Facts):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True)

    approved_list: ListInfo | None = Field(default=None, alias="list")  # stored as "list"
    items: list[ContentItem] = Field(default_factory=list)
    latest_update: LatestUpdate | None = None
    mandatory: list[MandatoryRow] = Field(default_factory=list)
    ppid_menu: PpidMenu | None = None
    annual_report: AnnualReport | None = None
    dip: DipFacts | None = None
    history_since: date | None = None
    today: date | None = None
    notes: list[str] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    summary: dict[ItemStatus, int] = Field(default_factory=dict)

    def compliance(self) -> float | None:
        """Share of due items that are ok (None: nothing due)."""
        due = sum(1 for i in self.items if i.status in DUE_STATUSES)
        return sum(1 for i in self.items if i.status is ItemStatus.OK) / due if due else None


# --- personal data -----------------------------------------------------------------------------------

class OcrRead(_Part):
    pages: int = 0
    cached: int = 0
    mean_confidence: float | None = None
    seconds: float = 0.0
    skipped: int = 0  # pages/frames left out by a cap


class ScannedDocument(_Part):
    url: str
    format: str
    counts: dict[str, int] = Field(default_factory=dict)
    error: str | None = None
    image_only: bool = False
    public: dict[str, int] = Field(default_factory=dict)  # institutional/public identifiers left out, by reason
    ocr: OcrRead | None = None  # what OCR read, when it ran
    id_card: bool = False


class ScanNote(_Part):
    code: str
    url: str = ""
    note: str


class PersonalDataFacts(Facts):
    pages_scanned: int = 0
    documents_scanned: int = 0  # every document scanned (`documents` lists the first 500)
    ocr_runs: int = 0
    ocr_images: int = 0
    counts: dict[str, int] = Field(default_factory=dict)  # kind -> values found
    documents: list[ScannedDocument] = Field(default_factory=list)
    notes: list[ScanNote] = Field(default_factory=list)
    unscannable: int = 0


# --- accessibility -----------------------------------------------------------------------------------

class AccessibilityFacts(Facts):
    pages_checked: int = 0
    counts: dict[str, int] = Field(default_factory=dict)  # rule -> occurrences on the checked pages
    axe: dict[str, Any] | None = None  # axe-core's counts per URL, or {"error": ...}


# --- zap ---------------------------------------------------------------------------------------------

class ZapFacts(Facts):
    mode: str
    context: str | None = None
    scope: list[str] = Field(default_factory=list)
    version: str | None = None
    attempts: int | None = None
    outages: int | None = None
    duration_s: float | None = None
    seeded: int | None = None
    seed_failed: int | None = None
    active_scan: bool = False
    alerts_total: int | None = None
    malformed_alerts: int | None = None
    findings: int | None = None
    by_severity: dict[str, int] = Field(default_factory=dict)
    stopped: list[str] = Field(default_factory=list)


# --- loading -----------------------------------------------------------------------------------------

# The built-in checks' models by check name, for readers that have no check class at hand (reports).
BUILTIN: dict[str, type[Facts]] = {
    "links": LinksFacts, "tls": TlsFacts, "headers": HeadersFacts, "software": SoftwareFacts,
    "content": ContentFacts, "personal_data": PersonalDataFacts, "zap": ZapFacts,
    "accessibility": AccessibilityFacts,
}


class FactsError(ValueError):
    """Stored facts that the model cannot read (newer version, or a shape it does not know)."""


def parse_facts(model: type[Facts], data: dict[str, Any], version: int | None) -> Facts:
    """Stored JSON (+ version; None = written before facts were typed = 1) -> `model`. Raises FactsError."""
    version = 1 if version is None else version
    if version > model.VERSION:
        raise FactsError(f"{model.__name__}: stored version {version} is newer than this ppid-auditor "
                         f"understands ({model.VERSION})")
    try:
        return model.model_validate(model.upgrade(data, version) if version < model.VERSION else data)
    except ValidationError as exc:
        raise FactsError(f"{model.__name__}: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from None


def load_facts(check: str, data: Any, version: int | None, model: type[Facts] | None = None) -> Any:
    """Typed facts of `check` when its model is known (built-in or given), else the stored JSON as is.

    Unreadable rows are logged and give None: a report section says "n/a" for that check, the rest of
    the report still comes out (tests load every stored shape strictly through `parse_facts`).
    """
    model = model or BUILTIN.get(check)
    if model is None or not isinstance(data, dict):
        return data
    try:
        return parse_facts(model, data, version)
    except FactsError as exc:
        log.warning("facts of %s not readable: %s", check, exc)
        return None
