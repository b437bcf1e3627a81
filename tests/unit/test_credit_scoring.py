"""Worked examples of the published formulas: Altman Z / Z' / Z'' and their zones, scorecard scaling,
the limit heuristics, and the PAYDEX-style payment index (feature-anchors.md §5)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from creditbridge.core.credit.altman import MODELS, AltmanInputError, altman, zone
from creditbridge.core.credit.behaviour import behaviour, paydex_of_days
from creditbridge.core.credit.limits import (
    months_of_sales,
    recommend,
    round_down,
    tangible_net_worth,
    trade_reference_median,
    working_capital,
)
from creditbridge.core.credit.policy import LimitRules, RiskClass, Scorecard
from creditbridge.core.credit.scorecard import score
from creditbridge.core.model import Application, Customer, DocType, Ledger, OpenItem, Payment
from creditbridge.core.money import Money

D = Decimal

# A company with TA 1,000: WC 300 (X1 .3), RE 200 (X2 .2), EBIT 150 (X3 .15), sales 1,500 (X5 1.5), TL 300.
FIGURES = {
    "current_assets": D(500), "current_liabilities": D(200), "total_assets": D(1000), "total_liabilities": D(300),
    "retained_earnings": D(200), "ebit": D(150), "sales": D(1500), "book_equity": D(600),
}  # fmt: skip


def test_altman_z_of_a_public_manufacturer_uses_market_equity_and_is_safe() -> None:
    # X4 = 900 / 300 = 3.0; Z = 1.2*.3 + 1.4*.2 + 3.3*.15 + 0.6*3 + 1.0*1.5 = 0.36 + 0.28 + 0.495 + 1.8 + 1.5
    result = altman("public_manufacturer", market_value_equity=D(900), **FIGURES)
    assert result.model == "Z"
    assert result.z == D("4.435")
    assert result.zone == "safe"
    assert dict(result.ratios)["x4"] == D(3)


def test_altman_z_prime_of_a_private_manufacturer_uses_book_equity() -> None:
    # X4 = 600 / 300 = 2.0; Z' = .717*.3 + .847*.2 + 3.107*.15 + .420*2 + .998*1.5 = 3.18755
    result = altman("private_manufacturer", **FIGURES)
    assert (result.model, result.z, result.zone) == ("Z'", D("3.18755"), "safe")


def test_altman_z_double_prime_has_no_sales_term() -> None:
    # Z'' = 6.56*.3 + 3.26*.2 + 6.72*.15 + 1.05*2 = 1.968 + .652 + 1.008 + 2.1 = 5.728
    result = altman("non_manufacturer", **FIGURES)
    assert (result.model, result.z, result.zone) == ("Z''", D("5.728"), "safe")
    assert [name for name, _ in result.ratios] == ["x1", "x2", "x3", "x4"]


def test_a_loss_making_company_with_negative_working_capital_is_in_distress() -> None:
    # X1 = -200/1000, X2 = -100/1000, X3 = -20/1000, X4 = 50/950: Z'' = -1.312 - .326 - .1344 + .0553 < 1.1
    figures = {**FIGURES, "current_assets": D(100), "current_liabilities": D(300), "retained_earnings": D(-100),
               "ebit": D(-20), "book_equity": D(50), "total_liabilities": D(950)}  # fmt: skip
    result = altman("non_manufacturer", **figures)
    assert result.z < 0 and result.zone == "distress"


@pytest.mark.parametrize(
    ("kind", "grey_low", "grey_high"),
    [("public_manufacturer", "1.81", "2.99"), ("private_manufacturer", "1.23", "2.9"),
     ("non_manufacturer", "1.1", "2.6")],
)  # fmt: skip
def test_zone_edges_belong_to_the_grey_zone(kind: str, grey_low: str, grey_high: str) -> None:
    model = MODELS[kind]
    assert zone(model, D(grey_low)) == "grey"
    assert zone(model, D(grey_high)) == "grey"
    assert zone(model, D(grey_high) + D("0.001")) == "safe"
    assert zone(model, D(grey_low) - D("0.001")) == "distress"


def test_zero_total_assets_or_liabilities_name_the_field() -> None:
    with pytest.raises(AltmanInputError) as caught:
        altman("private_manufacturer", **{**FIGURES, "total_assets": D(0)})
    assert caught.value.field == "total_assets"
    with pytest.raises(AltmanInputError) as caught:
        altman("private_manufacturer", **{**FIGURES, "total_liabilities": D(0)})
    assert caught.value.field == "total_liabilities"


def test_scorecard_scaling_600_at_50_to_1_with_pdo_20() -> None:
    card = Scorecard(D(600), D(50), D(20), intercept=D(50).ln())
    assert card.offset.quantize(D("0.01")) == D("487.12")
    assert card.factor.quantize(D("0.01")) == D("28.85")
    at_target = score(card, {})
    assert at_target.score == D("600.00")
    assert at_target.pd.quantize(D("0.0001")) == D("0.0196")  # 1 / (1 + 50)
    doubled = score(Scorecard(D(600), D(50), D(20), intercept=D(100).ln()), {})
    assert doubled.score == D("620.00")  # doubling the odds adds the PDO


def test_limit_heuristics_each_show_their_figure() -> None:
    rules = LimitRules()
    assert tangible_net_worth(rules, D(1_500_000), D(200_000)).amount == D(130_000)  # 10 % of 1.3M
    assert working_capital(rules, D(1_200_000), D(700_000)).amount == D(50_000)  # 10 % of 500k
    assert months_of_sales(rules, D(4_800_000)).amount == D(40_000)  # 10 % of one month of 400k
    median = trade_reference_median([D(40_000), D(25_000), D(60_000)])
    assert median is not None and median.amount == D(40_000)
    assert trade_reference_median([]) is None
    assert working_capital(rules, D(100), D(300)).amount == 0  # negative working capital supports nothing


def test_the_policy_combines_the_heuristics_and_the_risk_class_caps_them() -> None:
    methods = [tangible_net_worth(LimitRules(), D(1_500_000), D(200_000)),
               working_capital(LimitRules(), D(1_200_000), D(700_000)),
               months_of_sales(LimitRules(), D(4_800_000)), trade_reference_median([D(40_000), D(25_000), D(60_000)])]
    methods = [m for m in methods if m is not None]
    uncapped = RiskClass("B", None, None, "", None, 180)
    assert recommend(LimitRules(), uncapped, methods).recommended == D(65_000)  # (130 + 50 + 40 + 40) / 4
    assert recommend(LimitRules(combine="median"), uncapped, methods).recommended == D(45_000)
    assert recommend(LimitRules(combine="minimum"), uncapped, methods).recommended == D(40_000)
    capped = RiskClass("C", None, None, "", D(50_000), 90)
    assert recommend(LimitRules(combine="maximum"), capped, methods).recommended == D(50_000)
    assert round_down(D("12345.67"), D(100)) == D("12300.00")


@pytest.mark.parametrize(
    ("days", "index"),
    [(-45, "100"), (-30, "100"), (-20, "90"), (0, "80"), (15, "70"), (22, "60"), (30, "50"), (60, "40"),
     (90, "30"), (120, "20"), (180, "0"), (400, "0")],
)  # fmt: skip
def test_payment_index_follows_the_paydex_scale(days: int, index: str) -> None:
    assert paydex_of_days(days) == D(index)


def test_payment_index_is_dollar_weighted_over_the_experiences() -> None:
    usd = "USD"
    items = (
        OpenItem("I1", DocType.INVOICE, "A", date(2026, 1, 1), date(2026, 1, 31), Money.of("3000", usd),
                 Money.of("0", usd)),
        OpenItem("I2", DocType.INVOICE, "A", date(2026, 2, 1), date(2026, 2, 28), Money.of("1000", usd),
                 Money.of("0", usd)),
    )  # fmt: skip
    payments = (
        Payment("P1", "A", date(2026, 1, 31), Money.of("3000", usd),
                applications=(Application("P1", "I1", Money.of("3000", usd), date(2026, 1, 31)),)),
        Payment("P2", "A", date(2026, 3, 30), Money.of("1000", usd),
                applications=(Application("P2", "I2", Money.of("1000", usd), date(2026, 3, 30)),)),
    )  # fmt: skip
    ledger = Ledger(customers=(Customer("A", "Acme", usd),), items=items, payments=payments)
    found = behaviour(ledger, date(2026, 4, 30))["A"]
    # 3,000 on time (80) and 1,000 thirty days late (50): (3000*80 + 1000*50) / 4000 = 72.5
    assert found.payment_index == D("72.5")
    assert found.percent_paid_late == D(25)
    assert found.days_beyond_terms == D("7.5")
    assert found.experiences == 2
