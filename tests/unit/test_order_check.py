"""The order credit check (core.credit.check_order), on stories worked out by hand from the rules.

Customer X (USD, limit 1,000.00) as of 2026-03-31 owns: INV X1 300.00 open (due 2026-04-30),
CM X2 -50.00, DM X3 0.00 open (paid), open order 100.00 (and a cancelled one of 999, which does
not count). Open AR = 300 - 50 = 250; open orders = 100; exposure = 350 + the new order.
80 % of 1,000 is 800: an order of 450.00 is exactly there.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from creditbridge.core.credit import (
    CreditCheckError,
    CreditPolicy,
    OrderCurrencyError,
    UnknownCustomer,
    check_order,
)
from creditbridge.core.model import (
    CreditProfile,
    Customer,
    DocType,
    Ledger,
    OpenItem,
    Order,
    OrderStatus,
)
from creditbridge.core.money import Money

AS_OF = date(2026, 3, 31)
D = Decimal


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def item(item_id: str, customer: str, open_amount: str, due: date, doc: DocType = DocType.INVOICE,
         invoiced: date = date(2026, 1, 1)) -> OpenItem:  # fmt: skip
    amount = usd(open_amount) if open_amount != "0" else usd("10")
    return OpenItem(item_id, doc, customer, invoiced, due, amount, usd(open_amount))


def ledger(*, limit: str | None = "1000", on_hold: bool = False, extra: tuple[OpenItem, ...] = ()) -> Ledger:
    return Ledger(
        customers=(Customer("X", "Xylo", "USD"),),
        profiles=(CreditProfile("X", None if limit is None else usd(limit), on_hold=on_hold),),
        items=(
            item("X1", "X", "300", date(2026, 4, 30)),
            item("X2", "X", "-50", date(2026, 1, 1), DocType.CREDIT_MEMO),
            item("X3", "X", "0", date(2025, 1, 1), DocType.DEBIT_MEMO),
            item("X9", "X", "5000", date(2026, 5, 30), invoiced=date(2026, 4, 1)),  # invoiced after as_of
            *extra,
        ),
        orders=(
            Order("SO-1", "X", date(2026, 3, 1), usd("100")),
            Order("SO-2", "X", date(2026, 3, 1), usd("999"), OrderStatus.CANCELLED),
        ),
    )


def rules(decision) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.rule for r in decision.reasons]


def test_approve_within_the_limit() -> None:
    decision = check_order(ledger(), "X", D("200.00"), AS_OF)
    assert decision.decision == "approve"
    assert (decision.exposure.open_ar, decision.exposure.open_orders, decision.exposure.order) == (
        D(250),
        D(100),
        D(200),
    )
    assert decision.exposure.total == D(550)
    assert decision.available == D(450)
    assert decision.utilization == D("55.00")
    assert rules(decision) == ["within_limit"]
    assert decision.credit_limit == usd("1000")


def test_warn_at_exactly_80_percent_and_not_a_cent_below() -> None:
    at = check_order(ledger(), "X", D("450.00"), AS_OF)
    assert at.decision == "warn"
    assert at.exposure.total == D(800) and at.utilization == D("80.00") and at.available == D(200)
    assert rules(at) == ["near_limit"]
    below = check_order(ledger(), "X", D("449.99"), AS_OF)
    assert below.decision == "approve"
    assert below.utilization == D("80.00")  # 79.999 rounds half up for display; the rule uses exact figures


def test_exposure_equal_to_the_limit_warns_and_one_cent_over_holds() -> None:
    at = check_order(ledger(), "X", D("650.00"), AS_OF)
    assert at.decision == "warn" and at.available == D(0) and at.utilization == D("100.00")
    over = check_order(ledger(), "X", D("650.01"), AS_OF)
    assert over.decision == "hold"
    assert rules(over) == ["over_limit"]
    assert over.available == D("-0.01")
    figures = dict(over.reasons[0].figures)
    assert figures["exposure"] == "1000.01" and figures["credit_limit"] == "1000"


def test_hold_when_the_customer_is_on_hold_whatever_the_amount() -> None:
    decision = check_order(ledger(on_hold=True), "X", D("1"), AS_OF)
    assert decision.decision == "hold"
    assert rules(decision) == ["on_hold"]


def test_hold_without_a_limit() -> None:
    decision = check_order(ledger(limit=None), "X", D("1"), AS_OF)
    assert decision.decision == "hold"
    assert rules(decision) == ["no_limit"]
    assert decision.credit_limit is None and decision.available is None and decision.utilization is None
    assert decision.exposure.total == D(351)


def test_review_when_an_item_is_31_days_past_due_but_not_30() -> None:
    for days, expected in ((30, "approve"), (31, "review")):
        late = item("L1", "X", "10", AS_OF - timedelta(days=days))
        decision = check_order(ledger(extra=(late,)), "X", D("0"), AS_OF)
        assert decision.decision == expected, days
    decision = check_order(ledger(extra=(late,)), "X", D("0"), AS_OF)
    assert rules(decision) == ["past_due"]
    assert dict(decision.reasons[0].figures)["oldest_past_due_days"] == "31"


def test_a_paid_item_long_past_due_is_not_a_review() -> None:
    paid = item("P1", "X", "0", AS_OF - timedelta(days=400))
    assert check_order(ledger(extra=(paid,)), "X", D("0"), AS_OF).decision == "approve"


def test_precedence_hold_over_review_over_warn() -> None:
    late = item("L1", "X", "10", AS_OF - timedelta(days=60))
    # review + warn: 260 + 100 + 440 = 800 (80 %)
    both = check_order(ledger(extra=(late,)), "X", D("440"), AS_OF)
    assert both.decision == "review"
    assert rules(both) == ["past_due", "near_limit"]
    # hold + review + warn: on hold, 60 days late, 80 %
    all_three = check_order(ledger(on_hold=True, extra=(late,)), "X", D("440"), AS_OF)
    assert all_three.decision == "hold"
    assert rules(all_three) == ["on_hold", "past_due", "near_limit"]
    # over the limit and late: hold, with the review reason kept
    over = check_order(ledger(extra=(late,)), "X", D("700"), AS_OF)
    assert over.decision == "hold" and rules(over) == ["over_limit", "past_due"]


def group_ledger(parent_on_hold: bool = False) -> Ledger:
    """P (limit 1,000) is the parent of K (own limit 500) and M (no limit); Q is unrelated.

    Open AR: P 300, K 200, M 100, Q 4,000; open orders: K 50.
    """
    return Ledger(
        customers=(
            Customer("P", "Parent", "USD"),
            Customer("K", "Kid", "USD", parent_id="P"),
            Customer("M", "Mid", "USD", parent_id="P"),
            Customer("Q", "Other", "USD"),
        ),
        profiles=(
            CreditProfile("P", usd("1000"), on_hold=parent_on_hold),
            CreditProfile("K", usd("500")),
            CreditProfile("M", None),
            CreditProfile("Q", usd("9000")),
        ),
        items=(
            item("P1", "P", "300", date(2026, 4, 30)),
            item("K1", "K", "200", date(2026, 4, 30)),
            item("M1", "M", "100", date(2026, 4, 30)),
            item("Q1", "Q", "4000", date(2026, 4, 30)),
        ),
        orders=(Order("SO-K", "K", date(2026, 3, 1), usd("50")),),
    )


def test_without_group_exposure_a_child_has_its_own_limit_and_exposure() -> None:
    decision = check_order(group_ledger(), "K", D("100"), AS_OF)
    # 200 + 50 + 100 = 350 of 500 = 70 %
    assert decision.decision == "approve"
    assert decision.exposure.total == D(350) and decision.credit_limit == usd("500")
    assert decision.scope == "K" and decision.group == ()
    assert check_order(group_ledger(), "M", D("1"), AS_OF).decision == "hold"  # M has no limit of its own


def test_group_exposure_shares_the_parents_limit() -> None:
    policy = CreditPolicy(group_exposure=True)
    decision = check_order(group_ledger(), "K", D("100"), AS_OF, policy)
    # P 300 + K 200 + M 100 = 600 open AR, 50 open orders, + 100 = 750 of 1,000 = 75 %
    assert decision.decision == "approve"
    assert decision.exposure.open_ar == D(600) and decision.exposure.open_orders == D(50)
    assert decision.exposure.total == D(750) and decision.credit_limit == usd("1000")
    assert decision.scope == "P" and decision.group == ("P", "K", "M")
    assert check_order(group_ledger(), "K", D("150"), AS_OF, policy).decision == "warn"  # 800
    assert check_order(group_ledger(), "M", D("350.01"), AS_OF, policy).decision == "hold"  # 650 + 350.01 = 1,000.01
    # the parent itself is checked as the group too
    assert check_order(group_ledger(), "P", D("100"), AS_OF, policy).exposure.total == D(750)
    # an unrelated customer is its own group
    assert check_order(group_ledger(), "Q", D("0"), AS_OF, policy).exposure.total == D(4000)


def test_group_exposure_holds_a_child_when_the_parent_is_on_hold() -> None:
    policy = CreditPolicy(group_exposure=True)
    decision = check_order(group_ledger(parent_on_hold=True), "K", D("1"), AS_OF, policy)
    assert decision.decision == "hold" and rules(decision) == ["group_on_hold"]
    assert check_order(group_ledger(parent_on_hold=True), "K", D("1"), AS_OF).decision == "approve"


def test_errors_a_user_can_fix() -> None:
    with pytest.raises(UnknownCustomer, match="'Z'"):
        check_order(ledger(), "Z", D(1), AS_OF)
    with pytest.raises(OrderCurrencyError, match="EUR"):
        check_order(ledger(), "X", Money.of("1", "EUR"), AS_OF)
    with pytest.raises(CreditCheckError, match="negative"):
        check_order(ledger(), "X", D("-1"), AS_OF)


def test_as_dict_has_the_contract_keys_and_exact_amounts() -> None:
    data = check_order(ledger(), "X", D("450"), AS_OF).as_dict()
    assert data["decision"] == "warn"
    assert data["limit"] == {"amount": D("1000.00"), "currency": "USD"}
    assert data["exposure"] == {"open_ar": D(250), "open_orders": D(100), "order": D(450), "total": D(800),
                                "currency": "USD"}  # fmt: skip
    assert str(data["exposure"]["total"]) == "800.00"
    assert data["available"] == D(200) and data["utilization"] == D("80.00")
    assert data["reasons"][0]["rule"] == "near_limit"
    assert data["reasons"][0]["figures"]["exposure"] == D(800)
    assert set(data) >= {"decision", "limit", "exposure", "available", "utilization", "reasons"}
    no_limit = check_order(ledger(limit=None), "X", D("1"), AS_OF).as_dict()
    assert no_limit["limit"] is None and no_limit["available"] is None and no_limit["utilization"] is None


def test_as_credit_decision() -> None:
    found = check_order(ledger(), "X", D("450"), AS_OF)
    assert replace(found.as_credit_decision(), reasons=()).outcome == "warn"
    assert found.as_credit_decision().exposure == usd("800")


def test_a_policy_that_leaves_open_orders_out_of_exposure_approves_what_they_would_push_near_the_limit() -> None:
    # with the order 100 counted: 250 + 100 + 450 = 800 -> warn; without it: 700 = 70 % -> approve
    assert check_order(ledger(), "X", D("450"), AS_OF).decision == "warn"
    decision = check_order(ledger(), "X", D("450"), AS_OF, CreditPolicy(count_open_orders=False))
    assert decision.decision == "approve"
    assert decision.exposure.open_orders == 0 and decision.exposure.total == D("700")
