"""Config validation: every bad config gives one clear line naming the key path, and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from auditor.config import load_config
from auditor.errors import ConfigError

GOOD = """
sites:
  - name: katongan
    url: https://localhost:18443/
crawl:
  max_pages: 50
"""

BAD = [
    ("sites: []\n", "sites: List should have at least 1 item"),
    ("sites:\n  - name: a\n    url: https://x.test/\ncrawl:\n  max_pages: 0\n", "crawl.max_pages: must be > 0"),
    ("sites:\n  - name: a\n    url: https://x.test/\ncrawl:\n  max_pagez: 5\n", "crawl.max_pagez: unknown key"),
    ("sites:\n  - name: a\n    url: ftp://x.test/\n", "sites.0.url: not an http(s) URL"),
    ("sites:\n  - name: a\n    url: https://x.test/\n  - name: a\n    url: https://y.test/\n",
     "duplicate site name 'a'"),
    ("sites:\n  - name: a\n    url: https://x.test/\ncrawl:\n  concurrency: lots\n",
     "crawl.concurrency: Input should be a valid integer"),
    ("sites:\n  - name: a\n    url: https://x.test/\nschedule:\n  nightly_scan: '25:00'\n",
     "schedule.nightly_scan: must be HH:MM"),
    ("sites:\n  - name: a\n    url: https://x.test/\nchecks:\n  enabled: [nosuchcheck]\n",
     "checks.enabled.0: unknown check 'nosuchcheck'"),
    ("sites:\n  - name: a\n    url: https://x.test/\nchecks:\n  nosuchcheck: {}\n",
     "checks.nosuchcheck: unknown check"),
    ("sites:\n  - name: a\n    url: https://x.test/\n    approved_content: missing.yaml\n",
     "sites.0.approved_content: file not found"),
    ("sites:\n  - name: a\n    url: https://x.test/\nreports:\n  language: fr\n", "reports.language"),
    ("sites:\n  - url: https://x.test/\n", "sites.0.name: required key is missing"),
    ("sites: [\n", "config.yaml: line"),
    ("- just\n- a list\n", "the top level must be a mapping"),
    ("sites:\n  - name: a\n    url: https://x.test/\nchecks:\n  links:\n    max_referrers: many\n",
     "checks.links.max_referrers: Input should be a valid integer"),
    ("sites:\n  - name: a\n    url: https://x.test/\nstorage:\n  database: x.sqlite\n  engine: x\n",
     "storage.engine: unknown key"),
]


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "config.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_good_config_loads(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, GOOD))
    assert cfg.sites[0].name == "katongan"
    assert cfg.crawl.max_pages == 50
    assert cfg.crawl.respect_robots is True
    assert "links" in cfg.check_blocks


@pytest.mark.parametrize(("text", "expected"), BAD, ids=[b[1][:40] for b in BAD])
def test_bad_config_names_the_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    message = str(err.value)
    assert message.startswith(str(tmp_path / "config.yaml") + ":")
    assert expected in message
    assert "\n" not in message


def test_missing_file_message(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml")


@pytest.mark.parametrize("text", [BAD[1][0], BAD[3][0], BAD[12][0]])
def test_cli_exit_2_one_line_no_traceback(tmp_path: Path, text: str) -> None:
    cfg = write(tmp_path, text)
    proc = subprocess.run([sys.executable, "-m", "auditor", "scan", "--config", str(cfg)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert str(cfg) in lines[0]


def test_env_var_names_default_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PPID_AUDIT_CONFIG", str(write(tmp_path, GOOD)))
    assert load_config(None).sites[0].url == "https://localhost:18443/"
