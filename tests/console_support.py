"""Test helpers for the web console: a config + store with runs, hostile findings and users for every role,
and the console served by waitress on loopback (the production server, in a thread)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from auditor.config import load_config
from auditor.console.permissions import ROLES
from auditor.console.users import Users
from auditor.store import Store
from checks.base import Finding, Severity
from tests.servers import free_port, wait_port

PASSWORD = "kata-sandi-uji-123"
SITES = ("desa-a", "desa-b")
HOSTILE_TITLE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
HOSTILE_URL = "javascript:window.__pwned=3"
LONG = "A" * 20000


def finding(rule: str, sev: Severity, title: str, url: str, evidence: str = "", check: str = "headers") -> Finding:
    return Finding(check=check, rule=rule, severity=sev, title=title, url=url, evidence=evidence,
                   remediation=f"Perbaiki {rule}", remediation_en=f"Fix {rule}", title_en=title)


def site_findings(site: str) -> list[Finding]:
    base = f"https://{site}.example/"
    return [
        finding("headers.csp.missing", Severity.MEDIUM, f"CSP tidak ada ({site})", base),
        finding("tls.cert.expiring", Severity.HIGH, f"Sertifikat segera habis ({site})", base, check="tls"),
        finding("pii.nik.page", Severity.CRITICAL, f"NIK di halaman ({site})", base + "data",
                evidence="3403**********01", check="personal_data"),
        # Hostile content from the audited site: markup in the title, a javascript: URL, a very long evidence.
        finding("content.item.stale", Severity.LOW, HOSTILE_TITLE, HOSTILE_URL,
                evidence='"><script>window.__pwned=4</script>' + LONG, check="content"),
    ]


def populate(store: Store, site: str, *, days: int = 3, now: datetime | None = None) -> None:
    """`days` nightly complete scans of `site`, the last one today."""
    now = now or datetime.now(UTC)
    for d in range(days, 0, -1):
        started = now - timedelta(days=d - 1, hours=1)
        run = store.start_run(site, f"https://{site}.example/", started=started)
        found = site_findings(site)
        for check in {f.check for f in found}:
            store.save_check(run, check, "ok", 0.1, None, [f for f in found if f.check == check],
                             facts={"certificate": {"days_left": 20, "not_after": iso_days(now, 20)}}
                             if check == "tls" else None)
        store.finish_run(run, finished=started + timedelta(minutes=5))


def iso_days(now: datetime, days: int) -> str:
    return (now + timedelta(days=days)).isoformat(timespec="seconds")


@dataclass
class ConsoleEnv:
    root: Path
    config_path: Path
    cfg: Any
    users: dict[str, str]  # user name -> role

    def store(self) -> Store:
        return Store(self.cfg.database_path)


def make_env(root: Path, *, populate_days: int = 3, extra_users: dict[str, tuple[str, str]] | None = None
             ) -> ConsoleEnv:
    """Config with two sites, their approved lists, a populated store, and one user per role
    (named after the role) plus a user `terbatas` (operator limited to desa-a)."""
    root.mkdir(parents=True, exist_ok=True)
    daftar = root / "daftar-a.yaml"
    daftar.write_text(yaml.safe_dump({"approved_by": "Ketua Lama", "approved_on": "2026-01-05", "items": [
        {"id": "apbdes", "title": "APBDes", "category": "berkala", "cadence": "annual"},
        {"id": "profil", "title": "Profil desa", "category": "berkala", "cadence": "annual"}]}))
    config = {
        "sites": [{"name": "desa-a", "url": "https://desa-a.example/", "approved_content": str(daftar)},
                  {"name": "desa-b", "url": "https://desa-b.example/"}],
        "storage": {"database": str(root / "store.sqlite")},
        "reports": {"output_dir": str(root / "out")},
        "console": {"login_max_failures": 3, "lockout_minutes": 0.05},
        "triage": {"owners": ["Budi", "Penyedia hosting"]},
    }
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    cfg = load_config(str(path))
    store = Store(cfg.database_path)
    try:
        for site in SITES:
            populate(store, site, days=populate_days)
        users = Users(store)
        names = {role: role for role in ROLES}
        for name, role in names.items():
            users.add(name, role, PASSWORD)
        users.add("terbatas", "operator", PASSWORD, ("desa-a",))
        names["terbatas"] = "operator"
        for name, (role, sites) in (extra_users or {}).items():
            users.add(name, role, PASSWORD, tuple(s for s in sites.split(",") if s))
            names[name] = role
    finally:
        store.close()
    return ConsoleEnv(root, path, cfg, names)


@contextmanager
def serve(env: ConsoleEnv, *, host: str = "127.0.0.1") -> Iterator[str]:
    """The console on waitress (threads) on a free loopback port; yields its base URL."""
    from auditor.commands.serve import make_server
    from auditor.console import create_app

    app = create_app(load_config(str(env.config_path)))
    port = free_port()
    server = make_server(app, host, port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_port(port)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.close()
        app.extensions["ppid_store"].close()


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str | bytes) -> str:
    text = html.decode() if isinstance(html, bytes) else html
    m = CSRF_RE.search(text)
    assert m, "no CSRF token in the page"
    return m.group(1)


def login(client: Any, name: str, password: str = PASSWORD) -> Any:
    """Log a Flask test client in through the real login form."""
    token = csrf_of(client.get("/login").data)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token, "next": "/"})
