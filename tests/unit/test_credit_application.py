"""Credit applications: the decision and its reasons for each outcome, and bad files naming the field.

The base applicant (a private manufacturer, 12 years, bureau 78, three trade references) scores
616.97 on the default scorecard: class B (cap 200,000). Its heuristics: tangible net worth 130,000,
working capital 50,000, months of sales 40,000, trade-reference median 40,000: average 65,000.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from creditbridge.core.credit.application import ApplicationError, assess, parse_application
from creditbridge.mappings.credit_policy import default_policy

D = Decimal

BASE: dict[str, Any] = {
    "applicant": {"name": "Widget Works Ltd", "customer_id": None, "type": "private_manufacturer",
                  "years_in_business": 12},
    "requested_limit": {"amount": "50000.00", "currency": "USD"},
    "financials": {"currency": "USD", "period_end": "2025-12-31", "current_assets": "1200000",
                   "current_liabilities": "700000", "total_assets": "3000000", "total_liabilities": "1500000",
                   "retained_earnings": "900000", "ebit": "450000", "sales": "4800000", "book_equity": "1500000",
                   "intangible_assets": "200000"},
    "trade_references": [{"name": "Steel Co", "high_credit": "40000", "terms_days": 30, "days_beyond_terms": 3},
                         {"name": "Paint Inc", "high_credit": "25000", "terms_days": 30, "days_beyond_terms": 0},
                         {"name": "Box Ltd", "high_credit": "60000", "terms_days": 45, "days_beyond_terms": 10}],
    "bureau_score": 78,
}  # fmt: skip


def application(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for path, value in changes.items():
        node = data
        *parents, last = path.split("__")
        for part in parents:
            node = node[part]
        node[last] = value
    return data


def decide(data: dict[str, Any]) -> dict[str, Any]:
    return assess(parse_application(data), default_policy()).as_dict()


def test_a_request_within_the_recommended_limit_is_approved() -> None:
    result = decide(BASE)
    assert result["decision"] == "approve"
    assert result["altman"]["model"] == "Z'" and result["altman"]["zone"] == "grey"
    assert result["score"] == D("616.97") and result["risk_class"] == "B" and result["pd_band"] == "0.5 - 2 %"
    assert result["recommended_limit"] == {"amount": D("65000.00"), "currency": "USD"}
    assert {m["method"]: m["amount"] for m in result["limit_methods"]} == {
        "tangible_net_worth": D("130000.00"), "working_capital": D("50000.00"), "months_of_sales": D("40000.00"),
        "trade_reference_median": D("40000.00")}  # fmt: skip
    assert [r["rule"] for r in result["reasons"]] == ["within_recommended"]


def test_a_request_above_the_recommended_limit_is_approved_lower() -> None:
    result = decide(application(requested_limit__amount="90000"))
    assert result["decision"] == "approve_lower"
    assert result["reasons"][0]["rule"] == "below_requested"
    assert result["reasons"][0]["figures"]["recommended"] == "65000.00"


def test_a_request_above_the_approval_threshold_goes_to_review() -> None:
    result = decide(application(requested_limit__amount="300000"))
    assert result["decision"] == "review"
    assert "above_approval_threshold" in [r["rule"] for r in result["reasons"]]


def test_altman_distress_goes_to_review() -> None:
    # Z' = .717*(-1/30) + .847*(-.3) + 3.107*(-1/30) + .42*1 + .998*.8 = 0.8368 < 1.23
    result = decide(application(financials__retained_earnings="-900000", financials__ebit="-100000",
                                financials__current_assets="600000", financials__sales="2400000"))  # fmt: skip
    assert result["altman"]["zone"] == "distress"
    assert result["altman"]["z"] == D("0.8368")
    assert result["decision"] in ("review", "decline")
    assert "altman_distress" in [r["rule"] for r in result["reasons"]]


def test_a_young_distressed_applicant_in_the_lowest_class_is_declined() -> None:
    result = decide(application(applicant__years_in_business=1, bureau_score=20, financials__sales="2400000",
                                financials__retained_earnings="-900000", financials__ebit="-100000",
                                financials__current_assets="600000"))  # fmt: skip
    assert result["risk_class"] == "E"
    assert result["decision"] == "decline"
    assert result["reasons"][0]["rule"] == "risk_class"
    assert result["recommended_limit"]["amount"] == D("0.00")


def test_a_public_manufacturer_is_scored_with_altman_z() -> None:
    result = decide(application(applicant__type="public_manufacturer", financials__market_value_equity="4500000"))
    assert result["altman"]["model"] == "Z"
    assert result["altman"]["components"]["x4"]["ratio"] == D("3.0000")  # 4.5M / 1.5M


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"financials__ebit": "abc"}, "financials.ebit"),
     ({"financials__current_assets": "-5"}, "financials.current_assets"),
     ({"financials__total_assets": "0"}, "financials.total_assets"),
     ({"applicant__type": "bank"}, "applicant.type"),
     ({"applicant__type": "public_manufacturer"}, "financials.market_value_equity"),
     ({"requested_limit__currency": "usd"}, "requested_limit.currency"),
     ({"financials__currency": "EUR"}, "financials.currency"),
     ({"financials__period_end": "31/12/2025"}, "financials.period_end"),
     ({"applicant__years_in_business": 2.5}, "applicant.years_in_business")],
)  # fmt: skip
def test_bad_applications_name_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        parse_application(application(**changes))
    assert caught.value.field == field


def test_a_missing_section_names_it() -> None:
    data = copy.deepcopy(BASE)
    del data["financials"]
    with pytest.raises(ApplicationError) as caught:
        parse_application(data)
    assert caught.value.field == "financials"


def test_losses_may_be_negative_and_amounts_stay_exact() -> None:
    parsed = parse_application(application(financials__ebit="-0.10", requested_limit__amount=D("50000.005")))
    assert parsed.financials.ebit == D("-0.10")
    assert parsed.requested_limit.amount == D("50000.005")
