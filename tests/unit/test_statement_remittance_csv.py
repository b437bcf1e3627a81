"""Remittance CSV: one row per (payment, invoice); payment-level columns must agree; errors name line and column."""

from pathlib import Path

import pytest

from creditbridge.adapters.statements import StatementError, read_statement
from creditbridge.core.money import Money

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "statements" / "remittance.csv"
HEADER = "payment_id,payment_date,amount,currency,payer_name,payer_account,reference,invoice_number,invoice_amount\n"


def csv_file(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "remit.txt"
    path.write_text(HEADER + rows)
    return path


def test_rows_of_one_payment_become_its_remittance_lines():
    statement = read_statement(SAMPLE)
    assert statement.format == "remittance_csv"
    northwind, contoso, bergmann = statement.transactions
    assert northwind.transaction_id == "RA-1001"
    assert northwind.amount == Money.of("3500.00", "USD")
    assert [(line.document_number, line.amount) for line in northwind.remittance_lines] == [
        ("INV-10452", Money.of("2000.00", "USD")), ("INV-10453", Money.of("1500.00", "USD"))]
    assert contoso.payer_name == "Contoso, Ltd."
    assert contoso.remittance_text == "remittance by email"
    assert bergmann.remittance_lines == () and bergmann.amount.currency == "EUR"


def test_rows_of_one_payment_that_disagree_are_refused(tmp_path):
    path = csv_file(tmp_path, "P1,2026-11-30,100.00,USD,A,,,I1,60.00\nP1,2026-11-30,110.00,USD,A,,,I2,40.00\n")
    with pytest.raises(StatementError, match=r"line 3, field amount: '110.00' differs from '100.00' on line 2"):
        read_statement(path)


def test_every_bad_value_is_reported_with_line_and_column(tmp_path):
    path = csv_file(tmp_path, "P1,30.11.2026,100.00,USD,A,,,,\nP2,2026-11-30,1.000,00,USD\nP3,2026-11-30,-5,usd,A,,,,\n")
    with pytest.raises(StatementError) as caught:
        read_statement(path)
    places = [(issue.line, issue.field) for issue in caught.value.issues]
    assert places == [(2, "payment_date"), (3, None), (4, "amount")]
    assert "has 5 values, the header has 9" in str(caught.value)


def test_a_header_without_required_columns_is_refused(tmp_path):
    path = tmp_path / "remit.csv"
    path.write_text("payment_id,amount,invoice_number\nP1,10.00,I1\n")
    with pytest.raises(StatementError, match=r"line 1, field payment_date: the header lacks the column\(s\) "
                                             r"payment_date, currency"):
        read_statement(path)


def test_an_unknown_column_is_refused_rather_than_ignored(tmp_path):
    path = tmp_path / "remit.csv"
    path.write_text(HEADER.strip() + ",discount\nP1,2026-11-30,10.00,USD,,,,,,1\n")
    with pytest.raises(StatementError, match="field discount: unknown column"):
        read_statement(path)
