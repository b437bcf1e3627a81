"""Storing credit decisions (applications, reviews, store-mode order checks) with inputs and policy; reading them.

Why one insert with the policy: a decision row names its policy by version and the policy's text
is kept once in `credit_policies`, so `creditbridge credit decisions show ID` can replay it.
Everything is written in the caller's transaction when one is given (a review's decision and its
change request commit together), else in its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from creditbridge.core.credit.order_check import ExposureView, OrderDecision
from creditbridge.core.credit.policy import Policy
from creditbridge.sync.store.credit_tables import credit_decisions, credit_policies
from creditbridge.sync.writeback.records import to_db_time, utc_now


@dataclass(frozen=True, slots=True)
class StoredDecision:
    id: int
    kind: str
    source: str | None
    customer_id: str | None
    applicant: str | None
    decided_at: datetime
    as_of: date
    decided_by: str
    decision: str
    score: str | None
    risk_class: str | None
    recommended_limit: str | None
    currency: str | None
    policy_version: str
    inputs: Any
    result: Any
    request_id: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "source": self.source, "customer_id": self.customer_id,
            "applicant": self.applicant, "decided_at": self.decided_at.isoformat(), "as_of": self.as_of.isoformat(),
            "decided_by": self.decided_by, "decision": self.decision, "score": self.score,
            "risk_class": self.risk_class, "recommended_limit": self.recommended_limit, "currency": self.currency,
            "policy_version": self.policy_version, "request_id": self.request_id,
            "inputs": self.inputs, "result": self.result,
        }  # fmt: skip


def plain_json(value: Any) -> Any:
    """`value` with Decimals as strings and dates as ISO text, for a JSON column (exact, never float)."""
    return json.loads(json.dumps(value, default=_default))


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def record_decision(
    conn: sa.Connection,
    policy: Policy,
    *,
    kind: str,
    decided_by: str,
    decision: str,
    as_of: date,
    inputs: Mapping[str, Any],
    result: Mapping[str, Any],
    source: str | None = None,
    customer_id: str | None = None,
    applicant: str | None = None,
    score: Decimal | None = None,
    risk_class: str | None = None,
    recommended_limit: Decimal | None = None,
    currency: str | None = None,
    request_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Insert one decision (and its policy's text, once) in `conn`'s transaction; returns its id."""
    at = to_db_time(now or utc_now())
    known = conn.execute(sa.select(credit_policies.c.version).where(credit_policies.c.version == policy.version))
    if known.first() is None:
        conn.execute(credit_policies.insert().values(version=policy.version, content=policy.text, first_used_at=at))
    row = conn.execute(credit_decisions.insert().values(
        kind=kind, source=source, customer_id=customer_id, applicant=applicant, decided_at=at, as_of=as_of,
        decided_by=decided_by, decision=decision, score=None if score is None else str(score),
        risk_class=risk_class, recommended_limit=None if recommended_limit is None else str(recommended_limit),
        currency=currency, policy_version=policy.version, inputs=plain_json(inputs), result=plain_json(result),
        request_id=request_id,
    ))  # fmt: skip
    key = row.inserted_primary_key
    assert key is not None
    return int(key[0])


def list_decisions(
    engine: sa.Engine, *, customer_id: str | None = None, kind: str | None = None, limit: int | None = 100,
    bodies: bool = True, after_id: int | None = None,
) -> list[StoredDecision]:  # fmt: skip
    """Decisions, newest first, optionally of one customer or kind, or only those after `after_id`; without
    `bodies`, inputs and result are None (a list of tens of thousands need not parse every one's JSON)."""
    shown = [c for c in credit_decisions.c if bodies or c.name not in ("inputs", "result")]
    query = sa.select(*shown).order_by(credit_decisions.c.id.desc())
    if after_id is not None:
        query = query.where(credit_decisions.c.id > after_id)
    if customer_id is not None:
        query = query.where(credit_decisions.c.customer_id == customer_id)
    if kind is not None:
        query = query.where(credit_decisions.c.kind == kind)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        return [_stored(row._mapping) for row in conn.execute(query)]


def get_decision(engine: sa.Engine, decision_id: int) -> tuple[StoredDecision, str] | None:
    """One decision and the text of the policy that made it."""
    query = sa.select(credit_decisions, credit_policies.c.content).join(
        credit_policies, credit_policies.c.version == credit_decisions.c.policy_version
    ).where(credit_decisions.c.id == decision_id)
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else (_stored(row._mapping), str(row.content))


def replayed(decision: StoredDecision, policy_text: str) -> bool | None:
    """Whether deciding again from the stored inputs under the stored policy gives the stored result.

    `credit decisions show` and the web decision page both ask this; None for a kind with no replay.
    The stored inputs keep every number as text: exact, and the parsers read text as Decimal.
    """
    from creditbridge.mappings.credit_policy import parse_policy

    if decision.kind == "application":
        from creditbridge.core.credit.application import assess, parse_application

        again = assess(parse_application(decision.inputs), parse_policy(policy_text)).as_dict()
        stored = {k: v for k, v in decision.result.items() if k != "decision_id"}
        return bool(plain_json(again) == stored)
    if decision.kind == "review":
        from creditbridge.core.credit.behaviour import replay_review

        review = replay_review(parse_policy(policy_text), decision.inputs)
        stored = {k: v for k, v in decision.result.items() if k != "note"}
        return bool(plain_json(review.as_dict()) == stored)
    if decision.kind == "order_check":
        from creditbridge.core.credit.order_record import replay_order_check

        checked = replay_order_check(parse_policy(policy_text).order_check, decision.inputs)
        return bool(plain_json(checked.as_dict()) == decision.result)
    return None


@dataclass(frozen=True, slots=True)
class LastReview:
    as_of: date
    risk_class: str | None


def last_reviewed(engine: sa.Engine, source: str | None) -> dict[str, LastReview]:
    """Each customer's latest review decision (of `source`): its date and the risk class it gave."""
    latest = sa.select(sa.func.max(credit_decisions.c.id)).where(
        credit_decisions.c.kind == "review", credit_decisions.c.customer_id.is_not(None)
    )
    if source is not None:
        latest = latest.where(credit_decisions.c.source == source)
    query = sa.select(credit_decisions.c.customer_id, credit_decisions.c.as_of, credit_decisions.c.risk_class).where(
        credit_decisions.c.id.in_(latest.group_by(credit_decisions.c.customer_id))
    )
    with engine.connect() as conn:
        return {str(cid): LastReview(_as_date(day), risk) for cid, day, risk in conn.execute(query)}


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _stored(row: sa.RowMapping) -> StoredDecision:
    return StoredDecision(
        id=int(row["id"]), kind=row["kind"], source=row["source"], customer_id=row["customer_id"],
        applicant=row["applicant"], decided_at=row["decided_at"], as_of=_as_date(row["as_of"]),
        decided_by=row["decided_by"], decision=row["decision"], score=row["score"], risk_class=row["risk_class"],
        recommended_limit=row["recommended_limit"], currency=row["currency"], policy_version=row["policy_version"],
        inputs=row.get("inputs"), result=row.get("result"), request_id=row["request_id"],
    )  # fmt: skip


def record_order_check(
    conn: sa.Connection, policy: Policy, view: ExposureView, decision: OrderDecision, amount: Decimal,
    currency: str | None, *, decided_by: str, source: str | None,
) -> int:  # fmt: skip
    """Keep an order check with the view it looked at (replayable by `credit decisions show`); returns its id."""
    from creditbridge.core.credit.order_record import order_check_inputs

    limit = decision.credit_limit
    return record_decision(
        conn, policy, kind="order_check", decided_by=decided_by, decision=decision.decision, as_of=decision.as_of,
        inputs=order_check_inputs(view, decision, amount, currency), result=decision.as_dict(), source=source,
        customer_id=decision.customer_id, recommended_limit=None if limit is None else limit.amount,
        currency=decision.exposure.currency,
    )  # fmt: skip
