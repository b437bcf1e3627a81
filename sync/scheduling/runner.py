"""Executing a claimed run: the job function under a heartbeat, then its outcome recorded once.

Why a heartbeat thread: a pull or a push may take longer than a lease; renewing every
`heartbeat` seconds keeps a live holder's lease while letting a dead one's expire within
`lease_seconds`. If a renewal finds the lease taken over (a long pause, a partition), the job is
told (`ctx.lease_lost()`) and its outcome is not recorded: the new holder owns the run now.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from creditbridge.sync.config import Config
from creditbridge.sync.logs import get_logger, job_run
from creditbridge.sync.scheduling import leases
from creditbridge.sync.scheduling.registry import JobContext, job_named
from creditbridge.sync.store import Store
from creditbridge.sync.writeback.records import utc_now

_log = get_logger("creditbridge.scheduling")


@dataclass(frozen=True, slots=True)
class RunEnd:
    """How a run ended: status ok / attention / failed, why, and whether it was recorded (lease still ours)."""

    run_id: str
    connection: str
    job: str
    status: str
    detail: str
    error: str | None
    seconds: float
    recorded: bool


class _Heartbeat(threading.Thread):
    def __init__(self, store: Store, held: leases.Claim, ttl: float, every: float) -> None:
        super().__init__(name=f"lease-heartbeat-{held.connection}-{held.job}", daemon=True)
        self.store, self.held, self.ttl, self.every = store, held, ttl, every
        self.stopped = threading.Event()
        self.lost = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                if not leases.renew(self.store.engine, self.held, self.ttl, utc_now()):
                    self.lost.set()
                    _log.error("lease.lost", connection=self.held.connection, job=self.held.job,
                               run_id=self.held.run_id)  # fmt: skip
                    return
            except Exception as exc:  # the store may be back at the next beat; the lease lasts ttl
                _log.warning("lease.renew_failed", error=str(exc))


def execute(config: Config, store: Store, held: leases.Claim) -> RunEnd:
    """Run the claimed job with a heartbeat; record ok / attention / failed and release the lease."""
    schedule = config.schedule
    heartbeat = _Heartbeat(store, held, schedule.lease_seconds, schedule.heartbeat)
    heartbeat.start()
    started = time.monotonic()
    status, detail, error = "failed", "", None
    with job_run(held.job, run_id=held.run_id, connection=held.connection):
        _log.info("job.started", slot=held.slot and held.slot.isoformat(), attempt=held.attempts, holder=held.holder)
        try:
            function = job_named(held.job, config).function()
            ctx = JobContext(config, store, held.connection, held.run_id, held.slot, held, heartbeat.lost.is_set)
            result = function(ctx)
            status, detail = result.outcome, result.detail
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            _log.error("job.failed", error=error, exc_info=True)
        except BaseException as exc:  # SIGTERM's SystemExit, KeyboardInterrupt: record, then go on stopping
            error = f"interrupted: {type(exc).__name__}"
            _finish(store, heartbeat, held, "failed", detail, error, time.monotonic() - started)
            raise
        seconds = time.monotonic() - started
        recorded = _finish(store, heartbeat, held, status, detail, error, seconds)
        _log.info("job.finished", status=status, seconds=round(seconds, 3), recorded=recorded)
    return RunEnd(held.run_id, held.connection, held.job, status, detail, error, seconds, recorded)


def _finish(store: Store, heartbeat: _Heartbeat, held: leases.Claim, status: str, detail: str, error: str | None,
            seconds: float) -> bool:  # fmt: skip
    heartbeat.stopped.set()
    heartbeat.join()
    if heartbeat.lost.is_set():
        return False
    return leases.finish(store.engine, held, status, utc_now(), detail=detail or None, error=error)
