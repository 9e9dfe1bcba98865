"""Access control of the web console, driven by the app's own URL map: a new route cannot be forgotten.

Every route: no session -> redirect to the login page (public routes excepted). Every mutating route:
missing or wrong CSRF token -> 403. Every role lacking a route's permission -> 403. A user limited to
desa-a gets 404 for desa-b on every site-scoped route. Session cookies: HttpOnly, SameSite=Strict, Secure
behind HTTPS; logout and expiry end the session; the security headers are on every response.
"""

from __future__ import annotations

import time

import pytest

from auditor.console import create_app
from auditor.console.auth import PUBLIC
from auditor.console.permissions import PERMISSIONS, ROLES, allowed
from tests.console_support import csrf_of, login, make_env

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
LIMITED = {f"lim-{role}": (role, "desa-a") for role in ROLES}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return make_env(tmp_path_factory.mktemp("console-access"), populate_days=2, extra_users=LIMITED)


@pytest.fixture(scope="module")
def app(env):
    app = create_app(env.cfg)
    yield app
    app.extensions["ppid_store"].close()


@pytest.fixture(scope="module")
def fingerprint(env):
    store = env.store()
    try:
        return store.issues(site="desa-a")[0].fingerprint
    finally:
        store.close()


def routes(app):
    """(rule, methods, view) for every route but Flask's static files."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        yield rule, sorted(rule.methods - {"HEAD", "OPTIONS"}), app.view_functions[rule.endpoint]


def url_for_rule(rule, values: dict[str, str]) -> str:
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.rule}: no test value for {missing}: add one to the access-control test"
    return rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]


def values(fingerprint: str, site: str = "desa-a") -> dict[str, str]:
    return {"site": site, "fingerprint": fingerprint, "name": "laporan-bulanan-2026-01-desa-a.pdf"}


def form_for(rule, site: str = "desa-a") -> dict[str, str]:
    # Site-scoped forms carry the site in the body (reports.make, runs.start).
    return {"site": site, "kind": "monthly", "period": "2026-01"}


def test_every_route_is_guarded_and_the_table_is_consistent(app):
    for rule, _methods, view in routes(app):
        assert view.permission == PUBLIC or view.permission in PERMISSIONS, rule.rule
    assert {"view", "triage", "check_file", "content_import", "report_make", "scan_start"} <= set(PERMISSIONS)
    assert all(set(roles) <= set(ROLES) for roles in PERMISSIONS.values())


def test_no_session_redirects_to_login(app, fingerprint):
    client = app.test_client()
    checked = 0
    for rule, methods, view in routes(app):
        url = url_for_rule(rule, values(fingerprint))
        for method in methods:
            resp = client.open(url, method=method, data={})
            if view.permission == PUBLIC:
                assert resp.status_code in (200, 303, 400, 403), (method, url, resp.status_code)
                continue
            assert resp.status_code == 303, (method, url, resp.status_code)
            assert resp.headers["Location"].startswith("/login?next="), (method, url)
            checked += 1
    assert checked >= 12


def test_mutating_routes_refuse_missing_and_wrong_csrf(app, fingerprint):
    client = app.test_client()
    assert login(client, "admin").status_code == 303
    checked = 0
    for rule, methods, _view in routes(app):
        url = url_for_rule(rule, values(fingerprint))
        for method in set(methods) & MUTATING:
            missing = client.open(url, method=method, data=form_for(rule))
            assert missing.status_code == 403, (url, missing.status_code)
            assert b"CSRF" in missing.data
            wrong = client.open(url, method=method, data={**form_for(rule), "csrf_token": "IjAwMDAi.ZZZ.abc"})
            assert wrong.status_code == 403, (url, wrong.status_code)
            checked += 1
    assert checked >= 6  # login, logout, lang, check files, content import/save, report, scan


def test_roles_without_the_permission_get_403(app, fingerprint):
    checked = 0
    for role in ROLES:
        client = app.test_client()
        assert login(client, role).status_code == 303
        token = csrf_of(client.get("/").data)
        for rule, methods, view in routes(app):
            if view.permission == PUBLIC or allowed(role, view.permission):
                continue
            url = url_for_rule(rule, values(fingerprint))
            for method in methods:
                resp = client.open(url, method=method, data={**form_for(rule), "csrf_token": token})
                assert resp.status_code == 403, (role, method, url, resp.status_code)
                checked += 1
    assert checked >= 10


def test_site_limited_user_gets_404_for_another_site(app, env, fingerprint):
    store = env.store()
    try:
        other_fp = store.issues(site="desa-b")[0].fingerprint
    finally:
        store.close()
    checked = 0
    for rule, methods, view in routes(app):
        scoped = view.site_arg is not None or rule.endpoint in ("reports.make", "runs.start", "findings.index")
        if view.permission == PUBLIC or not scoped:
            continue
        role = next(r for r in ROLES if allowed(r, view.permission) and r != "admin")
        client = app.test_client()
        assert login(client, f"lim-{role}").status_code == 303
        token = csrf_of(client.get("/").data)
        url = url_for_rule(rule, {**values(other_fp, "desa-b")})
        for method in methods:
            query = "?site=desa-b" if rule.endpoint == "findings.index" else ""
            resp = client.open(url + query, method=method, data={**form_for(rule, "desa-b"), "csrf_token": token})
            assert resp.status_code == 404, (role, method, url, resp.status_code)
            checked += 1
        # ...while the same GET route works for desa-a (not a blanket 404; report files are checked below)
        if "GET" in methods and rule.endpoint != "reports.file":
            own = client.get(url_for_rule(rule, values(fingerprint, "desa-a")))
            assert own.status_code == 200, (role, rule.rule, own.status_code)
    assert checked >= 5
    # The overview and findings list of the limited user never mention desa-b.
    client = app.test_client()
    login(client, "lim-operator")
    for page in ("/", "/findings?state=all", "/pemindaian", "/laporan"):
        assert b"desa-b" not in client.get(page).data, page


def test_security_headers_on_every_response(app):
    client = app.test_client()
    for path in ("/login", "/", "/static/console.css", "/report.css", "/nope"):
        resp = client.get(path)
        csp = resp.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "same-origin"
        assert resp.headers["Cross-Origin-Resource-Policy"] == "same-origin"
        assert resp.headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in resp.headers  # plain HTTP, console.https false
    https = client.get("/login", base_url="https://localhost")
    assert https.headers["Strict-Transport-Security"].startswith("max-age=63072000")


def test_session_cookie_flags_and_secure_behind_https(env):
    client = create_app(env.cfg).test_client()
    cookie = client.get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    cfg = env.cfg.model_copy(update={"console": env.cfg.console.model_copy(update={"https": True})})
    app = create_app(cfg)
    resp = app.test_client().get("/login", base_url="https://localhost")
    assert "Secure" in resp.headers["Set-Cookie"] and "HttpOnly" in resp.headers["Set-Cookie"]
    assert resp.headers["Strict-Transport-Security"]


def test_logout_ends_every_copy_of_the_session(app):
    client = app.test_client()
    login(client, "ketua_ppid")
    stolen = client.get_cookie("ppid_session").value
    token = csrf_of(client.get("/").data)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    thief = app.test_client()
    thief.set_cookie("ppid_session", stolen)
    assert thief.get("/").status_code == 303  # the old cookie no longer logs anyone in
    login(client, "ketua_ppid")
    assert client.get("/").status_code == 200


def test_session_expires(app):
    client = app.test_client()
    login(client, "atasan_ppid")
    assert client.get("/").status_code == 200
    with client.session_transaction() as sess:
        sess["iat"] = time.time() - app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() - 1
    resp = client.get("/")
    assert resp.status_code == 303 and resp.headers["Location"].startswith("/login")


def test_open_redirect_after_login_refused(app):
    client = app.test_client()
    token = csrf_of(client.get("/login").data)
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        resp = client.post("/login", data={"name": "admin", "password": "kata-sandi-uji-123", "csrf_token": token,
                                           "next": target})
        assert resp.status_code == 303 and resp.headers["Location"] == "/", target
        token = csrf_of(client.get("/login").data)


def test_report_path_traversal_refused(app, env):
    out = env.cfg.resolve(env.cfg.reports.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "laporan-bulanan-2026-01-desa-a.html").write_text("<html><style>p{}</style><p>ok</p></html>")
    client = app.test_client()
    login(client, "admin")
    assert client.get("/laporan/berkas/laporan-bulanan-2026-01-desa-a.html").status_code == 200
    for bad in ("..%2Fconfig.yaml", "..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "config.yaml",
                "laporan-bulanan-2026-01-desa-a.html%2F..%2F..%2Fconfig.yaml", ".laporan-bulanan-2026-01-x.pdf",
                "laporan-bulanan-2026-01-..%2F..%2Fx.pdf"):
        resp = client.get("/laporan/berkas/" + bad)
        assert resp.status_code == 404, bad
        assert b"sites:" not in resp.data and b"root:" not in resp.data
    html = client.get("/laporan/berkas/laporan-bulanan-2026-01-desa-a.html")
    assert "sandbox" in html.headers["Content-Security-Policy"]
    assert "'sha256-" in html.headers["Content-Security-Policy"]
