"""Scheduled jobs of the credit, reconciliation and collections features, over the functions their commands run.

Like builtin_jobs: `attention` when the job finished but left work for a person, an exception
when it failed. Each job runs for one connection under that connection's lease.
"""

from __future__ import annotations

from creditbridge.sync.scheduling.builtin_jobs import SCHEDULER_USER
from creditbridge.sync.scheduling.registry import JobContext, JobResult


def credit_review_job(ctx: JobContext) -> JobResult:
    """Re-score the connection's customers due for review; their changes become write-back requests."""
    from creditbridge.mappings.credit_policy import policy_from_environment
    from creditbridge.sync.credit_review_job import review_source

    done = review_source(ctx.store, ctx.connection, policy_from_environment(None), ctx.as_of, SCHEDULER_USER)
    changes = sum(1 for p in done.proposals if p.changes)
    refused = sum(1 for note in done.notes.values() if note.startswith("not requested"))
    detail = f"{len(done.proposals)} customer(s) reviewed, {changes} change(s) proposed"
    if refused:
        return JobResult("attention", f"{detail}, {refused} not requested (see credit decisions list)")
    return JobResult("ok", detail)


def reconcile_job(ctx: JobContext) -> JobResult:
    """Reconcile the connection's replica against what its ERP reports; attention when over the tolerance."""
    from creditbridge.sync.reconcile_job import run_reconcile_job

    run = run_reconcile_job(ctx.config, ctx.connection, ctx.as_of)
    found = run.result
    if found.ok:
        return JobResult("ok", f"no differences above the tolerance ({found.tolerance})")
    over = f"{len(found.differences)} difference(s) above the tolerance ({found.tolerance})"
    return JobResult("attention", f"{over}: creditbridge reconcile --connection {ctx.connection}")


def collections_job(ctx: JobContext) -> JobResult:
    """Plan, record and send the reminders due today; a mail-server failure leaves them queued (attention)."""
    from creditbridge.sync.collections.job import run_collections_job
    from creditbridge.sync.collections.settings import settings_from_config

    summary = run_collections_job(settings_from_config(ctx.config), None, ctx.as_of)
    detail = (f"{summary.sent} reminder(s) delivered (e-mail, letter or call task), {len(summary.letters)} letter(s) "
              f"to print, {summary.still_queued} still queued")
    if summary.errors or summary.unknown:
        return JobResult("attention", f"{detail}; {summary.unknown} outcome unknown; " + "; ".join(summary.errors[:3]))
    return JobResult("ok", detail)


def cashapp_job(ctx: JobContext) -> JobResult:
    """Match every statement file in `[cashapp] inbox` (a file already matched is recognised and skipped)."""
    from creditbridge.core.cashapp import MatchPolicy
    from creditbridge.sync.cashapp.job import run_cashapp_job
    from creditbridge.sync.cashapp.matching import StatementReadError

    inbox = ctx.config.cashapp.inbox
    if inbox is None:
        raise ValueError("the cashapp job needs [cashapp] inbox: the folder your bank statement files arrive in")
    files = sorted(p for p in inbox.iterdir() if p.is_file() and not p.name.startswith(".")) if inbox.is_dir() else []
    policy = MatchPolicy(**ctx.config.cashapp.match_settings())
    new = suggest = unapplied = 0
    unreadable: list[str] = []
    for path in files:
        try:
            run = run_cashapp_job(ctx.store, path, policy, ctx.connection)
        except StatementReadError as exc:  # one bad file must not stop the others (nor every later run)
            unreadable.append(str(exc).splitlines()[0])
            continue
        if run.created:
            new += 1
            suggest += run.summary.suggest
            unapplied += run.summary.unapplied
    detail = f"{len(files)} statement file(s) in {inbox}, {new} new"
    work = []
    if suggest or unapplied:
        work.append(f"{suggest} suggested and {unapplied} unapplied payment(s): creditbridge cashapp exceptions")
    if unreadable:
        work.append(f"{len(unreadable)} unreadable: " + "; ".join(unreadable[:3]))
    return JobResult("attention", f"{detail}; " + "; ".join(work)) if work else JobResult("ok", detail)
