"""The KPI engine: every AR figure of a ledger as of a date, in a handful of numpy passes.

How it stays fast and exact:
- `KpiEngine(columns)` prepares once: items sorted by (customer, currency) group and due date,
  settlements sorted by the item they settle. After that every group sum is a difference of
  two entries of an int64 cumulative sum (exact; no float), and every aging bucket is a
  contiguous run of a group's items, found with `searchsorted` on the due date.
- The open amount of every item at a date t is `amount - settlements dated <= t`, for items
  dated <= t (one masked cumulative sum over the settlements, one gather per item).
- Ratios are computed in Decimal from the exact integer sums, per row, and rounded to 2 places
  only when a `KpiFigures` is built.

Formulas (README "KPI definitions"): period = the dates d with as_of - N < d <= as_of.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import numpy.typing as npt

from creditbridge.core.columns import LedgerColumns
from creditbridge.core.kpis.figures import AGING_BUCKETS, AgingBucket, KpiFigures, KpiReport
from creditbridge.core.money import UNITS_PER_MAJOR

I64 = npt.NDArray[np.int64]

_EPOCH = date(1970, 1, 1)
_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)
_UNITS = Decimal(UNITS_PER_MAJOR)
_AGING_EDGES_DAYS = (120, 90, 60, 30, 0)
"""Due-date thresholds (days before as-of) separating over_120 | 91_120 | 61_90 | 31_60 | 1_30 | current."""


def _day(d: date) -> int:
    return (d - _EPOCH).days


def _days(dates: npt.NDArray[np.datetime64]) -> I64:
    """Epoch-day numbers of datetime64 dates (a view when they are already day-precision)."""
    if dates.dtype == np.dtype("datetime64[D]"):
        return dates.view(np.int64)
    return dates.astype("datetime64[D]").view(np.int64)


def _month_index(days: I64) -> I64:
    """Months since 1970-01 of each epoch-day number (via a table of the days spanned: fast)."""
    if not len(days):
        return days.copy()
    first = int(days.min())
    span = np.arange(first, int(days.max()) + 1, dtype=np.int64)
    month_of_day = span.view("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    months: I64 = month_of_day[days - first]
    return months


def _sums_between(cumulative: I64, starts: I64, ends: I64) -> I64:
    """Sums of runs [start, end) of the array whose prefix sums are `cumulative` (len n+1)."""
    result: I64 = cumulative[ends] - cumulative[starts]
    return result


def _prefix(values: I64) -> I64:
    out = np.empty(len(values) + 1, dtype=np.int64)
    out[0] = 0
    np.cumsum(values, out=out[1:])
    return out


@dataclass(frozen=True, slots=True)
class _Sums:
    """Exact integer sums (units) for a set of rows: the customer groups, or the currencies."""

    ar: I64
    ar_start: I64
    buckets: I64  # shape (rows, 6), in AGING_BUCKETS order
    sales: I64
    writeoffs: I64
    monthly_sales: I64  # shape (rows, months back); column 0 = as-of month up to as-of


class KpiEngine:
    """A ledger prepared for repeated KPI runs (a report asks for 13 dates)."""

    def __init__(self, columns: LedgerColumns) -> None:
        self.columns = columns
        n_currencies = max(len(columns.currencies), 1)
        group_key = columns.item_customer.astype(np.int64) * n_currencies + columns.item_currency.astype(np.int64)
        due = _days(columns.item_due)
        self._due_min = int(due.min()) if len(due) else 0
        self._due_span = (int(due.max()) - self._due_min + 1) if len(due) else 1
        self._due_stride = self._due_span + 1
        # One sort by (group, due date): each group is a run, each aging bucket a sub-run.
        due_offset = due - self._due_min
        order = np.argsort(group_key * self._due_stride + due_offset)

        self._amount: I64 = columns.item_amount[order]
        self._date: I64 = _days(columns.item_date)[order]
        self._month: I64 = _month_index(self._date)
        sorted_group_key = group_key[order]

        # Groups present, their runs of items, and their customer and currency.
        if len(sorted_group_key):
            starts = np.flatnonzero(np.r_[True, sorted_group_key[1:] != sorted_group_key[:-1]])
        else:
            starts = np.zeros(0, dtype=np.int64)
        self._group_starts: I64 = starts.astype(np.int64)
        self._group_ends: I64 = np.r_[starts[1:], len(sorted_group_key)].astype(np.int64)
        group_keys = sorted_group_key[starts]
        self.group_customer: I64 = group_keys // n_currencies
        self.group_currency: I64 = group_keys % n_currencies
        self._group_of_item: I64 = np.repeat(
            np.arange(len(starts), dtype=np.int64), self._group_ends - self._group_starts
        )
        # The sort key again, on dense group numbers: bucket edges are group * stride + due offset.
        self._group_due_key: I64 = self._group_of_item * self._due_stride + due_offset[order]

        # Settlements point at the sorted position of the item they settle (no sort needed).
        position_of_item = np.empty(len(order), dtype=np.int64)
        position_of_item[order] = np.arange(len(order), dtype=np.int64)
        self._settle_pos: I64 = position_of_item[columns.settle_item.astype(np.int64)]
        self._settle_group: I64 = self._group_of_item[self._settle_pos]
        self._settle_amount: I64 = columns.settle_amount
        self._settle_date: I64 = _days(columns.settle_date)
        self._settle_writeoff = columns.settle_is_writeoff
        self._first_month = int(self._month.min()) if len(self._month) else 0

    # -- per-item and per-group sums ---------------------------------------------------------

    def _open_at(self, day: int) -> I64:
        """Open amount of every (sorted) item at the end of `day`; 0 for items not yet dated."""
        settled = np.zeros(len(self._amount), dtype=np.int64)
        np.add.at(settled, self._settle_pos, np.where(self._settle_date <= day, self._settle_amount, 0))
        open_amount: I64 = np.where(self._date <= day, self._amount - settled, 0)
        return open_amount

    def _bucket_bounds(self, day: int) -> list[I64]:
        """Item positions splitting each group's run into the 6 aging buckets (oldest first)."""
        groups = np.arange(len(self._group_starts), dtype=np.int64)
        bounds = [self._group_starts]
        for days_back in _AGING_EDGES_DAYS:
            offset = min(max(day - days_back - self._due_min, 0), self._due_span)
            bounds.append(
                np.searchsorted(self._group_due_key, groups * self._due_stride + offset).astype(np.int64)
            )
        bounds.append(self._group_ends)
        return bounds

    def _group_sums(self, as_of: date, period_days: int, monthly: bool) -> _Sums:
        day = _day(as_of)
        start_day = day - period_days
        starts, ends = self._group_starts, self._group_ends

        open_now = _prefix(self._open_at(day))
        ar = _sums_between(open_now, starts, ends)
        bounds = self._bucket_bounds(day)
        # bounds run oldest → newest due date: over_120, 91_120, ..., current; report order is the reverse.
        runs = [_sums_between(open_now, bounds[k], bounds[k + 1]) for k in range(6)]
        buckets = np.stack(runs[::-1], axis=1) if len(starts) else np.zeros((0, 6), dtype=np.int64)

        ar_start = _sums_between(_prefix(self._open_at(start_day)), starts, ends)

        in_period = (self._date > start_day) & (self._date <= day)
        sales = _sums_between(_prefix(np.where(in_period, self._amount, 0)), starts, ends)

        wo_in_period = self._settle_writeoff & (self._settle_date > start_day) & (self._settle_date <= day)
        writeoffs = np.zeros(len(starts), dtype=np.int64)
        np.add.at(writeoffs, self._settle_group, np.where(wo_in_period, self._settle_amount, 0))

        monthly_sales = self._monthly_sales(as_of) if monthly else np.zeros((len(starts), 0), dtype=np.int64)
        return _Sums(ar, ar_start, buckets, sales, writeoffs, monthly_sales)

    def _monthly_sales(self, as_of: date) -> I64:
        """Credit sales per group and calendar month, counting back from as-of's month (column 0)."""
        day = _day(as_of)
        as_of_month = (as_of.year - 1970) * 12 + as_of.month - 1
        months_back = max(as_of_month - self._first_month + 1, 1)
        back = as_of_month - self._month
        valid = (self._date <= day) & (back < months_back)
        matrix = np.zeros(len(self._group_starts) * months_back, dtype=np.int64)
        np.add.at(matrix, self._group_of_item[valid] * months_back + back[valid], self._amount[valid])
        return matrix.reshape(len(self._group_starts), months_back)

    # -- figures -------------------------------------------------------------------------------

    def compute(self, as_of: date, period_days: int = 90, by_customer: bool = False) -> KpiReport:
        """KPIs as of the end of `as_of` over the `period_days` days ending on it."""
        if period_days <= 0:
            raise ValueError(f"period_days must be positive, got {period_days}")
        sums = self._group_sums(as_of, period_days, monthly=True)
        month_days = _month_lengths_back(as_of, sums.monthly_sales.shape[1])
        currencies = self.columns.currencies

        company_rows = _sum_rows_by(sums, self.group_currency, len(currencies))
        present = sorted(set(self.group_currency.tolist()))
        company = tuple(
            _figures(company_rows, row, currencies[row], None, None, period_days, month_days) for row in present
        )
        customers: tuple[KpiFigures, ...] = ()
        if by_customer:
            ids, names = self.columns.customer_ids, self.columns.customer_names
            customers = tuple(
                _figures(sums, g, currencies[int(cur)], ids[int(cust)], names[int(cust)], period_days, month_days)
                for g, (cust, cur) in enumerate(zip(self.group_customer, self.group_currency, strict=True))
            )
        return KpiReport(
            as_of=as_of,
            period_days=period_days,
            start=as_of - timedelta(days=period_days),
            company=company,
            customers=customers,
        )

    def aging_totals(self, as_of: date) -> dict[str, dict[str, Decimal]]:
        """Company aging per currency only (no other KPIs): {currency: {bucket: amount}}."""
        open_now = _prefix(self._open_at(_day(as_of)))
        bounds = self._bucket_bounds(_day(as_of))
        totals: dict[str, dict[str, Decimal]] = {}
        for k, name in enumerate(reversed(AGING_BUCKETS)):
            per_group = _sums_between(open_now, bounds[k], bounds[k + 1])
            per_currency = np.zeros(len(self.columns.currencies), dtype=np.int64)
            np.add.at(per_currency, self.group_currency, per_group)
            for cur, units in zip(self.columns.currencies, per_currency.tolist(), strict=True):
                totals.setdefault(cur, {})[name] = _amount(units)
        return {cur: {name: buckets[name] for name in AGING_BUCKETS} for cur, buckets in totals.items()}


def compute_kpis(
    columns: LedgerColumns, as_of: date, period_days: int = 90, by_customer: bool = False
) -> KpiReport:
    """AR KPIs of a ledger as of a date: company per currency, and per customer if asked."""
    return KpiEngine(columns).compute(as_of, period_days, by_customer)


def _sum_rows_by(sums: _Sums, row_of_group: I64, n_rows: int) -> _Sums:
    """Add group sums into coarser rows (e.g. the company per currency)."""

    def add(values: I64) -> I64:
        out = np.zeros((n_rows, *values.shape[1:]), dtype=np.int64)
        np.add.at(out, row_of_group, values)
        return out

    return _Sums(
        add(sums.ar), add(sums.ar_start), add(sums.buckets), add(sums.sales), add(sums.writeoffs),
        add(sums.monthly_sales),
    )  # fmt: skip


def _month_lengths_back(as_of: date, months: int) -> list[int]:
    """Days each month contributes to countback: as-of's month counts day 1..as_of only."""
    lengths = [as_of.day]
    year, month = as_of.year, as_of.month
    for _ in range(months - 1):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        lengths.append(calendar.monthrange(year, month)[1])
    return lengths


def countback_days(ar_units: int, monthly_sales: Sequence[int], month_days: Sequence[int]) -> Decimal:
    """Countback DSO: months of most recent sales it takes to account for today's AR.

    Walks back from the as-of month: a month whose sales the remaining AR covers (or a month
    with no or net-negative sales) adds all its days; the month that is only partly covered
    adds days x remaining / sales, and the walk stops. If history runs out first, the days
    walked so far are the answer (the ledger cannot see further back).
    """
    remaining = ar_units
    days = Decimal(0)
    if remaining <= 0:
        return days
    for sales, length in zip(monthly_sales, month_days, strict=False):
        if sales <= 0 or remaining >= sales:
            days += length
            if sales > 0:
                remaining -= sales
            if remaining == 0:
                break
        else:
            days += Decimal(length) * Decimal(remaining) / Decimal(sales)
            break
    return days


_UNITS_PER_CENT = UNITS_PER_MAJOR // 100


def _amount(units: int) -> Decimal:
    """Units to a Decimal rounded half-even to cents, in integer arithmetic (exact and fast)."""
    cents, rest = divmod(units, _UNITS_PER_CENT)
    half = _UNITS_PER_CENT // 2
    if rest > half or (rest == half and cents % 2):
        cents += 1
    return Decimal(cents) * _CENT


def _round(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(_CENT, rounding=ROUND_HALF_EVEN)


def _ratio(numerator: int, denominator: int, scale: int) -> Decimal | None:
    """numerator / denominator x scale, exactly to Decimal's 28 digits; None when undefined."""
    if denominator == 0:
        return None
    return Decimal(numerator) * scale / Decimal(denominator)


def _figures(
    sums: _Sums,
    row: int,
    currency: str,
    customer_id: str | None,
    customer_name: str | None,
    period_days: int,
    month_days: list[int],
) -> KpiFigures:
    ar = int(sums.ar[row])
    ar_start = int(sums.ar_start[row])
    buckets = [int(v) for v in sums.buckets[row]]
    current = buckets[0]
    sales = int(sums.sales[row])
    writeoffs = int(sums.writeoffs[row])

    has_sales = sales > 0
    dso = _ratio(ar, sales, period_days) if has_sales else None
    best = _ratio(current, sales, period_days) if has_sales else None
    add = dso - best if dso is not None and best is not None else None
    cei = _ratio(ar_start + sales - ar, ar_start + sales - current, 100)
    bad_debt = _ratio(writeoffs, sales, 100) if has_sales else None
    countback = countback_days(ar, [int(v) for v in sums.monthly_sales[row]], month_days)

    return KpiFigures(
        currency=currency,
        customer_id=customer_id,
        customer_name=customer_name,
        ar=_amount(ar),
        ar_start=_amount(ar_start),
        current_ar=_amount(current),
        credit_sales=_amount(sales),
        writeoffs=_amount(writeoffs),
        dso=_round(dso),
        countback_dso=_round(countback),
        best_possible_dso=_round(best),
        add=_round(add),
        cei=_round(cei),
        bad_debt_ratio=_round(bad_debt),
        aging=tuple(
            AgingBucket(name, _amount(units), _round(_ratio(units, ar, 100)))
            for name, units in zip(AGING_BUCKETS, buckets, strict=True)
        ),
    )
