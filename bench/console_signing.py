"""The console's reports page with signature status (issue 22): what validating the signatures costs.

Builds the console's signing world (tests/console_signing_support.py: console test store, a CA and per-role
PKCS#12 files, a real monthly report), signs the report three times in SOP order, copies it to N report
file names, then measures, REPEAT times each (median printed, with wall and CPU of this process + children):

- one PDF's full status, `reports.signing.signature_status` (pyHanko) vs poppler's `pdfsig` on the same file
  (the peer: a C validator run as a process, NSS database with the test CA), and their ratio;
- the reports page `/laporan` (Flask test client) cold (status cache cleared: every PDF validated) and warm
  (cached by path + mtime + size).

    .venv/bin/python bench/console_signing.py [--copies 12] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def cpu() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def measure(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        c0, t0 = cpu(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(cpu() - c0)
    return statistics.median(walls), statistics.median(cpus)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=12)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from auditor.console import create_app, signing
    from reports.signing import sign_report, signature_status
    from tests.console_signing_support import ORDER, PASSWORDS, make_sign_env
    from tests.console_support import login
    from tests.signing_world import nss_db

    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()), f"cores: {os.cpu_count()}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-console-signing-"))
    try:
        se = make_sign_env(tmp)
        for role in ORDER:
            sign_report(se.cfg, se.pdf, role, password=PASSWORDS[role].encode())
        for i in range(args.copies - 1):
            shutil.copyfile(se.pdf, se.pdf.with_name(f"laporan-bulanan-2020-{i + 1:02d}-desa-a.pdf"))
        db = nss_db(tmp, se.pki.ca_pem)
        pdfsig = shutil.which("pdfsig") or "/usr/bin/pdfsig"

        ours = measure(lambda: signature_status(se.pdf, [se.pki.ca_pem]), args.repeat)
        peer = measure(lambda: subprocess.run([pdfsig, "-nssdir", f"sql:{db}", str(se.pdf)], check=True,
                                              capture_output=True), args.repeat)
        print(f"one PDF, 3 signatures ({se.pdf.stat().st_size // 1024} KB), median of {args.repeat}:")
        print(f"  signature_status (pyHanko)  wall {ours[0] * 1000:7.1f} ms  cpu {ours[1] * 1000:7.1f} ms")
        print(f"  pdfsig (poppler, peer)      wall {peer[0] * 1000:7.1f} ms  cpu {peer[1] * 1000:7.1f} ms")
        print(f"  ratio ours/peer             wall {ours[0] / peer[0]:.1f}x  cpu {ours[1] / max(peer[1], 1e-6):.1f}x")

        app = create_app(se.cfg)
        client = app.test_client()
        login(client, "atasan_ppid")

        def page() -> None:
            assert client.get("/laporan").status_code == 200

        def cold() -> None:
            signing._status.cache_clear()
            page()

        c = measure(cold, args.repeat)
        w = measure(page, args.repeat)
        print(f"/laporan with {args.copies} signed PDFs, median of {args.repeat}:")
        print(f"  cold (every PDF validated)  wall {c[0] * 1000:7.1f} ms  cpu {c[1] * 1000:7.1f} ms")
        print(f"  warm (status cached)        wall {w[0] * 1000:7.1f} ms  cpu {w[1] * 1000:7.1f} ms")
        print(f"  ratio cold/warm             wall {c[0] / w[0]:.1f}x")
        app.extensions["ppid_store"].close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
