"""Collections KPIs: promise kept rate, dispute ageing, dunning effectiveness, CEI and ADD by segment.

Definitions (README "Collections KPIs"):
- promise kept rate: promises due in the period (promise date + tolerance in it) kept ÷ (kept + broken);
- dispute ageing: disputes open at the as-of date by days since opened (0–30, 31–60, 61–90, over 90);
- dunning effectiveness per level: of the items dunned at that level with the send date in the
  period and at least N days before the as-of date, the share fully paid (or written off) within N
  days after the send;
- CEI and ADD by segment (risk class): the company formulas (README "KPI definitions") on the sums of
  the segment's customers' AR(start), credit sales, AR(as-of) and current AR.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from creditbridge.core.collections.disputes import dispute_ageing
from creditbridge.core.collections.policy import DunningPolicy
from creditbridge.core.collections.promises import PromiseStatus, promise_outcome
from creditbridge.core.kpis.figures import KpiFigures
from creditbridge.core.model import Dispute, DunningAction, Ledger, Payment, PromiseToPay

_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class LevelEffectiveness:
    level: int
    dunned: int
    paid_within: int

    @property
    def percent(self) -> Decimal | None:
        return None if self.dunned == 0 else Decimal(self.paid_within) * _HUNDRED / Decimal(self.dunned)


@dataclass(frozen=True, slots=True)
class SegmentFigures:
    segment: str
    currency: str
    customers: int
    ar: Decimal
    past_due: Decimal
    cei: Decimal | None
    add: Decimal | None


@dataclass(frozen=True, slots=True)
class CollectionsKpis:
    as_of: date
    period_days: int
    effectiveness_days: int
    promises_kept: int
    promises_broken: int
    promises_open: int
    dispute_ageing: Mapping[str, int]
    effectiveness: tuple[LevelEffectiveness, ...]
    segments: tuple[SegmentFigures, ...]

    @property
    def promise_kept_rate(self) -> Decimal | None:
        due = self.promises_kept + self.promises_broken
        return None if due == 0 else Decimal(self.promises_kept) * _HUNDRED / Decimal(due)


def _settlements(ledger: Ledger) -> dict[str, list[tuple[date, Decimal]]]:
    found: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for payment in ledger.payments:
        for application in payment.applications:
            found[application.item_id].append((application.applied_on, application.amount.amount))
    for writeoff in ledger.writeoffs:
        found[writeoff.item_id].append((writeoff.written_off_on, writeoff.amount.amount))
    return found


def dunning_effectiveness(
    ledger: Ledger, sent: Iterable[DunningAction], as_of: date, period_days: int, days: int
) -> tuple[LevelEffectiveness, ...]:
    """Per level: items dunned in the period (N days old at least) and how many were settled within N days."""
    settlements = _settlements(ledger)
    open_now = {i.item_id: i.open_amount.amount for i in ledger.items}
    start = as_of - timedelta(days=period_days)
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for action in sent:
        deadline = action.sent_on + timedelta(days=days)
        if not start < action.sent_on <= as_of or deadline > as_of or action.item_id not in open_now:
            continue
        later = sum((amount for day, amount in settlements.get(action.item_id, ()) if day > deadline), Decimal(0))
        counts[action.level][0] += 1
        if open_now[action.item_id] + later <= 0:
            counts[action.level][1] += 1
    return tuple(LevelEffectiveness(level, n, paid) for level, (n, paid) in sorted(counts.items()))


def segment_figures(
    customers: Iterable[KpiFigures], segment_of: Mapping[str, str | None], period_days: int
) -> tuple[SegmentFigures, ...]:
    """CEI and ADD per (segment, currency) from the customers' figures, summed."""
    sums: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 5)
    for figures in customers:
        key = (segment_of.get(figures.customer_id or "") or "unclassified", figures.currency)
        s = sums[key]
        s[0] += figures.ar_start
        s[1] += figures.credit_sales
        s[2] += figures.ar
        s[3] += figures.current_ar
        s[4] += 1
    result = []
    for (segment, currency), (ar_start, sales, ar, current, n) in sorted(sums.items()):
        top = ar_start + sales - ar
        bottom = ar_start + sales - current
        cei = None if bottom == 0 else top / bottom * _HUNDRED
        add = None if sales <= 0 else (ar - current) / sales * period_days
        result.append(SegmentFigures(segment, currency, int(n), ar, ar - current, cei, add))
    return tuple(result)


def collections_kpis(
    ledger: Ledger,
    as_of: date,
    policy: DunningPolicy,
    *,
    period_days: int = 90,
    effectiveness_days: int = 14,
    promises: Iterable[PromiseToPay] = (),
    disputes: Iterable[Dispute] = (),
    sent: Iterable[DunningAction] = (),
    customer_figures: Iterable[KpiFigures] = (),
) -> CollectionsKpis:
    start = as_of - timedelta(days=period_days)
    by_customer: dict[str, list[Payment]] = defaultdict(list)
    for payment in ledger.payments:
        by_customer[payment.customer_id].append(payment)
    kept = broken = still_open = 0
    for promise in promises:
        outcome = promise_outcome(
            promise, by_customer.get(promise.customer_id, ()), as_of,
            tolerance_days=policy.promise_tolerance_days, window_days=policy.promise_window_days,
        )  # fmt: skip
        due = promise.promise_date + timedelta(days=policy.promise_tolerance_days)
        if outcome.status is PromiseStatus.OPEN:
            still_open += 1
        elif start < due <= as_of or (outcome.status is PromiseStatus.KEPT and start < promise.promise_date):
            kept += outcome.status is PromiseStatus.KEPT
            broken += outcome.status is PromiseStatus.BROKEN
    segment_of = {p.customer_id: p.risk_class for p in ledger.profiles}
    return CollectionsKpis(
        as_of=as_of,
        period_days=period_days,
        effectiveness_days=effectiveness_days,
        promises_kept=kept,
        promises_broken=broken,
        promises_open=still_open,
        dispute_ageing=dispute_ageing(list(disputes), as_of),
        effectiveness=dunning_effectiveness(ledger, sent, as_of, period_days, effectiveness_days),
        segments=segment_figures(customer_figures, segment_of, period_days),
    )
