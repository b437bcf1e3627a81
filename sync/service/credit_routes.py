"""`POST /credit/check`: the credit check of `creditbridge credit check`, over HTTP, on the store.

Request JSON: {"customer_id": "A", "amount": 1250.00, "currency"?: "USD", "as_of"?: "2026-03-31",
"connection"?: "qbo-acme"}; `amount` a JSON number or a decimal string (read as Decimal, never
float). The check reads the customer (and its group) from the store's records of the connection
(its `source`) with the indexed narrow read (`Store.exposure_view`); without "connection", the only
configured connection, or the whole store when none is configured. Thresholds: the credit policy
`creditbridge serve --policy` loaded.
Responses: 200 the decision (the same JSON as the CLI's `--format json`, with the `decision_id` it is
kept under); 400 a bad request
(not JSON, a missing or bad field, another currency, several connections and none named);
401 no API token, or an unknown or revoked one (only once the installation has a token: before
the first `creditbridge tokens add` the route is open, as it always was); 403 the token's role may
not `credit.check`; 404 no such customer or connection; 503 the store is unavailable.
The JSON API's `POST /api/v1/credit/check` runs the same `order_checker` (amounts as decimal strings).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import simplejson
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from creditbridge.core.credit import CreditCheckError, UnknownCustomer, check_order_in
from creditbridge.core.credit.policy import Policy
from creditbridge.core.money import MoneyError, parse_decimal
from creditbridge.sync.config import Config
from creditbridge.sync.store import StoreError
from creditbridge.sync.web import api_tokens, roles
from creditbridge.sync.web.auth import bearer_token

CREDIT_CHECK_ACTION = "credit.check"
_ERROR = {"content": {"application/json": {"schema": {"type": "object", "properties": {"error": {"type": "string"}}}}}}
CREDIT_CHECK_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The decision: approve, warn, review or hold, with the exposure, the limit and the reasons"},
    400: {"description": "A bad request: not JSON, a missing or bad field, another currency", **_ERROR},
    401: {"description": "No or an unknown or revoked API token (once the installation has one)", **_ERROR},
    403: {"description": "The token's role may not run credit checks", **_ERROR},
    404: {"description": "No such customer or connection", **_ERROR},
    503: {"description": "The store is unavailable", **_ERROR},
}

if TYPE_CHECKING:
    from creditbridge.sync.service.app import StoreHolder


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class CreditCheckRequest(BaseModel):
    """The body of `POST /credit/check` and `POST /api/v1/credit/check` (documents the schema; the body is
    read by `_parse` and `_fields`, so amounts are exact decimals, never floats)."""

    customer_id: str = Field(min_length=1, examples=["A"])
    amount: Decimal | str = Field(description="The order's amount: a JSON number or a decimal string",
                                  examples=["1250.00"])  # fmt: skip
    currency: str | None = Field(None, description="The order's currency; the customer's when left out",
                                 examples=["USD"])  # fmt: skip
    as_of: date | None = Field(None, description="The day to check as of (YYYY-MM-DD); today when left out")
    connection: str | None = Field(None, description="Whose records: needed when several connections are configured")


CREDIT_CHECK_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": CreditCheckRequest.model_json_schema(ref_template="#/components/schemas/{model}")}}}}  # fmt: skip
"""The request schema for the OpenAPI document of both credit-check routes."""

Checker = Callable[[bytes, str], Awaitable[tuple[int, dict[str, Any]]]]
"""(raw body, who decides) -> (status, the decision's JSON or {"error": ...})."""


def order_checker(config: Config, holder: StoreHolder, policy: Policy | None = None) -> Checker:
    """The credit check on the store of `holder`, connections of `config`, thresholds of `policy`.

    Each check reads only the customer (and its group) with the store's indexed narrow read, and is
    kept as a credit decision (kind `order_check`) with that view, the policy's version and who asked.
    """
    from creditbridge.mappings.credit_policy import policy_from_environment
    from creditbridge.sync.credit_decisions import record_order_check
    from creditbridge.sync.writeback.transactions import write_transaction

    rules = policy or policy_from_environment(None)
    thresholds = rules.order_check

    async def run(raw: bytes, decided_by: str) -> tuple[int, dict[str, Any]]:
        try:
            body = _parse(raw)
            source = _source(config, body.get("connection"))
            customer_id, amount, currency, as_of = _fields(body)
        except _BadRequest as exc:
            return exc.status, {"error": str(exc)}

        def check() -> dict[str, Any]:
            store = holder.get()
            view = store.exposure_view(customer_id, as_of, source, thresholds.group_exposure)
            if view is None:
                raise UnknownCustomer(f"no customer {customer_id!r} in the store")
            decision = check_order_in(view, customer_id, amount, currency, as_of, thresholds)
            with write_transaction(store.engine) as conn:
                kept = record_order_check(conn, rules, view, decision, amount, currency,
                                          decided_by=decided_by, source=source)  # fmt: skip
            return {**decision.as_dict(), "decision_id": kept}

        try:
            return 200, await run_in_threadpool(check)
        except UnknownCustomer as exc:
            return 404, {"error": str(exc)}
        except CreditCheckError as exc:
            return 400, {"error": str(exc)}
        except StoreError:
            return 503, {"error": "the store is unavailable"}

    return run


def credit_router(holder: StoreHolder, run: Checker) -> APIRouter:
    """The `/credit/check` route (see the module's docstring); `run` (`order_checker`) does the check.

    Who may call: anyone while the installation has no API token (as before tokens existed); once
    one was added (`creditbridge tokens add`), only a live token whose role may `credit.check`.
    """
    router = APIRouter()

    @router.post("/credit/check", summary="Order-time credit check (the original route)",
                 openapi_extra=CREDIT_CHECK_BODY, responses=CREDIT_CHECK_RESPONSES)  # fmt: skip
    async def credit_check(request: Request) -> Response:
        """The decision as `creditbridge credit check --format json` prints it, amounts as JSON numbers.

        Needs `Authorization: Bearer <token>` once the installation has an API token.
        """
        try:
            engine = await run_in_threadpool(lambda: holder.get().engine)
        except StoreError:
            return _json({"error": "the store is unavailable"}, 503)
        token = bearer_token(request)
        if token is not None or "authorization" in request.headers:
            found = await run_in_threadpool(api_tokens.find, engine, token)
            if found is None:
                return _json({"error": "the API token is unknown or revoked"}, 401, challenge=True)
            if not roles.allowed(found.role, CREDIT_CHECK_ACTION):
                return _json({"error": f"the token's role ({found.role}) may not do this ({CREDIT_CHECK_ACTION})"}, 403)
            decided_by = found.actor
        elif await run_in_threadpool(api_tokens.any_tokens, engine):
            return _json({"error": "send an API token as 'Authorization: Bearer <token>'"}, 401, challenge=True)
        else:
            decided_by = "POST /credit/check"
        status, answer = await run(await request.body(), decided_by)
        return _json(answer, status)

    return router


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw, parse_float=Decimal)
    except ValueError:
        raise _BadRequest(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise _BadRequest(400, "the body must be a JSON object")
    return body


def _source(config: Config, connection: Any) -> str | None:
    names = [c.name for c in config.connections]
    if connection is None:
        if len(names) > 1:
            raise _BadRequest(400, f'several connections ({", ".join(names)}): name one in "connection"')
        return names[0] if names else None
    if not isinstance(connection, str) or connection not in names:
        raise _BadRequest(404, f"no connection {connection!r}")
    return connection


def _fields(body: dict[str, Any]) -> tuple[str, Decimal, str | None, date]:
    customer_id = body.get("customer_id")
    if not isinstance(customer_id, str) or not customer_id:
        raise _BadRequest(400, '"customer_id" must be a non-empty string')
    raw_amount = body.get("amount")
    if isinstance(raw_amount, bool) or not isinstance(raw_amount, int | Decimal | str):
        raise _BadRequest(400, '"amount" must be a number or a decimal string')
    try:
        amount = raw_amount if isinstance(raw_amount, Decimal) else parse_decimal(str(raw_amount))
    except MoneyError:
        raise _BadRequest(400, f'"amount" {raw_amount!r} is not a decimal number') from None
    if not amount.is_finite():
        raise _BadRequest(400, '"amount" must be finite')
    currency = body.get("currency")
    if currency is not None and not isinstance(currency, str):
        raise _BadRequest(400, '"currency" must be a string like "USD"')
    as_of_text = body.get("as_of")
    if as_of_text is None:
        as_of = date.today()
    else:
        try:
            as_of = date.fromisoformat(str(as_of_text))
        except ValueError:
            raise _BadRequest(400, f'"as_of" {as_of_text!r} is not a date (YYYY-MM-DD)') from None
    return customer_id, amount, currency, as_of


def _json(content: dict[str, Any], status: int, *, challenge: bool = False) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if challenge else None
    return Response(simplejson.dumps(content, use_decimal=True), status_code=status, media_type="application/json",
                    headers=headers)  # fmt: skip
