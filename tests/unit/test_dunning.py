"""The dunning rules (core.collections.plan_dunning), one story per rule, worked out by hand.

Default policy: level 1 from 7 days past due (e-mail), 2 from 21 (e-mail), 3 from 35 (e-mail +
letter), 4 from 50 (call), escalation (level 5) from 75; minimum 10.00. As of 2026-10-01 an item
due 2026-09-24 is 7 days past due, due 2026-09-10 is 21, due 2026-08-27 is 35, due 2026-08-12 is
50, due 2026-07-18 is 75.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from creditbridge.core.collections import (
    DunningLevel,
    DunningSchedule,
    Escalation,
    PromiseStatus,
    build_worklist,
    default_policy,
    kept_rate,
    plan_dunning,
    promise_outcome,
    propose_resolution,
)
from creditbridge.core.collections.disputes import dispute_ageing
from creditbridge.core.collections.policy import Channel
from creditbridge.core.model import (
    Application,
    CreditProfile,
    Customer,
    Dispute,
    DisputeStatus,
    DocType,
    DunningAction,
    Ledger,
    OpenItem,
    Payment,
    PromiseToPay,
)
from creditbridge.core.money import Money

AS_OF = date(2026, 10, 1)
POLICY = default_policy()


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def due_days_ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


def inv(item_id: str, customer: str, open_amount: str, days_past_due: int, doc: DocType = DocType.INVOICE) -> OpenItem:
    due = due_days_ago(days_past_due)
    amount = usd(open_amount)
    return OpenItem(item_id, doc, customer, due - timedelta(days=30), due, amount, amount)


def book(*items: OpenItem, payments: tuple[Payment, ...] = (), risk: dict[str, str] | None = None) -> Ledger:
    customers = sorted({i.customer_id for i in items} | {p.customer_id for p in payments})
    return Ledger(
        customers=tuple(Customer(c, f"Customer {c}", "USD") for c in customers),
        profiles=tuple(CreditProfile(c, None, risk_class=(risk or {}).get(c)) for c in customers),
        items=items,
        payments=payments,
    )


def plan(ledger: Ledger, **kwargs):  # type: ignore[no-untyped-def]
    return plan_dunning(ledger, AS_OF, POLICY, **kwargs).as_dict()


def skipped(result) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {s["invoice_number"]: s["reason"] for s in result["skipped"]}


def test_levels_start_at_7_21_35_50_and_escalation_at_75_days() -> None:
    cases = {6: None, 7: 1, 20: 1, 21: 2, 35: 3, 49: 3, 50: 4, 74: 4, 75: 5}
    for days, level in cases.items():
        result = plan(book(inv("A1", "A", "100.00", days)))
        if level is None:
            assert result == {"messages": [], "skipped": []}, days
        else:
            assert [(m["level"], m["items"][0]["level"]) for m in result["messages"]] == [(level, level)], days


def test_channels_follow_the_level() -> None:
    channels = {}
    for days in (7, 21, 35, 50, 75):
        (message,) = plan(book(inv("A1", "A", "100.00", days)))["messages"]
        channels[message["level"]] = message["channel"]
    assert channels == {1: "email", 2: "email", 3: "email+letter", 4: "call", 5: "escalation"}


def test_one_message_per_customer_at_its_highest_level_listing_each_item_with_its_own_level() -> None:
    result = plan(book(inv("A1", "A", "100.00", 8), inv("A2", "A", "50.00", 40), inv("A3", "A", "20.00", 3)))
    assert result["messages"] == [
        {
            "customer_id": "A",
            "level": 3,
            "channel": "email+letter",
            "items": [
                {"invoice_number": "A2", "days_past_due": 40, "level": 3},
                {"invoice_number": "A1", "days_past_due": 8, "level": 1},
            ],
        }
    ]
    assert result["skipped"] == []  # A3 is not overdue enough to be dunned: neither sent nor skipped


def test_a_disputed_item_is_not_dunned_but_the_rest_of_the_account_is() -> None:
    ledger = book(inv("A1", "A", "100.00", 30), inv("A2", "A", "60.00", 10))
    disputes = [Dispute("A1", AS_OF - timedelta(days=3), "pricing")]
    result = plan(ledger, disputes=disputes)
    assert skipped(result) == {"A1": "disputed"}
    assert [(m["level"], [i["invoice_number"] for i in m["items"]]) for m in result["messages"]] == [(1, ["A2"])]


def test_a_resolved_dispute_no_longer_holds_the_item_back() -> None:
    disputes = [Dispute("A1", date(2026, 9, 1), "pricing", DisputeStatus.RESOLVED, resolution="rejected")]
    result = plan(book(inv("A1", "A", "100.00", 30)), disputes=disputes)
    assert result["skipped"] == [] and result["messages"][0]["level"] == 2


def test_an_item_under_an_open_promise_is_not_dunned_until_the_promise_date_passes() -> None:
    ledger = book(inv("A1", "A", "100.00", 30), inv("A2", "A", "40.00", 30))
    promise = PromiseToPay("A", AS_OF + timedelta(days=5), usd("100.00"), ("A1",))
    result = plan(ledger, promises=[promise])
    assert skipped(result) == {"A1": "promised"}
    assert [i["invoice_number"] for i in result["messages"][0]["items"]] == ["A2"]
    broken = replace(promise, promise_date=AS_OF - timedelta(days=1))
    assert skipped(plan(ledger, promises=[broken])) == {}


def test_a_promise_naming_no_invoice_covers_the_whole_account() -> None:
    ledger = book(inv("A1", "A", "100.00", 30), inv("A2", "A", "40.00", 30))
    promise = PromiseToPay("A", AS_OF + timedelta(days=5), usd("140.00"))
    assert skipped(plan(ledger, promises=[promise])) == {"A1": "promised", "A2": "promised"}


def test_an_item_already_dunned_at_its_level_is_not_sent_again_but_goes_out_at_the_next_level() -> None:
    ledger = book(inv("A1", "A", "100.00", 25))
    sent = [DunningAction("A", "A1", 2, AS_OF - timedelta(days=2))]
    result = plan(ledger, sent=sent)
    assert result == {"messages": [], "skipped": [{"customer_id": "A", "invoice_number": "A1", "reason": "already_sent"}]}
    ledger_later = book(inv("A1", "A", "100.00", 36))
    assert plan(ledger_later, sent=sent)["messages"][0]["level"] == 3


def test_a_customer_whose_unapplied_cash_covers_the_dunnable_total_is_skipped() -> None:
    cash = Payment("P1", "A", AS_OF - timedelta(days=2), usd("150.00"))
    result = plan(book(inv("A1", "A", "100.00", 30), inv("A2", "A", "50.00", 9), payments=(cash,)))
    assert result["messages"] == []
    assert skipped(result) == {"A1": "covered_by_unapplied_cash", "A2": "covered_by_unapplied_cash"}
    short = Payment("P1", "A", AS_OF - timedelta(days=2), usd("149.99"))
    assert len(plan(book(inv("A1", "A", "100.00", 30), inv("A2", "A", "50.00", 9), payments=(short,)))["messages"]) == 1


def test_an_open_credit_memo_counts_like_unapplied_cash() -> None:
    memo = inv("CM1", "A", "-100.00", 40, DocType.CREDIT_MEMO)
    assert skipped(plan(book(inv("A1", "A", "100.00", 30), memo))) == {"A1": "covered_by_unapplied_cash"}


def test_cash_received_after_the_as_of_date_does_not_cover() -> None:
    later = Payment("P1", "A", AS_OF + timedelta(days=1), usd("500.00"))
    assert len(plan(book(inv("A1", "A", "100.00", 30), payments=(later,)))["messages"]) == 1


def test_no_message_when_the_dunnable_total_is_below_the_minimum() -> None:
    result = plan(book(inv("A1", "A", "6.00", 30), inv("A2", "A", "3.99", 10)))
    assert result["messages"] == []
    assert skipped(result) == {"A1": "below_minimum", "A2": "below_minimum"}
    assert len(plan(book(inv("A1", "A", "6.00", 30), inv("A2", "A", "4.00", 10)))["messages"]) == 1


def test_grace_days_delay_every_level() -> None:
    graceful = replace(POLICY, grace_days=3)
    assert plan_dunning(book(inv("A1", "A", "100.00", 9)), AS_OF, graceful).messages == ()
    (message,) = plan_dunning(book(inv("A1", "A", "100.00", 10)), AS_OF, graceful).messages
    assert message.level == 1 and message.items[0].days_past_due == 10  # days past due are shown as they are


def test_a_risk_class_uses_its_own_schedule() -> None:
    strict = DunningSchedule(
        (DunningLevel(1, "reminder", 3, (Channel.EMAIL,), "reminder"),
         DunningLevel(2, "final notice", 10, (Channel.EMAIL, Channel.LETTER), "final_notice")),
        Escalation(20, "legal"),
    )  # fmt: skip
    policy = replace(POLICY, segments={"C": strict})
    ledger = book(inv("A1", "A", "100.00", 12), inv("B1", "B", "100.00", 12), risk={"A": "C"})
    levels = {m.customer_id: (m.level, m.channel) for m in plan_dunning(ledger, AS_OF, policy).messages}
    assert levels == {"A": (2, "email+letter"), "B": (1, "email")}


def test_paid_items_and_a_past_as_of_use_the_open_amount_at_that_date() -> None:
    item = OpenItem("A1", DocType.INVOICE, "A", date(2026, 8, 1), date(2026, 9, 1), usd("100.00"), usd("0.00"))
    paid = Payment("P1", "A", date(2026, 9, 20), usd("100.00"), applications=(Application("P1", "A1", usd("100.00"), date(2026, 9, 20)),))
    ledger = book(item, payments=(paid,))
    assert plan_dunning(ledger, AS_OF, POLICY).messages == ()
    (before,) = plan_dunning(ledger, date(2026, 9, 15), POLICY).messages  # 14 days past due then, unpaid
    assert before.level == 1 and before.items[0].open_amount == Decimal("100.00")


def test_promise_kept_broken_and_open_from_payments() -> None:
    promise = PromiseToPay("A", date(2026, 9, 30), usd("100.00"), ("A1",), made_on=date(2026, 9, 20))

    def pay(day: date, amount: str) -> Payment:
        return Payment("P", "A", day, usd(amount), applications=(Application("P", "A1", usd(amount), day),))

    assert promise_outcome(promise, [pay(date(2026, 9, 29), "100.00")], AS_OF).status is PromiseStatus.KEPT
    assert promise_outcome(promise, [pay(date(2026, 9, 29), "60.00")], AS_OF).status is PromiseStatus.BROKEN
    assert promise_outcome(promise, [pay(date(2026, 10, 1), "100.00")], AS_OF).status is PromiseStatus.BROKEN
    assert promise_outcome(promise, [], date(2026, 9, 25)).status is PromiseStatus.OPEN
    assert promise_outcome(promise, [pay(date(2026, 9, 19), "100.00")], AS_OF).status is PromiseStatus.BROKEN  # before it was made
    late_ok = promise_outcome(promise, [pay(date(2026, 10, 1), "100.00")], AS_OF, tolerance_days=2)
    assert late_ok.status is PromiseStatus.KEPT
    outcomes = [
        promise_outcome(promise, [pay(date(2026, 9, 29), "100.00")], AS_OF),
        promise_outcome(promise, [], AS_OF),
        promise_outcome(promise, [], date(2026, 9, 25)),
    ]
    assert kept_rate(outcomes) == Decimal(50)


def test_worklist_puts_the_largest_oldest_riskiest_first_and_leaves_disputed_money_out() -> None:
    ledger = book(
        inv("A1", "A", "1000.00", 10), inv("B1", "B", "1000.00", 40), inv("C1", "C", "1000.00", 10),
        inv("D1", "D", "5000.00", 60), risk={"C": "D"},
    )  # fmt: skip
    disputes = [Dispute("D1", AS_OF, "damaged")]
    the_plan = plan_dunning(ledger, AS_OF, POLICY, disputes=disputes)
    entries = build_worklist(ledger, AS_OF, POLICY, the_plan)
    assert [e.customer_id for e in entries] == ["B", "C", "A", "D"]  # 40k, 30k (risk D ×3), 10k, nothing to chase
    assert entries[0].priority == Decimal("40000.00")
    assert entries[-1].disputed == Decimal("5000.00") and entries[-1].overdue == 0
    weights = replace(POLICY, weights=replace(POLICY.weights, days=Decimal(0), risk=Decimal(0)))
    flat = build_worklist(ledger, AS_OF, weights, the_plan)
    assert [e.priority for e in flat[:3]] == [Decimal("1000.00")] * 3


def test_disputes_propose_write_off_when_small_and_credit_memo_when_justified() -> None:
    item = inv("A1", "A", "500.00", 30)
    assert propose_resolution(Dispute("A1", AS_OF, "pricing", amount=usd("20.00")), item, Decimal(25)).kind == "write_off"
    proposal = propose_resolution(Dispute("A1", AS_OF, "damaged"), item, Decimal(25))
    assert (proposal.kind, proposal.amount) == ("credit_memo", usd("500.00"))
    assert propose_resolution(Dispute("A1", AS_OF, "other"), item, Decimal(25)).kind == "none"


def test_dispute_ageing_counts_open_disputes_by_age() -> None:
    disputes = [
        Dispute("A1", AS_OF - timedelta(days=5), "pricing"),
        Dispute("A2", AS_OF - timedelta(days=45), "damaged"),
        Dispute("A3", AS_OF - timedelta(days=200), "other"),
        Dispute("A4", AS_OF - timedelta(days=200), "other", DisputeStatus.RESOLVED, resolved_on=AS_OF),
    ]
    assert dispute_ageing(disputes, AS_OF) == {"0_30": 1, "31_60": 1, "61_90": 0, "over_90": 1}


def test_dunning_effectiveness_counts_items_settled_within_n_days_of_each_level() -> None:
    from creditbridge.core.collections.kpis import collections_kpis

    sent_on = AS_OF - timedelta(days=30)
    a1 = OpenItem("A1", DocType.INVOICE, "A", date(2026, 7, 1), date(2026, 8, 1), usd("100.00"), usd("0.00"))
    a2 = OpenItem("A2", DocType.INVOICE, "A", date(2026, 7, 1), date(2026, 8, 1), usd("100.00"), usd("0.00"))
    a3 = OpenItem("A3", DocType.INVOICE, "A", date(2026, 7, 1), date(2026, 8, 1), usd("100.00"), usd("100.00"))

    def paid(item: str, days_after: int) -> Payment:
        day = sent_on + timedelta(days=days_after)
        applied = (Application(f"P{item}", item, usd("100.00"), day),)
        return Payment(f"P{item}", "A", day, usd("100.00"), applications=applied)

    ledger = book(a1, a2, a3, payments=(paid("A1", 5), paid("A2", 20)))
    sent = [DunningAction("A", i, 1, sent_on) for i in ("A1", "A2", "A3")]
    sent.append(DunningAction("A", "A3", 2, AS_OF - timedelta(days=3)))  # too recent to judge
    kpis = collections_kpis(ledger, AS_OF, POLICY, effectiveness_days=14, sent=sent)
    assert [(e.level, e.dunned, e.paid_within) for e in kpis.effectiveness] == [(1, 3, 1)]
    assert kpis.promise_kept_rate is None


def test_the_default_policy_file_is_the_documented_default() -> None:
    from creditbridge.sync.collections.policy_file import builtin_policy

    assert builtin_policy() == POLICY


def test_a_short_pay_opens_a_dispute_for_what_is_left_open() -> None:
    from creditbridge.core.collections import short_pay_dispute

    item = OpenItem("A1", DocType.INVOICE, "A", date(2026, 8, 1), date(2026, 9, 1), usd("100.00"), usd("12.50"))
    dispute = short_pay_dispute(item, usd("87.50"), date(2026, 9, 5))
    assert dispute is not None and (dispute.reason, dispute.amount, dispute.opened_on) == ("short_pay", usd("12.50"), date(2026, 9, 5))
    assert short_pay_dispute(item, usd("87.50"), date(2026, 9, 5), tolerance=Decimal("15")) is None  # within tolerance
    assert skipped(plan(book(item), disputes=[dispute])) == {"A1": "disputed"}
