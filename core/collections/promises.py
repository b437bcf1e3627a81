"""Promises to pay: kept, broken or still open, decided from the payments the ledger shows.

Why from payments and not from a collector's tick box: the ledger is the truth of what came in.
A promise counts the customer's money received between the day it was made (or, unknown,
`promise_window_days` before the promise date) and the promise date plus the tolerance — applied
to the promised items when it names items, any payment of the customer when it does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from creditbridge.core.model import Payment, PromiseToPay
from creditbridge.core.money import Money


class PromiseStatus(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    BROKEN = "broken"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class PromiseOutcome:
    """A promise with its status at a date and the money counted towards it."""

    promise: PromiseToPay
    status: PromiseStatus
    paid: Money

    @property
    def is_open(self) -> bool:
        return self.status is PromiseStatus.OPEN


def promise_outcome(
    promise: PromiseToPay,
    payments: Iterable[Payment],
    as_of: date,
    *,
    tolerance_days: int = 0,
    window_days: int = 30,
) -> PromiseOutcome:
    """The status of `promise` at the end of `as_of`, counting only money dated on or before it."""
    currency = promise.amount.currency
    start = promise.made_on if promise.made_on is not None else promise.promise_date - timedelta(days=window_days)
    deadline = promise.promise_date + timedelta(days=tolerance_days)
    last = min(deadline, as_of)
    wanted = set(promise.item_ids)
    paid = Decimal(0)
    for payment in payments:
        if payment.customer_id != promise.customer_id or payment.amount.currency != currency:
            continue
        if not start <= payment.payment_date <= last:
            continue
        if wanted:
            paid += sum((a.amount.amount for a in payment.applications if a.item_id in wanted), Decimal(0))
        else:
            paid += payment.amount.amount
    counted = Money(paid, currency)
    if promise.cancelled:
        status = PromiseStatus.CANCELLED
    elif counted >= promise.amount:
        status = PromiseStatus.KEPT
    elif as_of > deadline:
        status = PromiseStatus.BROKEN
    else:
        status = PromiseStatus.OPEN
    return PromiseOutcome(promise, status, counted)


def kept_rate(outcomes: Iterable[PromiseOutcome]) -> Decimal | None:
    """Kept ÷ (kept + broken) × 100; None while no promise has come due."""
    kept = broken = 0
    for outcome in outcomes:
        kept += outcome.status is PromiseStatus.KEPT
        broken += outcome.status is PromiseStatus.BROKEN
    if kept + broken == 0:
        return None
    return Decimal(kept * 100) / Decimal(kept + broken)
