"""Credit-limit heuristics, each shown with its figure, combined as the policy says and capped by risk class.

The standard heuristics (feature-anchors.md §5, credit-limit heuristics):
- tangible_net_worth: `tangible_net_worth_percent` (10) % of book equity less intangible assets;
- working_capital: `working_capital_percent` (10) % of current assets less current liabilities;
- months_of_sales (needs-based): `months_of_sales_percent` (10) % of `months_of_sales` (1) months of the
  applicant's average monthly sales (annual sales / 12); for an existing customer, our own average
  monthly credit sales to it over the last 12 months × `review_months_of_purchases` (2);
- trade_reference_median: the median high credit of the trade references.
A heuristic whose base is negative gives 0 (shown); one without data (no references) is left out.
The figures combine by `combine` (average | median | minimum | maximum), are capped by the risk
class's `max_limit` and rounded down to `round_down_to`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from statistics import median

from creditbridge.core.credit.policy import LimitRules, RiskClass

_HUNDRED = Decimal(100)
_TWELVE = Decimal(12)
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class LimitMethod:
    """One heuristic: its name, its figure, and the base it was taken from."""

    method: str
    amount: Decimal
    basis: str

    def as_dict(self) -> dict[str, object]:
        return {"method": self.method, "amount": _cents(self.amount), "basis": self.basis}


@dataclass(frozen=True, slots=True)
class LimitRecommendation:
    methods: tuple[LimitMethod, ...]
    combined: Decimal
    cap: Decimal | None
    recommended: Decimal


def tangible_net_worth(rules: LimitRules, book_equity: Decimal, intangible_assets: Decimal) -> LimitMethod:
    base = book_equity - intangible_assets
    amount = max(base, Decimal(0)) * rules.tangible_net_worth_percent / _HUNDRED
    return LimitMethod("tangible_net_worth", amount,
                       f"{rules.tangible_net_worth_percent} % of tangible net worth {_cents(base)}")  # fmt: skip


def working_capital(rules: LimitRules, current_assets: Decimal, current_liabilities: Decimal) -> LimitMethod:
    base = current_assets - current_liabilities
    amount = max(base, Decimal(0)) * rules.working_capital_percent / _HUNDRED
    return LimitMethod("working_capital", amount,
                       f"{rules.working_capital_percent} % of working capital {_cents(base)}")  # fmt: skip


def months_of_sales(rules: LimitRules, annual_sales: Decimal) -> LimitMethod:
    monthly = max(annual_sales, Decimal(0)) / _TWELVE
    amount = monthly * rules.months_of_sales * rules.months_of_sales_percent / _HUNDRED
    return LimitMethod("months_of_sales", amount,
                       f"{rules.months_of_sales_percent} % of {rules.months_of_sales} month(s) of sales "
                       f"(average month {_cents(monthly)})")  # fmt: skip


def months_of_purchases(rules: LimitRules, sales_to_customer_12_months: Decimal) -> LimitMethod:
    monthly = max(sales_to_customer_12_months, Decimal(0)) / _TWELVE
    amount = monthly * rules.review_months_of_purchases
    return LimitMethod("months_of_sales", amount,
                       f"{rules.review_months_of_purchases} month(s) of our sales to the customer "
                       f"(average month {_cents(monthly)} over 12 months)")  # fmt: skip


def trade_reference_median(high_credits: Sequence[Decimal]) -> LimitMethod | None:
    if not high_credits:
        return None
    amount = Decimal(median(high_credits))
    return LimitMethod("trade_reference_median", amount,
                       f"median high credit of {len(high_credits)} trade reference(s)")  # fmt: skip


def recommend(rules: LimitRules, risk_class: RiskClass, methods: Sequence[LimitMethod]) -> LimitRecommendation:
    """Combine the methods' figures, cap by the class and round down; no method at all gives 0."""
    figures = [m.amount for m in methods]
    if not figures:
        combined = Decimal(0)
    elif rules.combine == "median":
        combined = Decimal(median(figures))
    elif rules.combine == "minimum":
        combined = min(figures)
    elif rules.combine == "maximum":
        combined = max(figures)
    else:
        combined = sum(figures, Decimal(0)) / len(figures)
    cap = risk_class.max_limit
    capped = combined if cap is None else min(combined, cap)
    return LimitRecommendation(tuple(methods), combined, cap, round_down(capped, rules.round_down_to))


def round_down(amount: Decimal, step: Decimal) -> Decimal:
    if step <= 0:
        return amount.quantize(_CENT, ROUND_FLOOR)
    return ((amount / step).to_integral_value(ROUND_FLOOR) * step).quantize(_CENT)


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, ROUND_HALF_UP)
