"""The dunning plan: which customer gets which reminder today, and why each other item does not.

One function, `plan_dunning`, serves the ledger folder (`collections plan --ledger`) and the store
(`collections plan|send`): the rules live only here. For each overdue item (invoice or debit memo
with money open at the as-of date) the level comes from its days past due less grace days, on the
schedule of the customer's risk class. Then, in this order:

1. an item under an open dispute is skipped (`disputed`);
2. an item under an open promise to pay (date not passed, not kept, not broken) is skipped
   (`promised`); a promise that names no items covers all the customer's items;
3. the customer's *dunnable total* is the open amount of its remaining overdue items (per
   currency); when its unapplied cash plus open credit memos cover it, every one of those items
   is skipped (`covered_by_unapplied_cash`); when it is below the minimum, they are skipped
   (`below_minimum`);
4. an item already dunned at its level (or a higher one) is skipped (`already_sent`);
5. what is left goes into one message per customer, at the highest level of its items, listing
   each item with its own level. Reaching the escalation days gives the escalation level
   (one above the last reminder level; channel `escalation`).

Open amounts are as of the as-of date: the ERP's open amount today with payments and write-offs
dated after the as-of date added back, so a plan for a past date is what it was then.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from creditbridge.core.collections.policy import DunningPolicy
from creditbridge.core.collections.promises import PromiseOutcome, promise_outcome
from creditbridge.core.model import Dispute as DisputeRecord
from creditbridge.core.model import (
    DisputeStatus,
    DocType,
    DunningAction,
    Ledger,
    OpenItem,
    Payment,
    PromiseToPay,
)


class SkipReason(StrEnum):
    """Why an overdue item is not in today's messages (the plan's `skipped[].reason`)."""

    DISPUTED = "disputed"
    PROMISED = "promised"
    COVERED = "covered_by_unapplied_cash"
    BELOW_MINIMUM = "below_minimum"
    ALREADY_SENT = "already_sent"


@dataclass(frozen=True, slots=True)
class PlannedItem:
    """An overdue item with its days past due (before grace), level and open amount at the as-of date."""

    item_id: str
    days_past_due: int
    level: int
    open_amount: Decimal
    currency: str
    due_date: date


@dataclass(frozen=True, slots=True)
class DunningMessage:
    """One message to one customer, at the highest level of its items."""

    customer_id: str
    level: int
    channel: str
    items: tuple[PlannedItem, ...]
    template: str | None = None

    def totals(self) -> dict[str, Decimal]:
        """Open amount per currency of the items listed."""
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for item in self.items:
            sums[item.currency] += item.open_amount
        return dict(sums)


@dataclass(frozen=True, slots=True)
class SkippedItem:
    customer_id: str
    item_id: str
    reason: SkipReason
    level: int


@dataclass(frozen=True, slots=True)
class DunningPlan:
    as_of: date
    messages: tuple[DunningMessage, ...]
    skipped: tuple[SkippedItem, ...]

    def as_dict(self) -> dict[str, list[dict[str, object]]]:
        """The plan's JSON shape (README): messages with their items, and skipped items with a reason."""
        return {
            "messages": [
                {
                    "customer_id": m.customer_id,
                    "level": m.level,
                    "channel": m.channel,
                    "items": [
                        {"invoice_number": i.item_id, "days_past_due": i.days_past_due, "level": i.level}
                        for i in m.items
                    ],
                }
                for m in self.messages
            ],
            "skipped": [
                {"customer_id": s.customer_id, "invoice_number": s.item_id, "reason": s.reason.value}
                for s in self.skipped
            ],
        }


def open_amounts_at(ledger: Ledger, as_of: date) -> dict[str, Decimal]:
    """Open amount of every item at the end of `as_of`: today's open amount plus later settlements."""
    later: dict[str, Decimal] = defaultdict(Decimal)
    for payment in ledger.payments:
        for application in payment.applications:
            if application.applied_on > as_of:
                later[application.item_id] += application.amount.amount
    for writeoff in ledger.writeoffs:
        if writeoff.written_off_on > as_of:
            later[writeoff.item_id] += writeoff.amount.amount
    return {
        item.item_id: item.open_amount.amount + later.get(item.item_id, Decimal(0))
        for item in ledger.items
        if item.invoice_date <= as_of
    }


def unapplied_credit(ledger: Ledger, as_of: date, open_at: Mapping[str, Decimal]) -> dict[tuple[str, str], Decimal]:
    """Per (customer, currency): unapplied cash of payments dated by `as_of` plus open credit memos."""
    credit: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for payment in ledger.payments:
        if payment.payment_date <= as_of:
            applied = sum((a.amount.amount for a in payment.applications if a.applied_on <= as_of), Decimal(0))
            rest = payment.amount.amount - applied
            if rest > 0:
                credit[(payment.customer_id, payment.amount.currency)] += rest
    for item in ledger.items:
        if item.doc_type is DocType.CREDIT_MEMO:
            still_open = open_at.get(item.item_id, Decimal(0))
            if still_open < 0:
                credit[(item.customer_id, item.amount.currency)] += -still_open
    return dict(credit)


def overdue_items(ledger: Ledger, as_of: date, policy: DunningPolicy) -> dict[str, list[PlannedItem]]:
    """Per customer, the items that have reached a dunning level (oldest due first)."""
    open_at = open_amounts_at(ledger, as_of)
    risk = {p.customer_id: p.risk_class for p in ledger.profiles}
    found: dict[str, list[PlannedItem]] = defaultdict(list)
    for item in ledger.items:
        planned = _planned(item, open_at, as_of, policy, risk.get(item.customer_id))
        if planned is not None:
            found[item.customer_id].append(planned)
    for items in found.values():
        items.sort(key=lambda i: (i.due_date, i.item_id))
    return found


def _planned(
    item: OpenItem, open_at: Mapping[str, Decimal], as_of: date, policy: DunningPolicy, risk_class: str | None
) -> PlannedItem | None:
    if item.doc_type is DocType.CREDIT_MEMO:
        return None
    amount = open_at.get(item.item_id)
    if amount is None or amount <= 0:
        return None
    days = (as_of - item.due_date).days
    level = policy.schedule_for(risk_class).level_for(days - policy.grace_days)
    if level == 0:
        return None
    return PlannedItem(item.item_id, days, level, amount, item.amount.currency, item.due_date)


def open_promises(
    promises: Iterable[PromiseToPay], ledger: Ledger, as_of: date, policy: DunningPolicy
) -> list[PromiseOutcome]:
    """Every promise with its status at `as_of` (see `promise_outcome`)."""
    by_customer: dict[str, list[Payment]] = defaultdict(list)
    for payment in ledger.payments:
        by_customer[payment.customer_id].append(payment)
    return [
        promise_outcome(
            p,
            by_customer.get(p.customer_id, ()),
            as_of,
            tolerance_days=policy.promise_tolerance_days,
            window_days=policy.promise_window_days,
        )
        for p in promises
        if p.made_on is None or p.made_on <= as_of
    ]


def plan_dunning(
    ledger: Ledger,
    as_of: date,
    policy: DunningPolicy,
    *,
    disputes: Iterable[DisputeRecord] = (),
    promises: Iterable[PromiseToPay] = (),
    sent: Iterable[DunningAction] = (),
) -> DunningPlan:
    """Today's messages and skipped items (see the module docstring for the rules, in order)."""
    disputed = {d.item_id for d in disputes if d.status is DisputeStatus.OPEN and d.opened_on <= as_of}
    promised_items: set[str] = set()
    promised_customers: set[str] = set()
    for outcome in open_promises(promises, ledger, as_of, policy):
        if outcome.is_open:
            if outcome.promise.item_ids:
                promised_items.update(outcome.promise.item_ids)
            else:
                promised_customers.add(outcome.promise.customer_id)
    sent_level: dict[str, int] = {}
    for action in sent:
        if action.sent_on <= as_of:
            sent_level[action.item_id] = max(sent_level.get(action.item_id, 0), action.level)

    open_at = open_amounts_at(ledger, as_of)
    credit = unapplied_credit(ledger, as_of, open_at)
    risk = {p.customer_id: p.risk_class for p in ledger.profiles}
    minimum = policy.minimum_amount

    messages: list[DunningMessage] = []
    skipped: list[SkippedItem] = []
    for customer_id, items in sorted(overdue_items(ledger, as_of, policy).items()):
        dunnable: list[PlannedItem] = []
        for item in items:
            if item.item_id in disputed:
                skipped.append(SkippedItem(customer_id, item.item_id, SkipReason.DISPUTED, item.level))
            elif item.item_id in promised_items or customer_id in promised_customers:
                skipped.append(SkippedItem(customer_id, item.item_id, SkipReason.PROMISED, item.level))
            else:
                dunnable.append(item)

        kept: list[PlannedItem] = []
        for currency in sorted({i.currency for i in dunnable}):
            of_currency = [i for i in dunnable if i.currency == currency]
            total = sum((i.open_amount for i in of_currency), Decimal(0))
            reason: SkipReason | None = None
            if credit.get((customer_id, currency), Decimal(0)) >= total:
                reason = SkipReason.COVERED
            elif total < minimum:
                reason = SkipReason.BELOW_MINIMUM
            if reason is None:
                kept.extend(of_currency)
            else:
                skipped.extend(SkippedItem(customer_id, i.item_id, reason, i.level) for i in of_currency)

        to_send: list[PlannedItem] = []
        for item in sorted(kept, key=lambda i: (i.due_date, i.item_id)):
            if sent_level.get(item.item_id, 0) >= item.level:
                skipped.append(SkippedItem(customer_id, item.item_id, SkipReason.ALREADY_SENT, item.level))
            else:
                to_send.append(item)
        if not to_send:
            continue
        schedule = policy.schedule_for(risk.get(customer_id))
        top = max(i.level for i in to_send)
        level = schedule.level(top)
        messages.append(
            DunningMessage(
                customer_id=customer_id,
                level=top,
                channel=schedule.channel_of(top),
                items=tuple(to_send),
                template=level.template if level is not None else None,
            )
        )
    return DunningPlan(as_of, tuple(messages), tuple(skipped))
