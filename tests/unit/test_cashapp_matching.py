"""Matching stories, one per kind of noise real remittances carry (cash-application.md §3)."""

from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import DamerauLevenshtein

from creditbridge.core.cashapp import (
    CashMatcher,
    Decision,
    MatchMemory,
    MatchPolicy,
    Residual,
    learn_confirmation,
    learn_from_history,
    learn_rejection,
    match_rows,
)
from creditbridge.core.cashapp.index import discount_units
from creditbridge.core.cashapp.references import (
    constant_prefix,
    document_key,
    one_edit_away,
    short_key,
    text_keys,
)
from creditbridge.core.cashapp.subsets import subset_solutions
from creditbridge.core.model import (
    Application,
    BankTransaction,
    Customer,
    DocType,
    OpenItem,
    Payment,
    RemittanceLine,
)
from creditbridge.core.money import Money, from_units, minor_digits, to_units

TODAY = date(2026, 11, 30)


def usd(text):
    return Money(Decimal(text), "USD")


def item(number, customer, amount, days_old=30, open_amount=None, discount=None, po=None, doc=DocType.INVOICE):
    issued = TODAY - timedelta(days=days_old)
    return OpenItem(
        number, doc, customer, issued, issued + timedelta(days=30), usd(amount),
        usd(amount if open_amount is None else open_amount), po_number=po,
        discount_percent=Decimal(discount[0]) if discount else None, discount_days=discount[1] if discount else None,
    )  # fmt: skip


CUSTOMERS = (
    Customer("C1", "Acme Industrial Supplies Inc", "USD", bank_accounts=("DE89 3704 0044 0532 0130 00",)),
    Customer("C2", "Borealis Trading GmbH", "USD"),
    Customer("C3", "Cobalt Retail Group LLC", "USD", parent_id="C9"),
    Customer("C9", "Cobalt Holdings Corporation", "USD"),
    Customer("C4", "Delta Subscriptions Ltd", "USD"),
)
ITEMS = (
    item("1800012345", "C1", "1250.00", 40),
    item("1800012346", "C1", "980.40", 35),
    item("1800012347", "C1", "310.00", 20),
    item("1800012348", "C1", "4400.00", 10, discount=("2", 10)),
    item("1800012350", "C2", "1250.00", 25),
    item("1800012351", "C2", "777.77", 15),
    item("1800012352", "C2", "640.00", 5, open_amount="0"),  # already paid
    item("1800012353", "C3", "2100.00", 28),
    item("1800012354", "C3", "150.00", 21),
    item("1800012360", "C4", "99.00", 60),
    item("1800012361", "C4", "99.00", 30),
    item("1800012362", "C4", "99.00", 1),
    item("1800012363", "C2", "520.00", 12, po="PO-88123"),
)


def tx(amount, text=None, name=None, account=None, lines=(), tid="P1", booked=TODAY):
    return BankTransaction(tid, booked, usd(amount), payer_name=name, payer_account=account, remittance_text=text,
                           remittance_lines=tuple(lines))  # fmt: skip


def run(*transactions, memory=None, policy=None, items=ITEMS):
    matcher = CashMatcher(CUSTOMERS, items, memory, policy)
    return matcher.match_all(list(transactions))


def applied(match):
    return {i: str(m.amount) for i, m in match.allocations}


def test_reference_with_prefix_and_payer_name_applies_automatically():
    [m] = run(tx("1250.00", "INV 1800012345", name="ACME INDUSTRIAL SUPPLIES"))
    assert m.decision is Decision.AUTO and applied(m) == {"1800012345": "1250.00"}
    assert m.confidence >= Decimal("0.95")


def test_reference_typed_with_separators_and_the_constant_prefix_dropped_still_matches():
    [m] = run(tx("980.40", "Rg. 12 346", name="Acme Industrial Supplies"))
    assert m.decision is Decision.AUTO and applied(m) == {"1800012346": "980.40"}


def test_a_mistyped_reference_matches_only_inside_the_payers_open_items():
    # 1800012364 is one edit from 1800012354 (C3) and 1800012346 is not open for C2: typo inside C1's block
    [m] = run(tx("310.00", "invoice 1800012337", name="Acme Industrial Supplies Inc"))
    assert m.decision is Decision.AUTO and applied(m) == {"1800012347": "310.00"}
    assert m.stage == "fuzzy_reference"


def test_an_exact_reference_to_another_customers_invoice_with_the_wrong_amount_is_not_applied_automatically():
    # the payer is Borealis; 1800012345 belongs to Acme and its amount (1250) differs
    [m] = run(tx("333.00", "1800012345", name="Borealis Trading"))
    assert m.decision is not Decision.AUTO


def test_same_amount_at_two_customers_is_resolved_by_the_payer_not_by_luck():
    [m] = run(tx("1250.00", None, name="Borealis Trading GmbH"))
    assert m.decision is Decision.AUTO and applied(m) == {"1800012350": "1250.00"}


def test_lump_payment_without_remittance_is_matched_to_the_unique_set_of_open_items():
    [m] = run(tx("2540.40", None, account="DE89370400440532013000"))  # 1250 + 980.40 + 310
    assert m.decision is Decision.AUTO
    assert applied(m) == {"1800012345": "1250.00", "1800012346": "980.40", "1800012347": "310.00"}


def test_remittance_missing_one_of_the_invoices_is_completed_by_an_anchored_subset():
    [m] = run(tx("2230.40", "1800012345", name="Acme Industrial Supplies"))  # 1250 + the unnamed 980.40
    assert m.decision is Decision.AUTO and applied(m) == {"1800012345": "1250.00", "1800012346": "980.40"}


def test_early_payment_discount_within_the_terms_is_written_off():
    [m] = run(tx("4312.00", "1800012348", name="Acme Industrial Supplies"))
    assert m.decision is Decision.AUTO and m.residual is Residual.DISCOUNT
    assert m.write_off == usd("88.00") and applied(m) == {"1800012348": "4312.00"}


def test_discount_taken_after_the_window_goes_to_a_person():
    late = TODAY + timedelta(days=30)
    [m] = run(tx("4312.00", "1800012348", name="Acme Industrial Supplies", booked=late))
    assert m.decision is Decision.SUGGEST and m.residual is Residual.UNEARNED_DISCOUNT


def test_bank_fee_within_tolerance_is_written_off_and_the_invoice_settled():
    [m] = run(tx("1235.00", "1800012345", name="Acme Industrial Supplies"))
    assert m.decision is Decision.AUTO and m.residual is Residual.BANK_FEE and m.write_off == usd("15.00")


def test_short_pay_leaves_the_rest_open_as_a_deduction():
    [m] = run(tx("1000.00", "1800012353 damaged goods", name="Cobalt Retail Group"))
    assert m.decision is Decision.AUTO and m.residual is Residual.SHORT_PAY
    assert applied(m) == {"1800012353": "1000.00"} and m.write_off is None


def test_over_payment_puts_the_excess_on_account_and_rows_add_up():
    [m] = run(tx("1300.00", "1800012345", name="Acme Industrial Supplies"))
    assert m.decision is Decision.AUTO and m.residual is Residual.OVERPAYMENT
    rows = match_rows(m)
    assert rows[-1][1] == "" and rows[-1][2] == "50.00" and rows[-1][3] == "unapplied"
    assert sum(Decimal(r[2]) for r in rows) == Decimal("1300.00")


def test_paying_an_invoice_that_is_already_paid_is_flagged_as_a_possible_duplicate():
    [m] = run(tx("640.00", "1800012352", name="Borealis Trading"))
    assert m.decision is Decision.UNAPPLIED and m.residual is Residual.DUPLICATE


def test_the_second_payment_of_one_invoice_in_a_statement_does_not_take_it_again():
    first, second = run(tx("777.77", "1800012351", name="Borealis Trading", tid="A"),
                        tx("777.77", "1800012351", name="Borealis Trading", tid="B"))  # fmt: skip
    assert first.decision is Decision.AUTO
    assert second.decision is not Decision.AUTO


def test_parent_company_paying_for_its_subsidiary_is_matched_in_the_family():
    [m] = run(tx("2250.00", None, name="COBALT HOLDINGS CORP"))
    assert m.decision is Decision.AUTO and applied(m) == {"1800012353": "2100.00", "1800012354": "150.00"}


def test_truncated_payer_name_still_identifies_the_customer():
    [m] = run(tx("150.00", None, name="COBALT RETAIL GR"))
    assert m.decision is Decision.AUTO and applied(m) == {"1800012354": "150.00"}


def test_purchase_order_number_instead_of_the_invoice_number_finds_the_invoice():
    [m] = run(tx("520.00", lines=[RemittanceLine("PO-88123")], name="Borealis Trading"))
    assert m.decision is Decision.AUTO and applied(m) == {"1800012363": "520.00"}


def test_identical_subscription_amounts_are_suggested_not_guessed():
    [m] = run(tx("99.00", None, name="Delta Subscriptions"))
    assert m.decision is Decision.SUGGEST and applied(m) == {"1800012360": "99.00"}
    [m] = run(tx("99.00", None, name="Delta Subscriptions"), policy=MatchPolicy(oldest_first_on_equal_amounts=True))
    assert m.decision is Decision.AUTO


def test_unknown_payer_without_references_stays_unapplied_with_its_whole_amount():
    [m] = run(tx("512.12", "thanks", name="Somebody Else"))
    assert m.decision is Decision.UNAPPLIED
    assert match_rows(m) == [("P1", "", "512.12", "unapplied", "0.0", m.summary())]


def test_structured_remittance_lines_with_amounts_are_the_allocation():
    lines = [RemittanceLine("1800012345", usd("1200.00")), RemittanceLine("1800012346", usd("980.40"))]
    [m] = run(tx("2180.40", lines=lines, name="Acme Industrial Supplies"))
    assert m.decision is Decision.AUTO
    assert applied(m) == {"1800012345": "1200.00", "1800012346": "980.40"}


def test_confirming_a_payer_teaches_the_matcher_to_apply_the_next_payment():
    unknown = tx("777.77", None, name="BT HANDELS", account="AT611904300234573201")
    [before] = run(unknown)
    assert before.decision is Decision.UNAPPLIED
    memory = learn_confirmation(MatchMemory(), unknown, "C2", ["1800012351"])
    [after] = run(unknown, memory=memory)
    assert after.decision is Decision.AUTO and applied(after) == {"1800012351": "777.77"}


def test_rejecting_a_payer_stops_the_matcher_from_using_it():
    payment = tx("150.00", None, name="Cobalt Retail Group")
    [m] = run(payment)
    assert m.decision is Decision.AUTO
    memory = learn_rejection(MatchMemory(), payment, "C3")
    [m] = run(payment, memory=memory)
    assert m.decision is not Decision.AUTO


def test_history_teaches_a_customers_reference_habit():
    history = [
        Payment(f"H{n}", "C2", TODAY - timedelta(days=n), usd("10"), reference=f"KD-4711 180001230{n}",
                applications=(Application(f"H{n}", f"180001230{n}", usd("10"), TODAY),))
        for n in range(1, 4)
    ]  # fmt: skip
    memory = learn_from_history(history, ITEMS)
    assert memory.reference_tokens == {"KD-4711": "C2"}
    [m] = run(tx("777.77", "KD-4711 payment", name="unknown payer"), memory=memory)
    assert m.decision is Decision.AUTO and applied(m) == {"1800012351": "777.77"}


@pytest.mark.parametrize(
    ("text", "key"),
    [("INV-0012345", "12345"), ("540 6423", "5406423"), ("60-67132", "6067132"), ("6.032946", "6032946"),
     ("001*0050*0000851333", "851333"), ("Nr. 1800O12345", "1800012345"), ("RE1800012345", "1800012345")],
)  # fmt: skip
def test_payer_text_yields_the_invoice_key(text, key):
    assert key in text_keys(text)


def test_the_tenants_constant_prefix_is_learned_from_its_numbers():
    keys = [document_key(f"18000{n:05d}") for n in range(1, 5000)]
    prefix = constant_prefix(keys)
    assert prefix.startswith("18000")
    assert short_key(document_key("1800004321"), prefix) == "4321"


def test_subset_search_reports_ambiguity_instead_of_choosing():
    assert subset_solutions([100, 250, 400], 650) == [(1, 2)]
    assert len(subset_solutions([100, 100, 300], 400)) == 2
    assert subset_solutions([100, 250], 99) == []


@settings(max_examples=200, deadline=None)
@given(
    cents=st.integers(min_value=1, max_value=2_000_000),
    text=st.one_of(st.none(), st.text(max_size=60), st.sampled_from(["1800012345", "12346 12347", "PO-88123"])),
    name=st.one_of(st.none(), st.sampled_from([c.name for c in CUSTOMERS]), st.text(max_size=30)),
)
def test_whatever_a_payment_says_its_rows_add_up_to_its_amount(cents, text, name):
    amount = str(Decimal(cents).scaleb(-2))
    [m] = run(tx(amount, text, name=name))
    rows = match_rows(m)
    assert sum(Decimal(r[2]) for r in rows) == Decimal(amount)
    assert all(r[3] in ("auto", "suggest", "unapplied") for r in rows)
    assert sum(1 for r in rows if not r[1]) <= 1  # at most one unapplied row


def test_lump_payment_less_the_discounts_of_its_oldest_invoices_is_applied():
    items = (
        item("1800020001", "C2", "1000.00", 8, discount=("2", 10)),
        item("1800020002", "C2", "500.00", 5, discount=("2", 10)),
        item("1800020003", "C2", "700.00", 2),
    )
    [m] = run(tx("1470.00", None, name="Borealis Trading GmbH"), items=items)  # 980 + 490
    assert m.decision is Decision.AUTO and m.residual is Residual.DISCOUNT
    assert set(applied(m)) == {"1800020001", "1800020002"} and sum(a.amount for _, a in m.allocations) == Decimal("1470.00")


def test_two_customers_of_one_name_are_told_apart_by_their_legal_form():
    customers = (Customer("A", "Atlas Valley Logistics Inc", "USD"), Customer("B", "Atlas Valley Logistics LLC", "USD"))
    items = (item("1800030001", "A", "410.00"), item("1800030002", "B", "410.00"))
    matcher = CashMatcher(customers, items)
    [m] = matcher.match_all([tx("410.00", None, name="ATLAS VALLEY LOGISTICS LLC")])
    assert m.decision is Decision.AUTO and applied(m) == {"1800030002": "410.00"}
    [m] = CashMatcher(customers, items).match_all([tx("410.00", None, name="Atlas Valley Logistics")])
    assert m.decision is Decision.UNAPPLIED


def test_one_edit_away_holds_every_typo_of_a_reference_and_nothing_two_edits_away():
    near = one_edit_away("1800051234")
    for typo in ("1800051243", "1800057234", "180005124", "18000512345", "1800051234"):
        assert typo in near
    assert all(DamerauLevenshtein.distance(n, "1800051234") <= 1 for n in near)
    assert "1800051432" not in near  # two edits


def test_invoice_numbers_with_letters_and_leading_zeros_are_found_by_what_payers_write():
    ledger = (item("INV-0004711", "C2", "300.00", 20), item("0004712", "C2", "410.00", 15),
              item("INV-0004713", "C2", "55.00", 10, open_amount="0"))  # fmt: skip
    (letters,) = run(tx("300.00", "RE 4711", name="Borealis Trading"), items=ledger)
    assert (letters.decision, letters.stage, [i for i, _ in letters.allocations]) == (
        Decision.AUTO, "reference", ["INV-0004711"])  # fmt: skip
    (zeros,) = run(tx("410.00", "invoice 4712", name="Borealis Trading"), items=ledger)
    assert (zeros.decision, zeros.stage, [i for i, _ in zeros.allocations]) == (Decision.AUTO, "reference", ["0004712"])
    (paid,) = run(tx("55.00", "INV-0004713", name="Borealis Trading"), items=ledger)
    assert paid.decision is Decision.UNAPPLIED
    assert paid.residual is Residual.DUPLICATE


@given(st.integers(min_value=1, max_value=10**12), st.sampled_from(["2", "1.5", "2.25", "0.125", "3"]),
       st.sampled_from(["USD", "JPY", "KWD"]))  # fmt: skip
def test_a_discount_is_the_invoice_terms_rounded_half_even_to_the_minor_unit(units, percent, currency):
    terms = OpenItem("1", DocType.INVOICE, "C1", TODAY, TODAY, Money(Decimal(1), currency),
                     Money(Decimal(1), currency), discount_percent=Decimal(percent), discount_days=10)  # fmt: skip
    cents = Decimal(1).scaleb(-minor_digits(currency))
    expected = (from_units(units) * Decimal(percent) / 100).quantize(cents, ROUND_HALF_EVEN)
    assert discount_units(terms, units) == to_units(expected)
