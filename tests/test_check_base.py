"""`Check[ConfigT]`: a check gets its own typed config block from the context, whoever built it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from auditor.snapshot import Site
from checks.base import Check, CheckConfig, CheckContext, discover_checks


class WordConfig(CheckConfig):
    word: str = "PPID"
    limit: int = 3


class WordCheck(Check[WordConfig]):
    name = "word"
    config_model = WordConfig


def _ctx(config) -> CheckContext:
    return CheckContext(site=Site(name="t", url="http://127.0.0.1/"), config=config, http=None, site_config=None)


def test_config_is_the_runner_model_itself():
    cfg = WordConfig(word="Desa")
    assert WordCheck().config(_ctx(cfg)) is cfg


@pytest.mark.parametrize("given,word", [(None, "PPID"), (CheckConfig(), "PPID"), ({"word": "Kalurahan"}, "Kalurahan")])
def test_config_validated_from_defaults_or_a_mapping(given, word):
    cfg = WordCheck().config(_ctx(given))
    assert isinstance(cfg, WordConfig) and cfg.word == word and cfg.limit == 3


def test_config_refuses_unknown_keys():
    with pytest.raises(ValidationError):
        WordCheck().config(_ctx({"wrod": "typo"}))


def test_every_builtin_check_declares_its_config_type():
    """The generic parameter and `config_model` name the same class for every built-in check."""
    for name, loaded in discover_checks().items():
        cls = loaded.cls
        if cls is None or not cls.__module__.startswith("checks."):
            continue
        [base] = [b for b in cls.__orig_bases__ if getattr(b, "__origin__", None) is Check]
        assert base.__args__ == (cls.config_model,), name


def test_verifying_client_keeps_credentials_and_the_per_host_delay():
    """The headers check's certificate-verifying client is the shared one with `verify` changed: a protected
    staging site still answers, and its requests wait their turn with the crawl's (issue 16)."""
    import base64
    import time

    from auditor.http import HttpClient
    from tests.servers import serve

    token = "Basic " + base64.b64encode(b"staf:rahasia").decode()

    def guarded(handler):
        if handler.headers.get("Authorization") != token:
            return 401, {"WWW-Authenticate": 'Basic realm="staging"'}, "no"
        return 200, {"Content-Type": "text/plain"}, "ok"

    with serve({"/": guarded}) as srv:
        shared = HttpClient(auth=("staf", "rahasia"), delay_s=0.4, timeout_s=5)
        probe = shared.verifying(True, max_redirects=3)
        assert probe.verify is True and probe.max_redirects == 3 and shared.verify is False
        started = time.monotonic()
        assert shared.fetch(srv.url).status == 200
        assert probe.fetch(srv.url).status == 200  # credentials kept
        assert time.monotonic() - started >= 0.4  # the second request waited for the shared per-host slot
        assert HttpClient(timeout_s=5).fetch(srv.url).status == 401  # the control: without them, refused
