"""A credit application decided and kept: what `creditbridge credit apply` and the web form both run.

Why a module of its own: the command reads a file and the page reads a form, but both must parse,
score, refuse an unknown customer and store the decision the same way (core.credit.application
decides; this keeps it). `store_application` writes in the caller's transaction, so the page can
add its audit line to the same commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from creditbridge.core.credit.application import Application, ApplicationError, assess, parse_application
from creditbridge.core.credit.policy import Policy
from creditbridge.sync.credit_decisions import record_decision
from creditbridge.sync.store import schema


class UnknownApplicant(ApplicationError):
    """The application names a customer the store does not have (a new applicant leaves it empty)."""

    def __init__(self, customer_id: str) -> None:
        super().__init__("applicant.customer_id", f"no customer {customer_id!r} in the store "
                         "(leave it null for a new applicant)")  # fmt: skip
        self.customer_id = customer_id


@dataclass(frozen=True, slots=True)
class Assessed:
    application: Application
    result: dict[str, Any]
    """`Assessment.as_dict()`: altman, score and its components, risk class, pd band, limit methods,
    recommended limit, decision and reasons."""


def assess_application(data: Any, policy: Policy) -> Assessed:
    """Parse and decide `data` (a plain dict, as a JSON or YAML file reads); `ApplicationError` names the field."""
    application = parse_application(data)
    return Assessed(application, assess(application, policy).as_dict())


def store_application(conn: sa.Connection, policy: Policy, assessed: Assessed, data: Any, *, decided_by: str,
                      as_of: date) -> int:  # fmt: skip
    """Keep the decision with its inputs and policy in `conn`'s transaction; `UnknownApplicant` stores nothing."""
    application, result = assessed.application, assessed.result
    if application.customer_id is not None and not _customer_exists(conn, application.customer_id):
        raise UnknownApplicant(application.customer_id)
    return record_decision(
        conn, policy, kind="application", decided_by=decided_by, decision=result["decision"], as_of=as_of,
        inputs=data, result=result, customer_id=application.customer_id, applicant=application.name,
        score=result["score"], risk_class=result["risk_class"],
        recommended_limit=result["recommended_limit"]["amount"], currency=application.requested_limit.currency,
    )  # fmt: skip


def customer_exists(engine: sa.Engine, customer_id: str) -> bool:
    """Whether the store has `customer_id` (the form asks before deciding, to name every bad field at once)."""
    with engine.connect() as conn:
        return _customer_exists(conn, customer_id)


def _customer_exists(conn: sa.Connection, customer_id: str) -> bool:
    customers = schema.customers
    query = (
        sa.select(customers.c.customer_id)
        .where(customers.c.customer_id == customer_id, customers.c.valid_to.is_(None))
        .limit(1)
    )
    return conn.execute(query).first() is not None
