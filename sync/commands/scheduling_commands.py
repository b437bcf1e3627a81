"""Scheduling commands: the in-process scheduler, one job as a plain command, Celery workers, status.

    creditbridge schedule                      run due jobs in this process until SIGTERM
    creditbridge schedule --celery             enqueue them for `creditbridge worker` instead
    creditbridge jobs list                     the jobs and when each runs for each connection
    creditbridge jobs run pull --connection acme   one job now, under the same lease (for cron, Airflow, …)
    creditbridge worker --concurrency 2        a Celery worker (broker_url under [schedule])
    creditbridge status --format json          last runs, cursors, outbox, conflicts, approvals, leases

Exit codes: 0 done (status: nothing needs a person); 1 a job finished but left work for a person,
or (status) something needs a person; 2 configuration or command line; 3 the store; 4 the job
failed (its error is printed and kept in the run); 5 the job is running elsewhere (its lease is
held), nothing was done.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from creditbridge.sync.config import Config
    from creditbridge.sync.store import Store

_err = Console(stderr=True)

EXIT_ATTENTION = 1
EXIT_USAGE = 2
EXIT_STORE = 3
EXIT_FAILED = 4
EXIT_BUSY = 5


class Format(StrEnum):
    table = "table"
    json = "json"


ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Configuration file (default: $CREDITBRIDGE_CONFIG, else ./creditbridge.toml)."),
]
FormatOption = Annotated[Format, typer.Option("--format", help="table or json.")]

jobs_app = typer.Typer(help="The jobs the scheduler runs, one at a time per connection, as plain commands.",
                       no_args_is_help=True)  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add schedule, jobs, worker and status to `app`."""
    app.command("schedule")(schedule_command)
    app.add_typer(jobs_app, name="jobs")
    app.command("worker")(worker_command)
    app.command("status")(status_command)


def _fail(message: str, code: int) -> typer.Exit:
    _err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def _celery() -> tuple[Any, Any]:
    """celery_app's make_app and send; a clear error (exit 2) when Celery is not installed."""
    try:
        from creditbridge.sync.scheduling.celery_app import make_app, send
    except ModuleNotFoundError as exc:
        raise _fail(f"Celery workers need the celery extra ({exc.name} is missing): "
                    "pip install 'creditbridge[celery]'", EXIT_USAGE) from None  # fmt: skip
    return make_app, send


def _load(config_file: Path | None) -> Config:
    from creditbridge.sync.config import ConfigError, load_config
    from creditbridge.sync.logs import configure_logging

    try:
        config = load_config(config_file)
    except ConfigError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    configure_logging(config.log_format, config.log_level)
    return config


def _open(config: Config) -> Store:
    from creditbridge.sync.composition import open_store
    from creditbridge.sync.store import StoreError

    try:
        return open_store(config)
    except StoreError as exc:
        raise _fail(str(exc), EXIT_STORE) from None


def _out() -> Console:
    console = Console(soft_wrap=True)
    return console if console.is_terminal else Console(soft_wrap=True, width=160)


def schedule_command(
    config_file: ConfigOption = None,
    celery: Annotated[
        bool, typer.Option("--celery", help="Enqueue due jobs for Celery workers instead of running them here.")
    ] = False,
    once: Annotated[
        bool,
        typer.Option("--once", help="One pass over what is due now, then exit (1: a job left work for a person; "
                     "4: a job failed)."),
    ] = False,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency", min=1, help="Jobs run at once in this process (one per connection and job at most)."
        ),
    ] = 2,
) -> None:
    """Run each connection's jobs when their cron expressions say, once per slot, even with two schedulers."""
    from creditbridge.sync.config import ConfigError
    from creditbridge.sync.scheduling import leases
    from creditbridge.sync.scheduling.scheduler import Scheduler

    config = _load(config_file)
    sender = None
    if celery:
        make_app, send = _celery()

        try:
            app = make_app(config)
        except ConfigError as exc:
            raise _fail(str(exc), EXIT_USAGE) from None

        def sender(run_id: str) -> None:
            send(app, run_id)

    store = _open(config)
    scheduler = Scheduler(config, store, holder=leases.holder_id(), concurrency=concurrency, sender=sender)
    if not scheduler.entries:
        raise _fail("nothing is scheduled: add cron expressions under [schedule.jobs] (see README, Scheduling)",
                    EXIT_USAGE)  # fmt: skip
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            _err.print("second signal: leaving now; running jobs' leases expire", highlight=False)
            import os

            os._exit(1)
        _err.print(f"{signal.Signals(signum).name}: no new jobs; waiting for {len(scheduler.running)} running job(s)",
                   highlight=False)  # fmt: skip
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with store:
        if once:
            scheduler.tick()
            scheduler.close()
        else:
            _err.print(f"scheduling {len(scheduler.entries)} job(s) as {scheduler.holder}"
                       + (" (enqueueing for Celery)" if celery else ""), highlight=False)  # fmt: skip
            scheduler.run(stop)
    for end in scheduler.ended:
        _err.print(f"{end.connection}/{end.job}: {end.status} in {end.seconds:.1f} s"
                   + (f" ({end.error})" if end.error else ""), highlight=False, markup=False)  # fmt: skip
    for run_id in scheduler.enqueued:
        _err.print(f"enqueued run {run_id}", highlight=False)
    outcomes = {end.status for end in scheduler.ended} if once else set()  # a daemon's stop is not a job's failure
    if "failed" in outcomes:
        raise typer.Exit(EXIT_FAILED)
    if "attention" in outcomes:
        raise typer.Exit(EXIT_ATTENTION)


@jobs_app.command("list")
def jobs_list(config_file: ConfigOption = None, output: FormatOption = Format.table) -> None:
    """Every job, and when it runs next for each connection."""
    from creditbridge.sync.scheduling.cron import next_slot
    from creditbridge.sync.scheduling.registry import all_jobs
    from creditbridge.sync.scheduling.scheduler import entries
    from creditbridge.sync.writeback.records import utc_now

    config = _load(config_file)
    now = utc_now()
    zone = config.schedule.timezone
    scheduled = [{"connection": e.connection, "job": e.job, "cron": e.cron,
                  "next": next_slot(e.cron, now, zone).isoformat()} for e in entries(config)]  # fmt: skip
    jobs = [{"job": j.name, "summary": j.summary} for j in all_jobs(config)]
    if output is Format.json:
        sys.stdout.write(json.dumps({"jobs": jobs, "schedule": scheduled, "timezone": zone}, indent=2) + "\n")
        return
    table = Table(title="jobs", title_justify="left")
    table.add_column("job")
    table.add_column("what it does")
    for job in jobs:
        table.add_row(escape(job["job"]), escape(job["summary"]))
    _out().print(table)
    table = Table(title=f"schedule ({zone})", title_justify="left")
    for column in ("connection", "job", "cron", "next (UTC)"):
        table.add_column(column)
    for item in scheduled:
        table.add_row(item["connection"], item["job"], escape(item["cron"]), item["next"])
    _out().print(table)


@jobs_app.command("run")
def jobs_run(
    job: Annotated[str, typer.Argument(help="The job: pull, review, plan, push, run, report, or one of yours.")],
    connection: Annotated[str, typer.Option("--connection", help="The connection to run it for.")],
    config_file: ConfigOption = None,
    wait: Annotated[
        float,
        typer.Option(
            "--wait", min=0, help="If the job is running elsewhere, wait up to this many seconds for its lease "
            "(default: exit 5 at once)."
        ),
    ] = 0.0,
    output: FormatOption = Format.table,
) -> None:
    """Run one job for one connection now, under the same lease as the scheduler (exit 5 if it is running)."""
    from creditbridge.sync.config import ConfigError
    from creditbridge.sync.scheduling import leases
    from creditbridge.sync.scheduling.registry import job_named
    from creditbridge.sync.scheduling.runner import execute
    from creditbridge.sync.writeback.records import utc_now

    config = _load(config_file)
    try:
        config.connection(connection)
        job_named(job, config)
    except ConfigError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    except KeyError:
        from creditbridge.sync.scheduling.registry import all_jobs

        names = ", ".join(j.name for j in all_jobs(config))
        raise _fail(f"there is no job {job!r} (jobs: {names})", EXIT_USAGE) from None
    schedule = config.schedule
    holder = leases.holder_id("command")
    deadline = time.monotonic() + wait
    with _open(config) as store:
        while True:
            got = leases.claim(store.engine, connection, job, holder=holder, ttl=schedule.lease_seconds,
                               now=utc_now(), trigger="command", max_attempts=schedule.max_attempts)  # fmt: skip
            if isinstance(got, leases.Claim) or time.monotonic() >= deadline:
                break
            time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))
        if not isinstance(got, leases.Claim):
            raise _fail(f"{connection}/{job} is running elsewhere: {got.detail}", EXIT_BUSY)

        def on_term(_signum: int, _frame: FrameType | None) -> None:
            raise SystemExit(128 + signal.SIGTERM)  # the runner records the run as interrupted, releases the lease

        signal.signal(signal.SIGTERM, on_term)
        end = execute(config, store, got)
    result = {"run_id": end.run_id, "connection": end.connection, "job": end.job, "outcome": end.status,
              "detail": end.detail, "error": end.error, "duration_seconds": round(end.seconds, 3)}  # fmt: skip
    if output is Format.json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        _out().print(f"{connection}/{job} (run {end.run_id}): {end.status} in {end.seconds:.1f} s"
                     + (f" - {end.detail}" if end.detail else ""), highlight=False, markup=False)  # fmt: skip
    if end.status == "failed":
        raise _fail(f"{connection}/{job} failed: {end.error}", EXIT_FAILED)
    if end.status == "attention":
        raise typer.Exit(EXIT_ATTENTION)


def worker_command(
    config_file: ConfigOption = None,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, help="Worker processes (one task each).")] = 2,
    loglevel: Annotated[str, typer.Option("--loglevel", help="Celery's log level.")] = "info",
) -> None:
    """A Celery worker running scheduled jobs from the broker_url of the schedule section (Redis or RabbitMQ)."""
    import os

    from creditbridge.sync.config import CONFIG_ENV, ConfigError, config_path

    make_app, _ = _celery()
    from creditbridge.sync.scheduling.celery_app import worker_argv

    config = _load(config_file)
    try:
        app = make_app(config)
    except ConfigError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    os.environ[CONFIG_ENV] = str(config_path(config_file).resolve())  # the worker processes read the same file
    _open(config).close()  # migrate once here, not in every worker process
    app.worker_main(argv=worker_argv(config, concurrency, loglevel))


def status_command(
    config_file: ConfigOption = None,
    output: FormatOption = Format.table,
) -> None:
    """Last run of each job, cursor age, outbox, conflicts, approvals, leases; exit 1 if a person is needed."""
    from creditbridge.sync.scheduling.status import gather
    from creditbridge.sync.writeback.records import utc_now

    config = _load(config_file)
    with _open(config) as store:
        found = gather(config, store, utc_now())
    if output is Format.json:
        sys.stdout.write(json.dumps(found.as_dict(), indent=2) + "\n")
    else:
        _print_status(found.as_dict())
    if not found.ok:
        raise typer.Exit(EXIT_ATTENTION)


def _print_status(data: dict[str, Any]) -> None:
    out = _out()
    runs = Table(title="last runs", title_justify="left")
    for column in ("connection", "job", "outcome", "finished (UTC)", "seconds", "attempts", "detail / error"):
        runs.add_column(column)
    for c in data["connections"]:
        for r in c["last_runs"]:
            runs.add_row(c["connection"], r["job"], r["outcome"], (r["finished_at"] or "")[:19],
                         "" if r["duration_seconds"] is None else f"{r['duration_seconds']:.1f}", str(r["attempts"]),
                         escape(r["error"] or r["detail"] or ""))  # fmt: skip
    out.print(runs)
    table = Table(title="connections", title_justify="left")
    for column in ("connection", "cursor age (h)", "outbox", "conflicts", "approvals waiting"):
        table.add_column(column)
    for c in data["connections"]:
        age = "never pulled" if c["cursor_age_hours"] is None else f"{c['cursor_age_hours']:.1f}"
        table.add_row(c["connection"], age + (" (stale)" if c["cursor_stale"] else ""),
                      ", ".join(f"{k} {v}" for k, v in c["outbox"].items()) or "empty", str(c["conflicts"]),
                      str(c["approvals_waiting"]))  # fmt: skip
    out.print(table)
    if data["leases"]:
        leases = Table(title="leases held", title_justify="left")
        for column in ("connection", "job", "holder", "expires (UTC)"):
            leases.add_column(column)
        for lease in data["leases"]:
            leases.add_row(lease["connection"], lease["job"], escape(lease["holder"]),
                           (lease["expires_at"] or "")[:19] + (" (expired)" if lease["expired"] else ""))  # fmt: skip
        out.print(leases)
    for line in data["needs_a_person"]:
        out.print(f"needs a person: {line}", highlight=False, markup=False)
    if not data["needs_a_person"]:
        out.print("nothing needs a person", highlight=False)
