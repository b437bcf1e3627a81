"""Write-back commands: request limit and hold changes, approve them, plan and push, handle what stops.

    creditbridge limits set C10001 --limit 7500 --reason "annual review"
    creditbridge limits hold C10002          creditbridge limits release C10002
    creditbridge approvals list              creditbridge approvals approve 12   (approvals reject 12)
    creditbridge plan                        creditbridge push --dry-run         creditbridge push
    creditbridge outbox list --status FAILED creditbridge outbox show 3f2a9c1e   (outbox retry / cancel ID)
    creditbridge conflicts list              creditbridge conflicts resolve 3f2a9c1e --keep erp|ours
    creditbridge audit verify                creditbridge audit list --customer C10001

Every command takes `--config PATH`, `--connection NAME` (default: the only connection),
`--format table|json` and `--user NAME` (default: $CREDITBRIDGE_USER, else the login name; the
requester and approver of four-eyes control). Results go to stdout, logs and errors to stderr.

Exit codes: 0 done; 1 the job finished but left work for a person (a conflict, an ERP refusal, a
row that failed), or the audit chain is broken; 2 the configuration or the command line is wrong,
or the command was refused (self-approval, a row in the wrong state, a change already on its way);
3 the store failed; 4 the ERP could not be reached or refused the call.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from creditbridge.core.ports import CreditProfileReader, ProfileValues
    from creditbridge.core.writeback import WritebackPolicy
    from creditbridge.sync.config import Config
    from creditbridge.sync.store import Store
    from creditbridge.sync.writeback import ChangeRequest, OutboxRow, PushResult, WritableErp

_err = Console(stderr=True)

EXIT_NEEDS_A_PERSON = 1
EXIT_USAGE = 2
EXIT_STORE = 3
EXIT_ERP = 4
USER_ENV = "CREDITBRIDGE_USER"


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Configuration file (default: $CREDITBRIDGE_CONFIG, else ./creditbridge.toml)."),
]
ConnectionOption = Annotated[
    str | None, typer.Option("--connection", help="The ERP connection (default: the only one configured).")
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table or json.")]
UserOption = Annotated[
    str | None, typer.Option("--user", help=f"Who is acting (default: ${USER_ENV}, else the login name).")
]
ReasonOption = Annotated[str | None, typer.Option("--reason", help="Why (kept in the audit log).")]

limits_app = typer.Typer(help="Request credit limit and hold changes (four eyes where the policy says so).",
                         no_args_is_help=True)  # fmt: skip
approvals_app = typer.Typer(help="Approve or reject requested changes (a second person).", no_args_is_help=True)
outbox_app = typer.Typer(help="The writes on their way to the ERP, and their history.", no_args_is_help=True)
conflicts_app = typer.Typer(help="Writes stopped because someone changed the ERP meanwhile.", no_args_is_help=True)
audit_app = typer.Typer(help="The append-only, hash-chained audit log of write-back.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add limits, approvals, plan, push, outbox, conflicts and audit to `app`."""
    app.add_typer(limits_app, name="limits")
    app.add_typer(approvals_app, name="approvals")
    app.command("plan")(plan_command)
    app.command("push")(push_command)
    app.command("run")(run_command)
    app.add_typer(outbox_app, name="outbox")
    app.add_typer(conflicts_app, name="conflicts")
    app.add_typer(audit_app, name="audit")


# --- the session every command opens ------------------------------------------------------------


@dataclass
class _Session:
    config: Config
    connection: str
    erp: str
    store: Store
    policy: WritebackPolicy
    user: str
    output: OutputFormat

    def reader(self) -> CreditProfileReader:
        from creditbridge.core.ports import CreditProfileReader
        from creditbridge.sync.composition import adapter_for

        adapter = adapter_for(self.config.connection(self.connection), self.config)
        if not isinstance(adapter, CreditProfileReader):
            raise _fail(f"the {self.erp} adapter of connection {self.connection!r} cannot read credit profiles",
                        EXIT_USAGE)  # fmt: skip
        return adapter

    def writer(self) -> WritableErp:
        from creditbridge.core.ports import Capability, CreditProfileWriter

        adapter = self.reader()
        capabilities: frozenset[Capability] = getattr(adapter, "capabilities", frozenset())
        if not isinstance(adapter, CreditProfileWriter) or Capability.WRITE_CREDIT_PROFILE not in capabilities:
            raise _fail(f"the {self.erp} adapter of connection {self.connection!r} cannot write credit profiles",
                        EXIT_USAGE)  # fmt: skip
        return adapter  # type: ignore[return-value]  # checked: a writer with erp_name and capabilities


@contextmanager
def _session(config_file: Path | None, connection: str | None, user: str | None,
             output: OutputFormat) -> Iterator[_Session]:  # fmt: skip
    """Config, connection, store and policy, with every error a user can act on turned into an exit code."""
    from creditbridge.core.ports import ErpError
    from creditbridge.core.writeback import WritebackPolicy
    from creditbridge.sync.composition import open_store
    from creditbridge.sync.config import ConfigError, load_config
    from creditbridge.sync.logs import configure_logging
    from creditbridge.sync.store import StoreError
    from creditbridge.sync.writeback import WritebackError

    try:
        config = load_config(config_file)
        configure_logging(config.log_format, config.log_level)
        chosen = _connection_name(config, connection)
        erp = config.connection(chosen).erp
    except ConfigError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    policy = WritebackPolicy(**config.policy.model_dump())
    acting = (user or os.environ.get(USER_ENV) or getpass.getuser()).strip()
    if not acting:
        raise _fail(f"who is acting? give --user or set ${USER_ENV}", EXIT_USAGE)
    try:
        store = open_store(config)
    except StoreError as exc:
        raise _fail(str(exc), EXIT_STORE) from None
    try:
        with store:
            yield _Session(config, chosen, erp, store, policy, acting, output)
    except WritebackError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    except ConfigError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    except ErpError as exc:
        raise _fail(f"the ERP of connection {chosen!r}: {exc}", EXIT_ERP) from None
    except StoreError as exc:
        raise _fail(str(exc), EXIT_STORE) from None


def _connection_name(config: Config, name: str | None) -> str:
    from creditbridge.sync.config import ConfigError

    if name is not None:
        return config.connection(name).name
    names = [c.name for c in config.connections]
    if len(names) == 1:
        return names[0]
    if not names:
        raise ConfigError(f"{config.path or 'the configuration'} has no [[connections]]")
    raise ConfigError(f"there are {len(names)} connections ({', '.join(names)}): choose one with --connection")


def _fail(message: str, code: int) -> typer.Exit:
    _err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def _say(text: str) -> None:
    """A line of plain text on stdout (no rich markup: a customer called "[A&B]" shows as it is)."""
    _out().print(text, highlight=False, markup=False)


def _add_row(table: Table, *cells: str) -> None:
    """A table row whose text is shown as is (a reason like "[urgent]" is not rich markup)."""
    table.add_row(*(escape(cell) for cell in cells))


def _emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def _out() -> Console:
    out = Console(soft_wrap=True)
    return out if out.is_terminal else Console(soft_wrap=True, width=160)


def _values_json(values: ProfileValues | None) -> dict[str, Any] | None:
    if values is None:
        return None
    limit = None if values.credit_limit is None else f"{values.credit_limit.normalize():f}"
    return {"credit_limit": limit, "currency": values.currency, "on_hold": values.on_hold}


def _parse_limit(text: str) -> Decimal | None:
    from creditbridge.core.money import MoneyError, parse_decimal

    if text.strip().lower() in ("none", "no-limit", "unlimited"):
        return None
    try:
        amount = parse_decimal(text.replace(",", "").replace("_", ""))
    except MoneyError as exc:
        raise _fail(f"--limit {text!r}: {exc}", EXIT_USAGE) from None
    if amount < 0:
        raise _fail(f"--limit {text!r}: a credit limit cannot be negative", EXIT_USAGE)
    return amount


def _request_line(request: ChangeRequest) -> str:
    from creditbridge.core.writeback import ChangeKind, ProfileChange, render_change

    change = ProfileChange(request.customer_id, request.before, request.before_version, request.wanted,
                           tuple(ChangeKind(k) for k in request.kinds), request.needs_approval, (),
                           request.customer_name)  # fmt: skip
    return render_change(change)


def _row_line(row: OutboxRow) -> str:
    from creditbridge.core.writeback import describe_values

    return f"{describe_values(row.expected)} → {describe_values(row.wanted)}"


# --- limits -------------------------------------------------------------------------------------


def _request(config_file: Path | None, connection: str | None, user: str | None, output: OutputFormat,
             customer: str, reason: str | None, **change: Any) -> None:  # fmt: skip
    from creditbridge.core.writeback import render_change
    from creditbridge.sync.logs import job_run
    from creditbridge.sync.writeback import request_profile_change

    with _session(config_file, connection, user, output) as s, job_run("request", connection=s.connection) as run_id:
        result = request_profile_change(s.store, s.connection, s.reader(), customer, s.policy, requested_by=s.user,
                                        reason=reason or "", erp=s.erp, run_id=run_id, **change)  # fmt: skip
    if output is OutputFormat.json:
        _emit_json({
            "request_id": None if result.request is None else result.request.id,
            "status": None if result.request is None else result.request.status.value,
            "needs_approval": None if result.change is None else result.change.needs_approval,
            "outbox_id": None if result.outbox_row is None else result.outbox_row.id,
            "change": None if result.change is None else render_change(result.change),
            "superseded": list(result.superseded),
            "message": result.message,
        })  # fmt: skip
        return
    if result.change is not None:
        _say(render_change(result.change))
    _say(result.message)
    for old in result.superseded:
        _say(f"request {old} (awaiting approval) is superseded by this one")


@limits_app.command("set")
def limits_set(
    customer: Annotated[str, typer.Argument(help="The customer's id in the ERP.")],
    limit: Annotated[str, typer.Option("--limit", help="The new credit limit (an amount, or 'none' for no limit).")],
    currency: Annotated[str | None, typer.Option("--currency", help="Only needed where there is no limit yet.")] = None,
    reason: ReasonOption = None,
    config_file: ConfigOption = None,
    connection: ConnectionOption = None,
    output: FormatOption = OutputFormat.table,
    user: UserOption = None,
) -> None:
    """Request a new credit limit (increases above the policy's threshold wait for a second person)."""
    _request(config_file, connection, user, output, customer, reason, credit_limit=_parse_limit(limit),
             currency=currency.upper() if currency else None)  # fmt: skip


CurrencyOption = Annotated[
    str | None, typer.Option("--currency", help="Only needed where the customer has no limit and no known currency.")
]


@limits_app.command("hold")
def limits_hold(
    customer: Annotated[str, typer.Argument(help="The customer's id in the ERP.")],
    reason: ReasonOption = None,
    currency: CurrencyOption = None,
    config_file: ConfigOption = None,
    connection: ConnectionOption = None,
    output: FormatOption = OutputFormat.table,
    user: UserOption = None,
) -> None:
    """Request a credit hold on the customer."""
    _request(config_file, connection, user, output, customer, reason, on_hold=True,
             currency=currency.upper() if currency else None)


@limits_app.command("release")
def limits_release(
    customer: Annotated[str, typer.Argument(help="The customer's id in the ERP.")],
    reason: ReasonOption = None,
    currency: CurrencyOption = None,
    config_file: ConfigOption = None,
    connection: ConnectionOption = None,
    output: FormatOption = OutputFormat.table,
    user: UserOption = None,
) -> None:
    """Request the release of the customer's credit hold (waits for a second person unless the policy says not)."""
    _request(config_file, connection, user, output, customer, reason, on_hold=False,
             currency=currency.upper() if currency else None)


# --- approvals ----------------------------------------------------------------------------------


def _request_json(request: ChangeRequest) -> dict[str, Any]:
    return {
        "id": request.id, "connection": request.connection, "customer_id": request.customer_id,
        "customer_name": request.customer_name, "change": _request_line(request), "kinds": list(request.kinds),
        "before": _values_json(request.before), "wanted": _values_json(request.wanted),
        "needs_approval": request.needs_approval, "requested_by": request.requested_by,
        "requested_at": request.requested_at.isoformat(), "reason": request.reason, "status": request.status.value,
    }  # fmt: skip


@approvals_app.command("list")
def approvals_list(
    include_all: Annotated[bool, typer.Option("--all", help="Every request, not only those awaiting one.")] = False,
    config_file: ConfigOption = None,
    connection: ConnectionOption = None,
    output: FormatOption = OutputFormat.table,
    user: UserOption = None,
) -> None:
    """Change requests awaiting a second person's approval."""
    from creditbridge.sync.writeback import RequestStatus, list_requests

    with _session(config_file, connection, user, output) as s:
        requests = list_requests(s.store, s.connection, () if include_all else (RequestStatus.PROPOSED,))
    if output is OutputFormat.json:
        _emit_json([_request_json(r) for r in requests])
        return
    if not requests:
        _say("nothing awaits approval" if not include_all else "no change requests")
        return
    table = Table(title="change requests" if include_all else "awaiting approval", title_justify="left")
    for column in ("id", "change", "requested by", "at", "reason", "status"):
        table.add_column(column)
    for r in requests:
        _add_row(table, str(r.id), _request_line(r), r.requested_by, f"{r.requested_at:%Y-%m-%d %H:%M}", r.reason,
                 r.status.value)
    _out().print(table)


@approvals_app.command("approve")
def approvals_approve(
    request_id: Annotated[int, typer.Argument(help="The change request's id (approvals list).")],
    comment: Annotated[str | None, typer.Option("--comment", help="Kept in the audit log.")] = None,
    config_file: ConfigOption = None,
    connection: ConnectionOption = None,
    output: FormatOption = OutputFormat.table,
    user: UserOption = None,
) -> None:
    """Approve a request (you must not be its requester); it is queued for the next push."""
    from creditbridge.sync.logs import job_run
    from creditbridge.sync.writeback import approve

    with _session(config_file, connection, user, output) as s, job_run("approve", connection=s.connection) as run_id:
        decision = approve(s.store, request_id, s.user, comment=comment, erp=s.erp, run_id=run_id)
    row = decision.outbox_row
    if output is OutputFormat.json:
        _emit_json({**_request_json(decision.request), "approval_id": decision.approval_id,
                    "outbox_id": None if row is None else row.id})  # fmt: skip
        return
    _say(f"request {request_id} approved by {s.user}: {_request_line(decision.request)}; queued as outbox row "
         f"{None if row is None else row.id}")


@approvals_app.command("reject")
def approvals_reject(
    request_id: Annotated[int, typer.Argument(help="The change request's id (approvals list).")],
    comment: Annotated[str | None, typer.Option("--comment", help="Why (kept in the audit log).")] = None,
    config_file: ConfigOption = None,
    connection: ConnectionOption = None,
    output: FormatOption = OutputFormat.table,
    user: UserOption = None,
) -> None:
    """Reject a request (its requester may withdraw it the same way)."""
    from creditbridge.sync.logs import job_run
    from creditbridge.sync.writeback import reject

    with _session(config_file, connection, user, output) as s, job_run("reject", connection=s.connection) as run_id:
        decision = reject(s.store, request_id, s.user, comment=comment, erp=s.erp, run_id=run_id)
    if output is OutputFormat.json:
        _emit_json(_request_json(decision.request))
        return
    _say(f"request {request_id} rejected by {s.user}: {_request_line(decision.request)}")


# --- plan and push ------------------------------------------------------------------------------


def _plan_json(found: Any) -> dict[str, Any]:
    return {
        "connection": found.connection,
        "lines": found.lines,
        "items": [{"customer_id": i.customer_id, "state": i.state.value, "request_id": i.request_id,
                   "outbox_id": i.outbox_id, "wanted": _values_json(i.wanted), "erp": _values_json(i.erp_values),
                   "line": i.line} for i in found.items],
        "will_apply": {c: _values_json(v) for c, v in found.will_apply.items()},
    }


def _print_plan(found: Any, title: str) -> None:
    if not found.items:
        _say(f"{title}: nothing to write back")
        return
    _say(f"{title}: {len(found.will_apply)} change(s) would be written now, {len(found.items)} pending")
    for line in found.lines:
        _say(f"  {line}")


def plan_command(
    config_file: ConfigOption = None,
    connection: ConnectionOption = None,
    output: FormatOption = OutputFormat.table,
    user: UserOption = None,
) -> None:
    """What a push would write to the ERP now, as a diff against the ERP's current values (reads only)."""
    from creditbridge.sync.writeback import plan

    with _session(config_file, connection, user, output) as s:
        found = plan(s.store, s.connection, s.reader(), s.policy)
    if output is OutputFormat.json:
        _emit_json(_plan_json(found))
    else:
        _print_plan(found, f"plan for {s.connection}")


def push_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; make no ERP write at all.")] = False,
    lease_seconds: Annotated[
        float, typer.Option("--lease-seconds", min=0, help="How long this run holds each row it claims; a crashed "
                            "run's rows are taken over after it.")
    ] = 300.0,
    max_attempts: Annotated[
        int, typer.Option("--max-attempts", min=1, help="Tries while the ERP is unavailable before a row FAILS.")
    ] = 5,
    config_file: ConfigOption = None,
    connection: ConnectionOption = None,
    output: FormatOption = OutputFormat.table,
    user: UserOption = None,
) -> None:
    """Send every queued change to the ERP (compare-and-set, fixed idempotency key, read-back)."""
    from creditbridge.sync.logs import job_run
    from creditbridge.sync.writeback import DispatchSettings, push

    settings = DispatchSettings(lease_seconds=lease_seconds, max_attempts=max_attempts)
    with _session(config_file, connection, user, output) as s, job_run("push", connection=s.connection) as run_id:
        result = push(s.store, s.connection, s.writer(), s.policy, run_id=run_id, user=s.user, dry_run=dry_run,
                      settings=settings)  # fmt: skip
    _report_push(result, s.connection, output)


def _report_push(
    result: PushResult, connection: str, output: OutputFormat, extra: dict[str, Any] | None = None
) -> None:
    """Print a push (or its dry-run plan) and exit 1 or 4 when it left work for a person or stopped."""
    if result.plan is not None:
        if output is OutputFormat.json:
            _emit_json({**(extra or {}), "dry_run": True, **_plan_json(result.plan)})
        else:
            _print_plan(result.plan, f"dry run for {connection} (no ERP writes)")
        return
    report = result.report
    assert report is not None
    if output is OutputFormat.json:
        _emit_json({**(extra or {}), "dry_run": False, "connection": report.connection, "run_id": report.run_id,
                    "ok": report.ok,
                    "counts": report.counts, "stopped": report.stopped,
                    "results": [{"outbox_id": r.outbox_id, "customer_id": r.customer_id, "status": r.status.value,
                                 "detail": r.detail} for r in report.results]})  # fmt: skip
    else:
        if not report.results:
            _say(f"push {connection}: nothing to send")
        else:
            table = Table(title=f"push {connection} (run {report.run_id})", title_justify="left")
            for column in ("outbox", "customer", "status", "detail"):
                table.add_column(column)
            for r in report.results:
                _add_row(table, r.outbox_id[:8], r.customer_id, r.status.value, r.detail)
            _out().print(table)
    if report.stopped:
        raise _fail(f"the push stopped early: {report.stopped}", EXIT_ERP)
    if not report.ok:
        raise _fail("some changes need a person: see `creditbridge conflicts list` and `outbox list`",
                    EXIT_NEEDS_A_PERSON)  # fmt: skip



def run_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Pull and review, then print the plan; no ERP write.")] = (
        False
    ),
    as_of: Annotated[str | None, typer.Option("--as-of", help="Review date, YYYY-MM-DD (default: today).")] = None,
    config_file: ConfigOption = None,
    connection: ConnectionOption = None,
    output: FormatOption = OutputFormat.table,
    user: UserOption = None,
) -> None:
    """The whole cycle for one connection: pull → review holds → plan → push, under one run id."""
    from datetime import date

    from creditbridge.sync.logs import job_run
    from creditbridge.sync.pull import PullError
    from creditbridge.sync.run_job import run_cycle

    try:
        review_date = date.fromisoformat(as_of) if as_of else date.today()
    except ValueError:
        raise _fail(f"--as-of {as_of!r} is not a date (expected YYYY-MM-DD)", EXIT_USAGE) from None
    with _session(config_file, connection, user, output) as s, job_run("run", connection=s.connection) as run_id:
        try:
            report = run_cycle(s.store, s.config, s.connection, s.writer(), run_id=run_id, user=s.user,
                               as_of=review_date, dry_run=dry_run)  # fmt: skip
        except PullError as exc:
            raise _fail(f"pull of {s.connection} failed: {exc}", EXIT_ERP) from None
    review = [{"customer_id": o.decision.customer_id, "hold": o.decision.hold, "requested": o.requested,
               "note": o.note, "reasons": [r.message for r in o.decision.reasons]} for o in report.review]  # fmt: skip
    if output is OutputFormat.table:
        _say(report.pulled.describe())
        if review:
            table = Table(title=f"review {s.connection} as of {review_date}", title_justify="left")
            for column in ("customer", "wanted", "reasons", "request"):
                table.add_column(column)
            for o in report.review:
                _add_row(table, o.decision.customer_id, "hold" if o.decision.hold else "release",
                         "; ".join(r.message for r in o.decision.reasons), o.note)  # fmt: skip
            _out().print(table)
        else:
            _say(f"review {s.connection}: every hold is as the rules want it")
    _report_push(report.pushed, s.connection, output,
                 {"run_id": report.run_id, "pulled": report.pulled.as_dict(), "review": review})  # fmt: skip


# --- outbox -------------------------------------------------------------------------------------


def _row_json(row: OutboxRow) -> dict[str, Any]:
    return {
        "id": row.id, "idempotency_key": row.idempotency_key, "connection": row.connection,
        "customer_id": row.customer_id, "request_id": row.request_id, "status": row.status.value,
        "expected_version": row.expected_version, "expected": _values_json(row.expected),
        "wanted": _values_json(row.wanted), "erp": _values_json(row.erp_values), "erp_version": row.erp_version,
        "attempts": row.attempts, "next_attempt_at": row.next_attempt_at, "lease_until": row.lease_until,
        "fence": row.fence, "last_error": row.last_error, "erp_ref": row.erp_ref, "resolution": row.resolution,
        "resolved_by": row.resolved_by, "created_at": row.created_at, "updated_at": row.updated_at,
    }  # fmt: skip


def _rows_table(rows: Sequence[OutboxRow], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("outbox", "customer", "status", "attempts", "change", "updated", "last error"):
        table.add_column(column)
    for row in rows:
        _add_row(table, row.id[:8], row.customer_id, row.status.value, str(row.attempts), _row_line(row),
                 f"{row.updated_at:%Y-%m-%d %H:%M:%S}", row.last_error or "")
    return table


@outbox_app.command("list")
def outbox_list(
    status: Annotated[list[str] | None, typer.Option("--status", help="Only rows in this status (repeatable).")] = None,
    config_file: ConfigOption = None,
    connection: ConnectionOption = None,
    output: FormatOption = OutputFormat.table,
    user: UserOption = None,
) -> None:
    """The outbox rows, oldest first."""
    from creditbridge.sync.writeback import OutboxStatus, list_rows

    known = [s.value for s in OutboxStatus]
    wanted = [s.upper() for s in status or ()]
    if unknown := [s for s in wanted if s not in known]:
        raise _fail(f"unknown --status {', '.join(unknown)}; choose from {', '.join(known)}", EXIT_USAGE)
    with _session(config_file, connection, user, output) as s:
        rows = list_rows(s.store.engine, s.connection, tuple(OutboxStatus(w) for w in wanted))
    if output is OutputFormat.json:
        _emit_json([_row_json(r) for r in rows])
    elif not rows:
        _say("the outbox is empty" + (f" for {', '.join(wanted)}" if wanted else ""))
    else:
        _out().print(_rows_table(rows, f"outbox of {s.connection}"))


@outbox_app.command("show")
def outbox_show(
    row_id: Annotated[str, typer.Argument(help="The outbox row's id (or its first 8 characters).")],
    config_file: ConfigOption = None,
    connection: ConnectionOption = None,
    output: FormatOption = OutputFormat.table,
    user: UserOption = None,
) -> None:
    """One outbox row with its whole history and its audit rows."""
    from creditbridge.sync.writeback import audit, find, history

    with _session(config_file, connection, user, output) as s:
        row = find(s.store.engine, row_id, s.connection)
        events = history(s.store.engine, row.id)
        audits = [e for e in audit.list_entries(s.store.engine, s.connection, row.customer_id)
                  if e.fields["outbox_id"] == row.id]  # fmt: skip
    if output is OutputFormat.json:
        _emit_json({**_row_json(row), "history": [
            {"at": e.at, "event": e.event, "from": e.from_status, "to": e.to_status.value, "fence": e.fence,
             "attempt": e.attempt, "actor": e.actor, "run_id": e.run_id, "detail": e.detail} for e in events],
            "audit": [{"seq": a.seq, **a.fields, "hash": a.hash} for a in audits]})  # fmt: skip
        return
    _say(f"outbox row {row.id} ({row.status.value}) for customer {row.customer_id}, request {row.request_id}")
    _say(f"  change:          {_row_line(row)}")
    _say(f"  idempotency key: {row.idempotency_key}; expected ERP version {row.expected_version}")
    if row.erp_values is not None:
        from creditbridge.core.writeback import describe_values

        _say(f"  ERP seen:        {describe_values(row.erp_values)} (version {row.erp_version})")
    if row.resolution:
        _say(f"  resolved:        keep {row.resolution}, by {row.resolved_by}")
    table = Table(title="history", title_justify="left")
    for column in ("at", "event", "status", "fence", "attempt", "by", "run", "detail"):
        table.add_column(column)
    for e in events:
        moved = f"{e.from_status.value if e.from_status else '-'} → {e.to_status.value}"
        _add_row(table, f"{e.at:%Y-%m-%d %H:%M:%S}", e.event, moved, str(e.fence), str(e.attempt), e.actor,
                 (e.run_id or "")[:12], e.detail or "")
    _out().print(table)
    for a in audits:
        _say(f"  audit #{a.seq} {a.at:%Y-%m-%d %H:%M:%S} {a.fields['actor']}: {a.fields['action']} → "
             f"{a.fields['outcome']}")


@outbox_app.command("retry")
def outbox_retry(
    row_id: Annotated[str, typer.Argument(help="The outbox row's id (or its first 8 characters).")],
    config_file: ConfigOption = None,
    connection: ConnectionOption = None,
    output: FormatOption = OutputFormat.table,
    user: UserOption = None,
) -> None:
    """Send a FAILED row again on the next push (or make a waiting row due now); same idempotency key."""
    from creditbridge.sync.writeback import find, retry

    with _session(config_file, connection, user, output) as s:
        row = retry(s.store.engine, find(s.store.engine, row_id, s.connection).id, s.user)
    if output is OutputFormat.json:
        _emit_json(_row_json(row))
    else:
        _say(f"outbox row {row.id} is {row.status.value}: it goes out on the next push")


@outbox_app.command("cancel")
def outbox_cancel(
    row_id: Annotated[str, typer.Argument(help="The outbox row's id (or its first 8 characters).")],
    reason: ReasonOption = None,
    config_file: ConfigOption = None,
    connection: ConnectionOption = None,
    output: FormatOption = OutputFormat.table,
    user: UserOption = None,
) -> None:
    """Cancel a row that was not sent (PENDING) or could not be (FAILED)."""
    from creditbridge.sync.writeback import cancel, find

    with _session(config_file, connection, user, output) as s:
        row = cancel(s.store.engine, find(s.store.engine, row_id, s.connection).id, s.user, reason=reason)
    if output is OutputFormat.json:
        _emit_json(_row_json(row))
    else:
        _say(f"outbox row {row.id} cancelled; the ERP keeps {_row_line(row).split(' → ')[0]}")


# --- conflicts ----------------------------------------------------------------------------------


class Keep(StrEnum):
    erp = "erp"
    ours = "ours"


@conflicts_app.command("list")
def conflicts_list(
    include_resolved: Annotated[bool, typer.Option("--all", help="Resolved conflicts too.")] = False,
    config_file: ConfigOption = None,
    connection: ConnectionOption = None,
    output: FormatOption = OutputFormat.table,
    user: UserOption = None,
) -> None:
    """Writes stopped because the ERP's values changed after the change was requested."""
    from creditbridge.core.writeback import describe_values
    from creditbridge.sync.writeback import list_conflicts

    with _session(config_file, connection, user, output) as s:
        rows = list_conflicts(s.store, s.connection, include_resolved=include_resolved)
    if output is OutputFormat.json:
        _emit_json([_row_json(r) for r in rows])
        return
    if not rows:
        _say("no conflicts")
        return
    table = Table(title=f"conflicts of {s.connection}", title_justify="left")
    for column in ("outbox", "customer", "we expected", "we want", "the ERP has", "resolved"):
        table.add_column(column)
    for r in rows:
        erp_now = "?" if r.erp_values is None else describe_values(r.erp_values)
        _add_row(table, r.id[:8], r.customer_id, describe_values(r.expected), describe_values(r.wanted), erp_now,
                 f"keep {r.resolution} ({r.resolved_by})" if r.resolution else "")
    _out().print(table)


@conflicts_app.command("resolve")
def conflicts_resolve(
    row_id: Annotated[str, typer.Argument(help="The conflicting outbox row's id (or its first 8 characters).")],
    keep: Annotated[Keep, typer.Option("--keep", help="erp: the ERP's values stand. ours: send ours again against "
                                       "the ERP's values now (approval rules apply again).")],
    config_file: ConfigOption = None,
    connection: ConnectionOption = None,
    output: FormatOption = OutputFormat.table,
    user: UserOption = None,
) -> None:
    """Decide a conflict: keep the ERP's values, or ours (a new change, with four eyes where needed)."""
    from creditbridge.sync.logs import job_run
    from creditbridge.sync.writeback import find, resolve

    with _session(config_file, connection, user, output) as s, job_run("resolve", connection=s.connection) as run_id:
        row = find(s.store.engine, row_id, s.connection)
        adapter = s.reader() if keep is Keep.ours else None
        resolution = resolve(s.store, row.id, keep.value, s.user, adapter=adapter, policy=s.policy, erp=s.erp,
                             run_id=run_id)  # fmt: skip
    if output is OutputFormat.json:
        _emit_json({**_row_json(resolution.row), "message": resolution.message,
                    "new_request_id": None if resolution.request is None else resolution.request.id,
                    "new_outbox_id": None if resolution.new_row is None else resolution.new_row.id})  # fmt: skip
    else:
        _say(resolution.message)


# --- audit --------------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify(
    config_file: ConfigOption = None,
    connection: ConnectionOption = None,
    output: FormatOption = OutputFormat.table,
    user: UserOption = None,
) -> None:
    """Check the hash chain of the whole audit log; exit 1 naming the first broken row."""
    from creditbridge.sync.writeback import verify_chain

    with _session(config_file, connection, user, output) as s:
        check = verify_chain(s.store.engine)
    if output is OutputFormat.json:
        _emit_json({"ok": check.ok, "rows": check.rows, "head": check.head, "broken_seq": check.broken_seq,
                    "problem": check.problem, "broken_row": check.broken_row or None})  # fmt: skip
    elif check.ok:
        _say(f"audit log OK: {check.rows} rows, chain head {check.head}")
    else:
        _say(f"audit log BROKEN at row {check.broken_seq}: {check.problem}")
        for key, value in check.broken_row.items():
            _say(f"  {key}: {value}")
    if not check.ok:
        raise typer.Exit(EXIT_NEEDS_A_PERSON)


@audit_app.command("list")
def audit_list(
    customer: Annotated[str | None, typer.Option("--customer", help="Only this customer's rows.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="The last N rows.")] = 50,
    config_file: ConfigOption = None,
    connection: ConnectionOption = None,
    output: FormatOption = OutputFormat.table,
    user: UserOption = None,
) -> None:
    """The audit log of this connection, oldest first (the last --limit rows)."""
    from creditbridge.sync.writeback import audit

    with _session(config_file, connection, user, output) as s:
        entries = audit.list_entries(s.store.engine, s.connection, customer, limit)
    if output is OutputFormat.json:
        _emit_json([{"seq": e.seq, **e.fields, **_decoded_values(e.fields), "prev_hash": e.prev_hash, "hash": e.hash}
                    for e in entries])
        return
    if not entries:
        _say("the audit log is empty")
        return
    table = Table(title=f"audit log of {s.connection}", title_justify="left")
    for column in ("#", "at", "who", "action", "outcome", "customer", "before → after", "reason"):
        table.add_column(column)
    for e in entries:
        f = e.fields
        change = f"{_audit_values(f['before'])} → {_audit_values(f['after'])}" if f["before"] or f["after"] else ""
        _add_row(table, str(e.seq), f"{e.at:%Y-%m-%d %H:%M:%S}", f"{f['actor']} ({f['role']})", f["action"],
                 f["outcome"], f["customer_id"] or "", change, f["reason"] or "")
    _out().print(table)


def _decoded_values(fields: Any) -> dict[str, Any]:
    """`before` and `after` as JSON objects rather than JSON text inside JSON."""
    return {key: None if not fields[key] else json.loads(fields[key]) for key in ("before", "after")}


def _audit_values(text: str | None) -> str:
    if not text:
        return "-"
    from creditbridge.core.ports import ProfileValues
    from creditbridge.core.writeback import describe_values

    data = json.loads(text)
    limit = None if data["credit_limit"] is None else Decimal(data["credit_limit"])
    return describe_values(ProfileValues(limit, bool(data["on_hold"]), data["currency"]))
