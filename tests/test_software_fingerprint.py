"""Unit tests for the software check's pure parts: fingerprint rules, aggregation, judgement, versions,
probe verifiers, retire-format matching. Real-looking HTML; no network."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime

import pytest

from auditor.snapshot import Headers
from checks.software import fingerprint as fp
from checks.software import probes
from checks.software.data import load_data
from checks.software.judge import judge
from checks.software.versions import compare

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def detect(html: str = "", headers: list[tuple[str, str]] | None = None, url: str = "http://desa.test/",
           extra: list[fp.Signal] | None = None) -> dict[str, fp.Detection]:
    sigs = fp.header_signals(url, Headers(headers or [])) + fp.html_signals(url, html) + (extra or [])
    return {d.product: d for d in fp.aggregate(sigs)}


WP_HTML = """<!doctype html><html lang="id-ID"><head><meta charset="UTF-8">
<title>Desa Sukamaju &#8211; PPID</title>
<link rel='stylesheet' id='wp-block-library-css' href='http://desa.test/wp-includes/css/dist/block-library/style.min.css?ver={v}' media='all' />
<link rel='stylesheet' id='astra-theme-css-css' href='http://desa.test/wp-content/themes/astra/assets/css/minified/main.min.css?ver=4.1.5' media='all' />
<script src='http://desa.test/wp-includes/js/jquery/jquery.min.js?ver=3.6.1' id='jquery-core-js'></script>
<script>window._wpemojiSettings = {{"source":{{"concatemoji":"http:\\/\\/desa.test\\/wp-includes\\/js\\/wp-emoji-release.min.js?ver={v}"}}}};</script>
<meta name="generator" content="WordPress {gen}" />
</head><body class="home blog"><a href="http://desa.test/ppid/">PPID</a></body></html>"""


def test_wordpress_generator_and_core_asset_versions_agree():
    d = detect(WP_HTML.format(v="6.4.2", gen="6.4.2"))["wordpress"]
    assert d.version == "6.4.2" and d.version_confidence == "high" and d.confidence == "high"
    assert any("meta generator" in e for e in d.evidence) and any("?ver=" in e for e in d.evidence)


def test_theme_asset_versions_are_not_taken_for_the_wordpress_version():
    # Theme CSS ?ver=4.1.5 and jQuery ?ver=3.6.1 are other products' versions.
    d = detect(WP_HTML.format(v="6.4.2", gen="6.4.2"))["wordpress"]
    assert not d.conflicts


def test_faked_generator_is_outvoted_by_feed_and_assets():
    # Security plugins sometimes print a fake generator; the feed and core assets tell the truth.
    feed = fp.feed_signals("http://desa.test/?feed=rss2",
                           "<?xml version='1.0'?><rss version='2.0'><channel><generator>https://wordpress.org/?v=6.8.3"
                           "</generator></channel></rss>")
    d = detect(WP_HTML.format(v="6.8.3", gen="4.1"), extra=feed)["wordpress"]
    assert d.version == "6.8.3"
    assert d.conflicts and "4.1" in d.conflicts[0]
    assert d.version_confidence in ("medium", "low")  # a conflict always costs confidence


def test_header_only_cms_claims_are_low_confidence():
    headers = [("X-Powered-By", "WordPress 4.2"), ("X-Generator", "Drupal 7 (https://www.drupal.org)")]
    found = detect("<html><body><h1>Desa Maju</h1></body></html>", headers)
    assert found["wordpress"].confidence == "low" and found["drupal"].confidence == "low"


def test_static_site_has_no_cms():
    html = """<!DOCTYPE html><html><head><meta name="generator" content="Hugo 0.111.3">
    <link rel="stylesheet" href="/css/style.css"><script src="/js/main.js"></script></head>
    <body><h1>Pemerintah Desa Sukamaju</h1><p>Informasi publik desa.</p></body></html>"""
    found = detect(html, [("Server", "nginx")])
    assert {d.category for d in found.values()} == {"server"}
    assert found["nginx"].version is None


def test_server_and_php_headers():
    found = detect("", [("Server", "Apache/2.4.41 (Ubuntu) PHP/7.4.3 OpenSSL/1.1.1f"), ("X-Powered-By", "PHP/7.4.3")])
    assert found["apache"].version == "2.4.41" and found["php"].version == "7.4.3"
    found = detect("", [("Server", "nginx/1.22.1")])
    assert found["nginx"].version == "1.22.1"


def test_joomla_markers_and_manifest():
    html = """<html><head><meta name="generator" content="Joomla! - Open Source Content Management" />
    <script src="/media/jui/js/jquery.min.js?8c1b2f"></script><script src="/media/system/js/caption.js"></script>
    </head><body><a href="/index.php?option=com_content&view=article&id=3">Profil</a></body></html>"""
    manifest = fp.joomla_manifest_signals("http://desa.test/administrator/manifests/files/joomla.xml", """<?xml
    version="1.0" encoding="utf-8"?><extension version="3.6" type="file" method="upgrade">
    <name>files_joomla</name><author>Joomla! Project</author><version>3.9.28</version></extension>""")
    d = detect(html, extra=manifest)["joomla"]
    assert d.version == "3.9.28" and d.confidence == "high"


def test_drupal7_and_changelog_and_drupal10_asset_version():
    html7 = """<html><head><meta name="Generator" content="Drupal 7 (http://drupal.org)" />
    <script src="http://desa.test/misc/drupal.js?q1w2e3"></script>
    <script>jQuery.extend(Drupal.settings, {"basePath":"\\/"});</script></head><body></body></html>"""
    log = fp.drupal_changelog_signals("http://desa.test/CHANGELOG.txt",
                                      "\nDrupal 7.98, 2023-06-07\n-----------------------\n- Fixed security issues")
    d = detect(html7, extra=log)["drupal"]
    assert d.version == "7.98" and not d.conflicts  # "7" and "7.98" agree
    html10 = """<html><head><script src="/core/misc/drupal.js?v=10.1.5"></script>
    <script type="application/json" data-drupal-selector="drupal-settings-json">{}</script></head></html>"""
    d = detect(html10)["drupal"]
    assert d.version == "10.1.5"


def test_opensid_footer_and_paths():
    html = """<html><head><link rel="stylesheet" href="http://desa.test/themes/klasik/assets/css/style.css">
    </head><body><a href="http://desa.test/index.php/first/artikel/12">Berita</a>
    <footer><p>Hak cipta Desa Sukamaju &copy; 2024 | Powered by <a href="https://github.com/OpenSID/OpenSID">
    OpenSID</a> v24.05</p></footer></body></html>"""
    d = detect(html)["opensid"]
    assert d.version == "24.05" and d.confidence == "high"
    html2 = "<footer>Sistem Informasi Desa OpenSID v2407.0.0-premium</footer><a href='/siteman'>Admin</a>"
    assert detect(html2)["opensid"].version == "2407.0.0-premium"


def test_wordpress_probe_parsers():
    assert fp.opml_signals("u", '<?xml version="1.0"?>\n<!-- generator="WordPress/6.1.9" -->\n<opml version="1.0">')[0].version == "6.1.9"
    assert fp.wp_rest_signals("u", '{"name":"Desa","namespaces":["oembed\\/1.0","wp\\/v2"]}') == []  # escaped
    assert fp.wp_rest_signals("u", '{"name":"Desa","namespaces":["oembed/1.0","wp/v2"]}')
    assert fp.wp_readme_signals("u", "<html><body>WordPress<br /> Version 4.9.8</body></html>")[0].version == "4.9.8"
    # A soft-404 home page is not a feed
    assert fp.feed_signals("u", "<html><body>Halaman tidak ditemukan</body></html>") == []


# -- judgement ---------------------------------------------------------------------------------------

PRODUCT = {"category": "server", "latest": "3.2.0", "cycles_complete": True, "cycles": [
    {"cycle": "3.2", "latest": "3.2.0", "eol": False}, {"cycle": "3.1", "latest": "3.1.9", "eol": "2026-01-01"},
    {"cycle": "3.0", "latest": "3.0.5", "eol": "2025-01-01"}]}


@pytest.mark.parametrize("version,status", [
    ("3.2.0", "current"), ("3.1.4", "outdated"), ("3.0.5", "eol"), ("2.9", "eol"), ("3.3.1", "newer"),
    ("3.1.9-1~deb12u1", "current")])
def test_judge_statuses(version, status):
    v = judge(PRODUCT, version, datetime(2025, 6, 1, tzinfo=UTC))
    if status == "current" and version.startswith("3.1"):
        assert v.status == "behind"  # on a supported older branch, newest release elsewhere
    else:
        assert v.status == status


def test_judge_eol_dates_follow_the_clock():
    assert judge(PRODUCT, "3.1.9", datetime(2025, 12, 31, tzinfo=UTC)).status == "behind"
    assert judge(PRODUCT, "3.1.9", datetime(2026, 1, 2, tzinfo=UTC)).status == "eol"


def test_judge_opensid_by_release_month():
    prod = {"category": "cms", "scheme": "yymm", "outdated_after_months": 12}
    assert judge(prod, "v24.05", datetime(2025, 12, 1, tzinfo=UTC)).status == "outdated"
    assert judge(prod, "2507.0.0", datetime(2025, 12, 1, tzinfo=UTC)).status == "current"


def test_bundled_data_is_dated_and_consistent():
    data = load_data(None)
    assert {"wordpress", "php", "nginx", "apache", "opensid", "joomla", "drupal"} <= set(data.products)
    for f in data.files:
        assert f.as_of.year >= 2025 and f.source
    for name, prod in data.products.items():
        for c in prod.get("cycles") or []:
            if c.get("latest"):
                assert c["latest"].startswith(c["cycle"]), (name, c)


# -- versions: same answers as retire.js's isAtOrAbove ----------------------------------------------------

PAIRS = [("1.9.0", "1.9.0b1"), ("3.0.0-rc1", "3.0.0"), ("1.12.4", "1.12.0"), ("2.2", "2.2.0"), ("4.17.21", "4.17.9"),
         ("1.0.0-beta.2", "1.0.0-beta.10"), ("3.5.0", "3.5.0"), ("10.1", "9.9")]


def test_compare_matches_retire():
    from tests.servers import REPO, need_peer
    node = need_peer("node")
    retire_js = REPO / "tools/node/node_modules/retire/lib/retire.js"
    if not retire_js.exists():
        need_peer("retire", str(retire_js))
    script = (f"const r=require({json.dumps(str(retire_js))});"
              f"console.log(JSON.stringify({json.dumps(PAIRS)}.map(([a,b])=>r.isAtOrAbove(a,b))))")
    theirs = json.loads(subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=30).stdout)
    ours = [compare(a, b) >= 0 for a, b in PAIRS]
    assert ours == theirs


# -- probe verifiers -------------------------------------------------------------------------------------

SOFT_404 = b"<!DOCTYPE html><html><head><title>Desa Sukamaju</title></head><body><h1>Halaman tidak ditemukan</h1>" \
           b"<p>DB_PASSWORD ref: refs/heads/main PK phpinfo() Index of /</p></body></html>"


@pytest.mark.parametrize("verify,good", [
    (probes.verify_git_head, b"ref: refs/heads/master\n"),
    (probes.verify_git_config, b"[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n"),
    (probes.verify_env, b"APP_ENV=production\nAPP_KEY=base64:abc\nDB_HOST=localhost\nDB_PASSWORD=rahasia\n"),
    (probes.verify_php_source, b"<?php\ndefine( 'DB_NAME', 'desa' );\ndefine( 'DB_PASSWORD', 'rahasia' );\n"),
    (probes.verify_sql_dump, b"-- MySQL dump 10.13  Distrib 5.7.40\n--\nCREATE TABLE `penduduk` (\n"),
    (probes.verify_zip, b"PK\x03\x04\x14\x00\x00\x00\x08\x00"),
    (probes.verify_phpinfo, b"<html><head><title>PHP 7.4.3 - phpinfo()</title></head><body><h1>PHP Version 7.4.3</h1>"),
    (probes.verify_ds_store, b"\x00\x00\x00\x01Bud1\x00\x00\x10\x00"),
    (probes.verify_wp_login, b'<form name="loginform" id="loginform"><input name="log"><input type="password" name="pwd"><input type="submit" name="wp-submit">'),
    (probes.verify_directory_listing, b'<html><head><title>Index of /wp-content/uploads</title></head><body><h1>Index of /wp-content/uploads</h1><table><tr><td><a href="/wp-content/">Parent Directory</a></td></tr><tr><td><a href="2024/">2024/</a></td></tr></table></body></html>'),
    (probes.verify_directory_listing, b'<html>\r\n<head><title>Index of /uploads/</title></head>\r\n<body>\r\n<h1>Index of /uploads/</h1><hr><pre><a href="../">../</a>\r\n<a href="ktp.pdf">ktp.pdf</a></pre><hr></body>\r\n</html>'),
])
def test_verifiers_accept_the_real_thing_and_reject_a_soft_404(verify, good):
    assert verify(good, "")
    assert verify(SOFT_404, "text/html") is None


def test_env_evidence_never_carries_values():
    ev = probes.verify_env(b"DB_PASSWORD=SuperRahasia123\nAPP_KEY=base64:xyz\n", "")
    assert ev and "SuperRahasia123" not in ev and "DB_PASSWORD" in ev


def test_not_found_shape_recognises_a_soft_404_that_echoes_the_path():
    page = b"<html><body><h1>Maaf</h1><p>Halaman %s tidak ada. Token 8f3a9c2d1e</p></body></html>"
    shape = probes.not_found_shape(200, page % b"/ppid-audit-abc123.php", "/ppid-audit-abc123.php")
    assert shape.matches(200, page % b"/.env", "/.env")
    assert not shape.matches(200, b"APP_KEY=x\nDB_HOST=y\n", "/.env")
    assert shape.matches(404, b"whatever", "/x")
