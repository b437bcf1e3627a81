"""`creditbridge credit policy | apply | review | decisions`: the credit engine's commands.

    creditbridge credit policy --init credit-policy.yaml     write the documented default policy
    creditbridge credit policy --check credit-policy.yaml    check a policy (exit 2 with file:line errors)
    creditbridge credit apply application.json --format json score an application, decide, store it
    creditbridge credit review --ledger DIR [--all]          re-score customers from their behaviour
    creditbridge credit review [--store URL] [--all]         ... and request the changes (four eyes)
    creditbridge credit decisions list [--customer ID]       the stored decisions
    creditbridge credit decisions show ID                    one decision, replayed under its policy

The rules are core.credit's; the policy is --policy FILE, else $CREDITBRIDGE_CREDIT_POLICY, else the
built-in default (the file `credit policy --init` writes). Exit codes: 0 done; 2 a bad file, policy
or command line (nothing stored); 3 the store failed.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import simplejson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from creditbridge.sync.commands.credit_commands import _fail, _parse_date, load_credit_policy

if TYPE_CHECKING:
    from creditbridge.core.credit.behaviour import ReviewProposal
    from creditbridge.core.model import Ledger
    from creditbridge.sync.store import Store

USER_ENV = "CREDITBRIDGE_USER"

_out = Console(soft_wrap=True)
if not _out.is_terminal:
    _out = Console(soft_wrap=True, width=160)


class Format(StrEnum):
    table = "table"
    json = "json"


PolicyOption = Annotated[
    Path | None,
    typer.Option("--policy", help="Credit policy YAML (default: $CREDITBRIDGE_CREDIT_POLICY, else the built-in)."),
]
StoreOption = Annotated[
    str | None,
    typer.Option("--store", help="Store URL (default: $CREDITBRIDGE_STORE_URL, else sqlite:///creditbridge.db)."),
]
FormatOption = Annotated[Format, typer.Option("--format", help="table or json.")]
UserOption = Annotated[
    str | None, typer.Option("--user", help=f"Who decides (default: ${USER_ENV}, else the login name).")
]

decisions_app = typer.Typer(help="Stored credit decisions (applications, reviews).", no_args_is_help=True)


def register(credit: typer.Typer) -> None:
    credit.command("policy")(policy_command)
    credit.command("apply")(apply_command)
    credit.command("review")(review_command)
    credit.add_typer(decisions_app, name="decisions")


# --- policy -------------------------------------------------------------------------------------


def policy_command(
    init: Annotated[Path | None, typer.Option("--init", help="Write the documented default policy to FILE.")] = None,
    check: Annotated[Path | None, typer.Option("--check", help="Check the policy FILE and say what is wrong.")] = None,
    force: Annotated[bool, typer.Option("--force", help="With --init: overwrite FILE if it exists.")] = False,
) -> None:
    """Write the default credit policy (--init FILE) or check one (--check FILE); without options, show the default."""
    from creditbridge.mappings.credit_policy import default_policy_text

    if init is not None:
        if init.exists() and not force:
            raise _fail(f"{init} exists: give --force to overwrite it")
        init.write_text(default_policy_text(), encoding="utf-8")
        _say(f"wrote the default credit policy to {init}: edit it, then use it with --policy {init}")
        return
    if check is not None:
        policy = load_credit_policy(check)
        _say(f"{check}: the policy is good (version {policy.version[:12]}, {len(policy.risk_classes)} risk classes)")
        return
    sys.stdout.write(default_policy_text())


# --- apply --------------------------------------------------------------------------------------


def apply_command(
    file: Annotated[Path, typer.Argument(help="The application, .json or .yaml (see README 'Credit applications').")],
    output_format: FormatOption = Format.table,
    policy_file: PolicyOption = None,
    store: StoreOption = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date of the decision (default: today).")] = None,
    user: UserOption = None,
) -> None:
    """Score a credit application (Altman Z, scorecard), recommend a limit, decide, and store the decision."""
    from creditbridge.core.credit.application import ApplicationError
    from creditbridge.sync.credit_applications import UnknownApplicant, assess_application, store_application
    from creditbridge.sync.writeback.transactions import write_transaction

    policy = load_credit_policy(policy_file)
    decided_on = _parse_date(as_of)
    acting = _user(user)
    data, lines = _read_application(file)
    try:
        assessed = assess_application(data, policy)
    except ApplicationError as exc:
        raise _fail(f"{_where(file, lines, exc.field)}: {exc.field}: {_message(exc)}") from None
    result = assessed.result
    with _open_store(store) as opened:
        try:
            with write_transaction(opened.engine) as conn:
                decision_id = store_application(conn, policy, assessed, data, decided_by=acting, as_of=decided_on)
        except UnknownApplicant as exc:
            raise _fail(f"{_where(file, lines, exc.field)}: {exc.field}: no customer {exc.customer_id!r} in the "
                        f"store at {opened.url} (leave it null for a new applicant)") from None  # fmt: skip
    result["decision_id"] = decision_id
    if output_format is Format.json:
        sys.stdout.write(simplejson.dumps(result, use_decimal=True, indent=2) + "\n")
        return
    _print_assessment(result)


def _message(exc: Exception) -> str:
    text = str(exc)
    field = getattr(exc, "field", "")
    return text[len(field) + 2:] if field and text.startswith(f"{field}: ") else text


def _read_application(file: Path) -> tuple[Any, dict[Any, int]]:
    from creditbridge.mappings.loader import MappingError, _read_yaml

    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{file}: cannot read the application: {getattr(exc, 'strerror', None) or exc}") from None
    if file.suffix.lower() == ".json":
        try:
            return json.loads(text, parse_float=Decimal), {}
        except json.JSONDecodeError as exc:
            raise _fail(f"{file}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if file.suffix.lower() not in (".yaml", ".yml"):
        raise _fail(f"{file}: an application is a .json or .yaml file")
    try:
        data, lines = _read_yaml(text, str(file))
    except MappingError as exc:
        raise _fail(str(exc)) from None
    return data, lines


def _where(file: Path, lines: dict[Any, int], field: str) -> str:
    from creditbridge.mappings.loader import _line_of

    if not lines or not field:
        return str(file)
    path: list[str | int] = []
    for part in field.replace("[", ".[").split("."):
        if part.startswith("[") and part.endswith("]"):
            path.append(int(part[1:-1]))
        elif part:
            path.append(part)
    line = _line_of(lines, tuple(path))
    return f"{file}:{line}" if line else str(file)


def _print_assessment(result: dict[str, Any]) -> None:
    altman = result["altman"]
    limit = result["recommended_limit"]
    table = Table(title=f"Credit application of {result['applicant']}: {result['decision'].upper()}",
                  title_justify="left")  # fmt: skip
    table.add_column("Figure")
    table.add_column("Value")
    table.add_row(f"Altman {altman['model']}", f"{altman['z']} ({altman['zone']})")
    for name, part in altman["components"].items():
        table.add_row(f"  {name.upper()}", f"ratio {part['ratio']}, points {part['points']}")
    table.add_row("Score", f"{result['score']} (risk class {result['risk_class']}, PD {result['pd_band']})")
    for name, part in result["score_components"].items():
        value = part.get("value", "")
        shown = f" (value {value})" if value not in ("", None) else ""
        table.add_row(f"  {name}", f"{part['points']} points{shown}")
    for method in result["limit_methods"]:
        table.add_row(f"Limit: {method['method']}", f"{method['amount']:,} — {method['basis']}")
    table.add_row("Requested", f"{result['requested_limit']['amount']:,} {result['requested_limit']['currency']}")
    table.add_row("Recommended", f"{limit['amount']:,} {limit['currency']}")
    for reason in result["reasons"]:
        table.add_row(f"[bold]{reason['rule']}[/]", escape(reason["message"]))
    table.add_row("Decision id", str(result["decision_id"]))
    _out.print(table)


# --- review -------------------------------------------------------------------------------------


def review_command(
    review_all: Annotated[bool, typer.Option("--all", help="Review every customer, not only those due.")] = False,
    ledger: Annotated[
        Path | None, typer.Option("--ledger", help="A ledger folder: review it directly (nothing stored).")
    ] = None,
    customer: Annotated[
        list[str] | None, typer.Option("--customer", help="Review this customer (repeatable); implies due.")
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date of the review (default: today).")] = None,
    output_format: FormatOption = Format.table,
    policy_file: PolicyOption = None,
    store: StoreOption = None,
    source: Annotated[
        str | None, typer.Option("--source", help="The store's source (connection) to review (default: the only one).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Store mode: show the proposals; store and request nothing.")
    ] = False,
    user: UserOption = None,
    config_file: Annotated[
        Path | None,
        typer.Option("--config", help="A configuration: its store, and --connection as the source to review."),
    ] = None,
    connection: Annotated[
        str | None, typer.Option("--connection", help="With --config: the connection (default: the only one).")
    ] = None,
) -> None:
    """Re-score customers from their payment behaviour and propose limit changes and holds.

    Due customers are those whose last review is older than their risk class's cadence (every customer
    of a ledger folder, which keeps no history). In store mode each proposal is stored as a decision and
    its change becomes a write-back request: limit increases above the policy's threshold and hold
    releases wait for a second person (`creditbridge approvals list|approve|reject`).
    """
    from creditbridge.core.credit.behaviour import review_customers

    policy = load_credit_policy(policy_file)
    review_date = _parse_date(as_of)
    if ledger is not None:
        from creditbridge.sync.credit_review_job import UnknownCustomers, choose_customers

        records = _ledger(ledger)
        try:
            chosen = choose_customers(records, customer, review_all, policy, {}, review_date)
        except UnknownCustomers as exc:
            raise _fail(str(exc)) from None
        proposals = review_customers(records, policy, review_date, chosen)
        _report_review(proposals, output_format, review_date, stored=False)
        return
    acting = _user(user)
    if config_file is not None:
        store, source = _from_config(config_file, connection)
    from creditbridge.sync.credit_review_job import UnknownCustomers, review_source

    with _open_store(store, must_exist=True) as opened:
        try:
            done = review_source(opened, _source_of(opened, source), policy, review_date, acting, customers=customer,
                                 review_all=review_all, dry_run=dry_run)  # fmt: skip
        except UnknownCustomers as exc:
            raise _fail(str(exc)) from None
    _report_review(done.proposals, output_format, review_date, stored=not dry_run, notes=done.notes)


def _from_config(path: Path, connection: str | None) -> tuple[str, str]:
    """The store URL of the configuration and the connection to review (its name is the store's source)."""
    from creditbridge.sync.config import ConfigError, load_config

    try:
        config = load_config(path)
        if connection is not None:
            return config.store_url, config.connection(connection).name
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    names = [c.name for c in config.connections]
    if len(names) != 1:
        raise _fail(f"{path} has {len(names)} connections: choose one with --connection")
    return config.store_url, names[0]


def _report_review(
    proposals: tuple[ReviewProposal, ...], output_format: Format, as_of: date, *, stored: bool,
    notes: dict[str, str] | None = None,
) -> None:  # fmt: skip
    notes = notes or {}
    if output_format is Format.json:
        body = {"as_of": as_of.isoformat(), "stored": stored, "reviewed": len(proposals),
                "decisions": [{**p.as_dict(), **({"note": notes[p.customer_id]} if p.customer_id in notes else {})}
                              for p in proposals]}  # fmt: skip
        sys.stdout.write(simplejson.dumps(body, use_decimal=True, indent=2) + "\n")
        return
    if not proposals:
        _say(f"credit review as of {as_of}: no customer is due (give --all to review everyone)")
        return
    table = Table(title=f"credit review as of {as_of}: {len(proposals)} customer(s)", title_justify="left")
    for column in ("Customer", "Score", "Class", "Payment index", "Decision", "Limit", "Why", "Request"):
        table.add_column(column)
    for p in proposals:
        old, new = p.current.credit_limit, p.wanted.credit_limit
        limit = _limit_text(old) if old == new else f"{_limit_text(old)} → {_limit_text(new)}"
        index = p.behaviour.payment_index
        why = "; ".join(r.message for r in p.reasons[1:]) or p.reasons[0].message
        table.add_row(escape(p.customer_id), str(p.score.score), p.risk_class,
                      "—" if index is None else str(index.quantize(Decimal(1))), p.decision, limit, escape(why),
                      escape(notes.get(p.customer_id, "")))  # fmt: skip
    _out.print(table)


def _limit_text(value: Decimal | None) -> str:
    return "no limit" if value is None else f"{value:,}"


# --- decisions ----------------------------------------------------------------------------------


@decisions_app.command("list")
def decisions_list(
    customer: Annotated[str | None, typer.Option("--customer", help="Only this customer's decisions.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="application, review or order_check.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many, newest first.")] = 50,
    output_format: FormatOption = Format.table,
    store: StoreOption = None,
) -> None:
    """The stored credit decisions, newest first."""
    from creditbridge.sync.credit_decisions import list_decisions

    with _open_store(store, must_exist=True) as opened:
        found = list_decisions(opened.engine, customer_id=customer, kind=kind, limit=limit)
    if output_format is Format.json:
        sys.stdout.write(json.dumps([d.as_dict() for d in found], indent=2) + "\n")
        return
    table = Table(title=f"credit decisions ({len(found)})", title_justify="left")
    for column in ("Id", "When", "Kind", "Customer", "Decision", "Score", "Class", "Limit", "By", "Policy", "Request"):
        table.add_column(column)
    for d in found:
        table.add_row(str(d.id), d.decided_at.strftime("%Y-%m-%d %H:%M"), d.kind,
                      escape(d.customer_id or d.applicant or ""), d.decision, d.score or "", d.risk_class or "",
                      "" if d.recommended_limit is None else f"{d.recommended_limit} {d.currency}",
                      escape(d.decided_by), d.policy_version[:12],
                      "" if d.request_id is None else str(d.request_id))  # fmt: skip
    _out.print(table)


@decisions_app.command("show")
def decisions_show(
    decision_id: Annotated[int, typer.Argument(help="The decision id (see `credit decisions list`).")],
    store: StoreOption = None,
) -> None:
    """One decision as JSON, with its replay: decided again from its stored inputs and policy (`reproduced`)."""
    from creditbridge.sync.credit_decisions import get_decision, replayed

    with _open_store(store, must_exist=True) as opened:
        found = get_decision(opened.engine, decision_id)
    if found is None:
        raise _fail(f"no credit decision {decision_id}")
    decision, policy_text = found
    body = decision.as_dict()
    reproduced = replayed(decision, policy_text)
    if reproduced is not None:
        body["reproduced"] = reproduced
    sys.stdout.write(json.dumps(body, indent=2) + "\n")


# --- shared -------------------------------------------------------------------------------------


def _say(text: str) -> None:
    _out.print(text, highlight=False, markup=False)


def _user(user: str | None) -> str:
    acting = (user or os.environ.get(USER_ENV) or getpass.getuser()).strip()
    if not acting:
        raise _fail(f"who is deciding? give --user or set ${USER_ENV}")
    return acting


def _ledger(path: Path) -> Ledger:
    from creditbridge.adapters.files import LedgerError, read_ledger

    try:
        return read_ledger(path).to_ledger()
    except LedgerError as exc:
        raise _fail(f"the ledger has errors:\n{exc}") from None


@contextmanager
def _open_store(url: str | None, *, must_exist: bool = False) -> Iterator[Store]:
    """The store of --store (default URL), its errors as exit code 3; `must_exist` refuses a missing SQLite file."""
    from creditbridge.sync.settings import missing_store_message, store_url_from_env
    from creditbridge.sync.store import Store, StoreError

    chosen = url or store_url_from_env()
    if must_exist and (refused := missing_store_message(chosen)) is not None:
        raise _fail(refused)
    try:
        with Store.open(chosen) as opened:
            yield opened
    except StoreError as exc:
        raise _fail(str(exc), 3) from None


def _source_of(store: Store, source: str | None) -> str:
    import sqlalchemy as sa

    from creditbridge.sync.store import schema

    with store.engine.connect() as conn:
        sources = sorted(str(s) for (s,) in conn.execute(sa.select(schema.customers.c.source).distinct()))
    if source is not None:
        if source not in sources:
            raise _fail(f"the store has no source {source!r} (it has: {', '.join(sources) or 'none'})")
        return source
    if len(sources) == 1:
        return sources[0]
    if not sources:
        raise _fail("the store has no customers: import a ledger or pull a connection first")
    raise _fail(f"the store has {len(sources)} sources ({', '.join(sources)}): choose one with --source")
