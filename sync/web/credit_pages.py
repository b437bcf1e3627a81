"""Credit applications and stored credit decisions: the form that runs `credit apply`, the list, one decision.

`POST /credit/apply` decides exactly as `creditbridge credit apply FILE` does
(`credit_applications.assess_application` then `store_application`, under the policy `serve` runs
with) and keeps the decision with the signed-in user as its decider, audited in the same commit.
A decision's page replays it as `credit decisions show` does (`credit_decisions.replayed`).
(`/credit/check` is the JSON order check of systems; these pages live beside it.)
"""

import json
import threading
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from creditbridge.core.credit.application import ApplicationError
from creditbridge.sync.credit_applications import (
    UnknownApplicant,
    assess_application,
    customer_exists,
)
from creditbridge.sync.credit_decisions import StoredDecision, get_decision, list_decisions, plain_json, replayed
from creditbridge.sync.store.credit_tables import credit_decisions
from creditbridge.sync.web import actions, application_form, sessions
from creditbridge.sync.web.context import Workspace, export, listing
from creditbridge.sync.web.listing import Column

DECISION_COLUMNS = (
    Column("id", "Decision", numeric=True),
    Column("decided_at", "Decided (UTC)"),
    Column("kind", "Kind"),
    Column("customer", "Customer or applicant"),
    Column("decision", "Decision"),
    Column("score", "Score", numeric=True),
    Column("risk_class", "Risk class"),
    Column("recommended_limit", "Limit", numeric=True),
    Column("currency", "Currency"),
    Column("decided_by", "Decided by"),
)


def decision_rows(decisions: list[StoredDecision]) -> list[Mapping[str, Any]]:
    return [
        {
            "id": d.id,
            "decided_at": d.decided_at.strftime("%Y-%m-%d %H:%M"),
            "kind": d.kind,
            "customer": d.customer_id or d.applicant or "",
            "decision": d.decision,
            "score": _number(d.score),
            "risk_class": d.risk_class,
            "recommended_limit": _number(d.recommended_limit),
            "currency": d.currency,
            "decided_by": d.decided_by,
        }
        for d in decisions
    ]


class DecisionRows:
    """The list's rows of each kind, kept between requests; a new decision reads only the new rows.

    Decisions are only ever inserted (`record_decision`), so the highest id and the count of the
    table say what changed, at the cost of one query: rows after the kept highest id are added to
    the kept ones; anything else (a count that does not add up) reads the whole list again. At tens
    of thousands of decisions, reading and converting every row is most of a page's time.
    """

    def __init__(self) -> None:
        self._kept: dict[str | None, tuple[int, int, list[Mapping[str, Any]]]] = {}
        self._lock = threading.Lock()

    def rows(self, engine: sa.Engine, kind: str | None) -> list[Mapping[str, Any]]:
        with engine.connect() as conn:
            top, count = conn.execute(sa.select(sa.func.max(credit_decisions.c.id), sa.func.count())).one()
        top, count = int(top or 0), int(count)
        with self._lock:
            kept = self._kept.get(kind)
        if kept is not None and (kept[0], kept[1]) == (top, count):
            return kept[2]
        rows: list[Mapping[str, Any]] | None = None
        if kept is not None and top > kept[0] and count - kept[1] == self._count_between(engine, kept[0], top):
            added = list_decisions(engine, kind=kind, limit=None, bodies=False, after_id=kept[0])
            rows = decision_rows([d for d in added if d.id <= top]) + kept[2]
        if rows is None:  # the first time, or not only inserts since: all of it (up to the version read above)
            whole = list_decisions(engine, kind=kind, limit=None, bodies=False)
            rows = decision_rows([d for d in whole if d.id <= top])
        with self._lock:
            self._kept[kind] = (top, count, rows)
        return rows

    @staticmethod
    def _count_between(engine: sa.Engine, after_id: int, up_to: int) -> int:
        """Decisions of any kind in (after_id, up_to]: the table's count must have grown by exactly these."""
        query = sa.select(sa.func.count()).where(credit_decisions.c.id > after_id, credit_decisions.c.id <= up_to)
        with engine.connect() as conn:
            return int(conn.execute(query).scalar_one())


def _number(text: str | None) -> Decimal | None:
    try:
        return None if text is None else Decimal(text)
    except InvalidOperation:
        return None


def _decimal(value: Any) -> Decimal | None:
    """A stored number (exact text) as a Decimal for the amount filter."""
    return None if value is None or value == "" else _number(str(value))


def router(ws: Workspace) -> APIRouter:
    routes = APIRouter(include_in_schema=False)
    ws.env.filters["decimal"] = _decimal

    def form_page(request: Request, session: sessions.Session, status: int = 200,
                  values: Mapping[str, str] | None = None, errors: Mapping[str, str] | None = None, result: Any = None,
                  decision_id: int | None = None) -> Response:  # fmt: skip
        return ws.page(request, "credit_apply.html", status, session, form=application_form, values=values or {},
                       errors=errors or {}, result=result, decision_id=decision_id,
                       policy_version=ws.credit_policy.version)  # fmt: skip

    @routes.get("/credit/apply")
    def apply_form(request: Request, session: Annotated[sessions.Session, ws.guard("credit.apply")]) -> Response:
        return form_page(request, session, values={"applicant.type": "private_manufacturer"})

    @routes.post("/credit/apply")
    async def apply(request: Request, session: Annotated[sessions.Session, ws.guard("credit.apply")]) -> Response:
        form = await request.form()
        data = application_form.application_data({k: v for k, v in form.items() if isinstance(v, str)})
        values = application_form.form_values(data)
        errors = application_form.field_errors(data)
        customer_id = data["applicant"]["customer_id"]
        if (customer_id is not None and "applicant.customer_id" not in errors
                and not await run_in_threadpool(customer_exists, ws.store.engine, customer_id)):  # fmt: skip
            errors["applicant.customer_id"] = application_form.error_message(UnknownApplicant(customer_id))
        if errors:
            return form_page(request, session, 400, values, errors)
        user = session.user
        try:
            assessed = assess_application(data, ws.credit_policy)
        except ApplicationError as exc:
            return form_page(request, session, 400, values, {exc.field: application_form.error_message(exc)})

        try:
            decision_id = await run_in_threadpool(actions.keep_application, ws.store, ws.credit_policy, assessed, data,
                                                  user.username, user.role)  # fmt: skip
        except UnknownApplicant as exc:
            return form_page(request, session, 400, values, {exc.field: application_form.error_message(exc)})
        return form_page(request, session, 200, values, result=plain_json(assessed.result), decision_id=decision_id)

    kept = DecisionRows()

    def decisions_list(request: Request) -> Sequence[Mapping[str, Any]]:
        return kept.rows(ws.store.engine, request.query_params.get("kind") or None)

    @routes.get("/credit/decisions")
    def decisions(request: Request,
                  session: Annotated[sessions.Session, ws.guard("credit.decisions.view")]) -> Response:  # fmt: skip
        rows = listing(decisions_list(request), DECISION_COLUMNS, request, "id", "desc")
        return ws.page(request, "credit_decisions.html", session=session, listing=rows,
                       kind=request.query_params.get("kind") or "")  # fmt: skip

    @routes.get("/credit/decisions.{kind}")
    def decisions_export(kind: str, request: Request,
                         _session: Annotated[sessions.Session, ws.guard("credit.decisions.view")],
                         ) -> Response:  # fmt: skip
        return export(lambda: decisions_list(request), DECISION_COLUMNS, request, "id", "credit-decisions", kind)

    @routes.get("/credit/decisions/{decision_id}")
    def decision(decision_id: str, request: Request,
                 session: Annotated[sessions.Session, ws.guard("credit.decisions.view")]) -> Response:  # fmt: skip
        found = get_decision(ws.store.engine, int(decision_id)) if decision_id.isdigit() else None
        if found is None:
            return ws.message(request, 404, session, "No such decision", f"There is no credit decision {decision_id}.")
        stored, policy_text = found
        try:
            reproduced, replay_error = replayed(stored, policy_text), None
        except Exception as exc:  # a stored decision the code of today cannot read again: say so, do not fail the page
            reproduced, replay_error = None, str(exc) or type(exc).__name__
        inputs = application_form.form_values(stored.inputs) if stored.kind == "application" else {}
        return ws.page(request, "credit_decision.html", session=session, d=stored, reproduced=reproduced,
                       replay_error=replay_error, inputs=inputs, result=stored.result,
                       inputs_json=json.dumps(stored.inputs, indent=2, ensure_ascii=False))  # fmt: skip

    return routes
