"""`creditbridge credit check`: may this customer take an order of this amount?

Works off a ledger folder (`--ledger DIR`, no store or config needed) or the store (`--store URL`,
optionally one `--source`). The rules are core.credit's (`check_order`); the JSON is the same as
the service's `POST /credit/check`. In store mode the decision is kept with the view it looked at
and the policy version (`decision_id`; `creditbridge credit decisions show ID` replays it).

Exit codes: 0 a decision was made (whatever it is); 2 the command line is wrong (unknown
customer, another currency, a bad amount or date); 3 the store failed.
"""

from __future__ import annotations

import getpass
import os
import sys
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import simplejson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from creditbridge.core.credit import CreditCheckError, ExposureView, OrderDecision, check_order_in
from creditbridge.core.money import MoneyError, parse_decimal

if TYPE_CHECKING:
    from creditbridge.core.credit.policy import Policy
    from creditbridge.core.model import Ledger


_err = Console(stderr=True)
_out = Console(soft_wrap=True)


class CheckFormat(StrEnum):
    table = "table"
    json = "json"


def register(app: typer.Typer) -> None:
    """Add the `credit` group (check, policy, apply, review, decisions) to `app`."""
    from creditbridge.sync.commands import credit_engine_commands

    credit = typer.Typer(help="Credit: order checks, applications, reviews, the credit policy.", no_args_is_help=True)
    credit.command("check")(check_command)
    credit_engine_commands.register(credit)
    app.add_typer(credit, name="credit")


def check_command(
    customer: Annotated[str, typer.Option("--customer", help="The customer id.")],
    amount: Annotated[str, typer.Option("--amount", help="The new order's amount, e.g. 1250.00.")],
    ledger: Annotated[
        Path | None, typer.Option("--ledger", help="A ledger folder or .xlsx workbook; read directly, no store needed.")
    ] = None,
    currency: Annotated[
        str | None, typer.Option("--currency", help="The order's currency (default: the customer's).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Date of the check, YYYY-MM-DD (default: today).")
    ] = None,
    output_format: Annotated[CheckFormat, typer.Option("--format", help="table or json.")] = CheckFormat.table,
    store: Annotated[
        str | None,
        typer.Option("--store", help="Store URL (default: $CREDITBRIDGE_STORE_URL, else sqlite:///creditbridge.db)."),
    ] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only this source of the store.")] = None,
    policy_file: Annotated[
        Path | None,
        typer.Option("--policy", help="Credit policy YAML (default: $CREDITBRIDGE_CREDIT_POLICY, else the built-in)."),
    ] = None,
) -> None:
    """Check a new order against the customer's credit: approve, warn, review or hold, and why."""
    check_date = _parse_date(as_of)
    try:
        value = parse_decimal(amount)
    except MoneyError:
        raise _fail(f"--amount {amount!r} is not an amount (expected e.g. 1250.00)") from None
    policy = load_credit_policy(policy_file)
    records = _load(ledger, store, source, customer, check_date, policy.order_check.group_exposure)
    try:
        decision = check_order_in(records, customer, value, currency, check_date, policy.order_check)
    except CreditCheckError as exc:
        raise _fail(str(exc)) from None
    body = decision.as_dict()
    if isinstance(records, ExposureView):  # store mode: the decision is kept, replayable
        body["decision_id"] = _record(store, source, policy, records, decision, value, currency)
    if output_format is CheckFormat.json:
        sys.stdout.write(simplejson.dumps(body, use_decimal=True, indent=2) + "\n")
    else:
        _out.print(decision_table(decision))
        if "decision_id" in body:
            _err.print(f"kept as credit decision {body['decision_id']} (creditbridge credit decisions show "
                       f"{body['decision_id']})", highlight=False)  # fmt: skip


def _record(
    store: str | None, source: str | None, policy: Policy, view: ExposureView, decision: OrderDecision,
    amount: Decimal, currency: str | None,
) -> int:  # fmt: skip
    """Keep the store-mode check in the store's credit decisions; its id."""
    from creditbridge.sync.credit_decisions import record_order_check
    from creditbridge.sync.settings import store_url_from_env
    from creditbridge.sync.store import Store, StoreError
    from creditbridge.sync.writeback.transactions import write_transaction

    user = os.environ.get("CREDITBRIDGE_USER") or getpass.getuser()
    try:
        with Store.open(store or store_url_from_env()) as opened, write_transaction(opened.engine) as conn:
            return record_order_check(conn, policy, view, decision, amount, currency,
                                      decided_by=f"{user} (creditbridge credit check)", source=source)  # fmt: skip
    except StoreError as exc:
        raise _fail(str(exc), 3) from None


def load_credit_policy(path: Path | None) -> Policy:
    """The policy of --policy, else $CREDITBRIDGE_CREDIT_POLICY, else the built-in default; exit 2 when it is bad."""
    from creditbridge.mappings.credit_policy import PolicyError, policy_from_environment

    try:
        return policy_from_environment(path)
    except PolicyError as exc:
        raise _fail(f"the credit policy has errors:\n{exc}") from None


def to_json(decision: OrderDecision) -> str:
    return str(simplejson.dumps(decision.as_dict(), use_decimal=True, indent=2))


def decision_table(decision: OrderDecision) -> Table:
    data: dict[str, Any] = decision.as_dict()
    cur = data["currency"]
    table = Table(title=f"Credit check of {decision.customer_id} as of {decision.as_of}: {decision.decision.upper()}")
    table.add_column("Figure")
    table.add_column(cur, justify="right")
    exposure = data["exposure"]
    rows = [
        ("Open AR", exposure["open_ar"]),
        ("Open orders", exposure["open_orders"]),
        ("This order", exposure["order"]),
        ("Exposure", exposure["total"]),
        ("Credit limit", None if data["limit"] is None else data["limit"]["amount"]),
        ("Available", data["available"]),
    ]
    for label, value in rows:
        table.add_row(label, "—" if value is None else f"{value:,}")
    utilization = data["utilization"]
    table.add_row("Utilization", "—" if utilization is None else f"{utilization} %")
    for reason in decision.reasons:
        table.add_row(f"[bold]{reason.rule}[/]", reason.message)
    return table


def _load(
    ledger: Path | None, store: str | None, source: str | None, customer: str, as_of: date, group: bool
) -> Ledger | ExposureView:
    """The whole ledger folder, or the store's narrow read of the customer (and group) the check looks at."""
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
            found = opened.exposure_view(customer, as_of, source, group)
    except StoreError as exc:
        raise _fail(str(exc), 3) from None
    if found is None:
        where = f"source {source!r} of the store" if source else "the store"
        raise _fail(f"no customer {customer!r} in {where}")
    return found


def _parse_date(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _fail(f"--as-of {text!r} is not a date (expected YYYY-MM-DD)") from None


def _fail(message: str, code: int = 2) -> typer.Exit:
    _err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)
