"""`creditbridge schedule`: run (or enqueue for Celery) each due job of each connection, once per slot.

Every tick, for each (connection, job) with a cron expression, the latest slot at or before now
is due unless it is older than `catch_up_seconds` or already settled. In-process, the scheduler
claims the lease and the slot's run in one transaction (`leases.claim`) and runs the job on a
worker thread; a slot another scheduler took, or whose run finished, is settled; a lease still
held (the job is running elsewhere, or its holder died and the lease has not expired yet) is
tried again next tick, which is how a dead holder's run is taken over after expiry. With Celery,
the scheduler only creates the slot's queued run (unique per slot) and sends its id; runs still
queued after `requeue_after_seconds` are sent again (a duplicate message is harmless: the
worker claims the run in the database).

SIGTERM or Ctrl-C: no new claims; running jobs finish (their leases are renewed meanwhile), then
the scheduler exits 0. A second signal leaves at once; the leases then expire.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from creditbridge.sync.config import SCHEDULE_OFF, Config
from creditbridge.sync.logs import get_logger
from creditbridge.sync.scheduling import leases
from creditbridge.sync.scheduling.cron import latest_slot, next_slot
from creditbridge.sync.scheduling.runner import RunEnd, execute
from creditbridge.sync.store import Store
from creditbridge.sync.writeback.records import utc_now

_log = get_logger("creditbridge.scheduling")

Sender = Callable[[str], None]
"""Sends a run id to the Celery workers."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One scheduled job of one connection."""

    connection: str
    job: str
    cron: str


def entries(config: Config) -> list[Entry]:
    """What runs when: [schedule.connections.NAME] beats a connection's `schedule` (pull) beats [schedule.jobs]."""
    found = []
    for connection in config.connections:
        crons = dict(config.schedule.jobs)
        if connection.schedule:
            crons["pull"] = connection.schedule
        crons.update(config.schedule.connections.get(connection.name, {}))
        found += [Entry(connection.name, job, cron) for job, cron in crons.items() if cron != SCHEDULE_OFF]
    return found


class Scheduler:
    """The loop; `run(stop)` until `stop` is set, or `tick()` once."""

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        holder: str,
        concurrency: int = 2,
        sender: Sender | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.config, self.store, self.holder, self.sender, self.clock = config, store, holder, sender, clock
        self.entries = entries(config)
        self.settled: dict[tuple[str, str], datetime] = {}
        self.running: dict[tuple[str, str], Future[RunEnd]] = {}
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="creditbridge-job")
        self.ended: list[RunEnd] = []
        self.enqueued: list[str] = []
        self.resent: dict[str, datetime] = {}

    def tick(self) -> None:
        """Claim (or enqueue) every due slot once."""
        now = self.clock()
        schedule = self.config.schedule
        for key, future in list(self.running.items()):
            if future.done():
                del self.running[key]
                self.ended.append(future.result())
        for entry in self.entries:
            key = (entry.connection, entry.job)
            if key in self.running:
                continue
            slot = latest_slot(entry.cron, now, schedule.timezone)
            if (now - slot).total_seconds() > schedule.catch_up_seconds or self.settled.get(key) == slot:
                continue
            if self.sender is not None:
                run_id = leases.enqueue(self.store.engine, entry.connection, entry.job, slot, now)
                self.settled[key] = slot
                if run_id is not None:
                    self.sender(run_id)
                    self.enqueued.append(run_id)
                    _log.info("job.enqueued", connection=entry.connection, job=entry.job, slot=slot.isoformat(),
                              run_id=run_id)  # fmt: skip
                continue
            got = leases.claim(self.store.engine, entry.connection, entry.job, holder=self.holder,
                               ttl=schedule.lease_seconds, now=now, trigger="schedule", slot=slot,
                               max_attempts=schedule.max_attempts)  # fmt: skip
            if isinstance(got, leases.Claim):
                self.settled[key] = slot
                self.running[key] = self.pool.submit(execute, self.config, self.store, got)
            elif got.reason != "busy":
                self.settled[key] = slot
        if self.sender is not None:
            stale = now - timedelta(seconds=schedule.requeue_after_seconds)
            for run_id in leases.queued_before(self.store.engine, stale):
                if self.resent.get(run_id, stale) <= stale:  # once per requeue_after_seconds, not every tick
                    _log.warning("job.requeued", run_id=run_id)
                    self.sender(run_id)
                    self.resent[run_id] = now

    def wait_seconds(self) -> float:
        """Until the next slot of any entry, at most `poll_seconds` (a busy lease is retried by then)."""
        now = self.clock()
        poll = self.config.schedule.poll_seconds
        upcoming = [next_slot(e.cron, now, self.config.schedule.timezone) for e in self.entries]
        soonest = min(((s - now).total_seconds() for s in upcoming), default=poll)
        return max(0.05, min(poll, soonest + 0.01))

    def run(self, stop: threading.Event) -> None:
        """Tick until `stop` is set, then let running jobs finish."""
        try:
            while not stop.is_set():
                try:
                    self.tick()
                except Exception as exc:  # a store outage must not end the scheduler; the next tick retries
                    _log.error("scheduler.tick_failed", error=f"{type(exc).__name__}: {exc}")
                stop.wait(self.wait_seconds())
        finally:
            self.close()

    def settle(self) -> None:
        """Wait for the running jobs (each records its own outcome)."""
        for future in self.running.values():
            if future.exception() is None:
                self.ended.append(future.result())
        self.running.clear()

    def close(self) -> None:
        """Wait for the running jobs, then free the threads."""
        self.settle()
        self.pool.shutdown(wait=True)
