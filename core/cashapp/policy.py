"""Per-tenant thresholds and tolerances of cash application (the tenant's "target accuracy").

Confidence ≥ `auto_threshold` applies automatically, ≥ `suggest_threshold` proposes to a person,
below is left unapplied. Tolerances are structured (a fee ceiling, an FX band), never a generic
percentage inside the subset search (cash-application.md §2.2 b).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


class PolicyError(ValueError):
    """A threshold or tolerance outside its range."""


@dataclass(frozen=True, slots=True)
class MatchPolicy:
    auto_threshold: Decimal = Decimal("0.90")
    suggest_threshold: Decimal = Decimal("0.50")
    fee_tolerance: Decimal = Decimal("50")
    """A shortfall up to this (in the payment's currency) on identified invoices is a bank fee."""
    fx_tolerance_percent: Decimal = Decimal("1.5")
    """A difference within this share of the invoices is an FX difference."""
    overpayment_auto_limit: Decimal = Decimal("250")
    """An excess up to this over identified invoices goes on account automatically; more is reviewed."""
    oldest_first_on_equal_amounts: bool = False
    """Several open items of the payment's amount: apply to the oldest automatically (Odoo/Oracle) or ask."""
    auto_unearned_discount: bool = False
    """A discount taken after its window: apply with a deduction automatically, or ask."""

    def __post_init__(self) -> None:
        if not Decimal(0) <= self.suggest_threshold <= self.auto_threshold <= Decimal(1):
            raise PolicyError("thresholds must satisfy 0 ≤ suggest_threshold ≤ auto_threshold ≤ 1")
        for name in ("fee_tolerance", "fx_tolerance_percent", "overpayment_auto_limit"):
            if getattr(self, name) < 0:
                raise PolicyError(f"{name} must not be negative")
