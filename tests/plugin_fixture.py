"""A real third-party plugin, installed for the test as a dist-info on sys.path, so checks are found through
the same entry-point path as the built-ins."""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path

PLUGIN_SRC = textwrap.dedent('''
    from checks.base import Check, CheckConfig, CheckSkipped, Severity

    class BoomCheck(Check):
        name = "boom"
        description = "always raises"
        def run(self, ctx):
            raise RuntimeError("boom from a broken plugin")

    class SkipCheck(Check):
        name = "skippy"
        def run(self, ctx):
            raise CheckSkipped("peer not running at http://127.0.0.1:1/")

    class TitleConfig(CheckConfig):
        word: str = "PPID"

    class TitleCheck(Check):
        name = "titleword"
        config_model = TitleConfig
        def run(self, ctx):
            for page in ctx.site.pages:
                if page.ok and ctx.config.word not in page.title:
                    yield self.finding("test.title.word", Severity.LOW, "Judul tanpa kata kunci",
                                       url=page.url, evidence=page.title)
''')


def install_plugin(tmp_path: Path) -> None:
    root = tmp_path / "plugin_site"
    root.mkdir()
    (root / "ppid_test_plugin.py").write_text(PLUGIN_SRC)
    dist = root / "ppid_test_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ppid-test-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[ppid_auditor.checks]\nboom = ppid_test_plugin:BoomCheck\nskippy = ppid_test_plugin:SkipCheck\n"
        "titleword = ppid_test_plugin:TitleCheck\nbroken = ppid_test_plugin:DoesNotExist\n")
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()


def uninstall_plugin(tmp_path: Path) -> None:
    root = str(tmp_path / "plugin_site")
    if root in sys.path:
        sys.path.remove(root)
    sys.modules.pop("ppid_test_plugin", None)
    importlib.invalidate_caches()
