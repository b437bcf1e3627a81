"""Celery workers over the store: `creditbridge worker`, and the one task they run.

Why the task carries only a run id: the broker may deliver a message twice (a worker killed
before its ack, a Redis visibility timeout passing during a long task), so nothing in a message
may decide anything. The task claims the run and its (connection, job) lease in the database
(`leases.claim`): a finished run is not run again, a run whose lease another live worker holds
is retried later (with backoff), and a run whose holder died is taken over once its lease
expired. Settings (reliability.md §4.2): acks late and reject on worker loss (a killed worker's
message is delivered again), prefetch 1, hard and soft time limits, and with Redis a visibility
timeout of twice the time limit, swept for lost messages every few seconds.
"""

from __future__ import annotations

import os
import socket
from typing import Any

import sqlalchemy as sa
from celery import Celery, Task

from creditbridge.sync.config import Config, ConfigError, load_config
from creditbridge.sync.logs import configure_logging, get_logger
from creditbridge.sync.scheduling import leases
from creditbridge.sync.scheduling.runner import execute
from creditbridge.sync.store import Store, StoreError
from creditbridge.sync.writeback.records import to_db_time, utc_now

TASK_NAME = "creditbridge.run_job"
BUSY_RETRY_CAP_SECONDS = 60.0
BUSY_MAX_RETRIES = 500

_log = get_logger("creditbridge.celery")
_state: dict[str, Any] = {}


def broker_url(config: Config) -> str:
    """The broker of [schedule] (or $CREDITBRIDGE_SCHEDULE__BROKER_URL); ConfigError if none is set."""
    url = config.schedule.broker_url
    if not url:
        raise ConfigError(
            "no Celery broker: set broker_url under [schedule] (redis://host:6379/0 or amqp://user@host:5672//) "
            "or $CREDITBRIDGE_SCHEDULE__BROKER_URL"
        )
    if not url.startswith(("redis://", "rediss://", "amqp://", "amqps://", "pyamqp://")):
        raise ConfigError(f"[schedule] broker_url must be a redis:// or amqp:// URL, not {url.split(':', 1)[0]}://…")
    return url


def make_app(config: Config) -> Celery:
    """A Celery app for `config`'s broker and queue, with the reliability settings and the task."""
    url = broker_url(config)
    schedule = config.schedule
    app = Celery("creditbridge", broker=url, set_as_current=False)
    transport: dict[str, Any] = {}
    if url.startswith(("redis", "rediss")):
        visibility = schedule.visibility_timeout or 2 * schedule.task_time_limit
        transport = {
            "visibility_timeout": visibility,
            "unacked_restore_interval": max(1.0, min(10.0, visibility / 4)),
            "unacked_restore_throttle": 1,
        }
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=schedule.task_time_limit,
        task_soft_time_limit=schedule.task_time_limit * 0.9,
        task_default_queue=schedule.queue,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        broker_transport_options=transport,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        worker_send_task_events=False,
        timezone="UTC",
    )
    app.task(
        name=TASK_NAME,
        bind=True,
        autoretry_for=(StoreError, sa.exc.OperationalError),
        retry_backoff=2,
        retry_backoff_max=120,
        retry_jitter=True,
        max_retries=10,
    )(run_job_task)
    return app


def send(app: Celery, run_id: str) -> None:
    """Enqueue the run (its id only)."""
    app.send_task(TASK_NAME, args=[run_id])


def run_job_task(task: Task, run_id: str) -> str:
    """Claim the run in the store and execute it; retry later while another live holder has its lease."""
    config, store = _worker_state()
    found = leases.run_status(store.engine, run_id)
    if found is None:
        _log.warning("task.unknown_run", run_id=run_id)
        return "gone"
    schedule = config.schedule
    got = leases.claim(store.engine, found["connection"], found["job"], holder=leases.holder_id("celery"),
                       ttl=schedule.lease_seconds, now=utc_now(), trigger="celery", run_id=run_id,
                       max_attempts=schedule.max_attempts)  # fmt: skip
    if isinstance(got, leases.Refusal):
        if got.reason != "busy":
            _log.info("task.nothing_to_do", run_id=run_id, reason=got.detail)
            return got.reason
        wait = 2.0 ** min(task.request.retries, 6)
        if got.expires_at is not None:
            wait = max(wait, (got.expires_at - to_db_time(utc_now())).total_seconds() + 0.5)
        _log.info("task.busy", run_id=run_id, reason=got.detail, retry_in=round(wait, 1))
        raise task.retry(countdown=min(wait, BUSY_RETRY_CAP_SECONDS), max_retries=BUSY_MAX_RETRIES)
    return execute(config, store, got).status


def _worker_state() -> tuple[Config, Store]:
    """The config ($CREDITBRIDGE_CONFIG) and a store per worker process (never shared across fork)."""
    if _state.get("pid") != os.getpid():
        config = load_config(None)
        configure_logging(config.log_format, config.log_level)  # Celery set up logging its own way before the fork
        _state.update(pid=os.getpid(), config=config, store=Store.open(config.store_url))
    return _state["config"], _state["store"]


def worker_argv(config: Config, concurrency: int, loglevel: str) -> list[str]:
    """The `celery worker` arguments: the config's queue, N processes, a unique node name."""
    return [
        "worker",
        f"--concurrency={concurrency}",
        f"--queues={config.schedule.queue}",
        f"--loglevel={loglevel.upper()}",
        f"--hostname=creditbridge-{os.getpid()}@{socket.gethostname()}",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
