"""`creditbridge users add|passwd|role|disable|enable|list` as an administrator runs them, in a real process."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import sqlalchemy as sa

from creditbridge.sync.store import Store
from creditbridge.sync.store.writeback_tables import audit_log
from creditbridge.sync.web.users import authenticate

from .test_serve import CLI, environment


def users(folder: Path, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [CLI, "users", *args, "--config", str(folder / "creditbridge.toml")]
    return subprocess.run(command, input=password, capture_output=True, text=True, cwd=folder, env=environment(),
                          timeout=60)  # fmt: skip


def test_an_admin_adds_users_changes_a_password_and_lists_them(tmp_path: Path) -> None:
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    (tmp_path / "creditbridge.toml").write_text(f'store_url = "{store_url}"\n', encoding="utf-8")

    added = users(tmp_path, "add", "ada", "--role", "admin", "--password-stdin", password="first-password\n")
    assert added.returncode == 0, added.stderr
    assert "added ada (admin)" in added.stdout
    assert users(tmp_path, "add", "bob", "--role", "approver", "--password-stdin",
                 password="bobs-password\n").returncode == 0  # fmt: skip

    changed = users(tmp_path, "passwd", "ada", "--password-stdin", password="second-password\n")
    assert changed.returncode == 0, changed.stderr

    listed = users(tmp_path, "list", "--format", "json")
    assert [(u["username"], u["role"]) for u in json.loads(listed.stdout)] == [("ada", "admin"), ("bob", "approver")]
    header = users(tmp_path, "list", "--format", "csv").stdout.splitlines()[0]
    assert header == "username,role,created_at,updated_at,disabled_at,last_sign_in_at"

    with Store.open(store_url) as store:
        assert authenticate(store.engine, "ada", "second-password") is not None
        assert authenticate(store.engine, "ada", "first-password") is None
        with store.engine.connect() as conn:
            actions = [r.action for r in conn.execute(sa.select(audit_log.c.action).order_by(audit_log.c.seq))]
    assert actions == ["user_added", "user_added", "password_changed"]


def test_a_wrong_role_a_taken_name_or_a_short_password_exit_2_and_add_nobody(tmp_path: Path) -> None:
    (tmp_path / "creditbridge.toml").write_text(f'store_url = "sqlite:///{tmp_path / "s.db"}"\n', encoding="utf-8")
    assert users(tmp_path, "add", "ada", "--role", "admin", "--password-stdin", password="long-password\n").returncode == 0

    wrong_role = users(tmp_path, "add", "eve", "--role", "root", "--password-stdin", password="long-password\n")
    taken = users(tmp_path, "add", "ADA", "--role", "viewer", "--password-stdin", password="long-password\n")
    short = users(tmp_path, "add", "cy", "--role", "viewer", "--password-stdin", password="short\n")
    assert (wrong_role.returncode, taken.returncode, short.returncode) == (2, 2, 2)
    assert "unknown role 'root'" in wrong_role.stderr
    assert "already a user 'ada'" in taken.stderr
    assert "at least 10 characters" in short.stderr
    assert "Traceback" not in wrong_role.stderr + taken.stderr + short.stderr
    assert [u["username"] for u in json.loads(users(tmp_path, "list", "--format", "json").stdout)] == ["ada"]


def test_an_admin_changes_a_role_and_disables_and_enables_a_user(tmp_path: Path) -> None:
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    (tmp_path / "creditbridge.toml").write_text(f'store_url = "{store_url}"\n', encoding="utf-8")
    for name, role in (("ada", "admin"), ("bob", "viewer")):
        assert users(tmp_path, "add", name, "--role", role, "--password-stdin", password=f"{name}-password-1\n"
                     ).returncode == 0  # fmt: skip

    promoted = users(tmp_path, "role", "bob", "approver")
    assert promoted.returncode == 0, promoted.stderr
    assert "bob is now approver" in promoted.stdout
    assert users(tmp_path, "disable", "bob").returncode == 0
    with Store.open(store_url) as store:
        assert authenticate(store.engine, "bob", "bob-password-1") is None
    listed = json.loads(users(tmp_path, "list", "--format", "json").stdout)
    assert [(u["username"], u["role"], u["disabled_at"] is not None) for u in listed] == [
        ("ada", "admin", False), ("bob", "approver", True)]  # fmt: skip
    assert users(tmp_path, "enable", "bob").returncode == 0

    last_admin = users(tmp_path, "role", "ada", "viewer")
    unknown = users(tmp_path, "disable", "nobody")
    assert (last_admin.returncode, unknown.returncode) == (2, 2)
    assert "last enabled admin" in last_admin.stderr and "no user 'nobody'" in unknown.stderr
    with Store.open(store_url) as store:
        assert authenticate(store.engine, "bob", "bob-password-1") is not None
        with store.engine.connect() as conn:
            actions = [r.action for r in conn.execute(sa.select(audit_log.c.action).order_by(audit_log.c.seq))]
    assert actions == ["user_added", "user_added", "role_changed", "user_disabled", "user_enabled"]
