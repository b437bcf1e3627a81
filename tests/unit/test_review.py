"""The credit review as a credit manager reads it: who goes on hold, who comes off, and why."""

from datetime import date
from decimal import Decimal

from creditbridge.core.model import CreditProfile, Customer, DocType, Ledger, OpenItem, Order, OrderStatus
from creditbridge.core.money import Money
from creditbridge.core.review import HoldPolicy, exposures, review_holds

AS_OF = date(2026, 6, 30)


def usd(text: str) -> Money:
    return Money.of(text, "USD")


def invoice(item_id: str, customer: str, due: date, open_amount: str) -> OpenItem:
    return OpenItem(item_id, DocType.INVOICE, customer, date(2026, 1, 1), due, usd(open_amount), usd(open_amount))


def ledger(*items: OpenItem, orders: tuple[Order, ...] = ()) -> Ledger:
    return Ledger(customers=(Customer("A", "Acme", "USD"),), items=items, orders=orders)


def profile(limit: str | None, on_hold: bool = False) -> CreditProfile:
    return CreditProfile("A", usd(limit) if limit else None, on_hold=on_hold)


def test_open_orders_count_in_exposure_and_push_a_customer_over_the_limit():
    books = ledger(invoice("I1", "A", date(2026, 7, 15), "800"),
                   orders=(Order("SO1", "A", AS_OF, usd("300")), Order("SO2", "A", AS_OF, usd("900"), OrderStatus.CANCELLED)))  # fmt: skip
    [decision] = review_holds([profile("1000")], exposures(books, AS_OF), HoldPolicy())
    assert decision.hold is True and decision.wanted.on_hold is True
    assert decision.wanted.credit_limit == Decimal("1000")
    [reason] = decision.reasons
    assert reason.rule == "over_limit"
    assert dict(reason.figures)["open_orders"] == "300"


def test_tolerance_lets_a_customer_run_slightly_over_the_limit():
    books = ledger(invoice("I1", "A", date(2026, 7, 15), "1040"))
    assert review_holds([profile("1000")], exposures(books, AS_OF), HoldPolicy(over_limit_tolerance_percent=Decimal(5))) == ()


def test_long_overdue_balance_puts_a_customer_on_hold_even_under_the_limit():
    books = ledger(invoice("I1", "A", date(2026, 3, 1), "50"))  # 121 days past due
    [decision] = review_holds([profile("1000")], exposures(books, AS_OF), HoldPolicy(hold_when_past_due_days_over=90))
    assert [r.rule for r in decision.reasons] == ["past_due"]
    assert "121 days" in decision.reasons[0].message


def test_small_overdue_amounts_below_the_materiality_threshold_are_ignored():
    books = ledger(invoice("I1", "A", date(2026, 3, 1), "50"))
    policy = HoldPolicy(hold_when_past_due_days_over=90, min_past_due_amount=Decimal(100))
    assert review_holds([profile("1000")], exposures(books, AS_OF), policy) == ()


def test_a_customer_on_hold_whose_reasons_cleared_is_released():
    books = ledger(invoice("I1", "A", date(2026, 7, 15), "100"))
    [decision] = review_holds([profile("1000", on_hold=True)], exposures(books, AS_OF), HoldPolicy())
    assert decision.hold is False and decision.reasons[0].rule == "hold_cleared"


def test_release_can_be_left_to_a_person():
    books = ledger(invoice("I1", "A", date(2026, 7, 15), "100"))
    policy = HoldPolicy(release_when_clear=False)
    assert review_holds([profile("1000", on_hold=True)], exposures(books, AS_OF), policy) == ()


def test_a_customer_already_on_hold_for_a_reason_is_left_alone():
    books = ledger(invoice("I1", "A", date(2026, 7, 15), "5000"))
    assert review_holds([profile("1000", on_hold=True)], exposures(books, AS_OF), HoldPolicy()) == ()


def test_no_limit_means_no_over_limit_hold():
    books = ledger(invoice("I1", "A", date(2026, 7, 15), "5000"))
    assert review_holds([profile(None)], exposures(books, AS_OF), HoldPolicy()) == ()
