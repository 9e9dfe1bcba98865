"""`ppid-audit serve`: the web console (auditor/console) on waitress, a production WSGI server."""

from __future__ import annotations

import argparse
import logging

from auditor.commands import _common
from auditor.commands.demo import _port
from auditor.errors import InputError


def register(sub, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", parents=parents, help="konsol web (dasbor, temuan, periksa berkas, laporan)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8080, help="port (default 8080)")
    p.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import waitress

    from auditor.console import create_app

    cfg = _common.config(args)
    app = create_app(cfg, lang=_common.lang(args, cfg))
    logging.getLogger("waitress").setLevel(logging.WARNING if args.quiet else logging.INFO)
    if not args.quiet:
        print(f"ppid-audit serve: http://{args.host}:{args.port}/  (Ctrl-C)", flush=True)
    try:
        # trusted_proxy is left to ProxyFix (console.trusted_proxies), so one place decides what to trust.
        waitress.serve(app, host=args.host, port=args.port, threads=max(1, args.threads), ident="",
                       clear_untrusted_proxy_headers=False)
    except OSError as exc:
        raise InputError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    return 0
