"""The approvals queue: four eyes on limit and hold changes (the approver must not be the requester)."""

import re
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from creditbridge.sync.web import actions, sessions, views
from creditbridge.sync.web.context import Workspace, export, listing


def router(ws: Workspace) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/approvals")
    def approvals(request: Request, session: Annotated[sessions.Session, ws.guard("approvals.view")]) -> Response:
        rows = listing(views.approval_rows(ws.store), views.APPROVAL_PAGE_COLUMNS, request, "id", "asc")
        done = re.fullmatch(r"(approved|rejected)-(\d+)", request.query_params.get("done") or "")
        return ws.page(request, "approvals.html", session=session, listing=rows,
                       done=done.groups() if done else None, error=None)  # fmt: skip

    @routes.get("/approvals.{kind}")
    def approvals_export(kind: str, request: Request,
                         _session: Annotated[sessions.Session, ws.guard("approvals.export")]) -> Response:  # fmt: skip
        return export(lambda: views.approval_rows(ws.store), views.APPROVAL_COLUMNS, request, "id", "approvals", kind)

    async def decide(request: Request, session: sessions.Session, request_id: int, verb: str) -> Response:
        form = await request.form()
        comment = str(form.get("comment") or "")
        try:
            await run_in_threadpool(actions.decide_request, ws.store, request_id, verb, session.user.username, comment)
        except actions.ActionError as exc:
            return await refused(request, session, exc.status, str(exc))
        return RedirectResponse(f"/approvals?done={verb}d-{request_id}", status_code=303)

    async def refused(request: Request, session: sessions.Session, status: int, message: str) -> Response:
        rows = await run_in_threadpool(views.approval_rows, ws.store)
        page = listing(rows, views.APPROVAL_PAGE_COLUMNS, request, "id", "asc")
        return ws.page(request, "approvals.html", status, session, listing=page, done=None, error=message)

    @routes.post("/approvals/{request_id}/approve")
    async def approve(request: Request, request_id: int,
                      session: Annotated[sessions.Session, ws.guard("approvals.decide")]) -> Response:  # fmt: skip
        return await decide(request, session, request_id, "approve")

    @routes.post("/approvals/{request_id}/reject")
    async def reject(request: Request, request_id: int,
                     session: Annotated[sessions.Session, ws.guard("approvals.decide")]) -> Response:  # fmt: skip
        return await decide(request, session, request_id, "reject")

    return routes
