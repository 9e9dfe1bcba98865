"""The gate compares only what both sides could observe (issue: a staging folder served by our own loopback
server must never be credited with fixing the production server's headers, cookies or software).

Production is a loopback server that plays Apache 2.4.29 with PHP 7.2.34 (`Server`, `X-Powered-By`, a
session cookie without flags); the staged change adds one old jQuery file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from auditor.cli import main
from auditor.store import Store
from tests.servers import serve
from tests.test_gate import SECURE, build_production, static_routes

APACHE = "Apache/2.4.29 (Ubuntu)"
PHP = [("X-Powered-By", "PHP/7.2.34"), ("Set-Cookie", "PHPSESSID=4f9c2a1b7e; path=/")]
# what the production server itself adds and the staged copy cannot reproduce from a folder
SERVER_RULES = {"software.php.eol", "software.server.outdated", "software.version.disclosed",
                "headers.cookie.insecure"}
JQUERY = "/*! jQuery v1.12.4 | (c) jQuery Foundation | jquery.org/license */\n!function(a){a.jQuery={}}(window);\n"


def stage_with_jquery(prod: Path, root: Path) -> None:
    import shutil

    shutil.copytree(prod, root)
    (root / "js").mkdir()
    (root / "js" / "jquery-1.12.4.min.js").write_text(JQUERY)
    index = (root / "index.html").read_text()
    (root / "index.html").write_text(index.replace("</head>", "<script src='/js/jquery-1.12.4.min.js'></script></head>"))


def config(tmp_path: Path, prod_url: str, staging: str) -> Path:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        f"sites:\n  - name: contoh\n    url: {prod_url}\n    {staging}\n"
        "crawl:\n  max_pages: 30\n  timeout_s: 5\n"
        "checks:\n  enabled: [headers, software]\n"
        f"storage:\n  database: {tmp_path / 'db.sqlite'}\n"
        f"reports:\n  output_dir: {tmp_path / 'out'}\n  organisation: PPID Kalurahan Contoh\n")
    return cfg


@pytest.fixture()
def sites(tmp_path: Path) -> tuple[Path, Path]:
    prod, stage = tmp_path / "prod", tmp_path / "stage"
    build_production(prod)
    stage_with_jquery(prod, stage)
    return prod, stage


def rules(items: list[dict]) -> set[str]:
    return {f["rule"] for f in items}


def test_staging_folder_never_fixes_server_findings(tmp_path: Path, sites, capsys) -> None:
    prod, stage = sites
    with serve({}, default=static_routes(prod, SECURE + PHP), server_header=APACHE) as p_srv:
        cfg = config(tmp_path, p_srv.url, f"staging_path: {stage}")
        assert main(["scan", "--config", str(cfg), "--quiet"]) == 0
        store = Store(tmp_path / "db.sqlite")
        prod_rules = {f.finding.rule for f in store.findings(store.latest_run("contoh").id)}
        assert SERVER_RULES <= prod_rules, prod_rules  # the production scan really saw the server's problems
        rc = main(["gate", "--config", str(cfg), "--fail-on", "critical"])
    out = capsys.readouterr().out
    gate = Store(tmp_path / "db.sqlite").gates(site="contoh")[-1]
    s = gate["summary"]
    assert rules(s["introduced"]) == {"software.js.vulnerable"}
    assert s["fixed"] == []
    assert SERVER_RULES <= rules(s["not_comparable"])
    assert s["comparison"]["kind"] == "folder"
    # nothing the content check family observes is among the incomparable ones
    assert not any(f["rule"].startswith(("software.js", "pii.", "content.")) for f in s["not_comparable"])
    assert rc == 0  # js.vulnerable is high, below the critical threshold; incomparable findings never count
    assert "tidak dapat dibandingkan" in out.lower()
    pdf = next(Path(f) for f in gate["files"] if f.endswith(".pdf"))
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(pdf).pages)
    assert "Tidak dapat dibandingkan" in text
    assert "folder" in text.lower()
    assert "diperbaiki oleh perubahan (0)" in text.lower()


def test_staging_url_on_the_same_server_compares_everything(tmp_path: Path, sites) -> None:
    prod, stage = sites
    with serve({}, default=static_routes(prod, SECURE + PHP), server_header=APACHE) as p_srv, \
         serve({}, default=static_routes(stage, SECURE + PHP), server_header=APACHE) as s_srv:
        cfg = config(tmp_path, p_srv.url, f"staging_url: {s_srv.url}")
        assert main(["scan", "--config", str(cfg), "--quiet"]) == 0
        assert main(["gate", "--config", str(cfg), "--quiet", "--fail-on", "critical"]) == 0
    s = Store(tmp_path / "db.sqlite").gates(site="contoh")[-1]["summary"]
    assert s["comparison"]["kind"] == "same_server"
    assert rules(s["introduced"]) == {"software.js.vulnerable"}
    assert s["fixed"] == [] and s["not_comparable"] == []
    assert s["unchanged"] >= len(SERVER_RULES)


def test_staging_url_on_another_server_is_not_credited(tmp_path: Path, sites) -> None:
    """The staged copy runs on nginx without PHP headers: production's Apache/PHP findings are not 'fixed'."""
    prod, stage = sites
    with serve({}, default=static_routes(prod, SECURE + PHP), server_header=APACHE) as p_srv, \
         serve({}, default=static_routes(stage, SECURE), server_header="nginx/1.22.1") as s_srv:
        cfg = config(tmp_path, p_srv.url, f"staging_url: {s_srv.url}")
        assert main(["scan", "--config", str(cfg), "--quiet"]) == 0
        assert main(["gate", "--config", str(cfg), "--quiet", "--fail-on", "critical"]) == 0
    s = Store(tmp_path / "db.sqlite").gates(site="contoh")[-1]["summary"]
    assert s["comparison"]["kind"] == "different_server"
    assert any("Apache" in x for x in s["comparison"]["production_server"])
    assert any("nginx" in x for x in s["comparison"]["staging_server"])
    assert rules(s["introduced"]) == {"software.js.vulnerable"}
    assert s["fixed"] == []
    assert SERVER_RULES <= rules(s["not_comparable"])


def test_diff_rules_from_records_and_unknown_rules_are_never_credited() -> None:
    """The classification itself, on findings made by hand: a record's `observes` decides; a rule with no
    record (a third-party check that declares none) is treated as a server rule."""
    from auditor.gate import Comparison, diff_findings
    from checks.base import Finding
    from checks.rules import Observes, Rule

    index = {"x.header": Rule("x.header", "medium", "h", "h", observes=Observes.SERVER),
             "x.page": Rule("x.page", "medium", "p", "p", observes=Observes.CONTENT),
             "zap.*": Rule("zap.*", "medium", "z", "z", observes=Observes.SERVER)}

    def f(rule: str, url: str = "http://prod/") -> Finding:
        return Finding(check=rule.split(".")[0], rule=rule, severity="medium", title=rule, url=url)

    prod = [f("x.header"), f("x.page"), f("zap.10038"), f("other.rule")]
    stage = [f("x.page", "http://stage/"), f("x.new", "http://stage/")]
    fps = [p.fingerprint for p in prod]
    ok = {"x", "zap", "other"}
    folder = diff_findings(prod, fps, stage, "stage", "prod", ok, Comparison("folder"), index)
    assert [x.rule for x in folder.fixed] == []
    assert [x.rule for x in folder.unchanged] == ["x.page"]
    assert sorted(x.rule for x in folder.not_comparable) == ["other.rule", "x.header", "x.new", "zap.10038"]
    assert folder.introduced == []  # x.new has no record: never introduced from a folder either
    same = diff_findings(prod, fps, stage, "stage", "prod", ok, Comparison("same_server"), index)
    assert sorted(x.rule for x in same.fixed) == ["other.rule", "x.header", "zap.10038"]
    assert [x.rule for x in same.introduced] == ["x.new"] and same.not_comparable == []
