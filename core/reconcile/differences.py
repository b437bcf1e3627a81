"""What a reconciliation finds: classified differences, each with its documents and amount."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from creditbridge.core.money import minor_digits


class DifferenceClass(StrEnum):
    """The kinds of difference; the values are the `class` names of the JSON output (a contract)."""

    BALANCE_MISMATCH = "balance_mismatch"
    OPEN_AMOUNT_MISMATCH = "open_amount_mismatch"
    UNAPPLIED_CASH = "unapplied_cash"
    DUPLICATE_PAYMENT = "duplicate_payment"
    ORPHAN_APPLICATION = "orphan_application"
    GL_CONTROL_DIFFERENCE = "gl_control_difference"
    BANK_UNRECORDED = "bank_unrecorded"
    PAYMENT_NOT_IN_BANK = "payment_not_in_bank"
    MISSING_DOCUMENT = "missing_document"
    EXTRA_DOCUMENT = "extra_document"
    DOCUMENT_AMOUNT_MISMATCH = "document_amount_mismatch"
    TIMING = "timing"


def in_currency_places(amount: Decimal, currency: str) -> Decimal:
    """`amount` written with the currency's minor digits (12.5 EUR -> 12.50), never rounded away."""
    places = Decimal(1).scaleb(-minor_digits(currency)) if currency else Decimal("0.01")
    rounded = amount.quantize(places)
    return rounded if rounded == amount else amount.normalize()


@dataclass(frozen=True, slots=True)
class Difference:
    """One difference: its class, the customer (None when unknown), the documents behind it, the
    amount in `currency` (signed as the class defines; compared with the tolerance by size) and a
    sentence saying what disagrees with what."""

    kind: DifferenceClass
    customer_id: str | None
    documents: tuple[str, ...]
    amount: Decimal
    currency: str
    detail: str

    @property
    def shown_amount(self) -> Decimal:
        """The amount with the currency's decimals (2 for EUR), or more when it has more."""
        return in_currency_places(self.amount, self.currency)

    def as_dict(self) -> dict[str, Any]:
        """The JSON object of the contract: class, customer_id, documents, amount, detail."""
        return {
            "class": self.kind.value,
            "customer_id": self.customer_id,
            "documents": list(self.documents),
            "amount": self.shown_amount,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """The differences above the tolerance, and what was compared.

    `within_tolerance` are differences found but no larger than the tolerance: counted in the
    summary, not listed, and they never fail a run.
    """

    differences: tuple[Difference, ...]
    within_tolerance: tuple[Difference, ...]
    tolerance: Decimal
    checked: tuple[tuple[str, int], ...]
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when nothing exceeds the tolerance (the command exits 0)."""
        return not self.differences

    def summary(self) -> dict[str, Any]:
        """Counts per class, totals per currency, what was checked and the notes."""
        by_class = Counter(d.kind.value for d in self.differences)
        totals: dict[str, Decimal] = {}
        for d in self.differences:
            totals[d.currency] = totals.get(d.currency, Decimal(0)) + abs(d.amount)
        return {
            "differences": len(self.differences),
            "by_class": dict(sorted(by_class.items())),
            "absolute_amount_by_currency": {c: in_currency_places(t, c) for c, t in sorted(totals.items())},
            "within_tolerance": len(self.within_tolerance),
            "tolerance": self.tolerance,
            "checked": dict(self.checked),
            "notes": list(self.notes),
            "ok": self.ok,
        }
