"""`creditbridge tokens add|list|revoke`: API tokens for systems calling the JSON API and `POST /credit/check`.

A token is printed once, when it is added (the store keeps only its sha256); it acts with its role
as `token:NAME` in the audit log. Revoking takes effect at the next request. Once any token was
added, `POST /credit/check` needs one (see README, "JSON API").

Exit codes: 0 done; 2 the configuration, the command line or the token is wrong (a taken name,
an unknown role, no such token); 3 the store failed.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from creditbridge.sync.commands.service_commands import EXIT_CONFIG, EXIT_STORE, ConfigOption, _config, _fail
from creditbridge.sync.commands.users_commands import _actor
from creditbridge.sync.web.roles import ROLES, actions_of

_out = Console(soft_wrap=True)
_err = Console(stderr=True, soft_wrap=True)


class TokensFormat(StrEnum):
    table = "table"
    json = "json"


def register(app: typer.Typer) -> None:
    tokens = typer.Typer(help="API tokens of systems calling the JSON API (/api/v1) and POST /credit/check.",
                         no_args_is_help=True)  # fmt: skip
    tokens.command("add")(add_command)
    tokens.command("list")(list_command)
    tokens.command("revoke")(revoke_command)
    app.add_typer(tokens, name="tokens")


def add_command(
    name: Annotated[str, typer.Argument(help="A name for the system using it, e.g. erp-order-entry.")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}.")],
    config_file: ConfigOption = None,
) -> None:
    """Add a token with a role and print it (once: only its hash is kept)."""
    from creditbridge.sync.composition import open_store
    from creditbridge.sync.store import StoreError
    from creditbridge.sync.web.api_tokens import TokenError, add_token

    config = _config(config_file)
    try:
        with open_store(config) as store:
            token, secret = add_token(store.engine, name, role, actor=_actor())
    except TokenError as exc:
        raise _fail(str(exc), EXIT_CONFIG) from None
    except StoreError as exc:
        raise _fail(str(exc), EXIT_STORE) from None
    sys.stdout.write(secret + "\n")
    _err.print(f"added token {token.name} ({token.role}): may {', '.join(actions_of(token.role))}. "
               "It is shown only now: send it as 'Authorization: Bearer <token>'.", highlight=False)  # fmt: skip


def list_command(
    config_file: ConfigOption = None,
    output_format: Annotated[TokensFormat, typer.Option("--format", help="table or json.")] = TokensFormat.table,
) -> None:
    """List the tokens: name, role, who added them and when, and whether they are revoked (never the tokens)."""
    from creditbridge.sync.composition import open_store
    from creditbridge.sync.store import StoreError
    from creditbridge.sync.web.api_tokens import list_tokens

    config = _config(config_file)
    try:
        with open_store(config) as store:
            tokens = list_tokens(store.engine)
    except StoreError as exc:
        raise _fail(str(exc), EXIT_STORE) from None
    if output_format is TokensFormat.json:
        sys.stdout.write(json.dumps([t.as_dict() for t in tokens], indent=2) + "\n")
        return
    table = Table(title="API tokens", title_justify="left")
    for column in ("name", "role", "added by", "added", "revoked"):
        table.add_column(column)
    for t in tokens:
        revoked = "" if t.revoked_at is None else t.revoked_at.isoformat(timespec="seconds")
        table.add_row(t.name, t.role, t.created_by, t.created_at.isoformat(timespec="seconds"), revoked)
    _out.print(table)


def revoke_command(
    name: Annotated[str, typer.Argument(help="The token to revoke.")],
    config_file: ConfigOption = None,
) -> None:
    """Revoke a token: calls with it are refused (401) from the next request on."""
    from creditbridge.sync.composition import open_store
    from creditbridge.sync.store import StoreError
    from creditbridge.sync.web.api_tokens import TokenError, revoke_token

    config = _config(config_file)
    try:
        with open_store(config) as store:
            revoke_token(store.engine, name, actor=_actor())
    except TokenError as exc:
        raise _fail(str(exc), EXIT_CONFIG) from None
    except StoreError as exc:
        raise _fail(str(exc), EXIT_STORE) from None
    _out.print(f"revoked token {name}", highlight=False)
