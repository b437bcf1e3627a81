"""The collector's worklist: customers with overdue money, most worth a call first.

Priority = amount^a × days^d × risk^r with the policy's weights (exponents): the overdue amount a
collector can chase (not disputed, not under an open promise), the oldest item's days past due,
and the risk factor of the customer's class. Highest first; ties by customer id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from creditbridge.core.collections.plan import DunningPlan, SkipReason, overdue_items
from creditbridge.core.collections.policy import DunningPolicy
from creditbridge.core.model import Ledger
from creditbridge.core.money import Money


@dataclass(frozen=True, slots=True)
class WorklistEntry:
    customer_id: str
    customer_name: str
    currency: str
    risk_class: str | None
    overdue: Decimal
    disputed: Decimal
    promised: Decimal
    items: int
    max_days_past_due: int
    level: int
    next_action: str
    priority: Decimal
    last_contact: str | None = None

    def as_dict(self) -> dict[str, object]:
        """Amounts rounded to the currency's minor unit, the priority to 2 places (for JSON and CSV)."""

        def cents(amount: Decimal) -> Decimal:
            return Money(amount, self.currency).quantize().amount

        return {
            "customer_id": self.customer_id,
            "customer_name": self.customer_name,
            "currency": self.currency,
            "risk_class": self.risk_class,
            "overdue": cents(self.overdue),
            "disputed": cents(self.disputed),
            "promised": cents(self.promised),
            "items": self.items,
            "max_days_past_due": self.max_days_past_due,
            "level": self.level,
            "next_action": self.next_action,
            "priority": self.priority.quantize(Decimal("0.01")),
            "last_contact": self.last_contact,
        }


def priority(amount: Decimal, days: int, risk: Decimal, policy: DunningPolicy) -> Decimal:
    """amount^a × days^d × risk^r (non-positive amounts and days count as 1, so nothing goes to zero)."""
    w = policy.weights
    value = _power(max(amount, Decimal(1)), w.amount) * _power(Decimal(max(days, 1)), w.days)
    return (value * _power(risk, w.risk)).quantize(Decimal("0.01"))


def _power(base: Decimal, exponent: Decimal) -> Decimal:
    if exponent == 0:
        return Decimal(1)
    if exponent == 1:
        return base
    return base**exponent


def build_worklist(
    ledger: Ledger,
    as_of: date,
    policy: DunningPolicy,
    plan: DunningPlan,
    last_contacts: Mapping[str, str] | None = None,
) -> list[WorklistEntry]:
    """One entry per customer and currency with overdue items, by priority (highest first)."""
    held = {(s.customer_id, s.item_id): s.reason for s in plan.skipped}
    planned_level = {m.customer_id: (m.level, m.channel) for m in plan.messages}
    names = {c.customer_id: c.name for c in ledger.customers}
    risk = {p.customer_id: p.risk_class for p in ledger.profiles}
    entries: list[WorklistEntry] = []
    for customer_id, items in overdue_items(ledger, as_of, policy).items():
        for currency in sorted({i.currency for i in items}):
            own = [i for i in items if i.currency == currency]
            chase = [
                i for i in own if held.get((customer_id, i.item_id)) not in (SkipReason.DISPUTED, SkipReason.PROMISED)
            ]
            disputed = sum(
                (i.open_amount for i in own if held.get((customer_id, i.item_id)) is SkipReason.DISPUTED), Decimal(0)
            )
            promised = sum(
                (i.open_amount for i in own if held.get((customer_id, i.item_id)) is SkipReason.PROMISED), Decimal(0)
            )
            amount = sum((i.open_amount for i in chase), Decimal(0))
            days = max((i.days_past_due for i in chase), default=0)
            level = max((i.level for i in own), default=0)
            if customer_id in planned_level:
                lvl, channel = planned_level[customer_id]
                if channel == "escalation":
                    action = "escalate (agency/legal)"
                elif channel == "call":
                    action = f"call (level {lvl})"
                else:
                    action = f"send level {lvl} ({channel})"
            elif not chase:
                action = "wait (disputed or promised)"
            else:
                reasons = {held.get((customer_id, i.item_id)) for i in chase}
                if reasons == {SkipReason.COVERED}:
                    action = "apply the unapplied cash"
                elif reasons == {SkipReason.BELOW_MINIMUM}:
                    action = "small balance (below minimum)"
                else:
                    action = "follow up (reminder sent)"
            factor = policy.weights.risk_factor(risk.get(customer_id))
            entries.append(
                WorklistEntry(
                    customer_id=customer_id,
                    customer_name=names.get(customer_id, customer_id),
                    currency=currency,
                    risk_class=risk.get(customer_id),
                    overdue=amount,
                    disputed=disputed,
                    promised=promised,
                    items=len(own),
                    max_days_past_due=days,
                    level=level,
                    next_action=action,
                    priority=priority(amount, days, factor, policy) if chase else Decimal(0),
                    last_contact=(last_contacts or {}).get(customer_id),
                )
            )
    entries.sort(key=lambda e: (-e.priority, e.customer_id, e.currency))
    return entries


def escalations(plan: DunningPlan, policy: DunningPolicy, risk: Mapping[str, str | None]) -> list[str]:
    """Customers whose message today is at the escalation level: to be placed with an agency or lawyer."""
    found = []
    for message in plan.messages:
        schedule = policy.schedule_for(risk.get(message.customer_id))
        if schedule.escalation is not None and message.level == schedule.escalation_level:
            found.append(message.customer_id)
    return found
