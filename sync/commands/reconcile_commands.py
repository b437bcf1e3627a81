"""`creditbridge reconcile`: do the ERP, the store, the bank and the GL agree? Each difference classified.

Off a ledger folder (`--ledger DIR`, no config: the folder's erp_balances.csv and gl_control.csv,
and a `--statement FILE`) or the configured store and its connections (`--connection NAME`).
The checks are core.reconcile's; JSON is `{"differences": [...], "summary": {...}}`.

Exit codes: 0 no difference above the tolerance; 1 differences above it (gate a schedule on
it); 2 bad input (a file that cannot be read, a bad option or config); 3 the store failed;
4 the ERP could not be read.
"""

from __future__ import annotations

import csv
import io
import sys
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import simplejson
import typer
from rich.console import Console
from rich.table import Table

from creditbridge.core.reconcile import Reconciliation

_err = Console(stderr=True)

CSV_HEADER = ("class", "customer_id", "documents", "amount", "currency", "detail")
RUN_FIELDS = ("run_id", "run_at", "connections", "as_of", "tolerance", "differences", "within_tolerance", "ok")


class ReconcileFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def register(app: typer.Typer) -> None:
    """Add `reconcile` and `reconcile-runs` to `app`."""
    app.command("reconcile")(reconcile_command)
    app.command("reconcile-runs")(runs_command)


def runs_command(
    last: Annotated[int, typer.Option("--last", min=1, help="How many of the latest runs to show.")] = 10,
    output_format: Annotated[ReconcileFormat, typer.Option("--format", help="table, json or csv.")] = (
        ReconcileFormat.table
    ),
    config_file: Annotated[
        Path | None,
        typer.Option("--config", help="Configuration file (default: $CREDITBRIDGE_CONFIG, else ./creditbridge.toml)."),
    ] = None,
) -> None:
    """The last store-mode reconciliations (kept by every `reconcile` on the store and by scheduled runs)."""
    from creditbridge.sync.composition import open_store
    from creditbridge.sync.config import ConfigError, load_config
    from creditbridge.sync.reconcile_job import recent_runs
    from creditbridge.sync.store import StoreError

    try:
        with open_store(load_config(config_file)) as store:
            runs = recent_runs(store, last)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    except StoreError as exc:
        raise _fail(str(exc), 3) from None
    rows = [
        {"run_id": r.run_id, "run_at": r.run_at.isoformat(timespec="seconds") + "Z", "connections": r.connections,
         "as_of": r.as_of.isoformat() if r.as_of else None, "tolerance": r.tolerance, "differences": r.differences,
         "within_tolerance": r.within_tolerance, "ok": r.ok}
        for r in runs
    ]  # fmt: skip
    if output_format is ReconcileFormat.json:
        kept = [simplejson.loads(r.result, use_decimal=True) for r in runs]
        result = [{**row, "result": found} for row, found in zip(rows, kept, strict=True)]
        sys.stdout.write(str(simplejson.dumps(result, use_decimal=True, indent=2)) + "\n")
        return
    if output_format is ReconcileFormat.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(RUN_FIELDS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        sys.stdout.write(buffer.getvalue())
        return
    table = Table(title=f"Reconciliation runs (last {last})")
    for name in RUN_FIELDS:
        table.add_column(name)
    for row in rows:
        table.add_row(*("—" if row[k] is None else str(row[k]) for k in RUN_FIELDS))
    Console(soft_wrap=True, width=None if sys.stdout.isatty() else 140).print(table)


def reconcile_command(
    ledger: Annotated[
        Path | None,
        typer.Option("--ledger", help="A ledger folder (may hold erp_balances.csv and gl_control.csv); no config "
                     "or store needed. Read as it is: what import would refuse is what reconcile reports."),
    ] = None,
    connection: Annotated[
        str | None, typer.Option("--connection", help="Store mode: only this connection (default: every one).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Leave out documents and payments dated after this (YYYY-MM-DD).")
    ] = None,
    statement: Annotated[
        Path | None,
        typer.Option("--statement", help="A bank statement (camt.053/054, BAI2, MT940, …): its credits against "
                     "the recorded payments."),
    ] = None,
    tolerance: Annotated[
        str | None,
        typer.Option("--tolerance", help="Differences up to this amount are counted, not listed (default 0; store "
                     "mode: the tolerance in the config's reconcile section)."),
    ] = None,
    output_format: Annotated[ReconcileFormat, typer.Option("--format", help="table, json or csv.")] = (
        ReconcileFormat.table
    ),
    config_file: Annotated[
        Path | None,
        typer.Option("--config", help="Configuration file (default: $CREDITBRIDGE_CONFIG, else ./creditbridge.toml)."),
    ] = None,
    no_erp_documents: Annotated[
        bool, typer.Option("--no-erp-documents", help="Store mode: do not read the ERP's documents (fewer API calls).")
    ] = False,
) -> None:
    """Reconcile ERP balances, open items, payments, the GL control account and the bank; classify each difference.

    Exit 1 when a difference is larger than the tolerance (gate a schedule on it), 2 on bad input.
    """
    from creditbridge.adapters.files import LedgerError
    from creditbridge.sync.reconcile_job import StatementUnreadable, ledger_folder_input

    day = _parse_date(as_of)
    limit = _parse_tolerance(tolerance)
    try:
        if ledger is not None:
            if connection is not None:
                raise _fail("--connection is for store mode; leave it out with --ledger")
            from creditbridge.core.reconcile import reconcile

            result = reconcile(ledger_folder_input(ledger, day, statement), limit or Decimal(0))
            scope = str(ledger)
        else:
            result, scope = _store_mode(config_file, connection, day, limit, statement, not no_erp_documents)
    except LedgerError as exc:
        raise _fail(f"the ledger has errors:\n{exc}") from None
    except StatementUnreadable as exc:
        raise _fail(f"the bank statement cannot be read: {exc}") from None
    _print(result, output_format, scope)
    if not result.ok:
        raise typer.Exit(1)


def _store_mode(
    config_file: Path | None, connection: str | None, day: date | None, limit: Decimal | None,
    statement: Path | None, documents: bool,
) -> tuple[Reconciliation, str]:  # fmt: skip
    from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

    from creditbridge.core.ports import ErpError
    from creditbridge.sync.config import ConfigError, load_config
    from creditbridge.sync.reconcile_job import run_reconcile_job
    from creditbridge.sync.store import StoreError

    bars = Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed:>9,}"),
                    TimeElapsedColumn(), console=_err, transient=True, disable=not _err.is_terminal)  # fmt: skip
    tasks: dict[str, TaskID] = {}

    def report(what: str, done: int) -> None:
        if what not in tasks:
            tasks[what] = bars.add_task(what, total=None)
        bars.update(tasks[what], completed=done)

    try:
        config = load_config(config_file)
        with bars:
            run = run_reconcile_job(config, connection, day, limit, statement, documents, report)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    except StoreError as exc:
        raise _fail(str(exc), 3) from None
    except ErpError as exc:
        raise _fail(f"the ERP: {exc}", 4) from None
    return run.result, ", ".join(run.connections)


def _print(result: Reconciliation, output_format: ReconcileFormat, scope: str) -> None:
    if output_format is ReconcileFormat.json:
        from creditbridge.sync.reconcile_job import as_json

        sys.stdout.write(str(simplejson.dumps(as_json(result), use_decimal=True, indent=2)) + "\n")
        return
    if output_format is ReconcileFormat.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for d in result.differences:
            writer.writerow((d.kind.value, d.customer_id or "", ";".join(d.documents), f"{d.shown_amount}", d.currency,
                             d.detail))  # fmt: skip
        sys.stdout.write(buffer.getvalue())
        return
    out = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 160)
    table = Table(title=f"Reconciliation of {scope}: {len(result.differences)} difference(s)", show_lines=False)
    for name, justify in (("Class", "left"), ("Customer", "left"), ("Documents", "left"), ("Amount", "right"),
                          ("Detail", "left")):  # fmt: skip
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for d in result.differences:
        table.add_row(d.kind.value, d.customer_id or "—", ", ".join(d.documents), f"{d.amount:,.2f} {d.currency}",
                      d.detail)  # fmt: skip
    out.print(table)
    summary = result.summary()
    small = summary["within_tolerance"]
    out.print(f"Checked: {', '.join(f'{k} {v:,}' for k, v in summary['checked'].items())}. "
              f"Tolerance {result.tolerance}: {small} difference(s) within it.", highlight=False)  # fmt: skip
    for note in result.notes:
        out.print(f"Note: {note}", highlight=False, markup=False)


def _parse_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _fail(f"--as-of {text!r} is not a date (expected YYYY-MM-DD)") from None


def _parse_tolerance(text: str | None) -> Decimal | None:
    from creditbridge.core.money import MoneyError, parse_decimal

    if text is None:
        return None
    try:
        value = parse_decimal(text)
    except MoneyError:
        raise _fail(f"--tolerance {text!r} is not an amount (expected e.g. 0.01)") from None
    if value < 0:
        raise _fail(f"--tolerance {text!r} is negative")
    return value


def _fail(message: str, code: int = 2) -> typer.Exit:
    _err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)
