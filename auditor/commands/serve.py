"""`ppid-audit serve`: the web console (auditor/console) on waitress, a production WSGI server."""

from __future__ import annotations

import argparse
import logging

from auditor.commands import _common
from auditor.commands.demo import port_arg
from auditor.errors import InputError


def register(sub, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", parents=parents, help="konsol web (dasbor, temuan, periksa berkas, laporan)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=port_arg, default=8080, help="port (default 8080)")
    p.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    p.set_defaults(func=run)


# Forwarded headers (X-Forwarded-For/Proto/Host) are left to werkzeug's ProxyFix (console.trusted_proxies)
# so one place decides what to trust; waitress must not strip them first.
WAITRESS_OPTIONS = {"ident": "", "clear_untrusted_proxy_headers": False}


def make_server(app, host: str, port: int, threads: int = 8):
    """The waitress server `serve` runs (also used by the tests, so they exercise the same set-up)."""
    import waitress.server

    return waitress.server.create_server(app, host=host, port=port, threads=max(1, threads), **WAITRESS_OPTIONS)


def run(args: argparse.Namespace) -> int:
    from auditor.console import create_app

    cfg = _common.config(args)
    app = create_app(cfg, lang=_common.lang(args, cfg))
    logging.getLogger("waitress").setLevel(logging.WARNING if args.quiet else logging.INFO)
    if not args.quiet:
        print(f"ppid-audit serve: http://{args.host}:{args.port}/  (Ctrl-C)", flush=True)
    try:
        server = make_server(app, args.host, args.port, args.threads)
    except OSError as exc:
        raise InputError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0
