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
