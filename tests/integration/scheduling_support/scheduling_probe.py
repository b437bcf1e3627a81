"""A job for the scheduling tests (loaded by real scheduler and worker processes through
`[schedule.extra_jobs]` with this folder on PYTHONPATH): it sleeps, then records one effect row.

The first attempt of a run sleeps $CB_PROBE_SLEEP seconds (long, so a test can kill its holder
mid-job), later attempts $CB_PROBE_RETRY_SLEEP. The effect row is keyed by nothing but an
autoincrement id, so a run applied twice shows as two rows: the tests count them.
"""

from __future__ import annotations

import os
import time

import sqlalchemy as sa

from creditbridge.sync.scheduling.registry import JobContext, JobResult

metadata = sa.MetaData()
effects = sa.Table(
    "probe_effects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("connection", sa.String(64), nullable=False),
    sa.Column("job", sa.String(64), nullable=False),
    sa.Column("slot", sa.String(40), nullable=True),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("holder", sa.String(200), nullable=False),
    sa.Column("started", sa.Float, nullable=False),
    sa.Column("finished", sa.Float, nullable=False),
)


def create_table(url: str) -> None:
    engine = sa.create_engine(url)
    metadata.create_all(engine)
    engine.dispose()


def probe_job(ctx: JobContext) -> JobResult:
    started = time.time()
    if ctx.attempt == 1:
        time.sleep(float(os.environ.get("CB_PROBE_SLEEP", "0.3")))
    else:
        time.sleep(float(os.environ.get("CB_PROBE_RETRY_SLEEP", "0.2")))
    with ctx.store.engine.begin() as conn:
        conn.execute(sa.insert(effects).values(
            run_id=ctx.run_id, connection=ctx.connection, job=ctx.claim.job,
            slot=None if ctx.slot is None else ctx.slot.isoformat(), attempt=ctx.attempt, holder=ctx.claim.holder,
            started=started, finished=time.time(),
        ))  # fmt: skip
    return JobResult("ok", f"probe effect of attempt {ctx.attempt}")
