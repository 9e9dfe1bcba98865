"""The software check end to end against real loopback servers (tests/servers.py): WordPress-like and
OpenSID-like sites, exposed files, soft-404 sites, lying headers, a static site; data staleness; and the
`ppid-audit data update` command (from a FILE only, never the network)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from auditor.cli import main as cli_main
from auditor.config import CrawlConfig, SiteConfig
from auditor.crawler import crawl, make_client
from checks.base import CheckContext
from checks.software import SoftwareCheck, SoftwareConfig
from checks.software.data import BUNDLED_DIR, load_data
from tests.servers import serve

NOW = datetime(2026, 1, 15, tzinfo=UTC)
HTML = {"Content-Type": "text/html; charset=UTF-8"}


def run_check(url: str, now: datetime = NOW, **cfg) -> tuple[list, dict]:
    crawl_cfg = CrawlConfig(max_pages=8, max_depth=1, timeout_s=5)
    http = make_client(crawl_cfg)
    site_cfg = SiteConfig(name="t", url=url)
    site = crawl(site_cfg, crawl_cfg, http)
    ctx = CheckContext(site=site, config=SoftwareConfig(**cfg), http=http, site_config=site_cfg,
                       now=lambda: now, log=logging.getLogger("test.software"))
    res = SoftwareCheck().run(ctx)
    return res.findings, res.facts


def rules_of(findings) -> set[str]:
    return {f.rule for f in findings}


def wp_home(version: str, jquery: str = "3.6.1") -> str:
    return f"""<!doctype html><html lang="id-ID"><head><title>Desa Sukamaju</title>
<link rel='stylesheet' href='/wp-includes/css/dist/block-library/style.min.css?ver={version}' media='all' />
<script src='/wp-includes/js/jquery/jquery.min.js?ver={jquery}'></script>
<script src='/wp-content/themes/desa/js/jquery-1.8.3.min.js'></script>
<meta name="generator" content="WordPress {version}" /></head>
<body><a href="/profil/">Profil Desa</a></body></html>"""


LOGIN = b'<html><body><form name="loginform" action="/wp-login.php" method="post"><input name="log">' \
        b'<input type="password" name="pwd"><input type="submit" name="wp-submit" value="Masuk"></form></body></html>'


def test_old_wordpress_site_with_exposed_files():
    routes = {
        "/": (200, {**HTML, "Server": "Apache/2.2.15 (CentOS)", "X-Powered-By": "PHP/5.6.40"}, wp_home("4.5.3", "1.12.4")),
        "/profil/": (200, HTML, "<html><body><h1>Profil</h1></body></html>"),
        "/wp-content/themes/desa/js/jquery-1.8.3.min.js": (200, {"Content-Type": "application/javascript"},
                                                          "/*! jQuery v1.8.3 jquery.com | jquery.org/license */\n"),
        "/wp-includes/js/jquery/jquery.min.js": (200, {"Content-Type": "application/javascript"},
                                                 "/*! jQuery v1.12.4 | (c) jQuery Foundation | jquery.org/license */\n"),
        "/wp-login.php": (200, HTML, LOGIN),
        "/.env": (200, {"Content-Type": "text/plain"}, "APP_ENV=production\nDB_HOST=localhost\nDB_PASSWORD=Rahasia!2024\n"),
        "/.git/HEAD": (200, {"Content-Type": "text/plain"}, "ref: refs/heads/main\n"),
        "/wp-config.php.bak": (200, {"Content-Type": "application/octet-stream"},
                               "<?php\ndefine( 'DB_NAME', 'desa' );\ndefine( 'DB_PASSWORD', 'Rahasia!2024' );\n"),
        "/wp-content/uploads/": (200, HTML, '<html><head><title>Index of /wp-content/uploads</title></head><body>'
                                 '<h1>Index of /wp-content/uploads</h1><a href="/wp-content/">Parent Directory</a>'
                                 '<a href="2024/">2024/</a></body></html>'),
        "/?feed=rss2": (200, {"Content-Type": "application/rss+xml"},
                        "<?xml version='1.0'?><rss version='2.0'><channel><generator>https://wordpress.org/?v=4.5.3"
                        "</generator></channel></rss>"),
    }
    with serve(routes) as srv:
        findings, facts = run_check(srv.url)
        made = srv.stats["requests"]
    got = rules_of(findings)
    assert {"software.cms.eol", "software.server.outdated", "software.php.eol", "software.js.vulnerable",
            "software.version.disclosed", "software.admin.exposed", "software.directory.listing",
            "software.file.exposed"} <= got
    cms = next(f for f in findings if f.rule == "software.cms.eol")
    assert "4.5.3" in cms.evidence and "4.5.3" in cms.title
    exposed = {f.url.rsplit("/", 1)[-1] or f.url for f in findings if f.rule == "software.file.exposed"}
    assert {".env", "HEAD", "wp-config.php.bak"} <= exposed
    for f in findings:  # secrets never leave in evidence
        assert "Rahasia" not in f.evidence
    js = [f for f in findings if f.rule == "software.js.vulnerable"]
    assert {f.data["version"] for f in js} >= {"1.8.3", "1.12.4"}
    assert all(any(r.startswith("CVE-") for r in f.references) for f in js)
    wp = next(d for d in facts.detected if d.product == "wordpress")
    assert wp.version == "4.5.3" and wp.evidence
    assert made < 80  # bounded


def soft404_routes(body_for_unknown):
    home = wp_home("6.8.3")
    return {"/": (200, HTML, home), "/profil/": (200, HTML, "<html><body>Profil</body></html>")}, body_for_unknown


@pytest.mark.parametrize("kind", ["home_page", "not_found_200", "echo_path"])
def test_soft_404_sites_produce_no_exposure_findings(kind):
    home = wp_home("6.8.3")

    def unknown(handler):
        if kind == "home_page":
            return 200, HTML, home
        if kind == "not_found_200":
            return 200, HTML, "<html><body><h1>Halaman tidak ditemukan</h1><p>Index of / PK DB_PASSWORD</p></body></html>"
        return 200, HTML, f"<html><body>Maaf, {handler.path} tidak ditemukan. ref: refs/heads/main</body></html>"

    with serve({"/": (200, HTML, home)}, default=unknown) as srv:
        findings, facts = run_check(srv.url)
    got = rules_of(findings)
    assert not got & {"software.file.exposed", "software.directory.listing", "software.admin.exposed"}, got
    assert facts.probes.soft_404 is True


def test_lying_headers_do_not_make_a_static_site_a_cms():
    page = "<!DOCTYPE html><html><head><title>Desa</title></head><body><h1>Pemerintah Desa</h1></body></html>"
    headers = {**HTML, "X-Powered-By": "WordPress 4.1", "X-Generator": "Drupal 7 (https://www.drupal.org)"}
    with serve({"/": (200, headers, page)}) as srv:
        findings, facts = run_check(srv.url)
    assert not rules_of(findings) & {"software.cms.eol", "software.cms.outdated", "software.admin.exposed"}
    claimed = {d.product: d.confidence for d in facts.detected}
    assert claimed.get("wordpress") == "low" and claimed.get("drupal") == "low"


def test_static_site_without_cms_has_no_false_findings():
    page = """<!DOCTYPE html><html lang="id"><head><meta charset="utf-8"><title>Desa Sukamaju</title>
    <link rel="stylesheet" href="/css/site.css"><script src="/js/site.js"></script></head>
    <body><h1>Pemerintah Desa Sukamaju</h1><a href="/ppid.html">PPID</a></body></html>"""
    routes = {"/": (200, HTML, page), "/ppid.html": (200, HTML, "<html><body>PPID</body></html>"),
              "/js/site.js": (200, {"Content-Type": "application/javascript"}, "document.title='Desa';\n"),
              "/css/site.css": (200, {"Content-Type": "text/css"}, "body{color:#222}")}
    with serve(routes) as srv:
        findings, facts = run_check(srv.url)
    # Python's own server banner ("BaseHTTP/0.6 Python/3.x") is a real disclosure; nothing else may appear.
    assert rules_of(findings) <= {"software.version.disclosed"}
    assert all("BaseHTTP" in f.evidence for f in findings)
    assert not [d for d in facts.detected if d.category == "cms"]


def test_opensid_site_is_judged_by_release_month():
    page = """<html><head><link href="/themes/natra/assets/css/style.css" rel="stylesheet"></head><body>
    <a href="/index.php/first/artikel/5">Berita</a><footer>Powered by <a href="https://github.com/OpenSID/OpenSID">OpenSID</a>
    v23.04</footer></body></html>"""
    admin = "<html><head><title>OpenSID - Login</title></head><body><form><input name='username'>" \
            "<input type='password' name='password'></form></body></html>"
    with serve({"/": (200, HTML, page), "/siteman": (200, HTML, admin)}) as srv:
        findings, facts = run_check(srv.url)
    out = [f for f in findings if f.rule == "software.cms.outdated"]
    assert out and out[0].data["product"] == "opensid"
    assert "software.admin.exposed" in rules_of(findings)


def test_stale_data_is_noted_and_fresh_data_is_not():
    data = load_data(None)
    with serve({"/": (200, HTML, "<html><body>Desa</body></html>")}) as srv:
        _, stale = run_check(srv.url, now=datetime.combine(data.oldest, datetime.min.time(), UTC).replace(year=data.oldest.year + 1))
        _, fresh = run_check(srv.url, now=datetime.combine(data.oldest, datetime.min.time(), UTC))
    assert stale.data.stale and any("data update" in n.text for n in stale.notes)
    assert not fresh.data.stale and not fresh.notes


def test_probes_can_be_disabled_and_are_bounded():
    with serve({"/": (200, HTML, wp_home("6.8.3"))}) as srv:
        run_check(srv.url, probes=False)
        without = srv.stats["requests"]
        srv.stats["requests"] = 0
        run_check(srv.url, max_probes=3)
        with_three = srv.stats["requests"]
    assert with_three - without <= 3 + 1  # + the not-found baseline


# -- data update ---------------------------------------------------------------------------------------------

def test_data_update_from_files(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("PPID_AUDIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no config.yaml here: the command must not need one
    soft = json.loads((BUNDLED_DIR / "software.json").read_text())
    soft["as_of"] = "2099-01-01"
    soft["products"]["wordpress"]["latest"] = "99.0"
    (tmp_path / "soft.json").write_text(json.dumps(soft))
    assert cli_main(["data", "update", "--from", str(tmp_path / "soft.json")]) == 0
    repo = json.loads((BUNDLED_DIR / "jsrepo.json").read_text())
    repo["not-a-library-we-detect"] = {"vulnerabilities": [], "extractors": {}}
    (tmp_path / "repo.json").write_text(json.dumps(repo))
    assert cli_main(["data", "update", "--from", str(tmp_path / "repo.json")]) == 0
    data = load_data(tmp_path / "data")
    assert data.products["wordpress"]["latest"] == "99.0"
    assert "not-a-library-we-detect" not in data.jsrepo.components and "jquery" in data.jsrepo.components
    assert all(f.path.parent == tmp_path / "data" for f in data.files)
    out = capsys.readouterr().out
    assert "software.json" in out and "jsrepo.json" in out


@pytest.mark.parametrize("content", ["{not json", '{"hello": 1}', '{"products": {}, "as_of": "kemarin"}'])
def test_data_update_rejects_bad_input_with_exit_2(tmp_path: Path, monkeypatch, capsys, content):
    monkeypatch.setenv("PPID_AUDIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.json").write_text(content)
    assert cli_main(["data", "update", "--from", str(tmp_path / "bad.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert cli_main(["data", "update", "--from", str(tmp_path / "missing.json")]) == 2
    assert not (tmp_path / "data" / "software.json").exists()
