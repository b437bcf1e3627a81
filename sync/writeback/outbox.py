"""The outbox: rows of writes to send, their forward-only transitions, and a person's actions on them.

Why one `transition` function: every change of an outbox row is a compare-and-set on
(id, status, fence) plus an `outbox_events` row, in the caller's transaction. A dispatcher whose
lease was taken over (the fence moved on) gets False and must leave the row alone; a pair of
statuses not in `records.TRANSITIONS` raises, so no code path can move a row backwards.
The idempotency key is the row's id, fixed when the row is created (reliability.md R2).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from creditbridge.sync.store.writeback_tables import change_requests, outbox, outbox_events
from creditbridge.sync.writeback import audit
from creditbridge.sync.writeback.errors import InvalidTransition, NotFound
from creditbridge.sync.writeback.records import (
    TRANSITIONS,
    ChangeRequest,
    Event,
    OutboxEvent,
    OutboxRow,
    OutboxStatus,
    RequestStatus,
    to_db_time,
    utc_now,
    values_columns,
)
from creditbridge.sync.writeback.transactions import recording


def create_row(
    conn: sa.Connection, request: ChangeRequest, *, now: datetime, actor: str, run_id: str | None
) -> OutboxRow:
    """Insert the outbox row of `request` (PENDING, key = id) and its `created` event."""
    row_id = str(uuid.uuid4())
    at = to_db_time(now)
    values: dict[str, Any] = {
        "id": row_id,
        "idempotency_key": row_id,
        "connection": request.connection,
        "customer_id": request.customer_id,
        "request_id": request.id,
        "expected_version": request.before_version,
        **values_columns("expected", request.before),
        **values_columns("wanted", request.wanted),
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": None,
        "lease_until": None,
        "fence": 0,
        "created_at": at,
        "updated_at": at,
    }
    conn.execute(sa.insert(outbox).values(**values))
    _event(conn, row_id, Event.CREATED, None, OutboxStatus.PENDING, fence=0, attempt=0, actor=actor,
           run_id=run_id, detail=f"for change request {request.id}", at=at)  # fmt: skip
    found = load(conn, row_id)
    assert found is not None
    return found


def transition(
    conn: sa.Connection,
    row: OutboxRow,
    to_status: OutboxStatus,
    event: Event,
    *,
    actor: str,
    run_id: str | None,
    now: datetime,
    detail: str | None = None,
    new_fence: int | None = None,
    **updates: Any,
) -> bool:
    """Move `row` (as last read, with its fence) to `to_status`; False if it moved on meanwhile."""
    if (row.status, to_status) not in TRANSITIONS:
        raise InvalidTransition(f"outbox row {row.id} cannot go from {row.status} to {to_status}")
    at = to_db_time(now)
    fence = row.fence if new_fence is None else new_fence
    changed = conn.execute(
        sa.update(outbox)
        .where(outbox.c.id == row.id, outbox.c.status == row.status.value, outbox.c.fence == row.fence)
        .values(status=to_status.value, fence=fence, updated_at=at, **updates)
    ).rowcount
    if changed != 1:
        return False
    attempt = int(updates.get("attempts", row.attempts))
    _event(conn, row.id, event, row.status, to_status, fence=fence, attempt=attempt, actor=actor, run_id=run_id,
           detail=detail, at=at)  # fmt: skip
    return True


def _event(
    conn: sa.Connection,
    outbox_id: str,
    event: Event,
    from_status: OutboxStatus | None,
    to_status: OutboxStatus,
    *,
    fence: int,
    attempt: int,
    actor: str,
    run_id: str | None,
    detail: str | None,
    at: datetime,
) -> None:
    conn.execute(
        sa.insert(outbox_events).values(
            outbox_id=outbox_id,
            at=at,
            event=event.value,
            from_status=None if from_status is None else from_status.value,
            to_status=to_status.value,
            fence=fence,
            attempt=attempt,
            actor=actor,
            run_id=run_id,
            detail=None if detail is None else detail[:2000],
        )
    )


def load(conn: sa.Connection, row_id: str) -> OutboxRow | None:
    found = conn.execute(sa.select(outbox).where(outbox.c.id == row_id)).mappings().first()
    return None if found is None else OutboxRow.from_row(found)


def find(engine: sa.Engine, id_or_prefix: str, connection: str | None = None) -> OutboxRow:
    """The row whose id is, or uniquely starts with, `id_or_prefix` (as `git` takes short hashes)."""
    text = id_or_prefix.strip().lower()
    query = sa.select(outbox).where(outbox.c.id.startswith(text, autoescape=True)).limit(2)
    if connection is not None:
        query = query.where(outbox.c.connection == connection)
    if len(text) < 4:
        raise NotFound(f"outbox id {id_or_prefix!r} is too short: give at least 4 characters")
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    if not rows:
        raise NotFound(f"no outbox row {id_or_prefix!r}")
    if len(rows) > 1:
        raise NotFound(f"outbox id {id_or_prefix!r} is ambiguous: give more characters")
    return OutboxRow.from_row(rows[0])


def list_rows(
    engine: sa.Engine, connection: str | None = None, statuses: Sequence[OutboxStatus] = ()
) -> list[OutboxRow]:
    """Outbox rows, oldest first."""
    query = sa.select(outbox).order_by(outbox.c.created_at, outbox.c.id)
    if connection is not None:
        query = query.where(outbox.c.connection == connection)
    if statuses:
        query = query.where(outbox.c.status.in_([s.value for s in statuses]))
    with engine.connect() as conn:
        return [OutboxRow.from_row(r) for r in conn.execute(query).mappings()]


def history(engine: sa.Engine, row_id: str) -> list[OutboxEvent]:
    """Every transition of the row, in order."""
    query = sa.select(outbox_events).where(outbox_events.c.outbox_id == row_id).order_by(outbox_events.c.id)
    with engine.connect() as conn:
        return [OutboxEvent.from_row(r) for r in conn.execute(query).mappings()]


def load_request(conn: sa.Connection, request_id: int) -> ChangeRequest | None:
    found = conn.execute(sa.select(change_requests).where(change_requests.c.id == request_id)).mappings().first()
    return None if found is None else ChangeRequest.from_row(found)


def set_request_status(
    conn: sa.Connection, request_id: int, status: RequestStatus, now: datetime, **updates: Any
) -> None:
    conn.execute(
        sa.update(change_requests)
        .where(change_requests.c.id == request_id)
        .values(status=status.value, updated_at=to_db_time(now), **updates)
    )


def audit_outcome(
    conn: sa.Connection,
    row: OutboxRow,
    status: OutboxStatus,
    *,
    actor: str,
    role: str,
    erp: str | None,
    now: datetime,
    run_id: str | None,
    reason: str | None = None,
    after: Any = None,
    erp_ref: str | None = None,
    action: str | None = None,
    outcome: str | None = None,
) -> None:
    """The audit row of an outbox row reaching `status` (or of a person's action on it)."""
    audit.append(
        conn,
        audit.AuditEvent(
            actor=actor, role=role, connection=row.connection, erp=erp, customer_id=row.customer_id,
            before=row.expected, after=row.wanted if after is None else after, action=action or status.value.lower(),
            outcome=outcome or status.value, reason=reason, request_id=row.request_id, outbox_id=row.id,
            idempotency_key=row.idempotency_key, erp_ref=erp_ref, run_id=run_id,
        ),
        now,
    )  # fmt: skip


def retry(engine: sa.Engine, id_or_prefix: str, user: str, *, run_id: str | None = None,
          now: datetime | None = None) -> OutboxRow:  # fmt: skip
    """A person sends a FAILED row again (attempts start over), or makes a waiting row due now."""
    at = now or utc_now()
    row = find(engine, id_or_prefix)
    if row.status not in (OutboxStatus.FAILED, OutboxStatus.PENDING, OutboxStatus.UNKNOWN):
        raise InvalidTransition(
            f"outbox row {row.id} is {row.status}: only FAILED, PENDING or UNKNOWN rows can be retried"
        )
    with recording(engine, Event.RETRIED) as conn:
        updates: dict[str, Any] = {"next_attempt_at": None}
        if row.status is OutboxStatus.FAILED:
            updates["attempts"] = 0
        if not transition(conn, row, row.status if row.status is not OutboxStatus.FAILED else OutboxStatus.PENDING,
                          Event.RETRIED, actor=user, run_id=run_id, now=at, detail=f"retried by {user}",
                          **updates):  # fmt: skip
            raise InvalidTransition(f"outbox row {row.id} changed meanwhile; look again (outbox show {row.id})")
        after_status = OutboxStatus.PENDING if row.status is OutboxStatus.FAILED else row.status
        audit_outcome(conn, row, row.status, actor=user, role="operator", erp=None, now=at, run_id=run_id,
                      action="retried", outcome=after_status.value)  # fmt: skip
    return find(engine, row.id)


def cancel(engine: sa.Engine, id_or_prefix: str, user: str, *, reason: str | None = None,
           run_id: str | None = None, now: datetime | None = None) -> OutboxRow:  # fmt: skip
    """A person cancels a row that was not sent (PENDING) or could not be (FAILED)."""
    at = now or utc_now()
    row = find(engine, id_or_prefix)
    if row.status not in (OutboxStatus.PENDING, OutboxStatus.FAILED):
        raise InvalidTransition(
            f"outbox row {row.id} is {row.status}: only PENDING or FAILED rows can be cancelled"
            + (" (its outcome is not known yet: push to read it back first)" if row.status is OutboxStatus.UNKNOWN
               else "")
        )  # fmt: skip
    with recording(engine, Event.CANCELLED) as conn:
        if not transition(conn, row, OutboxStatus.CANCELLED, Event.CANCELLED, actor=user, run_id=run_id, now=at,
                          detail=reason or f"cancelled by {user}", lease_until=None, next_attempt_at=None):  # fmt: skip
            raise InvalidTransition(f"outbox row {row.id} changed meanwhile (a dispatcher may have claimed it)")
        set_request_status(conn, row.request_id, RequestStatus.CANCELLED, at)
        audit_outcome(conn, row, OutboxStatus.CANCELLED, actor=user, role="operator", erp=None, now=at,
                      run_id=run_id, reason=reason, after=row.expected)  # fmt: skip
    return find(engine, row.id)
