"""The records of accounts receivable, in accounting terms, as frozen dataclasses.

Every adapter (an ERP, a folder of CSV files) translates its data into these records; every rule
in core reads them. Nothing here knows where a record came from beyond its `source` string.
Amounts are `Money`; sign convention: debit items (invoices, debit memos) are positive, credit
memos negative, as Oracle's AR_PAYMENT_SCHEDULES and QuickBooks reports show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from creditbridge.core.money import Money


class DocType(StrEnum):
    """The kind of receivable document. CM amounts are negative."""

    INVOICE = "INV"
    DEBIT_MEMO = "DM"
    CREDIT_MEMO = "CM"


class OrderStatus(StrEnum):
    """Only open orders count in credit exposure."""

    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Customer:
    """A customer account. `parent_id` links accounts of one group (exposure is checked per group)."""

    customer_id: str
    name: str
    currency: str
    parent_id: str | None = None
    payment_terms_days: int | None = None
    tax_id: str | None = None
    bank_accounts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CreditProfile:
    """What the ERP (or a person) says about a customer's credit: limit, hold, risk class.

    `source_version` is the ERP's version of the record last seen (QuickBooks SyncToken, Oracle
    object_version_number, SAP change stamp): a write-back carries it so a concurrent change in
    the ERP is detected rather than overwritten.
    """

    customer_id: str
    credit_limit: Money | None
    on_hold: bool = False
    risk_class: str | None = None
    score: Decimal | None = None
    review_date: date | None = None
    source_version: str | None = None


@dataclass(frozen=True, slots=True)
class OpenItem:
    """A receivable document: invoice, debit memo or credit memo.

    `open_amount` is what the source says is still open now; the open amount at a past date
    is `amount` less applications and write-offs dated on or before it.
    """

    item_id: str
    doc_type: DocType
    customer_id: str
    invoice_date: date
    due_date: date
    amount: Money
    open_amount: Money
    po_number: str | None = None
    discount_percent: Decimal | None = None
    discount_days: int | None = None


@dataclass(frozen=True, slots=True)
class Application:
    """Part of a payment applied to one open item, effective on the payment's date."""

    payment_id: str
    item_id: str
    amount: Money
    applied_on: date


@dataclass(frozen=True, slots=True)
class Payment:
    """A cash receipt from a customer and how it was applied; the rest is unapplied cash."""

    payment_id: str
    customer_id: str
    payment_date: date
    amount: Money
    reference: str | None = None
    applications: tuple[Application, ...] = ()

    @property
    def unapplied(self) -> Money:
        applied = sum((a.amount.amount for a in self.applications), Decimal(0))
        return Money(self.amount.amount - applied, self.amount.currency)


@dataclass(frozen=True, slots=True)
class WriteOff:
    """A bad-debt write-off: reduces the item's open amount from `written_off_on`."""

    item_id: str
    written_off_on: date
    amount: Money
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Order:
    """A sales order; open orders are exposure that is not yet invoiced."""

    order_number: str
    customer_id: str
    order_date: date
    amount: Money
    status: OrderStatus = OrderStatus.OPEN


@dataclass(frozen=True, slots=True)
class BankTransaction:
    """One credit line of a bank statement, as received (before matching)."""

    transaction_id: str
    booked_on: date
    amount: Money
    payer_name: str | None = None
    payer_account: str | None = None
    remittance_text: str | None = None


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a decision came out as it did: the rule, and the figures it looked at."""

    rule: str
    message: str
    figures: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class CreditDecision:
    """The answer to 'may this customer take this order?': approve, warn, review or hold, with reasons."""

    customer_id: str
    outcome: str
    reasons: tuple[Reason, ...] = ()
    exposure: Money | None = None
    credit_limit: Money | None = None


@dataclass(frozen=True, slots=True)
class MatchProposal:
    """A proposed application of a bank transaction to open items, with confidence and evidence."""

    transaction_id: str
    customer_id: str | None
    allocations: tuple[tuple[str, Money], ...]
    confidence: Decimal
    evidence: tuple[Reason, ...] = ()


@dataclass(frozen=True, slots=True)
class DunningAction:
    """A collections step planned for a customer (reminder, call, letter, hold)."""

    customer_id: str
    action: str
    due_on: date
    item_ids: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True, slots=True)
class Dispute:
    """A customer's objection to (part of) an item; disputed amounts are excluded from dunning."""

    item_id: str
    opened_on: date
    amount: Money
    reason: str | None = None
    closed_on: date | None = None


@dataclass(frozen=True, slots=True)
class PromiseToPay:
    """A customer's promise to pay an amount by a date."""

    customer_id: str
    promised_on: date
    pay_by: date
    amount: Money
    item_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Ledger:
    """Everything known about a company's receivables, as records."""

    customers: tuple[Customer, ...] = ()
    profiles: tuple[CreditProfile, ...] = ()
    items: tuple[OpenItem, ...] = ()
    payments: tuple[Payment, ...] = ()
    writeoffs: tuple[WriteOff, ...] = ()
    orders: tuple[Order, ...] = field(default=())
