"""`ppid-audit demo`: serve the bundled sample PPID site on 127.0.0.1 and audit it, fully offline."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
from datetime import date
from pathlib import Path

from auditor.errors import InputError

DEFAULT_HTTP_PORT = 18080
DEFAULT_HTTPS_PORT = 18443


def port_arg(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range (0-65535): {port}")
    return port


def register(sub, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", parents=parents,
                       help="serve the bundled sample PPID site on 127.0.0.1 and audit it (offline)")
    p.add_argument("--out", metavar="DIR", default="out",
                   help="where config.yaml, findings and reports are written (default: out)")
    p.add_argument("--serve", action="store_true",
                   help="only serve the demo site until Ctrl-C (audit it yourself with the written config)")
    p.add_argument("--port-http", type=port_arg, default=DEFAULT_HTTP_PORT, metavar="N",
                   help=f"HTTP port (default {DEFAULT_HTTP_PORT}; 0 = any free port)")
    p.add_argument("--port-https", type=port_arg, default=DEFAULT_HTTPS_PORT, metavar="N",
                   help=f"HTTPS port (default {DEFAULT_HTTPS_PORT}; 0 = any free port)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from auditor import demo
    from auditor.catalogue import t

    out_dir = Path(args.out)
    lang = args.lang or "id"
    if not args.verbose:
        # The demo runs offline on bundled data that is older than the software check's staleness bound by
        # design; the check's operator warnings (that one included) stay in the run's notes and --verbose.
        logging.getLogger("ppid_auditor.checks").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="ppid-demo-site-") as tmp:
        site_dir = Path(tmp) / "site"
        demo.build_site(site_dir, date.today())
        server = demo.DemoServer(site_dir, args.port_http, args.port_https, cert_dir=Path(tmp) / "certs")
        try:
            server.start()
        except OSError as exc:
            raise InputError(f"cannot start the demo server on ports {args.port_http}/{args.port_https}: "
                             f"{exc.strerror or exc} (choose others with --port-http/--port-https, 0 = any)"
                             ) from None
        try:
            config_path = demo.write_demo_config(out_dir, server)
            if not args.quiet:
                print(f"{t('demo_site', lang)}: {server.https_url}  (HTTP: {server.http_url})")
                print(f"Config: {config_path}  CA: {out_dir.resolve() / 'demo-ca.crt'}")
            if args.serve:
                if not args.quiet:
                    print(t("demo_stop_hint", lang))
                sys.stdout.flush()
                try:
                    threading.Event().wait()
                except KeyboardInterrupt:
                    return 0
            code = demo.run_full_audit(config_path, out_dir, lang=args.lang, quiet=args.quiet)
            if not args.quiet:  # the password is shown once, so only when something is printed
                from auditor.demo.console import console_instructions, demo_console_user

                print(console_instructions(config_path, demo_console_user(config_path), lang == "en"))
            return code
        finally:
            server.stop()
