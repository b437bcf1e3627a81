"""The credit check of a new order: may this customer take an order of this amount?

Exposure = open AR (open amounts of every INV, DM and CM invoiced on or before `as_of`, CMs
negative, as `core.review.exposures` counts them) + open orders + the new order, in the
customer's currency. Rules, all evaluated, the strongest deciding (hold > review > warn > approve):
- hold: there is no credit limit (`no_limit`); the customer is on hold (`on_hold`; with group
  exposure, also when the group's parent is on hold: `group_on_hold`); exposure > limit (`over_limit`);
- review: an open item (open amount > 0) is more than `review_past_due_days` (30) days past due (`past_due`);
- warn: `warn_percent` (80) % of the limit <= exposure <= the limit (`near_limit`; over it is `over_limit`);
- approve: none of the above (`within_limit`).
With `group_exposure`, a customer with a `parent_id` is checked as its group: the parent's limit,
the exposure (and past-due items) of the parent and every customer whose parent it is.
Pure: no I/O; amounts stay Decimal, never float.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from creditbridge.core.model import CreditDecision, CreditProfile, Customer, Ledger, Reason
from creditbridge.core.money import Money, MoneyError, minor_digits
from creditbridge.core.review import Exposure, exposures

DECISIONS: tuple[str, ...] = ("approve", "warn", "review", "hold")
"""The outcomes, weakest first: the strongest rule that applies decides."""

_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")


class CreditCheckError(ValueError):
    """The check cannot be made as asked (a user can fix it)."""


class UnknownCustomer(CreditCheckError):
    """No customer with that id in the ledger."""


class OrderCurrencyError(CreditCheckError):
    """The order (or the limit) is in another currency than the customer's."""


@dataclass(frozen=True, slots=True)
class CreditPolicy:
    """The thresholds of the order check; `group_exposure` checks a customer together with its parent group.

    `count_open_ar` / `count_open_orders` say which components make up the exposure (the order always counts).
    """

    warn_percent: Decimal = Decimal(80)
    review_past_due_days: int = 30
    group_exposure: bool = False
    count_open_ar: bool = True
    count_open_orders: bool = True


@dataclass(frozen=True, slots=True)
class OrderExposure:
    """The exposure after the order, by component, in `currency`."""

    currency: str
    open_ar: Decimal
    open_orders: Decimal
    order: Decimal

    @property
    def total(self) -> Decimal:
        return self.open_ar + self.open_orders + self.order


@dataclass(frozen=True, slots=True)
class OrderDecision:
    """The answer to 'may this customer take this order?', with the exposure, the limit and the reasons.

    `scope` is the customer id whose limit applied: the customer's own, or its group's parent.
    """

    customer_id: str
    as_of: date
    decision: str
    exposure: OrderExposure
    credit_limit: Money | None
    reasons: tuple[Reason, ...]
    scope: str
    group: tuple[str, ...] = ()

    @property
    def available(self) -> Decimal | None:
        """Limit less exposure after the order (negative when over); None without a limit."""
        return None if self.credit_limit is None else self.credit_limit.amount - self.exposure.total

    @property
    def utilization(self) -> Decimal | None:
        """Exposure after the order as a percent of the limit, 2 places (half up); None without a (non-zero) limit."""
        if self.credit_limit is None or self.credit_limit.amount == 0:
            return None
        return (self.exposure.total * _HUNDRED / self.credit_limit.amount).quantize(_CENT, ROUND_HALF_UP)

    def as_credit_decision(self) -> CreditDecision:
        """The decision as core.model's `CreditDecision` (outcome, reasons, exposure total, limit)."""
        total = Money(self.exposure.total, self.exposure.currency)
        return CreditDecision(self.customer_id, self.decision, self.reasons, total, self.credit_limit)

    def as_dict(self) -> dict[str, Any]:
        """The contract's keys, amounts as Decimal (serialize with simplejson's use_decimal).

        Amounts keep every digit, shown with at least the currency's minor digits (1000.0000 -> 1000.00,
        never rounded). Figures of reasons are strings in `Reason`; here the numeric ones become Decimal.
        """
        limit = self.credit_limit
        cur = self.exposure.currency
        return {
            "customer_id": self.customer_id,
            "as_of": self.as_of.isoformat(),
            "currency": self.exposure.currency,
            "decision": self.decision,
            "limit": None if limit is None else {"amount": _exact(limit.amount, cur), "currency": limit.currency},
            "exposure": {
                "open_ar": _exact(self.exposure.open_ar, cur),
                "open_orders": _exact(self.exposure.open_orders, cur),
                "order": _exact(self.exposure.order, cur),
                "total": _exact(self.exposure.total, cur),
                "currency": cur,
            },
            "available": None if self.available is None else _exact(self.available, cur),
            "utilization": self.utilization,
            "scope": self.scope,
            "group": list(self.group),
            "reasons": [
                {"rule": r.rule, "message": r.message, "figures": {k: _figure(v) for k, v in r.figures}}
                for r in self.reasons
            ],
        }


@dataclass(frozen=True, slots=True)
class ExposureView:
    """What the check looks at: customers, their credit profiles and their exposures as of a date.

    From a ledger with `ExposureView.of_ledger`; a store builds it from indexed aggregate queries
    (sync/store/credit_reads.py), so both modes run the same rules in `check_exposure`.
    `exposures` needs an entry for every customer the check reads (the customer and its group).
    """

    customers: tuple[Customer, ...]
    profiles: tuple[CreditProfile, ...]
    exposures: Mapping[str, Exposure]

    @classmethod
    def of_ledger(cls, ledger: Ledger, as_of: date) -> ExposureView:
        return cls(ledger.customers, ledger.profiles, exposures(ledger, as_of))


def check_order(
    ledger: Ledger,
    customer_id: str,
    amount: Decimal | Money,
    as_of: date,
    policy: CreditPolicy | None = None,
) -> OrderDecision:
    """Check a new order of `amount` (in the customer's currency, unless Money says otherwise) as of `as_of`.

    Raises `UnknownCustomer`, `OrderCurrencyError` (order or limit in another currency) or
    `CreditCheckError` (a negative amount).
    """
    return check_exposure(ExposureView.of_ledger(ledger, as_of), customer_id, amount, as_of, policy)


def check_exposure(
    view: ExposureView,
    customer_id: str,
    amount: Decimal | Money,
    as_of: date,
    policy: CreditPolicy | None = None,
) -> OrderDecision:
    """`check_order` on exposures already computed (the rules of the module docstring)."""
    policy = policy or CreditPolicy()
    customers = {c.customer_id: c for c in view.customers}
    customer = customers.get(customer_id)
    if customer is None:
        raise UnknownCustomer(f"no customer {customer_id!r} in the ledger")
    order = _order_amount(customer, amount)
    scope = customer.parent_id if policy.group_exposure and customer.parent_id in customers else None
    scope = scope or customer.customer_id
    members = _members(view.customers, scope) if policy.group_exposure else (customer.customer_id,)
    scope_currency = customers[scope].currency
    for member in members:
        if customers[member].currency != scope_currency:
            raise OrderCurrencyError(
                f"customer {member} is in {customers[member].currency}, its group {scope} in {scope_currency}"
            )
    if customer.currency != scope_currency:
        raise OrderCurrencyError(f"customer {customer_id} is in {customer.currency}, its group in {scope_currency}")

    found = view.exposures
    open_ar = sum((found[m].open_ar for m in members), Decimal(0)) if policy.count_open_ar else Decimal(0)
    open_orders = sum((found[m].open_orders for m in members), Decimal(0)) if policy.count_open_orders else Decimal(0)
    exposure = OrderExposure(scope_currency, open_ar, open_orders, order)

    profiles = {p.customer_id: p for p in view.profiles}
    limit = _profile(profiles, scope).credit_limit
    if limit is not None and limit.currency != scope_currency:
        raise OrderCurrencyError(
            f"the credit limit of {scope} is in {limit.currency}, the customer in {scope_currency}"
        )

    reasons: list[tuple[str, Reason]] = []
    reasons += [("hold", r) for r in _hold_reasons(customer, scope, profiles, exposure, limit)]
    reasons += [("review", r) for r in _review_reasons(members, found, policy, scope_currency)]
    if limit is not None and limit.amount * policy.warn_percent <= exposure.total * _HUNDRED <= limit.amount * _HUNDRED:
        reasons.append(("warn", Reason(
            "near_limit",
            f"exposure {_shown(exposure.total)} is {_percent(exposure.total, limit.amount)} of the credit limit "
            f"{_shown(limit.amount)} {limit.currency} (warn from {policy.warn_percent} %)",
            (*_exposure_figures(exposure), ("credit_limit", str(limit.amount)),
             ("warn_percent", str(policy.warn_percent))),
        )))  # fmt: skip
    if not reasons:
        assert limit is not None  # no limit is a hold reason
        reasons.append(("approve", Reason(
            "within_limit",
            f"exposure {_shown(exposure.total)} is within {policy.warn_percent} % of the credit limit "
            f"{_shown(limit.amount)} {limit.currency}",
            (*_exposure_figures(exposure), ("credit_limit", str(limit.amount))),
        )))  # fmt: skip
    decision = max((d for d, _ in reasons), key=DECISIONS.index)
    ordered = tuple(r for _, r in sorted(reasons, key=lambda dr: -DECISIONS.index(dr[0])))
    group = members if policy.group_exposure and len(members) > 1 else ()
    return OrderDecision(customer_id, as_of, decision, exposure, limit, ordered, scope, group)


def _order_amount(customer: Customer, amount: Decimal | Money) -> Decimal:
    if isinstance(amount, Money):
        if amount.currency != customer.currency:
            raise OrderCurrencyError(
                f"the order is in {amount.currency}, customer {customer.customer_id} buys in {customer.currency}"
            )
        value = amount.amount
    else:
        value = amount
    if value < 0:
        raise CreditCheckError(f"the order amount must not be negative, got {value}")
    return value


def _members(customers: tuple[Customer, ...], scope: str) -> tuple[str, ...]:
    """The parent `scope` and the customers whose parent it is, in ledger order."""
    return tuple(c.customer_id for c in customers if c.customer_id == scope or c.parent_id == scope)


def _profile(profiles: dict[str, CreditProfile], customer_id: str) -> CreditProfile:
    return profiles.get(customer_id) or CreditProfile(customer_id, None)


def _hold_reasons(
    customer: Customer,
    scope: str,
    profiles: dict[str, CreditProfile],
    exposure: OrderExposure,
    limit: Money | None,
) -> list[Reason]:
    reasons = []
    if limit is None:
        whose = "the customer" if scope == customer.customer_id else f"the group's parent {scope}"
        reasons.append(Reason("no_limit", f"{whose} has no credit limit", _exposure_figures(exposure)))
    if _profile(profiles, customer.customer_id).on_hold:
        reasons.append(Reason("on_hold", f"customer {customer.customer_id} is on credit hold"))
    if scope != customer.customer_id and _profile(profiles, scope).on_hold:
        reasons.append(Reason("group_on_hold", f"the group's parent {scope} is on credit hold"))
    if limit is not None and exposure.total > limit.amount:
        reasons.append(Reason(
            "over_limit",
            f"exposure {_shown(exposure.total)} exceeds the credit limit {_shown(limit.amount)} {limit.currency} "
            f"by {_shown(exposure.total - limit.amount)}",
            (*_exposure_figures(exposure), ("credit_limit", str(limit.amount))),
        ))  # fmt: skip
    return reasons


def _review_reasons(
    members: tuple[str, ...], found: Mapping[str, Exposure], policy: CreditPolicy, currency: str
) -> list[Reason]:
    overdue = [found[m] for m in members if found[m].oldest_past_due_days > policy.review_past_due_days]
    if not overdue:
        return []
    oldest = max(e.oldest_past_due_days for e in overdue)
    past_due = sum((found[m].past_due for m in members), Decimal(0))
    return [Reason(
        "past_due",
        f"{_shown(past_due)} {currency} past due, oldest {oldest} days (review after {policy.review_past_due_days})",
        (("past_due", str(past_due)), ("oldest_past_due_days", str(oldest)),
         ("review_past_due_days", str(policy.review_past_due_days))),
    )]  # fmt: skip


def _exposure_figures(exposure: OrderExposure) -> tuple[tuple[str, str], ...]:
    return (
        ("open_ar", str(exposure.open_ar)),
        ("open_orders", str(exposure.open_orders)),
        ("order", str(exposure.order)),
        ("exposure", str(exposure.total)),
    )


def _shown(amount: Decimal) -> str:
    return f"{amount.quantize(_CENT):,}"


def _percent(part: Decimal, whole: Decimal) -> str:
    if whole == 0:
        return "∞ %"
    return f"{(part * _HUNDRED / whole).quantize(_CENT, ROUND_HALF_UP)} %"


def _exact(amount: Decimal, currency: str) -> Decimal:
    """The same value with the currency's minor digits when that loses nothing, else all its digits."""
    minor = Decimal(1).scaleb(-minor_digits(currency))
    rounded = amount.quantize(minor)
    if rounded == amount:
        return rounded
    return amount.normalize()


def _figure(value: str) -> Decimal | str:
    """A figure as a number when it is one (amounts, days, percents); text otherwise."""
    try:
        number = Decimal(value)
    except ArithmeticError:
        return value
    return number if number.is_finite() else value


def check_order_in(
    ledger: Ledger | ExposureView,
    customer_id: str,
    amount: Decimal,
    currency: str | None,
    as_of: date,
    policy: CreditPolicy | None = None,
) -> OrderDecision:
    """`check_order` (or `check_exposure` on a view) for an amount in `currency` (default: the customer's), as the
    CLI and the service ask.

    Raises `CreditCheckError` (`UnknownCustomer`, `OrderCurrencyError`) for what the caller can fix.
    """
    if currency is None:
        found = next((c for c in ledger.customers if c.customer_id == customer_id), None)
        currency = found.currency if found is not None else "XXX"
    try:
        order: Money | Decimal = Money(amount, currency)
    except MoneyError as exc:
        raise CreditCheckError(str(exc)) from None
    if isinstance(ledger, ExposureView):
        return check_exposure(ledger, customer_id, order, as_of, policy)
    return check_order(ledger, customer_id, order, as_of, policy)
