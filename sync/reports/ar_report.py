"""The AR report as data: KPIs at the as-of date plus a 12-month trend, ready to render.

Why a value of its own: the HTML page and the XLSX workbook show the same figures, so the KPI
runs happen once (`build_report`) and both writers only format. Everything derived for display
(past-due share, over-90 amount, the top-overdue ranking) is computed here, in Decimal, so the
two outputs can never disagree.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from creditbridge.core.collections.kpis import CollectionsKpis
from creditbridge.core.columns import LedgerColumns
from creditbridge.core.kpis.engine import KpiEngine
from creditbridge.core.kpis.figures import KpiFigures, KpiReport
from creditbridge.core.reconcile import Reconciliation

TREND_POINTS = 12
"""Points on the trend: the 11 month-ends before the as-of month, and the as-of date itself."""

TOP_CUSTOMERS = 10
"""Customers shown in the top-overdue table and the customer aging bars."""

OVER_90_BUCKETS: tuple[str, ...] = ("91_120", "over_120")

_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """Company figures (one per currency) at one point of the trend."""

    as_of: date
    company: tuple[KpiFigures, ...]

    def for_currency(self, currency: str) -> KpiFigures | None:
        return next((f for f in self.company if f.currency == currency), None)


@dataclass(frozen=True, slots=True)
class ArReport:
    """Everything the HTML and XLSX reports show: KPIs at `kpis.as_of` and the trend up to it."""

    title: str
    kpis: KpiReport
    trend: tuple[TrendPoint, ...]
    generated_at: datetime
    company_name: str | None = None
    reconciliation: Reconciliation | None = None
    """When given, the XLSX report has a "Reconciliation" sheet."""
    collections: CollectionsKpis | None = None

    @property
    def as_of(self) -> date:
        as_of: date = self.kpis.as_of
        return as_of

    @property
    def period_days(self) -> int:
        days: int = self.kpis.period_days
        return days

    @property
    def currencies(self) -> tuple[str, ...]:
        """Currencies with company figures, the largest AR first (the home currency leads)."""
        ordered = sorted(self.kpis.company, key=lambda f: (-f.ar, f.currency))
        return tuple(f.currency for f in ordered)

    def company(self, currency: str) -> KpiFigures:
        return next(f for f in self.kpis.company if f.currency == currency)

    def customers(self, currency: str) -> tuple[KpiFigures, ...]:
        """Customer figures in `currency`, largest AR first (ties by name)."""
        rows = [f for f in self.kpis.customers if f.currency == currency]
        rows.sort(key=lambda f: (-f.ar, f.customer_name or "", f.customer_id or ""))
        return tuple(rows)

    def top_overdue(self, currency: str, limit: int = TOP_CUSTOMERS) -> tuple[KpiFigures, ...]:
        """Customers with a past-due balance, largest past-due amount first."""
        rows = [f for f in self.kpis.customers if f.currency == currency and f.past_due > 0]
        rows.sort(key=lambda f: (-f.past_due, f.customer_name or "", f.customer_id or ""))
        return tuple(rows[:limit])

    def top_by_ar(self, currency: str, limit: int = TOP_CUSTOMERS) -> tuple[KpiFigures, ...]:
        """Customers with a positive balance, largest AR first."""
        return tuple(f for f in self.customers(currency) if f.ar > 0)[:limit]

    def previous_point(self, currency: str) -> tuple[date, KpiFigures] | None:
        """The trend point one month before the as-of date (the last-but-one), for comparisons."""
        if len(self.trend) < 2:
            return None
        point = self.trend[-2]
        figures = point.for_currency(currency)
        return None if figures is None else (point.as_of, figures)


def past_due_percent(figures: KpiFigures) -> Decimal | None:
    """Past-due AR as a percentage of AR (2 places); None when AR is not positive."""
    if figures.ar <= 0:
        return None
    share: Decimal = (figures.past_due * _HUNDRED / figures.ar).quantize(_CENT, rounding=ROUND_HALF_EVEN)
    return share


def over_90(figures: KpiFigures) -> Decimal:
    """AR more than 90 days past due."""
    return sum((b.amount for b in figures.aging if b.name in OVER_90_BUCKETS), Decimal(0))


def trend_dates(as_of: date, points: int = TREND_POINTS) -> tuple[date, ...]:
    """The month-ends of the `points - 1` months before the as-of month, then the as-of date."""
    if points < 1:
        raise ValueError(f"a trend needs at least one point, got {points}")
    ends: list[date] = []
    month_end = as_of.replace(day=1) - timedelta(days=1)
    for _ in range(points - 1):
        ends.append(month_end)
        month_end = month_end.replace(day=1) - timedelta(days=1)
    ends.reverse()
    ends.append(as_of)
    return tuple(ends)


def is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def build_report(
    columns: LedgerColumns,
    as_of: date,
    period_days: int = 90,
    title: str = "Accounts receivable",
    *,
    company_name: str | None = None,
    generated_at: datetime | None = None,
    trend_points: int = TREND_POINTS,
) -> ArReport:
    """KPIs at `as_of` (company per currency and per customer) and the company trend.

    The trend runs the same KPI engine (`compute_kpis`, prepared once as a `KpiEngine`) at each
    of the last `trend_points` month-ends up to `as_of`; the last point is `as_of` itself.
    """
    engine = KpiEngine(columns)  # prepared once, then asked for every trend date
    kpis = engine.compute(as_of, period_days, by_customer=True)
    trend = tuple(
        TrendPoint(day, kpis.company if day == as_of else engine.compute(day, period_days).company)
        for day in trend_dates(as_of, trend_points)
    )
    return ArReport(
        title=title,
        kpis=kpis,
        trend=trend,
        generated_at=generated_at if generated_at is not None else datetime.now().astimezone(),
        company_name=company_name,
    )
