"""`creditbridge statements`: statements of account per customer, as HTML and PDF.

Off a ledger folder (`--ledger DIR`) or the store (`--store URL`, default as for every command).
The figures are core.statement's; rendering is sync/reports/statement_document.py.

Exit codes: 0 written; 2 bad input (unknown customer, bad dates, unreadable ledger); 3 the store failed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from creditbridge.core.model import Ledger

_err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add `statements` to `app`."""
    app.command("statements")(statements_command)


def statements_command(
    start: Annotated[str, typer.Option("--from", help="First day of the period, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last day of the period, YYYY-MM-DD (aging is as of this day).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the HTML and PDF files.")],
    customer: Annotated[list[str] | None, typer.Option("--customer", help="A customer id (repeatable).")] = None,
    every: Annotated[bool, typer.Option("--all", help="Every customer with a balance or activity.")] = False,
    ledger: Annotated[
        Path | None, typer.Option("--ledger", help="A ledger folder or .xlsx workbook; read directly, no store needed.")
    ] = None,
    company: Annotated[str, typer.Option("--company", help="Your company's name, printed on the statements.")] = (
        "Accounts Receivable"
    ),
    store: Annotated[
        str | None,
        typer.Option("--store", help="Store URL (default: $CREDITBRIDGE_STORE_URL, else sqlite:///creditbridge.db)."),
    ] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only this source of the store.")] = None,
) -> None:
    """Write a statement of account (opening balance, documents, payments, aging, closing balance) per customer."""
    from creditbridge.core.statement import StatementError, account_statement
    from creditbridge.sync.reports.statement_document import write_statement

    first, last = _parse_date(start, "--from"), _parse_date(end, "--to")
    if bool(customer) == every:
        raise _fail("give --customer ID (repeatable) or --all")
    records = _load(ledger, store, source)
    ids = list(customer or ()) or [c.customer_id for c in records.customers]
    statements = []
    try:
        for customer_id in ids:
            statement = account_statement(records, customer_id, first, last)
            if every and not statement.lines and not statement.opening_balance and not statement.unapplied:
                continue  # nothing to tell this customer
            statements.append(statement)
    except StatementError as exc:
        raise _fail(str(exc)) from None
    from rich.progress import track

    shown = track(statements, description="Writing statements", console=_err, disable=len(statements) < 5,
                  transient=True)  # fmt: skip
    for statement in shown:
        _html, pdf_path = write_statement(statement, company, out_dir)
        if len(statements) < 5:
            _err.print(f"{statement.customer.customer_id}: closing balance {statement.closing_balance:,.2f} "
                       f"{statement.currency} -> {pdf_path}", highlight=False)  # fmt: skip
    typer.echo(f"{len(statements)} statement(s) written to {out_dir.resolve()} (HTML and PDF)")


def _load(ledger: Path | None, store: str | None, source: str | None) -> Ledger:
    """The whole ledger: the folder read strictly, or one source (or all) of the store."""
    from creditbridge.adapters.files import LedgerError, read_ledger

    if ledger is not None:
        try:
            return read_ledger(ledger).to_ledger()
        except LedgerError as exc:
            raise _fail(f"the ledger has errors:\n{exc}") from None
    from creditbridge.sync.settings import missing_store_message, store_url_from_env
    from creditbridge.sync.store import Store, StoreError

    url = store or store_url_from_env()
    if (refused := missing_store_message(url)) is not None:
        raise _fail(refused)
    try:
        with Store.open(url) as opened:
            return opened.load_ledger(source=source)
    except StoreError as exc:
        raise _fail(str(exc), 3) from None


def _parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _fail(f"{option} {text!r} is not a date (expected YYYY-MM-DD)") from None


def _fail(message: str, code: int = 2) -> typer.Exit:
    _err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)
