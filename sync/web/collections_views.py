"""What the collections pages show, computed by the functions `creditbridge collections …` uses.

The worklist is `CollectionsData.worklist` on the store's whole ledger with the dunning policy of
the config — the rows and order of `creditbridge collections worklist` (store mode). Promise
statuses are `open_promises`, dispute ages `dispute_age_days`; a customer's risk class and
behaviour score are those of its latest stored credit review (`credit_decisions`), not scored again
per page (a live score needs the whole ledger's payment history). Nothing here decides anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, NoReturn

from creditbridge.core.collections import (
    REASON_CODES,
    RESOLUTIONS,
    DunningPlan,
    DunningPolicy,
    PromiseOutcome,
    PromiseStatus,
    WorklistEntry,
    open_promises,
)
from creditbridge.core.collections.disputes import dispute_age_days
from creditbridge.core.collections.plan import PlannedItem, overdue_items
from creditbridge.core.model import Dispute
from creditbridge.sync.collections.repository import (
    StoredMessage,
    call_tasks_due,
    collections_data,
    load_disputes,
    load_messages,
    load_notes,
    load_promises,
)
from creditbridge.sync.collections.sources import resolve_policy
from creditbridge.sync.config import Config
from creditbridge.sync.credit_decisions import StoredDecision, list_decisions
from creditbridge.sync.store import Store
from creditbridge.sync.web.listing import Column
from creditbridge.sync.web.replica_cache import CACHE


class PolicyUnreadable(RuntimeError):
    """The configured dunning policy file has errors (the pages say so instead of guessing)."""


def _refuse(message: str, code: int = 2) -> NoReturn:
    raise PolicyUnreadable(message)


def dunning_policy(config: Config) -> DunningPolicy:
    """The policy `creditbridge collections` uses with this config: its file, else the built-in one."""
    return resolve_policy(None, config.collections.policy, _refuse)


# -- the worklist -----------------------------------------------------------------------------------

WORKLIST_PAGE_COLUMNS = (
    Column("rank", "#", numeric=True),
    Column("customer_id", "Customer"),
    Column("customer_name", "Name"),
    Column("overdue", "Overdue", numeric=True),
    Column("max_days_past_due", "Days", numeric=True),
    Column("level", "Level", numeric=True),
    Column("risk_class", "Risk"),
    Column("disputed", "Disputed", numeric=True),
    Column("promised", "Promised", numeric=True),
    Column("next_action", "Next action"),
    Column("last_contact", "Last contact"),
    Column("priority", "Priority", numeric=True),
)
AMOUNT_KEYS = frozenset({"overdue", "disputed", "promised"})

WORKLIST_COLUMNS = (
    Column("rank", "Rank", numeric=True),
    Column("customer_id", "Customer"),
    Column("customer_name", "Name"),
    Column("currency", "Currency"),
    Column("risk_class", "Risk class"),
    Column("overdue", "Overdue", numeric=True),
    Column("disputed", "Disputed", numeric=True),
    Column("promised", "Promised", numeric=True),
    Column("items", "Overdue items", numeric=True),
    Column("max_days_past_due", "Max days past due", numeric=True),
    Column("level", "Level", numeric=True),
    Column("next_action", "Next action"),
    Column("priority", "Priority", numeric=True),
    Column("last_contact", "Last contact"),
)
"""The export: the CLI's worklist columns (`collections worklist --format csv`) after the rank."""

SHOW = {"broken_promises": "customers with a broken promise", "calls_due": "customers with a call task due"}
"""`/collections?show=…`: the dashboard's links to part of the worklist."""


@dataclass(frozen=True, slots=True)
class Worklist:
    entries: tuple[WorklistEntry, ...]
    overdue: Mapping[str, tuple[PlannedItem, ...]]
    """Per customer, its overdue items (for the dispute form)."""
    broken_promises: Mapping[str, int]
    """Per customer, its promises broken by the as-of date."""
    calls_due: Mapping[str, int]
    """Per customer, its open call tasks due by the as-of date."""

    def rows(self, show: str | None = None) -> list[Mapping[str, Any]]:
        """One row per entry (rank = place in the CLI's order), optionally only those `show` names."""
        rows: list[Mapping[str, Any]] = []
        for rank, entry in enumerate(self.entries, start=1):
            cid = entry.customer_id
            if show == "broken_promises" and not self.broken_promises.get(cid):
                continue
            if show == "calls_due" and not self.calls_due.get(cid):
                continue
            rows.append({"rank": rank, **entry.as_dict(), "broken_promises": self.broken_promises.get(cid, 0),
                         "calls_due": self.calls_due.get(cid, 0),
                         "overdue_items": self.overdue.get(cid, ())})  # fmt: skip
        return rows


def worklist(store: Store, config: Config, as_of: date) -> Worklist:
    """`creditbridge collections worklist --as-of AS_OF` on the store, with what the page adds to each row."""
    policy = dunning_policy(config)
    ledger_key, ledger = CACHE.ledger(store)
    with store.engine.connect() as conn:
        data = collections_data(conn, ledger, policy, store.url)
        notes = load_notes(conn)
    key = ("plan", ledger_key, as_of, repr(policy), data.disputes, data.promises, data.sent)

    def plan() -> tuple[DunningPlan, dict[str, tuple[PlannedItem, ...]], dict[str, int]]:
        found = overdue_items(data.ledger, as_of, data.policy)
        broken: dict[str, int] = {}
        for outcome in open_promises(data.promises, data.ledger, as_of, data.policy):
            if outcome.status is PromiseStatus.BROKEN:
                broken[outcome.promise.customer_id] = broken.get(outcome.promise.customer_id, 0) + 1
        return data.plan(as_of), {cid: tuple(items) for cid, items in found.items()}, broken

    # a logged call changes only the last contacts: the plan (most of the work) is kept
    planned, overdue, broken = CACHE.result(key, plan)
    contacts = tuple(sorted(data.last_contacts.items()))
    entries = CACHE.result((*key, contacts), lambda: tuple(data.worklist(as_of, planned)))
    calls: dict[str, int] = {}
    for note in call_tasks_due(notes, as_of):
        calls[note.customer_id] = calls.get(note.customer_id, 0) + 1
    return Worklist(entries, overdue, broken, calls)


# -- the dashboard ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CollectionsWaiting:
    broken_promises: int
    call_tasks_due: int


def waiting(store: Store, config: Config, as_of: date) -> CollectionsWaiting:
    """Promises broken by `as_of` and open call tasks due by then (the whole ledger is read only if promises exist)."""
    with store.engine.connect() as conn:
        promises = [p for p in load_promises(conn) if not p.cancelled]
        due = len(call_tasks_due(load_notes(conn), as_of))
    broken = 0
    if promises:
        policy = dunning_policy(config)
        _key, ledger = CACHE.ledger(store)
        broken = sum(1 for o in open_promises(promises, ledger, as_of, policy) if o.status is PromiseStatus.BROKEN)
    return CollectionsWaiting(broken, due)


# -- the customer 360 -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DisputeRow:
    dispute: Dispute
    age_days: int


@dataclass(frozen=True, slots=True)
class CustomerCollections:
    messages: tuple[StoredMessage, ...]
    """Reminders recorded for the customer, newest first (queued, sending, sent)."""
    promises: tuple[PromiseOutcome, ...]
    disputes: tuple[DisputeRow, ...]
    review: StoredDecision | None
    """The latest stored credit review: its risk class, score and score components."""
    reason_codes: tuple[str, ...] = REASON_CODES
    resolutions: tuple[str, ...] = RESOLUTIONS

    @property
    def score_components(self) -> list[tuple[str, Any, Any]]:
        """(characteristic, value, points) of the review's score, base points first."""
        result = self.review.result if self.review is not None and isinstance(self.review.result, dict) else {}
        parts = result.get("score_components") or {}
        return [(name, (part or {}).get("value"), (part or {}).get("points")) for name, part in parts.items()]

    @property
    def pd_band(self) -> str | None:
        result = self.review.result if self.review is not None and isinstance(self.review.result, dict) else {}
        band = result.get("pd_band")
        return None if band is None else str(band)


def customer_collections(store: Store, config: Config, customer_id: str, as_of: date) -> CustomerCollections:
    """The customer's dunning history, promises (kept / broken / open as of `as_of`), disputes and latest review."""
    with store.engine.connect() as conn:
        messages = tuple(reversed(load_messages(conn, customer_id=customer_id)))
        promises = [p for p in load_promises(conn) if p.customer_id == customer_id]
        disputes = load_disputes(conn, customer_id)
    outcomes: tuple[PromiseOutcome, ...] = ()
    if promises:
        _key, ledger = CACHE.ledger(store)
        found = open_promises(promises, ledger, as_of, dunning_policy(config))
        outcomes = tuple(sorted(found, key=lambda o: o.promise.promise_date, reverse=True))
    rows = tuple(DisputeRow(d, dispute_age_days(d, as_of)) for d in reversed(disputes))
    reviews = list_decisions(store.engine, customer_id=customer_id, kind="review", limit=1)
    return CustomerCollections(messages, outcomes, rows, reviews[0] if reviews else None)
