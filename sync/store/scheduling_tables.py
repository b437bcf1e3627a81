"""Tables of the scheduler: who runs which job now (leases), and every run of a job (runs).

`job_leases`: one row per (connection, job), kept after release so that `fence` only ever grows.
A holder takes the lease with a compare-and-set (free, or its expiry passed), which adds 1 to the
fence; while it works a heartbeat moves `expires_at` on; release clears `holder`. A holder that
died (kill -9, a lost machine) stops renewing, and the lease is free again at `expires_at`.
Every write a holder makes about its run names the fence it got: a holder whose lease was taken
over cannot record anything any more (the same rule as the outbox's claims).

`job_runs`: one row per run. A scheduled run names its cron `slot` (naive UTC), and
(connection, job, slot) is unique: two schedulers (or a scheduler and a redelivered Celery
message) can create at most one run per slot. Commands (`creditbridge jobs run`) leave `slot`
NULL (NULLs never collide). `status`: queued (enqueued for a Celery worker), running, ok,
attention (finished, left work for a person), failed. A run whose holder died is taken over under
the same id (`attempts` counts the tries). Times are naive UTC.
"""

from __future__ import annotations

import sqlalchemy as sa

from creditbridge.sync.store.schema import metadata

job_leases = sa.Table(
    "job_leases",
    metadata,
    sa.Column("connection", sa.String(64), primary_key=True),
    sa.Column("job", sa.String(64), primary_key=True),
    sa.Column("holder", sa.String(200), nullable=True),
    sa.Column("run_id", sa.String(64), nullable=True),
    sa.Column("fence", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("acquired_at", sa.DateTime, nullable=True),
    sa.Column("heartbeat_at", sa.DateTime, nullable=True),
    sa.Column("expires_at", sa.DateTime, nullable=True),
)

job_runs = sa.Table(
    "job_runs",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("connection", sa.String(64), nullable=False),
    sa.Column("job", sa.String(64), nullable=False),
    sa.Column("slot", sa.DateTime, nullable=True),
    sa.Column("trigger", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("holder", sa.String(200), nullable=True),
    sa.Column("fence", sa.BigInteger, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=True),
    sa.Column("finished_at", sa.DateTime, nullable=True),
    sa.Column("duration_seconds", sa.Float, nullable=True),
    sa.Column("detail", sa.Text, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.UniqueConstraint("connection", "job", "slot"),
    sa.Index(None, "connection", "job", "created_at"),
    sa.Index(None, "status"),
)
