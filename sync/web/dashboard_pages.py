"""The dashboard and the customer list and 360 (with adding a note or logging a call)."""

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from creditbridge.sync.reports.ar_report import ArReport
from creditbridge.sync.reports.formats import days_text, percent_text
from creditbridge.sync.reports.html_report import trend_card
from creditbridge.sync.reports.svg_charts import BUCKET_COLOURS, aging_bar, aging_bar_labels
from creditbridge.sync.web import actions, collections_views, limit_requests, sessions, views
from creditbridge.sync.web.context import Workspace, as_of_of, export, is_date, listing
from creditbridge.sync.web.sparklines import sparkline

TREND_KPIS: tuple[tuple[str, str, Callable[[Decimal], str]], ...] = (
    ("dso", "DSO", lambda v: f"{days_text(v)} days"),
    ("countback_dso", "Countback DSO", lambda v: f"{days_text(v)} days"),
    ("best_possible_dso", "Best possible DSO", lambda v: f"{days_text(v)} days"),
    ("add", "Average days delinquent", lambda v: f"{days_text(v)} days"),
    ("cei", "CEI", percent_text),
    ("bad_debt_ratio", "Bad-debt ratio", percent_text),
)
"""The six KPIs whose 12-month trend the dashboard draws under each figure."""


def kpi_sparklines(report: ArReport, currency: str) -> dict[str, str]:
    """`spark_<kpi>` -> an SVG of the KPI at each of the report's trend points (the AR report's own trend)."""
    days = [p.as_of for p in report.trend]
    figures = [p.for_currency(currency) for p in report.trend]
    return {f"spark_{key}": sparkline([None if f is None else getattr(f, key) for f in figures], days,
                                      f"{label} in {currency}, 12 months", shown)
            for key, label, shown in TREND_KPIS}  # fmt: skip


def router(ws: Workspace) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/dashboard")
    def dashboard(request: Request, session: Annotated[sessions.Session, ws.guard("dashboard.view")]) -> Response:
        as_of = as_of_of(request)
        data = views.dashboard(ws.store, ws.source, as_of, ws.config)
        report = data.report
        currencies = report.currencies if report is not None else ()
        currency = request.query_params.get("currency")
        currency = currency if currency in currencies else (currencies[0] if currencies else None)
        charts: dict[str, Markup] = {}
        if report is not None and currency is not None:
            figures = report.company(currency)
            charts = {"aging": Markup(aging_bar(figures, "dash") + aging_bar_labels(figures)),
                      "trend": Markup(trend_card(report, currency)),
                      **{key: Markup(svg) for key, svg in kpi_sparklines(report, currency).items()}}  # fmt: skip
        return ws.page(request, "dashboard.html", session=session, as_of=as_of, data=data, currency=currency,
                       currencies=currencies, charts=charts, colours=BUCKET_COLOURS,
                       figures=report.company(currency) if report is not None and currency else None,
                       top=report.top_overdue(currency, 10) if report is not None and currency else ())  # fmt: skip

    def customers_list(request: Request) -> Sequence[Mapping[str, Any]]:
        """The KPI engine's customer rows, kept like the report they come from (`replica_cache`)."""
        return views.customer_list(ws.store, ws.source, as_of_of(request))

    @routes.get("/customers")
    def customers(request: Request, session: Annotated[sessions.Session, ws.guard("customers.view")]) -> Response:
        rows = listing(customers_list(request), views.CUSTOMER_COLUMNS, request, "past_due", "desc")
        return ws.page(request, "customers.html", session=session, listing=rows, as_of=as_of_of(request))

    @routes.get("/customers.{kind}")
    def customers_export(kind: str, request: Request,
                         _session: Annotated[sessions.Session, ws.guard("customers.export")]) -> Response:  # fmt: skip
        return export(lambda: customers_list(request), views.CUSTOMER_COLUMNS, request, "past_due", "customers", kind)

    @routes.get("/customers/{customer_id:path}")
    def customer(customer_id: str, request: Request,
                 session: Annotated[sessions.Session, ws.guard("customers.view")]) -> Response:  # fmt: skip
        as_of = as_of_of(request)
        found = views.customer_360(ws.store, ws.source, customer_id, as_of, ws.thresholds)
        if found is None:
            return ws.message(request, 404, session, "No such customer", f"The store has no customer {customer_id!r}.")
        try:
            coll = collections_views.customer_collections(ws.store, ws.config, customer_id, as_of)
        except collections_views.PolicyUnreadable:
            coll = None
        requested = request.query_params.get("requested")
        return ws.page(request, "customer.html", session=session, c=found, as_of=as_of, coll=coll,
                       requested=requested if requested in ("approval", "queued", "nothing") else None)  # fmt: skip

    @routes.post("/customers/{customer_id:path}/notes")
    async def add_customer_note(
        customer_id: str, request: Request, session: Annotated[sessions.Session, ws.guard("customers.note")]
    ) -> Response:
        form = await request.form()
        kind, text = str(form.get("kind") or ""), str(form.get("text") or "")
        as_of = str(form.get("as_of") or "")
        back = f"/customers/{quote(customer_id, safe='')}" + (f"?as_of={as_of}" if is_date(as_of) else "")
        try:
            await run_in_threadpool(actions.add_customer_note, ws.store, customer_id, kind, text,
                                    session.user.username, session.user.role)  # fmt: skip
        except actions.ActionError as exc:
            title = "No such customer" if exc.status == 404 else "Note not added"
            return ws.message(request, exc.status, session, title, str(exc))
        return RedirectResponse(f"{back}#notes", status_code=303)

    @routes.post("/customers/{customer_id:path}/limit-request")
    async def request_limit_change(
        customer_id: str, request: Request, session: Annotated[sessions.Session, ws.guard("limits.request")]
    ) -> Response:
        """`creditbridge limits set|hold|release`: needs a second person (Approvals) or goes with the next push."""
        form = await request.form()
        as_of = str(form.get("as_of") or "")
        back = f"/customers/{quote(customer_id, safe='')}" + (f"?as_of={as_of}" if is_date(as_of) else "")
        try:
            result = await run_in_threadpool(
                limit_requests.request_limit_change, ws, customer_id, str(form.get("change") or ""),
                str(form.get("limit") or ""), str(form.get("reason") or ""), session.user.username,
                str(form.get("currency") or "") or None,
            )  # fmt: skip
        except actions.ActionError as exc:
            return ws.message(request, exc.status, session, "Change not requested", str(exc))
        outcome = "approval" if result.request is not None and result.outbox_row is None else (
            "queued" if result.outbox_row is not None else "nothing")  # fmt: skip
        return RedirectResponse(f"{back}{'&' if '?' in back else '?'}requested={outcome}#changes", status_code=303)

    return routes
