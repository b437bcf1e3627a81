"""Statements of account (core.statement), worked out by hand.

Customer ACME (USD): INV A1 1,000.00 (2026-01-10, due 02-09), paid 600.00 by P1 on 02-20 and
written off 100.00 on 03-15; CM C1 -50.00 (02-25); INV A2 400.00 (03-05, due 04-04); P2 700.00 on
03-20 applies 300.00 to A1 (now settled: 600 + 100 + 300) and leaves 400.00 unapplied.
Statement 2026-02-01..2026-03-31: opening (at 01-31) 1,000.00; lines P1 -600, C1 -50, A2 +400,
write-off -100, P2 -700; closing -50.00, a credit in the customer's favour. Open at 03-31: C1
-50 (due 02-25, 34 days past due: 31-60) and A2 400 (current); unapplied 400.
Aging total 350 − unapplied 400 = closing -50.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from creditbridge.core.model import Application, Customer, DocType, Ledger, OpenItem, Payment, WriteOff
from creditbridge.core.money import Money
from creditbridge.core.statement import StatementError, account_statement
from creditbridge.sync.reports.statement_document import bottom_line, statement_html

D = Decimal


def usd(x: str) -> Money:
    return Money.of(x, "USD")


LEDGER = Ledger(
    customers=(Customer("ACME", "Acme & Sons", "USD"), Customer("ZED", "Zed", "USD")),
    items=(
        OpenItem("A1", DocType.INVOICE, "ACME", date(2026, 1, 10), date(2026, 2, 9), usd("1000"), usd("0")),
        OpenItem("C1", DocType.CREDIT_MEMO, "ACME", date(2026, 2, 25), date(2026, 2, 25), usd("-50"), usd("-50")),
        OpenItem("A2", DocType.INVOICE, "ACME", date(2026, 3, 5), date(2026, 4, 4), usd("400"), usd("400")),
        OpenItem("Z1", DocType.INVOICE, "ZED", date(2026, 3, 5), date(2026, 4, 4), usd("99"), usd("99")),
    ),
    payments=(
        Payment("P1", "ACME", date(2026, 2, 20), usd("600"), "CHK 1", (Application("P1", "A1", usd("600"), date(2026, 2, 20)),)),
        Payment("P2", "ACME", date(2026, 3, 20), usd("700"), None, (Application("P2", "A1", usd("300"), date(2026, 3, 20)),)),
    ),
    writeoffs=(WriteOff("A1", date(2026, 3, 15), usd("100"), "settlement"),),
)


def test_a_statement_runs_from_the_opening_balance_to_a_closing_that_the_aging_explains() -> None:
    s = account_statement(LEDGER, "ACME", date(2026, 2, 1), date(2026, 3, 31))
    assert s.opening_balance == D("1000")
    assert [(line.document, line.debit, line.credit, line.balance) for line in s.lines] == [
        ("P1", D("0"), D("600"), D("400")),
        ("C1", D("0"), D("50"), D("350")),
        ("A2", D("400"), D("0"), D("750")),
        ("A1", D("0"), D("100"), D("650")),
        ("P2", D("0"), D("700"), D("-50")),
    ]
    assert s.closing_balance == D("-50")
    assert dict(s.aging)["current"] == D("400") and dict(s.aging)["31_60"] == D("-50")
    assert s.unapplied == D("400")
    assert s.open_total - s.unapplied == s.closing_balance
    assert bottom_line(s) == "Credit balance in your favour: 50.00 USD"
    page = statement_html(s, "Northwind")
    assert "Acme &amp; Sons" in page and "Z1" not in page


def test_a_period_before_any_document_has_a_zero_opening_and_the_first_invoice_only() -> None:
    s = account_statement(LEDGER, "ACME", date(2026, 1, 1), date(2026, 1, 31))
    assert s.opening_balance == 0 and [line.document for line in s.lines] == ["A1"]
    assert s.closing_balance == D("1000") and s.overdue == 0
    assert bottom_line(s) == "Amount due: 1,000.00 USD"


def test_unknown_customers_and_reversed_periods_are_refused() -> None:
    with pytest.raises(StatementError, match="not in the ledger"):
        account_statement(LEDGER, "NOPE", date(2026, 1, 1), date(2026, 1, 31))
    with pytest.raises(StatementError, match="before it starts"):
        account_statement(LEDGER, "ACME", date(2026, 2, 1), date(2026, 1, 31))
