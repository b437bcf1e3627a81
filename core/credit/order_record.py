"""An order check as a stored decision: its inputs as plain data, and the check made again from them.

Why: every credit decision is kept with what it looked at and the policy that made it, so anyone can
see later why an order was held, and `credit decisions show` can decide it again (`reproduced`). The
inputs are the check's own view of the customer (and its group): names, limits, holds and exposures
as of the check's date, every amount as exact decimal text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from creditbridge.core.credit.order_check import CreditPolicy, ExposureView, OrderDecision, check_order_in
from creditbridge.core.model import CreditProfile, Customer
from creditbridge.core.money import Money
from creditbridge.core.review import Exposure


def order_check_inputs(
    view: ExposureView, decision: OrderDecision, amount: Decimal, currency: str | None
) -> dict[str, Any]:
    """What the check of `decision` looked at: the order, and the view of the customers it read."""
    ids = {decision.customer_id, decision.scope, *decision.group}
    return {
        "customer_id": decision.customer_id,
        "amount": str(amount),
        "currency": currency,
        "as_of": decision.as_of.isoformat(),
        "customers": [
            {"customer_id": c.customer_id, "name": c.name, "currency": c.currency, "parent_id": c.parent_id}
            for c in view.customers if c.customer_id in ids
        ],
        "profiles": [
            {"customer_id": p.customer_id, "on_hold": p.on_hold,
             "credit_limit": None if p.credit_limit is None else str(p.credit_limit.amount),
             "limit_currency": None if p.credit_limit is None else p.credit_limit.currency}
            for p in view.profiles if p.customer_id in ids
        ],
        "exposures": [
            {"customer_id": e.customer_id, "currency": e.currency, "open_ar": str(e.open_ar),
             "open_orders": str(e.open_orders), "past_due": str(e.past_due),
             "oldest_past_due_days": e.oldest_past_due_days}
            for cid, e in sorted(view.exposures.items()) if cid in ids
        ],
    }  # fmt: skip


def replay_order_check(policy: CreditPolicy, inputs: Mapping[str, Any]) -> OrderDecision:
    """The check decided again from `order_check_inputs` under `policy`."""
    customers = tuple(
        Customer(c["customer_id"], c["name"], c["currency"], parent_id=c["parent_id"]) for c in inputs["customers"]
    )
    profiles = tuple(
        CreditProfile(
            p["customer_id"],
            None if p["credit_limit"] is None else Money(Decimal(p["credit_limit"]), p["limit_currency"]),
            bool(p["on_hold"]),
        )
        for p in inputs["profiles"]
    )
    exposures = {
        e["customer_id"]: Exposure(
            e["customer_id"], e["currency"], Decimal(e["open_ar"]), Decimal(e["open_orders"]),
            Decimal(e["past_due"]), int(e["oldest_past_due_days"]),
        )
        for e in inputs["exposures"]
    }
    view = ExposureView(customers, profiles, exposures)
    return check_order_in(view, str(inputs["customer_id"]), Decimal(inputs["amount"]), inputs["currency"],
                          date.fromisoformat(inputs["as_of"]), policy)  # fmt: skip
