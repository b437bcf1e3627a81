"""The collections worklist, and a collector's actions: log a call, record a promise, open or resolve a dispute,
mark a call task done.

The list is `creditbridge collections worklist` on the store (`collections_views.worklist`); the
actions are `collections_actions` (what the CLI's notes, promises and disputes commands write, with
the audit event, in one transaction), shared with the JSON API. A promise is made and a dispute
opened on the day the page is looked at (its `as_of`, never later than today), so the page shows
them at once.
"""

from collections.abc import Callable, Mapping
from datetime import date
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from creditbridge.core.collections import REASON_CODES
from creditbridge.sync.web import collections_actions, collections_views, sessions
from creditbridge.sync.web.actions import ActionError
from creditbridge.sync.web.collections_views import SHOW, WORKLIST_COLUMNS, WORKLIST_PAGE_COLUMNS, PolicyUnreadable
from creditbridge.sync.web.context import Workspace, as_of_of, export, is_date, listing

DONE = {"call": "Call logged", "promise": "Promise recorded", "dispute": "Dispute opened",
        "resolve": "Dispute resolved", "task": "Task done"}  # fmt: skip
NOT_DONE = {"call": "Call not logged", "promise": "Promise not recorded", "dispute": "Dispute not opened",
            "resolve": "Dispute not resolved", "task": "Task not marked done"}  # fmt: skip


def _made_on(text: str) -> date:
    """The page's as-of day (a promise or dispute dates from the day the collector looked at), at most today."""
    today = date.today()
    return min(date.fromisoformat(text), today) if is_date(text) else today


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
        show = request.query_params.get("show")

        def rows() -> list[Mapping[str, Any]]:
            found = collections_views.worklist(ws.store, ws.config, as_of_of(request))
            return found.rows(show if show in SHOW else None)

        try:
            return export(rows, WORKLIST_COLUMNS, request, "priority", "collections", kind)
        except PolicyUnreadable as exc:
            return Response(f"the dunning policy has errors: {exc}", status_code=500, media_type="text/plain")

    async def act(request: Request, session: sessions.Session, customer_id: str, kind: str,
                  work: Callable[[Any, date], object]) -> Response:  # fmt: skip
        """Run `work(form, made_on)` (a `collections_actions` function), then back to where the form came from."""
        form = await request.form()
        as_of = str(form.get("as_of") or "")
        try:
            await run_in_threadpool(work, form, _made_on(as_of))
        except ActionError as exc:
            return ws.message(request, exc.status, session, NOT_DONE[kind], str(exc))
        return RedirectResponse(_back(form, customer_id, kind, as_of), status_code=303)

    @routes.post("/collections/{customer_id:path}/call")
    async def call(customer_id: str, request: Request,
                   session: Annotated[sessions.Session, ws.guard("collections.call")]) -> Response:  # fmt: skip
        user = session.user
        return await act(request, session, customer_id, "call", lambda form, _day: collections_actions.log_call(
            ws.store, customer_id, form.get("text"), user.username, user.role))  # fmt: skip

    @routes.post("/collections/{customer_id:path}/promise")
    async def promise(customer_id: str, request: Request,
                      session: Annotated[sessions.Session, ws.guard("collections.promise")]) -> Response:  # fmt: skip
        user = session.user
        return await act(request, session, customer_id, "promise", lambda form, day: collections_actions.promise(
            ws.store, customer_id, form.get("amount"), form.get("date"), day, user.username, user.role,
            note=form.get("note"), invoice=form.get("invoice")))  # fmt: skip

    @routes.post("/collections/{customer_id:path}/dispute")
    async def dispute(customer_id: str, request: Request,
                      session: Annotated[sessions.Session, ws.guard("collections.dispute")]) -> Response:  # fmt: skip
        user = session.user
        return await act(request, session, customer_id, "dispute", lambda form, day: collections_actions.dispute(
            ws.store, customer_id, form.get("item"), form.get("reason"), day, user.username, user.role,
            amount=form.get("amount"), note=form.get("note")))  # fmt: skip

    @routes.post("/collections/{customer_id:path}/disputes/{dispute_id}/resolve")
    async def resolve(customer_id: str, dispute_id: int, request: Request,
                      session: Annotated[sessions.Session, ws.guard("collections.resolve")]) -> Response:  # fmt: skip
        user = session.user
        return await act(request, session, customer_id, "resolve", lambda form, day: collections_actions.resolve(
            ws.store, customer_id, dispute_id, form.get("resolution"), day, user.username, user.role,
            note=form.get("note")))  # fmt: skip

    @routes.post("/collections/{customer_id:path}/tasks/{note_id}/done")
    async def task_done(customer_id: str, note_id: int, request: Request,
                        session: Annotated[sessions.Session, ws.guard("collections.task")]) -> Response:  # fmt: skip
        user = session.user
        return await act(request, session, customer_id, "task", lambda _form, _day: collections_actions.task_done(
            ws.store, customer_id, note_id, user.username, user.role))  # fmt: skip

    return routes


def _back(form: Any, customer_id: str, kind: str, as_of: str) -> str:
    """Back to the customer's page, or to the worklist as it was (its filter, sort and page) with a notice."""
    day = f"as_of={as_of}" if is_date(as_of) else ""
    if form.get("back") == "customer":
        return f"/customers/{quote(customer_id, safe='')}" + (f"?{day}" if day else "") + "#collections"
    kept = [(k, v) for k, v in parse_qsl(str(form.get("list") or "").lstrip("?")) if k not in ("done", "customer")]
    if day and not any(k == "as_of" for k, _v in kept):
        kept.append(("as_of", as_of))
    return "/collections?" + urlencode([*kept, ("done", kind), ("customer", customer_id)])
