"""Reading and writing the collections tables: promises, disputes, contacts, the contact log, reminders.

Why plain functions over a connection: each command is one short transaction, and the send job
needs to commit the intent of a reminder before talking to the mail server, then its outcome —
two transactions it must control itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
import typer

from creditbridge.core.collections import DunningMessage, DunningPolicy
from creditbridge.core.model import Dispute, DisputeStatus, DunningAction, Ledger, PromiseToPay
from creditbridge.core.money import Money, from_units, to_units
from creditbridge.sync.collections.contacts import Contact
from creditbridge.sync.store.collections_tables import (
    collection_contacts,
    contact_log,
    disputes,
    dunning_items,
    dunning_messages,
    promises,
)

if TYPE_CHECKING:
    from creditbridge.sync.collections.sources import CollectionsData


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# -- promises -----------------------------------------------------------------------------------


def add_promise(
    conn: sa.Connection,
    customer_id: str,
    promise_date: date,
    amount: Money,
    invoice_numbers: Iterable[str] = (),
    made_on: date | None = None,
    owner: str | None = None,
    note: str | None = None,
) -> int:
    row = {
        "customer_id": customer_id,
        "promise_date": promise_date,
        "amount": to_units(amount.amount),
        "currency": amount.currency,
        "invoice_numbers": ";".join(invoice_numbers),
        "made_on": made_on or date.today(),
        "owner": owner,
        "note": note,
        "cancelled": False,
        "created_at": now(),
    }
    return int(conn.execute(sa.insert(promises).values(row).returning(promises.c.id)).scalar_one())


def load_promises(conn: sa.Connection) -> list[PromiseToPay]:
    return [
        PromiseToPay(
            customer_id=r.customer_id,
            promise_date=r.promise_date,
            amount=Money(from_units(r.amount), r.currency),
            item_ids=tuple(n for n in r.invoice_numbers.split(";") if n),
            made_on=r.made_on,
            promise_id=str(r.id),
            cancelled=bool(r.cancelled),
        )
        for r in conn.execute(sa.select(promises).order_by(promises.c.id))
    ]


# -- disputes -----------------------------------------------------------------------------------


def open_dispute(
    conn: sa.Connection,
    invoice_number: str,
    customer_id: str,
    opened_on: date,
    reason: str,
    currency: str,
    amount: Decimal | None = None,
    owner: str | None = None,
    note: str | None = None,
) -> int:
    row = {
        "invoice_number": invoice_number,
        "customer_id": customer_id,
        "opened_on": opened_on,
        "reason": reason,
        "status": DisputeStatus.OPEN.value,
        "amount": None if amount is None else to_units(amount),
        "currency": currency,
        "owner": owner,
        "note": note,
        "created_at": now(),
    }
    return int(conn.execute(sa.insert(disputes).values(row).returning(disputes.c.id)).scalar_one())


def resolve_dispute(conn: sa.Connection, dispute_id: int, resolution: str, resolved_on: date, note: str | None,
                    customer_id: str | None = None) -> bool:  # fmt: skip
    """Resolve an open dispute (of `customer_id`, when given); False if there is no such open one."""
    values: dict[str, object] = {
        "status": DisputeStatus.RESOLVED.value,
        "resolution": resolution,
        "resolved_on": resolved_on,
    }
    if note:
        values["note"] = note
    query = sa.update(disputes).where(disputes.c.id == dispute_id, disputes.c.status == DisputeStatus.OPEN.value)
    if customer_id is not None:
        query = query.where(disputes.c.customer_id == customer_id)
    return conn.execute(query.values(values)).rowcount == 1


def load_disputes(conn: sa.Connection, customer_id: str | None = None) -> list[Dispute]:
    query = sa.select(disputes).order_by(disputes.c.id)
    if customer_id is not None:
        query = query.where(disputes.c.customer_id == customer_id)
    return [
        Dispute(
            item_id=r.invoice_number,
            opened_on=r.opened_on,
            reason=r.reason,
            status=DisputeStatus(r.status),
            amount=None if r.amount is None else Money(from_units(r.amount), r.currency),
            owner=r.owner,
            resolution=r.resolution,
            resolved_on=r.resolved_on,
            dispute_id=str(r.id),
        )
        for r in conn.execute(query)
    ]


# -- contacts and the contact log -----------------------------------------------------------------


def set_contact(conn: sa.Connection, contact: Contact) -> None:
    conn.execute(sa.delete(collection_contacts).where(collection_contacts.c.customer_id == contact.customer_id))
    conn.execute(
        sa.insert(collection_contacts).values(
            customer_id=contact.customer_id,
            email=contact.email,
            phone=contact.phone,
            address=contact.address,
            updated_at=now(),
        )
    )


def load_contacts(conn: sa.Connection) -> dict[str, Contact]:
    return {
        r.customer_id: Contact(r.customer_id, r.email, r.phone, r.address)
        for r in conn.execute(sa.select(collection_contacts))
    }


@dataclass(frozen=True, slots=True)
class Note:
    id: int
    customer_id: str
    at: datetime
    kind: str
    status: str
    owner: str | None
    text: str
    follow_up_on: date | None

    @property
    def due_on(self) -> date:
        """When an open entry needs doing: its follow-up day, else the day it was written (a call task is due then)."""
        return self.follow_up_on or self.at.date()

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "customer_id": self.customer_id,
            "at": self.at.isoformat(timespec="seconds"),
            "kind": self.kind,
            "status": self.status,
            "owner": self.owner,
            "text": self.text,
            "follow_up_on": None if self.follow_up_on is None else self.follow_up_on.isoformat(),
        }


NOTE_KINDS = ("call", "email", "letter", "inquiry", "note", "escalation")
NOTE_STATUSES = ("open", "done")


def add_note(
    conn: sa.Connection,
    customer_id: str,
    kind: str,
    text: str,
    status: str = "done",
    owner: str | None = None,
    follow_up_on: date | None = None,
    dunning_message_id: int | None = None,
) -> int:
    row = {
        "customer_id": customer_id,
        "at": now(),
        "kind": kind,
        "status": status,
        "owner": owner,
        "text": text,
        "follow_up_on": follow_up_on,
        "dunning_message_id": dunning_message_id,
    }
    return int(conn.execute(sa.insert(contact_log).values(row).returning(contact_log.c.id)).scalar_one())


def close_note(conn: sa.Connection, note_id: int, customer_id: str | None = None) -> bool:
    """Mark an open contact-log entry (a call task, a follow-up) done; False if the customer has no such open one."""
    query = sa.update(contact_log).where(contact_log.c.id == note_id, contact_log.c.status == "open")
    if customer_id is not None:
        query = query.where(contact_log.c.customer_id == customer_id)
    return conn.execute(query.values(status="done")).rowcount == 1


def load_notes(conn: sa.Connection, customer_id: str | None = None) -> list[Note]:
    query = sa.select(contact_log).order_by(contact_log.c.at, contact_log.c.id)
    if customer_id is not None:
        query = query.where(contact_log.c.customer_id == customer_id)
    return [
        Note(r.id, r.customer_id, r.at, r.kind, r.status, r.owner, r.text, r.follow_up_on) for r in conn.execute(query)
    ]


def call_tasks_due(notes: Iterable[Note], day: date) -> list[Note]:
    """Open call entries (the send job's call tasks, a collector's follow-ups) due on or before `day`."""
    return [n for n in notes if n.kind == "call" and n.status == "open" and n.due_on <= day]


def last_contacts(conn: sa.Connection) -> dict[str, str]:
    """Per customer, the latest contact-log entry as 'YYYY-MM-DD kind: text' (for the worklist)."""
    found: dict[str, str] = {}
    for note in load_notes(conn):
        found[note.customer_id] = f"{note.at.date()} {note.kind}: {note.text}"[:80]
    return found


# -- reminders ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: int
    customer_id: str
    level: int
    channel: str
    template: str | None
    as_of: date
    status: str
    recipient: str | None
    message_id: str
    attempts: int
    last_error: str | None
    warning: str | None
    items: tuple[tuple[str, int, int, Decimal, str], ...]  # item_id, level, days past due, open amount, currency


def load_sent(conn: sa.Connection, *, delivered_only: bool = False) -> list[DunningAction]:
    """Every item recorded at a level (queued, sending or sent): the plan never repeats them.

    `delivered_only` keeps the ones marked sent (for the effectiveness KPI).
    """
    query = sa.select(
        dunning_messages.c.customer_id,
        dunning_items.c.item_id,
        dunning_items.c.level,
        dunning_messages.c.as_of,
        dunning_messages.c.channel,
    ).join(dunning_messages, dunning_messages.c.id == dunning_items.c.message_id)
    if delivered_only:
        query = query.where(dunning_messages.c.status == "sent")
    return [DunningAction(r.customer_id, r.item_id, r.level, r.as_of, r.channel) for r in conn.execute(query)]


def queue_message(
    conn: sa.Connection, message: DunningMessage, as_of: date, channel: str, recipient: str | None, warning: str | None
) -> int:
    """Record the intent to send `message` (status queued) with its items; the (item, level) key refuses repeats."""
    message_id = int(
        conn.execute(
            sa.insert(dunning_messages)
            .values(
                customer_id=message.customer_id,
                level=message.level,
                channel=channel,
                template=message.template,
                as_of=as_of,
                status="queued",
                recipient=recipient,
                message_id="",
                warning=warning,
                attempts=0,
                created_at=now(),
            )
            .returning(dunning_messages.c.id)
        ).scalar_one()
    )
    conn.execute(
        sa.update(dunning_messages)
        .where(dunning_messages.c.id == message_id)
        .values(message_id=f"<creditbridge-dunning-{message_id}-{_header_safe(message.customer_id)}@creditbridge>")
    )
    conn.execute(
        sa.insert(dunning_items),
        [
            {
                "message_id": message_id,
                "item_id": i.item_id,
                "level": i.level,
                "days_past_due": i.days_past_due,
                "open_amount": to_units(i.open_amount),
                "currency": i.currency,
            }
            for i in message.items
        ],
    )
    return message_id


def _header_safe(text: str) -> str:
    """Only characters a Message-ID's left part may hold."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)[:60]


def load_messages(
    conn: sa.Connection, statuses: Iterable[str] | None = None, customer_id: str | None = None
) -> list[StoredMessage]:
    query = sa.select(dunning_messages).order_by(dunning_messages.c.id)
    if customer_id is not None:
        query = query.where(dunning_messages.c.customer_id == customer_id)
    if statuses is not None:
        query = query.where(dunning_messages.c.status.in_(list(statuses)))
    rows = list(conn.execute(query))
    items: dict[int, list[tuple[str, int, int, Decimal, str]]] = {}
    if rows:
        ids = [r.id for r in rows]
        for i in conn.execute(sa.select(dunning_items).where(dunning_items.c.message_id.in_(ids))):
            items.setdefault(i.message_id, []).append(
                (i.item_id, i.level, i.days_past_due, from_units(i.open_amount), i.currency)
            )
    return [
        StoredMessage(
            r.id,
            r.customer_id,
            r.level,
            r.channel,
            r.template,
            r.as_of,
            r.status,
            r.recipient,
            r.message_id,
            r.attempts,
            r.last_error,
            r.warning,
            tuple(sorted(items.get(r.id, []))),
        )
        for r in rows
    ]


def mark(
    conn: sa.Connection, message_id: int, status: str, error: str | None = None, count_attempt: bool = False
) -> None:
    values: dict[str, object] = {"status": status, "last_error": error}
    if status == "sent":
        values["sent_at"] = now()
    if count_attempt:
        values["attempts"] = dunning_messages.c.attempts + 1
    conn.execute(sa.update(dunning_messages).where(dunning_messages.c.id == message_id).values(values))


# -- the replica, for checking what a collector types ---------------------------------------------


def customer_currency(conn: sa.Connection, customer_id: str) -> str | None:
    """The currency of a current customer of the replica (None: no such customer)."""
    from creditbridge.sync.store.schema import customers

    query = sa.select(customers.c.currency).where(
        customers.c.customer_id == customer_id, customers.c.valid_to.is_(None)
    )
    return conn.execute(query.limit(1)).scalar_one_or_none()


def customer_ids(conn: sa.Connection) -> set[str]:
    from creditbridge.sync.store.schema import customers

    return set(conn.execute(sa.select(customers.c.customer_id).where(customers.c.valid_to.is_(None))).scalars())


def item_owner(conn: sa.Connection, item_id: str) -> tuple[str, str] | None:
    """(customer id, currency) of a current open item of the replica (None: no such item)."""
    from creditbridge.sync.store.schema import open_items

    query = sa.select(open_items.c.customer_id, open_items.c.currency).where(
        open_items.c.item_id == item_id, open_items.c.valid_to.is_(None)
    )
    row = conn.execute(query.limit(1)).first()
    return None if row is None else (row.customer_id, row.currency)


# -- everything the rules read --------------------------------------------------------------------


def read_store_data(url: str, policy: DunningPolicy, source: str | None = None) -> CollectionsData:
    """The store's ledger with its disputes, promises, sent reminders and contacts (`StoreError` if unreadable)."""
    from creditbridge.sync.store import Store

    with Store.open(url) as store:
        ledger = store.load_ledger(source=source)
        with store.engine.connect() as conn:
            return collections_data(conn, ledger, policy, url)


def collections_data(conn: sa.Connection, ledger: Ledger, policy: DunningPolicy, url: str) -> CollectionsData:
    """`ledger` with the disputes, promises, sent reminders and contacts the store keeps beside it."""
    from creditbridge.sync.collections.sources import CollectionsData

    return CollectionsData(
        ledger=ledger,
        policy=policy,
        disputes=tuple(load_disputes(conn)),
        promises=tuple(load_promises(conn)),
        sent=tuple(load_sent(conn)),
        contacts=load_contacts(conn),
        last_contacts=last_contacts(conn),
        store_url=url,
    )


def load_store_data(url: str, policy: DunningPolicy, fail: Callable[..., typer.Exit]) -> CollectionsData:
    """`read_store_data` for a command: a missing SQLite file or a store error becomes a message and an exit code."""
    from creditbridge.sync.settings import missing_store_message
    from creditbridge.sync.store import StoreError

    if (refused := missing_store_message(url)) is not None:
        raise fail(refused)
    try:
        return read_store_data(url, policy)
    except StoreError as exc:
        raise fail(str(exc), 3) from None
