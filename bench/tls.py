"""Time the tls check and testssl.sh on the same loopback TLS server and print the ratio.

    .venv/bin/python bench/tls.py [--runs N] [--config modern|legacy]

The server is a Python ssl server on 127.0.0.1 with a certificate from a test CA (both tools get the CA).
testssl.sh runs with `-p -s -f -S` (protocols, standard cipher lists, forward secrecy, server defaults /
certificate), the subset that matches what our check covers. Goal: ours <= 0.2x testssl's wall time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PPID_LOOPBACK_ONLY", "1")

from tests.test_tls_helpers import make_cert_set, run_check, tls_server  # noqa: E402

CONFIGS = {
    "modern": {},
    "legacy": {"ciphers": "ALL:NULL:aNULL", "min_version": ssl.TLSVersion.TLSv1},
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="runs of our check (median is reported)")
    ap.add_argument("--config", choices=sorted(CONFIGS), default="legacy")
    ap.add_argument("--testssl", default=shutil.which("testssl") or "/usr/bin/testssl")
    args = ap.parse_args()
    if not Path(args.testssl).exists():
        print("testssl.sh not found (run scripts/install-system-deps.sh)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="ppid-bench-tls-") as tmp:
        certs = make_cert_set(Path(tmp) / "certs")
        with tls_server(*certs.pairs["good"], **CONFIGS[args.config]) as port:
            url = f"https://127.0.0.1:{port}/"
            ours = []
            for _ in range(args.runs):
                t0 = time.monotonic()
                res = run_check(url, ca_file=certs.ca_file, check_redirect=False)
                ours.append(time.monotonic() - t0)
            out = Path(tmp) / "testssl.json"
            t0 = time.monotonic()
            subprocess.run([args.testssl, "--jsonfile-pretty", str(out), "--quiet", "--warnings", "off",
                            "--color", "0", "--add-ca", str(certs.ca_file), "-p", "-s", "-f", "-S",
                            f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=600, check=False)
            theirs = time.monotonic() - t0
    median = statistics.median(ours)
    print(f"server config: {args.config}; findings from our check: {sorted({f.rule for f in res.findings})}")
    print(f"ppid-auditor tls check: median {median:.2f} s over {args.runs} runs "
          f"(min {min(ours):.2f}, max {max(ours):.2f})")
    print(f"testssl.sh -p -s -f -S: {theirs:.2f} s")
    ratio = median / theirs if theirs else float("inf")
    print(f"ratio ours/testssl: {ratio:.3f} (goal <= 0.2: {'met' if ratio <= 0.2 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
