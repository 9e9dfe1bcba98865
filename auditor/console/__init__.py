"""The web console (`ppid-audit serve`): server-rendered pages over the same store, Bahasa Indonesia first.

Flask + Flask-WTF (CSRF) behind waitress; see docs/console.md for why. `create_app(cfg)` builds the app;
routes live in small blueprint modules, each route behind `auth.guard` (permission table in
`permissions.py`). Pages work without JavaScript; `static/console.js` only refreshes run progress.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, g, render_template
from flask_wtf.csrf import CSRFError, CSRFProtect
from markupsafe import Markup

from auditor import __version__
from auditor.catalogue import t as catalogue_t
from auditor.console import security
from auditor.console.permissions import allowed
from auditor.store import Store

HERE = Path(__file__).parent
log = logging.getLogger("ppid_auditor.console")


class StorePool:
    """One store connection per server thread (SQLite connections are not shared between threads)."""

    def __init__(self, url: str):
        self.url = url
        self._local = threading.local()
        self._all: list[Store] = []
        self._lock = threading.Lock()

    def __call__(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = Store(self.url)
            self._local.store = store
            with self._lock:
                self._all.append(store)
        return store

    def close(self) -> None:
        with self._lock:
            for s in self._all:
                s.close()
            self._all.clear()


def create_app(cfg: Any, *, lang: str = "id") -> Flask:
    from auditor.console import auth, checkfile, content, dashboard, decisions, findings, reports, runs

    app = Flask(__name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"))
    pool = StorePool(cfg.database_path)
    c = cfg.console
    app.config.update(
        PPID_CFG=cfg, PPID_LANG=lang if lang in ("id", "en") else "id",
        # A key of its own, derived from the store's secret: it never doubles as the PII hashing key.
        SECRET_KEY=hmac.new(pool().secret_key, b"ppid-auditor console session", hashlib.sha256).hexdigest(),
        SESSION_COOKIE_NAME="ppid_session", SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=c.https, PERMANENT_SESSION_LIFETIME=timedelta(minutes=c.session_minutes),
        WTF_CSRF_TIME_LIMIT=c.session_minutes * 60, WTF_CSRF_SSL_STRICT=True,
        # Multipart bodies beyond the cap are refused by Werkzeug before any file is written.
        MAX_CONTENT_LENGTH=int(c.max_upload_mb * 1024 * 1024) + 64 * 1024,
        MAX_FORM_MEMORY_SIZE=512 * 1024,
    )
    app.extensions["ppid_store"] = pool
    if c.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=c.trusted_proxies, x_proto=c.trusted_proxies,
                                x_host=c.trusted_proxies)  # type: ignore[method-assign]
    # Login check first, then CSRF (CSRFProtect's own before_request), then the view's permission.
    app.before_request(auth.load_user)
    CSRFProtect(app)
    security.install(app, https=c.https)
    for module in (auth, dashboard, findings, decisions, checkfile, content, reports, runs):
        app.register_blueprint(module.bp)
    _check_guards(app)
    _template_helpers(app)

    @app.errorhandler(CSRFError)
    def _csrf(e: CSRFError) -> Any:
        return _error(403, "err_csrf")

    for code in (401, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, lambda e, code=code: _error(code, f"err_{code}"))
    return app


def _error(code: int, key: str) -> Any:
    return render_template("error.html.j2", code=code, key=key), code


def _check_guards(app: Flask) -> None:
    """Every route must carry a permission (auth.guard); a forgotten one stops the console from starting."""
    missing = [rule.rule for rule in app.url_map.iter_rules()
               if rule.endpoint != "static" and not hasattr(app.view_functions[rule.endpoint], "permission")]
    if missing:
        raise RuntimeError(f"console routes without auth.guard: {', '.join(missing)}")


def _template_helpers(app: Flask) -> None:
    app.jinja_env.autoescape = True  # every template, whatever its extension: site data is hostile
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    def t(key: str, **kw: Any) -> str:
        return catalogue_t(key, g.get("lang", "id"), **kw)

    def can(permission: str) -> bool:
        user = g.get("user")
        return bool(user) and allowed(user.role, permission)

    def sev_label(label: str) -> str:
        return catalogue_t("sev_" + label, g.get("lang", "id"))

    @app.context_processor
    def _ctx() -> dict[str, Any]:
        return {"t": t, "can": can, "user": g.get("user"), "lang": g.get("lang", "id"), "version": __version__,
                "sev_label": sev_label, "Markup": Markup}
