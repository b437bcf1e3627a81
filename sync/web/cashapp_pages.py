"""Cash-application exceptions: confirm, pick other invoices (a split), put on account, or leave unapplied.

Each payment on the page shows the open invoices of its customer (the one the matcher identified,
the customer of its first suggestion, or one a person names) with an amount box each: filling the
boxes applies the payment to those invoices. Every decision is the cashapp job's own (confirm,
on account, reject), so confirmations teach the matcher the payer as `cashapp confirm` does.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from creditbridge.core.model import OpenItem
from creditbridge.core.money import MoneyError, parse_decimal
from creditbridge.sync.cashapp.job import CashappError, open_invoices_of, parse_allocation
from creditbridge.sync.cashapp.job import exceptions as cashapp_exceptions
from creditbridge.sync.web import actions, sessions
from creditbridge.sync.web.context import Workspace, page_number

PER_PAGE = 20
PICK_PREFIX = "pay:"
"""Form fields `pay:<invoice>` hold the amount to apply to that invoice (blank: not this one)."""


def router(ws: Workspace) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    def exceptions_page(request: Request, session: sessions.Session, status: int = 200, error: str | None = None,
                        done: str | None = None) -> Response:  # fmt: skip
        rows = cashapp_exceptions(ws.store)
        pages = max(1, -(-len(rows) // PER_PAGE))
        number = min(page_number(request), pages)
        shown = rows[(number - 1) * PER_PAGE : number * PER_PAGE]
        chosen = request.query_params.get("customer") or None
        picked_for = request.query_params.get("payment")
        read: dict[str, list[OpenItem]] = {}
        pickers = {row["payment_id"]: _picker(ws, row, chosen if picked_for == row["payment_id"] else None, read)
                   for row in shown}  # fmt: skip
        distinct = {row["payment_id"]: distinct_candidates(row) for row in shown}
        return ws.page(request, "cashapp.html", status, session, rows=shown, total=len(rows), page=number,
                       pages=pages, pickers=pickers, distinct=distinct, error=error, done=done)  # fmt: skip

    @routes.get("/cashapp")
    def cashapp(request: Request, session: Annotated[sessions.Session, ws.guard("cashapp.view")]) -> Response:
        return exceptions_page(request, session, done=request.query_params.get("done"))

    @routes.post("/cashapp/{payment_id}")
    async def cashapp_decide(payment_id: str, request: Request,
                             session: Annotated[sessions.Session, ws.guard("cashapp.decide")]) -> Response:  # fmt: skip
        form = await request.form()
        action, user = str(form.get("action") or ""), session.user.username
        try:
            allocations, customer = None, None
            if action == "apply":
                picked = picked_allocations({str(k): str(v) for k, v in form.items()})
                allocations = picked or parse_allocations(str(form.get("invoices") or ""))
            elif action == "on_account":
                customer = str(form.get("customer") or "")
            await run_in_threadpool(actions.decide_payment, ws.store, payment_id, action, user, session.user.role,
                                    allocations, customer)  # fmt: skip
        except (CashappError, actions.ActionError) as exc:
            return await run_in_threadpool(exceptions_page, request, session, 400, str(exc))
        return RedirectResponse(f"/cashapp?done={quote(payment_id, safe='')}", status_code=303)

    return routes


def parse_allocations(text: str) -> list[tuple[str, Decimal]]:
    """'INV-1:100.00, INV-2:20' -> [(INV-1, 100.00), (INV-2, 20)]; `CashappError` naming what is wrong."""
    found = [parse_allocation(part) for part in text.replace(";", ",").split(",") if part.strip()]
    if not found:
        raise CashappError("name the invoices as INVOICE:AMOUNT, separated by commas")
    return found


def picked_allocations(form: Mapping[str, str]) -> list[tuple[str, Decimal]]:
    """The invoices a person filled an amount in for (`pay:<invoice>` fields); blank boxes are not picked."""
    found = []
    for name, text in form.items():
        if not name.startswith(PICK_PREFIX) or not text.strip():
            continue
        invoice = name.removeprefix(PICK_PREFIX)
        try:
            found.append((invoice, parse_decimal(text.strip())))
        except MoneyError:
            raise CashappError(f"the amount for {invoice} ({text.strip()!r}) is not a number") from None
    return found


def distinct_candidates(row: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The suggestions with different applications (the matcher may reach one by two routes: the surer is kept)."""
    seen: set[tuple[Any, ...]] = set()
    kept = []
    for candidate in row.get("candidates") or ():
        key = (candidate.get("customer_id"),
               tuple((a["invoice_number"], a["amount"]) for a in candidate.get("allocations") or ()))  # fmt: skip
        if key not in seen:
            seen.add(key)
            kept.append(candidate)
    return kept


def _picker(ws: Workspace, row: Mapping[str, Any], chosen: str | None,
            read: dict[str, list[OpenItem]]) -> tuple[str | None, list[OpenItem]]:  # fmt: skip
    """Whose open invoices to offer for a payment, and those invoices (same currency as the payment).

    `read` keeps each customer's invoices for the page: several payments of one customer read them once.
    """
    suggested = next((c.get("customer_id") for c in row.get("candidates") or () if c.get("customer_id")), None)
    customer = chosen or row.get("customer_id") or suggested
    if not customer:
        return None, []
    if customer not in read:
        read[customer] = open_invoices_of(ws.store, customer, ws.source)
    return customer, [i for i in read[customer] if i.open_amount.currency == row["currency"]]
