"""Login, logout, language switch, and the one decorator every console route goes through.

`guard(permission, site_arg=...)` marks a view with the permission it needs (auditor/console/permissions.py)
and, for a site-scoped route, answers 404 when the site is unknown or outside the user's sites. The app
factory refuses to start when a route has no guard, and the access-control tests walk the URL map by these
marks, so a new route cannot be forgotten.

Sessions are Flask's signed cookies (HttpOnly, SameSite=Strict, Secure behind HTTPS) carrying the user
name, the user's `session_gen` and the login time: logout, a password change or disabling the account
bumps `session_gen` in the store, so every cookie issued before is refused; a login older than
`console.session_minutes` is refused too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for

from auditor.console.permissions import allowed
from auditor.console.users import Users

bp = Blueprint("auth", __name__)

PUBLIC = "public"  # no login needed (login page, language switch, static files)


def guard(permission: str, *, site_arg: str | None = None) -> Callable:
    def deco(fn: Callable) -> Callable:
        @wraps(fn)
        def wrapper(*args: Any, **kw: Any) -> Any:
            if permission != PUBLIC:
                user = g.get("user")
                if user is None:  # before_request redirects first; this is a second lock on the door
                    abort(401)
                if not allowed(user.role, permission):
                    abort(403)
                if site_arg is not None:
                    require_site(kw.get(site_arg))
            return fn(*args, **kw)

        wrapper.permission = permission  # type: ignore[attr-defined]
        wrapper.site_arg = site_arg  # type: ignore[attr-defined]
        return wrapper

    return deco


def site_names() -> list[str]:
    return [s.name for s in current_app.config["PPID_CFG"].sites]


def visible_sites() -> list[str]:
    user = g.user
    return [s for s in site_names() if user.may_see(s)]


def require_site(site: str | None) -> str:
    """The site name if it exists and the user may see it; 404 otherwise (no hint that it exists)."""
    if not site or site not in site_names() or not g.user.may_see(site):
        abort(404)
    return site


def users() -> Users:
    c = current_app.config["PPID_CFG"].console
    return Users(current_app.extensions["ppid_store"](), max_failures=c.login_max_failures,
                 lockout_s=c.lockout_minutes * 60)


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("dashboard.overview")
    parts = urlsplit(target)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def load_user() -> Any:
    """before_request: the logged-in user in `g.user`, or a redirect to the login page."""
    g.user = None
    g.lang = session.get("lang") or current_app.config["PPID_LANG"]
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or request.endpoint == "static" or getattr(view, "permission", None) == PUBLIC:
        return None
    name = session.get("user")
    if name:
        user = users().get(name)
        lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
        if (user is not None and not user.disabled and session.get("gen") == user.session_gen
                and time.time() - float(session.get("iat", 0)) < lifetime):
            g.user = user
            return None
        session.pop("user", None)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")), code=303)


@bp.route("/login", methods=["GET", "POST"])
@guard(PUBLIC)
def login() -> Any:
    error, status = None, 200
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        result = users().authenticate(name, request.form.get("password", ""))
        if result.reason == "ok" and result.user:
            lang = session.get("lang")
            session.clear()
            session.permanent = True
            session.update(user=result.user.name, gen=result.user.session_gen, iat=time.time())
            if lang:
                session["lang"] = lang
            current_app.logger.info("login ok: %s", result.user.name)
            return redirect(_safe_next(request.form.get("next")), code=303)
        current_app.logger.warning("login refused (%s): %r from %s", result.reason, name[:64], request.remote_addr)
        if result.reason == "locked":
            until = result.locked_until.astimezone().strftime("%H:%M") if result.locked_until else "-"
            error, status = ("login_locked", {"until": until}), 429
        else:
            error, status = ("login_bad", {}), 401
    return render_template("login.html.j2", error=error, next=request.values.get("next", "")), status


@bp.route("/logout", methods=["POST"])
@guard("view")
def logout() -> Any:
    users().end_sessions(g.user.name)
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login"), code=303)


@bp.route("/lang", methods=["POST"])
@guard(PUBLIC)
def set_lang() -> Any:
    lang = request.form.get("lang")
    if lang in ("id", "en"):
        session["lang"] = lang
    return redirect(_safe_next(request.form.get("next")), code=303)
