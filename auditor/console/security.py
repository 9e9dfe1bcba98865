"""Response headers for every console response (MDN HTTP Observatory A+), the same over HTTP and HTTPS.

A strict CSP without 'unsafe-inline': scripts and styles come only from the console's own static files;
inline SVG charts need no exception. HSTS is sent when the request came over HTTPS (directly or through a
trusted proxy) or when `console.https` says the console is only reached that way.
"""

from __future__ import annotations

from flask import Flask, Response, request

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
# Saved reports carry their own inline <style>: they get a sandboxed policy allowing exactly that style
# (by hash) and nothing else, no scripts at all.
REPORT_CSP = "default-src 'none'; img-src data:; style-src {hashes}; frame-ancestors 'none'; base-uri 'none'; sandbox"
HSTS = "max-age=63072000; includeSubDomains"

HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin, not no-referrer: Flask-WTF checks over HTTPS that a form was posted from this host
    # (WTF_CSRF_SSL_STRICT), which needs the browser to send the Referer to its own origin.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def install(app: Flask, *, https: bool) -> None:
    @app.after_request
    def _headers(resp: Response) -> Response:
        resp.headers.setdefault("Content-Security-Policy", CSP)
        for name, value in HEADERS.items():
            resp.headers[name] = value
        if https or request.is_secure:
            resp.headers["Strict-Transport-Security"] = HSTS
        if request.endpoint != "static" and request.endpoint != "dashboard.report_css":
            resp.headers["Cache-Control"] = "no-store"
        resp.headers.pop("Server", None)
        return resp
