"""Credit review: which customers should be on hold, and why — the `review` step of `creditbridge run`.

A customer goes on hold when their exposure (open AR plus open orders) exceeds the credit limit
by more than a tolerance, or when they have a material amount past due for too long; a customer
on hold whose reasons have all cleared is released. Every decision carries the rule and the
figures it looked at, so a credit manager can see why without opening a spreadsheet.

The output is a wanted `ProfileValues` per customer whose hold should change; `core.writeback`
turns those into planned ERP changes (and four-eyes approvals for releases).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from creditbridge.core.model import CreditProfile, Ledger, OrderStatus, Reason
from creditbridge.core.ports import ProfileValues


@dataclass(frozen=True, slots=True)
class HoldPolicy:
    """When the review puts a customer on hold, and whether it releases them."""

    hold_when_over_limit: bool = True
    over_limit_tolerance_percent: Decimal = Decimal(0)
    hold_when_past_due_days_over: int | None = 90
    min_past_due_amount: Decimal = Decimal(0)
    release_when_clear: bool = True


@dataclass(frozen=True, slots=True)
class Exposure:
    """What a customer owes and has on order, in the customer's currency, as of a date."""

    customer_id: str
    currency: str
    open_ar: Decimal
    open_orders: Decimal
    past_due: Decimal
    oldest_past_due_days: int

    @property
    def total(self) -> Decimal:
        return self.open_ar + self.open_orders


@dataclass(frozen=True, slots=True)
class HoldDecision:
    customer_id: str
    hold: bool
    wanted: ProfileValues
    reasons: tuple[Reason, ...]


def exposures(ledger: Ledger, as_of: date) -> dict[str, Exposure]:
    """Open AR (open amounts as the ledger has them now), open orders and past-due age per customer."""
    currency = {c.customer_id: c.currency for c in ledger.customers}
    open_ar: dict[str, Decimal] = defaultdict(Decimal)
    past_due: dict[str, Decimal] = defaultdict(Decimal)
    oldest: dict[str, int] = defaultdict(int)
    for item in ledger.items:
        if item.invoice_date > as_of or item.open_amount.currency != currency.get(item.customer_id):
            continue
        open_ar[item.customer_id] += item.open_amount.amount
        days = (as_of - item.due_date).days
        if days > 0 and item.open_amount.amount > 0:
            past_due[item.customer_id] += item.open_amount.amount
            oldest[item.customer_id] = max(oldest[item.customer_id], days)
    orders: dict[str, Decimal] = defaultdict(Decimal)
    for order in ledger.orders:
        if order.status is OrderStatus.OPEN and order.amount.currency == currency.get(order.customer_id):
            orders[order.customer_id] += order.amount.amount
    return {
        cid: Exposure(cid, cur, open_ar[cid], orders[cid], past_due[cid], oldest[cid])
        for cid, cur in currency.items()
    }


def review_holds(
    profiles: Iterable[CreditProfile], exposure: Mapping[str, Exposure], policy: HoldPolicy
) -> tuple[HoldDecision, ...]:
    """Customers whose hold should change, with the reasons; customers already right are left out."""
    decisions = []
    for profile in profiles:
        found = exposure.get(profile.customer_id)
        if found is None:
            continue
        reasons = _hold_reasons(profile, found, policy)
        if reasons and not profile.on_hold:
            decisions.append(_decision(profile, found, True, tuple(reasons)))
        elif not reasons and profile.on_hold and policy.release_when_clear:
            cleared = Reason(
                "hold_cleared",
                "no hold rule applies any more",
                (("exposure", str(found.total)), ("past_due", str(found.past_due))),
            )
            decisions.append(_decision(profile, found, False, (cleared,)))
    return tuple(decisions)


def _hold_reasons(profile: CreditProfile, found: Exposure, policy: HoldPolicy) -> list[Reason]:
    reasons = []
    limit = profile.credit_limit
    if policy.hold_when_over_limit and limit is not None:
        allowed = limit.amount * (1 + policy.over_limit_tolerance_percent / 100)
        if found.total > allowed:
            reasons.append(Reason(
                "over_limit",
                f"exposure {_shown(found.total)} exceeds the credit limit {_shown(limit.amount)} {limit.currency}",
                (("open_ar", str(found.open_ar)), ("open_orders", str(found.open_orders)),
                 ("credit_limit", str(limit.amount)), ("tolerance_percent", str(policy.over_limit_tolerance_percent))),
            ))  # fmt: skip
    days = policy.hold_when_past_due_days_over
    if days is not None and found.oldest_past_due_days > days and found.past_due > policy.min_past_due_amount:
        reasons.append(Reason(
            "past_due",
            f"{_shown(found.past_due)} {found.currency} past due, oldest {found.oldest_past_due_days} days (> {days})",
            (("past_due", str(found.past_due)), ("oldest_past_due_days", str(found.oldest_past_due_days))),
        ))  # fmt: skip
    return reasons


def _shown(amount: Decimal) -> str:
    """An amount as a person reads it in a reason: thousands separators, cents."""
    return f"{amount.quantize(Decimal('0.01')):,}"


def _decision(profile: CreditProfile, found: Exposure, hold: bool, reasons: tuple[Reason, ...]) -> HoldDecision:
    limit = profile.credit_limit
    wanted = ProfileValues(
        credit_limit=None if limit is None else limit.amount,
        on_hold=hold,
        currency=limit.currency if limit is not None else found.currency,
    )
    return HoldDecision(profile.customer_id, hold, wanted, reasons)
