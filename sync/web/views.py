"""What each page shows, read from the store through the functions the commands use.

The dashboard is the AR report's KPIs (`reports.ar_report.build_report`, the KPI engine) plus the
work waiting for a person (write-back approvals and conflicts, cash-application exceptions, open
call tasks); the customer 360 is the order-time credit check at amount zero (`check_order_in` on the
store's exposure view) for limit, exposure and hold, plus the customer's items, payments, stored
credit decisions and contact log. Nothing here decides anything itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from creditbridge.core.credit import CreditPolicy, OrderDecision, check_order_in
from creditbridge.core.model import CreditProfile, Customer, OpenItem, Payment
from creditbridge.sync.cashapp.job import exceptions as cashapp_exceptions
from creditbridge.sync.collections.repository import Note, load_notes
from creditbridge.sync.config import Config
from creditbridge.sync.credit_decisions import StoredDecision, list_decisions
from creditbridge.sync.reports.ar_report import ArReport, build_report
from creditbridge.sync.reports.formats import amount_text
from creditbridge.sync.scheduling.status import Status, gather
from creditbridge.sync.store import Store
from creditbridge.sync.store.loader import load_customer_ledger
from creditbridge.sync.web import collections_views, replica_cache
from creditbridge.sync.web.listing import Column
from creditbridge.sync.writeback import (
    ChangeRequest,
    OutboxStatus,
    RequestStatus,
    list_conflicts,
    list_requests,
    list_rows,
)


@dataclass(frozen=True, slots=True)
class WaitingWork:
    """What needs a person today."""

    approvals: int
    conflicts: int
    stopped_writes: int
    """Outbox rows FAILED after their attempts (the ERP was down): the conflicts page offers Retry."""
    cashapp_exceptions: int
    broken_promises: int
    call_tasks_due: int
    """Open call tasks due by the as-of day (`repository.call_tasks_due`)."""


@dataclass(frozen=True, slots=True)
class Dashboard:
    report: ArReport | None
    waiting: WaitingWork
    sync: Status
    """`creditbridge status`: per connection its last job runs and pull cursor, and what needs a person."""


def kpi_report(store: Store, source: str | None, as_of: date, period_days: int = 90) -> ArReport | None:
    """The AR report's KPIs and 12-month trend (None when the store has no items yet).

    Kept until an import or pull finishes (`replica_cache`: the key names each source's last import):
    the dashboard and the customer list share it, and at tens of thousands of customers it takes seconds.
    """

    def build() -> ArReport | None:
        columns = store.load_columns(source=source)
        return build_report(columns, as_of, period_days) if columns.n_items else None

    return replica_cache.CACHE.result((replica_cache.CACHE.key(store), "kpi_report", source, as_of, period_days), build)


def dashboard(store: Store, source: str | None, as_of: date, config: Config, period_days: int = 90) -> Dashboard:
    report = kpi_report(store, source, as_of, period_days)
    collections = collections_views.waiting(store, config, as_of)
    waiting = WaitingWork(
        approvals=len(list_requests(store)),
        conflicts=len(list_conflicts(store)),
        stopped_writes=len(list_rows(store.engine, None, (OutboxStatus.FAILED,))),
        cashapp_exceptions=len(cashapp_exceptions(store)),
        broken_promises=collections.broken_promises,
        call_tasks_due=collections.call_tasks_due,
    )
    return Dashboard(report, waiting, gather(config, store, datetime.now(UTC)))


CUSTOMER_COLUMNS = (
    Column("customer_id", "Customer"),
    Column("name", "Name"),
    Column("currency", "Currency"),
    Column("ar", "AR", numeric=True),
    Column("past_due", "Past due", numeric=True),
    Column("over_90", "Over 90 days", numeric=True),
    Column("dso", "DSO", numeric=True),
    Column("cei", "CEI %", numeric=True),
)


def customer_list(store: Store, source: str | None, as_of: date) -> list[Mapping[str, Any]]:
    """The customer list's rows (page, downloads, JSON API), kept like the report they come from (`replica_cache`)."""
    key = (replica_cache.CACHE.key(store), "customer_rows", source, as_of)
    return replica_cache.CACHE.result(key, lambda: customer_rows(kpi_report(store, source, as_of)))


def customer_rows(report: ArReport | None) -> list[Mapping[str, Any]]:
    """One row per customer and currency from the KPI engine's customer figures."""
    if report is None:
        return []
    return [
        {
            "customer_id": f.customer_id,
            "name": f.customer_name,
            "currency": f.currency,
            "ar": f.ar,
            "past_due": f.past_due,
            "over_90": sum((b.amount for b in f.aging if b.name in ("91_120", "over_120")), Decimal(0)),
            "dso": f.dso,
            "cei": f.cei,
        }
        for f in report.kpis.customers
    ]


@dataclass(frozen=True, slots=True)
class OpenItemRow:
    item: OpenItem
    days_past_due: int


@dataclass(frozen=True, slots=True)
class Customer360:
    customer: Customer
    profile: CreditProfile | None
    check: OrderDecision
    items: tuple[OpenItemRow, ...]
    payments: tuple[Payment, ...]
    decisions: tuple[StoredDecision, ...]
    notes: tuple[Note, ...]
    requests: tuple[ChangeRequest, ...]


def customer_360(store: Store, source: str | None, customer_id: str, as_of: date,
                 policy: CreditPolicy) -> Customer360 | None:  # fmt: skip
    """Everything the customer page shows; None if the store has no such customer."""
    view = store.exposure_view(customer_id, as_of, source, policy.group_exposure)
    if view is None:
        return None
    check = check_order_in(view, customer_id, Decimal(0), None, as_of, policy)
    ledger = load_customer_ledger(store.engine, customer_id, source)
    customer = next(c for c in ledger.customers if c.customer_id == customer_id)
    profile = next((p for p in ledger.profiles if p.customer_id == customer_id), None)
    items = sorted(
        (OpenItemRow(i, (as_of - i.due_date).days) for i in ledger.items
         if i.customer_id == customer_id and i.open_amount.amount != 0 and i.invoice_date <= as_of),
        key=lambda r: (r.item.due_date, r.item.item_id),
    )  # fmt: skip
    payments = sorted((p for p in ledger.payments if p.customer_id == customer_id and p.payment_date <= as_of),
                      key=lambda p: p.payment_date, reverse=True)  # fmt: skip
    with store.engine.connect() as conn:
        notes = tuple(reversed(load_notes(conn, customer_id)))
    requests = tuple(r for r in list_requests(store, statuses=()) if r.customer_id == customer_id)
    return Customer360(customer, profile, check, tuple(items), tuple(payments),
                       tuple(list_decisions(store.engine, customer_id=customer_id, limit=20)), notes,
                       tuple(sorted(requests, key=lambda r: r.id, reverse=True)[:20]))  # fmt: skip


APPROVAL_COLUMNS = (
    Column("id", "Request", numeric=True),
    Column("connection", "Connection"),
    Column("customer_id", "Customer"),
    Column("customer_name", "Name"),
    Column("before_limit", "Limit now", numeric=True),
    Column("wanted_limit", "Limit wanted", numeric=True),
    Column("before_on_hold", "On hold now"),
    Column("wanted_on_hold", "On hold wanted"),
    Column("currency", "Currency"),
    Column("kinds", "Change"),
    Column("reason", "Reason"),
    Column("requested_by", "Requested by"),
    Column("requested_at", "Requested at"),
)


APPROVAL_PAGE_COLUMNS = (
    Column("id", "Request", numeric=True),
    Column("customer_id", "Customer"),
    Column("change", "Change"),
    Column("reason", "Reason"),
    Column("requested_by", "Requested by"),
    Column("requested_at", "Requested at (UTC)"),
)
"""The page shows these (the CSV export has every column of APPROVAL_COLUMNS)."""


def _change_text(r: ChangeRequest) -> str:
    parts = []
    if r.before.credit_limit != r.wanted.credit_limit:
        parts.append(f"limit {_limit_text(r.before.credit_limit, r.before.currency)} → "
                     f"{_limit_text(r.wanted.credit_limit, r.wanted.currency)} {r.wanted.currency}")  # fmt: skip
    if r.before.on_hold != r.wanted.on_hold:
        parts.append("put on hold" if r.wanted.on_hold else "release the hold")
    return "; ".join(parts)


def _limit_text(limit: Decimal | None, currency: str) -> str:
    return "no limit" if limit is None else amount_text(limit, currency)


def approval_rows(store: Store) -> list[Mapping[str, Any]]:
    """Change requests awaiting a second person's approval."""
    return [
        {
            "change": _change_text(r),
            "id": r.id,
            "connection": r.connection,
            "customer_id": r.customer_id,
            "customer_name": r.customer_name,
            "before_limit": r.before.credit_limit,
            "wanted_limit": r.wanted.credit_limit,
            "before_on_hold": "yes" if r.before.on_hold else "no",
            "wanted_on_hold": "yes" if r.wanted.on_hold else "no",
            "currency": r.wanted.currency,
            "kinds": ", ".join(r.kinds),
            "reason": r.reason,
            "requested_by": r.requested_by,
            "requested_at": r.requested_at.strftime("%Y-%m-%d %H:%M"),
        }
        for r in list_requests(store, statuses=(RequestStatus.PROPOSED,))
    ]
