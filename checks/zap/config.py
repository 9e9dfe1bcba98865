"""The `checks.zap` config block."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from checks.base import CheckConfig

# Java regexes (ZAP context exclusions) matched against the whole URL. They keep the spider and the active
# scanner away from logout links (a logged-in session would end) and from anything that looks like it
# changes or deletes data on a live government site. Indonesian words included: keluar, hapus.
DEFAULT_EXCLUDES: tuple[str, ...] = (
    r"(?i).*(log-?out|log-?off|sign-?out|keluar).*",
    r"(?i).*(delete|hapus|remove|destroy|drop|truncate|purge|uninstall|reset).*",
    r"(?i).*/wp-login\.php.*",
    r"(?i).*/xmlrpc\.php.*",
)


class ZapConfig(CheckConfig):
    api_url: str = "http://127.0.0.1:8080"
    # Name of the environment variable holding the ZAP API key (never the key itself). Empty: no key
    # (only for a ZAP started with api.disablekey=true).
    api_key_env: str = "ZAP_API_KEY"
    mode: Literal["passive", "active"] = "passive"
    allow_active: bool = False
    ajax_spider: bool = False
    timeout_s: float = Field(30.0, gt=0)  # one API request
    max_duration_s: float = Field(1800.0, gt=0)  # the whole check, every poll included
    poll_s: float = Field(2.0, gt=0)
    startup_wait_s: float = Field(0.0, ge=0)  # wait this long for a ZAP that is still starting
    retry_s: float = Field(30.0, ge=0)  # ride through a ZAP restart / 502 blip mid-scan this long
    scan_policy: str | None = None  # active scan policy name in ZAP; None: ZAP's default policy
    spider_max_children: int | None = Field(None, gt=0)
    max_seed_urls: int = Field(200, ge=0)
    max_alerts: int = Field(10000, gt=0)
    context_name: str = "ppid-auditor"
    exclude: list[str] = Field(default_factory=list)  # added to DEFAULT_EXCLUDES
    keep_default_excludes: bool = True

    @field_validator("api_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not re.match(r"^https?://[^/\s]+/?$", v):
            raise ValueError(f"must be the ZAP address as http(s)://host:port, got {v!r}")
        return v.rstrip("/")

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, v: str) -> str:
        if v and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", v):
            raise ValueError("must be the NAME of an environment variable (the key itself never goes in "
                             "the config file)")
        return v

    @field_validator("exclude")
    @classmethod
    def _regexes(cls, v: list[str]) -> list[str]:
        for i, pattern in enumerate(v):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"exclude[{i}]: invalid regex {pattern!r}: {exc}") from None
        return v

    @model_validator(mode="after")
    def _active_needs_consent(self) -> ZapConfig:
        if self.mode == "active" and not self.allow_active:
            raise ValueError(ACTIVE_REFUSED)
        return self

    @property
    def excludes(self) -> list[str]:
        return [*(DEFAULT_EXCLUDES if self.keep_default_excludes else ()), *self.exclude]


ACTIVE_REFUSED = ("mode: active sends attack traffic to the site; it needs an explicit `allow_active: true` "
                  "(only with written permission of the site owner)")
