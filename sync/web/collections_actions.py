"""A collector's actions on a customer, shared by the worklist/customer pages and the JSON API.

Log a call, record a promise, open a dispute, resolve a dispute, mark a call task done: each writes
what the CLI command writes (`notes add --kind call`, `promises add`, `disputes open`, `disputes
resolve`, `notes done` — the same repository and `recording` functions) and the audit event with
who acted, in one transaction; what is wrong comes back as an `ActionError` naming the field (400)
or the missing record (404), with nothing written. Inputs are the text a person typed, so the
pages and the API check them the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import sqlalchemy as sa

from creditbridge.core.collections import RESOLUTIONS
from creditbridge.sync.collections.recording import (
    RecordingError,
    UnknownRecord,
    open_dispute_on,
    parse_amount,
    record_promise,
)
from creditbridge.sync.collections.repository import add_note, close_note, customer_currency, resolve_dispute
from creditbridge.sync.store import Store
from creditbridge.sync.web.actions import ActionError
from creditbridge.sync.web.users import record
from creditbridge.sync.writeback.transactions import write_transaction

MAX_CALL_TEXT = 500
MAX_NOTE_TEXT = 1000
AUDITED = {"call": "call_logged", "promise": "promise_recorded", "dispute": "dispute_opened",
           "resolve": "dispute_resolved", "task": "task_done"}  # fmt: skip
"""Action kind -> the audit log's action."""


def log_call(store: Store, customer_id: str, text: str | None, actor: str, role: str) -> int:
    """A call with the customer, in its contact log; the entry's id."""

    def write(conn: sa.Connection) -> tuple[int, str]:
        said = _text("text", text, MAX_CALL_TEXT, required=True)
        note_id = add_note(conn, customer_id, "call", said, owner=actor)
        return note_id, f"note #{note_id}"

    return _run(store, customer_id, "call", actor, role, write)


def promise(store: Store, customer_id: str, amount: str | None, when: str | None, made_on: date, actor: str,
            role: str, note: str | None = None, invoice: str | None = None) -> int:  # fmt: skip
    """A promise to pay `amount` by `when` (YYYY-MM-DD), made on `made_on`; its id."""

    def write(conn: sa.Connection) -> tuple[int, str]:
        value = parse_amount((amount or "").strip())
        day = (when or "").strip()
        try:
            by = date.fromisoformat(day)
        except ValueError:
            raise RecordingError("date", f"{day!r} is not a date (YYYY-MM-DD)" if day else "is required") from None
        about = _text("invoice", invoice, 100)
        done = record_promise(conn, customer_id, by, value, (about,) if about else (), made_on, actor,
                              _text("note", note, MAX_NOTE_TEXT) or None)  # fmt: skip
        return done.id, f"promise #{done.id}: {value} {done.currency} by {by.isoformat()}"

    return _run(store, customer_id, "promise", actor, role, write)


def dispute(store: Store, customer_id: str, item: str | None, reason: str | None, made_on: date, actor: str,
            role: str, amount: str | None = None, note: str | None = None) -> int:  # fmt: skip
    """A dispute on one of the customer's invoices (its dunning stops); its id."""

    def write(conn: sa.Connection) -> tuple[int, str]:
        invoice = _text("item", item, 100, required=True)
        value = parse_amount(amount.strip()) if amount and amount.strip() else None
        done = open_dispute_on(conn, invoice, reason or "", value, actor, _text("note", note, MAX_NOTE_TEXT) or None,
                               made_on, customer_id)  # fmt: skip
        return done.id, f"dispute #{done.id} on {invoice}: {reason}"

    return _run(store, customer_id, "dispute", actor, role, write)


def resolve(store: Store, customer_id: str, dispute_id: int, resolution: str | None, day: date, actor: str,
            role: str, note: str | None = None) -> int:  # fmt: skip
    """Resolve an open dispute of the customer; the resolution says what to book in the ERP."""

    def write(conn: sa.Connection) -> tuple[int, str]:
        if resolution not in RESOLUTIONS:
            raise RecordingError("resolution", f"must be one of {', '.join(RESOLUTIONS)}")
        if not resolve_dispute(conn, dispute_id, resolution, day, _text("note", note, MAX_NOTE_TEXT) or None,
                               customer_id):  # fmt: skip
            raise UnknownRecord(f"{customer_id} has no open dispute #{dispute_id}")
        return dispute_id, f"dispute #{dispute_id}: {resolution}"

    return _run(store, customer_id, "resolve", actor, role, write)


def task_done(store: Store, customer_id: str, note_id: int, actor: str, role: str) -> int:
    """An open call task or follow-up of the customer is done."""

    def write(conn: sa.Connection) -> tuple[int, str]:
        if not close_note(conn, note_id, customer_id):
            raise UnknownRecord(f"{customer_id} has no open task #{note_id}")
        return note_id, f"note #{note_id}"

    return _run(store, customer_id, "task", actor, role, write)


def _run(store: Store, customer_id: str, kind: str, actor: str, role: str,
         write: Callable[[sa.Connection], tuple[int, str]]) -> int:  # fmt: skip
    try:
        with write_transaction(store.engine) as conn:
            if customer_currency(conn, customer_id) is None:
                raise UnknownRecord(f"The store has no customer {customer_id!r}")
            made, reason = write(conn)
            record(conn, actor, AUDITED[kind], "ok", reason=reason, role=role, customer_id=customer_id)
    except RecordingError as exc:
        raise ActionError(400, f"{exc.field.capitalize()}: {exc}.") from None
    except UnknownRecord as exc:
        raise ActionError(404, _sentence(str(exc))) from None
    return made


def _text(field: str, value: str | None, limit: int, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise RecordingError(field, "is required")
    if len(text) > limit:
        raise RecordingError(field, f"is longer than {limit} characters")
    return text


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."
