"""Console users: the `users` CLI, argon2id hashes, login lockout (measured), on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
import yaml

from auditor.config import load_config
from auditor.console import create_app
from auditor.console.users import Users
from auditor.errors import InputError
from auditor.store import MIGRATIONS, Store
from tests.console_support import PASSWORD, csrf_of, login, make_env
from tests.pg import fresh_database, postgres_server


def cli(*args: str, stdin: str = "", config: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "auditor", *args, "--config", config], input=stdin,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture()
def config(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"sites": [{"name": "desa-a", "url": "https://a.example/"},
                                              {"name": "desa-b", "url": "https://b.example/"}],
                                    "storage": {"database": str(tmp_path / "s.sqlite")}}))
    return str(path)


def test_users_cli_add_list_disable_passwd(config):
    r = cli("users", "add", "sri", "--role", "operator", "--sites", "desa-a", stdin=PASSWORD + "\n", config=config)
    assert r.returncode == 0, r.stderr
    listed = cli("users", "list", config=config)
    assert "sri" in listed.stdout and "operator" in listed.stdout and "desa-a" in listed.stdout
    store = Store(load_config(config).database_path)
    try:
        row = store.db.execute("SELECT password_hash FROM console_users WHERE name='sri'").fetchone()
        assert row["password_hash"].startswith("$argon2id$") and PASSWORD not in row["password_hash"]
        assert store.schema_version == len(MIGRATIONS)
        users = Users(store)
        assert users.authenticate("sri", PASSWORD).reason == "ok"
        assert cli("users", "disable", "sri", config=config).returncode == 0
        assert users.authenticate("sri", PASSWORD).reason == "bad"
        assert cli("users", "enable", "sri", config=config).returncode == 0
        assert cli("users", "passwd", "sri", stdin="another-password-9\n", config=config).returncode == 0
        assert users.authenticate("sri", PASSWORD).reason == "bad"
        assert users.authenticate("sri", "another-password-9").reason == "ok"
    finally:
        store.close()


@pytest.mark.parametrize("args, stdin, needle", [
    (("users", "add", "x", "--role", "lurah"), PASSWORD, "invalid choice"),
    (("users", "add", "x", "--role", "operator", "--sites", "desa-z"), PASSWORD, "desa-z"),
    (("users", "add", "x", "--role", "operator"), "pendek", "at least"),
    (("users", "add", "bad name!", "--role", "operator"), PASSWORD, "user name"),
    (("users", "add", "x", "--role", "operator"), "", "standard input"),
    (("users", "passwd", "nobody"), PASSWORD, "no such user"),
])
def test_users_cli_bad_input_is_one_line_exit_2(config, args, stdin, needle):
    r = cli(*args, stdin=stdin + ("\n" if stdin else ""), config=config)
    assert r.returncode == 2, r
    assert needle in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_duplicate_user_refused(config):
    assert cli("users", "add", "sri", "--role", "operator", stdin=PASSWORD + "\n", config=config).returncode == 0
    r = cli("users", "add", "sri", "--role", "admin", stdin=PASSWORD + "\n", config=config)
    assert r.returncode == 2 and "already exists" in r.stderr


def test_login_lockout_measured(tmp_path):
    """3 wrong passwords (console.login_max_failures) lock the account for console.lockout_minutes (3 s
    here): the right password is refused while locked and accepted once the lock has run out."""
    env = make_env(tmp_path / "e", populate_days=1)
    app = create_app(env.cfg)
    client = app.test_client()
    lockout_s = env.cfg.console.lockout_minutes * 60
    statuses = []
    for _ in range(env.cfg.console.login_max_failures):
        statuses.append(login(client, "operator", "wrong-password-00").status_code)
    locked_at = time.monotonic()
    assert statuses == [401, 401, 429]
    refused = login(client, "operator")
    assert refused.status_code == 429 and b"dikunci" in refused.data
    store = env.store()
    try:
        until = Users(store).get("operator").locked_until
        measured = (until - datetime.now(UTC)).total_seconds()
        assert 0 < measured <= lockout_s + 1
    finally:
        store.close()
    # Wait for the lock to run out (deadline with slack), then the right password works again.
    while time.monotonic() - locked_at < lockout_s + 1.5:
        time.sleep(0.25)
    ok = login(client, "operator")
    assert ok.status_code == 303, ok.data[:500]
    # A wrong password for an unknown user is the same answer as for a known one (no user enumeration).
    assert login(app.test_client(), "tidak-ada", "wrong-password-00").status_code == 401
    app.extensions["ppid_store"].close()


def test_disabled_user_session_ends(tmp_path):
    env = make_env(tmp_path / "e", populate_days=1)
    app = create_app(env.cfg)
    client = app.test_client()
    login(client, "kepala_seksi")
    assert client.get("/").status_code == 200
    store = env.store()
    try:
        Users(store).set_disabled("kepala_seksi")
    finally:
        store.close()
    assert client.get("/").status_code == 303
    app.extensions["ppid_store"].close()


def test_users_on_postgresql(tmp_path):
    with postgres_server() as url:
        db = fresh_database(url, "console_users")
        store = Store(db)
        try:
            assert store.schema_version == len(MIGRATIONS)
            users = Users(store, max_failures=2, lockout_s=60)
            users.add("kasi", "kepala_seksi", PASSWORD, ("desa-a",))
            assert users.get("kasi").sites == ("desa-a",)
            assert users.authenticate("kasi", PASSWORD).reason == "ok"
            assert users.authenticate("kasi", "nope-nope-nope").reason == "bad"
            assert users.authenticate("kasi", "nope-nope-nope").reason == "locked"
            assert users.authenticate("kasi", PASSWORD).reason == "locked"
            users.set_password("kasi", "new-password-123")
            assert users.authenticate("kasi", "new-password-123").reason == "ok"
            with pytest.raises(InputError):
                users.add("kasi", "admin", PASSWORD)
        finally:
            store.close()


def test_console_login_page_works_after_login_with_csrf(tmp_path):
    env = make_env(tmp_path / "e", populate_days=1)
    client = create_app(env.cfg).test_client()
    page = client.get("/login")
    assert page.status_code == 200 and csrf_of(page.data)
    assert login(client, "admin").status_code == 303


def test_demo_user_password_is_random_and_replaced_each_time(config):
    from pathlib import Path

    from auditor.demo.console import console_instructions, demo_console_user

    first = demo_console_user(Path(config))
    second = demo_console_user(Path(config))
    assert first != second and len(first) >= 16
    store = Store(load_config(config).database_path)
    try:
        users = Users(store)
        assert users.get("demo").role == "admin"
        assert users.authenticate("demo", first).reason == "bad"
        assert users.authenticate("demo", second).reason == "ok"
    finally:
        store.close()
    text = console_instructions(Path(config), second)
    assert "ppid-audit serve --config" in text and second in text and "demo" in text
