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
404 no such customer or connection; 503 the store is unavailable.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import simplejson
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from creditbridge.core.credit import CreditCheckError, UnknownCustomer, check_order_in
from creditbridge.core.credit.policy import Policy
from creditbridge.core.money import MoneyError, parse_decimal
from creditbridge.sync.config import Config
from creditbridge.sync.store import StoreError

if TYPE_CHECKING:
    from creditbridge.sync.service.app import StoreHolder


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def credit_router(config: Config, holder: StoreHolder, policy: Policy | None = None) -> APIRouter:
    """The `/credit/check` route on the store of `holder`, connections of `config`, thresholds of `policy`.

    Each check reads only the customer (and its group) with the store's indexed narrow read, and is
    kept as a credit decision (kind `order_check`) with that view and the policy's version.
    """
    from creditbridge.mappings.credit_policy import policy_from_environment
    from creditbridge.sync.credit_decisions import record_order_check
    from creditbridge.sync.writeback.transactions import write_transaction

    router = APIRouter()
    rules = policy or policy_from_environment(None)
    thresholds = rules.order_check

    @router.post("/credit/check")
    async def credit_check(request: Request) -> Response:
        try:
            body = _parse(await request.body())
            source = _source(config, body.get("connection"))
            customer_id, amount, currency, as_of = _fields(body)
        except _BadRequest as exc:
            return _json({"error": str(exc)}, exc.status)

        def check() -> dict[str, Any]:
            store = holder.get()
            view = store.exposure_view(customer_id, as_of, source, thresholds.group_exposure)
            if view is None:
                raise UnknownCustomer(f"no customer {customer_id!r} in the store")
            decision = check_order_in(view, customer_id, amount, currency, as_of, thresholds)
            with write_transaction(store.engine) as conn:
                kept = record_order_check(conn, rules, view, decision, amount, currency,
                                          decided_by="POST /credit/check", source=source)  # fmt: skip
            return {**decision.as_dict(), "decision_id": kept}

        try:
            answer = await run_in_threadpool(check)
        except UnknownCustomer as exc:
            return _json({"error": str(exc)}, 404)
        except CreditCheckError as exc:
            return _json({"error": str(exc)}, 400)
        except StoreError:
            return _json({"error": "the store is unavailable"}, 503)
        return _json(answer, 200)

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


def _json(content: dict[str, Any], status: int) -> Response:
    return Response(simplejson.dumps(content, use_decimal=True), status_code=status, media_type="application/json")
