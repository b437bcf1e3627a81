"""AR KPIs on a small ledger, checked against figures worked out by hand from the formulas.

The ledger (as of 2026-03-31, 90-day period = 2026-01-01 .. 2026-03-31, start = 2025-12-31):
  customer A (USD)
    A1  INV 2025-12-01 due 2025-12-31  1000.00, paid 400.00 on 2026-01-15  -> open 600, 90 days past due
    A2  INV 2026-02-01 due 2026-03-03   500.00                             -> open 500, 28 days past due
    A3  CM  2026-03-10 due 2026-03-10  -100.00                             -> open -100, 21 days past due
    A4  INV 2026-03-20 due 2026-04-19   300.00, paid 300.00 on 2026-04-02  -> open 300 at as-of, current
    A5  INV 2025-10-01 due 2025-10-31   200.00, written off 2026-02-15     -> open 0
    A6  INV 2026-04-05 due 2026-05-05   999.00                             -> after as-of, not counted
  customer B (EUR)
    B1  INV 2026-03-01 due 2026-03-31   250.00                             -> current (due on as-of)
"""

from datetime import date
from decimal import Decimal

import pytest

from creditbridge.core.columns import columns_from_ledger
from creditbridge.core.kpis import compute_kpis
from creditbridge.core.kpis.engine import KpiEngine, countback_days
from creditbridge.core.model import Application, Customer, DocType, Ledger, OpenItem, Payment, WriteOff
from creditbridge.core.money import Money

AS_OF = date(2026, 3, 31)


def usd(text: str) -> Money:
    return Money.of(text, "USD")


def item(item_id, customer, doc, day, due, amount, currency="USD", open_amount=None):
    money = Money.of(amount, currency)
    return OpenItem(
        item_id, DocType(doc), customer, day, due, money,
        Money.of(open_amount, currency) if open_amount is not None else money,
    )  # fmt: skip


def pay(payment_id, customer, day, allocations):
    apps = tuple(Application(payment_id, inv, usd(amount), day) for inv, amount in allocations)
    total = sum((usd(a).amount for _, a in allocations), Decimal(0))
    return Payment(payment_id, customer, day, Money(total, "USD"), applications=apps)


def ledger(with_paid_up_customer: bool = False) -> Ledger:
    customers = [Customer("A", "Acme & Sons", "USD"), Customer("B", "Bäckerei Berg", "EUR")]
    items = [
        item("A1", "A", "INV", date(2025, 12, 1), date(2025, 12, 31), "1000.00"),
        item("A2", "A", "INV", date(2026, 2, 1), date(2026, 3, 3), "500.00"),
        item("A3", "A", "CM", date(2026, 3, 10), date(2026, 3, 10), "-100.00"),
        item("A4", "A", "INV", date(2026, 3, 20), date(2026, 4, 19), "300.00"),
        item("A5", "A", "INV", date(2025, 10, 1), date(2025, 10, 31), "200.00"),
        item("A6", "A", "INV", date(2026, 4, 5), date(2026, 5, 5), "999.00"),
        item("B1", "B", "INV", date(2026, 3, 1), date(2026, 3, 31), "250.00", currency="EUR"),
    ]
    payments = [
        pay("P1", "A", date(2026, 1, 15), [("A1", "400.00")]),
        pay("P2", "A", date(2026, 4, 2), [("A4", "300.00")]),
    ]
    if with_paid_up_customer:
        customers.append(Customer("C", "Cobalt Ltd", "USD"))
        items.append(item("C1", "C", "INV", date(2026, 1, 10), date(2026, 2, 9), "100.00"))
        payments.append(pay("P3", "C", date(2026, 2, 20), [("C1", "100.00")]))
    writeoffs = [WriteOff("A5", date(2026, 2, 15), usd("200.00"), "insolvency")]
    return Ledger(customers=tuple(customers), items=tuple(items), payments=tuple(payments),
                  writeoffs=tuple(writeoffs))  # fmt: skip


def company(report, currency):
    return next(f for f in report.company if f.currency == currency)


def customer(report, customer_id):
    return next(f for f in report.customers if f.customer_id == customer_id)


def d(text: str) -> Decimal:
    return Decimal(text)


def test_ar_counts_open_amounts_net_of_payments_and_writeoffs_up_to_the_date():
    report = compute_kpis(columns_from_ledger(ledger()), AS_OF)
    usd_figures = company(report, "USD")
    assert usd_figures.ar == d("1300.00")  # 600 + 500 - 100 + 300; A5 written off; A6 not yet invoiced
    assert usd_figures.ar_start == d("1200.00")  # A1 1000 (unpaid on 2025-12-31) + A5 200
    assert report.start == date(2025, 12, 31)


def test_credit_sales_include_credit_memos_dated_in_the_period_only():
    usd_figures = company(compute_kpis(columns_from_ledger(ledger()), AS_OF), "USD")
    assert usd_figures.credit_sales == d("700.00")  # 500 - 100 + 300


def test_dso_best_possible_dso_and_average_days_delinquent():
    usd_figures = company(compute_kpis(columns_from_ledger(ledger()), AS_OF), "USD")
    assert usd_figures.current_ar == d("300.00")
    assert usd_figures.dso == d("167.14")  # 1300 / 700 x 90
    assert usd_figures.best_possible_dso == d("38.57")  # 300 / 700 x 90
    assert usd_figures.add == d("128.57")  # 167.142857 - 38.571428


def test_cei_compares_what_was_collected_with_what_could_have_been():
    usd_figures = company(compute_kpis(columns_from_ledger(ledger()), AS_OF), "USD")
    assert usd_figures.cei == d("37.50")  # (1200 + 700 - 1300) / (1200 + 700 - 300) x 100


def test_bad_debt_ratio_is_writeoffs_in_the_period_over_credit_sales():
    usd_figures = company(compute_kpis(columns_from_ledger(ledger()), AS_OF), "USD")
    assert usd_figures.writeoffs == d("200.00")
    assert usd_figures.bad_debt_ratio == d("28.57")


def test_aging_buckets_by_days_past_due_with_percentages():
    usd_figures = company(compute_kpis(columns_from_ledger(ledger()), AS_OF), "USD")
    amounts = {b.name: b.amount for b in usd_figures.aging}
    assert amounts == {
        "current": d("300.00"), "1_30": d("400.00"), "31_60": d("0.00"),
        "61_90": d("600.00"), "91_120": d("0.00"), "over_120": d("0.00"),
    }  # fmt: skip
    percents = {b.name: b.percent for b in usd_figures.aging}
    assert percents["current"] == d("23.08")
    assert percents["1_30"] == d("30.77")
    assert percents["61_90"] == d("46.15")


def test_countback_dso_walks_back_months_until_ar_is_covered():
    usd_figures = company(compute_kpis(columns_from_ledger(ledger()), AS_OF), "USD")
    # Mar (31 days, sales 200) and Feb (28, sales 500) are covered, Jan has no sales (31),
    # Dec covers the remaining 600 of its 1000: 31 x 0.6 = 18.6.
    assert usd_figures.countback_dso == d("108.60")


def test_countback_matches_the_textbook_example():
    # AR 405; Dec 205 -> 30 days, Nov 158 -> 30 days, 42 of Oct's 167 -> 42/167 x 30.
    assert countback_days(405, [205, 158, 167], [30, 30, 30]).quantize(d("0.01")) == d("67.54")


def test_mixed_currency_ledger_reports_each_currency_separately():
    report = compute_kpis(columns_from_ledger(ledger()), AS_OF)
    assert [f.currency for f in report.company] == ["EUR", "USD"]
    eur = company(report, "EUR")
    assert eur.ar == d("250.00")
    assert eur.dso == d("90.00")
    assert eur.bucket("current").amount == d("250.00")  # due on the as-of date is not past due
    assert eur.cei is None  # nothing was collectable: the ratio is undefined, not zero
    assert eur.countback_dso == d("31.00")


def test_customer_figures_add_up_to_the_company():
    report = compute_kpis(columns_from_ledger(ledger(with_paid_up_customer=True)), AS_OF, by_customer=True)
    usd_figures = company(report, "USD")
    assert usd_figures.credit_sales == d("800.00")
    assert usd_figures.dso == d("146.25")  # 1300 / 800 x 90
    assert usd_figures.cei == d("41.18")  # (1200 + 800 - 1300) / (1200 + 800 - 300) x 100
    paid_up = customer(report, "C")
    assert paid_up.ar == d("0.00")
    assert paid_up.dso == d("0.00")
    assert paid_up.countback_dso == d("0.00")
    assert paid_up.cei == d("100.00")
    assert customer(report, "A").customer_name == "Acme & Sons"
    assert sum(f.ar for f in report.customers if f.currency == "USD") == usd_figures.ar


def test_period_without_sales_leaves_dso_undefined():
    report = compute_kpis(columns_from_ledger(ledger()), date(2026, 6, 30), period_days=30)
    usd_figures = company(report, "USD")
    assert usd_figures.credit_sales == d("0.00")
    assert usd_figures.dso is None
    assert usd_figures.bad_debt_ratio is None


def test_an_earlier_as_of_date_sees_the_ledger_as_it_was():
    report = compute_kpis(columns_from_ledger(ledger()), date(2026, 1, 14), period_days=30)
    usd_figures = company(report, "USD")
    assert usd_figures.ar == d("1200.00")  # before P1 and before the write-off
    assert usd_figures.bucket("over_120").amount == d("0.00")
    assert usd_figures.bucket("61_90").amount == d("200.00")  # A5: 75 days past due
    assert usd_figures.bucket("1_30").amount == d("1000.00")  # A1: 14 days past due


def test_aging_totals_alone_match_the_full_run():
    columns = columns_from_ledger(ledger())
    engine = KpiEngine(columns)
    totals = engine.aging_totals(AS_OF)
    full = company(engine.compute(AS_OF), "USD")
    assert totals["USD"] == {b.name: b.amount for b in full.aging}


def test_period_must_be_positive():
    with pytest.raises(ValueError, match="period_days"):
        compute_kpis(columns_from_ledger(ledger()), AS_OF, period_days=0)


def test_an_empty_ledger_has_no_figures():
    report = compute_kpis(columns_from_ledger(Ledger()), AS_OF, by_customer=True)
    assert report.company == () and report.customers == ()


def test_empty_columns_of_any_dtype_have_no_figures():
    import numpy as np

    from creditbridge.core.columns import LedgerColumns

    empty = np.zeros(0)
    columns = LedgerColumns((), (), (), [], empty, empty, empty.astype("datetime64[D]"), empty.astype("datetime64[D]"),
                            empty, empty.astype(np.int64), empty.astype(np.int64), empty, empty.astype("datetime64[D]"),
                            empty.astype(np.int64), empty.astype(bool))  # fmt: skip
    assert compute_kpis(columns, AS_OF, by_customer=True).company == ()
