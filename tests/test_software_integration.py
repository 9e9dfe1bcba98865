"""Integration: the software check against peers.

1. The real WordPress from Debian (scripts/wordpress-setup.sh: Apache + mod_php + MariaDB on loopback):
   the exact installed version is detected and judged against the bundled data, and our CMS/server/PHP
   detections are a superset of whatweb's.
2. JavaScript libraries on a generated page set (real banner comments, no downloaded libraries): every
   vulnerable library retire reports, we report too.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from auditor.config import CrawlConfig, SiteConfig
from auditor.crawler import crawl, make_client
from checks.base import CheckContext
from checks.software import SoftwareCheck, SoftwareConfig
from checks.software.data import BUNDLED_DIR, load_data
from checks.software.judge import judge
from tests.servers import REPO, need_peer, serve

pytestmark = [pytest.mark.integration, pytest.mark.slow]
WP_VERSION_PHP = Path("/usr/share/wordpress/wp-includes/version.php")


def run_check(url: str, max_pages: int = 10):
    crawl_cfg = CrawlConfig(max_pages=max_pages, max_depth=2, timeout_s=10)
    http = make_client(crawl_cfg)
    site_cfg = SiteConfig(name="t", url=url)
    site = crawl(site_cfg, crawl_cfg, http)
    ctx = CheckContext(site=site, config=SoftwareConfig(), http=http, site_config=site_cfg,
                       log=logging.getLogger("test.software"))
    started = time.monotonic()
    res = SoftwareCheck().run(ctx)
    return res.findings, res.facts, time.monotonic() - started


# -- 1. the real WordPress ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def wordpress():
    for peer in ("apache2", "mariadbd", "mariadb-install-db", "php"):
        need_peer(peer)
    if not WP_VERSION_PHP.exists():
        need_peer("wordpress", str(WP_VERSION_PHP))
    env = {**os.environ, "EXPOSE_PHP": "1"}
    proc = subprocess.run([str(REPO / "scripts/wordpress-setup.sh"), "start"], capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    info = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    try:
        yield info
    finally:
        subprocess.run([str(REPO / "scripts/wordpress-setup.sh"), "stop", info["DIR"]], timeout=60,
                       capture_output=True)
        assert not Path(info["DIR"]).exists()


def installed_wordpress_version() -> str:
    m = re.search(r"^\$wp_version\s*=\s*'([^']+)'", WP_VERSION_PHP.read_text(), re.M)
    assert m, "cannot read $wp_version"
    return m.group(1)


def test_real_wordpress_version_detected_and_judged(wordpress):
    findings, facts, _ = run_check(wordpress["URL"])
    version = installed_wordpress_version()
    wp = next(d for d in facts.detected if d.product == "wordpress")
    assert wp.version == version and wp.version_confidence == "high" and wp.confidence == "high"
    # Judged against the bundled data: the same verdict the data gives, and a finding exactly when due.
    data = load_data(BUNDLED_DIR.parent / "no-user-data")
    expected = judge(data.products["wordpress"], version, datetime.now(UTC))
    assert wp.verdict.status == expected.status
    cms = [f for f in findings if f.rule in ("software.cms.outdated", "software.cms.eol")]
    if expected.status in ("eol", "outdated", "behind"):
        assert len(cms) == 1 and version in cms[0].title and cms[0].data["version"] == version
        assert cms[0].data["latest"] in (expected.latest, expected.newest)
    else:
        assert not cms
    assert "software.admin.exposed" in {f.rule for f in findings}  # wp-login.php, verified by its form
    assert not [f for f in findings if f.rule == "software.file.exposed"]  # a clean install exposes nothing


PLUGIN_PRODUCTS = {"WordPress": "wordpress", "Apache": "apache", "nginx": "nginx", "PHP": "php",
                   "Joomla": "joomla", "Drupal": "drupal", "OpenSID": "opensid", "LiteSpeed": "litespeed",
                   "Microsoft-IIS": "iis"}


def test_superset_of_whatweb(wordpress, tmp_path):
    whatweb = need_peer("whatweb")
    log = tmp_path / "whatweb.json"
    t0 = time.monotonic()
    subprocess.run([whatweb, "--color=never", "-a", "1", f"--log-json={log}", wordpress["URL"]],
                   capture_output=True, text=True, timeout=120)
    whatweb_s = time.monotonic() - t0
    theirs: dict[str, set[str]] = {}
    for entry in json.loads(log.read_text()):
        for plugin, body in (entry.get("plugins") or {}).items():
            if plugin in PLUGIN_PRODUCTS:
                theirs.setdefault(PLUGIN_PRODUCTS[plugin], set()).update(body.get("version") or [])
    assert "wordpress" in theirs  # otherwise the comparison means nothing
    _, facts, ours_s = run_check(wordpress["URL"])
    ours = {d.product: d.version for d in facts.detected}
    for product, versions in theirs.items():
        assert product in ours, f"whatweb found {product}, we did not"
        for v in versions:
            assert ours[product] == v or (ours[product] or "").startswith(v + "."), (product, v, ours[product])
    print(f"\nwhatweb -a 1: {sorted(theirs)} in {whatweb_s:.2f}s; ours: {sorted(ours)} in {ours_s:.2f}s (check only)")


# -- 2. JS libraries vs retire -------------------------------------------------------------------------

# Real banner comments / version strings as the libraries ship them (bodies are stand-ins).
JS_FILES = {
    "jquery-1.12.4.min.js": "/*! jQuery v1.12.4 | (c) jQuery Foundation | jquery.org/license */\n!function(a,b){}(this,function(a){});\n",
    "jquery.js": "/*!\n * jQuery JavaScript Library v3.4.1\n * https://jquery.com/\n */\n(function(global,factory){})(this,function(){});\n",
    "jquery-3.7.1.min.js": "/*! jQuery v3.7.1 | (c) OpenJS Foundation and other contributors | jquery.org/license */\n!function(e,t){}(this,function(){});\n",
    "jquery-migrate.min.js": "/*! jQuery Migrate v1.4.1 | (c) jQuery Foundation and other contributors | jquery.org/license */\n\"undefined\"==typeof jQuery.migrateMute;\n",
    "jquery-ui.min.js": "/*! jQuery UI - v1.12.1 - 2016-09-14\n* http://jqueryui.com\n* Copyright jQuery Foundation and other contributors; Licensed MIT */\n(function(t){})(jQuery);\n",
    "bootstrap.min.js": "/*!\n * Bootstrap v3.3.7 (http://getbootstrap.com)\n * Copyright 2011-2016 Twitter, Inc.\n * Licensed under the MIT license\n */\nif(\"undefined\"==typeof jQuery)throw new Error(\"Bootstrap's JavaScript requires jQuery\");\n",
    "moment.min.js": "//! moment.js\n//! version : 2.18.1\n//! authors : Tim Wood, Iskren Chernev, Moment.js contributors\n//! license : MIT\n!function(a,b){}(this,function(){});\n",
    "lodash.js": "/**\n * @license\n * Lodash <https://lodash.com/>\n * Copyright OpenJS Foundation and other contributors <https://openjsf.org/>\n * Released under MIT license <https://lodash.com/license>\n */\n;(function() {\n\n  /** Used as a safe reference for `undefined` in pre-ES5 environments. */\n  var undefined;\n\n  /** Used as the semantic version number. */\n  var VERSION = '4.17.15';\n}.call(this));\n",
    "angular.min.js": "/*\n AngularJS v1.5.8\n (c) 2010-2016 Google, Inc. http://angularjs.org\n License: MIT\n*/\n(function(C){'use strict';})(window);\n",
    "vue.js": "/*!\n * Vue.js v2.5.16\n * (c) 2014-2018 Evan You\n * Released under the MIT License.\n */\n(function (global, factory) {}(this, (function () { 'use strict'; })));\n",
    "underscore-min.js": "//     Underscore.js 1.8.3\n//     http://underscorejs.org\n(function(){var n=this;}).call(this);\n",
    "tinymce.min.js": "/**\n * TinyMCE version 4.7.0 (2017-10-03)\n */\n!function(){\"use strict\";}();\n",
    "ckeditor.js": "(function(){if(window.CKEDITOR&&window.CKEDITOR.dom)return;window.CKEDITOR||(window.CKEDITOR=function(){var a=/(^|.*[\\\\\\/])ckeditor\\.js(?:\\?.*|;.*)?$/i,d={timestamp:\"F0RD\",version:\"4.5.0\",revision:\"a1b2c3\"};return d}())})();\n",
    "handlebars.min.js": "/*!\n\n handlebars v4.0.5\n\nCopyright (C) 2011-2015 by Yehuda Katz\n*/\n!function(a,b){}(this,function(){});\n",
    "purify.min.js": "/*! @license DOMPurify 2.0.7 | (c) Cure53 and other contributors | Released under the Apache license 2.0 and Mozilla Public License 2.0 | github.com/cure53/DOMPurify/blob/2.0.7/LICENSE */\n!function(e,t){}(this,function(){});\n",
}


def test_js_libraries_superset_of_retire(tmp_path):
    retire = need_peer("retire")
    jsrepo = BUNDLED_DIR / "jsrepo.json"
    site = tmp_path / "site"
    (site / "js").mkdir(parents=True)
    for name, body in JS_FILES.items():
        (site / "js" / name).write_text(body)
    names = sorted(JS_FILES)
    pages = {"/": names[:5], "/layanan.html": names[5:10], "/berita.html": names[10:]}
    routes = {}
    for path, scripts in pages.items():
        links = "".join(f'<a href="{p}">{p}</a>' for p in pages)
        tags = "".join(f'<script src="/js/{n}"></script>' for n in scripts)
        routes[path] = (200, {"Content-Type": "text/html"}, f"<html><head>{tags}</head><body>{links}</body></html>")
    for name, body in JS_FILES.items():
        routes[f"/js/{name}"] = (200, {"Content-Type": "application/javascript"}, body)
    with serve(routes) as srv:
        findings, facts, ours_s = run_check(srv.url)
    ours = {(f.data["library"], f.data["version"]) for f in findings if f.rule == "software.js.vulnerable"}
    detected = {(h.library, h.version) for h in facts.js_libraries}
    assert len(detected) >= 10

    t0 = time.monotonic()
    proc = subprocess.run([retire, "--path", str(site / "js"), "--jsrepo", str(jsrepo), "--outputformat",
                           "jsonsimple"], capture_output=True, text=True, timeout=120)
    retire_s = time.monotonic() - t0
    assert proc.returncode in (0, 13), proc.stderr[-1000:]
    theirs = {(r["component"], r["version"]) for f in json.loads(proc.stdout or "[]") for r in f.get("results", [])
              if r.get("vulnerabilities")}
    assert len(theirs) >= 10 and proc.returncode == 13
    assert theirs <= ours, f"retire found, we did not: {sorted(theirs - ours)}"
    for f in findings:
        if f.rule == "software.js.vulnerable" and (f.data["library"], f.data["version"]) in theirs:
            assert f.references and f.key == f.data["library"]
    print(f"\nretire: {len(theirs)} vulnerable in {retire_s:.2f}s; ours: {len(ours)} vulnerable "
          f"({len(detected)} detected) in {ours_s:.2f}s (check incl. fetching {len(JS_FILES)} scripts)")
