"""Draining the webhook queue: one pull per connection for everything its webhooks asked for.

Why merge: a burst of webhooks (an invoice run, a bulk payment) queues many requests, but one
incremental pull of the union of their entities reads every change since the last cursor, so a
single run serves them all. A failed pull marks its requests failed with the reason (the next
scheduled or webhook pull catches up from the same cursor, nothing is lost); a pull refused
because another pull of the connection is running puts them back in the queue for later.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from creditbridge.core.credit import CreditPolicy
from creditbridge.core.ports import ChangeReader, Entity
from creditbridge.sync.composition import adapter_for
from creditbridge.sync.config import Config, ConfigError
from creditbridge.sync.logs import get_logger, job_run
from creditbridge.sync.pull import PullConfigError, PullConflict, PullError, entities_to_pull, pull
from creditbridge.sync.service import queue
from creditbridge.sync.service.order_checks import check_named_orders
from creditbridge.sync.store import StoreError

if TYPE_CHECKING:
    from creditbridge.sync.pull import PullSummary
    from creditbridge.sync.store import Store

_log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class DrainResult:
    """One connection's share of a drain: the requests it claimed and how their pull ended."""

    connection: str
    run_id: str
    request_ids: tuple[int, ...]
    entities: tuple[Entity, ...]
    summary: PullSummary | None
    error: str | None
    requeued: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "connection": self.connection,
            "run_id": self.run_id,
            "request_ids": list(self.request_ids),
            "entities": [e.value for e in self.entities],
            "ok": self.ok,
            "requeued": self.requeued,
            "error": self.error,
            "rows_written": None if self.summary is None else self.summary.rows_written,
        }


def drain_pull_requests(
    config: Config, store: Store, *, max_requests: int | None = None, policy: CreditPolicy | None = None
) -> list[DrainResult]:
    """Claim the queued requests of each connection (at most `max_requests` each), pull, mark them.

    Safe to run concurrently with itself: rows are claimed with a conditional UPDATE
    (see `queue`), so each request is pulled by one worker. Errors of one connection are in its
    `DrainResult`, never raised; only a failing store raises (`StoreError`).
    """
    results: list[DrainResult] = []
    for connection in queue.queued_connections(store.engine):
        with job_run("webhook-drain", connection=connection) as run_id:
            claimed = queue.claim(store.engine, connection, run_id, max_requests=max_requests)
            if claimed:
                results.append(_pull_claimed(config, store, connection, run_id, claimed, policy))
    return results


def _pull_claimed(
    config: Config,
    store: Store,
    connection: str,
    run_id: str,
    claimed: list[queue.PullRequest],
    policy: CreditPolicy | None = None,
) -> DrainResult:
    wanted = {entity for request in claimed for entity in request.entities}
    ids = tuple(r.id for r in claimed)
    asked = tuple(e for e in Entity if e in wanted)

    def ended(
        error: str | None, summary: PullSummary | None = None, entities: tuple[Entity, ...] = asked
    ) -> DrainResult:
        queue.finish(store.engine, run_id, error)
        if error:
            _log.error("webhook_drain.failed", requests=list(ids), error=error)
        return DrainResult(connection, run_id, ids, entities, summary, error)

    try:
        adapter = adapter_for(config.connection(connection), config)
        if not isinstance(adapter, ChangeReader):
            return ended(f"the {getattr(adapter, 'erp_name', connection)} adapter cannot read changes")
        readable = entities_to_pull(adapter)
        entities = tuple(e for e in asked if e in readable)  # e.g. an ERP without orders ignores Estimate
        if not entities:
            return ended(None, None, ())
        summary = pull(store, connection, adapter, entities, run_id=run_id)
    except PullConflict as exc:
        queue.release(store.engine, run_id)
        _log.warning("webhook_drain.requeued", requests=list(ids), reason=str(exc))
        return DrainResult(connection, run_id, ids, asked, None, str(exc), requeued=True)
    except (ConfigError, PullConfigError, PullError, StoreError) as exc:
        partial: PullSummary | None = getattr(exc, "summary", None)  # PullFailed: what was committed
        return ended(str(exc) or type(exc).__name__, partial)
    _log.info("webhook_drain.pulled", requests=list(ids), rows=summary.rows_written)
    if Entity.ORDERS in entities:
        check_named_orders(store, connection, {key for r in claimed for key in r.orders}, run_id, policy)
    return ended(None, summary, entities)


class QueueDrainer(threading.Thread):
    """A daemon thread draining the queue every `interval` seconds, or at once when `wake` is called."""

    def __init__(self, config: Config, store: Store, interval: float = 5.0, policy: CreditPolicy | None = None) -> None:
        super().__init__(name="creditbridge-queue-drainer", daemon=True)
        self.config, self.store, self.interval, self.policy = config, store, interval, policy
        self._wake = threading.Event()
        self._stopping = threading.Event()

    def wake(self) -> None:
        """Drain now (called when a webhook queued a request)."""
        self._wake.set()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Finish the current pull, then end the thread."""
        self._stopping.set()
        self._wake.set()
        if self.is_alive():
            self.join(timeout)

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                drain_pull_requests(self.config, self.store, policy=self.policy)
            except Exception as exc:  # a store outage must not kill the thread; the next pass retries
                _log.error("webhook_drain.error", error=str(exc), error_type=type(exc).__name__)
            self._wake.wait(self.interval)
            self._wake.clear()
