"""Conflicts: outbox rows stopped because someone changed the ERP, and a person's decision on each.

Why nothing is overwritten on its own (reliability.md §2.5): the person who changed the ERP may
know something we do not, so the ERP's value wins until a person says otherwise. `resolve`
records that decision on the CONFLICT row (which itself never changes status) in one transaction:
`keep="erp"` closes the request as SUPERSEDED; `keep="ours"` makes a new change request of our
values against the ERP's values and version *now*, under the same approval rules as any request
(it may need a second person again), and links the old request to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from creditbridge.core.ports import CreditProfileReader
from creditbridge.core.writeback import ProfileChange, WritebackPolicy, plan_profile_changes, profile_values
from creditbridge.sync.store.store import Store
from creditbridge.sync.writeback import outbox as outbox_rows
from creditbridge.sync.writeback.errors import InvalidTransition, UnknownCustomer
from creditbridge.sync.writeback.records import (
    ChangeRequest,
    Event,
    OutboxRow,
    OutboxStatus,
    RequestStatus,
    to_db_time,
    utc_now,
)
from creditbridge.sync.writeback.requests import customer_facts, record_request
from creditbridge.sync.writeback.transactions import recording


@dataclass(frozen=True, slots=True)
class Resolution:
    """The conflict row as resolved, and the new request (and outbox row) when ours was kept."""

    row: OutboxRow
    kept: str
    change: ProfileChange | None
    request: ChangeRequest | None
    new_row: OutboxRow | None
    message: str


def list_conflicts(store: Store, connection: str | None = None, *, include_resolved: bool = False) -> list[OutboxRow]:
    """CONFLICT rows (by default only those nobody has resolved yet), oldest first."""
    rows = outbox_rows.list_rows(store.engine, connection, (OutboxStatus.CONFLICT,))
    return rows if include_resolved else [r for r in rows if r.resolution is None]


def resolve(
    store: Store,
    id_or_prefix: str,
    keep: Literal["erp", "ours"],
    user: str,
    *,
    adapter: CreditProfileReader | None = None,
    policy: WritebackPolicy | None = None,
    erp: str | None = None,
    run_id: str | None = None,
    now: datetime | None = None,
) -> Resolution:
    """Record a person's decision on a CONFLICT row (`adapter` and `policy` are needed to keep ours)."""
    at = now or utc_now()
    row = outbox_rows.find(store.engine, id_or_prefix)
    if row.status is not OutboxStatus.CONFLICT:
        raise InvalidTransition(f"outbox row {row.id} is {row.status}, not CONFLICT")
    if row.resolution is not None:
        raise InvalidTransition(f"the conflict of outbox row {row.id} was already resolved ({row.resolution}) by "
                                f"{row.resolved_by}")  # fmt: skip
    change = None
    if keep == "ours":
        if adapter is None or policy is None:
            raise ValueError("keeping our values needs the adapter (to read the ERP) and the policy")
        current = adapter.read_credit_profile(row.customer_id)
        if current is None:
            raise UnknownCustomer(f"the ERP no longer has a credit profile for customer {row.customer_id}")
        name = customer_facts(store.engine, row.connection, [row.customer_id]).get(row.customer_id)
        names = {row.customer_id: name.name} if name is not None and name.name else None
        found = plan_profile_changes({row.customer_id: row.wanted}, {row.customer_id: current}, policy, names)
        change = found[0] if found else None
        erp_now = profile_values(current, row.wanted.currency)
    else:
        erp_now = row.erp_values if row.erp_values is not None else row.expected
    request, new_row = None, None
    with recording(store.engine, Event.RESOLVED) as conn:
        if change is not None:
            reason = f"conflict of outbox row {row.id} resolved by {user}: keep our values"
            request, new_row, _ = record_request(conn, row.connection, change, requested_by=user, reason=reason,
                                                 erp=erp, run_id=run_id, now=at)  # fmt: skip
        detail = f"resolved by {user}: keep {'the ERP' if keep == 'erp' else 'our'} values"
        if request is not None:
            detail += f" (new request {request.id})"
        if not outbox_rows.transition(conn, row, OutboxStatus.CONFLICT, Event.RESOLVED, actor=user, run_id=run_id,
                                      now=at, detail=detail, resolution=keep, resolved_by=user,
                                      resolved_at=to_db_time(at)):  # fmt: skip
            raise InvalidTransition(f"outbox row {row.id} changed meanwhile; look again")
        done = keep == "ours" and change is None
        outbox_rows.set_request_status(conn, row.request_id, RequestStatus.DONE if done else RequestStatus.SUPERSEDED,
                                       at, superseded_by=None if request is None else request.id)  # fmt: skip
        outbox_rows.audit_outcome(conn, row, OutboxStatus.CONFLICT, actor=user, role="resolver", erp=erp, now=at,
                                  run_id=run_id, reason=detail, after=row.wanted if keep == "ours" else erp_now,
                                  action="resolved", outcome="KEPT_OURS" if keep == "ours" else "KEPT_ERP")  # fmt: skip
        resolved = outbox_rows.load(conn, row.id)
    assert resolved is not None
    if keep == "erp":
        message = f"conflict {row.id[:8]}: the ERP's values are kept; request {row.request_id} is closed"
    elif request is None:
        message = f"conflict {row.id[:8]}: the ERP already has our values; nothing to send"
    elif new_row is None:
        message = f"conflict {row.id[:8]}: new request {request.id} awaits approval by someone other than {user}"
    else:
        message = f"conflict {row.id[:8]}: our values are queued again as outbox row {new_row.id}"
    return Resolution(resolved, keep, change, request, new_row, message)
