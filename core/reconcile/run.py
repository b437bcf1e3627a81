"""`reconcile`: every check over one set of inputs, split by the tolerance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from creditbridge.core.model import BankStatement, Ledger
from creditbridge.core.reconcile import ledger_checks
from creditbridge.core.reconcile.bank import BANK_DATE_WINDOW_DAYS, match_statement
from creditbridge.core.reconcile.differences import Difference, Reconciliation


@dataclass(frozen=True, slots=True)
class GlControlBalance:
    """An AR control account's balance in the general ledger, in `currency`."""

    account: str
    balance: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class ReconcileInput:
    """What to reconcile. `erp_balances` (customer id → balance in the customer's currency, as the ERP
    itself reports it), `gl_control` and `statement` are optional; a check without its input is skipped.
    `extra` are differences found outside core's view (store vs ERP documents) to report alongside."""

    ledger: Ledger
    as_of: date | None = None
    erp_balances: Mapping[str, Decimal] | None = None
    gl_control: Sequence[GlControlBalance] = ()
    statement: BankStatement | None = None
    erp_balances_net_of_unapplied: bool = False
    """The ERP's balances already deduct unapplied cash: compare them with open items less it."""
    extra: Sequence[Difference] = ()
    notes: Sequence[str] = field(default=())


def reconcile(
    inputs: ReconcileInput, tolerance: Decimal = Decimal(0), bank_window_days: int = BANK_DATE_WINDOW_DAYS
) -> Reconciliation:
    """Run every check the inputs allow. Differences whose size is at most `tolerance` are counted, not listed.

    With `as_of`, documents and payments dated after it are left out (they did not exist yet), and
    each document's stated open amount (today's) is rolled back to `as_of` by adding the
    applications and write-offs dated after it, for the balance and GL checks. Without it, open
    amounts are the source's own `open_amount`.
    """
    ledger = inputs.ledger
    day = inputs.as_of
    items = [i for i in ledger.items if day is None or i.invoice_date <= day]
    payments = [p for p in ledger.payments if day is None or p.payment_date <= day]
    # Settlements are followed over the whole ledger: a stated open amount is today's figure.
    settled, payers, orphans = ledger_checks.settled_amounts(ledger, {i.item_id: i for i in ledger.items})
    paid_on = {p.payment_id: p.payment_date for p in ledger.payments}
    if day is not None:
        orphans = [o for o in orphans if paid_on[o.documents[0]] <= day]
    at_day = items if day is None else ledger_checks.rolled_back(items, ledger, day)
    dated = Ledger(customers=ledger.customers, items=tuple(at_day), payments=tuple(payments))

    found: list[Difference] = [*inputs.extra]
    checked: dict[str, int] = {"customers": len(ledger.customers), "documents": len(items), "payments": len(payments)}
    if inputs.erp_balances is not None:
        unapplied = payments if inputs.erp_balances_net_of_unapplied else ()
        found += ledger_checks.balance_mismatches(dated, at_day, inputs.erp_balances, unapplied)
        checked["erp_balances"] = len(inputs.erp_balances)
    found += ledger_checks.open_amount_mismatches(items, settled, payers)
    found += ledger_checks.unapplied_cash(payments)
    found += ledger_checks.duplicate_payments(payments)
    found += orphans
    if inputs.gl_control:
        gl: dict[str, list[tuple[str, Decimal]]] = {}
        for row in inputs.gl_control:
            gl.setdefault(row.currency, []).append((row.account, row.balance))
        found += ledger_checks.gl_control_differences(at_day, payments, {c: tuple(a) for c, a in gl.items()})
        checked["gl_accounts"] = len(inputs.gl_control)
    if inputs.statement is not None:
        bank = match_statement(inputs.statement, ledger.payments, ledger.customers, bank_window_days)
        found += bank.differences
        checked["statement_lines"] = len(inputs.statement.transactions)
        checked["statement_matches"] = len(bank.matches)

    listed = tuple(d for d in found if abs(d.amount) > tolerance)
    small = tuple(d for d in found if abs(d.amount) <= tolerance)
    return Reconciliation(listed, small, tolerance, tuple(checked.items()), tuple(inputs.notes))
