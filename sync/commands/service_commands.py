"""`creditbridge serve` and `creditbridge webhooks drain|list`: the HTTP service and its queue.

`serve` answers webhooks and drains the queue in the same process. `webhooks drain` is one pass
of that drainer for cron (or after the server was down); `webhooks list` shows the queue.

Exit codes: 0 done; 2 the configuration or the command line is wrong; 3 the store failed;
4 a queued pull failed (its requests are marked failed with the reason, see `webhooks list`).
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from creditbridge.sync.config import Config

_err = Console(stderr=True)
_out = Console(soft_wrap=True)

EXIT_CONFIG = 2
EXIT_STORE = 3
EXIT_PULL = 4

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Configuration file (default: $CREDITBRIDGE_CONFIG, else ./creditbridge.toml)."),
]


class ListFormat(StrEnum):
    table = "table"
    json = "json"


def register(app: typer.Typer) -> None:
    """Add `serve` and the `webhooks` group to `app`."""
    app.command("serve")(serve_command)
    webhooks = typer.Typer(help="The queue of pulls that ERP webhooks asked for.", no_args_is_help=True)
    webhooks.command("drain")(drain_command)
    webhooks.command("list")(list_command)
    app.add_typer(webhooks, name="webhooks")


def serve_command(
    config_file: ConfigOption = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8080,
    drain_interval: Annotated[
        float, typer.Option("--drain-interval", min=0.1, help="Seconds between passes over the webhook queue.")
    ] = 5.0,
    policy_file: Annotated[
        Path | None,
        typer.Option("--policy", help="Credit policy YAML for /credit/check (default: $CREDITBRIDGE_CREDIT_POLICY, "
                     "else the built-in)."),
    ] = None,
) -> None:
    """Run the HTTP service: /health, POST /credit/check, the QuickBooks webhook receiver (draining its queue) and the
    web workspace for credit staff (sign in at /login; add users with `creditbridge users add`)."""
    from creditbridge.sync.commands.credit_commands import load_credit_policy
    from creditbridge.sync.service.server import run_server
    from creditbridge.sync.store import StoreError

    config = _config(config_file)
    policy = load_credit_policy(policy_file)
    try:
        run_server(config, host, port, drain_interval, policy)
    except StoreError as exc:
        raise _fail(str(exc), EXIT_STORE) from None


def drain_command(
    config_file: ConfigOption = None,
    max_requests: Annotated[
        int | None, typer.Option("--max-requests", min=1, help="At most this many requests per connection.")
    ] = None,
    output_format: Annotated[ListFormat, typer.Option("--format", help="table or json.")] = ListFormat.table,
) -> None:
    """Pull what the queued webhook requests asked for, once, and exit (non-zero if a pull failed)."""
    from creditbridge.sync.composition import open_store
    from creditbridge.sync.service.worker import drain_pull_requests
    from creditbridge.sync.store import StoreError

    config = _config(config_file)
    try:
        with open_store(config) as store:
            results = drain_pull_requests(config, store, max_requests=max_requests)
    except StoreError as exc:
        raise _fail(str(exc), EXIT_STORE) from None
    failed = [r for r in results if not r.ok and not r.requeued]
    if output_format is ListFormat.json:
        sys.stdout.write(json.dumps({"ok": not failed, "drained": [r.as_dict() for r in results]}, indent=2) + "\n")
    else:
        if not results:
            _out.print("nothing queued")
        for r in results:
            state = "requeued" if r.requeued else ("ok" if r.ok else "failed")
            written = "-" if r.summary is None else f"{r.summary.rows_written:,} rows"
            ids = ", ".join(str(i) for i in r.request_ids)
            _out.print(f"{r.connection}: requests {ids}: {state}, {written} (run {r.run_id})", highlight=False)
    for r in failed:
        _err.print(f"[bold red]error:[/] {r.connection}: {r.error}", highlight=False)
    if failed:
        raise typer.Exit(EXIT_PULL)


def list_command(
    config_file: ConfigOption = None,
    connection: Annotated[str | None, typer.Option("--connection", help="Only this connection.")] = None,
    queued: Annotated[bool, typer.Option("--queued", help="Only requests not finished yet.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many, newest first.")] = 50,
    output_format: Annotated[ListFormat, typer.Option("--format", help="table or json.")] = ListFormat.table,
) -> None:
    """List webhook pull requests, newest first: queued, running, finished or failed."""
    from creditbridge.sync.composition import open_store
    from creditbridge.sync.service.queue import requests
    from creditbridge.sync.store import StoreError

    config = _config(config_file)
    try:
        with open_store(config) as store:
            rows = requests(store.engine, connection=connection, unfinished_only=queued, limit=limit)
    except StoreError as exc:
        raise _fail(str(exc), EXIT_STORE) from None
    if output_format is ListFormat.json:
        sys.stdout.write(json.dumps([r.as_dict() for r in rows], indent=2) + "\n")
        return
    table = Table(title="webhook pull requests", title_justify="left")
    for column in ("id", "connection", "status", "entities", "events", "received", "run", "error"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            str(r.id),
            r.connection,
            r.status,
            ", ".join(e.value for e in r.entities),
            str(len(r.event_ids)),
            r.received_at.isoformat(timespec="seconds"),
            r.run_id or "-",
            r.error or "",
        )
    (_out if _out.is_terminal else Console(soft_wrap=True, width=160)).print(table)


def _config(config_file: Path | None) -> Config:
    from creditbridge.sync.config import ConfigError, load_config
    from creditbridge.sync.logs import configure_logging

    try:
        config = load_config(config_file)
    except ConfigError as exc:
        raise _fail(str(exc), EXIT_CONFIG) from None
    configure_logging(config.log_format, config.log_level)
    return config


def _fail(message: str, code: int) -> typer.Exit:
    _err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)
