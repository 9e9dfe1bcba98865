"""`ppid-audit serve`: the production server (waitress) answers with the security headers over plain HTTP
on loopback; a port already in use is one line, exit 2."""

from __future__ import annotations

import socket
import subprocess
import sys

import requests

from tests.console_support import make_env
from tests.servers import free_port, stop_process, wait_port


def test_serve_runs_waitress_with_headers(tmp_path):
    env = make_env(tmp_path / "e", populate_days=1)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "auditor", "serve", "--config", str(env.config_path),
                             "--port", str(port), "--lang", "en"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        wait_port(port, 30, proc=proc)
        r = requests.get(f"http://127.0.0.1:{port}/", allow_redirects=True, timeout=10)
        assert r.url.endswith("/login?next=/") and r.status_code == 200
        assert '<html lang="en">' in r.text and "Log in" in r.text
        assert "unsafe-inline" not in r.headers["Content-Security-Policy"]
        assert r.headers["X-Frame-Options"] == "DENY" and "Server" not in r.headers
        assert "waitress" not in r.headers.get("Server", "").lower()
    finally:
        stop_process(proc)


def test_serve_port_in_use_is_exit_2(tmp_path):
    env = make_env(tmp_path / "e", populate_days=1)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "auditor", "serve", "--config", str(env.config_path),
                            "--port", str(port), "--quiet"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and f"127.0.0.1:{port}" in r.stderr and "Traceback" not in r.stderr
