"""Requesting a credit-limit or hold change from the workspace: what `creditbridge limits set|hold|release` does.

The ERP's profile is read now through the connection's adapter, the change is requested against it
(`writeback.request_profile_change`), and the write-back policy decides: a change that needs a
second person waits in Approvals, any other is queued for the next push. Shared by the customer
page and the JSON API; failures come back as an `ActionError` with the HTTP status.
"""

from __future__ import annotations

from decimal import Decimal

from creditbridge.core.money import MoneyError, parse_decimal
from creditbridge.core.ports import ErpError
from creditbridge.core.writeback import WritebackPolicy
from creditbridge.sync import writeback
from creditbridge.sync.config import ConfigError
from creditbridge.sync.logs import job_run
from creditbridge.sync.web.actions import ActionError
from creditbridge.sync.web.conflict_pages import profile_reader
from creditbridge.sync.web.context import Workspace
from creditbridge.sync.writeback.requests import KEEP

CHANGES = ("limit", "hold", "release")
MAX_REASON = 500


def request_limit_change(ws: Workspace, customer_id: str, change: str, limit: str | None, reason: str | None,
                         actor: str, currency: str | None = None) -> writeback.RequestResult:  # fmt: skip
    """Request a new limit (`limit`: an amount or "none"), a hold or its release for `customer_id`."""
    connection = ws.source
    if connection is None:
        count = len(ws.config.connections)
        raise ActionError(409, "Limit and hold changes go to one ERP: the server's configuration names "
                               f"{count} connections, so use `creditbridge limits` there.")  # fmt: skip
    why = (reason or "").strip()
    if not why or len(why) > MAX_REASON:
        raise ActionError(400, f"Reason: say why, in 1 to {MAX_REASON} characters (it goes with the request).")
    if change not in CHANGES:
        raise ActionError(400, f"Change: one of {', '.join(CHANGES)}.")
    credit_limit = _limit(limit) if change == "limit" else KEEP
    on_hold = (change == "hold") if change != "limit" else KEEP
    erp = next((c.erp for c in ws.config.connections if c.name == connection), None)
    policy = WritebackPolicy(**ws.config.policy.model_dump())
    try:
        with job_run("request", connection=connection) as run_id:
            return writeback.request_profile_change(
                ws.store, connection, profile_reader(ws, connection), customer_id, policy, requested_by=actor,
                reason=why, erp=erp, run_id=run_id, currency=currency.upper() if currency else None,
                credit_limit=credit_limit, on_hold=on_hold,
            )  # fmt: skip
    except writeback.UnknownCustomer as exc:
        raise ActionError(404, str(exc)) from None
    except writeback.MissingCurrency as exc:
        raise ActionError(400, f"Currency: {exc}") from None
    except writeback.WritebackError as exc:
        raise ActionError(409, str(exc)) from None
    except ConfigError as exc:
        raise ActionError(409, f"The connection's ERP is not configured here: {exc}") from None
    except ErpError as exc:
        raise ActionError(502, f"The ERP could not be read, nothing was requested: {exc}. Try again later.") from None


def _limit(text: str | None) -> Decimal | None:
    """An amount, or "none" for no limit at all."""
    value = (text or "").strip()
    if value.lower() == "none":
        return None
    try:
        amount = parse_decimal(value)
    except MoneyError:
        raise ActionError(400, f"Limit: {value!r} is not an amount (or 'none' for no limit).") from None
    if amount < 0:
        raise ActionError(400, "Limit: must not be negative.")
    return amount
