"""Recording what a collector learns: a promise to pay, a dispute — each with its line in the contact log.

Why one module: `promises add` / `disputes open` on the command line and the web workspace's
"record promise" / "open dispute" must check the same things (the customer and the invoice exist,
the invoice is the customer's, the reason is a known code, the amount is a positive amount the
store can hold) and write the same rows, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from creditbridge.core.collections import REASON_CODES
from creditbridge.core.money import Money, MoneyError, parse_decimal, to_units
from creditbridge.sync.collections.repository import add_note, add_promise, customer_currency, item_owner, open_dispute

_MAX_UNITS = 2**63 - 1
"""The largest amount the store's BIGINT money columns hold, in units."""


class RecordingError(ValueError):
    """What the collector typed cannot be recorded; `field` names the input that is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class UnknownRecord(LookupError):
    """The customer or invoice is not in the store."""


@dataclass(frozen=True, slots=True)
class Recorded:
    id: int
    customer_id: str
    currency: str


def parse_amount(text: str, field: str = "amount") -> Decimal:
    """A positive amount the store can hold exactly (at most 4 decimal places); `RecordingError` otherwise."""
    try:
        value = parse_decimal(text)
    except MoneyError:
        raise RecordingError(field, f"{text!r} is not an amount") from None
    if value <= 0:
        raise RecordingError(field, "must be more than 0")
    try:
        units = to_units(value)
    except MoneyError:
        raise RecordingError(field, f"{text!r} has more than 4 decimal places") from None
    if units > _MAX_UNITS:
        raise RecordingError(field, f"{text!r} is too large")
    return value


def record_promise(
    conn: sa.Connection,
    customer_id: str,
    promise_date: date,
    amount: Decimal,
    invoices: Iterable[str] = (),
    made_on: date | None = None,
    owner: str | None = None,
    note: str | None = None,
) -> Recorded:
    """Insert a promise (in the customer's currency, or its invoices') and a note saying so."""
    currency = customer_currency(conn, customer_id)
    if currency is None:
        raise UnknownRecord(f"there is no customer {customer_id!r} in the store")
    numbers = tuple(invoices)
    for number in numbers:
        owner_of = item_owner(conn, number)
        if owner_of is None or owner_of[0] != customer_id:
            raise RecordingError("invoice", f"{number!r} is not an invoice of {customer_id}")
        currency = owner_of[1]
    given = made_on or date.today()
    promise_id = add_promise(conn, customer_id, promise_date, Money(amount, currency), numbers, given, owner, note)
    text = f"promise #{promise_id}: {amount} {currency} by {promise_date}" + (f" ({note})" if note else "")
    add_note(conn, customer_id, "note", text, owner=owner)
    return Recorded(promise_id, customer_id, currency)


def open_dispute_on(
    conn: sa.Connection,
    invoice: str,
    reason: str,
    amount: Decimal | None = None,
    owner: str | None = None,
    note: str | None = None,
    opened_on: date | None = None,
    customer_id: str | None = None,
) -> Recorded:
    """Open a dispute on `invoice` (of `customer_id`, when given) and add an open inquiry to the contact log."""
    if reason not in REASON_CODES:
        raise RecordingError("reason", f"{reason!r} is not a reason code; use one of {', '.join(REASON_CODES)}")
    found = item_owner(conn, invoice)
    if found is None or (customer_id is not None and found[0] != customer_id):
        of = f" of {customer_id}" if customer_id is not None else ""
        raise UnknownRecord(f"there is no invoice {invoice!r}{of} in the store")
    owner_id, currency = found
    day = opened_on or date.today()
    dispute_id = open_dispute(conn, invoice, owner_id, day, reason, currency, amount, owner, note)
    text = f"dispute #{dispute_id} opened on {invoice}: {reason}" + (f" ({note})" if note else "")
    add_note(conn, owner_id, "inquiry", text, status="open", owner=owner)
    return Recorded(dispute_id, owner_id, currency)
