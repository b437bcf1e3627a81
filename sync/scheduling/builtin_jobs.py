"""The jobs that exist on main, as plain job functions over the code their own commands run.

Each returns `attention` when it finished but left work for a person (a conflict, a refusal, a
change waiting for approval is not one: approvals are normal), and raises when it failed (the
runner records the error). Scheduled runs act as the user `creditbridge-scheduler`.
"""

from __future__ import annotations

from typing import Any

from creditbridge.core.ports import Capability, ChangeReader, CreditProfileReader, CreditProfileWriter
from creditbridge.core.writeback import WritebackPolicy
from creditbridge.sync.scheduling.registry import JobContext, JobResult

SCHEDULER_USER = "creditbridge-scheduler"


def pull_job(ctx: JobContext) -> JobResult:
    from creditbridge.sync.pull import PullConfigError, pull

    adapter = ctx.adapter()
    if not isinstance(adapter, ChangeReader):
        raise PullConfigError(f"the {getattr(adapter, 'erp_name', ctx.connection)} adapter cannot read changes")
    summary = pull(ctx.store, ctx.connection, adapter, run_id=ctx.run_id)
    return JobResult("ok", f"{summary.rows_written} row(s) written")


def review_job(ctx: JobContext) -> JobResult:
    from creditbridge.sync.run_job import request_review

    outcomes = request_review(ctx.store, ctx.config, ctx.connection, _writer(ctx), run_id=ctx.run_id,
                              as_of=ctx.as_of)  # fmt: skip
    requested = sum(o.requested for o in outcomes)
    return JobResult("ok", f"{len(outcomes)} hold change(s) wanted, {requested} requested")


def plan_job(ctx: JobContext) -> JobResult:
    from creditbridge.sync.writeback import plan

    adapter = ctx.adapter()
    if not isinstance(adapter, CreditProfileReader):
        raise TypeError(f"the adapter of {ctx.connection} cannot read credit profiles")
    found = plan(ctx.store, ctx.connection, adapter, _policy(ctx))
    return JobResult("ok", f"{len(found.will_apply)} change(s) would be written, {len(found.items)} pending")


def push_job(ctx: JobContext) -> JobResult:
    from creditbridge.sync.writeback import push

    result = push(ctx.store, ctx.connection, _writer(ctx), _policy(ctx), run_id=ctx.run_id, user=SCHEDULER_USER)
    return _push_result(result.report)


def run_job(ctx: JobContext) -> JobResult:
    from creditbridge.sync.run_job import run_cycle

    report = run_cycle(ctx.store, ctx.config, ctx.connection, _writer(ctx), run_id=ctx.run_id, user=SCHEDULER_USER,
                       as_of=ctx.as_of)  # fmt: skip
    pushed = _push_result(report.pushed.report)
    return JobResult(pushed.outcome, f"pulled {report.pulled.rows_written} row(s); {pushed.detail}")


def report_job(ctx: JobContext) -> JobResult:
    from creditbridge.sync.reports import build_report, write_report

    folder = ctx.config.schedule.report_dir
    if not folder.is_absolute():
        folder = ctx.config.folder / folder
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ctx.connection}-{ctx.as_of.isoformat()}.html"
    columns = ctx.store.load_columns(source=ctx.connection)
    write_report(build_report(columns, ctx.as_of, title=f"Accounts receivable — {ctx.connection}"), path)
    return JobResult("ok", f"report written to {path}")


def _policy(ctx: JobContext) -> WritebackPolicy:
    return WritebackPolicy(**ctx.config.policy.model_dump())


def _writer(ctx: JobContext) -> Any:
    adapter = ctx.adapter()
    capabilities: frozenset[Capability] = getattr(adapter, "capabilities", frozenset())
    if not isinstance(adapter, CreditProfileWriter) or Capability.WRITE_CREDIT_PROFILE not in capabilities:
        raise TypeError(f"the adapter of {ctx.connection} cannot write credit profiles")
    return adapter


def _push_result(report: Any) -> JobResult:
    if report is None:
        return JobResult("ok", "dry run")
    counts = ", ".join(f"{n} {status}" for status, n in sorted(report.counts.items())) or "nothing to send"
    if report.stopped:
        return JobResult("attention", f"push stopped: {report.stopped} ({counts})")
    return JobResult("ok" if report.ok else "attention", f"push: {counts}")
