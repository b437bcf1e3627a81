"""Credit applications: Altman Z, the scorecard, the risk class, the limit heuristics and a decision.

`parse_application(data)` checks a plain dict (as read from the JSON or YAML file) and raises
`ApplicationError` naming the field; `assess(application, policy)` is the decision, pure and
reproducible: the same inputs and policy give the same answer, so the stored inputs and policy
version explain it later. Decision precedence: decline > review > approve_lower > approve.
- decline: the risk class declines, or no limit at all is supported (recommended 0);
- review: the risk class asks for review, Altman's distress zone, or the requested limit is above
  the policy's `application_review_above`;
- approve_lower: the recommended limit is below the requested one;
- approve: the requested limit is within the recommended one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from creditbridge.core.credit.altman import APPLICANT_TYPES, AltmanInputError, AltmanResult, altman
from creditbridge.core.credit.limits import (
    LimitMethod,
    months_of_sales,
    recommend,
    tangible_net_worth,
    trade_reference_median,
    working_capital,
)
from creditbridge.core.credit.policy import Policy
from creditbridge.core.credit.scorecard import ScoreResult, score
from creditbridge.core.model import Reason
from creditbridge.core.money import Money, MoneyError

APPLICATION_DECISIONS: tuple[str, ...] = ("approve", "approve_lower", "review", "decline")
"""Weakest first: the strongest that applies decides."""

FINANCIAL_FIELDS: tuple[str, ...] = (
    "current_assets", "current_liabilities", "total_assets", "total_liabilities",
    "retained_earnings", "ebit", "sales", "book_equity",
)  # fmt: skip
_MAY_BE_NEGATIVE = frozenset({"retained_earnings", "ebit", "book_equity"})
"""Losses and deficits are real figures; every other financial is a balance that cannot be negative."""


class ApplicationError(ValueError):
    """The application cannot be read; `field` is the dotted path of the culprit (e.g. financials.ebit)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


@dataclass(frozen=True, slots=True)
class TradeReference:
    name: str
    high_credit: Decimal
    terms_days: int
    days_beyond_terms: int


@dataclass(frozen=True, slots=True)
class Financials:
    currency: str
    period_end: date
    current_assets: Decimal
    current_liabilities: Decimal
    total_assets: Decimal
    total_liabilities: Decimal
    retained_earnings: Decimal
    ebit: Decimal
    sales: Decimal
    book_equity: Decimal
    market_value_equity: Decimal | None = None
    intangible_assets: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class Application:
    name: str
    customer_id: str | None
    applicant_type: str
    years_in_business: int
    requested_limit: Money
    financials: Financials
    trade_references: tuple[TradeReference, ...] = ()
    bureau_score: int | None = None


@dataclass(frozen=True, slots=True)
class Assessment:
    """The answer to an application, with every figure behind it."""

    application: Application
    altman: AltmanResult
    score: ScoreResult
    risk_class: str
    pd_band: str
    methods: tuple[LimitMethod, ...]
    recommended: Money
    decision: str
    reasons: tuple[Reason, ...]
    policy_version: str

    def as_dict(self) -> dict[str, Any]:
        """The contract's keys (altman, score, risk_class, pd_band, recommended_limit, limit_methods, decision,
        reasons) and the figures behind them."""
        return {
            "applicant": self.application.name,
            "customer_id": self.application.customer_id,
            "requested_limit": _money(self.application.requested_limit),
            "altman": self.altman.as_dict(),
            "score": self.score.score,
            "score_components": self.score.components(),
            "pd": self.score.pd.quantize(Decimal("0.0001"), ROUND_HALF_UP),
            "risk_class": self.risk_class,
            "pd_band": self.pd_band,
            "recommended_limit": _money(self.recommended),
            "limit_methods": [m.as_dict() for m in self.methods],
            "decision": self.decision,
            "reasons": [reason_dict(r) for r in self.reasons],
            "policy_version": self.policy_version,
        }


def reason_dict(reason: Reason) -> dict[str, Any]:
    return {"rule": reason.rule, "message": reason.message, "figures": dict(reason.figures)}


def assess(application: Application, policy: Policy) -> Assessment:
    """Score the application, pick its risk class, recommend a limit and decide (module docstring)."""
    fin = application.financials
    try:
        z = altman(
            application.applicant_type, current_assets=fin.current_assets,
            current_liabilities=fin.current_liabilities, total_assets=fin.total_assets,
            total_liabilities=fin.total_liabilities, retained_earnings=fin.retained_earnings, ebit=fin.ebit,
            sales=fin.sales, book_equity=fin.book_equity, market_value_equity=fin.market_value_equity,
        )  # fmt: skip
    except AltmanInputError as exc:
        raise ApplicationError(f"financials.{exc.field}", str(exc)) from None
    values = application_values(application, z)
    scored = score(policy.scorecard, values)
    risk_class = policy.risk_class(scored.score)
    rules = policy.limits
    methods: list[LimitMethod] = [
        tangible_net_worth(rules, fin.book_equity, fin.intangible_assets),
        working_capital(rules, fin.current_assets, fin.current_liabilities),
        months_of_sales(rules, fin.sales),
    ]
    reference = trade_reference_median([r.high_credit for r in application.trade_references])
    if rules.trade_reference_median and reference is not None:
        methods.append(reference)
    found = recommend(rules, risk_class, methods)
    requested = application.requested_limit.amount
    currency = application.requested_limit.currency
    outcomes: list[tuple[str, Reason]] = []
    class_figures = (("score", str(scored.score)), ("risk_class", risk_class.name))
    if risk_class.decision == "decline":
        outcomes.append(("decline", Reason("risk_class", f"risk class {risk_class.name} is declined by the policy",
                                           class_figures)))  # fmt: skip
    if found.recommended <= 0 and risk_class.decision != "decline":
        outcomes.append(("decline", Reason("no_limit_supported", "the limit heuristics support no credit",
                                           (("combined", str(found.combined)),))))  # fmt: skip
    if risk_class.decision == "review":
        outcomes.append(("review", Reason("risk_class", f"risk class {risk_class.name} needs a credit manager's "
                                          "review", class_figures)))  # fmt: skip
    if z.zone == "distress":
        outcomes.append(("review", Reason("altman_distress", f"Altman {z.model} {_four(z.z)} is in the distress zone",
                                          (("z", str(_four(z.z))), ("model", z.model)))))  # fmt: skip
    above = policy.approvals.application_review_above
    if above is not None and requested > above:
        outcomes.append(("review", Reason("above_approval_threshold",
                                          f"the requested {requested} {currency} is above {above}, which needs review",
                                          (("requested", str(requested)), ("threshold", str(above))))))  # fmt: skip
    limit_figures = (("requested", str(requested)), ("recommended", str(found.recommended)),
                     ("combined", str(_cents(found.combined))),
                     ("cap", "" if found.cap is None else str(found.cap)))  # fmt: skip
    if requested > found.recommended:
        outcomes.append(("approve_lower", Reason(
            "below_requested", f"recommended {found.recommended} {currency} is below the requested {requested}",
            limit_figures)))  # fmt: skip
    else:
        outcomes.append(("approve", Reason(
            "within_recommended", f"the requested {requested} {currency} is within the recommended "
            f"{found.recommended}", limit_figures)))  # fmt: skip
    decision = max((d for d, _ in outcomes), key=APPLICATION_DECISIONS.index)
    reasons = tuple(r for _, r in sorted(outcomes, key=lambda o: -APPLICATION_DECISIONS.index(o[0])))
    return Assessment(application, z, scored, risk_class.name, risk_class.pd_band, tuple(methods),
                      Money(found.recommended, currency), decision, reasons, policy.version)  # fmt: skip


def application_values(application: Application, z: AltmanResult) -> dict[str, Decimal | str | None]:
    """The scorecard's characteristics as the application gives them."""
    fin = application.financials
    refs = application.trade_references
    weight = sum((r.high_credit for r in refs), Decimal(0))
    beyond = (sum((r.high_credit * r.days_beyond_terms for r in refs), Decimal(0)) / weight) if weight else None
    return {
        "altman_zone": z.zone,
        "altman_z": z.z,
        "years_in_business": Decimal(application.years_in_business),
        "current_ratio": fin.current_assets / fin.current_liabilities if fin.current_liabilities else None,
        "debt_ratio": fin.total_liabilities / fin.total_assets,
        "bureau_score": None if application.bureau_score is None else Decimal(application.bureau_score),
        "trade_days_beyond_terms": beyond,
    }


# Reading an application from a plain dict ---------------------------------------------------------


def parse_application(data: Any) -> Application:
    """Check the shape and figures of an application read from a file; raises `ApplicationError`."""
    root = _map(data, "")
    applicant = _map(root.get("applicant"), "applicant")
    name = _text(applicant.get("name"), "applicant.name")
    customer_id = applicant.get("customer_id")
    if customer_id is not None:
        customer_id = _text(customer_id, "applicant.customer_id")
    kind = applicant.get("type")
    if kind not in APPLICANT_TYPES:
        raise ApplicationError("applicant.type", f"must be one of {', '.join(APPLICANT_TYPES)}, got {kind!r}")
    years = _whole(applicant.get("years_in_business"), "applicant.years_in_business")
    requested_map = _map(root.get("requested_limit"), "requested_limit")
    requested_amount = _amount(requested_map.get("amount"), "requested_limit.amount", negative=False)
    requested_currency = _currency(requested_map.get("currency"), "requested_limit.currency")
    fin_map = _map(root.get("financials"), "financials")
    currency = _currency(fin_map.get("currency"), "financials.currency")
    if currency != requested_currency:
        raise ApplicationError("financials.currency", f"the financials are in {currency}, the requested limit in "
                               f"{requested_currency}: give both in one currency")  # fmt: skip
    period_end = _date(fin_map.get("period_end"), "financials.period_end")
    figures = {
        name: _amount(fin_map.get(name), f"financials.{name}", negative=name in _MAY_BE_NEGATIVE)
        for name in FINANCIAL_FIELDS
    }
    if figures["total_assets"] == 0:
        raise ApplicationError("financials.total_assets", "total_assets is zero: the ratios divide by it")
    market = fin_map.get("market_value_equity")
    market_value = None if market is None else _amount(market, "financials.market_value_equity", negative=False)
    if kind == "public_manufacturer" and market_value is None:
        raise ApplicationError("financials.market_value_equity", "is required for a public manufacturer (Altman Z)")
    intangible = fin_map.get("intangible_assets")
    intangible_value = Decimal(0) if intangible is None else _amount(
        intangible, "financials.intangible_assets", negative=False)  # fmt: skip
    financials = Financials(currency, period_end, market_value_equity=market_value,
                            intangible_assets=intangible_value, **figures)  # fmt: skip
    refs_raw = root.get("trade_references") or []
    if not isinstance(refs_raw, list):
        raise ApplicationError("trade_references", "must be a list")
    refs = []
    for i, raw in enumerate(refs_raw):
        where = f"trade_references[{i}]"
        ref = _map(raw, where)
        refs.append(TradeReference(
            _text(ref.get("name"), f"{where}.name"),
            _amount(ref.get("high_credit"), f"{where}.high_credit", negative=False),
            _whole(ref.get("terms_days"), f"{where}.terms_days"),
            _whole(ref.get("days_beyond_terms"), f"{where}.days_beyond_terms", negative=True),
        ))  # fmt: skip
    bureau = root.get("bureau_score")
    bureau_score = None if bureau is None else _whole(bureau, "bureau_score")
    try:
        requested = Money(requested_amount, requested_currency)
    except MoneyError as exc:
        raise ApplicationError("requested_limit", str(exc)) from None
    return Application(name, customer_id, kind, years, requested, financials, tuple(refs), bureau_score)


def _map(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ApplicationError(where, "is missing" if value is None else "must be an object of `key: value` pairs")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ApplicationError(where, "is missing" if value is None else "must be non-empty text")
    return value.strip()


def _whole(value: Any, where: str, *, negative: bool = False) -> int:
    if value is None:
        raise ApplicationError(where, "is missing")
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise ApplicationError(where, f"must be a whole number, got {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ApplicationError(where, f"must be a whole number, got {value!r}") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ApplicationError(where, f"must be a whole number, got {value!r}")
    if number < 0 and not negative:
        raise ApplicationError(where, f"must not be negative, got {value}")
    return int(number)


def _amount(value: Any, where: str, *, negative: bool) -> Decimal:
    """A decimal string or number as Decimal (a float from YAML through its shortest repr, never binary)."""
    if value is None:
        raise ApplicationError(where, "is missing")
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ApplicationError(where, f"must be a number, got {value!r}")
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise ApplicationError(where, f"must be a number, got {value!r}") from None
    if not number.is_finite():
        raise ApplicationError(where, f"must be a finite number, got {value!r}")
    if number < 0 and not negative:
        raise ApplicationError(where, f"must not be negative, got {value}")
    return number


def _currency(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha() or not value.isupper():
        raise ApplicationError(where, f"must be an ISO currency code like USD, got {value!r}")
    return value


def _date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ApplicationError(where, f"must be a date YYYY-MM-DD, got {value!r}") from None


def _money(value: Money) -> dict[str, Any]:
    return {"amount": _cents(value.amount), "currency": value.currency}


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), ROUND_HALF_UP)


def _four(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.0001"), ROUND_HALF_UP)
