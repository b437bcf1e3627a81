"""The ledger folder as a user meets it: export files from an ERP, read them, fix what is named.

The fixture `tests/fixtures/ledger_small` is small enough to check by hand: 4 customers, 10 items
(incl. a credit memo and a debit memo), 5 payments (one split over an invoice and the credit memo,
one unapplied), a write-off and 4 orders. Its open amounts agree with its settlements.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import polars as pl
import pytest

from creditbridge.adapters.files import LedgerError, LedgerIssue, LedgerTables, read_ledger
from creditbridge.core.columns import columns_from_ledger
from creditbridge.core.model import DocType, OrderStatus
from creditbridge.core.money import Money

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_small"
SHEETS = ("customers", "invoices", "payments", "orders", "writeoffs")


# -- helpers: a copy of the fixture that a test may spoil -----------------------------------------


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    folder = tmp_path / "ledger"
    shutil.copytree(FIXTURE, folder)
    return folder


def rows_of(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def set_cell(path: Path, line: int, column: str, value: str) -> None:
    """Change one cell, addressed as a user would: physical line (header = 1) and column name."""
    rows = rows_of(path)
    rows[line - 1][rows[0].index(column)] = value
    write_rows(path, rows)


def add_row(path: Path, **values: str) -> int:
    """Append a row (missing columns empty); returns its line number."""
    rows = rows_of(path)
    rows.append([values.get(name, "") for name in rows[0]])
    write_rows(path, rows)
    return len(rows)


def problems(folder: Path) -> LedgerError:
    with pytest.raises(LedgerError) as caught:
        read_ledger(folder)
    return caught.value


def messages(error: LedgerError) -> list[str]:
    return [str(issue) for issue in error.issues]


# -- reading a good ledger ----------------------------------------------------------------------


def test_small_ledger_reads_with_exact_units_and_types() -> None:
    tables = read_ledger(FIXTURE)

    assert tables.customers.get_column("customer_id").to_list() == ["C1", "C2", "C3", "C4"]
    assert tables.customers.get_column("credit_limit").to_list() == [500_000_000, None, 200_000_000, 10_005_000]
    assert tables.customers.get_column("on_hold").to_list() == [False, False, True, False]
    assert tables.customers.get_column("parent_id").to_list() == [None, "C1", None, None]
    assert tables.customers.get_column("bank_accounts").to_list()[0] == (
        "DE89370400440532013000;GB29NWBK60161331926819"
    )
    assert tables.customers.schema["payment_terms_days"] == pl.Int32

    invoices = {r["invoice_number"]: r for r in tables.invoices.iter_rows(named=True)}
    assert invoices["CM-1"]["doc_type"] == "CM"
    assert invoices["CM-1"]["amount"] == -2_000_000
    assert invoices["INV-4"]["doc_type"] == "DM"
    assert invoices["INV-6"]["amount"] == 3_001_234  # 300.1234, four places kept exactly
    assert invoices["INV-2"]["open_amount"] == 5_005_000
    assert invoices["INV-5"]["discount_percent"] == 15_000  # 1.5 %
    assert invoices["INV-5"]["discount_days"] == 7
    assert invoices["INV-1"]["due_date"] == dt.date(2024, 2, 4)
    assert tables.invoices.schema["amount"] == pl.Int64
    assert tables.invoices.schema["invoice_date"] == pl.Date

    assert tables.applications.rows() == [
        ("P-1", "INV-1", 10_000_000, dt.date(2024, 2, 1)),
        ("P-2", "INV-2", 20_000_000, dt.date(2024, 3, 1)),
        ("P-2", "CM-1", -2_000_000, dt.date(2024, 3, 1)),
        ("P-3", "INV-5", 10_000_000, dt.date(2024, 2, 20)),
        ("P-5", "INV-7", 1_000_000, dt.date(2024, 1, 15)),
    ]
    assert tables.payments.columns == ["payment_id", "customer_id", "payment_date", "currency", "amount", "reference"]
    assert tables.writeoffs.rows() == [("INV-7", dt.date(2024, 3, 31), 5_000_000, "customer insolvent")]
    assert tables.orders.get_column("status").to_list() == ["open", "closed", "cancelled", "open"]
    assert tables.warnings == ()
    assert tables.source == str(FIXTURE)


def test_optional_files_may_be_absent(ledger: Path) -> None:
    (ledger / "orders.csv").unlink()
    (ledger / "writeoffs.csv").unlink()

    tables = read_ledger(ledger)

    assert tables.orders.is_empty()
    assert tables.orders.columns == ["order_number", "customer_id", "order_date", "currency", "amount", "status"]
    assert tables.writeoffs.is_empty()
    assert tables.writeoffs.schema["amount"] == pl.Int64
    assert any("INV-7" in w for w in tables.warnings)  # its 500.00 write-off is gone now


def test_reimport_reads_identically(ledger: Path) -> None:
    first = read_ledger(FIXTURE)
    second = read_ledger(ledger)

    for name in ("customers", "invoices", "payments", "applications", "orders", "writeoffs"):
        assert getattr(first, name).equals(getattr(second, name)), name
    assert first.warnings == second.warnings


def test_columns_match_the_records_path() -> None:
    tables = read_ledger(FIXTURE)

    fast = tables.to_columns()
    slow = columns_from_ledger(tables.to_ledger())

    assert fast.currencies == slow.currencies == ("EUR", "USD")
    assert fast.customer_ids == slow.customer_ids == ("C1", "C2", "C3", "C4")
    assert fast.customer_names == slow.customer_names
    assert list(fast.item_ids) == list(slow.item_ids)
    for name in ("item_customer", "item_type", "item_date", "item_due", "item_currency", "item_amount",
                 "item_open", "settle_item", "settle_date", "settle_amount", "settle_is_writeoff"):  # fmt: skip
        assert np.array_equal(getattr(fast, name), getattr(slow, name)), name
        assert getattr(fast, name).dtype == getattr(slow, name).dtype, name
    assert fast.settle_is_writeoff.tolist() == [False] * 5 + [True]


def test_columns_are_built_when_tables_are_made_by_hand() -> None:
    tables = read_ledger(FIXTURE)
    by_hand = LedgerTables(
        customers=tables.customers,
        invoices=tables.invoices,
        payments=tables.payments,
        applications=tables.applications,
        orders=tables.orders,
        writeoffs=tables.writeoffs,
        source="by hand",
    )

    assert np.array_equal(by_hand.to_columns().settle_item, tables.to_columns().settle_item)


def test_records_carry_money_and_split_applications() -> None:
    ledger = read_ledger(FIXTURE).to_ledger()

    credit_memo = next(i for i in ledger.items if i.item_id == "CM-1")
    assert credit_memo.doc_type is DocType.CREDIT_MEMO
    assert credit_memo.amount == Money(Decimal("-200"), "USD")
    split = next(p for p in ledger.payments if p.payment_id == "P-2")
    assert [(a.item_id, a.amount.amount) for a in split.applications] == [("INV-2", 2000), ("CM-1", -200)]
    assert split.unapplied.is_zero()
    unapplied = next(p for p in ledger.payments if p.payment_id == "P-4")
    assert unapplied.applications == () and unapplied.unapplied == Money(Decimal(50), "USD")
    profile = next(p for p in ledger.profiles if p.customer_id == "C3")
    assert profile.credit_limit == Money(Decimal(20000), "EUR") and profile.on_hold
    assert next(c for c in ledger.customers if c.customer_id == "C1").bank_accounts == (
        "DE89370400440532013000",
        "GB29NWBK60161331926819",
    )
    assert ledger.writeoffs[0].amount == Money(Decimal(500), "USD")
    assert [o.status for o in ledger.orders][:3] == [OrderStatus.OPEN, OrderStatus.CLOSED, OrderStatus.CANCELLED]


def test_header_case_spacing_column_order_and_extra_columns_do_not_matter(ledger: Path) -> None:
    rows = rows_of(ledger / "payments.csv")
    order = [6, 0, 4, 2, 1, 3, 5]
    reordered = [[row[i] for i in order] + ["ignored"] for row in rows]
    reordered[0] = [f"  {name.upper()} " for name in reordered[0][:-1]] + ["Notes"]
    write_rows(ledger / "payments.csv", reordered)

    tables = read_ledger(ledger)

    assert tables.payments.equals(read_ledger(FIXTURE).payments)
    assert tables.applications.equals(read_ledger(FIXTURE).applications)


def test_padded_cells_and_yes_no_words_are_understood(ledger: Path) -> None:
    set_cell(ledger / "customers.csv", 2, "on_hold", " Yes ")
    set_cell(ledger / "customers.csv", 3, "on_hold", "1")
    set_cell(ledger / "customers.csv", 4, "on_hold", "FALSE")
    set_cell(ledger / "invoices.csv", 2, "amount", " 1000.00 ")
    set_cell(ledger / "invoices.csv", 2, "doc_type", "inv")
    set_cell(ledger / "payments.csv", 3, "applied_to", " INV-2 : 2000.00 ; CM-1:-200.00; ")

    tables = read_ledger(ledger)

    assert tables.customers.get_column("on_hold").to_list() == [True, True, False, False]
    assert tables.invoices.row(0, named=True)["amount"] == 10_000_000
    assert tables.invoices.row(0, named=True)["doc_type"] == "INV"
    assert tables.applications.filter(pl.col("payment_id") == "P-2").get_column("invoice_number").to_list() == [
        "INV-2",
        "CM-1",
    ]


def test_open_amount_that_disagrees_is_a_warning_not_an_error(ledger: Path) -> None:
    set_cell(ledger / "invoices.csv", 3, "open_amount", "400.50")  # INV-2: 2500.50 - 2000.00 = 500.50

    tables = read_ledger(ledger)

    assert len(tables.warnings) == 1
    assert tables.warnings[0].startswith("1 invoice has an open_amount different")
    assert "INV-2 (invoices.csv line 3): open_amount 400.50, computed 500.50" in tables.warnings[0]
    assert tables.invoices.row(1, named=True)["open_amount"] == 4_005_000  # the file's value is kept


def test_line_numbers_count_blank_lines_and_quoted_line_breaks(ledger: Path) -> None:
    path = ledger / "invoices.csv"
    text = path.read_text()
    lines = text.splitlines()
    lines.insert(2, "")  # a blank line after INV-1
    lines[4] = lines[4].replace(",PO-10,", ',"PO-10\nsecond line",', 1)  # INV-3 spans two lines
    lines[5] = lines[5].replace("2024-03-26", "2024-02-31", 1)  # INV-4's due date
    path.write_text("\n".join(lines) + "\n")  # header, INV-1, blank, INV-2, INV-3 (2 lines), INV-4 on line 7

    error = problems(ledger)

    assert messages(error) == ["invoices.csv line 7, column due_date: '2024-02-31' is not a date (expected YYYY-MM-DD)"]


# -- workbooks ----------------------------------------------------------------------------------


def typed_cell(column: str, text: str) -> object:
    """What Excel would hold: dates as dates, amounts as numbers, the rest as text."""
    if not text:
        return None
    if column.endswith("date") or column == "date":
        return dt.date.fromisoformat(text)
    if column in {"amount", "open_amount", "credit_limit", "discount_percent"}:
        number = Decimal(text)
        return int(number) if number == number.to_integral_value() else float(number)
    if column in {"payment_terms_days", "discount_days"}:
        return int(text)
    return text


def write_workbook(path: Path, source: Path, sheets: tuple[str, ...] = SHEETS) -> None:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name in sheets:
        sheet = workbook.create_sheet(name.capitalize())
        rows = rows_of(source / f"{name}.csv")
        sheet.append(rows[0])
        for row in rows[1:]:
            sheet.append([typed_cell(col, value) for col, value in zip(rows[0], row, strict=True)])
    workbook.save(path)


def test_xlsx_workbook_reads_like_csv(tmp_path: Path) -> None:
    book = tmp_path / "ledger.xlsx"
    write_workbook(book, FIXTURE)
    from_csv = read_ledger(FIXTURE)

    for tables in (read_ledger(book), read_ledger(tmp_path)):
        for name in ("customers", "invoices", "payments", "applications", "orders", "writeoffs"):
            assert getattr(tables, name).equals(getattr(from_csv, name)), name


def test_xlsx_problems_name_the_sheet_and_row(tmp_path: Path) -> None:
    book = tmp_path / "ledger.xlsx"
    write_workbook(book, FIXTURE)
    workbook = openpyxl.load_workbook(book)
    workbook["Invoices"]["G4"] = 800 * 1.0123456  # amount of INV-3, computed in the sheet
    workbook["Invoices"]["E5"] = "next week"  # due_date of INV-4
    workbook.save(book)

    error = problems(book)

    assert messages(error) == [
        "ledger.xlsx[Invoices] row 4, column amount: '809.87648' has more than 4 decimal places",
        "ledger.xlsx[Invoices] row 5, column due_date: 'next week' is not a date (expected YYYY-MM-DD)",
    ]


def test_a_sheet_given_both_as_csv_and_in_a_workbook_is_refused(ledger: Path) -> None:
    write_workbook(ledger / "extra.xlsx", FIXTURE, sheets=("orders",))

    error = problems(ledger)

    assert messages(error) == ["extra.xlsx[Orders]: the orders sheet is also given by orders.csv; keep only one"]


def test_csv_and_workbook_may_share_the_work(ledger: Path) -> None:
    write_workbook(ledger / "open.xlsx", FIXTURE, sheets=("invoices", "payments"))
    (ledger / "invoices.csv").unlink()
    (ledger / "payments.csv").unlink()

    assert read_ledger(ledger).applications.equals(read_ledger(FIXTURE).applications)


# -- what a user is told when a file is wrong ---------------------------------------------------


def test_missing_required_file_is_named(ledger: Path) -> None:
    (ledger / "payments.csv").unlink()

    error = problems(ledger)

    assert len(error.issues) == 1
    issue = error.issues[0]
    assert issue.file == "payments.csv" and issue.line is None
    assert "required file is missing" in issue.message


def test_missing_folder_is_named(tmp_path: Path) -> None:
    error = problems(tmp_path / "nowhere")

    assert "no such folder or file" in str(error)


def test_missing_column_names_file_column_and_the_columns_found(ledger: Path) -> None:
    rows = rows_of(ledger / "invoices.csv")
    write_rows(ledger / "invoices.csv", [row[:4] + row[5:] for row in rows])  # drop due_date

    error = problems(ledger)

    assert messages(error) == [
        "invoices.csv line 1, column due_date: required column is missing (columns found: invoice_number, "
        "doc_type, customer_id, invoice_date, currency, amount, open_amount, po_number, discount_percent, "
        "discount_days)"
    ]


def test_empty_required_cell_is_named(ledger: Path) -> None:
    set_cell(ledger / "customers.csv", 3, "name", "  ")

    assert messages(problems(ledger)) == ["customers.csv line 3, column name: empty, but a value is required"]


def test_bad_date_names_file_line_and_column(ledger: Path) -> None:
    set_cell(ledger / "invoices.csv", 4, "due_date", "2024-13-01")
    set_cell(ledger / "payments.csv", 2, "payment_date", "01/02/2024")

    assert messages(problems(ledger)) == [
        "invoices.csv line 4, column due_date: '2024-13-01' is not a date (expected YYYY-MM-DD)",
        "payments.csv line 2, column payment_date: '01/02/2024' is not a date (expected YYYY-MM-DD)",
    ]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("1e5", "'1e5' is in exponent notation"),
        ("12,50", "'12,50' has a ','"),
        ("1,234.50", "'1,234.50' has a ','"),
        ("abc", "'abc' is not a plain decimal number"),
        ("NaN", "'NaN' is not a number"),
        ("1.23456", "'1.23456' has more than 4 decimal places"),
        ("$12", "'$12' is not a plain decimal number"),
        ("123456789012345", "'123456789012345' is too large"),
    ],
)
def test_garbage_amounts_are_refused(ledger: Path, text: str, why: str) -> None:
    set_cell(ledger / "invoices.csv", 9, "amount", text)

    (message,) = messages(problems(ledger))

    assert message.startswith(f"invoices.csv line 9, column amount: {why}")


def test_bad_doc_type_lists_the_accepted_ones(ledger: Path) -> None:
    set_cell(ledger / "invoices.csv", 5, "doc_type", "INVOICE")

    assert messages(problems(ledger)) == [
        "invoices.csv line 5, column doc_type: 'INVOICE' is not a valid doc_type (expected INV, DM, CM)"
    ]


def test_credit_memo_must_be_negative_and_invoices_not(ledger: Path) -> None:
    set_cell(ledger / "invoices.csv", 6, "amount", "200.00")  # CM-1
    set_cell(ledger / "invoices.csv", 10, "amount", "-150")  # INV-8

    assert messages(problems(ledger)) == [
        "invoices.csv line 6, column amount: 200.00 is positive, but a credit memo (CM) must have a negative amount",
        "invoices.csv line 10, column amount: -150.00 is negative, but an INV amount must be 0 or more "
        "(enter credits as doc_type CM)",
    ]


def test_currency_must_be_an_uppercase_code(ledger: Path) -> None:
    set_cell(ledger / "payments.csv", 4, "currency", "eur")
    set_cell(ledger / "orders.csv", 2, "currency", "US$")

    assert messages(problems(ledger)) == [
        "payments.csv line 4, column currency: 'eur' is not a currency code (expected 3 uppercase letters like USD) "
        "(write 'EUR')",
        "orders.csv line 2, column currency: 'US$' is not a currency code (expected 3 uppercase letters like USD)",
    ]


def test_unknown_customer_names_file_line_and_column(ledger: Path) -> None:
    set_cell(ledger / "invoices.csv", 4, "customer_id", "C9")
    set_cell(ledger / "payments.csv", 5, "customer_id", "c2")
    set_cell(ledger / "orders.csv", 3, "customer_id", "C99")
    set_cell(ledger / "customers.csv", 5, "parent_id", "C0")

    assert messages(problems(ledger)) == [
        "customers.csv line 5, column parent_id: parent 'C0' is not a customer in customers.csv",
        "invoices.csv line 4, column customer_id: customer 'C9' is not in customers.csv",
        "payments.csv line 5, column customer_id: customer 'c2' is not in customers.csv",
        "orders.csv line 3, column customer_id: customer 'C99' is not in customers.csv",
    ]


def test_duplicates_name_both_lines(ledger: Path) -> None:
    add_row(ledger / "customers.csv", customer_id="C2", name="Again", currency="USD")
    set_cell(ledger / "invoices.csv", 11, "invoice_number", "INV-1")
    set_cell(ledger / "payments.csv", 6, "payment_id", "P-1")
    set_cell(ledger / "payments.csv", 6, "applied_to", "")
    set_cell(ledger / "orders.csv", 5, "order_number", "SO-2")

    assert messages(problems(ledger)) == [
        "customers.csv line 6, column customer_id: duplicate customer_id 'C2': also on line 3",
        "invoices.csv line 11, column invoice_number: duplicate invoice_number 'INV-1': also on line 2",
        "payments.csv line 6, column payment_id: duplicate payment_id 'P-1': also on line 2",
        "orders.csv line 5, column order_number: duplicate order_number 'SO-2': also on line 3",
    ]


def test_malformed_applied_to_is_explained(ledger: Path) -> None:
    set_cell(ledger / "payments.csv", 2, "applied_to", "INV-1=1000.00")
    set_cell(ledger / "payments.csv", 4, "applied_to", "INV-5:1.000,00")

    assert messages(problems(ledger)) == [
        "payments.csv line 2, column applied_to: 'INV-1=1000.00' is not INVOICE:AMOUNT "
        "(expected e.g. INV-1:100.00;INV-2:50.00)",
        "payments.csv line 4, column applied_to: amount for 'INV-5': '1.000,00' has a ','; write plain decimals "
        "with a '.' and no thousands separators (e.g. 1234.50)",
    ]


def test_application_to_unknown_invoice_is_named(ledger: Path) -> None:
    set_cell(ledger / "payments.csv", 3, "applied_to", "INV-2:2000.00;CM-9:-200.00")

    assert messages(problems(ledger)) == [
        "payments.csv line 3, column applied_to: applies to invoice 'CM-9', which is not in invoices.csv"
    ]


def test_applications_above_the_payment_are_refused(ledger: Path) -> None:
    set_cell(ledger / "payments.csv", 3, "applied_to", "INV-2:2000.00;INV-9:0.01")

    assert messages(problems(ledger)) == [
        "payments.csv line 3, column applied_to: applications total 2000.01, more than the payment amount 1800.00"
    ]


def test_application_in_another_currency_is_refused(ledger: Path) -> None:
    set_cell(ledger / "payments.csv", 5, "applied_to", "INV-6:50.00")  # USD cash on an EUR invoice

    assert messages(problems(ledger)) == [
        "payments.csv line 5, column applied_to: applies USD cash to invoice 'INV-6', which is in EUR"
    ]


def test_writeoff_of_unknown_invoice_is_named(ledger: Path) -> None:
    add_row(ledger / "writeoffs.csv", invoice_number="INV-77", date="2024-03-31", amount="5.00")

    assert messages(problems(ledger)) == [
        "writeoffs.csv line 3, column invoice_number: invoice 'INV-77' is not in invoices.csv"
    ]


def test_a_row_with_a_bad_cell_is_not_also_reported_as_unknown(ledger: Path) -> None:
    set_cell(ledger / "invoices.csv", 2, "due_date", "soon")  # INV-1, which P-1 pays

    assert messages(problems(ledger)) == [
        "invoices.csv line 2, column due_date: 'soon' is not a date (expected YYYY-MM-DD)"
    ]


def test_too_many_values_on_a_line_points_at_the_line(ledger: Path) -> None:
    set_cell(ledger / "customers.csv", 4, "name", "Brise GmbH")
    path = ledger / "customers.csv"
    path.write_text(path.read_text().replace("Brise GmbH", "Brise, GmbH", 1))

    (message,) = messages(problems(ledger))

    assert message.startswith("customers.csv line 4: has 11 values but the header has 10 columns")


def test_a_file_that_is_not_utf8_is_named(ledger: Path) -> None:
    path = ledger / "customers.csv"
    path.write_bytes(path.read_bytes().replace(b"Brise GmbH", "Brisé GmbH".encode("cp1252")))

    assert messages(problems(ledger)) == ["customers.csv line 4: is not UTF-8 text (save the file as 'CSV UTF-8')"]


def test_many_problems_come_together_in_one_error(ledger: Path) -> None:
    for line in range(2, 12):
        set_cell(ledger / "invoices.csv", line, "invoice_date", "yesterday")
        set_cell(ledger / "invoices.csv", line, "currency", "dollars")
    for line in range(2, 7):
        set_cell(ledger / "payments.csv", line, "amount", "lots")

    error = problems(ledger)

    assert len(error.issues) == 20
    assert error.total == 25
    assert all(isinstance(issue, LedgerIssue) for issue in error.issues)
    text = str(error).splitlines()
    assert text[0] == "invoices.csv line 2, column invoice_date: 'yesterday' is not a date (expected YYYY-MM-DD)"
    assert text[-1] == "... and 5 more problems not shown"
    assert len(text) == 21


def test_a_ledger_of_headers_only_reads_as_empty_tables(ledger: Path) -> None:
    for name in SHEETS:
        path = ledger / f"{name}.csv"
        path.write_text(path.read_text().splitlines()[0] + "\n")

    tables = read_ledger(ledger)

    assert tables.invoices.is_empty() and tables.applications.is_empty()
    assert tables.to_columns().n_items == 0
    assert tables.warnings == ()


def test_excel_style_csv_with_bom_and_crlf_reads_the_same(ledger: Path) -> None:
    for name in SHEETS:
        path = ledger / f"{name}.csv"
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))

    tables = read_ledger(ledger)

    assert tables.invoices.equals(read_ledger(FIXTURE).invoices)
    assert tables.customers.equals(read_ledger(FIXTURE).customers)


def test_an_invoice_number_with_a_colon_can_be_applied(ledger: Path) -> None:
    set_cell(ledger / "invoices.csv", 10, "invoice_number", "2024:INV-8")
    set_cell(ledger / "payments.csv", 5, "applied_to", "2024:INV-8:40.00")

    tables = read_ledger(ledger)

    assert tables.applications.filter(pl.col("payment_id") == "P-4").rows() == [
        ("P-4", "2024:INV-8", 400_000, dt.date(2024, 3, 20))
    ]


def test_a_path_that_is_neither_folder_nor_workbook_is_refused(ledger: Path) -> None:
    assert messages(problems(ledger / "invoices.csv")) == [
        "invoices.csv: expected a ledger folder or an .xlsx workbook"
    ]
    (ledger / "broken.xlsx").write_text("not a zip")
    assert messages(problems(ledger))[0].startswith("broken.xlsx: cannot be opened as an .xlsx workbook")


def test_optional_columns_may_be_left_out(ledger: Path) -> None:
    rows = rows_of(ledger / "invoices.csv")
    write_rows(ledger / "invoices.csv", [row[:8] for row in rows])  # no po_number, discount_percent, discount_days
    rows = rows_of(ledger / "customers.csv")
    write_rows(ledger / "customers.csv", [row[:2] + row[3:4] for row in rows])  # customer_id, name, currency

    tables = read_ledger(ledger)

    assert tables.invoices.get_column("po_number").null_count() == 10
    assert tables.invoices.schema["discount_days"] == pl.Int32
    assert tables.customers.get_column("on_hold").to_list() == [False] * 4
    assert tables.customers.get_column("credit_limit").null_count() == 4


def test_a_workbook_without_a_required_sheet_says_which(tmp_path: Path) -> None:
    book = tmp_path / "ledger.xlsx"
    write_workbook(book, FIXTURE, sheets=("customers", "invoices"))

    assert messages(problems(book)) == ["ledger.xlsx: has no sheet named 'payments', which is required"]
