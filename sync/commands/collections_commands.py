"""`creditbridge collections …`: the dunning policy, the plan, the worklist, reminders and escalation.

Two sources, one set of rules (core.collections): `--ledger DIR` reads a ledger folder (with its
optional disputes.csv and promises.csv) and needs no store; without it the store is read, with
the disputes, promises, contact log and sent reminders kept there.

Exit codes: 0 done; 1 `send` finished but a reminder stayed queued or its outcome is unknown;
2 a bad file, policy, template or command line (nothing sent); 3 the store failed.
"""

from __future__ import annotations

import csv
import io
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import simplejson
import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from creditbridge.core.collections import DunningPlan, DunningPolicy, WorklistEntry
    from creditbridge.sync.collections.sources import CollectionsData

_err = Console(stderr=True)
_out = Console(soft_wrap=True)


class PlanFormat(StrEnum):
    table = "table"
    json = "json"


class DataFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


LedgerOpt = Annotated[
    Path | None,
    typer.Option(
        "--ledger",
        help="A ledger folder (with optional disputes.csv, promises.csv, contacts.csv); read directly, no store.",
    ),
]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="Date of the plan, YYYY-MM-DD (default: today).")]
PolicyOpt = Annotated[
    Path | None,
    typer.Option("--policy", help="Dunning policy YAML (default: collections.policy of the config, else built in)."),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="Configuration file (default: $CREDITBRIDGE_CONFIG, else ./creditbridge.toml)."),
]
StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="Store URL (default: the config's, else $CREDITBRIDGE_STORE_URL, else sqlite:///creditbridge.db).",
    ),
]


def register(app: typer.Typer) -> None:
    """Add the `collections` group, and `promises`, `disputes`, `notes`."""
    group = typer.Typer(help="Dunning: policy, plan, worklist, reminders, escalation.", no_args_is_help=True)
    group.command("policy")(policy_command)
    group.command("plan")(plan_command)
    group.command("worklist")(worklist_command)
    from creditbridge.sync.commands import collections_store_commands as store_commands

    store_commands.register_collections(group)
    app.add_typer(group, name="collections")
    store_commands.register(app)


def policy_command(
    init: Annotated[
        Path | None, typer.Option("--init", help="Write the documented default policy to this file.")
    ] = None,
    check: Annotated[Path | None, typer.Option("--check", help="Check a policy file and say what it means.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file with --init.")] = False,
) -> None:
    """Write the default dunning policy (--init FILE) or check one (--check FILE)."""
    from creditbridge.sync.collections.policy_file import PolicyError, default_policy_text, load_policy

    if init is None and check is None:
        sys.stdout.write(default_policy_text())
        return
    if init is not None:
        if init.exists() and not force:
            raise fail(f"{init} exists; give --force to overwrite it")
        init.write_text(default_policy_text(), encoding="utf-8")
        _err.print(f"wrote the default dunning policy to {init}")
    if check is not None:
        try:
            policy = load_policy(check)
        except PolicyError as exc:
            raise fail(f"the policy has errors:\n{exc}") from None
        _out.print(schedule_table(policy))


def schedule_table(policy: DunningPolicy) -> Table:
    table = Table(title=f"Dunning levels (minimum {policy.minimum_amount}, grace {policy.grace_days} days)")
    for name in ("segment", "level", "name", "from days past due", "channel", "template"):
        table.add_column(name)
    schedules = [("default", policy.schedule), *sorted(policy.segments.items())]
    for segment, schedule in schedules:
        for level in schedule.levels:
            table.add_row(
                segment, str(level.level), level.name, str(level.days_past_due), level.channel, level.template
            )
        if schedule.escalation is not None:
            table.add_row(
                segment,
                str(schedule.escalation_level),
                f"escalation ({schedule.escalation.action})",
                str(schedule.escalation.days_past_due),
                "escalation",
                "",
            )
    return table


def plan_command(
    ledger: LedgerOpt = None,
    as_of: AsOfOpt = None,
    policy_file: PolicyOpt = None,
    output_format: Annotated[PlanFormat, typer.Option("--format", help="table or json.")] = PlanFormat.table,
    config_file: ConfigOpt = None,
    store: StoreOpt = None,
) -> None:
    """Which customers get which reminder today, and why the other overdue items are skipped."""
    from creditbridge.sync.collections.sources import load_data

    day = parse_day(as_of)
    data = load_data(ledger, config_file, store, policy_file, fail)
    plan = data.plan(day)
    if output_format is PlanFormat.json:
        sys.stdout.write(simplejson.dumps(plan.as_dict(), indent=2) + "\n")
        return
    _out.print(plan_table(plan, data))


def plan_table(plan: DunningPlan, data: CollectionsData) -> Table:
    names = {c.customer_id: c.name for c in data.ledger.customers}
    table = Table(
        title=f"Dunning plan as of {plan.as_of}: {len(plan.messages)} messages, {len(plan.skipped)} items skipped"
    )
    for name in ("customer", "name", "level", "channel", "items (level, days past due)", "open"):
        table.add_column(name)
    for message in plan.messages:
        listed = ", ".join(f"{i.item_id} (L{i.level}, {i.days_past_due} d)" for i in message.items)
        totals = ", ".join(f"{amount:,.2f} {cur}" for cur, amount in message.totals().items())
        table.add_row(
            message.customer_id, names.get(message.customer_id, ""), str(message.level), message.channel, listed, totals
        )
    return table


def worklist_command(
    ledger: LedgerOpt = None,
    as_of: AsOfOpt = None,
    policy_file: PolicyOpt = None,
    output_format: Annotated[DataFormat, typer.Option("--format", help="table, json or csv.")] = DataFormat.table,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, help="At most this many customers (default: 50 in a table, all in json/csv)."),
    ] = None,
    config_file: ConfigOpt = None,
    store: StoreOpt = None,
) -> None:
    """Customers with overdue money, highest priority first (amount × days × risk, weights in the policy)."""
    from creditbridge.sync.collections.sources import load_data

    day = parse_day(as_of)
    data = load_data(ledger, config_file, store, policy_file, fail)
    shown = limit if limit is not None else (50 if output_format is DataFormat.table else None)
    entries = data.worklist(day)[:shown]
    write_entries(entries, output_format, f"Collections worklist as of {day}")


WORKLIST_COLUMNS = (
    "customer_id",
    "customer_name",
    "currency",
    "risk_class",
    "overdue",
    "disputed",
    "promised",
    "items",
    "max_days_past_due",
    "level",
    "next_action",
    "priority",
    "last_contact",
)


def write_entries(entries: list[WorklistEntry], output_format: DataFormat, title: str) -> None:
    rows = [e.as_dict() for e in entries]
    if output_format is DataFormat.json:
        sys.stdout.write(simplejson.dumps({"worklist": rows}, use_decimal=True, indent=2) + "\n")
    elif output_format is DataFormat.csv:
        write_csv(rows, WORKLIST_COLUMNS)
    else:
        table = Table(title=title)
        for name in (
            "#",
            "customer",
            "name",
            "overdue",
            "days",
            "level",
            "risk",
            "disputed",
            "promised",
            "next action",
            "last contact",
            "priority",
        ):
            table.add_column(
                name, justify="right" if name in ("overdue", "disputed", "promised", "priority") else "left"
            )
        for n, e in enumerate(entries, 1):
            table.add_row(
                str(n),
                e.customer_id,
                e.customer_name,
                f"{e.overdue:,.2f} {e.currency}",
                str(e.max_days_past_due),
                str(e.level),
                e.risk_class or "",
                f"{e.disputed:,.2f}",
                f"{e.promised:,.2f}",
                e.next_action,
                e.last_contact or "",
                f"{e.priority:,.0f}",
            )
        _out.print(table)


def write_csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    sys.stdout.write(buffer.getvalue())


def parse_day(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"--as-of {text!r} is not a date (expected YYYY-MM-DD)") from None


def fail(message: str, code: int = 2) -> typer.Exit:
    _err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)
