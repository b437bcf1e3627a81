"""`creditbridge status`: what monitoring needs to know, and whether a person must act.

The cursor age is the time since the connection's least recently finished sweep (when its
oldest cursor last moved), on our clock, not the ERP's. Needs a person (exit 1): a conflict not
yet resolved, a change waiting for approval, a last run that failed, or a cursor older than
`stale_cursor_hours` (the ERP has not been read).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from creditbridge.sync.config import Config
from creditbridge.sync.store import Store
from creditbridge.sync.store.pull_tables import pull_state
from creditbridge.sync.store.scheduling_tables import job_leases, job_runs
from creditbridge.sync.store.writeback_tables import change_requests, outbox
from creditbridge.sync.writeback.records import RequestStatus, to_db_time


@dataclass
class ConnectionStatus:
    connection: str
    runs: list[dict[str, Any]] = field(default_factory=list)
    cursor: datetime | None = None
    cursor_age_hours: float | None = None
    cursor_stale: bool = False
    outbox: dict[str, int] = field(default_factory=dict)
    conflicts: int = 0
    approvals_waiting: int = 0


@dataclass
class Status:
    connections: list[ConnectionStatus]
    leases: list[dict[str, Any]]
    attention: list[str]

    @property
    def ok(self) -> bool:
        return not self.attention

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "needs_a_person": self.attention,
            "connections": [
                {
                    "connection": c.connection,
                    "last_runs": c.runs,
                    "cursor": _iso(c.cursor),
                    "cursor_age_hours": None if c.cursor_age_hours is None else round(c.cursor_age_hours, 2),
                    "cursor_stale": c.cursor_stale,
                    "outbox": c.outbox,
                    "conflicts": c.conflicts,
                    "approvals_waiting": c.approvals_waiting,
                }
                for c in self.connections
            ],
            "leases": self.leases,
        }


def gather(config: Config, store: Store, now: datetime) -> Status:
    """The status of every configured connection (and of any other the store has runs for)."""
    names = [c.name for c in config.connections]
    stale_after = config.schedule.stale_cursor_hours
    at = to_db_time(now)
    with store.engine.connect() as conn:
        last = _last_runs(conn)
        cursors: dict[str, datetime] = dict(conn.execute(
            sa.select(pull_state.c.connection, sa.func.min(pull_state.c.last_sweep_finished_at))
            .group_by(pull_state.c.connection)
        ).all())  # fmt: skip
        boxes = conn.execute(
            sa.select(outbox.c.connection, outbox.c.status, outbox.c.resolution, sa.func.count())
            .group_by(outbox.c.connection, outbox.c.status, outbox.c.resolution)
        ).all()
        waiting: dict[str, int] = dict(conn.execute(
            sa.select(change_requests.c.connection, sa.func.count())
            .where(change_requests.c.status == RequestStatus.PROPOSED.value)
            .group_by(change_requests.c.connection)
        ).all())  # fmt: skip
        held = conn.execute(
            sa.select(job_leases).where(job_leases.c.holder.is_not(None)).order_by(job_leases.c.connection)
        ).mappings().all()
    for name in [*last, *cursors]:
        if name not in names:
            names.append(name)
    attention: list[str] = []
    statuses = []
    for name in names:
        status = ConnectionStatus(name, runs=sorted(last.get(name, {}).values(), key=lambda r: str(r["job"])))
        status.cursor = cursors.get(name)
        if status.cursor is not None:
            status.cursor_age_hours = (at - status.cursor).total_seconds() / 3600
            status.cursor_stale = status.cursor_age_hours > stale_after
        counts: Counter[str] = Counter()
        for connection, state, resolution, n in boxes:
            if connection == name:
                counts[state] += n
                if state == "CONFLICT" and resolution is None:
                    status.conflicts += n
        status.outbox = dict(sorted(counts.items()))
        status.approvals_waiting = int(waiting.get(name, 0))
        statuses.append(status)
        if status.conflicts:
            attention.append(f"{name}: {status.conflicts} conflict(s) to resolve (creditbridge conflicts list)")
        if status.approvals_waiting:
            attention.append(f"{name}: {status.approvals_waiting} change(s) waiting for approval "
                             "(creditbridge approvals list)")  # fmt: skip
        for run in status.runs:
            if run["outcome"] == "failed":
                attention.append(f"{name}: the last {run['job']} run failed: {run['error'] or 'no reason recorded'}")
        if status.cursor_stale:
            attention.append(f"{name}: the pull cursor is {status.cursor_age_hours:.1f} h old "
                             f"(more than {stale_after:g} h): the ERP has not been read")  # fmt: skip
    leases = [
        {"connection": r["connection"], "job": r["job"], "holder": r["holder"], "run_id": r["run_id"],
         "fence": int(r["fence"]), "expires_at": _iso(r["expires_at"]),
         "expired": r["expires_at"] is not None and r["expires_at"] <= at}
        for r in held
    ]  # fmt: skip
    return Status(statuses, leases, attention)


def _last_runs(conn: sa.Connection) -> dict[str, dict[str, dict[str, Any]]]:
    """The newest run of each (connection, job) that is not merely queued."""
    newest = (
        sa.select(job_runs.c.connection, job_runs.c.job, sa.func.max(job_runs.c.created_at).label("created_at"))
        .where(job_runs.c.status != "queued")
        .group_by(job_runs.c.connection, job_runs.c.job)
        .subquery()
    )
    query = sa.select(job_runs).join(
        newest,
        sa.and_(job_runs.c.connection == newest.c.connection, job_runs.c.job == newest.c.job,
                job_runs.c.created_at == newest.c.created_at),
    ).where(job_runs.c.status != "queued")  # fmt: skip
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for row in conn.execute(query).mappings():
        found.setdefault(row["connection"], {})[row["job"]] = {
            "job": row["job"], "run_id": row["id"], "outcome": row["status"], "trigger": row["trigger"],
            "slot": _iso(row["slot"]), "started_at": _iso(row["started_at"]), "finished_at": _iso(row["finished_at"]),
            "duration_seconds": row["duration_seconds"], "attempts": row["attempts"], "detail": row["detail"],
            "error": row["error"],
        }  # fmt: skip
    return found


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.replace(tzinfo=UTC).isoformat()
