"""The collections worklist, and a collector's three actions on it: log a call, record a promise, open a dispute.

The list is `creditbridge collections worklist` on the store (`collections_views.worklist`); the
actions write what `notes add --kind call`, `promises add` and `disputes open` write (the same
functions: `add_note`, `recording.record_promise`, `recording.open_dispute_on`), with the audit
event, in one transaction. A promise is made and a dispute opened on the day the page is looked at
(its `as_of`, never later than today), so the page shows them at once.
"""

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote, urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from creditbridge.core.collections import REASON_CODES, RESOLUTIONS
from creditbridge.sync.collections.recording import (
    Recorded,
    RecordingError,
    UnknownRecord,
    open_dispute_on,
    parse_amount,
    record_promise,
)
from creditbridge.sync.collections.repository import add_note, close_note, customer_currency, resolve_dispute
from creditbridge.sync.web import collections_views, sessions
from creditbridge.sync.web.collections_views import SHOW, WORKLIST_COLUMNS, WORKLIST_PAGE_COLUMNS, PolicyUnreadable
from creditbridge.sync.web.context import EXPORTS, Workspace, as_of_of, export, is_date, listing
from creditbridge.sync.web.users import record
from creditbridge.sync.writeback.transactions import write_transaction

MAX_CALL_TEXT = 500
MAX_NOTE_TEXT = 1000
DONE = {"call": "Call logged", "promise": "Promise recorded", "dispute": "Dispute opened",
        "resolve": "Dispute resolved", "task": "Task done"}  # fmt: skip
NOT_DONE = {"call": "Call not logged", "promise": "Promise not recorded", "dispute": "Dispute not opened",
            "resolve": "Dispute not resolved", "task": "Task not marked done"}  # fmt: skip
AUDITED = {"call": "call_logged", "promise": "promise_recorded", "dispute": "dispute_opened",
           "resolve": "dispute_resolved", "task": "task_done"}  # fmt: skip


class BadInput(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _made_on(text: str) -> date:
    """The page's as-of day (a promise or dispute dates from the day the collector looked at), at most today."""
    today = date.today()
    return min(date.fromisoformat(text), today) if is_date(text) else today


def _text(form: Any, field: str, limit: int, required: bool = False) -> str | None:
    value = str(form.get(field) or "").strip()
    if required and not value:
        raise BadInput(field, "is required")
    if len(value) > limit:
        raise BadInput(field, f"is longer than {limit} characters")
    return value or None


def router(ws: Workspace) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/collections")
    def worklist(request: Request, session: Annotated[sessions.Session, ws.guard("collections.view")]) -> Response:
        as_of = as_of_of(request)
        show = request.query_params.get("show")
        show = show if show in SHOW else None
        try:
            found = collections_views.worklist(ws.store, ws.config, as_of)
        except PolicyUnreadable as exc:
            return ws.message(request, 500, session, "The dunning policy has errors", str(exc))
        rows = listing(found.rows(show), WORKLIST_PAGE_COLUMNS, request, "priority", "desc")
        done = request.query_params.get("done")
        return ws.page(request, "collections.html", session=session, listing=rows, as_of=as_of, show=show,
                       shows=SHOW, total=len(found.entries), done=DONE.get(done or ""),
                       done_for=request.query_params.get("customer"), reasons=REASON_CODES,
                       amount_keys=collections_views.AMOUNT_KEYS)  # fmt: skip

    @routes.get("/collections.{kind}")
    def worklist_export(kind: str, request: Request,
                        _session: Annotated[sessions.Session, ws.guard("collections.export")]) -> Response:  # fmt: skip
        if kind not in EXPORTS:
            return Response("not found", status_code=404, media_type="text/plain")
        show = request.query_params.get("show")
        try:
            found = collections_views.worklist(ws.store, ws.config, as_of_of(request))
        except PolicyUnreadable as exc:
            return Response(f"the dunning policy has errors: {exc}", status_code=500, media_type="text/plain")
        rows = found.rows(show if show in SHOW else None)
        return export(rows, WORKLIST_COLUMNS, request, "priority", f"collections.{kind}")

    async def act(request: Request, session: sessions.Session, customer_id: str, kind: str,
                  write: Callable[[sa.Connection, Any, date], str]) -> Response:  # fmt: skip
        """Read the form, run `write` (which returns the audit reason) with the audit event in one transaction."""
        form = await request.form()
        as_of = str(form.get("as_of") or "")
        title = NOT_DONE[kind]
        user = session.user

        def run() -> None:
            with write_transaction(ws.store.engine) as conn:
                if customer_currency(conn, customer_id) is None:
                    raise UnknownRecord(f"The store has no customer {customer_id!r}.")
                reason = write(conn, form, _made_on(as_of))
                record(conn, user.username, AUDITED[kind], "ok", reason=reason, role=user.role, customer_id=customer_id)

        try:
            await run_in_threadpool(run)
        except (BadInput, RecordingError) as exc:
            return ws.message(request, 400, session, title, f"{exc.field.capitalize()}: {exc}.")
        except UnknownRecord as exc:
            return ws.message(request, 404, session, title, _sentence(str(exc)))
        return RedirectResponse(_back(form, customer_id, kind, as_of), status_code=303)

    @routes.post("/collections/{customer_id:path}/call")
    async def call(customer_id: str, request: Request,
                   session: Annotated[sessions.Session, ws.guard("collections.call")]) -> Response:  # fmt: skip
        def write(conn: sa.Connection, form: Any, _day: date) -> str:
            text = _text(form, "text", MAX_CALL_TEXT, required=True)
            assert text is not None
            note_id = add_note(conn, customer_id, "call", text, owner=session.user.username)
            return f"note #{note_id}"

        return await act(request, session, customer_id, "call", write)

    @routes.post("/collections/{customer_id:path}/promise")
    async def promise(customer_id: str, request: Request,
                      session: Annotated[sessions.Session, ws.guard("collections.promise")]) -> Response:  # fmt: skip
        def write(conn: sa.Connection, form: Any, day: date) -> str:
            amount = parse_amount(str(form.get("amount") or ""))
            when = str(form.get("date") or "").strip()
            if not is_date(when):
                raise BadInput("date", f"{when!r} is not a date (YYYY-MM-DD)" if when else "is required")
            note = _text(form, "note", MAX_NOTE_TEXT)
            invoice = _text(form, "invoice", 100)
            invoices = (invoice,) if invoice else ()
            done: Recorded = record_promise(conn, customer_id, date.fromisoformat(when), amount, invoices, day,
                                            session.user.username, note)  # fmt: skip
            return f"promise #{done.id}: {amount} {done.currency} by {when}"

        return await act(request, session, customer_id, "promise", write)

    @routes.post("/collections/{customer_id:path}/dispute")
    async def dispute(customer_id: str, request: Request,
                      session: Annotated[sessions.Session, ws.guard("collections.dispute")]) -> Response:  # fmt: skip
        def write(conn: sa.Connection, form: Any, day: date) -> str:
            item = _text(form, "item", 100, required=True)
            assert item is not None
            reason = str(form.get("reason") or "")
            amount_text = str(form.get("amount") or "").strip()
            amount = parse_amount(amount_text) if amount_text else None
            note = _text(form, "note", MAX_NOTE_TEXT)
            done = open_dispute_on(conn, item, reason, amount, session.user.username, note, day, customer_id)
            return f"dispute #{done.id} on {item}: {reason}"

        return await act(request, session, customer_id, "dispute", write)

    @routes.post("/collections/{customer_id:path}/disputes/{dispute_id}/resolve")
    async def resolve(customer_id: str, dispute_id: int, request: Request,
                      session: Annotated[sessions.Session, ws.guard("collections.resolve")]) -> Response:  # fmt: skip
        """`collections disputes resolve`: the resolution says what to book in the ERP (credit memo, write-off)."""

        def write(conn: sa.Connection, form: Any, day: date) -> str:
            resolution = str(form.get("resolution") or "")
            if resolution not in RESOLUTIONS:
                raise BadInput("resolution", f"must be one of {', '.join(RESOLUTIONS)}")
            note = _text(form, "note", MAX_NOTE_TEXT)
            if not resolve_dispute(conn, dispute_id, resolution, day, note, customer_id):
                raise UnknownRecord(f"{customer_id} has no open dispute #{dispute_id}")
            return f"dispute #{dispute_id}: {resolution}"

        return await act(request, session, customer_id, "resolve", write)

    @routes.post("/collections/{customer_id:path}/tasks/{note_id}/done")
    async def task_done(customer_id: str, note_id: int, request: Request,
                        session: Annotated[sessions.Session, ws.guard("collections.task")]) -> Response:  # fmt: skip
        """`collections notes done`: an open call task or follow-up is done."""

        def write(conn: sa.Connection, _form: Any, _day: date) -> str:
            if not close_note(conn, note_id, customer_id):
                raise UnknownRecord(f"{customer_id} has no open task #{note_id}")
            return f"note #{note_id}"

        return await act(request, session, customer_id, "task", write)

    return routes


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def _back(form: Any, customer_id: str, kind: str, as_of: str) -> str:
    """Back to the customer's page, or to the worklist as it was (its filter, sort and page) with a notice."""
    day = f"as_of={as_of}" if is_date(as_of) else ""
    if form.get("back") == "customer":
        return f"/customers/{quote(customer_id, safe='')}" + (f"?{day}" if day else "") + "#collections"
    kept = [(k, v) for k, v in parse_qsl(str(form.get("list") or "").lstrip("?")) if k not in ("done", "customer")]
    if day and not any(k == "as_of" for k, _v in kept):
        kept.append(("as_of", as_of))
    return "/collections?" + urlencode([*kept, ("done", kind), ("customer", customer_id)])
