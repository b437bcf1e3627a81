"""The workspace's pages and form actions, mounted on the `creditbridge serve` app.

Routes (every one guarded by `auth.require` with its action in `roles.ALLOWED`, but the sign-in):
GET/POST /login, POST /logout, GET /dashboard, GET /customers (+ /customers.csv),
GET /customers/{id}, POST /customers/{id}/notes, GET /cashapp, POST /cashapp/{payment},
GET /approvals (+ /approvals.csv), POST /approvals/{id}/approve|reject, GET /static/{app,report}.css.
Pages are Jinja2 templates packaged with the app; nothing is fetched from elsewhere (the
Content-Security-Policy says so to the browser as well).

No `from __future__ import annotations` here: FastAPI must evaluate the routes' `Annotated[...,
Depends(...)]` parameters at definition time, where the closures they name are in scope.
"""

import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from creditbridge.core.credit import CreditPolicy
from creditbridge.core.money import MoneyError, parse_decimal
from creditbridge.mappings.credit_policy import policy_from_environment
from creditbridge.sync import writeback
from creditbridge.sync.cashapp.job import CashappError, confirm_payment, reject_payment
from creditbridge.sync.cashapp.job import exceptions as cashapp_exceptions
from creditbridge.sync.collections.repository import NOTE_KINDS, add_note, customer_currency
from creditbridge.sync.config import Config
from creditbridge.sync.logs import get_logger
from creditbridge.sync.reports.formats import amount_text, bucket_label, days_text, percent_text
from creditbridge.sync.reports.html_report import trend_card
from creditbridge.sync.reports.svg_charts import BUCKET_COLOURS, aging_bar, aging_bar_labels
from creditbridge.sync.store import StoreError
from creditbridge.sync.web import roles, sessions, views
from creditbridge.sync.web.auth import NotSignedIn, Refused, client_is_https, require
from creditbridge.sync.web.listing import Column, csv_text, page_of, sorted_rows
from creditbridge.sync.web.users import authenticate, record
from creditbridge.sync.writeback.transactions import write_transaction

if TYPE_CHECKING:
    from creditbridge.sync.service.app import StoreHolder

_log = get_logger(__name__)
LOGIN_CSRF_COOKIE = "cb_login_csrf"
MAX_NOTE_LENGTH = 4000
_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; " \
       "frame-ancestors 'none'"  # fmt: skip


def _templates() -> Environment:
    env = Environment(loader=PackageLoader("creditbridge.sync.web", "templates"),
                      autoescape=select_autoescape(["html"]))  # fmt: skip
    env.filters["amount"] = lambda value, currency: amount_text(value, currency)
    env.filters["days"] = lambda value: days_text(value)
    env.filters["percent"] = lambda value: percent_text(value)
    env.filters["bucket"] = bucket_label
    env.filters["path"] = lambda value: quote(str(value), safe="")
    return env


def install_workspace(app: FastAPI, config: Config, holder: "StoreHolder", policy: CreditPolicy | None = None,
                      limiter: sessions.LoginLimiter | None = None) -> None:  # fmt: skip
    """Add the workspace's routes and its two refusals (sign in first; 403) to `app`."""
    env = _templates()
    thresholds = policy or policy_from_environment(None).order_check  # the policy POST /credit/check uses
    gate = limiter or sessions.LoginLimiter()
    source = config.connections[0].name if len(config.connections) == 1 else None
    router = APIRouter(include_in_schema=False)

    def engine_of(_request: Request) -> sa.Engine:
        return holder.get().engine

    def guard(action: str) -> Any:
        return Depends(require(action, engine_of))

    def page(request: Request, name: str, status: int = 200, session: sessions.Session | None = None,
             **context: Any) -> HTMLResponse:  # fmt: skip
        def can(action: str) -> bool:
            return session is not None and roles.allowed(session.user.role, action)

        html = env.get_template(name).render(request=request, session=session, can=can, path=request.url.path,
                                             **context)  # fmt: skip
        response = HTMLResponse(html, status_code=status)
        response.headers["Content-Security-Policy"] = _CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        return response

    def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                            secure=client_is_https(request), path="/")  # fmt: skip

    def audit(actor: str, action: str, outcome: str, reason: str | None = None, role: str = "user") -> None:
        with write_transaction(holder.get().engine) as conn:
            record(conn, actor, action, outcome, reason=reason, role=role)

    def as_of_of(request: Request) -> date:
        text = request.query_params.get("as_of")
        if text:
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
        return date.today()

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _exc: NotSignedIn) -> Response:
        if request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        return page(request, "message.html", 401, title="Sign in first", message="Your session has ended.")

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        found = await run_in_threadpool(sessions.find, holder.get().engine, request.cookies.get(sessions.COOKIE))
        return page(request, "message.html", 403, found, title="Not allowed", message=str(exc))

    async def store_failed(request: Request, exc: Exception) -> Response:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        _log.error("web.store_error", path=request.url.path, error=reason)
        if request.url.path.startswith(("/webhooks/", "/credit/", "/health")):  # the JSON API's callers read JSON
            return JSONResponse({"error": "the store is unavailable"}, status_code=503)
        message = f"{reason}. Try again in a moment, or ask an administrator."
        return page(request, "message.html", 503, title="The store is unavailable", message=message)

    app.add_exception_handler(StoreError, store_failed)
    app.add_exception_handler(sa.exc.OperationalError, store_failed)

    @router.get("/", response_class=HTMLResponse)
    def home() -> Response:
        return RedirectResponse("/dashboard", status_code=303)

    @router.get("/static/{name}")
    def static(name: str) -> Response:
        if name not in ("app.css", "report.css"):
            return Response("not found", status_code=404, media_type="text/plain")
        package = "creditbridge.sync.web" if name == "app.css" else "creditbridge.sync.reports"
        where = resources.files(package) / ("static/app.css" if name == "app.css" else "report.css")
        return Response(where.read_text(encoding="utf-8"), media_type="text/css",
                        headers={"Cache-Control": "max-age=3600"})  # fmt: skip

    @router.get("/login")
    def login_form(request: Request) -> Response:
        token = secrets.token_urlsafe(32)
        response = page(request, "login.html", csrf=token, next=_safe_next(request.query_params.get("next")))
        set_cookie(request, response, LOGIN_CSRF_COOKIE, token, 3600)
        return response

    @router.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        username, password = str(form.get("username") or "").strip(), str(form.get("password") or "")
        target = _safe_next(str(form.get("next") or ""))
        cookie, sent = request.cookies.get(LOGIN_CSRF_COOKIE), form.get("csrf")
        if not cookie or not isinstance(sent, str) or not secrets.compare_digest(cookie, sent):
            return page(request, "message.html", 403, title="Not allowed",
                        message="This sign-in form is out of date. Reload the page and try again.")  # fmt: skip
        keys = (f"user:{username.lower()}", f"ip:{request.client.host if request.client else '-'}")
        if gate.blocked(*keys):
            await run_in_threadpool(audit, username or "-", "login_blocked", "refused", "too many failed sign-ins")
            minutes = int(gate.window.total_seconds() // 60)
            return page(request, "login.html", 429, csrf=cookie, next=target, username=username,
                        error=f"Too many failed sign-ins. Try again in {minutes} minutes.")  # fmt: skip
        user = await run_in_threadpool(authenticate, holder.get().engine, username, password)
        if user is None:
            gate.failed(*keys)
            await run_in_threadpool(audit, username or "-", "login_failed", "refused")
            return page(request, "login.html", 401, csrf=cookie, next=target, username=username,
                        error="Wrong user name or password.")  # fmt: skip
        gate.succeeded(keys[0])
        token = await run_in_threadpool(sessions.start, holder.get().engine, user)
        await run_in_threadpool(audit, user.username, "login", "ok", None, user.role)
        response = RedirectResponse(target or "/dashboard", status_code=303)
        set_cookie(request, response, sessions.COOKIE, token, int(sessions.LIFETIME.total_seconds()))
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return response

    @router.post("/logout")
    async def logout(request: Request, session: Annotated[sessions.Session, guard("session.end")]) -> Response:
        token = request.cookies.get(sessions.COOKIE) or ""
        await run_in_threadpool(sessions.end, holder.get().engine, token)
        await run_in_threadpool(audit, session.user.username, "logout", "ok", None, session.user.role)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(sessions.COOKIE, path="/")
        return response

    @router.get("/dashboard")
    def dashboard(request: Request, session: Annotated[sessions.Session, guard("dashboard.view")]) -> Response:
        as_of = as_of_of(request)
        data = views.dashboard(holder.get(), source, as_of, config)
        report = data.report
        currencies = report.currencies if report is not None else ()
        currency = request.query_params.get("currency")
        currency = currency if currency in currencies else (currencies[0] if currencies else None)
        charts: dict[str, Markup] = {}
        if report is not None and currency is not None:
            figures = report.company(currency)
            charts = {"aging": Markup(aging_bar(figures, "dash") + aging_bar_labels(figures)),
                      "trend": Markup(trend_card(report, currency))}  # fmt: skip
        return page(request, "dashboard.html", session=session, as_of=as_of, data=data, currency=currency,
                    currencies=currencies, charts=charts, colours=BUCKET_COLOURS,
                    figures=report.company(currency) if report is not None and currency else None,
                    top=report.top_overdue(currency, 10) if report is not None and currency else ())  # fmt: skip

    def customers_list(request: Request) -> list[Mapping[str, Any]]:
        return views.customer_rows(views.kpi_report(holder.get(), source, as_of_of(request)))

    @router.get("/customers")
    def customers(request: Request, session: Annotated[sessions.Session, guard("customers.view")]) -> Response:
        listing = _page(customers_list(request), views.CUSTOMER_COLUMNS, request, "past_due", "desc")
        return page(request, "customers.html", session=session, listing=listing, as_of=as_of_of(request))

    @router.get("/customers.csv")
    def customers_csv(request: Request, _session: Annotated[sessions.Session, guard("customers.export")]) -> Response:
        return _csv(customers_list(request), views.CUSTOMER_COLUMNS, request, "past_due", "customers.csv")

    @router.get("/customers/{customer_id:path}")
    def customer(customer_id: str, request: Request,
                 session: Annotated[sessions.Session, guard("customers.view")]) -> Response:  # fmt: skip
        as_of = as_of_of(request)
        found = views.customer_360(holder.get(), source, customer_id, as_of, thresholds)
        if found is None:
            return page(request, "message.html", 404, session, title="No such customer",
                        message=f"The store has no customer {customer_id!r}.")  # fmt: skip
        return page(request, "customer.html", session=session, c=found, as_of=as_of)

    @router.post("/customers/{customer_id:path}/notes")
    async def add_customer_note(customer_id: str, request: Request,
                                session: Annotated[sessions.Session, guard("customers.note")]) -> Response:  # fmt: skip
        form = await request.form()
        kind, text = str(form.get("kind") or ""), str(form.get("text") or "").strip()
        as_of = str(form.get("as_of") or "")
        back = f"/customers/{quote(customer_id, safe='')}" + (f"?as_of={as_of}" if _is_date(as_of) else "")
        if kind not in NOTE_KINDS or not text or len(text) > MAX_NOTE_LENGTH:
            message = f"A note needs a kind ({', '.join(NOTE_KINDS)}) and a text of 1 to {MAX_NOTE_LENGTH} characters."
            return page(request, "message.html", 400, session, title="Note not added", message=message)

        def write() -> bool:
            with write_transaction(holder.get().engine) as conn:
                if customer_currency(conn, customer_id) is None:
                    return False
                add_note(conn, customer_id, kind, text, owner=session.user.username)
                record(conn, session.user.username, "note_added", "ok", reason=kind, role=session.user.role,
                       customer_id=customer_id)  # fmt: skip
            return True

        if not await run_in_threadpool(write):
            return page(request, "message.html", 404, session, title="No such customer",
                        message=f"The store has no customer {customer_id!r}.")  # fmt: skip
        return RedirectResponse(f"{back}#notes", status_code=303)

    @router.get("/cashapp")
    def cashapp(request: Request, session: Annotated[sessions.Session, guard("cashapp.view")]) -> Response:
        rows = cashapp_exceptions(holder.get())
        return page(request, "cashapp.html", session=session, rows=rows, error=None,
                    done=request.query_params.get("done"))  # fmt: skip

    @router.post("/cashapp/{payment_id}")
    async def cashapp_decide(payment_id: str, request: Request,
                             session: Annotated[sessions.Session, guard("cashapp.decide")]) -> Response:  # fmt: skip
        form = await request.form()
        action, user = str(form.get("action") or ""), session.user.username
        try:
            allocations = _allocations(str(form.get("invoices") or "")) if action == "apply" else None
            if action == "reject":
                await run_in_threadpool(reject_payment, holder.get(), payment_id, user)
            elif action in ("confirm", "apply"):
                await run_in_threadpool(confirm_payment, holder.get(), payment_id, user, allocations)
            else:
                raise CashappError(f"unknown action {action!r}")
        except CashappError as exc:
            rows = await run_in_threadpool(cashapp_exceptions, holder.get())
            return page(request, "cashapp.html", 400, session, rows=rows, error=str(exc), done=None)
        await run_in_threadpool(audit, user, f"cashapp_{action}", "ok", payment_id, session.user.role)
        return RedirectResponse(f"/cashapp?done={quote(payment_id, safe='')}", status_code=303)

    @router.get("/approvals")
    def approvals(request: Request, session: Annotated[sessions.Session, guard("approvals.view")]) -> Response:
        listing = _page(views.approval_rows(holder.get()), views.APPROVAL_PAGE_COLUMNS, request, "id", "asc")
        done = re.fullmatch(r"(approved|rejected)-(\d+)", request.query_params.get("done") or "")
        return page(request, "approvals.html", session=session, listing=listing,
                    done=done.groups() if done else None, error=None)  # fmt: skip

    @router.get("/approvals.csv")
    def approvals_csv(request: Request, _session: Annotated[sessions.Session, guard("approvals.export")]) -> Response:
        return _csv(views.approval_rows(holder.get()), views.APPROVAL_COLUMNS, request, "id", "approvals.csv")

    async def decide(request: Request, session: sessions.Session, request_id: int,
                     act: Callable[..., writeback.Decision], verb: str) -> Response:  # fmt: skip
        form = await request.form()
        comment = str(form.get("comment") or "").strip() or None
        user = session.user.username
        try:
            await run_in_threadpool(lambda: act(holder.get(), request_id, user, comment=comment))
        except writeback.SelfApprovalRefused as exc:
            return await _decision_error(request, session, 403, str(exc))
        except writeback.NotFound as exc:
            return await _decision_error(request, session, 404, str(exc))
        except writeback.WritebackError as exc:
            return await _decision_error(request, session, 409, str(exc))
        return RedirectResponse(f"/approvals?done={verb}-{request_id}", status_code=303)

    async def _decision_error(request: Request, session: sessions.Session, status: int, message: str) -> Response:
        rows = await run_in_threadpool(views.approval_rows, holder.get())
        listing = _page(rows, views.APPROVAL_PAGE_COLUMNS, request, "id", "asc")
        return page(request, "approvals.html", status, session, listing=listing, done=None, error=message)

    @router.post("/approvals/{request_id}/approve")
    async def approve(request: Request, request_id: int,
                      session: Annotated[sessions.Session, guard("approvals.decide")]) -> Response:  # fmt: skip
        return await decide(request, session, request_id, writeback.approve, "approved")

    @router.post("/approvals/{request_id}/reject")
    async def reject(request: Request, request_id: int,
                     session: Annotated[sessions.Session, guard("approvals.decide")]) -> Response:  # fmt: skip
        return await decide(request, session, request_id, writeback.reject, "rejected")

    app.include_router(router)


def _safe_next(target: str | None) -> str:
    """A redirect target after sign-in: a path on this site only (never //elsewhere or a full URL)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return ""
    return target


def _allocations(text: str) -> list[tuple[str, Decimal]]:
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


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def _page(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], request: Request, default: str,
          direction: str) -> Any:  # fmt: skip
    q = request.query_params
    keep = tuple((k, v) for k, v in q.items() if k not in ("sort", "dir", "page"))
    return page_of(rows, columns, sort=q.get("sort"), direction=q.get("dir", direction), page=_int(q.get("page")),
                   default=default, keep=keep)  # fmt: skip


def _csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], request: Request, default: str,
         filename: str) -> Response:  # fmt: skip
    q = request.query_params
    ordered, _key, _desc = sorted_rows(rows, columns, q.get("sort"), q.get("dir", "desc"), default)
    return Response(csv_text(ordered, columns), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})  # fmt: skip

