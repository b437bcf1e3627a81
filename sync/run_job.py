"""`creditbridge run`: pull → review → plan → push for one connection, as one job with one run id.

Each step is the same code its own command runs, so a run that stops half way is finished by
running it again (pull resumes its sweep, requests already queued are not requested twice, the
outbox sends each change once). The review step turns the hold rules of the config (`[holds]`)
into change requests by the user `creditbridge-review`; the write-back policy (`[policy]`)
decides which go straight to the ERP and which wait for a second person.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from creditbridge.core.review import HoldDecision, HoldPolicy, exposures, review_holds
from creditbridge.core.writeback import WritebackPolicy
from creditbridge.sync.config import Config
from creditbridge.sync.pull import PullSummary, pull
from creditbridge.sync.store import Store
from creditbridge.sync.writeback import ChangeInFlight, PushResult, WritableErp, push, request_profile_change

REVIEWER = "creditbridge-review"
"""The requester of the changes the review asks for: a person approves them where four eyes apply."""


@dataclass(frozen=True)
class ReviewOutcome:
    decision: HoldDecision
    requested: bool
    note: str


@dataclass(frozen=True)
class RunReport:
    run_id: str
    connection: str
    pulled: PullSummary
    review: tuple[ReviewOutcome, ...]
    pushed: PushResult
    dry_run: bool
    notes: tuple[str, ...] = field(default=())


def run_cycle(
    store: Store,
    config: Config,
    connection: str,
    adapter: WritableErp,
    *,
    run_id: str,
    user: str,
    as_of: date,
    dry_run: bool = False,
    pull_progress: Callable[..., None] | None = None,
) -> RunReport:
    """Pull the connection, review holds as of `as_of`, request the changes, push what may go."""
    pulled = pull(store, connection, adapter, run_id=run_id, progress=pull_progress)  # type: ignore[arg-type]
    outcomes = request_review(store, config, connection, adapter, run_id=run_id, as_of=as_of, dry_run=dry_run)
    writeback_policy = WritebackPolicy(**config.policy.model_dump())
    pushed = push(store, connection, adapter, writeback_policy, run_id=run_id, user=user, dry_run=dry_run)
    return RunReport(run_id, connection, pulled, outcomes, pushed, dry_run)


def request_review(
    store: Store,
    config: Config,
    connection: str,
    adapter: WritableErp,
    *,
    run_id: str,
    as_of: date,
    dry_run: bool = False,
) -> tuple[ReviewOutcome, ...]:
    """Review holds as of `as_of` and request the changes (the policy says which wait for approval)."""
    writeback_policy = WritebackPolicy(**config.policy.model_dump())
    outcomes = []
    for decision in review(store, connection, config, as_of):
        if dry_run:
            outcomes.append(ReviewOutcome(decision, False, "dry run: not requested"))
            continue
        try:
            request_profile_change(
                store, connection, adapter, decision.customer_id, writeback_policy,
                requested_by=REVIEWER, reason="; ".join(r.message for r in decision.reasons),
                on_hold=decision.hold, currency=decision.wanted.currency, run_id=run_id,
            )  # fmt: skip
        except ChangeInFlight as exc:
            outcomes.append(ReviewOutcome(decision, False, f"not requested: {exc}"))
            continue
        outcomes.append(ReviewOutcome(decision, True, "requested"))
    return tuple(outcomes)


def review(store: Store, connection: str, config: Config, as_of: date) -> tuple[HoldDecision, ...]:
    """The hold changes the `[holds]` rules want for the connection's customers, with reasons."""
    ledger = store.load_ledger(source=connection)
    policy = HoldPolicy(**config.holds.model_dump())
    return review_holds(ledger.profiles, exposures(ledger, as_of), policy)
