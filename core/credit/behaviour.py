"""Behaviour scoring of existing customers from the ledger, and the review that proposes limits and holds.

Payment index (PAYDEX-style, 0–100): every payment experience in the last `payment_index_months`
(24) months is scored by its days beyond terms on the D&B scale (feature-anchors.md §5:
100 ≈ 30 days early, 90 ≈ 20 early (discount), 80 prompt, 70 ≈ 15 days beyond, 60 ≈ 22, 50 ≈ 30,
40 ≈ 60, 30 ≈ 90, 20 ≈ 120, 0 at 180 and beyond; linear between those points) and the scores are
dollar-weighted. An experience is an application of a payment to an item (days = applied date −
due date), and an item still open and past due at the review date (days = review date − due date),
so a customer who stops paying does not keep a clean index.
Percent paid late: the share of the amount paid in the window that was paid after its due date.
DSO and ADD per customer come from the KPI engine (90-day period).

The review scores each customer on the scorecard (behaviour characteristics: payment_index,
percent_paid_late, add, dso), picks its risk class, proposes a limit (months of our sales to it,
capped by the class, rounded down) when it differs from the current one by more than
`min_change_percent`, and a hold or release by the policy's hold rules (`core.review`) or when the
class holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Any

from creditbridge.core.columns import columns_from_ledger
from creditbridge.core.credit.limits import LimitMethod, months_of_purchases, recommend
from creditbridge.core.credit.policy import Policy, RiskClass
from creditbridge.core.credit.scorecard import ScoreResult, score
from creditbridge.core.kpis.engine import compute_kpis
from creditbridge.core.model import CreditProfile, DocType, Ledger, Reason
from creditbridge.core.money import Money
from creditbridge.core.ports import ProfileValues
from creditbridge.core.review import Exposure, exposures, review_holds

_PAYDEX_POINTS: tuple[tuple[int, int], ...] = (
    (-30, 100), (-20, 90), (0, 80), (15, 70), (22, 60), (30, 50), (60, 40), (90, 30), (120, 20), (180, 0),
)  # fmt: skip
_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)


def paydex_of_days(days_beyond_terms: int) -> Decimal:
    """The index of one experience paid `days_beyond_terms` after the due date (negative: early)."""
    points = _PAYDEX_POINTS
    if days_beyond_terms <= points[0][0]:
        return Decimal(points[0][1])
    if days_beyond_terms >= points[-1][0]:
        return Decimal(points[-1][1])
    for (d0, i0), (d1, i1) in pairwise(points):
        if d0 <= days_beyond_terms <= d1:
            return Decimal(i0) + Decimal(i1 - i0) * Decimal(days_beyond_terms - d0) / Decimal(d1 - d0)
    raise AssertionError("unreachable")


@dataclass(frozen=True, slots=True)
class Behaviour:
    """The behaviour figures of one customer as of a date (None where there is nothing to measure)."""

    customer_id: str
    currency: str
    payment_index: Decimal | None
    days_beyond_terms: Decimal | None
    percent_paid_late: Decimal | None
    experiences: int
    dso: Decimal | None
    add: Decimal | None
    sales_12_months: Decimal

    def values(self) -> dict[str, Decimal | str | None]:
        return {"payment_index": self.payment_index, "percent_paid_late": self.percent_paid_late,
                "add": self.add, "dso": self.dso}  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return {
            "payment_index": _round(self.payment_index), "days_beyond_terms": _round(self.days_beyond_terms),
            "percent_paid_late": _round(self.percent_paid_late), "experiences": self.experiences,
            "dso": self.dso, "add": self.add, "sales_12_months": self.sales_12_months,
        }  # fmt: skip


def behaviour(ledger: Ledger, as_of: date, months: int = 24) -> dict[str, Behaviour]:
    """Payment index, days beyond terms, % paid late, DSO, ADD and 12-month sales of every customer."""
    start = as_of - timedelta(days=round(months * 365.25 / 12))
    year_ago = as_of - timedelta(days=365)
    currency = {c.customer_id: c.currency for c in ledger.customers}
    items = {i.item_id: i for i in ledger.items}
    weight: dict[str, Decimal] = defaultdict(Decimal)
    index_sum: dict[str, Decimal] = defaultdict(Decimal)
    days_sum: dict[str, Decimal] = defaultdict(Decimal)
    paid: dict[str, Decimal] = defaultdict(Decimal)
    paid_late: dict[str, Decimal] = defaultdict(Decimal)
    count: dict[str, int] = defaultdict(int)

    def experience(customer: str, amount: Decimal, days: int) -> None:
        weight[customer] += amount
        index_sum[customer] += amount * paydex_of_days(days)
        days_sum[customer] += amount * days
        count[customer] += 1

    for payment in ledger.payments:
        for application in payment.applications:
            item = items.get(application.item_id)
            amount = application.amount.amount
            if item is None or item.doc_type is DocType.CREDIT_MEMO or amount <= 0:
                continue
            if not (start < application.applied_on <= as_of):
                continue
            days = (application.applied_on - item.due_date).days
            experience(item.customer_id, amount, days)
            paid[item.customer_id] += amount
            if days > 0:
                paid_late[item.customer_id] += amount
    sales: dict[str, Decimal] = defaultdict(Decimal)
    for item in ledger.items:
        if item.doc_type is not DocType.CREDIT_MEMO and year_ago < item.invoice_date <= as_of:
            sales[item.customer_id] += item.amount.amount
        if item.invoice_date <= as_of and item.open_amount.amount > 0 and item.due_date < as_of:
            experience(item.customer_id, item.open_amount.amount, (as_of - item.due_date).days)
    kpis = {}
    if ledger.items:
        report = compute_kpis(columns_from_ledger(ledger), as_of, 90, by_customer=True)
        kpis = {(f.customer_id, f.currency): f for f in report.customers}
    found = {}
    for customer_id, cur in currency.items():
        w = weight[customer_id]
        figures = kpis.get((customer_id, cur))
        found[customer_id] = Behaviour(
            customer_id, cur,
            index_sum[customer_id] / w if w else None,
            days_sum[customer_id] / w if w else None,
            paid_late[customer_id] * _HUNDRED / paid[customer_id] if paid[customer_id] else None,
            count[customer_id],
            None if figures is None else figures.dso,
            None if figures is None else figures.add,
            sales[customer_id],
        )  # fmt: skip
    return found


@dataclass(frozen=True, slots=True)
class ReviewProposal:
    """What the review of one customer proposes: its score and class, the limit and hold wanted, and why."""

    customer_id: str
    currency: str
    behaviour: Behaviour
    score: ScoreResult
    risk_class: str
    pd_band: str
    current: ProfileValues
    wanted: ProfileValues
    methods: tuple[LimitMethod, ...]
    reasons: tuple[Reason, ...]
    exposure: Exposure

    @property
    def decision(self) -> str:
        """keep | increase_limit | decrease_limit | set_limit | hold | release, joined with + when several."""
        parts = []
        old, new = self.current.credit_limit, self.wanted.credit_limit
        if old != new:
            parts.append("set_limit" if old is None else ("increase_limit" if new is None or new > old
                                                          else "decrease_limit"))  # fmt: skip
        if self.current.on_hold != self.wanted.on_hold:
            parts.append("hold" if self.wanted.on_hold else "release")
        return "+".join(parts) or "keep"

    @property
    def changes(self) -> bool:
        return self.decision != "keep"

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id, "decision": self.decision, "score": self.score.score,
            "score_components": self.score.components(), "risk_class": self.risk_class, "pd_band": self.pd_band,
            "behaviour": self.behaviour.as_dict(),
            "current": _values(self.current), "proposed": _values(self.wanted),
            "limit_methods": [m.as_dict() for m in self.methods],
            "reasons": [{"rule": r.rule, "message": r.message, "figures": dict(r.figures)} for r in self.reasons],
        }  # fmt: skip


def due_for_review(
    profiles: Iterable[CreditProfile],
    policy: Policy,
    last_reviewed: Mapping[str, date],
    as_of: date,
    classes: Mapping[str, str | None] | None = None,
) -> list[str]:
    """Customers whose last review is older than their risk class's cadence (never reviewed: due).

    The class is the one the last review gave (`classes`), else the profile's; unknown: the shortest cadence.
    """
    due = []
    shortest = min(c.review_every_days for c in policy.risk_classes)
    for profile in profiles:
        last = last_reviewed.get(profile.customer_id)
        name = (classes or {}).get(profile.customer_id) or profile.risk_class
        found = policy.class_named(name)
        cadence = found.review_every_days if found is not None else shortest
        if last is None or (as_of - last).days >= cadence:
            due.append(profile.customer_id)
    return due


def review_customers(
    ledger: Ledger, policy: Policy, as_of: date, customer_ids: Iterable[str] | None = None
) -> tuple[ReviewProposal, ...]:
    """Re-score the customers (all, or `customer_ids`) from their behaviour and propose limits and holds."""
    wanted_ids = None if customer_ids is None else set(customer_ids)
    currency = {c.customer_id: c.currency for c in ledger.customers}
    profiles = {p.customer_id: p for p in ledger.profiles}
    chosen = [cid for cid in currency if wanted_ids is None or cid in wanted_ids]
    figures = behaviour(ledger, as_of, policy.payment_index_months)
    found_exposures = exposures(ledger, as_of)
    found = []
    for cid in chosen:
        profile = profiles.get(cid) or CreditProfile(cid, None)
        found.append(review_one(policy, profile, currency[cid], figures[cid], found_exposures[cid]))
    return tuple(found)


def review_one(
    policy: Policy, profile: CreditProfile, currency: str, seen: Behaviour, exposure: Exposure
) -> ReviewProposal:
    """The review of one customer from its figures: all it depends on, so a stored review can be replayed."""
    cid = profile.customer_id
    scored = score(policy.scorecard, seen.values())
    risk_class = policy.risk_class(scored.score)
    limit_currency = profile.credit_limit.currency if profile.credit_limit is not None else currency
    current = ProfileValues(None if profile.credit_limit is None else _tidy(profile.credit_limit.amount),
                            profile.on_hold, limit_currency)  # fmt: skip
    methods: tuple[LimitMethod, ...] = ()
    reasons: list[Reason] = [Reason(
        "behaviour_score", f"score {scored.score} (risk class {risk_class.name}, PD {risk_class.pd_band})",
        (("score", str(scored.score)), ("risk_class", risk_class.name),
         *(((k, str(_round(v))) for k, v in seen.values().items() if isinstance(v, Decimal)))),
    )]  # fmt: skip
    new_limit = current.credit_limit
    if limit_currency == currency and seen.sales_12_months > 0:
        method = months_of_purchases(policy.limits, seen.sales_12_months)
        methods = (method,)
        found = recommend(policy.limits, risk_class, methods)
        target = _kept_unless_risky(risk_class, current.credit_limit, found.recommended, reasons, currency)
        new_limit = _proposed_limit(policy, current.credit_limit, target, reasons, currency)
    elif (limit_currency == currency and current.credit_limit is not None and risk_class.max_limit is not None
          and current.credit_limit > risk_class.max_limit):  # fmt: skip
        # no sales to size a need: only the class cap applies
        new_limit = _proposed_limit(policy, current.credit_limit, risk_class.max_limit, reasons, currency)
    on_hold = current.on_hold
    hold_decision = next(iter(review_holds([profile], {cid: exposure}, policy.holds)), None)
    if hold_decision is not None:
        on_hold = hold_decision.hold
        reasons.extend(hold_decision.reasons)
    if risk_class.hold and not on_hold:
        on_hold = True  # the class holds, whatever the hold rules say
        reasons.append(Reason("risk_class_hold", f"risk class {risk_class.name} is held by the policy",
                              (("risk_class", risk_class.name),)))  # fmt: skip
    wanted = ProfileValues(new_limit, on_hold, limit_currency)
    return ReviewProposal(cid, currency, seen, scored, risk_class.name, risk_class.pd_band, current, wanted,
                          methods, tuple(reasons), exposure)  # fmt: skip


def review_inputs(proposal: ReviewProposal) -> dict[str, Any]:
    """Everything `review_one` read, exact (Decimals as text): stored with the decision to replay it."""
    seen, exposure, current = proposal.behaviour, proposal.exposure, proposal.current
    return {
        "customer_id": proposal.customer_id, "currency": proposal.currency,
        "behaviour": {name: None if value is None else str(value) for name, value in (
            ("payment_index", seen.payment_index), ("days_beyond_terms", seen.days_beyond_terms),
            ("percent_paid_late", seen.percent_paid_late), ("dso", seen.dso), ("add", seen.add),
            ("sales_12_months", seen.sales_12_months))} | {"experiences": seen.experiences},
        "exposure": {"open_ar": str(exposure.open_ar), "open_orders": str(exposure.open_orders),
                     "past_due": str(exposure.past_due), "oldest_past_due_days": exposure.oldest_past_due_days},
        "profile": {"credit_limit": None if current.credit_limit is None else str(current.credit_limit),
                    "currency": current.currency, "on_hold": current.on_hold},
    }  # fmt: skip


def replay_review(policy: Policy, inputs: Mapping[str, Any]) -> ReviewProposal:
    """`review_one` again from stored `review_inputs`."""
    cid, currency = str(inputs["customer_id"]), str(inputs["currency"])
    b, e, p = inputs["behaviour"], inputs["exposure"], inputs["profile"]

    def number(value: Any) -> Decimal | None:
        return None if value is None else Decimal(str(value))

    seen = Behaviour(cid, currency, number(b["payment_index"]), number(b["days_beyond_terms"]),
                     number(b["percent_paid_late"]), int(b["experiences"]), number(b["dso"]), number(b["add"]),
                     Decimal(str(b["sales_12_months"])))  # fmt: skip
    exposure = Exposure(cid, currency, Decimal(str(e["open_ar"])), Decimal(str(e["open_orders"])),
                        Decimal(str(e["past_due"])), int(e["oldest_past_due_days"]))  # fmt: skip
    limit = number(p["credit_limit"])
    profile = CreditProfile(cid, None if limit is None else Money(limit, str(p["currency"])), bool(p["on_hold"]))
    return review_one(policy, profile, currency, seen, exposure)


def _kept_unless_risky(
    risk_class: RiskClass, current: Decimal | None, needed: Decimal, reasons: list[Reason], currency: str
) -> Decimal:
    """The needs-based figure, except that a customer of a class the policy approves keeps a higher limit.

    Why: a needs-based limit (months of our sales) sizes what a customer buys, not how risky it is. Cutting
    the limit of a customer who pays well because it bought less lately would hold its next big order for
    nothing; decreases come from risk (a class that reviews or declines) or from the class's cap.
    """
    if current is None or needed >= current or risk_class.decision != "approve":
        return needed
    kept = current if risk_class.max_limit is None else min(current, risk_class.max_limit)
    if kept > needed:
        reasons.append(Reason(
            "limit_kept",
            f"needs-based limit {needed} {currency} is below the limit, but risk class {risk_class.name} keeps it",
            (("current", str(current)), ("needs_based", str(needed)), ("risk_class", risk_class.name)),
        ))  # fmt: skip
    return max(kept, needed)


def _proposed_limit(
    policy: Policy, current: Decimal | None, recommended: Decimal, reasons: list[Reason], currency: str
) -> Decimal | None:
    figures = (("current", "" if current is None else str(current)), ("recommended", str(recommended)))
    if current is None:
        reasons.append(Reason("limit_set", f"no credit limit: {recommended} {currency} proposed", figures))
        return recommended
    if current == 0:
        if recommended > 0:
            reasons.append(Reason("limit_change", f"limit 0 → {recommended} {currency}", figures))
            return recommended
        return current
    change = (recommended - current) * _HUNDRED / current
    if abs(change) <= policy.limits.min_change_percent:
        return current
    reasons.append(Reason(
        "limit_change",
        f"limit {current} → {recommended} {currency} ({change.quantize(_CENT, ROUND_HALF_UP)} %, "
        f"more than {policy.limits.min_change_percent} %)",
        (*figures, ("change_percent", str(change.quantize(_CENT, ROUND_HALF_UP)))),
    ))  # fmt: skip
    return recommended


def _tidy(amount: Decimal) -> Decimal:
    """An amount with cents when that loses nothing (a limit stored in units reads 5000.00, not 5000.0000)."""
    cents = amount.quantize(_CENT)
    return cents if cents == amount else amount


def _round(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(_CENT, ROUND_HALF_UP)


def _values(values: ProfileValues) -> dict[str, Any]:
    return {"credit_limit": values.credit_limit, "currency": values.currency, "on_hold": values.on_hold}
