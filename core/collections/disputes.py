"""Disputes: reason codes, short pays turned into disputes, and what to propose when one is settled.

Why propose and not post: a write-off or a credit memo is an accounting entry the ERP owns; the
collector sees the proposal (kind, amount, why) and books it there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from creditbridge.core.model import Dispute, DisputeStatus, OpenItem
from creditbridge.core.money import Money

REASON_CODES: tuple[str, ...] = (
    "pricing",
    "quantity",
    "damaged",
    "not_received",
    "returned",
    "duplicate",
    "short_pay",
    "other",
)
"""Known reason codes (a ledger's disputes.csv may use others; they are kept as written)."""

CREDIT_REASONS = frozenset({"pricing", "quantity", "damaged", "not_received", "returned", "duplicate"})
"""Reasons that, when the customer is right, call for a credit memo rather than a write-off."""

RESOLUTIONS: tuple[str, ...] = ("credit_memo", "write_off", "rejected", "paid")
"""How a dispute ends: we credit, we write off, the customer was wrong (dunning resumes), it was paid."""


@dataclass(frozen=True, slots=True)
class ResolutionProposal:
    """What to book for a dispute: `credit_memo`, `write_off` or `none`, the amount, and why."""

    kind: str
    amount: Money
    reason: str


def disputed_amount(dispute: Dispute, item: OpenItem) -> Money:
    """The disputed part, or the item's whole open amount when the dispute names none."""
    return dispute.amount if dispute.amount is not None else item.open_amount


def propose_resolution(dispute: Dispute, item: OpenItem, write_off_below: Decimal) -> ResolutionProposal:
    """A small dispute is cheaper written off (≈$150 to work one); a justified one gets a credit memo."""
    amount = disputed_amount(dispute, item)
    if dispute.resolution == "rejected" or dispute.resolution == "paid":
        return ResolutionProposal("none", Money.zero(amount.currency), f"resolved as {dispute.resolution}")
    if dispute.resolution in ("credit_memo", "write_off"):
        return ResolutionProposal(dispute.resolution, amount, "as resolved")
    if amount.amount <= write_off_below:
        return ResolutionProposal(
            "write_off", amount, f"disputed amount at most {write_off_below}: cheaper to write off"
        )
    if dispute.reason in CREDIT_REASONS:
        return ResolutionProposal("credit_memo", amount, f"reason {dispute.reason}: credit the customer if justified")
    return ResolutionProposal("none", Money.zero(amount.currency), "needs a decision: collect or credit")


def short_pay_dispute(item: OpenItem, paid: Money, paid_on: date, tolerance: Decimal = Decimal(0)) -> Dispute | None:
    """A payment that left more than `tolerance` open on an item opens a `short_pay` dispute for the rest."""
    rest = item.open_amount
    if paid.amount <= 0 or rest.amount <= tolerance:
        return None
    return Dispute(item_id=item.item_id, opened_on=paid_on, reason="short_pay", amount=rest)


def dispute_age_days(dispute: Dispute, as_of: date) -> int:
    """Days the dispute has been open (to its resolution date when resolved)."""
    end = dispute.resolved_on if dispute.status is DisputeStatus.RESOLVED and dispute.resolved_on else as_of
    return max((end - dispute.opened_on).days, 0)


AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0_30", 0, 30),
    ("31_60", 31, 60),
    ("61_90", 61, 90),
    ("over_90", 91, None),
)


def dispute_ageing(disputes: list[Dispute], as_of: date) -> dict[str, int]:
    """How many disputes open at `as_of` are in each age bucket (days since opened)."""
    counts = {name: 0 for name, _, _ in AGE_BUCKETS}
    for dispute in disputes:
        if dispute.opened_on > as_of:
            continue
        if dispute.status is DisputeStatus.RESOLVED and (dispute.resolved_on is None or dispute.resolved_on <= as_of):
            continue
        age = (as_of - dispute.opened_on).days
        for name, low, high in AGE_BUCKETS:
            if age >= low and (high is None or age <= high):
                counts[name] += 1
                break
    return counts
