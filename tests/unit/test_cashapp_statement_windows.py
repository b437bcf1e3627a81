"""Matching stories where the rest of the statement, or where invoices stand in the customer's list, decides.

A payment is matched against the customer's open items; which of them are candidates matters: an
invoice another payment of the same statement names is that payment's; a remittance that names
some invoices usually left out ones numbered between them; a payer without remittance clears a
batch of consecutive invoices. Each story gives the payments, the open items, and the expected
application or the refusal to apply it automatically.
"""

from datetime import date, timedelta
from decimal import Decimal

from creditbridge.core.cashapp import CashMatcher, Decision
from creditbridge.core.model import BankTransaction, Customer, DocType, OpenItem, RemittanceLine
from creditbridge.core.money import Money

TODAY = date(2026, 11, 30)
ACCOUNT = "DE44500105175407324931"
CUSTOMERS = (
    Customer("C1", "Acme Industrial Supplies Inc", "USD", bank_accounts=(ACCOUNT,)),
    Customer("C2", "Borealis Trading GmbH", "USD"),
)


def usd(text: str) -> Money:
    return Money(Decimal(text), "USD")


def item(number: str, amount: str, days_old: int, customer: str = "C1", doc: DocType = DocType.INVOICE) -> OpenItem:
    issued = TODAY - timedelta(days=days_old)
    return OpenItem(number, doc, customer, issued, issued + timedelta(days=30), usd(amount), usd(amount))


def batch(count: int = 20) -> list[OpenItem]:
    """Invoices 1800020000… of C1, oldest first, amounts 1000 + n² × 13.37: sums of two rarely meet by chance."""
    return [item(f"18000200{n:02d}", str(Decimal("1000.00") + n * n * Decimal("13.37")), 100 - n) for n in range(count)]


def amount_of(items: list[OpenItem], *numbers: int) -> str:
    return str(sum(items[n].open_amount.amount for n in numbers))


def tx(tid: str, amount: str, text=None, name=None, account=None, lines=()) -> BankTransaction:
    return BankTransaction(tid, TODAY, usd(amount), payer_name=name, payer_account=account, remittance_text=text,
                           remittance_lines=tuple(lines))  # fmt: skip


def run(items, *transactions):
    return CashMatcher(CUSTOMERS, items).match_all(list(transactions))


def applied(match) -> set[str]:
    return {i for i, _ in match.allocations}


# --- invoices other payments of the statement name


def test_a_lump_payment_leaves_out_the_invoice_another_payment_names_and_applies_the_only_set_left():
    items = [item("1800030001", "100.00", 60), item("1800030002", "200.00", 50), item("1800030003", "150.00", 40),
             item("1800030004", "150.00", 30)]  # fmt: skip
    lump = tx("P1", "300.00", account=ACCOUNT)  # 100 + 200, or 150 + 150
    # an unknown payer pays half of 1800030003: a short pay a person must look at, but the invoice is spoken for
    other = tx("P2", "75.00", "INV 1800030003", name="Zeta Holdings")
    first, second = run(items, lump, other)
    assert second.decision is not Decision.AUTO
    assert first.decision is Decision.AUTO and applied(first) == {"1800030001", "1800030002"}


def test_without_the_other_payment_the_same_lump_has_two_explanations_and_is_not_applied():
    items = [item("1800030001", "100.00", 60), item("1800030002", "200.00", 50), item("1800030003", "150.00", 40),
             item("1800030004", "150.00", 30)]  # fmt: skip
    [m] = run(items, tx("P1", "300.00", account=ACCOUNT))
    assert m.decision is not Decision.AUTO


# --- the customer's oldest invoices by number, not by due date


def test_a_lump_payment_for_the_first_invoices_issued_is_applied_though_later_ones_fall_due_first():
    issued = [TODAY - timedelta(days=100 - n) for n in range(20)]
    items = [
        OpenItem(f"18000500{n:02d}", DocType.INVOICE, "C1", issued[n], issued[n] + timedelta(days=60 if n < 3 else 0),
                 usd(str(Decimal("1000.00") + n * n * Decimal("13.37"))), usd(str(Decimal("1000.00") + n * n * Decimal("13.37"))))
        for n in range(20)
    ]  # fmt: skip
    # the first three were issued on 60-day terms: by due date, fourteen later invoices come before them
    [m] = run(items, tx("P1", amount_of(items, 0, 1, 2), account=ACCOUNT))
    assert m.decision is Decision.AUTO and m.stage == "subset"
    assert applied(m) == {"1800050000", "1800050001", "1800050002"}


# --- a batch of consecutive invoices, not the oldest


def test_a_lump_payment_for_a_run_of_consecutive_invoices_beyond_the_oldest_ones_is_applied():
    items = batch()
    [m] = run(items, tx("P1", amount_of(items, 16, 17), account=ACCOUNT))
    assert m.decision is Decision.AUTO and m.stage == "subset_run"
    assert applied(m) == {"1800020016", "1800020017"}


def test_two_runs_that_fit_the_amount_are_left_for_a_person():
    items = batch()
    target = Decimal(amount_of(items, 16, 17))
    items += [item("1800020020", "2000.00", 79), item("1800020021", str(target - Decimal("2000.00")), 78)]
    [m] = run(items, tx("P1", str(target), account=ACCOUNT))
    assert m.decision is not Decision.AUTO


# --- invoices a remittance left out, numbered between the ones it names


def test_invoices_left_out_between_the_named_ones_complete_the_payment():
    items = batch()
    payment = tx("P1", amount_of(items, 15, 16, 17, 18), "INV 1800020015, 1800020018", account=ACCOUNT)
    [m] = run(items, payment)
    assert m.decision is Decision.AUTO and m.stage == "anchored_subset"
    assert applied(m) == {"1800020015", "1800020016", "1800020017", "1800020018"}


def test_a_second_set_around_the_named_invoices_that_fits_as_well_is_not_applied():
    items = batch()
    rest = items[16].open_amount.amount + items[17].open_amount.amount - items[19].open_amount.amount
    items.append(item("1800020020", str(rest), 79))  # 19 + 20 add up to the same as 16 + 17
    payment = tx("P1", amount_of(items, 15, 16, 17, 18), "INV 1800020015, 1800020018", account=ACCOUNT)
    [m] = run(items, payment)
    assert m.decision is not Decision.AUTO


def test_a_credit_memo_the_remittance_nets_without_naming_it_is_found_with_the_left_out_invoices():
    items = [*batch(), item("1800029999", "-250.00", 1, doc=DocType.CREDIT_MEMO)]
    paid = str(Decimal(amount_of(items, 15, 16, 17, 18)) - Decimal("250.00"))
    lines = [RemittanceLine("1800020015", None), RemittanceLine("1800020018", None)]
    [m] = run(items, tx("P1", paid, lines=lines, account=ACCOUNT))
    assert m.decision is Decision.AUTO
    assert applied(m) == {"1800020015", "1800020016", "1800020017", "1800020018", "1800029999"}
    assert sum(a.amount for _, a in m.allocations) == Decimal(paid)


# --- no payer, but several references to one customer


def test_an_unknown_payer_naming_two_invoices_of_one_customer_whose_rest_is_exactly_a_third_is_applied():
    items = [item("1800040001", "1250.00", 40), item("1800040002", "980.40", 35), item("1800040003", "310.00", 20)]
    [m] = run(items, tx("P1", "2540.40", "1800040001 1800040003", name="Quantum Payment Services Ltd"))
    assert m.decision is Decision.AUTO and m.customer_id == "C1"
    assert applied(m) == {"1800040001", "1800040002", "1800040003"}


def test_an_unknown_payer_naming_one_invoice_with_more_money_than_it_is_not_applied_automatically():
    items = [item("1800040001", "1250.00", 40), item("1800040002", "980.40", 35), item("1800040003", "310.00", 20)]
    [m] = run(items, tx("P1", "2230.40", "1800040001", name="Quantum Payment Services Ltd"))
    assert m.decision is not Decision.AUTO
