"""Change requests and four-eyes approval: how a wanted change gets into the outbox.

Why each step is one transaction (reliability.md §2.1, R1): `request_change` writes the request
and its audit row together, and when the policy needs no approval the outbox row too; `approve`
records the approval, marks the request APPROVED, creates the outbox row and audits it, all in one
commit. A crash before a commit leaves nothing (no row, so no ERP call); after it, the row is
there for the dispatcher. The approver must not be the requester: refused here with a clear
error, and by a CHECK constraint in the database as well.

The values a request expects to replace (and the ERP version) are the ERP's at request time:
if a person changes them in the ERP before the write goes out, the write stops as CONFLICT.
A newer request for a customer supersedes an older one still waiting for approval; while a
customer's outbox row is on its way (PENDING, SENDING, UNKNOWN, FAILED) new requests are refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Final

import sqlalchemy as sa

from creditbridge.core.model import CreditProfile
from creditbridge.core.ports import CreditProfileReader, ProfileValues
from creditbridge.core.writeback import ProfileChange, WritebackPolicy, plan_profile_changes, profile_values
from creditbridge.sync.store import schema
from creditbridge.sync.store.store import Store
from creditbridge.sync.store.writeback_tables import approvals, change_requests, outbox
from creditbridge.sync.writeback import audit
from creditbridge.sync.writeback import outbox as outbox_rows
from creditbridge.sync.writeback.errors import (
    ChangeInFlight,
    InvalidTransition,
    MissingCurrency,
    NotFound,
    SelfApprovalRefused,
    UnknownCustomer,
)
from creditbridge.sync.writeback.records import (
    ACTIVE,
    ChangeRequest,
    Event,
    OutboxRow,
    RequestStatus,
    to_db_time,
    utc_now,
    values_columns,
)
from creditbridge.sync.writeback.transactions import recording, write_transaction


class _Keep(Enum):
    KEEP = "keep"


KEEP: Final = _Keep.KEEP
"""'Leave this field as the ERP has it' in `request_profile_change` (None means 'no limit')."""


@dataclass(frozen=True, slots=True)
class RequestResult:
    """What a request led to: nothing (the ERP already has it), a request awaiting approval, or a queued row."""

    request: ChangeRequest | None
    change: ProfileChange | None
    outbox_row: OutboxRow | None
    superseded: tuple[int, ...]
    message: str


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    """What the replica knows of a customer: its name and currency (from the last pull or import)."""

    name: str | None
    currency: str | None


def customer_facts(engine: sa.Engine, connection: str, customer_ids: Sequence[str]) -> dict[str, CustomerFacts]:
    """Names and currencies from the replica's current customer rows of source `connection`."""
    customers = schema.customers
    query = sa.select(customers.c.customer_id, customers.c.name, customers.c.currency).where(
        customers.c.source == connection, customers.c.valid_to.is_(None), customers.c.customer_id.in_(customer_ids)
    )
    with engine.connect() as conn:
        return {row.customer_id: CustomerFacts(row.name, row.currency) for row in conn.execute(query)}


def request_profile_change(
    store: Store,
    connection: str,
    adapter: CreditProfileReader,
    customer_id: str,
    policy: WritebackPolicy,
    *,
    requested_by: str,
    reason: str,
    credit_limit: Decimal | _Keep | None = KEEP,
    on_hold: bool | _Keep = KEEP,
    currency: str | None = None,
    erp: str | None = None,
    run_id: str | None = None,
    now: datetime | None = None,
) -> RequestResult:
    """Read the customer's profile from the ERP, then `request_change` with the fields given changed."""
    current = adapter.read_credit_profile(customer_id)
    if current is None:
        raise _unknown(connection, customer_id)
    facts = customer_facts(store.engine, connection, [customer_id]).get(customer_id, CustomerFacts(None, None))
    known_currency = current.credit_limit.currency if current.credit_limit is not None else facts.currency
    chosen = currency or known_currency
    if chosen is None:
        raise MissingCurrency(f"customer {customer_id} has no credit limit and no known currency: give --currency")
    now_values = profile_values(current, chosen)
    wanted = ProfileValues(
        credit_limit=now_values.credit_limit if isinstance(credit_limit, _Keep) else credit_limit,
        on_hold=now_values.on_hold if isinstance(on_hold, _Keep) else on_hold,
        currency=chosen,
    )
    return request_change(store, connection, customer_id, wanted, current, policy, requested_by=requested_by,
                          reason=reason, erp=erp, customer_name=facts.name, run_id=run_id, now=now)  # fmt: skip


def request_change(
    store: Store,
    connection: str,
    customer_id: str,
    wanted: ProfileValues,
    current: CreditProfile | None,
    policy: WritebackPolicy,
    *,
    requested_by: str,
    reason: str,
    erp: str | None = None,
    customer_name: str | None = None,
    run_id: str | None = None,
    now: datetime | None = None,
) -> RequestResult:
    """Record a wanted change of one customer against the ERP's `current` profile (see the module docstring)."""
    at = now or utc_now()
    names = {customer_id: customer_name} if customer_name else None
    found = plan_profile_changes({customer_id: wanted}, {customer_id: current} if current else {}, policy, names)
    if not found:
        return RequestResult(None, None, None, (), f"{customer_id}: the ERP already has these values, nothing to do")
    change = found[0]
    if change.current is None:
        raise _unknown(connection, customer_id)
    engine = store.engine
    context = write_transaction(engine) if change.needs_approval else recording(engine, Event.CREATED)
    with context as conn:
        request, row, superseded = record_request(
            conn, connection, change, requested_by=requested_by, reason=reason, erp=erp, run_id=run_id, now=at
        )
    return RequestResult(request, change, row, superseded, _message(request, row))


def _message(request: ChangeRequest, row: OutboxRow | None) -> str:
    if row is None:
        return f"request {request.id}: awaiting approval by someone other than {request.requested_by}"
    return f"request {request.id}: queued as outbox row {row.id}"


def record_request(
    conn: sa.Connection,
    connection: str,
    change: ProfileChange,
    *,
    requested_by: str,
    reason: str,
    erp: str | None,
    run_id: str | None,
    now: datetime,
) -> tuple[ChangeRequest, OutboxRow | None, tuple[int, ...]]:
    """Insert the request of `change` (and its outbox row when it needs no approval) and audit it, in `conn`'s
    transaction; older requests of the customer still awaiting approval are superseded."""
    if change.current is None:
        raise _unknown(connection, change.customer_id)
    _refuse_if_in_flight(conn, connection, change.customer_id)
    status = RequestStatus.PROPOSED if change.needs_approval else RequestStatus.QUEUED
    try:
        request_id = _insert_request(conn, connection, change, status, requested_by, reason, now)
        request = outbox_rows.load_request(conn, request_id)
        assert request is not None
        superseded = _supersede_older(conn, request, erp=erp, run_id=run_id, now=now)
        row = None if change.needs_approval else outbox_rows.create_row(
            conn, request, now=now, actor=requested_by, run_id=run_id)  # fmt: skip
    except sa.exc.IntegrityError as exc:
        raise ChangeInFlight(
            f"customer {change.customer_id} has a change on its way to the ERP: push, retry or cancel it first"
        ) from exc
    audit.append(conn, audit.AuditEvent(
        actor=requested_by, role="requester", connection=connection, erp=erp, customer_id=change.customer_id,
        before=change.current, after=change.wanted, action="requested", outcome=status.value,
        reason_code=",".join(change.kinds), reason=reason, request_id=request.id,
        outbox_id=None if row is None else row.id, idempotency_key=None if row is None else row.idempotency_key,
        run_id=run_id,
    ), now)  # fmt: skip
    return request, row, superseded


def _unknown(connection: str, customer_id: str) -> UnknownCustomer:
    return UnknownCustomer(f"the ERP of connection {connection!r} has no credit profile for customer {customer_id!r}")


def _refuse_if_in_flight(conn: sa.Connection, connection: str, customer_id: str) -> None:
    busy = conn.execute(
        sa.select(outbox.c.id, outbox.c.status).where(
            outbox.c.connection == connection,
            outbox.c.customer_id == customer_id,
            outbox.c.status.in_([s.value for s in ACTIVE]),
        )
    ).first()
    if busy is not None:
        raise ChangeInFlight(
            f"customer {customer_id} has outbox row {busy.id} ({busy.status}) on its way to the ERP: "
            "push it, or retry/cancel it first"
        )


def _insert_request(
    conn: sa.Connection,
    connection: str,
    change: ProfileChange,
    status: RequestStatus,
    requested_by: str,
    reason: str,
    at: datetime,
) -> int:
    assert change.current is not None
    values: dict[str, Any] = {
        "connection": connection,
        "customer_id": change.customer_id,
        "customer_name": change.customer_name,
        "before_version": change.current_version,
        **values_columns("before", change.current),
        **values_columns("wanted", change.wanted),
        "kinds": ",".join(change.kinds),
        "needs_approval": change.needs_approval,
        "reason": reason,
        "requested_by": requested_by,
        "requested_at": to_db_time(at),
        "status": status.value,
        "updated_at": to_db_time(at),
    }
    inserted = conn.execute(sa.insert(change_requests).values(**values).returning(change_requests.c.id)).scalar_one()
    return int(inserted)


def _supersede_older(
    conn: sa.Connection, request: ChangeRequest, *, erp: str | None, run_id: str | None, now: datetime
) -> tuple[int, ...]:
    older = conn.execute(
        sa.select(change_requests).where(
            change_requests.c.connection == request.connection,
            change_requests.c.customer_id == request.customer_id,
            change_requests.c.status == RequestStatus.PROPOSED.value,
            change_requests.c.id != request.id,
        )
    ).mappings().all()
    for row in older:
        previous = ChangeRequest.from_row(row)
        outbox_rows.set_request_status(conn, previous.id, RequestStatus.SUPERSEDED, now, superseded_by=request.id)
        audit.append(conn, audit.AuditEvent(
            actor=request.requested_by, role="requester", connection=request.connection, erp=erp,
            customer_id=request.customer_id, before=previous.before, after=previous.wanted, action="superseded",
            outcome=RequestStatus.SUPERSEDED.value, reason=f"replaced by request {request.id}",
            request_id=previous.id, run_id=run_id,
        ), now)  # fmt: skip
    return tuple(int(r["id"]) for r in older)


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of `approve` or `reject`."""

    request: ChangeRequest
    approval_id: int | None
    outbox_row: OutboxRow | None


def approve(
    store: Store,
    request_id: int,
    approver: str,
    *,
    comment: str | None = None,
    erp: str | None = None,
    run_id: str | None = None,
    now: datetime | None = None,
) -> Decision:
    """A second person approves a PROPOSED request: APPROVED + approval + outbox row + audit, in one commit."""
    at = now or utc_now()
    try:
        with recording(store.engine, Event.CREATED) as conn:
            request = _proposed(conn, request_id)
            if approver.strip().lower() == request.requested_by.strip().lower():
                raise SelfApprovalRefused(
                    f"{approver} requested change {request_id} and cannot approve it: four eyes need a second person"
                )
            _refuse_if_in_flight(conn, request.connection, request.customer_id)
            approval_id = _insert_decision(conn, request, approver, "APPROVED", comment, at)
            outbox_rows.set_request_status(conn, request.id, RequestStatus.APPROVED, at)
            row = outbox_rows.create_row(conn, request, now=at, actor=approver, run_id=run_id)
            audit.append(conn, audit.AuditEvent(
                actor=approver, role="approver", connection=request.connection, erp=erp,
                customer_id=request.customer_id, before=request.before, after=request.wanted, action="approved",
                outcome=RequestStatus.APPROVED.value, reason_code=",".join(request.kinds), reason=comment,
                approval_ids=(approval_id,), request_id=request.id, outbox_id=row.id,
                idempotency_key=row.idempotency_key, run_id=run_id,
            ), at)  # fmt: skip
            updated = outbox_rows.load_request(conn, request.id)
    except sa.exc.IntegrityError as exc:
        raise InvalidTransition(f"request {request_id} could not be approved: {exc.orig}") from exc
    assert updated is not None
    return Decision(updated, approval_id, row)


def reject(
    store: Store,
    request_id: int,
    user: str,
    *,
    comment: str | None = None,
    erp: str | None = None,
    run_id: str | None = None,
    now: datetime | None = None,
) -> Decision:
    """A second person refuses a PROPOSED request (the requester may withdraw their own)."""
    at = now or utc_now()
    with write_transaction(store.engine) as conn:
        request = _proposed(conn, request_id)
        withdrawn = user.strip().lower() == request.requested_by.strip().lower()
        approval_id = None if withdrawn else _insert_decision(conn, request, user, "REJECTED", comment, at)
        outbox_rows.set_request_status(conn, request.id, RequestStatus.REJECTED, at)
        audit.append(conn, audit.AuditEvent(
            actor=user, role="requester" if withdrawn else "approver", connection=request.connection, erp=erp,
            customer_id=request.customer_id, before=request.before, after=request.before,
            action="withdrawn" if withdrawn else "rejected", outcome=RequestStatus.REJECTED.value, reason=comment,
            approval_ids=() if approval_id is None else (approval_id,), request_id=request.id, run_id=run_id,
        ), at)  # fmt: skip
        updated = outbox_rows.load_request(conn, request.id)
    assert updated is not None
    return Decision(updated, approval_id, None)


def _proposed(conn: sa.Connection, request_id: int) -> ChangeRequest:
    request = outbox_rows.load_request(conn, request_id)
    if request is None:
        raise NotFound(f"no change request {request_id}")
    if request.status is not RequestStatus.PROPOSED:
        raise InvalidTransition(f"change request {request_id} is {request.status}, not awaiting approval")
    return request


def _insert_decision(
    conn: sa.Connection, request: ChangeRequest, user: str, decision: str, comment: str | None, at: datetime
) -> int:
    inserted = conn.execute(
        sa.insert(approvals)
        .values(
            request_id=request.id,
            requested_by=request.requested_by,
            approver=user,
            decision=decision,
            comment=comment,
            decided_at=to_db_time(at),
        )
        .returning(approvals.c.id)
    ).scalar_one()
    return int(inserted)


def get_request(store: Store, request_id: int) -> ChangeRequest:
    with store.engine.connect() as conn:
        request = outbox_rows.load_request(conn, request_id)
    if request is None:
        raise NotFound(f"no change request {request_id}")
    return request


def list_requests(
    store: Store, connection: str | None = None, statuses: Sequence[RequestStatus] = (RequestStatus.PROPOSED,)
) -> list[ChangeRequest]:
    """Change requests (by default those awaiting approval), oldest first."""
    query = sa.select(change_requests).order_by(change_requests.c.id)
    if connection is not None:
        query = query.where(change_requests.c.connection == connection)
    if statuses:
        query = query.where(change_requests.c.status.in_([s.value for s in statuses]))
    with store.engine.connect() as conn:
        return [ChangeRequest.from_row(r) for r in conn.execute(query).mappings()]
