"""`creditbridge pull`: read each configured ERP's changes into the store.

One run per connection (each with its own run id in the logs), each entity page by page, every
page committed with its cursor: a pull that fails or is killed resumes where it stopped. The
summary goes to stdout (a table, or JSON for scripts), progress and logs to stderr.

Exit codes: 0 every connection pulled; 2 the configuration or the command line is wrong;
3 the store failed; 4 an ERP could not be read (after retries) or another pull of the same
connection was running - pages committed before the failure are kept.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from creditbridge.sync.config import Config
    from creditbridge.sync.pull import PullProgress, PullSummary

_err = Console(stderr=True)
_out = Console(soft_wrap=True)

EXIT_CONFIG = 2
EXIT_STORE = 3
EXIT_ERP = 4


class PullFormat(StrEnum):
    table = "table"
    json = "json"


def register(app: typer.Typer) -> None:
    """Add `pull` to `app`."""
    app.command("pull")(pull_command)


def pull_command(
    config_file: Annotated[
        Path | None,
        typer.Option("--config", help="Configuration file (default: $CREDITBRIDGE_CONFIG, else ./creditbridge.toml)."),
    ] = None,
    connection: Annotated[
        str | None, typer.Option("--connection", help="Pull only this connection (default: every connection).")
    ] = None,
    entity: Annotated[
        list[str] | None,
        typer.Option(
            "--entity",
            help="Pull only this entity (repeatable): customers, credit_profiles, open_items, payments, orders, "
            "writeoffs. Default: every entity the ERP can report.",
        ),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Re-read everything instead of the changes since the last pull.")
    ] = False,
    output_format: Annotated[PullFormat, typer.Option("--format", help="table or json.")] = PullFormat.table,
) -> None:
    """Pull customers, credit profiles, open items, payments, orders and write-offs from the ERP into the store."""
    from creditbridge.core.ports import Entity
    from creditbridge.sync.config import ConfigError, load_config
    from creditbridge.sync.logs import configure_logging

    try:
        config = load_config(config_file)
    except ConfigError as exc:
        raise _fail(str(exc), EXIT_CONFIG) from None
    configure_logging(config.log_format, config.log_level)
    known = [e.value for e in Entity]
    unknown = [e for e in entity or () if e not in known]
    if unknown:
        raise _fail(f"unknown --entity {', '.join(unknown)}; choose from {', '.join(known)}", EXIT_CONFIG)
    try:
        names = [config.connection(connection).name] if connection else [c.name for c in config.connections]
    except ConfigError as exc:
        raise _fail(str(exc), EXIT_CONFIG) from None
    if not names:
        raise _fail(f"{config.path} has no [[connections]] to pull from", EXIT_CONFIG)

    summaries, errors, code = _pull_all(config, names, entity or None, full)
    if output_format is PullFormat.json:
        sys.stdout.write(
            json.dumps({"ok": not errors, "pulls": [s.as_dict() for s in summaries], "errors": errors}, indent=2) + "\n"
        )
    else:
        out = _out if _out.is_terminal else Console(soft_wrap=True, width=140)  # piped: not cut to 80 columns
        for summary in summaries:
            out.print(_summary_table(summary))
    for error in errors:
        _err.print(f"[bold red]error:[/] {error['connection']}: {error['message']}", highlight=False)
    if code:
        raise typer.Exit(code)


def _pull_all(
    config: Config, names: list[str], entities: list[str] | None, full: bool
) -> tuple[list[PullSummary], list[dict[str, str]], int]:
    """Pull each connection in turn; one that fails does not stop the others. The worst exit code wins."""
    from creditbridge.core.ports import ChangeReader
    from creditbridge.sync.composition import adapter_for, open_store
    from creditbridge.sync.config import ConfigError
    from creditbridge.sync.logs import job_run
    from creditbridge.sync.pull import PullConfigError, PullError, PullFailed, pull
    from creditbridge.sync.store import StoreError

    summaries: list[PullSummary] = []
    errors: list[dict[str, str]] = []
    code = 0
    try:
        store = open_store(config)
    except StoreError as exc:
        raise _fail(str(exc), EXIT_STORE) from None
    with store:
        for name in names:
            with job_run("pull", connection=name) as run_id:
                try:
                    adapter = adapter_for(config.connection(name), config)
                    if not isinstance(adapter, ChangeReader):
                        raise PullConfigError(f"the {getattr(adapter, 'erp_name', name)} adapter cannot read changes")
                    with _progress(_err.is_terminal, name) as progress:
                        summaries.append(
                            pull(store, name, adapter, entities, full=full, run_id=run_id, progress=progress)
                        )
                except (ConfigError, PullConfigError) as exc:
                    errors.append({"connection": name, "kind": "config", "message": str(exc)})
                    code = max(code, EXIT_CONFIG)
                except PullFailed as exc:
                    if exc.summary is not None:
                        summaries.append(exc.summary)
                    errors.append({"connection": name, "kind": "erp", "message": str(exc)})
                    code = max(code, EXIT_ERP)
                except PullError as exc:
                    errors.append({"connection": name, "kind": "erp", "message": str(exc)})
                    code = max(code, EXIT_ERP)
                except StoreError as exc:
                    errors.append({"connection": name, "kind": "store", "message": str(exc)})
                    code = max(code, EXIT_STORE)
    return summaries, errors, code


@contextmanager
def _progress(enabled: bool, connection: str) -> Iterator[PullProgress]:
    """A line per entity with pages and records so far; silent when stderr is not a terminal."""
    bars = Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<32}"),
        TextColumn("{task.fields[pages]:>6,} pages  {task.fields[records]:>10,} records"),
        TimeElapsedColumn(),
        console=_err,
        disable=not enabled,
        transient=False,
    )
    tasks: dict[str, TaskID] = {}

    def report(entity: str, pages: int, records: int) -> None:
        if entity not in tasks:
            for other in tasks.values():
                bars.update(other, total=1, completed=1)
            tasks[entity] = bars.add_task(f"Pulling {connection} {entity}", total=None, pages=0, records=0)
        bars.update(tasks[entity], pages=pages, records=records)

    with bars:
        yield report
        for task in tasks.values():
            bars.update(task, total=1, completed=1)


def _summary_table(summary: PullSummary) -> Table:
    table = Table(
        title=f"pull of {summary.connection} (run {summary.run_id}, {summary.elapsed_seconds:.1f} s"
        + (", full" if summary.full else "")
        + ")",
        title_justify="left",
    )
    table.add_column("entity")
    for column in ("pages", "seen", "inserted", "updated", "deleted", "unchanged"):
        table.add_column(column, justify="right")
    table.add_column("cursor")
    for e in summary.entities:
        row: list[Any] = [e.pages, e.records_seen, e.inserted, e.updated, e.deleted, e.unchanged]
        table.add_row(
            e.entity.value + (" (resumed)" if e.resumed else ""),
            *(f"{v:,}" for v in row),
            "-" if e.cursor is None else e.cursor.isoformat(timespec="seconds"),
        )
    return table


def _fail(message: str, code: int) -> typer.Exit:
    _err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)
