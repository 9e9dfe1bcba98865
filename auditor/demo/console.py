"""The demo's console user: `ppid-audit demo` creates (or re-keys) user `demo` on the demo store with a
random password printed once, and says how to open the console on that store."""

from __future__ import annotations

import secrets
from pathlib import Path

DEMO_USER = "demo"


def demo_console_user(config_path: Path) -> str:
    """Create user `demo` (admin) on the demo store, or give it a new password; return the password."""
    from auditor.config import load_config
    from auditor.console.users import Users
    from auditor.store import Store

    cfg = load_config(str(config_path))
    store = Store(cfg.database_path)
    try:
        users = Users(store)
        password = secrets.token_urlsafe(12)
        if users.get(DEMO_USER) is None:
            users.add(DEMO_USER, "admin", password)
        else:
            users.set_password(DEMO_USER, password)
            users.set_disabled(DEMO_USER, False)
    finally:
        store.close()
    return password


def console_instructions(config_path: Path, password: str, en: bool = False) -> str:
    if en:
        return (f"Console: ppid-audit serve --config {config_path}  ->  http://127.0.0.1:8080/\n"
                f"  user: {DEMO_USER}  password: {password}  (shown this once; a new one at the next demo)")
    return (f"Konsol: ppid-audit serve --config {config_path}  ->  http://127.0.0.1:8080/\n"
            f"  pengguna: {DEMO_USER}  kata sandi: {password}  (hanya ditampilkan sekali; baru lagi pada demo berikutnya)")
