"""`creditbridge connect quickbooks`: the one-time OAuth consent that links a QuickBooks company.

    creditbridge connect quickbooks --connection qbo
      1. prints Intuit's authorization URL: open it, sign in, pick the company, allow access;
      2. paste the address the browser was sent to (it carries `code` and `realmId`);
      3. the code is exchanged for tokens and client id, secret, company and refresh token are
         stored encrypted in the store under the connection's `credentials = "store:NAME"`.

The client id and secret of the Intuit app come from $CREDITBRIDGE_QBO_CLIENT_ID and
$CREDITBRIDGE_QBO_CLIENT_SECRET, or are asked for (the secret without echo). Run it again to
reconnect after QuickBooks refused the stored token (`invalid_grant`).
Exit codes: 0 connected; 2 configuration or input wrong; 4 Intuit refused or could not be reached.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

_err = Console(stderr=True)
CLIENT_ID_ENV = "CREDITBRIDGE_QBO_CLIENT_ID"
CLIENT_SECRET_ENV = "CREDITBRIDGE_QBO_CLIENT_SECRET"
DEFAULT_REDIRECT = "https://developer.intuit.com/v2/OAuth2Playground/RedirectUrl"
EXIT_CONFIG = 2
EXIT_ERP = 4


def register(app: typer.Typer) -> None:
    """Add `connect quickbooks` to `app`."""
    connect = typer.Typer(help="Link an ERP company to a connection (one-time consent).", no_args_is_help=True)
    connect.command("quickbooks")(connect_quickbooks)
    app.add_typer(connect, name="connect")


def connect_quickbooks(
    connection: Annotated[str, typer.Option("--connection", help="The [[connections]] name (erp = quickbooks).")],
    config_file: Annotated[
        Path | None,
        typer.Option("--config", help="Configuration file (default: $CREDITBRIDGE_CONFIG, else ./creditbridge.toml)."),
    ] = None,
    redirect_uri: Annotated[
        str, typer.Option("--redirect-uri", help="The redirect URI registered for the Intuit app.")
    ] = DEFAULT_REDIRECT,
    redirect_url: Annotated[
        str | None, typer.Option("--redirect-url", help="The pasted redirect address (skips the prompt).")
    ] = None,
    state: Annotated[str | None, typer.Option("--state", hidden=True, help="Fixed OAuth state (tests).")] = None,
) -> None:
    """Link a QuickBooks Online company: authorize in the browser, paste the redirect URL back."""
    from pydantic import SecretStr

    from creditbridge.adapters.quickbooks.auth import AUTHORIZE_URL, authorization_url, new_state, parse_redirect
    from creditbridge.adapters.quickbooks.credentials import Credentials, endpoints
    from creditbridge.adapters.quickbooks.tokens import TokenEndpoint
    from creditbridge.core.ports import ErpError
    from creditbridge.sync.composition import open_store
    from creditbridge.sync.config import ConfigError, load_config
    from creditbridge.sync.secrets import SecretVault

    try:
        config = load_config(config_file)
        conn = config.connection(connection)
    except ConfigError as exc:
        raise _fail(str(exc), EXIT_CONFIG) from None
    reference = conn.credentials or ""
    if conn.erp != "quickbooks" or not reference.startswith("store:"):
        raise _fail(
            f'connection {connection!r} must have erp = "quickbooks" and credentials = "store:{connection}"',
            EXIT_CONFIG,
        )
    client_id = os.environ.get(CLIENT_ID_ENV) or typer.prompt("Intuit app client id")
    client_secret = os.environ.get(CLIENT_SECRET_ENV) or typer.prompt("Intuit app client secret", hide_input=True)
    oauth_state = state or new_state()
    base = conn.options.get("authorize_url") or AUTHORIZE_URL
    typer.echo("Open this address, sign in to QuickBooks, choose the company and allow access:\n")
    typer.echo(authorization_url(client_id, redirect_uri, oauth_state, base=str(base)) + "\n")
    pasted = redirect_url or typer.prompt("Paste the address your browser was sent to")
    try:
        consent = parse_redirect(pasted, oauth_state)
    except ValueError as exc:
        raise _fail(str(exc), EXIT_CONFIG) from None
    _, token_url = endpoints(str(conn.options.get("environment", "production")), conn.options.get("base_url"))
    try:
        tokens = TokenEndpoint(token_url, client_id, client_secret, connection=connection).exchange_code(
            consent.code, redirect_uri
        )
    except ErpError as exc:
        raise _fail(str(exc), EXIT_ERP) from None
    credentials = Credentials(client_id, client_secret, tokens.refresh_token, consent.realm_id)
    try:
        vault = SecretVault(open_store(config), key_file=config.secret_key_file)
        vault.put(reference[len("store:") :], SecretStr(credentials.to_json()))
    except ConfigError as exc:
        raise _fail(str(exc), EXIT_CONFIG) from None
    typer.echo(f"Connected {connection!r} to QuickBooks company {consent.realm_id}; the token is stored encrypted.")


def _fail(message: str, code: int) -> typer.Exit:
    _err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)
