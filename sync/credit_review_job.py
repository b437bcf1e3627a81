"""The credit review on the store: re-score a source's customers, store each decision, request its change.

One function for `creditbridge credit review` (store mode) and the scheduler's `credit-review` job.
Due customers are those whose last stored review is older than their risk class's cadence; each
proposal is stored as a decision with its inputs and policy version, and its change becomes a
write-back request (limit increases above the policy's threshold and hold releases wait for a
second person).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from creditbridge.core.credit.behaviour import ReviewProposal
    from creditbridge.core.credit.policy import Policy
    from creditbridge.core.model import Ledger
    from creditbridge.sync.credit_decisions import LastReview
    from creditbridge.sync.store import Store

REVIEW_JOB = "creditbridge credit review"


class UnknownCustomers(ValueError):
    """Customers asked for by id that the ledger does not have."""


@dataclass(frozen=True)
class StoreReview:
    """What a review of one source proposed and, per customer, what became of its change request."""

    proposals: tuple[ReviewProposal, ...]
    notes: dict[str, str]


def review_source(
    store: Store, source: str, policy: Policy, as_of: date, user: str, *,
    customers: Sequence[str] | None = None, review_all: bool = False, dry_run: bool = False,
) -> StoreReview:  # fmt: skip
    """Review `customers` (else every customer with `review_all`, else those due) of `source`."""
    from creditbridge.core.credit.behaviour import review_customers
    from creditbridge.sync.credit_decisions import last_reviewed

    records = store.load_ledger(source=source)
    last = {} if review_all else last_reviewed(store.engine, source)
    chosen = choose_customers(records, customers, review_all, policy, last, as_of)
    proposals = review_customers(records, policy, as_of, chosen)
    notes = {} if dry_run else _store_review(store, source, records, policy, proposals, user, as_of)
    return StoreReview(proposals, notes)


def choose_customers(
    records: Ledger, customers: Sequence[str] | None, review_all: bool, policy: Policy,
    last: Mapping[str, LastReview], as_of: date,
) -> list[str]:  # fmt: skip
    """The customers to review: those named (UnknownCustomers if any is not in the ledger), all, or the due ones."""
    from creditbridge.core.credit.behaviour import due_for_review
    from creditbridge.core.model import CreditProfile

    known = {c.customer_id for c in records.customers}
    if customers:
        unknown = [c for c in customers if c not in known]
        if unknown:
            raise UnknownCustomers(f"no customer {', '.join(repr(u) for u in unknown)} in the ledger")
        return list(customers)
    if review_all:
        return sorted(known)
    profiles = {p.customer_id: p for p in records.profiles}
    every = [profiles.get(c) or CreditProfile(c, None) for c in sorted(known)]
    dates = {cid: review.as_of for cid, review in last.items()}
    classes = {cid: review.risk_class for cid, review in last.items()}
    return due_for_review(every, policy, dates, as_of, classes)


def _store_review(
    store: Store, source: str, records: Ledger, policy: Policy, proposals: tuple[ReviewProposal, ...],
    user: str, as_of: date,
) -> dict[str, str]:  # fmt: skip
    """Store each proposal as a decision; request its change through write-back (four eyes where due)."""
    from creditbridge.core.credit.behaviour import review_inputs
    from creditbridge.sync.credit_decisions import record_decision
    from creditbridge.sync.writeback import WritebackError, request_change
    from creditbridge.sync.writeback.transactions import write_transaction

    profiles = {p.customer_id: p for p in records.profiles}
    names = {c.customer_id: c.name for c in records.customers}
    writeback_policy = policy.writeback_policy()
    notes: dict[str, str] = {}
    for proposal in proposals:
        request_id = None
        note = "no change"
        current = profiles.get(proposal.customer_id)
        if proposal.changes and current is None:
            note = "not requested: the store has no credit profile for this customer"
        elif proposal.changes and current is not None:
            reason = "; ".join(r.message for r in proposal.reasons)
            try:
                result = request_change(store, source, proposal.customer_id, proposal.wanted, current,
                                        writeback_policy, requested_by=user, reason=f"credit review: {reason}",
                                        customer_name=names.get(proposal.customer_id))  # fmt: skip
            except WritebackError as exc:
                note = f"not requested: {exc}"
            else:
                request_id = None if result.request is None else result.request.id
                note = result.message
        notes[proposal.customer_id] = note
        result_dict = {**proposal.as_dict(), "note": note}
        with write_transaction(store.engine) as conn:
            record_decision(
                conn, policy, kind="review", decided_by=f"{user} ({REVIEW_JOB})", decision=proposal.decision,
                as_of=as_of, inputs=review_inputs(proposal),
                result=result_dict, source=source, customer_id=proposal.customer_id, score=proposal.score.score,
                risk_class=proposal.risk_class, recommended_limit=proposal.wanted.credit_limit,
                currency=proposal.wanted.currency, request_id=request_id,
            )  # fmt: skip
    return notes
