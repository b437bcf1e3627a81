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
class RemittanceLine:
    """One structured remittance line: the payer's own statement of which document it pays.

    From camt `RmtInf/Strd` (`RfrdDocInf/Nb`, `RfrdDocAmt/RmtdAmt`), a lockbox detail record or a
    remittance CSV row. Either field may be missing: payers send a number without an amount, or the
    reverse.
    """

    document_number: str | None
    amount: Money | None = None
    document_type: str | None = None  # as sent: CINV, CREN, DEBN, …


@dataclass(frozen=True, slots=True)
class BankTransaction:
    """One incoming customer payment as a bank statement or remittance file reports it (before matching).

    Only credits are transactions: debits and reversals are counted by the parser and skipped.
    `transaction_id` is the payment's id, unique within its statement file: the bank's end-to-end id,
    else its own reference, else one derived from the file and the entry's position (banks send
    `NOTPROVIDED` and repeat references). `remittance_text` joins the unstructured lines in order.
    """

    transaction_id: str
    booked_on: date
    amount: Money
    payer_name: str | None = None
    payer_account: str | None = None
    remittance_text: str | None = None
    remittance_lines: tuple[RemittanceLine, ...] = ()
    value_date: date | None = None
    end_to_end_id: str | None = None
    bank_reference: str | None = None
    statement_id: str | None = None
    account: str | None = None  # our account that received the money


@dataclass(frozen=True, slots=True)
class BankStatement:
    """What one statement or remittance file holds: its incoming payments and what was skipped.

    `format` names the detected format (camt.053, camt.054, bai2, mt940, lockbox, remittance_csv).
    `skipped_debits` and `skipped_reversals` count entries that are not incoming customer money.
    """

    source: str
    format: str
    transactions: tuple[BankTransaction, ...]
    skipped_debits: int = 0
    skipped_reversals: int = 0
    accounts: tuple[str, ...] = ()
    period_start: date | None = None
    period_end: date | None = None


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


class DisputeStatus(StrEnum):
    """An open dispute keeps its item out of dunning; a resolved one no longer does."""

    OPEN = "open"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class DunningAction:
    """A reminder recorded as sent (or queued): which item, at which dunning level, on which day.

    The record that keeps a level from being sent twice: the plan skips an item already dunned at
    its level (or a higher one).
    """

    customer_id: str
    item_id: str
    level: int
    sent_on: date
    channel: str = "email"


@dataclass(frozen=True, slots=True)
class Dispute:
    """A customer's objection to an item; while open, the item is not dunned.

    `reason` is a code (pricing, quantity, damaged, not_received, duplicate, short_pay, other — any
    text is kept); `amount` is the disputed part (None: the whole open amount).
    """

    item_id: str
    opened_on: date
    reason: str
    status: DisputeStatus = DisputeStatus.OPEN
    amount: Money | None = None
    owner: str | None = None
    resolution: str | None = None
    resolved_on: date | None = None
    dispute_id: str | None = None


@dataclass(frozen=True, slots=True)
class PromiseToPay:
    """A customer's promise to pay `amount` by `promise_date`, for some items (none listed: any).

    `made_on` is when it was given (unknown in a ledger folder's promises.csv); `cancelled` marks a
    promise a collector withdrew.
    """

    customer_id: str
    promise_date: date
    amount: Money
    item_ids: tuple[str, ...] = ()
    made_on: date | None = None
    promise_id: str | None = None
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class Ledger:
    """Everything known about a company's receivables, as records."""

    customers: tuple[Customer, ...] = ()
    profiles: tuple[CreditProfile, ...] = ()
    items: tuple[OpenItem, ...] = ()
    payments: tuple[Payment, ...] = ()
    writeoffs: tuple[WriteOff, ...] = ()
    orders: tuple[Order, ...] = field(default=())
