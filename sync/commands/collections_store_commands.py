"""Collections commands that work on the store: send, check, escalate, contacts; promises, disputes, notes.

`collections send` runs `sync.collections.job.run_collections_job`; the rest keep what collectors
learn — promises to pay, disputes, contacts and the contact log — next to the replica of the
ERP, where `collections plan` and `worklist` read them.
"""

from __future__ import annotations

import csv
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import simplejson
import typer
from rich.console import Console
from rich.table import Table

from creditbridge.core.money import Money
from creditbridge.sync.commands.collections_commands import (
    AsOfOpt,
    ConfigOpt,
    DataFormat,
    PlanFormat,
    PolicyOpt,
    StoreOpt,
    fail,
    parse_day,
    write_csv,
)

if TYPE_CHECKING:
    import sqlalchemy as sa

    from creditbridge.sync.collections.settings import CollectionsSettings
    from creditbridge.sync.store import Store

_err = Console(stderr=True)
_out = Console(soft_wrap=True)


def register_collections(group: typer.Typer) -> None:
    group.command("send")(send_command)
    group.command("check")(check_command)
    group.command("escalate")(escalate_command)
    group.command("contacts")(contacts_command)


def register(app: typer.Typer) -> None:
    promises = typer.Typer(help="Promises to pay: add, list (kept / broken / open).", no_args_is_help=True)
    promises.command("add")(promise_add)
    promises.command("list")(promise_list)
    app.add_typer(promises, name="promises")
    disputes = typer.Typer(help="Disputed items: open, resolve, list.", no_args_is_help=True)
    disputes.command("open")(dispute_open)
    disputes.command("resolve")(dispute_resolve)
    disputes.command("list")(dispute_list)
    app.add_typer(disputes, name="disputes")
    notes = typer.Typer(
        help="The contact log per customer: calls, e-mails, inquiries; add, list, done.", no_args_is_help=True
    )
    notes.command("add")(note_add)
    notes.command("list")(note_list)
    notes.command("done")(note_done)
    app.add_typer(notes, name="notes")


def _settings(config_file: Path | None, store: str | None) -> CollectionsSettings:
    from creditbridge.sync.collections.settings import collections_settings

    return collections_settings(config_file, store, fail)


def _open_store(settings: CollectionsSettings) -> Store:
    from creditbridge.sync.settings import missing_store_message
    from creditbridge.sync.store import Store, StoreError

    if (refused := missing_store_message(settings.store_url)) is not None:
        raise fail(refused)
    try:
        return Store.open(settings.store_url)
    except StoreError as exc:
        raise fail(str(exc), 3) from None


# -- collections send / check / escalate / contacts -------------------------------------------------


def send_command(
    as_of: AsOfOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be sent; record and send nothing.")
    ] = False,
    resend_unknown: Annotated[
        bool,
        typer.Option(
            "--resend-unknown", help="Queue again reminders whose send was interrupted (check the mail log first)."
        ),
    ] = False,
    policy_file: PolicyOpt = None,
    output_format: Annotated[PlanFormat, typer.Option("--format", help="table or json.")] = PlanFormat.table,
    config_file: ConfigOpt = None,
    store: StoreOpt = None,
) -> None:
    """Record and send today's reminders (e-mail over SMTP, PDF letters, call tasks); failed ones stay queued."""
    from creditbridge.sync.collections.job import run_collections_job
    from creditbridge.sync.collections.reminders import check_templates
    from creditbridge.sync.collections.repository import load_store_data
    from creditbridge.sync.collections.sources import resolve_policy
    from creditbridge.sync.store import StoreError

    day = parse_day(as_of)
    settings = _settings(config_file, store)
    policy = resolve_policy(policy_file, settings.policy, fail)
    problems = check_templates(settings.collections.templates, policy, settings.collections)
    if problems:
        raise fail("the reminder templates have errors (nothing was sent):\n" + "\n".join(problems))
    data = load_store_data(settings.store_url, policy, fail)
    try:
        summary = run_collections_job(
            settings,
            data,
            day,
            dry_run=dry_run,
            resend_unknown=resend_unknown,
            warn=lambda w: _err.print(f"[yellow]warning:[/] {w}", highlight=False),
        )
    except StoreError as exc:
        raise fail(str(exc), 3) from None
    if output_format is PlanFormat.json:
        sys.stdout.write(simplejson.dumps(summary.as_dict(), indent=2) + "\n")
    else:
        title = "Would send" if dry_run else "Reminders"
        table = Table(title=f"{title} as of {day}")
        for name in ("customer", "level", "channel", "items"):
            table.add_column(name)
        for p in summary.planned:
            items = p["items"]
            table.add_row(
                str(p["customer_id"]),
                str(p["level"]),
                str(p["channel"]),
                ", ".join(items) if isinstance(items, list) else "",
            )
        _out.print(table)
        if not dry_run:
            _out.print(
                f"recorded {summary.queued}, sent {summary.sent}, still queued {summary.still_queued}, "
                f"outcome unknown {summary.unknown}; letters: {len(summary.letters)}"
            )
        else:
            _out.print(f"queued from earlier runs: {summary.still_queued}; outcome unknown: {summary.unknown}")
        for error in summary.errors:
            _err.print(f"[red]not sent:[/] {error}", highlight=False)
        if summary.unknown:
            _err.print(
                f"[yellow]{summary.unknown} reminder(s) were being sent when a run stopped; check the mail server's "
                "log, then `creditbridge collections send --resend-unknown` queues them again[/]"
            )
    if not dry_run and (summary.still_queued or summary.unknown):
        raise typer.Exit(1)


def check_command(
    policy_file: PolicyOpt = None,
    templates: Annotated[
        Path | None, typer.Option("--templates", help="Template folder (default: the config's).")
    ] = None,
    config_file: ConfigOpt = None,
    preview: Annotated[
        Path | None,
        typer.Option("--preview", help="Also write the sample reminder of each level here (.html, .txt, .pdf)."),
    ] = None,
) -> None:
    """Check the policy and render every reminder template against a sample: unknown variables fail here."""
    from creditbridge.sync.collections.reminders import (
        ACCENTS,
        check_templates,
        environment,
        render_body,
        render_email,
        render_letter,
        sample_context,
    )
    from creditbridge.sync.collections.sources import resolve_policy

    settings = _settings(config_file, None)
    policy = resolve_policy(policy_file, settings.policy, fail)
    folder = templates or settings.collections.templates
    problems = check_templates(folder, policy, settings.collections)
    if problems:
        raise fail("the reminder templates have errors:\n" + "\n".join(problems))
    if preview is not None:
        preview.mkdir(parents=True, exist_ok=True)
        env = environment(folder)
        values = sample_context(settings.collections)
        for level in policy.schedule.levels:
            if not any(c.value in ("email", "letter") for c in level.channels):
                continue
            mail = render_email(
                env,
                level.template,
                {
                    **values,
                    "level": level.level,
                    "level_name": level.name,
                    "accent": ACCENTS.get(level.level, "#1f5fbf"),
                },
            )
            (preview / f"{level.template}.html").write_text(mail.html, encoding="utf-8")
            (preview / f"{level.template}.txt").write_text(f"Subject: {mail.subject}\n\n{mail.text}", encoding="utf-8")
            subject, body = render_body(env, level.template, values)
            (preview / f"{level.template}.pdf").write_bytes(
                render_letter(subject, body, {**values, "level": level.level})
            )
        _err.print(f"previews written to {preview}")
    _out.print("policy and templates are fine")


ESCALATION_COLUMNS = (
    "customer_id",
    "customer_name",
    "email",
    "phone",
    "address",
    "currency",
    "total_overdue",
    "invoice_number",
    "invoice_date",
    "due_date",
    "days_past_due",
    "open_amount",
    "dunning_history",
    "promise_history",
    "contact_log",
)


def escalate_command(
    out: Annotated[Path, typer.Option("--out", help="The placement file: FILE.csv or FILE.xlsx.")],
    as_of: AsOfOpt = None,
    customer: Annotated[
        list[str] | None,
        typer.Option("--customer", help="Only this customer (repeatable; default: all at escalation)."),
    ] = None,
    policy_file: PolicyOpt = None,
    config_file: ConfigOpt = None,
    store: StoreOpt = None,
) -> None:
    """Write the agency/legal placement file: debtor, contacts, open items, dunning and promise history."""
    from creditbridge.core.collections import SkipReason, open_promises
    from creditbridge.core.collections.plan import overdue_items
    from creditbridge.sync.collections.repository import load_messages, load_notes, load_store_data
    from creditbridge.sync.collections.sources import resolve_policy
    from creditbridge.sync.store import Store

    if out.suffix.lower() not in (".csv", ".xlsx"):
        raise fail("--out must name a .csv or .xlsx file")
    day = parse_day(as_of)
    settings = _settings(config_file, store)
    policy = resolve_policy(policy_file, settings.policy, fail)
    data = load_store_data(settings.store_url, policy, fail)
    risk = {p.customer_id: p.risk_class for p in data.ledger.profiles}
    overdue = overdue_items(data.ledger, day, policy)
    if customer:
        chosen = list(customer)
    else:
        # At escalation: an item at the escalation level that is not disputed, promised, covered by
        # unapplied cash or part of a small balance (sent already or not).
        held = {(s.customer_id, s.item_id) for s in data.plan(day).skipped if s.reason is not SkipReason.ALREADY_SENT}
        chosen = sorted(
            cid
            for cid, items in overdue.items()
            if (schedule := policy.schedule_for(risk.get(cid))).escalation is not None
            and any(i.level >= schedule.escalation_level and (cid, i.item_id) not in held for i in items)
        )
    with Store.open(settings.store_url) as opened, opened.engine.connect() as conn:
        messages = load_messages(conn)
        notes = load_notes(conn)
    names = {c.customer_id: c.name for c in data.ledger.customers}
    items_by_id = {i.item_id: i for i in data.ledger.items}
    outcomes = open_promises(data.promises, data.ledger, day, policy)
    rows: list[dict[str, Any]] = []
    for cid in chosen:
        contact = data.contacts.get(cid)
        dunning = "; ".join(
            f"{m.as_of} level {m.level} {m.channel} {m.status}" for m in messages if m.customer_id == cid
        )
        promised = "; ".join(
            f"{o.promise.promise_date} {cents(o.promise.amount)} {o.promise.amount.currency} {o.status.value}"
            for o in outcomes
            if o.promise.customer_id == cid
        )
        log = "; ".join(f"{n.at.date()} {n.kind} {n.status}: {n.text}" for n in notes if n.customer_id == cid)
        own = overdue.get(cid, [])
        total = sum((i.open_amount for i in own), Decimal(0))
        for item in own:
            rows.append(
                {
                    "customer_id": cid,
                    "customer_name": names.get(cid, cid),
                    "email": contact.email if contact else "",
                    "phone": contact.phone if contact else "",
                    "address": ", ".join(contact.address_lines) if contact else "",
                    "currency": item.currency,
                    "total_overdue": cents(Money(total, item.currency)),
                    "invoice_number": item.item_id,
                    "invoice_date": items_by_id[item.item_id].invoice_date.isoformat(),
                    "due_date": item.due_date.isoformat(),
                    "days_past_due": item.days_past_due,
                    "open_amount": cents(Money(item.open_amount, item.currency)),
                    "dunning_history": dunning,
                    "promise_history": promised,
                    "contact_log": log,
                }
            )
    if out.suffix.lower() == ".csv":
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(ESCALATION_COLUMNS))
            writer.writeheader()
            writer.writerows(rows)
    else:
        import xlsxwriter

        book = xlsxwriter.Workbook(str(out))
        sheet = book.add_worksheet("placement")
        bold = book.add_format({"bold": True})
        for col, name in enumerate(ESCALATION_COLUMNS):
            sheet.write(0, col, name, bold)
        for r, row in enumerate(rows, 1):
            for col, name in enumerate(ESCALATION_COLUMNS):
                sheet.write(r, col, row[name])
        sheet.freeze_panes(1, 0)
        book.close()
    _err.print(f"wrote {len(rows)} open items of {len(chosen)} customer(s) to {out}")


def contacts_command(
    import_file: Annotated[
        Path | None, typer.Option("--import", help="A contacts.csv (customer_id,email,phone,address) to load.")
    ] = None,
    config_file: ConfigOpt = None,
    store: StoreOpt = None,
    output_format: Annotated[DataFormat, typer.Option("--format", help="table, json or csv.")] = DataFormat.table,
) -> None:
    """Load customers' e-mail, phone and postal address for reminders (--import FILE), or list them."""
    from creditbridge.adapters.files import LedgerError
    from creditbridge.adapters.files.collections_files import read_contacts_file
    from creditbridge.sync.collections.contacts import Contact
    from creditbridge.sync.collections.repository import load_contacts, set_contact

    settings = _settings(config_file, store)
    from creditbridge.sync.collections.repository import customer_ids

    with _open_store(settings) as opened:
        if import_file is not None:
            with opened.engine.connect() as conn:
                known = customer_ids(conn)
            try:
                rows = read_contacts_file(import_file, known)
            except LedgerError as exc:
                raise fail(f"the contacts file has errors:\n{exc}") from None
            with opened.engine.begin() as conn:
                for row in rows:
                    set_contact(conn, Contact(row.customer_id, row.email, row.phone, row.address))
            _err.print(f"loaded {len(rows)} contacts")
            return
        with opened.engine.connect() as conn:
            contacts = sorted(load_contacts(conn).values(), key=lambda c: c.customer_id)
    data = [{"customer_id": c.customer_id, "email": c.email, "phone": c.phone, "address": c.address} for c in contacts]
    _write(data, ("customer_id", "email", "phone", "address"), output_format, "Contacts")


# -- promises -----------------------------------------------------------------------------------


def _customer_currency(conn: sa.Connection, customer_id: str) -> str:
    from creditbridge.sync.collections.repository import customer_currency

    currency = customer_currency(conn, customer_id)
    if currency is None:
        raise fail(f"there is no customer {customer_id!r} in the store")
    return currency


def promise_add(
    customer: Annotated[str, typer.Option("--customer", help="The customer id.")],
    promise_date: Annotated[str, typer.Option("--date", help="The day they promise to pay by, YYYY-MM-DD.")],
    amount: Annotated[str, typer.Option("--amount", help="The amount promised, e.g. 1250.00.")],
    invoice: Annotated[list[str] | None, typer.Option("--invoice", help="A promised invoice (repeatable).")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="The collector who took the promise.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="What was said.")] = None,
    made_on: Annotated[
        str | None, typer.Option("--made-on", help="When it was given, YYYY-MM-DD (default: today).")
    ] = None,
    config_file: ConfigOpt = None,
    store: StoreOpt = None,
) -> None:
    """Record a promise to pay; its items are not dunned until the date passes or it is broken."""
    from creditbridge.sync.collections.recording import RecordingError, UnknownRecord, parse_amount, record_promise

    day = _date(promise_date, "--date")
    given = _date(made_on, "--made-on") if made_on else date.today()
    settings = _settings(config_file, store)
    try:
        value = parse_amount(amount)
        with _open_store(settings) as opened, opened.engine.begin() as conn:
            done = record_promise(conn, customer, day, value, invoice or (), given, owner, note)
    except RecordingError as exc:
        raise fail(f"--{exc.field} {exc}") from None
    except UnknownRecord as exc:
        raise fail(str(exc)) from None
    _out.print(f"promise #{done.id} recorded: {customer} pays {value} {done.currency} by {day}")


def promise_list(
    customer: Annotated[str | None, typer.Option("--customer", help="Only this customer.")] = None,
    as_of: AsOfOpt = None,
    output_format: Annotated[DataFormat, typer.Option("--format", help="table, json or csv.")] = DataFormat.table,
    config_file: ConfigOpt = None,
    store: StoreOpt = None,
) -> None:
    """Promises to pay with their status (open, kept, broken, cancelled) from the payments in the store."""
    from creditbridge.core.collections import open_promises
    from creditbridge.sync.collections.repository import load_store_data
    from creditbridge.sync.collections.sources import resolve_policy

    day = parse_day(as_of)
    settings = _settings(config_file, store)
    data = load_store_data(settings.store_url, resolve_policy(None, settings.policy, fail), fail)
    rows = [
        {
            "id": o.promise.promise_id,
            "customer_id": o.promise.customer_id,
            "promise_date": o.promise.promise_date.isoformat(),
            "amount": cents(o.promise.amount),
            "currency": o.promise.amount.currency,
            "invoice_numbers": ";".join(o.promise.item_ids),
            "paid": cents(o.paid),
            "status": o.status.value,
        }
        for o in open_promises(data.promises, data.ledger, day, data.policy)
        if customer is None or o.promise.customer_id == customer
    ]
    columns = ("id", "customer_id", "promise_date", "amount", "currency", "invoice_numbers", "paid", "status")
    _write(rows, columns, output_format, f"Promises to pay as of {day}")


# -- disputes -----------------------------------------------------------------------------------


def dispute_open(
    invoice: Annotated[str, typer.Option("--invoice", help="The disputed invoice.")],
    reason: Annotated[
        str,
        typer.Option(
            "--reason", help="pricing, quantity, damaged, not_received, returned, duplicate, short_pay or other."
        ),
    ],
    amount: Annotated[
        str | None, typer.Option("--amount", help="The disputed part (default: all that is open).")
    ] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Who works the dispute.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="What the customer said.")] = None,
    opened: Annotated[str | None, typer.Option("--date", help="Opened on, YYYY-MM-DD (default: today).")] = None,
    config_file: ConfigOpt = None,
    store: StoreOpt = None,
) -> None:
    """Open a dispute: the invoice is not dunned while it is open."""
    from creditbridge.sync.collections.recording import RecordingError, UnknownRecord, open_dispute_on, parse_amount

    day = _date(opened, "--date") if opened else date.today()
    settings = _settings(config_file, store)
    try:
        value = None if amount is None else parse_amount(amount)
        with _open_store(settings) as opened_store, opened_store.engine.begin() as conn:
            done = open_dispute_on(conn, invoice, reason, value, owner, note, day)
    except RecordingError as exc:
        raise fail(f"--{exc.field} {exc}") from None
    except UnknownRecord as exc:
        raise fail(str(exc)) from None
    _out.print(f"dispute #{done.id} opened on {invoice} ({reason})")


def dispute_resolve(
    dispute_id: Annotated[int, typer.Argument(help="The dispute's number (disputes list).")],
    resolution: Annotated[
        str, typer.Option("--resolution", help="credit_memo, write_off, rejected (dunning resumes) or paid.")
    ],
    note: Annotated[str | None, typer.Option("--note", help="Why.")] = None,
    config_file: ConfigOpt = None,
    store: StoreOpt = None,
) -> None:
    """Resolve an open dispute; says what to book in the ERP (credit memo or write-off)."""
    from creditbridge.core.collections import RESOLUTIONS
    from creditbridge.sync.collections.repository import resolve_dispute

    if resolution not in RESOLUTIONS:
        raise fail(f"--resolution must be one of {', '.join(RESOLUTIONS)}")
    settings = _settings(config_file, store)
    with _open_store(settings) as opened, opened.engine.begin() as conn:
        if not resolve_dispute(conn, dispute_id, resolution, date.today(), note):
            raise fail(f"there is no open dispute #{dispute_id}")
    _out.print(f"dispute #{dispute_id} resolved: {resolution}")


def dispute_list(
    status: Annotated[str | None, typer.Option("--status", help="open or resolved (default: both).")] = None,
    as_of: AsOfOpt = None,
    output_format: Annotated[DataFormat, typer.Option("--format", help="table, json or csv.")] = DataFormat.table,
    config_file: ConfigOpt = None,
    store: StoreOpt = None,
) -> None:
    """Disputes with their age and the proposed resolution (write-off, credit memo, or a decision)."""
    from creditbridge.core.collections import propose_resolution
    from creditbridge.core.collections.disputes import dispute_age_days
    from creditbridge.sync.collections.repository import load_store_data
    from creditbridge.sync.collections.sources import resolve_policy

    day = parse_day(as_of)
    settings = _settings(config_file, store)
    data = load_store_data(settings.store_url, resolve_policy(None, settings.policy, fail), fail)
    items = {i.item_id: i for i in data.ledger.items}
    rows = []
    for d in data.disputes:
        if status is not None and d.status.value != status:
            continue
        proposal = propose_resolution(d, items[d.item_id], data.policy.write_off_below) if d.item_id in items else None
        rows.append(
            {
                "id": d.dispute_id,
                "invoice_number": d.item_id,
                "customer_id": items[d.item_id].customer_id if d.item_id in items else "",
                "opened_on": d.opened_on.isoformat(),
                "age_days": dispute_age_days(d, day),
                "reason": d.reason,
                "status": d.status.value,
                "owner": d.owner,
                "resolution": d.resolution,
                "proposal": proposal.kind if proposal else None,
                "proposal_amount": cents(proposal.amount) if proposal else None,
            }
        )
    columns = (
        "id",
        "invoice_number",
        "customer_id",
        "opened_on",
        "age_days",
        "reason",
        "status",
        "owner",
        "resolution",
        "proposal",
        "proposal_amount",
    )
    _write(rows, columns, output_format, f"Disputes as of {day}")


# -- notes ----------------------------------------------------------------------------------------


def note_add(
    customer: Annotated[str, typer.Option("--customer", help="The customer id.")],
    text: Annotated[str, typer.Option("--text", help="What happened or was said.")],
    kind: Annotated[str, typer.Option("--kind", help="call, email, letter, inquiry or note.")] = "call",
    status: Annotated[str, typer.Option("--status", help="open (needs a follow-up) or done.")] = "done",
    owner: Annotated[str | None, typer.Option("--owner", help="The collector.")] = None,
    follow_up: Annotated[str | None, typer.Option("--follow-up", help="Follow up on, YYYY-MM-DD.")] = None,
    config_file: ConfigOpt = None,
    store: StoreOpt = None,
) -> None:
    """Add an entry to a customer's contact log (a call, an e-mail, an inquiry)."""
    from creditbridge.sync.collections.repository import NOTE_KINDS, NOTE_STATUSES, add_note

    if kind not in NOTE_KINDS:
        raise fail(f"--kind must be one of {', '.join(NOTE_KINDS)}")
    if status not in NOTE_STATUSES:
        raise fail(f"--status must be one of {', '.join(NOTE_STATUSES)}")
    follow = _date(follow_up, "--follow-up") if follow_up else None
    settings = _settings(config_file, store)
    with _open_store(settings) as opened, opened.engine.begin() as conn:
        _customer_currency(conn, customer)
        note_id = add_note(conn, customer, kind, text, status=status, owner=owner, follow_up_on=follow)
    _out.print(f"note #{note_id} added for {customer}")


def note_list(
    customer: Annotated[str | None, typer.Option("--customer", help="Only this customer.")] = None,
    output_format: Annotated[DataFormat, typer.Option("--format", help="table, json or csv.")] = DataFormat.table,
    config_file: ConfigOpt = None,
    store: StoreOpt = None,
) -> None:
    """A customer's contact log, oldest first: what every collector should read before calling."""
    from creditbridge.sync.collections.repository import load_notes

    settings = _settings(config_file, store)
    with _open_store(settings) as opened, opened.engine.connect() as conn:
        rows = [n.as_dict() for n in load_notes(conn, customer)]
    columns = ("id", "customer_id", "at", "kind", "status", "owner", "text", "follow_up_on")
    _write(rows, columns, output_format, "Contact log" + (f" of {customer}" if customer else ""))


def note_done(
    note_id: Annotated[int, typer.Argument(help="The entry's number (notes list).")],
    config_file: ConfigOpt = None,
    store: StoreOpt = None,
) -> None:
    """Mark an open entry (a call task, a follow-up) done."""
    from creditbridge.sync.collections.repository import close_note

    settings = _settings(config_file, store)
    with _open_store(settings) as opened, opened.engine.begin() as conn:
        if not close_note(conn, note_id):
            raise fail(f"there is no open note #{note_id}")
    _out.print(f"note #{note_id} done")


def _write(rows: list[dict[str, Any]], columns: tuple[str, ...], output_format: DataFormat, title: str) -> None:
    if output_format is DataFormat.json:
        sys.stdout.write(simplejson.dumps(rows, indent=2) + "\n")
    elif output_format is DataFormat.csv:
        write_csv(rows, columns)
    else:
        table = Table(title=title)
        for name in columns:
            table.add_column(name)
        for row in rows:
            table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
        _out.print(table)


def cents(amount: Money) -> str:
    """An amount as text rounded to its currency's minor unit (stored amounts have 4 places)."""
    return str(amount.quantize().amount)


def _date(text: str | None, option: str) -> date:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        raise fail(f"{option} {text!r} is not a date (expected YYYY-MM-DD)") from None
