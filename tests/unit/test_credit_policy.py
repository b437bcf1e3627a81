"""The credit policy file: the documented default is the built-in one, and broken policies say where."""

from __future__ import annotations

from decimal import Decimal

import pytest

from creditbridge.mappings.credit_policy import PolicyError, default_policy, default_policy_text, parse_policy

CLASSES = """
scorecard: {intercept: 3.9}
risk_classes:
  - {name: good, min_score: 600, max_score: null, pd_band: low, review_every_days: 365}
  - {name: fair, min_score: 550, max_score: 600, pd_band: mid, review_every_days: 90}
  - {name: poor, min_score: null, max_score: 550, pd_band: high, review_every_days: 30}
"""


def test_the_default_policy_has_the_issues_order_check_defaults() -> None:
    policy = default_policy()
    check = policy.order_check
    assert (check.warn_percent, check.review_past_due_days, check.group_exposure) == (Decimal(80), 30, False)
    assert check.count_open_ar and check.count_open_orders
    assert [c.name for c in policy.risk_classes] == ["A", "B", "C", "D", "E"]
    assert policy.version == parse_policy(default_policy_text()).version  # the same text, the same version


def test_every_score_falls_in_exactly_one_class() -> None:
    policy = parse_policy(CLASSES)
    assert [policy.risk_class(Decimal(s)).name for s in ("700", "600", "599.99", "550", "-50")] == [
        "good", "good", "fair", "fair", "poor"]  # fmt: skip


def test_overlapping_risk_classes_are_refused_with_their_line() -> None:
    text = CLASSES.replace("min_score: 550, max_score: 600", "min_score: 550, max_score: 620")
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "policy.yaml")
    assert "policy.yaml:4: risk_classes[0]: risk classes 'fair' and 'good' overlap" in str(caught.value)


def test_a_gap_between_risk_classes_is_refused() -> None:
    text = CLASSES.replace("min_score: 550, max_score: 600", "min_score: 560, max_score: 600")
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "policy.yaml")
    assert "scores from 550 to 560 have no risk class" in str(caught.value)


def test_scores_below_the_lowest_class_are_refused() -> None:
    text = CLASSES.replace("min_score: null, max_score: 550", "min_score: 0, max_score: 550")
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "policy.yaml")
    assert "policy.yaml:6: risk_classes[2]: scores below 0 have no risk class" in str(caught.value)


def test_missing_risk_classes_and_wrong_values_are_all_listed() -> None:
    text = "scorecard: {pdo: -5}\norder_check: {warn_percent: lots}\n"
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "policy.yaml")
    message = str(caught.value)
    assert "policy.yaml:1: scorecard.pdo" in message
    assert "policy.yaml:2: order_check.warn_percent" in message
    assert "risk_classes is missing" in message


def test_an_unknown_key_gets_a_suggestion() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(CLASSES + "limts: {combine: median}\n", "policy.yaml")
    assert "unknown key 'limts'" in str(caught.value) and "did you mean 'limits'" in str(caught.value)


def test_decimals_in_the_policy_are_read_exactly() -> None:
    policy = parse_policy(CLASSES + "order_check: {warn_percent: 80.1}\n")
    assert policy.order_check.warn_percent == Decimal("80.1")


def test_bins_that_do_not_rise_are_refused() -> None:
    text = CLASSES.replace("scorecard: {intercept: 3.9}", "scorecard:\n  characteristics:\n    payment_index:\n"
                           "      bins: [{below: 80, log_odds: 1}, {below: 50, log_odds: 0}]")  # fmt: skip
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "policy.yaml")
    assert "scorecard.characteristics.payment_index.bins: bins must rise" in str(caught.value)


def test_the_policy_file_sets_the_exposure_components_and_group_sharing() -> None:
    policy = parse_policy(CLASSES + "exposure: {open_orders: false, parent_group: true}\n")
    assert policy.order_check.group_exposure is True
    assert policy.order_check.count_open_orders is False and policy.order_check.count_open_ar is True
