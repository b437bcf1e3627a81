"""The collections job: plan today's reminders on the store, record them, deliver them.

`run_collections_job` is a plain function so the CLI (`collections send`) and a scheduler call the
same thing. Delivery is at-most-once per (item, level) and never loses a reminder:

1. the plan skips every (item, level) already recorded — queued, sending or sent;
2. each new message is recorded as `queued` with its items in one transaction (the primary key
   (item_id, level) of `dunning_items` refuses a second record even from a concurrent run);
3. each queued message (new or left from an earlier run) is marked `sending` and committed, then
   delivered: e-mail over SMTP (stdlib smtplib), the letter as a PDF in `letters_dir`, a call or an
   escalation as an open task in the contact log; then marked `sent` and committed;
4. an SMTP error (refused, unreachable, timed out before the server took the message) puts the
   message back to `queued` with the error: the next run sends it, once.

The crash window: a process killed after the server accepted the message but before `sent` was
committed leaves the row `sending`. SMTP has no idempotency key, so it is not resent on its own —
that could send it twice. `collections send` reports such rows as "outcome unknown"; after
checking the mail server's log, `collections send --resend-unknown` queues them again. Each
message carries a fixed Message-ID (`<creditbridge-dunning-ID-CUSTOMER@creditbridge>`), so a
resend is recognisable as the same message.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

import sqlalchemy as sa

from creditbridge.core.collections import DunningMessage, PlannedItem
from creditbridge.sync.collections import repository as repo
from creditbridge.sync.collections.contacts import Contact
from creditbridge.sync.collections.reminders import context, environment, render_body, render_email, render_letter
from creditbridge.sync.collections.settings import CollectionsSettings
from creditbridge.sync.collections.sources import CollectionsData

Warn = Callable[[str], None]


@dataclass
class SendSummary:
    """What a run did: messages planned and recorded, delivered, still queued, and warnings."""

    as_of: date
    dry_run: bool
    planned: list[dict[str, object]] = field(default_factory=list)
    queued: int = 0
    sent: int = 0
    still_queued: int = 0
    unknown: int = 0
    letters: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run,
            "planned": self.planned,
            "queued": self.queued,
            "sent": self.sent,
            "still_queued": self.still_queued,
            "outcome_unknown": self.unknown,
            "letters": self.letters,
            "warnings": self.warnings,
            "errors": self.errors,
        }


def delivery_channel(message: DunningMessage, contact: Contact | None) -> tuple[str, str | None]:
    """The channels to use, and a warning when they differ from the plan's.

    Without an e-mail address, e-mail becomes a letter (or a call without a postal address too);
    without a postal address, a letter becomes a call.
    """
    planned = message.channel.split("+")
    has_email = contact is not None and bool(contact.email)
    has_address = contact is not None and bool(contact.address_lines)
    chosen: list[str] = []
    for channel in planned:
        if channel == "email" and not has_email:
            channel = "letter" if has_address else "call"
        elif channel == "letter" and not has_address:
            channel = "call"
        if channel not in chosen:
            chosen.append(channel)
    joined = "+".join(chosen)
    if joined == message.channel:
        return joined, None
    missing = " and ".join(
        what for what, has in (("e-mail address", has_email), ("postal address", has_address)) if not has
    )
    return joined, f"customer {message.customer_id} has no {missing}: level {message.level} goes by {joined}"


def run_collections_job(
    settings: CollectionsSettings,
    data: CollectionsData | None,
    as_of: date,
    *,
    dry_run: bool = False,
    resend_unknown: bool = False,
    warn: Warn | None = None,
) -> SendSummary:
    """Plan, record and deliver the reminders due at `as_of` on the store at `settings.store_url`.

    `data` is what the store holds (None: read it here, with the configured or built-in policy);
    a scheduler calls `run_collections_job(settings_from_config(load_config()), None, date.today())`.
    Raises `StoreError` when the store fails and `PolicyError` for a bad policy file; mail-server
    failures are not raised: the reminders stay queued and `SendSummary.errors` says why.
    """
    from creditbridge.sync.store import Store

    if data is None:
        from creditbridge.sync.collections.policy_file import builtin_policy, load_policy
        from creditbridge.sync.collections.repository import read_store_data

        policy = builtin_policy() if settings.policy is None else load_policy(settings.policy)
        data = read_store_data(settings.store_url, policy)
    summary = SendSummary(as_of, dry_run)
    plan = data.plan(as_of)
    for message in plan.messages:
        channel, warning = delivery_channel(message, data.contacts.get(message.customer_id))
        if warning:
            summary.warnings.append(warning)
            if warn:
                warn(warning)
        summary.planned.append(
            {
                "customer_id": message.customer_id,
                "level": message.level,
                "channel": channel,
                "items": [i.item_id for i in message.items],
                "warning": warning,
            }
        )
    if dry_run:
        with Store.open(settings.store_url) as store, store.engine.connect() as conn:
            summary.still_queued = len(repo.load_messages(conn, ["queued"]))
            summary.unknown = len(repo.load_messages(conn, ["sending"]))
        return summary

    with Store.open(settings.store_url) as store:
        engine = store.engine
        for message, planned in zip(plan.messages, summary.planned, strict=True):
            try:
                with engine.begin() as conn:
                    repo.queue_message(
                        conn,
                        message,
                        as_of,
                        str(planned["channel"]),
                        _recipient(data.contacts.get(message.customer_id)),
                        _text(planned["warning"]),
                    )
                summary.queued += 1
            except sa.exc.IntegrityError:
                summary.warnings.append(f"customer {message.customer_id}: already recorded by another run")
        if resend_unknown:
            with engine.begin() as conn:
                for stored in repo.load_messages(conn, ["sending"]):
                    repo.mark(conn, stored.id, "queued", "outcome unknown; queued again by --resend-unknown")
        with engine.connect() as conn:
            pending = repo.load_messages(conn, ["queued"])
            summary.unknown = len(repo.load_messages(conn, ["sending"]))
        for stored in pending:
            _deliver(engine, settings, data, stored, summary)
    return summary


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _recipient(contact: Contact | None) -> str | None:
    return contact.email if contact is not None and contact.email else None


def _deliver(
    engine: sa.Engine,
    settings: CollectionsSettings,
    data: CollectionsData,
    stored: repo.StoredMessage,
    summary: SendSummary,
) -> None:
    items = {i.item_id: i for i in data.ledger.items}
    customers = {c.customer_id: c for c in data.ledger.customers}
    message = DunningMessage(
        stored.customer_id,
        stored.level,
        stored.channel,
        tuple(
            PlannedItem(
                item_id, level, days, amount, currency, items[item_id].due_date if item_id in items else stored.as_of
            )
            for item_id, level, days, amount, currency in stored.items
        ),
        stored.template,
    )
    message = DunningMessage(
        message.customer_id,
        message.level,
        message.channel,
        tuple(sorted(message.items, key=lambda i: (i.due_date, i.item_id))),
        message.template,
    )
    contact = data.contacts.get(stored.customer_id)
    values = context(
        message,
        customers.get(stored.customer_id),
        contact,
        items,
        settings.collections,
        data.policy,
        stored.as_of,
        stored.message_id.strip("<>").split("@")[0],
    )
    env = environment(settings.collections.templates)
    with engine.begin() as conn:
        repo.mark(conn, stored.id, "sending", count_attempt=True)
    channels = stored.channel.split("+")
    try:
        notes: list[tuple[str, str, str]] = []
        if "letter" in channels and stored.template:
            subject, body = render_body(env, stored.template, values)
            folder = Path(settings.collections.letters_dir)
            folder.mkdir(parents=True, exist_ok=True)
            safe_id = re.sub(r"[^A-Za-z0-9_.-]", "_", stored.customer_id)  # ids may hold '/' or spaces
            file = folder / f"{stored.as_of}-{safe_id}-level{stored.level}-{stored.id}.pdf"
            file.write_bytes(render_letter(subject, body, values))
            summary.letters.append(str(file))
            notes.append(("letter", "done", f"level {stored.level} letter written: {file.name}"))
        if "call" in channels:
            text = " ".join(render_body(env, "call", values)[1])  # also when a call replaces e-mail or letter
            notes.append(("call", "open", text))
        if "escalation" in channels:
            notes.append(
                (
                    "escalation",
                    "open",
                    f"escalate to agency/legal: {values['total']} overdue "
                    f"(creditbridge collections escalate --out FILE)",
                )
            )
        if "email" in channels:
            if not stored.recipient:
                raise smtplib.SMTPRecipientsRefused({})
            rendered = render_email(env, stored.template or "reminder", values)
            send_email(settings, stored.recipient, stored.message_id, rendered.subject, rendered.text, rendered.html)
            notes.append(
                ("email", "done", f"level {stored.level} e-mail sent to {stored.recipient}: {rendered.subject}")
            )
    except (smtplib.SMTPException, OSError) as exc:
        reason = _smtp_reason(exc)
        with engine.begin() as conn:
            repo.mark(conn, stored.id, "queued", reason)
        summary.still_queued += 1
        summary.errors.append(f"customer {stored.customer_id} level {stored.level}: {reason}; stays queued")
        return
    with engine.begin() as conn:
        repo.mark(conn, stored.id, "sent")
        for kind, status, text in notes:
            repo.add_note(
                conn, stored.customer_id, kind, text, status=status, owner="creditbridge", dunning_message_id=stored.id
            )
    summary.sent += 1


def _smtp_reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"the mail server refused: {exc.smtp_code} {detail}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "the mail server refused the recipient" if exc.recipients else "no e-mail address"
    return f"the mail server could not be reached: {exc}"


def send_email(
    settings: CollectionsSettings, recipient: str, message_id: str, subject: str, text: str, html: str
) -> None:
    """Send one e-mail (text and HTML alternatives) through the configured SMTP server."""
    smtp = settings.smtp
    mail = EmailMessage()
    mail["From"] = f"{settings.collections.company_name} <{settings.collections.from_address}>"
    mail["To"] = recipient
    mail["Subject"] = subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = message_id
    if settings.collections.reply_to:
        mail["Reply-To"] = settings.collections.reply_to
    mail.set_content(text)
    mail.add_alternative(html, subtype="html")
    password = None
    if smtp.username and smtp.credentials:
        from creditbridge.sync.secrets import resolve_secret

        password = resolve_secret(smtp.credentials, settings.store_url, key_file=settings.secret_key_file)
    client: smtplib.SMTP
    if smtp.security == "ssl":
        client = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout_seconds, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
    with client:
        if smtp.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if smtp.username and password is not None:
            client.login(smtp.username, password.get_secret_value())
        client.send_message(mail)
