"""Cash-application exceptions: confirm the suggestion, apply to other invoices (a split), or leave unapplied."""

from decimal import Decimal
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from creditbridge.core.money import MoneyError, parse_decimal
from creditbridge.sync.cashapp.job import CashappError
from creditbridge.sync.cashapp.job import exceptions as cashapp_exceptions
from creditbridge.sync.web import actions, sessions
from creditbridge.sync.web.context import Workspace


def router(ws: Workspace) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/cashapp")
    def cashapp(request: Request, session: Annotated[sessions.Session, ws.guard("cashapp.view")]) -> Response:
        rows = cashapp_exceptions(ws.store)
        return ws.page(request, "cashapp.html", session=session, rows=rows, error=None,
                       done=request.query_params.get("done"))  # fmt: skip

    @routes.post("/cashapp/{payment_id}")
    async def cashapp_decide(payment_id: str, request: Request,
                             session: Annotated[sessions.Session, ws.guard("cashapp.decide")]) -> Response:  # fmt: skip
        form = await request.form()
        action, user = str(form.get("action") or ""), session.user.username
        try:
            allocations = parse_allocations(str(form.get("invoices") or "")) if action == "apply" else None
            await run_in_threadpool(actions.decide_payment, ws.store, payment_id, action, user, session.user.role,
                                    allocations)  # fmt: skip
        except (CashappError, actions.ActionError) as exc:
            rows = await run_in_threadpool(cashapp_exceptions, ws.store)
            return ws.page(request, "cashapp.html", 400, session, rows=rows, error=str(exc), done=None)
        return RedirectResponse(f"/cashapp?done={quote(payment_id, safe='')}", status_code=303)

    return routes


def parse_allocations(text: str) -> list[tuple[str, Decimal]]:
    """'INV-1:100.00, INV-2:20' -> [(INV-1, 100.00), (INV-2, 20)]; `CashappError` naming what is wrong."""
    found = []
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        if not part:
            continue
        invoice, _, amount = part.rpartition(":")
        try:
            found.append((invoice.strip(), parse_decimal(amount.strip())))
        except MoneyError:
            raise CashappError(f"{part!r} is not INVOICE:AMOUNT") from None
        if not invoice.strip():
            raise CashappError(f"{part!r} is not INVOICE:AMOUNT")
    if not found:
        raise CashappError("name the invoices as INVOICE:AMOUNT, separated by commas")
    return found
