"""The pull-request queue in the store: enqueue from webhooks, claim and finish from workers.

Why claims are conditional UPDATEs: two workers (the `serve` thread and a cron `webhooks drain`,
or two servers) may drain at once. A worker sets `started_at` and its `run_id` only on rows that
are still unclaimed (`started_at IS NULL`) or whose claim went stale (a worker died mid-pull),
then reads back the rows carrying its run id: whatever the databases interleave, each row is
claimed by exactly one worker. PostgreSQL re-checks the WHERE after a concurrent update;
SQLite serialises writers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from creditbridge.core.ports import Entity
from creditbridge.sync.service.events import WebhookEvent, entities_of
from creditbridge.sync.store.service_tables import pull_requests, webhook_events

STALE_CLAIM = timedelta(minutes=30)
"""A claim older than this with no `finished_at` is taken to be a dead worker's, and reclaimed."""


@dataclass(frozen=True, slots=True)
class Enqueued:
    """What a webhook delivery added: the new request (None if every event was a duplicate)."""

    request_id: int | None
    entities: tuple[Entity, ...]
    queued_events: int
    duplicate_events: int


@dataclass(frozen=True, slots=True)
class PullRequest:
    """One row of `pull_requests` (times naive UTC)."""

    id: int
    connection: str
    entities: tuple[Entity, ...]
    event_ids: tuple[str, ...]
    orders: tuple[str, ...]
    received_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    run_id: str | None
    error: str | None

    @property
    def status(self) -> str:
        """queued, running, finished or failed."""
        if self.finished_at is not None:
            return "failed" if self.error else "finished"
        return "running" if self.started_at is not None else "queued"

    def as_dict(self) -> dict[str, Any]:
        def moment(value: datetime | None) -> str | None:
            return None if value is None else value.replace(tzinfo=UTC).isoformat()

        return {
            "id": self.id,
            "connection": self.connection,
            "status": self.status,
            "entities": [e.value for e in self.entities],
            "event_ids": list(self.event_ids),
            "received_at": moment(self.received_at),
            "started_at": moment(self.started_at),
            "finished_at": moment(self.finished_at),
            "run_id": self.run_id,
            "error": self.error,
        }


def utc_now() -> datetime:
    """Now as the store keeps times: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def enqueue(engine: sa.Engine, connection: str, events: Sequence[WebhookEvent]) -> Enqueued:
    """Queue a pull of the entities of `events` not received before, in one transaction."""
    wanted = [e for e in events if e.entities]
    if not wanted:
        return Enqueued(None, (), 0, 0)
    now = utc_now()
    with engine.begin() as conn:
        request_id = conn.execute(
            sa.insert(pull_requests)
            .values(connection=connection, entities=[], event_ids=[], received_at=now)
            .returning(pull_requests.c.id)
        ).scalar_one()
        fresh = [e for e in _unique(wanted) if _record_event(conn, connection, e.event_id, request_id, now)]
        if not fresh:
            conn.execute(sa.delete(pull_requests).where(pull_requests.c.id == request_id))
            return Enqueued(None, (), 0, len(wanted))
        entities = tuple(entities_of(fresh))
        conn.execute(
            sa.update(pull_requests)
            .where(pull_requests.c.id == request_id)
            .values(
                entities=[e.value for e in entities],
                event_ids=[e.event_id for e in fresh],
                orders=sorted({e.record_id for e in fresh if e.qbo_entity.lower() == "estimate" and e.record_id}),
            )
        )
    return Enqueued(request_id, entities, len(fresh), len(wanted) - len(fresh))


def _unique(events: Sequence[WebhookEvent]) -> list[WebhookEvent]:
    seen: dict[str, WebhookEvent] = {}
    for event in events:
        seen.setdefault(event.event_id, event)
    return list(seen.values())


def _record_event(conn: sa.Connection, connection: str, event_id: str, request_id: int, now: datetime) -> bool:
    """Remember `event_id`; False if it was already received (insert … on conflict do nothing)."""
    values = {"connection": connection, "event_id": event_id, "request_id": request_id, "received_at": now}
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(webhook_events)
    statement = insert.values(**values).on_conflict_do_nothing(index_elements=["connection", "event_id"])
    return conn.execute(statement.returning(webhook_events.c.event_id)).first() is not None


def claim(engine: sa.Engine, connection: str, run_id: str, *, max_requests: int | None = None) -> list[PullRequest]:
    """Claim `connection`'s queued requests (oldest first, at most `max_requests`) for run `run_id`."""
    now = utc_now()
    claimable = sa.and_(
        pull_requests.c.connection == connection,
        pull_requests.c.finished_at.is_(None),
        sa.or_(pull_requests.c.started_at.is_(None), pull_requests.c.started_at < now - STALE_CLAIM),
    )
    with engine.begin() as conn:
        candidates = sa.select(pull_requests.c.id).where(claimable).order_by(pull_requests.c.id)
        if max_requests is not None:
            candidates = candidates.limit(max_requests)
        ids = list(conn.execute(candidates).scalars())
        if not ids:
            return []
        conn.execute(
            sa.update(pull_requests)
            .where(pull_requests.c.id.in_(ids), claimable)
            .values(started_at=now, run_id=run_id, error=None)
        )
    return requests(engine, run_id=run_id)


def queued_connections(engine: sa.Engine) -> list[str]:
    """The connections with requests not finished yet, by name."""
    with engine.connect() as conn:
        query = sa.select(pull_requests.c.connection).where(pull_requests.c.finished_at.is_(None)).distinct()
        return sorted(conn.execute(query).scalars())


def finish(engine: sa.Engine, run_id: str, error: str | None = None) -> None:
    """Mark the requests of run `run_id` finished (with `error` if the pull failed)."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(pull_requests)
            .where(pull_requests.c.run_id == run_id, pull_requests.c.finished_at.is_(None))
            .values(finished_at=utc_now(), error=error)
        )


def release(engine: sa.Engine, run_id: str) -> None:
    """Put the requests of run `run_id` back in the queue (the pull could not start, try later)."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(pull_requests)
            .where(pull_requests.c.run_id == run_id, pull_requests.c.finished_at.is_(None))
            .values(started_at=None, run_id=None)
        )


def requests(
    engine: sa.Engine,
    *,
    run_id: str | None = None,
    connection: str | None = None,
    unfinished_only: bool = False,
    limit: int | None = None,
) -> list[PullRequest]:
    """Rows of the queue, newest first (oldest first when reading one run's claim)."""
    query = sa.select(pull_requests)
    if run_id is not None:
        query = query.where(pull_requests.c.run_id == run_id).order_by(pull_requests.c.id)
    else:
        query = query.order_by(pull_requests.c.id.desc())
    if connection is not None:
        query = query.where(pull_requests.c.connection == connection)
    if unfinished_only:
        query = query.where(pull_requests.c.finished_at.is_(None))
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        return [_request(row) for row in conn.execute(query).mappings()]


def _request(row: sa.RowMapping) -> PullRequest:
    return PullRequest(
        id=row["id"],
        connection=row["connection"],
        entities=tuple(Entity(e) for e in row["entities"]),
        event_ids=tuple(row["event_ids"]),
        orders=tuple(row["orders"] or ()),
        received_at=row["received_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        run_id=row["run_id"],
        error=row["error"],
    )
