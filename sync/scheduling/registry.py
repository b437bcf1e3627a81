"""The jobs the scheduler, `creditbridge jobs run` and Celery workers can run: one line each.

A job is a plain function `job(ctx: JobContext) -> JobResult` named as "module:function" and
imported only when it runs (the CLI stays fast, an installation without an ERP's extra still
schedules the rest). To add one, append a line to `JOBS`; users add their own in
`[schedule.extra_jobs]`. A job should be safe to run again after a crash (every built-in job
is: pulls resume, the outbox sends each change once); the lease guarantees it never runs twice
at the same time for a connection.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from creditbridge.sync.config import Config
    from creditbridge.sync.scheduling.leases import Claim
    from creditbridge.sync.store import Store

_BUILTIN = "creditbridge.sync.scheduling.builtin_jobs"
_FEATURES = "creditbridge.sync.scheduling.feature_jobs"


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    target: str
    summary: str

    def function(self) -> JobFunction:
        module, _, attribute = self.target.partition(":")
        found: JobFunction = getattr(importlib.import_module(module), attribute)
        return found


JOBS: Mapping[str, Job] = {job.name: job for job in (
    Job("pull", f"{_BUILTIN}:pull_job", "pull the ERP's changes into the store"),
    Job("review", f"{_BUILTIN}:review_job", "credit review: request the hold changes the [holds] rules want"),
    Job("plan", f"{_BUILTIN}:plan_job", "what a push would write now (reads only)"),
    Job("push", f"{_BUILTIN}:push_job", "send queued limit and hold changes to the ERP"),
    Job("run", f"{_BUILTIN}:run_job", "the whole cycle: pull, review, plan, push"),
    Job("report", f"{_BUILTIN}:report_job", "write the AR report (HTML) of the connection"),
    Job("cashapp", f"{_FEATURES}:cashapp_job", "match new bank statements in [cashapp] inbox to open invoices"),
    Job("credit-review", f"{_FEATURES}:credit_review_job", "re-score customers due for review; request changes"),
    Job("reconcile", f"{_FEATURES}:reconcile_job", "reconcile the replica with the ERP; attention over tolerance"),
    Job("collections", f"{_FEATURES}:collections_job", "plan, record and send today's reminders"),
)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class JobResult:
    """How a job ended: ok, or attention (it finished but left work for a person), and a line why."""

    outcome: Literal["ok", "attention"] = "ok"
    detail: str = ""


@dataclass
class JobContext:
    """What a job gets: the config, the store, its connection, run id, slot and lease."""

    config: Config
    store: Store
    connection: str
    run_id: str
    slot: datetime | None
    claim: Claim
    lease_lost: Callable[[], bool] = field(default=lambda: False)

    @property
    def attempt(self) -> int:
        """1 for the first try of this run, 2 after its first holder died, …"""
        return self.claim.attempts

    @property
    def as_of(self) -> date:
        """The business date of the run: the slot's (or now's) date in the schedule's time zone."""
        moment = self.slot or datetime.now(ZoneInfo("UTC"))
        return moment.astimezone(ZoneInfo(self.config.schedule.timezone)).date()

    def adapter(self) -> object:
        """The connection's ERP adapter (built by the composition root)."""
        from creditbridge.sync.composition import adapter_for

        return adapter_for(self.config.connection(self.connection), self.config)


JobFunction = Callable[[JobContext], JobResult]


def job_named(name: str, config: Config) -> Job:
    """The built-in job `name`, or the config's extra job of that name (KeyError if neither)."""
    if name in JOBS:
        return JOBS[name]
    target = config.schedule.extra_jobs.get(name)
    if target is None:
        raise KeyError(name)
    return Job(name, target, f"your job {target}")


def all_jobs(config: Config) -> list[Job]:
    return [*JOBS.values(), *(job_named(n, config) for n in config.schedule.extra_jobs if n not in JOBS)]
