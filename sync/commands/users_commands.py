"""`creditbridge users add|passwd|role|disable|enable|list`: the local users of the web workspace.

The admin page /admin/users does the same through the same functions (sync/web/users.py).

Passwords are asked for twice without echo, or read from the first line of standard input with
`--password-stdin` (for scripts); they are stored only as argon2id hashes. Every change is in the
audit log with the operating-system user who made it (`cli:<name>`).

Exit codes: 0 done; 2 the configuration, the command line or the user is wrong (a taken name,
an unknown role, a short password); 3 the store failed.
"""

from __future__ import annotations

import csv
import getpass
import json
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from creditbridge.sync.commands.service_commands import EXIT_CONFIG, EXIT_STORE, ConfigOption, _config, _fail
from creditbridge.sync.web.roles import ROLES, actions_of

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from creditbridge.sync.web.users import User

_out = Console(soft_wrap=True)


class UsersFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")
]


def register(app: typer.Typer) -> None:
    users = typer.Typer(help="Local users of the web workspace (creditbridge serve) and their roles.",
                        no_args_is_help=True)  # fmt: skip
    users.command("add")(add_command)
    users.command("passwd")(passwd_command)
    users.command("role")(role_command)
    users.command("disable")(disable_command)
    users.command("enable")(enable_command)
    users.command("list")(list_command)
    app.add_typer(users, name="users")


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in this environment (a container without one)
        return "cli"


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = typer.prompt("Password", hide_input=True)
    if typer.prompt("Again", hide_input=True) != first:
        raise _fail("the two passwords differ", EXIT_CONFIG)
    return str(first)


def add_command(
    username: Annotated[str, typer.Argument(help="The user name to sign in with.")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}.")],
    password_stdin: PasswordStdin = False,
    config_file: ConfigOption = None,
) -> None:
    """Add a user with a role (viewer, collector, analyst, approver, admin)."""
    from creditbridge.sync.composition import open_store
    from creditbridge.sync.store import StoreError
    from creditbridge.sync.web.users import UserError, add_user

    config = _config(config_file)
    if role not in ROLES:
        raise _fail(f"unknown role {role!r}: one of {', '.join(ROLES)}", EXIT_CONFIG)
    password = _password(password_stdin)
    try:
        with open_store(config) as store:
            user = add_user(store.engine, username, password, role, actor=_actor())
    except UserError as exc:
        raise _fail(str(exc), EXIT_CONFIG) from None
    except StoreError as exc:
        raise _fail(str(exc), EXIT_STORE) from None
    _out.print(f"added {user.username} ({user.role}): may {', '.join(actions_of(user.role))}", highlight=False)


def passwd_command(
    username: Annotated[str, typer.Argument(help="The user whose password changes.")],
    password_stdin: PasswordStdin = False,
    config_file: ConfigOption = None,
) -> None:
    """Set a new password for a user (their open sessions end)."""
    from creditbridge.sync.composition import open_store
    from creditbridge.sync.store import StoreError
    from creditbridge.sync.web.users import UserError, set_password

    config = _config(config_file)
    password = _password(password_stdin)
    try:
        with open_store(config) as store:
            set_password(store.engine, username, password, actor=_actor())
    except UserError as exc:
        raise _fail(str(exc), EXIT_CONFIG) from None
    except StoreError as exc:
        raise _fail(str(exc), EXIT_STORE) from None
    _out.print(f"password of {username} changed; their sessions ended", highlight=False)


def role_command(
    username: Annotated[str, typer.Argument(help="The user whose role changes.")],
    role: Annotated[str, typer.Argument(help=f"The new role, one of: {', '.join(ROLES)}.")],
    config_file: ConfigOption = None,
) -> None:
    """Give a user another role (the last enabled admin keeps theirs)."""
    from creditbridge.sync.web.users import set_role

    user = _change(config_file, lambda engine: set_role(engine, username, role, actor=_actor()))
    _out.print(f"{user.username} is now {user.role}: may {', '.join(actions_of(user.role))}", highlight=False)


def disable_command(
    username: Annotated[str, typer.Argument(help="The user who may no longer sign in.")],
    config_file: ConfigOption = None,
) -> None:
    """Disable a user: they cannot sign in and their open sessions end (enable undoes it)."""
    from creditbridge.sync.web.users import set_disabled

    _change(config_file, lambda engine: set_disabled(engine, username, True, actor=_actor()))
    _out.print(f"{username} is disabled; their sessions ended", highlight=False)


def enable_command(
    username: Annotated[str, typer.Argument(help="The disabled user who may sign in again.")],
    config_file: ConfigOption = None,
) -> None:
    """Let a disabled user sign in again."""
    from creditbridge.sync.web.users import set_disabled

    _change(config_file, lambda engine: set_disabled(engine, username, False, actor=_actor()))
    _out.print(f"{username} may sign in again", highlight=False)


def _change(config_file: Path | None, change: Callable[[Engine], User]) -> User:
    """Run `change` on the store, turning a refused change into exit 2 and a store failure into exit 3."""
    from creditbridge.sync.composition import open_store
    from creditbridge.sync.store import StoreError
    from creditbridge.sync.web.users import UserError

    config = _config(config_file)
    try:
        with open_store(config) as store:
            return change(store.engine)
    except UserError as exc:
        raise _fail(str(exc), EXIT_CONFIG) from None
    except StoreError as exc:
        raise _fail(str(exc), EXIT_STORE) from None


def list_command(
    config_file: ConfigOption = None,
    output_format: Annotated[UsersFormat, typer.Option("--format", help="table, json or csv.")] = UsersFormat.table,
) -> None:
    """List the users and their roles."""
    from creditbridge.sync.composition import open_store
    from creditbridge.sync.store import StoreError
    from creditbridge.sync.web.users import list_users

    config = _config(config_file)
    try:
        with open_store(config) as store:
            users = list_users(store.engine)
    except StoreError as exc:
        raise _fail(str(exc), EXIT_STORE) from None
    if output_format is UsersFormat.json:
        sys.stdout.write(json.dumps([u.as_dict() for u in users], indent=2) + "\n")
    elif output_format is UsersFormat.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["username", "role", "created_at", "updated_at", "disabled_at", "last_sign_in_at"])
        for u in users:
            writer.writerow([value or "" for value in u.as_dict().values()])
    else:
        table = Table(title="web workspace users", title_justify="left")
        for column in ("user", "role", "added", "changed", "last sign-in", "disabled"):
            table.add_column(column)
        for u in users:
            table.add_row(u.username, u.role, u.created_at.isoformat(timespec="seconds"),
                          u.updated_at.isoformat(timespec="seconds"),
                          u.last_sign_in_at.isoformat(timespec="seconds") if u.last_sign_in_at else "never",
                          u.disabled_at.isoformat(timespec="seconds") if u.disabled_at else "")  # fmt: skip
        _out.print(table)
