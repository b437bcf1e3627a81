"""Reconciliation stories (core.reconcile), one per difference class, on a small ledger worked out by hand.

Company (USD): customer ACME (bank account DE11, name "Acme Corp") and BOLT.
INV A1 1,000.00 paid in full by P1 (ref "RA-1", 2026-03-05); INV A2 500.00 half paid by P2
(250.00, ref "RA-2", 2026-03-10), open 250.00; INV B1 300.00 open for BOLT.
Open items: ACME 250.00, BOLT 300.00, AR total 550.00. Every check agrees: no differences.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from creditbridge.core.model import (
    Application,
    BankStatement,
    BankTransaction,
    Customer,
    DocType,
    Ledger,
    OpenItem,
    Payment,
    RemittanceLine,
    WriteOff,
)
from creditbridge.core.money import Money
from creditbridge.core.reconcile import (
    GlControlBalance,
    ReconcileInput,
    compare_documents,
    reconcile,
)

D = Decimal


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def invoice(item_id: str, customer: str, amount: str, open_amount: str) -> OpenItem:
    return OpenItem(item_id, DocType.INVOICE, customer, date(2026, 3, 1), date(2026, 3, 31), usd(amount),
                    usd(open_amount))  # fmt: skip


def payment(payment_id: str, customer: str, day: date, amount: str, ref: str | None, *applied: tuple[str, str]) -> Payment:
    apps = tuple(Application(payment_id, item, usd(a), day) for item, a in applied)
    return Payment(payment_id, customer, day, usd(amount), ref, apps)


CUSTOMERS = (
    Customer("ACME", "Acme Corp", "USD", bank_accounts=("DE11",)),
    Customer("BOLT", "Bolt Ltd", "USD"),
)
P1 = payment("P1", "ACME", date(2026, 3, 5), "1000", "RA-1", ("A1", "1000"))
P2 = payment("P2", "ACME", date(2026, 3, 10), "250", "RA-2", ("A2", "250"))
LEDGER = Ledger(
    customers=CUSTOMERS,
    items=(invoice("A1", "ACME", "1000", "0"), invoice("A2", "ACME", "500", "250"), invoice("B1", "BOLT", "300", "300")),
    payments=(P1, P2),
)
BALANCES = {"ACME": D("250"), "BOLT": D("300")}
GL = (GlControlBalance("1200", D("550"), "USD"),)


def line(tid: str, day: date, amount: str, text: str | None = None, payer: str | None = None,
         account: str | None = None) -> BankTransaction:  # fmt: skip
    return BankTransaction(tid, day, usd(amount), payer_name=payer, payer_account=account, remittance_text=text)


def statement(*lines: BankTransaction) -> BankStatement:
    return BankStatement("bank.xml", "camt.053", lines, period_start=date(2026, 3, 1), period_end=date(2026, 3, 31))


CONSISTENT_BANK = statement(line("T1", date(2026, 3, 6), "1000", "RA-1"), line("T2", date(2026, 3, 10), "250", "A2"))


def classes(result_inputs: ReconcileInput, tolerance: str = "0") -> list[tuple[str, str | None, tuple[str, ...], Decimal]]:
    result = reconcile(result_inputs, D(tolerance))
    return [(d.kind.value, d.customer_id, d.documents, d.amount) for d in result.differences]


def test_a_consistent_ledger_with_balances_gl_and_bank_reports_no_differences() -> None:
    result = reconcile(ReconcileInput(LEDGER, date(2026, 3, 31), BALANCES, GL, CONSISTENT_BANK))
    assert result.differences == ()
    assert result.ok
    assert result.summary()["checked"]["statement_matches"] == 2


def test_an_erp_balance_that_differs_is_a_balance_mismatch_naming_the_document_that_explains_it() -> None:
    found = classes(ReconcileInput(LEDGER, erp_balances={"ACME": D("0"), "BOLT": D("300")}))
    assert found == [("balance_mismatch", "ACME", ("A2",), D("-250"))]


def test_a_customer_missing_from_the_erp_list_counts_as_a_zero_erp_balance() -> None:
    found = classes(ReconcileInput(LEDGER, erp_balances={"ACME": D("250")}))
    assert found == [("balance_mismatch", "BOLT", ("B1",), D("-300"))]


def test_an_open_amount_that_ignores_a_payment_is_an_open_amount_mismatch_with_the_payment() -> None:
    stale = replace(LEDGER, items=(LEDGER.items[0], invoice("A2", "ACME", "500", "500"), LEDGER.items[2]))
    assert classes(ReconcileInput(stale)) == [("open_amount_mismatch", "ACME", ("A2", "P2"), D("250"))]


def test_a_write_off_counts_in_the_computed_open_amount() -> None:
    written = replace(LEDGER, items=(*LEDGER.items[:2], invoice("B1", "BOLT", "300", "0")),
                      writeoffs=(WriteOff("B1", date(2026, 3, 20), usd("300")),))  # fmt: skip
    assert classes(ReconcileInput(written)) == []


def test_a_payment_not_fully_applied_is_unapplied_cash() -> None:
    extra = payment("P3", "BOLT", date(2026, 3, 12), "400", "RB-1", ("B1", "300"))
    paid = replace(LEDGER, items=(*LEDGER.items[:2], invoice("B1", "BOLT", "300", "0")), payments=(P1, P2, extra))
    assert classes(ReconcileInput(paid)) == [("unapplied_cash", "BOLT", ("P3",), D("100"))]


def test_the_same_payment_recorded_under_two_ids_is_a_duplicate_payment() -> None:
    twin = payment("P9", "BOLT", date(2026, 3, 12), "75", "WIRE 77")
    first = payment("P8", "BOLT", date(2026, 3, 12), "75", "wire 77")
    doubled = replace(LEDGER, payments=(P1, P2, first, twin))
    found = [f for f in classes(ReconcileInput(doubled)) if f[0] == "duplicate_payment"]
    assert found == [("duplicate_payment", "BOLT", ("P8", "P9"), D("75"))]


def test_two_equal_payments_without_a_reference_are_not_called_duplicates() -> None:
    a = payment("P8", "BOLT", date(2026, 3, 12), "150", None, ("B1", "150"))
    b = payment("P9", "BOLT", date(2026, 3, 12), "150", None, ("B1", "150"))
    both = replace(LEDGER, items=(*LEDGER.items[:2], invoice("B1", "BOLT", "300", "0")), payments=(P1, P2, a, b))
    assert classes(ReconcileInput(both)) == []


def test_an_application_to_an_unknown_document_is_an_orphan_application() -> None:
    lost = payment("P3", "BOLT", date(2026, 3, 12), "80", "RB-2", ("Z99", "80"))
    assert classes(ReconcileInput(replace(LEDGER, payments=(P1, P2, lost)))) == [
        ("orphan_application", "BOLT", ("P3", "Z99"), D("80"))
    ]


def test_an_application_to_a_document_already_settled_is_an_orphan_for_the_excess_only() -> None:
    late = payment("P3", "ACME", date(2026, 3, 20), "1000", "RA-9", ("A1", "1000"))
    found = classes(ReconcileInput(replace(LEDGER, payments=(P1, P2, late))))
    assert found == [("orphan_application", "ACME", ("P3", "A1"), D("1000"))]


def test_an_ar_total_that_differs_from_the_gl_control_account_is_a_gl_control_difference() -> None:
    gl = (GlControlBalance("1200", D("500"), "USD"), GlControlBalance("1210", D("75"), "USD"))
    assert classes(ReconcileInput(LEDGER, gl_control=gl)) == [("gl_control_difference", None, ("1200", "1210"), D("25"))]


def test_a_statement_credit_without_a_recorded_payment_is_bank_unrecorded_with_the_payer_found_by_account() -> None:
    bank = statement(*CONSISTENT_BANK.transactions, line("T3", date(2026, 3, 15), "99", "thanks", "ACME CORP.", "DE 11"))
    assert classes(ReconcileInput(LEDGER, statement=bank)) == [("bank_unrecorded", "ACME", ("T3",), D("99"))]


def test_a_recorded_payment_in_the_period_with_no_statement_line_is_payment_not_in_bank() -> None:
    bank = statement(CONSISTENT_BANK.transactions[1])
    assert classes(ReconcileInput(LEDGER, statement=bank)) == [("payment_not_in_bank", "ACME", ("P1",), D("1000"))]


def test_a_payment_outside_the_statement_period_is_not_expected_on_it() -> None:
    bank = replace(statement(CONSISTENT_BANK.transactions[1]), period_start=date(2026, 3, 8))
    assert classes(ReconcileInput(LEDGER, statement=bank)) == []


def test_a_bank_line_booked_two_weeks_after_its_payment_is_one_timing_difference() -> None:
    bank = statement(line("T1", date(2026, 3, 20), "1000", "remittance RA-1"), CONSISTENT_BANK.transactions[1])
    assert classes(ReconcileInput(LEDGER, statement=bank)) == [("timing", "ACME", ("T1", "P1"), D("1000"))]


def test_amount_alone_does_not_pick_between_two_equal_payments_but_a_reference_does() -> None:
    a = payment("P3", "BOLT", date(2026, 3, 12), "300", "RB-3", ("B1", "300"))
    b = payment("P4", "BOLT", date(2026, 3, 12), "300", "RB-4")
    two = replace(LEDGER, items=(*LEDGER.items[:2], invoice("B1", "BOLT", "300", "0")), payments=(P1, P2, a, b))
    plain = statement(*CONSISTENT_BANK.transactions, line("T3", date(2026, 3, 12), "300"))
    found = {(f[0], f[2]) for f in classes(ReconcileInput(two, statement=plain))}
    assert ("bank_unrecorded", ("T3",)) in found
    named = statement(*CONSISTENT_BANK.transactions,
                      BankTransaction("T3", date(2026, 3, 13), usd("300"), remittance_lines=(RemittanceLine("RB-4"),)))  # fmt: skip
    found = {(f[0], f[2]) for f in classes(ReconcileInput(two, statement=named))}
    assert found == {("payment_not_in_bank", ("P3",)), ("unapplied_cash", ("P4",))}


def test_differences_within_the_tolerance_are_counted_not_listed() -> None:
    inputs = ReconcileInput(LEDGER, erp_balances={"ACME": D("250.01"), "BOLT": D("300")})
    result = reconcile(inputs, D("0.01"))
    assert result.differences == () and len(result.within_tolerance) == 1
    assert [d.amount for d in reconcile(inputs, D("0.001")).differences] == [D("0.01")]


def test_as_of_leaves_out_documents_and_payments_dated_after_it() -> None:
    later = payment("P3", "BOLT", date(2026, 4, 2), "500", "RB-5")
    result = reconcile(ReconcileInput(replace(LEDGER, payments=(P1, P2, later)), as_of=date(2026, 3, 31)))
    assert result.differences == ()


def test_store_and_erp_documents_compare_as_missing_extra_mismatch_and_timing() -> None:
    store = [invoice("A1", "ACME", "1000", "0"), invoice("A2", "ACME", "500", "500"), invoice("X1", "ACME", "10", "10")]
    erp = [invoice("A1", "ACME", "1000", "0"), invoice("A2", "ACME", "500", "250"), invoice("B1", "BOLT", "300", "300"),
           invoice("B2", "BOLT", "40", "40")]  # fmt: skip
    found = {(d.kind.value, d.documents, d.amount) for d in compare_documents(store, erp, changed_since_pull={"B2"})}
    assert found == {
        ("document_amount_mismatch", ("A2",), D("-250")),
        ("missing_document", ("B1",), D("300")),
        ("timing", ("B2",), D("40")),
        ("extra_document", ("X1",), D("-10")),
    }


def test_as_of_before_a_payment_takes_the_stated_open_amount_back_to_that_day() -> None:
    # On 2026-03-07 P2 (03-10) had not come in: A2 was open 500, ACME's balance 500, the AR total 800.
    inputs = ReconcileInput(LEDGER, date(2026, 3, 7), {"ACME": D("500"), "BOLT": D("300")},
                            (GlControlBalance("1200", D("800"), "USD"),))  # fmt: skip
    assert reconcile(inputs).differences == ()
    assert classes(replace(inputs, erp_balances=BALANCES)) == [("balance_mismatch", "ACME", ("A2",), D("-250"))]


def test_an_erp_balance_net_of_unapplied_cash_is_compared_with_open_items_less_it() -> None:
    extra = payment("P3", "BOLT", date(2026, 3, 12), "50", "RB-1")
    paid = replace(LEDGER, payments=(P1, P2, extra))
    inputs = ReconcileInput(paid, erp_balances={"ACME": D("250"), "BOLT": D("250")}, erp_balances_net_of_unapplied=True)
    assert classes(inputs) == [("unapplied_cash", "BOLT", ("P3",), D("50"))]
    assert ("balance_mismatch", "BOLT", ("B1",), D("-50")) in classes(replace(inputs, erp_balances_net_of_unapplied=False))


def test_a_payment_dated_in_the_statements_last_days_without_a_line_is_timing_not_missing() -> None:
    late = payment("P3", "BOLT", date(2026, 3, 30), "300", "RB-7", ("B1", "300"))
    ledger = replace(LEDGER, items=(*LEDGER.items[:2], invoice("B1", "BOLT", "300", "0")), payments=(P1, P2, late))
    assert classes(ReconcileInput(ledger, statement=CONSISTENT_BANK)) == [("timing", "BOLT", ("P3",), D("300"))]


def test_payments_the_erp_and_the_store_disagree_on_are_missing_extra_or_mismatched() -> None:
    erp = [P1, replace(P2, amount=usd("260")), payment("P7", "BOLT", date(2026, 3, 12), "40", None)]
    store = [P1, P2, payment("P8", "BOLT", date(2026, 3, 12), "15", None)]
    found = {(d.kind.value, d.documents, d.amount) for d in compare_documents([], [], store, erp)}
    assert found == {
        ("document_amount_mismatch", ("P2",), D("-10")),
        ("missing_document", ("P7",), D("-40")),
        ("extra_document", ("P8",), D("15")),
    }
