"""Leases of (connection, job) and the runs they cover, in the store.

The idea is the outbox dispatcher's (writeback/dispatcher.py): a claim is a compare-and-set on a
fencing token, committed before any work starts; every later write names that token, so a holder
whose lease ran out and was taken over can record nothing more. Here the claim also creates (or
takes over) the run of a cron slot in the SAME transaction, and `job_runs` is unique per
(connection, job, slot): two schedulers, or a scheduler and a redelivered Celery message, run a
slot once. A holder that dies stops renewing its lease; once `expires_at` passes, the next
claimer takes the run over under the same id (`attempts` + 1), up to `max_attempts`.

SQLite takes the write lock at BEGIN (`write_transaction`), PostgreSQL re-checks the UPDATE's
WHERE after a concurrent commit: on both, of two claimers of one lease exactly one wins.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa

from creditbridge.sync.store.scheduling_tables import job_leases, job_runs
from creditbridge.sync.writeback.records import to_db_time
from creditbridge.sync.writeback.transactions import write_transaction

FINISHED = frozenset({"ok", "attention", "failed"})
Trigger = Literal["schedule", "command", "celery"]


def holder_id(kind: str = "scheduler") -> str:
    """Who holds a lease: kind, host, process and a random tag (a restarted process is a new holder)."""
    return f"{kind}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True, slots=True)
class Claim:
    """A lease won and the run it covers: work may start; every record names `fence`."""

    run_id: str
    connection: str
    job: str
    slot: datetime | None
    holder: str
    fence: int
    attempts: int
    started_at: datetime


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why nothing was claimed: `busy` (another live holder), `done` (the run or slot finished), `gone`."""

    reason: Literal["busy", "done", "gone"]
    detail: str
    expires_at: datetime | None = None


def claim(
    engine: sa.Engine,
    connection: str,
    job: str,
    *,
    holder: str,
    ttl: float,
    now: datetime,
    trigger: Trigger,
    slot: datetime | None = None,
    run_id: str | None = None,
    max_attempts: int = 3,
) -> Claim | Refusal:
    """Take the (connection, job) lease and start the run: a new one, the slot's, or `run_id` (queued)."""
    at = to_db_time(now)
    db_slot = None if slot is None else to_db_time(slot)
    with write_transaction(engine) as conn:
        # The lease row first, locked: a holder finishing now commits before or after this claim, never
        # between reading its run (still "running") and its lease (already free) — which re-ran a slot.
        lease = _lease_row(conn, connection, job)
        run = _run_row(conn, connection, job, db_slot, run_id)
        if run_id is not None and run is None:
            return Refusal("gone", f"there is no run {run_id}")
        if run is not None and run["status"] in FINISHED:
            return Refusal("done", f"run {run['id']} already ended {run['status']}")
        if lease["holder"] is not None and lease["expires_at"] is not None and lease["expires_at"] > at:
            return Refusal("busy", f"{lease['holder']} holds {connection}/{job} (run {lease['run_id']}) "
                           f"until {lease['expires_at']:%H:%M:%S} UTC", lease["expires_at"])  # fmt: skip
        fence = int(lease["fence"]) + 1
        won = conn.execute(
            sa.update(job_leases)
            .where(job_leases.c.connection == connection, job_leases.c.job == job, job_leases.c.fence == lease["fence"])
            .values(holder=holder, fence=fence, acquired_at=at, heartbeat_at=at, expires_at=at + timedelta(seconds=ttl))
        ).rowcount
        if won != 1:
            return Refusal("busy", f"another holder took {connection}/{job} just now")
        dead_run = lease["run_id"] if lease["holder"] is not None else None
        if dead_run is not None and (run is None or dead_run != run["id"]):
            _abandon(conn, dead_run, f"{lease['holder']} stopped renewing its lease (killed?)", at)
        if run is None:
            chosen = run_id or uuid.uuid4().hex
            try:
                with conn.begin_nested():
                    conn.execute(sa.insert(job_runs).values(
                        id=chosen, connection=connection, job=job, slot=db_slot, trigger=trigger, status="running",
                        holder=holder, fence=fence, attempts=1, created_at=at, started_at=at,
                    ))  # fmt: skip
            except sa.exc.IntegrityError:
                conn.rollback()
                return Refusal("done", f"slot {db_slot} of {connection}/{job} was taken by another scheduler")
            attempts = 1
        else:
            chosen, attempts = run["id"], int(run["attempts"]) + 1
            if attempts > max_attempts:
                _abandon(conn, chosen, f"gave up: {run['attempts']} attempt(s) whose holders died", at)
                conn.execute(_release(connection, job, fence))
                return Refusal("done", f"run {chosen} failed after {run['attempts']} attempt(s)")
            note = "" if run["status"] == "queued" else f"attempt {attempts}: {run['holder']} died; "
            conn.execute(sa.update(job_runs).where(job_runs.c.id == chosen).values(
                status="running", holder=holder, fence=fence, attempts=attempts, started_at=at,
                detail=(note + (run["detail"] or "")) or None,
            ))  # fmt: skip
        conn.execute(sa.update(job_leases).where(job_leases.c.connection == connection, job_leases.c.job == job)
                     .values(run_id=chosen))  # fmt: skip
    return Claim(chosen, connection, job, slot, holder, fence, attempts, now)


def renew(engine: sa.Engine, held: Claim, ttl: float, now: datetime) -> bool:
    """Heartbeat: move the expiry on; False if the lease was taken over (the fence moved on)."""
    at = to_db_time(now)
    with write_transaction(engine) as conn:
        changed = conn.execute(
            sa.update(job_leases)
            .where(*_held(held))
            .values(heartbeat_at=at, expires_at=at + timedelta(seconds=ttl))
        ).rowcount
    return changed == 1


def finish(
    engine: sa.Engine, held: Claim, status: str, now: datetime, *, detail: str | None, error: str | None
) -> bool:
    """Record the run's end and release the lease, if it is still ours (False: taken over, nothing written)."""
    at = to_db_time(now)
    with write_transaction(engine) as conn:
        if conn.execute(_release(held.connection, held.job, held.fence).where(job_leases.c.holder == held.holder)
                        ).rowcount != 1:  # fmt: skip
            conn.rollback()
            return False
        conn.execute(
            sa.update(job_runs)
            .where(job_runs.c.id == held.run_id, job_runs.c.fence == held.fence)
            .values(status=status, finished_at=at, duration_seconds=(now - held.started_at).total_seconds(),
                    detail=None if detail is None else detail[:4000], error=None if error is None else error[:4000])
        )  # fmt: skip
    return True


def enqueue(engine: sa.Engine, connection: str, job: str, slot: datetime, now: datetime) -> str | None:
    """A queued run for a Celery worker; None if the slot has its run already (another scheduler's)."""
    run_id = uuid.uuid4().hex
    try:
        with write_transaction(engine) as conn:
            conn.execute(sa.insert(job_runs).values(
                id=run_id, connection=connection, job=job, slot=to_db_time(slot), trigger="celery", status="queued",
                attempts=0, created_at=to_db_time(now),
            ))  # fmt: skip
    except sa.exc.IntegrityError:
        return None
    return run_id


def queued_before(engine: sa.Engine, moment: datetime) -> list[str]:
    """Runs still queued that were created before `moment` (their message may be lost: send again)."""
    with engine.connect() as conn:
        query = sa.select(job_runs.c.id).where(
            job_runs.c.status == "queued", job_runs.c.created_at < to_db_time(moment)
        )
        return [run_id for (run_id,) in conn.execute(query)]


def run_status(engine: sa.Engine, run_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(job_runs).where(job_runs.c.id == run_id)).mappings().first()
    return None if row is None else dict(row)


def _run_row(
    conn: sa.Connection, connection: str, job: str, slot: datetime | None, run_id: str | None
) -> sa.RowMapping | None:
    if run_id is not None:
        query = sa.select(job_runs).where(job_runs.c.id == run_id)
    elif slot is not None:
        query = sa.select(job_runs).where(job_runs.c.connection == connection, job_runs.c.job == job,
                                          job_runs.c.slot == slot)  # fmt: skip
    else:
        return None
    return conn.execute(query).mappings().first()


def _lease_row(conn: sa.Connection, connection: str, job: str) -> sa.RowMapping:
    key = {"connection": connection, "job": job}
    found = conn.execute(sa.select(job_leases).filter_by(**key).with_for_update()).mappings().first()
    if found is None:
        try:
            with conn.begin_nested():
                conn.execute(sa.insert(job_leases).values(**key, fence=0))
        except sa.exc.IntegrityError:
            pass  # a concurrent first claimer created it
        found = conn.execute(sa.select(job_leases).filter_by(**key).with_for_update()).mappings().one()
    return found


def _held(held: Claim) -> tuple[sa.ColumnElement[bool], ...]:
    return (job_leases.c.connection == held.connection, job_leases.c.job == held.job,
            job_leases.c.fence == held.fence, job_leases.c.holder == held.holder)  # fmt: skip


def _release(connection: str, job: str, fence: int) -> sa.Update:
    return (
        sa.update(job_leases)
        .where(job_leases.c.connection == connection, job_leases.c.job == job, job_leases.c.fence == fence)
        .values(holder=None, run_id=None, expires_at=None)
    )


def _abandon(conn: sa.Connection, run_id: str, why: str, at: datetime) -> None:
    """A run whose holder died and that nobody will finish: failed, with why."""
    conn.execute(
        sa.update(job_runs)
        .where(job_runs.c.id == run_id, job_runs.c.status.in_(["running", "queued"]))
        .values(status="failed", finished_at=at, error=why)
    )
