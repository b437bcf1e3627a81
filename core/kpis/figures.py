"""The figures a KPI run produces, as plain values a report, a CLI or an API can print.

Amounts are Decimals in the figures' `currency`, ratios and day counts Decimals; all are rounded
to 2 places (half-even) here, at the edge, and never before. A ratio whose denominator is zero
(no credit sales in the period, say) is None: "not defined", not zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

AGING_BUCKETS: tuple[str, ...] = ("current", "1_30", "31_60", "61_90", "91_120", "over_120")
"""Aging buckets by days past due at the as-of date; `current` is not yet due (due date >= as-of)."""


@dataclass(frozen=True, slots=True)
class AgingBucket:
    name: str
    amount: Decimal
    percent: Decimal | None


@dataclass(frozen=True, slots=True)
class KpiFigures:
    """KPIs of one scope (the company, or one customer) in one currency."""

    currency: str
    customer_id: str | None
    customer_name: str | None
    ar: Decimal
    ar_start: Decimal
    current_ar: Decimal
    credit_sales: Decimal
    writeoffs: Decimal
    dso: Decimal | None
    countback_dso: Decimal | None
    best_possible_dso: Decimal | None
    add: Decimal | None
    cei: Decimal | None
    bad_debt_ratio: Decimal | None
    aging: tuple[AgingBucket, ...]

    @property
    def past_due(self) -> Decimal:
        return self.ar - self.current_ar

    def bucket(self, name: str) -> AgingBucket:
        return next(b for b in self.aging if b.name == name)


@dataclass(frozen=True, slots=True)
class KpiReport:
    """Company figures (one per currency) and customer figures for an as-of date and period."""

    as_of: date
    period_days: int
    start: date
    company: tuple[KpiFigures, ...]
    customers: tuple[KpiFigures, ...]
