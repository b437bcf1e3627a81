"""A customer's statement of account: opening balance, the period's documents and payments, aging, closing.

Why balances from documents and payments (not open amounts): a statement must add up line by line
for the customer reading it. The balance at a date is every document dated on or before it, less
every payment (applied or not) and write-off dated on or before it; so closing = opening + debits −
credits, and it equals the aging total less unapplied payments.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from creditbridge.core.kpis.figures import AGING_BUCKETS
from creditbridge.core.model import Customer, DocType, Ledger

_ZERO = Decimal(0)
_DOC_WORDS = {DocType.INVOICE: "Invoice", DocType.DEBIT_MEMO: "Debit memo", DocType.CREDIT_MEMO: "Credit memo"}
AGING_LABELS = {"current": "Current", "1_30": "1–30 days", "31_60": "31–60 days", "61_90": "61–90 days",
                "91_120": "91–120 days", "over_120": "Over 120 days"}  # fmt: skip


class StatementError(ValueError):
    """The statement cannot be made as asked (unknown customer, dates the wrong way round)."""


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One row: a document (debit, or credit for a credit memo), a payment or a write-off (credit)."""

    day: date
    kind: str
    document: str
    reference: str | None
    due_date: date | None
    debit: Decimal
    credit: Decimal
    balance: Decimal


@dataclass(frozen=True, slots=True)
class AccountStatement:
    customer: Customer
    currency: str
    start: date
    end: date
    opening_balance: Decimal
    lines: tuple[StatementLine, ...]
    closing_balance: Decimal
    aging: tuple[tuple[str, Decimal], ...]
    """Open amounts at `end` by AGING_BUCKETS, in order."""
    unapplied: Decimal
    """Payments received by `end` and not applied to a document (a credit on the account)."""

    @property
    def total_debits(self) -> Decimal:
        return sum((line.debit for line in self.lines), _ZERO)

    @property
    def total_credits(self) -> Decimal:
        return sum((line.credit for line in self.lines), _ZERO)

    @property
    def open_total(self) -> Decimal:
        """The aging total: what the documents still have open at `end`."""
        return sum((amount for _bucket, amount in self.aging), _ZERO)

    @property
    def overdue(self) -> Decimal:
        return sum((amount for bucket, amount in self.aging if bucket != "current"), _ZERO)


def _bucket(days_past_due: int) -> str:
    if days_past_due <= 0:
        return "current"
    for limit, name in ((30, "1_30"), (60, "31_60"), (90, "61_90"), (120, "91_120")):
        if days_past_due <= limit:
            return name
    return "over_120"


def account_statement(ledger: Ledger, customer_id: str, start: date, end: date) -> AccountStatement:
    """The statement of `customer_id` for start..end (both inclusive); opening balance at start − 1."""
    if end < start:
        raise StatementError(f"the period ends ({end}) before it starts ({start})")
    customer = next((c for c in ledger.customers if c.customer_id == customer_id), None)
    if customer is None:
        raise StatementError(f"customer {customer_id!r} is not in the ledger")
    items = [i for i in ledger.items if i.customer_id == customer_id]
    own = {i.item_id for i in items}
    payments = [p for p in ledger.payments if p.customer_id == customer_id]
    writeoffs = [w for w in ledger.writeoffs if w.item_id in own]
    before = start - timedelta(days=1)

    opening = (
        sum((i.amount.amount for i in items if i.invoice_date <= before), _ZERO)
        - sum((p.amount.amount for p in payments if p.payment_date <= before), _ZERO)
        - sum((w.amount.amount for w in writeoffs if w.written_off_on <= before), _ZERO)
    )
    rows: list[tuple[date, int, str, str, str | None, date | None, Decimal, Decimal]] = []
    for i in items:
        if start <= i.invoice_date <= end:
            amount = i.amount.amount
            debit, credit = (amount, _ZERO) if amount >= 0 else (_ZERO, -amount)
            rows.append((i.invoice_date, 0, _DOC_WORDS[i.doc_type], i.item_id, i.po_number, i.due_date, debit, credit))
    for p in payments:
        if start <= p.payment_date <= end:
            applied = ", ".join(a.item_id for a in p.applications)
            note = f"pays {applied}" if applied else "not applied"
            if p.reference and p.reference not in applied:
                note = f"{note} (ref {p.reference})"
            rows.append((p.payment_date, 1, "Payment", p.payment_id, note, None, _ZERO, p.amount.amount))
    for w in writeoffs:
        if start <= w.written_off_on <= end:
            rows.append((w.written_off_on, 2, "Write-off", w.item_id, w.reason, None, _ZERO, w.amount.amount))
    rows.sort(key=lambda r: (r[0], r[1], r[3]))
    balance = opening
    lines: list[StatementLine] = []
    for day, _order, kind, document, reference, due, debit, credit in rows:
        balance += debit - credit
        lines.append(StatementLine(day, kind, document, reference, due, debit, credit, balance))

    settled: dict[str, Decimal] = defaultdict(Decimal)
    for p in payments:
        for a in p.applications:
            if a.applied_on <= end:
                settled[a.item_id] += a.amount.amount
    for w in writeoffs:
        if w.written_off_on <= end:
            settled[w.item_id] += w.amount.amount
    aging: dict[str, Decimal] = dict.fromkeys(AGING_BUCKETS, _ZERO)
    for i in items:
        if i.invoice_date <= end:
            left = i.amount.amount - settled.get(i.item_id, _ZERO)
            if left:
                aging[_bucket((end - i.due_date).days)] += left
    unapplied = sum((p.unapplied.amount for p in payments if p.payment_date <= end), _ZERO)
    currency = items[0].amount.currency if items else customer.currency
    return AccountStatement(customer, currency, start, end, opening, tuple(lines), balance,
                            tuple(aging.items()), unapplied)  # fmt: skip
