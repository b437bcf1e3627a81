"""What the core needs from an ERP, split by capability (DESIGN.md "Ports").

An adapter (QuickBooks, SAP, Oracle, a ledger folder, the in-memory ERP of the tests) implements
the protocols for what its ERP can do and says so in `capabilities`; the shell never calls a
capability an adapter lacks. Every adapter passes the same contract suite (tests/contract).

Reading is change-based, so one loop serves a first full load and every incremental pull:
`read_changes(entity, since, page_token)` returns one page of changes with `changed_at >= since`
(inclusive: a record stamped exactly at the cursor is read again and deduplicated by key, so a
late commit at the same timestamp is never missed). Pages are continued with the opaque
`next_page_token`; `served_at` is the ERP's clock when the page was served, which the shell uses
as the next sweep's cursor (anything changed after the sweep began is read again next time).
A deletion is a `Change` whose `record` is None.

Writing a credit profile is compare-and-set: the write names the ERP version last seen and the
values it expects to replace; an ERP whose record moved on returns CONFLICT, never overwrites.
The idempotency key is fixed by the caller before the first attempt and reused on every retry.
Transport failures raise the `ErpError` tree below (they are not business outcomes): a
`WriteOutcomeUnknown` means the ERP may or may not have applied the write, so the caller must
read the record back before any resend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable

from creditbridge.core.model import CreditProfile, Customer, OpenItem, Order, Payment, WriteOff
from creditbridge.core.money import Money


class Capability(StrEnum):
    READ_CUSTOMERS = "read_customers"
    READ_OPEN_ITEMS = "read_open_items"
    READ_PAYMENTS = "read_payments"
    READ_ORDERS = "read_orders"
    READ_WRITEOFFS = "read_writeoffs"
    READ_CREDIT_PROFILES = "read_credit_profiles"
    READ_DELETIONS = "read_deletions"  # deletions come back as tombstones; without it a full sweep finds them
    WRITE_CREDIT_PROFILE = "write_credit_profile"
    POST_CASH_APPLICATION = "post_cash_application"


class Entity(StrEnum):
    """What can be pulled; the value is the entity name in cursors, the store and messages."""

    CUSTOMERS = "customers"
    CREDIT_PROFILES = "credit_profiles"
    OPEN_ITEMS = "open_items"
    PAYMENTS = "payments"
    ORDERS = "orders"
    WRITEOFFS = "writeoffs"


READ_CAPABILITY: dict[Entity, Capability] = {
    Entity.CUSTOMERS: Capability.READ_CUSTOMERS,
    Entity.CREDIT_PROFILES: Capability.READ_CREDIT_PROFILES,
    Entity.OPEN_ITEMS: Capability.READ_OPEN_ITEMS,
    Entity.PAYMENTS: Capability.READ_PAYMENTS,
    Entity.ORDERS: Capability.READ_ORDERS,
    Entity.WRITEOFFS: Capability.READ_WRITEOFFS,
}

Record = Customer | CreditProfile | OpenItem | Payment | Order | WriteOff


def writeoff_key(item_id: str, n: int) -> str:
    """The ERP key of the n-th (1-based) write-off of an item, for ERPs that give write-offs no id."""
    return f"{item_id}#{n}"


def own_key(record: Record) -> str | None:
    """The ERP key a record carries itself; None for write-offs, which have no id of their own."""
    match record:
        case Customer() | CreditProfile():
            return record.customer_id
        case OpenItem():
            return record.item_id
        case Payment():
            return record.payment_id
        case Order():
            return record.order_number
    return None


@dataclass(frozen=True, slots=True)
class Change:
    """One record as the ERP has it now, or its deletion (`record` None), stamped by the ERP."""

    entity: Entity
    key: str
    changed_at: datetime
    record: Record | None
    version: str | None = None

    @property
    def deleted(self) -> bool:
        return self.record is None


@dataclass(frozen=True, slots=True)
class ChangePage:
    """A page of changes in ERP order, the token to continue, and the ERP's clock when served."""

    entity: Entity
    changes: tuple[Change, ...]
    next_page_token: str | None
    served_at: datetime


@runtime_checkable
class ChangeReader(Protocol):
    """Reads changed records of an entity, page by page (see the module docstring)."""

    def read_changes(self, entity: Entity, since: datetime | None, page_token: str | None = None) -> ChangePage:
        """Changes with changed_at >= since (all records when since is None), one page."""
        ...


@dataclass(frozen=True, slots=True)
class ReportedBalances:
    """Customer balances as the ERP reports them. `nets_unapplied_cash`: the ERP's balance already
    deducts payments not applied to a document (QuickBooks' Customer.Balance does), so it is
    compared with open items less unapplied cash."""

    balances: Mapping[str, Money]
    nets_unapplied_cash: bool = False
    gl_control: tuple[tuple[str, Money], ...] = ()
    """The AR control account(s) of the general ledger, (account, balance), when the ERP reports them."""


@runtime_checkable
class BalanceReader(Protocol):
    """The ERP's own receivables figures, for reconciliation against the replica."""

    def read_customer_balances(self) -> ReportedBalances | None:
        """Each customer's balance as the ERP reports it; None when the ERP does not report balances."""
        ...


@dataclass(frozen=True, slots=True)
class ProfileValues:
    """The write-back fields of a credit profile: the limit (None = no limit) and the hold."""

    credit_limit: Decimal | None
    on_hold: bool
    currency: str


@dataclass(frozen=True, slots=True)
class ProfileWrite:
    """A compare-and-set write of a customer's credit limit and hold."""

    customer_id: str
    expected_version: str | None
    expected: ProfileValues
    wanted: ProfileValues
    idempotency_key: str


class WriteOutcome(StrEnum):
    APPLIED = "applied"  # the ERP now has `wanted` (or already had it: a replayed key)
    CONFLICT = "conflict"  # the ERP's values are not `expected`: someone changed them; a person decides
    REJECTED = "rejected"  # the ERP refused the write for good (validation, permission)


@dataclass(frozen=True, slots=True)
class WriteResult:
    outcome: WriteOutcome
    current: CreditProfile | None
    erp_reference: str | None = None
    message: str | None = None


@runtime_checkable
class CreditProfileReader(Protocol):
    def read_credit_profile(self, customer_id: str) -> CreditProfile | None:
        """The customer's credit profile as the ERP has it now, with its version; None if unknown."""
        ...


@runtime_checkable
class CreditProfileWriter(CreditProfileReader, Protocol):
    def write_credit_profile(self, write: ProfileWrite) -> WriteResult:
        """Apply `write` if the ERP still has `expected` (and the version matches where it has one).

        A version mismatch with unchanged write-back fields is not a conflict: the adapter applies
        the write on the new version. Replaying an idempotency key the ERP has seen returns the
        first result and does not apply twice.
        """
        ...


@dataclass(frozen=True, slots=True)
class CashApplicationPosting:
    """A customer payment to record in the ERP and the open items it settles.

    `posting_key` is fixed by the caller before the first attempt (it becomes the ERP's
    idempotency key, e.g. QuickBooks `requestid`), so a resend after a lost response never
    records the payment twice. Item amounts are what is applied to each item (credit memos
    negative); their sum may be less than `amount` (the rest stays unapplied cash).
    """

    posting_key: str
    customer_id: str
    paid_on: date
    amount: Money
    reference: str | None
    applications: tuple[tuple[str, Money], ...]


@dataclass(frozen=True, slots=True)
class PostingResult:
    posting_key: str
    outcome: WriteOutcome
    erp_reference: str | None = None
    message: str | None = None


@runtime_checkable
class CashApplicationPoster(Protocol):
    def post_cash_applications(self, postings: Sequence[CashApplicationPosting]) -> tuple[PostingResult, ...]:
        """Record payments with their applications; one result per posting, in order (batched by the adapter)."""
        ...


class ErpAdapter(Protocol):
    """What every adapter has: a name and the capabilities it implements."""

    @property
    def erp_name(self) -> str: ...

    @property
    def capabilities(self) -> frozenset[Capability]: ...


class ErpError(Exception):
    """A call to the ERP failed for a reason other than a business outcome."""


class ErpUnavailable(ErpError):
    """Retriable: the ERP could not be reached or answered 429/5xx. Safe to retry reads."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class WriteOutcomeUnknown(ErpError):
    """The write was sent but no answer came back (timeout): read back before any resend."""


class ErpAuthError(ErpError):
    """Credentials were refused or expired beyond refresh: a person must reconnect."""


class ErpConfigError(ErpError):
    """The connection or mapping asks for something the ERP does not have (company, field, right)."""
