"""Reviews of existing customers from their payment behaviour: what a credit manager is proposed.

GOOD buys 3,000 a month and pays on the due date: payment index 80, nothing late, ADD 0: ln(odds)
3.9 + 0.4 + 0.3 + 0.2 = 4.8, score 487.12 + 28.85 * 4.8 = 625.62, class B; two months of purchases
is 6,000, 50 % above its 4,000 limit -> increase. LATE paid every invoice 60 days late (index 40) and
owes 3,000 invoiced 80 days ago, 50 days past due (DSO 90, ADD 90): ln(odds) 3.9 - 1.6 - 1.0 - 0.8
= 0.5, score 501.55, class E, which the default policy holds and caps at 0.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

from creditbridge.core.credit.behaviour import due_for_review, replay_review, review_customers, review_inputs
from creditbridge.core.model import Application, CreditProfile, Customer, DocType, Ledger, OpenItem, Payment
from creditbridge.core.money import Money
from creditbridge.mappings.credit_policy import default_policy

AS_OF = date(2026, 6, 30)
D = Decimal


def history(customer: str, days_late: int, first_days_back: int) -> tuple[tuple[OpenItem, ...], tuple[Payment, ...]]:
    """Twelve monthly invoices of 3,000, the newest `first_days_back` days ago, each paid `days_late` after due."""
    items, payments = [], []
    for month in range(12):
        invoiced = AS_OF - timedelta(days=30 * month + first_days_back)
        due = invoiced + timedelta(days=30)
        paid = due + timedelta(days=days_late)
        item_id = f"{customer}-{month}"
        items.append(OpenItem(item_id, DocType.INVOICE, customer, invoiced, due, Money.of("3000", "USD"),
                              Money.of("0", "USD")))  # fmt: skip
        payments.append(Payment(f"P-{item_id}", customer, paid, Money.of("3000", "USD"),
                                applications=(Application(f"P-{item_id}", item_id, Money.of("3000", "USD"), paid),)))
    return tuple(items), tuple(payments)


def ledger() -> Ledger:
    good_items, good_payments = history("GOOD", 0, 34)
    late_items, late_payments = history("LATE", 60, 100)
    unpaid = OpenItem("LATE-open", DocType.INVOICE, "LATE", AS_OF - timedelta(days=80), AS_OF - timedelta(days=50),
                      Money.of("3000", "USD"), Money.of("3000", "USD"))  # fmt: skip
    return Ledger(
        customers=(Customer("GOOD", "Good Co", "USD"), Customer("LATE", "Late Co", "USD")),
        profiles=(CreditProfile("GOOD", Money.of("4000", "USD"), risk_class="B"),
                  CreditProfile("LATE", Money.of("20000", "USD"), risk_class="C")),
        items=(*good_items, *late_items, unpaid),
        payments=good_payments + late_payments,
    )  # fmt: skip


def test_a_prompt_payer_buying_more_than_its_limit_is_proposed_an_increase() -> None:
    (good,) = review_customers(ledger(), default_policy(), AS_OF, ["GOOD"])
    assert good.behaviour.payment_index == D(80)
    assert good.behaviour.percent_paid_late == 0
    assert good.score.score == D("625.62")
    assert good.risk_class == "B"
    assert good.decision == "increase_limit"
    assert good.wanted.credit_limit == D("6000.00") and not good.wanted.on_hold
    assert [r.rule for r in good.reasons] == ["behaviour_score", "limit_change"]


def test_a_habitually_late_payer_falls_to_the_lowest_class_and_is_held() -> None:
    (late,) = review_customers(ledger(), default_policy(), AS_OF, ["LATE"])
    assert late.behaviour.payment_index is not None and 40 < late.behaviour.payment_index < 41
    assert late.behaviour.percent_paid_late == D(100)
    assert late.behaviour.add == D(90)
    assert late.score.score == D("501.55")
    assert late.risk_class == "E"
    assert late.decision == "decrease_limit+hold"
    assert late.wanted.credit_limit == D("0.00") and late.wanted.on_hold
    assert "risk_class_hold" in [r.rule for r in late.reasons]


def test_a_review_within_the_cadence_of_the_class_is_not_due() -> None:
    policy = default_policy()
    profiles = ledger().profiles  # GOOD is class B (every 180 days), LATE class C (every 90)
    last = {"GOOD": AS_OF - timedelta(days=100), "LATE": AS_OF - timedelta(days=100)}
    assert due_for_review(profiles, policy, last, AS_OF) == ["LATE"]
    assert due_for_review(profiles, policy, {}, AS_OF) == ["GOOD", "LATE"]  # never reviewed: due
    # the last review put GOOD in class D (every 30 days): the review's class counts, not the ERP's
    assert due_for_review(profiles, policy, last, AS_OF, {"GOOD": "D"}) == ["GOOD", "LATE"]


def test_a_review_is_replayed_exactly_from_its_stored_inputs() -> None:
    policy = default_policy()
    for proposal in review_customers(ledger(), policy, AS_OF):
        stored = json.loads(json.dumps(review_inputs(proposal)))  # as the store keeps it: JSON, numbers as text
        again = replay_review(policy, stored)
        assert again.as_dict() == proposal.as_dict()


def test_a_prompt_payer_that_bought_less_keeps_its_higher_limit_while_a_risky_one_is_cut() -> None:
    records = ledger()
    generous = tuple(
        CreditProfile(p.customer_id, Money.of("50000", "USD"), risk_class=p.risk_class) for p in records.profiles
    )
    good, late = review_customers(Ledger(records.customers, generous, records.items, records.payments), default_policy(),
                                  AS_OF, ["GOOD", "LATE"])  # fmt: skip
    # GOOD needs 6,000 (two months of 3,000) but class B approves: the 50,000 limit stays, and says why
    assert good.wanted.credit_limit == D(50000) and "limit_kept" in [r.rule for r in good.reasons]
    assert good.decision == "keep"
    # LATE is class E (declines, cap 0): its limit goes down to the class's cap
    assert late.risk_class == "E" and late.wanted.credit_limit == D(0)
