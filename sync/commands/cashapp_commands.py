"""`creditbridge cashapp`: match bank statements to open invoices, on a ledger folder or on the store.

    creditbridge cashapp match --ledger DIR --statement FILE --out MATCHES.csv    (no config, no store)
    creditbridge cashapp run --statement FILE                                     (the configured store)
    creditbridge cashapp exceptions [--format table|json|csv]
    creditbridge cashapp confirm PAYMENT_ID [--invoice INV:AMOUNT ...] --user U
    creditbridge cashapp reject PAYMENT_ID --user U

The statement's format is detected from its content (camt.053/054, BAI2, MT940, lockbox,
remittance CSV). MATCHES.csv has one row per (payment, invoice) application and an unapplied row
for what is left; the rows of a payment add up to its amount. The summary (payments, auto,
suggested, unapplied, skipped debits and reversals) goes to stderr, or as JSON to stdout with
`--format json`.

Exit codes: 0 done; 2 a bad file, option or request (nothing written); 3 the store failed.
"""

from __future__ import annotations

import csv
import getpass
import io
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import simplejson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from creditbridge.core.cashapp import MatchPolicy
    from creditbridge.sync.store import Store

_err = Console(stderr=True)
USER_ENV = "CREDITBRIDGE_USER"


class SummaryFormat(StrEnum):
    table = "table"
    json = "json"


class ListFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


StatementOption = Annotated[
    Path,
    typer.Option(
        "--statement",
        help="The bank statement or remittance file (camt.053/054, BAI2, MT940, lockbox, remittance CSV).",
    ),
]
LayoutOption = Annotated[
    Path | None, typer.Option("--lockbox-layout", help="TOML or YAML file with the bank's fixed-width lockbox layout.")
]
AutoOption = Annotated[
    str | None, typer.Option("--auto-threshold", help="Confidence from which a match is applied (default 0.90).")
]
SuggestOption = Annotated[
    str | None, typer.Option("--suggest-threshold", help="Confidence from which a match is proposed (default 0.50).")
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Configuration file (default: $CREDITBRIDGE_CONFIG, else ./creditbridge.toml)."),
]
UserOption = Annotated[
    str | None, typer.Option("--user", help=f"Who decides (default: ${USER_ENV}, else the login name).")
]


def register(app: typer.Typer) -> None:
    """Add the `cashapp` group."""
    cashapp = typer.Typer(help="Cash application: match incoming payments to open invoices.", no_args_is_help=True)
    cashapp.command("match")(match_command)
    cashapp.command("run")(run_command)
    cashapp.command("exceptions")(exceptions_command)
    cashapp.command("confirm")(confirm_command)
    cashapp.command("reject")(reject_command)
    app.add_typer(cashapp, name="cashapp")


def _fail(message: str, code: int = 2) -> typer.Exit:
    _err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def _policy(auto: str | None, suggest: str | None, configured: dict[str, Any] | None = None) -> MatchPolicy:
    from creditbridge.core.cashapp import MatchPolicy, PolicyError

    values: dict[str, Any] = dict(configured or {})
    for name, text in (("auto_threshold", auto), ("suggest_threshold", suggest)):
        if text is not None:
            try:
                values[name] = Decimal(text)
            except ArithmeticError:
                raise _fail(f"--{name.replace('_', '-')} {text!r} is not a number between 0 and 1") from None
    try:
        return MatchPolicy(**values)
    except PolicyError as exc:
        raise _fail(str(exc)) from None


def _layout(path: Path | None) -> Any:
    if path is None:
        return None
    from creditbridge.adapters.statements import LockboxLayout, StatementError

    try:
        return LockboxLayout.from_file(path)
    except StatementError as exc:
        raise _fail(str(exc)) from None


@contextmanager
def _progress(total_hint: str) -> Iterator[Any]:
    from creditbridge.sync.cli import _progress as bars

    with bars(_err.is_terminal) as report:
        yield lambda done, total: report(total_hint, done, total)


def match_command(
    ledger: Annotated[
        Path, typer.Option("--ledger", help="The ledger folder (or .xlsx workbook) with the open invoices.")
    ],
    statement: StatementOption,
    out: Annotated[Path, typer.Option("--out", help="MATCHES.csv to write (replaced whole, never half-written).")],
    lockbox_layout: LayoutOption = None,
    auto_threshold: AutoOption = None,
    suggest_threshold: SuggestOption = None,
    output_format: Annotated[
        SummaryFormat, typer.Option("--format", help="Summary as a line on stderr (table) or JSON on stdout.")
    ] = SummaryFormat.table,
) -> None:
    """Match a statement's payments to a ledger folder's open invoices; write MATCHES.csv.

    Learns customers' reference habits from the ledger's payments.csv. Decisions: auto (applied),
    suggest (for a person), unapplied.
    """
    from creditbridge.adapters.files import LedgerError, read_ledger
    from creditbridge.sync.cashapp.matching import (
        StatementReadError,
        match_statement,
        read_statement_file,
        summarise,
        write_matches,
    )

    policy = _policy(auto_threshold, suggest_threshold)
    layout = _layout(lockbox_layout)
    started = time.perf_counter()
    try:
        records = read_ledger(ledger).to_ledger()
    except LedgerError as exc:
        raise _fail(f"the ledger has errors:\n{exc}") from None
    try:
        bank = read_statement_file(statement, layout)
    except StatementReadError as exc:
        raise _fail(str(exc)) from None
    with _progress("Matching payments") as progress:
        matches = match_statement(records, bank, None, policy, progress)
    try:
        write_matches(out, matches)
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc.strerror or exc}") from None
    summary = summarise(bank, matches, time.perf_counter() - started)
    if output_format is SummaryFormat.json:
        sys.stdout.write(simplejson.dumps({**summary.as_dict(), "out": str(out)}, indent=2, use_decimal=True) + "\n")
    else:
        _err.print(f"{summary.describe()}; wrote {out}", highlight=False, markup=False)


@contextmanager
def _store(config_file: Path | None, settings: dict[str, Any] | None = None) -> Iterator[Store]:
    from creditbridge.sync.composition import open_store
    from creditbridge.sync.config import ConfigError, load_config
    from creditbridge.sync.store import StoreError

    try:
        config = load_config(config_file)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    if settings is not None:
        settings.update(config.cashapp.match_settings())
    try:
        store = open_store(config)
    except StoreError as exc:
        raise _fail(str(exc), 3) from None
    try:
        with store:
            yield store
    except StoreError as exc:
        raise _fail(str(exc), 3) from None


def _user(user: str | None) -> str:
    acting = (user or os.environ.get(USER_ENV) or getpass.getuser()).strip()
    if not acting:
        raise _fail(f"who is deciding? give --user or set ${USER_ENV}")
    return acting


def run_command(
    statement: StatementOption,
    config: ConfigOption = None,
    source: Annotated[str | None, typer.Option("--source", help="Only this source's open items.")] = None,
    lockbox_layout: LayoutOption = None,
    auto_threshold: AutoOption = None,
    suggest_threshold: SuggestOption = None,
    output_format: Annotated[SummaryFormat, typer.Option("--format", help="table or json.")] = SummaryFormat.table,
) -> None:
    """Match a statement against the store and keep statement, payments and decisions (re-running changes nothing)."""
    from creditbridge.sync.cashapp.job import run_cashapp_job
    from creditbridge.sync.cashapp.matching import StatementReadError

    layout = _layout(lockbox_layout)
    if not statement.is_file():
        raise _fail(f"{statement}: no such file")
    configured: dict[str, Any] = {}
    with _store(config, configured) as store, _progress("Matching payments") as progress:
        policy = _policy(auto_threshold, suggest_threshold, configured)
        try:
            result = run_cashapp_job(store, statement, policy, source, progress, layout)
        except StatementReadError as exc:
            raise _fail(str(exc)) from None
    summary = result.summary
    if output_format is SummaryFormat.json:
        sys.stdout.write(
            simplejson.dumps({**summary.as_dict(), "statement_row": result.statement_row, "created": result.created},
                             indent=2, use_decimal=True) + "\n"
        )  # fmt: skip
    elif result.created:
        _err.print(summary.describe(), highlight=False, markup=False)
    else:
        _err.print(f"{statement} was run before: nothing new. {summary.describe()}", highlight=False, markup=False)


EXCEPTION_COLUMNS = ("payment_id", "booked_on", "amount", "currency", "payer_name", "decision", "confidence",
                     "customer_id", "candidates", "evidence")  # fmt: skip


def exceptions_command(
    config: ConfigOption = None,
    output_format: Annotated[ListFormat, typer.Option("--format", help="table, json or csv.")] = ListFormat.table,
) -> None:
    """Payments waiting for a person (suggested or unapplied), with candidates, confidence and evidence."""
    from creditbridge.sync.cashapp.job import exceptions

    with _store(config) as store:
        rows = exceptions(store)
    if output_format is ListFormat.json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    flat = [
        {**row, "candidates": " | ".join(_candidate_text(c) for c in row["candidates"]),
         "evidence": "; ".join(row["evidence"])}
        for row in rows
    ]  # fmt: skip
    if output_format is ListFormat.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, EXCEPTION_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(flat)
        sys.stdout.write(buffer.getvalue())
        return
    if not rows:
        _err.print("no payments are waiting for a decision")
        return
    table = Table(title=f"{len(rows)} payment(s) waiting for a decision")
    for column in (
        "payment_id",
        "booked_on",
        "amount",
        "payer_name",
        "decision",
        "confidence",
        "candidates",
        "evidence",
    ):
        table.add_column(column, justify="right" if column in ("amount", "confidence") else "left")
    for row in flat:
        table.add_row(*(escape(str(row[c] or "")) for c in
                        ("payment_id", "booked_on", "amount", "payer_name", "decision", "confidence", "candidates",
                         "evidence")))  # fmt: skip
    Console(soft_wrap=True).print(table)


def _candidate_text(candidate: dict[str, Any]) -> str:
    invoices = ", ".join(f"{a['invoice_number']}:{a['amount']}" for a in candidate["allocations"])
    return f"{candidate['customer_id']} {invoices} ({candidate['confidence']})"


def _parse_invoice(text: str) -> tuple[str, Decimal]:
    from creditbridge.sync.cashapp.job import CashappError, parse_allocation

    try:
        return parse_allocation(text)
    except CashappError as exc:
        raise _fail(f"--invoice {exc}") from None


def confirm_command(
    payment_id: Annotated[str, typer.Argument(help="The payment's id (see cashapp exceptions).")],
    invoice: Annotated[
        list[str] | None,
        typer.Option("--invoice", help="INVOICE:AMOUNT to apply (repeat it); default: the proposal as it stands."),
    ] = None,
    on_account: Annotated[
        str | None,
        typer.Option("--on-account", metavar="CUSTOMER",
                     help="Take the payment as this customer's cash without applying it to invoices."),
    ] = None,
    user: UserOption = None,
    config: ConfigOption = None,
    output_format: Annotated[SummaryFormat, typer.Option("--format", help="table or json.")] = SummaryFormat.table,
) -> None:
    """Confirm a payment's application (as proposed, as --invoice says, or on account); its payer is learned."""
    from creditbridge.sync.cashapp.job import CashappError, confirm_payment, put_on_account

    if on_account is not None and invoice:
        raise _fail("give --invoice or --on-account, not both")
    allocations = [_parse_invoice(text) for text in invoice] if invoice else None
    acting = _user(user)
    with _store(config) as store:
        try:
            if on_account is not None:
                result = put_on_account(store, payment_id, on_account, acting)
            else:
                result = confirm_payment(store, payment_id, acting, allocations)
        except CashappError as exc:
            raise _fail(str(exc)) from None
    if output_format is SummaryFormat.json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        applied = ", ".join(f"{a['invoice_number']} {a['amount']}" for a in result["allocations"]) or "on account"
        _err.print(f"confirmed {payment_id} for {result['customer_id']}: {applied}", highlight=False, markup=False)


def reject_command(
    payment_id: Annotated[str, typer.Argument(help="The payment's id (see cashapp exceptions).")],
    user: UserOption = None,
    config: ConfigOption = None,
    output_format: Annotated[SummaryFormat, typer.Option("--format", help="table or json.")] = SummaryFormat.table,
) -> None:
    """Reject a payment's proposal: it stays unapplied, and its payer is no longer taken for that customer."""
    from creditbridge.sync.cashapp.job import CashappError, reject_payment

    acting = _user(user)
    with _store(config) as store:
        try:
            result = reject_payment(store, payment_id, acting)
        except CashappError as exc:
            raise _fail(str(exc)) from None
    if output_format is SummaryFormat.json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        _err.print(f"rejected the proposal for {payment_id}", highlight=False, markup=False)
