"""What matching decided for one payment, and its rows in the MATCHES.csv contract."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from creditbridge.core.model import BankTransaction, MatchProposal, Reason
from creditbridge.core.money import Money, minor_digits

MATCHES_HEADER = ("payment_id", "invoice_number", "applied_amount", "decision", "confidence", "reason")


class Decision(StrEnum):
    AUTO = "auto"
    SUGGEST = "suggest"
    UNAPPLIED = "unapplied"


class Residual(StrEnum):
    """How the difference between a payment and the invoices it pays is explained."""

    NONE = "none"
    DISCOUNT = "discount"
    UNEARNED_DISCOUNT = "unearned_discount"
    BANK_FEE = "bank_fee"
    FX = "fx_difference"
    SHORT_PAY = "short_pay"
    OVERPAYMENT = "overpayment"
    DUPLICATE = "possible_duplicate"
    UNEXPLAINED = "unexplained"


@dataclass(frozen=True, slots=True)
class CashMatch:
    """One payment's outcome: decision, the invoices and amounts, what is left, and why.

    `allocations` add up with `unapplied` to the payment's amount. `residual` names how the
    invoices' open amounts and the payment differ (`write_off` the part written off as fee,
    discount or FX; a short pay's rest stays open on the invoice as a deduction). `alternatives`
    are other explanations found, for the person who reviews it.
    """

    transaction: BankTransaction
    decision: Decision
    confidence: Decimal
    customer_id: str | None
    allocations: tuple[tuple[str, Money], ...]
    unapplied: Money
    residual: Residual
    write_off: Money | None
    stage: str
    reasons: tuple[Reason, ...]
    alternatives: tuple[MatchProposal, ...] = ()

    @property
    def payment_id(self) -> str:
        return self.transaction.transaction_id

    def proposal(self) -> MatchProposal:
        return MatchProposal(self.payment_id, self.customer_id, self.allocations, self.confidence, self.reasons)

    def summary(self) -> str:
        """One line for the CSV `reason` column: the stage and its main evidence."""
        return "; ".join(r.message for r in self.reasons) or self.stage


def _amount_text(money: Money) -> str:
    return str(money.amount.quantize(Decimal(1).scaleb(-minor_digits(money.currency))))


def match_rows(match: CashMatch) -> list[tuple[str, str, str, str, str, str]]:
    """Rows of MATCHES.csv for one payment: one per invoice, plus the unapplied rest if any."""
    reason = match.summary()
    confidence = str(match.confidence)
    rows = [
        (match.payment_id, item_id, _amount_text(amount), str(match.decision), confidence, reason)
        for item_id, amount in match.allocations
    ]
    if match.unapplied.amount != 0 or not rows:
        rows.append((match.payment_id, "", _amount_text(match.unapplied), str(Decision.UNAPPLIED), confidence, reason))
    return rows
