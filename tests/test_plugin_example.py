"""The README's "Writing a check" example, for real: copied into a throw-away wheel (built here, so no build
backend or network is needed), pip-installed into a target folder,
found through its `ppid_auditor.checks` entry point and run by `ppid-audit scan`."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.servers import serve

ROOT = Path(__file__).resolve().parents[1]
HTML = "text/html; charset=utf-8"


def readme_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Menulis pemeriksaan sendiri / Writing a check"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def build_wheel(out_dir: Path, files: dict[str, str], entry_points: str) -> Path:
    """A minimal PEP 427 wheel of `files` (no build backend needed, so this works offline on any machine)."""
    dist = "ppid_readme_plugin-0.1.dist-info"
    contents = {**files,
                f"{dist}/METADATA": "Metadata-Version: 2.1\nName: ppid-readme-plugin\nVersion: 0.1\n",
                f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: ppid-auditor-tests\nRoot-Is-Purelib: true\n"
                                 "Tag: py3-none-any\n",
                f"{dist}/entry_points.txt": entry_points}
    record = []
    for name, text in contents.items():
        data = text.encode("utf-8")
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{dist}/RECORD,,")
    wheel = out_dir / "ppid_readme_plugin-0.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, text in contents.items():
            zf.writestr(name, text)
        zf.writestr(f"{dist}/RECORD", "\n".join(record) + "\n")
    return wheel


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory) -> Path:
    """`pip install --target` of a package holding exactly the README's code."""
    wheel = build_wheel(tmp_path_factory.mktemp("plugin-src"),
                        {"my_package/__init__.py": "", "my_package/my_check.py": readme_example()},
                        "[ppid_auditor.checks]\nmycheck = my_package.my_check:MyCheck\n")
    target = tmp_path_factory.mktemp("plugin-site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", str(target), str(wheel)], check=True, capture_output=True, text=True, timeout=300)
    assert (target / "ppid_readme_plugin-0.1.dist-info" / "entry_points.txt").is_file()
    assert (target / "my_package" / "my_check.py").read_text() == readme_example()
    return target


def test_readme_check_runs_through_scan(installed_plugin: Path, tmp_path: Path):
    routes = {
        "/": (200, {"Content-Type": HTML}, '<html><head><title>Beranda PPID</title></head>'
                                            '<body><a href="/profil">Profil</a></body></html>'),
        "/profil": (200, {"Content-Type": HTML}, "<html><head><title>Profil Desa</title></head><body>x</body></html>"),
    }
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(installed_plugin), str(ROOT)])}
    with serve(routes) as srv:
        cfg = tmp_path / "config.yaml"
        cfg.write_text(f"sites:\n  - name: desa\n    url: {srv.url}\ncrawl:\n  max_pages: 5\n  timeout_s: 5\n"
                       f"checks:\n  enabled: [mycheck]\n  mycheck:\n    word: PPID\n"
                       f"storage:\n  database: {tmp_path / 'db.sqlite'}\n")
        out = subprocess.run([sys.executable, "-m", "auditor", "scan", "--config", str(cfg), "--quiet",
                              "--json", str(tmp_path / "f.json"), "--sarif", str(tmp_path / "f.sarif")],
                             capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
        typo = tmp_path / "typo.yaml"
        typo.write_text(cfg.read_text().replace("word: PPID", "wrod: PPID"))
        bad = subprocess.run([sys.executable, "-m", "auditor", "scan", "--config", str(typo), "--quiet"],
                             capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads((tmp_path / "f.json").read_text())
    assert data["checks"][0]["name"] == "mycheck" and data["checks"][0]["status"] == "ok"
    [f] = data["findings"]
    assert f["rule"] == "mycheck.title" and f["url"].endswith("/profil") and f["evidence"] == "Profil Desa"
    assert f["title"] == "Judul halaman tanpa kata PPID" and f["severity"] == "low"
    [rule] = json.loads((tmp_path / "f.sarif").read_text())["runs"][0]["tool"]["driver"]["rules"]
    assert rule["properties"]["observes"] == "content"  # the plugin's own record, offered like a built-in's
    # the plugin's config model is enforced by the core: a misspelt key is one clear line, exit 2
    assert bad.returncode == 2 and "checks.mycheck" in bad.stderr and "Traceback" not in bad.stderr
