"""The JSON API behind the workspace's pages (`/api/v1`), for page JavaScript and for systems with a token.

Every endpoint is guarded by `auth.require_api` with the same `roles.ALLOWED` action as its page,
reads through the same functions (`views`) and writes through the same actions (`actions`, which
the pages post to), so there is no second implementation of anything. Answers are JSON: amounts
are decimal strings with their currency, dates ISO text, errors `{"error": "..."}` (also for a
bad body, an unknown path and the credentials: 401 none or a bad one, 403 a role not allowed).

No `from __future__ import annotations`: FastAPI reads the pydantic models from the annotations.
"""

import datetime
import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyCookie, HTTPBearer
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from creditbridge.core.collections import REASON_CODES, RESOLUTIONS
from creditbridge.core.credit.application import ApplicationError
from creditbridge.core.money import MoneyError, parse_decimal
from creditbridge.core.ports import ErpError, ProfileValues
from creditbridge.sync import writeback
from creditbridge.sync.cashapp.job import exceptions as cashapp_exceptions
from creditbridge.sync.collections.repository import NOTE_KINDS
from creditbridge.sync.config import ConfigError
from creditbridge.sync.credit_applications import assess_application
from creditbridge.sync.credit_decisions import get_decision, list_decisions, plain_json, replayed
from creditbridge.sync.service.credit_routes import CREDIT_CHECK_ACTION, CREDIT_CHECK_BODY, Checker
from creditbridge.sync.web import (
    actions,
    collections_actions,
    collections_views,
    conflict_pages,
    limit_requests,
    sessions,
    views,
)
from creditbridge.sync.web.auth import Caller, require_api
from creditbridge.sync.web.context import Workspace
from creditbridge.sync.web.listing import PAGE_SIZE, page_of

PREFIX = "/api/v1"
OUTBOX_SHOWN = (writeback.OutboxStatus.CONFLICT, writeback.OutboxStatus.FAILED, writeback.OutboxStatus.REJECTED)
SORT_KEYS = ", ".join(c.key for c in views.CUSTOMER_COLUMNS)
T = TypeVar("T")


class ApiError(BaseModel):
    error: str


class NoteIn(BaseModel):
    kind: str = Field(description="What happened", json_schema_extra={"enum": list(NOTE_KINDS)}, examples=["call"])
    text: str = Field(min_length=1, max_length=actions.MAX_NOTE_LENGTH, examples=["Promised to pay A1 on Friday"])


class DecisionIn(BaseModel):
    comment: str | None = Field(None, max_length=4000, description="Why (kept with the approval and in the audit log)")


class AllocationIn(BaseModel):
    invoice: str = Field(min_length=1, examples=["RE-2026-10018"])
    amount: str = Field(pattern=r"^\d+(\.\d+)?$", description="A decimal string, in the payment's currency",
                        examples=["512.00"])  # fmt: skip


class OnAccountIn(BaseModel):
    customer_id: str = Field(min_length=1, description="Whose account the payment goes to", examples=["K100"])


class ResolveIn(BaseModel):
    keep: Literal["erp", "ours"] = Field(description="Keep the ERP's value, or ours (a new change request against "
                                                     "what the ERP has now; four eyes may apply again)")  # fmt: skip


class CallIn(BaseModel):
    text: str = Field(min_length=1, max_length=collections_actions.MAX_CALL_TEXT, examples=["AP says Friday"])


class PromiseIn(BaseModel):
    amount: str = Field(description="A decimal string, in the customer's (or the invoice's) currency",
                        examples=["1200.00"])  # fmt: skip
    date: str = Field(description="The day the customer promised to pay by (YYYY-MM-DD)", examples=["2026-12-15"])
    invoice: str | None = Field(None, description="The invoice the promise is about (default: any)")
    note: str | None = Field(None, max_length=collections_actions.MAX_NOTE_TEXT)
    made_on: datetime.date | None = Field(None, description="When the promise was made (default: today)")


class DisputeIn(BaseModel):
    item: str = Field(min_length=1, description="The disputed invoice", examples=["INV-1001"])
    reason: str = Field(json_schema_extra={"enum": list(REASON_CODES)}, examples=["pricing"])
    amount: str | None = Field(None, description="The disputed part (default: the whole open amount)")
    note: str | None = Field(None, max_length=collections_actions.MAX_NOTE_TEXT)
    opened_on: date | None = Field(None, description="Default: today")


class DisputeResolutionIn(BaseModel):
    resolution: str = Field(json_schema_extra={"enum": list(RESOLUTIONS)},
                            description="credit_memo or write_off (book it in the ERP), rejected (dunning resumes) "
                                        "or paid")  # fmt: skip
    note: str | None = Field(None, max_length=collections_actions.MAX_NOTE_TEXT)


class LimitRequestIn(BaseModel):
    change: Literal["limit", "hold", "release"] = Field(description="A new credit limit, a hold, or its release")
    limit: str | None = Field(None, description="With change=limit: the new limit as a decimal string, or 'none'",
                              examples=["9000.00"])  # fmt: skip
    currency: str | None = Field(None, description="Only where the customer has no limit and no known currency")
    reason: str = Field(min_length=1, max_length=500, description="Why (goes with the request)")


class ApplyIn(BaseModel):
    allocations: list[AllocationIn] = Field(min_length=1, description="The invoices to apply the payment to (a split)")


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ApiError, "description": "No credentials, or an unknown or revoked token"},
    403: {"model": ApiError, "description": "The role may not do this, or a session call without X-CSRF-Token"},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    400: {"model": ApiError, "description": "A bad request"},
    404: {"model": ApiError, "description": "No such record"},
    409: {"model": ApiError, "description": "The record is not in a state that allows this"},
}


DOCUMENTED_CREDENTIALS = [
    Depends(HTTPBearer(auto_error=False, description="An API token: `creditbridge tokens add NAME --role ROLE`")),
    Depends(APIKeyCookie(name=sessions.COOKIE, auto_error=False,
                         description="The workspace's session (then POSTs need the X-CSRF-Token header)")),
]  # fmt: skip
"""Put the two ways to call into the OpenAPI schema; `auth.require_api` is what checks them."""


def answer(content: Any, status: int = 200) -> JSONResponse:
    """JSON with Decimals as strings and dates as ISO text (exact, never a float)."""
    return JSONResponse(plain_json(content), status_code=status, headers={"Cache-Control": "no-store"})


async def act(work: Callable[..., T], *args: Any) -> T:
    """Run an action in the thread pool; its `ActionError` becomes the API's error answer."""
    try:
        return await run_in_threadpool(work, *args)
    except actions.ActionError as exc:
        raise HTTPException(exc.status, str(exc)) from None


def install(app: FastAPI, ws: Workspace, checker: Checker) -> None:
    """Add `/api/v1` to `app` and make every error under it JSON `{"error": ...}`."""
    app.include_router(router(ws, checker))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not request.url.path.startswith(PREFIX + "/"):
            return await http_exception_handler(request, exc)
        return JSONResponse({"error": str(exc.detail)}, exc.status_code, headers=exc.headers)

    async def bad_body(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if not request.url.path.startswith(PREFIX + "/"):
            return await request_validation_exception_handler(request, exc)
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}"
                             for e in exc.errors())  # fmt: skip
        return JSONResponse({"error": problems or "the request is not valid"}, 400)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, bad_body)


def router(ws: Workspace, checker: Checker) -> APIRouter:
    routes = APIRouter(prefix=PREFIX, tags=["workspace"], responses=ERRORS, dependencies=DOCUMENTED_CREDENTIALS)

    def may(action: str) -> Any:
        return Depends(require_api(action, ws.engine_of))

    @routes.get("/dashboard", summary="KPIs with their trend, and the work waiting for a person")
    def dashboard(caller: Annotated[Caller, may("dashboard.view")], as_of: date | None = None) -> Response:
        return answer(dashboard_json(views.dashboard(ws.store, ws.source, as_of or date.today(), ws.config)))

    @routes.get("/customers", summary="Customers with their AR, past due, DSO and CEI: filtered, sorted, paged")
    def customers(
        caller: Annotated[Caller, may("customers.view")],
        q: Annotated[str | None, Query(description="Words that must all appear in a row's text")] = None,
        sort: Annotated[str, Query(description=f"One of {SORT_KEYS}")] = "past_due",
        direction: Annotated[str, Query(alias="dir", pattern="^(asc|desc)$")] = "desc",
        page: Annotated[int, Query(ge=1)] = 1,
        as_of: date | None = None,
    ) -> Response:  # fmt: skip
        rows = views.customer_list(ws.store, ws.source, as_of or date.today())
        found = page_of(rows, views.CUSTOMER_COLUMNS, sort=sort, direction=direction, page=page, default="past_due",
                        query=q)  # fmt: skip
        return answer({"rows": list(found.rows), "total": found.total, "page": found.page, "pages": found.pages,
                       "page_size": PAGE_SIZE, "sort": found.sort,
                       "dir": "desc" if found.descending else "asc"})  # fmt: skip

    @routes.get("/customers/{customer_id:path}", summary="The customer 360: limit, exposure, hold, items, decisions")
    def customer(
        customer_id: str, caller: Annotated[Caller, may("customers.view")], as_of: date | None = None
    ) -> Response:
        found = views.customer_360(ws.store, ws.source, customer_id, as_of or date.today(), ws.thresholds)
        if found is None:
            raise HTTPException(404, f"The store has no customer {customer_id!r}.")
        return answer(customer_json(found))

    @routes.post("/customers/{customer_id:path}/notes", status_code=201, responses=WRITE_ERRORS,
                 summary="Add a note to the customer's contact log, or log a call")  # fmt: skip
    async def add_note(customer_id: str, note: NoteIn, caller: Annotated[Caller, may("customers.note")]) -> Response:
        note_id = await act(actions.add_customer_note, ws.store, customer_id, note.kind, note.text, caller.actor,
                            caller.role)  # fmt: skip
        return answer({"id": note_id, "customer_id": customer_id, "kind": note.kind, "owner": caller.actor}, 201)

    @routes.post("/customers/{customer_id:path}/limit-requests", status_code=201,
                 responses={**WRITE_ERRORS, 502: {"model": ApiError}},
                 summary="Request a limit or hold change (creditbridge limits set|hold|release)")  # fmt: skip
    async def request_limit(customer_id: str, body: LimitRequestIn,
                            caller: Annotated[Caller, may("limits.request")]) -> Response:  # fmt: skip
        result = await act(limit_requests.request_limit_change, ws, customer_id, body.change, body.limit, body.reason,
                           caller.actor, body.currency)  # fmt: skip
        return answer({"request_id": None if result.request is None else result.request.id,
                       "status": None if result.request is None else result.request.status.value,
                       "outbox_id": None if result.outbox_row is None else result.outbox_row.id,
                       "message": result.message}, 201)  # fmt: skip

    @routes.get("/approvals", summary="Limit and hold changes waiting for a second person")
    def approvals(caller: Annotated[Caller, may("approvals.view")]) -> Response:
        rows = views.approval_rows(ws.store)
        return answer({"rows": rows, "total": len(rows)})

    async def decide(request_id: int, verb: str, body: DecisionIn | None, caller: Caller) -> Response:
        comment = body.comment if body is not None else None
        decision = await act(actions.decide_request, ws.store, request_id, verb, caller.actor, comment)
        return answer({"request_id": decision.request.id, "status": decision.request.status.value,
                       "decided_by": caller.actor, "approval_id": decision.approval_id,
                       "outbox_id": None if decision.outbox_row is None else decision.outbox_row.id})  # fmt: skip

    @routes.post("/approvals/{request_id}/approve", responses=WRITE_ERRORS,
                 summary="Approve a change (four eyes: not by its requester); it is queued for the ERP")  # fmt: skip
    async def approve(request_id: int, caller: Annotated[Caller, may("approvals.decide")],
                      body: DecisionIn | None = None) -> Response:  # fmt: skip
        return await decide(request_id, "approve", body, caller)

    @routes.post("/approvals/{request_id}/reject", responses=WRITE_ERRORS, summary="Reject a change")
    async def reject(request_id: int, caller: Annotated[Caller, may("approvals.decide")],
                     body: DecisionIn | None = None) -> Response:  # fmt: skip
        return await decide(request_id, "reject", body, caller)

    @routes.get("/cashapp/exceptions", summary="Payments waiting for a person, with suggested invoices and evidence")
    def cashapp(caller: Annotated[Caller, may("cashapp.view")]) -> Response:
        rows = cashapp_exceptions(ws.store)
        return answer({"rows": rows, "total": len(rows)})

    @routes.post("/cashapp/{payment_id}/confirm", responses=WRITE_ERRORS,
                 summary="Apply the payment as suggested (the matcher learns the payer)")  # fmt: skip
    async def confirm(payment_id: str, caller: Annotated[Caller, may("cashapp.decide")]) -> Response:
        return answer(await act(actions.decide_payment, ws.store, payment_id, "confirm", caller.actor, caller.role))

    @routes.post("/cashapp/{payment_id}/apply", responses=WRITE_ERRORS,
                 summary="Apply the payment to other invoices, or split it")  # fmt: skip
    async def apply(payment_id: str, body: ApplyIn, caller: Annotated[Caller, may("cashapp.decide")]) -> Response:
        allocations = [(a.invoice, amount_of(a.amount)) for a in body.allocations]
        return answer(await act(actions.decide_payment, ws.store, payment_id, "apply", caller.actor, caller.role,
                                allocations))  # fmt: skip

    @routes.post("/cashapp/{payment_id}/on-account", responses=WRITE_ERRORS,
                 summary="Put the payment on a customer's account, unapplied (learns the payer)")  # fmt: skip
    async def on_account(payment_id: str, body: OnAccountIn,
                         caller: Annotated[Caller, may("cashapp.decide")]) -> Response:  # fmt: skip
        return answer(await act(actions.decide_payment, ws.store, payment_id, "on_account", caller.actor, caller.role,
                                None, body.customer_id))  # fmt: skip

    @routes.post("/cashapp/{payment_id}/reject", responses=WRITE_ERRORS,
                 summary="Refuse the suggestion: the payment stays unapplied")  # fmt: skip
    async def reject_payment(payment_id: str, caller: Annotated[Caller, may("cashapp.decide")]) -> Response:
        return answer(await act(actions.decide_payment, ws.store, payment_id, "reject", caller.actor, caller.role))

    @routes.get("/conflicts", summary="Write-back conflicts and stopped writes: the ERP's value, ours, what we knew")
    def conflicts(
        caller: Annotated[Caller, may("conflicts.view")],
        state: Annotated[str, Query(pattern="^(open|all)$", description="open: what needs a person")] = "open",
    ) -> Response:
        rows = conflict_pages.conflict_rows(ws.store, state)
        shown = {row["id"] for row in rows}
        outbox = {r.id: r for r in writeback.list_rows(ws.store.engine, None, OUTBOX_SHOWN) if r.id in shown}
        found = [{**row, "values": {"erp_now": _values(outbox[row["id"]].erp_values),
                                    "ours": _values(outbox[row["id"]].wanted),
                                    "last_known": _values(outbox[row["id"]].expected)}} for row in rows]  # fmt: skip
        return answer({"rows": found, "total": len(found)})

    async def outbox_action(work: Callable[..., str], *args: Any) -> str:
        try:
            return await run_in_threadpool(work, ws, *args)
        except (writeback.WritebackError, ConfigError, ErpError) as exc:
            status, message = conflict_pages.refusal(exc)
            raise HTTPException(status, message) from None

    @routes.post("/conflicts/{row_id}/resolve", responses={**WRITE_ERRORS, 502: {"model": ApiError}},
                 summary="Keep the ERP's value or ours of a conflict (creditbridge conflicts resolve)")  # fmt: skip
    async def resolve(row_id: str, body: ResolveIn, caller: Annotated[Caller, may("conflicts.resolve")]) -> Response:
        resolved = await outbox_action(conflict_pages.resolve_row, row_id, body.keep, caller.actor)
        row = await run_in_threadpool(writeback.find, ws.store.engine, resolved)
        return answer({"row_id": row.id, "status": row.status.value, "kept": row.resolution,
                       "decided_by": caller.actor})  # fmt: skip

    @routes.post("/conflicts/{row_id}/retry", responses=WRITE_ERRORS,
                 summary="Send a stopped write again (creditbridge outbox retry)")  # fmt: skip
    async def retry(row_id: str, caller: Annotated[Caller, may("conflicts.resolve")]) -> Response:
        retried = await outbox_action(conflict_pages.retry_row, row_id, caller.actor)
        row = await run_in_threadpool(writeback.find, ws.store.engine, retried)
        return answer({"row_id": row.id, "status": row.status.value, "decided_by": caller.actor})

    @routes.get("/collections", summary="The collections worklist by priority (creditbridge collections worklist)")
    def collections(
        caller: Annotated[Caller, may("collections.view")],
        as_of: date | None = None,
        show: Annotated[str | None, Query(pattern="^(broken_promises|calls_due)$")] = None,
    ) -> Response:
        try:
            found = collections_views.worklist(ws.store, ws.config, as_of or date.today())
        except collections_views.PolicyUnreadable as exc:
            raise HTTPException(500, f"the dunning policy has errors: {exc}") from None
        rows = [{k: v for k, v in row.items() if k != "overdue_items"} for row in found.rows(show)]
        return answer({"rows": rows, "total": len(rows)})

    @routes.post("/collections/{customer_id:path}/calls", status_code=201, responses=WRITE_ERRORS,
                 summary="Log a call with the customer (its contact log)")  # fmt: skip
    async def log_call(customer_id: str, body: CallIn, caller: Annotated[Caller, may("collections.call")]) -> Response:
        note_id = await act(collections_actions.log_call, ws.store, customer_id, body.text, caller.actor, caller.role)
        return answer({"id": note_id, "customer_id": customer_id, "owner": caller.actor}, 201)

    @routes.post("/collections/{customer_id:path}/promises", status_code=201, responses=WRITE_ERRORS,
                 summary="Record a promise to pay (its items are not dunned until the day passes)")  # fmt: skip
    async def promise(customer_id: str, body: PromiseIn,
                      caller: Annotated[Caller, may("collections.promise")]) -> Response:  # fmt: skip
        made_on = body.made_on or date.today()
        promise_id = await act(collections_actions.promise, ws.store, customer_id, body.amount, body.date, made_on,
                               caller.actor, caller.role, body.note, body.invoice)  # fmt: skip
        return answer({"id": promise_id, "customer_id": customer_id, "owner": caller.actor}, 201)

    @routes.post("/collections/{customer_id:path}/disputes", status_code=201, responses=WRITE_ERRORS,
                 summary="Open a dispute on one of the customer's invoices (its dunning stops)")  # fmt: skip
    async def dispute(customer_id: str, body: DisputeIn,
                      caller: Annotated[Caller, may("collections.dispute")]) -> Response:  # fmt: skip
        opened_on = body.opened_on or date.today()
        dispute_id = await act(collections_actions.dispute, ws.store, customer_id, body.item, body.reason, opened_on,
                               caller.actor, caller.role, body.amount, body.note)  # fmt: skip
        return answer({"id": dispute_id, "customer_id": customer_id, "owner": caller.actor}, 201)

    @routes.post("/collections/{customer_id:path}/disputes/{dispute_id}/resolve", responses=WRITE_ERRORS,
                 summary="Resolve an open dispute (creditbridge collections disputes resolve)")  # fmt: skip
    async def resolve_dispute(customer_id: str, dispute_id: int, body: DisputeResolutionIn,
                              caller: Annotated[Caller, may("collections.resolve")]) -> Response:  # fmt: skip
        await act(collections_actions.resolve, ws.store, customer_id, dispute_id, body.resolution, date.today(),
                  caller.actor, caller.role, body.note)  # fmt: skip
        return answer({"id": dispute_id, "status": "resolved", "resolution": body.resolution,
                       "decided_by": caller.actor})  # fmt: skip

    @routes.post("/collections/{customer_id:path}/tasks/{note_id}/done", responses=WRITE_ERRORS,
                 summary="Mark an open call task or follow-up done (creditbridge collections notes done)")  # fmt: skip
    async def task_done(customer_id: str, note_id: int,
                        caller: Annotated[Caller, may("collections.task")]) -> Response:  # fmt: skip
        await act(collections_actions.task_done, ws.store, customer_id, note_id, caller.actor, caller.role)
        return answer({"id": note_id, "status": "done", "decided_by": caller.actor})

    @routes.post("/credit/applications", status_code=201, responses=WRITE_ERRORS,
                 summary="Score and decide a credit application (the JSON of `credit apply FILE`)")  # fmt: skip
    async def credit_application(request: Request, caller: Annotated[Caller, may("credit.apply")]) -> Response:
        """The body is the application file's JSON: applicant, requested_limit, financials, trade_references.
        The answer is the assessment (Altman Z, score, risk class, limit methods, decision and reasons) with the
        `decision_id` it is stored under."""
        try:
            data = json.loads(await request.body())
            assessed = await run_in_threadpool(assess_application, data, ws.credit_policy)
            decision_id = await run_in_threadpool(actions.keep_application, ws.store, ws.credit_policy, assessed,
                                                  data, caller.actor, caller.role)  # fmt: skip
        except ValueError as exc:
            if isinstance(exc, ApplicationError):
                raise HTTPException(400, f"{exc.field}: {exc}") from None
            raise HTTPException(400, f"the body is not JSON: {exc}") from None
        return answer({**assessed.result, "decision_id": decision_id}, 201)

    @routes.get("/credit/decisions", summary="Stored credit decisions, newest first (`credit decisions list`)")
    def credit_decisions(
        caller: Annotated[Caller, may("credit.decisions.view")],
        kind: Annotated[str | None, Query(pattern="^(application|review|order_check)$")] = None,
        customer_id: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> Response:
        found = list_decisions(ws.store.engine, customer_id=customer_id, kind=kind, limit=limit, bodies=False)
        rows = [{k: v for k, v in d.as_dict().items() if k not in ("inputs", "result")} for d in found]
        return answer({"rows": rows, "total": len(rows)})

    @routes.get("/credit/decisions/{decision_id}", responses={404: {"model": ApiError}},
                summary="One stored decision with its inputs, result and whether it replays the same")  # fmt: skip
    def credit_decision(decision_id: int, caller: Annotated[Caller, may("credit.decisions.view")]) -> Response:
        found = get_decision(ws.store.engine, decision_id)
        if found is None:
            raise HTTPException(404, f"There is no credit decision {decision_id}.")
        stored, policy_text = found
        return answer({**stored.as_dict(), "reproduced": replayed(stored, policy_text)})

    @routes.post("/credit/check", openapi_extra=CREDIT_CHECK_BODY, responses=WRITE_ERRORS,
                 summary="Order-time credit check: approve, warn, review or hold, with reasons")  # fmt: skip
    async def credit_check(request: Request, caller: Annotated[Caller, may(CREDIT_CHECK_ACTION)]) -> Response:
        """The same check and JSON as `POST /credit/check`, amounts as decimal strings; kept as a credit
        decision by the caller (`token:NAME` or the user)."""
        status, result = await checker(await request.body(), caller.actor)
        if status != 200:
            raise HTTPException(status, str(result.get("error")))
        return answer(result)

    return routes


def amount_of(text: str) -> Decimal:
    try:
        return parse_decimal(text)
    except MoneyError:
        raise HTTPException(400, f"{text!r} is not a decimal amount") from None


def money(amount: Decimal | None, currency: str) -> dict[str, Any] | None:
    return None if amount is None else {"amount": amount, "currency": currency}


def dashboard_json(data: views.Dashboard) -> dict[str, Any]:
    """KPIs per currency (company figures and their 12-month trend), top overdue customers, waiting work."""
    report = data.report
    kpis: dict[str, Any] = {}
    if report is not None:
        for currency in report.currencies:
            figures = report.company(currency)
            kpis[currency] = {
                **asdict(figures), "past_due": figures.past_due,
                "trend": [{"as_of": p.as_of, **asdict(f)} for p in report.trend
                          if (f := p.for_currency(currency)) is not None],
                "top_overdue": [{"customer_id": f.customer_id, "name": f.customer_name, "past_due": f.past_due,
                                 "ar": f.ar} for f in report.top_overdue(currency, 10)],
            }  # fmt: skip
    return {"as_of": None if report is None else report.as_of, "period_days": None if report is None else
            report.period_days, "kpis": kpis, "waiting": asdict(data.waiting), "sync": data.sync.as_dict()}  # fmt: skip


def customer_json(c: views.Customer360) -> dict[str, Any]:
    """The customer 360 as JSON: what the page shows, with the credit check at amount zero."""
    check = c.check.as_dict()
    profile = c.profile
    return {
        "customer": {"customer_id": c.customer.customer_id, "name": c.customer.name, "currency": c.customer.currency,
                     "parent_id": c.customer.parent_id, "payment_terms_days": c.customer.payment_terms_days},
        "profile": None if profile is None else {
            "credit_limit": None if profile.credit_limit is None else
            money(profile.credit_limit.amount, profile.credit_limit.currency),
            "on_hold": profile.on_hold, "risk_class": profile.risk_class, "score": profile.score,
            "review_date": profile.review_date},
        "as_of": check["as_of"],
        "limit": check["limit"],
        "exposure": check["exposure"],
        "available": check["available"],
        "utilization": check["utilization"],
        "on_hold": profile is not None and profile.on_hold,
        "check": {"decision": check["decision"], "scope": check["scope"], "group": check["group"],
                  "reasons": check["reasons"]},
        "open_items": [_item(r) for r in c.items],
        "payments": [{"payment_id": p.payment_id, "payment_date": p.payment_date, "amount": p.amount.amount,
                      "currency": p.amount.currency, "unapplied": p.unapplied.amount, "reference": p.reference,
                      "applications": [{"item_id": a.item_id, "amount": a.amount.amount} for a in p.applications]}
                     for p in c.payments],
        "decisions": [d.as_dict() for d in c.decisions],
        "notes": [n.as_dict() for n in c.notes],
        "change_requests": [{"id": r.id, "status": r.status.value, "before": _values(r.before),
                             "wanted": _values(r.wanted), "reason": r.reason, "requested_by": r.requested_by,
                             "requested_at": r.requested_at} for r in c.requests],
    }  # fmt: skip


def _item(r: views.OpenItemRow) -> dict[str, Any]:
    i = r.item
    return {"item_id": i.item_id, "doc_type": i.doc_type.value, "invoice_date": i.invoice_date, "due_date": i.due_date,
            "amount": i.amount.amount, "open_amount": i.open_amount.amount, "currency": i.amount.currency,
            "days_past_due": r.days_past_due, "po_number": i.po_number}  # fmt: skip


def _values(values: ProfileValues | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {"credit_limit": money(values.credit_limit, values.currency), "on_hold": values.on_hold}
