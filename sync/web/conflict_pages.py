"""Write-back conflicts and stopped outbox rows: the ERP's value, ours and what we last knew; keep one, or retry.

The decisions are `writeback.resolve` and `writeback.retry`, the functions of `creditbridge conflicts
resolve` and `creditbridge outbox retry`: each writes the row, its history and its audit row (with the
user) in one transaction. Keeping ours reads the ERP's values now through the connection's adapter,
as the CLI does, so the new change request is made against what the ERP has (four eyes may apply again).
"""

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from creditbridge.core.ports import CreditProfileReader, ErpError, ProfileValues
from creditbridge.core.writeback import WritebackPolicy
from creditbridge.sync import writeback
from creditbridge.sync.composition import adapter_for
from creditbridge.sync.config import ConfigError
from creditbridge.sync.logs import job_run
from creditbridge.sync.reports.formats import amount_text
from creditbridge.sync.store import Store
from creditbridge.sync.web import sessions
from creditbridge.sync.web.context import Workspace, export, listing
from creditbridge.sync.web.listing import Column
from creditbridge.sync.writeback import OutboxRow, OutboxStatus
from creditbridge.sync.writeback.requests import customer_facts

STATES = ("open", "all")
"""`open`: what needs a person (unresolved conflicts, FAILED rows); `all`: also resolved conflicts and ERP refusals."""

PAGE_COLUMNS = (
    Column("ref", "Outbox row"),
    Column("customer_id", "Customer"),
    Column("customer_name", "Name"),
    Column("state", "State"),
    Column("fields", "Field"),
    Column("erp_now", "The ERP has"),
    Column("ours", "We want (ours)"),
    Column("last_known", "We last knew"),
    Column("when", "Stopped at (UTC)"),
    Column("error", "Error / resolution"),
)
COLUMNS = (
    Column("id", "Outbox row"),
    Column("connection", "Connection"),
    Column("customer_id", "Customer"),
    Column("customer_name", "Name"),
    Column("request_id", "Request", numeric=True),
    *PAGE_COLUMNS[3:],
    Column("attempts", "Attempts", numeric=True),
)
"""The export has these (the page shows PAGE_COLUMNS)."""

DONE = {"erp": "the ERP's values are kept; the change request is closed.",
        "ours": "our values are requested again against the ERP's values now: the new change goes out with the next "
                "push, or waits in Approvals when the policy needs a second person.",
        "retried": "back in the queue with its attempts reset: it goes out with the next push."}  # fmt: skip


def _limit(values: ProfileValues) -> str:
    if values.credit_limit is None:
        return "no limit"
    return f"{amount_text(values.credit_limit, values.currency)} {values.currency}"


def _hold(values: ProfileValues) -> str:
    return "on hold" if values.on_hold else "not on hold"


def _fields(row: OutboxRow) -> list[str]:
    """The fields the ERP, we and our last reading disagree on (credit limit, hold)."""
    seen = [v for v in (row.expected, row.wanted, row.erp_values) if v is not None]
    found = [name for name, part in (("credit limit", _limit), ("hold", _hold)) if len({part(v) for v in seen}) > 1]
    return found or ["credit limit", "hold"]


def _values(values: ProfileValues | None, fields: Sequence[str]) -> str | None:
    if values is None:
        return None
    return "; ".join(_limit(values) if f == "credit limit" else _hold(values) for f in fields)


def _state(row: OutboxRow) -> str:
    if row.status is OutboxStatus.CONFLICT:
        return "conflict" if row.resolution is None else "resolved"
    return "stopped" if row.status is OutboxStatus.FAILED else "refused by the ERP"


def conflict_rows(store: Store, state: str) -> list[Mapping[str, Any]]:
    """Unresolved conflicts and FAILED rows (with `state="all"`: resolved conflicts and refusals too)."""
    statuses: tuple[OutboxStatus, ...] = (OutboxStatus.CONFLICT, OutboxStatus.FAILED)
    if state == "all":
        statuses += (OutboxStatus.REJECTED,)
    rows = [r for r in writeback.list_rows(store.engine, None, statuses)
            if state == "all" or r.status is not OutboxStatus.CONFLICT or r.resolution is None]  # fmt: skip
    names: dict[tuple[str, str], str | None] = {}
    for connection in {r.connection for r in rows}:
        facts = customer_facts(store.engine, connection, [r.customer_id for r in rows if r.connection == connection])
        names.update({(connection, c): f.name for c, f in facts.items()})
    found: list[Mapping[str, Any]] = []
    for r in rows:
        fields = _fields(r)
        kept = "the ERP's" if r.resolution == "erp" else "ours"
        resolution = f"kept {kept} ({r.resolved_by})" if r.resolution else None
        found.append({
            "id": r.id, "ref": r.id[:8], "connection": r.connection, "customer_id": r.customer_id,
            "customer_name": names.get((r.connection, r.customer_id)), "request_id": r.request_id,
            "state": _state(r), "fields": ", ".join(fields), "erp_now": _values(r.erp_values, fields),
            "ours": _values(r.wanted, fields), "last_known": _values(r.expected, fields),
            "when": r.updated_at.strftime("%Y-%m-%d %H:%M"), "error": resolution or r.last_error,
            "attempts": r.attempts,
        })  # fmt: skip
    return found


def router(ws: Workspace) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    def state_of(request: Request) -> str:
        state = request.query_params.get("state")
        return state if state in STATES else "open"

    def show(request: Request, session: sessions.Session, status: int = 200, error: str | None = None) -> Response:
        state = state_of(request)
        rows = listing(conflict_rows(ws.store, state), PAGE_COLUMNS, request, "when", "asc")
        done = request.query_params.get("done", "").partition("-")
        return ws.page(request, "conflicts.html", status, session, listing=rows, state=state, error=error,
                       done=(done[0], done[2], DONE[done[0]]) if done[0] in DONE and done[2] else None)  # fmt: skip

    @routes.get("/conflicts")
    def conflicts(request: Request, session: Annotated[sessions.Session, ws.guard("conflicts.view")]) -> Response:
        return show(request, session)

    @routes.get("/conflicts.{kind}")
    def conflicts_export(kind: str, request: Request,
                         _session: Annotated[sessions.Session, ws.guard("conflicts.export")]) -> Response:  # fmt: skip
        return export(lambda: conflict_rows(ws.store, state_of(request)), COLUMNS, request, "when", "conflicts", kind)

    async def act(request: Request, session: sessions.Session, verb: str, action: Any) -> Response:
        try:
            row_id = await run_in_threadpool(action)
        except (writeback.WritebackError, ConfigError, ErpError) as exc:
            status, message = refusal(exc)
            return await run_in_threadpool(show, request, session, status, message)
        return RedirectResponse(f"/conflicts?done={verb}-{row_id[:8]}", status_code=303)

    @routes.post("/conflicts/{row_id}/resolve")
    async def conflicts_resolve(
        row_id: str, request: Request, session: Annotated[sessions.Session, ws.guard("conflicts.resolve")]
    ) -> Response:
        keep = str((await request.form()).get("keep") or "")
        if keep not in ("erp", "ours"):
            return await run_in_threadpool(show, request, session, 400, "Say which value to keep: the ERP's or ours.")
        return await act(request, session, keep, lambda: resolve_row(ws, row_id, keep, session.user.username))

    @routes.post("/conflicts/{row_id}/retry")
    async def conflicts_retry(
        row_id: str, request: Request, session: Annotated[sessions.Session, ws.guard("conflicts.resolve")]
    ) -> Response:
        return await act(request, session, "retried", lambda: retry_row(ws, row_id, session.user.username))

    return routes


def profile_reader(ws: Workspace, connection: str) -> CreditProfileReader:
    """The adapter of the row's connection, to read the ERP's values now (as `conflicts resolve --keep ours`)."""
    adapter = adapter_for(ws.config.connection(connection), ws.config)
    if not isinstance(adapter, CreditProfileReader):
        raise ConfigError(f"the adapter of connection {connection!r} cannot read credit profiles")
    return adapter


def resolve_row(ws: Workspace, row_id: str, keep: str, user: str) -> str:
    """Keep the ERP's value (`keep="erp"`) or ours of a conflict, as `creditbridge conflicts resolve`; the row's id.

    Shared by the page and the JSON API."""
    row = writeback.find(ws.store.engine, row_id)
    with job_run("resolve", connection=row.connection) as run_id:
        erp = next((c.erp for c in ws.config.connections if c.name == row.connection), None)
        adapter = profile_reader(ws, row.connection) if keep == "ours" else None
        policy = WritebackPolicy(**ws.config.policy.model_dump())
        writeback.resolve(ws.store, row.id, "ours" if keep == "ours" else "erp", user, adapter=adapter,
                          policy=policy, erp=erp, run_id=run_id)  # fmt: skip
    return row.id


def retry_row(ws: Workspace, row_id: str, user: str) -> str:
    """Send a stopped (FAILED) outbox row again, as `creditbridge outbox retry`; the row's id."""
    row = writeback.find(ws.store.engine, row_id)
    if row.status is not OutboxStatus.FAILED:  # a PENDING row is on its way already: nothing to retry
        raise writeback.InvalidTransition(f"outbox row {row.id[:8]} is {row.status}, not stopped: nothing to retry")
    with job_run("retry", connection=row.connection) as run_id:
        writeback.retry(ws.store.engine, row.id, user, run_id=run_id)
    return row.id


def refusal(exc: writeback.WritebackError | ConfigError | ErpError) -> tuple[int, str]:
    """The HTTP status and message of a resolve or retry that failed (nothing was changed)."""
    if isinstance(exc, writeback.NotFound):
        return 404, str(exc)
    if isinstance(exc, writeback.WritebackError):  # already resolved or retried, changed meanwhile, customer gone
        return 409, str(exc)
    if isinstance(exc, ConfigError):
        return 409, f"Keeping our values needs the connection's ERP: {exc}"
    return 502, f"The ERP could not be read, nothing was changed: {exc}. Try again later."
